"""Forms of the NLU pages: intents, slots (values with synonyms, prompts), examples, imports and training."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from nlu import jsonguard
from nlu.jsonguard import UnsafeJson
from nlu.models import Intent, Slot, SlotType
from salesstudio.forms import FilePicker

TARGET_CHOICES = [("query", "query"), ("key", "key"), ("value", "value"), ("dense", "dense")]


class BotScopedForm(forms.ModelForm):
    """A model form whose name must be unique within the bot."""

    def __init__(self, *args, bot, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.bot = bot
        for field in self.fields.values():
            css = "form-check-input" if isinstance(field.widget, forms.CheckboxInput) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        others = self._meta.model.objects.filter(bot=self.bot, name=name).exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(_("This name is already used in this bot."))
        return name

    def save(self, commit: bool = True):  # noqa: ANN201
        self.instance.bot = self.bot
        return super().save(commit)


class IntentForm(BotScopedForm):
    class Meta:
        model = Intent
        fields = ["name", "description", "is_global", "reply"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class SlotForm(BotScopedForm):
    values_text = forms.CharField(
        label=_("Values and synonyms"), required=False,
        widget=forms.Textarea(attrs={"rows": 4, "data-synonym-editor": "1"}),
        help_text=_("Enumerations: one row per value with its synonyms and dialect variants; press Enter after each, "
                    "and click a word's dialect to mark it 四川话 or 粤语."))
    prompts_text = forms.CharField(label=_("Prompts"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                   help_text=_("What the bot asks to collect this slot, one variant a line."))

    class Meta:
        model = Slot
        fields = ["name", "type", "unit"]

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["type"].widget.attrs["class"] = "form-select"
        if self.instance.pk and not self.is_bound:
            self.initial["values_text"] = format_values(self.instance.values)
            self.initial["prompts_text"] = "\n".join(self.instance.prompts)

    def clean(self) -> dict:
        data = super().clean()
        data["values"] = parse_values(data.get("values_text", ""))
        if data.get("type") == SlotType.ENUM and not data["values"]:
            self.add_error("values_text", _("An enumeration needs at least one value."))
        data["prompts"] = [p.strip() for p in data.get("prompts_text", "").splitlines() if p.strip()]
        return data

    def save(self, commit: bool = True) -> Slot:
        self.instance.values = self.cleaned_data["values"]
        self.instance.prompts = self.cleaned_data["prompts"]
        return super().save(commit)


DIALECT_MARK = re.compile(r"^(.*?)\s*[\[【［]([^\]】］]{1,10})[\]】］]$")


def parse_values(text: str) -> list[dict]:
    """`离心泵: 离心式水泵, 离心嘅泵[粤语]` lines → [{"value": "离心泵", "synonyms": ["离心式水泵", "离心嘅泵"],
    "dialects": {"离心嘅泵": "粤语"}}] ("dialects" only when some synonym is marked)."""
    values = []
    for line in (text or "").splitlines():
        value, _sep, cell = line.replace("：", ":").partition(":")
        if not value.strip():
            continue
        synonyms, dialects = [], {}
        for word in (w.strip() for w in cell.replace("，", ",").split(",")):
            marked = DIALECT_MARK.match(word)
            if marked and marked.group(1).strip():
                word = marked.group(1).strip()
                dialects[word] = marked.group(2).strip()
            if word and word not in synonyms:
                synonyms.append(word)
        values.append({"value": value.strip(), "synonyms": synonyms, **({"dialects": dialects} if dialects else {})})
    return values


def format_values(values: list) -> str:
    lines = []
    for item in values or []:
        item = item if isinstance(item, dict) else {"value": str(item), "synonyms": []}
        dialects = item.get("dialects") or {}
        synonyms = ", ".join(f"{s}[{dialects[s]}]" if s in dialects else s for s in item.get("synonyms") or [])
        lines.append(f"{item['value']}: {synonyms}" if synonyms else item["value"])
    return "\n".join(lines)


class ExampleForm(forms.Form):
    """An utterance, its intent and the slot spans chosen by selecting text (a JSON list in a hidden field)."""

    text = forms.CharField(label=_("Utterance"), max_length=500,
                           widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}))
    intent = forms.ModelChoiceField(label=_("Intent"), queryset=Intent.objects.none(), empty_label=_("Choose an intent…"),
                                    widget=forms.Select(attrs={"class": "form-select"}))
    context = forms.CharField(label=_("Context (what the bot asked)"), max_length=500, required=False,
                              widget=forms.TextInput(attrs={"class": "form-control"}))
    spans = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, bot, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["intent"].queryset = bot.intents.all()

    def clean_spans(self) -> list:
        spans = json_field(self.cleaned_data.get("spans") or "[]")
        if not isinstance(spans, list):
            raise ValidationError(_("The slot spans are malformed."))
        return spans


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or JSONL file"), widget=FilePicker(
        attrs={"accept": ".csv,.tsv,.jsonl,.json"}))


class TrainingForm(forms.Form):
    """Defaults follow MEASURED.md (LoRA r16 on all linear layers); the advanced fields are optional."""

    epochs = forms.IntegerField(label=_("Epochs"), min_value=1, max_value=50, required=False)
    learning_rate = forms.FloatField(label=_("Learning rate"), min_value=1e-6, max_value=1e-1, required=False)
    lora_rank = forms.IntegerField(label=_("LoRA rank"), min_value=1, max_value=128, required=False)
    lora_alpha = forms.IntegerField(label=_("LoRA alpha"), min_value=1, max_value=512, required=False)
    lora_targets = forms.MultipleChoiceField(label=_("Target modules"), choices=TARGET_CHOICES, required=False,
                                             widget=forms.CheckboxSelectMultiple)
    max_length = forms.IntegerField(label=_("Max length (tokens)"), min_value=16, max_value=512, required=False)

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        from nlu.train import TrainConfig

        super().__init__(*args, **kwargs)
        defaults = TrainConfig()
        for name, field in self.fields.items():
            default = getattr(defaults, name)
            if name == "lora_targets":
                field.initial = list(default)
                continue
            field.widget.attrs.update({"class": "form-control", "placeholder": str(default)})


JSON_ERRORS = {
    "size": _("The data is too long (more than %(limit)s characters)."),
    "depth": _("The data nests deeper than %(limit)s levels."),
    "number": _("A number in the data is too long (more than %(limit)s digits)."),
    "unicode": _("The data holds an invalid character."),
    "syntax": _("The data is not valid JSON (line %(line)s, column %(column)s)."),
    "encoding": _("The data is not UTF-8 text."),
}
FILE_ERRORS = {  # the same said of an uploaded file
    "syntax": _("The file is not valid JSON (line %(line)s, column %(column)s)."),
    "encoding": _("The file is not UTF-8 text."),
}


def json_error(exc: UnsafeJson, *, file: bool = False) -> str:
    """What was wrong with a user's JSON (nlu.jsonguard), in the request's language; `file`: it was an upload."""
    message = (FILE_ERRORS.get(exc.code) if file else None) or JSON_ERRORS[exc.code]
    return str(message) % {"limit": exc.limit, "line": exc.line, "column": exc.column}


def json_field(raw: str) -> object:
    """A form field holding JSON, through the guard; raises forms.ValidationError saying what was wrong."""
    try:
        return jsonguard.loads(raw)
    except UnsafeJson as exc:
        raise forms.ValidationError(json_error(exc)) from None
