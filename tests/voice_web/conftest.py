"""Fixtures for the recordings pages: audio files made on the spot, a tiny random Whisper, a worker that uses it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from tests.conftest import OUTPUT, ROOT, _wait_for_line
from tests.voice import builders
from voice.audio import float_to_pcm16, parse_wav, pcm16_to_float, resample, wav_bytes

VOICE_QUEUE = "salesstudio-test-voice"
AGENT = "您好，我是工业泵销售顾问，请问您需要什么型号？"
CUSTOMER = "我想问一下离心泵多少钱。"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x03\x00\x08\xfc\x02\xfe\xa7\x9a\xa0\xa0\x00\x00\x00\x00IEND\xaeB`\x82")


def speech(text: str) -> np.ndarray:
    """espeak-ng Mandarin as 16 kHz mono float32."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (Debian package espeak-ng)")
    wav = subprocess.run(["espeak-ng", "-v", "cmn-latn-pinyin", "--stdout", text], check=True,
                         capture_output=True).stdout
    pcm, rate = parse_wav(wav)
    return resample(pcm16_to_float(pcm), rate, 16_000)


@pytest.fixture(scope="session")
def audio(tmp_path_factory) -> dict[str, bytes]:
    """Upload payloads by name: mono and stereo WAV, MP3, a corrupt WAV and a PNG renamed .wav."""
    folder = tmp_path_factory.mktemp("voice-web-audio")
    agent, customer = speech(AGENT), speech(CUSTOMER)
    gap = np.zeros(8000, dtype=np.float32)
    left = np.concatenate([agent, gap, np.zeros_like(customer)])
    right = np.concatenate([np.zeros_like(agent), gap, customer])
    stereo = np.stack([left, right], axis=1).reshape(-1)  # interleaved L R
    files = {
        "mono.wav": wav_bytes(float_to_pcm16(customer), 16_000),
        "stereo.wav": wav_bytes(float_to_pcm16(stereo), 16_000, channels=2),
        "corrupt.wav": b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(400),
        "picture.wav": PNG,
    }
    (folder / "mono.wav").write_bytes(files["mono.wav"])
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(folder / "mono.wav"), "-b:a", "32k",
                    str(folder / "call.mp3")], check=True)
    files["call.mp3"] = (folder / "call.mp3").read_bytes()
    return files


def upload(audio: dict[str, bytes], *names: str, rename: dict[str, str] | None = None) -> list[SimpleUploadedFile]:
    rename = rename or {}
    return [SimpleUploadedFile(rename.get(n, n), audio[n], content_type="application/octet-stream") for n in names]


@pytest.fixture
def bot(team):
    """A bot with intents and slots (one enumeration with synonyms, one number)."""
    bot = factories.make_bot(team["workspace"], "工业泵销售")
    for name in ("询价", "需求确认", "挂断"):
        bot.intents.create(name=name)
    bot.slots.create(name="产品型号", type="enum", values=[{"value": "离心泵", "synonyms": ["离心式水泵"]},
                                                          {"value": "潜水泵", "synonyms": []}])
    bot.slots.create(name="扬程", type="number", unit="米")
    return bot


@pytest.fixture(autouse=True)
def media_root(request, settings, tmp_path):
    """Uploaded files go to a temporary folder, except where a worker process must read them (shared data folder)."""
    if "voice_worker" not in request.fixturenames:
        settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session")
def tiny_asr_model(tmp_path_factory) -> Path:
    return builders.tiny_whisper(tmp_path_factory.mktemp("tiny-whisper"))


@pytest.fixture(scope="session")
def voice_worker(django_db_setup, django_db_blocker, tiny_asr_model):
    """A real `celery worker` process whose ASR_MODEL is the tiny Whisper, consuming its own queue.

    Its own queue, so that the session's general worker (started without ASR_MODEL) never takes these tasks.
    """
    from django.db import connection

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "ASR_MODEL": str(tiny_asr_model),
           "SALESSTUDIO_TEST_DB_NAME": str(connection.settings_dict["NAME"]), "OMP_NUM_THREADS": "1"}
    OUTPUT.mkdir(exist_ok=True)
    log_path = OUTPUT / "celery-voice-worker.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "salesstudio", "worker", "-Q", VOICE_QUEUE, "--concurrency", "1",
             "--loglevel", "INFO", "--without-heartbeat", "--without-mingle", "--without-gossip",
             "--hostname", "voice-test@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    _wait_for_line(log_path, "ready.", proc, timeout=60)
    yield proc
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture
def voice_queue(voice_worker, monkeypatch):
    """Send transcription tasks to the voice worker's queue for the duration of a test."""
    from voice.tasks import transcribe_recording

    task = transcribe_recording._get_current_object()
    monkeypatch.setattr(task, "queue", VOICE_QUEUE, raising=False)
    monkeypatch.setattr(task, "_exec_options", None)
    yield VOICE_QUEUE
    task._exec_options = None
