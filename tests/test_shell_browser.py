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
