"""Calls made as a customer through the socket: their variables in the greeting, what they said last time remembered
in the next call (and replaced when they say otherwise), and a customer forgotten on request."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from calls.calllog import customers as services
from calls.models import Call, Customer
from flows import bundles
from tests.calls_live.test_consumer import connect, events_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_bot(team):
    return bundles.do_import_bot(team["workspace"], bundles.load_demo_bundle(), team["owner"])


@pytest.fixture
def customer(team):
    return Customer.objects.create(workspace=team["workspace"], name="李经理", phone="13812345678", company="华东水务",
                                   variables={"上次购买型号": "IS80-65-160"})


async def call(team, bot, texts: list[str], **who) -> list[dict]:
    client = await connect(team["owner"], team["workspace"])
    await client.send_json_to({"type": "start", "bot": bot.slug, "version": 1, "mode": "text", "seed": 2, **who})
    seen = await events_until(client, "latency")
    for text in texts:
        await client.send_json_to({"type": "text", "text": text})
        seen += await events_until(client, "latency")
    await client.send_json_to({"type": "hangup"})
    seen += await events_until(client, "end")
    await client.disconnect()
    return seen


def said(events: list[dict]) -> list[str]:
    return [e["text"] for e in events if e["type"] == "say"]


async def test_a_customers_name_is_said_and_their_answers_are_remembered_next_time(team, demo_bot, customer):
    first = await call(team, demo_bot, ["是的", "扬程五十米"], customer=customer.pk)
    assert first[0]["customer"] == {"name": "李经理", "phone": "13812345678"} and first[0]["remembered"] == {}
    assert said(first)[0].startswith("李经理您好")
    second = await call(team, demo_bot, ["是的", "对，还是这个"], phone="138 1234 5678")  # found however it is typed
    [(slot, entry)] = second[0]["remembered"].items()
    assert (slot, entry["value"]) == ("扬程", 50)
    nodes = [e["node"] for e in second if e["type"] == "node"]
    assert nodes[1:3] == ["confirm_memory", "ask_flow"]  # 扬程 is known: confirmed, not asked again
    assert "上次您提到要扬程50米的泵" in said(second)[1]
    assert [e["remembered"] for e in second if e["type"] == "state"][-1] == {"扬程": entry["date"]}
    logged = await database_sync_to_async(lambda: list(Call.objects.filter(customer=customer).order_by("pk")))()
    assert len(logged) == 2 and logged[1].remembered == second[0]["remembered"]


async def test_a_value_said_again_replaces_the_remembered_one(team, demo_bot, customer):
    await call(team, demo_bot, ["是的", "扬程五十米"], customer=customer.pk)
    second = await call(team, demo_bot, ["是的", "扬程改成八十米"], customer=customer.pk)
    state = [e for e in second if e["type"] == "state"][-1]
    assert state["slots"]["扬程"] == 80 and state["remembered"] == {}
    again = await call(team, demo_bot, ["是的", "对，还是五十米"], customer=customer.pk)  # 80 m is remembered now
    state = [e for e in again if e["type"] == "state"][-1]
    assert state["slots"]["扬程"] == 50 and state["remembered"] == {}
    same = await call(team, demo_bot, ["是的", "对，还是五十米"], customer=customer.pk)
    state = [e for e in same if e["type"] == "state"][-1]
    assert state["slots"]["扬程"] == 50 and state["remembered"] == {}  # said again in this call: not only remembered


async def test_a_customer_of_another_workspace_or_an_unknown_phone_cannot_be_called_as(team, demo_bot):
    stranger = await database_sync_to_async(Customer.objects.create)(
        workspace=team["other_workspace"], name="外人", phone="13900000000")
    for who in ({"customer": stranger.pk}, {"phone": "13900000000"}, {"customer": "1"}, {"phone": "不是电话"}):
        client = await connect(team["owner"], team["workspace"])
        await client.send_json_to({"type": "start", "bot": demo_bot.slug, "version": 1, "mode": "text", **who})
        assert (await client.receive_json_from(10)) == {"type": "error", "message": "no such customer in this workspace"}
        await client.disconnect()


async def test_forgetting_a_customer_scrubs_their_calls_but_keeps_the_counts(team, demo_bot, customer):
    await call(team, demo_bot, ["是的", "扬程五十米"], customer=customer.pk)
    scrubbed = await database_sync_to_async(services.do_forget_customer)(customer)
    calls = await database_sync_to_async(lambda: list(Call.objects.filter(bot=demo_bot)))()
    texts = await database_sync_to_async(lambda: list(calls[0].turns.values_list("user_text", "slots", "intent")))()
    assert scrubbed == 1 and len(calls) == 1
    assert (calls[0].customer_id, calls[0].outcome, calls[0].user_turn_count) == (None, "挂断", 2)
    assert {text for text, _, _ in texts} == {""} and {str(slots) for _, slots, _ in texts} == {"{}"}
    assert "肯定" in {intent for _, _, intent in texts}  # the intent analytics keep their counts
    assert not await database_sync_to_async(Customer.objects.filter(pk=customer.pk).exists)()
