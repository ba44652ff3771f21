"""Scripted conversations through the runtime: events in, actions out."""

from __future__ import annotations

import copy
import json

import pytest

from flows import runtime
from flows.compiler import compile_flow
from flows.runtime import CallEnded, EventError, ProgramError
from tests.flows.factory import ask_flow, demo_graph, demo_schema, edge, graph, node

SPECS = {"扬程": 50, "流量": 20, "数量": 3}


def compiled(data: dict, schema: dict | None = None) -> dict:
    result = compile_flow(data, schema or demo_schema())
    assert result.errors == [], [error.message_en for error in result.errors]
    return result.program


DEMO = compiled(demo_graph())


def user(text: str, intent: str | None = None, confidence: float = 0.9, **slots) -> dict:
    event = {"type": "user", "text": text, "intent": intent, "confidence": confidence}
    if slots:
        event["slots"] = slots
    return event


SILENCE = {"type": "silence"}


class Call:
    """A call in progress; `send` returns the actions of one event."""

    def __init__(self, program: dict = DEMO, seed: int = 0) -> None:
        self.program = program
        self.state, self.opening = runtime.start(program, seed)

    def send(self, event: dict) -> list[dict]:
        self.state, actions = runtime.step(self.program, self.state, event)
        json.dumps(self.state)
        return actions

    def at(self, node_id: str, slots: dict | None = None) -> Call:
        """Walk the demo to `node_id` along the happy path."""
        for event in [user("有的", "肯定"), user("五十米", **{"扬程": 50}), user("二十方", **{"扬程": 50, "流量": 20}),
                      user("三台", **SPECS), user("没有", "否定", **SPECS)]:
            if self.state["node"] == node_id:
                break
            self.send(event)
        assert self.state["node"] == node_id
        return self


def kinds(actions: list[dict]) -> list[tuple]:
    return [(action["type"], action["node"]) for action in actions]


def texts(actions: list[dict]) -> list[str]:
    return [action["text"] for action in actions if action["type"] == "say"]


def test_opening_greets_then_asks_and_listens():
    call = Call()
    assert kinds(call.opening) == [("say", "greet"), ("say", "need"), ("listen", "need")]
    assert call.opening[-1] == {"type": "listen", "node": "need", "barge_in": True, "silence_timeout_ms": 5000,
                                "hot_words": ["工业泵", "水泵", "离心泵", "管道泵", "潜水泵"], "expected_slots": []}
    assert call.state == {"program": DEMO["checksum"][:16], "node": "need", "slots": {}, "retries": {}, "turns": 0,
                          "ended": False, "outcome": None, "seed": 0, "counter": 2}


def test_happy_path_ends_as_a_deal_with_filled_templates():
    call = Call()
    call.send(user("有的", "肯定"))
    assert call.send(user("五十米", **{"扬程": 50}))[-1]["expected_slots"] == ["流量"]
    call.send(user("二十方", **{"扬程": 50, "流量": 20}))
    call.send(user("三台", **SPECS))
    actions = call.send(user("没有指定", "否定", **SPECS))
    assert kinds(actions) == [("say", "quote"), ("say", "quote_reaction"), ("listen", "quote_reaction")]
    assert "扬程50米" in actions[0]["text"] and "3台" in actions[0]["text"]
    call.send(user("可以", "肯定", **SPECS))
    call.send(user("月底", **SPECS, **{"交付时间": "月底"}))
    actions = call.send(user("13800001111", **SPECS, **{"交付时间": "月底", "联系电话": "13800001111"}))
    assert kinds(actions) == [("say", "end_deal"), ("end", "end_deal")]
    assert "月底前安排发货" in actions[0]["text"] and "13800001111" in actions[0]["text"]
    assert actions[-1]["outcome"] == "成交"
    assert call.state["ended"] and call.state["outcome"] == "成交" and call.state["turns"] == 8


def test_price_objection_with_low_budget_recommends_the_economy_model():
    call = Call().at("quote_reaction")
    assert kinds(call.send(user("太贵了", "砍价"))) == [("say", "discount"), ("say", "ask_budget"),
                                                      ("listen", "ask_budget")]
    actions = call.send(user("五千", **SPECS, **{"预算": 5000}))
    assert kinds(actions) == [("say", "economy"), ("say", "ask_phone"), ("listen", "ask_phone")]
    actions = call.send(user("138", **SPECS, **{"预算": 5000, "联系电话": "13800001111"}))
    assert actions[-1] == {"type": "end", "node": "end_intent", "outcome": "意向"}


