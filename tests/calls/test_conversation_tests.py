"""Conversation tests: the runner on the demo flow (the shipped suite passes; changing one edge fails exactly the
tests through it), stale tests, coverage, saving a logged call as a test, the table editor, runs by a real worker and
the `flow_test` command."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import pytest
from django.urls import reverse

from calls import testing
from calls.calllog.conversation_tests import case_from_call, do_save_call_as_test, run_suite
from calls.models import ConversationTest, TestRun
from flows.compiler import compile_flow
from nlu import knowledge
from nlu.common import with_common_examples
from nlu.understanding import Understanding
from salesstudio.models import Job
from tests.conftest import ROOT, wait_until
from tests.nlu.conftest import tiny_base, tiny_e5s1, tiny_version  # noqa: F401 — fixtures

DEMO = ROOT / "flows" / "demo"
CASES = json.loads((DEMO / "tests.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo():
    nlu = json.loads((DEMO / "nlu.json").read_text(encoding="utf-8"))
    slots = {s["name"]: s for s in nlu["slots"]}
    intents = [i["name"] for i in nlu["intents"]]
    graph = json.loads((DEMO / "flow.json").read_text(encoding="utf-8"))
    entries = knowledge.read_csv((DEMO / "knowledge.csv").read_bytes()).entries
    schema = {"intents": nlu["intents"], "slots": nlu["slots"], "knowledge": {
        "threshold": knowledge.DEFAULT_THRESHOLD, "entries": [e.to_json() for e in entries]}}
    return {"graph": graph, "schema": schema, "slots": slots, "intents": intents,
            "nlu": Understanding(slots, with_common_examples(nlu["examples"], intents))}


def logged_call(bot, texts: list[str], *, hangup: bool = True):
    """A call of `bot` through the live call's path (prepare_call, Dialogue), logged turn by turn."""
    from calls.calllog import record_turn
    from calls.dialogue import Dialogue
    from calls.services import prepare_call

    prepared = prepare_call(bot.workspace, bot.slug, 1, voice=False, seed=0, user=None)
    setup = prepared.setup
    dialogue = Dialogue(setup.program, setup.slots, setup.nlu, setup.seed)
    record_turn(prepared.call, dialogue.start().record)
    for text in texts:
        record_turn(prepared.call, dialogue.hear(text).record)
    if hangup and not dialogue.ended:
        record_turn(prepared.call, dialogue.step({"type": "hangup"}).record)
    prepared.call.refresh_from_db()
    return prepared.call


def run_all(demo, graph=None) -> dict[str, testing.CaseResult]:
    program = compile_flow(graph or demo["graph"], demo["schema"]).program
    return {c["name"]: testing.run_case(c, program, slots=demo["slots"], nlu=demo["nlu"], intents=demo["intents"])
            for c in CASES}


def test_the_demo_suite_covers_its_paths_and_passes(demo):
    results = run_all(demo)
    assert len(results) >= 10 and all(r.passed for r in results.values()), {
        n: r.differences for n, r in results.items() if not r.passed}
    program = compile_flow(demo["graph"], demo["schema"]).program
    covered = testing.coverage(program, results.values())
    assert covered["node_coverage"] >= 0.8 and "end_deal" in covered["nodes"] and "transfer_human" in covered["nodes"]
    assert ("quote_reaction", "discount") in {tuple(e) for e in covered["edges"]}


def test_changing_one_edge_fails_exactly_the_tests_that_pass_through_it(demo):
    graph = copy.deepcopy(demo["graph"])
    for edge in graph["edges"]:  # 砍价 at the quote now ends the call instead of offering a discount
        if edge["source"] == "quote_reaction" and edge["condition"].get("intent") == "砍价":
            edge["target"] = "end_refuse"
    failed = {name for name, r in run_all(demo, graph).items() if not r.passed}
    assert failed == {"异议：嫌贵，预算够", "异议：嫌贵，预算不够推荐经济型"}  # the two that bargain there


def test_a_test_naming_what_the_bot_no_longer_has_is_stale_not_run(demo):
    program = compile_flow(demo["graph"], demo["schema"]).program
    case = {"name": "旧", "turns": [{"text": "是的", "expect": {"node": "ask_size", "intent": "要样品",
                                                                "slots": {"口径": 50}}}]}
    result = testing.run_case(case, program, slots=demo["slots"], nlu=demo["nlu"], intents=demo["intents"])
    assert not result.passed and result.stale == ["node:ask_size", "intent:要样品", "slot:口径"] and not result.turns


