"""The flow graph as drawn on the canvas, and its strict JSON (de)serialisation.

A graph is `{"format": 1, "settings": {...}, "nodes": [...], "edges": [...]}`; see `parse_graph` for the fields. Parsing
checks shape only (fields, types, ranges, unique ids, edge endpoints); whether the flow makes sense is the compiler's
job, so that an unfinished draft still loads and the editor can show compile errors on its nodes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flows import kinds

FORMAT = 1
KINDS = tuple(kinds.KINDS)
CONDITION_TYPES = ("default", "intent", "no_match", "silence", "expr", "filled", "fallback")
OUTCOMES = ("成交", "意向", "拒绝", "回访", "挂断", "转人工")
MAX_NODES = 2000
MAX_EDGES = 10000
MAX_LIST = 100
MAX_TEXT = 2000
MAX_WAIT_SECONDS = 60

# `{扬程}` in a script is replaced by the slot's value; anything else in braces is left alone by the runtime.
TEMPLATE = re.compile(r"\{([^{}]+)\}")

# Fields each kind may carry besides id, kind, title and position, in serialisation order (`flows.kinds`).
KIND_FIELDS: dict[str, tuple[str, ...]] = {name: kind.fields for name, kind in kinds.KINDS.items()}


class GraphError(ValueError):
    """A graph (or bot schema) that does not have the documented shape. `path` locates the culprit, e.g.
    `nodes[3].silence_timeout_ms`; messages exist in English and Chinese."""

    def __init__(self, path: str, message_en: str, message_zh: str) -> None:
        super().__init__(f"{path}: {message_en}" if path else message_en)
        self.path = path
        self.message_en = message_en
        self.message_zh = message_zh


MEMORY_DAYS = 90  # how long a customer's earlier answers are remembered in their next calls, by default


@dataclass(frozen=True, slots=True)
class Settings:
    confidence_threshold: float = 0.5
    max_retries: int = 2
    silence_timeout_ms: int = 5000
    variables: tuple[str, ...] = ()  # customer variables scripts may say, e.g. {客户姓名}
    memory_days: int = MEMORY_DAYS


@dataclass(frozen=True, slots=True)
class Condition:
    type: str
    intent: str | None = None
    expr: str | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    id: str
    source: str
    target: str
    condition: Condition


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    kind: str
    title: str = ""
    position: tuple[float, float] = (0, 0)
    texts: tuple[str, ...] = ()
    slots: tuple[str, ...] = ()
    prompts: tuple[str, ...] = ()
    reprompts: tuple[str, ...] = ()
    hot_words: tuple[str, ...] = ()
    max_retries: int | None = None
    barge_in: bool = True
    silence_timeout_ms: int | None = None
    queue: str | None = None
    outcome: str | None = None
    seconds: int | None = None

    @property
    def listens(self) -> bool:
        return kinds.KINDS[self.kind].listens


@dataclass(frozen=True, slots=True)
class Graph:
    settings: Settings = field(default_factory=Settings)
    nodes: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()


_COMMON_FIELDS = ("id", "kind", "title", "position")
_ALL_FIELDS = tuple(dict.fromkeys(name for names in KIND_FIELDS.values() for name in names))


def template_slots(text: str) -> list[str]:
    """The slot names a script's `{slot}` placeholders mention, in order (whitespace inside the braces is ignored)."""
    return [name.strip() for name in TEMPLATE.findall(text)]


# -------------------------------------------------------------------------------------------------------------- checks

def _fail(path: str, en: str, zh: str) -> GraphError:
    return GraphError(path, en, zh)


