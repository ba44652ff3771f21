"""JSONL (or one JSON array) of examples, as in the public datasets: `{"text", "intent", "slots": {slot: value |
[values]}}`, optionally with `char_tags` (BIOES per character, used in preference to locating values), `spans` (our
own exports: exact offsets) and `context`."""

from __future__ import annotations

import json
from collections.abc import Iterable

from nlu.importing.rows import ImportFileError, Parsed, RowError, collect


def parse_jsonl(text: str, slots: dict[str, dict] | None = None) -> Parsed:
    """One JSON object per line; a file holding a single JSON array is accepted too."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ImportFileError("The file is not valid JSON (line {line}, column {column}).", line=exc.lineno,
                                  column=exc.colno) from None
        return collect(((i + 1, item) for i, item in enumerate(items)), slots)
    return collect(_jsonl_records(text), slots)


def _jsonl_records(text: str) -> Iterable[tuple[int, object | RowError]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, RowError("not valid JSON (column {column})", column=exc.colno)
