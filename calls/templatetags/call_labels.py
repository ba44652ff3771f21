"""Template filters of the call pages: a flow node as a manager knows it (its title), not by its id."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def node_title(node_id: str | None, flow_version) -> str:  # noqa: ANN001
    """`{{ call.end_node|node_title:call.flow_version }}`: the node's title in that version (its id if untitled)."""
    if not node_id:
        return ""
    nodes = ((getattr(flow_version, "program", None) or {}).get("nodes") or {})
    return (nodes.get(node_id) or {}).get("title") or node_id
