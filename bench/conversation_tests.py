"""Conversation-test runner benchmark (JSON on stdout): 200 tests of 10 caller turns each on the demo bot, through
`calls.testing.run_case` — the live call's `Dialogue` with the bot's understanding (its examples and common intents; no
trained model, as before the first training) and its knowledge base — plus the suite's coverage. Target: ≤ 10 s on
this machine.

    nice .venv/bin/python bench/conversation_tests.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calls import testing  # noqa: E402
from flows.compiler import compile_flow  # noqa: E402
from nlu import knowledge  # noqa: E402
from nlu.common import with_common_examples  # noqa: E402
from nlu.understanding import Understanding  # noqa: E402

TESTS, TURNS = 200, 10
# Ten caller turns that keep a demo call going (the ask nodes re-ask what they did not get).
SAID = ["是的", "扬程五十米", "流量每小时二十方", "三台", "离心泵", "能便宜点吗", "预算一万块", "下个月十号",
        "13812345678", "好的"]


def main() -> None:
    demo = ROOT / "flows" / "demo"
    nlu = json.loads((demo / "nlu.json").read_text(encoding="utf-8"))
    slots = {s["name"]: s for s in nlu["slots"]}
    intents = [i["name"] for i in nlu["intents"]]
    graph = json.loads((demo / "flow.json").read_text(encoding="utf-8"))
    graph["settings"]["max_retries"] = 10  # unrecognised turns re-ask instead of ending the call
    entries = knowledge.read_csv((demo / "knowledge.csv").read_bytes()).entries
    program = compile_flow(graph, {"intents": nlu["intents"], "slots": nlu["slots"], "knowledge": {
        "threshold": knowledge.DEFAULT_THRESHOLD, "entries": [e.to_json() for e in entries]}}).program
    understanding = Understanding(slots, with_common_examples(nlu["examples"], intents))
    cases = [{"name": f"t{i}", "turns": [{"text": SAID[(i + k) % len(SAID)], "expect": {}} for k in range(TURNS)]}
             for i in range(TESTS)]
    began = time.perf_counter()
    results = [testing.run_case(case, program, slots=slots, nlu=understanding, intents=intents) for case in cases]
    covered = testing.coverage(program, results)
    seconds = time.perf_counter() - began
    print(json.dumps({"tests": TESTS, "turns_per_test": TURNS, "turns_played": sum(len(r.turns) for r in results),
                      "seconds": round(seconds, 2), "ms_per_turn": round(seconds * 1000 / (TESTS * TURNS), 2),
                      "node_coverage": covered["node_coverage"], "edge_coverage": covered["edge_coverage"],
                      "load_average": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}, indent=1))


if __name__ == "__main__":
    main()