def test_enough_budget_goes_on_to_delivery():
    call = Call().at("quote_reaction")
    call.send(user("便宜点", "砍价"))
    assert kinds(call.send(user("一万", **SPECS, **{"预算": 10000})))[-1] == ("listen", "ask_delivery")


def test_global_intent_at_an_ask_node_transfers():
    call = Call().at("ask_flow")
    actions = call.send(user("我要投诉你们", "投诉", 0.95))
    assert actions == [{"type": "transfer", "node": "transfer_human", "text": "好的，马上为您转接人工客服，请稍等。",
                        "queue": "销售"}]
    assert call.state["ended"] and call.state["outcome"] == "转人工"


def test_global_hangup_intent_says_goodbye():
    actions = Call().at("ask_head").send(user("不聊了挂了", "挂断"))
    assert kinds(actions) == [("say", "end_hangup"), ("end", "end_hangup")]
    assert actions[-1]["outcome"] == "挂断"


def test_local_intent_edge_beats_global_handler():
    data = ask_flow()
    data["edges"].append(edge("e6", "a", "ok", "intent", intent="挂断"))
    call = Call(compiled(data))
    assert call.send(user("挂了", "挂断"))[-1] == {"type": "end", "node": "ok", "outcome": "意向"}


def test_intent_edge_takes_priority_over_slot_filling():
    data = ask_flow()
    data["edges"].append(edge("e6", "a", "ok", "intent", intent="否定"))
    call = Call(compiled(data))
    assert call.send(user("不是五十", "否定", **{"扬程": 50}))[-1]["node"] == "ok"


def test_hangup_event_ends_the_call_and_later_events_are_refused():
    call = Call().at("ask_flow")
    assert call.send({"type": "hangup"}) == [{"type": "end", "node": "ask_flow", "outcome": "挂断"}]
    assert call.state["outcome"] == "挂断"
    with pytest.raises(CallEnded):
        call.send(user("喂"))
    with pytest.raises(CallEnded):
        runtime.step(DEMO, call.state, {"type": "hangup"})


def test_low_confidence_intent_counts_as_no_match():
    actions = Call().send(user("不用", "否定", confidence=0.3))
    assert kinds(actions) == [("say", "clarify"), ("say", "need"), ("listen", "need")]


def test_confidence_at_the_threshold_is_accepted():
    assert Call().send(user("不用", "否定", confidence=0.5))[-1]["outcome"] == "拒绝"


def test_confidence_threshold_comes_from_the_program():
    data = demo_graph()
    data["settings"]["confidence_threshold"] = 0.95
    assert Call(compiled(data)).send(user("不用", "否定", confidence=0.9))[0]["node"] == "clarify"


def test_missing_confidence_means_certain():
    assert Call().send({"type": "user", "text": "不用", "intent": "否定"})[-1]["outcome"] == "拒绝"


def test_silence_on_an_ask_reprompts_then_falls_back():
    call = Call().at("ask_head")
    for _ in range(2):
        actions = call.send(SILENCE)
        assert texts(actions) == ["扬程就是需要把水送多高，大概多少米呢？比如三十米、五十米。"]
        assert actions[-1]["type"] == "listen"
    assert call.state["retries"] == {"ask_head": 2}
    actions = call.send(SILENCE)
    assert actions[-1]["type"] == "transfer" and actions[-1]["node"] == "transfer_engineer"


def test_unrecognised_answer_on_an_ask_reprompts():
    call = Call().at("ask_head")
    actions = call.send(user("这个不好说"))
    assert kinds(actions) == [("say", "ask_head"), ("listen", "ask_head")]


def test_no_match_edge_then_default_after_max_retries():
    call = Call()
    for _ in range(2):
        assert kinds(call.send(user("你们是哪里")))[0] == ("say", "clarify")
    actions = call.send(user("嗯？"))
    assert kinds(actions) == [("say", "end_callback"), ("end", "end_callback")]
    assert actions[-1]["outcome"] == "回访"


def test_silence_on_a_branch_without_silence_edge_reprompts_then_takes_default():
    call = Call()
    assert texts(call.send(SILENCE)) == ["不好意思，刚才没听清。请问您最近需要采购水泵吗？"]
    call.send(SILENCE)
    assert call.send(SILENCE)[-1] == {"type": "end", "node": "end_callback", "outcome": "回访"}


