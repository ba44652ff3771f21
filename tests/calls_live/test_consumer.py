"""The live call socket end to end through channels' WebsocketCommunicator: call log rows, errors, disconnects,
permissions."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from calls.models import DISCONNECTED_OUTCOME, Call
from calls.routing import websocket_urlpatterns
from flows import bundles

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_bot(team):
    return bundles.do_import_bot(team["workspace"], bundles.load_demo_bundle(), team["owner"])


async def connect(user, workspace) -> WebsocketCommunicator:
    client = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/w/{workspace.slug}/call/")
    client.scope["user"] = user
    connected, _ = await client.connect()
    assert connected
    return client


async def events_until(client: WebsocketCommunicator, kind: str, timeout: float = 20) -> list[dict]:
    """JSON events received up to and including the first of `kind`."""
    seen = []
    while True:
        message = json.loads(await client.receive_from(timeout))
        seen.append(message)
        if message["type"] == kind:
            return seen


async def start(client, bot, **extra) -> list[dict]:
    await client.send_json_to({"type": "start", "bot": bot.slug, "version": 1, "mode": "text", "seed": 3, **extra})
    return await events_until(client, "latency")


async def test_a_text_call_of_the_demo_flow_is_logged_turn_by_turn(team, demo_bot):
    """No model is trained: the bot's understanding answers from its examples, common intents and lexicon."""
    client = await connect(team["editor"], team["workspace"])
    opening = await start(client, demo_bot)
    assert opening[0]["type"] == "started" and opening[0]["nlu"] == "examples"
    assert [e["node"] for e in opening if e["type"] == "node"] == ["need"]
    said = ["是的", "扬程五十米", "流量每小时二十方", "三台", "离心泵", "对", "下个月十号", "13812345678"]
    for text in said:
        await client.send_json_to({"type": "text", "text": text})
    seen = await events_until(client, "end")
    assert [e["node"] for e in seen if e["type"] == "node"] == [
        "ask_head", "ask_flow", "ask_qty", "ask_model", "quote_reaction", "ask_delivery", "ask_phone", "end_deal"]
    assert [e["intent"] for e in seen if e["type"] == "nlu"][:1] == ["肯定"]
    assert seen[-1] == {"type": "end", "outcome": "成交", "node": "end_deal", "completed": True}
    slots = [e["slots"] for e in seen if e["type"] == "state"][-1]
    assert {k: slots[k] for k in ("扬程", "流量", "数量", "产品型号", "联系电话")} == {
        "扬程": 50, "流量": 20, "数量": 3, "产品型号": "离心泵", "联系电话": "13812345678"}
    assert "交付时间" in slots
    assert (await client.receive_output(5))["type"] == "websocket.close"

    call = await database_sync_to_async(Call.objects.get)(pk=opening[0]["call"])
    turns = await database_sync_to_async(lambda: list(call.turns.all()))()
    assert (call.mode, call.channel, call.outcome, call.end_node, call.completed) == (
        "text", "test", "成交", "end_deal", True)
    assert (call.turn_count, call.no_match_count, call.ended_at is not None) == (9, 0, True)
    assert [t.event for t in turns] == ["start"] + ["user"] * 8
    assert [t.user_text for t in turns[1:]] == said
    assert turns[1].intent == "肯定" and turns[1].intent_confidence > 0.5 and turns[1].top_intents[0][0] == "肯定"
    assert turns[2].slots == {"扬程": 50} and turns[3].changed_slots == {"流量": 20}
    assert all(t.flow_ms is not None and t.total_ms is not None for t in turns)
    assert turns[1].nlu_ms is not None and turns[1].asr_ms is None and not call.user_audio


async def test_the_socket_answers_through_the_bots_understanding(team, demo_bot):
    """A greeting the demo's own examples never had: the common intent 问候 recognises it, its default reply is said
    and the pending question asked again; a number keeps its unit."""
    client = await connect(team["editor"], team["workspace"])
    await start(client, demo_bot)
    await client.send_json_to({"type": "text", "text": "喂，你好"})
    seen = await events_until(client, "latency")
    assert [e["intent"] for e in seen if e["type"] == "nlu"] == ["问候"]
    said = [e["text"] for e in seen if e["type"] == "say"]
    assert said[0].startswith("您好您好！") and said[0] != "您好您好！"  # then the question again
    assert [e["node"] for e in seen if e["type"] == "node"] == ["need"]
    await client.send_json_to({"type": "text", "text": "要的，扬程八十米"})
    seen = await events_until(client, "latency")
    assert [e["spans"] for e in seen if e["type"] == "nlu"][0][0]["value"] == 80
    await client.disconnect()


async def test_a_dropped_socket_closes_the_call_as_disconnected_with_its_turns(team, demo_bot):
    client = await connect(team["owner"], team["workspace"])
    call_id = (await start(client, demo_bot))[0]["call"]
    await client.send_json_to({"type": "text", "text": "扬程五十米"})
    await client.send_json_to({"type": "mark", "name": "after-first-turn"})
    assert (await events_until(client, "mark"))[-1]["name"] == "after-first-turn"
    await client.disconnect()
    call = await database_sync_to_async(Call.objects.get)(pk=call_id)
    assert (call.outcome, call.turn_count, call.ended_at is not None) == (DISCONNECTED_OUTCOME, 2, True)


