"""Uploading recordings: probed by content, one error per bad file while the others go on, duplicates by hash."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.voice_web.conftest import upload
from voice import services
from voice.models import Recording
from voice.tasks import transcribe_recording


def upload_url(bot) -> str:
    return reverse("voice:recording_upload", kwargs={"ws": bot.workspace.slug, "bot": bot.slug})


@pytest.fixture
def sent(monkeypatch) -> list[int]:
    """Recording ids whose transcription was sent (the task itself is not run here)."""
    ids: list[int] = []
    monkeypatch.setattr(transcribe_recording, "delay", ids.append)
    return ids


def post(client, bot, files, **extra):
    return client.post(upload_url(bot), {"files": files}, **extra)


def test_good_files_become_queued_recordings_sent_on_commit(client, team, bot, audio, sent,
                                                            django_capture_on_commit_callbacks):
    client.force_login(team["editor"])
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, bot, upload(audio, "mono.wav", "stereo.wav", "call.mp3"))
    assert response.status_code == 200
    rows = {r.original_name: r for r in Recording.objects.filter(bot=bot)}
    assert set(rows) == {"mono.wav", "stereo.wav", "call.mp3"}
    assert (rows["mono.wav"].format, rows["mono.wav"].channels) == ("wav", 1)
    assert (rows["stereo.wav"].format, rows["stereo.wav"].channels) == ("wav", 2)
    assert rows["call.mp3"].format == "mp3" and rows["call.mp3"].duration > 1
    assert rows["mono.wav"].sha256 == hashlib.sha256(audio["mono.wav"]).hexdigest()
    assert Path(rows["stereo.wav"].file.path).read_bytes() == audio["stereo.wav"]
    assert all(r.status == "queued" and r.uploaded_by == team["editor"] for r in rows.values())
    assert sorted(sent) == sorted(r.pk for r in rows.values())


def test_corrupt_file_gets_its_own_error_and_the_others_go_on(client, team, bot, audio, sent):
    client.force_login(team["editor"])
    response = post(client, bot, upload(audio, "corrupt.wav", "mono.wav"))
    results = response.context["results"]
    assert [r.name for r in results] == ["corrupt.wav", "mono.wav"]
    assert results[0].error == "The file is corrupt or not an audio file"  # in the page's language only
    assert results[1].error == "" and results[1].recording.status == "queued"
    assert list(Recording.objects.values_list("original_name", flat=True)) == ["mono.wav"]


def test_htmx_upload_answers_with_one_row_per_file_and_refreshes_the_list(client, team, bot, audio, sent):
    client.force_login(team["editor"])
    response = post(client, bot, upload(audio, "picture.wav", "mono.wav"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert html.count('data-testid="upload-result"') == 2 and html.count('data-ok="false"') == 1
    assert "recordings-changed" in json.loads(response["HX-Trigger"])


def test_png_renamed_wav_is_refused_by_content(client, team, bot, audio, sent):
    client.force_login(team["editor"])
    response = post(client, bot, upload(audio, "picture.wav"))
    [result] = response.context["results"]
    assert result.recording is None and result.error
    assert not Recording.objects.exists()


def test_mp3_named_wav_is_stored_as_mp3(client, team, bot, audio, sent):
    client.force_login(team["editor"])
    post(client, bot, upload(audio, "call.mp3", rename={"call.mp3": "call.wav"}))
    recording = Recording.objects.get()
    assert (recording.original_name, recording.format) == ("call.wav", "mp3")
    assert recording.file.name.endswith(".mp3")


def test_too_large_file_is_refused_while_streaming(client, team, bot, audio, sent, settings):
    settings.UPLOAD_MAX_BYTES = len(audio["call.mp3"]) + 10
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # stream to temporary files, as large uploads do
    client.force_login(team["editor"])
    response = post(client, bot, upload(audio, "stereo.wav", "call.mp3"))
    big, small = response.context["results"]
    assert "MB" in big.error and big.recording is None
    assert small.error == "" and small.recording.format == "mp3"
    assert list(Recording.objects.values_list("original_name", flat=True)) == ["call.mp3"]


def test_duplicate_content_is_detected_per_bot(client, team, bot, audio, sent):
    client.force_login(team["editor"])
    post(client, bot, upload(audio, "mono.wav"))
    response = post(client, bot, upload(audio, "mono.wav", "call.mp3", rename={"mono.wav": "again.wav"}))
    duplicate, fresh = response.context["results"]
    assert "mono.wav" in duplicate.error and duplicate.recording is None
    assert fresh.recording is not None
    assert Recording.objects.count() == 2


def test_duplicate_within_one_upload(client, team, bot, audio, sent):
    client.force_login(team["editor"])
    files = upload(audio, "mono.wav") + upload(audio, "mono.wav", rename={"mono.wav": "copy.wav"})
    first, second = post(client, bot, files).context["results"]
    assert first.recording is not None and "mono.wav" in second.error


def test_same_file_for_another_bot_is_not_a_duplicate(team, bot, audio, sent):
    from tests import factories

    other = factories.make_bot(team["workspace"], "另一个")
    [a] = services.do_upload_recordings(bot, upload(audio, "mono.wav"), team["owner"])
    [b] = services.do_upload_recordings(other, upload(audio, "mono.wav"), team["owner"])
    assert a.recording and b.recording


def test_no_file_chosen_is_a_form_error(client, team, bot, sent):
    client.force_login(team["editor"])
    response = client.post(upload_url(bot), {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "alert-warning" in response.content.decode()
    assert "HX-Trigger" not in response


@pytest.mark.parametrize("persona", ["viewer", "annotator"])
def test_only_editors_upload(client, team, bot, audio, sent, persona):
    client.force_login(team[persona])
    assert post(client, bot, upload(audio, "mono.wav")).status_code == 403
    assert not Recording.objects.exists()


def test_list_shows_rows_and_polls_while_transcribing(client, team, bot, audio, sent):
    services.do_upload_recordings(bot, upload(audio, "mono.wav"), team["editor"])
    client.force_login(team["viewer"])
    url = reverse("voice:recordings", kwargs={"ws": bot.workspace.slug, "bot": bot.slug})
    page = client.get(url).content.decode()
    assert "mono.wav" in page and "every 2s" in page
    assert 'data-testid="upload-form"' not in page  # viewers do not upload
    Recording.objects.update(status="done", progress=1.0)
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "every 2s" not in fragment and 'data-testid="transcript-link"' in fragment


def test_delete_removes_row_and_file(client, team, bot, audio, sent, django_capture_on_commit_callbacks):
    [result] = services.do_upload_recordings(bot, upload(audio, "mono.wav"), team["editor"])
    path = Path(result.recording.file.path)
    client.force_login(team["editor"])
    url = reverse("voice:recording_delete", kwargs={"ws": bot.workspace.slug, "bot": bot.slug,
                                                    "recording": result.recording.pk})
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    assert not Recording.objects.exists() and not path.exists()


def test_retry_queues_a_failed_recording_again(client, team, bot, audio, sent, django_capture_on_commit_callbacks):
    [result] = services.do_upload_recordings(bot, upload(audio, "mono.wav"), team["editor"])
    Recording.objects.update(status="failed", error="boom")
    client.force_login(team["editor"])
    url = reverse("voice:recording_retry", kwargs={"ws": bot.workspace.slug, "bot": bot.slug,
                                                   "recording": result.recording.pk})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    result.recording.refresh_from_db()
    assert (result.recording.status, result.recording.error) == ("queued", "")
    assert sent == [result.recording.pk]


def test_a_recording_longer_than_the_limit_is_refused_from_its_header(client, team, bot, audio, sent, settings):
    import io
    import wave

    settings.RECORDING_MAX_MINUTES = 2
    long = io.BytesIO()
    with wave.open(long, "wb") as out:  # three minutes of silence: small, but longer than allowed
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * 8000 * 180)
    client.force_login(team["editor"])
    files = [SimpleUploadedFile("long.wav", long.getvalue(), content_type="audio/wav"),
             *upload(audio, "mono.wav")]
    long_result, short = post(client, bot, files, HTTP_ACCEPT_LANGUAGE="en").context["results"]
    assert "lasts 3 minutes" in long_result.error and "up to 2 minutes" in long_result.error
    assert short.error == "" and list(Recording.objects.values_list("original_name", flat=True)) == ["mono.wav"]
