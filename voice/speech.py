"""The bot's side of a live voice call: text → sentences → speech, sent in paced chunks (plain Python and asyncio).

`Speech.say(script, on_first_audio, on_end)` speaks in a task of its own — a script is texts and pauses (ms of quiet
line, from a wait node) in order —: the next sentence is synthesised while one plays, and chunks are sent at most `lead_s` ahead of the listener's playback, so that `cut()` (a barge-in, a hang-up)
stops the bot promptly. `on_end` is always called once per `say`: when the speech is over, cut short, failed, or
cancelled before it began.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from voice.audio import float_to_pcm16, pcm16_to_float, resample
from voice.tts import TtsCache, TtsEngine, speech_pieces
from voice.vad import SAMPLE_RATE

CHUNK_BYTES = SAMPLE_RATE // 10 * 2  # bot audio is sent in 100 ms pieces
LEAD_S = 0.3  # how far ahead of the listener's playback the bot audio may run

Run = Callable[..., Awaitable[Any]]  # runs a CPU-bound function off the event loop
OnEnd = Callable[[tuple[float, float] | None, bool], Awaitable[None]]  # (bot audio span in s or None, spoken fully)


class Speech:
    def __init__(self, tts: TtsEngine, cache: TtsCache | None, voice: str | None, *, send: Callable[[bytes], Awaitable],
                 run: Run, on_error: Callable[[Exception], Awaitable], lead_s: float = LEAD_S) -> None:
        self.tts, self.cache, self.voice, self.lead_s = tts, cache, voice, lead_s
        self.send, self.run, self.on_error = send, run, on_error
        self.pcm = bytearray()  # everything the bot said, as sent
        self.playback_end = 0.0  # when (perf_counter) the listener will have heard all of it
        self.task: asyncio.Task | None = None
        self.unstarted: OnEnd | None = None  # `on_end` of a speech task that has not begun yet

    @property
    def talking(self) -> bool:
        return self.task is not None and not self.task.done()

    def position(self) -> float:
        """Seconds of bot audio sent so far (turn offsets point into `pcm`)."""
        return round(len(self.pcm) / 2 / SAMPLE_RATE, 3)

    def quiet_in(self) -> float:
        """Seconds until the listener has heard everything sent."""
        return max(self.playback_end - time.perf_counter(), 0.0)

    def say(self, script: list[str | int], on_first_audio: Callable[[int], Awaitable], on_end: OnEnd) -> None:
        """Speak `script` (texts, and pauses in ms); `on_first_audio(tts_ms)` once its first sentence is
        synthesised."""
        self.unstarted = on_end
        self.task = asyncio.ensure_future(self._speak(script, on_first_audio, on_end))

    async def wait(self) -> None:
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)

    async def cut(self) -> bool:
        """Stop speaking now; True when the bot was still talking."""
        task, self.task = self.task, None
        if task is None or task.done():
            return False
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await self.end_unstarted()
        self.playback_end = 0.0
        return True

    async def end_unstarted(self) -> None:
        """A task cancelled before it began never runs its `finally`: report its end here, as not spoken."""
        on_end, self.unstarted = self.unstarted, None
        if on_end is not None:
            await on_end(None, False)

    def synthesize(self, sentence: str) -> bytes:
        """One sentence as 16 kHz PCM16 (cached on disk when a cache is configured)."""
        if self.cache is not None:
            pcm, rate = self.cache.get_or_synthesize(self.tts, sentence, self.voice)
        else:
            pcm, rate = self.tts.synthesize_sentence(sentence, voice=self.voice, rate=None, pitch=None)
        return float_to_pcm16(resample(pcm16_to_float(pcm), rate, SAMPLE_RATE))

    async def _audio(self, piece: str | int) -> bytes:
        """A sentence's speech, or a pause's silence."""
        if isinstance(piece, int):
            return bytes(piece * SAMPLE_RATE // 1000 * 2)
        return await self.run(self.synthesize, piece)

    async def _speak(self, script: list[str | int], on_first_audio: Callable[[int], Awaitable], on_end: OnEnd) -> None:
        self.unstarted = None
        start, upcoming, spoken = self.position(), None, False
        sentences = [piece for part in script for piece in ([part] if isinstance(part, int) else speech_pieces(part))]
        try:
            try:
                if sentences:
                    upcoming = asyncio.ensure_future(self._audio(sentences[0]))
                for n in range(len(sentences)):
                    clock = time.perf_counter()
                    pcm = await upcoming
                    if n == 0:
                        await on_first_audio(max(0, round((time.perf_counter() - clock) * 1000)))
                    upcoming = (asyncio.ensure_future(self._audio(sentences[n + 1]))
                                if n + 1 < len(sentences) else None)
                    await self._play(pcm)
                spoken = True
            finally:
                if upcoming is not None:
                    upcoming.cancel()
                await asyncio.shield(on_end((start, self.position()), spoken))
        except Exception as exc:  # noqa: BLE001 — engines raise many kinds; the call must go on
            await self.on_error(exc)

    async def _play(self, pcm: bytes) -> None:
        for at in range(0, len(pcm), CHUNK_BYTES):
            chunk = pcm[at:at + CHUNK_BYTES]
            ahead = self.playback_end - time.perf_counter()
            if ahead > self.lead_s:
                await asyncio.sleep(ahead - self.lead_s)
            await self.send(chunk)
            self.pcm += chunk
            self.playback_end = max(self.playback_end, time.perf_counter()) + len(chunk) / 2 / SAMPLE_RATE
