"""Intents, slots and training examples: checks and writes, and bulk import/export.

`check_*` validate and raise ValidationError with a message for the user; `do_*` write.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from difflib import get_close_matches

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from nlu import importing
from nlu.models import ExampleSource, Intent, Slot, SlotType, TrainingExample
from salesstudio.models import Bot


def slot_definitions(bot: Bot) -> dict[str, dict]:
    """The bot's slots as the core's plain dicts `{name, type, unit, values}`, by name."""
    return {s.name: {"name": s.name, "type": s.type, "unit": s.unit, "values": s.values} for s in bot.slots.all()}


def intents_with_counts(bot: Bot):
    """The bot's intents with `n_examples` (its own) and `n_common` (the product's, for a common intent)."""
    from nlu.common import catalogue

    intents = list(bot.intents.annotate(n_examples=Count("examples")).order_by("name"))
    for intent in intents:
        common = catalogue().get(intent.name)
        intent.n_common = len(common.examples) if common else 0
    return intents


def available_common_intents(bot: Bot) -> list:
    """The shipped common intents (nlu.common) the bot has not switched on yet."""
    from nlu.common import catalogue

    taken = set(bot.intents.values_list("name", flat=True))
    return [c for name, c in catalogue().items() if name not in taken]


def do_enable_common_intents(bot: Bot, names: list[str]) -> list[Intent]:
    """Switch common intents on: each becomes a global intent of the bot with its default reply (its examples come
    with the product).
    Unknown or already present names are skipped."""
    from nlu.common import catalogue

    taken = set(bot.intents.values_list("name", flat=True))
    chosen = [catalogue()[n] for n in dict.fromkeys(names) if n in catalogue() and n not in taken]
    return Intent.objects.bulk_create([Intent(bot=bot, name=c.name, description=c.description, is_global=True,
                                              reply=c.reply) for c in chosen], ignore_conflicts=True)


# --- examples -------------------------------------------------------------------------------------------------------

def check_spans(bot: Bot, text: str, spans: list) -> list[dict]:
    """Validated, sorted spans `{slot, start, end, value}` for `text`; slots must belong to the bot."""
    if not isinstance(spans, list):
        raise ValidationError(_("The slot spans are malformed."))
    known = set(bot.slots.values_list("name", flat=True))
    clean, previous_end = [], 0
    try:
        items = sorted(({"slot": str(s["slot"]), "start": int(s["start"]), "end": int(s["end"])} for s in spans),
                       key=lambda s: s["start"])
    except (KeyError, TypeError, ValueError):
        raise ValidationError(_("The slot spans are malformed.")) from None
    for span in items:
        if span["slot"] not in known:
            raise ValidationError(_("Unknown slot “%(slot)s”.") % {"slot": span["slot"]})
        if not 0 <= span["start"] < span["end"] <= len(text) or span["start"] < previous_end:
            raise ValidationError(_("A slot span is outside the text or overlaps another one."))
        previous_end = span["end"]
        clean.append({**span, "value": text[span["start"]:span["end"]]})
    return clean


def check_example(bot: Bot, text: str, intent: Intent, spans: list, *, instance: TrainingExample | None = None) -> dict:
    text = importing.clean(text or "")[0]
    if not text:
        raise ValidationError(_("Type an utterance."))
    if len(text) > importing.MAX_TEXT:
        raise ValidationError(_("The utterance is longer than %(n)s characters.") % {"n": importing.MAX_TEXT})
    if intent.bot_id != bot.pk:
        raise ValidationError(_("Unknown intent."))
    clash = bot.examples.filter(text=text).exclude(pk=getattr(instance, "pk", None)).select_related("intent").first()
    if clash is not None:
        raise ValidationError(_("This utterance already exists (intent “%(intent)s”).") % {"intent": clash.intent})
    return {"text": text, "intent": intent, "spans": check_spans(bot, text, spans)}


def do_save_example(bot: Bot, user: AbstractBaseUser | None, *, text: str, intent: Intent, spans: list,
                    context: str = "", instance: TrainingExample | None = None) -> TrainingExample:
    """Create (or update `instance`) after `check_example`. Raises ValidationError."""
    data = check_example(bot, text, intent, spans, instance=instance)
    if instance is None:
        return TrainingExample.objects.create(bot=bot, created_by=user, context=context, **data)
    for key, value in {**data, "context": context}.items():
        setattr(instance, key, value)
    instance.save()
    return instance


def do_relabel_example(example: TrainingExample, intent: Intent) -> TrainingExample:
    if intent.bot_id != example.bot_id:
        raise ValidationError(_("Unknown intent."))
    example.intent = intent
    example.save(update_fields=["intent"])
    return example


def do_relabel_text(bot: Bot, text: str, intent: Intent) -> TrainingExample:
    """Fix a misclassified evaluation example in place: relabel the stored example with this text, or add it."""
    if intent.bot_id != bot.pk:
        raise ValidationError(_("Unknown intent."))
    example, _created = TrainingExample.objects.update_or_create(bot=bot, text=text, defaults={"intent": intent})
    return example


# --- intents and slots ------------------------------------------------------------------------------------------------

def do_delete_intent(intent: Intent) -> None:
    """Delete an intent and its examples."""
    intent.delete()


def do_delete_slot(slot: Slot) -> int:
    """Delete a slot and remove its spans from the bot's examples; returns the number of examples changed."""
    changed = []
    with transaction.atomic():
        for example in slot.bot.examples.select_for_update():
            kept = [s for s in example.spans if s.get("slot") != slot.name]
            if len(kept) != len(example.spans):
                example.spans = kept
                changed.append(example)
        TrainingExample.objects.bulk_update(changed, ["spans"])
        slot.delete()
    return len(changed)


