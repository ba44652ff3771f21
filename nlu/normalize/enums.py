"""Enumeration values and their synonyms, compared after mapping dialect words to Mandarin (勒个 → 这个)."""

from __future__ import annotations

import re
from typing import Any

from nlu.normalize.text import EDGE, canonical_text

# Dialect words and their Mandarin, longest first; used to compare enum values, never to rewrite stored text.
DIALECT = (("系唔系", "是不是"), ("系不系", "是不是"), ("几多钱", "多少钱"), ("好多钱", "多少钱"), ("几多", "多少"),
           ("唔系", "不是"), ("唔要", "不要"), ("莫要", "不要"), ("唔该", "谢谢"), ("啥子", "什么"), ("乜嘢", "什么"),
           ("勒个", "这个"), ("嘞个", "这个"), ("呢个", "这个"), ("嗰个", "那个"), ("莫得", "没有"), ("没得", "没有"),
           ("冇", "没有"), ("咩", "什么"), ("啷个", "怎么"), ("咋个", "怎么"), ("点样", "怎样"), ("边个", "哪个"),
           ("要得", "好的"), ("巴适", "好"), ("而家", "现在"), ("听日", "明天"), ("噉", "这样"), ("喺", "在"),
           ("嘅", "的"), ("佢", "他"), ("咗", "了"), ("唔", "不"))
_DIALECT_RE = re.compile("|".join(re.escape(d) for d, _ in DIALECT) + r"|(?<![联关体派])系(?![统列数])")
_DIALECT_MAP = dict(DIALECT) | {"系": "是"}


def to_mandarin(text: str) -> str:
    """Canonical text with Sichuanese / Cantonese words replaced by Mandarin (勒个 → 这个, 好多钱 → 多少钱).

    The length may change: use it to compare, not to locate."""
    return _DIALECT_RE.sub(lambda m: _DIALECT_MAP[m[0]], canonical_text(text))


def _match_key(text: str) -> str:
    return re.sub(r"[\s" + re.escape(EDGE) + r"\-_]+", "", to_mandarin(text))


def enum_entries(values: list[Any] | None) -> list[tuple[str, str]]:
    """(surface, canonical value) pairs of an enum definition: ``[{"value", "synonyms"}]`` or plain strings."""
    entries = []
    for item in values or []:
        if isinstance(item, str):
            entries.append((item, item))
        elif isinstance(item, dict) and isinstance(item.get("value"), str):
            entries.append((item["value"], item["value"]))
            entries += [(syn, item["value"]) for syn in item.get("synonyms") or [] if isinstance(syn, str) and syn]
    return [(surface, value) for surface, value in entries if surface.strip()]


def parse_enum(text: str, values: list[Any] | None) -> str | None:
    """Canonical value named by ``text``: the value itself or a synonym, compared after canonicalisation and dialect
    mapping (勒个离心泵 → 离心泵). Falls back to the longest value/synonym inside ``text``; None when there is none
    or when two values tie."""
    if not isinstance(text, str):
        return None
    key = _match_key(text)
    entries = [(_match_key(surface), value) for surface, value in enum_entries(values)]
    if not key or not entries:
        return None
    exact = {value for surface, value in entries if surface == key}
    if exact:
        return exact.pop() if len(exact) == 1 else None
    inside = [(len(surface), value) for surface, value in entries if surface and surface in key]
    if not inside:
        return None
    longest = max(length for length, _ in inside)
    best = {value for length, value in inside if length == longest}
    return best.pop() if len(best) == 1 else None
