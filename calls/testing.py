"""Conversation tests (测试用例): caller turns with what is expected after each, run through the same `Dialogue` as a
live call, compared, and the flow's coverage counted (plain Python, no Django).

A case is `{"name", "turns": [{"text", "audio"?, "expect": {"intent"?, "slots"?, "node"?, "says"?}}], "outcome"?,
"grade"?}`; every expectation is optional. A turn with `audio` (the saved recording of a caller's turn) is heard by
`listen` — ASR and the bot's lexicon correction, as on a live call — and its `text` is only what it was heard as when
saved; a recording that cannot be heard fails that turn (field "audio", got its `TurnAudioError` code) and the case
stops there, unchecked at the end. `intent` is the intent the turn was understood as ("" = none), `slots` the values
that must hold after the turn (others may be set too), `node` where the call rests after it, `says` text the bot's words
must contain; `outcome` and `grade` are checked once the turns are played and the call has hung up (a case whose flow
ends earlier is checked where it ended). A case that names a node, intent or slot the bot no longer has is *stale*:
reported, not run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from calls.dialogue import Dialogue, Nlu
from calls.grading import CallFacts, GradingRules, grade
from flows.kinds import KINDS, exit_targets
from flows.runtime import format_value

EXPECTATIONS = ("intent", "slots", "node", "says")


class TurnAudioError(Exception):
    """An audio turn that cannot be heard; `code` says why: "missing" (no such file), "unreadable" (not a 16-bit
    WAV), "no-asr" (no speech recogniser here)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


Listen = Callable[[str, tuple[str, ...]], str]  # (a turn's audio, the listening node's hot words) → the words heard


@dataclass
class Difference:
    turn: int | None  # None for the end of the call
    field: str  # intent | slots | node | says | outcome | grade | ended
    expected: Any
    got: Any


@dataclass
class CaseResult:
    name: str
    passed: bool
    stale: list[str] = field(default_factory=list)  # what the case names that the bot does not have
    differences: list[Difference] = field(default_factory=list)
    turns: list[dict] = field(default_factory=list)  # what happened per turn: text, intent, slots, node, says
    outcome: str = ""
    grade: str = ""
    nodes: set[str] = field(default_factory=set)
    edges: set[tuple[str, str]] = field(default_factory=set)


def stale_names(case: dict, program: dict, intents: Iterable[str], slots: Iterable[str]) -> list[str]:
    """What `case` names that the program or the bot does not have, as "node:x", "intent:x", "slot:x"."""
    intents, slots, found = set(intents), set(slots), []
    for turn in case.get("turns", []):
        expect = turn.get("expect") or {}
        if expect.get("node") and expect["node"] not in program["nodes"]:
            found.append(f"node:{expect['node']}")
        if expect.get("intent") and expect["intent"] not in intents:
            found.append(f"intent:{expect['intent']}")
        found += [f"slot:{name}" for name in (expect.get("slots") or {}) if name not in slots]
    return list(dict.fromkeys(found))


def run_case(case: dict, program: dict, *, slots: dict[str, dict], nlu: Nlu | None, intents: Iterable[str],
             rules: GradingRules | None = None, seed: int = 0, listen: Listen | None = None) -> CaseResult:
    """Play `case` against the compiled `program` with the bot's understanding `nlu` (as a live call does); audio
    turns are heard by `listen` (none: they fail as "no-asr")."""
    result = CaseResult(name=case.get("name", ""), passed=False)
    result.stale = stale_names(case, program, intents, slots)
    if result.stale:
        return result
    dialogue = Dialogue(program, slots, nlu, seed)
    _visit(result, None, dialogue.start().record)
    understood: list[tuple[str, str]] = []  # (intent, knowledge-base question) per turn
    for index, turn in enumerate(case.get("turns", []), start=1):
        if dialogue.ended:
            result.differences.append(Difference(index, "ended", "the call goes on", dialogue.state["outcome"]))
            break
        try:
            text = _heard(turn, dialogue, listen)
        except TurnAudioError as exc:  # what follows would test a call that did not happen
            result.differences.append(Difference(index, "audio", "heard", exc.code))
            return result
        step = dialogue.hear(text)
        record = step.record
        understood.append((record.intent, record.knowledge))
        _visit(result, record.from_node, record)
        got = {"intent": record.intent, "slots": record.slots, "node": record.node, "says": record.bot_text}
        result.turns.append({"text": text, "audio": bool(turn.get("audio")), **got})
        result.differences += _compare(index, turn.get("expect") or {}, got)
    if not dialogue.ended:
        _visit(result, dialogue.state["node"], dialogue.step({"type": "hangup"}).record)
    result.outcome = dialogue.state["outcome"] or ""
    facts = CallFacts.of(result.outcome, understood, len(understood))
    result.grade = grade(facts, rules or GradingRules())[0]
    for name, got in (("outcome", result.outcome), ("grade", result.grade)):
        if case.get(name) and case[name] != got:
            result.differences.append(Difference(None, name, case[name], got))
    result.passed = not result.differences
    return result


def _heard(turn: dict, dialogue: Dialogue, listen: Listen | None) -> str:
    if not turn.get("audio"):
        return turn["text"]
    if listen is None:
        raise TurnAudioError("no-asr")
    return listen(turn["audio"], dialogue.hot_words())


def _compare(index: int, expect: dict, got: dict) -> list[Difference]:
    found = []
    if "intent" in expect and expect["intent"] is not None and (expect["intent"] or "") != got["intent"]:
        found.append(Difference(index, "intent", expect["intent"], got["intent"]))
    for name, value in (expect.get("slots") or {}).items():
        if format_value(got["slots"].get(name)) != format_value(value):
            found.append(Difference(index, "slots", {name: value}, {name: got["slots"].get(name)}))
    if expect.get("node") and expect["node"] != got["node"]:
        found.append(Difference(index, "node", expect["node"], got["node"]))
    if expect.get("says") and expect["says"] not in got["says"]:
        found.append(Difference(index, "says", expect["says"], got["says"]))
    return found


def _visit(result: CaseResult, from_node: str | None, record) -> None:  # noqa: ANN001 — a TurnRecord
    path = list(record.path)
    result.nodes.update(path)
    hops = ([from_node] if from_node else []) + path
    result.edges.update((a, b) for a, b in zip(hops, hops[1:], strict=False) if a != b)


def program_edges(program: dict) -> set[tuple[str, str]]:
    """Every (source, target) a compiled program can move along (global intents from every listening node)."""
    edges = set()
    listening = [n for n in program["nodes"].values() if KINDS[n["kind"]].listens]
    for node in program["nodes"].values():
        edges.update((node["id"], target) for target in exit_targets(node["exits"]) if target)
    for node in listening:
        edges.update((node["id"], target) for target in program.get("global_intents", {}).values())
    return edges


def coverage(program: dict, results: Iterable[CaseResult]) -> dict:
    """Which nodes and edges the suite passed through: shares, and what no test reaches."""
    nodes, edges = set(), set()
    for result in results:
        nodes |= result.nodes
        edges |= result.edges
    all_nodes, all_edges = set(program["nodes"]), program_edges(program)
    return {"node_coverage": round(len(nodes & all_nodes) / max(len(all_nodes), 1), 4),
            "edge_coverage": round(len(edges & all_edges) / max(len(all_edges), 1), 4),
            "nodes": sorted(nodes & all_nodes), "edges": sorted(edges & all_edges),
            "uncovered_nodes": sorted(all_nodes - nodes), "uncovered_edges": sorted(all_edges - edges)}
