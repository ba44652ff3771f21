"""Celery entry points of the workspace app: thin, take primary keys."""

from __future__ import annotations

from celery import shared_task

from salesstudio import sweeps  # noqa: F401  (starts the worker's sweeper)
from salesstudio.jobs import run_job


@shared_task(acks_late=True)
def run_job_task(job_id: int) -> None:
    run_job(job_id)
