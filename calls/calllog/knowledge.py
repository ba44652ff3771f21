"""A bot's knowledge base (知识库): its entries (edit, import, export, matching threshold) and what calls made of it
(hits per entry, questions nothing answered). Entries are compiled into each published flow version
(`flows.services.bot_schema`), so an edit reaches calls when the flow is published next."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.models import Turn
from flows.models import FlowVersion
from flows.services import bot_schema
from nlu import knowledge
from nlu.models import KnowledgeEntry, KnowledgeSettings
from nlu.services import bot_understanding
from salesstudio.models import Bot

WINDOW_DAYS = 30
UNANSWERED_SHOWN = 20


def problem_message(error: knowledge.KnowledgeError) -> str:
    """What a manager reads about an entry or a file that cannot be used."""
    texts = {
        "no_question": _("The question is empty."),
        "no_answer": _("The answer is empty."),
        "bad_after": _("“%(value)s” is not one of 回到原问题, 转人工, 结束通话."),
        "too_many_phrasings": _("At most %(limit)s ways of asking per question."),
        "too_long": _("A question, phrasing or follow-up question is longer than 200 characters, or an answer "
                      "longer than 1000."),
        "bad_follow_up": _("Write each follow-up question as slot=question, e.g. 安装地点=您的项目在哪个城市？ "
                           "(not “%(line)s”)."),
        "too_many_follow_ups": _("At most %(limit)s follow-up questions per entry."),
        "encoding": _("The file is not a CSV in UTF-8 or GBK."),
        "empty": _("The file is empty."),
        "no_columns": _("The header row must name the columns 问题 and 回答 (and optionally 问法, 之后)."),
        "too_many_entries": _("A knowledge base holds at most %(limit)s questions."),
    }
    return texts[error.code] % error.params if error.params else texts[error.code]


def unpublished(bot: Bot) -> bool:
    """Whether the entries or the threshold differ from what the latest published flow version compiled in."""
    latest = FlowVersion.objects.filter(flow__bot=bot).order_by("-number").values_list("program", flat=True).first()
    if latest is None:
        return False
    return bot_schema(bot).get("knowledge", {}) != latest.get("knowledge", {})


def _draft_index(bot: Bot) -> knowledge.KnowledgeIndex | None:
    """The knowledge base as it is now (not only as published), matched as a live call matches it against the bot's
    intent examples; None without entries."""
    schema = bot_schema(bot).get("knowledge")
    return knowledge.cached_index(schema, bot_understanding(bot).texts) if schema else None


def try_question(bot: Bot, text: str) -> knowledge.Match | None:
    """What the knowledge base makes of `text`; None without entries."""
    index = _draft_index(bot) if text.strip() else None
    return index.match(text.strip()[:500]) if index else None


def nearest_questions(bot: Bot, texts: list[str]) -> dict[str, str]:
    """{text: the question of the entry nearest to it}, as a live call would rank the entries (what nothing answered
    is offered to that entry first as a new way of asking it); empty without entries."""
    index = _draft_index(bot) if texts else None
    return {text: index.match(text[:500]).question for text in texts} if index else {}


def do_set_threshold(bot: Bot, value: float) -> None:
    KnowledgeSettings.objects.update_or_create(bot=bot, defaults={"threshold": value})


def do_save_entry(bot: Bot, entry: KnowledgeEntry | None, cleaned: knowledge.Entry) -> KnowledgeEntry:
    """Create (entry None) or update an entry; raises ValidationError when another entry has the same question."""
    if KnowledgeEntry.objects.filter(bot=bot, question=cleaned.question).exclude(
            pk=entry.pk if entry else None).exists():
        raise ValidationError(_("Another entry already has this question."))
    entry = entry or KnowledgeEntry(bot=bot)
    entry.set_from(cleaned)
    entry.save()
    return entry


@dataclass
class ImportResult:
    created: int
    updated: int
    problems: list[str]


@transaction.atomic
def do_import_knowledge(bot: Bot, data: bytes) -> ImportResult:
    """Add the file's entries; an entry whose question the bot already has is replaced. Raises ValidationError for a
    file that cannot be read (nothing is saved)."""
    try:
        table = knowledge.read_csv(data)
    except knowledge.KnowledgeError as error:
        raise ValidationError(problem_message(error)) from None
    existing = {e.question: e for e in KnowledgeEntry.objects.select_for_update().filter(bot=bot)}
    created = updated = 0
    for item in table.entries:
        found = existing.get(item.question)
        do_save_entry(bot, found, item)
        created, updated = created + (found is None), updated + (found is not None)
    problems = [_("Line %(line)s: %(problem)s") % {"line": line, "problem": problem_message(error)}
                for line, error in table.errors]
    return ImportResult(created, updated, problems)


def export_knowledge(bot: Bot) -> bytes:
    return knowledge.write_csv([e.as_entry() for e in bot.knowledge.order_by("id")])


def do_add_phrasing(entry: KnowledgeEntry, text: str) -> bool:
    """Teach `entry` one more way of asking (what a caller said that nothing answered); False when it already had it
    or it is unusable."""
    text = " ".join(text.split())[:knowledge.MAX_QUESTION]
    if not text or text == entry.question or text in entry.phrasings or len(entry.phrasings) >= knowledge.MAX_PHRASINGS:
        return False
    entry.phrasings = [*entry.phrasings, text]
    entry.save(update_fields=["phrasings", "updated_at"])
    return True


def _recent_turns(bot: Bot, days: int):  # noqa: ANN202 — a queryset
    return Turn.objects.filter(call__bot=bot, event=Turn.Event.USER,
                               created_at__gte=timezone.now() - datetime.timedelta(days=days))


def hits(bot: Bot, days: int = WINDOW_DAYS) -> dict[str, int]:
    """How often each entry answered a caller in the last `days` days (question → count)."""
    rows = _recent_turns(bot, days).exclude(knowledge="").values("knowledge").annotate(n=Count("id"))
    return {row["knowledge"]: row["n"] for row in rows}


def unanswered(bot: Bot, days: int = WINDOW_DAYS, limit: int = UNANSWERED_SHOWN) -> list[dict]:
    """Questions callers asked that neither the flow nor the knowledge base understood (`knowledge.is_question`:
    not every no-match — 啊？ or 我在开车 is no question for an entry to answer), most frequent first, leaving out
    what has since been taught as a way of asking: [{"text", "n", "last"}]."""
    taught = {text for entry in bot.knowledge.all() for text in (entry.question, *entry.phrasings)}
    rows = (_recent_turns(bot, days).filter(no_match=True).exclude(user_text="").exclude(user_text__in=taught)
            .values("user_text").annotate(n=Count("id"), last=Max("created_at")).order_by("-n", "-last"))
    asked = (row for row in rows.iterator() if knowledge.is_question(row["user_text"]))
    return [{"text": row["user_text"], "n": row["n"], "last": row["last"]} for row in islice(asked, limit)]
