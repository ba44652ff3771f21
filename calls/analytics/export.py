"""CSV exports of filtered calls and their turns, streamed: rows come from a database cursor in chunks, so memory stays
flat however many calls match (PostgreSQL: a server-side cursor; SQLite: chunked fetches)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.db.models import QuerySet

from calls.models import Call, Turn
from nlu.importing import safe_cell

CALL_COLUMNS = ["id", "started_at", "ended_at", "flow_version__number", "model_version__number", "channel", "mode",
                "outcome", "end_node", "completed", "turn_count", "user_turn_count", "no_match_count",
                "silence_count", "barge_in_count", "max_latency_ms"]
TURN_COLUMNS = ["call_id", "index", "created_at", "event", "from_node", "node", "path", "user_text", "asr_confidence",
                "intent", "intent_confidence", "slots", "changed_slots", "bot_text", "no_match", "silence", "barge_in",
                "vad_ms", "asr_ms", "nlu_ms", "flow_ms", "tts_ms", "total_ms"]
JSON_COLUMNS = {"path", "slots", "changed_slots"}
CHUNK = 2000


class _Line:
    """A file-like object for csv.writer that hands back each written line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _csv(header: list[str], rows: Iterator[tuple]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(header)  # the BOM makes Excel read the Chinese text as UTF-8
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])  # a caller's words are never run as a formula


def call_rows(calls: QuerySet[Call]) -> Iterator[str]:
    """CSV lines of the calls, newest first."""
    rows = calls.order_by("-started_at", "-id").values_list(*CALL_COLUMNS).iterator(chunk_size=CHUNK)
    header = [c.replace("__number", "") for c in CALL_COLUMNS]
    return _csv(header, rows)


def turn_rows(calls: QuerySet[Call]) -> Iterator[str]:
    """CSV lines of the calls' turns in call and turn order; JSON columns as JSON text."""
    positions = [i for i, c in enumerate(TURN_COLUMNS) if c in JSON_COLUMNS]
    rows = (Turn.objects.filter(call__in=calls).order_by("call_id", "index").values_list(*TURN_COLUMNS)
            .iterator(chunk_size=CHUNK))
    return _csv(TURN_COLUMNS, (_json_cells(row, positions) for row in rows))


def _json_cells(row: tuple, positions: list[int]) -> tuple:
    cells = list(row)
    for i in positions:
        cells[i] = json.dumps(cells[i], ensure_ascii=False)
    return tuple(cells)
