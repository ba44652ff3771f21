"""Flow services: optimistic locking, validation, publish, restore, diff and import, without the web layer."""

from __future__ import annotations

import json

import pytest

from flows import services
from flows.models import FlowVersion
from tests.flows_web.helpers import broken_graph, good_graph, make_bot

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow(team):
    return services.get_flow(make_bot(team["workspace"]))


def test_a_new_bot_gets_a_draft_with_one_start_node(flow):
    assert [n["kind"] for n in flow.graph["nodes"]] == ["start"]
    assert flow.revision == 1


def test_save_based_on_the_current_revision_bumps_it(flow, team):
    saved = services.do_save_flow(flow, good_graph(), 1, team["editor"])
    assert saved.revision == 2
    assert saved.updated_by == team["editor"]
    assert [n["id"] for n in saved.graph["nodes"]] == ["n1", "n2", "n3"]


def test_stale_save_is_refused_and_overwrites_nothing(flow, team):
    services.do_save_flow(flow, good_graph(), 1, team["editor"])
    theirs = broken_graph()
    with pytest.raises(services.StaleFlowError) as caught:
        services.do_save_flow(flow, theirs, 1, team["owner"])
    flow.refresh_from_db()
    assert flow.revision == 2
    assert flow.graph == services.check_graph(good_graph())
    assert caught.value.flow.updated_by == team["editor"]


def test_malformed_graph_is_refused(flow, team):
    graph = good_graph()
    graph["nodes"][1]["colour"] = "red"
    with pytest.raises(services.FlowDataError, match="nodes\\[1\\].colour"):
        services.do_save_flow(flow, graph, 1, team["editor"])
    flow.refresh_from_db()
    assert flow.revision == 1


def test_save_normalises_the_graph(flow, team):
    graph = good_graph()
    del graph["settings"]
    saved = services.do_save_flow(flow, graph, 1, team["editor"])
    assert saved.graph["settings"] == {"confidence_threshold": 0.5, "max_retries": 2, "silence_timeout_ms": 5000}


def test_validation_lists_errors_with_their_nodes(flow):
    result = services.validate_graph(flow.bot, services.check_graph(broken_graph()))
    found = {(d.code, d.node_id) for d in result.errors}
    assert ("missing_text", "n2") in found
    assert ("dead_end", "n2") in found
    assert all(d.message_zh and d.message_en for d in result.errors)


def test_publish_refuses_a_draft_with_errors(flow, team):
    services.do_save_flow(flow, broken_graph(), 1, team["editor"])
    with pytest.raises(services.PublishError) as caught:
        services.do_publish(flow, team["editor"], "试试")
    assert {e["code"] for e in caught.value.errors} >= {"missing_text", "dead_end"}
    assert not FlowVersion.objects.exists()


def test_publish_creates_numbered_immutable_versions(flow, team):
    services.do_save_flow(flow, good_graph(), 1, team["editor"])
    first = services.do_publish(flow, team["editor"], "第一版")
    second = services.do_publish(flow, team["owner"], "")
    assert (first.number, second.number) == (1, 2)
    assert first.note == "第一版" and first.author == team["editor"]
    assert first.program["start"] == "n1"
    assert first.checksum == first.program["checksum"] == second.checksum
    assert first.graph == services.check_graph(good_graph())


def test_restore_publishes_the_old_graph_again_and_makes_it_the_draft(flow, team):
    services.do_save_flow(flow, good_graph(), 1, team["editor"])
    v1 = services.do_publish(flow, team["editor"])
    changed = good_graph()
    changed["nodes"][1]["texts"] = ["换了一句开场白。"]
    services.do_save_flow(flow, changed, 2, team["editor"])
    services.do_publish(flow, team["editor"])
    v3 = services.do_restore_version(v1, team["owner"])
    flow.refresh_from_db()
    assert v3.number == 3
    assert v3.graph == v1.graph and v3.checksum == v1.checksum
    assert flow.graph == v1.graph and flow.revision == 4
    assert "1" in v3.note


