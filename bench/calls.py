"""Live call benchmark against a real daphne server on 127.0.0.1 (JSON on stdout).

Parts (select with --only, repeatable):
- text: 1, 10, 50 and 200 concurrent text calls of 10 turns each through one server process; per-turn latency seen
  by the client (text sent → the turn's latency event) as p50/p95, the server's own per-stage figures, errors and
  turns per second. Target: p95 ≤ 50 ms at 50 concurrent calls. Twice: "text" sends each turn as soon as the
  previous one is answered (a stress test: the load generator shares the server's two cores), "text_paced" waits
  0.5–1.5 s between turns, as a person on the phone does.
- voice: 1 and 4 (`--voice-levels`) concurrent voice calls with the real Whisper base and the configured voice (the
  neural Mandarin voice when prepared in the data folder, else espeak-ng); the caller's speech (espeak-ng) is
  streamed in real time as 20 ms frames; from the last frame of speech sent to the first frame of bot audio received,
  with the server's per-stage breakdown, and the time from "start" to the first audio of the greeting.
  Target with one call: p50 ≤ 1.0 s, p95 ≤ 1.5 s. `--training-niceness N` (repeatable) measures it again with the
  demo bot's model training beside the server (`manage.py nlu_train`, the work a Celery worker does) at that
  niceness: 0 is what the embedded default did before, 10 is `WORKER_NICENESS`.

The demo bot is imported into a fresh workspace (its flow with max_retries raised to 10, so that ten unmatched turns
do not end the call; no NLU model is trained: the example phrases and the lexicon answer). Each call first types 是的
(a text turn) to reach 询问扬程, so that how the examples understand a first spoken answer cannot end the call. Uses
DATABASE_URL when set, else SQLite in the data folder (SALESSTUDIO_DATA_DIR, default a folder under /tmp).

    nice .venv/bin/python bench/calls.py --only text
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SALESSTUDIO_DATA_DIR", str(Path(tempfile.gettempdir()) / "salesstudio-bench-calls"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesstudio.settings")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import aiohttp  # noqa: E402
import numpy as np  # noqa: E402

PARTS = ("text", "voice")
THINK_S = (0.5, 1.5)  # a caller's pause between turns in the paced run
TEXT_LEVELS = (1, 10, 50, 200)
VOICE_LEVELS = (1, 4)
TURNS = 10
TEXTS = ("扬程五十米", "大概三台", "预算两万五", "你们有现货吗", "下周三要", "流量每小时三十方", "嗯", "是的",
         "能便宜点吗", "我再想想")
SPOKEN = ("扬程五十米", "我们要三台", "预算两万五")


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


def summary(values: list[float]) -> dict:
    return {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95), "n": len(values)}


def prepare() -> tuple[str, str, str]:
    """Migrate, import the demo bot, log a user in: (workspace slug, bot slug, session cookie)."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from flows import bundles
    from salesstudio import services

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user(f"bench{time.time_ns()}", password="bench-only")
    workspace = services.do_create_workspace(f"bench {user.username}", user)
    bundle = bundles.load_demo_bundle()
    bundle["flow"]["settings"]["max_retries"] = 10  # the most the compiler accepts
    bot = bundles.do_import_bot(workspace, bundle, user)
    session = SessionStore()
    session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: user.get_session_auth_hash()})
    session.create()
    return workspace.slug, bot.slug, f"sessionid={session.session_key}"


def start_server() -> tuple[subprocess.Popen, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                             "salesstudio.asgi:application"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=open(Path(os.environ["SALESSTUDIO_DATA_DIR"]) / "daphne.log", "w"))  # noqa: SIM115
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("daphne did not start")


class Client:
    def __init__(self, session: aiohttp.ClientSession, url: str, headers: dict) -> None:
        self.session, self.url, self.headers = session, url, headers

    async def __aenter__(self) -> Client:
        self.ws = await self.session.ws_connect(self.url, headers=self.headers, max_msg_size=0)
        return self

    async def __aexit__(self, *exc) -> None:  # noqa: ANN002
        await self.ws.close()

    async def until(self, kind: str) -> dict:
        """JSON events up to the first of `kind` (returned); binary audio is skipped."""
        while True:
            message = await self.ws.receive(timeout=120)
            if message.type == aiohttp.WSMsgType.TEXT:
                event = json.loads(message.data)
                if event["type"] == kind:
                    return event
                if event["type"] == "error":
                    raise RuntimeError(event["message"])
            elif message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.ERROR):
                raise RuntimeError(f"socket closed before a {kind} event")


