"""Plain-function factories for the flow tests: the demo bot schema, the demo flow and small graphs."""

from __future__ import annotations

import copy
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO_FLOW = ROOT / "flows" / "demo" / "flow.json"
DEMO_NLU = json.loads((ROOT / "flows" / "demo" / "nlu.json").read_text(encoding="utf-8"))
DEMO_SCHEMA = {  # as flows.services.bot_schema reads the demo bot
    "intents": [{"name": i["name"], "is_global": i["is_global"], "reply": i.get("reply", "")}
                for i in DEMO_NLU["intents"]],
    "slots": [{"name": s["name"], "type": s["type"]} for s in DEMO_NLU["slots"]],
}


def demo_schema() -> dict:
    return copy.deepcopy(DEMO_SCHEMA)


def demo_graph() -> dict:
    return json.loads(DEMO_FLOW.read_text(encoding="utf-8"))


def node(node_id: str, kind: str, **fields) -> dict:
    return {"id": node_id, "kind": kind, **fields}


def edge(edge_id: str, source: str, target: str, condition_type: str = "default", **condition) -> dict:
    return {"id": edge_id, "source": source, "target": target, "condition": {"type": condition_type, **condition}}


def graph(nodes: list[dict], edges: list[dict], **settings) -> dict:
    return {"format": 1, "settings": settings, "nodes": nodes, "edges": edges}


def ask_flow(**ask_fields) -> dict:
    """start → ask 扬程 → say "{扬程}" → end, with a fallback to a 回访 end and a global 挂断 handler."""
    fields = {"slots": ["扬程"], "prompts": ["扬程多少米？"], "reprompts": ["请说一下扬程。"], **ask_fields}
    return graph(
        [node("s", "start"), node("a", "ask", **fields), node("q", "say", texts=["扬程{扬程}米，好的。"]),
         node("ok", "end", outcome="意向"), node("bye", "end", outcome="回访"), node("hang", "end", outcome="挂断")],
        [edge("e1", "s", "a"), edge("e2", "a", "q", "filled"), edge("e3", "a", "bye", "fallback"),
         edge("e4", "q", "ok"), edge("e5", "s", "hang", "intent", intent="挂断")],
    )