def test_retries_count_over_the_whole_call_on_a_node():
    call = Call()
    call.send(SILENCE)
    call.send(user("啥？"))
    assert call.state["retries"] == {"need": 2}
    assert call.send(SILENCE)[-1]["outcome"] == "回访"


def test_ask_without_fallback_gives_up_as_callback():
    call = Call(compiled(graph(
        [node("s", "start"), node("a", "ask", slots=["扬程"], prompts=["扬程？"], max_retries=0),
         node("e", "end", outcome="意向")],
        [edge("e1", "s", "a"), edge("e2", "a", "e", "filled")])))
    assert call.send(SILENCE) == [{"type": "end", "node": "a", "outcome": "回访"}]


def test_branch_silence_edge_is_followed():
    data = graph([node("s", "start"), node("b", "branch", prompts=["在吗？"]), node("q", "say", texts=["喂，您好？"]),
                  node("e", "end", outcome="意向")],
                 [edge("e1", "s", "b"), edge("e2", "b", "q", "silence"), edge("e3", "q", "b"),
                  edge("e4", "b", "e", "default")])
    call = Call(compiled(data))
    assert texts(call.send(SILENCE)) == ["喂，您好？", "在吗？"]


def test_slots_given_early_skip_their_ask():
    actions = Call().send(user("要五十米扬程的", "需求确认", **{"扬程": 50}))
    assert kinds(actions) == [("say", "ask_flow"), ("listen", "ask_flow")]


def test_correction_replaces_a_slot_value():
    call = Call().at("ask_model")
    actions = call.send(user("不是五十米，是八十米", "否定", **{**SPECS, "扬程": 80}))
    assert "扬程80米" in actions[0]["text"]
    assert call.state["slots"]["扬程"] == 80


def test_event_without_slots_keeps_them_and_null_clears():
    call = Call().at("ask_model")
    call.send(user("嗯"))
    assert call.state["slots"] == SPECS
    call.send(user("算了", **{**SPECS, "数量": None}))
    assert "数量" not in call.state["slots"]


def test_multi_slot_ask_lists_what_is_still_missing():
    data = ask_flow(slots=["扬程", "流量"])
    call = Call(compiled(data))
    assert call.opening[-1]["expected_slots"] == ["扬程", "流量"]
    actions = call.send(user("五十米", **{"扬程": 50}))
    assert actions[-1]["expected_slots"] == ["流量"] and texts(actions) == ["请说一下扬程。"]
    assert call.send(user("二十方", **{"扬程": 50, "流量": 20.0}))[0]["text"] == "扬程50米，好的。"


def test_float_values_that_are_whole_are_spoken_without_decimals():
    call = Call(compiled(ask_flow()))
    assert call.send(user("五十", **{"扬程": 50.0}))[0]["text"] == "扬程50米，好的。"
    call = Call(compiled(ask_flow()))
    assert call.send(user("五十点五", **{"扬程": 50.5}))[0]["text"] == "扬程50.5米，好的。"


def test_barge_in_changes_nothing():
    call = Call().at("ask_head")
    before = copy.deepcopy(call.state)
    assert call.send({"type": "barge_in"}) == []
    assert call.state == before


def test_same_seed_same_conversation():
    script = [user("有的", "肯定"), SILENCE, user("五十米", **{"扬程": 50}), user("二十方三台", **SPECS),
              user("没有", "否定", **SPECS)]

    def run(seed: int) -> list:
        call = Call(seed=seed)
        return [call.opening] + [call.send(event) for event in script]

    assert run(42) == run(42)
    openings = {run(seed)[0][0]["text"] for seed in range(20)}
    assert len(openings) == 2  # both greeting variants get used


def test_step_does_not_modify_the_given_state():
    state, _ = runtime.start(DEMO, 1)
    frozen = copy.deepcopy(state)
    runtime.step(DEMO, state, user("有的", "肯定", **{"扬程": 50}))
    assert state == frozen


@pytest.mark.parametrize("event", [
    None, "silence", {}, {"type": "dtmf"}, {"type": "silence", "ms": 3000}, {"type": "user"},
    {"type": "user", "text": 3}, {"type": "user", "text": "x", "intent": 5},
    {"type": "user", "text": "x", "confidence": 1.5}, {"type": "user", "text": "x", "confidence": True},
    {"type": "user", "text": "x", "confidence": float("nan")}, {"type": "user", "text": "x", "slots": []},
    {"type": "user", "text": "x", "slots": {"扬程": [50]}}, {"type": "user", "text": "x", "slots": {"扬程": True}},
    {"type": "user", "text": "x", "slots": {"扬程": float("inf")}}, {"type": "user", "text": "x", "intnet": "肯定"},
])
def test_malformed_events_are_refused(event):
    state, _ = runtime.start(DEMO)
    with pytest.raises(EventError):
        runtime.step(DEMO, state, event)


