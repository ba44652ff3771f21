"""The call log: every conversation with a published flow, turn by turn, with the summaries the dashboards read.

The tables keep the names they had when calls lived in the voice app (`voice_call`, `voice_turn`, ...)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def call_audio_path(call: Call, filename: str) -> str:
    return f"calls/{call.bot_id}/{call.pk}-{filename}"


class Channel(models.TextChoices):
    TEST = "test", _("Test call")
    REAL = "real", _("Real call")
    SIMULATED = "simulated", _("Simulated")


DISCONNECTED_OUTCOME = "断线"  # the line dropped before the flow ended (outcomes are Chinese, like 挂断)
# What an outcome means for the sale, for its colour on every page (Bootstrap's tones): won, open, lost, handed over.
OUTCOME_TONES = {"成交": "success", "意向": "warning", "回访": "warning", "拒绝": "danger", "挂断": "danger",
                 DISCONNECTED_OUTCOME: "danger", "转人工": "primary"}
DEAL_OUTCOMES = [name for name, tone in OUTCOME_TONES.items() if tone == "success"]  # the sale was made
LEAD_OUTCOMES = [name for name, tone in OUTCOME_TONES.items() if tone == "warning"]  # interested: follow up
STAGE_COLUMNS = ["vad_ms", "asr_ms", "nlu_ms", "flow_ms", "tts_ms", "total_ms"]


class Customer(models.Model):
    """Someone a workspace's bots call: name, phone (digits only, the dedupe key), company and any other columns of
    the imported list as `variables`, which scripts say as `{name}` (calls.calllog.customers)."""

    workspace = models.ForeignKey("salesstudio.Workspace", on_delete=models.CASCADE, related_name="customers")
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20)
    company = models.CharField(_("company"), max_length=200, blank=True)
    variables = models.JSONField(_("variables"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["workspace", "phone"], name="customer_phone_unique")]

    def __str__(self) -> str:
        return self.name or self.phone


class Call(models.Model):
    """One conversation with a published flow version. Opened when the call starts, updated at every turn boundary
    (summary columns kept here so lists and dashboards never have to scan turns) and closed with its outcome."""

    class Mode(models.TextChoices):
        VOICE = "voice", _("Voice")
        TEXT = "text", _("Text")

    bot = models.ForeignKey("salesstudio.Bot", on_delete=models.CASCADE, related_name="calls")
    flow_version = models.ForeignKey("flows.FlowVersion", on_delete=models.SET_NULL, null=True, related_name="calls")
    model_version = models.ForeignKey("nlu.ModelVersion", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="calls")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.TEST)
    mode = models.CharField(_("mode"), max_length=5, choices=Mode.choices, default=Mode.TEXT)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    seed = models.BigIntegerField(default=0)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=60, blank=True)
    end_node = models.CharField(_("end node"), max_length=64, blank=True)
    completed = models.BooleanField(_("completed"), default=False)
    turn_count = models.PositiveIntegerField(_("turns"), default=0)
    user_turn_count = models.PositiveIntegerField(default=0)
    no_match_count = models.PositiveIntegerField(default=0)
    silence_count = models.PositiveIntegerField(default=0)
    barge_in_count = models.PositiveIntegerField(default=0)
    max_latency_ms = models.PositiveIntegerField(_("slowest turn (ms)"), null=True, blank=True)
    user_audio = models.FileField(upload_to=call_audio_path, max_length=300, blank=True)
    bot_audio = models.FileField(upload_to=call_audio_path, max_length=300, blank=True)
    grade = models.CharField(_("lead grade"), max_length=1, blank=True)  # calls.grading, once the call has ended
    grade_rule = models.CharField(max_length=20, blank=True)  # the code of the rule that gave it
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls")
    remembered = models.JSONField(default=dict, blank=True)  # {slot: {"value", "date"}} loaded from earlier calls

    class Meta:
        db_table = "voice_call"
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["bot", "started_at"], name="call_bot_started"),
            models.Index(fields=["bot", "flow_version", "started_at"], name="call_bot_version_started"),
            models.Index(fields=["bot", "outcome"], name="call_bot_outcome"),
            models.Index(fields=["bot", "grade"], name="call_bot_grade"),
        ]

    def __str__(self) -> str:
        return f"{self.bot} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class Turn(models.Model):
    """One step of a call: the event that came in at `from_node` (the opening turn 0 has none), what the models
    understood, the nodes the flow passed through (`path`) to rest at `node`, what the bot said and how long each stage
    took (ms; None when the stage did not run)."""

    class Event(models.TextChoices):
        START = "start", _("Start")
        USER = "user", _("User turn")
        SILENCE = "silence", _("Silence")
        BARGE_IN = "barge_in", _("Barge-in")
        HANGUP = "hangup", _("Hang-up")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="turns")
    index = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    event = models.CharField(max_length=10, choices=Event.choices)
    from_node = models.CharField(max_length=64, blank=True)
    node = models.CharField(_("node"), max_length=64, blank=True)
    path = models.JSONField(default=list)
    user_text = models.TextField(_("user said"), blank=True)
    asr_confidence = models.FloatField(null=True, blank=True)
    intent = models.CharField(_("intent"), max_length=100, blank=True)
    intent_confidence = models.FloatField(null=True, blank=True)
    top_intents = models.JSONField(default=list)
    slots = models.JSONField(default=dict)
    changed_slots = models.JSONField(default=dict)
    bot_text = models.TextField(_("bot said"), blank=True)
    knowledge = models.CharField(_("knowledge-base answer"), max_length=200, blank=True)  # the entry's question
    knowledge_score = models.FloatField(null=True, blank=True)  # the best entry's score, matched or not
    no_match = models.BooleanField(default=False)
    silence = models.BooleanField(default=False)
    barge_in = models.BooleanField(default=False)
    vad_ms = models.PositiveIntegerField(null=True, blank=True)
    asr_ms = models.PositiveIntegerField(null=True, blank=True)
    nlu_ms = models.PositiveIntegerField(null=True, blank=True)
    flow_ms = models.PositiveIntegerField(null=True, blank=True)
    tts_ms = models.PositiveIntegerField(null=True, blank=True)
    total_ms = models.PositiveIntegerField(null=True, blank=True)
    user_audio_start = models.FloatField(null=True, blank=True)
    user_audio_end = models.FloatField(null=True, blank=True)
    bot_audio_start = models.FloatField(null=True, blank=True)
    bot_audio_end = models.FloatField(null=True, blank=True)

    class Meta:
        db_table = "voice_turn"
        ordering = ["call", "index"]
        constraints = [models.UniqueConstraint(fields=["call", "index"], name="turn_index_unique")]
        # The intent and latency dashboards read only these columns (an index-only scan on PostgreSQL).
        indexes = [models.Index(fields=["call", "event", "intent"], name="turn_call_intent",
                                include=["created_at", *STAGE_COLUMNS])]

    def __str__(self) -> str:
        return f"{self.call} turn {self.index}"


class CallNode(models.Model):
    """The funnel of one call at one node, kept by the call log as turns arrive (see `calls.turns.node_counts`):
    how often the flow entered the node, what the customer did while the call rested there, and whether the call
    ended there. Dashboards sum these rows over the filtered calls instead of reading every turn's path."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="nodes")
    node = models.CharField(max_length=64)
    visits = models.PositiveIntegerField(default=0)
    silences = models.PositiveIntegerField(default=0)
    no_matches = models.PositiveIntegerField(default=0)
    barge_ins = models.PositiveIntegerField(default=0)
    hangups = models.PositiveIntegerField(default=0)
    ended = models.BooleanField(default=False)

    class Meta:
        db_table = "voice_callnode"
        constraints = [models.UniqueConstraint(fields=["call", "node"], name="call_node_unique")]

    def __str__(self) -> str:
        return f"{self.call} @ {self.node}"


