"""Rows of training examples from any format: limits, the messages of what is wrong, text cleaning, slot spans
located in the text, and the collection of (line, record) pairs into a `Parsed` (plain Python, no Django)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from nlu.lexicon import locate as lexicon_locate

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
MAX_TEXT = 500
MAX_NAME = 60

INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}


@dataclass(frozen=True)
class Message:
    """An English template with named `{params}`: the web layer translates the template, then formats it."""

    template: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template.format(**self.params)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (too big, not text, unknown type); nothing was imported."""

    def __init__(self, template: str, **params: object) -> None:
        self.message = Message(template, params)
        super().__init__(str(self.message))


class RowError(ValueError):
    """One row is unusable; `message` says why."""

    def __init__(self, template: str, **params: object) -> None:
        self.message = Message(template, params)
        super().__init__(str(self.message))


@dataclass
class Row:
    line: int
    text: str
    intent: str
    spans: list[dict] = field(default_factory=list)
    context: str = ""

    def as_example(self) -> dict:
        return {"text": self.text, "intent": self.intent, "spans": self.spans, "context": self.context}


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    errors: list[tuple[int, Message]] = field(default_factory=list)  # (line, message)
    duplicates: int = 0
    conflicts: list[tuple[int, Message]] = field(default_factory=list)  # (line, message)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.conflicts


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (Excel on Chinese Windows). Raises ImportFileError."""
    if len(data) > MAX_BYTES:
        raise ImportFileError("The file is larger than {mb} MB.", mb=MAX_BYTES // (1024 * 1024))
    if not data.strip():
        raise ImportFileError("The file is empty.")
    if b"\x00" in data[:8192]:
        raise ImportFileError("This is not a text file (it contains binary data).")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("The file is not UTF-8 or GB18030 text: save it as UTF-8 and try again.")


def clean(text: str) -> tuple[str, list[int]]:
    """NFC text without invisible/control characters and outer whitespace, and old index → new index (len+1)."""
    text = unicodedata.normalize("NFC", text)
    kept, mapping = [], []
    for char in text:
        mapping.append(len(kept))
        if char in INVISIBLE or (unicodedata.category(char) == "Cc"):
            continue
        kept.append(" " if char in "\u3000\xa0" else char)
    mapping.append(len(kept))
    joined = "".join(kept)
    lead = len(joined) - len(joined.lstrip())
    stripped = joined.strip()
    return stripped, [min(max(0, m - lead), len(stripped)) for m in mapping]


def locate(text: str, slot: str | dict, value: str) -> tuple[int, int] | None:
    """Where `value` of `slot` occurs in `text`: the lexicon's matcher, else a case-insensitive exact match."""
    found = lexicon_locate(text, slot, value)
    if not found and isinstance(slot, dict):  # CSV cells are strings: "50" may be the normalised 50 of 五十米
        try:
            found = lexicon_locate(text, slot, float(value))
        except ValueError:
            pass
    if found:
        return found[0], found[1]
    start = text.find(value)
    if start < 0:
        start = text.casefold().find(value.casefold())
    return (start, start + len(value)) if start >= 0 and value else None


def spans_from_char_tags(text: str, tags: list[str]) -> list[dict]:
    """BIOES (or BIO) tags per character → spans. Raises RowError on a length mismatch."""
    if len(tags) != len(text):
        raise RowError("char_tags has {tags} tags for {chars} characters", tags=len(tags), chars=len(text))
    spans, start, slot = [], None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, name = str(tag).partition("-")
        if start is not None and (prefix in ("O", "B", "S") or name != slot):
            spans.append({"slot": slot, "start": start, "end": i, "value": text[start:i]})
            start = None
        if prefix in ("B", "S") or (prefix in ("I", "E") and start is None and name):
            start, slot = i, name
        if prefix in ("E", "S") and start is not None:
            spans.append({"slot": slot, "start": start, "end": i + 1, "value": text[start:i + 1]})
            start = None
    return spans