def test_state_of_another_program_is_refused():
    other = compiled(ask_flow())
    state, _ = runtime.start(other)
    with pytest.raises(ProgramError):
        runtime.step(DEMO, state, SILENCE)


def test_start_refuses_something_that_is_not_a_program():
    with pytest.raises(ProgramError):
        runtime.start({"nodes": {}})


def test_transfer_without_text_or_queue():
    data = graph([node("s", "start"), node("t", "transfer")], [edge("e1", "s", "t")])
    assert Call(compiled(data)).opening == [{"type": "transfer", "node": "t"}]


def test_a_wait_node_pauses_between_what_is_said_and_goes_on():
    data = graph([node("s", "start"), node("hi", "say", texts=["资料发您了。"]), node("w", "wait", seconds=3),
                  node("q", "branch", prompts=["收到了吗？"]), node("e", "end", outcome="意向")],
                 [edge("e1", "s", "hi"), edge("e2", "hi", "w"), edge("e3", "w", "q"), edge("e4", "q", "e")])
    trace = []
    state, actions = runtime.start(compiled(data), trace=trace)
    assert [a["type"] for a in actions] == ["say", "pause", "say", "listen"]
    assert actions[1] == {"type": "pause", "node": "w", "ms": 3000}
    assert trace == ["s", "hi", "w", "q"] and state["node"] == "q"


def test_a_hand_made_program_whose_node_leads_nowhere_is_refused():
    program = compiled(ask_flow())
    program["nodes"]["q"]["exits"]["next"] = None
    state, _ = runtime.start(program)
    with pytest.raises(ProgramError, match="leads nowhere"):
        runtime.step(program, state, user("五十米", 扬程=50))


def test_a_trace_names_every_node_entered_including_those_that_say_nothing():
    trace = []
    state, _ = runtime.start(DEMO, 0, trace=trace)
    assert trace == ["start", "greet", "need"]
    trace = []
    runtime.step(DEMO, state, user("有的", "肯定", **SPECS), trace=trace)
    assert trace == ["memory_check", "ask_head", "ask_flow", "ask_qty", "ask_model"]  # filled asks are passed silently
    trace = []
    runtime.step(DEMO, state, SILENCE, trace=trace)
    assert trace == []  # a re-prompt stays where it is


def test_a_trace_follows_a_condition_node():
    call = Call().at("quote_reaction")
    state, _ = runtime.step(DEMO, call.state, user("太贵了", "砍价", **SPECS))  # → discount → ask_budget
    trace = []
    runtime.step(DEMO, state, user("预算一万", **SPECS, 预算=10000), trace=trace)
    assert trace == ["budget_check", "ask_delivery"]  # 预算 >= 8000


def test_a_global_intent_without_an_edge_answers_with_its_reply_and_asks_again():
    call = Call().at("ask_head")
    actions = call.send(user("喂你好", "问候"))
    assert kinds(actions) == [("say", "ask_head"), ("say", "ask_head"), ("listen", "ask_head")]
    assert texts(actions)[0] == "您好您好！" and texts(actions)[1] == "好的。请问您需要的扬程大概是多少米？"
    assert call.state["node"] == "ask_head" and call.state["retries"] == {}  # not a failed turn
    assert kinds(call.send(user("五十米", **{"扬程": 50})))[-1] == ("listen", "ask_flow")


def test_a_global_edge_beats_the_reply_and_slots_beat_it_too():
    assert Call().at("ask_head").send(user("在忙", "在忙"))[-1] == {"type": "end", "node": "end_callback",
                                                                    "outcome": "回访"}
    actions = Call().at("ask_head").send(user("你好，扬程五十米", "问候", **{"扬程": 50}))
    assert kinds(actions)[-1] == ("listen", "ask_flow") and "您好您好！" not in texts(actions)


def test_replies_come_only_for_global_intents_and_old_programs_have_none():
    schema = demo_schema()
    assert compiled(demo_graph(), schema)["replies"]["问候"] == "您好您好！"
    for intent in schema["intents"]:
        intent["reply"] = ""
    assert "replies" not in compiled(demo_graph(), schema)
    schema["intents"][0].update(reply="你好", is_global=False)
    assert "replies" not in compiled(demo_graph(), schema)
