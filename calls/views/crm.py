"""CRM push: the bot's webhook (URL, secret, on/off), a test push, and the delivery log."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from calls.calllog.push import do_queue_test
from calls.forms import WebhookForm
from calls.models import CrmWebhook
from salesstudio.models import Bot
from salesstudio.permissions import workspace_view

LOG_SIZE = 50


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="edit")
def crm(request: HttpRequest, bot: Bot) -> HttpResponse:
    hook = CrmWebhook.objects.filter(bot=bot).first() or CrmWebhook(bot=bot, secret=secrets.token_urlsafe(24))
    form = WebhookForm(request.POST or None, instance=hook)
    if request.method == "POST" and form.is_valid():
        form.save()
        if request.POST.get("test"):
            do_queue_test(bot)
            messages.info(request, _("A test push is on its way: its result appears below."))
        else:
            messages.success(request, _("Saved."))
        return redirect("calls:crm", ws=request.workspace.slug, bot=bot.slug)
    deliveries = bot.webhook_deliveries.select_related("call")[:LOG_SIZE]
    return render(request, "calls/crm.html", {"bot": bot, "form": form, "deliveries": deliveries,
                                              "pending": any(d.status == "pending" for d in deliveries)})
