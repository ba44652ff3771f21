"""Soak: mixed traffic against `manage.py serve` on 127.0.0.1 for a bounded time, with the Celery worker killed twice
and sockets dropped (JSON on stdout).

Traffic (loopback only): 20 text calls at a caller's pace (0.5–1.5 s between turns, every fifth call's socket dropped
mid-call without a hang-up), 2 voice calls (espeak-ng speech streamed in real time to the real Whisper base), a
recording uploaded every 45 s (transcribed by the worker), an examples import every 60 s, a training run at the start
and after the second kill, and page views. The Celery worker's main process gets SIGKILL at a third and at two thirds
of the run; `serve` must restart it and the sweeps must fail or re-queue what it held.

Reported: requests and 5xx (target 0), calls lost (started but never closed in the log; target 0), turns lost (answered
on the socket but missing from the log; target 0), jobs stuck after the run (recordings or training runs still active
after a settle time; target 0), peak resident memory per process, and the machine's load.

    nice .venv/bin/python bench/soak.py --minutes 30
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SALESSTUDIO_DATA_DIR", tempfile.mkdtemp(prefix="salesstudio-soak-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesstudio.settings")

import aiohttp  # noqa: E402
import psutil  # noqa: E402
from yarl import URL  # noqa: E402

from bench.calls import SPOKEN, TEXTS, Client, prepare, speech_frames, wait_quiet  # noqa: E402

TEXT_CALLS, VOICE_CALLS, DROP_EVERY = 20, 2, 5
SETTLE_S = 300  # after the traffic stops: how long queued jobs may take to finish before they count as stuck
PAGES = ("", "flow/", "nlu/", "nlu/training/", "voice/recordings/", "calls/", "calls/analytics/", "calls/tester/")


class Stats:
    def __init__(self) -> None:
        self.requests = self.http_5xx = self.turns_sent = self.dropped = self.uploads = self.imports = 0
        self.trainings = 0
        self.calls: dict[int, dict] = {}  # call id → {"answered": turns answered on the socket, "voice": bool}
        self.errors: list[str] = []

    def error(self, where: str, exc: BaseException) -> None:
        self.errors.append(f"{where}: {type(exc).__name__}: {exc}"[:200])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_serve(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "manage.py", "serve", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("serve did not start")


def worker_main(serve: subprocess.Popen) -> psutil.Process | None:
    children = psutil.Process(serve.pid).children()
    return next((p for p in children if "celery" in " ".join(p.cmdline())), None)


async def answered(client: Client) -> bool:
    """Events up to the turn's latency event; True when the turn ended the call (its `node` event listens no more)."""
    ended = False
    while True:
        message = await client.ws.receive(timeout=120)
        if message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.ERROR):
            raise RuntimeError("socket closed before the turn was answered")
        if message.type != aiohttp.WSMsgType.TEXT:
            continue
        event = json.loads(message.data)
        if event["type"] == "error":
            raise RuntimeError(event["message"])
        ended = ended or (event["type"] == "node" and event.get("listen") is None)
        if event["type"] == "latency":
            return ended


async def text_caller(make, bot: str, stats: Stats, stop_at: float) -> None:  # noqa: ANN001
    for number in itertools.count(1):
        if time.monotonic() >= stop_at:
            return
        drop = number % DROP_EVERY == 0
        try:
            async with make() as client:
                await client.ws.send_json({"type": "start", "bot": bot, "version": 1, "mode": "text"})
                call = stats.calls.setdefault((await client.until("started"))["call"], {"answered": 0, "voice": False})
                ended = await answered(client)
                for index, text in enumerate(TEXTS):
                    if ended:
                        break
                    if drop and index == len(TEXTS) // 2:
                        stats.dropped += 1
                        break  # the socket closes without a hang-up
                    await asyncio.sleep(random.uniform(0.5, 1.5))
                    stats.turns_sent += 1
                    await client.ws.send_json({"type": "text", "text": text})
                    ended = await answered(client)
                    call["answered"] += 1
                if not drop or ended:
                    if not ended:
                        await client.ws.send_json({"type": "hangup"})
                    await client.until("end")
        except (TimeoutError, RuntimeError, aiohttp.ClientError) as exc:
            stats.error("text call", exc)
            await asyncio.sleep(1)


