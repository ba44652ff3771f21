"""`manage.py flow_compile FILE.json [--json] [--schema BOT_BUNDLE.json]`: compile a flow file, print the program or
the errors (exit status 1 on errors).

FILE is a flow graph or a whole bot bundle. The bot schema (intents and slots) comes from --schema, else from FILE when
it is a bundle, else it is inferred from the flow itself (every intent and slot it mentions counts as defined).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from flows import conditions
from flows.compiler import SchemaError, compile_flow, parse_schema
from flows.graph import TEMPLATE
from flows.services import FlowDataError, read_flow_file


class Command(BaseCommand):
    help = "Compile a flow JSON file and print the program, or its errors (exit status 1)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="a flow graph or bot bundle (JSON)")
        parser.add_argument("--json", action="store_true", help="print the whole result (program, errors, warnings)")
        parser.add_argument("--schema", help="a bot bundle whose intents and slots the flow is checked against")

    def handle(self, *args: Any, **options: Any) -> None:
        raw = _read(options["file"])
        try:
            graph = read_flow_file(raw)
        except FlowDataError as error:
            raise CommandError(f"{options['file']}: {error.message}") from None
        schema = _schema(options["schema"], raw, graph, self.stderr)
        try:
            result = compile_flow(graph, schema)
        except SchemaError as error:
            raise CommandError(f"schema: {error}") from None
        if options["json"]:
            self.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
        elif result.ok:
            self.stdout.write(json.dumps(result.program, ensure_ascii=False, indent=1))
        for item in result.errors + result.warnings:
            where = " ".join(f"{k}={v}" for k, v in (("node", item.node_id), ("edge", item.edge_id)) if v)
            self.stderr.write(f"{item.severity}: [{item.code}] {where} {item.message_en}")
        if not result.ok:
            sys.exit(1)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror}") from None


def _schema(path: str | None, raw: bytes, graph: dict, stderr) -> Any:
    if path:
        return _bundle_schema(json.loads(_read(path).decode("utf-8-sig")), path)
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except ValueError:
        data = None
    if isinstance(data, dict) and "bot" in data:
        return _bundle_schema(data, "file")
    stderr.write("note: no --schema given; every intent and slot the flow mentions counts as defined")
    return infer_schema(graph)


def _bundle_schema(data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise CommandError(f"{path}: not a bot bundle")
    try:
        return parse_schema({"intents": data.get("intents", []), "slots": data.get("slots", [])})
    except SchemaError as error:
        raise CommandError(f"{path}: {error}") from None


def infer_schema(graph: dict) -> dict:
    """Intents named by intent edges (global when they leave the start node) and slots named anywhere."""
    starts = {node["id"] for node in graph["nodes"] if node["kind"] == "start"}
    intents: dict[str, bool] = {}
    slots: dict[str, str] = {}
    for edge in graph["edges"]:
        condition = edge["condition"]
        if condition["type"] == "intent":
            intents[condition["intent"]] = intents.get(condition["intent"], False) or edge["source"] in starts
        if condition["type"] == "expr":
            try:
                slots.update(dict.fromkeys(sorted(conditions.slot_names(conditions.parse(condition["expr"]))), "text"))
            except conditions.ConditionError:
                pass  # the compiler reports it
    for node in graph["nodes"]:
        slots.update(dict.fromkeys(node.get("slots", []), "text"))
        for name in ("texts", "prompts", "reprompts"):
            for text in node.get(name, []):
                slots.update(dict.fromkeys((m.strip() for m in TEMPLATE.findall(text)), "text"))
    return {"intents": [{"name": n, "is_global": g} for n, g in intents.items()],
            "slots": [{"name": n, "type": t} for n, t in slots.items()]}
