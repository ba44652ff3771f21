"""Members and invitations of a workspace."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesstudio import services
from salesstudio.forms import InviteForm, RoleForm
from salesstudio.models import Membership
from salesstudio.permissions import role_allows, workspace_view


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="manage")
def members(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invitation = services.do_invite(request.workspace, form.cleaned_data["email"], form.cleaned_data["role"],
                                        request.user)
        link = request.build_absolute_uri(reverse("accept_invitation", args=[invitation.token]))
        messages.success(request, _("Invitation created. Send this link: %(link)s") % {"link": link})
        return redirect("members", ws=request.workspace.slug)
    context = {
        "form": form,
        "members": request.workspace.memberships.select_related("user").order_by("user__username"),
        "invitations": request.workspace.invitations.filter(accepted_at__isnull=True),
        "can_manage": role_allows(request.membership.role, "manage"),
        "roles": RoleForm.base_fields["role"].choices,
    }
    return render(request, "salesstudio/members.html", context)


@require_http_methods(["POST"])
@workspace_view(read="manage", write="manage")
def member_update(request: HttpRequest, member: int) -> HttpResponse:
    membership = get_object_or_404(Membership, pk=member, workspace=request.workspace)
    form = RoleForm(request.POST)
    try:
        if request.POST.get("remove"):
            services.do_remove_member(membership)
        elif form.is_valid():
            services.do_change_role(membership, form.cleaned_data["role"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("members", ws=request.workspace.slug)