def test_restore_that_no_longer_compiles_changes_nothing(flow, team):
    graph = good_graph()
    graph["edges"].append({"id": "e9", "source": "n1", "target": "n3", "condition": {"type": "intent", "intent": "询价"}})
    services.do_save_flow(flow, graph, 1, team["editor"])
    v1 = services.do_publish(flow, team["editor"])
    services.do_save_flow(flow, good_graph(), 2, team["editor"])
    flow.bot.intents.filter(name="询价").delete()
    with pytest.raises(services.PublishError):
        services.do_restore_version(v1, team["owner"])
    flow.refresh_from_db()
    assert flow.revision == 3 and flow.graph == services.check_graph(good_graph())
    assert flow.versions.count() == 1


def test_diff_marks_added_removed_and_changed_items(flow, team):
    services.do_save_flow(flow, good_graph(), 1, team["editor"])
    v1 = services.do_publish(flow, team["editor"])
    graph = good_graph()
    graph["nodes"][1]["texts"] = ["新的开场白。"]
    graph["nodes"].append({"id": "n4", "kind": "transfer", "title": "转人工", "position": {"x": 300, "y": 320},
                           "texts": ["请稍等。"], "queue": "sales"})
    graph["edges"][1]["target"] = "n4"
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] != "n3"]
    services.do_save_flow(flow, graph, 2, team["editor"])
    v2 = services.do_publish(flow, team["editor"])
    diff = services.diff_versions(v1, v2)
    assert diff["node_status"] == {"n2": "changed", "n3": "removed", "n4": "added"}
    assert diff["edge_status"] == {"e2": "changed"}
    assert {n["id"] for n in diff["graph"]["nodes"]} == {"n1", "n2", "n3", "n4"}
    texts = [c for c in diff["changes"] if c.get("field") == "texts"]
    assert texts[0]["before"] == ["您好，这里是鑫源泵业。"] and texts[0]["after"] == ["新的开场白。"]


def test_import_replaces_the_draft(flow, team):
    raw = json.dumps(good_graph(), ensure_ascii=False).encode()
    imported = services.do_import_flow(flow, raw, team["editor"])
    assert imported.revision == 2
    assert len(imported.graph["nodes"]) == 3


def test_import_takes_the_flow_out_of_a_bot_bundle(flow, team):
    raw = json.dumps({"format": 1, "bot": {"name": "x"}, "intents": [], "flow": good_graph()}).encode()
    assert len(services.do_import_flow(flow, raw, team["editor"]).graph["nodes"]) == 3


BROKEN_FILES = {
    "not json": b"{nodes: [",
    "not utf-8": "{\"format\": 1}".encode("utf-16"),
    "a list": b"[1, 2, 3]",
    "no nodes": b'{"format": 1, "edges": []}',
    "wrong format": json.dumps({**good_graph(), "format": 2}).encode(),
    "unknown field": json.dumps({**good_graph(), "owner": "me"}).encode(),
    "edge to nowhere": json.dumps({**good_graph(), "edges": [
        {"id": "e1", "source": "n1", "target": "zz", "condition": {"type": "default"}}]}).encode(),
    "NaN": json.dumps(good_graph()).replace("0.5", "NaN").encode(),
    "duplicate key": b'{"format": 1, "format": 1, "nodes": [], "edges": []}',
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "huge": b" " * (services.MAX_IMPORT_BYTES + 1),
    "lone surrogate": json.dumps(good_graph()).replace("\\u5f00\\u59cb", "\\ud800").encode(),
    "bidi override": json.dumps(good_graph(), ensure_ascii=False).replace("开场白", "开场\u202e白").encode(),
    "nul": json.dumps(good_graph()).replace("\\u5f00\\u59cb", "\\u0000").encode(),
    "string node": json.dumps({**good_graph(), "nodes": ["n1"]}).encode(),
}


@pytest.mark.parametrize("name", BROKEN_FILES)
def test_broken_file_is_refused_and_changes_nothing(flow, team, name):
    before = (flow.revision, flow.graph)
    with pytest.raises(services.FlowDataError) as caught:
        services.do_import_flow(flow, BROKEN_FILES[name], team["editor"])
    assert caught.value.message
    flow.refresh_from_db()
    assert (flow.revision, flow.graph) == before


def test_a_utf8_bom_is_accepted(flow, team):
    raw = "\ufeff".encode() + json.dumps(good_graph(), ensure_ascii=False).encode()
    assert services.do_import_flow(flow, raw, team["editor"]).revision == 2


def test_export_round_trips_through_import(flow, team):
    services.do_save_flow(flow, good_graph(), 1, team["editor"])
    raw = services.export_flow(flow)
    assert services.read_flow_file(raw) == flow.graph
