"""The tester page in Debian chromium against a real daphne server: a typed call, and a microphone call fed by
chromium's fake capture device."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from calls.models import Call
from flows import bundles
from tests import factories
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, OUTPUT, ROOT, login, wait_until
from voice.audio import pcm16_to_float, resample, write_wav

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(transactional_db, tiny_whisper):
    """daphne serving the ASGI application on the test database (HTTP and the call socket)."""
    from django.db import connection

    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "ASR_MODEL": str(tiny_whisper),
           "SALESSTUDIO_TEST_DB_NAME": str(connection.settings_dict["NAME"])}
    OUTPUT.mkdir(exist_ok=True)
    with open(OUTPUT / "tester-daphne.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                 "salesstudio.asgi:application"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)

    def listening() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    wait_until(listening, timeout=60)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}")
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture
def demo_bot(db):
    owner = factories.make_user("caller")
    return bundles.do_import_bot(factories.make_workspace(owner, "电话测试组"), bundles.load_demo_bundle(), owner)


def open_tester(page, server, bot) -> None:
    login(page, server, "caller")
    page.goto(f"{server.url}/w/{bot.workspace.slug}/bots/{bot.slug}/calls/tester/")
    page.wait_for_selector("#tester-canvas[data-ready='1']")


def test_a_typed_call_shows_bubbles_the_debug_panel_and_the_current_node(server, page, demo_bot):
    open_tester(page, server, demo_bot)
    hint = "el => getComputedStyle(el, '::before').content"
    assert "点击「呼叫」开始测试" in page.get_by_test_id("chat").evaluate(hint)  # the empty chat says what to do
    page.get_by_test_id("mode-text").click()
    page.get_by_test_id("start-call").click()
    page.wait_for_selector("[data-testid=bubble-bot]")
    assert "鑫源泵业" in page.get_by_test_id("bubble-bot").first.inner_text()
    assert page.get_by_test_id("chat").evaluate(hint) == "none"
    assert page.locator("#tester-canvas").get_attribute("data-current") == "need"
    assert page.locator(".ss-node.tester-current").get_attribute("data-node-id") == "need"
    page.get_by_test_id("say-input").fill("是的")
    page.get_by_test_id("say-send").click()
    first = page.locator("[data-testid=turn][data-turn='1']")
    first.locator("[data-stage=nlu]").wait_for()
    intent = first.locator("[data-field=intent]").inner_text()
    assert re.search(r"肯定 \(0\.[5-9][0-9]|肯定 \(1\.00\)", intent) and "示例句" in intent  # no model yet: the examples answer
    # The turn is told in the page's language: the event and the node by name (its id only in the tooltip).
    assert first.locator("[data-field=event]").inner_text() == "客户发言"
    node = first.locator("[data-field=node]")
    assert (node.inner_text(), node.get_attribute("title")) == ("询问扬程", "ask_head")
    assert "语义理解" in first.locator("[data-stage=nlu]").get_attribute("title")
    assert "examples" not in page.get_by_test_id("call-status").inner_text()
    page.wait_for_selector("#tester-canvas[data-current='ask_head']")
    page.get_by_test_id("say-input").fill("我们要扬程五十米的")
    page.get_by_test_id("say-send").click()
    turn = page.locator("[data-testid=turn][data-turn='2']")
    turn.locator("[data-stage=nlu]").wait_for()
    assert turn.locator("[data-field=heard]").inner_text() == "我们要扬程五十米的"
    assert turn.locator(".tester-changed[data-slot=扬程]").inner_text() == "扬程 = 50"
    assert page.get_by_test_id("bubble-user").nth(1).inner_text() == "我们要扬程五十米的"
    page.wait_for_selector("#tester-canvas[data-current='ask_flow']")
    page.get_by_test_id("hang-up").click()
    page.get_by_test_id("outcome").wait_for()
    assert "挂断" in page.get_by_test_id("outcome").inner_text()
    call = wait_until(lambda: Call.objects.filter(bot=demo_bot, ended_at__isnull=False).first())
    assert (call.outcome, call.turn_count, call.mode) == ("挂断", 4, "text")


def test_a_microphone_call_is_heard_answered_and_its_audio_kept(server, browser, demo_bot, espeak, tmp_path):
    pcm, rate = espeak.synthesize_sentence("扬程五十米", voice=None, rate=None, pitch=None)
    speech = resample(pcm16_to_float(pcm), rate, 16_000)
    gap = np.zeros(16_000 * 3, np.float32)
    wav = write_wav(tmp_path / "caller.wav", np.concatenate([gap, speech, gap]), 16_000)
    chromium = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}", "--autoplay-policy=no-user-gesture-required"])
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    context.grant_permissions(["microphone"])
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        open_tester(page, server, demo_bot)
        page.get_by_test_id("start-call").click()
        page.wait_for_selector("[data-testid=bubble-bot]")
        page.locator("[data-testid=turn] [data-stage=asr]").first.wait_for(timeout=60_000)
        page.get_by_test_id("hang-up").click()
        page.get_by_test_id("outcome").wait_for()
        page.get_by_test_id("recordings").wait_for()
        page.wait_for_timeout(1000)  # the fake microphone goes on: no frame may follow the end of the call
        assert page.get_by_test_id("error").count() == 0, page.get_by_test_id("error").all_inner_texts()[:3]
        audio_url = page.locator("#tester-user-audio").get_attribute("src")
        response = page.request.get(f"{server.url}{audio_url}")
        assert response.status == 200 and response.body()[:4] == b"RIFF"
    finally:
        page.screenshot(path=str(OUTPUT / "test_a_microphone_call.png"), full_page=True)
        context.close()
        chromium.close()
    call = Call.objects.get(bot=demo_bot)
    assert call.mode == "voice" and call.turns.filter(event="user", asr_ms__isnull=False).exists()
    assert call.user_audio and call.bot_audio


OVERSIZE_JS = """async ([size]) => {
  const socket = window.testerSockets[0];
  const events = [];
  socket.addEventListener("message", (e) => { if (typeof e.data === "string") events.push(JSON.parse(e.data)); });
  const closed = new Promise((done) => socket.addEventListener("close", (e) => done(e.code)));
  socket.send("x".repeat(20000));  // over the call's own limit: refused with an error event, the call goes on
  await new Promise((done) => setTimeout(done, 1000));
  const open = socket.readyState === WebSocket.OPEN;
  socket.send("y".repeat(size));  // over daphne's 1 MiB: autobahn drops the connection before the call sees it
  return {errors: events.filter((e) => e.type === "error").map((e) => e.message), open: open, code: await closed};
}"""


def test_an_oversized_message_is_refused_and_the_call_keeps_its_turns(server, page, demo_bot):
    """Over the call's 16,000 characters: an error event, the call goes on. Over daphne's 1 MiB message limit, autobahn
    drops the connection (no close handshake, so no event can say why): the page says the connection was lost and the
    call is logged 断线 with every turn it had."""
    page.add_init_script("""(() => {
      const Native = window.WebSocket;
      window.testerSockets = [];
      window.WebSocket = function (url, protocols) {
        const socket = new Native(url, protocols);
        window.testerSockets.push(socket);
        return socket;
      };
      window.WebSocket.prototype = Native.prototype;
      Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
    })()""")
    open_tester(page, server, demo_bot)
    page.get_by_test_id("mode-text").click()
    page.get_by_test_id("start-call").click()
    page.get_by_test_id("say-input").fill("是的")
    page.get_by_test_id("say-send").click()
    page.locator("[data-testid=turn][data-turn='1'] [data-stage=nlu]").wait_for()
    result = page.evaluate(OVERSIZE_JS, [2 * 1024 * 1024])
    assert result["open"] and len(result["errors"]) == 1 and result["code"] in (1006, 1009)
    assert page.get_by_test_id("call-status").inner_text() == "连接已断开"
    call = wait_until(lambda: Call.objects.filter(bot=demo_bot, ended_at__isnull=False).first())
    assert call.outcome == "断线" and call.turns.filter(event="user").count() == 1
