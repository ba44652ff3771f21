"""Forms of the calls app: the lead-grading rules and the CRM webhook."""

from __future__ import annotations

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from calls.crm import SCHEMES
from calls.grading import GradingRules
from calls.models import OUTCOME_TONES, CrmWebhook, Customer

LISTS = ("interest_intents", "yes_intents", "refusal_intents", "deal_outcomes")
NUMBERS = ("a_min_interest", "b_max_refusals", "c_min_refusals", "c_max_user_turns")


class GradingForm(forms.Form):
    interest_intents = forms.MultipleChoiceField(label=_("Asking about the business"), required=False,
                                                 widget=forms.CheckboxSelectMultiple)
    yes_intents = forms.MultipleChoiceField(label=_("Saying yes"), required=False, widget=forms.CheckboxSelectMultiple)
    refusal_intents = forms.MultipleChoiceField(label=_("Refusing"), required=False,
                                                widget=forms.CheckboxSelectMultiple)
    deal_outcomes = forms.MultipleChoiceField(label=_("Outcomes that are a deal (grade A)"), required=False,
                                              widget=forms.CheckboxSelectMultiple)
    a_min_interest = forms.IntegerField(label=_("A: asked at least (times), never refused"), min_value=1, max_value=50)
    b_max_refusals = forms.IntegerField(label=_("B: asked or said yes, refused at most (times)"), min_value=0,
                                        max_value=50)
    c_min_refusals = forms.IntegerField(label=_("C: refused at least (times)"), min_value=1, max_value=50)
    c_max_user_turns = forms.IntegerField(label=_("C: or the customer spoke at most (times)"), min_value=0,
                                          max_value=50)
    regrade = forms.BooleanField(label=_("Grade past calls again with these rules"), required=False, initial=True)

    def __init__(self, bot, rules: GradingRules, data=None) -> None:  # noqa: ANN001
        super().__init__(data, initial={**rules.to_json(), "regrade": True})
        intents = [(name, name) for name in bot.intents.order_by("name").values_list("name", flat=True)]
        for name in ("interest_intents", "yes_intents", "refusal_intents"):
            self.fields[name].choices = intents
        outcomes = sorted(set(OUTCOME_TONES) | set(bot.calls.exclude(outcome="").values_list("outcome", flat=True)
                                                   .distinct()[:50]))
        self.fields["deal_outcomes"].choices = [(o, o) for o in outcomes]
        for name in NUMBERS:
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"
        for name in (*LISTS, "regrade"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def rules(self) -> GradingRules:
        return GradingRules(**{name: self.cleaned_data[name] for name in LISTS + NUMBERS})


class WebhookForm(forms.ModelForm):
    class Meta:
        model = CrmWebhook
        fields = ["url", "secret", "enabled"]
        widgets = {"url": forms.URLInput(attrs={"class": "form-control",
                                                "placeholder": "https://crm.example.com/hooks/calls"}),
                   "secret": forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
                   "enabled": forms.CheckboxInput(attrs={"class": "form-check-input"})}

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["url"].validators = [URLValidator(schemes=list(SCHEMES))]  # no file:, ftp:, gopher:…
        self.fields["url"].help_text = _("HTTP or HTTPS. Each finished call is POSTed there as signed JSON.")
        self.fields["secret"].help_text = _("Signs each push (HMAC-SHA256); give the same secret to your CRM.")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("enabled") and not data.get("url"):
            self.add_error("url", _("Give the webhook URL before switching pushing on."))
        if data.get("url") and not data.get("secret"):
            self.add_error("secret", _("A secret is needed to sign the pushes."))
        return data


class CustomerImportForm(forms.Form):
    file = forms.FileField(label=_("Customer list (CSV or Excel .xlsx)"), widget=forms.ClearableFileInput(
        attrs={"accept": ".csv,.tsv,.txt,.xlsx", "class": "form-control"}))


class CustomerForm(forms.ModelForm):
    """A customer's name, company and variables (one `name=value` per line)."""

    variables_text = forms.CharField(label=_("Variables"), required=False, widget=forms.Textarea(
        attrs={"rows": 4, "class": "form-control font-monospace"}),
        help_text=_("One per line: name=value. Scripts say them as {name}."))

    class Meta:
        model = Customer
        fields = ["name", "company"]
        widgets = {"name": forms.TextInput(attrs={"class": "form-control"}),
                   "company": forms.TextInput(attrs={"class": "form-control"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["variables_text"] = "\n".join(f"{k}={v}" for k, v in self.instance.variables.items())

    def clean_variables_text(self) -> dict[str, str]:
        variables = {}
        for number, line in enumerate(self.cleaned_data["variables_text"].splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, value = line.replace("＝", "=").partition("=")
            if not sep or not name.strip():
                raise forms.ValidationError(_("Line %(n)s: write name=value.") % {"n": number})
            variables[name.strip()[:40]] = value.strip()[:500]
        if len(variables) > 30:
            raise forms.ValidationError(_("At most 30 variables."))
        return variables

    def save(self, commit: bool = True) -> Customer:
        self.instance.variables = self.cleaned_data["variables_text"]
        return super().save(commit)
