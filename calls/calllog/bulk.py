"""The bulk path of the call log: whole finished calls (simulated ones) written with a few INSERTs per batch, with the
same summary columns and funnel rows that `record_turn` / `close_call` keep one turn at a time."""

from __future__ import annotations

import datetime
import random
from collections import Counter
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from calls.calllog import turn_row
from calls.calllog.customers import customer_variables
from calls.calllog.grades import rules_for
from calls.calllog.latency import add_latency, latency_counts
from calls.grading import CallFacts, GradingRules, grade
from calls.models import DISCONNECTED_OUTCOME, Call, CallNode, Channel, Customer, Turn
from calls.simulator import CustomerPhrases, SimulatedCall, simulate_call
from calls.turns import node_counts
from flows.models import FlowVersion
from nlu.services import active_version, export_examples


def log_calls(bot, flow_version, calls: Iterable[tuple[SimulatedCall, datetime.datetime, Customer | None]], *,
              model_version=None, channel: str = Channel.SIMULATED) -> int:
    """Write (call, started_at, customer called or None) triples in one transaction; returns how many calls were
    written."""
    triples = list(calls)
    with transaction.atomic():
        rules = rules_for(bot)
        rows = Call.objects.bulk_create([_call_row(bot, flow_version, model_version, channel, simulated, started, rules,
                                                   customer) for simulated, started, customer in triples])
        turns, nodes, latency = [], [], Counter()
        for row, (simulated, started, _) in zip(rows, triples, strict=True):
            turns += [turn_row(row, record, started + datetime.timedelta(seconds=second))
                      for record, second in zip(simulated.records, simulated.seconds, strict=True)]
            nodes += _node_rows(row, simulated)
            latency.update(latency_counts(row, simulated.records))
        Turn.objects.bulk_create(turns, batch_size=2000)
        CallNode.objects.bulk_create(nodes, batch_size=2000)
        add_latency(latency)
    return len(rows)


def _call_row(bot, flow_version, model_version, channel: str, simulated: SimulatedCall,
              started: datetime.datetime, rules: GradingRules, customer: Customer | None) -> Call:
    records, last = simulated.records, simulated.records[-1]
    totals = [r.latency_ms["total"] for r in records if r.latency_ms.get("total") is not None]
    return Call(
        bot=bot, flow_version=flow_version, model_version=model_version, channel=channel, mode=Call.Mode.VOICE,
        customer=customer,
        seed=simulated.seed, started_at=started, ended_at=started + datetime.timedelta(seconds=simulated.seconds[-1]),
        outcome=last.outcome if last.ended else DISCONNECTED_OUTCOME, end_node=last.end_node,
        completed=last.completed, turn_count=len(records),
        user_turn_count=sum(r.event == "user" for r in records), no_match_count=sum(r.no_match for r in records),
        silence_count=sum(r.silence for r in records), barge_in_count=sum(r.barge_in for r in records),
        max_latency_ms=max(totals, default=None), **_grade(simulated, last, rules))


def _grade(simulated: SimulatedCall, last, rules: GradingRules) -> dict:  # noqa: ANN001
    outcome = last.outcome if last.ended else DISCONNECTED_OUTCOME
    users = [r for r in simulated.records if r.event == "user"]
    found, rule = grade(CallFacts.of(outcome, [(r.intent, r.knowledge) for r in users], len(users)), rules)
    return {"grade": found, "grade_rule": rule}


def _node_rows(call: Call, simulated: SimulatedCall) -> list[CallNode]:
    counts: dict[str, Counter] = {}
    for record in simulated.records:
        for node, added in node_counts(record).items():
            counts.setdefault(node, Counter()).update(added)
    last = simulated.records[-1]
    ended_at = last.end_node or last.node
    counts.setdefault(ended_at, Counter())
    return [CallNode(call=call, node=node, ended=node == ended_at, **added) for node, added in counts.items()]


def simulate_calls(bot, count: int, *, version: int | None = None, days: int = 14, seed: int = 0,
                   batch: int = 1000, customers: list[Customer] | tuple = ()) -> int:
    """Simulate `count` calls of the bot's flow version `version` (default: the latest) with the synthetic customer
    speaking the bot's training examples, started at random times over the last `days` days, and log them as
    "simulated" with the active model version. With `customers`, the calls are to them in turn, and the scripts say
    their variables. Raises ValueError when the bot has no such published version."""
    flow_version = FlowVersion.objects.filter(flow__bot=bot, **({"number": version} if version else {})).first()
    if flow_version is None:
        raise ValueError(f"{bot.slug} has no published flow version {version or ''}".strip())
    book = CustomerPhrases.from_examples(export_examples(bot))
    model_version = active_version(bot)
    rng = random.Random(seed)
    now = timezone.now()
    written = 0
    while written < count:
        size = min(batch, count - written)
        called = [customers[(written + i) % len(customers)] if customers else None for i in range(size)]
        triples = [(simulate_call(flow_version.program, book, rng.getrandbits(32),
                                  *((customer_variables(customer), customer.phone) if customer else ())),
                    now - datetime.timedelta(seconds=rng.uniform(0, days * 86400)), customer) for customer in called]
        written += log_calls(bot, flow_version, triples, model_version=model_version)
    return written
