"""Model versions: evaluation report, side-by-side comparison, activation, rollback, fixing misclassified examples."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from nlu import services
from nlu.models import Intent, ModelVersion
from salesstudio.models import Bot
from salesstudio.permissions import workspace_view


@require_http_methods(["GET"])
@workspace_view(read="view")
def version_report(request: HttpRequest, bot: Bot, version: int) -> HttpResponse:
    obj = get_object_or_404(ModelVersion, bot=bot, pk=version)
    report = services.version_report(obj)
    context = {"bot": bot, "version": obj, "report": report, "intents": bot.intents.all(),
               "confusion_json": json.dumps(report["confusion"], ensure_ascii=False)}
    return render(request, "nlu/report.html", context)


@require_http_methods(["GET"])
@workspace_view(read="view")
def versions_compare(request: HttpRequest, bot: Bot) -> HttpResponse:
    chosen = [int(v) for v in request.GET.getlist("v") if v.isdigit() and len(v) < 19]  # a bigint, not an overflow
    versions = bot.model_versions.filter(pk__in=chosen) if chosen else bot.model_versions.all()[:3]
    rows = services.compare_versions(list(versions))
    return render(request, "nlu/compare.html", {"bot": bot, "versions": versions, "rows": rows})


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def version_activate(request: HttpRequest, bot: Bot, version: int) -> HttpResponse:
    obj = get_object_or_404(ModelVersion, bot=bot, pk=version)
    try:
        services.do_activate_version(obj, force=request.POST.get("force") == "1")
        messages.success(request, _("Version %(n)s is now active.") % {"n": obj.number})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("nlu:training", ws=request.workspace.slug, bot=bot.slug)


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def version_rollback(request: HttpRequest, bot: Bot) -> HttpResponse:
    try:
        version = services.do_rollback(bot)
        messages.success(request, _("Rolled back to version %(n)s.") % {"n": version.number})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("nlu:training", ws=request.workspace.slug, bot=bot.slug)


@require_http_methods(["POST"])
@workspace_view(read="annotate", write="annotate")
def version_relabel(request: HttpRequest, bot: Bot, version: int) -> HttpResponse:
    """Fix a misclassified example in place (htmx swaps the row)."""
    get_object_or_404(ModelVersion, bot=bot, pk=version)
    intent = Intent.objects.filter(bot=bot, pk=request.POST.get("intent") or 0).first()
    text = request.POST.get("text", "")
    if intent is None or not text:
        return HttpResponse(_("Choose an intent."), status=400)
    services.do_relabel_text(bot, text, intent)
    return render(request, "nlu/report.html#fixed-row", {"text": text, "intent": intent})
