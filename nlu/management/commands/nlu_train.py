"""`manage.py nlu_train SLUG [--epochs N …]`: run one training run to the end in this process, print its metrics."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from nlu import services
from nlu.management.commands._common import add_bot_arguments, get_bot


class Command(BaseCommand):
    help = "Train the bot's NLU models now (no Celery) and record a model version."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        add_bot_arguments(parser)
        parser.add_argument("--epochs", type=int)
        parser.add_argument("--learning-rate", type=float, dest="learning_rate")
        parser.add_argument("--lora-rank", type=int, dest="lora_rank")
        parser.add_argument("--lora-alpha", type=int, dest="lora_alpha")
        parser.add_argument("--lora-targets", dest="lora_targets", help="comma-separated, e.g. query,key,value,dense")
        parser.add_argument("--max-length", type=int, dest="max_length")
        parser.add_argument("--batch-size", type=int, dest="batch_size")
        parser.add_argument("--base-model", default="",
                            help="base encoder folder (default: NLU_BASE_MODEL, else e5-small)")
        parser.add_argument("--no-activate", action="store_true", help="do not activate the new version")

    def handle(self, *args, slug: str, workspace: str | None, base_model: str, no_activate: bool,  # noqa: ANN002
               **options) -> None:  # noqa: ANN003
        bot = get_bot(slug, workspace)
        config = {k: options.get(k) for k in services.CONFIG_KEYS}
        if config["lora_targets"]:
            config["lora_targets"] = [t.strip() for t in config["lora_targets"].split(",") if t.strip()]
        try:
            run = services.do_start_training(bot, None, config, base_model=base_model, send=False)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        run = services.run_training(run.pk, worker="manage.py", echo=self._echo)
        if run.status != run.Status.DONE:
            raise CommandError(f"training run {run.pk} {run.status}: {run.error}")
        version = run.model_version
        if not no_activate and not version.is_active:
            try:
                services.do_activate_version(version)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
        intent, slots = run.metrics.get("intent", {}), run.metrics.get("slots", {})
        summary = {"run": run.pk, "version": version.number, "path": version.path, "examples": run.example_count,
                   "accuracy": intent.get("accuracy"), "macro_f1": intent.get("macro_f1"),
                   "slot_f1": slots.get("f1"), "seconds": (run.finished_at - run.started_at).total_seconds()}
        self.stdout.write(json.dumps(summary, ensure_ascii=False))

    def _echo(self, event: dict) -> None:
        """Progress on stderr, so that stdout stays one JSON object."""
        loss = f"{event['loss']:.4f}" if event.get("loss") is not None else "-"
        eta = f"{event['eta_s']:.0f}s" if event.get("eta_s") is not None else "-"
        self.stderr.write(f"{event.get('stage')} epoch {event.get('epoch')} step {event.get('step')}/"
                          f"{event.get('total_steps')} loss {loss} eta {eta}")
