"""Training examples → splits, labels and model inputs for the intent and slot (DST) models.

An example is `{"text", "intent", "spans": [{"slot", "start", "end", "value"}], "context": str | None}`; `start`/`end`
are character offsets into `text` (end exclusive). `context` is what the bot just asked (its last prompt or the name
of the slot being asked) and becomes the first sequence of a text pair, so that a bare “五十米” after “扬程多少米？”
can be tagged 扬程.

Slot tagging is BIO per character. For the slot model every CJK character is its own pre-token (`split_cjk`), so a
span boundary can never fall inside a subword piece; a token takes the tag of its first character.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

IGNORE = -100
OUTSIDE = "O"
METASPACE = "\u2581"
# CJK ideographs (BMP + extension A and compatibility) and CJK punctuation; one pre-token each for slot tagging.
CJK_CHAR = "[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"


class DatasetError(ValueError):
    """An example is malformed (missing text or intent, span out of range, overlapping spans)."""


@dataclass(frozen=True)
class Span:
    slot: str
    start: int
    end: int
    value: str = ""


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    spans: tuple[Span, ...] = ()
    context: str | None = None


@dataclass
class Encoded:
    """One tokenised input. `offsets[i]` is the utterance character range of token i, or None (special token,
    context token, or a zero-width metaspace)."""

    ids: list[int]
    type_ids: list[int]
    offsets: list[tuple[int, int] | None] = field(default_factory=list)


def parse_examples(raw: Iterable[dict]) -> list[Example]:
    """Validate and convert plain dicts into Examples.

    Raises DatasetError (with the example's index) on empty text or intent, a span outside the text, an empty span
    or overlapping spans.
    """
    examples = []
    for index, item in enumerate(raw):
        text, intent = item.get("text") or "", item.get("intent") or ""
        if not text or not intent:
            raise DatasetError(f"example {index}: text and intent are required")
        spans = tuple(sorted((Span(s["slot"], int(s["start"]), int(s["end"]), s.get("value") or
                                   text[int(s["start"]):int(s["end"])]) for s in item.get("spans") or ()),
                             key=lambda s: s.start))
        _check_spans(index, text, spans)
        examples.append(Example(text, intent, spans, item.get("context") or None))
    return examples


def _check_spans(index: int, text: str, spans: tuple[Span, ...]) -> None:
    previous_end = 0
    for span in spans:
        if not 0 <= span.start < span.end <= len(text):
            raise DatasetError(f"example {index}: span {span.slot} [{span.start}, {span.end}) outside the text")
        if span.start < previous_end:
            raise DatasetError(f"example {index}: overlapping spans")
        previous_end = span.end


def split_examples(examples: list[Example], validation_fraction: float = 0.15,
                   seed: int = 13) -> tuple[list[Example], list[Example]]:
    """Stratified train/validation split by intent, deterministic for a given seed.

    Every intent with at least two examples puts at least one into validation and keeps at least one for training;
    an intent with a single example trains only.
    """
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_intent[example.intent].append(example)
    rng = random.Random(seed)
    train, validation = [], []
    for intent in sorted(by_intent):
        group = list(by_intent[intent])
        rng.shuffle(group)
        n_val = 0 if len(group) < 2 else min(len(group) - 1, max(1, round(len(group) * validation_fraction)))
        validation += group[:n_val]
        train += group[n_val:]
    return train, validation


def intent_labels(examples: Iterable[Example]) -> list[str]:
    """Sorted distinct intents."""
    return sorted({e.intent for e in examples})


def slot_tags(examples: Iterable[Example]) -> list[str]:
    """BIO tag set: "O", then B-/I- for every slot name in sorted order."""
    slots = sorted({s.slot for e in examples for s in e.spans})
    return [OUTSIDE] + [f"{prefix}-{slot}" for slot in slots for prefix in ("B", "I")]


def char_tags(example: Example) -> list[str]:
    """BIO tag per character of `example.text`."""
    tags = [OUTSIDE] * len(example.text)
    for span in example.spans:
        tags[span.start] = f"B-{span.slot}"
        for i in range(span.start + 1, span.end):
            tags[i] = f"I-{span.slot}"
    return tags


def load_tokenizer(base_dir: Path, *, split_cjk: bool = False, max_length: int = 128):
    """The base model's raw `tokenizers.Tokenizer` (from `tokenizer.json`), truncating to `max_length`.

    With `split_cjk`, CJK characters become single pre-tokens after the base pre-tokenizer.
    """
    from tokenizers import Regex, Tokenizer, pre_tokenizers

    tokenizer = Tokenizer.from_file(str(Path(base_dir) / "tokenizer.json"))
    if split_cjk:
        split = pre_tokenizers.Split(Regex(CJK_CHAR), behavior="isolated")
        base = tokenizer.pre_tokenizer
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([base, split] if base is not None else [split])
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
    return tokenizer


def encode(tokenizer, text: str, context: str | None = None) -> Encoded:
    """Tokenise `text` (as the second sequence after `context` when given) and map tokens to utterance offsets."""
    encoding = tokenizer.encode(context, text) if context else tokenizer.encode(text)
    utterance = 1 if context else 0
    offsets: list[tuple[int, int] | None] = []
    for seq, special, token, (start, end) in zip(encoding.sequence_ids, encoding.special_tokens_mask,
                                                 encoding.tokens, encoding.offsets, strict=True):
        if seq != utterance or special or not token.strip(METASPACE):
            offsets.append(None)  # the prepended metaspace reports the first character's offsets
            continue
        while start < end and text[start].isspace():
            start += 1  # "▁50" covers the space before 50; the tag belongs to "5"
        offsets.append((start, end) if end > start else None)
    return Encoded(list(encoding.ids), list(encoding.type_ids), offsets)


def token_labels(encoded: Encoded, tags: list[str], tag_index: dict[str, int]) -> list[int]:
    """Label id per token: the tag of the token's first character; IGNORE for tokens without offsets.

    A token that starts inside a span (only possible for multi-character Latin pieces) gets I- of that slot.
    """
    labels = []
    for offset in encoded.offsets:
        if offset is None:
            labels.append(IGNORE)
            continue
        labels.append(tag_index[tags[offset[0]]])
    return labels


def tags_to_spans(text: str, offsets: list[tuple[int, int] | None], token_tags: list[str],
                  confidences: list[float] | None = None) -> list[dict]:
    """Decode per-token BIO tags into character spans `{"slot", "start", "end", "text", "confidence"}`.

    A span is a B- token followed by I- tokens of the same slot (an I- without a B- opens a span too); it covers
    every character of its tokens. Confidence is the mean of its tokens' confidences (1.0 when not given).
    """
    spans: list[dict] = []
    current: dict | None = None
    for i, (offset, tag) in enumerate(zip(offsets, token_tags, strict=True)):
        if offset is None:
            continue
        conf = confidences[i] if confidences else 1.0
        prefix, _, slot = tag.partition("-")
        if prefix == "I" and current is not None and current["slot"] == slot:
            current["end"] = offset[1]
            current["_conf"].append(conf)
            continue
        current = None
        if prefix in ("B", "I"):
            current = {"slot": slot, "start": offset[0], "end": offset[1], "_conf": [conf]}
            spans.append(current)
    for span in spans:
        conf = span.pop("_conf")
        span["text"] = text[span["start"]:span["end"]]
        span["confidence"] = float(sum(conf) / len(conf))
    return spans
