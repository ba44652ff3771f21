"""Long jobs on a worker, one way for all of them (NetBox's `JobRunner` is the model).

A job is a row the pages read: a training run, a recording being transcribed, a background `Job` (bot import,
regrading, conversation tests). A `JobRunner` subclass names that row's model and states and supplies `work()`; the
runner does the rest the same way for every kind:
- **claim** the row (queued → running, atomically, so a redelivered message does not run it twice);
- **heartbeat**: stamp the row every few seconds while `work()` runs, even inside one long step;
- **progress**: `work()` writes its own progress fields and calls `check_cancel()`, which raises `Cancelled` once
  someone asked to cancel;
- **outcome**: done with `finish(result)`, cancelled, or failed with the error on the row (the traceback goes to
  the worker's log);
- **dead workers**: `sweep()` (registered by each app's `tasks.py`, run on every worker's timer) fails running rows
  whose heartbeat stopped, and a redelivered message for such a row fails it at once.

Background `Job`s start with `do_start_job(kind, …)`; the function of each kind is named in settings.JOB_FUNCTIONS (a
dotted path, like a URLconf: the apps above this one provide the bodies).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from salesstudio.models import Job, Workspace
from salesstudio.sweeps import STALE_AFTER, Heartbeat

log = logging.getLogger(__name__)
Progress = Callable[[float, str], None]
CANCEL_CHECK_EVERY_S = 0.5


class Cancelled(Exception):
    """Raised inside `work()` (by `check_cancel()`, or by the work itself) to stop because someone cancelled."""


class JobRunner:
    model: ClassVar[type[models.Model]]
    claimable: ClassVar[tuple[str, ...]] = ("queued",)  # states a worker may start the job from
    active: ClassVar[tuple[str, ...]] = ("queued", "running")
    running: ClassVar[str] = "running"
    heartbeat_field: ClassVar[str] = "heartbeat_at"
    finished_field: ClassVar[str | None] = "finished_at"  # stamped when the job ends, however it ends
    can_cancel: ClassVar[bool] = True  # the row has `cancel_requested`

    def __init__(self, pk: int) -> None:
        self.pk = pk
        self.row: Any = None
        self._checked_at, self._cancelled = 0.0, False

    # ---------------------------------------------------------------------------------------------- what kinds supply

    def work(self) -> Any:
        """Do the job on `self.row`; the return value goes to `finish`."""
        raise NotImplementedError

    def on_claim(self) -> dict:
        """Fields written with the claim (a start time, cleared progress…)."""
        return {}

    def finish(self, result: Any) -> None:
        """Record a successful outcome (by default: status done)."""
        self._end("done")

    def failure(self, exc: Exception) -> str:
        """The error a manager reads for `exc` (re-raise it to let the task retry instead)."""
        return str(exc) or type(exc).__name__

    @classmethod
    def stopped_message(cls) -> str:
        """The error of a job whose worker stopped stamping its heartbeat."""
        return _("The worker running this job stopped before it finished.")

    # ---------------------------------------------------------------------------------------------------- the runner

    def run(self) -> None:
        """Claim the row and run the job on it; a row that is not claimable is left alone, unless it is still
        marked running by a worker that stopped (a redelivered message), which fails it."""
        rows = self.model.objects.filter(pk=self.pk)
        now = timezone.now()
        if not rows.filter(status__in=self.claimable).update(status=self.running, **{self.heartbeat_field: now},
                                                              **self.on_claim()):
            stale = {f"{self.heartbeat_field}__lt": now - STALE_AFTER}
            if rows.filter(status=self.running).filter(models.Q(**stale) | models.Q(
                    **{f"{self.heartbeat_field}__isnull": True})).exists():
                self.fail(self.stopped_message())
            return
        self.row = rows.get()
        running = rows.filter(status=self.running)
        with Heartbeat(lambda: running.update(**{self.heartbeat_field: timezone.now()}),
                       name=f"heartbeat-{self.model._meta.model_name}-{self.pk}"):
            try:
                result = self.work()
            except Cancelled:
                self._end("cancelled")
                return
            except Exception as exc:
                message = self.failure(exc)
                log.exception("%s %s failed", self.model._meta.verbose_name, self.pk)
                self.fail(message)
                return
        self.finish(result)

    def cancel_requested(self) -> bool:
        """Whether someone asked to cancel (read from the database at most every 0.5 s, then remembered)."""
        if self.can_cancel and not self._cancelled and time.monotonic() - self._checked_at >= CANCEL_CHECK_EVERY_S:
            self._checked_at = time.monotonic()
            self._cancelled = self.model.objects.filter(pk=self.pk, cancel_requested=True).exists()
        return self._cancelled

    def check_cancel(self) -> None:
        """Raise Cancelled once someone asked to cancel."""
        if self.cancel_requested():
            raise Cancelled

    def fail(self, reason: str) -> None:
        self._end("failed", error=reason[:4000])

    def _end(self, status: str, **fields: Any) -> None:
        if self.finished_field:
            fields[self.finished_field] = timezone.now()
        self.model.objects.filter(pk=self.pk, status__in=self.active).update(status=status, **fields)

    @classmethod
    def cancel(cls, pk: int) -> None:
        """A queued job is cancelled at once; a running one is flagged and stops at its next `check_cancel()`."""
        ended = {cls.finished_field: timezone.now()} if cls.finished_field else {}
        queued = cls.model.objects.filter(pk=pk, status__in=cls.claimable)
        if not queued.update(status="cancelled", cancel_requested=True, **ended):
            cls.model.objects.filter(pk=pk, status=cls.running).update(cancel_requested=True)

    @classmethod
    def sweep(cls) -> int:
        """Fail the running jobs whose heartbeat stopped (their worker died); how many."""
        ended = {cls.finished_field: timezone.now()} if cls.finished_field else {}
        return cls.model.objects.filter(
            status=cls.running, **{f"{cls.heartbeat_field}__lt": timezone.now() - STALE_AFTER},
        ).update(status="failed", error=cls.stopped_message(), **ended)


# ------------------------------------------------------------------------------------------------- background jobs

def job_function(kind: str) -> Callable[[Job, Progress], dict]:
    """`fn(job, progress) -> result dict`, the body of jobs of this kind."""
    return import_string(settings.JOB_FUNCTIONS[kind])


class BackgroundJob(JobRunner):
    """A `Job` row: its kind's function (settings.JOB_FUNCTIONS) with a progress callback."""

    model = Job

    def work(self) -> dict:
        return job_function(self.row.kind)(self.row, self.progress)

    def progress(self, share: float, message: str = "") -> None:
        Job.objects.filter(pk=self.pk).update(progress=max(0.0, min(1.0, share)), message=message[:300])
        self.check_cancel()

    def finish(self, result: dict) -> None:
        self._end("done", progress=1.0, result=result or {})


def do_start_job(kind: str, workspace: Workspace, user: AbstractBaseUser | None, **params: Any) -> Job:
    from salesstudio.tasks import run_job_task

    if kind not in settings.JOB_FUNCTIONS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job.objects.create(kind=kind, workspace=workspace, created_by=user, params=params)
    transaction.on_commit(lambda: run_job_task.delay(job.pk))
    return job


def run_job(job_id: int) -> None:
    BackgroundJob(job_id).run()
