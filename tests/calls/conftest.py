"""A bot with two flow versions and a small hand-checked set of four calls (see `hand_calls`)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from calls.calllog import close_call, open_call, record_turn
from calls.turns import TurnRecord
from tests import factories

GRAPH = {"format": 1, "settings": {}, "edges": [], "nodes": [
    {"id": "hi", "kind": "say", "title": "开场", "position": {"x": 100, "y": 50}},
    {"id": "need", "kind": "branch", "title": "确认需求", "position": {"x": 100, "y": 150}},
    {"id": "ask", "kind": "ask", "title": "问扬程", "position": {"x": 100, "y": 250}},
    {"id": "deal", "kind": "end", "title": "成交", "outcome": "成交", "position": {"x": 100, "y": 350}}]}
DAY1 = datetime.date(2026, 11, 2)
DAY2 = datetime.date(2026, 11, 3)


@pytest.fixture
def bot(team):
    return factories.make_bot(team["workspace"])


@pytest.fixture
def demo_bot(team):
    """The demo bot (工业泵销售) with its training examples and its flow published as version 1."""
    from flows import bundles

    return bundles.do_import_bot(team["workspace"], bundles.load_demo_bundle(), team["owner"])


@pytest.fixture
def versions(bot):
    from flows.services import get_flow

    flow = get_flow(bot)
    return [flow.versions.create(number=n, graph=GRAPH, program={}, checksum=str(n)) for n in (1, 2)]


def at(day: datetime.date, hour: int = 10, second: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0, second)))


def play(bot, version, day, turns, *, channel="simulated", close=None):
    call = open_call(bot=bot, flow_version=version, channel=channel, started_at=at(day))
    for i, fields in enumerate(turns):
        total = fields.pop("total", None)
        latency = {"total": total, "tts": total} if total is not None else {}
        record_turn(call, TurnRecord(index=i, latency_ms=latency, **fields), at=at(day, second=i))
    if close is not None:
        close_call(call, **close)
    call.refresh_from_db()
    return call


@pytest.fixture
def hand_calls(bot, versions):
    """A: v1 day 1, deal after a no-match at ask. B: v1 day 1, silence then hang-up at need. C: v1 day 2, breaks
    off at ask. D: v2 day 2, test call, straight to the deal with outcome 意向."""
    v1, v2 = versions
    start = {"event": "start", "node": "need", "path": ["hi", "need"]}
    a = play(bot, v1, DAY1, [
        {**start, "total": 100},
        {"event": "user", "from_node": "need", "node": "ask", "path": ["ask"], "intent": "肯定", "user_text": "要的",
         "total": 1000},
        {"event": "user", "from_node": "ask", "node": "ask", "path": ["ask"], "no_match": True,
         "user_text": "勒个嘛", "total": 1200},
        {"event": "user", "from_node": "ask", "node": "deal", "path": ["deal"], "intent": "需求确认",
         "user_text": "扬程五十米", "bot_text": "好的，成交", "total": 800, "ended": True, "outcome": "成交",
         "end_node": "deal", "completed": True}])
    b = play(bot, v1, DAY1, [
        {**start, "total": 200},
        {"event": "silence", "from_node": "need", "node": "need", "path": ["need"], "silence": True, "total": 300},
        {"event": "hangup", "from_node": "need", "node": "need", "path": ["need"], "ended": True, "outcome": "挂断",
         "end_node": "need"}])
    c = play(bot, v1, DAY2, [
        {**start, "total": 100},
        {"event": "user", "from_node": "need", "node": "ask", "path": ["ask"], "intent": "肯定", "user_text": "嗯",
         "total": 900}], close={})
    d = play(bot, v2, DAY2, [
        {**start, "total": 100},
        {"event": "user", "from_node": "need", "node": "deal", "path": ["deal"], "intent": "肯定",
         "user_text": "好多钱", "total": 500, "ended": True, "outcome": "意向", "end_node": "deal",
         "completed": True}], channel="test")
    return {"a": a, "b": b, "c": c, "d": d}
