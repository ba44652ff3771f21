"""Dates, times and periods said relative to a reference day: 下周三, 月底, 3月5号, 明天下午三点, 两周内, 年前."""

from __future__ import annotations

import calendar
import math
import re
from datetime import date, timedelta

from nlu.normalize.numbers import parse_number
from nlu.normalize.text import clean

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
    s = re.sub(r"(左右|前后|上下)$", "", clean(text, _DATE_FILLERS).replace(" ", ""))
    if not s or len(s) > 30:
        return None
    try:
        return _parse_date(s, ref_date or date.today())
    except (ValueError, OverflowError):  # a day the month lacks, or arithmetic past year 9999
        return None
