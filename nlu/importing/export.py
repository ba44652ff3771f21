"""Examples exported as JSONL (the dataset format plus exact spans and context) or CSV (for Excel)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from nlu.importing.table import safe_cell


def to_record(example: dict) -> dict:
    """An example dict → the JSONL export row (dataset format plus exact spans and context)."""
    slots: dict[str, object] = {}
    for span in example.get("spans") or []:
        surface = example["text"][span["start"]:span["end"]]
        slots[span["slot"]] = [*_as_list(slots[span["slot"]]), surface] if span["slot"] in slots else surface
    record = {"text": example["text"], "intent": example["intent"], "slots": slots}
    if example.get("spans"):
        record["spans"] = [{"slot": s["slot"], "start": s["start"], "end": s["end"], "value": s.get("value")}
                           for s in example["spans"]]
    if example.get("context"):
        record["context"] = example["context"]
    return record


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def export_jsonl(examples: Iterable[dict]) -> str:
    return "".join(json.dumps(to_record(e), ensure_ascii=False) + "\n" for e in examples)


def export_csv(examples: Iterable[dict]) -> str:
    """CSV with a UTF-8 BOM so that Excel opens the Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "intent", "slots", "context"])
    for example in examples:
        record = to_record(example)
        writer.writerow([safe_cell(cell) for cell in (
            record["text"], record["intent"], json.dumps(record["slots"], ensure_ascii=False) if record["slots"] else "",
            record.get("context", ""))])
    return "\ufeff" + out.getvalue()
