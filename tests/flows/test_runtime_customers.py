"""A call made as a known customer: variables in scripts with a fallback variant, remembered slot values, and the
checks on placeholders that are neither slots nor declared variables."""

from __future__ import annotations

import pytest

from flows import runtime
from flows.compiler import compile_flow
from tests.flows.factory import demo_schema, edge, graph, node

VARIABLES = ["客户姓名", "公司"]


def customer_flow(**settings) -> dict:
    return graph([
        node("start", "start"),
        node("hello", "say", texts=["{客户姓名}您好，我是鑫源泵业的小王。", "您好，我是鑫源泵业的小王。"]),
        node("check", "condition"),
        node("confirm", "branch", prompts=["上次您提到要扬程{扬程}米的泵，现在还是这个需求吗？"]),
        node("head", "ask", slots=["扬程"], prompts=["请问需要多大扬程？"]),
        node("done", "end", texts=["好的，{公司}的需求我记下了。", "好的，需求我记下了。"], outcome="意向"),
    ], [
        edge("e1", "start", "hello"), edge("e2", "hello", "check"),
        edge("e3", "check", "confirm", "expr", expr="remembered(扬程)"), edge("e4", "check", "head"),
        edge("e5", "confirm", "done", "intent", intent="肯定"), edge("e6", "confirm", "head"),
        edge("e7", "head", "done", "filled"),
    ], variables=VARIABLES, **settings)


def program() -> dict:
    result = compile_flow(customer_flow(), demo_schema())
    assert result.errors == [], [e.message_en for e in result.errors]
    return result.program


def said(actions: list[dict]) -> list[str]:
    return [a["text"] for a in actions if a["type"] == "say"]


def test_a_customers_variables_fill_the_script_and_every_seed_picks_a_variant_that_can_be_filled():
    for seed in range(8):
        _, actions = runtime.start(program(), seed, variables={"客户姓名": "李经理"})
        assert said(actions)[0] == "李经理您好，我是鑫源泵业的小王。"
        _, anonymous = runtime.start(program(), seed)
        assert said(anonymous)[0] == "您好，我是鑫源泵业的小王。"  # the fallback the manager wrote


def test_a_remembered_value_is_confirmed_and_a_new_answer_replaces_it():
    remembered = {"扬程": {"value": 50, "date": "2026-11-30"}}
    state, actions = runtime.start(program(), 1, variables={"客户姓名": "李经理", "公司": "华东水务"},
                                   remembered=remembered)
    assert said(actions)[-1] == "上次您提到要扬程50米的泵，现在还是这个需求吗？"
    assert state["slots"] == {"扬程": 50} and state["remembered"] == remembered
    state, actions = runtime.step(program(), state, {"type": "user", "text": "不是，要八十米", "slots": {"扬程": 80}})
    assert "remembered" in state and state["remembered"] == {} and state["slots"] == {"扬程": 80}
    assert said(actions) == ["好的，华东水务的需求我记下了。"]


def test_a_value_said_again_is_no_longer_only_remembered():
    remembered = {"扬程": {"value": 50, "date": "2026-11-30"}}
    state, _ = runtime.start(program(), 1, remembered=remembered)
    kept, _ = runtime.step(program(), state, {"type": "user", "text": "是的", "slots": {"扬程": 50}})
    assert kept["remembered"] == remembered  # not stated in this turn
    again, _ = runtime.step(program(), state, {"type": "user", "text": "还是五十米", "slots": {"扬程": 50},
                                                "said": ["扬程"]})
    assert again["remembered"] == {} and again["slots"] == {"扬程": 50}
    with pytest.raises(runtime.EventError, match="said"):
        runtime.step(program(), state, {"type": "user", "text": "x", "said": "扬程"})


def test_without_memory_the_flow_asks():
    state, actions = runtime.start(program(), 1)
    assert state["node"] == "head" and said(actions)[-1] == "请问需要多大扬程？"
    assert "vars" not in state and "remembered" not in state  # a call without a customer keeps the old state form


def test_a_placeholder_that_is_neither_a_slot_nor_a_declared_variable_is_an_error():
    undeclared = customer_flow()
    undeclared["settings"]["variables"] = ["公司"]
    codes = [(e.code, e.node_id) for e in compile_flow(undeclared, demo_schema()).errors]
    assert ("unknown_placeholder", "hello") in codes


def test_variables_and_memory_period_round_trip_and_are_omitted_at_their_defaults():
    from flows.graph import graph_to_json, parse_graph

    data = customer_flow(memory_days=30)
    settings = graph_to_json(parse_graph(data))["settings"]
    assert settings["variables"] == VARIABLES and settings["memory_days"] == 30
    plain = graph_to_json(parse_graph(graph([node("s", "start")], [])))["settings"]
    assert "variables" not in plain and "memory_days" not in plain