async def text_call(make: callable, bot: str, results: dict, think: tuple[float, float] | None) -> None:
    try:
        async with make() as client:
            await client.ws.send_json({"type": "start", "bot": bot, "version": 1, "mode": "text"})
            await client.until("latency")
            for text in TEXTS[:TURNS]:
                if think:
                    await asyncio.sleep(random.uniform(*think))
                sent = time.perf_counter()
                await client.ws.send_json({"type": "text", "text": text})
                latency = await client.until("latency")
                results["client"].append((time.perf_counter() - sent) * 1000)
                for stage, ms in latency["stages"].items():
                    results.setdefault(stage, []).append(ms)
                results["server_total"].append(latency["total"])
            await client.ws.send_json({"type": "hangup"})
            await client.until("end")
    except (TimeoutError, RuntimeError, aiohttp.ClientError) as exc:
        results["errors"].append(str(exc)[:200])


async def run_text(make: callable, bot: str, think: tuple[float, float] | None = None) -> dict:
    out = {}
    for level in TEXT_LEVELS:
        results = {"client": [], "server_total": [], "errors": []}
        began = time.perf_counter()
        await asyncio.gather(*(text_call(make, bot, results, think) for _ in range(level)))
        elapsed = time.perf_counter() - began
        out[str(level)] = {"turn_ms": summary(results["client"]), "server_total_ms": summary(results["server_total"]),
                           "stages_ms": {s: summary(results[s]) for s in ("nlu", "flow") if s in results},
                           "errors": len(results["errors"]), "first_errors": results["errors"][:3],
                           "turns_per_s": round(len(results["client"]) / elapsed, 1)}
    return out


def speech_frames(text: str) -> list[bytes]:
    from voice.audio import float_to_pcm16, pcm16_to_float, resample
    from voice.tts import EspeakEngine

    pcm, rate = EspeakEngine().synthesize_sentence(text, voice=None, rate=None, pitch=None)
    audio = resample(pcm16_to_float(pcm), rate, 16_000)
    loud = np.flatnonzero(np.abs(audio) > 0.02)
    # Without espeak-ng's own leading and trailing silence: the last frame sent is the end of the words.
    data = float_to_pcm16(audio[loud[0]:loud[-1] + 1])
    data += b"\0" * (-len(data) % 640)
    return [data[i:i + 640] for i in range(0, len(data), 640)]


async def wait_quiet(client: Client, quiet_s: float = 0.8) -> int:
    """Drain bot audio until none arrives for `quiet_s` plus what is still to be played; return bytes received."""
    received, playback_end, last = 0, time.perf_counter(), None
    while True:
        timeout = max(playback_end - time.perf_counter(), 0) + quiet_s
        try:
            message = await client.ws.receive(timeout=timeout)
        except TimeoutError:
            return received
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            raise RuntimeError(f"the server closed the call's socket after {last}")
        if message.type == aiohttp.WSMsgType.TEXT and json.loads(message.data)["type"] in ("error", "end"):
            last = json.loads(message.data)
        if message.type == aiohttp.WSMsgType.BINARY:
            received += len(message.data)
            playback_end = max(playback_end, time.perf_counter()) + len(message.data) / 32_000


async def voice_call(make: callable, bot: str, utterances: list[list[bytes]], results: dict) -> None:
    silence = b"\0" * 640
    try:
        async with make() as client:
            sent = time.perf_counter()
            await client.ws.send_json({"type": "start", "bot": bot, "version": 1, "mode": "voice"})
            while (await client.ws.receive(timeout=120)).type != aiohttp.WSMsgType.BINARY:
                pass
            results["first_audio"].append((time.perf_counter() - sent) * 1000)
            await wait_quiet(client)
            await client.ws.send_json({"type": "text", "text": "是的"})  # to 询问扬程, where the spoken answers fit
            await wait_quiet(client)
            for frames in utterances:
                clock = time.perf_counter()
                for n, frame in enumerate(frames):
                    await client.ws.send_bytes(frame)
                    await asyncio.sleep(max(clock + (n + 1) * 0.02 - time.perf_counter(), 0))
                last_speech = time.perf_counter()
                await asyncio.gather(send_silence(client, silence), first_reply(client, last_speech, results))
                await wait_quiet(client)
            await client.ws.send_json({"type": "hangup"})
    except (TimeoutError, RuntimeError, aiohttp.ClientError) as exc:
        results["errors"].append(str(exc)[:200])


async def send_silence(client: Client, silence: bytes, seconds: float = 1.0) -> None:
    clock = time.perf_counter()
    for n in range(int(seconds / 0.02)):
        await client.ws.send_bytes(silence)
        await asyncio.sleep(max(clock + (n + 1) * 0.02 - time.perf_counter(), 0))


