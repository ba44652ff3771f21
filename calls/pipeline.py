"""One live call as a chain of stages: endpointing (`voice.endpointing`: VAD, early ASR) → dialogue (`calls.dialogue`:
NLU, DST, flow) → speech (`voice.speech`: TTS, pacing), wired to a `CallSink` (`calls.call`). Plain Python and asyncio:
the Channels consumer, a benchmark or a phone gateway drive it alike. Inputs: `start()`, `user_text(text)`,
`audio_frame(frame)` (20 ms in the call's line format, `voice.telephone`), `silence()`, `hangup()`; a voice call
raises its own silence timeouts (from the end of the bot's speech) and barge-ins. Turns run one at a time, their CPU
work in a shared pool."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from calls.call import CallError, CallSetup, CallSink, TurnQueue, endpoint_ms, shared_pool
from calls.dialogue import Dialogue, Step
from calls.turns import PendingTurn, speech_script, turn_events
from voice.endpointing import MAX_TEXT, Endpointing, Utterance
from voice.speech import LEAD_S, Speech
from voice.telephone import LineCodec


class CallPipeline:
    def __init__(self, setup: CallSetup, sink: CallSink, *, voice: bool, executor: Executor | None = None,
                 lead_s: float = LEAD_S) -> None:
        """`lead_s`: how far the bot's audio may run ahead of the client's playback (barge-in stops only the rest)."""
        if voice and (setup.asr is None or setup.tts is None):
            raise ValueError("a voice call needs an ASR and a TTS engine")
        self.setup, self.sink, self.voice = setup, sink, voice
        self.executor = executor or shared_pool()
        self.dialogue = Dialogue(setup.program, setup.slots, setup.nlu, setup.seed, variables=setup.variables,
                                 remembered=setup.remembered)
        self.queue = TurnQueue(live=lambda: not self.ended, send=sink.event)
        self.silence_timer: asyncio.TimerHandle | None = None
        self.ended = False
        self.ears = Endpointing(setup.asr, setup.dialect, run=self._cpu, silence_ms=setup.endpoint_ms,
                                max_speech_ms=setup.max_utterance_ms, corrector=setup.corrector) if voice else None
        self.line = LineCodec(setup.line)  # the caller's audio format ↔ 16 kHz PCM
        self.mouth = Speech(setup.tts, setup.tts_cache, setup.voice, run=self._cpu, on_error=self.queue.fail,
                            send=lambda pcm: sink.audio(self.line.to_line(pcm)), lead_s=lead_s) if voice else None

    async def _cpu(self, fn: Callable, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def start(self) -> None:
        """Open the call: the flow runs from its start node to the first listening node."""
        if self.dialogue.state is not None:
            raise CallError("the call has already started")
        began = time.perf_counter()
        if self.ears is not None:
            await self.ears.open()
        await self._conclude(began, await self._cpu(self.dialogue.start))
        self.queue.add(self._cpu, self.dialogue.prepare_knowledge)  # while the greeting plays, before the first words

    async def user_text(self, text: Any) -> None:
        """A typed (or gateway-recognised) user turn."""
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise CallError(f"text must be a non-empty string of at most {MAX_TEXT} characters")
        self._check_open()
        self.queue.add(self._typed_turn, text.strip(), time.perf_counter())

    async def silence(self) -> None:
        """The caller said nothing before the timeout (sent by a text client; voice calls time out by themselves)."""
        self._check_open()
        self.queue.add(self._event_turn, "silence")

    async def hangup(self) -> None:
        self._check_open()
        await self._cut()
        self.queue.add(self._event_turn, "hangup")

    async def audio_frame(self, frame: Any) -> None:
        """One 20 ms frame of the caller's audio in the call's line format (voice calls only)."""
        if not self.voice:
            raise CallError("audio frames need a voice call")
        line = self.setup.line
        if not isinstance(frame, bytes) or len(frame) != line.frame_bytes:
            raise CallError(f"an audio frame is {line.frame_bytes} bytes: {line.describe()} (mono)")
        self._check_open(answering=False)
        heard = await self.ears.push(self.line.to_pipeline(frame), self.dialogue.hot_words(),
                                     bot_talking=self.mouth.talking, may_interrupt=self.dialogue.may_interrupt())
        if heard in ("start", "ignored"):
            self._cancel_silence_timer()
        if heard == "start":  # maybe a barge-in
            await self.sink.event({"type": "vad", "speech": "start"})
            if self.mouth.talking:
                self.queue.add(self._barge_in_turn)
        elif isinstance(heard, Utterance):  # the endpointer waited; a live stream waited as long in real time
            await self.sink.event({"type": "vad", "speech": "end"})
            self.queue.add(self._audio_turn, heard, time.perf_counter() - heard.waited_s)

    async def settle(self) -> None:
        """Wait until every input received so far has been processed and the bot's speech has been sent."""
        while self.queue.tasks or (self.mouth and self.mouth.talking):
            await asyncio.gather(self.queue.drain(), *([self.mouth.wait()] if self.mouth else []))

    async def stop(self) -> None:
        """Abandon the call (the socket went away): cancel everything still running."""
        self.ended = True
        self._cancel_silence_timer()
        await self.queue.cancel()
        if self.mouth:
            await self.mouth.cut()

    def audio_tracks(self) -> tuple[bytes, bytes]:  # (caller, bot) so far, 16 kHz s16le; turn offsets point in
        return (bytes(self.ears.pcm), bytes(self.mouth.pcm)) if self.voice else (b"", b"")

    def _check_open(self, *, answering: bool = True) -> None:
        """Refuse input before the start and after the end; an answer stops the silence timer."""
        if self.dialogue.state is None:
            raise CallError("start the call first")
        if self.ended:
            raise CallError("the call has ended")
        if answering:
            self._cancel_silence_timer()

    async def _typed_turn(self, text: str, began: float) -> None:
        await self._interrupt_for_input()  # a microphone interrupts at the start of speech instead
        await self.sink.event({"type": "transcript", "text": text, "source": "text"})
        await self._conclude(began, await self._cpu(self.dialogue.hear, text))

    async def _audio_turn(self, utterance: Utterance, began: float) -> None:
        heard = await self.ears.words(utterance, self.dialogue.hot_words())
        await self.sink.event({"type": "transcript", "text": heard.text, "heard": heard.raw, "source": "asr",
                               "confidence": heard.confidence})
        step = await self._cpu(self.dialogue.hear, heard.text)
        step.record.asr_confidence = heard.confidence
        await self._conclude(began, step, {"vad": round(utterance.waited_s * 1000), "asr": heard.asr_ms}, heard.span)

    async def _event_turn(self, kind: str) -> None:
        began = time.perf_counter()
        if self.mouth is not None:  # a silence counts from the end of the bot's speech
            await self.mouth.wait()
        await self._conclude(began, await self._cpu(self.dialogue.step, {"type": kind}))

    async def _conclude(self, began: float, step: Step, timings: dict | None = None,
                        offsets: dict | None = None) -> None:
        """Tell the client what the turn did, then speak the bot's text (voice) or save the turn at once (text)."""
        turn = PendingTurn(step.record, began, {**(timings or {}), **step.timings}, dict(offsets or {}))
        if self.ears is not None:  # the next answer's end-of-speech wait, for what the call now asks
            self.ears.set_silence(endpoint_ms(self.dialogue.listen, self.setup.slots, self.setup.endpoint_ms))
        for event in turn_events(turn.record, self.dialogue.listen, step.prediction, self.setup.nlu_name):
            await self.sink.event(event)
        self.ended = self.ended or turn.record.ended
        if self.mouth is not None and (script := speech_script(step.actions)):
            self.mouth.say(script, lambda tts_ms: self._stamp(turn, tts=tts_ms),
                           lambda span, spoken: self._after_turn(turn, span, listening=spoken))
        else:
            await self._stamp(turn)
            await self._after_turn(turn, None, listening=True)

    async def _stamp(self, turn: PendingTurn, **stages: int) -> None:
        if (event := turn.stamp(**stages)) is not None:
            await self.sink.event(event)

    async def _after_turn(self, turn: PendingTurn, span: tuple[float, float] | None, *, listening: bool) -> None:
        """Save the turn; then end the call, or (voice, unless the speech was cut short) wait for the caller."""
        record = turn.record
        turn.stamp()  # cut before its first audio: saved without a latency event
        if span is not None:
            turn.offsets.update(bot_audio_start=span[0], bot_audio_end=span[1])
        await self.sink.turn(record, turn.offsets)
        if record.ended:
            await self.sink.event({"type": "end", "outcome": record.outcome, "node": record.end_node,
                                   "completed": record.completed})
            await self.sink.finished()
        elif listening and self.voice and self.dialogue.listen is not None and not self.ended:
            self._cancel_silence_timer()
            wait = self.mouth.quiet_in() + self.dialogue.listen["silence_timeout_ms"] / 1000
            self.silence_timer = asyncio.get_running_loop().call_later(wait, self._silence)

    async def _cut(self) -> bool:
        """Cut the bot's speech short; True when it was still talking (its turn is saved as cut)."""
        if cut := self.mouth is not None and await self.mouth.cut():
            await self.sink.event({"type": "stop_audio"})
        return cut

    async def _interrupt_for_input(self) -> None:
        """New input while the bot talks: stop it (a barge-in turn) when the node allows, else let it finish."""
        if self.dialogue.may_interrupt():
            await self._barge_in_turn()
        elif self.mouth is not None:
            await self.mouth.wait()

    async def _barge_in_turn(self) -> None:
        if not await self._cut():
            return
        record = (await self._cpu(self.dialogue.step, {"type": "barge_in"})).record
        await self.sink.event({"type": "barge_in", "turn": record.index, "node": record.node})
        await self.sink.turn(record, {})

    def _silence(self) -> None:
        if not self.ears.in_speech:
            self.queue.add(self._event_turn, "silence")

    def _cancel_silence_timer(self) -> None:
        if self.silence_timer is not None:
            self.silence_timer.cancel()
