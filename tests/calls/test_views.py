"""The calls list and its filters, the call detail, the dashboards and the CSV exports, through the views."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from tests.calls.conftest import DAY2


@pytest.fixture
def url(team, bot):
    def make(name: str, **kwargs) -> str:
        return reverse(f"calls:{name}", kwargs={"ws": team["workspace"].slug, "bot": bot.slug, **kwargs})
    return make


@pytest.fixture
def viewer(client, team):
    client.force_login(team["viewer"])
    return client


def listed(response) -> set[int]:
    return {c.pk for c in response.context["page"].object_list}


@pytest.mark.parametrize(("query", "expected"), [
    ("", "abcd"), ("version=2", "d"), ("channel=test", "d"), ("outcome=挂断", "b"), ("no_match=on", "a"),
    (f"start={DAY2}", "cd"), (f"end={DAY2}&start={DAY2}", "cd"), ("end=2026-11-02", "ab"),
    ("min_latency=1000", "a"), ("q=扬程五十", "a"), ("q=好的，成交", "a"), ("version=99", "abcd")])
def test_the_list_filters(viewer, url, hand_calls, query, expected):
    response = viewer.get(f"{url('calls')}?{query}")
    assert response.status_code == 200
    assert listed(response) == {hand_calls[k].pk for k in expected}


def test_outcomes_are_coloured_by_what_they_mean(viewer, url, hand_calls):
    """A deal is green, a hang-up red, an interest amber, whether or not the flow ended on an end node."""
    html = viewer.get(url("calls")).content.decode()
    badges = {line.split(">")[1].split("<")[0]: line for line in html.split("<span ") if 'data-testid="outcome"' in line}
    assert "text-bg-success" in badges["成交"] and "text-bg-danger" in badges["挂断"]
    assert "text-bg-warning" in badges["意向"]  # completed too, but only a lead: not a won deal
    data = viewer.get(f"{url('dashboard')}").context["data"]
    assert {row["outcome"]: row["tone"] for row in data["outcomes"] if row["outcome"]} == {
        "成交": "success", "挂断": "danger", "意向": "warning", "断线": "danger"}


def test_htmx_gets_only_the_results_with_page_links_that_keep_the_filters(viewer, url, hand_calls, monkeypatch):
    monkeypatch.setattr("calls.views.calls.PAGE_SIZE", 1)
    response = viewer.get(f"{url('calls')}?channel=simulated&page=2", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and 'id="call-results"' in html
    assert "?channel=simulated&page=3" in html and "?channel=simulated&page=1" in html
    assert html.count('data-testid="call-row"') == 1


def test_the_call_detail_shows_turns_slots_and_latency(viewer, url, hand_calls):
    a = hand_calls["a"]
    a.turns.filter(index=3).update(slots={"扬程": 50}, changed_slots={"扬程": 50})
    html = viewer.get(url("call", call=a.pk)).content.decode()
    assert "扬程五十米" in html and "no-match" in html and "<b>1.20</b>" in html  # seconds, stages in a bar
    assert " / " not in html.split('data-testid="latency"')[1].split("</td>")[0]
    assert 'data-testid="slot-timeline"' in html and "slot-changed" in html


def test_calls_are_named_by_when_and_whom_not_by_a_database_number(viewer, url, team, hand_calls):
    """The list and the customer's page link each call by its start time; the detail is headed by the customer."""
    from calls.models import Customer

    a = hand_calls["a"]
    a.customer = Customer.objects.create(workspace=team["workspace"], name="李经理", phone="13812345678")
    a.save(update_fields=["customer"])
    rows = viewer.get(url("calls")).content.decode().split('data-testid="call-row"')[1:]
    row = next(r for r in rows if f'data-call="{a.pk}"' in r)
    link = row.split('data-testid="call-link">')[1].split("<")[0]
    assert link == a.started_at.astimezone().strftime("%Y-%m-%d %H:%M:%S") and "<td>李经理</td>" in row
    assert all(r.split("<td", 2)[1].count('data-testid="call-link"') == 1 for r in rows)  # the first cell
    heading = viewer.get(url("call", call=a.pk)).content.decode().split("<h1")[1].split("</h1>")[0]
    assert "Call record · 李经理" in heading and f"Call {a.pk}" not in heading
    page = viewer.get(reverse("customers:customer", kwargs={"ws": team["workspace"].slug, "customer": a.customer.pk}))
    [row] = page.content.decode().split('data-testid="customer-call"')[1:]
    assert row.split("</a>")[0].endswith(a.started_at.astimezone().strftime("%Y-%m-%d %H:%M"))  # their calls too


