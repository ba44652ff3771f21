"""Conversation tests in Debian chromium: a logged call saved as a test, one expectation edited so that it fails, the
suite run by a real worker with progress, the difference shown, fixed, and run green."""

from __future__ import annotations

import pytest

from tests.calls.test_conversation_tests import logged_call
from tests.conftest import OUTPUT, login
from tests.voice.conftest import espeak  # noqa: F401 — fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_save_a_call_as_a_test_break_it_see_the_difference_fix_it(live_server, page, team, demo_bot,
                                                                   celery_worker_process):
    call = logged_call(demo_bot, ["是的", "扬程五十米"])
    login(page, live_server, "editor")
    base = f"{live_server.url}/w/{team['workspace'].slug}/bots/{demo_bot.slug}/calls"
    page.goto(f"{base}/{call.pk}/")
    page.get_by_test_id("save-as-test").click()
    page.wait_for_selector("[data-testid=test-form]")
    turn = page.locator("[data-testid=test-turn]").nth(1)
    assert turn.locator("[data-testid=expect-node]").input_value() == "ask_flow"
    turn.locator("[data-testid=expect-node]").select_option(label="询问数量")  # wrong on purpose
    page.get_by_test_id("save-test").click()
    page.wait_for_selector("[data-testid=tests]")

    def run() -> None:
        page.get_by_test_id("run-tests").click()
        page.wait_for_selector("[data-testid=tests-job].alert-success", timeout=60_000)
        page.reload()

    run()
    row = page.locator("[data-testid=test-row]")
    assert row.get_attribute("data-status") == "failed"
    difference = row.locator("[data-testid=difference]").inner_text()
    assert "第 2 轮" in difference and "询问数量" in difference and "询问流量" in difference
    page.screenshot(path=str(OUTPUT / "conversation-test-failed.png"), full_page=True)
    editor = f"{live_server.url}/w/{team['workspace'].slug}/bots/{demo_bot.slug}/flow/"
    page.goto(editor)  # the gate: publishing runs the tests first
    page.get_by_test_id("publish").click()
    page.get_by_test_id("publish-submit").click()
    page.wait_for_selector("[data-testid=publish-errors]")
    assert "询问数量" in page.get_by_test_id("publish-errors").inner_text()
    assert page.get_by_test_id("publish-force").is_visible()
    page.goto(f"{base}/tests/")
    row.get_by_role("link").click()
    page.locator("[data-testid=test-turn]").nth(1).locator("[data-testid=expect-node]").select_option("ask_flow")
    page.get_by_test_id("save-test").click()
    page.wait_for_selector("[data-testid=tests]")
    run()
    assert page.locator("[data-testid=test-row]").get_attribute("data-status") == "passed"
    assert page.get_by_test_id("run-failed").inner_text() == "0"
    assert page.locator("[data-testid=uncovered-node]").count() > 0  # two turns do not cover the flow
    page.wait_for_selector("#coverage-canvas[data-ready='1']")  # and the canvas shows which nodes
    by_node = dict(page.evaluate("[...document.querySelectorAll('#coverage-canvas [data-coverage-node]')]"
                                 ".map(el => [el.dataset.coverageNode, el.dataset.covered])"))
    assert by_node["ask_head"] == "1" and by_node["ask_flow"] == "1" and by_node["end_deal"] == "0"
    page.screenshot(path=str(OUTPUT / "conversation-test-coverage.png"), full_page=True)
    page.goto(editor)
    page.get_by_test_id("publish").click()
    page.get_by_test_id("publish-note").fill("测试都通过了")
    page.get_by_test_id("publish-submit").click()
    page.wait_for_selector("[data-testid=published]")


def test_a_voice_calls_test_plays_each_turns_recording_in_the_editor(live_server, page, team, demo_bot, espeak):
    from playwright.sync_api import expect

    from calls.calllog.conversation_tests import do_save_call_as_test
    from tests.calls.test_conversation_test_audio import make_voice_call

    call, _ = make_voice_call(demo_bot, espeak)
    test = do_save_call_as_test(call)
    login(page, live_server, "viewer")
    page.goto(f"{live_server.url}/w/{team['workspace'].slug}/bots/{demo_bot.slug}/calls/tests/{test.pk}/")
    players = page.locator("[data-testid=turn-audio] audio")
    expect(players).to_have_count(2)
    page.evaluate("document.querySelectorAll('[data-testid=turn-audio] audio').forEach(a => a.load())")
    expect(players.first).to_have_js_property("readyState", 4, timeout=10_000)  # the recording loaded and plays
    assert 0.3 < players.first.evaluate("a => a.duration") < 5
    assert page.locator("[data-testid=turn-audio] input[type=checkbox]").first.is_checked()
    page.screenshot(path=str(OUTPUT / "conversation-test-audio.png"), full_page=True)
