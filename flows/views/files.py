"""Export the draft as a JSON file and import one (a broken or hostile file changes nothing)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from flows import services
from salesstudio.models import Bot
from salesstudio.permissions import workspace_view


@require_http_methods(["GET"])
@workspace_view(read="view")
def export(request: HttpRequest, bot: Bot) -> HttpResponse:
    flow = services.get_flow(bot)
    response = HttpResponse(services.export_flow(flow), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{bot.slug}-flow-r{flow.revision}.json"'
    return response


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def import_flow(request: HttpRequest, bot: Bot) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a flow file to import."))
    elif upload.size > services.MAX_IMPORT_BYTES:
        messages.error(request, _("The file is larger than %(n)d MB.") % {"n": services.MAX_IMPORT_BYTES >> 20})
    else:
        try:
            flow = services.do_import_flow(services.get_flow(bot), upload.read(), request.user)
        except services.FlowDataError as error:
            messages.error(request, _("The file was not imported: %(e)s") % {"e": error.message})
        else:
            messages.success(request, _("Imported %(n)d nodes; the draft is now revision %(r)d.")
                             % {"n": len(flow.graph["nodes"]), "r": flow.revision})
    return redirect("flows:editor", ws=request.workspace.slug, bot=bot.slug)
