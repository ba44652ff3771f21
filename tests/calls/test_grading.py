"""Lead grades (意向等级): the default rules, grading when a call ends and in bulk, the rules page with a re-grade
job run by a real worker, the call list filter and the CSV column."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from calls.calllog.bulk import simulate_calls
from calls.grading import CallFacts, GradingRules, grade
from calls.models import LeadGrading
from salesstudio.models import Job
from tests.calls.conftest import DAY2, play
from tests.conftest import wait_until

RULES = GradingRules()


@pytest.mark.parametrize(("outcome", "intents", "turns", "expected"), [
    ("挂断", (), 0, ("E", "silent")),
    ("成交", ("否定", "否定"), 5, ("A", "deal")),
    ("回访", ("询价", "需求确认"), 4, ("A", "interested")),
    ("回访", ("询价", "需求确认", "否定"), 4, ("B", "warm")),
    ("拒绝", ("肯定",), 3, ("B", "warm")),
    ("拒绝", ("否定", "不感兴趣"), 3, ("C", "refused")),
    ("断线", ("问候",), 1, ("C", "short")),
    ("回访", ("问候", "没听清", "稍等"), 3, ("D", "other")),
])
def test_the_default_rules_in_their_order(outcome, intents, turns, expected):
    assert grade(CallFacts(outcome, intents, turns), RULES) == expected


def test_questions_the_knowledge_base_answered_count_as_asking_unless_switched_off():
    said = [("问候", ""), ("", "质保多久"), ("售后咨询", "能开发票吗"), ("询价", "")]
    facts = CallFacts.of("回访", said, 4)
    assert facts.knowledge_intents == ("", "售后咨询") and facts.intents == ("问候", "售后咨询", "询价")
    assert grade(CallFacts.of("回访", said[:2], 2), RULES) == ("B", "warm")  # one question answered: asked once
    assert grade(facts, GradingRules(a_min_interest=3)) == ("A", "interested")  # 售后咨询 is not counted twice
    assert grade(facts, GradingRules(a_min_interest=3, knowledge_is_interest=False)) == ("B", "warm")


def test_a_manager_may_count_a_short_call_by_its_length_too():
    warm = [("询价", ""), ("问候", ""), ("稍等", "")]
    quiet = [("问候", ""), ("稍等", ""), ("问候", "")]
    assert grade(CallFacts.of("回访", quiet, 3, seconds=8.0), RULES) == ("D", "other")  # the length is not looked at
    short = GradingRules(c_max_seconds=10)
    assert grade(CallFacts.of("回访", quiet, 3, seconds=8.0), short) == ("C", "short")
    assert grade(CallFacts.of("回访", quiet, 3, seconds=12.5), short) == ("D", "other")
    assert grade(CallFacts.of("回访", quiet, 3), short) == ("D", "other")  # no length known (a conversation test)
    assert grade(CallFacts.of("回访", warm, 3, seconds=8.0), short) == ("B", "warm")  # B is checked first


def test_rules_round_trip_and_ignore_unknown_keys():
    rules = GradingRules.from_json({"a_min_interest": 3, "nonsense": 1})
    assert rules.a_min_interest == 3 and GradingRules.from_json(rules.to_json()) == rules
    assert grade(CallFacts("回访", ("询价", "询价"), 3), rules) == ("B", "warm")


def test_a_call_is_graded_when_it_ends(bot, versions):
    call = play(bot, versions[0], DAY2, [{"event": "start"}, {"event": "user", "intent": "询价"},
                                         {"event": "user", "intent": "需求确认"}], close={"outcome": "回访"})
    assert (call.grade, call.grade_rule) == ("A", "interested")
    still_open = play(bot, versions[0], DAY2, [{"event": "start"}])
    assert still_open.grade == ""


def test_simulated_calls_are_graded_and_filter_and_export_by_grade(client, team, demo_bot):
    simulate_calls(demo_bot, 40, seed=5)
    grades = set(demo_bot.calls.values_list("grade", flat=True))
    assert grades <= set("ABCDE") and len(grades) >= 3
    client.force_login(team["viewer"])
    url = reverse("calls:calls", kwargs={"ws": team["workspace"].slug, "bot": demo_bot.slug})
    page = client.get(url, {"grade": "A"})
    shown = {int(row) for row in page.content.decode().split('data-call="')[1:] for row in [row.split('"')[0]]}
    assert shown == set(demo_bot.calls.filter(grade="A").values_list("pk", flat=True))
    export = client.get(reverse("calls:calls_csv", kwargs={"ws": team["workspace"].slug, "bot": demo_bot.slug}),
                        HTTP_ACCEPT_LANGUAGE="en")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert {r["Lead grade"] for r in rows} == grades
    detail = client.get(reverse("calls:call", kwargs={"ws": team["workspace"].slug, "bot": demo_bot.slug,
                                                      "call": demo_bot.calls.first().pk}), HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="grade-rule"' in detail.content.decode()


@pytest.mark.worker
def test_changing_the_rules_regrades_past_calls_in_a_real_worker(client, team, demo_bot, transactional_db,
                                                                 celery_worker_process):
    simulate_calls(demo_bot, 30, seed=9)
    before = dict(demo_bot.calls.values_list("pk", "grade"))
    client.force_login(team["editor"])
    url = reverse("calls:grading", kwargs={"ws": team["workspace"].slug, "bot": demo_bot.slug})
    form = {"interest_intents": [], "yes_intents": [], "refusal_intents": ["否定"], "deal_outcomes": [],
            "a_min_interest": 2, "b_max_refusals": 1, "c_min_refusals": 1, "c_max_user_turns": 0, "c_max_seconds": 0, "regrade": "on"}
    assert client.post(url, form).status_code == 302
    assert LeadGrading.objects.get(bot=demo_bot).rules["c_min_refusals"] == 1
    job = Job.objects.get(kind="regrade_calls")
    wait_until(lambda: Job.objects.get(pk=job.pk).status == Job.Status.DONE, timeout=60)
    after = dict(demo_bot.calls.values_list("pk", "grade"))
    assert after != before and set(after.values()) <= {"C", "D", "E"}  # nobody asks or agrees any more
    assert Job.objects.get(pk=job.pk).result["graded"] == demo_bot.calls.exclude(ended_at=None).count()
    page = client.get(url).content.decode()
    assert 'data-testid="regrade-job"' in page and 'data-testid="grade-count-C"' in page
    client.force_login(team["viewer"])
    assert client.post(url, form).status_code == 403
