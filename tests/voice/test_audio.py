"""Probing and decoding by content: good files in every allowed container, corrupt and wrong-type files, stereo."""

from __future__ import annotations

import subprocess
import wave

import numpy as np
import pytest

from voice import audio
from voice.audio import AudioError


@pytest.fixture(scope="module")
def encoded(tone_wav, tmp_path_factory):
    """The stereo tone re-encoded by sox (mp3, flac, ogg) and ffmpeg (m4a, webm)."""
    folder = tmp_path_factory.mktemp("encoded")
    files = {"wav": tone_wav}
    for ext in ("mp3", "flac", "ogg"):
        files[ext] = folder / f"tone.{ext}"
        subprocess.run(["sox", str(tone_wav), str(files[ext])], check=True, capture_output=True)
    for ext, codec in (("m4a", "aac"), ("webm", "libopus")):
        files[ext] = folder / f"tone.{ext}"
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(tone_wav), "-c:a", codec, str(files[ext])],
                       check=True, capture_output=True)
    return files


@pytest.mark.parametrize("fmt", ["wav", "mp3", "flac", "ogg", "m4a", "webm"])
def test_probe_reads_format_and_stream_facts_from_content(encoded, fmt):
    info = audio.probe(encoded[fmt])
    assert info.format == fmt
    assert info.channels == 2
    assert info.sample_rate in (44100, 48000)
    assert info.duration == pytest.approx(1.5, abs=0.1)


@pytest.mark.parametrize("fmt", ["wav", "mp3", "flac", "ogg", "m4a", "webm"])
def test_decode_gives_16k_mono_float32(encoded, fmt):
    samples = audio.decode(encoded[fmt])
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert len(samples) / 16_000 == pytest.approx(1.5, abs=0.1)
    assert 0.05 < np.abs(samples).max() <= 1.0


def test_extension_is_ignored(encoded, tmp_path):
    disguised = tmp_path / "really-an-mp3.wav"
    disguised.write_bytes(encoded["mp3"].read_bytes())
    assert audio.probe(disguised).format == "mp3"


def test_stereo_pieces_keep_agent_left_and_customer_right(tone_wav):
    [(start, block)] = list(audio.decode_chunks(tone_wav, stereo=True))
    assert start == 0.0 and block.shape[0] == 2
    assert np.abs(block[0]).max() > 0.5
    assert np.abs(block[1]).max() < 1e-3


def test_long_audio_is_decoded_in_bounded_pieces_cut_at_pauses(tmp_path):
    rate = 16_000
    rng = np.random.default_rng(0)
    signal = (0.3 * rng.standard_normal(30 * rate)).astype(np.float32)  # 30 s of "speech" with two pauses
    for pause in (7.0, 16.0):
        signal[int(pause * rate):int((pause + 0.4) * rate)] = 0.0
    path = audio.write_wav(tmp_path / "long.wav", signal, rate)
    pieces = list(audio.decode_chunks(path, chunk_s=10))
    starts = [start for start, _ in pieces]
    assert starts[0] == 0.0
    assert starts[1] == pytest.approx(7.0, abs=0.35) and starts[2] == pytest.approx(16.0, abs=0.35)
    assert all(block.shape[1] <= 10 * rate for _, block in pieces)
    assert sum(block.shape[1] for _, block in pieces) == len(audio.decode(path))
    for (start, block), (after, _) in zip(pieces, pieces[1:], strict=False):
        assert start + block.shape[1] / rate == pytest.approx(after)


def test_pieces_of_an_empty_or_corrupt_file_are_refused(tmp_path):
    empty = audio.write_wav(tmp_path / "empty.wav", np.zeros(0, dtype=np.float32), 16_000)
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF" + bytes(range(256)) * 8)
    for path in (empty, garbage):
        with pytest.raises(AudioError):
            list(audio.decode_chunks(path))


def test_png_renamed_wav_is_unsupported(tmp_path):
    fake = tmp_path / "photo.wav"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "color=red:s=8x8", "-frames:v", "1",
                    str(tmp_path / "photo.png")], check=True, capture_output=True)
    fake.write_bytes((tmp_path / "photo.png").read_bytes())
    with pytest.raises(AudioError) as error:
        audio.probe(fake)
    assert error.value.reason in ("unsupported", "no_audio")
    assert error.value.reason in ("unsupported", "no_audio")


def test_text_renamed_wav_is_refused_as_corrupt(tmp_path):
    fake = tmp_path / "notes.wav"
    fake.write_text("客户说下周再联系。\n" * 20, encoding="utf-8")
    with pytest.raises(AudioError) as error:
        audio.probe(fake)
    assert error.value.reason == "corrupt" and "not an audio file" in str(error.value)


def test_random_bytes_are_corrupt():
    rng = np.random.default_rng(0)
    with pytest.raises(AudioError) as error:
        audio.decode(rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    assert error.value.reason in ("corrupt", "unsupported")


def test_wav_header_without_samples_is_empty(tmp_path):
    empty = audio.write_wav(tmp_path / "empty.wav", b"", 16_000)
    with pytest.raises(AudioError):
        audio.decode(empty)


def test_missing_file_is_an_audio_error(tmp_path):
    with pytest.raises(AudioError):
        audio.probe(tmp_path / "nope.wav")


def test_pcm16_round_trip():
    samples = np.array([0.0, 0.5, -0.5, 0.999, -1.0], dtype=np.float32)
    back = audio.pcm16_to_float(audio.float_to_pcm16(samples))
    np.testing.assert_allclose(back, samples, atol=2 / 32768)


def test_pcm16_rejects_odd_byte_count():
    with pytest.raises(ValueError):
        audio.pcm16_to_float(b"\x00\x01\x02")


def test_write_wav_is_16bit_mono(tmp_path):
    path = audio.write_wav(tmp_path / "x.wav", np.zeros(800, dtype=np.float32), 8000)
    with wave.open(str(path)) as handle:
        assert (handle.getnchannels(), handle.getsampwidth(), handle.getframerate(), handle.getnframes()) == (
            1, 2, 8000, 800)


def test_parse_wav_tolerates_streamed_header_sizes():
    pcm = audio.float_to_pcm16(np.linspace(-0.5, 0.5, 100))
    data = bytearray(audio.wav_bytes(pcm, 22050))
    data[4:8] = data[40:44] = b"\xff\xff\xff\x7f"  # what espeak-ng --stdout writes
    assert audio.parse_wav(bytes(data)) == (pcm, 22050)


def test_resample_keeps_duration_and_pitch():
    t = np.arange(22050) / 22050
    out = audio.resample(np.sin(2 * np.pi * 440 * t).astype(np.float32), 22050, 16000)
    assert len(out) == 16000
    spectrum = np.abs(np.fft.rfft(out))
    assert np.argmax(spectrum) == pytest.approx(440, abs=2)


def test_content_sha256_matches_bytes(tmp_path):
    path = tmp_path / "b.bin"
    path.write_bytes(b"salesstudio")
    assert audio.content_sha256(path) == audio.content_sha256(b"salesstudio")
    assert audio.content_sha256(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
