"""One live call: end-of-speech detection → ASR → NLU + DST → flow runtime → TTS, with per-stage timings.

Core module (plain Python and asyncio, never Django). The Channels consumer owns one `CallPipeline` per socket and
hands it a `CallSink` that sends events and audio to the client and saves turns; a benchmark or a phone gateway can
do the same. Every CPU-heavy step (VAD, ASR, NLU, DST, flow, TTS, resampling) runs in a bounded thread pool shared
by all calls of the process, never on the event loop. Turns are processed one at a time per call (a FIFO lock);
the bot's speech is a task of its own, paced at a little ahead of real time so that a barge-in stops it promptly.

Inputs: `start()`, `user_text(text)`, `audio_frame(frame)` (20 ms of 16 kHz s16le mono), `silence()`, `hangup()`;
a silence timeout (the current listen action's `silence_timeout_ms`, counted from the end of the bot's speech) and
barge-in (speech while the bot talks, when the listen action allows it) are raised by the pipeline itself in voice
mode. Outputs: JSON-able events through `sink.event`, bot audio (16 kHz s16le mono) through `sink.audio`, one
`TurnRecord` per turn through `sink.turn`, and `sink.finished()` once the flow has ended.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from flows import runtime
from nlu import dst, lexicon
from voice.asr import AsrEngine
from voice.audio import float_to_pcm16, pcm16_to_float, resample
from voice.correction import LexiconCorrector
from voice.tts import TtsCache, TtsEngine, split_sentences
from voice.turns import TurnRecord, describe_turn
from voice.vad import FRAME_BYTES, SAMPLE_RATE, EndpointDetector

MAX_TEXT = 500
CHUNK_BYTES = SAMPLE_RATE // 10 * 2  # bot audio is sent in 100 ms pieces
LEAD_S = 0.3  # how far ahead of the client's playback the bot audio may run
PAD_S = 0.2  # audio kept before speech start and after speech end for ASR
EARLY_ASR_S = 0.25  # trailing silence after which the utterance is transcribed ahead of the end-of-speech decision
_POOL: ThreadPoolExecutor | None = None


class CallError(ValueError):
    """Input that does not fit the call's protocol or state; the message is safe to show to the client."""


class CallSink(Protocol):
    async def event(self, message: dict) -> None: ...

    async def audio(self, pcm: bytes) -> None: ...

    async def turn(self, record: TurnRecord, offsets: dict[str, float]) -> None: ...

    async def finished(self) -> None: ...


class Nlu(Protocol):
    def predict(self, text: str, context: str | None = None) -> dict: ...


