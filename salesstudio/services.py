"""Workspace services: the writes behind the account and workspace pages, with their checks."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from salesstudio.models import RANK, Bot, Invitation, Membership, Role, Workspace


def unique_slug(model: type, base: str, **scope: object) -> str:
    """A slug for `base` that is free in `scope` (Chinese names fall back to the model name plus a number)."""
    stem = slugify(base)[:40] or model.__name__.lower()
    slug, n = stem, 1
    while model.objects.filter(slug=slug, **scope).exists():
        n += 1
        slug = f"{stem}-{n}"
    return slug


@transaction.atomic
def do_create_workspace(name: str, owner: AbstractBaseUser) -> Workspace:
    workspace = Workspace.objects.create(name=name.strip(), slug=unique_slug(Workspace, name))
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    return workspace


def do_create_bot(workspace: Workspace, name: str, *, description: str = "", dialect: str = "mandarin") -> Bot:
    return Bot.objects.create(
        workspace=workspace,
        name=name.strip(),
        slug=unique_slug(Bot, name, workspace=workspace),
        description=description,
        dialect=dialect,
    )


def do_invite(workspace: Workspace, email: str, role: str, invited_by: AbstractBaseUser) -> Invitation:
    return Invitation.objects.create(workspace=workspace, email=email.strip().lower(), role=role, invited_by=invited_by)


def do_revoke_invitation(invitation: Invitation) -> None:
    """Withdraw an invitation nobody has used yet: its link stops working."""
    if Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).delete()[0] == 0:
        raise ValidationError(_("This invitation has already been used."))


@transaction.atomic
def do_accept_invitation(invitation: Invitation, user: AbstractBaseUser) -> Membership:
    """Join the invitation's workspace; an existing membership keeps the higher of the two roles. The invitation row is
    locked, so that two people opening the same link at once cannot both use it."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used."))
    membership, created = Membership.objects.get_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
    )
    if not created and RANK[Role(invitation.role)] > RANK[Role(membership.role)]:
        membership.role = invitation.role
        membership.save(update_fields=["role"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


@transaction.atomic
def do_change_role(membership: Membership, role: str) -> None:
    """Change a member's role; the last owner cannot step down (raises ValidationError)."""
    if membership.role == Role.OWNER and role != Role.OWNER:
        _check_not_last_owner(membership)
    membership.role = role
    membership.save(update_fields=["role"])


@transaction.atomic
def do_remove_member(membership: Membership) -> None:
    if membership.role == Role.OWNER:
        _check_not_last_owner(membership)
    membership.delete()


def locked_usernames(usernames: list[str]) -> set[str]:
    """Which of `usernames` django-axes currently locks out (too many wrong passwords within the cool-off)."""
    from axes.models import AccessAttempt

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return set(AccessAttempt.objects.filter(username__in=usernames, attempt_time__gte=since,
                                            failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
               .values_list("username", flat=True))


def do_unlock(membership: Membership) -> int:
    """Lift a member's login lockout at once (their failed attempts are forgotten); returns how many were."""
    from axes.utils import reset

    return reset(username=membership.user.get_username())


def _check_not_last_owner(membership: Membership) -> None:
    owners = Membership.objects.select_for_update().filter(workspace=membership.workspace, role=Role.OWNER)
    if owners.count() <= 1:
        raise ValidationError(_("A workspace needs at least one owner."))
