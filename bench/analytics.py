"""Analytics benchmark: seed at least 100,000 simulated calls and 1,000,000 turns of the demo bot into PostgreSQL
through the bulk call-log path, then time every dashboard query (target ≤ 1 s each) and the streamed CSV export of
100,000 calls (peak Python memory shows that rows are not all loaded), and re-grading every call's lead grade
(target ≤ 60 s).

Prints one JSON object. Uses its own database (created by the caller), seeded once and reused:

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE ss_bench_analytics'
    nice .venv/bin/python bench/analytics.py [--database-url postgres://postgres@127.0.0.1:5432/ss_bench_analytics]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_S = 1.0
CALLS, TURNS = 100_000, 1_000_000
REPEAT = 3


def setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SALESSTUDIO_DATA_DIR", "/tmp/ss-bench-analytics")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesstudio.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def demo_bot():
    from django.contrib.auth import get_user_model

    from flows import bundles
    from salesstudio import services
    from salesstudio.models import Workspace

    user, _ = get_user_model().objects.get_or_create(username="bench")
    workspace = Workspace.objects.filter(name="bench-analytics").first()
    if workspace is None:
        workspace = services.do_create_workspace("bench-analytics", user)
    return workspace.bots.first() or bundles.do_import_bot(workspace, bundles.load_demo_bundle(), user)


def seed(bot) -> dict:
    """Simulated calls over 30 days until both targets are met; returns the counts and the seeding time."""
    from django.db import connection

    from calls.calllog.bulk import simulate_calls
    from calls.models import Turn

    began, batch = time.perf_counter(), 0
    while bot.calls.count() < CALLS or Turn.objects.filter(call__bot=bot).count() < TURNS:
        simulate_calls(bot, 20_000, days=30, seed=bot.calls.count() + batch)
        batch += 1
    seconds = time.perf_counter() - began
    if batch:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # what autovacuum does after a bulk load (index-only scans need it)
    return {"calls": bot.calls.count(), "turns": Turn.objects.filter(call__bot=bot).count(),
            "seed_s": round(seconds, 1)}


def timed(fn: Callable[[], object]) -> dict:
    times = []
    for _ in range(REPEAT):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3),
            "ok": statistics.median(times) <= TARGET_S}


def dashboards(bot) -> dict:
    from django.http import QueryDict

    from calls.analytics import queries
    from calls.analytics.filters import CallFilterForm

    version = bot.flow.versions.first().number
    week_ago = time.strftime("%Y-%m-%d", time.localtime(time.time() - 7 * 86400))
    filters = {"all calls": "", "flow version": f"version={version}",
               "last 7 days + channel": f"start={week_ago}&channel=simulated",
               "outcome + no-match": "outcome=挂断&no_match=on"}
    found = {}
    for label, query in filters.items():
        form = CallFilterForm(bot, QueryDict(query))
        calls = form.calls()
        found[label] = {name: timed(lambda fn=fn, calls=calls: fn(calls)) for name, fn in [
            ("summary", queries.summary), ("per_day", queries.per_day), ("outcomes", queries.outcomes),
            ("funnel", queries.funnel), ("intents", queries.intents),
            ("latency", lambda calls, form=form: queries.latency(calls, form.latency_buckets()))]}
        found[label]["latency"]["from"] = "turns" if form.latency_buckets() is None else "summary"
    return found


def export(bot) -> dict:
    """Time one export, then export again under tracemalloc (which slows Python several times) for peak memory."""
    from calls.analytics.export import call_rows
    from calls.models import Call

    calls = Call.objects.filter(pk__in=bot.calls.order_by("-id").values("pk")[:CALLS])
    began = time.perf_counter()
    lines = sum(1 for _ in call_rows(calls, bot))
    seconds = time.perf_counter() - began
    tracemalloc.start()
    sum(1 for _ in call_rows(calls, bot))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"rows": lines - 1, "seconds": round(seconds, 2), "peak_python_mb": round(peak / 2**20, 1)}


def regrade(bot) -> dict:
    """Grade every call again (what saving the lead-grading rules starts in a background job)."""
    from calls.calllog.grades import do_regrade_calls

    began = time.perf_counter()
    graded = do_regrade_calls(bot)
    seconds = time.perf_counter() - began
    return {"calls": graded, "seconds": round(seconds, 1), "ok": seconds <= 60}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/ss_bench_analytics")
    args = parser.parse_args()
    setup(args.database_url)
    bot = demo_bot()
    data = {"seed": seed(bot)}
    data["dashboards"] = dashboards(bot)
    data["csv_export"] = export(bot)
    data["regrade"] = regrade(bot)
    data["all_ok"] = all(t["ok"] for group in data["dashboards"].values() for t in group.values())
    print(json.dumps(data, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
