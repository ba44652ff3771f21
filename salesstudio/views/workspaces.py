"""Members and invitations of a workspace."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesstudio import services
from salesstudio.forms import InviteForm, RoleForm
from salesstudio.models import Invitation, Membership
from salesstudio.permissions import workspace_view


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="manage")
def members(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invitation = services.do_invite(request.workspace, form.cleaned_data["email"], form.cleaned_data["role"],
                                        request.user)
        messages.success(request, _("Invitation for %(email)s created: copy its link below and send it.")
                         % {"email": invitation.email})
        return redirect("members", ws=request.workspace.slug)
    members = list(request.workspace.memberships.select_related("user").order_by("user__username"))
    context = {
        "form": form,
        "members": members,
        "locked": services.locked_usernames([m.user.get_username() for m in members]),
        "invitations": request.workspace.invitations.filter(accepted_at__isnull=True),
        "can_manage": request.membership.can_manage,
        "roles": RoleForm.base_fields["role"].choices,
        "role_help": [(_("Owner"), _("everything, including members and invitations")),
                      (_("Editor"), _("bots, flows, intents and slots, recordings, training, live tests")),
                      (_("Annotator"), _("transcripts and labels")),
                      (_("Viewer"), _("reads everything, changes nothing"))],
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
        elif request.POST.get("unlock"):
            services.do_unlock(membership)
            messages.success(request, _("%(name)s can log in again.") % {"name": membership.user.get_username()})
        elif form.is_valid():
            services.do_change_role(membership, form.cleaned_data["role"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("members", ws=request.workspace.slug)


@require_http_methods(["POST"])
@workspace_view(read="manage", write="manage")
def invitation_revoke(request: HttpRequest, invitation: int) -> HttpResponse:
    found = get_object_or_404(Invitation, pk=invitation, workspace=request.workspace)
    try:
        services.do_revoke_invitation(found)
        messages.success(request, _("The invitation for %(email)s was withdrawn.") % {"email": found.email})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("members", ws=request.workspace.slug)
