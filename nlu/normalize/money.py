"""Amounts of money in yuan: 两万五, 2.5万, 25000元, 三千块, 1.2w, 三块五, 三千蚊."""

from __future__ import annotations

import re

from nlu.normalize.numbers import CN_DIGITS, Number, number_ex, parse_number, strip_approx, tidy
from nlu.normalize.text import clean

_CURRENCY_PREFIXES = ("¥", "rmb", "人民币", "价格", "价钱", "报价", "预算")
_CURRENCY_SUFFIXES = ("块钱", "块", "元钱", "元", "圆", "蚊", "人民币", "rmb", "yuan", "钱")


def parse_money(text: str) -> Number | None:
    """Amount in yuan: 两万五 → 25000, 2.5万 → 25000, 25000元 → 25000, 三千块 → 3000, 1.2w → 12000,
    两万五千块钱 → 25000, 三块五 → 3.5, 五毛 → 0.5, 三千蚊 → 3000 (Cantonese). None when not an amount."""
    if not isinstance(text, str):
        return None
    s, approx = strip_approx(clean(text).replace(" ", ""))
    for prefix in _CURRENCY_PREFIXES:
        if s.startswith(prefix) and len(s) > len(prefix):
            s = s[len(prefix):].lstrip("是:")
    if m := re.fullmatch(r"(.+?)(?:块|元|蚊)([0-9零一二两三四五六七八九])(?:毛|角)?钱?", s):
        whole, dime = parse_number(m[1]), CN_DIGITS.get(m[2], m[2])
        return None if whole is None else tidy(round(whole + int(dime) / 10, 2))
    if m := re.fullmatch(r"([0-9零一二两三四五六七八九])(?:毛|角)钱?", s):
        return tidy(int(CN_DIGITS.get(m[1], m[1])) / 10)
    s, _ = strip_approx(s)
    for suffix in _CURRENCY_SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            s = strip_approx(s[:-len(suffix)])[0]
            break
    found = number_ex(s)
    return None if found is None or found[0] < 0 else tidy(round(found[0], 2))
