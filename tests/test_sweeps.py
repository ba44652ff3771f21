"""The real Celery worker: it settles jobs whose process died within 30 s, with no page view, and its pool runs nicer
than live calls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from nlu.models import TrainingRun
from salesstudio.models import Job
from tests import factories
from tests.conftest import wait_until
from voice import services as voice_services
from voice.models import Recording

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
SILENT = timedelta(seconds=30)  # the heartbeat of a process that died half a minute ago


@pytest.fixture
def bot(team):
    return factories.make_bot(team["workspace"])


def test_a_training_run_whose_worker_died_is_failed_by_the_worker(bot, celery_worker_process):
    run = TrainingRun.objects.create(bot=bot, status="running", worker="gone@host",
                                     heartbeat_at=timezone.now() - SILENT)
    failed = wait_until(lambda: TrainingRun.objects.filter(pk=run.pk, status="failed").first(), timeout=30)
    assert "heartbeat" in failed.error


def test_a_stalled_transcription_is_failed_and_can_be_retried(bot, celery_worker_process):
    recording = Recording.objects.create(bot=bot, file="recordings/missing.wav", original_name="通话.wav",
                                         sha256="0" * 64, size=10, format="wav", status="transcribing")
    Recording.objects.filter(pk=recording.pk).update(updated_at=timezone.now() - SILENT)
    failed = wait_until(lambda: Recording.objects.filter(pk=recording.pk, status="failed").first(), timeout=30)
    assert failed.error
    assert voice_services.do_retry_recording(failed)
    # The retried message reaches the worker, which records why this one cannot be transcribed (its file is gone).
    wait_until(lambda: Recording.objects.get(pk=recording.pk).status == "failed"
               and Recording.objects.get(pk=recording.pk).error != failed.error, timeout=60)


def test_the_workers_processes_run_nicer_than_live_calls(celery_worker_process):
    """Training and transcription take only the CPU live calls leave (WORKER_NICENESS, 10 by default)."""
    import os

    import psutil

    children = wait_until(lambda: psutil.Process(celery_worker_process.pid).children(), timeout=30)
    assert all(child.nice() >= os.getpriority(os.PRIO_PROCESS, 0) + 10 for child in children)
    assert psutil.Process(celery_worker_process.pid).nice() == os.getpriority(os.PRIO_PROCESS, 0)  # only the pool


def test_a_background_job_whose_worker_died_is_failed_by_the_worker(team, celery_worker_process):
    job = Job.objects.create(workspace=team["workspace"], kind="run_tests", status="running",
                             heartbeat_at=timezone.now() - SILENT)
    failed = wait_until(lambda: Job.objects.filter(pk=job.pk, status="failed").first(), timeout=30)
    assert failed.error and failed.finished_at
