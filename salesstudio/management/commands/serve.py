"""Run the ASGI server and a Celery worker together; Ctrl-C (or SIGTERM) stops both.

The worker is supervised: when it dies (a crash, the OOM killer, kill -9) it is started again after a back-off that
doubles up to a minute while it keeps dying young, and the web server goes on serving. Only the web server's own
exit ends `serve`.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

RESTART_DELAYS = (1, 2, 4, 8, 16, 32, 60)
HEALTHY_AFTER = 60  # seconds a worker must live for the back-off to start again from the first delay


class Supervised:
    """A child process that is restarted when it exits, with a growing delay while it keeps exiting early."""

    def __init__(self, cmd: list[str], name: str, log) -> None:
        self.cmd, self.name, self.log = cmd, name, log
        self.failures = 0
        self.restart_at: float | None = None
        self.proc = _start(cmd)
        self.started = time.monotonic()

    def check(self) -> None:
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.proc, self.started, self.restart_at = _start(self.cmd), now, None
            return
        if self.proc.poll() is None:
            return
        self.failures = 0 if now - self.started > HEALTHY_AFTER else self.failures + 1
        delay = RESTART_DELAYS[min(self.failures, len(RESTART_DELAYS) - 1)]
        self.log(f"The {self.name} exited with code {self.proc.returncode}; restarting it in {delay} s.")
        self.restart_at = now + delay


class Command(BaseCommand):
    help = "Start daphne on HOST:PORT and a supervised Celery worker; stop both on Ctrl-C."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="Only the web server (workers run elsewhere).")

    def handle(self, *args, host: str, port: int, no_worker: bool, **options) -> None:
        server = _start([sys.executable, "-m", "daphne", "-b", host, "-p", str(port), "salesstudio.asgi:application"])
        worker = None if no_worker else Supervised([
            sys.executable, "-m", "celery", "-A", "salesstudio", "worker", "--loglevel", "INFO",
            "--concurrency", str(settings.CELERY_WORKER_CONCURRENCY), "-O", "fair",
        ], "Celery worker", lambda line: self.stderr.write(line))
        self.stdout.write(self.style.SUCCESS(f"SalesStudio is running on http://{host}:{port}/ (Ctrl-C stops it)"))
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and server.poll() is None:
            if worker:
                worker.check()
            time.sleep(0.3)
        _stop([server] + ([worker.proc] if worker else []))
        if not stopping and server.returncode not in (0, -signal.SIGTERM, -signal.SIGINT):
            sys.exit(f"the web server exited with code {server.returncode}")


def _start(cmd: list[str]) -> subprocess.Popen:
    # Own process group: the terminal's Ctrl-C reaches only us, and we stop the children in order.
    return subprocess.Popen(cmd, start_new_session=True)


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
