"""A pure, deterministic interpreter of compiled programs: (program, state, event) → (new state, actions).

State (JSON-serialisable; treat it as opaque and hand it back unchanged)::

    {"program": first 16 hex digits of the program checksum, "node": current node id, "slots": {name: value},
     "retries": {node id: failed turns there}, "turns": int, "ended": bool, "outcome": str | None,
     "seed": int, "counter": int, "vars"?: {name: value}, "remembered"?: {slot: {"value", "date"}},
     "detour"?: {"entry": question, "step": int}}

A call made "as" a known customer starts with the customer's variables (`vars`, read-only: `{客户姓名}` in scripts) and
the slot values the customer gave in earlier calls (`remembered`: they fill `slots` from the start, and
`remembered(扬程)` holds until the caller states the slot in this call: a different value replaces the remembered
one, the same value is theirs again, said in this call).

Events: {"type": "user", "text": str, "intent"?: str | None, "confidence"?: float (default 1.0),
"slots"?: {name: str | int | float | None}, "said"?: [name], "knowledge"?: str} — the DST's complete slot values
after the turn, replacing the previous ones (None or "" = unset; without "slots" the values are kept), the slots the
caller stated in this very turn, and the question of the knowledge-base entry the utterance matched (`nlu.knowledge`)
— {"type": "silence"}, {"type": "barge_in"} (the pipeline already knows from the listen action whether to stop the
audio, so the runtime changes nothing) and {"type": "hangup"}.

Actions: {"type": "say", "text", "node", "knowledge"?: the entry's question when the text is its answer},
{"type": "listen", "node", "barge_in", "silence_timeout_ms", "hot_words",
"expected_slots"}, {"type": "pause", "node", "ms"} (a wait node: the line stays quiet that long),
{"type": "transfer", "node", "text"?, "queue"?}, {"type": "end", "node", "outcome"}.

Between steps the call always rests on a listening node (ask or branch) or has ended. On a user turn: an intent
below the confidence threshold counts as none; the node's own intent edge wins, then a global intent's edge, then (ask)
all slots filled → "filled" exit, then a matched knowledge-base entry (the bot says its answer, asks the entry's
follow-up questions one turn each — `detour` in the state, each listening for its slot —, then asks the node's
question again, or transfers, or ends the call as 回访, as the entry says), then a global intent's default reply (the
bot says it and asks the node's question again, staying where it was); anything else, and every silence, is a failed
turn. A failed turn at a branch follows its
no_match / silence exit, else (no_match only) its default exit, else re-prompts; at an ask it re-prompts. Failed turns
count per node over the whole call; once they exceed max_retries the node's fallback (ask) or default (branch) exit is
taken, or the call ends with outcome 回访. An ask whose slots are all filled when entered is passed without asking.
"""

from __future__ import annotations

import math
from typing import Any

from flows.conditions import is_filled
from flows.graph import TEMPLATE
from flows.kinds import KINDS

HANGUP_OUTCOME = "挂断"
TRANSFER_OUTCOME = "转人工"
GIVE_UP_OUTCOME = "回访"
_EVENT_FIELDS = {"user": {"type", "text", "intent", "confidence", "slots", "said", "knowledge"}, "silence": {"type"},
                 "barge_in": {"type"}, "hangup": {"type"}}
_MASK = (1 << 64) - 1


class CallEnded(RuntimeError):
    """An event arrived after the call had ended."""


class EventError(ValueError):
    """An event that does not have the documented shape."""


class ProgramError(ValueError):
    """A program that is not a compiled program, or a state that does not belong to it."""


