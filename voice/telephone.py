"""Telephone audio on a live call: what a phone gateway sends (8 kHz G.711 μ-law, or 8/16 kHz 16-bit PCM) converted to
the pipeline's 16 kHz 16-bit PCM as frames arrive, and the bot's audio converted back to the caller's format.

The rate conversion is a streaming polyphase FIR (scipy's `firwin` low-pass at 3.8 kHz, filter state kept between
frames), so 20 ms frames join without clicks and a frame costs the same whatever the call's length. μ-law is ITU-T
G.711's segmented code, bit for bit as phone networks and the standard library's `audioop` encode it.
Plain Python and numpy, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import firwin, lfilter

from voice.vad import SAMPLE_RATE

ENCODINGS = ("pcm16", "mulaw")
RATES = (8000, 16000)
FRAME_MS = 20
_TAPS = firwin(64, 3800, fs=SAMPLE_RATE)  # passes the telephone band, stops what 8 kHz cannot carry
_BIAS = 0x84  # G.711's bias on the 16-bit scale (33 on its 14 bits)


class LineFormatError(ValueError):
    """An audio format the call cannot take; the message says what it can."""


@dataclass(frozen=True)
class LineFormat:
    encoding: str = "pcm16"
    rate: int = SAMPLE_RATE

    @classmethod
    def parse(cls, data: object) -> LineFormat:
        """`{"encoding": "mulaw" | "pcm16", "rate": 8000 | 16000}` (both optional) → LineFormat."""
        if data is None:
            return cls()
        if not isinstance(data, dict) or set(data) - {"encoding", "rate"}:
            raise LineFormatError('audio must be {"encoding": "pcm16" or "mulaw", "rate": 8000 or 16000}')
        fmt = cls(data.get("encoding", "pcm16"), data.get("rate", SAMPLE_RATE))
        if fmt.encoding not in ENCODINGS or type(fmt.rate) is not int or fmt.rate not in RATES:
            raise LineFormatError('audio must be {"encoding": "pcm16" or "mulaw", "rate": 8000 or 16000}')
        return fmt

    @property
    def frame_bytes(self) -> int:
        """One 20 ms frame on this line."""
        return self.rate * FRAME_MS // 1000 * (1 if self.encoding == "mulaw" else 2)

    @property
    def is_native(self) -> bool:
        return self.encoding == "pcm16" and self.rate == SAMPLE_RATE

    def describe(self) -> str:
        return f"{FRAME_MS} ms of {self.rate // 1000} kHz " + ("μ-law" if self.encoding == "mulaw" else "16-bit PCM")


def mulaw_encode(samples: np.ndarray) -> bytes:
    """16-bit linear samples → G.711 μ-law bytes (on 14 bits, as G.711 specifies: bias 33, clipped at 8159)."""
    x = np.asarray(samples, dtype=np.int32) >> 2
    mask = np.where(x < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(x), 8159) + 33
    segment = np.floor(np.log2(magnitude)).astype(np.int32) - 5
    code = np.where(segment >= 8, 0x7F, (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F))  # 8: the loudest
    return (code ^ mask).astype(np.uint8).tobytes()


def mulaw_decode(data: bytes) -> np.ndarray:
    """G.711 μ-law bytes → 16-bit linear samples (int16)."""
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    exponent, mantissa = (u >> 4) & 0x07, u & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)


class LineCodec:
    """One call's conversion both ways; each direction keeps its own filter state, so frames must come in order."""

    def __init__(self, fmt: LineFormat) -> None:
        self.format = fmt
        self._up = np.zeros(len(_TAPS) - 1)  # filter state, caller → pipeline
        self._down = np.zeros(len(_TAPS) - 1)  # filter state, bot → caller
        self._sent = 0  # samples of the bot's 16 kHz audio converted so far (which of them are kept at 8 kHz)

    def to_pipeline(self, frame: bytes) -> bytes:
        """A frame in the line's format → 16 kHz 16-bit PCM."""
        fmt = self.format
        if fmt.is_native:
            return frame
        samples = mulaw_decode(frame) if fmt.encoding == "mulaw" else np.frombuffer(frame, dtype="<i2")
        if fmt.rate == SAMPLE_RATE:
            return samples.astype("<i2").tobytes()
        stuffed = np.zeros(len(samples) * 2)
        stuffed[::2] = samples * 2.0  # zero-stuffing halves the level: the filter's gain of 2 restores it
        filtered, self._up = lfilter(_TAPS, 1.0, stuffed, zi=self._up)
        return _to_pcm16(filtered).tobytes()

    def to_line(self, pcm: bytes) -> bytes:
        """The bot's 16 kHz 16-bit PCM → the line's format."""
        fmt = self.format
        if fmt.is_native:
            return pcm
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        if fmt.rate != SAMPLE_RATE:
            filtered, self._down = lfilter(_TAPS, 1.0, samples, zi=self._down)
            samples = filtered[self._sent % 2::2]
            self._sent += len(filtered)
        linear = _to_pcm16(samples)
        return mulaw_encode(linear) if fmt.encoding == "mulaw" else linear.tobytes()


def _to_pcm16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples), -32768, 32767).astype("<i2")
