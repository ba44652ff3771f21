"""CSV exports of filtered calls and their turns, streamed: rows come from a database cursor in chunks, so memory stays
flat however many calls match (PostgreSQL: a server-side cursor; SQLite: chunked fetches).

Made for a spreadsheet, in the language of the request: headers and codes (channel, event, yes/no) translated, times in
the configured time zone, nodes by their titles, and one column per slot of the bot (a call's: its final values).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.models import Call, Channel, Turn
from flows.compiler import node_titles
from flows.models import FlowVersion
from nlu.importing import safe_cell
from salesstudio.models import Bot

CHUNK = 2000
Cell = Callable[[Any, dict], Any]  # (value, the row's values by column) → the cell


class _Line:
    """A file-like object for csv.writer that hands back each written line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def call_rows(calls: QuerySet[Call], bot: Bot) -> Iterator[str]:
    """CSV lines of the calls, newest first; the headers are translated now, in the caller's language."""
    titles, slots = _node_titles(bot), list(bot.slots.values_list("name", flat=True))
    labels = _labels()
    columns: list[tuple[str, str, Cell]] = [
        ("id", _("Call number"), _same), ("started_at", _("Started"), _local), ("ended_at", _("Ended"), _local),
        ("flow_version__number", _("Flow version"), _same), ("model_version__number", _("Model version"), _same),
        ("channel", _("Channel"), labels), ("mode", _("Mode"), labels), ("outcome", _("Outcome"), _same),
        ("grade", _("Lead grade"), _same),
        ("end_node", _("Ended at node"), lambda v, row: _title(titles, row["flow_version__number"], v)),
        ("completed", _("Completed"), _yes_no), ("turn_count", _("Turns"), _same),
        ("user_turn_count", _("Customer turns"), _same), ("no_match_count", _("No-matches"), _same),
        ("silence_count", _("Silences"), _same), ("barge_in_count", _("Barge-ins"), _same),
        ("max_latency_ms", _("Slowest turn (ms)"), _same)]
    last_slots = Turn.objects.filter(call=OuterRef("pk")).order_by("-index").values("slots")[:1]
    rows = (calls.annotate(final_slots=Subquery(last_slots)).order_by("-started_at", "-id")
            .values(*[c[0] for c in columns], "final_slots").iterator(chunk_size=CHUNK))
    return _csv(columns, slots, "final_slots", rows)


def turn_rows(calls: QuerySet[Call], bot: Bot) -> Iterator[str]:
    """CSV lines of the calls' turns in call and turn order."""
    titles, slots = _node_titles(bot), list(bot.slots.values_list("name", flat=True))
    labels = _labels()
    node = lambda v, row: _title(titles, row["call__flow_version__number"], v)  # noqa: E731
    columns: list[tuple[str, str, Cell]] = [
        ("call_id", _("Call number"), _same), ("index", _("Turn"), _same), ("created_at", _("Time"), _local),
        ("event", _("Event"), labels), ("from_node", _("From node"), node), ("node", _("Node"), node),
        ("path", _("Nodes passed"), lambda v, row: " → ".join(node(n, row) for n in v or [])),
        ("user_text", _("Customer said"), _same), ("asr_confidence", _("Recognition confidence"), _same),
        ("intent", _("Intent"), _same), ("intent_confidence", _("Intent confidence"), _same),
        ("bot_text", _("Bot said"), _same), ("knowledge", _("Knowledge-base answer"), _same),
        ("no_match", _("No-match"), _yes_no), ("silence", _("Silence"), _yes_no),
        ("barge_in", _("Barge-in"), _yes_no), ("vad_ms", _("Endpointing (ms)"), _same),
        ("asr_ms", _("Speech recognition (ms)"), _same), ("nlu_ms", _("Understanding (ms)"), _same),
        ("flow_ms", _("Flow (ms)"), _same), ("tts_ms", _("Speech synthesis (ms)"), _same),
        ("total_ms", _("Whole turn (ms)"), _same), ("call__flow_version__number", _("Flow version"), _same)]
    rows = (Turn.objects.filter(call__in=calls).order_by("call_id", "index")
            .values(*[c[0] for c in columns], "slots").iterator(chunk_size=CHUNK))
    return _csv(columns, slots, "slots", rows)


def _csv(columns: list[tuple[str, str, Cell]], slots: list[str], slot_field: str,
         rows: Iterator[dict]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([label for _, label, _ in columns] + slots)  # the BOM: Excel reads UTF-8
    for row in rows:
        values = row[slot_field] or {}
        cells = [cell(row[name], row) for name, _, cell in columns] + [_slot(values.get(s)) for s in slots]
        yield writer.writerow([safe_cell(c) for c in cells])  # a caller's words are never run as a formula


def _same(value: Any, row: dict) -> Any:
    return value


def _local(value: Any, row: dict) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _yes_no(value: Any, row: dict) -> str:
    return _("yes") if value else _("no")


def _labels() -> Cell:
    """Channel, mode and event codes as the pages show them."""
    names = {code: str(label) for code, label in [*Channel.choices, *Call.Mode.choices, *Turn.Event.choices]}
    return lambda value, row: names.get(value, value)


def _slot(value: Any) -> Any:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def _node_titles(bot: Bot) -> dict[int, dict[str, str]]:
    """Node titles per published version number."""
    return {number: node_titles(program)
            for number, program in FlowVersion.objects.filter(flow__bot=bot).values_list("number", "program")}


def _title(titles: dict[int, dict[str, str]], version: int | None, node: str | None) -> str:
    return titles.get(version, {}).get(node, node) if node else ""
