"""Navigation for the base template: the user's workspaces and the current bot's sections."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from salesstudio.models import Membership

# (label, URL name, Bootstrap icon). A section appears once its app provides the URL.
BOT_SECTIONS = [
    (_("Overview"), "bot_detail", "robot"),
    (_("Flow"), "flows:editor", "diagram-3"),
    (_("Intents & slots"), "nlu:intents", "tags"),
    (_("Recordings"), "voice:recordings", "mic"),
    (_("Training"), "nlu:training", "cpu"),
    (_("Live tester"), "voice:tester", "telephone"),
    (_("Calls & analytics"), "voice:calls", "bar-chart"),
]


def bot_sections(ws: str, bot: str) -> list[dict]:
    sections = []
    for label, name, icon in BOT_SECTIONS:
        try:
            url = reverse(name, kwargs={"ws": ws, "bot": bot})
        except NoReverseMatch:
            continue
        sections.append({"label": label, "name": name, "url": url, "icon": icon})
    return sections


def navigation(request: HttpRequest) -> dict:
    if not request.user.is_authenticated:
        return {}
    memberships = Membership.objects.filter(user=request.user).select_related("workspace")
    context: dict = {"memberships": memberships, "current_membership": getattr(request, "membership", None)}
    match = request.resolver_match
    if match and "ws" in match.kwargs and "bot" in match.kwargs:
        context["bot_sections"] = bot_sections(match.kwargs["ws"], match.kwargs["bot"])
        context["current_section"] = match.view_name
    return context
