"""The recogniser's hints at a listening node: its hot words, then the values of the choice slots it asks for."""

from __future__ import annotations

from calls.dialogue import listening_words

SLOTS = {"产品型号": {"type": "enum",
                     "values": [{"value": "离心泵", "synonyms": ["离心式水泵"]}, "多级泵", {"value": "ISG"}]},
         "扬程": {"type": "number", "unit": "米"}}


def test_a_node_asking_for_a_choice_hears_its_values_after_its_hot_words():
    listen = {"hot_words": ["型号", "ISG"], "expected_slots": ["产品型号"]}
    assert listening_words(listen, SLOTS) == ("型号", "ISG", "离心泵", "多级泵")  # no synonyms, no repeats


def test_numbers_unknown_slots_and_no_listening_add_nothing():
    assert listening_words({"hot_words": ["扬程", "米"], "expected_slots": ["扬程", "不存在"]}, SLOTS) == ("扬程", "米")
    assert listening_words({"hot_words": []}, SLOTS) == ()
    assert listening_words(None, SLOTS) == ()