def test_a_call_that_ends_before_the_tests_turns_is_a_difference(demo):
    program = compile_flow(demo["graph"], demo["schema"]).program
    case = {"name": "x", "turns": [{"text": "不需要"}, {"text": "扬程五十米"}], "outcome": "拒绝"}
    result = testing.run_case(case, program, slots=demo["slots"], nlu=demo["nlu"], intents=demo["intents"])
    assert [(d.turn, d.field, d.got) for d in result.differences] == [(2, "ended", "拒绝")]


@pytest.mark.django_db
def test_a_logged_call_becomes_a_test_that_passes_then_fails_when_an_expectation_is_edited(client, team, demo_bot):
    call = logged_call(demo_bot, ["是的", "扬程五十米", "流量每小时二十方"])
    case = case_from_call(call)
    assert [t["expect"]["node"] for t in case["turns"]] == ["ask_head", "ask_flow", "ask_qty"]
    assert case["turns"][1]["expect"]["slots"] == {"扬程": 50} and case["outcome"] == "挂断"
    client.force_login(team["editor"])
    save = reverse("calls:call_save_test", kwargs={"ws": team["workspace"].slug, "bot": demo_bot.slug,
                                                   "call": call.pk})
    edit_url = client.post(save).url
    test = ConversationTest.objects.get(bot=demo_bot)
    assert run_suite(demo_bot).passed == 1
    form = {"name": "改过的", "outcome": "挂断", "grade": "",
            "text-0": "是的", "intent-0": "肯定", "node-0": "ask_head", "slots-0": "", "says-0": "",
            "text-1": "扬程五十米", "intent-1": "", "node-1": "ask_flow", "slots-1": "扬程=60", "says-1": "",
            "text-2": "流量每小时二十方", "intent-2": "", "node-2": "", "slots-2": "", "says-2": ""}
    assert client.post(edit_url, form).status_code == 302
    test.refresh_from_db()
    assert test.turns[1] == {"text": "扬程五十米", "expect": {"node": "ask_flow", "slots": {"扬程": "60"}}}
    run = run_suite(demo_bot)
    assert (run.passed, run.failed) == (0, 1)
    assert run.results[0]["differences"] == [{"turn": 2, "field": "slots", "expected": {"扬程": "60"},
                                              "got": {"扬程": 50}}]
    page = client.get(reverse("calls:tests", kwargs={"ws": team["workspace"].slug, "bot": demo_bot.slug}))
    assert 'data-status="failed"' in page.content.decode()
    assert client.post(edit_url, {**form, "slots-1": "没有等号"}).status_code == 200  # a clear error, nothing saved


@pytest.mark.django_db
def test_an_open_call_or_one_without_caller_turns_is_not_saved_as_a_test(demo_bot):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="in progress"):
        do_save_call_as_test(logged_call(demo_bot, ["是的"], hangup=False))
    with pytest.raises(ValidationError, match="nothing to test"):
        do_save_call_as_test(logged_call(demo_bot, []))


def test_running_the_suite_is_a_background_job_in_a_real_worker(client, team, demo_bot, transactional_db,
                                                                celery_worker_process):
    ConversationTest.objects.bulk_create(ConversationTest(bot=demo_bot, **case) for case in CASES)
    client.force_login(team["editor"])
    url = reverse("calls:tests", kwargs={"ws": team["workspace"].slug, "bot": demo_bot.slug})
    assert client.post(url).status_code == 302
    job = Job.objects.get(kind="run_tests")
    wait_until(lambda: Job.objects.get(pk=job.pk).status == Job.Status.DONE, timeout=120)
    run = TestRun.objects.get(bot=demo_bot)
    assert (run.passed, run.failed, run.stale) == (len(CASES), 0, 0) and run.coverage["node_coverage"] >= 0.8
    page = client.get(url).content.decode()
    assert page.count('data-status="passed"') == len(CASES) and 'data-testid="node-coverage"' in page
    client.force_login(team["viewer"])
    assert client.post(url).status_code == 403