def start(program: dict, seed: int = 0, *, trace: list[str] | None = None, variables: dict | None = None,
          remembered: dict | None = None) -> tuple[dict, list[dict]]:
    """Begin a call: follow the flow from the start node to the first listening (or terminal) node. `seed` (reduced
    modulo 2**32) decides which script variants are said. `trace`, when given, receives the id of every node entered
    (in order, including those that say nothing: start, condition, an ask already filled). `variables` ({name: value})
    fill `{name}` in scripts; `remembered` ({slot: {"value", "date"}}) are slot values from earlier calls. Raises
    ProgramError on something that is not a program."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError("seed must be an integer")
    if not isinstance(program, dict) or program.get("format") != 1 or program.get("start") not in program.get(
            "nodes", {}) or not isinstance(program.get("checksum"), str):
        raise ProgramError("not a compiled flow program")
    state = {"program": program["checksum"][:16], "node": program["start"], "slots": {}, "retries": {}, "turns": 0,
             "ended": False, "outcome": None, "seed": seed % (1 << 32), "counter": 0}
    if variables:
        state["vars"] = {str(name): value for name, value in variables.items() if is_filled(value)}
    if remembered:
        state["remembered"] = {slot: dict(entry) for slot, entry in remembered.items() if is_filled(entry.get("value"))}
        state["slots"] = {slot: entry["value"] for slot, entry in state["remembered"].items()}
    actions: list[dict] = []
    _enter(program, state, program["start"], actions, trace)
    return state, actions


def step(program: dict, state: dict, event: dict, *, trace: list[str] | None = None) -> tuple[dict, list[dict]]:
    """Apply one event; returns a new state (the given one is not modified) and the actions to perform in order;
    `trace` as for `start` (a re-prompt at the same node enters nothing).
    Raises CallEnded once the call has ended, EventError on a malformed event, ProgramError when `state` does not come
    from this program."""
    node = _current_node(program, state)
    if state["ended"]:
        raise CallEnded(f"the call has already ended with outcome {state['outcome']}")
    kind = _validate_event(event)
    state = {**state, "slots": dict(state["slots"]), "retries": dict(state["retries"])}
    if "remembered" in state:
        state["remembered"] = dict(state["remembered"])
    actions: list[dict] = []
    if kind == "hangup":
        _finish(state, node["id"], HANGUP_OUTCOME, actions)
    elif kind in ("user", "silence") and "detour" in state:
        state["turns"] += 1
        _on_follow_up(program, state, node, event, actions, trace)
    elif kind == "silence":
        state["turns"] += 1
        _fail_turn(program, state, node, "silence", actions, trace)
    elif kind == "user":
        state["turns"] += 1
        _on_user(program, state, node, event, actions, trace)
    return state, actions


def _current_node(program: dict, state: dict) -> dict:
    if not isinstance(state, dict) or not isinstance(program, dict) or state.get("program") != str(
            program.get("checksum", ""))[:16]:
        raise ProgramError("the state does not belong to this program")
    node = program["nodes"].get(state.get("node"))
    if node is None or (not state.get("ended") and not getattr(KINDS.get(node["kind"]), "listens", False)):
        raise ProgramError(f"the state points at {state.get('node')!r}, which is not a listening node")
    return node


def _validate_event(event: Any) -> str:
    if not isinstance(event, dict):
        raise EventError("an event must be an object")
    kind = event.get("type")
    allowed = _EVENT_FIELDS.get(kind) if isinstance(kind, str) else None
    if allowed is None:
        raise EventError(f"unknown event type {kind!r}")
    unknown = sorted(str(key) for key in event if key not in allowed)
    if unknown:
        raise EventError(f"unknown fields in a {kind} event: {', '.join(unknown)}")
    if kind == "user":
        _validate_user_event(event)
    return kind


def _validate_user_event(event: dict) -> None:
    if not isinstance(event.get("text"), str):
        raise EventError("a user event needs a text string")
    if event.get("intent") is not None and not isinstance(event["intent"], str):
        raise EventError("intent must be a string or null")
    if event.get("knowledge") is not None and not isinstance(event["knowledge"], str):
        raise EventError("knowledge must be a string or null")
    confidence = event.get("confidence", 1.0)
    if not _is_number(confidence) or not 0 <= confidence <= 1:
        raise EventError("confidence must be a number between 0 and 1")
    slots = event.get("slots", {})
    if not isinstance(slots, dict):
        raise EventError("slots must be an object")
    for name, value in slots.items():
        if not isinstance(name, str):
            raise EventError("slot names must be strings")
        if value is not None and not isinstance(value, str) and not _is_number(value):
            raise EventError(f"slot {name!r} must be a string, a number or null")
    said = event.get("said", [])
    if not isinstance(said, list) or not all(isinstance(name, str) for name in said):
        raise EventError("said must be a list of slot names")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _take_slots(program: dict, state: dict, event: dict) -> str | None:
    """Apply a user event's slot values; returns its intent when confident enough to count."""
    if "slots" in event:
        state["slots"] = {name: value for name, value in event["slots"].items() if is_filled(value)}
        said = set(event.get("said") or ())
        for slot, entry in list(state.get("remembered", {}).items()):
            if slot in said or state["slots"].get(slot) != entry["value"]:  # said again, otherwise, or taken back
                del state["remembered"][slot]
    intent = event.get("intent")
    if intent is not None and event.get("confidence", 1.0) < program["settings"]["confidence_threshold"]:
        intent = None
    return intent


def consults_knowledge(program: dict, state: dict, event: dict) -> bool:
    """Whether the knowledge base could answer this user event where the call rests: not when a confident intent or
    the slots it fills move the flow on first, nor during a follow-up, nor without a knowledge base. A live call asks
    this before matching the utterance against the knowledge base."""
    node = _current_node(program, state)
    if not program.get("knowledge") or state["ended"] or "detour" in state:
        return False
    scratch = {**state, "slots": dict(state["slots"]), "remembered": dict(state.get("remembered", {}))}
    return _route(program, scratch, node, _take_slots(program, scratch, event)) is None


