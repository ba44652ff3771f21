"""Bulk import and export of training examples as CSV and JSONL (plain Python, no Django).

JSONL rows follow the public datasets: `{"text", "intent", "slots": {slot: value | [values]}}`, optionally with
`char_tags` (BIOES per character, used in preference to locating values), `spans` (our own exports: exact offsets)
and `context`. CSV has a header with `text`, `intent` and optionally `slots` (a JSON object or `slot=value; …`) and
`context`.

`parse_upload(data, filename)` returns a `Parsed` with the good rows, line-numbered errors, merged duplicates and
conflicting labels; whole-file problems (size, encoding, binary, unknown extension) raise `ImportFileError`.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from nlu.lexicon import locate as lexicon_locate

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
MAX_TEXT = 500
MAX_NAME = 60
# Invisible characters that sneak in from spreadsheets and chat apps; removed (offsets are remapped).
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
    """Turn (line, record) pairs into a Parsed: errors per line, duplicates merged, conflicts flagged."""
    parsed, seen = Parsed(), {}
    for line, record in records:
        if len(parsed.rows) + len(parsed.errors) >= MAX_ROWS:
            parsed.errors.append((line, Message("more than {n} rows: the rest of the file was not read",
                                                {"n": MAX_ROWS})))
            break
        try:
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


def parse_jsonl(text: str, slots: dict[str, dict] | None = None) -> Parsed:
    """One JSON object per line; a file holding a single JSON array is accepted too."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ImportFileError("The file is not valid JSON: {error}", error=str(exc)) from None
        return collect(((i + 1, item) for i, item in enumerate(items)), slots)
    return collect(_jsonl_records(text), slots)


def _jsonl_records(text: str) -> Iterable[tuple[int, object]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, _Bad(RowError("not valid JSON ({error})", error=exc.msg))


class _Bad(dict):
    """A placeholder record that fails with its message."""

    def __init__(self, error: RowError) -> None:
        super().__init__()
        self.error = error

    def get(self, key, default=None):  # noqa: ANN001
        raise self.error


def parse_csv(text: str, delimiter: str | None = None, slots: dict[str, dict] | None = None) -> Parsed:
    """A header row naming `text` and `intent` (and optionally `slots`, `context`); Chinese headers are accepted."""
    if delimiter is None:
        sample = text[:4096]
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [HEADER_ALIASES.get(clean(h)[0].lower(), clean(h)[0].lower()) for h in next(reader)]
    except (StopIteration, csv.Error):
        raise ImportFileError("The CSV file has no header row.") from None
    if "text" not in header or "intent" not in header:
        raise ImportFileError("The CSV header must name the columns “text” and “intent”.")
    return collect(_csv_records(reader, header), slots)


HEADER_ALIASES = {"文本": "text", "语料": "text", "意图": "intent", "槽位": "slots", "上下文": "context"}


def _csv_records(reader, header: list[str]) -> Iterable[tuple[int, object]]:  # noqa: ANN001
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, _Bad(RowError("unreadable CSV ({error})", error=str(exc)))
            continue
        if not any(c.strip() for c in cells):
            continue
        record = dict(zip(header, (unescape_cell(c) for c in cells), strict=False))
        try:
            record["slots"] = parse_slot_cell(record.get("slots", ""))
        except RowError as exc:
            yield reader.line_num, _Bad(exc)
            continue
        yield reader.line_num, record


def parse_slot_cell(cell: str) -> dict:
    """`{"扬程": "五十米"}` or `扬程=五十米; 数量=两台` → dict. Raises RowError."""
    cell = (cell or "").strip()
    if not cell:
        return {}
    if cell.startswith("{"):
        try:
            value = json.loads(cell)
        except json.JSONDecodeError:
            raise RowError("the slots cell is not a valid JSON object") from None
        if not isinstance(value, dict):
            raise RowError("the slots cell is not a valid JSON object")
        return value
    slots: dict[str, list[str]] = {}
    for part in cell.replace("；", ";").split(";"):
        if not part.strip():
            continue
        name, sep, value = part.replace("＝", "=").partition("=")
        if not sep or not name.strip() or not value.strip():
            raise RowError("cannot read “{part}” in the slots cell (write slot=value; …)", part=part.strip())
        slots.setdefault(name.strip(), []).append(value.strip())
    return slots


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


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run as a formula: text that starts with = + - @, a tab or a carriage return
    gets a leading apostrophe (OWASP's advice for CSV injection). `unescape_cell` takes it off again on import."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def unescape_cell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:2] and value[1] in "".join(FORMULA_START) else value


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


def dialogue_intent(acts: list) -> str:
    """CrossWOZ user acts → one label, as in its NLU files: `Act+Domain` (or `General+greet`) in order, joined by |."""
    parts = [f"{a[0]}+{a[1]}" for a in acts if isinstance(a, (list, tuple)) and len(a) >= 2]
    return "|".join(dict.fromkeys(parts)) or "none"


def dialogue_turns(dialogue: dict) -> list[dict]:
    """One example per user turn: `{text, intent, spans, context, belief_state}`; `context` is the previous system
    utterance; spans are the informed values that can be found in the text (`领域-槽位`), others are dropped."""
    turns, context = [], ""
    for turn in dialogue.get("turns") or []:
        text = clean(str(turn.get("user") or ""))[0][:MAX_TEXT]
        spans, taken = [], []
        for act in turn.get("user_acts") or []:
            if len(act) < 4 or act[0] != "Inform" or act[3] in ("", "none", None):
                continue
            found = locate(text, f"{act[1]}-{act[2]}", str(act[3]))
            if found and all(found[1] <= a or found[0] >= b for a, b in taken):
                taken.append(found)
                spans.append({"slot": f"{act[1]}-{act[2]}", "start": found[0], "end": found[1], "value": str(act[3])})
        if text:
            turns.append({"text": text, "intent": dialogue_intent(turn.get("user_acts") or [])[:MAX_NAME],
                          "spans": sorted(spans, key=lambda s: s["start"]), "context": context[:MAX_TEXT],
                          "belief_state": turn.get("belief_state") or {}})
        context = clean(str(turn.get("system") or ""))[0]
    return turns


def parse_dialogues(text: str) -> tuple[list[list[dict]], list[tuple[int, Message]]]:
    """A DST JSONL file → (dialogues as lists of turns, line-numbered errors)."""
    dialogues, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append((number, Message("not valid JSON ({error})", {"error": exc.msg})))
            continue
        if not isinstance(record, dict) or not isinstance(record.get("turns"), list):
            errors.append((number, Message("expected a dialogue with turns")))
            continue
        dialogues.append(dialogue_turns(record))
    return dialogues, errors


def dialogue_rows(dialogues: list[list[dict]]) -> Parsed:
    """The dialogues' turns as import rows (duplicates merged, conflicting labels flagged)."""
    records = [(i + 1, {k: t[k] for k in ("text", "intent", "spans", "context")})
               for i, t in enumerate(t for d in dialogues for t in d)]
    return collect(records)
