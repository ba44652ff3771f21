"""Chinese phone numbers, spoken (幺三八…) or written (138-1234-5678)."""

from __future__ import annotations

import re

from nlu.normalize.numbers import CN_DIGITS
from nlu.normalize.text import clean

_PHONE_DIGITS = {**{k: str(v) for k, v in CN_DIGITS.items()}, "幺": "1", "洞": "0", "拐": "7"}
_PHONE_SEPARATORS = re.compile(r"[\s\-—–_.()（）/]+")
_PHONE_SHAPES = re.compile(r"1[3-9][0-9]{9}|0[1-9][0-9]{8,10}|[48]00[0-9]{7}")


def parse_phone(text: str) -> str | None:
    """Digits of a Chinese phone number: mobile (11 digits, 1[3-9]…), landline with area code (0…, 10–12 digits)
    or a 400/800 number; spoken 幺 = 1, 两 = 2, 洞 = 0, 拐 = 7, and a leading +86 / 0086 is dropped.
    None when the text holds anything else."""
    if not isinstance(text, str):
        return None
    s = re.sub(r"^(电话|手机|手机号|号码|电话号码|联系电话|联系方式)?(是|系|:)?", "", clean(text))
    s = _PHONE_SEPARATORS.sub("", s)
    if len(s) > 20:
        return None
    digits = "".join(_PHONE_DIGITS.get(c, c) for c in s)
    digits = re.sub(r"^(\+86|0086|86)(?=1[3-9][0-9]{9}$)", "", digits)
    return digits if _PHONE_SHAPES.fullmatch(digits) else None
