"""Knowledge-base answers in the flow runtime: the answer, then the pending question again (or a transfer, or the
end); the flow's own routing intents and filled slots win; the compiled program carries the knowledge base."""

from __future__ import annotations

import pytest

from flows import runtime
from flows.compiler import SchemaError, compile_flow
from tests.flows.factory import demo_schema, edge, graph, node

WARRANTY = {"question": "质保多久", "phrasings": ["保修几年"], "answers": ["整机质保一年。"], "after": "return"}


def program(after: str = "return") -> dict:
    schema = {**demo_schema(), "knowledge": {"threshold": 0.04, "entries": [{**WARRANTY, "after": after}]}}
    flow = graph([
        node("start", "start"),
        node("head", "ask", slots=["扬程"], prompts=["请问需要多大扬程？"]),
        node("human", "transfer", texts=["这就帮您转人工。"]),
        node("done", "end", texts=["好的，记下了。"], outcome="意向"),
    ], [edge("e1", "start", "head"), edge("e2", "head", "done", "filled"),
        edge("e3", "head", "human", "intent", intent="转人工"), edge("e4", "head", "done", "fallback")])
    result = compile_flow(flow, schema)
    assert result.errors == [], [e.message_en for e in result.errors]
    return result.program


def asked(text: str, **event) -> dict:
    return {"type": "user", "text": text, "knowledge": "质保多久", **event}


def test_the_answer_is_said_then_the_pending_question_again():
    state, _ = runtime.start(program(), 1)
    after, actions = runtime.step(program(), state, asked("你们保修几年"))
    assert [a["type"] for a in actions] == ["say", "say", "listen"]
    assert actions[0] == {"type": "say", "text": "整机质保一年。", "node": "head", "knowledge": "质保多久"}
    assert actions[1]["text"] == "请问需要多大扬程？"
    assert after["node"] == "head" and after["retries"] == {}  # a question answered is not a failed turn


@pytest.mark.parametrize(("after", "outcome", "last"), [("transfer", "转人工", "transfer"), ("end", "回访", "end")])
def test_an_entry_can_transfer_or_end_the_call_after_its_answer(after, outcome, last):
    state, _ = runtime.start(program(after), 1)
    done, actions = runtime.step(program(after), state, asked("你们保修几年"))
    assert actions[0]["knowledge"] == "质保多久" and actions[-1]["type"] == last
    assert done["ended"] and done["outcome"] == outcome


def test_a_confident_routing_intent_and_a_filled_slot_win_over_the_knowledge_base():
    state, _ = runtime.start(program(), 1)
    _, actions = runtime.step(program(), state, asked("转人工，问下保修", intent="转人工", confidence=0.9))
    assert [a["type"] for a in actions] == ["transfer"]
    _, actions = runtime.step(program(), state, asked("五十米，保修几年", slots={"扬程": 50}))
    assert [a.get("text") for a in actions][:1] == ["好的，记下了。"]


def test_the_knowledge_base_is_consulted_only_where_it_could_answer():
    state, _ = runtime.start(program(), 1)
    words = {"type": "user", "text": "保修几年"}
    assert runtime.consults_knowledge(program(), state, words)
    assert runtime.consults_knowledge(program(), state, {**words, "intent": "转人工", "confidence": 0.2})
    assert not runtime.consults_knowledge(program(), state, {**words, "intent": "转人工", "confidence": 0.9})
    assert not runtime.consults_knowledge(program(), state, {**words, "slots": {"扬程": 50}})
    assert state["slots"] == {}  # asking changes nothing
    without = compile_flow(graph([node("s", "start"), node("b", "branch", prompts=["好吗？"]),
                                  node("e", "end", outcome="意向")],
                                 [edge("e1", "s", "b"), edge("e2", "b", "e")]), demo_schema()).program
    assert not runtime.consults_knowledge(without, runtime.start(without)[0], words)


def test_an_unsure_intent_does_not_keep_the_answer_from_being_said():
    state, _ = runtime.start(program(), 1)
    _, actions = runtime.step(program(), state, asked("保修几年", intent="转人工", confidence=0.2))
    assert actions[0]["knowledge"] == "质保多久"


def test_a_question_the_program_does_not_have_is_a_no_match():
    state, _ = runtime.start(program(), 1)
    after, actions = runtime.step(program(), state, {"type": "user", "text": "有发票吗", "knowledge": "能开发票吗"})
    assert after["retries"] == {"head": 1} and not any("knowledge" in a for a in actions)


def test_knowledge_in_an_event_must_be_a_string():
    state, _ = runtime.start(program(), 1)
    with pytest.raises(runtime.EventError, match="knowledge"):
        runtime.step(program(), state, {"type": "user", "text": "x", "knowledge": ["质保多久"]})


def test_the_program_carries_the_knowledge_base_only_when_there_is_one():
    assert program()["knowledge"]["entries"][0]["question"] == "质保多久"
    plain = compile_flow(graph([node("start", "start"), node("done", "end", texts=["再见"], outcome="拒绝")],
                               [edge("e1", "start", "done")]), demo_schema()).program
    assert "knowledge" not in plain


