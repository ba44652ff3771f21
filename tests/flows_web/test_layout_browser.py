"""Auto layout of the flow editor in Debian chromium: the main path of the demo flow comes out as one straight
vertical line with the branches beside it, one undo puts every node back, the draft saves itself, and the minimap
follows the layout and navigates."""

from __future__ import annotations

import pytest

from flows import bundles
from flows.models import Flow
from tests import factories
from tests.conftest import login, wait_until
from tests.flows_web.test_editor_browser import graph, open_editor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAIN_PATH = ["start", "greet", "need", "ask_head", "ask_flow", "ask_qty", "ask_model", "quote", "quote_reaction"]
MINIMAP_NODES = "window.flowEditor.lf.extension.miniMap.lfMap.graphModel.nodes.map(n => [n.id, n.x, n.y])"
TRANSFORM = "(() => { const t = window.flowEditor.lf.graphModel.transformModel; return [t.TRANSLATE_X, t.TRANSLATE_Y]; })()"


def positions(page) -> dict[str, tuple[int, int]]:
    return {n["id"]: (n["position"]["x"], n["position"]["y"]) for n in graph(page)["nodes"]}


def test_auto_layout_lines_up_the_main_path_and_one_undo_puts_it_back(live_server, page):
    owner = factories.make_user("wang")
    bot = bundles.do_import_bot(factories.make_workspace(owner, "华东销售部"), bundles.load_demo_bundle(), owner)
    for node in (graph := bundles.load_demo_bundle()["flow"])["nodes"]:  # a hand-drawn staircase to start from
        node["position"] = {"x": 100 + 60 * len(node["id"]), "y": node["position"]["y"]}
    flow = Flow.objects.get(bot=bot)
    flow.graph = graph
    flow.save()
    login(page, live_server, "wang")
    page.set_viewport_size({"width": 1440, "height": 900})
    open_editor(page, live_server, bot)
    before = positions(page)
    assert page.get_by_test_id("undo").is_disabled()
    page.get_by_test_id("layout").click()
    after = wait_until(lambda: (p := positions(page)) != before and p, timeout=10)
    spine = [after[node] for node in MAIN_PATH]
    assert {x for x, _ in spine} == {before["start"][0]}, spine  # one straight vertical line under the start
    assert all(a[1] < b[1] for a, b in zip(spine, spine[1:], strict=False))  # running down
    assert after["start"] == before["start"]
    boxes = {node: page.locator(f".ss-node[data-node-id='{node}']").bounding_box() for node in after}
    assert page.evaluate("window.flowEditor.lf.graphModel.transformModel.SCALE_X") >= 0.8  # still readable
    assert len({(round(b["x"]), round(b["y"])) for b in boxes.values() if b}) == len([b for b in boxes.values() if b])
    page.screenshot(path="test-output/editor-layout.png")
    # The minimap draws the new positions; the draft saves itself.
    minimap = {node: (x, y) for node, x, y in page.evaluate(MINIMAP_NODES)}
    assert minimap == after
    saved = lambda: {n["id"]: (n["position"]["x"], n["position"]["y"])  # noqa: E731
                     for n in Flow.objects.get(pk=flow.pk).graph["nodes"]}
    wait_until(lambda: saved() == after, timeout=10)
    # One undo puts every node back; redo lays it out again.
    page.get_by_test_id("undo").click()
    wait_until(lambda: positions(page) == before, timeout=10)
    page.get_by_test_id("redo").click()
    wait_until(lambda: positions(page) == after, timeout=10)
    # Clicking the minimap moves the view there.
    view = page.evaluate(TRANSFORM)
    box = page.locator(".lf-mini-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] - 12)
    wait_until(lambda: page.evaluate(TRANSFORM) != view, timeout=5)


LABEL_BOXES = ("[...document.querySelectorAll('.lf-line-text rect')].filter(r => !r.closest('.lf-mini-map'))"
               ".map(r => { const b = r.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; })")


def covered_labels(page) -> list:
    boxes = page.evaluate(LABEL_BOXES)
    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1]


def test_edge_labels_cover_no_other_label_as_drawn_and_after_auto_layout(live_server, page):
    owner = factories.make_user("wang")
    bot = bundles.do_import_bot(factories.make_workspace(owner, "华东销售部"), bundles.load_demo_bundle(), owner)
    login(page, live_server, "wang")
    page.set_viewport_size({"width": 1440, "height": 900})
    open_editor(page, live_server, bot)
    assert len(page.evaluate(LABEL_BOXES)) == len(graph(page)["edges"])
    assert covered_labels(page) == []  # 询价, 肯定 and 需求确认 from 确认需求 to the same node: side by side
    assert page.get_by_test_id("undo").is_disabled()  # moving labels apart is not an edit
    before = positions(page)
    page.get_by_test_id("layout").click()
    wait_until(lambda: positions(page) != before, timeout=10)
    assert covered_labels(page) == []