def do_rename_slot_in_spans(bot: Bot, old: str, new: str) -> None:
    if old == new:
        return
    examples = list(bot.examples.filter(spans__isnull=False))
    for example in examples:
        example.spans = [{**s, "slot": new} if s.get("slot") == old else s for s in example.spans]
    TrainingExample.objects.bulk_update(examples, ["spans"])


# --- bulk import ------------------------------------------------------------------------------------------------------

@dataclass
class ImportPlan:
    """What an upload would do: rows to write, problems per line, and what already exists."""

    rows: list[importing.Row] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    conflicts: list[tuple[int, str]] = field(default_factory=list)
    duplicates: int = 0
    # Names the import would create, each with its number of rows and the existing name it resembles (a typo?).
    new_intents: list[tuple[str, int, str]] = field(default_factory=list)
    new_slots: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return len(self.errors) + len(self.conflicts)

    @property
    def needs_review(self) -> bool:
        """Whether the manager confirms before anything is written: problems, or intents or slots to create."""
        return bool(self.problems or self.new_intents or self.new_slots)


def _new_names(wanted: list[str], existing: set[str]) -> list[tuple[str, int, str]]:
    counts = Counter(name for name in wanted if name not in existing)
    return [(name, n, next(iter(get_close_matches(name, existing, n=1, cutoff=0.5)), ""))
            for name, n in counts.most_common()]


# The core's import messages, marked here so that makemessages extracts them (`translate` looks them up).
IMPORT_MESSAGES = (
    gettext_noop("The CSV file has no header row."),
    gettext_noop("The CSV header must name the columns “text” and “intent”."),
    gettext_noop("The file is empty."),
    gettext_noop("The file is larger than {mb} MB."),
    gettext_noop("The file is not UTF-8 or GB18030 text: save it as UTF-8 and try again."),
    gettext_noop("The file is not valid JSON (line {line}, column {column})."),
    gettext_noop("This is not a text file (it contains binary data)."),
    gettext_noop("Unsupported file type: upload a .csv or .jsonl file."),
    gettext_noop("a slot name is empty or too long"),
    gettext_noop("cannot read this row ({error})"),
    gettext_noop("cannot read “{part}” in the slots cell (write slot=value; …)"),
    gettext_noop("char_tags has {tags} tags for {chars} characters"),
    gettext_noop("expected a JSON object"),
    gettext_noop("expected a dialogue with turns"),
    gettext_noop("more than {n} rows: the rest of the file was not read"),
    gettext_noop("not valid JSON (column {column})"),
    gettext_noop("slots must be an object {{slot: value}}"),
    gettext_noop("the JSON nests deeper than {limit} levels"),
    gettext_noop("a number is longer than {limit} digits"),
    gettext_noop("the JSON holds an invalid character"),
    gettext_noop("the JSON is longer than {limit} characters"),
    gettext_noop("the intent is missing"),
    gettext_noop("the intent name is longer than {n} characters"),
    gettext_noop("the slots cell is not a valid JSON object"),
    gettext_noop("the span of slot “{slot}” is outside the text"),
    gettext_noop("the spans of “{a}” and “{b}” overlap"),
    gettext_noop("the text is longer than {n} characters"),
    gettext_noop("the text is missing"),
    gettext_noop("the value “{value}” of slot “{slot}” is not in the text"),
    gettext_noop("unreadable CSV ({error})"),
    gettext_noop("“{text}” is labelled “{intent}” here but “{other}” on line {line}"),
)


