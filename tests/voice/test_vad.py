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
