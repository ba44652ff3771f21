"""Training runs: through the real Celery worker on a tiny random encoder, cancellation, one run per bot, dead
workers, and what a finished run leaves behind (model version, runtime answers)."""

from __future__ import annotations

import weakref
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from nlu import services, tasks
from nlu.models import ModelVersion, Slot, TrainingExample, TrainingRun
from tests.conftest import wait_until
from tests.nlu_web.conftest import TINY_CONFIG


def training_url(bot, name="training", **kwargs):
    return reverse(f"nlu:{name}", kwargs={"ws": bot.workspace.slug, "bot": bot.slug, **kwargs})


def fresh(run: TrainingRun) -> TrainingRun:
    run.refresh_from_db()
    return run


@pytest.mark.worker
def test_a_run_trains_in_the_worker_and_records_an_active_version(client, team, trained_bot, tiny_base_dir,
                                                                  transactional_db, celery_worker_process):
    run = services.do_start_training(trained_bot, team["editor"], TINY_CONFIG, base_model=str(tiny_base_dir))
    wait_until(lambda: fresh(run).status not in TrainingRun.ACTIVE, timeout=240, interval=0.5)
    assert run.status == "done", run.error
    assert run.task_id and run.worker and run.loss_history and run.metrics["intent"]["count"] > 0
    version = ModelVersion.objects.get(run=run)
    assert version.is_active and version.number == 1
    answer = services.get_bot_runtime(trained_bot).predict("工业泵多少钱")
    assert answer["intent"] in set(trained_bot.intents.values_list("name", flat=True))
    client.force_login(team["viewer"])
    html = client.get(training_url(trained_bot, "version_report", version=version.pk)).content.decode()
    assert 'data-testid="confusion"' in html and "询价" in html


@pytest.mark.worker
def test_a_run_flagged_for_cancel_stops_in_the_worker(team, trained_bot, tiny_base_dir, transactional_db,
                                                      celery_worker_process):
    run = services.do_start_training(trained_bot, team["editor"], TINY_CONFIG, base_model=str(tiny_base_dir))
    TrainingRun.objects.filter(pk=run.pk).update(cancel_requested=True)  # as if Cancel was pressed as it started
    wait_until(lambda: fresh(run).status not in TrainingRun.ACTIVE, timeout=120, interval=0.5)
    assert run.status in ("cancelled",)
    assert not ModelVersion.objects.exists()
    assert not services.version_folder(run).exists()


def test_training_in_process_writes_progress_and_a_version(team, trained_bot, tiny_base_dir):
    run = services.do_start_training(trained_bot, team["editor"], TINY_CONFIG, base_model=str(tiny_base_dir),
                                     send=False)
    run = services.run_training(run.pk, worker="test")
    assert run.status == "done", run.error
    assert run.total_steps > 0 and run.started_at and run.finished_at
    assert [p["stage"] for p in run.loss_history][:1] == ["intent"]
    assert run.model_version.path == str(services.version_folder(run))


def test_only_one_run_at_a_time(team, trained_bot):
    services.do_start_training(trained_bot, team["editor"], send=False)
    with pytest.raises(ValidationError):
        services.do_start_training(trained_bot, team["editor"], send=False)


def test_the_database_refuses_a_second_active_run(trained_bot):
    from django.db import IntegrityError, transaction

    TrainingRun.objects.create(bot=trained_bot, status="running")
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingRun.objects.create(bot=trained_bot, status="queued")


def test_training_needs_two_intents_with_examples(team, bot):
    with pytest.raises(ValidationError):
        services.do_start_training(bot, team["editor"], send=False)


def test_cancelling_a_queued_run_ends_it_at_once(client, team, trained_bot):
    run = services.do_start_training(trained_bot, team["editor"], send=False)
    client.force_login(team["editor"])
    client.post(training_url(trained_bot, "run_cancel", run=run.pk))
    assert fresh(run).status == "cancelled"
    assert services.run_training(run.pk).status == "cancelled"  # the task arriving later does nothing


def test_cancelling_a_running_run_sets_the_flag(client, team, trained_bot):
    run = TrainingRun.objects.create(bot=trained_bot, status="running", heartbeat_at=timezone.now())
    client.force_login(team["editor"])
    client.post(training_url(trained_bot, "run_cancel", run=run.pk), HTTP_HX_REQUEST="true")
    assert fresh(run).cancel_requested and run.status == "running"


def test_viewers_cannot_start_or_cancel(client, team, trained_bot):
    client.force_login(team["viewer"])
    assert client.post(training_url(trained_bot)).status_code == 403
    assert not TrainingRun.objects.exists()


