"""Semantic difference between two versions of a flow graph, for the version history.

Nodes and edges are matched by id; layout (node positions) is ignored, and both sides are normalised first so that a
field written out with its default value is not a change. Each change is a JSON-able dict::

    {"op": "added" | "removed" | "changed", "what": "node" | "edge" | "setting", "id": ..., "field"?: ...,
     "before"?: ..., "after"?: ...}

Added items carry "after" (the whole node or edge), removed ones "before"; a changed node or edge gives one change per
field (an edge's condition is one field), a changed setting one change with "id" = the setting's name. Order: settings,
then nodes, then edges, each in the order they appear in `before` followed by those new in `after`.
"""

from __future__ import annotations

from typing import Any

from flows.graph import Graph, edge_to_json, node_to_json, parse_graph, settings_to_json


def diff_graphs(before: Graph | dict, after: Graph | dict) -> list[dict]:
    """The changes that turn `before` into `after`. Raises GraphError if either side is not a valid graph."""
    before = before if isinstance(before, Graph) else parse_graph(before)
    after = after if isinstance(after, Graph) else parse_graph(after)
    changes = _diff_settings(settings_to_json(before.settings), settings_to_json(after.settings))
    changes += _diff_items("node", {node.id: node_to_json(node, position=False) for node in before.nodes},
                           {node.id: node_to_json(node, position=False) for node in after.nodes})
    changes += _diff_items("edge", {edge.id: edge_to_json(edge) for edge in before.edges},
                           {edge.id: edge_to_json(edge) for edge in after.edges})
    return changes


def _diff_settings(before: dict, after: dict) -> list[dict]:
    return [{"op": "changed", "what": "setting", "id": name, "before": before[name], "after": after[name]}
            for name in before if before[name] != after[name]]


def _diff_items(what: str, before: dict[str, dict], after: dict[str, dict]) -> list[dict]:
    changes: list[dict] = []
    for item_id, old in before.items():
        new = after.get(item_id)
        if new is None:
            changes.append({"op": "removed", "what": what, "id": item_id, "before": old})
        else:
            changes += _diff_fields(what, item_id, old, new)
    for item_id, new in after.items():
        if item_id not in before:
            changes.append({"op": "added", "what": what, "id": item_id, "after": new})
    return changes


def _diff_fields(what: str, item_id: str, old: dict[str, Any], new: dict[str, Any]) -> list[dict]:
    # A kind change swaps the kind's fields too; listing the union shows what appeared and what went away.
    names = list(old) + [name for name in new if name not in old]
    return [{"op": "changed", "what": what, "id": item_id, "field": name, "before": old.get(name),
             "after": new.get(name)}
            for name in names if name != "id" and old.get(name) != new.get(name)]
