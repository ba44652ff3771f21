"""Bot bundles: one JSON document holding a bot's language data and flow, for export, import and the demo bot.

Format 1: {"format": 1, "bot": {"name", "slug", "dialect", "description"}, "intents": [...], "slots": [...],
"examples": [{"text", "intent", "spans": [...]}], "knowledge"?: {"threshold", "entries": [{"question", "phrasings",
"answers", "after", "follow_up"?: [{"slot", "prompt"}]}]}, "flow": {graph}}. The demo bot ships as files in `demo/`
(its knowledge base as the CSV a manager would import).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from flows import services as flow_services
from flows.models import Flow
from nlu import knowledge
from nlu.models import Intent, KnowledgeEntry, KnowledgeSettings, Slot, SlotType, TrainingExample, knowledge_threshold
from salesstudio.jobs import Progress
from salesstudio.models import Bot, Dialect, Job, Workspace
from salesstudio.services import unique_slug

DEMO_DIR = Path(__file__).resolve().parent / "demo"
FORMAT = 1


def load_demo_bundle() -> dict[str, Any]:
    nlu = json.loads((DEMO_DIR / "nlu.json").read_text(encoding="utf-8"))
    flow = json.loads((DEMO_DIR / "flow.json").read_text(encoding="utf-8"))
    entries = knowledge.read_csv((DEMO_DIR / "knowledge.csv").read_bytes()).entries
    return {"format": FORMAT, **nlu, "flow": flow,
            "knowledge": {"threshold": knowledge.DEFAULT_THRESHOLD, "entries": [e.to_json() for e in entries]}}


def check_bundle(data: Any) -> None:
    """Raise ValidationError listing what is wrong with a bundle's structure (before anything is written)."""
    problems = []
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError(_("Not a SalesStudio bot file (format %(n)s expected).") % {"n": FORMAT})
    bot = data.get("bot")
    if not isinstance(bot, dict) or not str(bot.get("name", "")).strip():
        problems.append(_("The bot needs a name."))
    if bot and bot.get("dialect", Dialect.MANDARIN) not in Dialect.values:
        problems.append(_("Unknown dialect %(d)r.") % {"d": bot.get("dialect")})
    intents = {i.get("name") for i in data.get("intents", []) if isinstance(i, dict)}
    for n, slot in enumerate(data.get("slots", [])):
        if not isinstance(slot, dict) or slot.get("type") not in SlotType.values:
            problems.append(_("Slot %(n)d has an unknown type.") % {"n": n + 1})
    for n, example in enumerate(data.get("examples", [])):
        if not isinstance(example, dict) or example.get("intent") not in intents:
            problems.append(_("Example %(n)d names an unknown intent.") % {"n": n + 1})
    problems += _knowledge_problems(data.get("knowledge") or {})
    if not isinstance(data.get("flow", {}), dict):
        problems.append(_("The flow must be an object."))
    if problems:
        raise ValidationError(problems)


def _knowledge_problems(data: Any) -> list[str]:
    entries = data.get("entries", []) if isinstance(data, dict) else None
    threshold = data.get("threshold", knowledge.DEFAULT_THRESHOLD) if isinstance(data, dict) else None
    if not isinstance(entries, list) or not isinstance(threshold, int | float) or not 0 <= threshold <= 0.5:
        return [_("The knowledge base must be {threshold, entries}.")]
    problems = []
    for n, entry in enumerate(entries):
        try:
            _entry(entry)
        except (knowledge.KnowledgeError, TypeError, AttributeError, KeyError):
            problems.append(_("Knowledge-base question %(n)d is incomplete.") % {"n": n + 1})
    return problems


def _entry(item: dict) -> knowledge.Entry:
    follow_up = knowledge.follow_up_lines(item.get("follow_up", []))
    if not all(isinstance(t, str) for t in [item["question"], *item.get("phrasings", []), *item["answers"]]):
        raise TypeError("texts must be strings")
    return knowledge.clean_entry(item["question"], item.get("phrasings", []), item["answers"],
                                 item.get("after", "return"), follow_up)


