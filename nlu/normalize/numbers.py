"""Chinese and Arabic numerals: 五十, 两万五, 1.5, 三点五万, and approximate ones (十几, 二十多, 三四十, 五十左右)."""

from __future__ import annotations

import re

from nlu.normalize.text import canonical_text, clean

Number = int | float

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
             "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
_CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_UNITS = {"万": 10**4, "亿": 10**8}
_TOKEN = re.compile(r"[0-9]+(?:\.[0-9]+)?|.", re.S)
_MAX_DIGITS = 16  # longer digit runs are ids or noise, not quantities
_APPROX_PREFIXES = ("大概是", "大概", "大约", "大致", "差不多", "估计", "约莫", "约", "将近", "接近", "起码", "至少",
                    "最少", "最多", "顶多", "不到", "不超过", "不低于", "不少于", "少说", "近", "快")
_APPROX_SUFFIXES = ("左右", "上下", "出头", "以上", "以下", "以内", "之内", "开外", "的样子", "样子", "来")
_PAIR = re.compile(r"([一两二三四五六七八九])([二三四五六七八九])([十百千万亿]*)")


def tidy(x: float) -> Number:
    """Round away float noise (1.2 * 10000 = 12000.000000000002) and return an int when the value is whole."""
    x = round(x, 6)
    return int(x) if float(x).is_integer() else x


def _unit_product(units: str) -> int:
    product = 1
    for ch in units:
        product *= _CN_UNITS.get(ch) or _BIG_UNITS[ch]
    return product


def _section(s: str) -> Number | None:
    """Value of a numeral below 万: 三千五百 → 3500, 一百二 → 120 (elided last unit), 一百零二 → 102, 2千5 → 2500."""
    total: Number = 0
    digit: Number | None = None
    last_unit: int | None = None
    zero = False
    for tok in _TOKEN.findall(s):
        if tok in _CN_UNITS:
            unit = _CN_UNITS[tok]
            if last_unit is not None and unit >= last_unit:
                return None
            total += (1 if digit is None else digit) * unit
            digit, last_unit, zero = None, unit, False
        elif tok in ("零", "〇"):
            if digit is not None:
                return None
            zero = True
        elif tok in CN_DIGITS or tok[0] in "0123456789":
            if digit is not None or len(tok) > _MAX_DIGITS:
                return None
            digit = CN_DIGITS[tok] if tok in CN_DIGITS else (float(tok) if "." in tok else int(tok))
        else:
            return None
    if digit is not None:
        # 一百二 means 120: a lone digit after a unit of 百 or more counts in the next smaller unit.
        elided = last_unit is not None and last_unit >= 100 and not zero and isinstance(digit, int) and digit < 10
        total += digit * last_unit // 10 if elided else digit
    return total


def _parse_int(s: str) -> Number | None:
    """Value of a numeral that may contain 万 / 亿: 两万五 → 25000, 一亿二千万 → 120000000, 2万5 → 25000."""
    for ch in ("亿", "万"):
        if ch not in s:
            continue
        head, _, tail = s.partition(ch)
        high = _parse_int(head) if head else None
        if high is None or ch in tail:
            return None
        mult = _BIG_UNITS[ch]
        if not tail:
            return high * mult
        if tail[0] in "零〇":
            rest = tail.lstrip("零〇")
            low = _parse_int(rest) if rest else 0
        elif len(tail) == 1 and (tail in CN_DIGITS or tail in "123456789"):
            low = int(CN_DIGITS.get(tail, tail)) * mult // 10  # 两万五 = 25000, like 一百二
        else:
            low = _parse_int(tail)
        return None if low is None or low >= mult else high * mult + low
    return _section(s) if s else None


