"""The intents & slots page in Debian chromium: select words of an utterance, give them a slot, save the example;
the training page shows a finished run's loss chart."""

from __future__ import annotations

import pytest

from nlu.models import Intent, Slot, TrainingRun
from tests import factories
from tests.conftest import OUTPUT, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_selecting_words_assigns_them_to_a_slot(live_server, page):
    annotator = factories.make_user("zhao")
    workspace = factories.make_workspace(factories.make_user("boss"), "华东销售部")
    factories.add_member(workspace, annotator, "annotator")
    bot = factories.make_bot(workspace, "工业泵销售")
    Intent.objects.create(bot=bot, name="询价")
    Slot.objects.create(bot=bot, name="扬程", type="number", unit="米")
    Slot.objects.create(bot=bot, name="数量", type="quantity", unit="台")

    login(page, live_server, "zhao")
    page.goto(f"{live_server.url}/w/{workspace.slug}/bots/{bot.slug}/nlu/")
    text = page.locator("[data-testid=example-form] input[name=text]")
    text.fill("五十米扬程的泵要两台多少钱")
    text.evaluate("el => { el.focus(); el.setSelectionRange(0, 3); el.dispatchEvent(new Event('select')); }")
    page.get_by_test_id("mark-扬程").click()
    text.evaluate("el => { el.focus(); el.setSelectionRange(8, 10); el.dispatchEvent(new Event('select')); }")
    page.get_by_test_id("mark-数量").click()
    assert page.get_by_test_id("span-扬程").inner_text().startswith("五十米")
    assert page.get_by_test_id("span-数量").inner_text().startswith("两台")
    page.locator("[data-testid=example-form] select[name=intent]").select_option(label="询价")
    page.get_by_test_id("add-example").click()
    page.wait_for_load_state("networkidle")

    example = bot.examples.get()
    assert example.spans == [{"slot": "扬程", "start": 0, "end": 3, "value": "五十米"},
                             {"slot": "数量", "start": 8, "end": 10, "value": "两台"}]
    assert page.get_by_test_id("examples").locator("mark[data-slot=扬程]").inner_text().startswith("五十米")


def test_synonyms_are_tags_a_dialect_is_marked_and_the_slot_saves_them(live_server, page):
    owner = factories.make_user("li")
    workspace = factories.make_workspace(owner, "华东销售部")
    bot = factories.make_bot(workspace, "工业泵销售")
    slot = Slot.objects.create(bot=bot, name="产品型号", type="enum", values=[
        {"value": "离心泵", "synonyms": ["离心式水泵", "离心式"]}, {"value": "潜水泵", "synonyms": []}])
    login(page, live_server, "li")
    page.goto(f"{live_server.url}/w/{workspace.slug}/bots/{bot.slug}/nlu/slots/{slot.pk}/")
    rows = page.get_by_test_id("synonym-row")
    assert rows.count() == 2 and not page.locator("textarea[name=values_text]").is_visible()
    first = rows.nth(0)
    first.get_by_test_id("synonym-add").fill("离心嘅泵")
    first.get_by_test_id("synonym-add").press("Enter")
    cantonese = rows.nth(0).get_by_test_id("synonym-tag").filter(has_text="离心嘅泵")
    assert cantonese.get_by_test_id("synonym-dialect").inner_text() == "普通话"
    cantonese.get_by_test_id("synonym-dialect").click()  # 普通话 → 四川话 → 粤语
    rows.nth(0).get_by_test_id("synonym-tag").filter(has_text="离心嘅泵").get_by_test_id("synonym-dialect").click()
    rows.nth(0).get_by_role("button", name="移除 离心式水泵").click()
    page.get_by_test_id("synonym-new-value").click()
    rows.nth(2).get_by_test_id("synonym-value").fill("化工泵")
    rows.nth(2).get_by_test_id("synonym-add").fill("耐腐蚀泵，化工用泵")
    rows.nth(2).get_by_test_id("synonym-add").press("Enter")
    page.screenshot(path=str(OUTPUT / "slot-synonyms.png"))
    page.locator("[data-testid=edit-form] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    slot.refresh_from_db()
    assert slot.values == [
        {"value": "离心泵", "synonyms": ["离心式", "离心嘅泵"], "dialects": {"离心嘅泵": "粤语"}},
        {"value": "潜水泵", "synonyms": []}, {"value": "化工泵", "synonyms": ["耐腐蚀泵", "化工用泵"]}]


def test_a_mouse_selection_in_the_preview_works_too(live_server, page):
    owner = factories.make_user("qian")
    workspace = factories.make_workspace(owner, "华南")
    bot = factories.make_bot(workspace, "泵")
    Intent.objects.create(bot=bot, name="询价")
    Slot.objects.create(bot=bot, name="扬程")

    login(page, live_server, "qian")
    page.goto(f"{live_server.url}/w/{workspace.slug}/bots/{bot.slug}/nlu/")
    page.locator("[data-testid=example-form] input[name=text]").fill("扬程八十米")
    preview = page.get_by_test_id("span-preview").locator("span").first
    box = preview.bounding_box()
    # Drag from the start of 八 (3rd character) to the end of the text.
    char = box["width"] / 5
    page.mouse.move(box["x"] + 2 * char + 1, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] + 2, box["y"] + box["height"] / 2)
    page.mouse.up()
    page.get_by_test_id("mark-扬程").click()
    assert page.get_by_test_id("span-扬程").inner_text().startswith("八十米")


