"""Golden example flows: each `golden/<name>.json` graph compiles to exactly `golden/<name>.expected.json`.

A case is {"description", "graph" | "graph_file", "schema"?}; "schema" is an object, "demo" for the demo bot, or absent
for SMALL_SCHEMA. Regenerate the expected files with `FLOWS_GOLDEN_UPDATE=1`, then read the diff before committing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from flows.compiler import compile_flow
from tests.flows.factory import ROOT, demo_schema

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("FLOWS_GOLDEN_UPDATE") == "1"
SMALL_SCHEMA = {
    "intents": [{"name": "询价"}, {"name": "肯定"}, {"name": "否定"}],
    "slots": [{"name": "扬程", "type": "number"}, {"name": "流量", "type": "number"}, {"name": "数量", "type": "quantity"}],
}
CASES = sorted(path for path in GOLDEN.glob("*.json") if not path.name.endswith(".expected.json"))


def load_case(path: Path) -> tuple[dict, dict]:
    case = json.loads(path.read_text(encoding="utf-8"))
    graph = case.get("graph") or json.loads((ROOT / case["graph_file"]).read_text(encoding="utf-8"))
    schema = case.get("schema", SMALL_SCHEMA)
    return graph, demo_schema() if schema == "demo" else schema


def test_there_are_enough_cases():
    assert len(CASES) >= 12


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_golden(path: Path):
    graph, schema = load_case(path)
    actual = compile_flow(graph, schema).to_dict()
    expected_path = path.with_suffix(".expected.json")
    if UPDATE:
        expected_path.write_text(json.dumps(actual, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual == expected


def test_every_error_and_warning_code_has_a_golden_case():
    from flows.messages import MESSAGES

    seen = set()
    for path in GOLDEN.glob("*.expected.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        seen |= {item["code"] for item in result["errors"] + result["warnings"]}
    assert seen == set(MESSAGES)


def test_demo_flow_compiles_cleanly():
    graph, schema = load_case(GOLDEN / "demo.json")
    result = compile_flow(graph, schema)
    assert result.errors == [] and result.warnings == []
    assert 15 <= len(result.program["nodes"]) <= 30