async def first_reply(client: Client, last_speech: float, results: dict) -> None:
    """From the last speech frame sent to the first bot audio received; the turn's stage figures."""
    while True:
        message = await client.ws.receive(timeout=120)
        if message.type == aiohttp.WSMsgType.BINARY:
            results["reply"].append((time.perf_counter() - last_speech) * 1000)
            return
        if message.type == aiohttp.WSMsgType.TEXT:
            event = json.loads(message.data)
            if event["type"] == "latency":
                for stage, ms in event["stages"].items():
                    results.setdefault(stage, []).append(ms)
            elif event["type"] == "error":
                raise RuntimeError(event["message"])
        else:
            raise RuntimeError("socket closed during a voice turn")


async def run_voice(make: callable, bot: str, levels: tuple[int, ...] = VOICE_LEVELS) -> dict:
    utterances = [speech_frames(text) for text in SPOKEN]
    out = {}
    for level in levels:
        results = {"first_audio": [], "reply": [], "errors": []}
        await asyncio.gather(*(voice_call(make, bot, utterances, results) for _ in range(level)))
        out[str(level)] = {"speech_end_to_bot_audio_ms": summary(results["reply"]),
                           "start_to_greeting_audio_ms": summary(results["first_audio"]),
                           "stages_ms": {s: summary(results[s]) for s in ("vad", "asr", "nlu", "flow", "tts")
                                         if s in results},
                           "errors": len(results["errors"]), "first_errors": results["errors"][:3]}
    return out


def main(parts: list[str], training_niceness: list[int], voice_levels: tuple[int, ...] = VOICE_LEVELS) -> dict:
    ws, bot, cookie = prepare()
    if "voice" in parts:  # the first call would otherwise pay for preparing Whisper base
        from django.conf import settings

        from voice.asr import resolve_asr_model

        resolve_asr_model(settings.ASR_MODEL, settings.DATA_DIR)
    if training_niceness:
        from django.core.management import call_command

        call_command("prepare_models", verbosity=0, stdout=io.StringIO())  # stdout is the report's
    proc, port = start_server()
    url, headers = f"ws://127.0.0.1:{port}/ws/w/{ws}/call/", {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"}
    try:
        report = asyncio.run(measure(parts, url, bot, headers, voice_levels))
        for niceness in training_niceness:
            trainer = start_training(ws, bot, niceness)
            try:
                time.sleep(20)  # past loading the base model: training proper
                report[f"voice_training_nice_{niceness}"] = asyncio.run(
                    measure(["voice"], url, bot, headers, voice_levels))["voice"]
            finally:
                trainer.kill()
                trainer.wait(timeout=30)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"cpu_count": os.cpu_count(), "load_average": round(os.getloadavg()[0], 1), **report}


def start_training(ws: str, bot: str, niceness: int) -> subprocess.Popen:
    """The demo bot's model training at `niceness`, as a worker runs it (enough epochs to outlast a measurement)."""
    from salesstudio.models import Workspace

    name = Workspace.objects.get(slug=ws).name
    return subprocess.Popen([sys.executable, "manage.py", "nlu_train", bot, "--workspace", name, "--epochs", "200",
                             "--no-activate"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=lambda: os.nice(niceness))


async def measure(parts: list[str], url: str, bot: str, headers: dict, voice_levels: tuple[int, ...]) -> dict:
    report: dict = {}
    async with aiohttp.ClientSession() as session:
        def make() -> Client:
            return Client(session, url, headers)

        if "voice" in parts:
            # Warm-up: the first call loads Whisper base and fills the TTS cache.
            await voice_call(make, bot, [speech_frames(SPOKEN[0])], {"first_audio": [], "reply": [], "errors": []})
            report["voice"] = await run_voice(make, bot, voice_levels)
        if "text" in parts:
            report["text"] = await run_text(make, bot)
            report["text_paced"] = await run_text(make, bot, think=THINK_S)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=PARTS, help="run only this part (repeatable)")
    parser.add_argument("--training-niceness", action="append", type=int, default=[],
                        help="measure the voice calls again with a training run beside them at this niceness")
    parser.add_argument("--voice-levels", type=int, nargs="+", default=list(VOICE_LEVELS),
                        help="how many simultaneous voice calls to measure (default 1 4)")
    args = parser.parse_args()
    print(json.dumps(main(args.only or list(PARTS), args.training_niceness, tuple(args.voice_levels)),
                     ensure_ascii=False, indent=2))
