"""Shared fixtures: personas, a real Celery worker process, and Debian chromium through Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-quic", "--no-first-run",
]
# Playwright's sync API runs an event loop in the test thread; the tests' own ORM calls there are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def team(db):
    """A workspace with an owner, an editor (teammate), an annotator and a viewer, plus an outsider elsewhere."""
    from tests import factories  # here, not at the top: core-only test runs (-p no:django) skip Django

    owner = factories.make_user("owner")
    workspace = factories.make_workspace(owner, "华东销售部")
    other = factories.make_workspace(factories.make_user("outsider"), "别家公司")
    return {
        "workspace": workspace,
        "other_workspace": other,
        "owner": owner,
        "editor": factories.add_member(workspace, factories.make_user("editor"), "editor"),
        "annotator": factories.add_member(workspace, factories.make_user("annotator"), "annotator"),
        "viewer": factories.add_member(workspace, factories.make_user("viewer"), "viewer"),
        "outsider": other.memberships.get().user,
    }


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real `celery worker` process on the test broker and the test database."""
    from django.db import connection

    from salesstudio.celery import app

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
           "SALESSTUDIO_TEST_DB_NAME": str(connection.settings_dict["NAME"])}
    app.control.purge()
    OUTPUT.mkdir(exist_ok=True)
    log_path = OUTPUT / "celery-worker.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "salesstudio", "worker", "-Q", "salesstudio-test",
             "--concurrency", "1", "--loglevel", "INFO", "--without-heartbeat", "--without-mingle",
             "--without-gossip"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    _wait_for_line(log_path, "ready.", proc, timeout=60)
    yield proc
    proc.terminate()
    proc.wait(timeout=30)


def _wait_for_line(path: Path, needle: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in path.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early:\n{path.read_text()[-3000:]}")
        time.sleep(0.2)
    raise TimeoutError(f"{needle!r} not seen in {path} after {timeout}s")


def wait_until(predicate, timeout: float = 30, interval: float = 0.2):
    """Poll `predicate` until it returns a truthy value (returned) or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{request.node.name}.png"), full_page=True)
    context.close()


def login(page, live_server, username: str, password: str = "correct horse battery staple") -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
