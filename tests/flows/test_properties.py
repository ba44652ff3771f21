"""Property-based tests: the compiler never crashes on any input, and the runtime never leaves the program or raises
anything but its documented errors, whatever the customer does."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows import runtime
from flows.compiler import checksum, compile_flow
from flows.conditions import ConditionError, parse
from flows.graph import CONDITION_TYPES, KINDS, OUTCOMES, GraphError
from tests.flows.factory import demo_graph, demo_schema, edge, graph, node

SCHEMA = {"intents": [{"name": "肯定"}, {"name": "否定"}, {"name": "询价"}, {"name": "挂断", "is_global": True},
                      {"name": "转人工", "is_global": True}],
          "slots": [{"name": "扬程", "type": "number"}, {"name": "流量", "type": "number"},
                    {"name": "数量", "type": "quantity"}]}
INTENTS = ["肯定", "否定", "询价", "挂断", "转人工"]
SLOTS = ["扬程", "流量", "数量"]
EXPRS = ["扬程 > 30", "filled(流量)", "empty(数量) or 扬程 == '50'", "not (扬程 <= 10 and 流量 != 3)"]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.none() | st.booleans() | st.integers(-10, 10**6) | st.floats(allow_nan=False) | st.text(max_size=8)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=20)
names = st.sampled_from(["n0", "n1", "n2", "n3", "n4", "n5", "x"])
texts = st.lists(st.sampled_from(["你好", "扬程{扬程}米", "{流量}方", " ", "{未知}"]), max_size=3)
FIELD_VALUES = {
    "texts": texts, "prompts": texts, "reprompts": texts, "hot_words": st.lists(st.text(max_size=4), max_size=3),
    "slots": st.lists(st.sampled_from(SLOTS + ["颜色"]), max_size=2, unique=True),
    "max_retries": st.integers(0, 3), "barge_in": st.booleans(), "silence_timeout_ms": st.integers(500, 9000),
    "queue": st.sampled_from(["销售", "售后"]), "outcome": st.sampled_from(OUTCOMES),
}


@st.composite
def messy_node(draw, node_id):
    data = {"id": node_id, "kind": draw(st.sampled_from(KINDS))}
    for name in draw(st.lists(st.sampled_from(sorted(FIELD_VALUES)), max_size=4, unique=True)):
        data[name] = draw(FIELD_VALUES[name] | json_values) if draw(st.integers(0, 9)) == 0 else draw(
            FIELD_VALUES[name])
    return data


@st.composite
def messy_condition(draw):
    kind = draw(st.sampled_from(CONDITION_TYPES))
    if kind == "intent":
        return {"type": kind, "intent": draw(st.sampled_from(INTENTS + ["未知"]))}
    if kind == "expr":
        return {"type": kind, "expr": draw(st.sampled_from(EXPRS) | st.text(min_size=1, max_size=20))}
    return {"type": kind}


@st.composite
def messy_graph(draw):
    count = draw(st.integers(1, 6))
    nodes = [draw(messy_node(f"n{index}")) for index in range(count)]
    edges = [{"id": f"e{index}", "source": draw(names), "target": draw(names), "condition": draw(messy_condition())}
             for index in range(draw(st.integers(0, 10)))]
    return {"format": 1, "nodes": nodes, "edges": edges}


def check_program(program: dict) -> None:
    json.dumps(program, allow_nan=False)
    assert program["checksum"] == checksum(program)
    assert program["start"] in program["nodes"]


def compile_or_graph_error(data, schema=SCHEMA):
    try:
        result = compile_flow(data, schema)
    except GraphError:
        return None
    if result.program is not None:
        check_program(result.program)
        assert result.errors == []
    else:
        assert result.errors and all(error.node_id or error.code == "no_start" for error in result.errors)
    return result


@FAST
@given(json_values)
def test_json_junk_never_crashes_the_compiler(data):
    compile_or_graph_error(data)


@FAST
@given(st.dictionaries(st.sampled_from(["format", "settings", "nodes", "edges", "extra"]), json_values))
def test_junk_graph_shapes_never_crash_the_compiler(data):
    compile_or_graph_error(data)


@FAST
@given(messy_graph())
def test_random_graphs_compile_or_report(data):
    first = compile_or_graph_error(data)
    if first is not None:
        assert compile_or_graph_error(data).to_dict() == first.to_dict()  # deterministic


@FAST
@given(json_values)
def test_junk_schemas_never_crash_the_compiler(schema):
    try:
        compile_flow(demo_graph(), schema)
    except GraphError:
        pass


@FAST
@given(st.text(max_size=60))
def test_condition_parser_only_raises_condition_error(text):
    try:
        parse(text)
    except ConditionError:
        pass


# ------------------------------------------------------------------------------------------------ valid random flows

@st.composite
def valid_graph(draw):
    """A graph built to compile: non-listening exits only go forward, so no loop can skip listening."""
    count = draw(st.integers(3, 10))
    # The first node after the start listens, so that most calls get past their opening.
    kinds = ["start", draw(st.sampled_from(["ask", "branch"]))] + [
        draw(st.sampled_from(["say", "ask", "ask", "branch", "branch", "condition", "transfer", "end"]))
        for _ in range(count - 3)] + ["end"]
    nodes, edges = [], []

    def later(index):
        return f"n{draw(st.integers(index + 1, count - 1))}"

    def anywhere():
        return f"n{draw(st.integers(1, count - 1))}"

    def connect(source, target, kind="default", **condition):
        edges.append(edge(f"e{len(edges)}", source, target, kind, **condition))

    for index, kind in enumerate(kinds):
        node_id = f"n{index}"
        nodes.append(_valid_node(draw, node_id, kind))
        if kind == "start":
            connect(node_id, "n1")
        if kind == "say":
            connect(node_id, later(index))
        if kind == "condition":
            for expr in draw(st.lists(st.sampled_from(EXPRS), max_size=2)):
                connect(node_id, later(index), "expr", expr=expr)
            connect(node_id, later(index))
        if kind == "ask":
            connect(node_id, later(index), "filled")
            connect(node_id, anywhere(), "fallback")
        if kind in ("ask", "branch"):
            for intent in draw(st.lists(st.sampled_from(INTENTS), max_size=3, unique=True)):
                connect(node_id, anywhere(), "intent", intent=intent)
        if kind == "branch":
            for exit_kind in draw(st.lists(st.sampled_from(["no_match", "silence", "default"]), min_size=1,
                                           unique=True)):
                connect(node_id, anywhere(), exit_kind)
    for intent in draw(st.lists(st.sampled_from(["挂断", "转人工", "肯定"]), max_size=2, unique=True)):
        connect("n0", anywhere(), "intent", intent=intent)
    return graph(nodes, edges, confidence_threshold=draw(st.sampled_from([0, 0.5, 1])))


def _valid_node(draw, node_id, kind):
    fields = {}
    if kind == "say":
        fields["texts"] = draw(st.lists(st.sampled_from(["你好", "好的", "稍等"]), min_size=1, max_size=3))
    if kind == "ask":
        fields["slots"] = draw(st.lists(st.sampled_from(SLOTS), min_size=1, max_size=2, unique=True))
        fields["prompts"] = ["请问？"]
    if kind in ("ask", "branch"):
        fields["max_retries"] = draw(st.integers(0, 2))
        fields["reprompts"] = draw(st.lists(st.just("再说一遍？"), max_size=1))
    if kind == "end":
        fields["outcome"] = draw(st.sampled_from(OUTCOMES))
    return node(node_id, kind, **fields)


def prune_unreachable(data: dict) -> dict:
    """Drop the nodes the compiler reports unreachable (random edges do not reach every node)."""
    result = compile_flow(data, SCHEMA)
    lost = {error.node_id for error in result.errors if error.code == "unreachable"}
    assert {error.code for error in result.errors} <= {"unreachable"}, result.to_dict()["errors"]
    return {**data, "nodes": [item for item in data["nodes"] if item["id"] not in lost],
            "edges": [item for item in data["edges"] if item["source"] not in lost]}


slot_values = st.none() | st.sampled_from([0, 50, 2.5, "", "abc", "80"])
user_events = st.builds(
    lambda text, intent, confidence, slots: {"type": "user", "text": text, "intent": intent,
                                             "confidence": confidence, "slots": slots},
    st.text(max_size=5), st.none() | st.sampled_from(INTENTS + ["未知"]), st.floats(0, 1),
    st.dictionaries(st.sampled_from(SLOTS), slot_values, max_size=3))
junk_events = json_values | json_values.map(lambda junk: {"type": "user", "text": junk})
SIMPLE = [{"type": "silence"}, {"type": "barge_in"}, {"type": "hangup"}]


def _event(draw_kind: int) -> st.SearchStrategy:
    # Mostly customer turns and silence, so that calls get deep before a hang-up or junk ends or skips a turn.
    if draw_kind < 12:
        return user_events
    if draw_kind < 16:
        return st.just(SIMPLE[0])
    return st.sampled_from(SIMPLE[1:]) if draw_kind < 18 else junk_events


events = st.lists(st.integers(0, 19).flatmap(_event), min_size=3, max_size=25)


def run_call(program: dict, seed: int, script: list) -> list:
    state, actions = runtime.start(program, seed)
    transcript = [actions]
    for event in script:
        try:
            state, actions = runtime.step(program, state, event)
        except runtime.CallEnded:
            assert state["ended"]
            transcript.append("ended")
            continue
        except runtime.EventError:
            transcript.append("bad event")
            continue
        transcript.append(actions)
        check_state(program, state, actions)
    return transcript


def check_state(program: dict, state: dict, actions: list[dict]) -> None:
    json.dumps(state, allow_nan=False)
    node = program["nodes"][state["node"]]
    assert state["ended"] or node["kind"] in ("ask", "branch")
    for action in actions:
        assert action["node"] in program["nodes"]
        assert action["type"] in ("say", "listen", "transfer", "end")
    if actions and not state["ended"]:
        assert actions[-1]["type"] == "listen" and actions[-1]["node"] == state["node"]


@FAST
@given(valid_graph(), st.integers(0, 2**40), events)
def test_random_conversations_stay_inside_random_programs(data, seed, script):
    result = compile_flow(prune_unreachable(data), SCHEMA)
    assert result.errors == [], result.to_dict()["errors"]
    transcript = run_call(result.program, seed, script)
    assert run_call(result.program, seed, script) == transcript


DEMO = compile_flow(demo_graph(), demo_schema()).program


@FAST
@given(st.integers(0, 2**32), events)
def test_random_conversations_stay_inside_the_demo(seed, script):
    run_call(DEMO, seed, script)
