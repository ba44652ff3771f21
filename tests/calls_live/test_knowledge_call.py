"""A knowledge-base question asked mid-call through the socket (text mode): the bot answers it, asks its pending
question again, and the call goes on; the debug event and the saved turn say which entry answered."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from calls.models import Turn
from flows import bundles
from tests.calls_live.test_consumer import connect, events_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_bot(team):
    return bundles.do_import_bot(team["workspace"], bundles.load_demo_bundle(), team["owner"])


async def test_a_question_mid_flow_is_answered_and_the_pending_question_asked_again(team, demo_bot):
    client = await connect(team["owner"], team["workspace"])
    await client.send_json_to({"type": "start", "bot": demo_bot.slug, "version": 1, "mode": "text", "seed": 2})
    await events_until(client, "latency")
    turns = []
    for text in ("是的", "你们能不能上门安装", "扬程五十米"):
        await client.send_json_to({"type": "text", "text": text})
        turns.append(await events_until(client, "latency", timeout=60))  # the first question builds the index
    await client.disconnect()
    asked = turns[1]
    [nlu] = [e for e in asked if e["type"] == "nlu"]
    assert nlu["knowledge"]["question"] == "能不能上门安装" and nlu["knowledge"]["answered"]
    [say] = [e for e in asked if e["type"] == "say"]
    assert say["text"].startswith("可以的，设备到货后三天内") and say["text"].endswith("扬程大概是多少米？")
    assert [e["node"] for e in asked if e["type"] == "node"] == ["ask_head"]
    assert [e["node"] for e in turns[2] if e["type"] == "node"] == ["ask_flow"]  # the call goes on
    [filled] = [e for e in turns[2] if e["type"] == "nlu"]
    assert filled["knowledge"] is None  # the answer filled the question: the knowledge base was not asked
    saved = await database_sync_to_async(lambda: list(Turn.objects.filter(event="user").order_by("index").values_list(
        "knowledge", "no_match")))()
    assert saved == [("", False), ("能不能上门安装", False), ("", False)]
