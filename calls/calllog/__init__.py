"""The call log: the one writer of Call, Turn, CallNode and LatencyBucket rows (the live call consumer and the call
simulator both use it). Rows are written at turn boundaries, so a call that breaks off keeps every turn it had; a call
is graded (calls.calllog.grades) when it ends; `bulk` writes whole simulated calls at once with the same summaries."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from calls.calllog.grades import do_grade_call
from calls.calllog.latency import add_latency, latency_counts
from calls.calllog.push import do_queue_push
from calls.models import DISCONNECTED_OUTCOME, Call, CallNode, Channel, Turn
from calls.turns import STAGES, TurnRecord, node_counts


def open_call(*, bot, flow_version, model_version=None, channel: str = Channel.TEST, mode: str = Call.Mode.TEXT,
              user=None, seed: int = 0, started_at: datetime.datetime | None = None, customer=None,
              remembered: dict | None = None) -> Call:
    return Call.objects.create(bot=bot, flow_version=flow_version, model_version=model_version, channel=channel,
                               mode=mode, user=user, seed=seed, started_at=started_at or timezone.now(),
                               customer=customer, remembered=remembered or {})


def turn_row(call: Call, record: TurnRecord, at: datetime.datetime | None = None) -> Turn:
    """An unsaved Turn for `record` (bulk writers save many at once)."""
    latency = record.latency_ms
    return Turn(
        call=call, index=record.index, created_at=at or timezone.now(), event=record.event,
        from_node=record.from_node, node=record.node, path=record.path, user_text=record.user_text,
        asr_confidence=record.asr_confidence, intent=record.intent, intent_confidence=record.intent_confidence,
        top_intents=record.top_intents, slots=record.slots, changed_slots=record.changed_slots,
        bot_text=record.bot_text, knowledge=record.knowledge, knowledge_score=record.knowledge_score,
        no_match=record.no_match, silence=record.silence, barge_in=record.barge_in,
        total_ms=latency.get("total"), **{f"{stage}_ms": latency.get(stage) for stage in STAGES})


@transaction.atomic
def record_turn(call: Call, record: TurnRecord, *, at: datetime.datetime | None = None, **audio) -> Turn:
    """Save one turn and fold it into the call's summary columns; closes the call when the turn ended it.
    `audio` may give user/bot_audio_start/end offsets (seconds) into the call's saved audio."""
    turn = turn_row(call, record, at)
    for name, value in audio.items():
        setattr(turn, name, value)
    turn.save()
    total = record.latency_ms.get("total")
    Call.objects.filter(pk=call.pk).update(
        turn_count=F("turn_count") + 1, user_turn_count=F("user_turn_count") + int(record.event == "user"),
        no_match_count=F("no_match_count") + int(record.no_match),
        silence_count=F("silence_count") + int(record.silence),
        barge_in_count=F("barge_in_count") + int(record.barge_in),
        **({"max_latency_ms": Greatest(F("max_latency_ms"), total) if call.max_latency_ms is not None else total}
           if total is not None else {}))
    call.refresh_from_db(fields=["turn_count", "no_match_count", "silence_count", "barge_in_count",
                                 "max_latency_ms"])
    for node, counts in node_counts(record).items():
        row, _ = CallNode.objects.get_or_create(call=call, node=node)
        CallNode.objects.filter(pk=row.pk).update(**{name: F(name) + n for name, n in counts.items()})
    add_latency(latency_counts(call, [record]))
    if record.ended:
        close_call(call, outcome=record.outcome, end_node=record.end_node, completed=record.completed, at=at)
    return turn


@transaction.atomic
def close_call(call: Call, *, outcome: str = DISCONNECTED_OUTCOME, end_node: str = "", completed: bool = False,
               at: datetime.datetime | None = None) -> None:
    """End a call once (a second close, e.g. a socket dropping after the flow ended, changes nothing). The funnel
    counts the call as ended at `end_node`, or where its last turn left it when it broke off."""
    ended_at = at or timezone.now()
    if not Call.objects.filter(pk=call.pk, ended_at__isnull=True).update(
            ended_at=ended_at, outcome=outcome, end_node=end_node, completed=completed):
        return
    call.ended_at, call.outcome, call.end_node, call.completed = ended_at, outcome, end_node, completed
    do_grade_call(call)
    do_queue_push(call)
    last = end_node or call.turns.order_by("-index").values_list("node", flat=True).first()
    if last:
        CallNode.objects.update_or_create(call=call, node=last, defaults={"ended": True})
