"""Transcription: the service with a scripted engine, retries of the task, and the real worker with a tiny Whisper."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import wait_until
from tests.voice_web.conftest import upload
from voice import engines, services
from voice.asr import AsrEngine, AsrError, Segment, Transcript
from voice.models import Recording
from voice.services import transcription
from voice.tasks import transcribe_recording


class ScriptedEngine(AsrEngine):
    """Answers with fixed segments per call, reports progress in two steps, records what it was asked."""

    def __init__(self, *answers: list[Segment], error: AsrError | None = None) -> None:
        self.answers, self.error, self.calls = list(answers), error, []

    def transcribe(self, audio, *, hot_words=(), dialect="mandarin", progress=None):  # noqa: ANN001
        self.calls.append({"samples": len(audio), "hot_words": tuple(hot_words), "dialect": dialect})
        if self.error:
            raise self.error
        for share in (0.5, 1.0):
            progress and progress(share)
        return Transcript(segments=self.answers.pop(0), duration=len(audio) / 16_000)


@pytest.fixture
def uploaded(team, bot, audio, monkeypatch):
    """Upload files without sending tasks; returns {name: Recording}."""
    monkeypatch.setattr(transcribe_recording, "delay", lambda pk: None)

    def make(*names: str) -> dict[str, Recording]:
        results = services.do_upload_recordings(bot, upload(audio, *names), team["editor"])
        return {r.name: r.recording for r in results}

    return make


def use_engine(monkeypatch, engine: AsrEngine) -> AsrEngine:
    monkeypatch.setattr(engines, "asr_engine", lambda: engine)
    return engine


def test_mono_recording_gets_unknown_speakers_and_the_bots_hot_words(uploaded, bot, monkeypatch):
    bot.dialect = "sichuanese"
    bot.save()
    recording = uploaded("mono.wav")["mono.wav"]
    engine = use_engine(monkeypatch, ScriptedEngine([Segment(0.1, 1.2, "离心泵好多钱", 0.8),
                                                     Segment(1.3, 2.0, "  ", 0.1)]))
    services.do_transcribe(recording.pk)
    recording.refresh_from_db()
    assert (recording.status, recording.progress, recording.error) == ("done", 1.0, "")
    [segment] = recording.segments.all()  # blank text is dropped
    assert (segment.index, segment.start, segment.end, segment.text, segment.speaker) == (0, 0.1, 1.2, "离心泵好多钱", "unknown")
    assert engine.calls[0]["dialect"] == "sichuanese"
    assert set(engine.calls[0]["hot_words"]) == {"离心泵", "离心式水泵", "潜水泵"}


def test_near_homophones_of_the_bots_words_are_corrected_in_the_transcript(uploaded, monkeypatch):
    recording = uploaded("mono.wav")["mono.wav"]
    use_engine(monkeypatch, ScriptedEngine([Segment(0.1, 1.2, "我想问下离心本和前水泵好多钱", 0.8)]))
    services.do_transcribe(recording.pk)
    assert recording.segments.get().text == "我想问下离心泵和潜水泵好多钱"


def test_stereo_recording_is_split_agent_left_customer_right(uploaded, monkeypatch):
    recording = uploaded("stereo.wav")["stereo.wav"]
    engine = use_engine(monkeypatch, ScriptedEngine(
        [Segment(0.0, 3.0, "您好请问需要什么型号", 0.9)], [Segment(3.5, 5.0, "离心泵多少钱", 0.7)]))
    services.do_transcribe(recording.pk)
    rows = list(recording.segments.values_list("speaker", "text"))
    assert rows == [("agent", "您好请问需要什么型号"), ("customer", "离心泵多少钱")]
    assert engine.calls[0]["samples"] == engine.calls[1]["samples"]


def test_progress_is_written_as_the_audio_is_processed(uploaded, monkeypatch):
    recording = uploaded("stereo.wav")["stereo.wav"]
    seen = []
    real = transcription._progress_writer

    def spy(pk):  # noqa: ANN001, ANN202
        write = real(pk)
        return lambda share: (write(share), seen.append(Recording.objects.get(pk=pk).progress))

    monkeypatch.setattr(transcription, "_progress_writer", spy)
    use_engine(monkeypatch, ScriptedEngine([], []))
    services.do_transcribe(recording.pk)
    assert seen == [0.25, 0.5, 0.75, 1.0]


def test_transient_error_is_recorded_and_retried(uploaded, monkeypatch):
    recording = uploaded("mono.wav")["mono.wav"]
    use_engine(monkeypatch, ScriptedEngine(error=AsrError("worker out of memory", permanent=False)))
    with pytest.raises(AsrError):
        transcribe_recording(recording.pk)  # called directly, Task.retry re-raises
    recording.refresh_from_db()
    assert (recording.status, recording.error) == ("queued", "worker out of memory")


def test_transient_error_fails_after_the_last_retry(uploaded, monkeypatch):
    recording = uploaded("mono.wav")["mono.wav"]
    engine = use_engine(monkeypatch, ScriptedEngine(error=AsrError("still busy", permanent=False)))
    transcribe_recording.apply((recording.pk,))  # local apply runs the retries inline
    recording.refresh_from_db()
    assert (recording.status, recording.error) == ("failed", "still busy")
    assert len(engine.calls) == 1 + transcribe_recording.max_retries


def test_permanent_error_fails_at_once(uploaded, monkeypatch):
    recording = uploaded("mono.wav")["mono.wav"]
    use_engine(monkeypatch, ScriptedEngine(error=AsrError("model folder lacks tokenizer.json", permanent=True)))
    transcribe_recording(recording.pk)
    recording.refresh_from_db()
    assert (recording.status, recording.error) == ("failed", "model folder lacks tokenizer.json")


def test_redelivered_message_for_a_finished_recording_does_nothing(uploaded, monkeypatch):
    recording = uploaded("mono.wav")["mono.wav"]
    Recording.objects.filter(pk=recording.pk).update(status="done")
    engine = use_engine(monkeypatch, ScriptedEngine())
    services.do_transcribe(recording.pk)
    services.do_transcribe(999_999)
    assert engine.calls == []


def test_hot_words_are_enum_values_and_synonyms_only(bot):
    assert services.hot_words(bot) == ["离心泵", "离心式水泵", "潜水泵"]


@pytest.mark.worker
@pytest.mark.slow
def test_real_worker_transcribes_uploads_with_the_tiny_model(client, team, bot, audio, transactional_db, voice_queue):
    client.force_login(team["editor"])
    url = reverse("voice:recording_upload", kwargs={"ws": bot.workspace.slug, "bot": bot.slug})
    client.post(url, {"files": upload(audio, "mono.wav", "stereo.wav")})
    recordings = list(Recording.objects.filter(bot=bot))
    assert len(recordings) == 2
    try:
        wait_until(lambda: all(r.status in ("done", "failed") for r in Recording.objects.filter(bot=bot)), timeout=180)
        mono, stereo = (Recording.objects.get(bot=bot, original_name=n) for n in ("mono.wav", "stereo.wav"))
        assert (mono.status, mono.progress, mono.error) == ("done", 1.0, "")
        assert stereo.status == "done" and stereo.transcribed_at is not None
        assert mono.segments.exists() and stereo.segments.exists()
        # A random model says random things, but the structure is real: ordered, timed, scored segments.
        assert set(mono.segments.values_list("speaker", flat=True)) <= {"unknown"}
        assert set(stereo.segments.values_list("speaker", flat=True)) <= {"agent", "customer"}
        for segment in [*mono.segments.all(), *stereo.segments.all()]:
            assert 0 <= segment.start <= segment.end <= segment.recording.duration + 0.05
            assert 0 <= segment.confidence <= 1 and segment.text
        starts = list(stereo.segments.values_list("start", flat=True))
        assert starts == sorted(starts)
    finally:
        for recording in Recording.objects.filter(bot=bot):
            recording.file.delete(save=False)
