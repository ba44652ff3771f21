"""Intents before any model is trained: the bot's own examples as a phrasebook.

An utterance is looked up by its *pattern*: the text with every slot value replaced by the slot's name (the
lexicon finds the values; the examples' spans mark theirs), written canonically (simplified, half-width, lower
case) without punctuation or spaces. "多级泵多少钱一台" thus matches the example "离心泵多少钱一台". A pattern
that several intents share ranks them by how many examples say so. Anything else has no intent: a trained model is
what generalises; this only lets a manager try a flow with the phrases already written down.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from nlu import lexicon
from nlu.normalize import canonical_text
from nlu.normalize.text import EDGE

_DROP = str.maketrans("", "", EDGE)


def pattern(text: str, spans: Sequence[dict]) -> str:
    pieces, at = [], 0
    for span in sorted(spans, key=lambda s: s["start"]):
        if span["start"] < at:
            continue  # overlapping spans: the first one wins
        pieces += [canonical_text(text[at:span["start"]]).translate(_DROP), "{" + span["slot"] + "}"]
        at = span["end"]
    pieces.append(canonical_text(text[at:]).translate(_DROP))
    return "".join(pieces)


class Phrasebook:
    """`examples`: {"text", "intent", "spans"} (spans as character offsets); `slots`: the bot's slot definitions
    (as `nlu.lexicon.extract` takes them). `predict` answers like `nlu.runtime.NluRuntime.predict`."""

    def __init__(self, examples: Iterable[dict], slots: list[dict]) -> None:
        self.slots = slots
        self.table: dict[str, Counter] = defaultdict(Counter)
        for example in examples:
            self.table[pattern(example["text"], example.get("spans") or [])][example["intent"]] += 1

    def predict(self, text: str, context: str | None = None) -> dict:
        spans = lexicon.extract(text, self.slots)
        votes = self.table.get(pattern(text, spans))
        if not votes:
            return {"intent": None, "confidence": None, "ranking": [], "spans": spans}
        total = sum(votes.values())
        ranking = [{"intent": intent, "confidence": n / total}
                   for intent, n in sorted(votes.items(), key=lambda item: (-item[1], item[0]))]
        return {"intent": ranking[0]["intent"], "confidence": ranking[0]["confidence"], "ranking": ranking,
                "spans": spans}
