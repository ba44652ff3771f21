"""Call recordings and their transcripts: what annotators turn into training examples."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def recording_path(recording: Recording, filename: str) -> str:
    # The stored name never reuses the uploaded one: it is neither trusted nor unique.
    return f"recordings/{recording.bot_id}/{uuid.uuid4().hex}.{recording.format or 'audio'}"


class Recording(models.Model):
    """An uploaded call. Written by the upload service, then by the transcription task (status, progress, error)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        TRANSCRIBING = "transcribing", _("Transcribing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.QUEUED, Status.TRANSCRIBING)

    bot = models.ForeignKey("salesstudio.Bot", on_delete=models.CASCADE, related_name="recordings")
    file = models.FileField(upload_to=recording_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField(_("size"))
    format = models.CharField(_("format"), max_length=10)
    duration = models.FloatField(_("duration"), default=0.0)
    channels = models.PositiveSmallIntegerField(_("channels"), default=1)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    transcribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bot", "sha256"], name="recording_content_unique_in_bot")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class Speaker(models.TextChoices):
    AGENT = "agent", _("Agent")
    CUSTOMER = "customer", _("Customer")
    UNKNOWN = "unknown", _("Unknown")


class Segment(models.Model):
    """One recognised stretch of a recording (times in seconds); may have been labelled into a training example."""

    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="segments")
    index = models.PositiveIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    text = models.CharField(_("text"), max_length=500, blank=True)
    confidence = models.FloatField(default=0.0)
    speaker = models.CharField(_("speaker"), max_length=10, choices=Speaker.choices, default=Speaker.UNKNOWN)
    edited = models.BooleanField(default=False)
    example = models.ForeignKey("nlu.TrainingExample", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="segments")
    # Marked "irrelevant / skip" by an annotator: never a training example, not counted as waiting for a label.
    skipped = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["recording", "index"], name="segment_index_unique")]
        ordering = ["recording", "index"]

    def __str__(self) -> str:
        return f"{self.recording} #{self.index}"
