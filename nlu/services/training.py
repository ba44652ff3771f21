"""Training runs: start (one at a time per bot), cancel, run (the Celery task's body), and dead-worker recovery.

`Training` (a `salesstudio.jobs.JobRunner`) drives `nlu.train.train` and records progress, heartbeats, the outcome
and the new ModelVersion on the database, so the page can show it live and survive reloads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from nlu.models import ExampleSource, ModelVersion, TrainingRun
from nlu.services.examples import intents_with_counts, slot_definitions
from salesstudio.jobs import Cancelled, JobRunner
from salesstudio.models import Bot
from salesstudio.sweeps import STALE_AFTER

MIN_EXAMPLES_PER_INTENT = 2
THIN_INTENT = 10  # fewer examples than this: the page warns that the model can hardly learn the intent
MAX_LOSS_POINTS = 400
# What the "advanced" form may set; everything else keeps TrainConfig's defaults.
CONFIG_KEYS = ("lora_rank", "lora_alpha", "lora_targets", "epochs", "learning_rate", "max_length", "batch_size")


def check_start_training(bot: Bot) -> None:
    """Raise ValidationError unless the bot has ≥2 intents with enough examples and no run in progress."""
    if bot.training_runs.filter(status__in=TrainingRun.ACTIVE).exists():
        raise ValidationError(_("A training run is already in progress for this bot."))
    trainable = [i for i in intents_with_counts(bot) if i.n_examples >= MIN_EXAMPLES_PER_INTENT]
    if len(trainable) < 2:
        raise ValidationError(_("Training needs at least two intents with %(n)s examples or more each.")
                              % {"n": MIN_EXAMPLES_PER_INTENT})


def thin_intents(bot: Bot) -> list:
    """The bot's intents with fewer than THIN_INTENT examples (each with `n_examples`), fewest first; common
    intents come with the product's examples and are never thin."""
    from nlu.common import catalogue

    return sorted((i for i in intents_with_counts(bot) if i.n_examples < THIN_INTENT and i.name not in catalogue()),
                  key=lambda i: i.n_examples)


def do_start_training(bot: Bot, user: AbstractBaseUser | None, config: dict | None = None, *, base_model: str = "",
                      send: bool = True) -> TrainingRun:
    """Record a queued run and (with `send`) hand it to a worker when the transaction commits.

    One run at a time per bot is enforced by a partial unique constraint; raises ValidationError.
    """
    from nlu.tasks import train_run_task

    check_start_training(bot)
    config = {k: v for k, v in (config or {}).items() if k in CONFIG_KEYS and v not in (None, "", [])}
    try:
        with transaction.atomic():
            run = TrainingRun.objects.create(bot=bot, created_by=user, config=config, base_model=base_model,
                                             example_count=bot.examples.count())
    except IntegrityError:
        raise ValidationError(_("A training run is already in progress for this bot.")) from None
    if send:
        transaction.on_commit(lambda: _send(run.pk, train_run_task))
    return run


def _send(run_id: int, task) -> None:  # noqa: ANN001
    result = task.apply_async(args=[run_id])
    TrainingRun.objects.filter(pk=run_id).update(task_id=result.id or "")


def do_cancel_training(run: TrainingRun) -> TrainingRun:
    """A queued run is cancelled at once; a running one is flagged and stops at the trainer's next check."""
    Training.cancel(run.pk)
    run.refresh_from_db()
    return run


class Training(JobRunner):
    """A training run on a worker (`salesstudio.jobs.JobRunner`): train, record a ModelVersion."""

    model = TrainingRun

    def __init__(self, pk: int, *, worker: str = "", echo: Callable[[dict], None] | None = None) -> None:
        super().__init__(pk)
        self.worker, self.echo = worker, echo

    @classmethod
    def stopped_message(cls) -> str:
        return _("The worker running this training stopped responding (no heartbeat for %(s)s seconds).") % {
            "s": int(STALE_AFTER.total_seconds())}

    def on_claim(self) -> dict:
        return {"started_at": timezone.now(), "worker": self.worker}

    def work(self) -> tuple[Path, dict]:
        from nlu.base_models import resolve_base_model
        from nlu.train import TrainConfig, TrainingCancelled, train

        run = self.row
        examples = [{"text": e.text, "intent": e.intent.name, "spans": e.spans, "context": e.context or None}
                    for e in run.bot.examples.select_related("intent")]
        base = Path(run.base_model) if run.base_model else resolve_base_model(settings.NLU_BASE_MODEL,
                                                                               settings.DATA_DIR)
        TrainingRun.objects.filter(pk=run.pk).update(base_model=str(base), example_count=len(examples))
        known = {f.name for f in fields(TrainConfig)}
        config = TrainConfig(**{k: tuple(v) if k == "lora_targets" else v for k, v in run.config.items()
                                if k in known})
        try:
            result = train(examples, base, version_folder(run), config, progress=_progress_writer(run.pk, self.echo),
                           should_cancel=self.cancel_requested, compose=_composer(run.bot))
        except TrainingCancelled:
            raise Cancelled from None
        return result.out_dir, result.metrics

    def finish(self, result: tuple[Path, dict]) -> None:
        do_record_version(self.row, *result)


