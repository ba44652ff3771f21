"""The speech engines the settings name, loaded once per process: ASR (ASR_MODEL) and TTS (TTS_ENGINE, TTS_MODEL).

Transcription, pre-synthesis, the live call and the commands all take their engines from here.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from voice import asr
from voice.tts import EspeakEngine, TtsCache, TtsEngine, TtsError


def asr_engine(model: str | None = None) -> asr.AsrEngine:
    """Whisper from `model` or ASR_MODEL (prepared in the data folder when unset); the model itself loads once per
    process (cached by `voice.asr`). Raises AsrError."""
    return asr.WhisperEngine(asr.resolve_asr_model(model or settings.ASR_MODEL, settings.DATA_DIR))


def load_tts_engine(kind: str, **options: Any) -> TtsEngine:
    """kind "espeak" (options as EspeakEngine) or "coqui" (model_dir=…). Raises TtsError."""
    if kind == "espeak":
        return EspeakEngine(**options)
    if kind == "coqui":
        from voice.coqui import CoquiEngine  # imports torch: only when configured

        return CoquiEngine(**options)
    raise TtsError(f"unknown TTS engine {kind!r}: expected espeak or coqui")


_tts_engines: dict[tuple[str, str], TtsEngine] = {}


def tts_engine() -> TtsEngine:
    """The configured TTS engine, loaded once per process. Raises TtsError."""
    key = (settings.TTS_ENGINE, settings.TTS_MODEL or "")
    if key not in _tts_engines:
        options = {"model_dir": settings.TTS_MODEL} if settings.TTS_ENGINE == "coqui" else {}
        _tts_engines[key] = load_tts_engine(settings.TTS_ENGINE, **options)
    return _tts_engines[key]


def tts_cache() -> TtsCache:
    """The shared cache of synthesised fixed texts (pre-synthesis fills it, the live call reads it)."""
    return TtsCache(settings.DATA_DIR / "cache" / "tts")
