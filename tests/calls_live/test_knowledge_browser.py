"""The knowledge base in Debian chromium against a real daphne server: a question asked mid-call is answered and the
pending question asked again, the debug panel says which entry answered; the knowledge-base page then counts the
hit and lists what nothing answered, which the manager teaches as a new way of asking."""

from __future__ import annotations

import pytest

from calls.models import Call
from nlu.models import KnowledgeEntry
from tests.calls_live.test_tester_browser import demo_bot, open_tester, server  # noqa: F401 — fixtures
from tests.conftest import OUTPUT, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def say(page, text: str, turn: int) -> None:
    page.get_by_test_id("say-input").fill(text)
    page.get_by_test_id("say-send").click()
    page.wait_for_selector(f"[data-testid=turn][data-turn='{turn}'] [data-field=latency] *", timeout=60_000)


def test_a_question_mid_call_is_answered_then_taught_from_the_knowledge_page(server, page, demo_bot):  # noqa: F811
    open_tester(page, server, demo_bot)
    page.get_by_test_id("mode-text").click()
    page.get_by_test_id("start-call").click()
    page.wait_for_selector("[data-testid=bubble-bot]")
    say(page, "是的", 1)
    say(page, "你们能不能上门安装", 2)
    knowledge = page.locator("[data-testid=turn][data-turn='2'] [data-testid=turn-knowledge]")
    assert knowledge.get_attribute("data-answered") == "1"
    assert knowledge.inner_text().startswith("能不能上门安装 · 匹配分 ") and knowledge.inner_text().endswith("已回答")
    answer = page.get_by_test_id("bubble-bot").last.inner_text()
    assert "安装调试" in answer and answer.endswith("扬程大概是多少米？")
    assert page.locator("#tester-canvas").get_attribute("data-current") == "ask_head"
    say(page, "你们卖不卖手机", 3)
    page.screenshot(path=str(OUTPUT / "knowledge-tester.png"), full_page=True)
    page.get_by_test_id("hang-up").click()
    page.get_by_test_id("outcome").wait_for()
    wait_until(lambda: Call.objects.filter(bot=demo_bot, ended_at__isnull=False).exists())

    page.goto(f"{server.url}/w/{demo_bot.workspace.slug}/bots/{demo_bot.slug}/calls/knowledge/")
    rows = page.get_by_test_id("knowledge-row")
    assert rows.count() == 18
    installing = rows.filter(has_text="能不能上门安装")
    assert installing.get_by_test_id("knowledge-hits").inner_text().strip() == "1"
    unanswered = page.get_by_test_id("unanswered-row").filter(has_text="你们卖不卖手机")
    unanswered.locator("select[name=entry]").select_option(label="公司做了多少年")
    unanswered.get_by_test_id("add-phrasing").click()
    page.get_by_text("已加为“公司做了多少年”的问法").wait_for()
    assert "你们卖不卖手机" in KnowledgeEntry.objects.get(bot=demo_bot, question="公司做了多少年").phrasings
    assert page.get_by_test_id("unanswered-row").count() == 0  # taught: no longer listed
    page.get_by_test_id("knowledge-try-input").fill("电机烧了保不保修")
    page.get_by_test_id("knowledge-try-submit").click()
    result = page.get_by_test_id("knowledge-try-result")
    result.wait_for()
    assert "质保多久" in result.inner_text()
    page.screenshot(path=str(OUTPUT / "knowledge-page.png"), full_page=True)


def test_the_overview_shows_the_version_the_week_and_what_needs_attention(server, page, demo_bot):  # noqa: F811
    from calls.calllog.bulk import simulate_calls

    simulate_calls(demo_bot, 60, days=6)
    open_tester(page, server, demo_bot)  # logs in
    page.goto(f"{server.url}/w/{demo_bot.workspace.slug}/bots/{demo_bot.slug}/")
    assert page.get_by_test_id("overview-flow").inner_text().split()[1] == "v1"
    assert page.get_by_test_id("week-calls").inner_text() == "60"
    assert page.get_by_test_id("overview-day").count() == 7
    page.screenshot(path=str(OUTPUT / "bot-overview.png"), full_page=True)
