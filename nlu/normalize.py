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
"""

from __future__ import annotations

import calendar
import math
import re
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

Number = int | float
Value = int | float | str | dict
SLOT_TYPES = ("enum", "number", "quantity", "money", "datetime", "phone", "text")

# Full-width ASCII and the ideographic space become half-width; ￥ becomes ¥.
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0xFFE5: ord("¥")}


@lru_cache(maxsize=1)
def _converter() -> Any:
    from opencc import OpenCC  # lazily: loading the dictionaries costs ~20 ms that most imports never need

    return OpenCC("t2s")


@lru_cache(maxsize=4096)
def canonical_text(text: str) -> str:
    """Half-width, lower-case, simplified-Chinese copy of ``text`` with exactly the same length.

    Keeping the length is the contract: offsets found in the canonical text are valid in the original.
    """
    s = text.translate(_WIDTH)
    lowered = s.lower()
    s = lowered if len(lowered) == len(s) else "".join(c.lower() if len(c.lower()) == 1 else c for c in s)
    simple = _converter().convert(s)
    if len(simple) == len(s):
        return simple
    return "".join(conv if len(conv := _converter().convert(c)) == 1 else c for c in s)


# ---------------------------------------------------------------------------------------------------- numbers
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


def _tidy(x: float) -> Number:
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
        return None if len(s) > _MAX_DIGITS else _tidy(float(s)) if "." in s else int(s)
    if m := re.fullmatch(r"([0-9]+\.[0-9]+)([十百千万亿]+)", s):
        return None if len(m[1]) > _MAX_DIGITS else _tidy(float(m[1]) * _unit_product(m[2]))
    if m := re.fullmatch(r"(.+?)点([0-9零〇一二三四五六七八九]{1,8})([十百千万亿]*)", s):
        whole = _parse_int(m[1])
        frac = "".join(str(CN_DIGITS.get(c, c)) for c in m[2])
        return None if whole is None else _tidy((whole + float("0." + frac)) * _unit_product(m[3]))
    if len(s) > 1 and all(c in CN_DIGITS for c in s):
        return None if len(s) > _MAX_DIGITS else int("".join(str(CN_DIGITS[c]) for c in s))  # 二零二六 → 2026
    value = _parse_int(s)
    return None if value is None else _tidy(value)


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
        return None if low is None or high is None else (_tidy((low + high) / 2), True)
    if m := re.fullmatch(r"(.+?)(多|来)([万亿]?)", s):
        base = _parse_plain(m[1])
        extra = _step(base) / 2 if base is not None and m[2] == "多" else 0
        return None if base is None else (_tidy((base + extra) * _unit_product(m[3])), True)
    if m := re.fullmatch(r"(.+?)个半", s):
        base = _parse_plain(m[1])
        return None if base is None else (_tidy(base + 0.5), approx)
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
    return strip_approx(_clean(s))[1]


# ---------------------------------------------------------------------------------------------------- cleaning
_EDGE = " \t\r\n,.!?;:，。！？；：、~～…\"'“”‘’()（）[]【】<>《》"
_PARTICLES = ("就可以了", "就可以", "就行了", "就行", "就好了", "就好", "就够了", "够了", "可以", "吧", "啊", "呀",
              "嘛", "哈", "哦", "噢", "呢", "噻", "嘞", "咯", "啰", "啦", "了", "的", "哟", "喔", "嘅", "喇", "咧",
              "哇")
_FILLERS = ("我们这边", "我们", "我这边", "我", "那就", "那", "嗯", "呃", "额", "哦", "就", "是", "要", "需要", "想要",
            "打算", "准备", "买", "订", "采购", "来", "差不多要", "大概要", "预算", "最好", "希望", "争取", "在", "给",
            "系", "要得", "好")


def _clean(text: str, fillers: tuple[str, ...] = _FILLERS) -> str:
    """Canonical text without edge punctuation, leading filler words and trailing particles."""
    s = re.sub(r"\s+", " ", canonical_text(text)).strip(_EDGE)
    changed = True
    while changed and s:
        changed = False
        for word in fillers:
            if s.startswith(word) and len(s) > len(word):
                s, changed = s[len(word):].strip(_EDGE), True
        for word in _PARTICLES:
            if s.endswith(word) and len(s) > len(word):
                s, changed = s[:-len(word)].strip(_EDGE), True
    return s


# ---------------------------------------------------------------------------------------------------- units
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
    s, approx = strip_approx(_clean(text).replace(" ", ""))
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
            return _tidy(found[0] * factor * (per or 1)), found[1] or approx
    found = number_ex(s)
    return None if found is None else (_tidy(found[0] * (per or 1)), found[1] or approx)


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


# ---------------------------------------------------------------------------------------------------- money
_CURRENCY_PREFIXES = ("¥", "rmb", "人民币", "价格", "价钱", "报价", "预算")
_CURRENCY_SUFFIXES = ("块钱", "块", "元钱", "元", "圆", "蚊", "人民币", "rmb", "yuan", "钱")


def parse_money(text: str) -> Number | None:
    """Amount in yuan: 两万五 → 25000, 2.5万 → 25000, 25000元 → 25000, 三千块 → 3000, 1.2w → 12000,
    两万五千块钱 → 25000, 三块五 → 3.5, 五毛 → 0.5, 三千蚊 → 3000 (Cantonese). None when not an amount."""
    if not isinstance(text, str):
        return None
    s, approx = strip_approx(_clean(text).replace(" ", ""))
    for prefix in _CURRENCY_PREFIXES:
        if s.startswith(prefix) and len(s) > len(prefix):
            s = s[len(prefix):].lstrip("是:")
    if m := re.fullmatch(r"(.+?)(?:块|元|蚊)([0-9零一二两三四五六七八九])(?:毛|角)?钱?", s):
        whole, dime = parse_number(m[1]), CN_DIGITS.get(m[2], m[2])
        return None if whole is None else _tidy(round(whole + int(dime) / 10, 2))
    if m := re.fullmatch(r"([0-9零一二两三四五六七八九])(?:毛|角)钱?", s):
        return _tidy(int(CN_DIGITS.get(m[1], m[1])) / 10)
    s, _ = strip_approx(s)
    for suffix in _CURRENCY_SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            s = strip_approx(s[:-len(suffix)])[0]
            break
    found = number_ex(s)
    return None if found is None or found[0] < 0 else _tidy(round(found[0], 2))


# ---------------------------------------------------------------------------------------------------- phone
_PHONE_DIGITS = {**{k: str(v) for k, v in CN_DIGITS.items()}, "幺": "1", "洞": "0", "拐": "7"}
_PHONE_SEPARATORS = re.compile(r"[\s\-—–_.()（）/]+")
_PHONE_SHAPES = re.compile(r"1[3-9][0-9]{9}|0[1-9][0-9]{8,10}|[48]00[0-9]{7}")


def parse_phone(text: str) -> str | None:
    """Digits of a Chinese phone number: mobile (11 digits, 1[3-9]…), landline with area code (0…, 10–12 digits)
    or a 400/800 number; spoken 幺 = 1, 两 = 2, 洞 = 0, 拐 = 7, and a leading +86 / 0086 is dropped.
    None when the text holds anything else."""
    if not isinstance(text, str):
        return None
    s = re.sub(r"^(电话|手机|手机号|号码|电话号码|联系电话|联系方式)?(是|系|:)?", "", _clean(text))
    s = _PHONE_SEPARATORS.sub("", s)
    if len(s) > 20:
        return None
    digits = "".join(_PHONE_DIGITS.get(c, c) for c in s)
    digits = re.sub(r"^(\+86|0086|86)(?=1[3-9][0-9]{9}$)", "", digits)
    return digits if _PHONE_SHAPES.fullmatch(digits) else None


# ---------------------------------------------------------------------------------------------------- enum, text
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
    return re.sub(r"[\s" + re.escape(_EDGE) + r"\-_]+", "", to_mandarin(text))


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


# ---------------------------------------------------------------------------------------------------- dates
# 春节 (Spring Festival): 年前 / 年后 in a sales call mean before / after it, not 1 January. Past the table, 1 February.
SPRING_FESTIVAL = {2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13),
                   2030: (2, 3), 2031: (1, 23), 2032: (2, 11), 2033: (1, 31), 2034: (2, 19), 2035: (2, 8),
                   2036: (1, 28), 2037: (2, 15), 2038: (2, 4), 2039: (1, 24), 2040: (2, 12)}
_DATE_FILLERS = ("最好是", "最好", "希望", "争取", "能不能", "能否", "要求", "大概", "大约", "差不多", "估计", "尽量",
                 "必须", "一定要", "最晚", "最迟", "要", "在", "于", "是", "系", "就", "那就", "我们", "我", "得", "喺")
_DAY_WORDS = {"今天": 0, "今日": 0, "今儿": 0, "今儿个": 0, "当天": 0, "马上": 0, "立刻": 0, "立即": 0, "现在": 0,
              "尽快": 0, "越快越好": 0, "而家": 0, "明天": 1, "明日": 1, "明儿": 1, "明儿个": 1, "听日": 1,
              "后天": 2, "后日": 2, "大后天": 3, "大后日": 3}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5,
             "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_REL_MONTHS = {"这个月": 0, "本月": 0, "这月": 0, "当月": 0, "下个月": 1, "下月": 1, "下下个月": 2, "下下月": 2}
_MONTH_PARTS = {"初": (1, 10), "月初": (1, 10), "上旬": (1, 10), "中": (11, 20), "月中": (11, 20), "中旬": (11, 20),
                "下旬": (21, 31), "底": (31, 31), "末": (31, 31), "月底": (31, 31), "月末": (31, 31)}
_WEEK_RE = re.compile(r"(这|本|今|下下|下)?个?(?:周|星期|礼拜)([一二三四五六日天末1-7])?")
_MONTH_RE = re.compile(
    r"(?P<year>今年|明年|后年|(?:[0-9]{4}|[零〇一二三四五六七八九]{4})年)?"
    r"(?:(?P<rel>这个月|本月|这月|当月|下下个月|下下月|下个月|下月)|(?P<month>[0-9]{1,2}|[一二三四五六七八九十]{1,3})月份?)?"
    r"(?P<part>月初|月中|月底|月末|上旬|中旬|下旬|初|中|底|末)?"
    r"(?:(?P<day>[0-9]{1,2}|[一二三四五六七八九十廿]{1,3})(?P<dsuf>[日号])?)?")
_TIME_RE = re.compile(r"(?P<date>.*?)(?P<ampm>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里)?"
                      r"(?P<hour>[0-9]{1,2}|[一二两三四五六七八九十]{1,3})[点时]钟?"
                      r"(?P<minute>半|一刻|三刻|[0-9]{1,2}|[一二三四五六七八九十]{1,3})?分?")
_AMPM_RE = re.compile(r"(.*?)(凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里)")
_DURATION_RE = re.compile(r"(?P<n>.+?)个?(?P<unit>工作日|天|日|周|星期|礼拜|(?<=个)月|年)")  # 三月 is March
_DateLike = date | tuple


def _months_later(d: date, months: int) -> date:
    years, month0 = divmod(d.month - 1 + months, 12)
    year, month = d.year + years, month0 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _spring_festival(after: date) -> date:
    """The first Spring Festival strictly after ``after``."""
    for year in (after.year, after.year + 1):
        festival = date(year, *SPRING_FESTIVAL.get(year, (2, 1)))
        if festival > after:
            return festival
    return date(after.year + 1, *SPRING_FESTIVAL.get(after.year + 1, (2, 1)))


def _year_word(s: str, ref: date) -> _DateLike | None:
    fest, new_year = _spring_festival(ref), date(ref.year + 1, 1, 1)
    if s in ("年前", "春节前", "过年前", "年前头"):
        return ref, fest - timedelta(days=1)
    if s in ("年后", "春节后", "过年后", "过完年", "开年", "年过后", "过了年"):
        return fest, fest + timedelta(days=29)  # the first lunar month, when business restarts
    if s in ("年底", "年末"):
        return date(ref.year, 12, 31)
    if s in ("年内", "今年内", "今年", "年底前", "今年之内", "年底之前", "本年内"):
        return ref, date(ref.year, 12, 31)
    if s in ("明年", "明年内"):
        return new_year, date(ref.year + 1, 12, 31)
    if s in ("年初", "明年初", "明年年初", "开春"):
        return (new_year, date(ref.year + 1, 1, 31)) if ref.month > 1 else (ref, date(ref.year, 1, 31))
    return None


def _week(m: re.Match, ref: date) -> _DateLike | None:
    rel, day = m[1], m[2]
    monday = ref - timedelta(days=ref.weekday()) + timedelta(days={"下": 7, "下下": 14}.get(rel or "", 0))
    if day is None:
        return (monday, monday + timedelta(days=6)) if rel else None
    target = monday + timedelta(days=_WEEKDAYS[day])
    if not rel and target < ref:
        target += timedelta(days=7)  # a bare 周三 is the next Wednesday
    return (target, target + timedelta(days=1)) if day == "末" else target


def _year(text: str | None, ref: date) -> int | None:
    if not text:
        return None
    year = {"今年": ref.year, "明年": ref.year + 1, "后年": ref.year + 2}.get(text) or parse_number(text.rstrip("年"))
    return year if isinstance(year, int) and 1900 <= year <= 2200 else None


def _in_month(year: int, month: int, part: str | None, day: str | None) -> _DateLike:
    """A day, a part (月初, 中旬, 月底 …) or the whole of a month; ValueError for a day the month lacks."""
    last = calendar.monthrange(year, month)[1]
    if day:
        number = parse_number(day.replace("廿", "二十") if day != "廿" else "二十")
        if not isinstance(number, int):
            raise ValueError(day)
        return date(year, month, number)
    if part:
        first, final = _MONTH_PARTS[part]
        first_day, final_day = date(year, month, min(first, last)), date(year, month, min(final, last))
        return first_day if first_day == final_day else (first_day, final_day)
    return date(year, month, 1), date(year, month, last)


def _month(m: re.Match, ref: date) -> _DateLike | None:
    year, rel, month, part, day = m["year"], m["rel"], m["month"], m["part"], m["day"]
    if not (rel or month or (part and len(part) > 1) or m["dsuf"]) or (part and day):
        return None  # a bare number, 底 or 中 alone is no date
    if month and not m["dsuf"] and day and len(day) > 2:
        return None
    explicit_year = _year(year, ref)
    if year and explicit_year is None:
        return None
    if rel:
        first = _months_later(ref.replace(day=1), _REL_MONTHS[rel])
        return _in_month(first.year, first.month, part, day)
    number = parse_number(month) if month else ref.month
    if not isinstance(number, int) or not 1 <= number <= 12:
        return None
    found = _in_month(explicit_year or ref.year, number, part, day)
    end = found[1] if isinstance(found, tuple) else found
    if explicit_year or end >= ref:
        return found
    # Already past: 3月5号 said in April is next year's, 5号 said on the 20th is next month's.
    later = date(ref.year + 1, number, 1) if month else _months_later(ref.replace(day=1), 1)
    return _in_month(later.year, later.month, part, day)


def _point(s: str, ref: date) -> _DateLike | None:
    if s in _DAY_WORDS:
        return ref + timedelta(days=_DAY_WORDS[s])
    if m := _WEEK_RE.fullmatch(s):
        return _week(m, ref)
    if m := re.fullmatch(r"([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})[日号]?", s):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if (m := _MONTH_RE.fullmatch(s)) and m[0]:
        return _month(m, ref)
    return None


def _after(s: str, ref: date) -> date | None:
    """The day a duration after ``ref`` (三天 → ref + 3, 两周 → ref + 14, 半个月 → ref + 15, 一个月 → same day)."""
    m = _DURATION_RE.fullmatch(s)
    n = None if m is None else 0.5 if m["n"] == "半" else parse_number(m["n"])
    if n is None or not 0 < n <= 1000:
        return None
    if m["unit"] in ("月", "年"):
        months = n * (12 if m["unit"] == "年" else 1)
        return _months_later(ref, int(months)) + timedelta(days=round(months % 1 * 30))
    per_unit = {"天": 1, "日": 1, "周": 7, "星期": 7, "礼拜": 7}.get(m["unit"], 7 / 5)  # 5 工作日 a week
    return ref + timedelta(days=math.ceil(n * per_unit))


def _time_of_day(s: str, ref: date) -> str | None:
    if m := _TIME_RE.fullmatch(s):
        day = _point(m["date"], ref) if m["date"] else ref
        hour = parse_number(m["hour"])
        minute = {"半": 30, "一刻": 15, "三刻": 45}.get(m["minute"] or "") or parse_number(m["minute"] or "零")
        if not isinstance(day, date) or not isinstance(hour, int) or not isinstance(minute, int):
            return None
        if (m["ampm"] in ("下午", "傍晚", "晚上", "夜里") and hour < 12) or (m["ampm"] == "中午" and hour < 3):
            hour += 12
        return f"{day.isoformat()}T{hour:02d}:{minute:02d}" if hour < 24 and minute < 60 else None
    if m := _AMPM_RE.fullmatch(s):
        day = _point(m[1], ref) if m[1] else ref
        return day.isoformat() if isinstance(day, date) else None
    return None


def _as_value(found: _DateLike, ref: date) -> str | dict | None:
    if isinstance(found, date):
        return found.isoformat()
    start, end = found
    start = ref if start < ref <= end else start  # what is left of this week / this month
    if start == end:
        return start.isoformat()
    return {"start": start.isoformat(), "end": end.isoformat()} if start < end else None


def _parse_date(s: str, ref: date) -> str | dict | None:
    if (word := _year_word(s, ref)) is not None:  # 年前, 年后, 年底前 are words of their own
        return _as_value(word, ref)
    if m := re.fullmatch(r"(.+?)(?:之前|以前|前)", s):
        found = _point(m[1], ref)
        end = found[1] if isinstance(found, tuple) else found
        return _as_value((ref, end), ref) if end and end >= ref else None
    if m := re.fullmatch(r"(.+?)(?:之内|以内|内)", s):
        end = _after(m[1], ref)
        found = (ref, end) if end else _point(m[1], ref)
        return _as_value(found, ref) if found else None
    if m := re.fullmatch(r"(.+?)(?:之后|以后|过后|后)", s):
        found = _after(m[1], ref) or _point(m[1], ref)
        return _as_value(found[0] if isinstance(found, tuple) else found, ref) if found else None
    found = _point(s, ref)
    if found is None and (end := _after(s, ref)):
        found = (ref, end)  # a bare duration answering "when" means within it: 三天 → by ref + 3
    return _as_value(found, ref) if found else _time_of_day(s, ref)


def parse_datetime(text: str, ref_date: date | None = None) -> str | dict | None:
    """Date, date-time or date range named by ``text``, relative to ``ref_date`` (default today).

    Single days are "YYYY-MM-DD" (明天, 下周三, 3月5号, 月底 = last day of the month), with a time
    "YYYY-MM-DDTHH:MM" (明天下午三点); periods are {"start", "end"} (下周, 下个月, 中旬, 两周内, 月底前,
    年前 = until the day before the Spring Festival); a period of one day is that day. Dates already past roll
    forward (3月5号 said in April is next year's). None when the text names no date or an impossible one (2月30号).
    """
    if not isinstance(text, str):
        return None
    s = re.sub(r"(左右|前后|上下)$", "", _clean(text, _DATE_FILLERS).replace(" ", ""))
    if not s or len(s) > 30:
        return None
    try:
        return _parse_date(s, ref_date or date.today())
    except (ValueError, OverflowError):  # a day the month lacks, or arithmetic past year 9999
        return None


# ---------------------------------------------------------------------------------------------------- dispatch
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