def shared_pool() -> ThreadPoolExecutor:
    """The process-wide pool for the calls' CPU work (one thread per core, at least two)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="call")
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
    endpoint_ms: int = 500
    max_utterance_ms: int = 15_000  # a caller who never pauses is cut here and answered
    corrector: LexiconCorrector | None = None  # near-homophones of the bot's words in transcripts


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _runtime_value(value: Any) -> Any:
    """The flow runtime takes strings and numbers: a date range becomes an ISO 8601 interval."""
    if isinstance(value, dict):
        return f"{value.get('start', '')}/{value.get('end', '')}"
    return value


class CallPipeline:
    def __init__(self, setup: CallSetup, sink: CallSink, *, voice: bool, executor: Executor | None = None,
                 lead_s: float = LEAD_S) -> None:
        """`lead_s`: how far ahead of the client's playback bot audio may be sent (a benchmark or a gateway that
        buffers may raise it; barge-in can only stop what has not been sent yet)."""
        if voice and (setup.asr is None or setup.tts is None):
            raise ValueError("a voice call needs an ASR and a TTS engine")
        self.setup, self.sink, self.voice, self.lead_s = setup, sink, voice, lead_s
        self.executor = executor or shared_pool()
        self.lock = asyncio.Lock()
        self.tasks: set[asyncio.Task] = set()
        self.speaking: asyncio.Task | None = None
        self.early: tuple | None = None  # (speech end, hot words, future transcript) of the utterance so far
        self.unspoken: tuple | None = None  # the turn of a speech task that has not started yet
        self.silence_timer: asyncio.Task | None = None
        self.state: dict | None = None
        self.dst_state = dst.initial_state()
        self.listen: dict | None = None
        self.last_prompt = ""
        self.index = 0
        self.ended = False
        self.detector: EndpointDetector | None = None
        self.user_pcm = bytearray()
        self.bot_pcm = bytearray()
        self.playback_end = 0.0
        self.utterance_start = 0.0
        self.ignoring = False  # speech that began while the bot talked and barge-in was not allowed

    async def _cpu(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, lambda: fn(*args, **kwargs))

    # --- inputs ---------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the call: the flow runs from its start node to the first listening node."""
        if self.state is not None:
            raise CallError("the call has already started")
        began = time.perf_counter()
        if self.voice:
            self.detector = await self._cpu(EndpointDetector, silence_ms=self.setup.endpoint_ms,
                                            max_speech_ms=self.setup.max_utterance_ms)
        trace: list[str] = []
        after, actions = await self._cpu(runtime.start, self.setup.program, self.setup.seed, trace=trace)
        self.state = after
        record = describe_turn(self.setup.program, 0, None, None, after, actions, trace)
        await self._conclude(record, actions, began, {"flow": _ms(time.perf_counter() - began)}, {})

    async def user_text(self, text: Any) -> None:
        """A typed (or gateway-recognised) user turn."""
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise CallError(f"text must be a non-empty string of at most {MAX_TEXT} characters")
        self._check_open()
        self._cancel_silence_timer()
        self._spawn(self._text_turn, text.strip(), time.perf_counter())

    async def silence(self) -> None:
        """The caller said nothing before the timeout (sent by a text client; voice calls time out by themselves)."""
        self._check_open()
        self._cancel_silence_timer()
        self._spawn(self._event_turn, {"type": "silence"})

    async def hangup(self) -> None:
        self._check_open()
        self._cancel_silence_timer()
        await self._stop_speaking()
        self._spawn(self._event_turn, {"type": "hangup"})

    async def audio_frame(self, frame: Any) -> None:
        """One 20 ms frame of the caller's microphone (voice calls only)."""
        if not self.voice:
            raise CallError("audio frames need a voice call")
        if not isinstance(frame, bytes) or len(frame) != FRAME_BYTES:
            raise CallError(f"an audio frame is {FRAME_BYTES} bytes: 20 ms of 16 kHz 16-bit mono PCM")
        self._check_open()
        self.user_pcm += frame
        event = await self._cpu(self.detector.push, frame)
        if event is None:
            self._transcribe_early()
            return
        if event.kind == "speech_start":
            await self._speech_started(event.time)
        elif self.ignoring:
            self.ignoring = False
        else:
            # The endpointer waited this much audio after the last speech; a live stream waits as long in real time.
            waited = len(self.user_pcm) / 2 / SAMPLE_RATE - event.time
            early, self.early = self.early, None
            await self.sink.event({"type": "vad", "speech": "end"})
            self._spawn(self._audio_turn, self.utterance_start, event.time, _ms(waited),
                        time.perf_counter() - waited, early)

    def _transcribe_early(self) -> None:
        """Once the caller has been quiet for EARLY_ASR_S, transcribe what they said so far while the endpointer is
        still waiting to be sure they have finished: when it decides they have, the words are (nearly) ready. If they
        speak on, the early transcript is dropped and the next pause starts another."""
        detector = self.detector
        if not detector.in_speech or self.ignoring:
            return
        if len(self.user_pcm) / 2 / SAMPLE_RATE - detector.last_speech_end < EARLY_ASR_S:
            return
        hot_words = tuple((self.listen or {}).get("hot_words", ()))
        if self.early is not None and self.early[:2] == (detector.last_speech_end, hot_words):
            return
        audio, _, _ = self._utterance(self.utterance_start, detector.last_speech_end)
        future = asyncio.ensure_future(self._cpu(self._transcribe, audio, hot_words))
        future.add_done_callback(lambda done: done.cancelled() or done.exception())  # a dropped one may fail quietly
        self.early = (detector.last_speech_end, hot_words, future)

    def _utterance(self, start: float, end: float) -> tuple[np.ndarray, int, int]:
        """The caller's audio from `start` to `end` (seconds) with PAD_S around it, and its byte offsets."""
        first = max(0, int((start - PAD_S) * SAMPLE_RATE)) * 2
        last = min(len(self.user_pcm), int((end + PAD_S) * SAMPLE_RATE) * 2)
        return pcm16_to_float(bytes(self.user_pcm[first:last])), first, last

    def _transcribe(self, audio: np.ndarray, hot_words: tuple[str, ...]) -> Any:
        return self.setup.asr.transcribe_utterance(audio, hot_words=hot_words, dialect=self.setup.dialect)

    async def settle(self) -> None:
        """Wait until every input received so far has been processed and the bot's speech has been sent."""
        while self.tasks or (self.speaking and not self.speaking.done()):
            await asyncio.gather(*self.tasks, *([self.speaking] if self.speaking else []), return_exceptions=True)

    async def stop(self) -> None:
        """Abandon the call (the socket went away): cancel everything still running."""
        self.ended = True
        self._cancel_silence_timer()
        for task in [*self.tasks, *([self.speaking] if self.speaking else [])]:
            task.cancel()
        await asyncio.gather(*self.tasks, *([self.speaking] if self.speaking else []), return_exceptions=True)
        await self._save_unspoken()

    # --- turns ----------------------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.state is None:
            raise CallError("start the call first")
        if self.ended:
            raise CallError("the call has ended")

    def _spawn(self, func, *args) -> None:  # noqa: ANN001
        task = asyncio.ensure_future(self._guard(func, *args))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _guard(self, func, *args) -> None:  # noqa: ANN001
        """Run a background step; an error becomes an error event instead of a lost task."""
        try:
            await func(*args)
        except CallError as exc:
            await self.sink.event({"type": "error", "message": str(exc)})
        except Exception as exc:  # noqa: BLE001 — engines raise many kinds; the call must go on
            await self.sink.event({"type": "error", "message": f"{type(exc).__name__}: {exc}"})

    async def _text_turn(self, text: str, began: float) -> None:
        async with self.lock:
            if self.ended:
                return
            await self._interrupt_for_input()
            await self.sink.event({"type": "transcript", "text": text, "source": "text"})
            await self._understand_and_step(text, began, {}, {})

    async def _audio_turn(self, start: float, end: float, vad_ms: int, began: float, early: tuple | None) -> None:
        async with self.lock:
            if self.ended:
                return
            audio, first, last = self._utterance(start, end)
            hot_words = tuple((self.listen or {}).get("hot_words", ()))
            clock = time.perf_counter()
            # "asr" is how long the turn waited for the words after the end of speech (less than a transcription
            # takes when the early one, started during the endpointer's wait, is used).
            if early is not None and early[:2] == (end, hot_words):
                transcript = await early[2]
            else:
                transcript = await self._cpu(self._transcribe, audio, hot_words)
            asr_ms = _ms(time.perf_counter() - clock)
            heard = transcript.text.strip()[:MAX_TEXT]
            text = self.setup.corrector.correct(heard) if self.setup.corrector else heard
            confidences = [s.confidence for s in transcript.segments]
            confidence = round(sum(confidences) / len(confidences), 4) if confidences else None
            await self.sink.event({"type": "transcript", "text": text, "heard": heard, "source": "asr",
                                   "confidence": confidence})
            offsets = {"user_audio_start": round(first / 2 / SAMPLE_RATE, 3),
                       "user_audio_end": round(last / 2 / SAMPLE_RATE, 3)}
            await self._understand_and_step(text, began, {"vad": vad_ms, "asr": asr_ms}, offsets,
                                            asr_confidence=confidence)

    async def _event_turn(self, event: dict) -> None:
        async with self.lock:
            if self.ended:
                return
            began = time.perf_counter()
            if self.speaking is not None:  # a silence counts from the end of the bot's speech
                await asyncio.gather(self.speaking, return_exceptions=True)
            before, trace = self.state, []
            after, actions = await self._cpu(runtime.step, self.setup.program, before, event, trace=trace)
            self.state = after
            self.index += 1
            record = describe_turn(self.setup.program, self.index, event, before, after, actions, trace)
            await self._conclude(record, actions, began, {"flow": _ms(time.perf_counter() - began)}, {})

    async def _understand_and_step(self, text: str, began: float, timings: dict, offsets: dict, *,
                                   asr_confidence: float | None = None) -> None:
        before = self.state
        prediction, tracked, after, actions, trace, nlu_ms, flow_ms = await self._cpu(self._understand, text, before)
        self.dst_state, self.state = tracked, after
        self.index += 1
        top = [[r["intent"], round(r["confidence"], 4)] for r in prediction.get("ranking", [])[:3]]
        await self.sink.event({"type": "nlu", "source": self.setup.nlu_name, "intent": prediction["intent"],
                               "confidence": prediction.get("confidence"), "top": top,
                               "spans": prediction.get("spans", [])})
        event = {"type": "user", "text": text, "intent": prediction["intent"],
                 "confidence": prediction.get("confidence") or 0.0}
        record = describe_turn(self.setup.program, self.index, event, before, after, actions, trace)
        record.asr_confidence, record.top_intents = asr_confidence, top
        await self._conclude(record, actions, began, {**timings, "nlu": nlu_ms, "flow": flow_ms}, offsets)

    def _understand(self, text: str, before: dict) -> tuple:
        """NLU + DST + one flow step (runs in the pool). The bot's last prompt is the NLU's context."""
        clock = time.perf_counter()
        prediction = self._predict(text)
        asked = (self.listen or {}).get("expected_slots", [])
        tracked = dst.update(self.dst_state, {**prediction, "text": text, "asked_slots": asked,
                                              "slot_types": self.setup.slots})
        nlu_ms = _ms(time.perf_counter() - clock)
        clock = time.perf_counter()
        event = {"type": "user", "text": text, "intent": prediction["intent"],
                 "slots": {k: _runtime_value(v) for k, v in dst.slot_values(tracked).items()}}
        if prediction["intent"] is not None:
            event["confidence"] = min(max(float(prediction["confidence"]), 0.0), 1.0)
        trace: list[str] = []
        after, actions = runtime.step(self.setup.program, before, event, trace=trace)
        return prediction, tracked, after, actions, trace, nlu_ms, _ms(time.perf_counter() - clock)

    def _predict(self, text: str) -> dict:
        """The model's intent and spans, completed by the lexicon's spans where the model found none."""
        rules = lexicon.extract(text, list(self.setup.slots.values()))
        if self.setup.nlu is None:
            return {"intent": None, "confidence": None, "ranking": [], "spans": rules}
        prediction = dict(self.setup.nlu.predict(text, self.last_prompt or None))
        spans = list(prediction.get("spans", []))
        spans += [r for r in rules if not any(r["start"] < s["end"] and s["start"] < r["end"] for s in spans)]
        prediction["spans"] = sorted(spans, key=lambda s: s["start"])
        return prediction

    async def _conclude(self, record: TurnRecord, actions: list[dict], began: float, timings: dict,
                        offsets: dict) -> None:
        """Tell the client what the turn did, then speak the bot's text (voice) or save the turn at once (text)."""
        listen = next((a for a in reversed(actions) if a["type"] == "listen"), None)
        self.listen = listen if listen is not None else (None if record.ended else self.listen)
        says = [a["text"] for a in actions if a.get("text") and a["type"] in ("say", "transfer")]
        if says:
            self.last_prompt = says[-1]
        await self.sink.event({"type": "node", "turn": record.index, "event": record.event, "node": record.node,
                               "path": record.path,
                               "listen": self.listen and {k: self.listen[k] for k in (
                                   "barge_in", "silence_timeout_ms", "expected_slots")}})
        await self.sink.event({"type": "state", "turn": record.index, "slots": record.slots,
                               "changed": record.changed_slots, "no_match": record.no_match})
        if record.bot_text:
            await self.sink.event({"type": "say", "turn": record.index, "text": record.bot_text})
        if record.ended:
            self.ended = True
        if self.voice and record.bot_text:
            self.unspoken = (record, began, timings, offsets)
            self.speaking = asyncio.ensure_future(self._guard(self._speak, record, began, timings, offsets))
            return
        await self._finish_turn(record, began, timings, offsets)

    async def _finish_turn(self, record: TurnRecord, began: float, timings: dict, offsets: dict) -> None:
        record.latency_ms = {**timings, "total": _ms(time.perf_counter() - began)}
        await self.sink.event({"type": "latency", "turn": record.index, "stages": timings,
                               "total": record.latency_ms["total"]})
        await self._after_turn(record, offsets, listening=True)

    # --- the bot's speech -----------------------------------------------------------------------------------------

    def _synthesize(self, sentence: str) -> bytes:
        """One sentence as 16 kHz PCM16 (cached on disk when a cache is configured)."""
        if self.setup.tts_cache is not None:
            pcm, rate = self.setup.tts_cache.get_or_synthesize(self.setup.tts, sentence, self.setup.voice)
        else:
            pcm, rate = self.setup.tts.synthesize_sentence(sentence, voice=self.setup.voice, rate=None, pitch=None)
        return float_to_pcm16(resample(pcm16_to_float(pcm), rate, SAMPLE_RATE))

    async def _speak(self, record: TurnRecord, began: float, timings: dict, offsets: dict) -> None:
        """Send the bot's text as audio sentence by sentence (the next one is synthesised while one plays); the turn
        is saved when the speech is over or interrupted, with the share of it that was sent."""
        self.unspoken = None
        offsets = {**offsets, "bot_audio_start": round(len(self.bot_pcm) / 2 / SAMPLE_RATE, 3)}
        sentences = split_sentences(record.bot_text)
        upcoming, spoken = None, False
        try:
            if sentences:
                upcoming = asyncio.ensure_future(self._cpu(self._synthesize, sentences[0]))
            for n in range(len(sentences)):
                clock = time.perf_counter()
                pcm = await upcoming
                if n == 0:
                    timings = {**timings, "tts": _ms(time.perf_counter() - clock)}
                    record.latency_ms = {**timings, "total": _ms(time.perf_counter() - began)}
                    await self.sink.event({"type": "latency", "turn": record.index, "stages": timings,
                                           "total": record.latency_ms["total"]})
                upcoming = (asyncio.ensure_future(self._cpu(self._synthesize, sentences[n + 1]))
                            if n + 1 < len(sentences) else None)
                await self._play(pcm)
            spoken = True
        finally:
            if upcoming is not None:
                upcoming.cancel()
            record.latency_ms = record.latency_ms or {**timings, "total": _ms(time.perf_counter() - began)}
            offsets["bot_audio_end"] = round(len(self.bot_pcm) / 2 / SAMPLE_RATE, 3)
            await asyncio.shield(self._after_turn(record, offsets, listening=spoken))

    async def _save_unspoken(self) -> None:
        """A speech task cancelled before it began never runs its `finally`: save its turn here, as cut short."""
        if self.unspoken is None:
            return
        (record, began, timings, offsets), self.unspoken = self.unspoken, None
        record.latency_ms = {**timings, "total": _ms(time.perf_counter() - began)}
        await self._after_turn(record, offsets, listening=False)

    async def _play(self, pcm: bytes) -> None:
        for at in range(0, len(pcm), CHUNK_BYTES):
            chunk = pcm[at:at + CHUNK_BYTES]
            ahead = self.playback_end - time.perf_counter()
            if ahead > self.lead_s:
                await asyncio.sleep(ahead - self.lead_s)
            await self.sink.audio(chunk)
            self.bot_pcm += chunk
            self.playback_end = max(self.playback_end, time.perf_counter()) + len(chunk) / 2 / SAMPLE_RATE

    async def _after_turn(self, record: TurnRecord, offsets: dict, *, listening: bool) -> None:
        """Save the turn; then end the call, or (voice, unless the speech was cut short) wait for the caller."""
        await self.sink.turn(record, offsets)
        if record.ended:
            await self.sink.event({"type": "end", "outcome": record.outcome, "node": record.end_node,
                                   "completed": record.completed})
            await self.sink.finished()
        elif listening and self.voice and self.listen is not None and not self.ended:
            self._arm_silence_timer()

    async def _stop_speaking(self) -> bool:
        """Cut the bot's speech short; True when it was still talking (its turn is saved as cut)."""
        speaking, self.speaking = self.speaking, None
        if speaking is None or speaking.done():
            return False
        speaking.cancel()
        await asyncio.gather(speaking, return_exceptions=True)
        await self._save_unspoken()
        self.playback_end = 0.0
        await self.sink.event({"type": "stop_audio"})
        return True

    async def _interrupt_for_input(self) -> None:
        """New input while the bot talks: stop it (a barge-in turn) when the node allows, else let it finish."""
        if self.speaking is None or self.speaking.done():
            return
        if not (self.listen or {}).get("barge_in"):
            await asyncio.gather(self.speaking, return_exceptions=True)
            return
        if await self._stop_speaking():
            await self._barge_in_turn()

    async def _barge_in_turn(self) -> None:
        before = self.state
        after, actions = await self._cpu(runtime.step, self.setup.program, before, {"type": "barge_in"})
        self.state = after
        self.index += 1
        record = describe_turn(self.setup.program, self.index, {"type": "barge_in"}, before, after, actions)
        await self.sink.event({"type": "barge_in", "turn": record.index, "node": record.node})
        await self.sink.turn(record, {})

    # --- voice activity -------------------------------------------------------------------------------------------

    async def _speech_started(self, at: float) -> None:
        self._cancel_silence_timer()
        talking = self.speaking is not None and not self.speaking.done()
        if talking and not (self.listen or {}).get("barge_in"):
            self.ignoring = True
            return
        self.utterance_start = at
        await self.sink.event({"type": "vad", "speech": "start"})
        if talking:
            self._spawn(self._barge_in_now)

    async def _barge_in_now(self) -> None:
        async with self.lock:
            if not self.ended and await self._stop_speaking():
                await self._barge_in_turn()

    def _arm_silence_timer(self) -> None:
        self._cancel_silence_timer()
        wait = max(self.playback_end - time.perf_counter(), 0) + self.listen["silence_timeout_ms"] / 1000
        self.silence_timer = asyncio.ensure_future(self._silence_after(wait))

    async def _silence_after(self, wait: float) -> None:
        await asyncio.sleep(wait)
        self.silence_timer = None
        if self.detector is not None and self.detector.in_speech:
            return
        self._spawn(self._event_turn, {"type": "silence"})

    def _cancel_silence_timer(self) -> None:
        if self.silence_timer is not None:
            self.silence_timer.cancel()
            self.silence_timer = None

    def audio_tracks(self) -> tuple[bytes, bytes]:
        """(caller, bot) audio of the call so far: 16 kHz s16le mono, the offsets of the turns point into them."""
        return bytes(self.user_pcm), bytes(self.bot_pcm)
