"""What the dashboard pages show, assembled from the aggregations: JSON-ready dicts for the charts and tables."""

from __future__ import annotations

from django.db.models import QuerySet

from calls.analytics import queries
from calls.models import OUTCOME_TONES, Call, LatencyBucket
from flows.models import FlowVersion


def graph_of(bot, version: FlowVersion | None) -> dict:
    """The graph the funnel is drawn on: the chosen flow version's, else the latest one's (empty when unpublished)."""
    version = version or FlowVersion.objects.filter(flow__bot=bot).order_by("-number").first()
    return version.graph if version else {"nodes": [], "edges": []}


def funnel_rows(calls: QuerySet[Call], graph: dict, total: int) -> list[dict]:
    """The funnel per node in the graph's order (nodes no longer in the graph last), with shares of all calls."""
    counts = queries.funnel(calls)
    nodes = [(n["id"], n.get("title") or n["id"], n["kind"]) for n in graph.get("nodes", ())]
    known = {node_id for node_id, _, _ in nodes}
    nodes += [(node_id, node_id, "") for node_id in sorted(counts) if node_id not in known]
    rows = []
    for node_id, title, kind in nodes:
        row = counts.get(node_id)
        if row is None:
            continue
        rows.append({"node": node_id, "title": title, "kind": kind, **row, "reach": queries.rate(row["calls"], total),
                     "drop_rate": queries.rate(row["dropped"], row["calls"])})
    return rows


def dashboard(calls: QuerySet[Call], graph: dict, buckets: QuerySet[LatencyBucket] | None) -> dict:
    """Every figure of the dashboard; `buckets`: the latency summary rows for the same filters, if they have keys."""
    summary = queries.summary(calls)
    outcomes = [{**row, "tone": OUTCOME_TONES.get(row["outcome"], "secondary")} for row in queries.outcomes(calls)]
    return {"summary": summary, "per_day": queries.per_day(calls), "outcomes": outcomes,
            "grades": queries.grades_per_day(calls),
            "funnel": funnel_rows(calls, graph, summary["calls"]), "intents": queries.intents(calls),
            "latency": queries.latency(calls, buckets)}


def comparison(calls: QuerySet[Call], graph: dict, buckets: QuerySet[LatencyBucket] | None) -> dict:
    """The figures of one side of a version comparison."""
    summary = queries.summary(calls)
    latency = queries.latency(calls, buckets)["stages"]["total"]["overall"]
    outcomes = {r["outcome"]: r["calls"] for r in queries.outcomes(calls)}
    return {"summary": summary, "latency": latency, "outcomes": outcomes,
            "funnel": {r["node"]: r for r in funnel_rows(calls, graph, summary["calls"])}}