def _object(value: Any, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    if not isinstance(value, dict):
        raise _fail(path, "must be an object", "必须是对象")
    for key in value:
        if key not in allowed:
            raise _fail(_join(path, str(key)), "unknown field", "未知字段")
    for key in required:
        if key not in value:
            raise _fail(_join(path, key), "required field is missing", "缺少必填字段")
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _string(value: Any, path: str, *, empty: bool = True, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise _fail(path, "must be a string", "必须是字符串")
    if not empty and not value.strip():
        raise _fail(path, "must not be empty", "不能为空")
    if len(value) > limit:
        raise _fail(path, f"must be at most {limit} characters", f"长度不能超过 {limit} 个字符")
    return value


def _identifier(value: Any, path: str) -> str:
    return _string(value, path, empty=False, limit=100)


def _integer(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, "must be an integer", "必须是整数")
    if not low <= value <= high:
        raise _fail(path, f"must be between {low} and {high}", f"必须在 {low} 到 {high} 之间")
    return value


def _number(value: Any, path: str, low: float = -math.inf, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(path, "must be a number", "必须是数字")
    if not low <= value <= high:
        raise _fail(path, f"must be between {low} and {high}", f"必须在 {low} 到 {high} 之间")
    return value


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(path, "must be true or false", "必须是 true 或 false")
    return value


def _choice(value: Any, path: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(choices)
        raise _fail(path, f"must be one of {listed}", f"必须是以下之一：{listed}")
    return value


def _strings(value: Any, path: str, *, unique: bool = False, names: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _fail(path, "must be a list", "必须是列表")
    if len(value) > MAX_LIST:
        raise _fail(path, f"must have at most {MAX_LIST} items", f"最多 {MAX_LIST} 项")
    check = _identifier if names else _string
    items = tuple(check(item, f"{path}[{index}]") for index, item in enumerate(value))
    if unique and len(set(items)) != len(items):
        raise _fail(path, "must not repeat an item", "不能有重复项")
    return items


# --------------------------------------------------------------------------------------------------------------- parse

_FIELD_PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "texts": _strings,
    "prompts": _strings,
    "reprompts": _strings,
    "hot_words": lambda value, path: _strings(value, path, unique=True),
    "slots": lambda value, path: _strings(value, path, unique=True, names=True),
    "max_retries": lambda value, path: _integer(value, path, 0, 10),
    "barge_in": _boolean,
    "silence_timeout_ms": lambda value, path: _integer(value, path, 500, 120_000),
    "queue": lambda value, path: _string(value, path, empty=False, limit=100),
    "outcome": lambda value, path: _choice(value, path, OUTCOMES),
    "seconds": lambda value, path: _integer(value, path, 1, MAX_WAIT_SECONDS),
}


def parse_graph(data: Any) -> Graph:
    """Build a Graph from its JSON form. Raises GraphError (with a path) on unknown fields, wrong types, values out of
    range, duplicate ids and edges whose endpoints are not nodes of the graph."""
    _object(data, "", ("format", "settings", "nodes", "edges"), ("format", "nodes", "edges"))
    if data["format"] != FORMAT or isinstance(data["format"], bool):
        raise _fail("format", f"must be {FORMAT}", f"必须是 {FORMAT}")
    settings = parse_settings(data.get("settings", {}))
    nodes = _parse_list(data["nodes"], "nodes", MAX_NODES, parse_node)
    _unique_ids(nodes, "nodes")
    node_ids = {node.id for node in nodes}
    edges = _parse_list(data["edges"], "edges", MAX_EDGES, parse_edge)
    _unique_ids(edges, "edges")
    for index, edge in enumerate(edges):
        for end in ("source", "target"):
            if getattr(edge, end) not in node_ids:
                raise _fail(f"edges[{index}].{end}", f"unknown node {getattr(edge, end)!r}",
                            f"节点“{getattr(edge, end)}”不存在")
    return Graph(settings=settings, nodes=nodes, edges=edges)


def _parse_list(value: Any, path: str, limit: int, parse_item: Callable[[Any, str], Any]) -> tuple:
    if not isinstance(value, list):
        raise _fail(path, "must be a list", "必须是列表")
    if len(value) > limit:
        raise _fail(path, f"must have at most {limit} items", f"最多 {limit} 项")
    return tuple(parse_item(item, f"{path}[{index}]") for index, item in enumerate(value))


def _unique_ids(items: tuple, path: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.id in seen:
            raise _fail(f"{path}[{index}].id", f"duplicate id {item.id!r}", f"ID“{item.id}”重复")
        seen.add(item.id)


def parse_settings(data: Any, path: str = "settings") -> Settings:
    """Settings with defaults for missing keys. Raises GraphError."""
    _object(data, path, ("confidence_threshold", "max_retries", "silence_timeout_ms", "variables", "memory_days"))
    defaults = Settings()
    return Settings(
        variables=_strings(data.get("variables", []), f"{path}.variables", unique=True, names=True),
        memory_days=_integer(data.get("memory_days", defaults.memory_days), f"{path}.memory_days", 0, 3650),
        confidence_threshold=_number(data.get("confidence_threshold", defaults.confidence_threshold),
                                     f"{path}.confidence_threshold", 0, 1),
        max_retries=_integer(data.get("max_retries", defaults.max_retries), f"{path}.max_retries", 0, 10),
        silence_timeout_ms=_integer(data.get("silence_timeout_ms", defaults.silence_timeout_ms),
                                    f"{path}.silence_timeout_ms", 500, 120_000),
    )


def parse_node(data: Any, path: str) -> Node:
    """One node; fields not allowed for its kind are rejected. Raises GraphError."""
    _object(data, path, _COMMON_FIELDS + _ALL_FIELDS, ("id", "kind"))
    kind = _choice(data["kind"], f"{path}.kind", KINDS)
    for key in data:
        if key in _ALL_FIELDS and key not in KIND_FIELDS[kind]:
            raise _fail(f"{path}.{key}", f"not allowed on a {kind} node", f"{kind} 节点不能有此字段")
    values: dict[str, Any] = {"id": _identifier(data["id"], f"{path}.id"), "kind": kind}
    if "title" in data:
        values["title"] = _string(data["title"], f"{path}.title", limit=200)
    if "position" in data:
        values["position"] = _position(data["position"], f"{path}.position")
    for name in KIND_FIELDS[kind]:
        if name in data:
            values[name] = _FIELD_PARSERS[name](data[name], f"{path}.{name}")
    return Node(**values)


def _position(data: Any, path: str) -> tuple[float, float]:
    _object(data, path, ("x", "y"), ("x", "y"))
    return (_number(data["x"], f"{path}.x"), _number(data["y"], f"{path}.y"))


def parse_edge(data: Any, path: str) -> Edge:
    """One edge with its condition. Raises GraphError."""
    _object(data, path, ("id", "source", "target", "condition"), ("id", "source", "target", "condition"))
    return Edge(
        id=_identifier(data["id"], f"{path}.id"),
        source=_identifier(data["source"], f"{path}.source"),
        target=_identifier(data["target"], f"{path}.target"),
        condition=parse_condition(data["condition"], f"{path}.condition"),
    )


def parse_condition(data: Any, path: str) -> Condition:
    """`{"type": ...}` plus `intent` for intent edges and `expr` for expr edges (nothing else). Raises GraphError."""
    _object(data, path, ("type", "intent", "expr"), ("type",))
    kind = _choice(data["type"], f"{path}.type", CONDITION_TYPES)
    extra = {"intent": "intent", "expr": "expr"}.get(kind)
    _object(data, path, ("type", extra) if extra else ("type",), ("type", extra) if extra else ("type",))
    if kind == "intent":
        return Condition(kind, intent=_identifier(data["intent"], f"{path}.intent"))
    if kind == "expr":
        return Condition(kind, expr=_string(data["expr"], f"{path}.expr", empty=False, limit=1000))
    return Condition(kind)


# ----------------------------------------------------------------------------------------------------------- serialise

def graph_to_json(graph: Graph) -> dict:
    """The canonical JSON form: `parse_graph(graph_to_json(g)) == g`, defaults written out, None fields omitted."""
    return {
        "format": FORMAT,
        "settings": settings_to_json(graph.settings),
        "nodes": [node_to_json(node) for node in graph.nodes],
        "edges": [edge_to_json(edge) for edge in graph.edges],
    }


def settings_to_json(settings: Settings) -> dict:
    """Variables and the memory period are written only when they differ from the defaults, so that flows without
    customers keep the form (and checksum) they had before customers existed."""
    data = {"confidence_threshold": settings.confidence_threshold, "max_retries": settings.max_retries,
            "silence_timeout_ms": settings.silence_timeout_ms}
    if settings.variables:
        data["variables"] = list(settings.variables)
    if settings.memory_days != MEMORY_DAYS:
        data["memory_days"] = settings.memory_days
    return data


def node_to_json(node: Node, *, position: bool = True) -> dict:
    """A node's JSON; `position=False` leaves the layout out (used by the diff)."""
    data: dict[str, Any] = {"id": node.id, "kind": node.kind, "title": node.title}
    if position:
        data["position"] = {"x": node.position[0], "y": node.position[1]}
    for name in KIND_FIELDS[node.kind]:
        value = getattr(node, name)
        if isinstance(value, tuple):
            data[name] = list(value)
        elif value is not None:
            data[name] = value
    return data


def edge_to_json(edge: Edge) -> dict:
    condition: dict[str, Any] = {"type": edge.condition.type}
    if edge.condition.intent is not None:
        condition["intent"] = edge.condition.intent
    if edge.condition.expr is not None:
        condition["expr"] = edge.condition.expr
    return {"id": edge.id, "source": edge.source, "target": edge.target, "condition": condition}
