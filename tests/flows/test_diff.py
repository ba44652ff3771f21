"""Semantic diff between graph versions."""

from __future__ import annotations

import copy

from flows.diff import diff_graphs
from tests.flows.factory import ask_flow, demo_graph, edge, node


def test_identical_graphs_have_no_changes():
    assert diff_graphs(demo_graph(), demo_graph()) == []


def test_moving_nodes_is_not_a_change():
    after = demo_graph()
    for item in after["nodes"]:
        item["position"] = {"x": item["position"]["x"] + 40, "y": 0}
    assert diff_graphs(demo_graph(), after) == []


def test_writing_out_a_default_is_not_a_change():
    after = ask_flow()
    after["nodes"][1]["barge_in"] = True
    after["settings"] = {"max_retries": 2}
    assert diff_graphs(ask_flow(), after) == []


def test_changed_field():
    after = ask_flow()
    after["nodes"][1]["prompts"] = ["请问扬程多少米？"]
    assert diff_graphs(ask_flow(), after) == [
        {"op": "changed", "what": "node", "id": "a", "field": "prompts", "before": ["扬程多少米？"],
         "after": ["请问扬程多少米？"]}]


def test_added_and_removed_nodes_and_edges():
    before = ask_flow()
    after = copy.deepcopy(before)
    after["nodes"] = [item for item in after["nodes"] if item["id"] != "hang"]
    after["edges"] = [item for item in after["edges"] if item["id"] != "e5"]
    after["nodes"].append(node("t", "transfer", queue="销售"))
    after["edges"].append(edge("e6", "s", "t", "intent", intent="转人工"))
    changes = diff_graphs(before, after)
    assert [(item["op"], item["what"], item["id"]) for item in changes] == [
        ("removed", "node", "hang"), ("added", "node", "t"), ("removed", "edge", "e5"), ("added", "edge", "e6")]
    assert changes[1]["after"] == {"id": "t", "kind": "transfer", "title": "", "texts": [], "queue": "销售"}
    assert "position" not in changes[0]["before"]


def test_edge_retargeted_and_condition_changed():
    after = ask_flow()
    after["edges"][2].update(target="ok", condition={"type": "intent", "intent": "否定"})
    assert diff_graphs(ask_flow(), after) == [
        {"op": "changed", "what": "edge", "id": "e3", "field": "target", "before": "bye", "after": "ok"},
        {"op": "changed", "what": "edge", "id": "e3", "field": "condition", "before": {"type": "fallback"},
         "after": {"type": "intent", "intent": "否定"}}]


def test_setting_changed():
    after = ask_flow()
    after["settings"] = {"confidence_threshold": 0.6}
    assert diff_graphs(ask_flow(), after) == [
        {"op": "changed", "what": "setting", "id": "confidence_threshold", "before": 0.5, "after": 0.6}]


def test_kind_change_lists_fields_that_appear_and_disappear():
    after = ask_flow()
    after["nodes"][2] = node("q", "end", texts=["扬程{扬程}米，好的。"], outcome="意向")
    changes = diff_graphs(ask_flow(), after)
    assert [(item["field"], item["before"], item["after"]) for item in changes if item["what"] == "node"] == [
        ("kind", "say", "end"), ("outcome", None, "意向")]
