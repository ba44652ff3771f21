"""`make run`'s path on the embedded defaults: SQLite, in-process channel layer, file-system Celery broker.

Runs the real commands in a fresh data folder with no DATABASE_URL/REDIS_URL, logs in over HTTP and has the worker
import a bot.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.conftest import wait_until

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Just enough of a browser: cookies and Django's CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.read().decode()

    def post(self, path: str, data: dict) -> str:
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})
        with self.opener.open(request, timeout=10) as response:
            return response.read().decode()


@pytest.fixture
def embedded_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(SALESSTUDIO_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="salesstudio.settings")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    seeded = subprocess.run([*manage, "bootstrap_demo"], cwd=ROOT, env=env, check=True, timeout=300,
                            capture_output=True, text=True).stdout
    password = re.search(r"as demo / (\S+)", seeded).group(1)
    port = free_port()
    log = open(tmp_path / "serve.log", "w")
    server = subprocess.Popen([*manage, "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: _up(base), timeout=60)
    yield base, password, server
    server.send_signal(signal.SIGINT)
    assert server.wait(timeout=30) == 0, (tmp_path / "serve.log").read_text()[-3000:]


def _up(base: str) -> bool:
    try:
        urllib.request.urlopen(base + "/accounts/login/", timeout=2)
        return True
    except OSError:
        return False


def _worker_pid(server: subprocess.Popen) -> int | None:
    for child in psutil.Process(server.pid).children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "celery" in " ".join(child.cmdline()):
                return child.pid
        except psutil.NoSuchProcess:
            continue
    return None


def test_demo_login_and_background_import_after_a_worker_crash(embedded_server):
    base, password, server = embedded_server
    crashed = wait_until(lambda: _worker_pid(server), timeout=30)
    os.kill(crashed, signal.SIGKILL)  # as the OOM killer would
    restarted = wait_until(lambda: (pid := _worker_pid(server)) not in (None, crashed) and pid, timeout=30)
    assert restarted and server.poll() is None and _up(base)

    browser = Browser(base)
    browser.get("/accounts/login/")
    page = browser.post("/accounts/login/", {"username": "demo", "password": password})
    assert "工业泵销售" in page
    workspace = re.search(r'href="/w/([\w-]+)/members/"', page).group(1)
    browser.post(f"/w/{workspace}/import/", {"demo": "1"})
    wait_until(lambda: browser.get(f"/w/{workspace}/").count("bi-robot text-primary") == 2, timeout=90)