def _route(program: dict, state: dict, node: dict, intent: str | None) -> str | None:
    """Where a user turn goes before the knowledge base is consulted: the node's own intent edge, a global intent's,
    or (ask) the filled exit."""
    exits = node["exits"]
    target = (exits["intents"].get(intent) or program["global_intents"].get(intent)) if intent else None
    if target is None and "filled" in exits and _all_filled(node, state["slots"]):
        target = exits["filled"]
    return target


def _on_user(program: dict, state: dict, node: dict, event: dict, actions: list[dict],
             trace: list[str] | None) -> None:
    intent = _take_slots(program, state, event)
    target = _route(program, state, node, intent)
    if target is not None:
        _enter(program, state, target, actions, trace)
        return
    entry = _knowledge_entry(program, event.get("knowledge"))
    if entry is not None:
        _answer(program, state, node, entry, actions, trace)
        return
    reply = program.get("replies", {}).get(intent) if intent else None
    if reply is not None:  # answer, then ask the pending question again: the call stays where it was
        actions.append({"type": "say", "text": _render(state, [reply]), "node": node["id"]})
        _prompt(state, node, actions, retry=False)
        return
    _fail_turn(program, state, node, "no_match", actions, trace)


def _knowledge_entry(program: dict, question: str | None) -> dict | None:
    if not question:
        return None
    return next((e for e in program.get("knowledge", {}).get("entries", ()) if e["question"] == question), None)


def _answer(program: dict, state: dict, node: dict, entry: dict, actions: list[dict],
            trace: list[str] | None) -> None:
    """Say a knowledge-base answer at the listening `node`, then ask its follow-up questions, if any, and do what the
    entry says."""
    actions.append({"type": "say", "text": _render(state, entry["answers"]), "node": node["id"],
                    "knowledge": entry["question"]})
    if entry.get("follow_up"):
        _ask_follow_up(state, node, entry, 0, actions)
    else:
        _after_answer(program, state, node, entry, actions, trace)


def _ask_follow_up(state: dict, node: dict, entry: dict, index: int, actions: list[dict]) -> None:
    """Ask the entry's `index`-th follow-up question at `node`, listening for its slot."""
    question = entry["follow_up"][index]
    state["detour"] = {"entry": entry["question"], "step": index}
    actions.append({"type": "say", "text": _render(state, [question["prompt"]]), "node": node["id"]})
    listen = node["listen"]
    actions.append({"type": "listen", "node": node["id"], "barge_in": listen["barge_in"],
                    "silence_timeout_ms": listen["silence_timeout_ms"], "hot_words": list(listen["hot_words"]),
                    "expected_slots": [question["slot"]]})


def _on_follow_up(program: dict, state: dict, node: dict, event: dict, actions: list[dict],
                  trace: list[str] | None) -> None:
    """The answer to a follow-up question: its slot is taken when said; each question is asked once (an answer not
    understood, or silence, moves on too); a global intent (挂断, 转人工…) leaves the follow-up for its handler."""
    detour = state.pop("detour")
    entry = _knowledge_entry(program, detour["entry"])
    if event["type"] == "user":
        intent = _take_slots(program, state, event)
        target = program["global_intents"].get(intent) if intent else None
        if target is not None:
            _enter(program, state, target, actions, trace)
            return
    if entry is not None and detour["step"] + 1 < len(entry["follow_up"]):
        _ask_follow_up(state, node, entry, detour["step"] + 1, actions)
    elif entry is not None:
        _after_answer(program, state, node, entry, actions, trace)
    else:
        _prompt(state, node, actions, retry=False)


def _after_answer(program: dict, state: dict, node: dict, entry: dict, actions: list[dict],
                  trace: list[str] | None) -> None:
    """What the entry says once answered: transfer, end (回访), or back to the pending question — passed on when the
    caller's answers (to a follow-up, say) have filled everything it asks."""
    if entry["after"] == "transfer":
        actions.append({"type": "transfer", "node": node["id"]})
        state["ended"], state["outcome"] = True, TRANSFER_OUTCOME
    elif entry["after"] == "end":
        _finish(state, node["id"], GIVE_UP_OUTCOME, actions)
    elif "filled" in node["exits"] and _all_filled(node, state["slots"]):
        _enter(program, state, node["exits"]["filled"], actions, trace)
    else:
        _prompt(state, node, actions, retry=False)


