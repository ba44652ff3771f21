"""Normalisers: from what a caller said to the canonical value of a slot.

Pure, offline and Django-free. Input may be simplified or traditional Chinese, full- or half-width, Mandarin,
Sichuanese or Cantonese; output is a plain JSON value:

- ``number``   五十, 50m, 1.5, 十几, 每小时30方  → int or float in the slot's unit (50米 → 50, 5厘米 → 0.05)
- ``quantity`` 三台, 两套, 10个                → int (approximate counts round up: 三四台 → 4)
- ``money``    两万五, 2.5万, 三千块, 1.2w      → int yuan, float when there are jiao (三块五 → 3.5)
- ``datetime`` 下周三, 月底, 3月5号, 两周内     → "YYYY-MM-DD", "YYYY-MM-DDTHH:MM", or {"start": …, "end": …}
- ``phone``    幺三八 1234 5678, 138-1234-5678 → digits string ("13812345678")
- ``enum``     离心式水泵 (a synonym)           → the canonical value ("离心泵")
- ``text``     anything                        → the stripped text

Every parser returns ``None`` for text it cannot read and never raises on odd input. Approximate expressions
(十几, 二十多, 三四十, 五十左右) return a representative value (15, 25, 35, 50); :func:`is_approximate` flags them.
Dates and times are resolved against ``ref_date`` (today when omitted).

One module per kind of value: ``text`` (canonical text and cleaning), ``numbers``, ``measures`` (units and counts),
``money``, ``phone``, ``enums`` (synonyms and dialect words), ``dates``. Everything public is importable from here.
"""

from __future__ import annotations

from datetime import date

from nlu.normalize.dates import SPRING_FESTIVAL, parse_datetime
from nlu.normalize.enums import DIALECT, enum_entries, parse_enum, to_mandarin
from nlu.normalize.measures import (
    COUNT_UNITS,
    LENGTH_UNITS,
    PER_TIME,
    VOLUME_UNITS,
    parse_measure,
    parse_quantity,
    unit_aliases,
    unit_family,
)
from nlu.normalize.money import parse_money
from nlu.normalize.numbers import CN_DIGITS, Number, is_approximate, number_ex, parse_number, strip_approx
from nlu.normalize.phone import parse_phone
from nlu.normalize.text import bare_text, canonical_text

__all__ = ["CN_DIGITS", "COUNT_UNITS", "DIALECT", "LENGTH_UNITS", "PER_TIME", "SLOT_TYPES", "SPRING_FESTIVAL",
           "VOLUME_UNITS", "Number", "Value", "bare_text", "canonical_text", "enum_entries", "is_approximate",
           "normalize", "number_ex", "parse_datetime", "parse_enum", "parse_measure", "parse_money", "parse_number",
           "parse_phone", "parse_quantity", "strip_approx", "to_mandarin", "unit_aliases", "unit_family"]

Value = int | float | str | dict
SLOT_TYPES = ("enum", "number", "quantity", "money", "datetime", "phone", "text")


def normalize(slot_type: str, text: str, *, unit: str | None = None, ref_date: date | None = None,
              values: list[dict] | None = None) -> Value | None:
    """Canonical value of ``text`` for a slot of ``slot_type`` (one of :data:`SLOT_TYPES`), or None.

    ``unit`` converts numbers and quantities, ``ref_date`` anchors relative dates (default today), ``values`` is the
    enum definition. Raises ValueError for an unknown ``slot_type`` (a programming error, not bad input).
    """
    if slot_type not in SLOT_TYPES:
        raise ValueError(f"unknown slot type {slot_type!r}; expected one of {SLOT_TYPES}")
    if not isinstance(text, str) or not text.strip():
        return None
    if slot_type == "number":
        return parse_measure(text, unit or None)
    if slot_type == "quantity":
        return parse_quantity(text, unit or None)
    if slot_type == "money":
        return parse_money(text)
    if slot_type == "datetime":
        return parse_datetime(text, ref_date)
    if slot_type == "phone":
        return parse_phone(text)
    if slot_type == "enum":
        return parse_enum(text, values)
    return text.strip() or None
