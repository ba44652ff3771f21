"""Navigation for the base template: the user's workspaces and the current bot's sections."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, resolve, reverse
from django.utils.translation import gettext_lazy as _

from salesstudio.models import Membership
from salesstudio.permissions import role_allows

# (label, URL name, Bootstrap icon). A section appears once its app provides the URL.
BOT_SECTIONS = [
    (_("Overview"), "bot_detail", "robot"),
    (_("Flow"), "flows:editor", "diagram-3"),
    (_("Intents & slots"), "nlu:intents", "tags"),
    (_("Knowledge base"), "calls:knowledge", "book"),
    (_("Recordings"), "voice:recordings", "mic"),
    (_("Training"), "nlu:training", "cpu"),
    (_("Live tester"), "calls:tester", "telephone"),
    (_("Calls & analytics"), "calls:calls", "bar-chart"),
]


def bot_sections(ws: str, bot: str, role: str) -> list[dict]:
    """The bot's sections that `role` may open (read by each section's own view policy)."""
    sections = []
    for label, name, icon in BOT_SECTIONS:
        try:
            url = reverse(name, kwargs={"ws": ws, "bot": bot})
        except NoReverseMatch:
            continue
        if not role_allows(role, resolve(url).func.access["read"]):
            continue
        sections.append({"label": label, "name": name, "url": url, "icon": icon})
    return sections


def navigation(request: HttpRequest) -> dict:
    if not request.user.is_authenticated:
        return {}
    memberships = Membership.objects.filter(user=request.user).select_related("workspace")
    context: dict = {"memberships": memberships, "current_membership": getattr(request, "membership", None)}
    match = request.resolver_match
    membership = context["current_membership"]
    if match and "ws" in match.kwargs and "bot" in match.kwargs and membership is not None:
        context["bot_sections"] = bot_sections(match.kwargs["ws"], match.kwargs["bot"], membership.role)
        context["current_section"] = match.view_name
    return context
