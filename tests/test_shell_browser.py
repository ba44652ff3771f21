"""The UI shell in Debian chromium: log in, read the Chinese page, switch to English."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_shows_the_workspace_in_chinese_then_english(live_server, page):
    owner = factories.make_user("wang")
    workspace = factories.make_workspace(owner, "华东销售部")
    factories.make_bot(workspace, "工业泵销售")

    login(page, live_server, "wang")

    assert page.locator("h1").first.inner_text().startswith("机器人")
    assert page.get_by_test_id("bots").get_by_text("工业泵销售").is_visible()
    assert page.get_by_test_id("workspace-switcher").inner_text().strip() == "华东销售部"
    assert page.get_by_test_id("bots").get_by_text("更新于 0 分钟前").is_visible()

    with page.expect_navigation():
        page.get_by_test_id("language-select").select_option("en")
    assert page.locator("h1").first.inner_text().startswith("Bots")
    assert page.get_by_role("button", name="New bot").is_visible()
    assert page.evaluate("document.documentElement.lang") == "en"


def test_wrong_password_is_refused_in_the_page(live_server, page):
    factories.make_user("li")
    login(page, live_server, "li", password="wrong")
    assert page.get_by_role("alert").is_visible()
    assert page.url.endswith("/accounts/login/")


def test_an_annotator_sees_only_what_they_may_open_and_a_chinese_403(live_server, page):
    owner = factories.make_user("zhao")
    workspace = factories.make_workspace(owner, "华东销售部")
    bot = factories.make_bot(workspace, "工业泵销售")
    factories.add_member(workspace, factories.make_user("qian"), "annotator")
    login(page, live_server, "qian")
    page.goto(f"{live_server.url}/w/{workspace.slug}/bots/{bot.slug}/")
    menu = page.locator(".app-sidebar").inner_text()
    assert "录音" in menu and "实时测试" not in menu

    response = page.goto(f"{live_server.url}/w/{workspace.slug}/bots/{bot.slug}/calls/tester/")
    assert response.status == 403
    assert page.get_by_test_id("error-page").inner_text().startswith("您无权打开此页面")
    assert "Forbidden" not in page.content()
    page.get_by_test_id("error-back").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.is_visible() and "/calls/tester/" not in page.url


def test_a_missing_page_is_a_styled_chinese_404_and_every_page_has_a_favicon(live_server, page):
    factories.make_user("sun")
    login(page, live_server, "sun")
    missing = []
    page.on("response", lambda r: r.status == 404 and missing.append(r.url))
    response = page.goto(f"{live_server.url}/w/nowhere/bots/none/")
    assert response.status == 404
    assert "页面不存在" in page.get_by_test_id("error-page").inner_text()
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(live_server.url + icon).status == 200
    assert not [url for url in missing if "favicon" in url]


def test_the_owner_invites_copies_the_link_and_withdraws_it(live_server, page):
    from salesstudio.models import Invitation

    owner = factories.make_user("qian")
    workspace = factories.make_workspace(owner, "华南销售部")
    login(page, live_server, "qian")
    page.goto(f"{live_server.url}/w/{workspace.slug}/members/")
    assert "标注员" in page.get_by_test_id("role-help").inner_text()  # what each role may do
    page.fill("input[name=email]", "li@example.com")
    page.click("text=生成邀请链接")
    toast = page.get_by_test_id("toasts").locator(".toast-body").first
    assert "li@example.com" in toast.inner_text() and "/invite/" not in toast.inner_text()  # the link is below
    link = page.get_by_test_id("invite-link").input_value()
    assert link.endswith(f"/invite/{Invitation.objects.get().token}/")
    page.get_by_test_id("copy-link").click()
    page.get_by_test_id("toasts").get_by_text("已复制").wait_for()
    page.screenshot(path="test-output/members.png", full_page=True)
    page.get_by_test_id("revoke").click()
    page.get_by_test_id("toasts").get_by_text("已撤回").wait_for()
    assert page.get_by_test_id("invitation").count() == 0 and not Invitation.objects.exists()


def test_a_destructive_form_asks_first_without_any_inline_script(live_server, page):
    """Under the Content-Security-Policy (scripts from the site only) the confirmation still comes, in the page's own
    dialog, and 'cancel' keeps the bot."""
    from salesstudio.models import Bot

    owner = factories.make_user("zhao")
    bot = factories.make_bot(factories.make_workspace(owner, "西北销售部"), "水泵")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, live_server, "zhao")
    page.goto(f"{live_server.url}/w/{bot.workspace.slug}/bots/{bot.slug}/")
    page.on("dialog", lambda d: errors.append(f"a native dialog: {d.message}"))
    modal = page.get_by_test_id("confirm-modal")
    page.get_by_role("button", name="删除机器人").click()
    modal.get_by_text("删除此机器人及其全部数据？").wait_for()
    modal.get_by_test_id("confirm-cancel").click()
    modal.wait_for(state="hidden")
    assert Bot.objects.filter(pk=bot.pk).exists()
    page.get_by_role("button", name="删除机器人").click()
    with page.expect_navigation():
        modal.get_by_test_id("confirm-ok").click()
    assert not Bot.objects.filter(pk=bot.pk).exists() and not errors
