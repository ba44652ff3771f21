"""Scripts as a salesperson reads them aloud: digits become Chinese words before synthesis (core, no Django).

Numbers are read the way the CER normalisation reads them (`voice.cer.numbers_to_chinese`: 扬程50米 → 扬程五十米,
2.5万 → 二点五万, 50% → 百分之五十, 2026年 → 二零二六年), with what a speaker adds: a phone number (or any run of seven
or more digits, spaces and hyphens allowed: an order number) digit by digit with 1 as 幺 (13812345678 →
幺三八幺二三四五六七八), and 二 as 两 before a measure word or at the head of 万/千/百 (25000元 → 两万五千元, 2台 → 两台).
In a Chinese sentence, Latin letters are spelled as a Chinese speaker says them (ISG → 艾艾斯吉, QW → 丘达布溜): a
voice that reads only Chinese characters would otherwise drop a model's name (比如ISG管道泵 → 比如管道泵), and the
transcript correction (`voice.correction`) knows a model's name by the same sounds. A sentence without Chinese is
left as it is (the Mandarin voice refuses it and espeak-ng reads it).
"""

from __future__ import annotations

import re

from voice.cer import numbers_to_chinese

_DIGITS = "零幺二三四五六七八九"
_LONG_NUMBER = re.compile(r"(?<![\d.])\d(?:[\s-]?\d){6,}(?![\d.])")
LETTERS = {"A": "诶", "B": "必", "C": "西", "D": "迪", "E": "伊", "F": "艾弗", "G": "吉", "H": "艾曲", "I": "艾",
           "J": "杰", "K": "开", "L": "艾勒", "M": "艾姆", "N": "恩", "O": "欧", "P": "批", "Q": "丘", "R": "阿尔",
           "S": "艾斯", "T": "踢", "U": "优", "V": "维", "W": "达布溜", "X": "艾克斯", "Y": "歪", "Z": "贼"}
_LETTER = re.compile(r"[A-Za-z]")
_HAN = re.compile(r"[\u3400-\u9fff]")
_TWO = re.compile(r"(?<![一二三四五六七八九十百千万亿零点两第])二(?=[万千百亿台个套件只位条天周次种款吨米方箱包])")


def speakable(text: str) -> str:
    """`text` with its numbers in Chinese words, as they should be spoken."""
    text = _LONG_NUMBER.sub(lambda m: "".join(_DIGITS[int(d)] for d in re.sub(r"\D", "", m.group())), text)
    text = _TWO.sub("两", numbers_to_chinese(text))
    return spell_letters(text) if _HAN.search(text) else text


def spell_letters(text: str) -> str:
    """`text` with each Latin letter as a Chinese speaker says it (ISG → 艾艾斯吉)."""
    return _LETTER.sub(lambda m: LETTERS[m.group().upper()], text)
