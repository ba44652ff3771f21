"""The one way long jobs run (`salesstudio.jobs.JobRunner`), shown on background `Job`s: claim, progress, cancel,
failure, a redelivered message, dead-worker sweep. Training and transcription run through the same runner (their own
tests: tests/nlu_web/test_training.py, tests/voice_web/test_transcription.py, tests/test_sweeps.py)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from salesstudio.jobs import BackgroundJob, run_job
from salesstudio.models import Job

pytestmark = pytest.mark.django_db(transaction=True)
JOBS = {"count": "tests.test_jobs.count_job", "broken": "tests.test_jobs.broken_job",
        "endless": "tests.test_jobs.endless_job"}
started = threading.Event()


def count_job(job: Job, progress) -> dict:  # noqa: ANN001
    for n in range(1, 4):
        progress(n / 4, f"第 {n} 步")
    return {"counted": job.params["to"]}


def broken_job(job: Job, progress) -> dict:  # noqa: ANN001
    raise ValueError("文件第 3 行格式不对")


def endless_job(job: Job, progress) -> dict:  # noqa: ANN001
    started.set()
    while True:
        progress(0.5, "进行中")


@pytest.fixture(autouse=True)
def kinds(settings):
    settings.JOB_FUNCTIONS = JOBS


def make(team, kind: str, **fields) -> Job:
    return Job.objects.create(workspace=team["workspace"], kind=kind, params={"to": 3}, **fields)


def test_a_job_runs_once_with_its_progress_and_result(team):
    job = make(team, "count")
    run_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.progress, job.result, job.message) == ("done", 1.0, {"counted": 3}, "第 3 步")
    assert job.heartbeat_at and job.finished_at
    run_job(job.pk)  # a redelivered message for a finished job does nothing
    assert Job.objects.get(pk=job.pk).finished_at == job.finished_at


def test_a_failing_job_keeps_its_error_for_the_page(team):
    job = make(team, "broken")
    run_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "文件第 3 行格式不对") and job.finished_at


def test_a_running_job_stops_at_its_next_progress_once_cancelled_and_a_queued_one_at_once(team):
    queued = make(team, "count")
    BackgroundJob.cancel(queued.pk)
    run_job(queued.pk)
    assert Job.objects.get(pk=queued.pk).status == "cancelled"

    job = make(team, "endless")
    started.clear()
    worker = threading.Thread(target=run_job, args=(job.pk,))
    worker.start()
    assert started.wait(30)
    BackgroundJob.cancel(job.pk)
    worker.join(30)
    assert not worker.is_alive() and Job.objects.get(pk=job.pk).status == "cancelled"


def test_a_job_left_running_by_a_dead_worker_is_failed_by_the_sweep_or_its_redelivery(team):
    silent = timezone.now() - timedelta(minutes=1)
    swept = make(team, "count", status="running", heartbeat_at=silent)
    redelivered = make(team, "count", status="running", heartbeat_at=silent)
    alive = make(team, "count", status="running", heartbeat_at=timezone.now())
    run_job(redelivered.pk)
    assert BackgroundJob.sweep() == 1
    assert [Job.objects.get(pk=j.pk).status for j in (swept, redelivered, alive)] == ["failed", "failed", "running"]
    assert Job.objects.get(pk=swept.pk).error == BackgroundJob.stopped_message()


def test_an_editor_cancels_a_job_from_its_progress_box_and_a_viewer_cannot(client, team):
    from django.urls import reverse

    job = make(team, "count")
    url = reverse("job_cancel", kwargs={"ws": team["workspace"].slug, "job": job.pk})
    client.force_login(team["viewer"])
    assert client.post(url).status_code == 403
    client.force_login(team["editor"])
    page = client.get(reverse("job_status", kwargs={"ws": team["workspace"].slug, "job": job.pk}))
    assert 'data-testid="job-cancel"' in page.content.decode()
    assert client.post(url).status_code == 204
    assert Job.objects.get(pk=job.pk).status == "cancelled"
    page = client.get(reverse("job_status", kwargs={"ws": team["workspace"].slug, "job": job.pk}))
    assert "job-cancel" not in page.content.decode() and "bi-x-circle" in page.content.decode()
