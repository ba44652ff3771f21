"""Bot list and deletion (the overview with the settings: calls.views.overview; import and export:
flows.views.bundles)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from salesstudio import services
from salesstudio.forms import BotForm, BundleUploadForm
from salesstudio.jobs import BackgroundJob
from salesstudio.models import Bot, Job
from salesstudio.permissions import workspace_view


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="edit")
def bot_list(request: HttpRequest) -> HttpResponse:
    form = BotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        bot = services.do_create_bot(request.workspace, **form.cleaned_data)
        return redirect("bot_detail", ws=request.workspace.slug, bot=bot.slug)
    bots = request.workspace.bots.all()
    jobs = request.workspace.jobs.filter(kind="import_bot")[:5]
    context = {"bots": bots, "form": form, "upload_form": BundleUploadForm(), "jobs": jobs}
    return render(request, "salesstudio/bot_list.html", context)


@require_http_methods(["GET"])
@workspace_view(read="view")
def job_status(request: HttpRequest, job: int) -> HttpResponse:
    job_obj = get_object_or_404(Job, pk=job, workspace=request.workspace)
    return render(request, "salesstudio/bot_list.html#job", {"job": job_obj})


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def job_cancel(request: HttpRequest, job: int) -> HttpResponse:
    """Ask a background job to stop (a queued one stops at once); its progress box shows when it has."""
    BackgroundJob.cancel(get_object_or_404(Job, pk=job, workspace=request.workspace).pk)
    return HttpResponse(status=204)


@require_http_methods(["POST"])
@workspace_view(read="manage", write="manage")
def bot_delete(request: HttpRequest, bot: Bot) -> HttpResponse:
    name = bot.name
    bot.delete()
    messages.success(request, _("Deleted %(name)s.") % {"name": name})
    url = reverse("bot_list", kwargs={"ws": request.workspace.slug})
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
