"""How the version diff reads to a sales manager: nodes by title, connections by the titles they join, fields and
values in words (ids only in tooltips)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from flows.forms import CONDITION_LABELS, KIND_LABELS, EdgeForm, NodeForm, SettingsForm


def field_label(name: str) -> str:
    for form in (NodeForm, SettingsForm, EdgeForm):
        if name in form.base_fields:
            return str(form.base_fields[name].label)
    extra = {"kind": _("Node type"), "source": _("From node"), "target": _("To node"), "condition": _("Condition")}
    return str(extra.get(name, name))


def describe_changes(changes: list[dict], before: dict, after: dict) -> list[dict]:
    """`changes` (flows.diff) with `label`, `field_label`, `before_text` and `after_text` for the page."""
    titles = {n["id"]: _node_title(n) for graph in (before, after) for n in graph["nodes"]}
    edges = {e["id"]: _edge_label(e, titles) for graph in (before, after) for e in graph["edges"]}
    return [{**change, **_describe(change, titles, edges)} for change in changes]


def _describe(change: dict, titles: dict[str, str], edges: dict[str, str]) -> dict[str, str]:
    if change["what"] == "node":
        label = titles.get(change["id"], "")
    elif change["what"] == "edge":
        label = edges.get(change["id"], "")
    else:
        label = field_label(change["id"])
    described = {"label": label, "field_label": field_label(change.get("field") or "")}
    for side in ("before", "after"):
        described[f"{side}_text"] = _value_text(change.get("field") or change["id"], change.get(side), titles)
    return described


def _node_title(node: dict) -> str:
    return node.get("title") or str(KIND_LABELS.get(node.get("kind"), node.get("kind", "")))


def _edge_label(edge: dict, titles: dict[str, str]) -> str:
    return f"「{titles.get(edge.get('source'), '?')}」→「{titles.get(edge.get('target'), '?')}」"


def _value_text(field: str, value: Any, titles: dict[str, str]) -> str:
    if value is None or value == [] or value == "":
        return "—"
    if field in ("source", "target"):
        return titles.get(value, str(value))
    if field == "kind":
        return str(KIND_LABELS.get(value, value))
    if field == "condition" and isinstance(value, dict):
        name = str(CONDITION_LABELS.get(value.get("type"), value.get("type")))
        detail = value.get("intent") or value.get("expr") or ""
        return f"{name}：{detail}" if detail else name
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return " / ".join(_value_text(field, v, titles) for v in value)
    if isinstance(value, dict):  # a whole added or removed node or edge: its title says it
        return ""
    return str(value)