def test_the_page_starts_a_run_with_advanced_settings(client, team, trained_bot, django_capture_on_commit_callbacks,
                                                      monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.train_run_task, "apply_async", lambda args: sent.append(args) or SimpleNamespace(id="t1"))
    client.force_login(team["editor"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(training_url(trained_bot), {"epochs": "3", "lora_rank": "8", "lora_targets": ["query", "value"]})
    run = TrainingRun.objects.get()
    assert run.config == {"epochs": 3, "lora_rank": 8, "lora_targets": ["query", "value"]}
    assert sent == [[run.pk]] and run.task_id == "t1"


def test_a_restarted_worker_fails_the_runs_it_left_running(trained_bot):
    run = TrainingRun.objects.create(bot=trained_bot, status="running", worker="celery@a",
                                     heartbeat_at=timezone.now())
    services.do_fail_orphaned_runs("celery@a")
    assert fresh(run).status == "failed" and "worker was restarted" in run.error  # no process name for a manager


def test_a_silent_worker_s_run_is_failed_when_any_worker_comes_up(trained_bot):
    run = TrainingRun.objects.create(bot=trained_bot, status="running", worker="celery@gone",
                                     heartbeat_at=timezone.now() - timedelta(hours=1))
    services.do_fail_orphaned_runs("celery@b")
    assert fresh(run).status == "failed" and "heartbeat" in run.error


def test_a_live_worker_s_run_is_left_alone(trained_bot):
    run = TrainingRun.objects.create(bot=trained_bot, status="running", worker="celery@busy",
                                     heartbeat_at=timezone.now())
    services.do_fail_orphaned_runs("celery@b")
    assert fresh(run).status == "running"


def test_a_redelivered_run_whose_worker_died_is_failed(trained_bot):
    run = TrainingRun.objects.create(bot=trained_bot, status="running", worker="celery@gone",
                                     heartbeat_at=timezone.now() - timedelta(hours=1))
    assert services.run_training(run.pk, worker="celery@new").status == "failed"


def test_the_worker_ready_signal_is_connected():
    from celery.signals import worker_ready

    receivers = [ref() if isinstance(ref, weakref.ReferenceType) else ref for _, ref in worker_ready.receivers]
    assert tasks.fail_orphaned_runs in receivers


@pytest.mark.worker
def test_a_worker_coming_back_fails_the_run_it_was_training(trained_bot, transactional_db, tmp_path):
    """A real worker process named like the one that died starts up: its run is failed with the reason."""
    import os
    import subprocess
    import sys

    from django.db import connection

    from tests.conftest import ROOT, _wait_for_line

    run = TrainingRun.objects.create(bot=trained_bot, status="running", worker="celery@nluweb-dead",
                                     heartbeat_at=timezone.now())
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
           "SALESSTUDIO_TEST_DB_NAME": str(connection.settings_dict["NAME"])}
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "salesstudio", "worker", "-Q", "nluweb-idle",
                                 "-n", "celery@nluweb-dead", "--pool", "solo", "--loglevel", "INFO",
                                 "--without-heartbeat", "--without-mingle", "--without-gossip"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_line(log_path, "ready.", proc, timeout=60)
        wait_until(lambda: fresh(run).status == "failed", timeout=20)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert "worker was restarted" in run.error


def test_the_page_warns_about_the_data_and_links_to_the_examples(client, team, trained_bot):
    Slot.objects.create(bot=trained_bot, name="联系电话", type="phone")  # no example marks it
    TrainingExample.objects.create(bot=trained_bot, intent=trained_bot.intents.get(name="物流查询"),
                                   text="请问多少钱？")  # 询价 has 请问多少钱
    client.force_login(team["viewer"])
    response = client.get(training_url(trained_bot), HTTP_ACCEPT_LANGUAGE="zh-hans")
    warnings = {w.code: w for w in response.context["data_warnings"]}
    assert set(warnings) == {"thin", "unlabelled_slots", "clashes"}
    assert all(i.n_examples < services.THIN_INTENT for i in warnings["thin"].intents)
    assert warnings["unlabelled_slots"].items == ["联系电话"]
    assert {i.name for i in warnings["clashes"].intents} == {"询价", "物流查询"}
    html = response.content.decode()
    assert 'data-testid="warning-clashes"' in html and f"?intent={warnings['thin'].intents[0].pk}#examples" in html


def test_after_training_weak_intents_and_a_small_validation_split_are_flagged(client, team, trained_bot):
    metrics = {"intent": {"count": 6, "per_intent": {"询价": {"f1": 0.4, "support": 2},
                                                     "物流查询": {"f1": 0.9, "support": 2}}},
               "slots": {"per_slot": {"扬程": {"f1": 0.5, "support": 3}}}}
    ModelVersion.objects.create(bot=trained_bot, number=1, path="/nowhere", is_active=True, metrics=metrics)
    client.force_login(team["viewer"])
    warnings = {w.code: w for w in client.get(training_url(trained_bot)).context["data_warnings"]}
    assert [i.name for i in warnings["weak_intents"].intents] == ["询价"]
    assert warnings["weak_slots"].items == ["扬程"] and "small_validation" in warnings


def test_a_running_run_shows_the_time_left_in_minutes(client, team, trained_bot):
    TrainingRun.objects.create(bot=trained_bot, status="running", heartbeat_at=timezone.now(), step=3,
                               total_steps=10, eta_s=130)
    client.force_login(team["viewer"])
    html = client.get(training_url(trained_bot), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "约 3 分钟" in html