def test_flow_test_command_prints_json_and_fails_on_a_failing_test(team, demo_bot, transactional_db, tmp_path):
    from django.db import connection

    ConversationTest.objects.bulk_create(ConversationTest(bot=demo_bot, **case) for case in CASES[:3])
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
           "SALESSTUDIO_TEST_DB_NAME": str(connection.settings_dict["NAME"])}
    command = [sys.executable, "manage.py", "flow_test", demo_bot.slug, "--workspace", team["workspace"].name,
               "--json"]
    ok = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr[-2000:]
    summary = json.loads(ok.stdout)
    assert (summary["n"], summary["passed"], summary["failed"]) == (3, 3, 0) and 0 < summary["edge_coverage"] < 1
    ConversationTest.objects.create(bot=demo_bot, name="错的", turns=[{"text": "是的", "expect": {"node": "need"}}])
    failing = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert failing.returncode == 1 and json.loads(failing.stdout)["failed"] == 1
    missing = subprocess.run([*command[:3], demo_bot.slug, "--version", "99"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode != 0 and "no flow version 99" in missing.stderr


@pytest.mark.django_db
def test_publishing_runs_the_tests_and_a_failure_blocks_it_unless_forced_with_a_note(team, demo_bot):
    from flows import services as flow_services

    flow = flow_services.get_flow(demo_bot)
    ConversationTest.objects.create(bot=demo_bot, name="好的", turns=[{"text": "是的", "expect": {"node": "ask_head"}}])
    assert flow_services.do_publish(flow, team["editor"], "测试通过").number == 2
    ConversationTest.objects.create(bot=demo_bot, name="错的", turns=[{"text": "是的", "expect": {"node": "need"}}])
    with pytest.raises(flow_services.PublishError) as blocked:
        flow_services.do_publish(flow, team["editor"], "")
    assert blocked.value.tests_failed and len(blocked.value.errors) == 1
    assert blocked.value.errors[0]["message_zh"] == "测试用例“错的”第 1 轮 · 节点：期望 确认需求，实际 询问扬程"
    with pytest.raises(flow_services.PublishError, match="note"):
        flow_services.do_publish(flow, team["editor"], "  ", force=True)
    forced = flow_services.do_publish(flow, team["editor"], "先上线，明天修", force=True)
    assert forced.number == 3 and forced.note == "Published with 1 failing test(s): 先上线，明天修"


@pytest.mark.django_db
def test_a_run_can_name_the_flow_and_model_versions_and_nothing_else(client, team, demo_bot, tiny_version):
    from nlu.models import ModelVersion

    from calls.calllog.conversation_tests import run_tests_job

    ModelVersion.objects.create(bot=demo_bot, number=4, path=str(tiny_version), metrics={})
    ConversationTest.objects.create(bot=demo_bot, name="开场", turns=[{"text": "是的", "expect": {"node": "ask_head"}}])
    client.force_login(team["editor"])
    url = reverse("calls:tests", kwargs={"ws": team["workspace"].slug, "bot": demo_bot.slug})
    page = client.get(url).content.decode()
    assert 'data-testid="run-version"' in page and 'data-testid="run-model"' in page
    client.post(url, {"version": "1", "model": "4"})
    client.post(url, {"version": "99", "model": "x"})  # not offered: the defaults
    chosen, default = Job.objects.filter(kind="run_tests").order_by("pk")
    assert chosen.params == {"bot": demo_bot.pk, "version": 1, "model": 4} and default.params == {"bot": demo_bot.pk}
    run_tests_job(chosen, lambda *_: None)
    run = TestRun.objects.get(bot=demo_bot)
    assert run.flow_version.number == 1 and run.model_version.number == 4


@pytest.mark.django_db
def test_activating_a_model_version_runs_the_tests_with_it(client, team, demo_bot, tiny_version):
    from nlu.models import ModelVersion

    version = ModelVersion.objects.create(bot=demo_bot, number=1, path=str(tiny_version), metrics={})
    ConversationTest.objects.create(bot=demo_bot, name="错的", turns=[{"text": "是的", "expect": {"node": "need"}}])
    client.force_login(team["editor"])
    url = reverse("nlu:version_activate", kwargs={"ws": team["workspace"].slug, "bot": demo_bot.slug,
                                                  "version": version.pk})
    page = client.post(url, follow=True).content.decode()
    assert "1 conversation test(s) fail with this model" in page and "错的" in page
    assert not ModelVersion.objects.get(pk=version.pk).is_active
    client.post(url, {"force": "1"})
    assert ModelVersion.objects.get(pk=version.pk).is_active
