"""The call filter shared by the calls list, the dashboards and the CSV exports: one form, one queryset."""

from __future__ import annotations

import datetime

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calls.calllog.grades import GRADE_LABELS
from calls.models import Call, Channel, LatencyBucket, Turn
from flows.models import FlowVersion
from nlu.models import ModelVersion

SUMMARY_KEYS = {"version", "model", "channel", "start", "end"}  # the filters LatencyBucket rows are keyed by


class VersionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"v{obj.number}"


class CallFilterForm(forms.Form):
    """GET parameters: version, model, start, end (dates, inclusive, local time), outcome, grade, channel, no_match,
    min_latency (ms, the call's slowest turn), q (text either side said), customer (id)."""

    version = VersionChoice(label=_("Flow version"), queryset=FlowVersion.objects.none(), to_field_name="number",
                            required=False, empty_label=_("All versions"))
    model = VersionChoice(label=_("Model version"), queryset=ModelVersion.objects.none(), to_field_name="number",
                          required=False, empty_label=_("All models"))
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.ChoiceField(label=_("Outcome"), required=False)
    grade = forms.ChoiceField(label=_("Lead grade"), required=False,
                              choices=[("", _("All grades")), *GRADE_LABELS.items()])
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("All channels")), *Channel.choices])
    no_match = forms.BooleanField(label=_("Has no-match"), required=False)
    min_latency = forms.IntegerField(label=_("Slowest turn ≥ (ms)"), required=False, min_value=0)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)  # from a customer's page

    def __init__(self, bot, data: QueryDict) -> None:
        super().__init__(data)
        self.bot = bot
        self.fields["version"].queryset = FlowVersion.objects.filter(flow__bot=bot).order_by("-number")
        self.fields["model"].queryset = ModelVersion.objects.filter(bot=bot).order_by("-number")
        outcomes = bot.calls.order_by("outcome").values_list("outcome", flat=True).distinct()
        self.fields["outcome"].choices = [("", _("All outcomes"))] + [(o, o) for o in outcomes if o]
        for field in self.fields.values():
            widget = field.widget
            widget.attrs["class"] = ("form-check-input" if isinstance(widget, forms.CheckboxInput) else
                                     "form-select form-select-sm" if isinstance(widget, forms.Select) else
                                     "form-control form-control-sm")

    def calls(self, *, ignore: tuple[str, ...] = ()) -> QuerySet[Call]:
        """The bot's calls that pass the valid filters (an invalid field filters nothing); `ignore` leaves fields out
        (the version comparison chooses its own versions)."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in ignore}
        calls = self.bot.calls.all()
        if data.get("version"):
            calls = calls.filter(flow_version=data["version"])
        if data.get("model"):
            calls = calls.filter(model_version=data["model"])
        if data.get("start"):
            calls = calls.filter(started_at__gte=_midnight(data["start"]))
        if data.get("end"):
            calls = calls.filter(started_at__lt=_midnight(data["end"] + datetime.timedelta(days=1)))
        if data.get("outcome"):
            calls = calls.filter(outcome=data["outcome"])
        if data.get("grade"):
            calls = calls.filter(grade=data["grade"])
        if data.get("channel"):
            calls = calls.filter(channel=data["channel"])
        if data.get("no_match"):
            calls = calls.filter(no_match_count__gt=0)
        if data.get("min_latency") is not None:
            calls = calls.filter(max_latency_ms__gte=data["min_latency"])
        if data.get("customer") is not None:
            calls = calls.filter(customer_id=data["customer"])
        if data.get("q"):
            said = Q(user_text__icontains=data["q"]) | Q(bot_text__icontains=data["q"])
            calls = calls.filter(Exists(Turn.objects.filter(said, call=OuterRef("pk"))))
        return calls

    def latency_buckets(self, *, ignore: tuple[str, ...] = ()) -> QuerySet[LatencyBucket] | None:
        """The latency summary rows for these filters, or None when a filter is set that the summary has no key for
        (outcome, no-match, slowest turn, search): then the turns have to be counted."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items()
                if k not in ignore and v not in (None, "", False)}
        if set(data) - SUMMARY_KEYS:
            return None
        rows = LatencyBucket.objects.filter(bot=self.bot)
        if "version" in data:
            rows = rows.filter(flow_version_key=data["version"].pk)
        if "model" in data:
            rows = rows.filter(model_version_key=data["model"].pk)
        if "channel" in data:
            rows = rows.filter(channel=data["channel"])
        if "start" in data:
            rows = rows.filter(day__gte=data["start"])
        if "end" in data:
            rows = rows.filter(day__lte=data["end"])
        return rows

    def query_string(self) -> str:
        """The filters as GET parameters (kept by pagination, exports and the dashboard links)."""
        params = self.data.copy()
        params.pop("page", None)
        return params.urlencode()


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
