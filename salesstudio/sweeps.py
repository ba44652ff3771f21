"""Dead-worker recovery: running jobs stamp a heartbeat, and every Celery worker sweeps for stamps that stopped.

A running job's row is stamped every HEARTBEAT_EVERY_S; a sweep settles rows whose stamp is older than STALE_AFTER
(their process died: kill -9, the OOM killer, a lost machine). Each worker's main process runs every registered sweep
every SWEEP_EVERY_S, so a dead job is settled within STALE_AFTER + SWEEP_EVERY_S (≤ 30 s) without anyone opening a
page. Apps register their sweeps with `@sweep` in their `tasks.py`, which the worker imports.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from celery.signals import worker_ready, worker_shutdown
from django.db import close_old_connections, connection

log = logging.getLogger(__name__)
HEARTBEAT_EVERY_S = 5
STALE_AFTER = timedelta(seconds=25)
SWEEP_EVERY_S = 5
SWEEPS: list[Callable[[], int]] = []


def sweep(fn: Callable[[], int]) -> Callable[[], int]:
    """Register `fn() -> number of rows settled` to run on every worker's timer."""
    SWEEPS.append(fn)
    return fn


def run_sweeps() -> int:
    """Run every registered sweep once; a failing sweep is logged and does not stop the others."""
    settled = 0
    for fn in SWEEPS:
        try:
            settled += fn()
        except Exception:
            log.exception("sweep %s failed", fn.__qualname__)
    return settled


class Heartbeat(threading.Thread):
    """Calls `stamp()` every HEARTBEAT_EVERY_S while the `with` block runs (the job may sit in one long step)."""

    def __init__(self, stamp: Callable[[], object], name: str) -> None:
        super().__init__(daemon=True, name=name)
        self.stamp, self.stopped = stamp, threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(HEARTBEAT_EVERY_S):
                self.stamp()
        finally:
            connection.close()

    def __enter__(self) -> Heartbeat:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopped.set()
        self.join(timeout=5)


class _Sweeper(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True, name="sweeper")
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(SWEEP_EVERY_S):
            close_old_connections()
            if settled := run_sweeps():
                log.warning("settled %d job(s) whose worker had stopped", settled)
        connection.close()


_sweeper: _Sweeper | None = None


@worker_ready.connect
def start_sweeper(**kwargs: object) -> None:
    global _sweeper
    _sweeper = _Sweeper()
    _sweeper.start()


@worker_shutdown.connect
def stop_sweeper(**kwargs: object) -> None:
    if _sweeper is not None:
        _sweeper.stopped.set()
