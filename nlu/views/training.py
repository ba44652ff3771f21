"""The training page: start a run (defaults or advanced settings), watch it live, cancel it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from nlu import services
from nlu.forms import TrainingForm
from nlu.models import TrainingRun
from salesstudio.models import Bot
from salesstudio.permissions import workspace_view


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="edit")
def training(request: HttpRequest, bot: Bot) -> HttpResponse:
    """Runs and model versions; POST starts a run."""
    form = TrainingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_start_training(bot, request.user, form.cleaned_data)
            messages.success(request, _("Training started."))
            return redirect("nlu:training", ws=request.workspace.slug, bot=bot.slug)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    services.do_fail_orphaned_runs()
    runs = bot.training_runs.select_related("created_by", "model_version")[:20]
    context = {"bot": bot, "form": form, "runs": runs, "current": next((r for r in runs if r.is_active), None),
               "versions": bot.model_versions.all(), "example_count": bot.examples.count(),
               "data_warnings": services.data_warnings(bot)}
    return render(request, "nlu/training.html", context)


@require_http_methods(["GET"])
@workspace_view(read="view")
def run_status(request: HttpRequest, bot: Bot, run: int) -> HttpResponse:
    """The live progress card (polled by htmx while the run is active)."""
    obj = get_object_or_404(TrainingRun, bot=bot, pk=run)
    response = render(request, "nlu/training.html#run-card", {"bot": bot, "run": obj})
    if not obj.is_active:
        response["HX-Trigger"] = "run-finished"
    return response


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def run_cancel(request: HttpRequest, bot: Bot, run: int) -> HttpResponse:
    obj = services.do_cancel_training(get_object_or_404(TrainingRun, bot=bot, pk=run))
    if request.htmx:
        return render(request, "nlu/training.html#run-card", {"bot": bot, "run": obj})
    messages.info(request, _("Cancelling the training run…"))
    return redirect("nlu:training", ws=request.workspace.slug, bot=bot.slug)