def translate(message: importing.Message) -> str:
    """The core's English message template, translated, then filled in."""
    return _(message.template).format(**message.params)


def check_import(bot: Bot, data: bytes, filename: str) -> ImportPlan:
    """Parse an upload against the bot's slots and examples. Raises ValidationError for an unreadable file."""
    try:
        parsed = importing.parse_upload(data, filename, slots=slot_definitions(bot))
    except importing.ImportFileError as exc:
        raise ValidationError(translate(exc.message)) from None
    plan = ImportPlan(errors=[(line, translate(m)) for line, m in parsed.errors],
                      conflicts=[(line, translate(m)) for line, m in parsed.conflicts], duplicates=parsed.duplicates)
    existing = dict(bot.examples.values_list("text", "intent__name"))
    for row in parsed.rows:
        stored = existing.get(row.text)
        if stored is None:
            plan.rows.append(row)
        elif stored != row.intent:
            plan.conflicts.append((row.line, _("“%(text)s” is already labelled “%(old)s”, not “%(new)s”.")
                                   % {"text": row.text, "old": stored, "new": row.intent}))
        else:
            plan.duplicates += 1
    plan.errors.sort()
    plan.conflicts.sort()
    plan.new_intents = _new_names([r.intent for r in plan.rows], set(bot.intents.values_list("name", flat=True)))
    plan.new_slots = _new_names([s["slot"] for r in plan.rows for s in r.spans],
                                set(bot.slots.values_list("name", flat=True)))
    return plan


@transaction.atomic
def do_import_rows(bot: Bot, user: AbstractBaseUser | None, rows: list[dict | importing.Row], *,
                   source: str = ExampleSource.IMPORTED) -> dict:
    """Write new examples, creating missing intents and (free-text) slots; existing texts are left alone.

    Returns counts {"examples", "intents", "slots"}.
    """
    rows = [r.as_example() if isinstance(r, importing.Row) else r for r in rows]
    intents = {i.name: i for i in bot.intents.all()}
    new_intents = [Intent(bot=bot, name=n) for n in dict.fromkeys(r["intent"] for r in rows) if n not in intents]
    Intent.objects.bulk_create(new_intents)
    intents.update({i.name: i for i in bot.intents.filter(name__in=[i.name for i in new_intents])})
    slots = set(bot.slots.values_list("name", flat=True))
    wanted = dict.fromkeys(s["slot"] for r in rows for s in r.get("spans") or ())
    new_slots = [Slot(bot=bot, name=n, type=SlotType.TEXT) for n in wanted if n not in slots]
    Slot.objects.bulk_create(new_slots)
    existing = set(bot.examples.values_list("text", flat=True))
    examples = [TrainingExample(bot=bot, text=r["text"], intent=intents[r["intent"]], spans=r.get("spans") or [],
                                context=r.get("context") or "", source=source, created_by=user)
                for r in rows if r["text"] not in existing]
    TrainingExample.objects.bulk_create(examples, batch_size=1000)
    return {"examples": len(examples), "intents": len(new_intents), "slots": len(new_slots)}


def export_examples(bot: Bot) -> list[dict]:
    return [{"text": e.text, "intent": e.intent.name, "spans": e.spans, "context": e.context}
            for e in bot.examples.select_related("intent").order_by("intent__name", "id")]


def selected_intent(bot: Bot, value: str | None) -> Intent | None:
    return bot.intents.filter(pk=int(value)).first() if value and value.isdigit() else None
