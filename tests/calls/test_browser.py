"""The dashboard and the funnel overlay in a real browser, on the hand-checked calls."""

from __future__ import annotations

import pytest

from tests.conftest import OUTPUT, login

pytestmark = pytest.mark.django_db(transaction=True)


def _base(live_server, team, bot) -> str:
    return f"{live_server.url}/w/{team['workspace'].slug}/bots/{bot.slug}/calls"


def test_the_dashboard_draws_the_filtered_figures(page, live_server, team, bot, hand_calls):
    login(page, live_server, "viewer")
    page.goto(f"{_base(live_server, team, bot)}/analytics/?version=1")
    assert page.get_by_test_id("kpi-calls").inner_text() == "3"
    assert page.get_by_test_id("kpi-completion").inner_text() == "33%"
    assert page.get_by_test_id("kpi-deals").inner_text() == "33%" and page.get_by_test_id("kpi-leads").inner_text() == "0%"
    # v1 turns: 100 100 200 300 800 900 1000 1200 → ranks 4, 8, 8.
    assert page.get_by_test_id("kpi-latency").inner_text() == "300 / 1200 / 1200"
    for name in ("per-day", "outcomes", "grades", "funnel", "intents", "latency"):
        chart = page.locator(f'[data-chart="{name}"][data-ready="1"] canvas')
        assert chart.count() >= 1, name
    graded = page.evaluate("window.callAnalytics.charts.grades.getOption().series"
                           ".map(s => s.data.reduce((a, b) => a + b, 0))")
    assert sum(graded) == bot.calls.filter(flow_version__number=1).exclude(grade="").count() > 0
    drawn = page.evaluate("window.callAnalytics.charts.funnel.getOption().series.map(s => s.data)")
    assert drawn == [[1, 2, 3, 3], [0, 1, 1, 0]]  # deal, ask, need, hi (bottom-up): entered; dropped there
    labels = page.evaluate("window.callAnalytics.charts.funnel.getOption().yAxis[0].axisLabel.interval")
    assert labels == 0  # every node's title is drawn, however many nodes the flow has
    funnel = page.get_by_test_id("funnel-table")
    assert funnel.locator('tr[data-node="need"] [data-field="hangups"]').inner_text() == "1"


def test_the_canvas_overlay_puts_the_funnel_on_the_nodes(page, live_server, team, bot, hand_calls):
    login(page, live_server, "viewer")
    page.goto(f"{_base(live_server, team, bot)}/analytics/funnel/")
    page.wait_for_selector('[data-testid="heat-canvas"][data-ready="1"]')
    need = page.locator('.heat-node:has([data-node-id="need"]), [data-node-id="need"].heat-node')
    assert need.get_attribute("data-entered") == "4" and need.get_attribute("data-dropped") == "1"
    assert page.locator('[data-node-id="hi"].heat-node').get_attribute("data-dropped") == "0"
    badges = page.locator('[data-testid="heat-badge"]')
    assert badges.count() == 4
    text = page.locator('[data-node-id="need"] [data-testid="heat-badge"]').inner_text()
    assert "进入 4" in text and "挂断 1" in text and "静默 1" in text  # the page is in Chinese, like its users
    # Nobody drops at "hi" (green); a quarter drops at "need" (towards red).
    hi_colour = page.locator('[data-node-id="hi"]').evaluate("el => getComputedStyle(el).backgroundColor")
    need_colour = page.locator('[data-node-id="need"]').evaluate("el => getComputedStyle(el).backgroundColor")
    assert hi_colour != need_colour


def test_the_call_page_plays_both_tracks_together_and_one_turn_at_a_time(page, live_server, team, bot, hand_calls):
    import math

    from django.core.files.base import ContentFile
    from playwright.sync_api import expect

    from voice.audio import wav_bytes

    def tone(seconds: float, hz: int) -> bytes:
        samples = (int(8000 * math.sin(2 * math.pi * hz * i / 16_000)) for i in range(int(seconds * 16_000)))
        return wav_bytes(b"".join(s.to_bytes(2, "little", signed=True) for s in samples), 16_000)

    call = hand_calls["a"]
    call.user_audio.save("caller.wav", ContentFile(tone(6, 440)), save=False)
    call.bot_audio.save("bot.wav", ContentFile(tone(7, 660)), save=False)
    call.save(update_fields=["user_audio", "bot_audio"])
    call.turns.filter(index=1).update(bot_audio_start=0.5, bot_audio_end=1.5, user_audio_start=2.0,
                                      user_audio_end=3.0)
    login(page, live_server, "viewer")
    page.goto(f"{_base(live_server, team, bot)}/{call.pk}/")
    player = page.get_by_test_id("call-audio")
    expect(page.get_by_test_id("player-time")).to_have_text("0:00 / 0:07", timeout=15_000)  # the longer one
    [button] = page.get_by_test_id("turn-play").all()  # only turn 1 has audio offsets
    button.click()
    expect(player).to_have_attribute("data-playing", "1")
    expect(player).to_have_attribute("data-playing", "0", timeout=15_000)
    stopped = float(player.get_attribute("data-position"))
    assert 3.0 <= stopped < 3.6  # the turn's end, not the call's
    times = page.evaluate("[...document.querySelectorAll('#call-player audio')].map(a => a.currentTime)")
    assert max(times) - min(times) < 0.3  # the two tracks moved together
    page.screenshot(path=str(OUTPUT / "call-detail-player.png"), full_page=True)


def test_compare_versions_draws_the_rates_and_where_calls_ended(page, live_server, team, bot, hand_calls):
    login(page, live_server, "viewer")
    page.goto(f"{_base(live_server, team, bot)}/analytics/compare/?a=1&b=2")
    for name in ("compare-rates", "compare-dropped"):
        assert page.locator(f'[data-chart="{name}"][data-ready="1"] canvas').count() >= 1, name
    rates = page.evaluate("window.compareCharts['compare-rates'].getOption().series.map(s => [s.name, s.data])")
    assert rates[0][0] == "v1" and rates[1][0] == "v2"
    assert rates[0][1][:2] == [round(1 / 3, 4), round(1 / 3, 4)]  # v1: 1 of 3 calls completed, 1 a deal
    dropped = page.evaluate("window.compareCharts['compare-dropped'].getOption().yAxis[0].data")
    assert len(dropped) >= 3
    page.screenshot(path=str(OUTPUT / "compare-versions.png"), full_page=True)
