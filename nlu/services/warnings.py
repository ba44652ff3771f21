"""Data warnings on the training page: what will make the bot misunderstand callers, before and after training,
each pointing at the examples to fix."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nlu.models import Intent
from nlu.services.examples import slot_definitions
from nlu.services.training import THIN_INTENT, thin_intents
from nlu.services.versions import active_version
from salesstudio.models import Bot

WEAK_SCORE = 0.6  # an intent or slot scoring below this on validation is one callers will meet misunderstood
MIN_VALIDATION = 30  # fewer validation examples than this and the scores say little


@dataclass
class DataWarning:
    code: str
    message: str
    intents: list[Intent] = field(default_factory=list)  # links to their examples
    items: list[str] = field(default_factory=list)  # names or phrases shown as they are


def data_warnings(bot: Bot) -> list[DataWarning]:
    """Thin intents, slots no example labels, one phrase under several intents, and — for the active model version —
    weak intents and slots on validation and a validation split too small to trust."""
    found = []
    thin = thin_intents(bot)
    if thin:
        found.append(DataWarning("thin", ngettext(
            "%(n)d intent has fewer than %(floor)d examples: the bot can hardly learn it from so few.",
            "%(n)d intents have fewer than %(floor)d examples: the bot can hardly learn them from so few.",
            len(thin)) % {"n": len(thin), "floor": THIN_INTENT}, intents=thin))
    labelled = {span.get("slot") for spans in bot.examples.values_list("spans", flat=True) for span in spans or []}
    unlabelled = [name for name in slot_definitions(bot) if name not in labelled]
    if unlabelled:
        found.append(DataWarning("unlabelled_slots", _(
            "No example marks these slots: the model cannot learn where they are said (the slot lexicon still finds "
            "their values)."), items=unlabelled))
    clashes = _clashes(bot)
    if clashes:
        found.append(DataWarning("clashes", _(
            "The same phrase (slot values, punctuation and script aside) is labelled with different intents:"),
            intents=sorted({i for _, intents in clashes for i in intents}, key=lambda i: i.name),
            items=[text for text, _ in clashes[:10]]))
    version = active_version(bot)
    if version is not None:
        found += _version_warnings(bot, version.metrics)
    return found


def _clashes(bot: Bot) -> list[tuple[str, list[Intent]]]:
    from nlu import lexicon
    from nlu.understanding import pattern

    definitions = list(slot_definitions(bot).values())
    by_pattern: dict[str, dict[int, tuple[str, Intent]]] = defaultdict(dict)
    for example in bot.examples.select_related("intent"):
        key = pattern(example.text, example.spans or lexicon.extract(example.text, definitions))
        by_pattern[key].setdefault(example.intent_id, (example.text, example.intent))
    return [(" / ".join(text for text, _ in seen.values()), [intent for _, intent in seen.values()])
            for seen in by_pattern.values() if len(seen) > 1]


def _version_warnings(bot: Bot, metrics: dict) -> list[DataWarning]:
    found = []
    intent = metrics.get("intent") or {}
    per_intent = intent.get("per_intent") or {}
    weak = [name for name, m in per_intent.items() if m.get("support") and m.get("f1", 1) < WEAK_SCORE]
    if weak:
        found.append(DataWarning("weak_intents", _(
            "On the validation examples the bot often gets these intents wrong (F1 below %(floor)s): add varied "
            "examples, or merge intents callers cannot tell apart.") % {"floor": WEAK_SCORE},
            intents=list(bot.intents.filter(name__in=weak))))
    per_slot = (metrics.get("slots") or {}).get("per_slot") or {}
    weak_slots = [name for name, m in per_slot.items() if m.get("support") and m.get("f1", 1) < WEAK_SCORE]
    if weak_slots:
        found.append(DataWarning("weak_slots", _(
            "On the validation examples these slots are often missed or misread (F1 below %(floor)s):")
            % {"floor": WEAK_SCORE}, items=weak_slots))
    count = intent.get("count", 0)
    if per_intent and count < MIN_VALIDATION:
        found.append(DataWarning("small_validation", ngettext(
            "The scores come from %(n)d validation example only: too few to trust; add examples.",
            "The scores come from %(n)d validation examples only: too few to trust; add examples.",
            count) % {"n": count}))
    return found
