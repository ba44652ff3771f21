"""Streaming end-of-speech detection on espeak-ng speech framed as a live call would send it."""

from __future__ import annotations

import numpy as np
import pytest

from voice.audio import float_to_pcm16
from voice.vad import FRAME_BYTES, EndpointDetector, VadEvent


def frames(audio: np.ndarray) -> list[bytes]:
    pcm = float_to_pcm16(audio)
    pcm += b"\x00" * (-len(pcm) % FRAME_BYTES)
    return [pcm[i:i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES)]


def run(detector: EndpointDetector, audio: np.ndarray) -> list[tuple[VadEvent, float]]:
    """Events with the stream time at which each was emitted."""
    out = []
    for index, frame in enumerate(frames(audio)):
        event = detector.push(frame)
        if event is not None:
            out.append((event, (index + 1) * 0.02))
    return out


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * 16_000), dtype=np.float32)


def test_speech_then_silence_gives_start_then_end(speech_16k):
    speech_seconds = len(speech_16k) / 16_000
    events = run(EndpointDetector(silence_ms=500), np.concatenate([silence(1.0), speech_16k, silence(1.5)]))
    kinds = [event.kind for event, _ in events]
    assert kinds == ["speech_start", "speech_end"]
    (start, _), (end, emitted_at) = events
    assert start.time == pytest.approx(1.0, abs=0.25)
    assert end.time == pytest.approx(1.0 + speech_seconds, abs=0.4)
    assert emitted_at - end.time == pytest.approx(0.5, abs=0.1)


def test_pauses_shorter_than_the_threshold_do_not_end_the_turn(speech_16k):
    half = len(speech_16k) // 2
    audio = np.concatenate([speech_16k[:half], silence(0.3), speech_16k[half:], silence(1.5)])
    kinds = [event.kind for event, _ in run(EndpointDetector(silence_ms=800), audio)]
    assert kinds == ["speech_start", "speech_end"]


def test_silence_and_hum_give_no_event():
    t = np.arange(32_000) / 16_000
    hum = 0.05 * np.sin(2 * np.pi * 50 * t).astype(np.float32)
    assert run(EndpointDetector(), np.concatenate([silence(1.0), hum])) == []


def test_reset_restarts_the_clock(speech_16k):
    detector = EndpointDetector(silence_ms=300)
    run(detector, np.concatenate([speech_16k, silence(1.0)]))
    detector.reset()
    events = run(detector, np.concatenate([silence(0.5), speech_16k, silence(1.0)]))
    assert events[0][0].kind == "speech_start"
    assert events[0][0].time == pytest.approx(0.5, abs=0.25)


def test_frames_must_be_20ms():
    with pytest.raises(ValueError, match="640"):
        EndpointDetector().push(b"\x00" * 320)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        EndpointDetector(silence_ms=0)


def test_a_caller_who_never_pauses_is_cut_at_the_maximum_length(speech_16k):
    # The tester's looping fake microphone: speech that never stops for long enough to end the turn.
    looped = np.concatenate([speech_16k] * 8)
    seconds = len(looped) / 16_000
    assert seconds > 4
    events = run(EndpointDetector(silence_ms=800, max_speech_ms=2_000), looped)
    kinds = [event.kind for event, _ in events]
    assert kinds[:2] == ["speech_start", "speech_end"]
    (start, _), (end, emitted_at) = events[:2]
    assert end.time - start.time == pytest.approx(2.0, abs=0.05)
    assert emitted_at - end.time < 0.1  # answered at once, not after a pause that never comes
    assert "speech_start" in kinds[2:]  # speech that goes on starts the next utterance
