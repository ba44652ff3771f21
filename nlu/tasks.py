"""Celery entry points of the NLU app: thin, take primary keys; the work is in `nlu.services`."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready
from django.db import close_old_connections

from nlu import services
from salesstudio.sweeps import sweep


@shared_task(bind=True, acks_late=True)
def train_run_task(self, run_id: int) -> None:  # noqa: ANN001
    services.run_training(run_id, worker=self.request.hostname or "")


@worker_ready.connect
def fail_orphaned_runs(sender=None, **kwargs) -> None:  # noqa: ANN001
    """A worker that comes (back) up fails the runs it or a silent worker left running."""
    close_old_connections()
    services.do_fail_orphaned_runs(getattr(sender, "hostname", "") or "")


sweep(services.do_fail_orphaned_runs)
sweep(services.do_clean_stash)
