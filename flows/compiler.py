"""Compile a flow graph against a bot schema into an immutable, JSON-serialisable program for `flows.runtime`.

Program (format 1)::

    {"format": 1, "checksum": sha256 hex of the canonical JSON of everything else,
     "start": start node id,
     "settings": {"confidence_threshold": float, "max_retries": int, "silence_timeout_ms": int},
     "nodes": {id: {"id", "kind", "title", <kind fields>, "exits": {...}}},
     "global_intents": {intent: node id},            # intent edges leaving the start node
     "slots": [{"name", "type"}], "intents": [{"name", "is_global"}],
     "replies": {intent: text},                      # only when some global intent has a default reply
     "knowledge": {"threshold": float, "entries": [{"question", "phrasings", "answers", "after"}]}}
                                                     # only when the bot has a knowledge base (`nlu.knowledge`)

Kind fields and exits (`flows.kinds`; targets are node ids, or None when the exit is absent):
    start      exits {"next"}
    say        "texts"; exits {"next"}
    ask        "slots", "prompts", "reprompts", "max_retries", "listen"; exits {"filled", "fallback", "intents": {}}
    branch     "prompts", "reprompts", "max_retries", "listen"; exits {"intents": {}, "no_match", "silence", "default"}
    condition  exits {"cases": [{"expr", "ast", "target"}], "default"}
    wait       "seconds"; exits {"next"}
    transfer   "texts", "queue"; exits {}
    end        "texts", "outcome"; exits {}
where "listen" is {"barge_in": bool, "silence_timeout_ms": int, "hot_words": [str]} with the settings' defaults applied.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from flows.checks import BotSchema, analyse
from flows.graph import FORMAT, Graph, GraphError, Node, parse_graph, settings_to_json
from flows.kinds import KINDS
from flows.messages import ERROR, Diagnostic

__all__ = ["BotSchema", "CompileResult", "Diagnostic", "SchemaError", "canonical_json", "compile_flow",
           "parse_schema"]


class SchemaError(GraphError):
    """A bot schema that does not have the documented shape (`path` starts with `schema.`)."""


@dataclass
class CompileResult:
    """`program` is None when there is at least one error; warnings never block compilation."""

    program: dict | None
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.program is not None

    def to_dict(self) -> dict:
        return {"ok": self.ok, "program": self.program, "errors": [error.to_dict() for error in self.errors],
                "warnings": [warning.to_dict() for warning in self.warnings]}


def parse_schema(data: Any) -> BotSchema:
    """`{"intents": [{"name", "is_global"?, "reply"?}], "slots": [{"name", "type"?}]}` → BotSchema. Other keys are ignored (the
    schema comes from the bot's own records, which carry descriptions and examples). Raises SchemaError on a wrong
    shape or a repeated name."""
    if not isinstance(data, dict):
        raise SchemaError("schema", "must be an object", "必须是对象")
    intents = {item["name"]: item.get("is_global", False) for item in _named_items(data, "intents")}
    slots = {item["name"]: item.get("type", "text") for item in _named_items(data, "slots")}
    for name, is_global in intents.items():
        if not isinstance(is_global, bool):
            raise SchemaError(f"schema.intents.{name}.is_global", "must be true or false", "必须是 true 或 false")
    for name, kind in slots.items():
        if not isinstance(kind, str):
            raise SchemaError(f"schema.slots.{name}.type", "must be a string", "必须是字符串")
    replies = {}
    for item in _named_items(data, "intents"):
        reply = item.get("reply") or ""
        if not isinstance(reply, str):
            raise SchemaError(f"schema.intents.{item['name']}.reply", "must be a string", "必须是字符串")
        if reply.strip() and intents[item["name"]]:
            replies[item["name"]] = reply.strip()
    return BotSchema(intents=intents, slots=slots, replies=replies, knowledge=_knowledge(data.get("knowledge")))


def _knowledge(data: Any) -> dict:
    """The knowledge base as the runtime reads it; checked for shape only (the bot's records validated the texts)."""
    if not data:
        return {}
    entries = data.get("entries") if isinstance(data, dict) else None
    threshold = data.get("threshold") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not isinstance(threshold, int | float) or isinstance(threshold, bool):
        raise SchemaError("schema.knowledge", "must be {threshold, entries}", "必须包含 threshold 和 entries")
    for index, entry in enumerate(entries):
        path = f"schema.knowledge.entries[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("question"), str) or entry.get(
                "after", "return") not in ("return", "transfer", "end"):
            raise SchemaError(path, "must have a question and a known after", "必须有问题和回答后的动作")
        for key in ("phrasings", "answers"):
            if not isinstance(entry.get(key), list) or not all(isinstance(t, str) for t in entry[key]):
                raise SchemaError(f"{path}.{key}", "must be a list of strings", "必须是字符串列表")
        if not entry["answers"]:
            raise SchemaError(f"{path}.answers", "must not be empty", "不能为空")
        follow_up = entry.get("follow_up", [])
        if not isinstance(follow_up, list) or not all(
                isinstance(q, dict) and isinstance(q.get("prompt"), str) and isinstance(q.get("slot"), str)
                for q in follow_up):
            raise SchemaError(f"{path}.follow_up", "must be a list of {prompt, slot}", "必须是 {prompt, slot} 的列表")
    if not entries:
        return {}
    return {"threshold": float(threshold), "entries": [_compiled_entry(e) for e in entries]}


def _compiled_entry(entry: dict) -> dict:
    """An entry as the runtime reads it; `follow_up` only when it has questions (other programs keep their checksum)."""
    compiled = {"question": entry["question"], "phrasings": list(entry["phrasings"]),
                "answers": list(entry["answers"]), "after": entry.get("after", "return")}
    if entry.get("follow_up"):
        compiled["follow_up"] = [{"prompt": q["prompt"], "slot": q["slot"]} for q in entry["follow_up"]]
    return compiled


def _named_items(data: dict, key: str) -> list[dict]:
    items = data.get(key, [])
    path = f"schema.{key}"
    if not isinstance(items, list):
        raise SchemaError(path, "must be a list", "必须是列表")
    seen: set[str] = set()
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise SchemaError(f"{path}[{index}].name", "must be a non-empty string", "必须是非空字符串")
        if name in seen:
            raise SchemaError(f"{path}[{index}].name", f"duplicate name {name!r}", f"名称“{name}”重复")
        seen.add(name)
    return items


def compile_flow(graph: Graph | dict, schema: BotSchema | dict) -> CompileResult:
    """Check `graph` against `schema` and build the program. Deterministic: the same inputs give the same program and
    checksum. Raises GraphError (or SchemaError) when an input does not have the documented shape; every problem with
    what the flow means is reported as a diagnostic instead."""
    if not isinstance(graph, Graph):
        graph = parse_graph(graph)
    if not isinstance(schema, BotSchema):
        schema = parse_schema(schema)
    analysis = analyse(graph, schema)
    errors = [item for item in analysis.diagnostics if item.severity == ERROR]
    warnings = [item for item in analysis.diagnostics if item.severity != ERROR]
    if errors:
        return CompileResult(None, errors, warnings)
    program = {
        "format": FORMAT,
        "start": analysis.start,
        "settings": settings_to_json(graph.settings),
        "nodes": {node.id: _compile_node(node, graph, analysis.exits[node.id]) for node in graph.nodes},
        "global_intents": dict(analysis.global_intents),
        "slots": [{"name": name, "type": kind} for name, kind in schema.slots.items()],
        "intents": [{"name": name, "is_global": is_global} for name, is_global in schema.intents.items()],
    }
    if schema.replies:  # programs without replies keep the shape (and checksum) they always had
        program["replies"] = dict(schema.replies)
    if schema.knowledge:
        program["knowledge"] = schema.knowledge
    program["checksum"] = checksum(program)
    return CompileResult(program, errors, warnings)


def _compile_node(node: Node, graph: Graph, exits: dict) -> dict:
    return {"id": node.id, "kind": node.kind, "title": node.title,
            **KINDS[node.kind].compile(node, graph.settings), "exits": exits}


def node_titles(program: dict | None) -> dict[str, str]:
    """Node id → title (the id when untitled) of a compiled program: how pages and exports name nodes."""
    return {node_id: node.get("title") or node_id for node_id, node in ((program or {}).get("nodes") or {}).items()}


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 characters kept: the form the checksum is computed over."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def checksum(program: dict) -> str:
    """sha256 of the canonical JSON of `program` without its own "checksum" key."""
    body = {key: value for key, value in program.items() if key != "checksum"}
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()
