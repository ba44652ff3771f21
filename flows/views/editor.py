"""The editor page and its save endpoint (JSON, optimistic locking on `Flow.revision`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from flows import services
from flows.forms import KIND_LABELS, canvas_labels
from flows.kinds import KINDS
from flows.views.common import issues, who_and_when
from nlu import jsonguard
from salesstudio.models import Bot
from salesstudio.permissions import workspace_view


@require_http_methods(["GET"])
@workspace_view(read="view")
def editor(request: HttpRequest, bot: Bot) -> HttpResponse:
    flow = services.get_flow(bot)
    graph, draft_error, result = services.draft_graph(flow), None, None
    try:
        result = services.validate_graph(bot, services.check_graph(graph))
    except services.FlowDataError as error:
        draft_error = error.message
    context = {
        "bot": bot, "flow": flow, "graph": graph, "draft_error": draft_error, "issues": issues(result),
        "can_edit": request.membership.can_edit, "latest": flow.versions.first(), "config": _config(request, bot, flow),
        "kinds": [(name, KIND_LABELS[name], kind.icon, kind.color) for name, kind in KINDS.items()],
    }
    return render(request, "flows/editor.html", context)


def _config(request: HttpRequest, bot: Bot, flow) -> dict:
    args = {"ws": request.workspace.slug, "bot": bot.slug}
    urls = {name: reverse(f"flows:{name}", kwargs=args)
            for name in ("save", "node_panel", "edge_panel", "settings_panel", "publish", "versions")}
    return {
        "urls": urls, "revision": flow.revision, "canEdit": request.membership.can_edit,
        # A branch's new exits take the bot's own intents; the global ones are handled once, off the start node.
        "intents": list(bot.intents.filter(is_global=False).order_by("id").values_list("name", flat=True)),
        "globalIntents": list(bot.intents.filter(is_global=True).order_by("id").values_list("name", flat=True)),
        **canvas_labels(),  # kinds, conditions, exprWords: the same table as every read-only canvas
        "text": {"saved": _("Saved"), "saving": _("Saving…"), "unsaved": _("Unsaved changes"),
                 "saveFailed": _("Save failed"), "applied": _("Applied"),
                 "conflict": _("%(by)s changed this flow at %(at)s (revision %(revision)s). Your changes were not "
                               "saved: reload to get the latest version.")},
    }


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def save(request: HttpRequest, bot: Bot) -> HttpResponse:
    """Body `{"revision": n, "graph": {...}}` → the new revision and the validation list; 409 when stale."""
    flow = services.get_flow(bot)
    try:
        body = jsonguard.loads(request.body)
        flow = services.do_save_flow(flow, body["graph"], int(body["revision"]), request.user)
    except services.StaleFlowError as stale:
        return JsonResponse({"error": "stale", "revision": stale.flow.revision, **who_and_when(stale.flow),
                             "message": _("Someone else changed this flow.")}, status=409)
    except services.FlowDataError as error:
        return JsonResponse({"error": "invalid", "message": error.message}, status=400)
    except (ValueError, TypeError, KeyError, RecursionError):
        return JsonResponse({"error": "invalid", "message": _("The request is not valid.")}, status=400)
    found = issues(services.validate_graph(bot, flow.graph))
    html = render_to_string("flows/editor.html#issues", {"issues": found}, request=request)
    return JsonResponse({"revision": flow.revision, **who_and_when(flow), "issues": found, "issues_html": html})
