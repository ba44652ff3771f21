"""Model versions (activate, roll back, report, compare), evaluation on files, and the command line's helpers."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from nlu.models import ModelVersion
from nlu.services.examples import export_examples, slot_definitions
from salesstudio.models import Bot


def active_version(bot: Bot) -> ModelVersion | None:
    return bot.model_versions.filter(is_active=True).first()


@transaction.atomic
def do_activate_version(version: ModelVersion, *, force: bool = False) -> ModelVersion:
    """Make `version` the bot's active model (the partial unique index guarantees at most one), once the bot's
    conversation tests pass with it on the latest published flow (`settings.ACTIVATION_GATE`, a dotted path), unless
    `force`d. Raises ValidationError when it cannot be loaded or tests fail."""
    from nlu.runtime import RuntimeLoadError, get_runtime

    try:
        get_runtime(Path(version.path))  # refuse a broken folder before calls start using it
    except (RuntimeLoadError, OSError, KeyError, ValueError) as exc:
        raise ValidationError(_("This model version cannot be loaded: %(e)s") % {"e": exc}) from None
    failures = [] if force or not settings.ACTIVATION_GATE else import_string(settings.ACTIVATION_GATE)(
        version.bot, version)
    if failures:
        key = "message_zh" if (get_language() or "").startswith("zh") else "message_en"
        raise ValidationError(_("%(n)d conversation test(s) fail with this model: %(first)s") % {
            "n": len(failures), "first": failures[0][key]})
    ModelVersion.objects.select_for_update().filter(bot_id=version.bot_id, is_active=True).update(is_active=False)
    ModelVersion.objects.filter(pk=version.pk).update(is_active=True, activated_at=timezone.now())
    version.refresh_from_db()
    return version


def do_rollback(bot: Bot) -> ModelVersion:
    """Activate the version that was active before the current one. Raises ValidationError if there is none."""
    current = active_version(bot)
    previous = bot.model_versions.exclude(pk=getattr(current, "pk", None)).filter(activated_at__isnull=False)
    if current is not None:
        previous = previous.filter(activated_at__lt=current.activated_at)
    target = previous.order_by("-activated_at").first()
    if target is None:
        raise ValidationError(_("There is no earlier version to roll back to."))
    return do_activate_version(target, force=True)  # back to a model that was in use: tests do not hold it


def get_bot_runtime(bot: Bot):  # noqa: ANN201
    """The loaded runtime of the bot's active model version, or None when it has none."""
    from nlu.runtime import get_runtime

    version = active_version(bot)
    return get_runtime(Path(version.path)) if version is not None else None


def version_report(version: ModelVersion) -> dict:
    """The report page's data from the version's metrics, with safe defaults for missing parts."""
    intent = version.metrics.get("intent") or {}
    slots = version.metrics.get("slots") or {}
    return {
        "accuracy": intent.get("accuracy"), "macro_f1": intent.get("macro_f1"),
        "weighted_f1": intent.get("weighted_f1"), "count": intent.get("count", 0),
        "per_intent": sorted((intent.get("per_intent") or {}).items()),
        "confusion": intent.get("confusion") or {"labels": [], "matrix": []},
        "misclassified": intent.get("misclassified") or [],
        "slots": slots, "per_slot": sorted((slots.get("per_slot") or {}).items()),
    }


COMPARED = ((gettext_lazy("Accuracy"), "intent", "accuracy"), (gettext_lazy("Macro F1"), "intent", "macro_f1"),
            (gettext_lazy("Weighted F1"), "intent", "weighted_f1"),
            (gettext_lazy("Slot precision"), "slots", "precision"), (gettext_lazy("Slot recall"), "slots", "recall"),
            (gettext_lazy("Slot F1"), "slots", "f1"))