async def test_a_socket_closed_the_moment_its_call_ends_or_its_turn_is_answered_loses_no_turn(team, demo_bot):
    """A client that closes as soon as it has what it wanted (the `end` event of its hang-up, or the latency event of a
    turn) must not cancel the turn's save under way (it did: the call was logged 断线 without its last turn)."""
    calls = {}
    for attempt in range(6):
        client = await connect(team["owner"], team["workspace"])
        call_id = (await start(client, demo_bot))[0]["call"]
        await client.send_json_to({"type": "text", "text": "扬程五十米"})
        await events_until(client, "latency")
        if attempt % 2:
            await client.send_json_to({"type": "hangup"})
            await events_until(client, "end")
        await client.disconnect()
        calls[call_id] = "挂断" if attempt % 2 else DISCONNECTED_OUTCOME
    logged = await database_sync_to_async(lambda: {
        c.pk: (c.outcome, c.turns.filter(event="user").count()) for c in Call.objects.filter(pk__in=calls)})()
    assert logged == {pk: (outcome, 1) for pk, outcome in calls.items()}


@pytest.mark.parametrize("message, error", [
    ("not json", "JSON"),
    ('["start"]', "type"),
    ('{"type": "dance"}', "type"),
    ('{"type": "text", "text": "你好"}', "start the call first"),
    ('{"type": "start", "bot": "工业泵", "mode": "text"}', "version"),
    ('{"type": "start", "bot": "nope", "version": 1, "mode": "text"}', "no such bot"),
    ('{"type": "start", "bot": "x", "version": 1, "mode": "video"}', "mode"),
    ('{"type": "start", "bot": "x", "version": 1, "mode": "voice", "audio": {"encoding": "alaw"}}', "mulaw"),
])
async def test_malformed_messages_get_an_error_event_and_the_socket_stays_open(team, demo_bot, message, error):
    client = await connect(team["editor"], team["workspace"])
    await client.send_to(text_data=message)
    reply = json.loads(await client.receive_from(10))
    assert reply["type"] == "error" and error in reply["message"]
    await client.send_to(bytes_data=b"\x01\x02\x03")
    assert json.loads(await client.receive_from(10))["type"] == "error"
    await start(client, demo_bot)  # still usable
    await client.send_json_to({"type": "text", "text": 5})
    assert (await events_until(client, "error"))[-1]["message"].startswith("text must be")
    await client.disconnect()


async def test_a_published_version_of_another_workspace_cannot_be_called(team, demo_bot):
    bundle = bundles.load_demo_bundle()
    bundle["bot"] = {**bundle["bot"], "name": "别家泵业", "slug": "rival"}
    other_bot = bundles.do_import_bot(team["other_workspace"], bundle, team["outsider"])
    assert other_bot.flow.versions.exists()
    client = await connect(team["editor"], team["workspace"])
    await client.send_json_to({"type": "start", "bot": other_bot.slug, "version": 1, "mode": "text"})
    reply = json.loads(await client.receive_from(10))
    assert reply == {"type": "error", "message": "no such bot or published version"}
    await client.disconnect()


@pytest.mark.parametrize("persona, allowed", [
    ("anonymous", False), ("outsider", False), ("viewer", False), ("annotator", False), ("editor", True),
    ("owner", True),
])
async def test_only_editors_and_owners_of_the_workspace_may_connect(team, persona, allowed):
    from django.contrib.auth.models import AnonymousUser

    client = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/w/{team['workspace'].slug}/call/")
    client.scope["user"] = AnonymousUser() if persona == "anonymous" else team[persona]
    connected, _ = await client.connect()
    assert connected is allowed
    await client.disconnect()