async def voice_caller(make, bot: str, stats: Stats, stop_at: float, utterances: list[list[bytes]]) -> None:  # noqa: ANN001
    silence = [b"\0" * 640] * 60
    while time.monotonic() < stop_at:
        try:
            async with make() as client:
                await client.ws.send_json({"type": "start", "bot": bot, "version": 1, "mode": "voice"})
                call = stats.calls.setdefault((await client.until("started"))["call"], {"answered": 0, "voice": True})
                ended = await answered(client)
                for frames in utterances:
                    if ended:
                        break
                    await wait_quiet(client)  # the caller lets the bot finish speaking
                    stats.turns_sent += 1
                    for frame in frames + silence:  # in real time, as a microphone sends
                        await client.ws.send_bytes(frame)
                        await asyncio.sleep(0.02)
                    ended = await answered(client)
                    call["answered"] += 1
                if not ended:
                    await client.ws.send_json({"type": "hangup"})
                await client.until("end")
        except (TimeoutError, RuntimeError, aiohttp.ClientError) as exc:
            stats.error("voice call", exc)
            await asyncio.sleep(1)


async def request(session: aiohttp.ClientSession, stats: Stats, method: str, url: str, **kwargs) -> None:
    stats.requests += 1
    try:
        async with session.request(method, url, **kwargs) as response:
            await response.read()
            stats.http_5xx += response.status >= 500
    except (TimeoutError, aiohttp.ClientError) as exc:
        stats.error(f"{method} {url}", exc)


async def browse(session, base: str, stats: Stats, stop_at: float) -> None:  # noqa: ANN001
    for page in itertools.cycle(PAGES):
        if time.monotonic() >= stop_at:
            return
        await request(session, stats, "GET", base + page)
        await asyncio.sleep(0.5)


def csrf(session: aiohttp.ClientSession, base: str) -> dict:
    return {"X-CSRFToken": session.cookie_jar.filter_cookies(URL(base)).get("csrftoken").value}


async def uploads_and_imports(session, base: str, stats: Stats, stop_at: float, pcm: bytes) -> None:  # noqa: ANN001
    from voice.audio import wav_bytes

    began = time.monotonic()
    for tick in itertools.count():
        if time.monotonic() >= stop_at:
            return
        headers = csrf(session, base)
        if tick % 3 == 0:  # a different file each time: the same content twice is refused as a duplicate
            form = aiohttp.FormData()
            form.add_field("files", wav_bytes(pcm + b"\0" * 640 * tick, 16_000), filename=f"soak-{tick}.wav",
                           content_type="audio/wav")
            await request(session, stats, "POST", base + "voice/recordings/upload/", data=form, headers=headers)
            stats.uploads += 1
        if tick % 4 == 0:
            rows = f"text,intent\n请问{tick}号能发货吗,物流查询\n{tick}台多少钱,询价\n".encode()
            form = aiohttp.FormData()
            form.add_field("file", rows, filename=f"soak-{tick}.csv", content_type="text/csv")
            await request(session, stats, "POST", base + "nlu/examples/import/", data=form, headers=headers)
            stats.imports += 1
        await asyncio.sleep(max(0.0, began + (tick + 1) * 15 - time.monotonic()))


async def train(session, base: str, stats: Stats) -> None:  # noqa: ANN001
    await request(session, stats, "POST", base + "nlu/training/", data={"epochs": "2"}, headers=csrf(session, base))
    stats.trainings += 1


async def chaos(serve: subprocess.Popen, session, base: str, stats: Stats, began: float, seconds: float,  # noqa: ANN001
                kills: list[dict]) -> None:
    for share in (1 / 3, 2 / 3):
        await asyncio.sleep(max(0.0, began + share * seconds - time.monotonic()))
        worker = worker_main(serve)
        if worker is not None:
            worker.send_signal(signal.SIGKILL)
            kills.append({"at_s": round(time.monotonic() - began), "pid": worker.pid})
    await train(session, base, stats)


