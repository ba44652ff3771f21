"""Turn records derived from runtime steps: what the call log and the analytics read."""

from __future__ import annotations

from calls.turns import describe_turn
from flows import runtime
from flows.compiler import compile_flow
from tests.flows.factory import ask_flow, demo_schema

PROGRAM = compile_flow(ask_flow(max_retries=1), demo_schema()).program


class Call:
    def __init__(self) -> None:
        self.state, actions = runtime.start(PROGRAM, 0)
        self.records = [describe_turn(PROGRAM, 0, None, None, self.state, actions)]

    def send(self, event: dict):
        before = self.state
        self.state, actions = runtime.step(PROGRAM, before, event)
        self.records.append(describe_turn(PROGRAM, len(self.records), event, before, self.state, actions))
        return self.records[-1]


def test_the_opening_turn_rests_on_the_first_listening_node():
    opening = Call().records[0]
    assert (opening.event, opening.from_node, opening.node, opening.path) == ("start", "", "a", ["a"])
    assert opening.bot_text == "扬程多少米？" and not opening.ended


def test_a_filled_slot_walks_to_the_end_and_completes_the_call():
    record = Call().send({"type": "user", "text": "五十米", "slots": {"扬程": 50}})
    assert (record.from_node, record.path, record.node) == ("a", ["q", "ok"], "ok")
    assert record.changed_slots == {"扬程": 50} and record.slots == {"扬程": 50}
    assert record.bot_text == "扬程50米，好的。"
    assert (record.ended, record.outcome, record.end_node, record.completed) == (True, "意向", "ok", True)
    assert not record.no_match and record.intent == "" and record.intent_confidence is None


def test_failed_turns_are_no_match_or_silence_and_the_fallback_is_still_an_end_node():
    call = Call()
    missed = call.send({"type": "user", "text": "嗯", "intent": "肯定", "confidence": 0.3})
    assert missed.no_match and not missed.silence and missed.node == "a" and missed.bot_text == "请说一下扬程。"
    assert (missed.intent, missed.intent_confidence) == ("肯定", 0.3)
    quiet = call.send({"type": "silence"})
    assert quiet.silence and not quiet.no_match
    assert (quiet.ended, quiet.outcome, quiet.end_node, quiet.completed) == (True, "回访", "bye", True)


def test_a_hang_up_ends_the_call_without_completing_it_and_unset_slots_show_as_changed():
    call = Call()
    call.state = {**call.state, "slots": {"扬程": 50}}
    cleared = call.send({"type": "user", "text": "不对", "slots": {}})
    assert cleared.changed_slots == {"扬程": None}
    hangup = call.send({"type": "hangup"})
    assert (hangup.event, hangup.ended, hangup.outcome, hangup.completed) == ("hangup", True, "挂断", False)
    assert hangup.end_node == "a" and hangup.path == ["a"]