def row_from_record(line: int, record: object, slots: dict[str, dict] | None = None) -> Row:
    """One JSON object or CSV record → Row. Raises RowError with a message for the user."""
    if not isinstance(record, dict):
        raise RowError("expected a JSON object")
    raw_text, intent = record.get("text"), record.get("intent")
    if not isinstance(raw_text, str) or not raw_text.strip():
        raise RowError("the text is missing")
    if not isinstance(intent, str) or not clean(intent)[0]:
        raise RowError("the intent is missing")
    intent = clean(intent)[0]
    text, mapping = clean(raw_text)
    if len(text) > MAX_TEXT:
        raise RowError("the text is longer than {n} characters", n=MAX_TEXT)
    if len(intent) > MAX_NAME:
        raise RowError("the intent name is longer than {n} characters", n=MAX_NAME)
    context = record.get("context") or ""
    context = clean(context if isinstance(context, str) else " ".join(map(str, context)))[0][:MAX_TEXT]
    spans = _remap(_raw_spans(raw_text, record, slots or {}), mapping, text)
    return Row(line, text, intent, _check_spans(text, spans), context)


def _raw_spans(raw_text: str, record: dict, definitions: dict[str, dict]) -> list[dict]:
    if isinstance(record.get("spans"), list) and record["spans"]:
        return [{"slot": str(s["slot"]), "start": int(s["start"]), "end": int(s["end"]),
                 "value": s.get("value", raw_text[int(s["start"]):int(s["end"])])} for s in record["spans"]]
    if isinstance(record.get("char_tags"), list):
        return spans_from_char_tags(raw_text, record["char_tags"])
    slots = record.get("slots") or {}
    if not isinstance(slots, dict):
        raise RowError("slots must be an object {{slot: value}}")
    spans = []
    for slot, values in slots.items():
        for value in values if isinstance(values, list) else [values]:
            value = str(value).strip()
            found = locate(raw_text, definitions.get(str(slot), str(slot)), value) if value else None
            if found is None:
                raise RowError("the value “{value}” of slot “{slot}” is not in the text", value=value, slot=slot)
            spans.append({"slot": str(slot), "start": found[0], "end": found[1], "value": value})
    return spans


def _remap(spans: list[dict], mapping: list[int], text: str) -> list[dict]:
    out = []
    for span in spans:
        if not 0 <= span["start"] < span["end"] < len(mapping):
            raise RowError("the span of slot “{slot}” is outside the text", slot=span["slot"])
        start, end = mapping[span["start"]], mapping[span["end"]]
        if start < end:
            out.append({**span, "start": start, "end": end, "value": span.get("value") or text[start:end]})
    return out


def _check_spans(text: str, spans: list[dict]) -> list[dict]:
    spans = sorted(spans, key=lambda s: (s["start"], s["end"]))
    for previous, span in zip(spans, spans[1:], strict=False):
        if span["start"] < previous["end"]:
            raise RowError("the spans of “{a}” and “{b}” overlap", a=previous["slot"], b=span["slot"])
    for span in spans:
        if not span["slot"] or len(span["slot"]) > MAX_NAME:
            raise RowError("a slot name is empty or too long")
    return spans


def collect(records: Iterable[tuple[int, object]], slots: dict[str, dict] | None = None) -> Parsed:
    """Turn (line, record) pairs into a Parsed: errors per line, duplicates merged, conflicts flagged. A record may be
    the RowError of a line its format could not read."""
    parsed, seen = Parsed(), {}
    for line, record in records:
        if len(parsed.rows) + len(parsed.errors) >= MAX_ROWS:
            parsed.errors.append((line, Message("more than {n} rows: the rest of the file was not read",
                                                {"n": MAX_ROWS})))
            break
        try:
            if isinstance(record, RowError):  # the format could not read the line
                raise record
            row = row_from_record(line, record, slots)
        except RowError as exc:
            parsed.errors.append((line, exc.message))
            continue
        except (ValueError, KeyError, TypeError) as exc:
            parsed.errors.append((line, Message("cannot read this row ({error})", {"error": str(exc)})))
            continue
        first = seen.get(row.text)
        if first is None:
            seen[row.text] = row
            parsed.rows.append(row)
        elif first.intent != row.intent:
            parsed.conflicts.append((line, Message("“{text}” is labelled “{intent}” here but “{other}” on line {line}",
                                                   {"text": row.text, "intent": row.intent, "other": first.intent,
                                                    "line": first.line})))
        else:
            parsed.duplicates += 1
            if not first.spans and row.spans:
                first.spans = row.spans
    return parsed