class LatencyBucket(models.Model):
    """How many turns took about `ms` in one stage, per bot, flow version, model version, channel and local day of the
    call's start: the latency dashboard's summary, kept by the call log as turns arrive. Versions are keys (0 = none),
    not foreign keys, so that a missing version is a value the unique constraint can compare."""

    bot = models.ForeignKey("salesstudio.Bot", on_delete=models.CASCADE, related_name="+")
    flow_version_key = models.PositiveIntegerField()
    model_version_key = models.PositiveIntegerField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    day = models.DateField()
    stage = models.CharField(max_length=5)
    ms = models.PositiveIntegerField()
    turns = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "voice_latencybucket"
        constraints = [models.UniqueConstraint(
            fields=["bot", "day", "flow_version_key", "model_version_key", "channel", "stage", "ms"],
            name="latency_bucket_unique")]

    def __str__(self) -> str:
        return f"{self.bot_id} {self.day} {self.stage} {self.ms} ms × {self.turns}"


class LeadGrading(models.Model):
    """A bot's lead-grading rules (calls.grading.GradingRules as JSON); a bot without a row uses the defaults."""

    bot = models.OneToOneField("salesstudio.Bot", on_delete=models.CASCADE, related_name="lead_grading")
    rules = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.bot} grading"


class CrmWebhook(models.Model):
    """Where a bot pushes each finished call's result (calls.crm): an HTTP(S) URL and the secret that signs it."""

    bot = models.OneToOneField("salesstudio.Bot", on_delete=models.CASCADE, related_name="crm_webhook")
    url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    enabled = models.BooleanField(_("push every finished call"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.bot} → {self.url}"


class WebhookDelivery(models.Model):
    """One push of one call's result (or a test): its attempts and what the CRM answered."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    bot = models.ForeignKey("salesstudio.Bot", on_delete=models.CASCADE, related_name="webhook_deliveries")
    call = models.ForeignKey(Call, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries")
    test = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)  # a code of calls.crm.Sent.error, or "switched_off"
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    ERRORS = {"timeout": _("no answer in time"), "connection": _("cannot connect"),
              "status": _("the CRM answered with an error"), "switched_off": _("pushing was switched off")}

    class Meta:
        ordering = ["-created_at", "-id"]

    def error_text(self) -> str:
        return str(self.ERRORS.get(self.error, self.error))

    def __str__(self) -> str:
        return f"{self.bot} delivery {self.pk} ({self.status})"


class ConversationTest(models.Model):
    """A bot's test case (calls.testing): caller turns with what is expected after each, and at the end."""

    bot = models.ForeignKey("salesstudio.Bot", on_delete=models.CASCADE, related_name="conversation_tests")
    name = models.CharField(_("name"), max_length=200)
    turns = models.JSONField(default=list)  # [{"text", "audio"?, "expect": {"intent"?, "slots"?, "node"?, "says"?}}]
    outcome = models.CharField(_("outcome"), max_length=60, blank=True)
    grade = models.CharField(_("lead grade"), max_length=1, blank=True)
    source_call = models.ForeignKey(Call, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def as_case(self) -> dict:
        return {"name": self.name, "turns": self.turns, "outcome": self.outcome, "grade": self.grade}

    @property
    def audio_turns(self) -> int:
        """How many turns play the caller's recording."""
        return sum(bool(turn.get("audio")) for turn in self.turns)


class TestRun(models.Model):
    """One run of a bot's conversation tests against a flow version and model version, with every case's result."""

    __test__ = False  # not a pytest class, whatever its name

    bot = models.ForeignKey("salesstudio.Bot", on_delete=models.CASCADE, related_name="test_runs")
    flow_version = models.ForeignKey("flows.FlowVersion", on_delete=models.SET_NULL, null=True, related_name="+")
    model_version = models.ForeignKey("nlu.ModelVersion", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    passed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    stale = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=list)  # per case: name, test id, passed, stale, differences, turns
    coverage = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-pk"]
