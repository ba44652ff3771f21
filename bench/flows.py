"""Flow benchmark: compile time of a generated 300-node flow (target ≤ 50 ms) and the time of one runtime step
(target ≤ 0.1 ms), as p50/p95 over many repetitions.

Prints one JSON object. Parts (select with --only, repeatable; add one by writing a function and listing it in PARTS):
- core: parse + compile of the generated flow, and runtime steps (a re-prompt, a slot filled that walks through a
  condition and a say to the next branch, an intent at a branch).

    nice .venv/bin/python bench/flows.py --only core
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows import runtime  # noqa: E402
from flows.compiler import compile_flow  # noqa: E402

COMPILE_TARGET_MS = 50
STEP_TARGET_MS = 0.1
SLOTS_PER_SEGMENT = 2


def make_flow(target_nodes: int = 300) -> tuple[dict, dict]:
    """A valid flow of about `target_nodes` nodes and its schema: segments of branch → ask → ask → condition → say
    (two variants) chained one after another, sharing the end and transfer nodes."""
    nodes = [_node("start", "start", 0, 0), _node("end_no", "end", 600, 0, outcome="拒绝"),
             _node("end_callback", "end", 900, 0, outcome="回访"), _node("end_hangup", "end", 1200, 0, outcome="挂断"),
             _node("transfer", "transfer", 1500, 0, texts=["马上为您转人工。"])]
    edges: list[dict] = []

    def connect(source: str, target: str, kind: str = "default", **condition: str) -> None:
        edges.append({"id": f"e{len(edges)}", "source": source, "target": target,
                      "condition": {"type": kind, **condition}})

    connect("start", "b0")
    connect("start", "end_hangup", "intent", intent="挂断")
    connect("start", "transfer", "intent", intent="转人工")
    segment = 0
    while len(nodes) + 8 <= target_nodes:
        _add_segment(nodes, connect, segment)
        segment += 1
    nodes.append(_node(f"b{segment}", "branch", 0, 120 * 7 * segment, prompts=["还有别的需要吗？"]))
    connect(f"b{segment}", "end_no", "intent", intent="否定")
    connect(f"b{segment}", "end_callback", "default")
    while len(nodes) < target_nodes:
        nodes.append(_node(f"extra{len(nodes)}", "say", 300, 120 * 7 * segment, texts=["好的。"]))
        connect(nodes[-1]["id"], f"b{segment}")
        connect(f"b{segment}", nodes[-1]["id"], "intent", intent=f"意图{len(nodes)}")
    intents = ["肯定", "否定", "挂断", "转人工"] + [f"意图{index}" for index in range(target_nodes + 1)]
    schema = {"intents": [{"name": name, "is_global": name in ("挂断", "转人工")} for name in intents],
              "slots": [{"name": f"槽位{index}", "type": "number"} for index in range(SLOTS_PER_SEGMENT * segment)]}
    return {"format": 1, "settings": {}, "nodes": nodes, "edges": edges}, schema


def _add_segment(nodes: list[dict], connect: Callable[..., None], index: int) -> None:
    first, second = f"槽位{SLOTS_PER_SEGMENT * index}", f"槽位{SLOTS_PER_SEGMENT * index + 1}"
    y, nxt = 120 * 7 * index, f"b{index + 1}"
    nodes += [
        _node(f"b{index}", "branch", 0, y, prompts=["请问需要吗？", "您看需要吗？"], reprompts=["没听清，需要吗？"]),
        _node(f"clarify{index}", "say", -300, y, texts=["我再介绍一下。"]),
        _node(f"a{index}", "ask", 0, y + 120, slots=[first], prompts=[f"{first}是多少？"], reprompts=["请再说一次？"]),
        _node(f"a{index}b", "ask", 0, y + 240, slots=[second], prompts=[f"{second}是多少？"]),
        _node(f"c{index}", "condition", 0, y + 360),
        _node(f"hi{index}", "say", -150, y + 480, texts=[f"{{{first}}}，不少了。", f"{{{first}}}，收到。"]),
        _node(f"lo{index}", "say", 150, y + 480, texts=[f"{{{second}}}，好的。"]),
        _node(f"t{index}", "say", 0, y + 600, texts=["我们继续。"]),
    ]
    connect(f"b{index}", f"a{index}", "intent", intent="肯定")
    connect(f"b{index}", "end_no", "intent", intent="否定")
    connect(f"b{index}", f"clarify{index}", "no_match")
    connect(f"b{index}", "end_callback", "default")
    connect(f"clarify{index}", f"b{index}")
    for ask in (f"a{index}", f"a{index}b"):
        connect(ask, "end_callback", "fallback")
    connect(f"a{index}", f"a{index}b", "filled")
    connect(f"a{index}b", f"c{index}", "filled")
    connect(f"c{index}", f"hi{index}", "expr", expr=f"{first} > 10 and filled({second})")
    connect(f"c{index}", f"lo{index}", "default")
    connect(f"hi{index}", f"t{index}")
    connect(f"lo{index}", f"t{index}")
    connect(f"t{index}", nxt)


def _node(node_id: str, kind: str, x: int, y: int, **fields: Any) -> dict:
    return {"id": node_id, "kind": kind, "title": node_id, "position": {"x": x, "y": y}, **fields}


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {"p50": round(statistics.median(ordered), 4), "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 4),
            "n": len(ordered)}


def bench_core(compile_runs: int = 60, step_runs: int = 3000) -> dict[str, Any]:
    graph, schema = make_flow()
    compile_ms = []
    for _ in range(compile_runs):
        began = time.perf_counter()
        result = compile_flow(graph, schema)
        compile_ms.append((time.perf_counter() - began) * 1000)
    program = result.program
    if program is None:
        raise SystemExit(json.dumps(result.to_dict()["errors"][:5], ensure_ascii=False))
    state, _ = runtime.start(program, seed=1)
    state, _ = runtime.step(program, state, {"type": "user", "text": "要", "intent": "肯定"})
    filled = {"槽位0": 30, "槽位1": 5}
    cases = [(state, {"type": "silence"}),
             (runtime.step(program, state, {"type": "user", "text": "30", "slots": {"槽位0": 30}})[0],
              {"type": "user", "text": "5", "intent": None, "confidence": 0.9, "slots": filled}),
             (runtime.start(program, seed=2)[0], {"type": "user", "text": "要", "intent": "肯定", "confidence": 0.8})]
    step_ms = []
    for _ in range(step_runs):
        for case_state, event in cases:
            began = time.perf_counter_ns()
            runtime.step(program, case_state, event)
            step_ms.append((time.perf_counter_ns() - began) / 1e6)
    compile_figures, step_figures = percentiles(compile_ms), percentiles(step_ms)
    return {
        "nodes": len(graph["nodes"]), "edges": len(graph["edges"]), "warnings": len(result.warnings),
        "compile_ms": compile_figures | {"target": COMPILE_TARGET_MS},
        "step_ms": step_figures | {"target": STEP_TARGET_MS},
        "ok": compile_figures["p95"] <= COMPILE_TARGET_MS and step_figures["p95"] <= STEP_TARGET_MS,
    }


PARTS: dict[str, Callable[[], dict[str, Any]]] = {"core": bench_core}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(PARTS))
    args = parser.parse_args()
    report: dict[str, Any] = {"cpu_count": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}
    for name in args.only or list(PARTS):
        report[name] = PARTS[name]()
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