@pytest.mark.slow
async def test_a_voice_call_streams_bot_audio_hears_the_caller_and_saves_both_tracks(
        team, demo_bot, settings, tiny_whisper, espeak):
    from tests.calls_live.test_pipeline_voice import frames
    from voice.audio import parse_wav, pcm16_to_float, resample

    settings.ASR_MODEL = str(tiny_whisper)  # loaded through the configured-folder path, as in production
    pcm, rate = espeak.synthesize_sentence("扬程五十米", voice=None, rate=None, pitch=None)
    speech = resample(pcm16_to_float(pcm), rate, 16_000)
    client = await connect(team["editor"], team["workspace"])
    await client.send_json_to({"type": "start", "bot": demo_bot.slug, "version": 1, "mode": "voice", "seed": 3})
    first_audio = await client.receive_output(30)
    while "bytes" not in first_audio or first_audio["bytes"] is None:
        first_audio = await client.receive_output(30)
    assert len(first_audio["bytes"]) == 3200  # 100 ms of 16 kHz s16le mono
    for frame in frames(speech, silence_s=1.0):
        await client.send_to(bytes_data=frame)
    await client.send_json_to({"type": "mark", "name": "spoken"})
    events = []
    while not events or events[-1].get("type") != "mark":
        output = await client.receive_output(60)
        if output.get("text"):
            events.append(json.loads(output["text"]))
    assert any(e["type"] == "transcript" and e["source"] == "asr" for e in events)
    await client.send_json_to({"type": "hangup"})
    late = []
    while (output := await client.receive_output(30))["type"] != "websocket.close":
        if output.get("text") and json.loads(output["text"])["type"] == "end":
            for frame in frames(speech)[:5]:  # the microphone's frames still on their way: dropped silently
                await client.send_to(bytes_data=frame)
        if output.get("text"):
            late.append(json.loads(output["text"]))
    assert not [e for e in late if e["type"] == "error"]
    call = await database_sync_to_async(Call.objects.get)(bot=demo_bot)
    turns = await database_sync_to_async(lambda: list(call.turns.all()))()
    assert (call.mode, call.outcome) == ("voice", "挂断")
    assert any(t.barge_in for t in turns) or turns[0].bot_audio_end > turns[0].bot_audio_start
    spoken = next(t for t in turns if t.event == "user")
    assert spoken.asr_ms is not None and spoken.vad_ms is not None and spoken.user_audio_end > spoken.user_audio_start
    user_pcm, user_rate = parse_wav(call.user_audio.read())
    bot_pcm, _ = parse_wav(call.bot_audio.read())
    assert user_rate == 16_000 and len(user_pcm) == len(frames(speech, 1.0)) * 640
    assert len(bot_pcm) / 32_000 >= max(t.bot_audio_end or 0 for t in turns) - 0.01


async def test_a_caller_demoted_or_logged_out_during_a_call_is_cut_off(team, demo_bot, monkeypatch):
    """Membership and session are re-checked while the call runs (here at every message)."""
    from django.contrib.sessions.backends.db import SessionStore

    from salesstudio.models import Membership

    monkeypatch.setattr("calls.consumers.RECHECK_S", 0)
    client = await connect(team["editor"], team["workspace"])
    await start(client, demo_bot)
    await database_sync_to_async(Membership.objects.filter(user=team["editor"]).update)(role="viewer")
    await client.send_json_to({"type": "text", "text": "是的"})
    assert (await events_until(client, "error"))[-1]["message"] == "your access to this workspace has ended"
    assert (await client.receive_output(5))["type"] == "websocket.close"
    await client.disconnect()  # the browser's side of the closing handshake
    call = await database_sync_to_async(Call.objects.get)()
    assert call.outcome == DISCONNECTED_OUTCOME  # the turns so far stay logged

    session = SessionStore()
    await database_sync_to_async(session.create)()
    client = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/w/{team['workspace'].slug}/call/")
    client.scope.update(user=team["owner"], session=session)
    assert (await client.connect())[0]
    await start(client, demo_bot)
    await database_sync_to_async(session.delete)()  # what logging out does
    await client.send_json_to({"type": "text", "text": "是的"})
    assert (await events_until(client, "error"))[-1]["message"] == "your access to this workspace has ended"
    assert (await client.receive_output(5))["type"] == "websocket.close"
    await client.disconnect()  # the call is closed and saved before the test's database is flushed


@pytest.mark.slow
async def test_a_hang_up_after_a_mark_cuts_the_bot_short_at_once(team, demo_bot, settings, tiny_whisper, espeak):
    """A mark waits for the bot's speech, but off the receive loop: the hang-up sent after it stops the greeting
    while it is still being spoken (before, it waited for the whole greeting: 11.75 s)."""
    settings.ASR_MODEL = str(tiny_whisper)
    client = await connect(team["editor"], team["workspace"])
    await client.send_json_to({"type": "start", "bot": demo_bot.slug, "version": 1, "mode": "voice", "seed": 3})
    while (await client.receive_output(30)).get("bytes") is None:
        pass  # until the greeting's first audio
    await client.send_json_to({"type": "mark", "name": "after-greeting"})
    await client.send_json_to({"type": "hangup"})
    events = []
    while (output := await client.receive_output(30))["type"] != "websocket.close":
        if output.get("text"):
            events.append(json.loads(output["text"])["type"])
    assert "stop_audio" in events and "end" in events  # cut while talking, then ended
    call = await database_sync_to_async(Call.objects.get)(bot=demo_bot)
    assert call.outcome == "挂断"


async def test_the_call_socket_answers_hostile_frames_with_an_error_event(team):
    deep, surrogate = "[" * 2000 + "]" * 2000, '{"type": "a\\ud800b"}'
    client = await connect(team["editor"], team["workspace"])
    for frame in (deep, "x" * 200_000, surrogate):  # nlu.jsonguard refuses each before the consumer looks at it
        await client.send_to(text_data=frame)
        event = json.loads(await client.receive_from(10))
        assert event["type"] == "error" and "internal" not in event["message"]
    await client.send_json_to({"type": "hangup"})  # the socket is still there and answers
    assert json.loads(await client.receive_from(10))["type"] == "error"  # (no call started yet)
    await client.disconnect()