def test_the_training_page_draws_the_loss_of_a_run(live_server, page):
    owner = factories.make_user("sun")
    workspace = factories.make_workspace(owner, "华北")
    bot = factories.make_bot(workspace, "泵")
    history = [{"stage": "intent", "epoch": 1, "step": i, "loss": 2.0 / i} for i in range(1, 20)]
    TrainingRun.objects.create(bot=bot, status="running", step=19, total_steps=40, epoch=1, loss=0.1,
                               stage="intent", loss_history=history, heartbeat_at=None)

    login(page, live_server, "sun")
    page.goto(f"{live_server.url}/w/{workspace.slug}/bots/{bot.slug}/nlu/training/")
    assert page.get_by_test_id("run-progress").is_visible()
    page.locator("[data-testid=loss-chart] canvas").wait_for()
    legend = page.evaluate("echarts.getInstanceByDom(document.querySelector('[data-loss-chart]')).getOption()"
                           ".series.map(s => s.name)")
    assert legend == ["意图模型"]  # the legend in the page's language, not the stage's key
    assert page.get_by_test_id("start-training").is_disabled()


def test_the_report_draws_the_confusion_matrix_and_relabels_in_place(live_server, page):
    from nlu.models import ModelVersion, TrainingExample

    owner = factories.make_user("zhou")
    workspace = factories.make_workspace(owner, "西南")
    bot = factories.make_bot(workspace, "泵")
    ask, haggle = Intent.objects.create(bot=bot, name="询价"), Intent.objects.create(bot=bot, name="砍价")
    TrainingExample.objects.create(bot=bot, text="能便宜点吗", intent=ask)
    metrics = {"intent": {"accuracy": 0.9, "macro_f1": 0.8, "weighted_f1": 0.85, "count": 10,
                          "per_intent": {"询价": {"precision": 1.0, "recall": 0.8, "f1": 0.89, "support": 5},
                                         "砍价": {"precision": 0.83, "recall": 1.0, "f1": 0.91, "support": 5}},
                          "confusion": {"labels": ["询价", "砍价"], "matrix": [[4, 1], [0, 5]]},
                          "misclassified": [{"text": "能便宜点吗", "gold": "询价", "predicted": "砍价"}]},
               "slots": {"precision": 0.7, "recall": 0.6, "f1": 0.65, "per_slot": {}}}
    version = ModelVersion.objects.create(bot=bot, number=1, path="/models/v1", metrics=metrics, is_active=True)

    login(page, live_server, "zhou")
    page.goto(f"{live_server.url}/w/{workspace.slug}/bots/{bot.slug}/nlu/versions/{version.pk}/")
    page.locator("[data-testid=confusion] canvas").wait_for()
    select = page.get_by_test_id("misclassified").locator("select")
    assert select.input_value() == str(ask.pk)  # the current label, not the model's guess
    select.select_option(str(haggle.pk))
    page.get_by_test_id("misclassified").get_by_role("button").click()
    page.get_by_test_id("fixed-row").wait_for()
    assert bot.examples.get().intent == haggle
