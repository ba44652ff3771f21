"""One guard for every JSON document a user sends — form fields, uploaded files, socket frames: its size, nesting
depth, number lengths and Unicode are checked, so hostile input gets a clear error instead of a crash (a 2,000-deep
array is a RecursionError in the parser, a 5,000-digit integer a ValueError, a lone surrogate a UnicodeEncodeError
when the value is saved).

`loads(text)` returns the value or raises `UnsafeJson` (a ValueError) whose `code` says what was wrong ("size",
"depth", "number", "unicode", "encoding" or "syntax", with `line` and `column` for syntax) and whose `message` says it
in English; `nlu.forms.json_error` words it for the page in the user's language. Plain Python, no Django.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 64  # nothing the product stores nests deeper than a dozen levels
MAX_NUMBER_CHARS = 30  # digits of an integer (or characters of a float): ids, counts and money fit with room


class UnsafeJson(ValueError):
    def __init__(self, code: str, message: str, *, line: int | None = None, column: int | None = None,
                 limit: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.line, self.column, self.limit = code, message, line, column, limit


def loads(text: str | bytes, *, max_chars: int | None = None, max_depth: int = MAX_DEPTH, **options: Any) -> Any:
    """`json.loads` with the checks above. `max_chars` bounds the text's length (checked before anything else);
    `options` go to `json.loads` (object_pairs_hook, parse_constant…)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UnsafeJson("encoding", "the text is not UTF-8") from None
    if max_chars is not None and len(text) > max_chars:
        raise UnsafeJson("size", f"the JSON is longer than {max_chars} characters", limit=max_chars)
    _check_depth(text, max_depth)
    options.setdefault("parse_int", _integer)
    options.setdefault("parse_float", _float)
    try:
        value = json.loads(text, **options)
    except json.JSONDecodeError as exc:
        raise UnsafeJson("syntax", f"not valid JSON (line {exc.lineno}, column {exc.colno})", line=exc.lineno,
                         column=exc.colno) from None
    except RecursionError:  # nesting the scan did not see (it skips strings correctly; this is a last resort)
        raise UnsafeJson("depth", f"the JSON nests deeper than {max_depth} levels", limit=max_depth) from None
    try:  # a lone surrogate (\ud800) parses, and fails only when the value is written somewhere
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafeJson("unicode", "the JSON holds an invalid character (a lone surrogate)") from None
    return value


def _check_depth(text: str, max_depth: int) -> None:
    if text.count("[") + text.count("{") <= max_depth:
        return  # cannot nest deeper than it has brackets
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                raise UnsafeJson("depth", f"the JSON nests deeper than {max_depth} levels", limit=max_depth)
        elif char in "]}":
            depth -= 1


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_CHARS:
        raise UnsafeJson("number", f"a number has more than {MAX_NUMBER_CHARS} digits", limit=MAX_NUMBER_CHARS)
    return int(digits)


def _float(text: str) -> float:
    value = float(text) if len(text) <= MAX_NUMBER_CHARS else math.inf
    if not math.isfinite(value):
        raise UnsafeJson("number", f"a number has more than {MAX_NUMBER_CHARS} digits or is too large",
                         limit=MAX_NUMBER_CHARS)
    return value
