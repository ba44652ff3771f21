"""Bot files: import, export round trip, bad files, and the demo bot (through a real Celery worker)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from flows import bundles
from salesstudio.models import Bot, Job
from tests.conftest import wait_until

SMALL = {
    "format": 1,
    "bot": {"name": "小泵", "slug": "small", "dialect": "sichuanese", "description": "测试"},
    "intents": [{"name": "询价", "description": "", "is_global": False}, {"name": "挂断", "is_global": True}],
    "slots": [{"name": "扬程", "type": "number", "unit": "米", "values": [], "prompts": ["扬程多少米？"]}],
    "examples": [{"text": "五十米扬程好多钱", "intent": "询价", "spans": [{"slot": "扬程", "start": 0, "end": 3, "value": 50}]}],
    "knowledge": {"threshold": 0.05, "entries": [{"question": "质保多久", "phrasings": ["保修几年"],
                                                  "answers": ["整机质保一年。"], "after": "return"}]},
    "flow": {"format": 1, "nodes": [], "edges": []},
}


def test_import_then_export_round_trips(team):
    bot = bundles.do_import_bot(team["workspace"], SMALL, team["owner"])
    exported = bundles.export_bot(bot)
    assert exported == {**SMALL, "intents": [{**i, "description": i.get("description", ""), "reply": ""}
                                                  for i in SMALL["intents"]],
                        "examples": [{**SMALL["examples"][0], "context": ""}]}


def test_a_bundle_without_a_knowledge_base_exports_an_empty_one(team):
    bot = bundles.do_import_bot(team["workspace"], {k: v for k, v in SMALL.items() if k != "knowledge"}, team["owner"])
    assert bundles.export_bot(bot)["knowledge"] == {"threshold": 0.035, "entries": []}


def test_a_bundle_with_a_broken_knowledge_entry_is_refused(team):
    broken = {**SMALL, "knowledge": {"threshold": 0.05, "entries": [{"question": "质保多久", "answers": []}]}}
    with pytest.raises(ValidationError, match="question 1"):
        bundles.do_import_bot(team["workspace"], broken, team["owner"])
    assert not Bot.objects.filter(workspace=team["workspace"]).exists()


def test_import_picks_a_free_slug(team):
    first = bundles.do_import_bot(team["workspace"], SMALL, team["owner"])
    second = bundles.do_import_bot(team["workspace"], SMALL, team["owner"])
    assert (first.slug, second.slug) == ("small", "small-2")


@pytest.mark.parametrize(("data", "message"), [
    ([], "Not a SalesStudio bot file"),
    ({**SMALL, "format": 9}, "Not a SalesStudio bot file"),
    ({**SMALL, "bot": {"name": " "}}, "The bot needs a name."),
    ({**SMALL, "slots": [{"name": "x", "type": "colour"}]}, "Slot 1 has an unknown type."),
    ({**SMALL, "examples": [{"text": "hi", "intent": "问好"}]}, "Example 1 names an unknown intent."),
])
def test_bad_bundles_are_refused_with_a_reason(data, message):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        bundles.check_bundle(data)
    assert any(message in m for m in exc.value.messages)


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xfe not json", "The file is not UTF-8 text."),
    (b'{"format": 1,\n "bot" {}}', "The file is not valid JSON (line 2, column 8)."),  # no parser English
])
def test_uploading_a_broken_file_changes_nothing(client, team, content, message):
    client.force_login(team["editor"])
    upload = SimpleUploadedFile("bot.json", content, content_type="application/json")
    response = client.post(reverse("bot_import", kwargs={"ws": team["workspace"].slug}), {"file": upload}, follow=True)
    page = response.content.decode()
    assert message in page and "Expecting" not in page
    assert not Job.objects.exists() and not Bot.objects.exists()


def test_export_downloads_json(client, team):
    bot = bundles.do_import_bot(team["workspace"], SMALL, team["owner"])
    client.force_login(team["viewer"])
    response = client.get(reverse("bot_export", kwargs={"ws": team["workspace"].slug, "bot": bot.slug}))
    assert response["Content-Disposition"] == 'attachment; filename="small.json"'
    assert json.loads(response.content)["bot"]["name"] == "小泵"


def test_demo_bundle_is_complete():
    demo = bundles.load_demo_bundle()
    bundles.check_bundle(demo)
    assert len(demo["examples"]) >= 200
    assert {"询价", "需求确认", "售后咨询", "投诉", "挂断", "物流查询", "肯定", "否定", "砍价", "转人工"} <= {
        i["name"] for i in demo["intents"]}
    assert {"产品型号", "扬程", "流量", "数量", "预算", "交付时间", "联系电话"} <= {s["name"] for s in demo["slots"]}
    assert demo["flow"]["nodes"]


@pytest.mark.worker
def test_demo_bot_is_imported_by_a_real_worker(client, team, transactional_db, celery_worker_process):
    client.force_login(team["editor"])
    client.post(reverse("bot_import", kwargs={"ws": team["workspace"].slug}), {"demo": "1"})
    job = Job.objects.get()
    wait_until(lambda: Job.objects.get(pk=job.pk).status == Job.Status.DONE, timeout=60)
    bot = Bot.objects.get(workspace=team["workspace"])
    assert bot.name == "工业泵销售" and bot.examples.count() >= 200
    page = client.get(reverse("job_status", kwargs={"ws": team["workspace"].slug, "job": job.pk})).content.decode()
    assert bot.slug in page


@pytest.mark.worker
def test_uploaded_bot_file_is_imported_by_a_real_worker(client, team, transactional_db, celery_worker_process):
    client.force_login(team["editor"])
    upload = SimpleUploadedFile("small.json", json.dumps(SMALL).encode(), content_type="application/json")
    client.post(reverse("bot_import", kwargs={"ws": team["workspace"].slug}), {"file": upload})
    job = wait_until(lambda: Job.objects.filter(status__in=["done", "failed"]).first(), timeout=60)
    assert (job.status, job.result["name"]) == ("done", "小泵")
    assert Bot.objects.get(workspace=team["workspace"]).examples.count() == 1


def test_demo_bot_imports_with_its_flow_published(team):
    bot = bundles.do_import_bot(team["workspace"], bundles.load_demo_bundle(), team["owner"])
    version = bot.flow.versions.get()
    assert version.number == 1 and version.program["checksum"] == version.checksum


def test_a_flow_that_does_not_compile_is_imported_as_a_draft(team):
    broken = {**SMALL, "flow": {"format": 1, "nodes": [{"id": "s", "kind": "start"}], "edges": []}}
    bot = bundles.do_import_bot(team["workspace"], broken, team["owner"])
    assert bot.flow.graph["nodes"] and not bot.flow.versions.exists()
