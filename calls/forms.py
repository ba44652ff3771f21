"""Forms of the calls app: the lead-grading rules, the CRM webhook, customers, conversation tests and the knowledge
base."""

from __future__ import annotations

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from calls.calllog.conversation_tests import audio_names, delete_audio
from calls.calllog.knowledge import problem_message
from calls.crm import SCHEMES
from calls.grading import GradingRules
from calls.models import OUTCOME_TONES, ConversationTest, CrmWebhook, Customer
from nlu import knowledge
from nlu.models import KnowledgeAfter, KnowledgeEntry
from salesstudio.forms import FilePicker

LISTS = ("interest_intents", "yes_intents", "refusal_intents", "deal_outcomes")
NUMBERS = ("a_min_interest", "b_max_refusals", "c_min_refusals", "c_max_user_turns", "c_max_seconds")


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
    c_max_seconds = forms.IntegerField(label=_("C: or the call lasted at most (seconds; 0 = not used)"), min_value=0,
                                       max_value=3600)
    knowledge_is_interest = forms.BooleanField(
        label=_("A question the knowledge base answered counts as asking about the business"), required=False)
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
        for name in (*LISTS, "knowledge_is_interest", "regrade"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def rules(self) -> GradingRules:
        return GradingRules(**{name: self.cleaned_data[name] for name in (*LISTS, *NUMBERS, "knowledge_is_interest")})


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
    file = forms.FileField(label=_("Customer list (CSV or Excel .xlsx)"), widget=FilePicker(
        attrs={"accept": ".csv,.tsv,.txt,.xlsx"}))


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


NOT_CHECKED = ""  # an expectation left empty is not checked
NO_INTENT = "-"  # expect that the turn is understood as no intent


class TestTurnsForm(forms.Form):
    """A test's table: per turn what the caller says and what is expected (intent, slots as name=value; …, the node
    the call rests on, words the bot says); the outcome and grade at the end. Rows with no text are dropped. A turn
    saved with the caller's recording keeps it while its box stays ticked."""

    name = forms.CharField(label=_("Test name"), max_length=200,
                           widget=forms.TextInput(attrs={"class": "form-control"}))
    outcome = forms.CharField(label=_("Outcome at the end"), max_length=60, required=False,
                              widget=forms.TextInput(attrs={"class": "form-control"}))
    grade = forms.ChoiceField(label=_("Lead grade at the end"), required=False)
    ROWS_EXTRA = 2

    def __init__(self, bot, titles: dict[str, str], test: ConversationTest, data=None) -> None:  # noqa: ANN001
        super().__init__(data, initial={"name": test.name, "outcome": test.outcome, "grade": test.grade})
        from calls.calllog.grades import GRADE_LABELS

        self.test, self.titles = test, titles
        self.intents = list(bot.intents.order_by("name").values_list("name", flat=True))
        self.fields["grade"].choices = [("", _("not checked")), *GRADE_LABELS.items()]
        self.fields["grade"].widget.attrs["class"] = "form-select"
        self.rows = [self._row(i, turn) for i, turn in enumerate(test.turns + [{}] * self.ROWS_EXTRA)]
        self.row_errors: list[str] = []

    def _row(self, index: int, turn: dict) -> dict:
        expect = turn.get("expect") or {}
        intent = expect.get("intent")
        value = lambda key, default: self.data.get(f"{key}-{index}", default) if self.is_bound else default  # noqa: E731
        audio = turn.get("audio", "")
        if self.is_bound and not self.data.get(f"audio-{index}"):
            audio = ""  # unticked: the turn becomes a text turn
        return {"index": index, "text": value("text", turn.get("text", "")), "audio": audio,
                "had_audio": "audio" in turn,
                "intent": value("intent", NOT_CHECKED if intent is None else (intent or NO_INTENT)),
                "slots": value("slots", "; ".join(f"{k}={v}" for k, v in (expect.get("slots") or {}).items())),
                "node": value("node", expect.get("node", "")), "says": value("says", expect.get("says", ""))}

    def clean(self) -> dict:
        turns = []
        for row in self.rows:
            if not row["text"].strip() and not row["audio"]:
                continue
            expect = {}
            if row["intent"] != NOT_CHECKED:
                expect["intent"] = "" if row["intent"] == NO_INTENT else row["intent"]
            if row["node"]:
                expect["node"] = row["node"]
            if row["says"].strip():
                expect["says"] = row["says"].strip()[:200]
            slots = {}
            for part in row["slots"].replace("；", ";").split(";"):
                if not part.strip():
                    continue
                name, sep, value = part.replace("＝", "=").partition("=")
                if not sep or not name.strip():
                    raise forms.ValidationError(_("Turn %(n)s: write slots as name=value; …") % {"n": row["index"] + 1})
                slots[name.strip()] = value.strip()
            if slots:
                expect["slots"] = slots
            turn = {"text": row["text"].strip()[:500], "expect": expect}
            if row["audio"]:
                turn["audio"] = row["audio"]  # only ever one the test already had
            turns.append(turn)
        if not turns:
            raise forms.ValidationError(_("A test needs at least one caller turn."))
        self.cleaned_data["turns"] = turns
        return self.cleaned_data

    def save(self) -> ConversationTest:
        test = self.test
        dropped = audio_names(test.turns) - audio_names(self.cleaned_data["turns"])
        test.name, test.outcome, test.grade = (self.cleaned_data[k] for k in ("name", "outcome", "grade"))
        test.turns = self.cleaned_data["turns"]
        test.save()
        delete_audio(dropped)
        return test


class KnowledgeEntryForm(forms.Form):
    """One knowledge-base entry; `cleaned_data["entry"]` is the `nlu.knowledge.Entry` it describes."""

    question = forms.CharField(label=_("Question"), max_length=200, widget=forms.TextInput(
        attrs={"class": "form-control", "autocomplete": "off"}))
    phrasings = forms.CharField(label=_("Other ways of asking"), required=False, widget=forms.Textarea(
        attrs={"rows": 5, "class": "form-control"}),
        help_text=_("One per line. Write how customers really ask, in their own words and dialects."))
    answers = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
                              help_text=_("One variant per line; {slot} and {variable} placeholders are filled in."))
    follow_up = forms.CharField(label=_("Follow-up questions"), required=False, widget=forms.Textarea(
        attrs={"rows": 2, "class": "form-control", "placeholder": "安装地点=您的项目在哪个城市？"}),
        help_text=_("Optional, at most three, one per line as slot=question: asked after the answer, one turn each, "
                    "before the call goes on as chosen below."))
    after = forms.ChoiceField(label=_("After the answer"), choices=KnowledgeAfter.choices,
                              widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, data: dict | None = None, *, slots: list[str], **kwargs) -> None:  # noqa: ANN003
        super().__init__(data, **kwargs)
        self.slots = slots

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        try:
            data["entry"] = knowledge.clean_entry(data["question"], data["phrasings"].splitlines(),
                                                  data["answers"].splitlines(), data["after"],
                                                  data["follow_up"].splitlines())
        except knowledge.KnowledgeError as error:
            raise forms.ValidationError(problem_message(error)) from None
        unknown = [step["slot"] for step in data["entry"].follow_up if step["slot"] not in self.slots]
        if unknown:
            self.add_error("follow_up", _("“%(slot)s” is not a slot of this bot.") % {"slot": unknown[0]})
        return data

    @classmethod
    def for_entry(cls, entry: KnowledgeEntry, data: dict | None = None, *, slots: list[str]) -> KnowledgeEntryForm:
        return cls(data, slots=slots, initial={
            "question": entry.question, "phrasings": "\n".join(entry.phrasings), "answers": "\n".join(entry.answers),
            "after": entry.after, "follow_up": "\n".join(knowledge.follow_up_lines(entry.follow_up))})


class KnowledgeImportForm(forms.Form):
    file = forms.FileField(label=_("Knowledge base (CSV)"), widget=FilePicker(
        attrs={"accept": ".csv,.tsv,.txt"}))


class KnowledgeThresholdForm(forms.Form):
    threshold = forms.FloatField(label=_("Matching threshold"), min_value=0.0, max_value=0.5, widget=forms.NumberInput(
        attrs={"class": "form-control", "step": "0.005"}),
        help_text=_("Higher answers fewer questions, and more surely the right ones."))
