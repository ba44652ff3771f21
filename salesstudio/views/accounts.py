"""Home, invitations, workspace creation and the locked-out page: the pages outside any one workspace."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesstudio import services
from salesstudio.forms import SignUpForm, WorkspaceForm
from salesstudio.models import Invitation, Membership


def locked_out(request: HttpRequest, response: HttpResponse | None, credentials: dict | None) -> HttpResponse:
    """What a locked-out login sees (django-axes' AXES_LOCKOUT_CALLABLE): why, for how long, and how to get back."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes},
                  status=429)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user=request.user).select_related("workspace")
    last = request.session.get("workspace")
    chosen = next((m for m in memberships if m.workspace.slug == last), None) or memberships.first()
    if chosen is None:
        return redirect("workspace_create")
    return redirect("bot_list", ws=chosen.workspace.slug)


@login_required
@require_http_methods(["GET", "POST"])
def workspace_create(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = services.do_create_workspace(form.cleaned_data["name"], request.user)
        messages.success(request, _("Workspace created."))
        return redirect("bot_list", ws=workspace.slug)
    return render(request, "salesstudio/workspace_create.html", {"form": form})


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Join a workspace by invitation; a visitor without an account creates one here."""
    invitation = get_object_or_404(Invitation, token=token, accepted_at__isnull=True)
    form = None if request.user.is_authenticated else SignUpForm(request.POST or None)
    if request.method == "POST":
        try:
            with transaction.atomic():  # the new account and the used invitation, or neither
                user = request.user if form is None else _sign_up(form, invitation.email)
                if user is not None:
                    services.do_accept_invitation(invitation, user)
        except ValidationError as exc:  # someone else used the link a moment ago
            messages.error(request, " ".join(exc.messages))
            return redirect("home")
        if user is not None:
            if form is not None:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("You joined %(ws)s.") % {"ws": invitation.workspace.name})
            return redirect("bot_list", ws=invitation.workspace.slug)
    return render(request, "salesstudio/invitation.html", {"invitation": invitation, "form": form})


def _sign_up(form: SignUpForm, email: str):
    if not form.is_valid():
        return None
    User = get_user_model()
    username, password = form.cleaned_data["username"], form.cleaned_data["password"]
    if User.objects.filter(username=username).exists():
        form.add_error("username", _("This username is taken."))
        return None
    try:
        validate_password(password)
    except ValidationError as exc:
        form.add_error("password", exc)
        return None
    return User.objects.create_user(username=username, email=email, password=password)
