"""The flow editor in Debian chromium: build a flow by drag and drop, edit, save, reload, undo, publish, diff."""

from __future__ import annotations

import pytest

from flows import bundles, services
from flows.models import Flow
from tests import factories
from tests.conftest import login, wait_until
from tests.flows_web.helpers import good_graph, make_bot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ON_ANCHOR_JS = "([x, y]) => !!document.elementFromPoint(x, y)?.closest('.lf-anchor')"
POINT_JS = """([id, which]) => {
  const lf = window.flowEditor.lf, model = lf.getNodeModelById(id);
  let x = model.x, y = model.y;
  if (which === 'bottom') y += model.height / 2;
  if (which === 'top') y -= model.height / 2;
  const [hx, hy] = lf.graphModel.transformModel.CanvasPointToHtmlPoint([x, y]);
  const r = document.getElementById('flow-canvas').getBoundingClientRect();
  return {x: r.left + hx, y: r.top + hy};
}"""


def open_editor(page, live_server, bot):
    page.goto(f"{live_server.url}/w/{bot.workspace.slug}/bots/{bot.slug}/flow/")
    page.wait_for_selector("#flow-canvas[data-ready='1']")


def graph(page) -> dict:
    return page.evaluate("window.flowEditor.getGraph()")


def drag_from_palette(page, kind: str, x: float, y: float) -> str:
    """Drop a `kind` node at (x, y) relative to the canvas; returns the new node's id."""
    before = {n["id"] for n in graph(page)["nodes"]}
    box = page.get_by_test_id(f"palette-{kind}").bounding_box()
    canvas = page.get_by_test_id("canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(canvas["x"] + x, canvas["y"] + y, steps=8)
    page.mouse.up()
    new = wait_until(lambda: {n["id"] for n in graph(page)["nodes"]} - before, timeout=5)
    return new.pop()


def connect(page, source: str, target: str) -> None:
    edges = len(graph(page)["edges"])
    start = page.evaluate(POINT_JS, [source, "bottom"])
    end = page.evaluate(POINT_JS, [target, "top"])
    page.mouse.move(start["x"], start["y"] - 10)
    page.mouse.move(start["x"], start["y"])
    # The anchor is drawn on hover; pressing before it is there (a loaded machine) would drag nothing.
    wait_until(lambda: page.evaluate(ON_ANCHOR_JS, [start["x"], start["y"]]), timeout=10)
    page.mouse.down()
    page.mouse.move(end["x"], end["y"], steps=10)
    page.mouse.up()
    wait_until(lambda: len(graph(page)["edges"]) == edges + 1, timeout=10)


def open_node(page, node_id: str) -> None:
    page.locator(f".ss-node[data-node-id='{node_id}'] .ss-node-title").click()
    page.wait_for_selector(f"[data-testid=node-form][data-node-id='{node_id}']")


def apply_panel(page) -> None:
    page.get_by_test_id("apply").click()
    page.wait_for_selector("[data-testid=panel-status] .bi-check-circle")


def edit_node(page, node_id: str, **fields) -> None:
    open_node(page, node_id)
    form = page.get_by_test_id("node-form")
    for name, value in fields.items():
        if name == "slots":
            form.locator(f"input[name=slots][value='{value}']").check()
        elif name == "outcome":
            form.locator("select[name=outcome]").select_option(value)
        else:
            form.locator(f"[name={name}]").first.fill(value)
    apply_panel(page)


def issue_counts(page) -> tuple[str, str]:
    return page.get_by_test_id("error-count").inner_text(), page.get_by_test_id("warning-count").inner_text()


def saved_revision(page, revision: int) -> None:
    page.wait_for_function(f"document.getElementById('flow-revision').textContent === '{revision}'")


def test_build_edit_save_reload_undo_publish_and_diff(live_server, page):
    owner = factories.make_user("wang")
    bot = make_bot(factories.make_workspace(owner, "华东销售部"))
    login(page, live_server, "wang")
    open_editor(page, live_server, bot)

    say = drag_from_palette(page, "say", 200, 220)
    ask = drag_from_palette(page, "ask", 200, 340)
    quote = drag_from_palette(page, "say", 200, 460)
    end = drag_from_palette(page, "end", 200, 580)
    start = next(n["id"] for n in graph(page)["nodes"] if n["kind"] == "start")
    for source, target in ((start, say), (say, ask), (ask, quote), (quote, end)):
        connect(page, source, target)
    assert [e["condition"]["type"] for e in graph(page)["edges"]] == ["default", "default", "filled", "default"]

    edit_node(page, say, title="开场白", texts="您好，这里是鑫源泵业。")
    assert "您好，这里是鑫源泵业" in page.locator(f".ss-node[data-node-id='{say}']").inner_text()
    edit_node(page, ask, title="问扬程", slots="扬程", prompts="请问您需要多少米的扬程？")
    open_node(page, quote)
    page.locator("[data-testid=node-form] textarea[name=texts]").fill("好的，")
    page.locator("[data-testid=node-form] [data-insert-slot='扬程']").first.click()
    apply_panel(page)
    edit_node(page, end, title="成交", texts="再见。", outcome="成交")
    assert graph(page)["nodes"][3]["texts"] == ["好的，{扬程}"]

    page.get_by_test_id("save").click()
    wait_until(lambda: Flow.objects.get(bot=bot).revision > 1)
    page.wait_for_selector(f"#flow-issues .issue[data-code=missing_fallback][data-node-id='{ask}']")
    # An autosave of an earlier state may answer first on a loaded machine: the list settles on the last save's.
    wait_until(lambda: issue_counts(page) == ("0", "1"), timeout=15)

    page.reload()
    page.wait_for_selector("#flow-canvas[data-ready='1']")
    reloaded = graph(page)
    assert len(reloaded["nodes"]) == 5 and len(reloaded["edges"]) == 4
    assert reloaded["nodes"][2]["slots"] == ["扬程"]

    drag_from_palette(page, "transfer", 600, 300)
    assert len(graph(page)["nodes"]) == 6
    page.get_by_test_id("undo").click()
    wait_until(lambda: len(graph(page)["nodes"]) == 5, timeout=5)

    publish(page, "第一版")
    edit_node(page, say, title="新开场白")
    publish(page, "改了开场白", close=False)
    page.get_by_test_id("diff-link").click()
    page.wait_for_selector("#diff-canvas[data-ready='1']")
    changes = page.get_by_test_id("changes")
    assert changes.locator("[data-op=changed]").count() == 1
    assert "新开场白" in changes.inner_text()
    assert page.locator(f".ss-node.ss-diff-changed[data-node-id='{say}']").count() == 1


def publish(page, note: str, close: bool = True) -> None:
    page.get_by_test_id("publish").click()
    page.get_by_test_id("publish-note").fill(note)
    page.get_by_test_id("publish-submit").click()
    page.wait_for_selector("[data-testid=published]")
    if close:
        page.locator("#publish-modal .btn-close").click()
        page.wait_for_selector("#publish-modal", state="hidden")


def test_a_stale_draft_shows_who_changed_it_and_offers_a_reload(live_server, page):
    owner = factories.make_user("wang")
    editor = factories.make_user("li")
    workspace = factories.make_workspace(owner, "华东销售部")
    factories.add_member(workspace, editor, "editor")
    bot = make_bot(workspace)
    login(page, live_server, "wang")
    open_editor(page, live_server, bot)
    services.do_save_flow(services.get_flow(bot), good_graph(), 1, editor)

    drag_from_palette(page, "say", 300, 300)
    page.get_by_test_id("save").click()
    conflict = page.get_by_test_id("conflict")
    conflict.wait_for(state="visible")
    assert "li" in conflict.inner_text()
    assert Flow.objects.get(bot=bot).graph["nodes"][1]["title"] == "开场白"  # theirs, not overwritten
    page.get_by_test_id("reload").click()
    page.wait_for_selector("#flow-canvas[data-ready='1']")
    assert len(graph(page)["nodes"]) == 3


def test_viewer_sees_the_flow_read_only(live_server, page):
    owner = factories.make_user("wang")
    workspace = factories.make_workspace(owner, "华东销售部")
    factories.add_member(workspace, factories.make_user("zhao"), "viewer")
    bot = make_bot(workspace)
    services.do_save_flow(services.get_flow(bot), good_graph(), 1, owner)
    login(page, live_server, "zhao")
    open_editor(page, live_server, bot)
    assert page.get_by_test_id("read-only").is_visible()
    assert page.get_by_test_id("palette").count() == 0 and page.get_by_test_id("save").count() == 0
    open_node(page, "n2")
    assert page.locator("[data-testid=node-form] fieldset").get_attribute("disabled") is not None


def test_clicking_a_validation_item_selects_its_node(live_server, page):
    owner = factories.make_user("wang")
    bot = make_bot(factories.make_workspace(owner, "华东销售部"))
    broken = good_graph()
    broken["nodes"][1]["texts"] = []
    services.do_save_flow(services.get_flow(bot), broken, 1, owner)
    login(page, live_server, "wang")
    open_editor(page, live_server, bot)
    assert int(page.get_by_test_id("error-count").inner_text()) >= 1
    page.locator("#flow-issues .issue[data-node-id='n2']").first.click()
    page.wait_for_selector("[data-testid=node-form][data-node-id='n2']")
    assert page.locator(".ss-node[data-node-id='n2'].ss-has-error").count() == 1
    assert page.evaluate("window.flowEditor.lf.getSelectElements().nodes.map(n => n.id)") == ["n2"]


def test_flow_settings_are_edited_in_the_panel_and_saved_with_the_draft(live_server, page):
    owner = factories.make_user("wang")
    bot = make_bot(factories.make_workspace(owner, "华东销售部"))
    services.do_save_flow(services.get_flow(bot), good_graph(), 1, owner)
    login(page, live_server, "wang")
    open_editor(page, live_server, bot)
    page.get_by_test_id("flow-settings").click()
    form = page.get_by_test_id("settings-form")
    form.locator("[name=max_retries]").fill("4")
    form.locator("[name=confidence_threshold]").fill("0.7")
    apply_panel(page)
    wait_until(lambda: Flow.objects.get(bot=bot).graph["settings"]["max_retries"] == 4)
    assert Flow.objects.get(bot=bot).graph["settings"]["confidence_threshold"] == 0.7
    assert graph(page)["settings"]["max_retries"] == 4


def test_a_new_edge_takes_an_exit_the_node_still_lacks_and_globals_stay_on_the_start(live_server, page):
    from nlu.models import Intent

    owner = factories.make_user("wang")
    bot = make_bot(factories.make_workspace(owner, "华东销售部"))
    Intent.objects.filter(bot=bot, name="询价").delete()
    Intent.objects.create(bot=bot, name="投诉", is_global=True)  # defined before the branch's own intents' turn
    Intent.objects.filter(bot=bot, name="挂断").update(is_global=True)
    login(page, live_server, "wang")
    open_editor(page, live_server, bot)
    start = next(n["id"] for n in graph(page)["nodes"] if n["kind"] == "start")
    branch = drag_from_palette(page, "branch", 200, 220)
    yes, other, complaint = (drag_from_palette(page, "say", x, 400) for x in (80, 260, 440))
    for source, target in ((start, branch), (branch, yes), (branch, other), (start, complaint)):
        # As a drag from an anchor ends (the anchors themselves are another test's business).
        page.evaluate("([s, t]) => window.flowEditor.lf.addEdge({sourceNodeId: s, targetNodeId: t})", [source, target])
    conditions = [e["condition"] for e in graph(page)["edges"]]
    assert conditions == [{"type": "default"}, {"type": "intent", "intent": "肯定"}, {"type": "no_match"},
                          {"type": "intent", "intent": "挂断"}]  # 投诉 and 挂断 are global: never a branch's


def test_the_demo_bot_opens_validates_clean_and_publishes(live_server, page):
    owner = factories.make_user("wang")
    workspace = factories.make_workspace(owner, "华东销售部")
    bot = bundles.do_import_bot(workspace, bundles.load_demo_bundle(), owner)
    published = Flow.objects.get(bot=bot).versions.count()
    login(page, live_server, "wang")
    open_editor(page, live_server, bot)
    assert len(graph(page)["nodes"]) == len(bundles.load_demo_bundle()["flow"]["nodes"])
    # Too big to fit readably: it opens at a readable zoom with the start node in view.
    assert page.evaluate("window.flowEditor.lf.graphModel.transformModel.SCALE_X") >= 0.8
    start = next(n["id"] for n in graph(page)["nodes"] if n["kind"] == "start")
    box = page.locator(f".ss-node[data-node-id='{start}']").bounding_box()
    canvas = page.get_by_test_id("canvas").bounding_box()
    page.screenshot(path="test-output/editor-demo.png")
    assert canvas["x"] <= box["x"] and box["x"] + box["width"] <= canvas["x"] + canvas["width"]
    assert canvas["y"] <= box["y"] and box["y"] + box["height"] <= canvas["y"] + canvas["height"]
    assert page.get_by_test_id("error-count").inner_text() == "0"
    publish(page, "演示")
    version = Flow.objects.get(bot=bot).versions.first()
    assert version.number == published + 1 and version.note == "演示" and version.program["start"]


def test_restoring_asks_in_the_pages_own_dialog_with_the_versions_note_and_changes(live_server, page):
    owner = factories.make_user("qian")
    bot = make_bot(factories.make_workspace(owner, "华南销售部"))
    flow = services.get_flow(bot)
    services.do_save_flow(flow, good_graph(), 1, owner)
    services.do_publish(flow, owner, "开场白第一版")
    changed = good_graph()
    changed["nodes"][1]["texts"] = ["您好，这里是新的开场白。"]
    services.do_save_flow(flow, changed, 2, owner)
    services.do_publish(flow, owner, "改了开场白")
    native = []
    page.on("dialog", lambda d: (native.append(d.message), d.dismiss()))
    login(page, live_server, "qian")
    page.goto(f"{live_server.url}/w/{bot.workspace.slug}/bots/{bot.slug}/flow/versions/")
    page.get_by_test_id("restore-1").click()
    modal = page.get_by_test_id("confirm-modal")
    detail = modal.get_by_test_id("restore-detail")
    detail.wait_for()
    assert "开场白第一版" in detail.inner_text() and "新增 0 个，删除 0 个，修改 1 个" in detail.inner_text()
    modal.get_by_test_id("confirm-cancel").click()
    modal.wait_for(state="hidden")
    assert flow.versions.count() == 2
    page.get_by_test_id("restore-1").click()
    with page.expect_navigation():
        modal.get_by_test_id("confirm-ok").click()
    assert flow.versions.count() == 3 and flow.versions.first().graph == flow.versions.get(number=1).graph
    assert native == []


def test_a_wait_node_from_the_palette_is_drawn_edited_and_compiled(live_server, page):
    """The kind table the canvas draws comes from flows/kinds.py: the wait kind, added there, is on the palette with
    its icon and colour, its panel has its one field, and the flow compiles with it."""
    owner = factories.make_user("wang")
    bot = make_bot(factories.make_workspace(owner, "华东销售部"))
    login(page, live_server, "wang")
    open_editor(page, live_server, bot)
    assert "等待" in page.get_by_test_id("palette-wait").inner_text()

    say = drag_from_palette(page, "say", 200, 220)
    wait = drag_from_palette(page, "wait", 200, 340)
    end = drag_from_palette(page, "end", 200, 460)
    start = next(n["id"] for n in graph(page)["nodes"] if n["kind"] == "start")
    for source, target in ((start, say), (say, wait), (wait, end)):
        connect(page, source, target)
    edit_node(page, say, texts="资料已经发到您微信了，您先看一下。")
    edit_node(page, end, texts="看完有问题随时联系我们。", outcome="意向")
    page.get_by_test_id("save").click()
    page.wait_for_selector(f"#flow-issues .issue[data-code=missing_seconds][data-node-id='{wait}']")

    edit_node(page, wait, seconds="5")
    fields = page.get_by_test_id("node-form").locator("[name]:not([type=hidden])")
    assert sorted(set(fields.evaluate_all("els => els.map(e => e.name)"))) == ["seconds", "title"]
    box = page.locator(f".ss-node[data-node-id='{wait}']")
    wait_until(lambda: box.locator(".ss-node-summary").inner_text() == "5 秒", timeout=5)
    assert box.evaluate("el => getComputedStyle(el).borderLeftColor") == "rgb(202, 138, 4)"
    page.get_by_test_id("save").click()
    wait_until(lambda: page.get_by_test_id("error-count").inner_text() == "0", timeout=10)
    assert next(n for n in graph(page)["nodes"] if n["id"] == wait)["seconds"] == 5
    page.screenshot(path="test-output/editor-wait-node.png")
