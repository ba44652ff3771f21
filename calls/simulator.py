"""A scripted synthetic customer that talks to a compiled flow through the real flow runtime (plain Python, no Django).

The customer speaks the bot's own training phrases (dialect phrasing included), answers most slot questions, sometimes
asks one of the knowledge base's questions (in one of its phrasings) or a question nothing answers, says something
off-topic or unclear, stays silent, talks over the bot or hangs up, and leans towards yes or no by a per-call
interest. NLU is not run: the phrase's labelled intent and slot values (and the entry a knowledge-base question was
written for) stand for what the models would understand, with a random confidence that is sometimes below the flow's
threshold. The customer talks to the same `Dialogue` as a live call, so simulated calls are logged exactly like live
ones.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterable

from calls.dialogue import Dialogue
from calls.turns import TurnRecord
from flows import runtime

POSITIVE = {"肯定", "需求确认", "询价"}
NEGATIVE = {"否定", "拒绝", "挂断"}
UNCLEAR = ["嗯……你说啥子？", "喂喂，听不清楚", "我在开车", "这个嘛，等哈再说", "啊？", "你们是哪个公司的来着"]
ASKS_KNOWLEDGE = 0.07  # of the customer's free turns: one of the knowledge base's questions
ASKS_UNANSWERED = 0.03  # a question a sales bot's knowledge base may well not have
UNANSWERED = ["你们周末有人接电话吗", "你们公司有没有官网", "有没有产品手册可以寄一份", "能不能视频看一下你们工厂",
              "你们在我们这边有没有代理商", "可以分期付款吗"]
MAX_TURNS = 40
# Fallback answers for slots the bot has no labelled phrase for, by slot type: (text, value).
GENERATED = {
    "number": [("大概五十", 50), ("八十左右", 80), ("三十", 30), ("一百二", 120)],
    "quantity": [("两台", 2), ("要五台", 5), ("十台吧", 10), ("一台就行", 1)],
    "money": [("一万二", 12000), ("八千五", 8500), ("六千以内", 6000), ("两万五", 25000)],
    "datetime": [("下周三", "下周三"), ("月底", "月底"), ("越快越好", "尽快")],
    "phone": [("幺三八幺二三四五六七八", "13812345678"), ("一五九零零零零一二三四", "15900001234")],
}


@dataclasses.dataclass(frozen=True)
class Phrase:
    text: str
    intent: str | None
    slots: dict


@dataclasses.dataclass
class CustomerPhrases:
    """What a synthetic customer can say: phrases by intent, and phrases that carry a value for a slot."""

    by_intent: dict[str, list[Phrase]]
    by_slot: dict[str, list[Phrase]]

    @classmethod
    def from_examples(cls, examples: Iterable[dict]) -> CustomerPhrases:
        """`examples`: {"text", "intent", "spans": [{"slot", "value"}, ...]} as in a bot bundle. Span values that are
        not a string or a number (date ranges) are left out: a flow slot holds a scalar."""
        by_intent: dict[str, list[Phrase]] = {}
        by_slot: dict[str, list[Phrase]] = {}
        for example in examples:
            slots = {s["slot"]: s["value"] for s in example.get("spans", ())
                     if isinstance(s.get("value"), str | int | float) and not isinstance(s.get("value"), bool)}
            phrase = Phrase(example["text"], example.get("intent"), slots)
            if phrase.intent:
                by_intent.setdefault(phrase.intent, []).append(phrase)
            for slot in slots:
                by_slot.setdefault(slot, []).append(phrase)
        return cls(by_intent, by_slot)


@dataclasses.dataclass
class SimulatedCall:
    seed: int
    records: list[TurnRecord]
    seconds: list[float]  # when each turn happened, from the start of the call


def simulate_call(program: dict, phrases: CustomerPhrases, seed: int, variables: dict | None = None,
                  phone: str = "") -> SimulatedCall:
    """Run one call against `program` (a compiled flow) until it ends; the same seed gives the same call.
    `variables`: the called customer's, which the scripts say; `phone`: their number, which they give when a phone
    number is asked for (not an example's)."""
    rng = random.Random(seed)
    customer = _Customer(program, phrases, rng, phone)
    dialogue = Dialogue(program, seed=seed, variables=variables)
    records = [dialogue.start().record]
    records[0].latency_ms = _latency(rng, "start")
    seconds, clock = [0.0], 0.0
    while not dialogue.state["ended"]:
        for event in customer.reply(dialogue.state, dialogue.listen, len(records)):
            record = dialogue.step(event).record
            record.latency_ms = _latency(rng, event["type"])
            if event["type"] == "user":
                record.asr_confidence = round(rng.uniform(0.6, 0.98), 3)
            clock += rng.uniform(2.0, 9.0)
            records.append(record)
            seconds.append(round(clock, 3))
            if dialogue.state["ended"]:
                break
    return SimulatedCall(seed, records, seconds)


class _Customer:
    def __init__(self, program: dict, phrases: CustomerPhrases, rng: random.Random, phone: str = "") -> None:
        self.program, self.book, self.rng, self.phone = program, phrases, rng, phone
        self.interest = rng.random()
        self.slot_types = {s["name"]: s["type"] for s in program.get("slots", ())}
        self.entries = (program.get("knowledge") or {}).get("entries") or []

    def reply(self, state: dict, listen: dict, turns: int) -> list[dict]:
        """The events of the customer's next turn: a hang-up, a silence, or speech (after a barge-in, sometimes)."""
        rng = self.rng
        if turns >= MAX_TURNS or rng.random() < 0.015 + 0.004 * turns + 0.03 * (1 - self.interest):
            return [{"type": "hangup"}]
        if rng.random() < 0.07:
            return [{"type": "silence"}]
        speech = self._speak(state, listen)
        if listen["barge_in"] and rng.random() < 0.06:
            return [{"type": "barge_in"}, speech]
        return [speech]

    def _speak(self, state: dict, listen: dict) -> dict:
        rng = self.rng
        wanted = listen["expected_slots"]
        if wanted and rng.random() < 0.55 + 0.4 * self.interest:
            phrase = self._slot_phrase(rng.choice(wanted))
        elif rng.random() < 0.1:
            phrase = Phrase(rng.choice(UNCLEAR), None, {})
        elif self.entries and rng.random() < ASKS_KNOWLEDGE + ASKS_UNANSWERED:
            return self._question(state)
        else:
            phrase = self._intent_phrase(self.program["nodes"][listen["node"]])
        own = [slot for slot in phrase.slots if self.slot_types.get(slot) == "phone"] if self.phone else []
        if own:  # their own number, not an example's
            phrase = Phrase(f"我的手机号是{self.phone}", None, dict.fromkeys(own, self.phone))
        confidence = rng.uniform(0.55, 0.99) if rng.random() > 0.08 else rng.uniform(0.2, 0.45)
        return {"type": "user", "text": phrase.text, "intent": phrase.intent, "confidence": round(confidence, 3),
                "slots": {**state["slots"], **phrase.slots}}

    def _question(self, state: dict) -> dict:
        """A question: mostly one of the knowledge base's, which it answers where the call rests if the flow lets it
        (`runtime.consults_knowledge`, as a live call asks), else one it does not have."""
        rng = self.rng
        if rng.random() < ASKS_UNANSWERED / (ASKS_KNOWLEDGE + ASKS_UNANSWERED):
            return {"type": "user", "text": rng.choice(UNANSWERED), "intent": None, "slots": dict(state["slots"])}
        entry = rng.choice(self.entries)
        event = {"type": "user", "text": rng.choice([entry["question"], *entry["phrasings"]]), "intent": None,
                 "slots": dict(state["slots"])}
        if runtime.consults_knowledge(self.program, state, event):
            event["knowledge"] = entry["question"]
        return event

    def _slot_phrase(self, slot: str) -> Phrase:
        phrases = self.book.by_slot.get(slot)
        if phrases and self.rng.random() < 0.7:
            return self.rng.choice(phrases)
        text, value = self.rng.choice(GENERATED.get(self.slot_types.get(slot, ""), [("就那个", "其他")]))
        return Phrase(text, None, {slot: value})

    def _intent_phrase(self, node: dict) -> Phrase:
        """An intent the node listens for most of the time, else any intent the bot knows; yes/no by interest."""
        rng = self.rng
        known = sorted(self.book.by_intent)
        handled = sorted(node["exits"].get("intents", {})) or known
        pool = handled if rng.random() < 0.92 else known
        if not pool:
            return Phrase(rng.choice(UNCLEAR), None, {})
        weights = [self.interest + 0.05 if i in POSITIVE else 1.05 - self.interest if i in NEGATIVE else 0.12
                   for i in pool]
        intent = rng.choices(pool, weights)[0]
        phrases = self.book.by_intent.get(intent)
        return rng.choice(phrases) if phrases else Phrase(intent, intent, {})


def _latency(rng: random.Random, event: str) -> dict[str, int]:
    """Plausible per-stage milliseconds for a voice turn: ASR dominates, with a long tail."""
    stages = {"flow": rng.randint(0, 2), "tts": int(rng.lognormvariate(5.0, 0.35))}
    if event in ("user", "silence"):
        stages["vad"] = int(rng.uniform(120, 400))
    if event == "user":
        stages["asr"] = int(rng.lognormvariate(6.1, 0.35))
        stages["nlu"] = int(rng.uniform(5, 25))
    if event in ("barge_in", "hangup"):
        stages.pop("tts")
    stages["total"] = sum(stages.values())
    return stages