def _fail_turn(program: dict, state: dict, node: dict, reason: str, actions: list[dict],
               trace: list[str] | None) -> None:
    """An unmatched or silent turn: count it, then follow the node's handling for it (see the module docstring)."""
    exits = node["exits"]
    count = state["retries"].get(node["id"], 0) + 1
    state["retries"][node["id"]] = count
    if count > node["max_retries"]:
        target = exits.get("fallback") or exits.get("default")
        if target is None:
            _finish(state, node["id"], GIVE_UP_OUTCOME, actions)
        else:
            _enter(program, state, target, actions, trace)
        return
    if reason in exits:  # a branch: its no_match / silence exit, else (no_match only) its default exit
        target = exits[reason] or (exits["default"] if reason == "no_match" else None)
        if target is not None:
            _enter(program, state, target, actions, trace)
            return
    _prompt(state, node, actions, retry=True)


def _enter(program: dict, state: dict, node_id: str, actions: list[dict], trace: list[str] | None) -> None:
    """Walk from `node_id` through nodes that do not listen until a listening or terminal node; what entering each
    node does is its kind's (`flows.kinds`)."""
    nodes, call = program["nodes"], _Entering(state, actions)
    # The compiler rejects loops without listening; the bound keeps a hand-made program from hanging the call.
    for _ in range(len(nodes) + 1):
        node = nodes.get(node_id)
        kind = KINDS.get(node["kind"]) if node is not None else None
        if kind is None:
            raise ProgramError(f"the program has no node {node_id!r}")
        state["node"] = node_id
        if trace is not None:
            trace.append(node_id)
        node_id = kind.enter(node, call)
        if node_id is None:
            if not (kind.listens or state["ended"]):
                raise ProgramError(f"the node {node['id']!r} leads nowhere")
            return
    raise ProgramError("the program loops without listening")


class _Entering:
    """What entering a node may do to the call (`kinds.Entering`)."""

    def __init__(self, state: dict, actions: list[dict]) -> None:
        self.state, self.actions = state, actions

    @property
    def slots(self) -> dict:
        return self.state["slots"]

    @property
    def remembered(self) -> dict:
        return self.state.get("remembered", {})

    def act(self, action: dict) -> None:
        self.actions.append(action)

    def say(self, node: dict, texts: list[str]) -> None:
        self.actions.append({"type": "say", "text": _render(self.state, texts), "node": node["id"]})

    def listen(self, node: dict) -> None:
        _prompt(self.state, node, self.actions, retry=False)

    def transfer(self, node: dict) -> None:
        action = {"type": "transfer", "node": node["id"]}
        if node["texts"]:
            action["text"] = _render(self.state, node["texts"])
        if node["queue"]:
            action["queue"] = node["queue"]
        self.actions.append(action)
        self.state["ended"], self.state["outcome"] = True, TRANSFER_OUTCOME

    def finish(self, node: dict, outcome: str) -> None:
        _finish(self.state, node["id"], outcome, self.actions)


def _finish(state: dict, node_id: str, outcome: str, actions: list[dict]) -> None:
    actions.append({"type": "end", "node": node_id, "outcome": outcome})
    state["ended"], state["outcome"] = True, outcome


def _prompt(state: dict, node: dict, actions: list[dict], *, retry: bool) -> None:
    texts = (node["reprompts"] or node["prompts"]) if retry else node["prompts"]
    if texts:
        actions.append({"type": "say", "text": _render(state, texts), "node": node["id"]})
    listen = node["listen"]
    expected = [slot for slot in node.get("slots", ()) if not is_filled(state["slots"].get(slot))]
    actions.append({"type": "listen", "node": node["id"], "barge_in": listen["barge_in"],
                    "silence_timeout_ms": listen["silence_timeout_ms"], "hot_words": list(listen["hot_words"]),
                    "expected_slots": expected})


def _all_filled(node: dict, slots: dict) -> bool:
    return all(is_filled(slots.get(slot)) for slot in node["slots"])


def _render(state: dict, texts: list[str]) -> str:
    """Pick a variant from the state's seed and counter among those whose placeholders all have a value (a slot, then
    a customer variable), preferring those that name the customer's variables: a manager writes "{客户姓名}您好" and
    a variant without the name for calls whose customer has none. When no variant can be filled, the pick is among
    all of them and an unset placeholder says nothing."""
    variables = state.get("vars", {})
    values = {**variables, **state["slots"]}
    usable = [text for text in texts if all(is_filled(values.get(name.strip())) for name in TEMPLATE.findall(text))]
    personal = [text for text in usable if any(name.strip() in variables for name in TEMPLATE.findall(text))]
    texts = personal or usable or texts
    text = texts[_mix(state["seed"], state["counter"]) % len(texts)] if len(texts) > 1 else texts[0]
    state["counter"] += 1
    return TEMPLATE.sub(lambda match: format_value(values.get(match.group(1).strip())), text)


def format_value(value: Any) -> str:
    """How a slot value is spoken in a script: 50.0 → "50", None → ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _mix(seed: int, counter: int) -> int:
    """splitmix64: a well-spread, platform-independent number from (seed, counter); `random` is not used because its
    algorithm is not part of Python's stability guarantees."""
    value = (seed + (counter + 1) * 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)
