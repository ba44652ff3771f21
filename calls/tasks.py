"""Celery entry points of the calls app: thin, take primary keys; the work is in `calls.calllog.push`."""

from __future__ import annotations

from celery import shared_task

from calls.calllog.push import run_delivery


@shared_task(bind=True, acks_late=True, max_retries=None)
def push_delivery_task(self, delivery_id: int) -> None:  # noqa: ANN001
    """One attempt to push a call's result to the CRM; schedules the next one (back-off) while it fails."""
    wait = run_delivery(delivery_id)
    if wait is not None:
        raise self.retry(countdown=wait)
