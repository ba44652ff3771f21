"""Numbers with units (扬程 50米, 五十米, 每小时30方) converted to the slot's unit, and counts (三台, 两套)."""

from __future__ import annotations

import math
import re

from nlu.normalize.numbers import Number, number_ex, strip_approx, tidy
from nlu.normalize.text import canonical_text, clean

LENGTH_UNITS = (("公里", 1000), ("km", 1000), ("厘米", 0.01), ("cm", 0.01), ("毫米", 0.001), ("mm", 0.001),
                ("公尺", 1), ("米", 1), ("m", 1))
VOLUME_UNITS = (("立方米", 1), ("立方", 1), ("方", 1), ("m3", 1), ("m³", 1), ("吨", 1), ("t", 1), ("升", 0.001),
                ("l", 0.001))
COUNT_UNITS = (("台", 1), ("套", 1), ("个", 1), ("只", 1), ("部", 1), ("件", 1), ("组", 1), ("根", 1), ("支", 1),
               ("批", 1), ("款", 1))
PER_TIME = (("每个小时", 1), ("一个小时", 1), ("每小时", 1), ("一小时", 1), ("个小时", 1), ("/小时", 1),
            ("小时", 1), ("/h", 1), ("/时", 1), ("每时", 1), ("每分钟", 60), ("/min", 60), ("每秒", 3600),
            ("/s", 3600), ("每天", 1 / 24), ("/天", 1 / 24), ("/d", 1 / 24))
_UNIT_FAMILY = {"米": "length", "m": "length", "公尺": "length", "方/小时": "flow", "m3/h": "flow", "m³/h": "flow",
                "立方米/小时": "flow", "立方/小时": "flow", "方": "flow", "立方": "flow", "立方米": "flow",
                "吨/小时": "flow", "t/h": "flow", "台": "count", "套": "count", "个": "count", "只": "count",
                "部": "count", "件": "count", "组": "count"}
_FAMILY_UNITS = {"length": LENGTH_UNITS, "flow": VOLUME_UNITS, "count": COUNT_UNITS}


def unit_family(unit: str | None) -> str | None:
    """"length", "flow" or "count" for the units the normalisers know (米, 方/小时, 台 …), else None."""
    return _UNIT_FAMILY.get(canonical_text(unit).strip()) if unit else None


def unit_aliases(unit: str | None, default: tuple[tuple[str, float], ...] = LENGTH_UNITS + VOLUME_UNITS
                 ) -> tuple[tuple[str, float], ...]:
    """Surface forms of ``unit`` with their factor to it, longest first; a unit we don't know stands for itself."""
    family = unit_family(unit)
    if family:
        aliases = _FAMILY_UNITS[family]
    elif unit:
        aliases = ((canonical_text(unit).strip(), 1),)
    else:
        aliases = default
    return tuple(sorted(aliases, key=lambda a: -len(a[0])))


def _split_per_time(s: str) -> tuple[str, float | None]:
    """Take a rate marker off either end (每小时30方, 30方/h): returns the rest and the factor to per hour."""
    for marker, factor in sorted(PER_TIME, key=lambda p: -len(p[0])):
        if s.startswith(marker) and len(s) > len(marker):
            return s[len(marker):], factor
        if s.endswith(marker) and len(s) > len(marker):
            return s[:-len(marker)], factor
    return s, None


def _measure(text: str, aliases: tuple[tuple[str, float], ...], *, rate: bool) -> tuple[Number, bool] | None:
    """Number followed by one of ``aliases`` (or by nothing), times the alias factor; None on a foreign unit."""
    s, approx = strip_approx(clean(text).replace(" ", ""))
    per = None
    if rate:
        s, per = _split_per_time(s)
    tail = s[-1] if s[-1:] in ("多", "半") else ""
    body = s[:-1] if tail else s
    for alias, factor in aliases:
        if body.endswith(alias) and len(body) > len(alias):
            if tail == "半":
                found = number_ex(body[:-len(alias)])
                found = found and (found[0] + 0.5, found[1])
            else:
                found = number_ex(body[:-len(alias)] + tail)
            if found is None:
                return None
            return tidy(found[0] * factor * (per or 1)), found[1] or approx
    found = number_ex(s)
    return None if found is None else (tidy(found[0] * (per or 1)), found[1] or approx)


def parse_measure(text: str, unit: str | None = None) -> Number | None:
    """Number with an optional unit, converted to ``unit`` (扬程 50米 → 50, 五十米 → 50, 50m → 50, 每小时30方 → 30).

    With ``unit=None`` any length or volume unit is accepted and dropped. Returns None when the text is not a
    number, or carries a unit that cannot be converted to ``unit`` (五十台 for 米).
    """
    if not isinstance(text, str):
        return None
    rate = unit is None or unit_family(unit) == "flow"
    found = _measure(_strip_keyword(text, unit_family(unit) if unit else None), unit_aliases(unit), rate=rate)
    return None if found is None else found[0]


def parse_quantity(text: str, unit: str | None = None) -> int | None:
    """Count with an optional classifier (三台, 两套, 10个, 十几台 → 15); a fractional count rounds up."""
    if not isinstance(text, str):
        return None
    aliases = unit_aliases(unit, COUNT_UNITS)
    if unit_family(unit) != "count" and unit:
        aliases = tuple(sorted(set(aliases) | set(COUNT_UNITS), key=lambda a: -len(a[0])))
    found = _measure(_strip_keyword(text, "count"), aliases, rate=False)
    if found is None or found[0] < 0 or found[0] > 10**9:
        return None
    return math.ceil(found[0] - 1e-9)


_KEYWORDS = {"length": "扬程|高度", "flow": "流量|排量", "count": "数量", None: "扬程|高度|流量|排量|数量"}


def _strip_keyword(text: str, family: str | None) -> str:
    # "扬程50米" / "流量：30方" name the slot before the value; the name is not part of the number.
    return re.sub(rf"^\s*(?:{_KEYWORDS.get(family, '')})[是为有要:： ]*", "", text) if family in _KEYWORDS else text
