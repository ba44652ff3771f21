"""What one step of a call was, derived from the flow runtime's input and output: the record that the call pipeline,
the call simulator and the call log share (plain Python, no Django)."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from typing import Any

from flows.kinds import KINDS
from flows.runtime import HANGUP_OUTCOME

STAGES = ("vad", "asr", "nlu", "flow", "tts")


def ms_since(began: float) -> int:
    """Whole milliseconds since `began` (a perf_counter reading)."""
    return max(0, round((time.perf_counter() - began) * 1000))


@dataclasses.dataclass
class TurnRecord:
    """One turn as the call log stores it. Latencies are milliseconds per stage (`STAGES`) plus "total"."""

    index: int
    event: str  # start | user | silence | barge_in | hangup
    from_node: str = ""
    node: str = ""
    path: list[str] = dataclasses.field(default_factory=list)
    user_text: str = ""
    asr_confidence: float | None = None
    intent: str = ""
    intent_confidence: float | None = None
    top_intents: list[list] = dataclasses.field(default_factory=list)
    slots: dict[str, Any] = dataclasses.field(default_factory=dict)
    changed_slots: dict[str, Any] = dataclasses.field(default_factory=dict)
    bot_text: str = ""
    no_match: bool = False
    silence: bool = False
    barge_in: bool = False
    latency_ms: dict[str, int] = dataclasses.field(default_factory=dict)
    ended: bool = False
    outcome: str = ""
    end_node: str = ""
    completed: bool = False
    remembered: dict[str, str] = dataclasses.field(default_factory=dict)  # slot → date of the call it is from
    knowledge: str = ""  # the question of the knowledge-base entry the bot answered
    knowledge_score: float | None = None  # how well the best entry matched, answered or not


def describe_turn(program: dict, index: int, event: dict | None, before: dict | None, after: dict,
                  actions: list[dict], trace: list[str] | None = None) -> TurnRecord:
    """The record of one runtime step: `event` None and `before` None for the opening `start()`; `after`, `actions`
    and `trace` (the nodes entered) are what the runtime returned. The path is the trace, or where the step entered
    nothing (a re-prompt) or no trace was kept, the nodes the actions name. A user or silence turn that the flow
    counted as failed is a no-match / silence."""
    path: list[str] = []
    for node in trace or [action.get("node") for action in actions]:
        if node and (not path or path[-1] != node):
            path.append(node)
    kind = "start" if event is None else event["type"]
    failed = before is not None and sum(after["retries"].values()) > sum(before["retries"].values())
    previous = before["slots"] if before else {}
    changed = {name: value for name, value in after["slots"].items() if previous.get(name) != value}
    changed.update({name: None for name in previous if name not in after["slots"]})
    record = TurnRecord(
        index=index, event=kind, from_node=before["node"] if before else "", node=after["node"], path=path,
        slots=dict(after["slots"]), changed_slots=changed,
        bot_text="".join(a.get("text", "") for a in actions if a["type"] in ("say", "transfer")),
        no_match=failed and kind == "user", silence=kind == "silence", barge_in=kind == "barge_in",
        remembered={slot: entry.get("date", "") for slot, entry in after.get("remembered", {}).items()},
        knowledge=next((a["knowledge"] for a in actions if a.get("knowledge")), ""))
    if kind == "user":
        record.user_text = event.get("text", "")
        record.intent = event.get("intent") or ""
        record.intent_confidence = event.get("confidence") if event.get("intent") else None
    end = next((a for a in actions if a["type"] in ("end", "transfer")), None)
    if after["ended"] and end is not None:
        record.ended, record.outcome, record.end_node = True, after["outcome"], end["node"]
        kind_at_end = KINDS[program["nodes"][end["node"]]["kind"]]
        record.completed = kind_at_end.terminal and after["outcome"] != HANGUP_OUTCOME
    return record


@dataclasses.dataclass
class PendingTurn:
    """A live turn on its way out: its latency is stamped once, at the bot's first audio or when the turn is saved,
    from when its input arrived (`began`, perf_counter seconds)."""

    record: TurnRecord
    began: float
    timings: dict[str, int]
    offsets: dict[str, float] = dataclasses.field(default_factory=dict)

    def stamp(self, **stages: int) -> dict | None:
        """Add the last stages and stamp the total; the client's latency event the first time, else None."""
        if self.record.latency_ms:
            return None
        self.timings.update(stages)
        self.record.latency_ms = {**self.timings, "total": ms_since(self.began)}
        return {"type": "latency", "turn": self.record.index, "stages": self.timings,
                "total": self.record.latency_ms["total"]}


def speech_script(actions: list[dict]) -> list[str | int]:
    """What the bot says in a turn, in order: its texts, and the pauses of wait nodes (ms of quiet line)."""
    return [action["ms"] if action["type"] == "pause" else action["text"] for action in actions
            if action["type"] == "pause" or (action["type"] in ("say", "transfer") and action.get("text"))]


def turn_events(record: TurnRecord, listen: dict | None, prediction: dict | None = None,
                nlu_name: str = "") -> list[dict]:
    """What the live call tells its client about a turn: what the NLU understood (`prediction`, when the caller
    spoke), where the flow went (and how it now listens), the slots, and what the bot says."""
    events = [] if prediction is None else [
        {"type": "nlu", "source": nlu_name, "intent": prediction["intent"], "confidence": prediction.get("confidence"),
         "top": record.top_intents, "spans": prediction.get("spans", []),
         "knowledge": prediction.get("knowledge") and {**prediction["knowledge"], "answered": bool(record.knowledge)}}]
    events += [{"type": "node", "turn": record.index, "event": record.event, "node": record.node, "path": record.path,
               "listen": listen and {k: listen[k] for k in ("barge_in", "silence_timeout_ms", "expected_slots")}},
              {"type": "state", "turn": record.index, "slots": record.slots, "changed": record.changed_slots,
               "no_match": record.no_match, "remembered": record.remembered}]
    if record.bot_text:
        events.append({"type": "say", "turn": record.index, "text": record.bot_text})
    return events


FUNNEL_COUNTERS = ("visits", "silences", "no_matches", "barge_ins", "hangups")


def node_counts(record: TurnRecord) -> dict[str, Counter]:
    """What one turn adds to its call's per-node funnel counters (`FUNNEL_COUNTERS`): a visit to every node the flow
    entered (staying at the resting node, e.g. a re-prompt, is not a visit), and the silence / no-match / barge-in /
    hang-up to the node where the customer was. Which node a call ended at is the call log's business (a dropped socket
    ends a call without a turn)."""
    counts: dict[str, Counter] = {}
    entered = record.path[1:] if record.path[:1] == [record.from_node] else record.path
    for node in entered:
        counts.setdefault(node, Counter())["visits"] += 1
    flags = {"silences": record.silence, "no_matches": record.no_match, "barge_ins": record.barge_in,
             "hangups": record.event == "hangup"}
    if record.from_node and any(flags.values()):
        at = counts.setdefault(record.from_node, Counter())
        at.update({name: 1 for name, on in flags.items() if on})
    return counts
