"""Bot files: import (in the background, as a job) and export."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from flows import bundles
from nlu import jsonguard
from nlu.forms import json_error
from nlu.jsonguard import UnsafeJson
from salesstudio.forms import BundleUploadForm
from salesstudio.jobs import do_start_job
from salesstudio.models import Bot
from salesstudio.permissions import workspace_view

MAX_BUNDLE_BYTES = 20 * 1024 * 1024


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def bot_import(request: HttpRequest) -> HttpResponse:
    """Import a bot file, or the demo bot, in the background; the list shows the job's progress."""
    if request.POST.get("demo"):
        do_start_job("import_bot", request.workspace, request.user, demo=True)
        messages.info(request, _("Importing the demo bot…"))
        return redirect("bot_list", ws=request.workspace.slug)
    form = BundleUploadForm(request.POST, request.FILES)
    try:
        data = _read_bundle(form)
        bundles.check_bundle(data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("bot_list", ws=request.workspace.slug)
    do_start_job("import_bot", request.workspace, request.user, bundle=data)
    messages.info(request, _("Importing %(name)s…") % {"name": data["bot"]["name"]})
    return redirect("bot_list", ws=request.workspace.slug)


def _read_bundle(form: BundleUploadForm) -> dict:
    if not form.is_valid():
        raise ValidationError(_("Choose a bot file to import."))
    upload = form.cleaned_data["file"]
    if upload.size > MAX_BUNDLE_BYTES:
        raise ValidationError(_("The file is larger than 20 MB."))
    try:
        return jsonguard.loads(upload.read())
    except UnsafeJson as exc:  # the parser's English detail stays out of the page
        raise ValidationError(json_error(exc, file=True)) from None


@require_http_methods(["GET"])
@workspace_view(read="view")
def bot_export(request: HttpRequest, bot: Bot) -> HttpResponse:
    response = JsonResponse(bundles.export_bot(bot), json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'attachment; filename="{bot.slug}.json"'
    return response
