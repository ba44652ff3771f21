"""Common intents (通用意图) shipped with the product: what callers say to any sales bot.

`nlu/data/common_intents.json` holds each intent's name, description, default reply and ≥ 40 examples written for the
product (Mandarin, Sichuanese and Cantonese phrasing). A bot switches one on by having an intent of that name; its
examples then join the bot's own when the understanding is built, except where the bot labels the same text itself
(a bot's own examples override the catalogue's).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from nlu.normalize import canonical_text

CATALOGUE = Path(__file__).resolve().parent / "data" / "common_intents.json"


@dataclass(frozen=True)
class CommonIntent:
    name: str
    description: str
    reply: str
    examples: tuple[str, ...]


@cache
def catalogue() -> dict[str, CommonIntent]:
    """The shipped common intents by name, in catalogue order."""
    data = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return {item["name"]: CommonIntent(item["name"], item["description"], item["reply"], tuple(item["examples"]))
            for item in data["intents"]}


def with_common_examples(examples: list[dict], intents: list[str]) -> list[dict]:
    """`examples` plus the catalogue's examples of each common intent in `intents` (the bot's intent names), minus
    any catalogue text the bot already labels itself."""
    known = {canonical_text(e["text"]) for e in examples}
    added = []
    for name in intents:
        common = catalogue().get(name)
        for text in common.examples if common else ():
            if canonical_text(text) not in known:
                known.add(canonical_text(text))
                added.append({"text": text, "intent": name, "spans": None, "context": None})
    return examples + added
