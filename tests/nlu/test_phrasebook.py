"""Intents from the bot's example phrases while no model is trained."""

from __future__ import annotations

import json

from flows.bundles import DEMO_DIR
from nlu.phrasebook import Phrasebook, pattern

DEMO = json.loads((DEMO_DIR / "nlu.json").read_text(encoding="utf-8"))
BOOK = Phrasebook(DEMO["examples"], DEMO["slots"])


def test_an_example_phrase_gives_its_intent_whatever_the_punctuation_width_or_script():
    for text in ("是的", "是的。", " 是的！", "是的!"):
        assert BOOK.predict(text)["intent"] == "肯定", text
    assert BOOK.predict("冇問題")["intent"] == "肯定"  # traditional characters of the example 冇问题
    result = BOOK.predict("要得")
    assert (result["confidence"], result["ranking"], result["spans"]) == (1.0, [{"intent": "肯定", "confidence": 1.0}],
                                                                          [])


def test_slot_values_are_wildcards_of_the_pattern():
    assert pattern("离心泵多少钱一台", [{"slot": "产品型号", "start": 0, "end": 3}]) == "{产品型号}多少钱一台"
    result = BOOK.predict("多级泵多少钱一台")  # the example says 离心泵
    assert result["intent"] == "询价"
    assert [(s["slot"], s["value"]) for s in result["spans"]] == [("产品型号", "多级泵")]


def test_anything_else_has_no_intent_but_keeps_its_slot_values():
    result = BOOK.predict("我们要扬程五十米的")
    assert (result["intent"], result["confidence"], result["ranking"]) == (None, None, [])
    assert [(s["slot"], s["value"]) for s in result["spans"]] == [("扬程", 50)]


def test_a_phrase_labelled_with_two_intents_ranks_them_by_votes():
    book = Phrasebook([{"text": "行", "intent": "肯定"}, {"text": "行。", "intent": "肯定"},
                       {"text": "行", "intent": "转人工"}], [])
    assert book.predict("行")["ranking"] == [{"intent": "肯定", "confidence": 2 / 3},
                                             {"intent": "转人工", "confidence": 1 / 3}]
