"""Character error rate for Chinese ASR, with the normalisation used by every figure we publish.

normalize(): traditional → simplified (OpenCC t2s), full-width → half-width (NFKC), lower case, Arabic numbers read
out as Chinese numerals, then punctuation, symbols and spaces removed. Number reading follows how people say them:
quantities positionally (50 → 五十, 2.5 → 二点五, 50% → 百分之五十), four-digit years before 年 and long or
zero-led digit strings (phone numbers, codes) digit by digit (2019年 → 二零一九年, 138… → 一三八…).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

DIGITS = "零一二三四五六七八九"
_SMALL_UNITS = ("", "十", "百", "千")
_NUMBER = re.compile(r"(\d+)(?:\.(\d+))?(%?)")
_DIGITWISE_FROM = 7  # this many digits or more: read digit by digit (phone numbers, order numbers)


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC  # opencc-python-reimplemented; loaded once, lazily (dictionary load ~0.1 s)

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified characters (idempotent on simplified text)."""
    return _t2s().convert(text)


def digitwise(digits: str) -> str:
    """'2019' → '二零一九'."""
    return "".join(DIGITS[int(d)] for d in digits)


def _below_10000(value: int) -> str:
    out, zero_pending = [], False
    for power in range(3, -1, -1):
        digit = value // 10**power % 10
        if digit == 0:
            zero_pending = bool(out)
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(DIGITS[digit] + _SMALL_UNITS[power])
    return "".join(out)


def integer_to_chinese(value: int) -> str:
    """Positional reading of 0 ≤ value < 10^12: 50 → 五十, 15 → 十五, 105 → 一百零五, 25000 → 二万五千."""
    if value == 0:
        return "零"
    groups, parts = [], []
    while value:
        groups.append(value % 10000)
        value //= 10000
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        if parts and group < 1000:
            parts.append("零")
        parts.append(_below_10000(group) + ("", "万", "亿")[index])
    text = "".join(parts)
    # Spoken Chinese says 十五, not 一十五, at the start of a number.
    return text[1:] if text.startswith("一十") else text


def _read_number(match: re.Match[str], following: str) -> str:
    whole, fraction, percent = match.group(1), match.group(2), match.group(3)
    year = len(whole) == 4 and following.startswith("年")
    if year or len(whole) >= _DIGITWISE_FROM or (len(whole) > 1 and whole.startswith("0")):
        spoken = digitwise(whole)
    else:
        spoken = integer_to_chinese(int(whole))
    if fraction:
        spoken += "点" + digitwise(fraction)
    return "百分之" + spoken if percent else spoken


def numbers_to_chinese(text: str) -> str:
    """Replace every Arabic number in `text` by its Chinese reading."""
    return _NUMBER.sub(lambda m: _read_number(m, text[m.end():]), text)


def normalize(text: str) -> str:
    """Canonical form for CER: simplified, half-width, lower case, numbers read out, no punctuation or spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = numbers_to_chinese(to_simplified(text))
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")


def edit_distance(ref: str, hyp: str) -> int:
    """Levenshtein distance (substitutions + deletions + insertions) between two strings."""
    if len(ref) < len(hyp):
        ref, hyp = hyp, ref
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def cer(ref: str, hyp: str) -> float:
    """CER of one hypothesis after normalisation; an empty reference gives 0.0 for an empty hypothesis, else 1.0."""
    r, h = normalize(ref), normalize(hyp)
    if not r:
        return 0.0 if not h else 1.0
    return edit_distance(r, h) / len(r)


def corpus_cer(pairs: Iterable[tuple[str, str]]) -> float:
    """Corpus CER: total edits / total reference characters over (reference, hypothesis) pairs (0.0 when empty)."""
    edits = chars = 0
    for ref, hyp in pairs:
        r, h = normalize(ref), normalize(hyp)
        edits += edit_distance(r, h)
        chars += len(r)
    return edits / chars if chars else 0.0
