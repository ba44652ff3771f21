"""A bot's overview: the published flow, the model, what the bot knows, the last seven days as a chart, and what needs
attention, each linking where to fix it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from calls.calllog.bulk import simulate_calls
from calls.models import TestRun
from flows import services as flow_services
from nlu.models import TrainingRun
from tests import factories

pytestmark = pytest.mark.django_db


def page(client, user, bot) -> str:
    client.force_login(user)
    url = reverse("bot_detail", kwargs={"ws": bot.workspace.slug, "bot": bot.slug})
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_new_bot_says_its_flow_is_not_published(client, team):
    bot = factories.make_bot(team["workspace"])
    html = page(client, team["viewer"], bot)
    assert "Not published" in html and "The flow is not published yet: calls cannot start." in html
    assert "No trained model yet" in html


def test_a_failed_training_run_needs_attention_until_a_later_one(client, team):
    bot = factories.make_bot(team["workspace"])
    TrainingRun.objects.create(bot=bot, status="failed", error="Training needs at least two intents.")
    html = page(client, team["viewer"], bot)
    assert "The last training run failed: Training needs at least two intents." in html
    assert f'href="/w/{bot.workspace.slug}/bots/{bot.slug}/nlu/training/"' in html
    TrainingRun.objects.create(bot=bot, status="queued")
    assert "The last training run failed" not in page(client, team["viewer"], bot)


def test_the_demo_shows_its_version_its_week_and_what_needs_attention(client, team, demo_bot):
    simulate_calls(demo_bot, 40, days=5)
    flow = flow_services.get_flow(demo_bot)
    graph = flow_services.draft_graph(flow)
    graph["nodes"][1]["texts"] = ["您好，新的开场白。"]
    flow_services.do_save_flow(flow, graph, flow.revision, team["owner"])
    TestRun.objects.create(bot=demo_bot, passed=10, failed=2)
    html = page(client, team["viewer"], demo_bot)
    assert 'data-testid="overview-flow"' in html and ">v1<" in html
    assert '<strong data-testid="week-calls">40</strong>' in html
    assert html.count('data-testid="overview-day"') == 7  # days without calls are drawn too
    assert "The draft has 1 change that is not published." in html
    assert "The last conversation-test run had 2 failing or stale test(s)." in html
    assert f'href="/w/{demo_bot.workspace.slug}/bots/{demo_bot.slug}/calls/tests/"' in html