def _parse_plain(s: str) -> Number | None:
    """Exact (non-approximate) value of a numeral in any mix of Arabic and Chinese digits, or None."""
    if not s or len(s) > 40:
        return None
    s = re.sub(r"(?<=[0-9]),(?=[0-9]{3})", "", s)
    s = re.sub(r"(?<=[0-9.])k", "千", re.sub(r"(?<=[0-9.])w", "万", s))
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", s):
        return None if len(s) > _MAX_DIGITS else tidy(float(s)) if "." in s else int(s)
    if m := re.fullmatch(r"([0-9]+\.[0-9]+)([十百千万亿]+)", s):
        return None if len(m[1]) > _MAX_DIGITS else tidy(float(m[1]) * _unit_product(m[2]))
    if m := re.fullmatch(r"(.+?)点([0-9零〇一二三四五六七八九]{1,8})([十百千万亿]*)", s):
        whole = _parse_int(m[1])
        frac = "".join(str(CN_DIGITS.get(c, c)) for c in m[2])
        return None if whole is None else tidy((whole + float("0." + frac)) * _unit_product(m[3]))
    if len(s) > 1 and all(c in CN_DIGITS for c in s):
        return None if len(s) > _MAX_DIGITS else int("".join(str(CN_DIGITS[c]) for c in s))  # 二零二六 → 2026
    value = _parse_int(s)
    return None if value is None else tidy(value)


def strip_approx(s: str) -> tuple[str, bool]:
    """Remove hedges around a number (大概…, …左右): returns the rest and whether any hedge was there."""
    approx = False
    for words, cut in ((_APPROX_PREFIXES, lambda x, w: x[len(w):] if x.startswith(w) else None),
                       (_APPROX_SUFFIXES, lambda x, w: x[:-len(w)] if x.endswith(w) else None)):
        changed = True
        while changed:
            changed = False
            for word in words:
                rest = cut(s, word)
                if rest:
                    s, approx, changed = rest, True, True
    return s, approx


def _step(base: Number) -> Number:
    """Smallest unit of a round number (20 → 10, 15000 → 1000, 3 → 1), to read 二十多 as 25."""
    if not isinstance(base, int) or base < 10:
        return 1
    step = 1
    while base % (step * 10) == 0:
        step *= 10
    return step


def number_ex(text: str) -> tuple[Number, bool] | None:
    """Value of a numeral and whether it is approximate; None when ``text`` is not (only) a number.

    几 counts as 5 (十几 → 15, 几百 → 500), …多 as half the last unit (二十多 → 25, 一百多万 → 1500000), two
    adjacent digits as their mean (三四十 → 35), 两个半 as 2.5.
    """
    s, approx = strip_approx(re.sub(r"\s+", "", canonical_text(text)))
    if re.search("多少|几多|好多", s):
        return None  # questions (多少, Cantonese 几多, Sichuanese 好多), not amounts
    if "几" in s:
        if not s.strip("几"):
            return None
        s, approx = s.replace("几", "五"), True
    if (m := _PAIR.fullmatch(s)) and CN_DIGITS[m[2]] - CN_DIGITS[m[1]] == 1:
        low, high = _parse_plain(m[1] + m[3]), _parse_plain(m[2] + m[3])
        return None if low is None or high is None else (tidy((low + high) / 2), True)
    if m := re.fullmatch(r"(.+?)(多|来)([万亿]?)", s):
        base = _parse_plain(m[1])
        extra = _step(base) / 2 if base is not None and m[2] == "多" else 0
        return None if base is None else (tidy((base + extra) * _unit_product(m[3])), True)
    if m := re.fullmatch(r"(.+?)个半", s):
        base = _parse_plain(m[1])
        return None if base is None else (tidy(base + 0.5), approx)
    value = _parse_plain(s)
    return None if value is None else (value, approx)


def parse_number(text: str) -> Number | None:
    """Value of a bare numeral (五十, 1.5, 两万五, 2.5万, 十几 → 15), or None. See :func:`number_ex`."""
    found = number_ex(text)
    return None if found is None else found[0]


def is_approximate(text: str) -> bool:
    """True when ``text`` states a number loosely (十几, 二十多台, 三四十米, 大概五十, 五十米左右)."""
    s = canonical_text(text)
    if "几" in s or re.search(r"[0-9十百千万]多(?!少)|[一两二三四五六七八][二三四五六七八九][十百千万]", s):
        return True
    return strip_approx(clean(s))[1]
