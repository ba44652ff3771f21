"""The synthetic customer drives the real flow runtime; its turns carry the funnel counters (no database)."""

from __future__ import annotations

import json
from collections import Counter

from calls.simulator import CustomerPhrases, simulate_call
from calls.turns import TurnRecord, node_counts
from flows.compiler import compile_flow
from tests.conftest import ROOT
from tests.flows.factory import demo_schema

DEMO = ROOT / "flows" / "demo"
PROGRAM = compile_flow(json.loads((DEMO / "flow.json").read_text()), demo_schema()).program
BOOK = CustomerPhrases.from_examples(json.loads((DEMO / "nlu.json").read_text())["examples"])


def test_the_same_seed_gives_the_same_call():
    assert simulate_call(PROGRAM, BOOK, 7) == simulate_call(PROGRAM, BOOK, 7)
    assert simulate_call(PROGRAM, BOOK, 7) != simulate_call(PROGRAM, BOOK, 8)


def test_every_call_ends_at_a_node_of_the_flow_with_a_flow_outcome():
    calls = [simulate_call(PROGRAM, BOOK, seed) for seed in range(300)]
    for call in calls:
        last = call.records[-1]
        assert last.ended and last.end_node in PROGRAM["nodes"]
        assert [r.index for r in call.records] == list(range(len(call.records)))
        assert call.seconds == sorted(call.seconds)
    outcomes = Counter(c.records[-1].outcome for c in calls)
    assert {"成交", "挂断", "拒绝", "转人工"} <= set(outcomes)


def test_the_customer_speaks_the_bots_phrases_and_is_sometimes_silent_unclear_or_talks_over_the_bot():
    records = [r for seed in range(300) for r in simulate_call(PROGRAM, BOOK, seed).records]
    phrases = {p.text for ps in BOOK.by_intent.values() for p in ps}
    said = {r.user_text for r in records if r.event == "user"}
    assert "你们勒个离心泵好多钱嘛" in phrases and len(said & phrases) > 50
    events = Counter(r.event for r in records)
    assert events["silence"] and events["barge_in"] and events["hangup"]
    assert any(r.no_match for r in records)


def test_user_turns_fill_slots_and_reach_the_quote():
    calls = [simulate_call(PROGRAM, BOOK, seed) for seed in range(300)]
    deals = [c for c in calls if c.records[-1].outcome == "成交"]
    assert deals
    assert all({"扬程", "流量", "数量", "联系电话", "交付时间"} <= set(c.records[-1].slots) for c in deals)


def test_voice_turns_have_stage_latencies_that_add_up():
    for record in simulate_call(PROGRAM, BOOK, 3).records:
        stages = {k: v for k, v in record.latency_ms.items() if k != "total"}
        assert record.latency_ms["total"] == sum(stages.values())
        assert ("asr" in stages) == (record.event == "user")


def test_node_counts_count_entries_not_re_prompts():
    opening = TurnRecord(index=0, event="start", node="need", path=["greet", "need"])
    reprompt = TurnRecord(index=1, event="silence", from_node="need", node="need", path=["need"], silence=True)
    loop = TurnRecord(index=2, event="user", from_node="need", node="need", path=["clarify", "need"], no_match=True)
    hangup = TurnRecord(index=3, event="hangup", from_node="need", node="need", path=["need"])
    assert node_counts(opening) == {"greet": {"visits": 1}, "need": {"visits": 1}}
    assert node_counts(reprompt) == {"need": {"silences": 1}}
    assert node_counts(loop) == {"clarify": {"visits": 1}, "need": {"visits": 1, "no_matches": 1}}
    assert node_counts(hangup) == {"need": {"hangups": 1}}


def test_the_customer_asks_the_knowledge_bases_questions_and_some_it_does_not_have():
    from calls.simulator import UNANSWERED

    entry = {"question": "质保多久", "phrasings": ["保修几年", "坏了管不管"], "answers": ["整机质保两年。"],
             "after": "return"}
    schema = {**demo_schema(), "knowledge": {"threshold": 0.035, "entries": [entry]}}
    program = compile_flow(json.loads((DEMO / "flow.json").read_text()), schema).program
    records = [r for seed in range(200) for r in simulate_call(program, BOOK, seed).records if r.event == "user"]
    answered = [r for r in records if r.knowledge]
    assert len(answered) > 10 and {r.knowledge for r in answered} == {"质保多久"}
    assert {r.user_text for r in answered} <= {"质保多久", "保修几年", "坏了管不管"}
    assert any(r.user_text in UNANSWERED and r.no_match for r in records)
    assert not any(r.knowledge for seed in range(50) for r in simulate_call(PROGRAM, BOOK, seed).records)  # none
