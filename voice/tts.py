"""Text-to-speech behind one interface, synthesised sentence by sentence so playback starts after the first one.

Engines: EspeakEngine (espeak-ng from Debian, always available), BakerVoice (the default Mandarin voice, in
voice/baker.py), CoquiEngine (coqui-tts with a configured local model folder; in voice/coqui.py, imported lazily
because it pulls in torch) and DialectVoices, which sends each dialect to the engine that speaks it. TtsCache keeps synthesised fixed texts
(greetings, prompts) on disk. Core module: never imports Django.

Interface conventions shared by every engine:
- `voice`: engine-specific name (espeak voice such as cmn-latn-pinyin / yue, or a speaker of a multi-speaker model);
  the dialect names mandarin / sichuanese / cantonese are accepted by the espeak engine too. None = engine default.
- `rate`: speed factor, 1.0 = the engine's normal speed (0.5 … 2.0). None = 1.0.
- `pitch`: offset in [-1, 1], 0 = the engine's normal pitch. Engines that cannot change pitch ignore it.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from voice.audio import AudioError, float_to_pcm16, parse_wav, pcm16_to_float, resample, wav_bytes

_SENTENCE = re.compile(r"[^。！？!?；;…\n]+[。！？!?；;…]*")
_CLAUSE = re.compile(r"[^，,、：:]+[，,、：:]*")
_SPEAKABLE = re.compile(r"[\w\u3400-\u9fff]")


class TtsError(Exception):
    """Synthesis failed. `permanent` is False when retrying may help (a timeout), True otherwise."""

    def __init__(self, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class AudioChunk:
    """One synthesised piece: 16-bit little-endian mono PCM at `sample_rate`, and the text it speaks."""

    pcm: bytes
    sample_rate: int
    text: str

    @property
    def duration(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate


def split_sentences(text: str, *, max_chars: int = 40) -> list[str]:
    """Split on Chinese/Western sentence punctuation; sentences over `max_chars` are split again at commas.

    Pieces without anything speakable (only punctuation or spaces) are dropped.
    """
    pieces: list[str] = []
    for sentence in _SENTENCE.findall(text):
        sentence = sentence.strip()
        parts = _CLAUSE.findall(sentence) if len(sentence) > max_chars else [sentence]
        pieces.extend(p.strip() for p in parts if _SPEAKABLE.search(p))
    return pieces


def speech_pieces(text: str) -> list[str]:
    """What a live call synthesises `text` in, one piece at a time: its sentences, the first one cut after its first
    clause ("好的，" | "扬程五十米的泵有现货。"), so that the bot starts talking once a few syllables are synthesised
    rather than a whole sentence. Pre-synthesis caches the same pieces."""
    pieces = split_sentences(text)
    clauses = _CLAUSE.findall(pieces[0]) if pieces else []
    rest = pieces[0][len(clauses[0]):].strip() if clauses else ""
    if _SPEAKABLE.search(clauses[0] if clauses else "") and _SPEAKABLE.search(rest):
        pieces[:1] = [clauses[0].strip(), rest]
    return pieces


class TtsEngine(ABC):
    """One kind of TTS. Subclasses implement `synthesize_sentence`; models are loaded in __init__, once."""

    name = "tts"

    def synthesize(self, text: str, *, voice: str | None = None, rate: float | None = None,
                   pitch: float | None = None) -> Iterator[AudioChunk]:
        """Yield one AudioChunk per sentence of `text`, lazily. Raises TtsError (empty text yields nothing)."""
        for sentence in split_sentences(text):
            pcm, sample_rate = self.synthesize_sentence(sentence, voice=voice, rate=rate, pitch=pitch)
            yield AudioChunk(pcm=pcm, sample_rate=sample_rate, text=sentence)

    @abstractmethod
    def synthesize_sentence(self, text: str, *, voice: str | None, rate: float | None,
                            pitch: float | None) -> tuple[bytes, int]:
        """Synthesise one sentence → (PCM16 mono bytes, sample rate). Raises TtsError."""

    def identity(self, voice: str | None) -> str:
        """A string that changes whenever the same text would sound different (cache key)."""
        return f"{self.name}:{voice or ''}"


class EspeakEngine(TtsEngine):
    """espeak-ng through a subprocess writing WAV to stdout (22.05 kHz).

    Mandarin uses `cmn-latn-pinyin` (plain `cmn` reads tone digits as English numbers); Cantonese uses `yue`.
    espeak-ng has no Sichuanese voice: Mandarin is used.
    """

    name = "espeak"
    VOICES = {"mandarin": "cmn-latn-pinyin", "sichuanese": "cmn-latn-pinyin", "cantonese": "yue",
              "cmn": "cmn-latn-pinyin"}
    BASE_WPM = 175

    def __init__(self, *, binary: str = "espeak-ng", default_voice: str = "cmn-latn-pinyin",
                 timeout: float = 30.0) -> None:
        self.binary = binary
        self.default_voice = self.VOICES.get(default_voice, default_voice)
        self.timeout = timeout

    def voice_name(self, voice: str | None) -> str:
        """The espeak-ng voice for `voice` (dialect name, espeak name, optionally with a +variant)."""
        return self.VOICES.get(voice or "", voice or self.default_voice)

    def check_voice(self, name: str) -> None:
        """espeak-ng silently falls back to English for an unknown voice: refuse it instead (TtsError)."""
        voices = _espeak_voices(self.binary)
        if voices and name.split("+")[0].lower() not in voices:
            raise TtsError(f"espeak-ng has no voice {name!r}")

    def command(self, voice: str | None, rate: float | None, pitch: float | None) -> list[str]:
        """The espeak-ng argument list (text goes to stdin, so no text can be taken for an option)."""
        name = self.voice_name(voice)
        speed = round(self.BASE_WPM * _bounded(rate if rate is not None else 1.0, 0.3, 3.0))
        level = round(50 + 49 * _bounded(pitch if pitch is not None else 0.0, -1.0, 1.0))
        return [self.binary, "-v", name, "-s", str(speed), "-p", str(level), "--stdout"]

    def synthesize_sentence(self, text: str, *, voice: str | None, rate: float | None,
                            pitch: float | None) -> tuple[bytes, int]:
        self.check_voice(self.voice_name(voice))
        try:
            result = subprocess.run(self.command(voice, rate, pitch), input=text.encode("utf-8"),
                                    capture_output=True, timeout=self.timeout, check=False)
        except FileNotFoundError as exc:
            raise TtsError(f"{self.binary} is not installed (Debian package espeak-ng)") from exc
        except subprocess.TimeoutExpired as exc:
            raise TtsError(f"espeak-ng took more than {self.timeout} s", permanent=False) from exc
        stderr = result.stderr.decode("utf-8", "replace").strip()
        if result.returncode != 0 or not result.stdout:
            raise TtsError(f"espeak-ng failed ({result.returncode}): {stderr[-300:]}")
        try:
            return parse_wav(result.stdout)
        except AudioError as exc:
            raise TtsError(f"espeak-ng wrote no usable WAV: {exc}") from exc

    def identity(self, voice: str | None) -> str:
        return f"{self.name}:{self.voice_name(voice)}"


class DialectVoices(TtsEngine):
    """Mandarin and Sichuanese (and no voice named) through `mandarin`, Cantonese through `other`, which also says
    what `mandarin` cannot (a sentence with no Chinese character, a failed synthesis), at `mandarin`'s sample rate,
    so that a text's sentences join into one audio."""

    MANDARIN = (None, "", "mandarin", "sichuanese", "cmn")

    def __init__(self, mandarin: TtsEngine, other: TtsEngine, *, sample_rate: int) -> None:
        self.mandarin, self.other, self.sample_rate = mandarin, other, sample_rate
        self.name = f"{mandarin.name}+{other.name}"

    def synthesize_sentence(self, text: str, *, voice: str | None, rate: float | None,
                            pitch: float | None) -> tuple[bytes, int]:
        if voice in self.MANDARIN:
            try:
                return self.mandarin.synthesize_sentence(text, voice=voice, rate=rate, pitch=pitch)
            except TtsError:
                pass
        pcm, sample_rate = self.other.synthesize_sentence(text, voice=voice or "mandarin", rate=rate, pitch=pitch)
        if voice in self.MANDARIN and sample_rate != self.sample_rate:
            pcm = float_to_pcm16(resample(pcm16_to_float(pcm), sample_rate, self.sample_rate))
            sample_rate = self.sample_rate
        return pcm, sample_rate

    def identity(self, voice: str | None) -> str:
        return (self.mandarin if voice in self.MANDARIN else self.other).identity(voice)


