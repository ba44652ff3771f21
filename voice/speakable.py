"""Scripts as a salesperson reads them aloud: digits become Chinese words before synthesis (core, no Django).

Numbers are read the way the CER normalisation reads them (`voice.cer.numbers_to_chinese`: 扬程50米 → 扬程五十米,
2.5万 → 二点五万, 50% → 百分之五十, 2026年 → 二零二六年), with what a speaker adds: a phone number (or any run of seven
or more digits, spaces and hyphens allowed: an order number) digit by digit with 1 as 幺 (13812345678 →
幺三八幺二三四五六七八), and 二 as 两 before a measure word or at the head of 万/千/百 (25000元 → 两万五千元, 2台 → 两台).
"""

from __future__ import annotations

import re

from voice.cer import numbers_to_chinese

_DIGITS = "零幺二三四五六七八九"
_LONG_NUMBER = re.compile(r"(?<![\d.])\d(?:[\s-]?\d){6,}(?![\d.])")
_TWO = re.compile(r"(?<![一二三四五六七八九十百千万亿零点两第])二(?=[万千百亿台个套件只位条天周次种款吨米方箱包])")


def speakable(text: str) -> str:
    """`text` with its numbers in Chinese words, as they should be spoken."""
    text = _LONG_NUMBER.sub(lambda m: "".join(_DIGITS[int(d)] for d in re.sub(r"\D", "", m.group())), text)
    return _TWO.sub("两", numbers_to_chinese(text))
