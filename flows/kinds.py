"""Every kind of flow node in one definition: its fields, its exits, what the checks require of it, how it compiles,
how the runtime enters it and how the canvas draws it. The graph parser, the compiler, the checks, the runtime, the
side-panel forms and the canvas (`canvas_kinds()`, served as JSON) all read `KINDS`; a new kind is one class here
(plus, when it has a field no kind had before, that field's parser in `flows.graph` and form field in `flows.forms`).

A kind's `exits` maps each condition type an edge leaving it may have to where the edge lands in the compiled node's
exits: a key of its own, or "intents" / "cases" where intent / expression edges are collected, or "global" (the start
node's intent edges: the flow's global intent handlers).
"""

from __future__ import annotations

from typing import Any, Protocol

from flows.conditions import evaluate, implied_filled, is_filled

Report = Any  # `checks.Analysis.report`: (code, node, edge=None, **params) -> None
Successors = list[tuple[str | None, frozenset[str]]]


class Entering(Protocol):
    """What a kind may do when the runtime enters one of its nodes (`flows.runtime`)."""

    slots: dict
    remembered: dict

    def say(self, node: dict, texts: list[str]) -> None: ...
    def act(self, action: dict) -> None: ...
    def listen(self, node: dict) -> None: ...
    def transfer(self, node: dict) -> None: ...
    def finish(self, node: dict, outcome: str) -> None: ...


class Kind:
    name = ""
    label = ""  # English; pages show it in their language (the Chinese is in locale/, as for every page text)
    label_zh = ""  # in compiler messages, which carry both languages
    icon = ""  # Bootstrap icon name
    color = ""
    summary = ""  # the canvas's one-line summary when it is not the first script: "%(field)s" filled from the node
    fields: tuple[str, ...] = ()  # besides id, kind, title and position, in serialisation order
    exits: dict[str, str] = {}
    required = ""  # the exit key that must be connected ("" for none)
    listens = False
    terminal = False  # ends the call: nothing may follow it

    def empty_exits(self) -> dict[str, Any]:
        """The exits of a compiled node of this kind, all unset."""
        keys = dict.fromkeys(key for key in self.exits.values() if key != "global")
        return {key: {"intents": {}, "cases": []}.get(key) for key in keys}

    def compile(self, node: Any, settings: Any) -> dict[str, Any]:
        """The kind's fields of a compiled node (`node`: a `graph.Node`), the flow's defaults applied."""
        return {name: list(getattr(node, name)) if isinstance(getattr(node, name), tuple) else getattr(node, name)
                for name in self.fields}

    def check(self, node: Any, report: Report) -> None:
        """Report what the node lacks (a script, an outcome…)."""

    def check_exits(self, node: Any, exits: dict, report: Report, retries: int) -> None:
        """Report missing exits, besides the required one, once all edges are resolved."""

    def successors(self, node: Any, exits: dict) -> Successors:
        """(target, slots surely set by taking that exit) for each exit (global intent handlers aside)."""
        return [(target, frozenset()) for target in exit_targets(exits)]

    def passing(self, node: Any, exits: dict) -> list[str | None]:
        """The exits taken without listening to the caller (a loop of only these would never stop)."""
        return [] if self.listens else exit_targets(exits)

    def enter(self, node: dict, call: Entering) -> str | None:
        """Do what entering the compiled `node` does; the node to go on to, or None when the call rests here."""
        return node["exits"]["next"]


def exit_targets(exits: dict) -> list[str | None]:
    """Every target of a compiled node's exits (None where an exit is absent), in order."""
    found: list[str | None] = []
    for value in exits.values():
        if isinstance(value, dict):
            found += value.values()
        elif isinstance(value, list):
            found += [case["target"] for case in value]
        else:
            found.append(value)
    return found


class Start(Kind):
    name, label, label_zh, icon, color = "start", "Start", "开始", "play-circle-fill", "#16a34a"
    exits = {"default": "next", "intent": "global"}
    required = "next"


class Say(Kind):
    name, label, label_zh, icon, color = "say", "Say", "播报", "chat-left-text-fill", "#2563eb"
    fields = ("texts",)
    exits = {"default": "next"}
    required = "next"

    def check(self, node: Any, report: Report) -> None:
        if not node.texts:
            report("missing_text", node)

    def enter(self, node: dict, call: Entering) -> str | None:
        call.say(node, node["texts"])
        return node["exits"]["next"]


class Wait(Kind):
    """Pause: the line stays quiet for a few seconds (the customer reads a message, looks up an order), then the flow
    goes on."""

    name, label, label_zh, icon, color = "wait", "Wait", "等待", "hourglass-split", "#ca8a04"
    summary = "%(seconds)s s"
    fields = ("seconds",)
    exits = {"default": "next"}
    required = "next"

    def check(self, node: Any, report: Report) -> None:
        if node.seconds is None:
            report("missing_seconds", node)

    def enter(self, node: dict, call: Entering) -> str | None:
        call.act({"type": "pause", "node": node["id"], "ms": node["seconds"] * 1000})
        return node["exits"]["next"]


_LISTEN_FIELDS = ("barge_in", "silence_timeout_ms", "hot_words")