@lru_cache(maxsize=4)
def _espeak_voices(binary: str) -> frozenset[str]:
    """Lower-cased voice names (language column and file name) known to espeak-ng; empty when it cannot be asked."""
    try:
        listing = subprocess.run([binary, "--voices"], capture_output=True, timeout=30, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()  # synthesis will report the real problem
    names = set()
    for line in listing.decode("utf-8", "replace").splitlines()[1:]:
        columns = line.split()
        if len(columns) >= 5:
            names.update((columns[1].lower(), columns[4].rsplit("/", 1)[-1].lower()))
    return frozenset(names)


def _bounded(value: float, low: float, high: float) -> float:
    return min(max(float(value), low), high)


class TtsCache:
    """A directory of WAV files for fixed texts, keyed by sha256(engine identity, voice, text).

    Writes are atomic (temporary file + rename), so concurrent workers never read a half-written file.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def path_for(self, engine: TtsEngine, text: str, voice: str | None) -> Path:
        key = hashlib.sha256(f"{engine.identity(voice)}\n{text}".encode()).hexdigest()
        return self.directory / key[:2] / f"{key}.wav"

    def get_or_synthesize(self, engine: TtsEngine, text: str, voice: str | None = None) -> tuple[bytes, int]:
        """PCM16 mono bytes and sample rate of `text` (whole text, sentences joined). Raises TtsError."""
        path = self.path_for(engine, text, voice)
        if path.is_file():
            try:
                return parse_wav(path.read_bytes())
            except AudioError:
                path.unlink(missing_ok=True)  # a damaged entry is re-synthesised
        chunks = list(engine.synthesize(text, voice=voice))
        if not chunks:
            raise TtsError("nothing to synthesise in an empty text")
        rate = chunks[0].sample_rate
        pcm = b"".join(chunk.pcm for chunk in chunks)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            handle.write(wav_bytes(pcm, rate))
        os.replace(handle.name, path)
        return pcm, rate


@dataclass(frozen=True)
class Presynthesis:
    """What `presynthesize` did: sentences synthesised now, found in the cache already, and failures (text, why)."""

    synthesised: int
    cached: int
    failed: tuple[tuple[str, str], ...]


def fixed_texts(program: dict) -> list[str]:
    """The scripts of a compiled flow program (flows.compiler format 1) that need no slot value: say/transfer/end
    texts, ask/branch prompts and re-prompts without a `{slot}` placeholder, each once, in node order."""
    from flows.graph import TEMPLATE

    texts = []
    for node in (program.get("nodes") or {}).values():
        for key in ("texts", "prompts", "reprompts"):
            texts += [t for t in node.get(key) or [] if isinstance(t, str) and not TEMPLATE.search(t)]
    return list(dict.fromkeys(t for t in texts if t.strip()))


def presynthesize(engine: TtsEngine, cache: TtsCache, texts: list[str], voice: str | None = None) -> Presynthesis:
    """Put every sentence of `texts` into `cache`, keyed as a live call asks for it (sentence by sentence, the same
    engine identity and voice), so that the first words of a call are ready. A sentence that fails is reported and
    the others go on; nothing is raised for TtsError."""
    synthesised = cached = 0
    failed = []
    for sentence in dict.fromkeys(s for text in texts for s in speech_pieces(text)):
        if cache.path_for(engine, sentence, voice).is_file():
            cached += 1
            continue
        try:
            cache.get_or_synthesize(engine, sentence, voice)
        except TtsError as exc:
            failed.append((sentence, str(exc)))
            continue
        synthesised += 1
    return Presynthesis(synthesised, cached, tuple(failed))
