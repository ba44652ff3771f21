"""The live call tester: choose a published version, call it by microphone or keyboard, watch every turn."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from calls.models import Turn
from calls.views.analytics import STAGE_LABELS
from flows.compiler import node_titles
from flows.forms import canvas_labels
from flows.models import FlowVersion
from nlu.models import TrainingRun
from nlu.services import active_version
from salesstudio.models import Bot
from salesstudio.permissions import workspace_view

CUSTOMER_CHOICES = 200  # customers offered in the picker; `?customer=` (from a customer's page) reaches any other


@require_http_methods(["GET"])
@workspace_view(read="edit")
def tester(request: HttpRequest, bot: Bot) -> HttpResponse:
    """`?version=<number>` picks the published version to call (default: the latest)."""
    versions = list(FlowVersion.objects.filter(flow__bot=bot).order_by("-number"))
    wanted = request.GET.get("version")
    chosen = next((v for v in versions if str(v.number) == wanted), versions[0] if versions else None)
    model = active_version(bot)
    training = bot.training_runs.filter(status__in=TrainingRun.ACTIVE).first()
    config = {"socket": f"/ws/w/{request.workspace.slug}/call/", "bot": bot.slug,
              "version": chosen.number if chosen else None, "graph": chosen.graph if chosen else None,
              "labels": canvas_labels(), "text": page_texts(), "events": dict(Turn.Event.choices),
              "stages": {stage: str(label) for stage, label in STAGE_LABELS.items() if stage != "total"},
              "titles": node_titles(chosen.program if chosen else None)}
    customers = list(request.workspace.customers.order_by("name", "phone")[:CUSTOMER_CHOICES])
    wanted = request.GET.get("customer", "")
    chosen_customer = next((c for c in customers if str(c.pk) == wanted), None)
    if chosen_customer is None and wanted.isdigit():
        chosen_customer = request.workspace.customers.filter(pk=int(wanted)).first()
        customers += [chosen_customer] if chosen_customer else []
    return render(request, "calls/tester.html", {"bot": bot, "versions": versions, "version": chosen,
                                                 "model": model, "training": training, "config": config,
                                                 "customers": customers, "customer": chosen_customer})


def page_texts() -> dict[str, str]:
    """Messages the page's script shows, in the request's language."""
    return {"connecting": _("Connecting…"), "live": _("On the call"), "ended": _("Call ended"),
            "outcome": _("Outcome"), "error": _("Error"), "noMic": _("The microphone cannot be used: type instead."),
            "noIntent": _("no intent"), "none": _("none"), "source": _("answered by"),
            "bargeIn": _("You interrupted the bot"), "silence": _("(silence)"), "disconnected": _("Connection lost"),
            "corrected": _("corrected from"), "sourceExamples": _("the example phrases"),
            "sourceModel": _("NLU model v%(n)s"), "sourceLexicon": _("the slot lexicon only"),
            "remembered": _("remembered from %(date)s"), "answered": _("answered"),
            "notAnswered": _("below the threshold, not answered"), "score": _("score"),
            "nearerExample": _("nearer to the intent example “%(example)s”: the flow answers")}
