"""Call log pages: the filtered list (htmx pagination), one call turn by turn with its saved audio, the CSV
exports."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from calls.analytics import export
from calls.analytics.filters import CallFilterForm
from calls.calllog.grades import rule_text, rules_for
from calls.models import Call
from calls.views.analytics import STAGE_LABELS
from salesstudio.http import file_response
from salesstudio.models import Bot
from salesstudio.permissions import workspace_view

PAGE_SIZE = 50


@require_http_methods(["GET"])
@workspace_view(read="view")
def calls(request: HttpRequest, bot: Bot) -> HttpResponse:
    """The list; htmx swaps the `results` fragment when the filters change or a page link is followed."""
    form = CallFilterForm(bot, request.GET)
    rows = form.calls().select_related("flow_version", "model_version", "customer")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"bot": bot, "form": form, "page": page, "query": form.query_string(), "tab": "calls"}
    return render(request, "calls/list.html#results" if request.htmx else "calls/list.html", context)


@require_http_methods(["GET"])
@workspace_view(read="view")
def call(request: HttpRequest, bot: Bot, call: int) -> HttpResponse:
    found = get_object_or_404(Call.objects.select_related("flow_version", "model_version", "user", "customer"),
                              pk=call, bot=bot)
    turns = list(found.turns.all())
    for t in turns:  # each stage's share of the turn, for the latency bar
        t.total_seconds = (t.total_ms or 0) / 1000
        t.stages = [(stage, STAGE_LABELS[stage], ms, 100 * ms / t.total_ms) for stage in STAGE_LABELS
                    if stage != "total" and (ms := getattr(t, f"{stage}_ms")) and t.total_ms]
    for t in turns:  # where the turn is on the call's audio (both tracks share one timeline)
        starts = [v for v in (t.user_audio_start, t.bot_audio_start) if v is not None]
        ends = [v for v in (t.user_audio_end, t.bot_audio_end) if v is not None]
        t.audio_span = (min(starts), max(ends)) if starts and ends else None
    said = ""
    for t in turns:  # what the bot had just said: the context of what the caller said next
        t.context, said = said, t.bot_text or said
    slot_names = sorted({name for t in turns for name in t.slots} | {n for t in turns for n in t.changed_slots})
    context = {"bot": bot, "call": found, "turns": turns, "slot_names": slot_names,
               "stage_legend": [(stage, label) for stage, label in STAGE_LABELS.items() if stage != "total"],
               "slot_rows": [(t, [(t.slots.get(n), n in t.changed_slots) for n in slot_names]) for t in turns],
               "grade_rule": rule_text(found.grade_rule, rules_for(bot)) if found.grade else ""}
    return render(request, "calls/detail.html", context)


@require_http_methods(["GET"])
@workspace_view(read="view")
def call_audio(request: HttpRequest, bot: Bot, call: int, track: str) -> HttpResponse:
    """The caller's (`track` user) or the bot's (bot) audio of a call, with Range support for seeking."""
    found = get_object_or_404(Call, bot=bot, pk=call)
    field = found.user_audio if track == "user" else found.bot_audio
    if not field:
        raise Http404
    return file_response(request, field.storage, field.name, "audio/wav")


def _csv_response(lines, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_http_methods(["GET"])
@workspace_view(read="view")
def calls_csv(request: HttpRequest, bot: Bot) -> StreamingHttpResponse:
    return _csv_response(export.call_rows(CallFilterForm(bot, request.GET).calls(), bot), f"{bot.slug}-calls.csv")


@require_http_methods(["GET"])
@workspace_view(read="view")
def turns_csv(request: HttpRequest, bot: Bot) -> StreamingHttpResponse:
    return _csv_response(export.turn_rows(CallFilterForm(bot, request.GET).calls(), bot), f"{bot.slug}-turns.csv")
