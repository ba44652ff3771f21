"""The dialogue flow of a bot: one editable draft and its immutable, compiled versions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Flow(models.Model):
    bot = models.OneToOneField("salesstudio.Bot", on_delete=models.CASCADE, related_name="flow")
    graph = models.JSONField(_("draft graph"), default=dict)
    # Optimistic locking: a save names the revision it was based on and is refused when it is stale.
    revision = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.bot} flow r{self.revision}"


class FlowVersion(models.Model):
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    graph = models.JSONField()
    program = models.JSONField()
    checksum = models.CharField(max_length=64)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["flow", "number"], name="flow_version_number_unique")]
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.flow.bot} v{self.number}"
