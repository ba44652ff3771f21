"""The condition grammar: what parses, what it means, and what is refused."""

from __future__ import annotations

import pytest

from flows.conditions import ConditionError, evaluate, implied_filled, parse, slot_names


def test_comparison_with_number():
    assert parse("扬程 >= 50") == {"op": ">=", "left": {"slot": "扬程"}, "right": {"value": 50}}


def test_precedence_not_binds_tighter_than_and_than_or():
    assert parse("not filled(扬程) and 流量 > 1 or 数量 == 2") == {
        "op": "or", "args": [
            {"op": "and", "args": [{"op": "not", "arg": {"op": "filled", "slot": "扬程"}},
                                   {"op": ">", "left": {"slot": "流量"}, "right": {"value": 1}}]},
            {"op": "==", "left": {"slot": "数量"}, "right": {"value": 2}}]}


def test_parentheses_group():
    ast = parse("filled(扬程) and (流量 > 1 or 数量 > 1)")
    assert ast["op"] == "and" and ast["args"][1]["op"] == "or"


def test_full_width_parentheses_and_quotes_from_chinese_input_methods():
    assert parse("（产品型号 == “ISG”）") == parse('(产品型号 == "ISG")')


def test_the_keywords_in_chinese_mean_the_same():
    assert parse("非 已填(扬程) 且 流量 > 1 或者 数量 == 2") == parse("not filled(扬程) and 流量 > 1 or 数量 == 2")
    assert parse("未填写（交付时间） 或 已记住（扬程）") == parse("empty(交付时间) or remembered(扬程)")
    assert parse("未填(交付时间) 并且 记得(扬程)") == parse("empty(交付时间) and remembered(扬程)")  # shorter words
    assert parse("已填数量 == 2") == {"op": "==", "left": {"slot": "已填数量"}, "right": {"value": 2}}  # a whole word


@pytest.mark.parametrize("text, value", [("-3", -3), ("2.5", 2.5), ("'月底'", "月底"), ('"a b"', "a b")])
def test_literals(text, value):
    assert parse(f"扬程 == {text}")["right"] == {"value": value}


def test_slot_names_and_identifiers_with_digits_and_underscores():
    assert slot_names(parse("型号_2 == 'x' or empty(扬程)")) == {"型号_2", "扬程"}


@pytest.mark.parametrize("text, slots, expected", [
    ("扬程 > 50", {"扬程": 80}, True),
    ("扬程 > 50", {"扬程": 30}, False),
    ("扬程 > 50", {}, False),
    ("扬程 != 50", {}, False),  # any comparison with an unset slot is false
    ("扬程 != 50", {"扬程": 60}, True),
    ("扬程 == 50", {"扬程": "50"}, True),  # numeric strings compare as numbers
    ("扬程 < 'abc'", {"扬程": 5}, False),
    ("产品型号 == 'ISG'", {"产品型号": "ISG"}, True),
    ("产品型号 != 'ISG'", {"产品型号": 3}, True),
    ("filled(扬程)", {"扬程": 0}, True),
    ("filled(扬程)", {"扬程": ""}, False),
    ("empty(扬程)", {"扬程": None}, True),
    ("not (扬程 > 50 and 流量 > 10)", {"扬程": 80, "流量": 5}, True),
    ("扬程 > 50 or 流量 > 10", {"流量": 20}, True),
])
def test_evaluate(text, slots, expected):
    assert evaluate(parse(text), slots) is expected


@pytest.mark.parametrize("text, outcome, expected", [
    ("filled(扬程)", True, {"扬程"}),
    ("empty(扬程)", False, {"扬程"}),
    ("扬程 > 5", True, {"扬程"}),
    ("扬程 > 5", False, set()),
    ("filled(扬程) and 流量 > 1", True, {"扬程", "流量"}),
    ("filled(扬程) or 流量 > 1", True, set()),
    ("filled(扬程) or filled(扬程)", True, {"扬程"}),
    ("empty(扬程) or empty(流量)", False, {"扬程", "流量"}),
    ("not empty(扬程)", True, {"扬程"}),
])
def test_implied_filled(text, outcome, expected):
    assert implied_filled(parse(text), outcome) == expected


@pytest.mark.parametrize("text", [
    "", "   ", "扬程", "扬程 and 流量", "扬程 = 5", "扬程 >", "> 5", "(扬程 > 5", "扬程 > 5)", "filled(5)",
    "filled 扬程", "扬程 > 5 6", "扬程 == '未结束", "扬程 > 5 and", "not", "扬程 >> 5", "1 < 扬程 < 5",
])
def test_invalid(text):
    with pytest.raises(ConditionError) as caught:
        parse(text)
    assert caught.value.message_en and caught.value.message_zh


@pytest.mark.parametrize("text", [
    "__import__('os')", "__import__('os').system('rm -rf /')", "open('/etc/passwd')", "扬程.__class__",
    "eval('1')", "lambda: 1", "[x for x in ()]", "扬程 > 5; import os", "${扬程}", "扬程 > 5 # comment",
    "f'{扬程}'", "扬程 if 1 else 2", "扬程 > 1e999",
])
def test_hostile_input_is_only_a_syntax_error(text):
    with pytest.raises(ConditionError):
        parse(text)


def test_unknown_function_is_named():
    with pytest.raises(ConditionError, match="unknown function '__import__'"):
        parse("__import__('os')")


def test_nesting_and_length_are_bounded():
    with pytest.raises(ConditionError, match="nested too deeply"):
        parse("(" * 100 + "扬程 > 1" + ")" * 100)
    with pytest.raises(ConditionError, match="nested too deeply"):
        parse("not " * 100 + "扬程 > 1")
    with pytest.raises(ConditionError, match="longer than"):
        parse("扬程 > 1 or " * 200 + "扬程 > 1")


def test_error_position_points_at_the_problem():
    with pytest.raises(ConditionError) as caught:
        parse("扬程 > 5 and 流量 ! 3")
    assert caught.value.position == len("扬程 > 5 and 流量 ")
