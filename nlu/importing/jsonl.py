"""JSONL (or one JSON array) of examples, as in the public datasets: `{"text", "intent", "slots": {slot: value |
[values]}}`, optionally with `char_tags` (BIOES per character, used in preference to locating values), `spans` (our
own exports: exact offsets) and `context`."""

from __future__ import annotations

from collections.abc import Iterable

from nlu import jsonguard
from nlu.importing.rows import ImportFileError, Parsed, RowError, collect
from nlu.jsonguard import UnsafeJson

# What nlu.jsonguard refuses besides bad syntax, as the import report says it.
UNUSABLE = {"depth": "the JSON nests deeper than {limit} levels", "number": "a number is longer than {limit} digits",
            "unicode": "the JSON holds an invalid character", "size": "the JSON is longer than {limit} characters"}


def parse_jsonl(text: str, slots: dict[str, dict] | None = None) -> Parsed:
    """One JSON object per line; a file holding a single JSON array is accepted too."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = jsonguard.loads(stripped)
        except UnsafeJson as exc:
            if exc.code != "syntax":
                raise ImportFileError(UNUSABLE[exc.code], limit=exc.limit) from None
            raise ImportFileError("The file is not valid JSON (line {line}, column {column}).", line=exc.line,
                                  column=exc.column) from None
        return collect(((i + 1, item) for i, item in enumerate(items)), slots)
    return collect(_jsonl_records(text), slots)


def _jsonl_records(text: str) -> Iterable[tuple[int, object | RowError]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, jsonguard.loads(line)
        except UnsafeJson as exc:
            yield number, (RowError("not valid JSON (column {column})", column=exc.column) if exc.code == "syntax"
                           else RowError(UNUSABLE[exc.code], limit=exc.limit))