def run_training(run_id: int, *, worker: str = "", echo: Callable[[dict], None] | None = None) -> TrainingRun:
    """Claim a queued run, train, record a ModelVersion; failures and cancellation end up on the row. `echo` also
    receives every progress event (the command line prints them)."""
    Training(run_id, worker=worker, echo=echo).run()
    return TrainingRun.objects.get(pk=run_id)


def _composer(bot: Bot):  # noqa: ANN202
    """What answers in the bot's calls, built from the training split: the version's figures are its figures. A bot
    whose examples are mostly labelled from its recordings is taught in its callers' words (the model's share is then
    fitted on the validation split)."""
    from nlu.common import with_common_examples
    from nlu.understanding import Understanding

    slots, intents = slot_definitions(bot), list(bot.intents.values_list("name", flat=True))
    callers_words = bot.examples.filter(source=ExampleSource.RECORDING).count() * 2 >= bot.examples.count() > 0
    return lambda runtime, rows: Understanding(slots, with_common_examples(rows, intents), runtime,
                                               callers_words=callers_words)


def version_folder(run: TrainingRun) -> Path:
    # The creation time makes the name unique even when primary keys are reused (a database reset).
    return Path(settings.MODELS_DIR) / "nlu" / f"bot-{run.bot_id}" / f"run-{run.pk}-{run.created_at:%Y%m%d%H%M%S%f}"


@transaction.atomic
def do_record_version(run: TrainingRun, path: Path, metrics: dict) -> ModelVersion:
    """Mark the run done and record its ModelVersion; a bot's first version becomes active."""
    Bot.objects.select_for_update().filter(pk=run.bot_id).first()  # serialises version numbering per bot
    versions = ModelVersion.objects.filter(bot_id=run.bot_id)
    number = (versions.aggregate(n=Max("number"))["n"] or 0) + 1
    first = not versions.filter(is_active=True).exists()
    now = timezone.now()
    version = ModelVersion.objects.create(bot_id=run.bot_id, run=run, number=number, path=str(path), metrics=metrics,
                                          is_active=first, activated_at=now if first else None)
    TrainingRun.objects.filter(pk=run.pk).update(status=TrainingRun.Status.DONE, metrics=metrics, finished_at=now,
                                                 eta_s=0)
    return version


def _progress_writer(run_id: int, echo: Callable[[dict], None] | None = None):  # noqa: ANN202
    history: list[dict] = []

    def write(event: dict) -> None:
        if event.get("loss") is not None:
            history.append({"stage": event.get("stage", ""), "epoch": event.get("epoch", 0),
                            "step": event.get("step", 0), "loss": round(float(event["loss"]), 5)})
            if len(history) > MAX_LOSS_POINTS:
                del history[1::2]  # thin evenly, keep the first point
        TrainingRun.objects.filter(pk=run_id).update(
            stage=str(event.get("stage", ""))[:40], epoch=event.get("epoch") or 0, step=event.get("step") or 0,
            total_steps=event.get("total_steps") or 0, loss=event.get("loss"), eta_s=event.get("eta_s"),
            loss_history=history, heartbeat_at=timezone.now())
        if echo is not None:
            echo(event)

    return write


def do_fail_orphaned_runs(worker: str = "") -> int:
    """Fail running runs whose worker is gone: those of `worker` (it just restarted) and any without a recent
    heartbeat. Called when a worker comes up, by every worker's sweeper and when the training page is shown; returns
    how many."""
    running = TrainingRun.objects.filter(status=TrainingRun.Status.RUNNING)
    mine = running.filter(worker=worker) if worker else running.none()
    n = mine.update(status=TrainingRun.Status.FAILED, finished_at=timezone.now(),
                    error=_("The training stopped unexpectedly (its worker was restarted). Start it again."))
    return n + Training.sweep()
