"""Dialogue state tracking, as scripted conversations: turns in, slot state and topic out."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu import dst
from nlu.lexicon import extract

PRODUCT = {"name": "产品型号", "type": "enum", "unit": "", "values": [
    {"value": "离心泵", "synonyms": ["离心式水泵"]}, {"value": "潜水泵", "synonyms": ["潜污泵"]},
    {"value": "管道泵", "synonyms": []}]}
SLOTS = [PRODUCT, {"name": "扬程", "type": "number", "unit": "米"},
         {"name": "流量", "type": "number", "unit": "方/小时"},
         {"name": "数量", "type": "quantity", "unit": "台"}, {"name": "预算", "type": "money", "unit": "元"},
         {"name": "交付时间", "type": "datetime", "unit": ""}, {"name": "联系电话", "type": "phone", "unit": ""},
         {"name": "称呼", "type": "text", "unit": ""}]
TYPES = {s["name"]: s for s in SLOTS}


def turn(text: str, *, asked: tuple[str, ...] = (), intent: str = "需求确认", spans: list[dict] | None = None,
         confidence: float = 0.9) -> dict:
    """A turn as the runtime builds it; spans come from the lexicon unless the test plays the model."""
    return {"text": text, "intent": intent, "confidence": confidence,
            "spans": extract(text, SLOTS, ref_date=date(2026, 11, 20)) if spans is None else spans,
            "asked_slots": list(asked), "slot_types": TYPES, "ref_date": "2026-11-20"}


def talk(*turns: dict, state: dict | None = None) -> dict:
    for t in turns:
        state = dst.update(state, t)
    return state


def values(state: dict) -> dict:
    return dst.slot_values(state)


# ---- values from any turn
def test_values_are_taken_from_any_turn_not_only_when_asked():
    state = talk(turn("我要三台离心泵", asked=("扬程",)))
    assert values(state) == {"数量": 3, "产品型号": "离心泵"}
    assert sorted(state["changed"]) == ["产品型号", "数量"]


def test_state_accumulates_over_turns():
    state = talk(turn("离心泵多少钱"), turn("扬程50米，每小时30方"), turn("月底前要两台"))
    assert values(state) == {"产品型号": "离心泵", "扬程": 50, "流量": 30, "数量": 2,
                             "交付时间": {"start": "2026-11-20", "end": "2026-11-30"}}
    assert state["turn"] == 3
    assert state["slots"]["扬程"]["turn"] == 2


# ---- bare answers
@pytest.mark.parametrize("asked,text,expected", [
    ("扬程", "五十", 50), ("扬程", "五十米", 50), ("流量", "八十吧", 80), ("流量", "大概八十方", 80), ("数量", "三", 3),
    ("数量", "要三台", 3), ("预算", "两万五", 25000), ("交付时间", "下周三吧", "2026-11-25"),
    ("联系电话", "幺三八 幺二三四 五六七八", "13812345678"), ("称呼", "姓王", "姓王"),
    ("产品型号", "离心式水泵吧", "离心泵"),
])
def test_bare_answer_fills_the_asked_slot(asked, text, expected):
    assert values(talk(turn(text, asked=(asked,)))) == {asked: expected}


def test_bare_number_tagged_for_another_slot_moves_to_the_asked_one():
    model_span = {"slot": "扬程", "start": 0, "end": 2, "text": "五十", "value": 50, "confidence": 0.7}
    state = talk(turn("五十", asked=("流量",), spans=[model_span]))
    assert values(state) == {"流量": 50}


@pytest.mark.parametrize("text", ["扬程五十", "五十米"])
def test_a_value_that_names_its_slot_is_not_moved(text):
    assert values(talk(turn(text, asked=("流量",)))) == {"扬程": 50}


def test_bare_answer_is_less_sure_when_approximate():
    state = talk(turn("五十左右", asked=("扬程",)))
    assert state["slots"]["扬程"] == {"value": 50, "confidence": 0.6, "turn": 1}


def test_refusal_does_not_fill_a_free_text_slot():
    assert values(talk(turn("不方便说", asked=("称呼",)))) == {}


def test_nothing_asked_nothing_guessed():
    assert values(talk(turn("五十"))) == {}


# ---- corrections
@pytest.mark.parametrize("text", ["不是50米，是80米", "不是五十米是八十米", "唔系五十米，系八十米", "50米，不对，80米",
                                  "改成80米"])
def test_correction_keeps_the_new_value(text):
    state = talk(turn("扬程50米"), turn(text, asked=("扬程",)))
    assert values(state) == {"扬程": 80}
    assert state["changed"] == ["扬程"]


def test_negated_value_is_not_kept_when_nothing_was_there():
    assert values(talk(turn("不是80米"))) == {}


def test_correction_overrides_a_surer_old_value():
    low = {"slot": "扬程", "start": 2, "end": 5, "text": "80米", "value": 80, "confidence": 0.4}
    state = talk(turn("扬程50米"), turn("改成80米", spans=[low]))
    assert values(state) == {"扬程": 80}


def test_an_unsure_value_does_not_override_a_sure_one():
    low = {"slot": "扬程", "start": 0, "end": 3, "text": "80米", "value": 80, "confidence": 0.4}
    state = talk(turn("扬程50米"), turn("80米吧", spans=[low]))
    assert values(state) == {"扬程": 50}
    assert state["changed"] == []


# ---- negation
@pytest.mark.parametrize("text", ["不要那个型号了", "那个型号不要了", "不要离心泵了", "离心泵就算了", "唔要呢个型号",
                                  "莫要勒个型号了"])
def test_negation_clears_the_product(text):
    state = talk(turn("离心泵多少钱"), turn(text))
    assert "产品型号" not in values(state)
    assert state["changed"] == ["产品型号"]
    assert state["topic"]["value"] is None


def test_negating_another_value_keeps_the_current_one():
    assert values(talk(turn("潜水泵多少钱"), turn("不要离心泵"))) == {"产品型号": "潜水泵"}


def test_negation_then_new_value_in_one_turn():
    state = talk(turn("离心泵多少钱"), turn("离心泵不要了，换潜污泵"))
    assert values(state) == {"产品型号": "潜水泵"}
    assert state["topic"]["value"] == "潜水泵"


def test_pronoun_negation_clears_the_topic():
    assert values(talk(turn("离心泵多少钱"), turn("算了，不要那个了"))) == {}


def test_a_limit_is_not_a_negation():
    assert values(talk(turn("要三台"), turn("数量不要太多"))) == {"数量": 3}


# ---- topic
def test_topic_is_carried_over_when_the_turn_names_no_product():
    state = talk(turn("离心泵多少钱", intent="询价"), turn("有没有现货", intent="物流查询"))
    assert state["topic"] == {"slot": "产品型号", "value": "离心泵", "intent": "物流查询", "turn": 1, "carried": True}


def test_topic_switches_when_another_product_is_named():
    state = talk(turn("离心泵多少钱", intent="询价"), turn("有没有现货"), turn("潜污泵呢", intent="询价"))
    assert state["topic"] == {"slot": "产品型号", "value": "潜水泵", "intent": "询价", "turn": 3, "carried": False}


def test_no_topic_before_any_product():
    assert talk(turn("你好"))["topic"] == {"slot": None, "value": None, "intent": "需求确认", "turn": 1,
                                          "carried": False}


# ---- confidence
def test_repeating_a_value_makes_it_surer():
    state = talk(turn("扬程50米"), turn("对，50米"))
    assert state["slots"]["扬程"]["confidence"] == pytest.approx(1 - 0.1 * 0.1)
    assert state["changed"] == []


def test_noise_spans_are_ignored():
    noise = {"slot": "扬程", "start": 0, "end": 2, "text": "五十", "value": 50, "confidence": 0.1}
    assert values(talk(turn("五十", spans=[noise]))) == {}


def test_model_span_confidence_defaults_to_the_turn_confidence():
    span = {"slot": "扬程", "start": 2, "end": 5}
    state = talk(turn("扬程50米", spans=[span], confidence=0.7))
    assert state["slots"]["扬程"] == {"value": 50, "confidence": 0.7, "turn": 1}


# ---- input hygiene
def test_spans_for_unknown_slots_are_ignored():
    span = {"slot": "颜色", "start": 0, "end": 1, "text": "红", "value": "红", "confidence": 0.9}
    assert values(talk(turn("红", spans=[span]))) == {}


def test_span_with_bad_offsets_is_found_by_its_text():
    span = {"slot": "扬程", "start": 40, "end": 99, "text": "50米", "confidence": 0.9}
    assert values(talk(turn("扬程50米", spans=[span]))) == {"扬程": 50}


def test_slot_types_may_be_plain_type_names():
    t = {"text": "五十", "intent": "需求确认", "confidence": 0.9, "spans": [], "asked_slots": ["扬程"],
         "slot_types": {"扬程": "number"}}
    assert values(dst.update(None, t)) == {"扬程": 50}


def test_update_is_pure():
    state = talk(turn("离心泵多少钱"))
    frozen = copy.deepcopy(state)
    after = dst.update(state, turn("不要那个型号了"))
    assert state == frozen
    assert after is not state and after["turn"] == 2


def test_turn_must_be_a_dict():
    with pytest.raises(TypeError):
        dst.update(None, "五十")


def test_slot_values_of_nothing():
    assert dst.slot_values(None) == {} and dst.slot_values(dst.initial_state()) == {}


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40), st.lists(st.sampled_from([s["name"] for s in SLOTS]), max_size=2))
def test_update_never_crashes(text, asked):
    state = dst.update(None, turn(text, asked=tuple(asked)))
    state = dst.update(state, turn(text[::-1], asked=tuple(asked)))
    assert state["turn"] == 2 and set(state["changed"]) <= set(TYPES)