def test_the_dashboard_shows_the_filtered_figures(viewer, url, hand_calls):
    response = viewer.get(f"{url('dashboard')}?version=1")
    data = response.context["data"]
    assert data["summary"]["calls"] == 3 and data["summary"]["completion_rate"] == 0.3333
    # A: 成交; B: 挂断; C: 断线 → one deal in three, no lead (D's 意向 is version 2).
    assert (data["summary"]["deals"], data["summary"]["deal_rate"], data["summary"]["lead_rate"]) == (1, 0.3333, 0.0)
    assert [r["node"] for r in data["funnel"]] == ["hi", "need", "ask", "deal"]
    assert 'id="analytics-data"' in response.content.decode()


def test_the_canvas_overlay_gets_the_graph_and_the_funnel(viewer, url, hand_calls):
    response = viewer.get(url("funnel_canvas"))
    rows = {r["node"]: r for r in response.context["rows"]}
    assert rows["need"]["dropped"] == 1 and rows["need"]["hangups"] == 1 and response.context["total"] == 4
    assert [n["id"] for n in response.context["graph"]["nodes"]] == ["hi", "need", "ask", "deal"]


def test_compare_puts_two_versions_side_by_side(viewer, url, hand_calls):
    response = viewer.get(f"{url('compare')}?a=1&b=2")
    sides = dict(response.context["sides"])
    assert sides[1]["summary"]["calls"] == 3 and sides[2]["summary"]["calls"] == 1
    assert sides[2]["funnel"]["deal"]["calls"] == 1 and "ask" not in sides[2]["funnel"]
    html = response.content.decode()  # v2's one call ended 意向: a lead, no deal
    assert 'data-version="2" data-field="leads">100%' in html and 'data-version="2" data-field="deals">0%' in html


def _csv(response) -> list[list[str]]:
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_calls_export_streams_the_filtered_calls(viewer, url, hand_calls):
    rows = _csv(viewer.get(f"{url('calls_csv')}?version=1"))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Call number", "Started", "Ended", "Flow version"]
    assert sorted(int(r[0]) for r in body) == sorted(hand_calls[k].pk for k in "abc")
    by_id = {int(r[0]): dict(zip(header, r, strict=True)) for r in body}
    a, b = by_id[hand_calls["a"].pk], by_id[hand_calls["b"].pk]
    assert b["Outcome"] == "挂断" and a["No-matches"] == "1" and a["Completed"] == "yes" and a["Channel"] == "Simulated"
    assert a["Started"] == "2026-11-02 10:00:00"  # the configured time zone (Asia/Shanghai), not UTC


def test_the_turns_export_streams_the_turns_of_the_filtered_calls(viewer, url, hand_calls):
    rows = _csv(viewer.get(f"{url('turns_csv')}?outcome=成交"))
    header, body = rows[0], rows[1:]
    assert [r[header.index("Turn")] for r in body] == ["0", "1", "2", "3"]
    assert body[0][header.index("Nodes passed")] == "hi → need" and body[3][header.index("Event")] == "User turn"
    assert body[3][header.index("Customer said")] == "扬程五十米"


def test_the_exports_name_nodes_by_title_and_give_each_slot_a_column(viewer, url, bot, versions, hand_calls):
    from nlu.models import Slot
    from tests.calls.conftest import GRAPH

    Slot.objects.create(bot=bot, name="扬程", type="number")
    versions[0].program = {"nodes": {n["id"]: {"title": n["title"]} for n in GRAPH["nodes"]}}
    versions[0].save()
    hand_calls["a"].turns.filter(index__gte=2).update(slots={"扬程": 50})
    calls = _csv(viewer.get(f"{url('calls_csv')}?outcome=成交"))
    assert calls[0][-1] == "扬程" and calls[1][-1] == "50"  # the call's final value
    assert calls[1][calls[0].index("Ended at node")] == "成交"
    turns = _csv(viewer.get(f"{url('turns_csv')}?outcome=成交"))
    assert [r[-1] for r in turns[1:]] == ["", "", "50", "50"]
    assert turns[1][turns[0].index("Nodes passed")] == "开场 → 确认需求"


