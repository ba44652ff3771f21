"""Transcript editing and labelling: segment text, labels that become training examples, skips, and suggestions
from the active model."""

from __future__ import annotations

import json
import re

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from nlu.models import ExampleSource, Intent, TrainingExample
from salesstudio.models import Bot
from voice.models import Segment, Speaker


def do_update_segment_text(segment: Segment, text: str) -> Segment:
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise ValidationError(_("The text cannot be empty."))
    segment.text = text[:500]
    segment.edited = True
    segment.save(update_fields=["text", "edited"])
    return segment


def label_context(segment: Segment) -> str:
    """What the agent said just before a customer's segment (the dialogue context of the example), else ''."""
    if segment.speaker != Speaker.CUSTOMER:
        return ""
    previous = segment.recording.segments.filter(index__lt=segment.index, speaker=Speaker.AGENT).last()
    return previous.text if previous else ""


@transaction.atomic
def do_label_segment(segment: Segment, user: AbstractBaseUser | None, *, intent: Intent,
                     spans: list) -> TrainingExample:
    """Make (or update) the training example of a segment. An example with the same text is reused and relabelled.

    Raises ValidationError for an unknown intent or slot, or spans outside the text.
    """
    from nlu.services import do_save_example

    bot = segment.recording.bot
    instance = segment.example or bot.examples.filter(text=segment.text.strip()).first()
    example = do_save_example(bot, user, text=segment.text, intent=intent, spans=spans,
                              context=label_context(segment), instance=instance)
    if instance is None:
        TrainingExample.objects.filter(pk=example.pk).update(source=ExampleSource.RECORDING)
        example.source = ExampleSource.RECORDING
    segment.example, segment.skipped = example, False
    segment.save(update_fields=["example", "skipped"])
    return example


def do_skip_segment(segment: Segment) -> None:
    """Mark a segment irrelevant (greeting noise, the agent talking, a wrong number): it never becomes a training
    example; a training example made from it before is kept (delete it on the intents page if it is wrong)."""
    segment.skipped = True
    segment.save(update_fields=["skipped"])


def spans_json(spans: list) -> str:
    """Spans `{slot, start, end}` as the JSON the label editor reads."""
    return json.dumps([{"slot": s["slot"], "start": s["start"], "end": s["end"]} for s in spans], ensure_ascii=False)


def can_suggest(bot: Bot) -> bool:
    """Whether "suggest labels" can work: the bot's understanding knows two intents or more (its examples' intents
    and the common intents it switched on); a trained model is used when there is one."""
    from nlu.common import catalogue

    taught = set(bot.examples.values_list("intent__name", flat=True).distinct())
    return len(taught | (set(bot.intents.values_list("name", flat=True)) & set(catalogue()))) >= 2


def suggest_labels(bot: Bot, text: str) -> dict | None:
    """Intent and spans the bot's understanding (with its active model, if any) predicts: {"intent": Intent | None,
    "spans": [...], "confidence": float, "confident": bool} (`confident`: sure enough that the label panel pre-fills
    it, nlu.services.SUGGEST_FLOOR). None when there is nothing to suggest from (see can_suggest)."""
    if not can_suggest(bot):
        return None
    from nlu.services import suggest

    return suggest(bot, text)