class Listening(Kind):
    """A node that asks and waits for the caller; the runtime's turn handling (`flows.runtime`) takes over there."""

    listens = True

    def compile(self, node: Any, settings: Any) -> dict[str, Any]:
        compiled = {name: list(getattr(node, name)) for name in self.fields if name not in ("max_retries",
                                                                                             *_LISTEN_FIELDS)}
        compiled["max_retries"] = settings.max_retries if node.max_retries is None else node.max_retries
        compiled["listen"] = {"barge_in": node.barge_in,
                              "silence_timeout_ms": node.silence_timeout_ms or settings.silence_timeout_ms,
                              "hot_words": list(node.hot_words)}
        return compiled

    def enter(self, node: dict, call: Entering) -> str | None:
        call.listen(node)
        return None


class Ask(Listening):
    name, label, label_zh, icon, color = "ask", "Ask", "询问", "question-circle-fill", "#7c3aed"
    fields = ("slots", "prompts", "reprompts", "max_retries", *_LISTEN_FIELDS)
    exits = {"filled": "filled", "default": "filled", "fallback": "fallback", "intent": "intents"}
    required = "filled"

    def check(self, node: Any, report: Report) -> None:
        if not node.slots:
            report("missing_slots", node)
        if not node.prompts:
            report("missing_prompt", node)

    def check_exits(self, node: Any, exits: dict, report: Report, retries: int) -> None:
        if exits["fallback"] is None:
            report("missing_fallback", node, retries=retries)

    def successors(self, node: Any, exits: dict) -> Successors:
        return [(exits["filled"], frozenset(node.slots)), (exits["fallback"], frozenset()),
                *((target, frozenset()) for target in exits["intents"].values())]

    def passing(self, node: Any, exits: dict) -> list[str | None]:
        return [exits["filled"]]  # passed without asking when its slots are already filled

    def enter(self, node: dict, call: Entering) -> str | None:
        if all(is_filled(call.slots.get(slot)) for slot in node["slots"]):
            return node["exits"]["filled"]
        return super().enter(node, call)


class Branch(Listening):
    name, label, label_zh, icon, color = "branch", "Listen & branch", "意图分支", "signpost-split-fill", "#ea580c"
    fields = ("prompts", "reprompts", "max_retries", *_LISTEN_FIELDS)
    exits = {"intent": "intents", "no_match": "no_match", "silence": "silence", "default": "default"}

    def check_exits(self, node: Any, exits: dict, report: Report, retries: int) -> None:
        if not exits["intents"] and not any(exits[key] for key in ("no_match", "silence", "default")):
            report("dead_end", node, exit="exits at all", exit_zh="没有任何出口")
            return
        if exits["no_match"] is None and exits["default"] is None:
            report("no_match_unhandled", node, retries=retries)
        if exits["silence"] is None and exits["default"] is None:
            report("silence_unhandled", node, retries=retries)


class Condition(Kind):
    name, label, label_zh, icon, color = "condition", "Condition", "条件", "funnel-fill", "#0d9488"
    exits = {"expr": "cases", "default": "default"}
    required = "default"

    def successors(self, node: Any, exits: dict) -> Successors:
        found: Successors = []
        earlier_false: set[str] = set()  # a case is taken only when every earlier case was false
        for case in exits["cases"]:
            found.append((case["target"], frozenset(implied_filled(case["ast"]) | earlier_false)))
            earlier_false |= implied_filled(case["ast"], outcome=False)
        found.append((exits["default"], frozenset(earlier_false)))
        return found

    def enter(self, node: dict, call: Entering) -> str | None:
        exits = node["exits"]
        return next((case["target"] for case in exits["cases"]
                     if evaluate(case["ast"], call.slots, call.remembered)), exits["default"])


class Transfer(Kind):
    name, label, label_zh, icon, color = "transfer", "Transfer to human", "转人工", "headset", "#db2777"
    fields = ("texts", "queue")
    terminal = True

    def enter(self, node: dict, call: Entering) -> str | None:
        call.transfer(node)
        return None


class End(Kind):
    name, label, label_zh, icon, color = "end", "End", "结束", "stop-circle-fill", "#475569"
    fields = ("texts", "outcome")
    terminal = True

    def check(self, node: Any, report: Report) -> None:
        if node.outcome is None:
            report("missing_outcome", node)

    def enter(self, node: dict, call: Entering) -> str | None:
        if node["texts"]:
            call.say(node, node["texts"])
        call.finish(node, node["outcome"])
        return None


KINDS: dict[str, Kind] = {kind.name: kind for kind in (Start(), Say(), Ask(), Branch(), Condition(), Wait(),
                                                        Transfer(), End())}


def canvas_kinds(translate: Any = str) -> dict[str, dict]:
    """The kind table the canvas draws from (nodes.js), labels through `translate` (the page's language)."""
    return {kind.name: {"label": translate(kind.label), "icon": f"bi-{kind.icon}", "color": kind.color,
                        "fields": list(kind.fields), "terminal": kind.terminal, "start": kind.name == "start",
                        "summary": translate(kind.summary) if kind.summary else ""}
            for kind in KINDS.values()}
