"""What a live call is given (`CallSetup`), where it reports (`CallSink`), what it refuses (`CallError`), how its
turns queue (`TurnQueue`) and the pool its CPU work runs in (plain Python and asyncio, no Django)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from calls.dialogue import Nlu
from calls.turns import TurnRecord
from voice.asr import AsrEngine, cores
from voice.correction import LexiconCorrector, vocabulary
from voice.telephone import LineFormat
from voice.tts import TtsCache, TtsEngine

_POOL: ThreadPoolExecutor | None = None


class CallError(ValueError):
    """Input that does not fit the call's protocol or state; the message is safe to show to the client."""


class CallSink(Protocol):
    async def event(self, message: dict) -> None: ...

    async def audio(self, pcm: bytes) -> None: ...

    async def turn(self, record: TurnRecord, offsets: dict[str, float]) -> None: ...

    async def finished(self) -> None: ...


def shared_pool() -> ThreadPoolExecutor:
    """The process-wide pool for the calls' CPU work (one thread per core this process may run on, at least two)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=max(2, cores()), thread_name_prefix="call")
    return _POOL


@dataclass
class CallSetup:
    """What a call needs, loaded once by the caller. `nlu` None means no trained model: slots come from the
    lexicon and no intent is recognised. `asr`/`tts` are only needed in voice mode."""

    program: dict
    slots: dict[str, dict]
    nlu: Nlu | None = None
    nlu_name: str = "lexicon"
    asr: AsrEngine | None = None
    tts: TtsEngine | None = None
    tts_cache: TtsCache | None = None
    dialect: str = "mandarin"
    voice: str | None = None
    seed: int = 0
    endpoint_ms: int = 500  # the end-of-speech wait, shorter for short answers and longer for long (endpoint_ms())
    max_utterance_ms: int = 15_000  # a caller who never pauses is cut here and answered
    corrector: LexiconCorrector | None = None  # near-homophones of the bot's words in transcripts
    variables: dict | None = None  # the customer's, when the call is made as one
    remembered: dict | None = None  # {slot: {"value", "date"}} from the customer's earlier calls
    line: LineFormat = field(default_factory=LineFormat)  # the caller's audio: 16 kHz PCM, or what a phone line sends


def program_corrector(slots: dict[str, dict], program: dict) -> LexiconCorrector:
    """Corrects near-homophones in transcripts towards the bot's words: its slot values, synonyms and dialect
    variants, and every node's hot words."""
    hot_words = [w for node in program["nodes"].values() for w in node.get("listen", {}).get("hot_words", [])]
    return LexiconCorrector(vocabulary(slots.values(), hot_words))


SHORT_ANSWERS = {"enum", "number", "quantity", "money"}  # a word or a number: the caller is done sooner
LONG_ANSWERS = {"phone", "text", "datetime"}  # read out in groups or told at length: pauses inside the answer


def endpoint_ms(listen: dict | None, slots: dict[str, dict], base: int) -> int:
    """How long the caller must be silent before their answer counts as finished, for what the node asks: 0.7× `base`
    when it expects only short values, 1.6× when any expected value is a phone number, a date or free text."""
    types = {slots.get(name, {}).get("type", "text") for name in (listen or {}).get("expected_slots", ())}
    if types & LONG_ANSWERS:
        return round(base * 1.6)
    return round(base * 0.7) if types and types <= SHORT_ANSWERS else base


class TurnQueue:
    """A call's steps, each in a task of its own, run one at a time in arrival order (a FIFO lock) while `live()`;
    an error is told to the client (`send`, an error event) instead of being lost with its task."""

    def __init__(self, live: Callable[[], bool], send: Callable[[dict], Awaitable]) -> None:
        self.live, self.send = live, send
        self.lock = asyncio.Lock()
        self.tasks: set[asyncio.Task] = set()

    def add(self, step: Callable[..., Awaitable], *args: Any) -> None:
        task = asyncio.ensure_future(self._run(step, *args))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self) -> None:
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def cancel(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.drain()

    async def fail(self, exc: Exception) -> None:
        """Tell the client: a CallError in its own words, anything else with the exception's type."""
        message = str(exc) if isinstance(exc, CallError) else f"{type(exc).__name__}: {exc}"
        await self.send({"type": "error", "message": message})

    async def _run(self, step: Callable[..., Awaitable], *args: Any) -> None:
        try:
            async with self.lock:
                if self.live():
                    await step(*args)
        except Exception as exc:  # noqa: BLE001 — engines raise many kinds; the call must go on
            await self.fail(exc)
