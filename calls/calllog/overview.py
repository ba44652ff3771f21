"""What a manager checks first on a bot's overview: the published flow, the active model and its scores, the
knowledge base, the last seven days of calls, and what needs attention (each with where to fix it)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from calls.analytics.queries import summary
from calls.calllog import knowledge
from calls.models import DEAL_OUTCOMES, Call
from flows.diff import diff_graphs
from flows.services import draft_graph, get_flow
from nlu.models import TrainingRun
from nlu.services import active_version, data_warnings
from salesstudio.models import Bot

DAYS = 7


@dataclass
class Attention:
    text: str
    url: str
    tone: str = "warning"


def bot_overview(bot: Bot) -> dict:
    since = timezone.localdate() - datetime.timedelta(days=DAYS - 1)
    recent = Call.objects.filter(bot=bot, started_at__date__gte=since)
    flow = _flow(bot)
    return {"flow": flow, "model": active_version(bot), "training": TrainingRun.objects.filter(
                bot=bot, status__in=TrainingRun.ACTIVE).exists(),
            "knowledge": bot.knowledge.count(), "counts": {"intents": bot.intents.count(), "slots": bot.slots.count(),
                                                           "examples": bot.examples.count()},
            "week": summary(recent), "days": _days(recent, since), "attention": _attention(bot, flow)}


def _flow(bot: Bot) -> dict:
    flow = get_flow(bot)
    latest = flow.versions.order_by("-number").first()
    changes = len(diff_graphs(latest.graph, draft_graph(flow))) if latest else 0
    return {"latest": latest, "unpublished": changes}


def _days(calls, since: datetime.date) -> list[dict]:  # noqa: ANN001 — a QuerySet of calls
    """One row per day of the window, days without calls included (a chart with gaps would mislead)."""
    rows = {r["day"]: r for r in calls.annotate(day=TruncDate("started_at")).values("day").annotate(
        calls=Count("id"), completed=Count("id", filter=Q(completed=True)),
        deals=Count("id", filter=Q(outcome__in=DEAL_OUTCOMES)))}
    days = [since + datetime.timedelta(days=n) for n in range(DAYS)]
    most = max((r["calls"] for r in rows.values()), default=0)
    return [{"day": day, **{k: rows.get(day, {}).get(k, 0) for k in ("calls", "completed", "deals")},
             "height": round(100 * rows.get(day, {}).get("calls", 0) / most) if most else 0} for day in days]


def _attention(bot: Bot, flow: dict) -> list[Attention]:
    ws, slug = bot.workspace.slug, bot.slug
    found = []
    if flow["latest"] is None:
        found.append(Attention(_("The flow is not published yet: calls cannot start."),
                               reverse("flows:editor", kwargs={"ws": ws, "bot": slug}), "danger"))
    elif flow["unpublished"]:
        found.append(Attention(ngettext("The draft has %(n)s change that is not published.",
                                        "The draft has %(n)s changes that are not published.", flow["unpublished"])
                               % {"n": flow["unpublished"]}, reverse("flows:editor", kwargs={"ws": ws, "bot": slug})))
    if flow["latest"] is not None and knowledge.unpublished(bot):
        found.append(Attention(_("The knowledge base has changes that calls do not use yet."),
                               reverse("calls:knowledge", kwargs={"ws": ws, "bot": slug})))
    run = bot.test_runs.order_by("-created_at").first()
    if run is not None and (run.failed or run.stale):
        found.append(Attention(_("The last conversation-test run had %(n)s failing or stale test(s).")
                               % {"n": run.failed + run.stale}, reverse("calls:tests", kwargs={"ws": ws, "bot": slug}),
                               "danger"))
    training = bot.training_runs.order_by("-created_at", "-id").first()
    if training is not None and training.status == TrainingRun.Status.FAILED:
        found.append(Attention(_("The last training run failed: %(error)s") % {"error": training.error[:160]},
                               reverse("nlu:training", kwargs={"ws": ws, "bot": slug}), "danger"))
    intents_url = reverse("nlu:intents", kwargs={"ws": ws, "bot": slug})
    found += [Attention(w.message, intents_url) for w in data_warnings(bot)]
    unanswered = knowledge.unanswered(bot, days=DAYS)
    if unanswered:
        found.append(Attention(_("Callers asked %(n)s question(s) nothing answered this week.")
                               % {"n": sum(u["n"] for u in unanswered)},
                               reverse("calls:knowledge", kwargs={"ws": ws, "bot": slug}), "info"))
    return found
