"""The one permission helper: every view (through `workspace_view`) and every consumer (through `check_access`).

Roles are ordered owner > editor > annotator > viewer and each action needs a minimum role. A user who is not a member
of the workspace gets 404 (the workspace's existence is not revealed); a member whose role is too low gets 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from salesstudio.models import Bot, Membership, role_allows

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def check_access(user: Any, workspace_slug: str, action: str) -> Membership:
    """Return the user's membership; raise Http404 if not a member, PermissionDenied if the role is too low."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    membership = Membership.objects.select_related("workspace").filter(
        user=user, workspace__slug=workspace_slug
    ).first()
    if membership is None:
        raise Http404
    if not role_allows(membership.role, action):
        raise PermissionDenied
    return membership


def check_bot_access(user: Any, workspace_slug: str, bot_slug: str, action: str) -> tuple[Membership, Bot]:
    membership = check_access(user, workspace_slug, action)
    bot = get_object_or_404(Bot, workspace=membership.workspace, slug=bot_slug)
    return membership, bot


def workspace_view(read: str = "view", write: str = "edit") -> Callable:
    """Decorate a view under /w/<ws>/...: safe methods need `read`, others `write`.

    Sets request.membership and request.workspace; a `bot` URL argument is replaced by the Bot object. The policy is
    recorded on the view (`view.access`) so the permission-matrix test can check every URL against it.
    """

    def decorator(view: Callable) -> Callable:
        @login_required
        @functools.wraps(view)
        def wrapper(request: HttpRequest, ws: str, *args: Any, **kwargs: Any) -> HttpResponse:
            action = read if request.method in SAFE_METHODS else write
            membership = check_access(request.user, ws, action)
            request.membership = membership
            request.workspace = membership.workspace
            if "bot" in kwargs:
                kwargs["bot"] = get_object_or_404(Bot, workspace=membership.workspace, slug=kwargs["bot"])
            request.session["workspace"] = ws
            return view(request, *args, **kwargs)

        wrapper.access = {"read": read, "write": write}
        return wrapper

    return decorator
