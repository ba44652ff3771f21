"""The dialogue of one call: NLU → DST → flow runtime → turn record, synchronous and pure (plain Python, no Django).

A `Dialogue` owns the conversation's state (the flow's, the tracked slots, what the bot last asked and how the current
node listens). A live call, a typed call, a simulated call and a conversation test all step the same object: the live
pipeline calls `hear(text)` for what the caller said, the simulator calls `step(event)` with what its scripted customer
"said" (already understood). Each call returns a `Step` with the turn's record, the runtime's actions and the time the
understanding and the flow took.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from calls.turns import TurnRecord, describe_turn, ms_since
from flows import runtime
from nlu import dst, lexicon
from nlu.knowledge import KnowledgeIndex, Match, cached_index
from nlu.normalize import enum_entries


class Nlu(Protocol):
    def predict(self, text: str, context: str | None = None) -> dict: ...


@dataclass
class Step:
    record: TurnRecord
    actions: list[dict]
    timings: dict[str, int] = field(default_factory=dict)  # "nlu" and "flow", ms
    prediction: dict | None = None  # what the NLU understood (`hear` only)


def _runtime_value(value: Any) -> Any:
    """The flow runtime takes strings and numbers: a date range becomes an ISO 8601 interval."""
    if isinstance(value, dict):
        return f"{value.get('start', '')}/{value.get('end', '')}"
    return value


class Dialogue:
    """`nlu`: the bot's understanding; None (the simulator, whose customer is already understood) leaves the
    lexicon's slot values and no intent."""

    def __init__(self, program: dict, slots: dict[str, dict] | None = None, nlu: Nlu | None = None,
                 seed: int = 0, *, variables: dict | None = None, remembered: dict | None = None) -> None:
        """`variables`: the customer's ({name: value}); `remembered`: slot values from the customer's earlier calls
        ({slot: {"value", "date"}}), tracked from the start like values said at turn 0."""
        self.program, self.slots, self.nlu, self.seed = program, slots or {}, nlu, seed
        self.variables, self.remembered = variables or {}, remembered or {}
        self.state: dict | None = None
        self.dst_state = dst.initial_state()
        self.dst_state["slots"] = {slot: {"value": entry["value"], "confidence": 1.0, "turn": 0}
                                   for slot, entry in self.remembered.items()}
        self.listen: dict | None = None  # the listen action of the node the call rests at
        self.last_prompt = ""  # the bot's last words: the NLU's context
        self.index = -1
        self.ended = False
        self._knowledge: KnowledgeIndex | None = None
        self._knowledge_lock = threading.Lock()

    def start(self) -> Step:
        """Run the flow from its start node to the first node that listens (turn 0)."""
        if self.state is not None:
            raise ValueError("the dialogue has already started")
        began, trace = time.perf_counter(), []
        after, actions = runtime.start(self.program, self.seed, trace=trace, variables=self.variables,
                                       remembered=self.remembered)
        return self._record(None, None, after, actions, trace, {"flow": ms_since(began)})

    def step(self, event: dict) -> Step:
        """A runtime event: silence, hangup, barge_in, or a user turn already understood
        ({"type": "user", "text", "intent", "confidence", "slots"})."""
        began, trace, before = time.perf_counter(), [], self.state
        after, actions = runtime.step(self.program, before, event, trace=trace)
        return self._record(event, before, after, actions, trace, {"flow": ms_since(began)})

    def hear(self, text: str) -> Step:
        """What the caller said: the NLU's intent and spans, the tracked slots, one flow step."""
        began, before = time.perf_counter(), self.state
        prediction = self.predict(text)
        tracked = dst.update(self.dst_state, {**prediction, "text": text, "slot_types": self.slots,
                                              "asked_slots": (self.listen or {}).get("expected_slots", [])})
        event = {"type": "user", "text": text, "intent": prediction["intent"],
                 "slots": {k: _runtime_value(v) for k, v in dst.slot_values(tracked).items()},
                 "said": [k for k, v in tracked["slots"].items() if v["turn"] == tracked["turn"]]}
        if prediction["intent"] is not None:
            event["confidence"] = min(max(float(prediction["confidence"]), 0.0), 1.0)
        # The knowledge base is asked only when it could answer (the words' embedding is the understanding's).
        match = self.match_knowledge(text) if runtime.consults_knowledge(self.program, before, event) else None
        if match is not None and match.matched:
            event["knowledge"] = match.question
        nlu_ms = ms_since(began)
        began, trace = time.perf_counter(), []
        after, actions = runtime.step(self.program, before, event, trace=trace)
        self.dst_state = tracked
        heard = {"type": "user", "text": text, "intent": prediction["intent"],
                 "confidence": prediction.get("confidence") or 0.0}
        done = self._record(heard, before, after, actions, trace, {"nlu": nlu_ms, "flow": ms_since(began)})
        done.record.top_intents = [[r["intent"], round(r["confidence"], 4)] for r in prediction.get("ranking", [])[:3]]
        done.record.knowledge_score = round(match.score, 4) if match is not None else None
        prediction["knowledge"] = match.to_json() if match is not None else None
        done.prediction = prediction
        return done

    def hot_words(self) -> tuple[str, ...]:
        """The words the node the call rests at listens for (the recogniser's hints): `listening_words`."""
        return listening_words(self.listen, self.slots)

    def may_interrupt(self) -> bool:
        """Whether the caller may interrupt the bot (barge in) at the node the call rests at."""
        return bool((self.listen or {}).get("barge_in"))

    def predict(self, text: str) -> dict:
        """What the bot's understanding (`nlu.understanding.Understanding`) makes of `text` after the bot's last
        words; without one, the lexicon's slot values and no intent."""
        if self.nlu is None:
            return {"intent": None, "confidence": None, "ranking": [],
                    "spans": lexicon.extract(text, list(self.slots.values()))}
        return self.nlu.predict(text, self.last_prompt or None)

    def prepare_knowledge(self) -> KnowledgeIndex | None:
        """The program's knowledge-base index (None without one), built on first use: encoding a bot's phrasings and
        intent examples takes a few seconds the first time a process meets them, so a live call starts it while the
        greeting plays; a turn that comes sooner waits for that build instead of starting another."""
        with self._knowledge_lock:
            if self._knowledge is None and self.program.get("knowledge"):
                self._knowledge = cached_index(self.program["knowledge"], getattr(self.nlu, "texts", ()))
            return self._knowledge

    def match_knowledge(self, text: str) -> Match | None:
        """The knowledge-base entry nearest to `text` (None when the program has no knowledge base), which must be
        nearer than the understanding's intent examples."""
        index = self.prepare_knowledge()
        return index.match(text) if index is not None else None

    def _record(self, event: dict | None, before: dict | None, after: dict, actions: list[dict], trace: list[str],
                timings: dict[str, int]) -> Step:
        self.state, self.index = after, self.index + 1
        record = describe_turn(self.program, self.index, event, before, after, actions, trace)
        listen = next((a for a in reversed(actions) if a["type"] == "listen"), None)
        self.listen = listen if listen is not None else (None if record.ended else self.listen)
        says = [a["text"] for a in actions if a.get("text") and a["type"] in ("say", "transfer")]
        self.last_prompt = says[-1] if says else self.last_prompt
        self.ended = self.ended or record.ended
        return Step(record, actions, timings)


def listening_words(listen: dict | None, slots: dict[str, dict]) -> tuple[str, ...]:
    """The recogniser's hints at a listening node: the node's hot words, then the values of the choice (enum) slots it
    still asks for — a caller asked 哪种泵 names one of them (synonyms stay out: the hint must stay short)."""
    words = list((listen or {}).get("hot_words", ()))
    for name in (listen or {}).get("expected_slots", ()):
        definition = slots.get(name) or {}
        if definition.get("type") == "enum":
            words += [value for _, value in enum_entries(definition.get("values"))]
    return tuple(dict.fromkeys(word for word in words if word))
