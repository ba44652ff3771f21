"""Normalisers: surface text → canonical slot values, as a table of what callers really say."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.normalize import (
    canonical_text,
    is_approximate,
    normalize,
    parse_datetime,
    parse_enum,
    parse_measure,
    parse_money,
    parse_number,
    parse_phone,
    parse_quantity,
    to_mandarin,
)

REF = date(2026, 11, 20)  # a Friday

NUMBERS = [
    ("五十", 50), ("一百二", 120), ("两千三百", 2300), ("1.5", 1.5), ("十五", 15), ("二十", 20), ("十", 10),
    ("一百零二", 102), ("一千零五十", 1050), ("三千五", 3500), ("两万五", 25000), ("一万二千三百", 12300),
    ("一亿二", 120000000), ("二零二六", 2026), ("一点五", 1.5), ("三点五万", 35000), ("2.5万", 25000),
    ("3千", 3000), ("2万5", 25000), ("1,200", 1200), ("０５０", 50), ("壹佰贰拾", 120), ("兩萬五", 25000),
    ("零", 0), ("十几", 15), ("二十多", 25), ("一百多", 150), ("三四十", 35), ("七八百", 750), ("几十", 50),
    ("两个半", 2.5), ("大概五十", 50), ("五十左右", 50), ("十来", 10),
]
NOT_NUMBERS = ["", "   ", "多少", "几", "一下", "十十", "百千", "abc", "五十米abc", "1" * 30,
               "一二三四五六七八九零一二三四五六七"]


@pytest.mark.parametrize("text,expected", NUMBERS)
def test_parse_number(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_parse_number_rejects(text):
    assert parse_number(text) is None


APPROXIMATE = [("十几", True), ("二十多台", True), ("三四十米", True), ("大概五十", True), ("五十米左右", True),
               ("五十", False), ("50米", False), ("多少钱", False), ("两万五", False)]


@pytest.mark.parametrize("text,approximate", APPROXIMATE)
def test_is_approximate(text, approximate):
    assert is_approximate(text) is approximate


MEASURES = [
    ("扬程 50米", "米", 50), ("五十米", "米", 50), ("50m", "米", 50), ("50 M", "米", 50), ("五十", "米", 50),
    ("一米多", "米", 1.5), ("一米半", "米", 1.5), ("500厘米", "米", 5), ("五十米左右", "米", 50),
    ("差不多八十米吧", "米", 80), ("扬程是60米的", "米", 60), ("八十方", "方/小时", 80), ("80立方", "方/小时", 80),
    ("每小时30方", "方/小时", 30), ("30m3/h", "方/小时", 30), ("30方每小时", "方/小时", 30),
    ("一小时二十吨", "方/小时", 20), ("每分钟1方", "方/小时", 60), ("流量100", "方/小时", 100),
    ("五十米", None, 50), ("八十方", None, 80), ("12.5", None, 12.5),
]


@pytest.mark.parametrize("text,unit,expected", MEASURES)
def test_parse_measure(text, unit, expected):
    assert parse_measure(text, unit) == expected


FOREIGN_UNITS = [("五十台", "米"), ("八十方", "米"), ("五十米", "方/小时"), ("米", "米"), ("高", "米")]


@pytest.mark.parametrize("text,unit", FOREIGN_UNITS)
def test_parse_measure_rejects_foreign_units(text, unit):
    assert parse_measure(text, unit) is None


QUANTITIES = [("三台", 3), ("两套", 2), ("10个", 10), ("一台", 1), ("十几台", 15), ("三四台", 4), ("要五台", 5),
              ("二十台左右", 20), ("兩臺", 2), ("8", 8)]


@pytest.mark.parametrize("text,expected", QUANTITIES)
def test_parse_quantity(text, expected):
    assert parse_quantity(text, "台") == expected


@pytest.mark.parametrize("text", ["几台", "台", "五十米", "很多"])
def test_parse_quantity_rejects(text):
    assert parse_quantity(text, "台") is None


MONEY = [
    ("两万五", 25000), ("2.5万", 25000), ("25000元", 25000), ("三千块", 3000), ("1.2w", 12000), ("1.2W", 12000),
    ("两万五千块钱", 25000), ("3k", 3000), ("五十万", 500000), ("一百多万", 1500000), ("三块五", 3.5),
    ("五毛", 0.5), ("¥25,000", 25000), ("￥2000", 2000), ("三千蚊", 3000), ("一万块左右", 10000),
    ("大概两万", 20000), ("两万块以内", 20000), ("预算两万五", 25000), ("人民币八千元", 8000), ("兩萬五千塊", 25000),
    ("8000", 8000), ("十来万", 100000),
]


@pytest.mark.parametrize("text,expected", MONEY)
def test_parse_money(text, expected):
    assert parse_money(text) == expected


@pytest.mark.parametrize("text", ["多少钱", "好多钱", "几多钱", "块", "钱", "便宜点"])
def test_parse_money_rejects(text):
    assert parse_money(text) is None


def _range(start: str, end: str) -> dict:
    return {"start": start, "end": end}


DATES = [
    ("今天", "2026-11-20"), ("明天", "2026-11-21"), ("后天", "2026-11-22"), ("大后天", "2026-11-23"),
    ("听日", "2026-11-21"), ("明兒", "2026-11-21"), ("下周三", "2026-11-25"), ("下星期一", "2026-11-23"),
    ("下礼拜五", "2026-11-27"), ("这周五", "2026-11-20"), ("周三", "2026-11-25"), ("星期天", "2026-11-22"),
    ("下下周一", "2026-11-30"), ("下周", _range("2026-11-23", "2026-11-29")),
    ("这周", _range("2026-11-20", "2026-11-22")),
    ("周末", _range("2026-11-21", "2026-11-22")), ("月底", "2026-11-30"), ("下个月底", "2026-12-31"),
    ("下个月", _range("2026-12-01", "2026-12-31")), ("下月初", _range("2026-12-01", "2026-12-10")),
    ("月初", _range("2026-12-01", "2026-12-10")), ("上旬", _range("2026-12-01", "2026-12-10")), ("中旬", "2026-11-20"),
    ("下旬", _range("2026-11-21", "2026-11-30")), ("3月5号", "2027-03-05"), ("三月五号", "2027-03-05"),
    ("12月1日", "2026-12-01"), ("12月份", _range("2026-12-01", "2026-12-31")), ("5号", "2026-12-05"),
    ("25号", "2026-11-25"), ("二十五号", "2026-11-25"), ("2027年1月8号", "2027-01-08"), ("2027-01-08", "2027-01-08"),
    ("明年3月", _range("2027-03-01", "2027-03-31")), ("两周内", _range("2026-11-20", "2026-12-04")),
    ("三天之内", _range("2026-11-20", "2026-11-23")), ("一个月内", _range("2026-11-20", "2026-12-20")),
    ("半个月内", _range("2026-11-20", "2026-12-05")), ("10天以内", _range("2026-11-20", "2026-11-30")),
    ("三天后", "2026-11-23"), ("两周以后", "2026-12-04"), ("下周三之前", _range("2026-11-20", "2026-11-25")),
    ("月底前", _range("2026-11-20", "2026-11-30")), ("年前", _range("2026-11-20", "2027-02-05")),
    ("年后", _range("2027-02-06", "2027-03-07")), ("年底", "2026-12-31"), ("年内", _range("2026-11-20", "2026-12-31")),
    ("明天下午三点", "2026-11-21T15:00"), ("下周一上午十点半", "2026-11-23T10:30"), ("明天上午", "2026-11-21"),
    ("尽快", "2026-11-20"), ("最好下周三吧", "2026-11-25"), ("下周三左右", "2026-11-25"),
    ("三天", _range("2026-11-20", "2026-11-23")),
]


@pytest.mark.parametrize("text,expected", DATES)
def test_parse_datetime(text, expected):
    assert parse_datetime(text, REF) == expected


def test_spring_festival_already_passed_means_next_year():
    assert parse_datetime("年前", date(2026, 3, 1)) == _range("2026-03-01", "2027-02-05")
    assert parse_datetime("年前", date(2026, 1, 10)) == _range("2026-01-10", "2026-02-16")


@pytest.mark.parametrize("text", ["2月30号", "13月", "周", "底", "中", "三天前", "好的", "32号", "下下下", "月"])
def test_parse_datetime_rejects(text):
    assert parse_datetime(text, REF) is None


PHONES = [
    ("13812345678", "13812345678"), ("138 1234 5678", "13812345678"), ("138-1234-5678", "13812345678"),
    ("幺三八幺二三四五六七八", "13812345678"), ("幺三八 两二三四 五六七八", "13822345678"),
    ("一三九零零零零幺幺幺幺", "13900001111"), ("+86 138 1234 5678", "13812345678"),
    ("我电话是13812345678", "13812345678"),
    ("010-12345678", "01012345678"), ("0755 1234 5678", "075512345678"), ("400-800-1234", "4008001234"),
    ("１３８１２３４５６７８", "13812345678"),
]


@pytest.mark.parametrize("text,expected", PHONES)
def test_parse_phone(text, expected):
    assert parse_phone(text) == expected


@pytest.mark.parametrize("text", ["12345", "23812345678", "1381234567", "138123456789", "五十米", "电话"])
def test_parse_phone_rejects(text):
    assert parse_phone(text) is None


PUMPS = [{"value": "离心泵", "synonyms": ["离心式水泵", "离心水泵"]},
         {"value": "潜水泵", "synonyms": ["潜污泵", "潜水电泵"]},
         {"value": "IS80-65-160", "synonyms": ["IS80"]}, "管道泵"]
ENUMS = [("离心泵", "离心泵"), ("离心式水泵", "离心泵"), ("離心式水泵", "离心泵"), ("勒个离心泵", "离心泵"),
         ("潜污泵嘛", "潜水泵"), ("is80", "IS80-65-160"), ("IS80-65-160", "IS80-65-160"), ("管道泵", "管道泵"),
         ("  潜水电泵 ", "潜水泵")]


@pytest.mark.parametrize("text,expected", ENUMS)
def test_parse_enum(text, expected):
    assert parse_enum(text, PUMPS) == expected


@pytest.mark.parametrize("text", ["水泵", "", "风机"])
def test_parse_enum_rejects(text):
    assert parse_enum(text, PUMPS) is None


def test_parse_enum_ambiguous_is_none():
    assert parse_enum("泵", [{"value": "A", "synonyms": ["泵"]}, {"value": "B", "synonyms": ["泵"]}]) is None


DIALECT = [("好多钱", "多少钱"), ("几多钱", "多少钱"), ("勒个", "这个"), ("唔系", "不是"), ("莫得", "没有"),
           ("系唔系", "是不是"), ("联系电话", "联系电话"), ("冇货", "没有货")]


@pytest.mark.parametrize("dialect,mandarin", DIALECT)
def test_to_mandarin(dialect, mandarin):
    assert to_mandarin(dialect) == mandarin


def test_enum_values_compare_across_dialects():
    values = [{"value": "询价", "synonyms": ["多少钱"]}]
    assert parse_enum("好多钱", values) == "询价"
    assert parse_enum("幾多錢", values) == "询价"


def test_canonical_text_keeps_length():
    for text in ["離心泵幾多錢", "ＡＢＣ１２３", "İstanbul", "𠮷野家", "臺灣"]:
        assert len(canonical_text(text)) == len(text)


@pytest.mark.parametrize("slot_type,text,kwargs,expected", [
    ("number", "扬程五十米", {"unit": "米"}, 50), ("quantity", "三台", {"unit": "台"}, 3),
    ("money", "两万五", {}, 25000),
    ("datetime", "下周三", {"ref_date": REF}, "2026-11-25"), ("phone", "幺三八幺二三四五六七八", {}, "13812345678"),
    ("enum", "离心式水泵", {"values": PUMPS}, "离心泵"), ("text", "  王先生 ", {}, "王先生"), ("number", "", {}, None),
    ("text", "   ", {}, None),
])
def test_normalize_dispatches_by_slot_type(slot_type, text, kwargs, expected):
    assert normalize(slot_type, text, **kwargs) == expected


def test_normalize_unknown_slot_type_is_a_programming_error():
    with pytest.raises(ValueError):
        normalize("colour", "红")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40), st.sampled_from(["number", "quantity", "money", "datetime", "phone", "enum", "text"]))
def test_normalize_never_crashes(text, slot_type):
    value = normalize(slot_type, text, unit="米", ref_date=REF, values=PUMPS)
    assert value is None or isinstance(value, (int, float, str, dict))


NUMERAL_SOUP = st.text(alphabet="零一二两三四五六七八九十百千万亿几多来点半个块元米方台号月周天年前内后下上这本"
                                "0123456789.,wk ", max_size=14)


@settings(max_examples=300, deadline=None)
@given(NUMERAL_SOUP, st.sampled_from(["number", "quantity", "money", "datetime", "phone"]))
def test_normalize_never_crashes_on_numeral_soup(text, slot_type):
    normalize(slot_type, text, unit="方/小时", ref_date=date(9999, 12, 20))
