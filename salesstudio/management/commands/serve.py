"""Run the ASGI server and a Celery worker together; Ctrl-C (or SIGTERM) stops both."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start daphne on HOST:PORT and a Celery worker; stop both on Ctrl-C."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="Only the web server (workers run elsewhere).")

    def handle(self, *args, host: str, port: int, no_worker: bool, **options) -> None:
        procs = [self._start([sys.executable, "-m", "daphne", "-b", host, "-p", str(port), "salesstudio.asgi:application"])]
        if not no_worker:
            procs.append(self._start([
                sys.executable, "-m", "celery", "-A", "salesstudio", "worker", "--loglevel", "INFO",
                "--concurrency", str(settings.CELERY_WORKER_CONCURRENCY), "-O", "fair",
            ]))
        self.stdout.write(self.style.SUCCESS(f"SalesStudio is running on http://{host}:{port}/ (Ctrl-C stops it)"))
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(p.poll() is None for p in procs):
            time.sleep(0.3)
        self._stop(procs)
        failed = [p for p in procs if p.returncode not in (0, -signal.SIGTERM, -signal.SIGINT)]
        if failed and not stopping:
            sys.exit(f"a process exited with code {failed[0].returncode}")

    @staticmethod
    def _start(cmd: list[str]) -> subprocess.Popen:
        # Own process group: the terminal's Ctrl-C reaches only us, and we stop the children in order.
        return subprocess.Popen(cmd, start_new_session=True)

    @staticmethod
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
