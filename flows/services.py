"""Flow services: load, check and save the draft (optimistic locking), publish versions, restore, diff, import.

Errors are exceptions carrying what the page shows: `FlowDataError` (a graph or file that does not have the documented
shape), `StaleFlowError` (a save based on an old revision), `PublishError` (compile errors).
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from flows.compiler import CompileResult, compile_flow
from flows.diff import diff_graphs
from flows.graph import (
    GraphError,
    graph_to_json,
    node_to_json,
    parse_graph,
    parse_node,
    parse_settings,
    settings_to_json,
)
from flows.models import Flow, FlowVersion
from flows.signals import flow_published
from nlu import jsonguard
from nlu.forms import json_error
from nlu.jsonguard import UnsafeJson
from nlu.models import knowledge_threshold
from salesstudio.models import Bot

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_JSON_DEPTH = 20
# Characters that have no business in a script or an id: C0/C1 controls (but tab and newlines), bidi overrides and
# isolates (they make text display differently from what is stored), the BOM and non-characters.
_FORBIDDEN = {chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"} | {chr(c) for c in range(0x7F, 0xA0)}
_FORBIDDEN |= set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\ufffe\uffff")


class FlowDataError(ValueError):
    """A graph, node or file that cannot be used; `message` is ready to show (in the active language)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StaleFlowError(Exception):
    """The draft changed since the revision a save was based on; `flow` is the current draft."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(f"flow {flow.pk} is at revision {flow.revision}")
        self.flow = flow


class PublishError(Exception):
    """The draft does not compile, or (`tests_failed`) the bot's conversation tests fail on it; `errors` are the
    diagnostics (dicts with message_en/message_zh), `message` a summary."""

    def __init__(self, message: str, errors: list[dict], *, tests_failed: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.tests_failed = tests_failed


def default_graph() -> dict:
    return {"format": 1, "settings": {"confidence_threshold": 0.5, "max_retries": 2, "silence_timeout_ms": 5000},
            "nodes": [{"id": "n1", "kind": "start", "title": _("Start"), "position": {"x": 200, "y": 100}}],
            "edges": []}


def get_flow(bot: Bot) -> Flow:
    """The bot's draft flow, created with a lone start node on first use."""
    flow, _created = Flow.objects.get_or_create(bot=bot, defaults={"graph": default_graph()})
    return flow


def draft_graph(flow: Flow) -> dict:
    """The stored draft, or a fresh one when nothing was ever drawn (a bundle without a flow stores `{}`)."""
    return flow.graph if flow.graph else default_graph()


def bot_schema(bot: Bot) -> dict:
    """The compiler's view of the bot: its intents and slots, in definition order, and its knowledge base."""
    schema = {
        "intents": [{"name": i.name, "is_global": i.is_global, "reply": i.reply} for i in bot.intents.order_by("id")],
        "slots": [{"name": s.name, "type": s.type} for s in bot.slots.order_by("id")],
    }
    entries = [e.as_entry().to_json() for e in bot.knowledge.order_by("id")]
    if entries:
        schema["knowledge"] = {"threshold": knowledge_threshold(bot), "entries": entries}
    return schema


def graph_error_message(error: GraphError) -> str:
    text = error.message_zh if (get_language() or "").startswith("zh") else error.message_en
    return f"{error.path}: {text}" if error.path else text


def check_graph(data: Any) -> dict:
    """The canonical JSON of `data`. Raises FlowDataError on a wrong shape or forbidden characters."""
    _check_text(data, "")
    try:
        return graph_to_json(parse_graph(data))
    except GraphError as error:
        raise FlowDataError(graph_error_message(error)) from None


def check_node(data: Any) -> dict:
    """The canonical JSON of one node. Raises FlowDataError."""
    _check_text(data, "node")
    try:
        return node_to_json(parse_node(data, "node"))
    except GraphError as error:
        raise FlowDataError(graph_error_message(error)) from None


def check_settings(data: Any) -> dict:
    """The canonical JSON of the flow settings. Raises FlowDataError."""
    try:
        return settings_to_json(parse_settings(data))
    except GraphError as error:
        raise FlowDataError(graph_error_message(error)) from None


