"""The compiler's analyses: resolve each node's exits, then check structure, reachability, loops and slot dataflow.

Every finding is a `messages.Diagnostic`; nothing here raises on a parsed graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flows import conditions, messages
from flows.graph import Edge, Graph, Node, template_slots
from flows.kinds import KINDS

TEXT_FIELDS = ("texts", "prompts", "reprompts")


@dataclass(frozen=True, slots=True)
class BotSchema:
    """The bot's intents (name → is_global), slots (name → type), in definition order, the default replies of
    its global intents (name → text) and its knowledge base."""

    intents: dict[str, bool] = field(default_factory=dict)
    slots: dict[str, str] = field(default_factory=dict)
    replies: dict[str, str] = field(default_factory=dict)
    knowledge: dict = field(default_factory=dict)  # {"threshold", "entries"} (`nlu.knowledge`), {} without entries


@dataclass
class Analysis:
    graph: Graph
    schema: BotSchema
    nodes: dict[str, Node] = field(default_factory=dict)
    exits: dict[str, dict[str, Any]] = field(default_factory=dict)
    global_intents: dict[str, str] = field(default_factory=dict)
    start: str | None = None
    diagnostics: list[messages.Diagnostic] = field(default_factory=list)

    def report(self, code: str, node: Node | None = None, edge: Edge | None = None, **params: Any) -> None:
        self.diagnostics.append(messages.make(code, node.id if node else None, edge.id if edge else None,
                                              title=node.title if node else "", node_kind=node.kind if node else "",
                                              **params))


def analyse(graph: Graph, schema: BotSchema) -> Analysis:
    """Run every check on `graph`; the result holds the resolved exits and all diagnostics in a stable order."""
    analysis = Analysis(graph, schema, nodes={node.id: node for node in graph.nodes},
                        exits={node.id: empty_exits(node.kind) for node in graph.nodes})
    _check_starts(analysis)
    for node in graph.nodes:
        _check_content(analysis, node)
    for edge in graph.edges:
        _add_exit(analysis, edge)
    for node in graph.nodes:
        _check_exits(analysis, node)
    _check_globals(analysis)
    if analysis.start is not None:
        successors = {node.id: _successors(analysis, node) for node in graph.nodes}
        # Global handlers hang visibly off the start node, so they count as reached even in a flow that never listens.
        reachable = _reachable([analysis.start, *analysis.global_intents.values()], successors)
        for node in graph.nodes:
            if node.id not in reachable and node.kind != "start":
                analysis.report("unreachable", node)
        _check_loops(analysis, reachable)
        _check_templates(analysis, reachable, _surely_set(analysis, reachable, successors))
    _check_knowledge(analysis)
    return analysis


def empty_exits(kind: str) -> dict[str, Any]:
    """The exits of a compiled node of `kind`, all unset."""
    return KINDS[kind].empty_exits()


def _check_starts(analysis: Analysis) -> None:
    starts = [node for node in analysis.graph.nodes if node.kind == "start"]
    if not starts:
        analysis.report("no_start")
    elif len(starts) == 1:
        analysis.start = starts[0].id
    for node in starts if len(starts) > 1 else ():
        analysis.report("multiple_starts", node, count=len(starts))


def _check_content(analysis: Analysis, node: Node) -> None:
    KINDS[node.kind].check(node, analysis.report)
    for slot in node.slots:
        if slot not in analysis.schema.slots:
            analysis.report("unknown_slot", node, slot=slot)
    for name in TEXT_FIELDS:
        for number, text in enumerate(getattr(node, name), 1):
            if not text.strip():
                analysis.report("blank_text", node, field=name, field_zh=messages.FIELD_ZH[name], number=number)


def _add_exit(analysis: Analysis, edge: Edge) -> None:
    source = analysis.nodes[edge.source]
    kind, ctype = KINDS[source.kind], edge.condition.type
    if kind.terminal:
        analysis.report("exit_from_terminal", source, edge)
        return
    key = kind.exits.get(ctype)
    if key is None:
        analysis.report("edge_not_allowed", source, edge, kind=kind.name, kind_zh=kind.label_zh, type=ctype,
                        type_zh=messages.EXIT_ZH[ctype])
        return
    exits = analysis.exits[source.id]
    if key in ("intents", "global"):
        _add_intent(analysis, source, edge, analysis.global_intents if key == "global" else exits["intents"])
    elif key == "cases":
        _add_case(analysis, source, edge, exits["cases"])
    elif exits[key] is not None:
        name = key if key in messages.EXIT_ZH else ctype  # on an ask, "default" is another name for "filled"
        analysis.report("duplicate_exit", source, edge, what=f"“{name}”", what_zh=f"“{messages.EXIT_ZH[name]}”")
    else:
        exits[key] = edge.target


def _add_intent(analysis: Analysis, source: Node, edge: Edge, intents: dict[str, str]) -> None:
    intent = edge.condition.intent
    if intent not in analysis.schema.intents:
        analysis.report("unknown_intent", source, edge, intent=intent)
    elif intent in intents:
        analysis.report("duplicate_exit", source, edge, what=f"the intent “{intent}”", what_zh=f"意图“{intent}”的")
    else:
        intents[intent] = edge.target


def _add_case(analysis: Analysis, source: Node, edge: Edge, cases: list[dict]) -> None:
    text = edge.condition.expr
    try:
        ast = conditions.parse(text)
    except conditions.ConditionError as error:
        analysis.report("bad_expression", source, edge, expr=text, error=error.message_en, error_zh=error.message_zh)
        return
    unknown = sorted(conditions.slot_names(ast) - analysis.schema.slots.keys())
    for slot in unknown:
        analysis.report("unknown_slot", source, edge, slot=slot)
    if not unknown:
        cases.append({"expr": text, "ast": ast, "target": edge.target})


def _check_exits(analysis: Analysis, node: Node) -> None:
    kind, exits = KINDS[node.kind], analysis.exits[node.id]
    if kind.required and exits[kind.required] is None:
        name = "default" if kind.required == "next" else kind.required
        analysis.report("dead_end", node, exit=f"“{name}” exit", exit_zh=f"缺少“{messages.EXIT_ZH[name]}”出口")
    retries = node.max_retries if node.max_retries is not None else analysis.graph.settings.max_retries
    kind.check_exits(node, exits, analysis.report, retries)


def _check_globals(analysis: Analysis) -> None:
    if analysis.start is None:
        return
    start = analysis.nodes[analysis.start]
    for intent, is_global in analysis.schema.intents.items():
        if is_global and intent not in analysis.global_intents and intent not in analysis.schema.replies:
            analysis.report("global_intent_unhandled", start, intent=intent)


def _successors(analysis: Analysis, node: Node) -> list[tuple[str, frozenset[str]]]:
    """(target, slots surely set by taking that exit) for every exit of `node`, global intent handlers included."""
    found = KINDS[node.kind].successors(node, analysis.exits[node.id])
    if node.listens:
        found += [(target, frozenset()) for target in analysis.global_intents.values()]
    return [(target, slots) for target, slots in found if target is not None]


def _reachable(roots: list[str], successors: dict[str, list]) -> set[str]:
    seen, todo = set(roots), list(roots)
    while todo:
        for target, _ in successors[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _surely_set(analysis: Analysis, reachable: set[str], successors: dict[str, list]) -> dict[str, frozenset[str]]:
    """Forward must-analysis: the slots set on entry to each reachable node along every path from the start."""
    everything = frozenset(analysis.schema.slots) | {slot for node in analysis.graph.nodes for slot in node.slots}
    entry = {node_id: everything for node_id in reachable}
    entry[analysis.start] = frozenset()
    todo = [analysis.start]
    while todo:
        node_id = todo.pop()
        for target, added in successors[node_id]:
            narrowed = entry[target] & (entry[node_id] | added)
            if narrowed != entry[target]:
                entry[target] = narrowed
                todo.append(target)
    return entry


def _check_templates(analysis: Analysis, reachable: set[str], entry: dict[str, frozenset[str]]) -> None:
    for node in analysis.graph.nodes:
        if node.id not in reachable:
            continue
        used = dict.fromkeys(slot for name in TEXT_FIELDS for text in getattr(node, name)
                             for slot in template_slots(text))
        for slot in used:
            if slot in analysis.graph.settings.variables and slot not in analysis.schema.slots:
                continue  # a customer variable: a variant without it is said when the customer has none
            if slot not in analysis.schema.slots:
                analysis.report("unknown_placeholder", node, slot=slot)
            elif slot not in entry[node.id]:
                analysis.report("slot_maybe_unset", node, slot=slot)


def _check_knowledge(analysis: Analysis) -> None:
    """A knowledge-base answer may be said at any listening node, so a slot in it may be empty (it then says
    nothing), but a placeholder that is neither a slot nor a declared variable is a typo."""
    known = set(analysis.schema.slots) | set(analysis.graph.settings.variables)
    for entry in analysis.schema.knowledge.get("entries", ()):
        texts = [*entry["answers"], *(step["prompt"] for step in entry.get("follow_up", ()))]
        for slot in dict.fromkeys(s for text in texts for s in template_slots(text)):
            if slot not in known:
                analysis.report("knowledge_placeholder", question=entry["question"], slot=slot)
        for step in entry.get("follow_up", ()):
            if step["slot"] not in analysis.schema.slots:
                analysis.report("knowledge_follow_up_slot", question=entry["question"], slot=step["slot"])


def _check_loops(analysis: Analysis, reachable: set[str]) -> None:
    """Cycles made only of exits taken without listening (ask nodes are passed when their slots are filled)."""
    order = [node.id for node in analysis.graph.nodes if node.id in reachable]
    passing = {node_id: _passing_targets(analysis, analysis.nodes[node_id]) for node_id in order}
    for component in _strongly_connected(order, passing):
        first = component[0]
        if len(component) > 1 or first in passing[first]:
            members = sorted(component, key=order.index)
            titles = [f"“{analysis.nodes[m].title or m}”" for m in members]
            analysis.report("loop_without_listening", analysis.nodes[members[0]], nodes="、".join(titles))


def _passing_targets(analysis: Analysis, node: Node) -> list[str]:
    return [target for target in KINDS[node.kind].passing(node, analysis.exits[node.id]) if target is not None]


def _strongly_connected(order: list[str], successors: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative so that long chains cannot exhaust Python's recursion limit."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in order:
        if root in index:
            continue
        work = [(root, iter(successors[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(successors[child])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    components.append(_pop_component(stack, on_stack, node))
    return components


def _pop_component(stack: list[str], on_stack: set[str], root: str) -> list[str]:
    component = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == root:
            return component
