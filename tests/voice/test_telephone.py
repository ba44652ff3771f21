"""Telephone audio (voice.telephone): G.711 μ-law bit for bit as the standard library encodes it, rate conversion that
keeps a tone's pitch and level, frames converted one at a time exactly as a whole signal, line formats refused with
the reason."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from voice.telephone import LineCodec, LineFormat, LineFormatError, mulaw_decode, mulaw_encode

ALL_SAMPLES = np.arange(-32768, 32768, dtype=np.int16)


def reference_audioop():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pytest.importorskip("audioop")  # deprecated, gone in Python 3.13: the reference while it is there


def test_mulaw_is_g711_bit_for_bit():
    audioop = reference_audioop()
    assert mulaw_encode(ALL_SAMPLES) == audioop.lin2ulaw(ALL_SAMPLES.tobytes(), 2)
    codes = bytes(range(256))
    assert mulaw_decode(codes).tobytes() == audioop.ulaw2lin(codes, 2)


def test_mulaw_keeps_a_signal_within_its_quantisation_step():
    linear = ALL_SAMPLES.astype(np.int32)
    error = np.abs(mulaw_decode(mulaw_encode(ALL_SAMPLES)).astype(np.int32) - linear)
    assert error[np.abs(linear) < 100].max() <= 8  # fine steps near silence
    loud = (np.abs(linear) > 1000) & (np.abs(linear) < 32000)  # (the loudest code stops at 32,124)
    assert (error[loud] / np.abs(linear[loud])).max() < 0.04  # ~3 % when loud


def tone(hz: float, rate: int, seconds: float = 1.0, level: float = 10_000) -> np.ndarray:
    return (np.sin(2 * np.pi * hz * np.arange(int(rate * seconds)) / rate) * level).astype(np.int16)


def peak(samples: np.ndarray, rate: int) -> tuple[float, float]:
    """(frequency of the strongest component, its amplitude), skipping the filter's first 10 ms."""
    body = samples[rate // 100:].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(body)) * 2 / len(body)
    return np.argmax(spectrum) * rate / len(body), spectrum.max()


@pytest.mark.parametrize("encoding", ["mulaw", "pcm16"])
def test_a_phone_lines_tone_reaches_the_pipeline_at_16_khz_with_its_pitch_and_level(encoding):
    codec, line = LineCodec(LineFormat(encoding, 8000)), tone(1000, 8000)
    sent = mulaw_encode(line) if encoding == "mulaw" else line.tobytes()
    frame = LineFormat(encoding, 8000).frame_bytes
    heard = np.frombuffer(b"".join(codec.to_pipeline(sent[i:i + frame]) for i in range(0, len(sent), frame)), "<i2")
    assert len(heard) == 16_000
    hz, level = peak(heard, 16_000)
    assert hz == pytest.approx(1000, abs=2) and level == pytest.approx(10_000, rel=0.05)


def test_the_bots_audio_goes_back_at_8_khz_without_what_8_khz_cannot_carry():
    codec = LineCodec(LineFormat("pcm16", 8000))
    speech, hiss = tone(700, 16_000), tone(6000, 16_000, level=5000)
    pcm = (speech.astype(np.int32) + hiss).astype(np.int16).tobytes()
    out = np.frombuffer(b"".join(codec.to_line(pcm[i:i + 3200]) for i in range(0, len(pcm), 3200)), "<i2")
    assert len(out) == 8000
    hz, level = peak(out, 8000)
    assert hz == pytest.approx(700, abs=2) and level == pytest.approx(10_000, rel=0.05)
    spectrum = np.abs(np.fft.rfft(out[80:].astype(float))) * 2 / len(out[80:])
    assert spectrum.max() == pytest.approx(spectrum[round(700 * len(out[80:]) / 8000)], rel=0.01)
    assert spectrum[round(2000 * len(out[80:]) / 8000):].max() < 500  # 6 kHz did not fold down to 2 kHz


def test_frames_of_any_size_convert_exactly_as_the_whole_signal():
    pcm = tone(440, 16_000, 0.5).tobytes() + tone(880, 16_000, 0.5).tobytes()
    whole = LineCodec(LineFormat("mulaw", 8000)).to_line(pcm)
    codec, pieces, at = LineCodec(LineFormat("mulaw", 8000)), [], 0
    for size in [3200, 2, 1598, 3202, 6] * 100:  # odd sample counts too: the 2:1 phase carries over
        pieces.append(codec.to_line(pcm[at:at + size]))
        at += size
        if at >= len(pcm):
            break
    assert b"".join(pieces) == whole


def test_the_pipelines_own_format_passes_untouched():
    codec, frame = LineCodec(LineFormat()), bytes(range(256)) * 2 + bytes(128)
    assert codec.to_pipeline(frame) is frame and codec.to_line(frame) is frame
    assert LineFormat().frame_bytes == 640 and LineFormat("mulaw", 8000).frame_bytes == 160


@pytest.mark.parametrize("data", [{"encoding": "alaw"}, {"rate": 44100}, {"rate": "8000"}, {"rate": True},
                                  {"encoding": "mulaw", "channels": 2}, "mulaw", [8000]])
def test_a_format_the_call_cannot_take_is_refused_with_what_it_can(data):
    with pytest.raises(LineFormatError, match="pcm16.*mulaw.*8000 or 16000"):
        LineFormat.parse(data)


def test_a_missing_format_is_the_pipelines_own():
    assert LineFormat.parse(None) == LineFormat() and LineFormat.parse({"encoding": "mulaw", "rate": 8000}).rate == 8000