@transaction.atomic
def do_import_bot(workspace: Workspace, data: dict[str, Any], user: AbstractBaseUser | None) -> Bot:
    """Create a new bot from a bundle (a free slug is chosen if the bundle's is taken)."""
    check_bundle(data)
    meta = data["bot"]
    bot = Bot.objects.create(
        workspace=workspace,
        name=meta["name"].strip(),
        slug=unique_slug(Bot, meta.get("slug") or meta["name"], workspace=workspace),
        description=meta.get("description", ""),
        dialect=meta.get("dialect", Dialect.MANDARIN),
    )
    intents = {
        i["name"]: Intent.objects.create(
            bot=bot, name=i["name"], description=i.get("description", ""), is_global=bool(i.get("is_global")),
            reply=str(i.get("reply") or "")[:500],
        )
        for i in data.get("intents", [])
    }
    Slot.objects.bulk_create(
        Slot(bot=bot, name=s["name"], type=s["type"], unit=s.get("unit", ""), values=s.get("values", []),
             prompts=s.get("prompts", []))
        for s in data.get("slots", [])
    )
    TrainingExample.objects.bulk_create(
        TrainingExample(bot=bot, text=e["text"], intent=intents[e["intent"]], spans=e.get("spans", []),
                        context=e.get("context", ""), source="imported", created_by=user)
        for e in data.get("examples", [])
    )
    _import_knowledge(bot, data.get("knowledge") or {})
    flow = Flow.objects.create(bot=bot, graph=data.get("flow", {}), updated_by=user)
    _publish_if_it_compiles(flow, user)
    return bot


def _import_knowledge(bot: Bot, data: dict) -> None:
    entries = {}
    for item in data.get("entries", []):
        entry = _entry(item)
        entries[entry.question] = entry  # a repeated question: the later one wins, as in a CSV import
    rows = [KnowledgeEntry(bot=bot) for _ in entries]
    for row, entry in zip(rows, entries.values(), strict=True):
        row.set_from(entry)
    KnowledgeEntry.objects.bulk_create(rows)
    if "threshold" in data:
        KnowledgeSettings.objects.create(bot=bot, threshold=float(data["threshold"]))


def _publish_if_it_compiles(flow: Flow, user: AbstractBaseUser | None) -> None:
    """An imported flow becomes version 1 when it compiles; otherwise it stays a draft for the editor to fix."""
    if not flow.graph.get("nodes"):
        return
    try:
        with transaction.atomic():
            flow_services.do_publish(flow, user, note=_("Imported"))
    except flow_services.PublishError:
        pass


def export_bot(bot: Bot) -> dict[str, Any]:
    flow = Flow.objects.filter(bot=bot).first()
    return {
        "format": FORMAT,
        "bot": {"name": bot.name, "slug": bot.slug, "dialect": bot.dialect, "description": bot.description},
        "intents": [
            {"name": i.name, "description": i.description, "is_global": i.is_global, "reply": i.reply}
            for i in bot.intents.order_by("id")
        ],
        "slots": [
            {"name": s.name, "type": s.type, "unit": s.unit, "values": s.values, "prompts": s.prompts}
            for s in bot.slots.order_by("id")
        ],
        "examples": [
            {"text": e.text, "intent": e.intent.name, "spans": e.spans, "context": e.context}
            for e in bot.examples.select_related("intent").order_by("id")
        ],
        "knowledge": {"threshold": knowledge_threshold(bot), "entries": [
            e.as_entry().to_json() for e in bot.knowledge.order_by("id")]},
        "flow": flow.graph if flow else {},
    }


def import_bot_job(job: Job, progress: Progress) -> dict:
    data = load_demo_bundle() if job.params.get("demo") else job.params["bundle"]
    progress(0.1, "importing")
    bot = do_import_bot(job.workspace, data, job.created_by)
    return {"bot": bot.slug, "name": bot.name}
