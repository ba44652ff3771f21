"""Rule-based slot extraction: the bot's enum values and synonyms, plus patterns for numbers, money, dates and phones.

Used three ways: as the NLU runtime's fallback and complement to the trained tagger, to pre-label utterances for
annotators, and to find the character offsets of slot values when importing ``{"text", "intent", "slots"}`` rows.

A slot definition is the dict stored on the Slot model: ``{"name", "type", "unit", "values": [{"value",
"synonyms"}], ...}``. A span is ``{"slot", "start", "end", "text", "value", "confidence"}`` with ``text ==
utterance[start:end]`` and ``value`` the normalised value (see :mod:`nlu.normalize`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple, TypedDict

from nlu.normalize import (
    COUNT_UNITS,
    canonical_text,
    enum_entries,
    is_approximate,
    normalize,
    parse_phone,
    unit_aliases,
    unit_family,
)


class Span(TypedDict):
    slot: str
    start: int
    end: int
    text: str
    value: Any
    confidence: float


class _Candidate(NamedTuple):
    start: int
    end: int
    slot: str
    confidence: float


_CN = "零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟几"
# A numeral as callers say it: 50, 1,200, 2.5万, 2万5, 1.2w, 五十, 两万五, 一点五, 十几, 二十多, 一百多万.
NUMBER = (rf"(?:[0-9]+(?:[.,][0-9]+)*(?:[kw十百千万亿]+[0-9]?)?|[{_CN}]+(?:点[零〇一二三四五六七八九]+[十百千万亿]*)?)"
          r"(?:(?:多(?!少)|来)[万亿]?)?")
_SUBSTANTIAL = re.compile(r"[0-9十百千万亿]")  # 一 or 两 alone is too often "a" or "a couple" to be a value
_PHONE_DIGIT = "[0-9零〇一二两三四五六七八九幺洞拐]"
_PHONE = re.compile(rf"(?<![0-9])(?:\+?86[\s-]?)?{_PHONE_DIGIT}(?:[\s-]?{_PHONE_DIGIT}){{6,13}}")
_MONTH = r"(?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})月份?|(?:这个|本|这|当|下下?个?)月"
_DAY = r"(?:[0-9]{1,2}|[一二三四五六七八九十廿]{1,3})[日号](?![泵机线楼])"
_CLOCK = (r"(?:凌晨|早上|早晨|上午|中午|下午|傍晚|晚上)?(?:[0-9]{1,2}|[一二两三四五六七八九十]{1,3})[点时]"
          r"(?:半|一刻|[0-9]{1,2}分?|[一二三四五六七八九十]{1,3}分)?")
_DEADLINE = r"(?:之前|以前|前|之内|以内|内|之后|以后|后)?"
_DATE = re.compile(
    rf"(?:(?:今年|明年|[0-9]{{4}}年)?(?:{_MONTH})(?:初|中|底|末|上旬|中旬|下旬)?(?:{_DAY}|(?:[0-9]{{1,2}}|[一二三四五六七八九十]{{1,3}}))?"
    rf"|{_DAY}|(?:这|本|下下?)?个?(?:周|星期|礼拜)[一二三四五六日天末1-7]?"
    r"|今天|明天|后天|大后天|明儿|听日|马上|尽快|越快越好"
    r"|月初|月中|月底|月末|年前|年后|年底|年内|过完年|春节前|春节后|过年前)"
    rf"(?:{_CLOCK})?{_DEADLINE}"
    rf"|{NUMBER}个?(?:工作日|天|周|星期|礼拜|月|年)(?:之内|以内|内|之后|以后|后)"
    rf"|(?:凌晨|早上|早晨|上午|中午|下午|傍晚|晚上)(?:[0-9]{{1,2}}|[一二两三四五六七八九十]{{1,3}})[点时](?:半|一刻)?")
_MONEY = re.compile(rf"¥\s?{NUMBER}|{NUMBER}\s?(?:块钱|块|元钱|元|圆|蚊|人民币|rmb)"
                    r"(?:[0-9一二三四五六七八九](?![0-9]))?")  # 三块五
# An amount in 万 needs no currency word (两万五, 2.5万), but must start with a digit: 万一 and 千万 are words.
_MONEY_BARE = re.compile(rf"(?<![0-9{_CN}])[0-9]+(?:\.[0-9]+)?[万w]"
                         rf"|(?<![{_CN}])[一二两三四五六七八九十][{_CN}]*万[{_CN}]*")
_MONEY_WORDS = ("预算", "价格", "价钱", "报价", "出价", "便宜到", "降到", "少到", "最多出", "最多给", "能出", "出到",
                "给到", "打到", "最低", "控制在")
_KEY_GAP = r"(?:是|要|大概|大约|差不多|约|在|为|有|得|能|只有|也就|就|控制在|[:：\s，,])*"
# Words that follow a counted 个 without counting products (两个月, 一个问题).
_NOT_COUNTED = r"(?!月|星期|礼拜|小时|钟|人|问题|事|工作日|点|方面|样|子|意思|地方|电话|号码|价|报价)"
_CLASSIFIER_NEGATIVE = {"方": r"(?!面|便|案|式|法|向|位)", "m": r"(?![a-z])", "t": r"(?![a-z])", "l": r"(?![a-z])"}
_PRIORITY_CONFIDENCE = {"enum_value": 0.95, "enum_synonym": 0.9, "phone": 0.95, "datetime": 0.9, "unit": 0.9,
                        "classifier": 0.75, "keyword": 0.8, "bare_money": 0.6}


def slot_keywords(slot: dict) -> list[str]:
    """Words that name ``slot`` in an utterance: its name, and its last two characters (产品型号 → 型号)."""
    name = str(slot.get("name") or "")
    words = [name] if name else []
    if len(name) >= 4:
        words.append(name[-2:])
    words += {"money": ["预算", "价格", "价钱"], "quantity": ["数量"], "phone": ["电话", "手机"]}.get(
        slot.get("type", ""), [])
    if unit_family(slot.get("unit")) == "flow":
        words += ["流量", "排量"]
    return list(dict.fromkeys(words))


@lru_cache(maxsize=256)
def _enum_pattern(entries: tuple[tuple[str, str], ...]) -> re.Pattern | None:
    surfaces = sorted({canonical_text(surface.strip()) for surface, _ in entries}, key=lambda s: (-len(s), s))
    if not surfaces:
        return None
    return re.compile("|".join(_bounded(s) if s.isascii() else re.escape(s) for s in surfaces))


def _bounded(code: str) -> str:
    """An ASCII model code that is not part of a longer one: IS80 not in IS800, but ISG in ISG50-160."""
    after = r"(?![0-9])" if code[-1:].isdigit() else r"(?![a-z])"
    return rf"(?<![a-z0-9]){re.escape(code)}{after}"


def _enum_candidates(canon: str, slot: dict) -> Iterator[_Candidate]:
    entries = tuple(enum_entries(slot.get("values")))
    pattern = _enum_pattern(entries)
    values = {canonical_text(value.strip()) for _, value in entries}
    for m in pattern.finditer(canon) if pattern else ():
        kind = "enum_value" if m[0] in values else "enum_synonym"
        yield _Candidate(m.start(), m.end(), slot["name"], _PRIORITY_CONFIDENCE[kind])


def _unit_pattern(slot: dict) -> re.Pattern:
    """``NUMBER unit`` for a number slot (扬程: 50米, 五十米; 流量: 每小时30方, 30m3/h)."""
    aliases = unit_aliases(slot.get("unit") or None)
    units = "|".join(re.escape(a) + _CLASSIFIER_NEGATIVE.get(a, "") for a, _ in aliases)
    if unit_family(slot.get("unit")) == "flow":
        rate = r"(?:每个?小时|一个?小时|/小时|/h|每分钟|每秒)"
        return re.compile(rf"{rate}?{NUMBER}\s?(?:{units})(?:多|半)?{rate}?")
    return re.compile(rf"{NUMBER}\s?(?:{units})(?:多|半)?")


def _quantity_pattern(slot: dict) -> tuple[re.Pattern, str]:
    unit = canonical_text(slot.get("unit") or "台")
    classifiers = sorted({unit} | {c for c, _ in COUNT_UNITS}, key=lambda c: -len(c))
    units = "|".join(re.escape(c) + (_NOT_COUNTED if c == "个" else "") for c in classifiers)
    return re.compile(rf"{NUMBER}\s?(?:{units})(?:半)?"), unit


def _typed_candidates(canon: str, slot: dict) -> Iterator[_Candidate]:
    kind, name = slot.get("type"), slot["name"]
    if kind == "phone":
        for m in _PHONE.finditer(canon):
            yield from _phone_prefixes(canon, m, name)
    elif kind == "datetime":
        yield from (_Candidate(m.start(), m.end(), name, 0.9) for m in _DATE.finditer(canon))
    elif kind == "money":
        yield from (_Candidate(m.start(), m.end(), name, 0.9) for m in _MONEY.finditer(canon))
        yield from (_Candidate(m.start(), m.end(), name, 0.6) for m in _MONEY_BARE.finditer(canon))
    elif kind == "quantity":
        pattern, unit = _quantity_pattern(slot)
        for m in pattern.finditer(canon):
            if not re.fullmatch(r"一个", m[0]) and not _per_unit(canon, m):
                yield _Candidate(m.start(), m.end(), name, 0.9 if m[0].rstrip("半").endswith(unit) else 0.75)
    elif kind == "number":
        yield from (_Candidate(m.start(), m.end(), name, 0.9) for m in _unit_pattern(slot).finditer(canon))
    if kind in ("number", "quantity", "money"):
        yield from _keyword_candidates(canon, slot)


def _per_unit(canon: str, m: re.Match) -> bool:
    """一台 in a price question is "per unit", not a quantity (多少钱一台, 一台要好多钱)."""
    if not m[0].startswith("一"):
        return False
    return canon[:m.start()].endswith(("钱", "价")) or bool(
        re.match(r"(?:要|是|卖|得)?(?:多少|好多|几多|几钱|啥子价|什么价|咩价)", canon[m.end():]))


def _phone_prefixes(canon: str, m: re.Match, name: str) -> Iterator[_Candidate]:
    """The longest valid phone number at the start of a digit run ("13812345678两台" holds one)."""
    positions = [i for i in range(m.start(), m.end()) if not canon[i].isspace() and canon[i] not in "-+"]
    for count in (12, 11, 10):
        if len(positions) >= count and parse_phone(canon[m.start():positions[count - 1] + 1]):
            yield _Candidate(m.start(), positions[count - 1] + 1, name, 0.95)
            return


def _keyword_candidates(canon: str, slot: dict) -> Iterator[_Candidate]:
    """A number right after a word naming the slot (扬程五十, 预算两万五), even without a unit."""
    words = slot_keywords(slot) + (list(_MONEY_WORDS) if slot.get("type") == "money" else [])
    pattern = re.compile(rf"(?:{'|'.join(map(re.escape, sorted(set(words), key=len, reverse=True)))}){_KEY_GAP}"
                         rf"({NUMBER})")
    for m in pattern.finditer(canon):
        if _SUBSTANTIAL.search(m[1]):
            yield _Candidate(m.start(1), m.end(1), slot["name"], 0.8)


def _resolve(canon: str, text: str, candidates: list[_Candidate], slots: dict[str, dict],
             ref_date: date | None) -> list[Span]:
    """Longest candidates first, then the more confident; overlapping ones and unreadable ones are dropped."""
    taken: list[tuple[int, int]] = []
    spans: list[Span] = []
    for cand in sorted(candidates, key=lambda c: (-(c.end - c.start), -c.confidence, c.start)):
        start, end = _trim(canon, cand.start, cand.end)
        if start >= end or any(start < b and a < end for a, b in taken):
            continue
        slot = slots[cand.slot]
        value = normalize(slot.get("type", "text"), text[start:end], unit=slot.get("unit") or None,
                          ref_date=ref_date, values=slot.get("values"))
        if value is None:
            continue
        hedged = is_approximate(text[start:end]) or _hedged(canon, start, end)
        confidence = cand.confidence - (0.2 if slot.get("type") != "enum" and hedged else 0)
        taken.append((start, end))
        spans.append(Span(slot=cand.slot, start=start, end=end, text=text[start:end], value=value,
                          confidence=round(confidence, 2)))
    return sorted(spans, key=lambda s: s["start"])


def _hedged(canon: str, start: int, end: int) -> bool:
    """A hedge next to the span (大概五十米, 五十米左右): the value is a guess, so the span is less sure."""
    before = ("大概", "大约", "差不多", "将近", "约")
    return canon[end:end + 2] in ("左右", "上下", "出头") or canon[:start].endswith(before)


def _trim(canon: str, start: int, end: int) -> tuple[int, int]:
    while start < end and canon[start].isspace():
        start += 1
    while end > start and canon[end - 1].isspace():
        end -= 1
    return start, end


def extract(text: str, slots: list[dict], *, ref_date: date | None = None) -> list[Span]:
    """Slot values found in ``text`` for the bot's ``slots``, as non-overlapping spans sorted by ``start``.

    Enum values and synonyms match longest-first (traditional characters and full-width forms too); numbers need a
    unit (50米, 三台, 两万块) or a word naming the slot (扬程五十, 预算两万五) — a bare number is left to the dialogue
    state tracker, which knows what the bot just asked. Never raises on odd text; returns [] when nothing is found.
    """
    if not isinstance(text, str) or not text or not slots:
        return []
    canon = canonical_text(text)
    by_name = {s["name"]: s for s in slots if isinstance(s, dict) and s.get("name")}
    candidates: list[_Candidate] = []
    for slot in by_name.values():
        if slot.get("type") == "enum":
            candidates += _enum_candidates(canon, slot)
        else:
            candidates += _typed_candidates(canon, slot)
    return _resolve(canon, text, candidates, by_name, ref_date)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) < 1e-6
    return a == b


def locate(text: str, slot: dict | str, value: Any, *, ref_date: date | None = None) -> tuple[int, int] | None:
    """Character offsets of ``value`` of ``slot`` in ``text``, or None when it is not there.

    ``slot`` is a slot definition (or just a name, for a literal search). Tries, in order: the value as written
    (when it is a string), a span :func:`extract` finds with that normalised value, a synonym of an enum value, then any
    numeral in the text that normalises to ``value``. Turns imported ``{"slots": {slot: value}}`` rows into spans.
    """
    if not isinstance(text, str) or value is None:
        return None
    canon = canonical_text(text)
    if isinstance(value, str) and value.strip():
        at = canon.find(canonical_text(value.strip()))
        if at >= 0:
            return at, at + len(value.strip())
    if not isinstance(slot, dict) or not slot.get("name"):
        return None
    for span in extract(text, [slot], ref_date=ref_date):
        if _same(span["value"], value):
            return span["start"], span["end"]
    if slot.get("type") == "enum":
        for surface, canonical in sorted(enum_entries(slot.get("values")), key=lambda e: -len(e[0])):
            at = canon.find(canonical_text(surface))
            if canonical == value and at >= 0:
                return at, at + len(surface)
    return _locate_numeral(text, canon, slot, value, ref_date)


def _locate_numeral(text: str, canon: str, slot: dict, value: Any, ref_date: date | None) -> tuple[int, int] | None:
    if not isinstance(value, (int, float)) or slot.get("type") not in ("number", "quantity", "money"):
        return None
    for m in re.finditer(NUMBER, canon):
        found = normalize(slot["type"], text[m.start():m.end()], unit=slot.get("unit") or None, ref_date=ref_date)
        if found is not None and _same(found, value):
            return m.start(), m.end()
    return None

