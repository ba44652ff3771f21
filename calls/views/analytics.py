"""Analytics pages: the dashboard, the funnel drawn on the flow canvas, and two flow versions side by side. All of
them take the calls list's filters."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from calls.analytics import dashboard as figures
from calls.analytics.filters import CallFilterForm
from calls.calllog.grades import GRADE_LABELS
from flows.forms import canvas_labels
from flows.models import FlowVersion
from salesstudio.models import Bot
from salesstudio.permissions import workspace_view

STAGE_LABELS = {"total": _("Whole turn"), "vad": _("Endpointing"), "asr": _("Speech recognition"),
                "nlu": _("Understanding"), "flow": _("Flow"), "tts": _("Speech synthesis")}


def _context(request: HttpRequest, bot: Bot, tab: str) -> tuple[CallFilterForm, dict]:
    form = CallFilterForm(bot, request.GET)
    calls = form.calls()
    graph = figures.graph_of(bot, form.cleaned_data.get("version"))
    return form, {"bot": bot, "form": form, "query": form.query_string(), "calls": calls, "graph": graph, "tab": tab}


@require_http_methods(["GET"])
@workspace_view(read="view")
def dashboard(request: HttpRequest, bot: Bot) -> HttpResponse:
    form, context = _context(request, bot, "dashboard")
    context["data"] = figures.dashboard(context["calls"], context["graph"], form.latency_buckets())
    context["latency_rows"] = [(STAGE_LABELS.get(stage, stage), stage, row)
                               for stage, row in context["data"]["latency"]["stages"].items()]
    context["stage_choices"] = STAGE_LABELS.items()
    context["grade_labels"] = GRADE_LABELS.items()
    return render(request, "calls/dashboard.html", context)


@require_http_methods(["GET"])
@workspace_view(read="view")
def funnel_canvas(request: HttpRequest, bot: Bot) -> HttpResponse:
    """The flow canvas (the filtered version's graph, else the latest) with each node's funnel figures on it."""
    form, context = _context(request, bot, "canvas")
    total = context["calls"].count()
    context.update(rows=figures.funnel_rows(context["calls"], context["graph"], total), total=total,
                   labels=canvas_labels())
    return render(request, "calls/canvas.html", context)


@require_http_methods(["GET"])
@workspace_view(read="view")
def compare(request: HttpRequest, bot: Bot) -> HttpResponse:
    """`?a=<number>&b=<number>`: two flow versions under the other filters (default: the two with the most calls
    under those filters, the older as A; the latest two when fewer than two have calls)."""
    form, context = _context(request, bot, "compare")
    versions = {v.number: v for v in FlowVersion.objects.filter(flow__bot=bot).order_by("-number")}
    numbers = list(versions)
    calls, buckets = form.calls(ignore=("version",)), form.latency_buckets(ignore=("version",))
    busiest = _busiest(calls, numbers)
    chosen = [_number(request.GET.get(side), numbers, default) for side, default in zip("ab", busiest, strict=True)]
    sides = [(n, figures.comparison(calls.filter(flow_version=versions[n]), versions[n].graph,
                                    None if buckets is None else buckets.filter(flow_version_key=versions[n].pk)))
             for n in chosen if n is not None]
    outcome_names = sorted({name for _n, side in sides for name in side["outcomes"]})
    nodes = _union_nodes(sides)
    chart = {"versions": [f"v{n}" for n, _side in sides],
             "rates": [[side["summary"][key] for key in ("completion_rate", "deal_rate", "lead_rate", "no_match_rate")]
                       for _n, side in sides],
             "nodes": [title or node for node, title in nodes],
             "dropped": [[side["funnel"].get(node, {}).get("dropped", 0) for node, _t in nodes] for _n, side in sides]}
    context.update(numbers=numbers, sides=sides, nodes=nodes, outcome_names=outcome_names, chart=chart,
                   sides_chosen=list(zip("ab", chosen, strict=True)))
    return render(request, "calls/compare.html", context)


def _busiest(calls, numbers: list[int]) -> tuple[int | None, int | None]:  # noqa: ANN001
    """The two version numbers with the most calls, older first; the latest two when fewer than two have calls."""
    counted = (calls.exclude(flow_version=None).values("flow_version__number").annotate(n=Count("id"))
               .order_by("-n", "-flow_version__number")[:2])
    top = sorted(row["flow_version__number"] for row in counted)
    if len(top) < 2:
        top = sorted(numbers[:2])
    return (top[0] if top else None, top[-1] if top else None)


def _number(value: str | None, numbers: list[int], default: int | None) -> int | None:
    if value and value.isdigit() and int(value) in numbers:
        return int(value)
    return default


def _union_nodes(sides: list[tuple[int, dict]]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for _n, side in sides:
        for node, row in side["funnel"].items():
            seen.setdefault(node, row["title"])
    return list(seen.items())
