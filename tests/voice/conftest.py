"""Fixtures for the voice core: audio files generated on the spot, tiny random models built through real code."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.voice import builders
from voice.audio import resample
from voice.tts import EspeakEngine

SENTENCE = "您好，我是工业泵销售顾问。请问您现在方便说话吗？"


@pytest.fixture(scope="session")
def tone_wav(tmp_path_factory) -> Path:
    """1.5 s stereo 44.1 kHz WAV: 440 Hz on the left (agent), silence on the right (customer)."""
    path = tmp_path_factory.mktemp("audio") / "tone.wav"
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", str(path), "synth", "1.5", "sine", "440", "remix", "1",
                    "0"], check=True, capture_output=True)
    return path


@pytest.fixture(scope="session")
def espeak() -> EspeakEngine:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (Debian package espeak-ng)")
    return EspeakEngine()


@pytest.fixture(scope="session")
def speech_16k(espeak) -> np.ndarray:
    """The espeak-ng Mandarin sentence as 16 kHz mono float32."""
    pcm, rate = espeak.synthesize_sentence(SENTENCE, voice=None, rate=None, pitch=None)
    audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    return resample(audio, rate, 16_000)


@pytest.fixture(scope="session")
def tiny_whisper(tmp_path_factory) -> Path:
    return builders.tiny_whisper(tmp_path_factory.mktemp("tiny-whisper"))


@pytest.fixture(scope="session")
def tiny_vits(tmp_path_factory) -> Path:
    return builders.tiny_vits(tmp_path_factory.mktemp("tiny-vits"))
