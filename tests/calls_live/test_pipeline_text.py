"""The call pipeline in text mode: scripted conversations of the demo flow, without Django."""

from __future__ import annotations

import json

import pytest

from calls.call import CallError, CallSetup
from calls.pipeline import CallPipeline


def pipeline(program, slots, recorder, **setup) -> CallPipeline:
    return CallPipeline(CallSetup(program=program, slots=slots, seed=7, **setup), recorder, voice=False)


async def test_the_call_opens_with_the_greeting_and_rests_on_the_first_question(demo_program, demo_slots, recorder):
    call = pipeline(demo_program, demo_slots, recorder)
    await call.start()
    record, offsets = recorder.turns[0]
    assert (record.index, record.event, record.node) == (0, "start", "need")
    assert record.path == ["start", "greet", "need"]
    assert "鑫源泵业" in recorder.of("say")[0]["text"]
    assert recorder.of("node")[0]["listen"] == {"barge_in": True, "silence_timeout_ms": 5000, "expected_slots": []}
    assert set(record.latency_ms) == {"flow", "total"}
    assert offsets == {}


async def test_without_a_model_the_lexicon_fills_slots_and_no_intent_matches(demo_program, demo_slots, recorder):
    call = pipeline(demo_program, demo_slots, recorder)
    await call.start()
    await call.user_text("我们要扬程五十米的，大概三台")
    await call.settle()
    nlu = recorder.of("nlu")[0]
    assert (nlu["source"], nlu["intent"], nlu["top"]) == ("lexicon", None, [])
    assert {s["slot"]: s["value"] for s in nlu["spans"]} == {"扬程": 50, "数量": 3}
    record, _ = recorder.turns[1]
    assert (record.event, record.from_node, record.node, record.no_match) == ("user", "need", "need", True)
    assert record.path == ["clarify", "need"]
    assert record.slots == {"扬程": 50, "数量": 3} == record.changed_slots
    assert set(record.latency_ms) == {"nlu", "flow", "total"}
    assert recorder.of("state")[-1]["changed"] == {"扬程": 50, "数量": 3}


async def test_three_unmatched_answers_end_the_demo_call_with_a_callback(demo_program, demo_slots, recorder):
    call = pipeline(demo_program, demo_slots, recorder)
    await call.start()
    for text in ("嗯", "你说啥", "扬程八十米"):
        await call.user_text(text)
    await call.settle()
    records = [r for r, _ in recorder.turns]
    assert [r.node for r in records] == ["need", "need", "need", "end_callback"]
    assert records[-1].ended and records[-1].outcome == "回访" and records[-1].slots == {"扬程": 80}
    assert recorder.of("end") == [{"type": "end", "outcome": "回访", "node": "end_callback", "completed": True}]
    assert recorder.done
    with pytest.raises(CallError, match="ended"):
        await call.user_text("喂？")


async def test_a_trained_model_answers_with_its_top_three_intents(demo_program, demo_slots, recorder, tiny_version):
    from nlu.runtime import get_runtime

    runtime = get_runtime(tiny_version)
    call = pipeline(demo_program, demo_slots, recorder, nlu=runtime, nlu_name="model v1")
    await call.start()
    await call.user_text("工业泵多少钱")
    await call.settle()
    nlu = recorder.of("nlu")[0]
    prompt = next(p for p in demo_program["nodes"]["need"]["prompts"] if recorder.of("say")[0]["text"].endswith(p))
    expected = runtime.predict("工业泵多少钱", prompt)  # the bot's last prompt is the context
    assert nlu["source"] == "model v1"
    assert nlu["intent"] == expected["intent"]
    assert nlu["top"] == [[r["intent"], round(r["confidence"], 4)] for r in expected["ranking"][:3]]
    record, _ = recorder.turns[1]
    assert record.top_intents == nlu["top"] and record.intent == expected["intent"]


async def test_silence_and_hang_up_are_turns_of_their_own(demo_program, demo_slots, recorder):
    call = pipeline(demo_program, demo_slots, recorder)
    await call.start()
    await call.silence()
    await call.hangup()
    await call.settle()
    silence, hangup = (r for r, _ in recorder.turns[1:])
    assert (silence.event, silence.silence, silence.node) == ("silence", True, "need")
    assert (hangup.event, hangup.outcome, hangup.completed) == ("hangup", "挂断", False)
    assert recorder.done


@pytest.mark.parametrize("text", [None, 42, "", "   ", "泵" * 501])
async def test_malformed_text_is_refused(demo_program, demo_slots, recorder, text):
    call = pipeline(demo_program, demo_slots, recorder)
    await call.start()
    with pytest.raises(CallError):
        await call.user_text(text)


async def test_input_before_the_start_and_audio_in_a_text_call_are_refused(demo_program, demo_slots, recorder):
    call = pipeline(demo_program, demo_slots, recorder)
    with pytest.raises(CallError, match="start"):
        await call.user_text("你好")
    await call.start()
    with pytest.raises(CallError, match="voice call"):
        await call.audio_frame(b"\0" * 640)
    with pytest.raises(CallError, match="already started"):
        await call.start()


async def test_a_date_range_reaches_the_flow_as_an_interval(demo_program, demo_slots, recorder):
    program = json.loads(json.dumps(demo_program))
    program["start"], program["nodes"]["start"]["exits"]["next"] = "start", "ask_delivery"
    call = pipeline(program, demo_slots, recorder)
    await call.start()
    await call.user_text("下个月吧")
    await call.settle()
    record, _ = recorder.turns[1]
    start, end = record.slots["交付时间"].split("/")
    assert start < end and record.node == "ask_phone"
