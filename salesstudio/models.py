"""Workspaces, memberships, invitations and bots: the tenancy every domain object hangs from."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    EDITOR = "editor", _("Editor")
    ANNOTATOR = "annotator", _("Annotator")
    VIEWER = "viewer", _("Viewer")


RANK = {Role.VIEWER: 0, Role.ANNOTATOR: 1, Role.EDITOR: 2, Role.OWNER: 3}
# The least role each action needs.
ACTIONS = {"view": Role.VIEWER, "annotate": Role.ANNOTATOR, "edit": Role.EDITOR, "manage": Role.OWNER}


def role_allows(role: str, action: str) -> bool:
    return RANK[Role(role)] >= RANK[ACTIONS[action]]


class Workspace(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(unique=True, allow_unicode=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_per_user")]
        ordering = ["workspace__name"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.workspace} ({self.role})"

    # What the member may do, for templates (which cannot pass an action to `role_allows`).
    @property
    def can_annotate(self) -> bool:
        return role_allows(self.role, "annotate")

    @property
    def can_edit(self) -> bool:
        return role_allows(self.role, "edit")

    @property
    def can_manage(self) -> bool:
        return role_allows(self.role, "manage")


def _new_token() -> str:
    return secrets.token_urlsafe(24)


class Invitation(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.EDITOR)
    token = models.CharField(max_length=64, unique=True, default=_new_token, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.workspace}"


class Dialect(models.TextChoices):
    MANDARIN = "mandarin", _("Mandarin")
    SICHUANESE = "sichuanese", _("Sichuanese")
    CANTONESE = "cantonese", _("Cantonese")


class Bot(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="bots")
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    dialect = models.CharField(_("dialect"), max_length=16, choices=Dialect.choices, default=Dialect.MANDARIN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "slug"], name="bot_slug_unique_in_workspace")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Job(models.Model):
    """A background task's progress and outcome, written by its worker (`jobs.BackgroundJob`) and shown live on the
    pages."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    message = models.CharField(max_length=300, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # stamped by its worker while it runs
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
