"""Recordings in Debian chromium: upload good and bad files, watch them transcribe, play and label a segment."""

from __future__ import annotations

import pytest

from nlu.models import TrainingExample
from tests.conftest import login
from voice.models import Recording

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_upload_transcribe_play_and_label(live_server, page, team, bot, audio, voice_queue, tmp_path):
    for name in ("stereo.wav", "picture.wav", "corrupt.wav"):
        (tmp_path / name).write_bytes(audio[name])
    login(page, live_server, "editor")
    page.goto(f"{live_server.url}/w/{bot.workspace.slug}/bots/{bot.slug}/voice/recordings/")
    assert page.get_by_test_id("no-recordings").is_visible()

    page.get_by_test_id("upload-form").locator("input[type=file]").set_input_files(
        [str(tmp_path / n) for n in ("stereo.wav", "picture.wav", "corrupt.wav")])
    page.get_by_test_id("upload-submit").click()
    rows = page.get_by_test_id("upload-result")
    rows.nth(2).wait_for()
    assert [rows.nth(i).get_attribute("data-ok") for i in range(3)] == ["true", "false", "false"]
    assert "不支持的音频格式" in rows.nth(1).get_by_test_id("upload-message").inner_text()  # a PNG, by content
    assert "损坏" in rows.nth(2).get_by_test_id("upload-message").inner_text()

    try:
        # The list refreshes itself (htmx polling) until the worker has transcribed the recording.
        link = page.get_by_test_id("transcript-link")
        link.wait_for(timeout=180_000)
        assert page.get_by_test_id("recording-row").get_attribute("data-status") == "done"
        link.click()
        page.wait_for_load_state("networkidle")

        segments = page.get_by_test_id("segment")
        assert segments.count() >= 1
        first = segments.first
        first.click()
        page.get_by_test_id("label-form").wait_for()
        assert "selected" in first.get_attribute("class")
        start = float(first.get_attribute("data-start"))
        assert page.evaluate("document.getElementById('player').currentTime") == pytest.approx(start, abs=0.3)

        # Replace the random transcript's text with what was said, then label it with an intent and a slot.
        page.get_by_test_id("edit-text").first.click()
        page.get_by_test_id("segment-editor").locator("input[name=text]").fill("我想问一下离心泵多少钱")
        page.get_by_test_id("save-text").click()
        page.get_by_test_id("segment-text").first.filter(has_text="离心泵多少钱").wait_for()
        page.get_by_test_id("segment").first.click()
        # The label editor is ready once its script has taken over the panel htmx swapped in.
        page.locator("form.label-editor[data-ready='1'] [data-testid=label-text]").filter(
            has_text="离心泵多少钱").wait_for()
        page.evaluate("""() => {
            const box = document.querySelector('[data-testid=label-text]');
            const text = box.firstChild, start = box.dataset.text.indexOf('离心泵');
            const range = document.createRange();
            range.setStart(text, start); range.setEnd(text, start + 3);
            getSelection().removeAllRanges(); getSelection().addRange(range);
        }""")
        page.get_by_test_id("slot-select").select_option("产品型号")
        page.get_by_test_id("assign-slot").click()
        assert page.get_by_test_id("span-chip").inner_text().startswith("产品型号: 离心泵")
        page.get_by_test_id("label-form").locator("select[name=intent]").select_option(label="询价")
        page.get_by_test_id("save-label").click()
        page.get_by_test_id("label-saved").wait_for()
        page.get_by_test_id("segment-intent").first.wait_for()

        example = TrainingExample.objects.get()
        assert (example.text, example.intent.name, example.source) == ("我想问一下离心泵多少钱", "询价", "recording")
        assert example.spans == [{"slot": "产品型号", "start": 5, "end": 8, "value": "离心泵"}]
        page.mouse.move(0, 0)
    finally:
        for recording in Recording.objects.filter(bot=bot):
            recording.file.delete(save=False)
