"""Parsing the canvas JSON: the shape is enforced with a path to the culprit, and serialising round-trips."""

from __future__ import annotations

import pytest

from flows.graph import GraphError, graph_to_json, parse_graph, template_slots
from tests.flows.factory import ask_flow, demo_graph, edge, graph, node


def broken(path: str, mutate) -> None:
    data = ask_flow()
    mutate(data)
    with pytest.raises(GraphError) as caught:
        parse_graph(data)
    assert caught.value.path == path, str(caught.value)
    assert caught.value.message_zh


def test_demo_round_trips():
    parsed = parse_graph(demo_graph())
    assert parse_graph(graph_to_json(parsed)) == parsed
    assert graph_to_json(parsed) == demo_graph()


def test_defaults_are_filled_in():
    parsed = parse_graph(graph([node("s", "start"), node("b", "branch")], []))
    assert parsed.settings.confidence_threshold == 0.5 and parsed.settings.max_retries == 2
    branch = graph_to_json(parsed)["nodes"][1]
    assert branch == {"id": "b", "kind": "branch", "title": "", "position": {"x": 0, "y": 0}, "prompts": [],
                      "reprompts": [], "barge_in": True, "hot_words": []}


def test_wrong_type_names_the_field():
    broken("nodes[1].silence_timeout_ms", lambda data: data["nodes"][1].update(silence_timeout_ms="5秒"))


def test_bool_is_not_an_integer():
    broken("nodes[1].max_retries", lambda data: data["nodes"][1].update(max_retries=True))


def test_out_of_range():
    broken("settings.confidence_threshold", lambda data: data["settings"].update(confidence_threshold=1.5))


def test_unknown_field():
    broken("nodes[0].colour", lambda data: data["nodes"][0].update(colour="red"))


def test_field_of_another_kind():
    with pytest.raises(GraphError, match="not allowed on a say node") as caught:
        parse_graph(graph([node("y", "say", slots=["扬程"])], []))
    assert caught.value.path == "nodes[0].slots"


def test_unknown_kind():
    broken("nodes[2].kind", lambda data: data["nodes"][2].update(kind="play"))


def test_missing_id():
    broken("nodes[0].id", lambda data: data["nodes"][0].pop("id"))


def test_duplicate_node_id():
    broken("nodes[1].id", lambda data: data["nodes"][1].update(id="s"))


def test_duplicate_edge_id():
    broken("edges[1].id", lambda data: data["edges"][1].update(id="e1"))


def test_edge_to_unknown_node():
    broken("edges[0].target", lambda data: data["edges"][0].update(target="nowhere"))


def test_intent_condition_needs_its_intent():
    broken("edges[4].condition.intent", lambda data: data["edges"][4]["condition"].pop("intent"))


def test_condition_fields_belong_to_their_type():
    broken("edges[0].condition.intent", lambda data: data["edges"][0]["condition"].update(intent="肯定"))


def test_unknown_condition_type():
    broken("edges[0].condition.type", lambda data: data["edges"][0]["condition"].update(type="timeout"))


def test_outcome_must_be_known():
    broken("nodes[3].outcome", lambda data: data["nodes"][3].update(outcome="成功"))


def test_repeated_slot():
    broken("nodes[1].slots", lambda data: data["nodes"][1].update(slots=["扬程", "扬程"]))


def test_position_needs_numbers():
    broken("nodes[0].position.x", lambda data: data["nodes"][0].update(position={"x": "1", "y": 2}))
    broken("nodes[0].position.y", lambda data: data["nodes"][0].update(position={"x": 1, "y": float("nan")}))


def test_format_is_checked():
    broken("format", lambda data: data.update(format=2))


@pytest.mark.parametrize("junk", [None, [], "graph", 3, {"format": 1}, {"format": 1, "nodes": {}, "edges": []}])
def test_junk(junk):
    with pytest.raises(GraphError):
        parse_graph(junk)


def test_message_is_readable():
    with pytest.raises(GraphError, match=r"^edges\[0\]\.target: unknown node 'x'$"):
        parse_graph(graph([node("s", "start")], [edge("e1", "s", "x")]))


def test_template_slots():
    assert template_slots("扬程{扬程}米，{ 流量 }方，{数量}台，{}，{{x}}") == ["扬程", "流量", "数量", "x"]