def test_a_knowledge_base_answer_shows_on_the_call_and_in_the_turns_export(viewer, url, hand_calls):
    hand_calls["a"].turns.filter(index=1).update(knowledge="质保多久")
    html = viewer.get(url("call", call=hand_calls["a"].pk)).content.decode()
    assert 'data-testid="turn-knowledge"' in html and "质保多久" in html
    rows = _csv(viewer.get(f"{url('turns_csv')}?outcome=成交"))
    assert [r[rows[0].index("Knowledge-base answer")] for r in rows[1:]] == ["", "质保多久", "", ""]


def test_a_callers_formula_is_exported_as_text(viewer, url, hand_calls):
    hand_calls["a"].turns.filter(index=1).update(user_text='=HYPERLINK("http://evil.example/","x")')
    rows = _csv(viewer.get(url("turns_csv")))
    texts = [r[rows[0].index("Customer said")] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example/","x")' in texts and not any(t.startswith("=") for t in texts)


def test_an_outsider_gets_404_and_anonymous_is_sent_to_log_in(client, team, url, hand_calls):
    client.force_login(team["outsider"])
    assert client.get(url("dashboard")).status_code == 404
    client.logout()
    assert client.get(url("calls_csv"))["Location"].startswith("/accounts/login/")


def test_the_tester_says_when_the_model_is_still_training(client, team, demo_bot):
    from nlu.models import TrainingRun

    client.force_login(team["owner"])
    url = reverse("calls:tester", kwargs={"ws": team["workspace"].slug, "bot": demo_bot.slug})
    assert "No trained model yet" in client.get(url).content.decode()
    TrainingRun.objects.create(bot=demo_bot, status=TrainingRun.Status.RUNNING, eta_s=130)
    assert "Training the model (about 3 min)" in client.get(url).content.decode()


def test_a_callers_turn_goes_to_the_example_form_pre_filled(client, team, demo_bot):
    from urllib.parse import unquote

    from calls.calllog import close_call, open_call, record_turn
    from calls.turns import TurnRecord

    call = open_call(bot=demo_bot, flow_version=demo_bot.flow.versions.first(), channel="test")
    record_turn(call, TurnRecord(index=0, event="start", node="need", bot_text="请问您最近有采购水泵的计划吗？"))
    record_turn(call, TurnRecord(index=1, event="user", node="need", user_text="要两台离心泵", no_match=True))
    close_call(call, outcome="回访")
    client.force_login(team["viewer"])
    detail = reverse("calls:call", kwargs={"ws": team["workspace"].slug, "bot": demo_bot.slug, "call": call.pk})
    assert 'data-testid="add-to-training"' not in client.get(detail).content.decode()  # viewers do not label
    client.force_login(team["annotator"])
    html = client.get(detail).content.decode()
    link = html.split('data-testid="add-to-training" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "要两台离心泵" in unquote(link) and "采购水泵" in unquote(link)
    form = client.get(link).content.decode()
    assert 'data-testid="adding-from-call"' in form and 'value="要两台离心泵"' in form
    assert "请问您最近有采购水泵的计划吗？" in form
    assert "&quot;slot&quot;: &quot;产品型号&quot;" in form and "&quot;slot&quot;: &quot;数量&quot;" in form


def test_compare_defaults_to_the_two_versions_with_the_most_calls(viewer, url, bot, hand_calls):
    from flows.services import get_flow
    from tests.calls.conftest import DAY2, GRAPH, play

    get_flow(bot).versions.create(number=3, graph=GRAPH, program={}, checksum="3")  # newest, but no calls
    chosen = dict(viewer.get(url("compare")).context["sides_chosen"])
    assert chosen == {"a": 1, "b": 2}  # not the latest two (2 and 3)
    v3 = get_flow(bot).versions.get(number=3)
    for _ in range(4):
        play(bot, v3, DAY2, [{"event": "start"}])
    assert dict(viewer.get(url("compare")).context["sides_chosen"]) == {"a": 1, "b": 3}
    assert dict(viewer.get(f"{url('compare')}?a=2&b=3").context["sides_chosen"]) == {"a": 2, "b": 3}
