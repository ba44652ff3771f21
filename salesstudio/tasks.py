"""Celery entry points of the workspace app: thin, take primary keys."""

from __future__ import annotations

from celery import shared_task

from salesstudio.jobs import BackgroundJob, run_job
from salesstudio.sweeps import sweep


@shared_task(acks_late=True)
def run_job_task(job_id: int) -> None:
    run_job(job_id)


sweep(BackgroundJob.sweep)
