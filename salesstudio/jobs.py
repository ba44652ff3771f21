"""Background jobs: a row per job that the Celery worker updates (NetBox JobRunner style).

`do_start_job` writes the row and sends the task when the transaction commits; `run_job` is what the task calls:
it marks the row running, gives the job function a progress callback, and records the result or the error.
The function of each kind is named in settings.JOB_FUNCTIONS (a dotted path, like a URLconf: the apps above this one
provide the bodies).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from salesstudio.models import Job, Workspace

log = logging.getLogger(__name__)
Progress = Callable[[float, str], None]


def job_function(kind: str) -> Callable[[Job, Progress], dict]:
    """`fn(job, progress) -> result dict`, the body of jobs of this kind."""
    return import_string(settings.JOB_FUNCTIONS[kind])


def do_start_job(kind: str, workspace: Workspace, user: AbstractBaseUser | None, **params: Any) -> Job:
    from salesstudio.tasks import run_job_task

    if kind not in settings.JOB_FUNCTIONS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job.objects.create(kind=kind, workspace=workspace, created_by=user, params=params)
    transaction.on_commit(lambda: run_job_task.delay(job.pk))
    return job


def run_job(job_id: int) -> None:
    job = Job.objects.get(pk=job_id)
    if not job.is_active:
        return  # a redelivered message for a job that already finished
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, progress=0.0)

    def progress(share: float, message: str = "") -> None:
        Job.objects.filter(pk=job.pk).update(progress=max(0.0, min(1.0, share)), message=message[:300])

    try:
        result = job_function(job.kind)(job, progress)
    except Exception as exc:  # recorded on the row for the user; the traceback goes to the worker log
        log.exception("job %s (%s) failed", job.pk, job.kind)
        Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        return
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.DONE, progress=1.0, result=result or {}, finished_at=timezone.now()
    )
