"""Small flows and bots for the flow web tests."""

from __future__ import annotations

import copy

from nlu.models import Intent, Slot
from tests import factories

GOOD = {
    "format": 1,
    "settings": {"confidence_threshold": 0.5, "max_retries": 2, "silence_timeout_ms": 5000},
    "nodes": [
        {"id": "n1", "kind": "start", "title": "开始", "position": {"x": 100, "y": 80}},
        {"id": "n2", "kind": "say", "title": "开场白", "position": {"x": 100, "y": 200}, "texts": ["您好，这里是鑫源泵业。"]},
        {"id": "n3", "kind": "end", "title": "结束", "position": {"x": 100, "y": 320}, "texts": ["再见。"],
         "outcome": "挂断"},
    ],
    "edges": [
        {"id": "e1", "source": "n1", "target": "n2", "condition": {"type": "default"}},
        {"id": "e2", "source": "n2", "target": "n3", "condition": {"type": "default"}},
    ],
}


def good_graph() -> dict:
    return copy.deepcopy(GOOD)


def broken_graph() -> dict:
    """Well-formed but does not compile: the say node has no script and no exit."""
    graph = good_graph()
    graph["nodes"][1]["texts"] = []
    graph["edges"] = graph["edges"][:1]
    return graph


def make_bot(workspace, name: str = "工业泵销售"):
    bot = factories.make_bot(workspace, name)
    for intent, is_global in (("询价", False), ("挂断", False), ("肯定", False)):
        Intent.objects.create(bot=bot, name=intent, is_global=is_global)
    for slot, kind in (("扬程", "number"), ("流量", "number")):
        Slot.objects.create(bot=bot, name=slot, type=kind)
    return bot
