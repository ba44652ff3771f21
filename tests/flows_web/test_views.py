"""Flow views: the editor page, save with optimistic locking, side panels, publish, versions, diff, import/export."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from flows import services
from flows.models import FlowVersion
from tests.flows_web.helpers import broken_graph, good_graph, make_bot

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def bot(team):
    return make_bot(team["workspace"])


def url(bot, name, **kwargs):
    return reverse(f"flows:{name}", kwargs={"ws": bot.workspace.slug, "bot": bot.slug, **kwargs})


def save(client, bot, graph, revision):
    return client.post(url(bot, "save"), json.dumps({"graph": graph, "revision": revision}),
                       content_type="application/json")


def test_editor_shows_the_canvas_palette_and_draft(client, team, bot):
    client.force_login(team["editor"])
    response = client.get(url(bot, "editor"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="palette"' in html and 'id="flow-canvas"' in html and 'data-testid="publish"' in html
    assert response.context["config"]["revision"] == 1
    assert 'id="flow-graph"' in html


def test_viewer_opens_the_editor_read_only(client, team, bot):
    client.force_login(team["viewer"])
    html = client.get(url(bot, "editor")).content.decode()
    assert 'data-testid="read-only"' in html
    assert 'data-testid="palette"' not in html and 'data-testid="publish"' not in html
    assert '"canEdit": false' in html


def test_viewer_cannot_save_or_publish(client, team, bot):
    client.force_login(team["viewer"])
    assert save(client, bot, good_graph(), 1).status_code == 403
    assert client.post(url(bot, "publish"), {"note": "x"}).status_code == 403
    assert services.get_flow(bot).revision == 1


def test_save_returns_the_new_revision_and_the_validation_list(client, team, bot):
    client.force_login(team["editor"])
    response = save(client, bot, broken_graph(), 1)
    assert response.status_code == 200
    body = response.json()
    assert body["revision"] == 2 and body["by"] == "editor"
    codes = {(i["code"], i["node_id"]) for i in body["issues"]}
    assert ("missing_text", "n2") in codes
    assert 'data-node-id="n2"' in body["issues_html"]


def test_clean_flow_says_so(client, team, bot):
    client.force_login(team["editor"])
    body = save(client, bot, good_graph(), 1).json()
    assert body["issues"] == [] and 'data-testid="issues-clean"' in body["issues_html"]


def test_stale_save_gets_409_with_who_and_when_and_writes_nothing(client, team, bot):
    client.force_login(team["owner"])
    save(client, bot, good_graph(), 1)
    client.force_login(team["editor"])
    response = save(client, bot, broken_graph(), 1)
    assert response.status_code == 409
    assert response.json()["by"] == "owner" and response.json()["revision"] == 2
    flow = services.get_flow(bot)
    assert flow.revision == 2 and flow.graph == services.check_graph(good_graph())


@pytest.mark.parametrize("body", [b"not json", b'{"graph": {}}', b'{"revision": "x", "graph": {}}',
                                  json.dumps({"revision": 1, "graph": {"format": 1, "nodes": 3, "edges": []}})])
def test_bad_save_requests_get_400(client, team, bot, body):
    client.force_login(team["editor"])
    response = client.post(url(bot, "save"), body, content_type="application/json")
    assert response.status_code == 400 and response.json()["message"]
    assert services.get_flow(bot).revision == 1


def node_json(**fields):
    return json.dumps({"id": "n2", "kind": "say", "title": "开场白", "position": {"x": 1, "y": 2}, **fields})


def test_node_panel_renders_the_form_from_the_posted_node(client, team, bot):
    client.force_login(team["editor"])
    response = client.post(url(bot, "node_panel"), {"node": node_json(texts=["您好", "你好 {扬程}"])}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "您好" in html and "你好 {扬程}" in html and 'data-insert-slot="扬程"' in html
    assert "<fieldset >" in html or "<fieldset>" in html


def test_viewer_gets_the_panel_disabled(client, team, bot):
    client.force_login(team["viewer"])
    html = client.post(url(bot, "node_panel"), {"node": node_json(texts=["您好"])}, **HTMX).content.decode()
    assert "<fieldset disabled>" in html and 'data-testid="apply"' not in html
    assert client.post(url(bot, "node_apply"), {"node": node_json(), "title": "x"}).status_code == 403


def test_ask_panel_offers_the_bots_slots(client, team, bot):
    client.force_login(team["editor"])
    node = json.dumps({"id": "n5", "kind": "ask", "title": "问扬程", "slots": ["扬程"]})
    html = client.post(url(bot, "node_panel"), {"node": node}, **HTMX).content.decode()
    assert 'value="扬程"' in html and 'value="流量"' in html and "checked" in html
    assert 'name="barge_in"' in html and 'name="hot_words"' in html


def test_node_apply_sends_the_normalised_node_to_the_canvas(client, team, bot):
    client.force_login(team["editor"])
    data = {"node": node_json(texts=["旧"]), "title": " 新标题 ", "texts": ["  第一句 ", "", "第二句 {扬程}"]}
    response = client.post(url(bot, "node_apply"), data, **HTMX)
    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"
    node = json.loads(response["HX-Trigger"])["flow:node-applied"]["node"]
    assert node == {"id": "n2", "kind": "say", "title": "新标题", "position": {"x": 1, "y": 2},
                    "texts": ["第一句", "第二句 {扬程}"]}


def test_listening_node_apply_normalises_hot_words_and_barge_in(client, team, bot):
    client.force_login(team["editor"])
    node = json.dumps({"id": "n5", "kind": "branch", "title": "确认需求"})
    data = {"node": node, "title": "确认需求", "prompts": ["需要水泵吗？"], "hot_words": "水泵、离心泵, 水泵",
            "silence_timeout_ms": "6000", "max_retries": ""}
    response = client.post(url(bot, "node_apply"), data, **HTMX)
    node = json.loads(response["HX-Trigger"])["flow:node-applied"]["node"]
    assert node["hot_words"] == ["水泵", "离心泵"] and node["barge_in"] is False
    assert node["silence_timeout_ms"] == 6000 and "max_retries" not in node


def test_node_apply_with_bad_values_rerenders_the_form_with_errors(client, team, bot):
    client.force_login(team["editor"])
    node = json.dumps({"id": "n5", "kind": "ask", "title": "问扬程"})
    response = client.post(url(bot, "node_apply"), {"node": node, "silence_timeout_ms": "10", "max_retries": "99"},
                           **HTMX)
    assert "HX-Trigger" not in response
    assert response.content.decode().count("invalid-feedback") == 2


def test_node_panel_refuses_a_malformed_node(client, team, bot):
    client.force_login(team["editor"])
    response = client.post(url(bot, "node_panel"), {"node": '{"id": "x", "kind": "rocket"}'}, **HTMX)
    assert response.status_code == 400 and "kind" in response.content.decode()


def test_settings_panel_shows_the_flows_defaults_and_apply_sends_them_back_normalised(client, team, bot):
    client.force_login(team["viewer"])
    settings = json.dumps({"confidence_threshold": 0.6, "max_retries": 3, "silence_timeout_ms": 7000})
    html = client.post(url(bot, "settings_panel"), {"settings": settings}, **HTMX).content.decode()
    assert 'name="max_retries" value="3"' in html and "<fieldset disabled" in html  # a viewer reads, no more
    client.force_login(team["editor"])
    data = {"settings": settings, "confidence_threshold": "0.75", "max_retries": "1", "silence_timeout_ms": "4000"}
    response = client.post(url(bot, "settings_apply"), data, **HTMX)
    assert json.loads(response["HX-Trigger"])["flow:settings-applied"] == {
        "settings": {"confidence_threshold": 0.75, "max_retries": 1, "silence_timeout_ms": 4000}}


def test_settings_apply_rejects_values_out_of_range_and_malformed_settings(client, team, bot):
    client.force_login(team["editor"])
    data = {"settings": "{}", "confidence_threshold": "1.5", "max_retries": "11", "silence_timeout_ms": "100"}
    response = client.post(url(bot, "settings_apply"), data, **HTMX)
    assert "HX-Trigger" not in response and response.content.decode().count("invalid-feedback") == 3
    response = client.post(url(bot, "settings_panel"), {"settings": '{"max_retries": "many"}'}, **HTMX)
    assert response.status_code == 400 and "max_retries" in response.content.decode()


def edge_data(condition, source_kind="branch", **form):
    edge = {"id": "e7", "source": "n5", "target": "n6", "condition": condition}
    return {"edge": json.dumps(edge), "source_kind": source_kind, **form}


def test_edge_panel_offers_the_conditions_of_its_source_kind_and_the_bots_intents(client, team, bot):
    client.force_login(team["editor"])
    html = client.post(url(bot, "edge_panel"), edge_data({"type": "intent", "intent": "询价"}), **HTMX)
    html = html.content.decode()
    assert 'value="no_match"' in html and 'value="filled"' not in html
    assert 'value="询价" selected' in html and 'value="肯定"' in html


def test_edge_apply_returns_the_condition(client, team, bot):
    client.force_login(team["editor"])
    data = edge_data({"type": "default"}, source_kind="condition", type="expr", expr="扬程 > 50")
    response = client.post(url(bot, "edge_apply"), data, **HTMX)
    event = json.loads(response["HX-Trigger"])["flow:edge-applied"]
    assert event == {"id": "e7", "condition": {"type": "expr", "expr": "扬程 > 50"}}


def test_edge_apply_rejects_an_expression_that_does_not_parse(client, team, bot):
    client.force_login(team["editor"])
    data = edge_data({"type": "default"}, source_kind="condition", type="expr", expr="扬程 >")
    response = client.post(url(bot, "edge_apply"), data, **HTMX)
    assert "HX-Trigger" not in response and "invalid-feedback" in response.content.decode()


def test_publish_with_errors_shows_them_and_creates_nothing(client, team, bot):
    client.force_login(team["editor"])
    save(client, bot, broken_graph(), 1)
    response = client.post(url(bot, "publish"), {"note": "x"}, **HTMX)
    html = response.content.decode()
    assert 'data-testid="publish-errors"' in html and 'data-node-id="n2"' in html
    assert not FlowVersion.objects.exists()


def test_publish_creates_a_version(client, team, bot):
    client.force_login(team["editor"])
    save(client, bot, good_graph(), 1)
    response = client.post(url(bot, "publish"), {"note": "上线"}, **HTMX)
    assert 'data-testid="published"' in response.content.decode()
    assert json.loads(response["HX-Trigger"])["flow:published"]["number"] == 1
    version = FlowVersion.objects.get()
    assert version.note == "上线" and version.author == team["editor"]


def test_versions_page_lists_versions_and_offers_restore_to_editors(client, team, bot):
    flow = services.get_flow(bot)
    services.do_save_flow(flow, good_graph(), 1, team["editor"])
    services.do_publish(flow, team["editor"], "第一版")
    services.do_publish(flow, team["editor"], "第二版")
    client.force_login(team["editor"])
    html = client.get(url(bot, "versions")).content.decode()
    assert "第一版" in html and "第二版" in html and 'data-testid="restore-1"' in html
    client.force_login(team["viewer"])
    assert 'data-testid="restore-1"' not in client.get(url(bot, "versions")).content.decode()


def test_restore_view_publishes_the_old_version(client, team, bot):
    flow = services.get_flow(bot)
    services.do_save_flow(flow, good_graph(), 1, team["editor"])
    services.do_publish(flow, team["editor"])
    services.do_save_flow(flow, broken_graph(), 2, team["editor"])
    client.force_login(team["editor"])
    response = client.post(url(bot, "restore", flow_version=1))
    assert response.status_code == 302
    flow.refresh_from_db()
    assert flow.versions.count() == 2 and flow.graph == flow.versions.get(number=1).graph


def test_diff_page_lists_the_changes(client, team, bot):
    flow = services.get_flow(bot)
    services.do_save_flow(flow, good_graph(), 1, team["editor"])
    services.do_publish(flow, team["editor"])
    graph = good_graph()
    graph["nodes"][1]["title"] = "新开场白"
    services.do_save_flow(flow, graph, 2, team["editor"])
    services.do_publish(flow, team["editor"])
    client.force_login(team["viewer"])
    response = client.get(url(bot, "diff") + "?a=1&b=2")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-op="changed"' in html and "新开场白" in html
    assert response.context["diff"]["node_status"] == {"n2": "changed"}


def test_diff_page_names_added_removed_and_changed_items_by_title(client, team, bot):
    """A newer version that adds a node used to crash the page (a filter argument on a missing key)."""
    flow = services.get_flow(bot)
    services.do_save_flow(flow, good_graph(), 1, team["editor"])
    services.do_publish(flow, team["editor"])
    graph = good_graph()
    graph["settings"]["max_retries"] = 3
    graph["nodes"][1]["texts"] = ["您好，这里是鑫源泵业华东区。"]
    graph["nodes"].append({"id": "n9", "kind": "end", "title": "礼貌结束", "position": {"x": 300, "y": 320},
                           "texts": ["打扰了。"], "outcome": "拒绝"})
    graph["edges"][1] = {"id": "e7", "source": "n2", "target": "n9", "condition": {"type": "default"}}
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] != "n3"]
    services.do_save_flow(flow, graph, 2, team["editor"])
    services.do_publish(flow, team["editor"])
    client.force_login(team["viewer"])
    response = client.get(url(bot, "diff") + "?a=1&b=2", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    labels = {(c["op"], c["what"], c["label"]) for c in response.context["diff"]["changes"]}
    assert {("added", "node", "礼貌结束"), ("removed", "node", "结束"), ("changed", "node", "开场白"),
            ("added", "edge", "「开场白」→「礼貌结束」"), ("removed", "edge", "「开场白」→「结束」"),
            ("changed", "setting", "最大重问次数")} <= labels, labels
    html = response.content.decode()
    assert ">e7<" not in html and ">n9<" not in html and "连线 e" not in html  # ids only in tooltips


def test_diff_without_two_versions_goes_back_to_the_list(client, team, bot):
    client.force_login(team["viewer"])
    assert client.get(url(bot, "diff")).status_code == 302
    assert client.get(url(bot, "diff") + "?a=1&b=x").status_code == 302


def test_diff_of_an_unknown_version_is_not_found(client, team, bot):
    client.force_login(team["viewer"])
    assert client.get(url(bot, "diff") + "?a=1&b=9").status_code == 404


def test_export_downloads_the_draft(client, team, bot):
    client.force_login(team["viewer"])
    response = client.get(url(bot, "export"))
    assert response["Content-Disposition"].startswith("attachment;")
    assert json.loads(response.content)["nodes"][0]["kind"] == "start"


def test_import_view_replaces_the_draft(client, team, bot):
    client.force_login(team["editor"])
    upload = SimpleUploadedFile("flow.json", json.dumps(good_graph()).encode(), "application/json")
    response = client.post(url(bot, "import"), {"file": upload}, follow=True)
    assert services.get_flow(bot).revision == 2
    assert "3" in str(list(response.context["messages"])[0])


def test_import_view_reports_a_broken_file_and_changes_nothing(client, team, bot):
    client.force_login(team["editor"])
    upload = SimpleUploadedFile("flow.json", b"\xff\xfe garbage", "application/json")
    response = client.post(url(bot, "import"), {"file": upload}, follow=True)
    assert services.get_flow(bot).revision == 1
    message = list(response.context["messages"])[0]
    assert message.level == 40 and "UTF-8" in str(message)
