"""A bot's overview: its settings and what a manager checks first (`calls.calllog.overview`). It lives in the top app
because it reads every app's state."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from calls.calllog.overview import bot_overview
from salesstudio.forms import BotForm
from salesstudio.models import Bot
from salesstudio.permissions import workspace_view


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="edit")
def bot_detail(request: HttpRequest, bot: Bot) -> HttpResponse:
    form = BotForm(request.POST or None, instance=bot)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("bot_detail", ws=request.workspace.slug, bot=bot.slug)
    return render(request, "salesstudio/bot_detail.html", {"bot": bot, "form": form, **bot_overview(bot)})
