"""The side panel: a node's, an edge's or the flow settings' form, rendered from the JSON the canvas sends and validated by the server.

Opening a panel writes nothing, so viewers may post to it (they get the form read-only); applying needs `edit`. A valid
apply answers with the normalised node or condition in an htmx event for the canvas, and leaves the form in place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import reswap, trigger_client_event

from flows import services
from flows.forms import KIND_LABELS, EdgeForm, NodeForm, SettingsForm, node_initial
from flows.kinds import KINDS
from flows.views.common import posted_json
from salesstudio.models import Bot
from salesstudio.permissions import workspace_view

TEMPLATE = "flows/panel.html"


def _node_form(request: HttpRequest, bot: Bot, node: dict, data=None) -> NodeForm:
    slots = list(bot.slots.order_by("id").values_list("name", flat=True))
    return NodeForm(node["kind"], slots, data, initial=node_initial(node))


def _render_node(request: HttpRequest, bot: Bot, node: dict, form: NodeForm, status: int = 200) -> HttpResponse:
    context = {"bot": bot, "node": node, "node_json": json.dumps(node, ensure_ascii=False), "form": form,
               "kind_label": KIND_LABELS[node["kind"]], "kind": KINDS[node["kind"]],
               "can_edit": request.membership.can_edit, "slot_names": [c[0] for c in form.fields["slots"].choices]
               if "slots" in form.fields else list(bot.slots.order_by("id").values_list("name", flat=True))}
    return render(request, f"{TEMPLATE}#node", context, status=status)


def _posted(request: HttpRequest, field: str, check: Callable[[Any], dict]) -> dict | HttpResponse:
    """The JSON posted in `field`, canonicalised by `check` (a flows.services checker), or a 400 problem panel."""
    try:
        return check(posted_json(request, field))
    except services.FlowDataError as error:
        return render(request, f"{TEMPLATE}#problem", {"message": error.message}, status=400)


def _posted_node(request: HttpRequest) -> dict | HttpResponse:
    return _posted(request, "node", services.check_node)


@require_http_methods(["POST"])
@workspace_view(read="view", write="view")
def node_panel(request: HttpRequest, bot: Bot) -> HttpResponse:
    node = _posted_node(request)
    if isinstance(node, HttpResponse):
        return node
    return _render_node(request, bot, node, _node_form(request, bot, node))


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def node_apply(request: HttpRequest, bot: Bot) -> HttpResponse:
    node = _posted_node(request)
    if isinstance(node, HttpResponse):
        return node
    form = _node_form(request, bot, node, request.POST)
    if form.is_valid():
        fields = {"id": node["id"], "kind": node["kind"], "position": node["position"], **form.to_json()}
        try:
            updated = services.check_node(fields)
        except services.FlowDataError as error:
            form.add_error(None, error.message)
        else:
            response = render(request, f"{TEMPLATE}#applied", {"message": _("Applied")})
            return trigger_client_event(reswap(response, "none"), "flow:node-applied", {"node": updated})
    return _render_node(request, bot, node, form, status=200)


def _posted_edge(request: HttpRequest) -> dict | None:
    edge = posted_json(request, "edge")
    ok = isinstance(edge, dict) and isinstance(edge.get("id"), str) and isinstance(edge.get("condition"), dict)
    # a condition's fields are plain values (type, intent, expr…): a list or an object there is not a condition
    return edge if ok and all(_scalar(v) for v in edge["condition"].values()) else None


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _render_edge(request: HttpRequest, bot: Bot, edge: dict, form: EdgeForm) -> HttpResponse:
    context = {"bot": bot, "edge": edge, "edge_json": json.dumps(edge, ensure_ascii=False), "form": form,
               "can_edit": request.membership.can_edit,
               "source_kind": request.POST.get("source_kind", ""),
               "source_kind_label": KIND_LABELS.get(request.POST.get("source_kind", ""), "")}
    return render(request, f"{TEMPLATE}#edge", context)


def _edge_form(request: HttpRequest, bot: Bot, edge: dict, data=None) -> EdgeForm:
    intents = list(bot.intents.order_by("id").values_list("name", flat=True))
    return EdgeForm(request.POST.get("source_kind", ""), intents, data, initial=edge["condition"])


@require_http_methods(["POST"])
@workspace_view(read="view", write="view")
def edge_panel(request: HttpRequest, bot: Bot) -> HttpResponse:
    edge = _posted_edge(request)
    if edge is None:
        return render(request, f"{TEMPLATE}#problem", {"message": _("The request is not valid.")}, status=400)
    return _render_edge(request, bot, edge, _edge_form(request, bot, edge))


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def edge_apply(request: HttpRequest, bot: Bot) -> HttpResponse:
    edge = _posted_edge(request)
    if edge is None:
        return render(request, f"{TEMPLATE}#problem", {"message": _("The request is not valid.")}, status=400)
    form = _edge_form(request, bot, edge, request.POST)
    if not form.is_valid():
        return _render_edge(request, bot, edge, form)
    response = render(request, f"{TEMPLATE}#applied", {"message": _("Applied")})
    return trigger_client_event(reswap(response, "none"), "flow:edge-applied",
                                {"id": edge["id"], "condition": form.to_json()})


def _posted_settings(request: HttpRequest) -> dict | HttpResponse:
    return _posted(request, "settings", services.check_settings)


def _render_settings(request: HttpRequest, bot: Bot, settings: dict, form: SettingsForm) -> HttpResponse:
    context = {"bot": bot, "settings_json": json.dumps(settings), "form": form, "can_edit": request.membership.can_edit}
    return render(request, f"{TEMPLATE}#settings", context)


@require_http_methods(["POST"])
@workspace_view(read="view", write="view")
def settings_panel(request: HttpRequest, bot: Bot) -> HttpResponse:
    settings = _posted_settings(request)
    if isinstance(settings, HttpResponse):
        return settings
    return _render_settings(request, bot, settings, SettingsForm(initial=settings))


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def settings_apply(request: HttpRequest, bot: Bot) -> HttpResponse:
    settings = _posted_settings(request)
    if isinstance(settings, HttpResponse):
        return settings
    form = SettingsForm(request.POST, initial=settings)
    if not form.is_valid():
        return _render_settings(request, bot, settings, form)
    response = render(request, f"{TEMPLATE}#applied", {"message": _("Applied")})
    return trigger_client_event(reswap(response, "none"), "flow:settings-applied",
                                {"settings": services.check_settings(form.cleaned_data)})
