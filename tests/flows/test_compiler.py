"""Compiler behaviour beyond the golden cases: determinism, checksum, schema handling, result shape."""

from __future__ import annotations

import json

import pytest

from flows.compiler import SchemaError, checksum, compile_flow, parse_schema
from flows.graph import GraphError, parse_graph
from tests.flows.factory import ask_flow, demo_graph, demo_schema


def test_same_input_same_program_and_checksum():
    first = compile_flow(demo_graph(), demo_schema()).program
    second = compile_flow(parse_graph(demo_graph()), parse_schema(demo_schema())).program
    assert first == second
    assert first["checksum"] == checksum(first) and len(first["checksum"]) == 64


def test_layout_does_not_change_the_program():
    moved = demo_graph()
    moved["nodes"][3]["position"] = {"x": -500, "y": 9999}
    assert compile_flow(moved, demo_schema()).program == compile_flow(demo_graph(), demo_schema()).program


def test_content_changes_the_checksum():
    changed = demo_graph()
    changed["nodes"][1]["texts"][0] += "！"
    assert compile_flow(changed, demo_schema()).program["checksum"] != compile_flow(
        demo_graph(), demo_schema()).program["checksum"]


def test_program_is_plain_json():
    program = compile_flow(demo_graph(), demo_schema()).program
    assert json.loads(json.dumps(program, ensure_ascii=False)) == program


def test_warnings_do_not_block_compilation():
    result = compile_flow(ask_flow(), demo_schema())
    assert result.ok and result.errors == []
    assert {warning.code for warning in result.warnings} == {"global_intent_unhandled"}


def test_errors_leave_no_program():
    data = ask_flow()
    data["nodes"][2]["texts"] = ["{流量}方"]
    result = compile_flow(data, demo_schema())
    assert result.program is None
    assert result.to_dict()["errors"] == [{
        "code": "slot_maybe_unset", "severity": "error", "node_id": "q", "edge_id": None,
        "message_en": "An untitled say node says {流量}, but “流量” may still be empty here: not every path from the "
                      "start collects it first.",
        "message_zh": "未命名的播报节点的话术用到了 {流量}，但此时“流量”可能还没有值：并非每条从开始出发的路径都先收集了它。"}]


def test_titles_not_ids_appear_in_messages():
    data = ask_flow()
    data["nodes"][1]["prompts"] = []
    data["nodes"][1]["title"] = "问扬程"
    error = compile_flow(data, demo_schema()).errors[0]
    assert error.message_en == "Node “问扬程” collects slots but has no prompt."
    assert error.message_zh == "节点“问扬程”要收集槽位，但没有提问话术。"
    assert error.node_id == "a"  # the canvas still finds the node


def test_schema_extras_are_ignored_and_defaults_applied():
    schema = parse_schema({"intents": [{"name": "肯定", "examples": ["好的"]}], "slots": [{"name": "扬程"}],
                           "name": "工业泵销售"})
    assert schema.intents == {"肯定": False} and schema.slots == {"扬程": "text"}


@pytest.mark.parametrize("schema, path", [
    ([], "schema"), ({"intents": {}}, "schema.intents"), ({"intents": [{"name": ""}]}, "schema.intents[0].name"),
    ({"slots": [{"name": "扬程"}, {"name": "扬程"}]}, "schema.slots[1].name"),
    ({"intents": [{"name": "挂断", "is_global": "yes"}]}, "schema.intents.挂断.is_global"),
    ({"slots": [{"name": "扬程", "type": 3}]}, "schema.slots.扬程.type"),
])
def test_bad_schema(schema, path):
    with pytest.raises(SchemaError) as caught:
        compile_flow(ask_flow(), schema)
    assert caught.value.path == path


def test_bad_graph_raises_graph_error():
    with pytest.raises(GraphError):
        compile_flow({"format": 1, "nodes": [{"id": "s"}], "edges": []}, demo_schema())
