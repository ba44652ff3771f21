"""Every page of the product, opened in Chinese by its owner in Debian chromium: no server error, no console error,
no English word outside a short allow-list.

The pages come from the same resolver walk as the permission matrix (tests/test_permission_matrix.py), so a new page
is checked as soon as it is routed. Downloads (CSV, audio, bot files) are skipped; HTML fragments are checked as
pages.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from tests import factories
from tests.conftest import login
from tests.test_permission_matrix import ROUTES, build_path, objects_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Product and format names, units and codes that a Chinese page may show as they are.
ALLOWED_WORDS = {
    "SalesStudio", "English", "CSV", "JSON", "JSONL", "Excel", "xlsx", "WAV", "MP3", "FLAC", "OGG", "ASR", "TTS",
    "NLU", "AI", "CRM", "ID", "F1", "p50", "p95", "ms", "s", "min", "m", "kW", "h", "Hz", "kHz", "MB", "KB", "GB",
    "LoRA", "int8", "Whisper", "CPU", "WebM", "Ctrl", "Shift", "Del", "Enter", "Esc",
}
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
# Words inside codes (model numbers such as IS80-65-160, e-mail addresses, URLs) are part of the code.
CODE = re.compile(r"\S*\d\S*|\S+@\S+|https?://\S+|/\S+|\S+\.[a-z0-9]{2,4}\b")
# Model series (ISG, QW), keys (A, Z) and other short capitals are codes (or a customer's "OK" in an example).
ACRONYM = re.compile(r"[A-Z]{1,4}")
PAGES = [r for r in ROUTES if hasattr(r[2], "access") or r[1] in {"home", "workspace_create", "password_change"}]


def english_words(text: str) -> set[str]:
    words = WORD.findall(CODE.sub(" ", text))
    return {w for w in words if w not in ALLOWED_WORDS and not ACRONYM.fullmatch(w)}


def test_english_words_finds_english_and_spares_codes():
    assert english_words("保存 Save 草稿") == {"Save"}
    assert english_words("型号 IS80-65-160、ISG 扬程 50 m，导出 CSV，录音 call.wav") == set()
    assert english_words("已填写 filled") == {"filled"}


@pytest.fixture
def demo_workspace(db):
    from calls.calllog.bulk import simulate_calls
    from flows import bundles

    owner = factories.make_user("王经理")
    workspace = factories.make_workspace(owner, "华东销售部")
    with translation.override("zh-hans"):  # what the product writes (a version's note) in a Chinese workspace
        bot = bundles.do_import_bot(workspace, bundles.load_demo_bundle(), owner)
    simulate_calls(bot, 6, version=None, days=3, seed=1)
    return {"owner": owner, "workspace": workspace, "other_workspace": factories.make_workspace(), "bot": bot}


def test_every_page_reads_in_chinese(live_server, page, demo_workspace, client):
    values = objects_for(demo_workspace, demo_workspace["workspace"])
    client.force_login(demo_workspace["owner"])
    console_errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and console_errors.append(f"{page.url}: {m.text}"))
    page.on("pageerror", lambda e: console_errors.append(f"{page.url}: {e}"))
    login(page, live_server, "王经理")
    problems = []
    for route, name, _view in PAGES:
        path = build_path(route, values)
        probe = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-CN")
        if probe.status_code >= 500:
            problems.append(f"{name} {path}: HTTP {probe.status_code}")
            continue
        if probe.status_code != 200 or not probe.get("Content-Type", "").startswith("text/html"):
            continue
        response = page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        if response.status >= 500:
            problems.append(f"{name} {path}: HTTP {response.status}")
        text = page.evaluate("document.title + '\\n' + document.body.innerText")
        if words := english_words(text):
            problems.append(f"{name} {path}: English {sorted(words)[:12]}")
    assert not problems, "\n".join(problems)
    assert not console_errors, "\n".join(console_errors)