def _check_text(value: Any, path: str, depth: int = 0) -> None:
    if depth > MAX_JSON_DEPTH:
        raise FlowDataError(_("%(path)s: nested too deeply.") % {"path": path or "/"})
    if isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, path, depth + 1)
            _check_text(item, f"{path}.{key}" if path else str(key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, f"{path}[{index}]", depth + 1)
    elif isinstance(value, str):
        bad = next((c for c in value if c in _FORBIDDEN or unicodedata.category(c) == "Cs"), None)
        if bad is not None:
            raise FlowDataError(_("%(path)s: contains the invisible or invalid character U+%(code)04X.")
                                % {"path": path or "/", "code": ord(bad)})


def read_flow_file(raw: bytes) -> dict:
    """Parse an uploaded flow file (a graph, or a bot bundle holding one) into a canonical graph.
    Raises FlowDataError on anything else: too large, not UTF-8, not JSON, wrong structure, odd characters."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise FlowDataError(_("The file is larger than %(n)d MB.") % {"n": MAX_IMPORT_BYTES // (1024 * 1024)})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FlowDataError(_("The file is not UTF-8 text.")) from None
    try:
        data = jsonguard.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except UnsafeJson as error:  # the parser's English detail stays out of the page
        raise FlowDataError(json_error(error, file=True)) from None
    except ValueError as error:
        raise FlowDataError(_("The file is not valid JSON: %(e)s") % {"e": error}) from None
    if isinstance(data, dict) and isinstance(data.get("flow"), dict) and "bot" in data:
        data = data["flow"]  # a whole bot bundle: take its flow
    if not isinstance(data, dict) or "nodes" not in data:
        raise FlowDataError(_("This is not a SalesStudio flow file (no \"nodes\")."))
    return check_graph(data)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    data = dict(pairs)
    if len(data) != len(pairs):
        raise ValueError(_("a key is repeated in an object"))
    return data


def _no_constant(name: str) -> None:
    raise ValueError(_("%(name)s is not a number JSON allows") % {"name": name})


def validate_graph(bot: Bot, graph: dict) -> CompileResult:
    """Compile a canonical graph against the bot; the result's errors and warnings are what the editor lists."""
    return compile_flow(graph, bot_schema(bot))


@transaction.atomic
def do_save_flow(flow: Flow, data: Any, base_revision: int, user: AbstractBaseUser | None) -> Flow:
    """Store `data` as the draft if it is still at `base_revision`; returns the flow at its new revision.
    Raises FlowDataError on a malformed graph and StaleFlowError (nothing written) when someone saved in between."""
    graph = check_graph(data)
    updated = Flow.objects.filter(pk=flow.pk, revision=base_revision).update(
        graph=graph, revision=F("revision") + 1, updated_by=user, updated_at=timezone.now())
    flow.refresh_from_db()
    if not updated:
        raise StaleFlowError(flow)
    return flow


def _diagnostics(result: CompileResult) -> list[dict]:
    return [item.to_dict() for item in result.errors]


@transaction.atomic
def do_publish(flow: Flow, user: AbstractBaseUser | None, note: str = "", *, force: bool = False) -> FlowVersion:
    """Compile the saved draft and store it as the next immutable FlowVersion, once the bot's conversation tests pass
    on it (`settings.PUBLISH_GATE`, a dotted path: (bot, program) → failure diagnostics). Raises PublishError
    (carrying the compile errors) when the draft is malformed or does not compile, and (tests_failed) when tests fail
    and the publish is not `force`d with a note, which the version keeps."""
    flow = Flow.objects.select_for_update().select_related("bot").get(pk=flow.pk)
    try:
        graph = check_graph(draft_graph(flow))
    except FlowDataError as error:
        raise PublishError(error.message, []) from None
    result = validate_graph(flow.bot, graph)
    if not result.ok:
        message = _("The flow has %(n)d error(s); fix them before publishing.") % {"n": len(result.errors)}
        raise PublishError(message, _diagnostics(result))
    failures = import_string(settings.PUBLISH_GATE)(flow.bot, result.program) if settings.PUBLISH_GATE else []
    if failures and not (force and note.strip()):
        message = (_("Give a note to publish with failing tests.") if force else
                   _("%(n)d conversation test(s) fail on this draft.") % {"n": len(failures)})
        raise PublishError(message, failures, tests_failed=True)
    if failures:
        note = _("Published with %(n)d failing test(s): %(note)s") % {"n": len(failures), "note": note.strip()}
    number = (flow.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = FlowVersion.objects.create(flow=flow, number=number, graph=graph, program=result.program,
                                         checksum=result.program["checksum"], author=user, note=note.strip()[:200])
    # receivers (voice pre-synthesises the scripts) run after the commit; a broker hiccup must not fail the publish
    transaction.on_commit(lambda: flow_published.send(FlowVersion, version=version), robust=True)
    return version


@transaction.atomic
def do_restore_version(version: FlowVersion, user: AbstractBaseUser | None) -> FlowVersion:
    """Make an old version's graph the draft again and publish it as a new version (all or nothing).
    Raises PublishError when the old graph no longer compiles against the bot (e.g. an intent was deleted)."""
    flow = Flow.objects.select_for_update().get(pk=version.flow_id)
    Flow.objects.filter(pk=flow.pk).update(graph=version.graph, revision=F("revision") + 1, updated_by=user,
                                           updated_at=timezone.now())
    # going back to a version that was published before: the tests written since do not hold it back
    return do_publish(flow, user, _("Restored from v%(n)d") % {"n": version.number}, force=True)


@transaction.atomic
def do_import_flow(flow: Flow, raw: bytes, user: AbstractBaseUser | None) -> Flow:
    """Replace the draft with an uploaded flow file. Raises FlowDataError and then changes nothing."""
    graph = read_flow_file(raw)
    Flow.objects.filter(pk=flow.pk).update(graph=graph, revision=F("revision") + 1, updated_by=user,
                                           updated_at=timezone.now())
    flow.refresh_from_db()
    return flow


def export_flow(flow: Flow) -> bytes:
    return json.dumps(draft_graph(flow), ensure_ascii=False, indent=1).encode()


def diff_versions(before: FlowVersion, after: FlowVersion) -> dict:
    """The semantic changes from `before` to `after`, plus what the read-only canvas draws: `after`'s graph with the
    removed nodes and edges put back, and a status (added, removed, changed) per node and edge id."""
    changes = diff_graphs(before.graph, after.graph)
    status: dict[str, dict[str, str]] = {"node": {}, "edge": {}, "setting": {}}
    for change in changes:
        status[change["what"]].setdefault(change["id"], change["op"])
    merged = {**after.graph, "nodes": list(after.graph["nodes"]), "edges": list(after.graph["edges"])}
    merged["nodes"] += [n for n in before.graph["nodes"] if status["node"].get(n["id"]) == "removed"]
    merged["edges"] += [e for e in before.graph["edges"] if status["edge"].get(e["id"]) == "removed"]
    return {"changes": changes, "graph": merged, "node_status": status["node"], "edge_status": status["edge"]}
