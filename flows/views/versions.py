"""Publishing, the version history, the semantic diff between two versions, and restoring an old version."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import trigger_client_event

from flows import services
from flows.diff import diff_graphs
from flows.forms import canvas_labels
from flows.models import FlowVersion
from flows.views.common import localised
from flows.views.display import describe_changes
from salesstudio.models import Bot
from salesstudio.permissions import workspace_view


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def publish(request: HttpRequest, bot: Bot) -> HttpResponse:
    """Compile the saved draft into a new version; on errors nothing is created and the errors are shown."""
    flow = services.get_flow(bot)
    try:
        version = services.do_publish(flow, request.user, request.POST.get("note", ""),
                                      force=request.POST.get("force") == "1")
    except services.PublishError as error:
        if not request.htmx:
            messages.error(request, error.message)
            return redirect("flows:editor", ws=request.workspace.slug, bot=bot.slug)
        context = {"message": error.message, "errors": localised(error.errors), "tests_failed": error.tests_failed,
                   "bot": bot}
        return render(request, "flows/editor.html#publish-result", context)
    text = _("Published version %(n)d.") % {"n": version.number}
    if not request.htmx:
        messages.success(request, text)
        return redirect("flows:versions", ws=request.workspace.slug, bot=bot.slug)
    response = render(request, "flows/editor.html#publish-result", {"version": version, "bot": bot})
    return trigger_client_event(response, "flow:published", {"number": version.number, "text": text})


@require_http_methods(["GET"])
@workspace_view(read="view")
def versions(request: HttpRequest, bot: Bot) -> HttpResponse:
    flow = services.get_flow(bot)
    items = list(flow.versions.select_related("author"))
    for version in items[1:]:  # what restoring it would change in the latest version
        version.restore_summary = change_counts(diff_graphs(items[0].graph, version.graph))
    context = {"bot": bot, "flow": flow, "versions": items, "can_edit": request.membership.can_edit}
    return render(request, "flows/versions.html", context)


def change_counts(changes: list[dict]) -> list[tuple[str, int, int, int]]:
    """[(what, added, removed, changed)] for nodes, connections and settings that changed at all."""
    labels = {"node": _("Nodes"), "edge": _("Connections"), "setting": _("Settings")}
    rows = []
    for what, label in labels.items():
        mine = [c for c in changes if c["what"] == what]
        if mine:
            changed = len({c["id"] for c in mine if c["op"] == "changed"})  # one per item, however many fields
            added, removed = (sum(c["op"] == op for c in mine) for op in ("added", "removed"))
            rows.append((label, added, removed, changed))
    return rows


@require_http_methods(["GET"])
@workspace_view(read="view")
def diff(request: HttpRequest, bot: Bot) -> HttpResponse:
    """`?a=<number>&b=<number>`: what changed from version a to version b (default: the latest and the one before)."""
    flow = services.get_flow(bot)
    chosen = _numbers(request, flow)
    if chosen is None:
        messages.info(request, _("Publish at least two versions to compare them."))
        return redirect("flows:versions", ws=request.workspace.slug, bot=bot.slug)
    before = get_object_or_404(FlowVersion, flow=flow, number=chosen[0])
    after = get_object_or_404(FlowVersion, flow=flow, number=chosen[1])
    found = services.diff_versions(before, after)
    found["changes"] = describe_changes(found["changes"], before.graph, after.graph)
    context = {"bot": bot, "before": before, "after": after, "diff": found,
               "numbers": list(flow.versions.values_list("number", flat=True)),
               "labels": canvas_labels()}
    return render(request, "flows/diff.html", context)


def _numbers(request: HttpRequest, flow) -> tuple[int, int] | None:
    numbers = list(flow.versions.values_list("number", flat=True))  # newest first
    try:
        b = int(request.GET.get("b") or numbers[0])
        a = int(request.GET.get("a") or next(n for n in numbers if n < b))
    except (ValueError, IndexError, StopIteration):
        return None
    return a, b


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def restore(request: HttpRequest, bot: Bot, flow_version: int) -> HttpResponse:
    old = get_object_or_404(FlowVersion, flow__bot=bot, number=flow_version)
    try:
        new = services.do_restore_version(old, request.user)
    except services.PublishError as error:
        messages.error(request, error.message)
        return redirect("flows:versions", ws=request.workspace.slug, bot=bot.slug)
    messages.success(request, _("Version %(old)d was published again as version %(new)d and is now the draft.")
                     % {"old": old.number, "new": new.number})
    return redirect("flows:versions", ws=request.workspace.slug, bot=bot.slug)
