"""Streaming end-of-speech detection with Silero VAD (the ONNX model shipped inside faster-whisper).

The live call pipeline pushes 20 ms frames of 16 kHz mono PCM16 (640 bytes) into an EndpointDetector and gets
`speech_start` / `speech_end` events back. Silero scores windows of 512 samples (32 ms) with 64 samples of left
context and a recurrent state, so frames are buffered until a window is complete. One ONNX session is shared by
every detector in the process (onnxruntime sessions are thread-safe); each detector owns its recurrent state.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from voice.audio import pcm16_to_float

SAMPLE_RATE = 16_000
FRAME_MS = 20
FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000 * 2
WINDOW = 512
CONTEXT = 64
WINDOW_MS = WINDOW * 1000 / SAMPLE_RATE


class VadError(Exception):
    """The VAD model cannot be loaded (missing file or onnxruntime); always permanent for the process."""

    permanent = True


def silero_model_path() -> Path:
    """Path of faster-whisper's bundled silero_vad_v6.onnx, found without importing faster-whisper."""
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or not spec.submodule_search_locations:
        raise VadError("faster-whisper is not installed: it ships the Silero VAD model")
    path = Path(next(iter(spec.submodule_search_locations))) / "assets" / "silero_vad_v6.onnx"
    if not path.is_file():
        raise VadError(f"Silero VAD model not found at {path}")
    return path


@lru_cache(maxsize=1)
def _session():
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1
    options.log_severity_level = 4
    return onnxruntime.InferenceSession(str(silero_model_path()), providers=["CPUExecutionProvider"],
                                        sess_options=options)


@dataclass(frozen=True)
class VadEvent:
    """`kind` is speech_start or speech_end; `time` is where it happened, in seconds since the stream (re)started.

    For speech_end, `time` is the end of the last speech window; the event is emitted `silence_ms` later.
    """

    kind: str
    time: float


class SileroStream:
    """Speech probability per 512-sample window of a continuous 16 kHz float stream."""

    def __init__(self) -> None:
        self.session = _session()
        self.reset()

    def reset(self) -> None:
        self.state_h = np.zeros((1, 1, 128), dtype=np.float32)
        self.state_c = np.zeros((1, 1, 128), dtype=np.float32)
        self.context = np.zeros(CONTEXT, dtype=np.float32)

    def __call__(self, window: np.ndarray) -> float:
        """Probability that `window` (exactly 512 float32 samples) is speech."""
        batch = np.concatenate([self.context, window])[None, :].astype(np.float32)
        prob, self.state_h, self.state_c = self.session.run(
            None, {"input": batch, "h": self.state_h, "c": self.state_c})
        self.context = window[-CONTEXT:]
        return float(np.asarray(prob).reshape(-1)[0])


class EndpointDetector:
    """Turns 20 ms PCM16 frames into speech_start / speech_end events.

    speech_start: `min_speech_ms` of speech (probability ≥ `threshold`) without a silence in between.
    speech_end: after speech started, `silence_ms` of windows below `threshold - 0.15` (Silero's hysteresis), or
    `max_speech_ms` after the speech started even if the caller never pauses (then the utterance is cut there and
    speech that goes on starts the next one).
    Raises ValueError for a frame that is not 640 bytes, VadError if the model cannot be loaded.
    """

    def __init__(self, *, silence_ms: int = 600, threshold: float = 0.5, min_speech_ms: int = 90,
                 max_speech_ms: int = 15_000) -> None:
        if silence_ms <= 0 or max_speech_ms <= 0 or not 0.0 < threshold < 1.0:
            raise ValueError("silence_ms and max_speech_ms must be > 0 and threshold in (0, 1)")
        self.silence_ms = silence_ms
        self.max_speech_ms = max_speech_ms
        self.threshold = threshold
        self.neg_threshold = max(threshold - 0.15, 0.01)
        self.min_speech_ms = min_speech_ms
        self.model = SileroStream()
        self.reset()

    def reset(self) -> None:
        """Forget everything: new utterance clock at 0, recurrent state cleared."""
        self.model.reset()
        self.pending = np.zeros(0, dtype=np.float32)
        self.windows = 0
        self.in_speech = False
        self.candidate: float | None = None
        self.last_speech_end = 0.0
        self.last_probability = 0.0

    def push(self, frame: bytes) -> VadEvent | None:
        """Feed one 20 ms frame; return an event when one happened in it, else None."""
        if len(frame) != FRAME_BYTES:
            raise ValueError(f"expected a 20 ms frame of {FRAME_BYTES} bytes (16 kHz PCM16 mono), got {len(frame)}")
        self.pending = np.concatenate([self.pending, pcm16_to_float(frame)])
        if len(self.pending) < WINDOW:
            return None
        window, self.pending = self.pending[:WINDOW], self.pending[WINDOW:]
        start = self.windows * WINDOW_MS / 1000
        self.windows += 1
        self.last_probability = self.model(window)
        return self._step(start, start + WINDOW_MS / 1000, self.last_probability)

    def _step(self, start: float, end: float, prob: float) -> VadEvent | None:
        if self.in_speech and (end - self.candidate) * 1000 >= self.max_speech_ms:
            self.in_speech, self.candidate = False, None
            self.last_speech_end = end
            return VadEvent("speech_end", end)
        if prob >= self.threshold:
            self.last_speech_end = end
            if self.in_speech:
                return None
            self.candidate = start if self.candidate is None else self.candidate
            if (end - self.candidate) * 1000 >= self.min_speech_ms:
                self.in_speech = True
                return VadEvent("speech_start", self.candidate)
            return None
        if not self.in_speech:
            if prob < self.neg_threshold:
                self.candidate = None
            return None
        if prob < self.neg_threshold and (end - self.last_speech_end) * 1000 >= self.silence_ms:
            self.in_speech, self.candidate = False, None
            return VadEvent("speech_end", self.last_speech_end)
        return None
