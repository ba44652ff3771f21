"""What the manager teaches the bot to understand: intents, slots and training examples."""

from __future__ import annotations

import math

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from nlu import knowledge
from nlu.knowledge import DEFAULT_THRESHOLD


class Intent(models.Model):
    bot = models.ForeignKey("salesstudio.Bot", on_delete=models.CASCADE, related_name="intents")
    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    is_global = models.BooleanField(_("global"), default=False, help_text=_("Recognised at every listening node."))
    reply = models.CharField(_("default reply"), max_length=500, blank=True,
                             help_text=_("For a global intent the flow has no edge for: the bot says this, then asks "
                                         "its last question again."))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bot", "name"], name="intent_name_unique_in_bot")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SlotType(models.TextChoices):
    ENUM = "enum", _("Enumeration")
    NUMBER = "number", _("Number with unit")
    QUANTITY = "quantity", _("Quantity")
    MONEY = "money", _("Money")
    DATETIME = "datetime", _("Date / time")
    PHONE = "phone", _("Phone number")
    TEXT = "text", _("Free text")


class Slot(models.Model):
    bot = models.ForeignKey("salesstudio.Bot", on_delete=models.CASCADE, related_name="slots")
    name = models.CharField(_("name"), max_length=60)
    type = models.CharField(_("type"), max_length=16, choices=SlotType.choices, default=SlotType.TEXT)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    # [{"value": "离心泵", "synonyms": ["离心式水泵", ...]}] for enumerations; empty otherwise.
    values = models.JSONField(_("values"), default=list, blank=True)
    prompts = models.JSONField(_("prompts"), default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bot", "name"], name="slot_name_unique_in_bot")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ExampleSource(models.TextChoices):
    TYPED = "typed", _("Typed")
    IMPORTED = "imported", _("Imported")
    RECORDING = "recording", _("Recording")


class TrainingExample(models.Model):
    bot = models.ForeignKey("salesstudio.Bot", on_delete=models.CASCADE, related_name="examples")
    text = models.CharField(_("text"), max_length=500)
    intent = models.ForeignKey(Intent, on_delete=models.CASCADE, related_name="examples")
    # [{"slot": "扬程", "start": 3, "end": 6, "value": 50}] with character offsets into `text`.
    spans = models.JSONField(_("slot spans"), default=list, blank=True)
    context = models.CharField(_("context"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=ExampleSource.choices, default=ExampleSource.TYPED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bot", "text"], name="example_text_unique_in_bot")]
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.text


class TrainingRun(models.Model):
    """One fine-tuning of a bot's NLU models, written by the Celery worker and shown live on the training page."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    bot = models.ForeignKey("salesstudio.Bot", on_delete=models.CASCADE, related_name="training_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    config = models.JSONField(default=dict, blank=True)
    # Empty: resolved by the worker from settings (and recorded here); set by the CLI or tests to pin a folder.
    base_model = models.CharField(max_length=500, blank=True)
    stage = models.CharField(max_length=40, blank=True)
    epoch = models.PositiveIntegerField(default=0)
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    loss = models.FloatField(null=True, blank=True)
    eta_s = models.FloatField(null=True, blank=True)
    # [[step, loss], ...] for the live chart, thinned on the way in.
    loss_history = models.JSONField(default=list, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    example_count = models.PositiveIntegerField(default=0)
    task_id = models.CharField(max_length=255, blank=True)
    worker = models.CharField(max_length=255, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bot"], condition=models.Q(status__in=["queued", "running"]),
                                               name="one_active_training_run_per_bot")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.bot} run {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def progress(self) -> float:
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0

    @property
    def eta_minutes(self) -> int | None:
        """Minutes left for the whole run, rounded up (None until the first steps give an estimate)."""
        return None if self.eta_s is None else max(1, math.ceil(self.eta_s / 60))


class ModelVersion(models.Model):
    """The trained models of a finished run; at most one per bot is active (used by calls and the tester)."""

    bot = models.ForeignKey("salesstudio.Bot", on_delete=models.CASCADE, related_name="model_versions")
    run = models.OneToOneField(TrainingRun, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="model_version")
    number = models.PositiveIntegerField()
    path = models.CharField(max_length=500)
    metrics = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bot", "number"], name="model_version_number_unique_in_bot"),
            models.UniqueConstraint(fields=["bot"], condition=models.Q(is_active=True),
                                    name="one_active_model_version_per_bot"),
        ]
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.bot} v{self.number}"


class KnowledgeAfter(models.TextChoices):
    RETURN = "return", _("Return to the pending question")
    TRANSFER = "transfer", _("Transfer to a person")
    END = "end", _("End the call")


class KnowledgeEntry(models.Model):
    """A question the bot answers anywhere in a call (`nlu.knowledge`); compiled into each published flow version."""

    bot = models.ForeignKey("salesstudio.Bot", on_delete=models.CASCADE, related_name="knowledge")
    question = models.CharField(_("question"), max_length=200)
    phrasings = models.JSONField(_("other ways of asking"), default=list, blank=True)
    answers = models.JSONField(_("answer"), default=list)  # variants, like a node's scripts
    after = models.CharField(_("after the answer"), max_length=10, choices=KnowledgeAfter.choices,
                             default=KnowledgeAfter.RETURN)
    follow_up = models.JSONField(_("follow-up questions"), default=list, blank=True)  # [{"slot", "prompt"}]
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bot", "question"], name="knowledge_question_unique_in_bot")]
        ordering = ["id"]

    def __str__(self) -> str:
        return self.question

    def as_entry(self) -> knowledge.Entry:
        return knowledge.Entry(self.question, list(self.answers), list(self.phrasings), self.after,
                               [dict(step) for step in self.follow_up])

    def set_from(self, entry: knowledge.Entry) -> None:
        self.question, self.phrasings, self.answers = entry.question, entry.phrasings, entry.answers
        self.after, self.follow_up = entry.after, entry.follow_up


class KnowledgeSettings(models.Model):
    bot = models.OneToOneField("salesstudio.Bot", on_delete=models.CASCADE, related_name="knowledge_settings")
    threshold = models.FloatField(_("matching threshold"), default=DEFAULT_THRESHOLD)


def knowledge_threshold(bot) -> float:  # noqa: ANN001 — a salesstudio.Bot
    """The bot's knowledge-base matching threshold (`nlu.knowledge.DEFAULT_THRESHOLD` until a manager sets one)."""
    found = KnowledgeSettings.objects.filter(bot=bot).values_list("threshold", flat=True).first()
    return DEFAULT_THRESHOLD if found is None else found


def segments(text: str, spans: list[dict]) -> list[tuple[str, str | None]]:
    """`text` cut into (piece, slot or None) for highlighting spans; malformed spans are ignored."""
    out, at = [], 0
    for span in sorted(spans or [], key=lambda s: s.get("start", 0)):
        start, end = span.get("start", -1), span.get("end", -1)
        if not (isinstance(start, int) and isinstance(end, int) and at <= start < end <= len(text)):
            continue
        if start > at:
            out.append((text[at:start], None))
        out.append((text[start:end], span.get("slot")))
        at = end
    if at < len(text):
        out.append((text[at:], None))
    return out


TrainingExample.pieces = lambda self: segments(self.text, self.spans)
