"""Rule-based slot extraction and span location, on the pump-sales bot's slot definitions."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.lexicon import extract, locate, slot_keywords

REF = date(2026, 11, 20)  # a Friday
PRODUCT = {"name": "产品型号", "type": "enum", "unit": "", "values": [
    {"value": "离心泵", "synonyms": ["离心式水泵", "离心水泵"]},
    {"value": "多级泵", "synonyms": ["多级离心泵"]},
    {"value": "潜水泵", "synonyms": ["潜污泵", "潜水电泵"]},
    {"value": "IS80-65-160", "synonyms": ["IS80"]},
]}
HEAD = {"name": "扬程", "type": "number", "unit": "米", "values": []}
FLOW = {"name": "流量", "type": "number", "unit": "方/小时", "values": []}
COUNT = {"name": "数量", "type": "quantity", "unit": "台", "values": []}
BUDGET = {"name": "预算", "type": "money", "unit": "元", "values": []}
WHEN = {"name": "交付时间", "type": "datetime", "unit": "", "values": []}
PHONE = {"name": "联系电话", "type": "phone", "unit": "", "values": []}
SLOTS = [PRODUCT, HEAD, FLOW, COUNT, BUDGET, WHEN, PHONE]


def found(text: str) -> list[tuple[str, str, object]]:
    return [(s["slot"], s["text"], s["value"]) for s in extract(text, SLOTS, ref_date=REF)]


EXTRACTIONS = [
    ("你们勒个离心泵好多钱嘛", [("产品型号", "离心泵", "离心泵")]),
    ("多级离心泵有没有", [("产品型号", "多级离心泵", "多级泵")]),  # longest synonym wins
    ("離心式水泵幾多錢", [("产品型号", "離心式水泵", "离心泵")]),
    ("is80还有货吗", [("产品型号", "is80", "IS80-65-160")]),
    ("IS800", []),  # a code inside a longer code is not that code
    ("扬程50米，流量每小时30方，要三台", [("扬程", "50米", 50), ("流量", "每小时30方", 30), ("数量", "三台", 3)]),
    ("扬程五十", [("扬程", "五十", 50)]),
    ("八十立方每小时的潜污泵", [("流量", "八十立方每小时", 80), ("产品型号", "潜污泵", "潜水泵")]),
    ("预算两万五，下周三之前到货", [("预算", "两万五", 25000),
                         ("交付时间", "下周三之前", {"start": "2026-11-20", "end": "2026-11-25"})]),
    ("最多出三千块", [("预算", "三千块", 3000)]),
    ("2.5万能不能拿下", [("预算", "2.5万", 25000)]),
    ("我电话是幺三八 幺二三四 五六七八", [("联系电话", "幺三八 幺二三四 五六七八", "13812345678")]),
    ("13812345678两台", [("联系电话", "13812345678", "13812345678"), ("数量", "两台", 2)]),
    ("3月5号前交货", [("交付时间", "3月5号前", {"start": "2026-11-20", "end": "2027-03-05"})]),
    ("两个月内交货", [("交付时间", "两个月内", {"start": "2026-11-20", "end": "2027-01-20"})]),
    ("10个潜污泵", [("数量", "10个", 10), ("产品型号", "潜污泵", "潜水泵")]),
    ("要十几台", [("数量", "十几台", 15)]),
    ("一万二的离心泵", [("预算", "一万二", 12000), ("产品型号", "离心泵", "离心泵")]),
    ("明天下午三点打给我", [("交付时间", "明天下午三点", "2026-11-21T15:00")]),
]


@pytest.mark.parametrize("text,expected", EXTRACTIONS)
def test_extract(text, expected):
    assert found(text) == expected


EVERYDAY = ["我想问一下", "一方面价格要便宜一点", "万一坏了怎么办", "预算一般般", "你们有几个问题",
            "两个月前买的泵用了三年了", "千万别骗我", "要一个报价", "多少钱", "好多钱嘛", ""]


@pytest.mark.parametrize("text", EVERYDAY)
def test_extract_ignores_everyday_numerals(text):
    slots = [s for s in SLOTS if s is not WHEN]  # 两个月前 is a past date, irrelevant to delivery
    assert extract(text, slots) == []


def test_spans_carry_offsets_into_the_original_text():
    text = "ＯＫ，離心泵要兩臺，揚程５０米"
    for span in extract(text, SLOTS):
        assert text[span["start"]:span["end"]] == span["text"]
    expected = [("产品型号", "离心泵"), ("数量", 2), ("扬程", 50)]
    assert [(s["slot"], s["value"]) for s in extract(text, SLOTS)] == expected


def test_confidence_is_lower_for_synonyms_keywords_and_hedges():
    by_text = {s["text"]: s["confidence"] for s in extract("离心泵和潜污泵，扬程五十，大概八十方，三台", SLOTS)}
    assert by_text["离心泵"] > by_text["潜污泵"]
    assert by_text["五十"] < 0.9
    assert by_text["八十方"] < 0.9
    assert by_text["三台"] == 0.9


def test_extract_without_slots_is_empty():
    assert extract("离心泵五十米", []) == []


def test_slot_keywords():
    assert slot_keywords(PRODUCT) == ["产品型号", "型号"]
    assert "流量" in slot_keywords(FLOW)
    assert "预算" in slot_keywords(BUDGET)


LOCATIONS = [
    ("扬程要五十米的", HEAD, 50, (3, 6)),
    ("扬程要五十米的", HEAD, "五十米", (3, 6)),
    ("要离心式水泵", PRODUCT, "离心泵", (1, 6)),
    ("预算两万五", BUDGET, 25000, (2, 5)),
    ("预算两万五", BUDGET, 25000.0, (2, 5)),
    ("下周三送到", WHEN, "2026-11-25", (0, 3)),
    ("下周三前送到", WHEN, {"start": "2026-11-20", "end": "2026-11-25"}, (0, 4)),
    ("电话幺三八幺二三四五六七八", PHONE, "13812345678", (2, 13)),
    ("我要三台", COUNT, 3, (2, 4)),
    ("就五十吧", HEAD, 50, (1, 3)),  # no unit, no keyword: the numeral search finds it
    ("离心泵五十米", "产品型号", "离心泵", (0, 3)),  # a bare slot name: literal search only
]


@pytest.mark.parametrize("text,slot,value,expected", LOCATIONS)
def test_locate(text, slot, value, expected):
    assert locate(text, slot, value, ref_date=REF) == expected


@pytest.mark.parametrize("text,slot,value", [("扬程五十米", HEAD, 80), ("要离心泵", PRODUCT, "潜水泵"), ("", HEAD, 50),
                                             ("五十米", "扬程", 50), ("五十米", HEAD, None)])
def test_locate_missing(text, slot, value):
    assert locate(text, slot, value) is None


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_extract_never_crashes(text):
    for span in extract(text, SLOTS, ref_date=REF):
        assert text[span["start"]:span["end"]] == span["text"]
        assert span["value"] is not None


SOUP = st.text(alphabet="零一二两三四五六七八九十百千万几多来点半个块元米方台号月周天年前内后下这每小时"
                        "离心泵潜污0123456789.-幺 ", max_size=30)


@settings(max_examples=200, deadline=None)
@given(SOUP)
def test_extract_never_crashes_on_numeral_soup(text):
    spans = extract(text, SLOTS, ref_date=REF)
    assert all(a["end"] <= b["start"] for a, b in zip(spans, spans[1:], strict=False))
