"""Live call fixtures: the demo flow compiled without Django, a sink that keeps what the pipeline produced, the demo
bot in a database, and a WebSocket client on the consumer."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from flows.compiler import compile_flow
from tests.nlu.conftest import tiny_base, tiny_e5s1, tiny_version  # noqa: F401  (fixtures)
from tests.voice.conftest import espeak, tiny_whisper  # noqa: F401  (fixtures)

DEMO = Path(__file__).resolve().parents[2] / "flows" / "demo"


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run this folder's async tests on a thread of their own: once a Playwright browser (sync API) has started in
    the session, the main thread counts as running an event loop and asyncio refuses to start another there."""
    if pyfuncitem.get_closest_marker("asyncio") is None:  # pytest-asyncio marks (and wraps) every async test
        return None
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    with ThreadPoolExecutor(1) as pool:
        pool.submit(pyfuncitem.obj, **args).result()
    return True


@pytest.fixture(scope="session")
def demo_nlu() -> dict:
    return json.loads((DEMO / "nlu.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_program(demo_nlu) -> dict:
    graph = json.loads((DEMO / "flow.json").read_text(encoding="utf-8"))
    schema = {"intents": [{"name": i["name"], "is_global": i.get("is_global", False)} for i in demo_nlu["intents"]],
              "slots": [{"name": s["name"], "type": s["type"]} for s in demo_nlu["slots"]]}
    result = compile_flow(graph, schema)
    assert result.program is not None, result.errors
    return result.program


@pytest.fixture(scope="session")
def demo_slots(demo_nlu) -> dict[str, dict]:
    return {s["name"]: {"name": s["name"], "type": s["type"], "unit": s.get("unit", ""), "values": s.get("values", [])}
            for s in demo_nlu["slots"]}


class Recorder:
    """A CallSink that keeps everything: events, bot audio, turns (with their audio offsets)."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.sound: list[bytes] = []
        self.turns: list = []
        self.done = False

    async def event(self, message: dict) -> None:
        json.dumps(message)  # every event must be JSON-serialisable
        self.events.append(message)

    async def audio(self, pcm: bytes) -> None:
        self.sound.append(pcm)

    async def turn(self, record, offsets: dict) -> None:  # noqa: ANN001
        self.turns.append((record, offsets))

    async def finished(self) -> None:
        self.done = True

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["type"] == kind]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
