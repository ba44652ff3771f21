"""The Celery application: configuration comes from Django settings (CELERY_* names)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesstudio.settings")

app = Celery("salesstudio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def yield_to_live_calls(**_: object) -> None:
    """Each pool process of a worker runs at `WORKER_NICENESS`: where the worker shares the machine with the ASGI
    server (the embedded default), a training run or a transcription takes only the CPU live calls leave."""
    from django.conf import settings

    os.nice(settings.WORKER_NICENESS)