def compare_versions(versions: list[ModelVersion]) -> list[dict]:
    """Rows `{metric, values: [value per version], best: index}` for the side-by-side table."""
    rows = []
    for name, part, key in COMPARED:
        values = [(v.metrics.get(part) or {}).get(key) for v in versions]
        present = [x for x in values if x is not None]
        rows.append({"metric": name, "values": values,
                     "best": values.index(max(present)) if present else None})
    return rows


def bot_understanding(bot: Bot, model=None):  # noqa: ANN001, ANN201
    """The bot's one understanding (`nlu.understanding`): its examples with the common intents it switched on, its
    slots' lexicon and `model` (a loaded runtime, or None before training), shared by calls of the same bot."""
    from nlu.common import with_common_examples
    from nlu.understanding import cached_understanding

    rows = with_common_examples(export_examples(bot), list(bot.intents.values_list("name", flat=True)))
    return cached_understanding(slot_definitions(bot), rows, model)


SUGGEST_FLOOR = 0.6  # a suggested intent at least this sure is pre-selected; below it, it is only a hint


def suggest(bot: Bot, text: str, context: str | None = None) -> dict:
    """What the bot's understanding (with its active model, if any) makes of `text` for a labelling form:
    {"intent": Intent | None, "confidence": float, "confident": bool, "spans": [{"slot", "start", "end"}]}."""
    found = bot_understanding(bot, get_bot_runtime(bot)).predict(text, context or None)
    intent = bot.intents.filter(name=found["intent"]).first() if found["intent"] else None
    confidence = found.get("confidence") or 0.0
    return {"intent": intent, "confidence": confidence, "confident": intent is not None and confidence >= SUGGEST_FLOOR,
            "spans": [{"slot": s["slot"], "start": s["start"], "end": s["end"]} for s in found["spans"]]}


def evaluate_examples(bot: Bot, model, examples: list[dict]) -> dict:  # noqa: ANN001
    """Intent and slot scores of the bot's understanding (with `model`, a loaded runtime or None) on examples
    `{text, intent, spans, context}`; slot values compare as the bot's slot types read them
    (nlu.evaluate.evaluate_examples)."""
    from nlu import evaluate

    return evaluate.evaluate_examples(bot_understanding(bot, model), examples,
                                      slots=slot_definitions(bot))



CLI_WORKSPACE = "Command line"


def do_create_cli_bot(slug: str, workspace_name: str = CLI_WORKSPACE) -> tuple[Bot, bool]:
    """The bot `slug` in the workspace named `workspace_name` (both created when missing); returns (bot, created)."""
    from salesstudio.models import Workspace
    from salesstudio.services import unique_slug

    workspace = Workspace.objects.filter(name=workspace_name).first() or Workspace.objects.create(
        name=workspace_name, slug=unique_slug(Workspace, workspace_name))
    bot = workspace.bots.filter(slug=slug).first()
    if bot is not None:
        return bot, False
    return Bot.objects.create(workspace=workspace, name=slug, slug=slug), True


def find_bot(slug: str, workspace_name: str | None = None) -> Bot:
    """The bot with this slug (in the named workspace); raises ValidationError when missing or ambiguous."""
    bots = Bot.objects.filter(slug=slug)
    if workspace_name:
        bots = bots.filter(workspace__name=workspace_name)
    found = list(bots[:2])
    if len(found) != 1:
        raise ValidationError(_("No bot “%(slug)s”.") % {"slug": slug} if not found else
                              _("Several bots are called “%(slug)s”: name the workspace.") % {"slug": slug})
    return found[0]


def evaluate_dialogues(bot: Bot, model, dialogues: list[list[dict]]) -> dict:  # noqa: ANN001
    """Turn scores and DST joint goal accuracy of the bot's understanding (with `model` or None) on `dialogues`,
    tracking and comparing slot values as the bot's slot types read them (nlu.evaluate.evaluate_dialogues)."""
    from nlu import evaluate

    return evaluate.evaluate_dialogues(bot_understanding(bot, model), dialogues,
                                       slots=slot_definitions(bot))
