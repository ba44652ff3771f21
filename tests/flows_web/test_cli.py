"""`manage.py flow_compile`: program or errors, exit status 1 on errors."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from tests.flows_web.helpers import broken_graph, good_graph


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_prints_the_program_of_a_good_flow(tmp_path, capsys):
    call_command("flow_compile", write(tmp_path, "flow.json", good_graph()))
    program = json.loads(capsys.readouterr().out)
    assert program["start"] == "n1" and set(program["nodes"]) == {"n1", "n2", "n3"}


def test_json_output_carries_errors_and_exits_1(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        call_command("flow_compile", write(tmp_path, "flow.json", broken_graph()), "--json")
    assert exit_.value.code == 1
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is False and {"missing_text", "dead_end"} <= {e["code"] for e in result["errors"]}


def test_errors_are_listed_on_stderr(tmp_path, capsys):
    with pytest.raises(SystemExit):
        call_command("flow_compile", write(tmp_path, "flow.json", broken_graph()))
    assert "[missing_text] node=n2" in capsys.readouterr().err


def test_schema_from_a_bundle_catches_unknown_intents(tmp_path, capsys):
    graph = good_graph()
    graph["edges"].append({"id": "e9", "source": "n1", "target": "n3", "condition": {"type": "intent", "intent": "投诉"}})
    flow = write(tmp_path, "flow.json", graph)
    call_command("flow_compile", flow)  # without a schema, the intent counts as defined
    bundle = write(tmp_path, "bot.json", {"format": 1, "bot": {"name": "x"}, "intents": [{"name": "询价"}], "slots": []})
    with pytest.raises(SystemExit):
        call_command("flow_compile", flow, "--schema", bundle, "--json")
    assert "unknown_intent" in capsys.readouterr().out


def test_a_broken_file_is_a_command_error(tmp_path):
    path = tmp_path / "flow.json"
    path.write_bytes(b"{oops")
    with pytest.raises(CommandError, match="JSON"):
        call_command("flow_compile", str(path))
    with pytest.raises(CommandError):
        call_command("flow_compile", str(tmp_path / "missing.json"))
