"""Dashboard aggregations over a filtered set of calls. Every figure is counted or summed in the database through the
ORM (portable SQL: the same answers on PostgreSQL and SQLite); percentiles come from counted histograms
(`calls.percentiles`). Call-level figures read Call's summary columns, the funnel reads CallNode, intents read Turn
through its covering index, latency reads the LatencyBucket summary (or, for filters it has no key for, the turns)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Case, Count, F, Q, QuerySet, Sum, When
from django.db.models.functions import TruncDate

from calls.models import DEAL_OUTCOMES, LEAD_OUTCOMES, Call, CallNode, LatencyBucket, Turn
from calls.percentiles import percentiles

STAGES = ("vad", "asr", "nlu", "flow", "tts", "total")
PERCENTILES = (50, 90, 99)
FUNNEL_SUMS = ("visits", "silences", "no_matches", "barge_ins", "hangups")


def rate(part: int | None, whole: int | None) -> float | None:
    return round(part / whole, 4) if whole else None


def summary(calls: QuerySet[Call]) -> dict:
    """Totals: calls, completed calls and the completion rate, deals and leads (outcomes 成交; 意向/回访) and their
    rates, user turns, no-match turns and the no-match rate (per user turn), calls with a no-match, average turns per
    call."""
    row = calls.aggregate(
        calls=Count("id"), completed=Count("id", filter=Q(completed=True)), turns=Sum("turn_count"),
        deals=Count("id", filter=Q(outcome__in=DEAL_OUTCOMES)), leads=Count("id", filter=Q(outcome__in=LEAD_OUTCOMES)),
        user_turns=Sum("user_turn_count"), no_matches=Sum("no_match_count"),
        no_match_calls=Count("id", filter=Q(no_match_count__gt=0)))
    row = {k: v or 0 for k, v in row.items()}
    return {**row, "completion_rate": rate(row["completed"], row["calls"]),
            "deal_rate": rate(row["deals"], row["calls"]), "lead_rate": rate(row["leads"], row["calls"]),
            "no_match_rate": rate(row["no_matches"], row["user_turns"]),
            "turns_per_call": round(row["turns"] / row["calls"], 2) if row["calls"] else None}


def per_day(calls: QuerySet[Call]) -> list[dict]:
    """One row per local day with calls: calls, completed, completion rate, no-match rate."""
    rows = (calls.annotate(day=TruncDate("started_at")).values("day")
            .annotate(calls=Count("id"), completed=Count("id", filter=Q(completed=True)),
                      user_turns=Sum("user_turn_count"), no_matches=Sum("no_match_count")).order_by("day"))
    return [{"day": r["day"].isoformat(), "calls": r["calls"], "completed": r["completed"],
             "completion_rate": rate(r["completed"], r["calls"]),
             "no_match_rate": rate(r["no_matches"], r["user_turns"])} for r in rows]


def grades_per_day(calls: QuerySet[Call]) -> list[dict]:
    """One row per local day: {"day", "A": n, …, "E": n} for the graded (ended) calls."""
    rows = (calls.exclude(grade="").annotate(day=TruncDate("started_at")).values("day", "grade")
            .annotate(calls=Count("id")).order_by("day"))
    days: dict[str, dict] = {}
    for row in rows:
        days.setdefault(row["day"].isoformat(), {})[row["grade"]] = row["calls"]
    return [{"day": day, **counts} for day, counts in days.items()]


def outcomes(calls: QuerySet[Call]) -> list[dict]:
    """Calls per outcome, most frequent first ("" = still open)."""
    rows = calls.values("outcome").annotate(calls=Count("id")).order_by()
    return sorted(rows, key=lambda r: (-r["calls"], r["outcome"]))  # ties in code-point order, not the DB's collation


def funnel(calls: QuerySet[Call]) -> dict[str, dict]:
    """Per node: calls that entered it, visits (re-entries included), calls that left it and that ended there,
    calls that dropped there (ended without completing), and the silences, no-matches, barge-ins and hang-ups while
    the call rested there."""
    rows = (CallNode.objects.filter(call__in=calls).values("node")
            .annotate(calls=Count("id"), ended_here=Count("id", filter=Q(ended=True)),
                      dropped=Count("id", filter=Q(ended=True, call__completed=False)),
                      **{name: Sum(name) for name in FUNNEL_SUMS}).order_by())
    found = {}
    for row in rows:
        node, ended = row.pop("node"), row.pop("ended_here")
        found[node] = {**row, "ended": ended, "left": row["calls"] - ended}
    return found


def intents(calls: QuerySet[Call]) -> list[dict]:
    """User turns per recognised intent, most frequent first ("" = no intent)."""
    rows = (Turn.objects.filter(call__in=calls, event=Turn.Event.USER).values("intent")
            .annotate(turns=Count("id")).order_by())
    return sorted(rows, key=lambda r: (-r["turns"], r["intent"]))


def _bucket(column: str) -> Case:
    """`calls.percentiles.bucket` in SQL (integer division is the same on PostgreSQL and SQLite)."""
    return Case(When(**{f"{column}__lt": 1000}, then=F(column) / 10 * 10), default=F(column) / 100 * 100)


def _turn_buckets(calls: QuerySet[Call]) -> Iterator[tuple[str, str, int, int]]:
    """(stage, day, ms bucket, turns) counted from the turns of `calls` (any filter; reads every matching turn)."""
    for stage in STAGES:
        column = f"{stage}_ms"
        rows = (Turn.objects.filter(call__in=calls, **{f"{column}__isnull": False})
                .annotate(day=TruncDate("call__started_at"), ms=_bucket(column)).values("day", "ms")
                .annotate(n=Count("id")).order_by())
        yield from ((stage, r["day"], r["ms"], r["n"]) for r in rows)


def _summary_buckets(buckets: QuerySet[LatencyBucket]) -> Iterator[tuple[str, str, int, int]]:
    rows = buckets.values("stage", "day", "ms").annotate(n=Sum("turns")).order_by()
    return ((r["stage"], r["day"], r["ms"], r["n"]) for r in rows)


def latency(calls: QuerySet[Call], buckets: QuerySet[LatencyBucket] | None = None) -> dict:
    """Per stage (`STAGES`): nearest-rank percentiles (`PERCENTILES`) over all turns and per local day of the call's
    start, in ms (bucketed: to 10 ms below 1 s, to 100 ms above). `buckets`, the summary rows for the same filters
    (see CallFilterForm.latency_buckets), answers without reading turns; without it the turns of `calls` are counted."""
    histograms: dict[str, dict[str, dict[int, int]]] = {stage: {} for stage in STAGES}
    counted = _turn_buckets(calls) if buckets is None else _summary_buckets(buckets)
    for stage, day, ms, n in counted:
        by_day = histograms[stage].setdefault(day.isoformat(), {})
        by_day[ms] = by_day.get(ms, 0) + n
    days: set[str] = set()
    stages: dict[str, dict] = {}
    for stage, by_day in histograms.items():
        overall: dict[int, int] = {}
        for histogram in by_day.values():
            for ms, n in histogram.items():
                overall[ms] = overall.get(ms, 0) + n
        days.update(by_day)
        stages[stage] = {"overall": percentiles(overall, PERCENTILES), "turns": sum(overall.values()),
                         "by_day": {day: percentiles(h, PERCENTILES) for day, h in sorted(by_day.items())}}
    return {"days": sorted(days), "stages": stages}
