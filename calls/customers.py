"""A customer list as a manager exports it from a CRM or a spreadsheet: CSV (UTF-8 or GBK) or Excel .xlsx, a header
row, one customer per row (plain Python, no Django).

Columns named 姓名/name, 电话/手机/phone and 公司/company are the customer's; every other column becomes a variable
that scripts can say (`{上次购买型号}`). Phones are normalised to digits (`nlu.normalize.parse_phone`), which is the
key a list is deduplicated on. Cells a spreadsheet would run as formulas were escaped on export and are read back
as the text they were.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from nlu.importing.table import decode_table, unescape_cell
from nlu.normalize import parse_phone

MAX_ROWS = 50_000
MAX_VARIABLES = 30
COLUMNS = {"姓名": "name", "客户姓名": "name", "name": "name", "电话": "phone", "手机": "phone", "手机号": "phone",
           "phone": "phone", "公司": "company", "单位": "company", "company": "company"}


class TableError(ValueError):
    """The file as a whole cannot be read; `code` is one of: empty, no_phone_column, too_many_variables,
    too_many_rows, encoding, not_xlsx."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Row:
    line: int
    name: str
    phone: str
    company: str
    variables: dict[str, str] = field(default_factory=dict)


@dataclass
class Table:
    rows: list[Row]
    bad_phones: list[tuple[int, str]]  # (line, the cell), lines counted as a spreadsheet shows them (header = 1)
    duplicates: int = 0  # rows whose phone an earlier row of the file already had (the later one wins)


def read_customers(data: bytes, filename: str) -> Table:
    """Raises TableError for a file that cannot be read at all; row problems are reported per line."""
    records = _xlsx(data) if filename.lower().endswith(".xlsx") else _csv(data)
    try:
        header = [str(cell or "").strip() for cell in next(records)]
    except StopIteration:
        raise TableError("empty") from None
    keys = [COLUMNS.get(name.lower(), COLUMNS.get(name, name)) for name in header]
    if "phone" not in keys:
        raise TableError("no_phone_column")
    if sum(1 for k in keys if k not in ("name", "phone", "company") and k) > MAX_VARIABLES:
        raise TableError("too_many_variables")
    rows, errors, seen, duplicates = [], [], {}, 0
    for line, cells in enumerate(records, start=2):
        if line > MAX_ROWS + 1:
            raise TableError("too_many_rows")
        values = {key: unescape_cell(str(cell).strip()) for key, cell in zip(keys, cells, strict=False)
                  if key and cell is not None and str(cell).strip()}
        if not values:
            continue
        phone = parse_phone(values.get("phone", ""))
        if phone is None:
            errors.append((line, values.get("phone", "")[:40]))
            continue
        row = Row(line, values.pop("name", "")[:100], phone, values.pop("company", "")[:200],
                  {k: v[:500] for k, v in values.items() if k != "phone"})
        if phone in seen:
            duplicates += 1
            rows[seen[phone]] = row
        else:
            seen[phone] = len(rows)
            rows.append(row)
    return Table(rows, errors, duplicates)


def _csv(data: bytes):  # noqa: ANN202 — an iterator of rows
    try:
        return decode_table(data)
    except ValueError:
        raise TableError("encoding") from None


def _xlsx(data: bytes):  # noqa: ANN202
    from zipfile import BadZipFile

    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError("not_xlsx") from exc
    return (list(row) for row in book.worksheets[0].iter_rows(values_only=True))