async def sample_memory(serve: subprocess.Popen, peaks: dict[str, float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for proc in [psutil.Process(serve.pid)] + psutil.Process(serve.pid).children(recursive=True):
            try:
                cmd = " ".join(proc.cmdline())
                name = "celery" if "celery" in cmd else "daphne" if "daphne" in cmd else "serve"
                peaks[name] = max(peaks.get(name, 0.0), proc.memory_info().rss / 2**20)
            except psutil.NoSuchProcess:
                continue
        await asyncio.sleep(5)


async def traffic(serve: subprocess.Popen, port: int, ws_slug: str, bot: str, cookie: str, seconds: float) -> dict:
    stats, kills, peaks, stop = Stats(), [], {}, asyncio.Event()
    base = f"http://127.0.0.1:{port}/w/{ws_slug}/bots/{bot}/"
    jar = aiohttp.CookieJar(unsafe=True)
    jar.update_cookies({"sessionid": cookie.split("=", 1)[1]})
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=120)) as session:
        await request(session, stats, "GET", base + "nlu/")  # sets the CSRF cookie
        url = f"ws://127.0.0.1:{port}/ws/w/{ws_slug}/call/"
        headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"}

        def make() -> Client:
            return Client(session, url, headers)

        began = time.monotonic()
        stop_at = began + seconds
        utterances = [speech_frames(text) for text in SPOKEN]
        memory = asyncio.ensure_future(sample_memory(serve, peaks, stop))
        await train(session, base, stats)
        await asyncio.gather(
            *(text_caller(make, bot, stats, stop_at) for _ in range(TEXT_CALLS)),
            *(voice_caller(make, bot, stats, stop_at, utterances) for _ in range(VOICE_CALLS)),
            browse(session, base, stats, stop_at),
            uploads_and_imports(session, base, stats, stop_at, b"".join(itertools.chain.from_iterable(utterances))),
            chaos(serve, session, base, stats, began, seconds, kills))
        stop.set()
        await memory
    return {"stats": stats, "kills": kills, "peak_rss_mb": {k: round(v) for k, v in sorted(peaks.items())}}


def audit(stats: Stats) -> dict:
    """What the log holds after the run: calls never closed, answered turns missing, jobs still active."""
    from django.db.models import Count

    from calls.models import Call
    from nlu.models import TrainingRun
    from voice.models import Recording

    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline and (Recording.objects.filter(status__in=Recording.ACTIVE).exists()
                                           or TrainingRun.objects.filter(status__in=TrainingRun.ACTIVE).exists()):
        time.sleep(5)
    logged = {c.pk: c for c in Call.objects.filter(pk__in=list(stats.calls))}
    open_calls = [pk for pk in stats.calls if pk not in logged or logged[pk].ended_at is None]
    turns_lost = sum(max(0, seen["answered"] - logged[pk].turns.filter(event="user").count())
                     for pk, seen in stats.calls.items() if pk in logged)
    return {"calls_lost": len(open_calls), "turns_lost": turns_lost,
            "jobs_stuck": Recording.objects.filter(status__in=Recording.ACTIVE).count()
            + TrainingRun.objects.filter(status__in=TrainingRun.ACTIVE).count(),
            "recordings": dict(Recording.objects.values_list("status").annotate(n=Count("id"))),
            "training_runs": list(TrainingRun.objects.values_list("status", flat=True))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    args = parser.parse_args()
    from django.core.management import call_command

    ws_slug, bot, cookie = prepare()
    call_command("prepare_models", verbosity=0)
    port = free_port()
    serve = start_serve(port)
    load_before = os.getloadavg()
    try:
        ran = asyncio.run(traffic(serve, port, ws_slug, bot, cookie, args.minutes * 60))
        audited = audit(ran["stats"])
        serve_alive = serve.poll() is None
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
    stats = ran["stats"]
    print(json.dumps({
        "minutes": args.minutes, "requests": stats.requests, "http_5xx": stats.http_5xx,
        "calls": len(stats.calls), "voice_calls": sum(c["voice"] for c in stats.calls.values()),
        "turns_sent": stats.turns_sent, "turns_answered": sum(c["answered"] for c in stats.calls.values()),
        "sockets_dropped": stats.dropped, "uploads": stats.uploads, "imports": stats.imports,
        "trainings_started": stats.trainings, "worker_kills": ran["kills"], "serve_alive": serve_alive, **audited,
        "client_errors": len(stats.errors), "first_client_errors": stats.errors[:5],
        "peak_rss_mb": ran["peak_rss_mb"], "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
    }, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
