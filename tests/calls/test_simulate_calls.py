"""`simulate_calls`: the bulk path writes the same rows as the live call log; the command and the demo seeding."""

from __future__ import annotations

import importlib

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict
from django.utils import timezone

from calls.calllog import open_call, record_turn
from calls.calllog.bulk import log_calls
from calls.models import Call, CallNode, LatencyBucket
from calls.simulator import simulate_call
from salesstudio.models import Workspace
from tests.calls.test_simulator import BOOK

SUMMARY = ["outcome", "end_node", "completed", "turn_count", "user_turn_count", "no_match_count", "silence_count",
           "barge_in_count", "max_latency_ms"]


def _rows(call: Call) -> tuple:
    call.refresh_from_db()
    nodes = {n.node: model_to_dict(n, exclude=["id", "call"]) for n in call.nodes.all()}
    turns = [model_to_dict(t, exclude=["id", "call", "created_at"]) for t in call.turns.all()]
    return {f: getattr(call, f) for f in SUMMARY}, nodes, turns


def test_the_bulk_path_writes_what_the_live_call_log_writes(demo_bot):
    version = demo_bot.flow.versions.get()
    for seed in range(40):
        simulated = simulate_call(version.program, BOOK, seed)
        live = open_call(bot=demo_bot, flow_version=version, channel="simulated")
        for record in simulated.records:
            record_turn(live, record)
        log_calls(demo_bot, version, [(simulated, timezone.now(), None)])
        bulk = demo_bot.calls.latest("id")
        assert _rows(bulk) == _rows(live), f"seed {seed}"


def test_a_simulated_customer_gives_their_own_phone_number(demo_bot):
    """Not an example's: what the bot remembers of a demo customer is their number."""
    program = demo_bot.flow.versions.get().program
    said = {r.slots.get("联系电话") for seed in range(40) for r in simulate_call(program, BOOK, seed).records}
    own = {r.slots.get("联系电话") for seed in range(40)
           for r in simulate_call(program, BOOK, seed, phone="13900001111").records}
    assert len(said - {None}) > 1 and own - {None} == {"13900001111"}


def test_the_command_logs_simulated_calls_of_the_latest_version(demo_bot):
    call_command("simulate_calls", demo_bot.slug, "--calls", "30", "--days", "3")
    calls = demo_bot.calls.all()
    assert calls.count() == 30 and set(calls.values_list("channel", flat=True)) == {"simulated"}
    assert all(c.ended_at and c.outcome and c.turn_count == c.turns.count() for c in calls)
    assert min(c.started_at for c in calls) > timezone.now() - timezone.timedelta(days=3)
    assert CallNode.objects.filter(call__bot=demo_bot, ended=True).count() == 30


def test_the_command_refuses_an_unknown_version(demo_bot):
    with pytest.raises(CommandError, match="no published flow version 9"):
        call_command("simulate_calls", demo_bot.slug, "--calls", "1", "--version", "9")


def test_bootstrap_demo_seeds_the_demo_workspace_bot_and_calls_once(db, settings, tmp_path):
    settings.DATA_DIR, settings.MODELS_DIR, settings.NLU_BASE_MODEL = tmp_path, tmp_path / "models", ""
    call_command("bootstrap_demo")
    bot = Call.objects.get(pk=Call.objects.first().pk).bot
    assert bot.calls.count() == 300
    assert not bot.training_runs.exists()  # no base model prepared: nothing a worker could train on yet
    settings.NLU_BASE_MODEL = str(tmp_path / "base")  # as after prepare_models
    call_command("bootstrap_demo")
    call_command("bootstrap_demo")
    assert bot.calls.count() == 300
    assert list(bot.training_runs.values_list("status", flat=True)) == ["queued"]
    assert list(Workspace.objects.values_list("name", flat=True)) == ["演示团队"]
    assert bot.workspace.bots.count() == 1
    assert sorted(bot.workspace.customers.values_list("name", flat=True)) == ["李经理", "王总", "赵工"]  # once
    # the seeded calls are to the demo customers: their pages and the customer list are not empty on first start
    assert [customer.calls.count() for customer in bot.workspace.customers.all()] == [3, 3, 3]
    called = bot.calls.exclude(customer=None).select_related("customer").first()
    assert called.customer.name in called.turns.order_by("index").first().bot_text  # 您好，请问是{客户姓名}吗
    assert bot.conversation_tests.count() == 13


def test_the_migration_backfills_the_summaries_of_calls_logged_before_them(demo_bot):
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    call_command("simulate_calls", demo_bot.slug, "--calls", "25")
    nodes = sorted(CallNode.objects.values_list("call_id", "node", "visits", "silences", "no_matches", "barge_ins",
                                                "hangups", "ended"))
    buckets = sorted(LatencyBucket.objects.values_list("day", "channel", "stage", "ms", "turns"))
    CallNode.objects.all().delete()
    LatencyBucket.objects.all().delete()
    apps = MigrationLoader(connection).project_state(("voice", "0004_latency_buckets")).apps  # the models as it saw them
    importlib.import_module("voice.migrations.0004_latency_buckets").backfill(apps, None)
    assert sorted(CallNode.objects.values_list("call_id", "node", "visits", "silences", "no_matches", "barge_ins",
                                               "hangups", "ended")) == nodes
    assert sorted(LatencyBucket.objects.values_list("day", "channel", "stage", "ms", "turns")) == buckets