@pytest.mark.parametrize("knowledge", [
    {"entries": [WARRANTY]}, {"threshold": 0.04, "entries": [{**WARRANTY, "answers": []}]},
    {"threshold": 0.04, "entries": [{**WARRANTY, "after": "dance"}]},
    {"threshold": 0.04, "entries": [{**WARRANTY, "phrasings": [1]}]}])
def test_a_malformed_knowledge_base_is_a_schema_error(knowledge):
    with pytest.raises(SchemaError):
        compile_flow(graph([node("start", "start")], []), {**demo_schema(), "knowledge": knowledge})


def test_an_answer_naming_an_unknown_placeholder_stops_the_publish():
    entry = {**WARRANTY, "answers": ["{客户名}您好，整机质保一年，扬程{扬程}米的也一样。"]}
    schema = {**demo_schema(), "knowledge": {"threshold": 0.04, "entries": [entry]}}
    flow = graph([node("start", "start"), node("done", "end", texts=["再见"], outcome="拒绝")],
                 [edge("e1", "start", "done")])
    result = compile_flow(flow, schema)
    assert [(e.code, e.message_zh) for e in result.errors] == [(
        "knowledge_placeholder", "知识库问题“质保多久”的回答用到了 {客户名}，但它既不是机器人的槽位，也不是流程设置中声明的客户变量。")]
    assert compile_flow({**flow, "settings": {"variables": ["客户名"]}}, schema).errors == []


CUSTOM = {"question": "能不能定制", "phrasings": ["非标的能做吗"], "answers": ["可以按您的工况定制。"], "after": "return",
          "follow_up": [{"slot": "流量", "prompt": "您要的流量每小时多少方？"}, {"slot": "数量", "prompt": "要做几台？"}]}


def follow_up_program(after: str = "return") -> dict:
    schema = {**demo_schema(), "knowledge": {"threshold": 0.04, "entries": [{**CUSTOM, "after": after}]}}
    flow = graph([
        node("start", "start"),
        node("head", "ask", slots=["扬程"], prompts=["请问需要多大扬程？"]),
        node("human", "transfer", texts=["这就帮您转人工。"]),
        node("done", "end", texts=["好的，记下了。"], outcome="意向"),
    ], [edge("e1", "start", "head"), edge("e2", "head", "done", "filled"), edge("e4", "head", "done", "fallback"),
        edge("e5", "start", "human", "intent", intent="投诉")])
    result = compile_flow(flow, schema)
    assert result.errors == [], [e.message_en for e in result.errors]
    return result.program


def custom(text: str = "你们能做非标吗", **event) -> dict:
    return {"type": "user", "text": text, "knowledge": "能不能定制", **event}


def test_follow_up_questions_are_asked_one_turn_each_then_the_pending_question():
    prog = follow_up_program()
    state, _ = runtime.start(prog, 1)
    state, actions = runtime.step(prog, state, custom())
    assert [(a["type"], a.get("text")) for a in actions] == [
        ("say", "可以按您的工况定制。"), ("say", "您要的流量每小时多少方？"), ("listen", None)]
    assert actions[-1]["expected_slots"] == ["流量"] and state["node"] == "head"
    state, actions = runtime.step(prog, state, {"type": "user", "text": "二十方", "slots": {"流量": 20}})
    assert [a.get("text") for a in actions] == ["要做几台？", None] and actions[-1]["expected_slots"] == ["数量"]
    state, actions = runtime.step(prog, state, {"type": "silence"})  # asked once: silence moves on too
    assert [a.get("text") for a in actions] == ["请问需要多大扬程？", None]
    assert state["slots"] == {"流量": 20} and "detour" not in state and state["retries"] == {}


def test_a_follow_up_that_fills_the_pending_question_passes_it():
    prog = follow_up_program()
    prog["knowledge"]["entries"][0]["follow_up"] = [{"slot": "扬程", "prompt": "要多大扬程？"}]
    state, _ = runtime.start(prog, 1)
    state, _ = runtime.step(prog, state, custom())
    state, actions = runtime.step(prog, state, {"type": "user", "text": "五十米", "slots": {"扬程": 50}})
    assert actions[0]["text"] == "好的，记下了。" and state["outcome"] == "意向"


def test_a_global_intent_leaves_the_follow_up_and_an_entry_may_transfer_after_it():
    prog = follow_up_program()
    state, _ = runtime.start(prog, 1)
    state, _ = runtime.step(prog, state, custom())
    done, actions = runtime.step(prog, state, {"type": "user", "text": "我要投诉", "intent": "投诉"})
    assert actions[-1]["type"] == "transfer" and done["outcome"] == "转人工"
    prog = follow_up_program("transfer")
    state, _ = runtime.start(prog, 1)
    for event in (custom(), {"type": "user", "text": "二十方"}, {"type": "user", "text": "两台"}):
        state, actions = runtime.step(prog, state, event)
    assert actions[-1] == {"type": "transfer", "node": "head"} and state["ended"]


def test_a_state_in_a_follow_up_is_not_changed_by_stepping_it():
    prog = follow_up_program()
    state, _ = runtime.start(prog, 1)
    state, _ = runtime.step(prog, state, custom())
    before = {**state, "detour": dict(state["detour"])}
    runtime.step(prog, state, {"type": "user", "text": "二十方", "slots": {"流量": 20}})
    assert state == before
