"""Bulk import and export of training examples (plain Python, no Django): one module per format (`jsonl`, `table`
for CSV/TSV, `crosswoz` for dialogue-state files, `export`), the rows they share in `rows`.

`parse_upload(data, filename)` returns a `Parsed` with the good rows, line-numbered errors, merged duplicates and
conflicting labels; whole-file problems (size, encoding, binary, unknown extension) raise `ImportFileError`.
"""

from __future__ import annotations

from nlu.importing.crosswoz import dialogue_rows, dialogue_turns, parse_dialogues
from nlu.importing.export import export_csv, export_jsonl, to_record
from nlu.importing.jsonl import parse_jsonl
from nlu.importing.rows import (
    MAX_BYTES,
    MAX_NAME,
    MAX_ROWS,
    MAX_TEXT,
    ImportFileError,
    Message,
    Parsed,
    Row,
    RowError,
    clean,
    collect,
    decode,
    locate,
)
from nlu.importing.table import parse_csv, safe_cell, unescape_cell

__all__ = ["MAX_BYTES", "MAX_NAME", "MAX_ROWS", "MAX_TEXT", "ImportFileError", "Message", "Parsed", "Row", "RowError",
           "clean", "collect", "decode", "dialogue_rows", "dialogue_turns", "export_csv", "export_jsonl", "locate",
           "parse_csv", "parse_dialogues", "parse_jsonl", "parse_upload", "safe_cell", "to_record", "unescape_cell"]


def parse_upload(data: bytes, filename: str, slots: dict[str, dict] | None = None) -> Parsed:
    """Parse an uploaded file by its extension (.jsonl/.json/.ndjson or .csv/.tsv). Raises ImportFileError.

    `slots` maps slot names to the lexicon's definitions (`{name, type, unit, values}`) so that normalised values and
    synonyms can be located in the text."""
    name = filename.lower()
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return parse_jsonl(decode(data), slots)
    if name.endswith((".csv", ".tsv", ".txt")):
        return parse_csv(decode(data), delimiter="\t" if name.endswith(".tsv") else None, slots=slots)
    raise ImportFileError("Unsupported file type: upload a .csv or .jsonl file.")
