"""The caller's side of a live voice call: 20 ms frames in, utterances out, their words transcribed early.

The endpointer (VAD) runs on a small pool of its own, so that frames never queue behind a Whisper decode in the calls'
CPU pool. Once the caller has been quiet for EARLY_ASR_S, what they said so far is transcribed while the endpointer is
still waiting to be sure they have finished: when it decides they have, the words are (nearly) ready. If they speak
on, the early transcript is dropped and the next pause starts another. Plain Python and asyncio, no Django.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from voice.asr import AsrEngine, Transcript
from voice.audio import pcm16_to_float
from voice.correction import LexiconCorrector
from voice.speech import Run
from voice.vad import SAMPLE_RATE, EndpointDetector, VadEvent

MAX_TEXT = 500
PAD_S = 0.2  # audio kept before speech start and after speech end for ASR
EARLY_ASR_S = 0.25  # trailing silence after which the utterance is transcribed ahead of the end-of-speech decision
_VAD_POOL: ThreadPoolExecutor | None = None


def vad_pool() -> ThreadPoolExecutor:
    """The process-wide pool of the endpointers (cheap, frequent work)."""
    global _VAD_POOL
    if _VAD_POOL is None:
        _VAD_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vad")
    return _VAD_POOL


@dataclass
class Utterance:
    """The caller spoke from `start` to `end` (seconds into the call); the endpointer waited `waited_s` after it."""

    start: float
    end: float
    waited_s: float
    early: tuple | None  # the early transcript, if one was started


@dataclass
class Heard:
    text: str  # corrected (near-homophones of the bot's words)
    raw: str  # as transcribed
    confidence: float | None
    span: dict[str, float]  # user_audio_start, user_audio_end (seconds)
    asr_ms: int  # how long the words took after the end of speech (less than a decode when the early one was used)


def words_of(transcript: Transcript, corrector: LexiconCorrector | None) -> tuple[str, str, float | None]:
    """(corrected text, text as transcribed, mean segment confidence): what a call hears in a transcript, the reading
    the bot's words make likeliest when there are several. Live calls and conversation tests' audio turns hear
    alike."""
    raw = transcript.text.strip()[:MAX_TEXT]
    confidences = [s.confidence for s in transcript.segments]
    confidence = round(sum(confidences) / len(confidences), 4) if confidences else None
    if corrector is None:
        return raw, raw, confidence
    if transcript.readings and raw:
        corrected, raw = corrector.choose((text.strip()[:MAX_TEXT], logprob) for text, logprob in transcript.readings)
        return corrected, raw, confidence
    return corrector.correct(raw), raw, confidence


class Endpointing:
    def __init__(self, asr: AsrEngine, dialect: str, *, run: Run, silence_ms: int, max_speech_ms: int,
                 corrector: LexiconCorrector | None = None) -> None:
        self.asr, self.dialect, self.run, self.corrector = asr, dialect, run, corrector
        self.options = {"silence_ms": silence_ms, "max_speech_ms": max_speech_ms}
        self.detector: EndpointDetector | None = None
        self.pcm = bytearray()  # everything the caller said (turn offsets point into it)
        self.start = 0.0  # where the current utterance began, in seconds
        self.ignoring = False  # speech that began while the bot talked and could not be interrupted
        self.early: tuple | None = None  # (speech end, hot words, future transcript) of the utterance so far

    async def open(self) -> None:
        self.detector = await self._vad(EndpointDetector, **self.options)

    def set_silence(self, ms: int) -> None:
        """How long a pause ends the caller's next utterance."""
        self.options["silence_ms"] = ms
        if self.detector is not None:
            self.detector.silence_ms = ms

    @property
    def in_speech(self) -> bool:
        return self.detector is not None and self.detector.in_speech

    def heard_s(self) -> float:
        return len(self.pcm) / 2 / SAMPLE_RATE

    async def push(self, frame: bytes, hot_words: tuple[str, ...], *, bot_talking: bool,
                   may_interrupt: bool) -> str | Utterance | None:
        """Add one frame: "start" when the caller starts speaking, "ignored" when they start while the bot talks and
        may not interrupt (ignored to its end), an `Utterance` when they have finished, else None."""
        self.pcm += frame
        event: VadEvent | None = await self._vad(self.detector.push, frame)
        if event is None:
            self.transcribe_early(hot_words)
            return None
        if event.kind == "speech_start":
            self.ignoring = bot_talking and not may_interrupt
            self.start = self.start if self.ignoring else event.time
            return "ignored" if self.ignoring else "start"
        if self.ignoring:
            self.ignoring = False
            return None
        early, self.early = self.early, None
        return Utterance(self.start, event.time, self.heard_s() - event.time, early)

    def transcribe_early(self, hot_words: tuple[str, ...]) -> None:
        detector = self.detector
        if not detector.in_speech or self.ignoring or self.heard_s() - detector.last_speech_end < EARLY_ASR_S:
            return
        if self.early is not None and self.early[:2] == (detector.last_speech_end, hot_words):
            return
        audio, _ = self.utterance(self.start, detector.last_speech_end)
        future = asyncio.ensure_future(self.run(self.transcribe, audio, hot_words))
        future.add_done_callback(lambda done: done.cancelled() or done.exception())  # a dropped one may fail quietly
        self.early = (detector.last_speech_end, hot_words, future)

    async def words(self, utterance: Utterance, hot_words: tuple[str, ...]) -> Heard:
        """What the caller said: the early transcript when it covered the same audio with the same hot words, else a
        new one."""
        clock, early = time.perf_counter(), utterance.early
        audio, span = self.utterance(utterance.start, utterance.end)
        if early is not None and early[:2] == (utterance.end, hot_words):
            heard = await early[2]
        else:
            heard = await self.run(self.transcribe, audio, hot_words)
        asr_ms = max(0, round((time.perf_counter() - clock) * 1000))
        return Heard(*heard, span, asr_ms)

    def utterance(self, start: float, end: float) -> tuple[np.ndarray, dict[str, float]]:
        """The caller's audio from `start` to `end` (seconds) with PAD_S around it, and where it lies."""
        first = max(0, int((start - PAD_S) * SAMPLE_RATE)) * 2
        last = min(len(self.pcm), int((end + PAD_S) * SAMPLE_RATE) * 2)
        span = {"user_audio_start": round(first / 2 / SAMPLE_RATE, 3), "user_audio_end": round(last / 2 / SAMPLE_RATE, 3)}
        return pcm16_to_float(bytes(self.pcm[first:last])), span

    def transcribe(self, audio: np.ndarray, hot_words: tuple[str, ...]) -> tuple[str, str, float | None]:
        """`words_of` the decoded utterance, in the calls' CPU pool: the correction of five readings stays off the
        event loop."""
        return words_of(self.asr.transcribe_utterance(audio, hot_words=hot_words, dialect=self.dialect),
                        self.corrector)

    async def _vad(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(vad_pool(), lambda: fn(*args, **kwargs))
