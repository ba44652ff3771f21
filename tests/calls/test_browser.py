"""The dashboard and the funnel overlay in a real browser, on the hand-checked calls."""

from __future__ import annotations

import pytest

from tests.conftest import login

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
