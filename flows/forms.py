"""The side-panel forms: one node, one edge's condition. Rendered and validated by the server, fed with the JSON the
canvas holds; `to_json()` gives back the fields for `services.check_node`."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from flows import conditions
from flows.graph import KIND_FIELDS, MAX_LIST, MAX_TEXT, MAX_WAIT_SECONDS, MEMORY_DAYS, OUTCOMES
from flows.kinds import KINDS, canvas_kinds

KIND_LABELS = {name: _(kind.label) for name, kind in KINDS.items()}  # msgids in locale/ (not found by makemessages)
CONDITION_LABELS = {"default": _("Default"), "intent": _("Intent"), "no_match": _("No match"),
                    "silence": _("Silence"), "expr": _("Expression"), "filled": _("Slots filled"),
                    "fallback": _("Fallback (retries used up)")}
# The condition language's words as the canvas shows them in the page's language (the stored expression keeps them
# as written); the Chinese ones are also what `flows.conditions` reads.
EXPR_WORDS = {"filled": _("filled"), "empty": _("empty"), "remembered": _("remembered"), "and": _("and"),
              "or": _("or"), "not": _("not")}
# Fields the side panel lays out by hand; any other field of a kind is shown plainly (`NodeForm.plain_fields`).
_LAID_OUT = {"texts", "slots", "prompts", "reprompts", "max_retries", "barge_in", "silence_timeout_ms", "hot_words"}
_SPLIT = re.compile(r"[,，、;；\s]+")


def canvas_labels() -> dict[str, dict[str, str]]:
    """The node kinds (`flows.kinds.canvas_kinds`) and edge condition names a canvas draws, in the request's
    language."""
    return {"kinds": canvas_kinds(lambda text: str(_(text))),
            "conditions": {k: str(v) for k, v in CONDITION_LABELS.items()},
            "exprWords": {k: str(v) for k, v in EXPR_WORDS.items()}}


class VariantsWidget(forms.Textarea):
    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])


class VariantsField(forms.Field):
    """A list of texts posted as repeated fields of one name (one textarea per variant); blank ones are dropped."""

    widget = VariantsWidget

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> list[str]:
        return list(value or []) or [""]

    def to_python(self, value: Any) -> list[str]:
        return [str(item).strip() for item in value or [] if str(item).strip()]

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        if len(value) > MAX_LIST:
            raise forms.ValidationError(_("At most %(n)d variants.") % {"n": MAX_LIST})
        if any(len(item) > MAX_TEXT for item in value):
            raise forms.ValidationError(_("A variant is longer than %(n)d characters.") % {"n": MAX_TEXT})


class WordsField(forms.CharField):
    """Hot words typed on one line, separated by spaces, commas or 、."""

    def prepare_value(self, value: Any) -> str:
        return "、".join(value) if isinstance(value, list | tuple) else value or ""

    def to_python(self, value: Any) -> list[str]:
        return list(dict.fromkeys(word for word in _SPLIT.split(str(value or "")) if word))[:MAX_LIST]


class NodeForm(forms.Form):
    """The fields of one node of `kind`; fields the kind does not have are removed."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    texts = VariantsField(label=_("Script"), help_text=_(
        "One variant per box; the robot picks one at random. A variant with a customer variable such as {客户姓名} "
        "is said when the customer has it: add one without it for the others."))
    slots = forms.MultipleChoiceField(label=_("Slots to collect"), required=False,
                                      widget=forms.CheckboxSelectMultiple)
    prompts = VariantsField(label=_("Prompt"))
    reprompts = VariantsField(label=_("Re-prompt"), help_text=_("Said when the answer was not understood."))
    max_retries = forms.IntegerField(label=_("Max retries"), min_value=0, max_value=10, required=False,
                                     help_text=_("Empty: the flow's default."))
    barge_in = forms.BooleanField(label=_("Customer may interrupt (barge-in)"), required=False)
    silence_timeout_ms = forms.IntegerField(label=_("Silence timeout (ms)"), min_value=500, max_value=120_000,
                                            required=False, help_text=_("Empty: the flow's default."))
    hot_words = WordsField(label=_("ASR hot words"), required=False, help_text=_(
        "Separated by spaces or 、; the values of the choice slots the node asks for are added"))
    queue = forms.CharField(label=_("Agent queue"), max_length=100, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", "—")] + [(o, o) for o in OUTCOMES])
    seconds = forms.IntegerField(label=_("Seconds to wait"), min_value=1, max_value=MAX_WAIT_SECONDS, required=False,
                                 help_text=_("The line stays quiet this long, then the flow goes on."))

    def __init__(self, kind: str, slot_names: list[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        keep = {"title", *KIND_FIELDS[kind]}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        _style(self)
        if "slots" in self.fields:
            current = [s for s in self.initial.get("slots", []) if s not in slot_names]
            self.fields["slots"].choices = [(s, s) for s in [*slot_names, *current]]

    @property
    def plain_fields(self) -> list[forms.BoundField]:
        """The kind's fields the panel shows one under the other (scripts, slots and listening have their own
        layout), in the kind's order."""
        return [self[name] for name in KIND_FIELDS[self.kind] if name not in _LAID_OUT]

    def to_json(self) -> dict:
        """The cleaned fields in graph JSON form (empty optional values left out)."""
        data = {"title": self.cleaned_data["title"]}
        for name in KIND_FIELDS[self.kind]:
            value = self.cleaned_data.get(name)
            if value not in (None, "") or isinstance(value, bool | list):
                data[name] = value
        return data


def _style(form: forms.Form) -> None:
    """Bootstrap classes on the widgets (the panel is narrow: small controls)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
            widget.attrs["class"] = "form-check-input"
        elif isinstance(widget, forms.Select):
            widget.attrs["class"] = "form-select form-select-sm"
        else:
            widget.attrs["class"] = "form-control form-control-sm"


class SettingsForm(forms.Form):
    """The flow's defaults, which every listening node uses unless it sets its own."""

    confidence_threshold = forms.FloatField(
        label=_("Confidence threshold"), min_value=0, max_value=1,
        help_text=_("An intent recognised with less confidence counts as not understood."))
    max_retries = forms.IntegerField(label=_("Max retries"), min_value=0, max_value=10,
                                     help_text=_("Failed turns at a node before its fallback exit is taken."))
    silence_timeout_ms = forms.IntegerField(label=_("Silence timeout (ms)"), min_value=500, max_value=120_000,
                                            help_text=_("How long the robot waits for an answer."))
    variables = forms.CharField(
        label=_("Customer variables"), required=False, max_length=2000,
        help_text=_("Columns of the customer list that scripts say, e.g. 客户姓名, 公司. Give such a script a variant "
                    "without the variable: it is said to customers who lack it."))
    memory_days = forms.IntegerField(
        label=_("Remember a customer's answers (days)"), min_value=0, max_value=3650, required=False,
        help_text=_("A customer's answers in earlier calls are known in the next ones for this long (0: never)."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        initial = kwargs.get("initial") or {}
        kwargs["initial"] = {"memory_days": MEMORY_DAYS, **initial,
                             "variables": "，".join(initial.get("variables") or [])}
        super().__init__(*args, **kwargs)
        self.fields["confidence_threshold"].widget.attrs["step"] = "0.05"
        _style(self)

    def clean_memory_days(self) -> int:
        days = self.cleaned_data["memory_days"]
        return MEMORY_DAYS if days is None else days

    def clean_variables(self) -> list[str]:
        return list(dict.fromkeys(name for name in _SPLIT.split(self.cleaned_data["variables"]) if name))


def node_initial(node: dict) -> dict:
    initial = {key: value for key, value in node.items() if key not in ("id", "kind", "position")}
    initial.setdefault("barge_in", True)
    return initial


class EdgeForm(forms.Form):
    type = forms.ChoiceField(label=_("Condition"))
    intent = forms.ChoiceField(label=_("Intent"), required=False)
    expr = forms.CharField(label=_("Expression"), max_length=1000, required=False,
                           help_text=_("E.g. 扬程 > 50 and filled(型号)"))

    def __init__(self, source_kind: str, intent_names: list[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = list(KINDS[source_kind].exits if source_kind in KINDS else ()) or list(CONDITION_LABELS)
        current = self.initial.get("type")
        if current and current not in allowed:
            allowed.append(current)
        self.fields["type"].choices = [(t, CONDITION_LABELS[t]) for t in allowed]
        extra = [self.initial["intent"]] if self.initial.get("intent") not in [None, *intent_names] else []
        self.fields["intent"].choices = [("", "—")] + [(i, i) for i in [*intent_names, *extra]]
        _style(self)

    def clean(self) -> dict:
        data = super().clean()
        kind = data.get("type")
        if kind == "intent" and not data.get("intent"):
            self.add_error("intent", _("Choose an intent."))
        if kind == "expr":
            self._check_expr(data.get("expr", ""))
        return data

    def _check_expr(self, text: str) -> None:
        if not text.strip():
            self.add_error("expr", _("Write a condition."))
            return
        try:
            conditions.parse(text)
        except conditions.ConditionError as error:
            zh = (get_language() or "").startswith("zh")
            self.add_error("expr", error.message_zh if zh else error.message_en)

    def to_json(self) -> dict:
        kind = self.cleaned_data["type"]
        condition = {"type": kind}
        if kind == "intent":
            condition["intent"] = self.cleaned_data["intent"]
        if kind == "expr":
            condition["expr"] = self.cleaned_data["expr"].strip()
        return condition
