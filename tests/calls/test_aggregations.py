"""Dashboard figures on the hand-checked calls of conftest.hand_calls (worked out by hand in the comments)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.http import QueryDict

from calls.analytics import queries
from calls.analytics.filters import CallFilterForm
from calls.models import DISCONNECTED_OUTCOME, Turn


def test_summary_counts_completion_and_no_match_rates(bot, hand_calls):
    s = queries.summary(bot.calls.all())
    # completed: A and D of 4; user turns: A 3, C 1, D 1; one no-match (A).
    assert (s["calls"], s["completed"], s["completion_rate"]) == (4, 2, 0.5)
    assert (s["user_turns"], s["no_matches"], s["no_match_rate"], s["no_match_calls"]) == (5, 1, 0.2, 1)
    assert s["turns_per_call"] == 2.75  # 4 + 3 + 2 + 2 turns


def test_per_day_and_outcomes(bot, hand_calls):
    assert queries.per_day(bot.calls.all()) == [
        {"day": "2026-11-02", "calls": 2, "completed": 1, "completion_rate": 0.5, "no_match_rate": 0.3333},
        {"day": "2026-11-03", "calls": 2, "completed": 1, "completion_rate": 0.5, "no_match_rate": 0.0}]
    assert queries.outcomes(bot.calls.all()) == [
        {"outcome": "意向", "calls": 1}, {"outcome": "成交", "calls": 1}, {"outcome": "挂断", "calls": 1},
        {"outcome": DISCONNECTED_OUTCOME, "calls": 1}]


def test_funnel_per_node(bot, hand_calls):
    funnel = queries.funnel(bot.calls.all())
    zero = {"silences": 0, "no_matches": 0, "barge_ins": 0, "hangups": 0}
    assert funnel["hi"] == {"calls": 4, "visits": 4, "ended": 0, "left": 4, "dropped": 0, **zero}
    # B's re-prompt after the silence is not a second visit; B hangs up there.
    assert funnel["need"] == {"calls": 4, "visits": 4, "ended": 1, "left": 3, "dropped": 1,
                              **zero, "silences": 1, "hangups": 1}
    # A's no-match re-prompt stays at ask; C breaks off at ask.
    assert funnel["ask"] == {"calls": 2, "visits": 2, "ended": 1, "left": 1, "dropped": 1, **zero, "no_matches": 1}
    assert funnel["deal"] == {"calls": 2, "visits": 2, "ended": 2, "left": 0, "dropped": 0, **zero}


def test_intent_distribution(bot, hand_calls):
    assert queries.intents(bot.calls.all()) == [
        {"intent": "肯定", "turns": 3}, {"intent": "", "turns": 1}, {"intent": "需求确认", "turns": 1}]


def test_latency_percentiles_overall_and_per_day(bot, hand_calls):
    found = queries.latency(bot.calls.all())
    total = found["stages"]["total"]
    # 100 100 100 200 300 500 800 900 1000 1200 (B's hang-up has no latency): ranks 5, 9, 10.
    assert total["turns"] == 10
    assert total["overall"] == {50: 300, 90: 1000, 99: 1200}
    # day 1: 100 200 300 800 1000 1200; day 2: 100 100 500 900.
    assert total["by_day"] == {"2026-11-02": {50: 300, 90: 1200, 99: 1200},
                               "2026-11-03": {50: 100, 90: 900, 99: 900}}
    assert found["stages"]["asr"] == {"overall": {50: None, 90: None, 99: None}, "turns": 0, "by_day": {}}


def test_filters_narrow_every_figure(bot, hand_calls, versions):
    v2_calls = bot.calls.filter(flow_version=versions[1])
    assert queries.summary(v2_calls)["calls"] == 1
    assert set(queries.funnel(v2_calls)) == {"hi", "need", "deal"}
    assert queries.latency(v2_calls)["stages"]["total"]["overall"] == {50: 100, 90: 500, 99: 500}


@pytest.mark.parametrize("query", ["", "version=1", "channel=test", "start=2026-11-03", "end=2026-11-02&model="])
def test_the_latency_summary_gives_what_counting_the_turns_gives(bot, hand_calls, versions, query):
    form = CallFilterForm(bot, QueryDict(query))
    buckets = form.latency_buckets()
    assert buckets is not None
    assert queries.latency(form.calls(), buckets) == queries.latency(form.calls())


def test_filters_without_a_summary_key_count_the_turns(bot, hand_calls):
    assert CallFilterForm(bot, QueryDict("outcome=挂断")).latency_buckets() is None


def test_the_summary_of_simulated_bulk_calls_matches_their_turns(demo_bot):
    call_command("simulate_calls", demo_bot.slug, "--calls", "60", "--days", "4")
    form = CallFilterForm(demo_bot, QueryDict(""))
    found = queries.latency(form.calls(), form.latency_buckets())
    assert found == queries.latency(form.calls())
    assert found["stages"]["asr"]["turns"] == Turn.objects.filter(call__bot=demo_bot, asr_ms__isnull=False).count()
