"""Customers in Debian chromium against a real daphne server: a list imported with a bad row, then calls made as one
of its customers from the tester: the bot says their name, and in the next call remembers what they said."""

from __future__ import annotations

import pytest

from calls.models import Call, Customer
from tests.calls_live.test_tester_browser import demo_bot, open_tester, server  # noqa: F401 — fixtures
from tests.conftest import OUTPUT, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIST = "姓名,电话,公司,上次购买型号\n李经理,138 1234 5678,华东水务,IS80-65-160\n王总,不是电话,西北泵站,\n"


def test_import_a_list_then_call_as_a_customer_who_is_named_and_remembered(server, page, demo_bot, tmp_path):  # noqa: F811
    upload = tmp_path / "客户名单.csv"
    upload.write_text(LIST, encoding="utf-8")
    open_tester(page, server, demo_bot)  # logs in
    page.goto(f"{server.url}/w/{demo_bot.workspace.slug}/customers/")
    picker = page.locator("[data-testid=customer-import] [data-file-picker]")
    assert picker.locator("label").inner_text().strip() == "选择文件"  # the page's words, not the browser's
    assert picker.locator("[data-file-names]").inner_text() == "未选择文件"
    dropped = page.evaluate_handle("() => { const d = new DataTransfer(); "
                                   "d.items.add(new File(['x'], '拖进来的.csv')); return d; }")
    picker.dispatch_event("drop", {"dataTransfer": dropped})  # files dropped on the picker are chosen
    assert picker.locator("[data-file-names]").inner_text() == "拖进来的.csv"
    picker.locator("input[type=file]").set_input_files(str(upload))
    assert picker.locator("[data-file-names]").inner_text() == "客户名单.csv"
    page.get_by_test_id("customer-import-submit").click()
    page.wait_for_selector("[data-testid=customer-row]")
    alerts = page.locator(".alert, .toast").all_inner_texts()
    assert any("新增 1 位客户" in a for a in alerts) and any("第 3 行" in a and "不是电话" in a for a in alerts)
    page.get_by_role("link", name="李经理").click()
    page.get_by_test_id("call-as").first.click()
    page.wait_for_selector("#tester-canvas[data-ready='1']")
    customer = Customer.objects.get(phone="13812345678")
    assert page.get_by_test_id("customer-select").input_value() == str(customer.pk)
    page.get_by_test_id("mode-text").click()
    page.get_by_test_id("start-call").click()
    page.wait_for_selector("[data-testid=bubble-bot]")
    assert page.get_by_test_id("bubble-bot").first.inner_text().startswith("李经理您好")
    for text, node in (("是的", "ask_head"), ("扬程五十米", "ask_flow")):
        page.get_by_test_id("say-input").fill(text)
        page.get_by_test_id("say-send").click()
        page.wait_for_selector(f"#tester-canvas[data-current='{node}']")
    page.get_by_test_id("hang-up").click()
    page.get_by_test_id("outcome").wait_for()
    wait_until(lambda: Call.objects.filter(customer=customer, ended_at__isnull=False).exists())
    page.get_by_test_id("start-call").click()  # the same customer calls again
    remembered = page.locator("[data-testid=turn][data-turn='0'] .tester-remembered[data-slot=扬程]")
    remembered.wait_for()
    assert remembered.inner_text().startswith("扬程 = 50 (记自 ")
    page.get_by_test_id("say-input").fill("是的")
    page.get_by_test_id("say-send").click()
    page.wait_for_selector("#tester-canvas[data-current='confirm_memory']")
    assert "上次您提到要扬程50米的泵" in page.get_by_test_id("bubble-bot").last.inner_text()  # the remembered value, said
    page.get_by_test_id("say-input").fill("对，还是这个")
    page.get_by_test_id("say-send").click()
    page.wait_for_selector("#tester-canvas[data-current='ask_flow']")  # 扬程 is not asked again
    page.screenshot(path=str(OUTPUT / "customer-call.png"), full_page=True)
    # The first call's page: its turns fit the page, what the bot said readable on whole lines.
    first = Call.objects.filter(customer=customer).order_by("started_at").first()
    page.goto(f"{server.url}/w/{demo_bot.workspace.slug}/bots/{demo_bot.slug}/calls/{first.pk}/")
    table = page.get_by_test_id("turns")
    fits = "(t) => t.parentElement.scrollWidth <= t.parentElement.clientWidth + 1"
    assert page.evaluate(fits, table.element_handle())
    bot_cell = table.locator("tbody tr td:nth-child(6)").first.bounding_box()  # the bot's words
    assert bot_cell["width"] >= 250, bot_cell  # not a column of five characters a line
