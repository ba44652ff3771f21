"""The latency summary (LatencyBucket rows): turn counts per stage and latency bucket, added as turns are logged.
Increments are read-modify-write under row locks; a key created meanwhile by another writer makes the insert fail,
and the whole addition is retried."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from calls.models import Call, LatencyBucket
from calls.percentiles import bucket
from calls.turns import TurnRecord

KEY = ("bot_id", "day", "flow_version_key", "model_version_key", "channel", "stage", "ms")
ATTEMPTS = 5


def latency_counts(call: Call, records: Iterable[TurnRecord]) -> Counter:
    """The buckets that `records` of `call` add to (keys in `KEY` order)."""
    cohort = (call.bot_id, timezone.localdate(call.started_at), call.flow_version_id or 0, call.model_version_id or 0,
              call.channel)
    return Counter((*cohort, stage, bucket(ms)) for record in records for stage, ms in record.latency_ms.items()
                   if ms is not None)


def add_latency(counts: Counter) -> None:
    """Add `counts` to the summary rows (in a savepoint when inside a transaction)."""
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                _apply(counts)
            return
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise


def _apply(counts: Counter) -> None:
    if not counts:
        return
    keys = list(counts)
    rows = LatencyBucket.objects.select_for_update().filter(
        bot_id__in={k[0] for k in keys}, day__in={k[1] for k in keys}, stage__in={k[5] for k in keys},
        ms__in={k[6] for k in keys})
    existing = {tuple(getattr(row, f) for f in KEY): row for row in rows}
    changed, created = [], []
    for key, n in counts.items():
        row = existing.get(key)
        if row is None:
            created.append(LatencyBucket(**dict(zip(KEY, key, strict=True)), turns=n))
        else:
            row.turns += n
            changed.append(row)
    LatencyBucket.objects.bulk_update(changed, ["turns"], batch_size=1000)
    LatencyBucket.objects.bulk_create(created, batch_size=1000)
