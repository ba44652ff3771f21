"""CSV or TSV of examples: a header naming `text` and `intent` (Chinese headers too), optionally `slots` (a JSON
object or `slot=value; …`) and `context`; cells a spreadsheet would run as formulas are escaped on export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from nlu import jsonguard
from nlu.importing.rows import ImportFileError, Parsed, RowError, clean, collect
from nlu.jsonguard import UnsafeJson

HEADER_ALIASES = {"文本": "text", "语料": "text", "意图": "intent", "槽位": "slots", "上下文": "context"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


def _csv_records(reader, header: list[str]) -> Iterable[tuple[int, object | RowError]]:  # noqa: ANN001
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, RowError("unreadable CSV ({error})", error=str(exc))
            continue
        if not any(c.strip() for c in cells):
            continue
        record = dict(zip(header, (unescape_cell(c) for c in cells), strict=False))
        try:
            record["slots"] = parse_slot_cell(record.get("slots", ""))
        except RowError as exc:
            yield reader.line_num, exc
            continue
        yield reader.line_num, record


def parse_slot_cell(cell: str) -> dict:
    """`{"扬程": "五十米"}` or `扬程=五十米; 数量=两台` → dict. Raises RowError."""
    cell = (cell or "").strip()
    if not cell:
        return {}
    if cell.startswith("{"):
        try:
            value = jsonguard.loads(cell)
        except UnsafeJson:
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


def decode_table(data: bytes) -> Iterator[list[str]]:
    """The rows of a spreadsheet's CSV export: UTF-8 (with or without a BOM) or GB18030 (Excel on a Chinese Windows
    saves GBK), comma- or tab-separated. Raises ValueError when the bytes are neither encoding (or hold NUL bytes)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError("not UTF-8 or GB18030 text")
    if "\0" in text:
        raise ValueError("binary data")
    sample = text[:4096]
    return csv.reader(io.StringIO(text, newline=""), delimiter="\t" if sample.count("\t") > sample.count(",") else ",")


def safe_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run as a formula: text that starts with = + - @, a tab or a carriage return
    gets a leading apostrophe (OWASP's advice for CSV injection). `unescape_cell` takes it off again on import."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def unescape_cell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:2] and value[1] in "".join(FORMULA_START) else value
