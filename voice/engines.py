"""The speech engines the settings name, loaded once per process: ASR (ASR_MODEL) and TTS (TTS_ENGINE, TTS_MODEL).

Transcription, pre-synthesis, the live call and the commands all take their engines from here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from voice import asr
from voice.baker import SAMPLE_RATE, BakerVoice, data_folder_paths, is_prepared
from voice.baker import prepare_baker_voice as prepare
from voice.tts import DialectVoices, EspeakEngine, TtsCache, TtsEngine, TtsError

log = logging.getLogger(__name__)


def asr_engine(model: str | None = None) -> asr.AsrEngine:
    """Whisper from `model` or ASR_MODEL (prepared in the data folder when unset); the model itself loads once per
    process (cached by `voice.asr`). Raises AsrError."""
    return asr.WhisperEngine(asr.resolve_asr_model(model or settings.ASR_MODEL, settings.DATA_DIR))


def load_tts_engine(kind: str, **options: Any) -> TtsEngine:
    """kind "baker" (model_dir=…: the prepared Mandarin voice, with espeak-ng for Cantonese and as the fallback),
    "espeak" (options as EspeakEngine) or "coqui" (model_dir=…). Raises TtsError."""
    if kind == "baker":
        return DialectVoices(BakerVoice(options["model_dir"]), EspeakEngine(), sample_rate=SAMPLE_RATE)
    if kind == "espeak":
        return EspeakEngine(**options)
    if kind == "coqui":
        from voice.coqui import CoquiEngine  # imports torch: only when configured

        return CoquiEngine(**options)
    raise TtsError(f"unknown TTS engine {kind!r}: expected baker, espeak or coqui")


_tts_engines: dict[tuple[str, str], TtsEngine] = {}


def tts_engine() -> TtsEngine:
    """The configured TTS engine, loaded once per process. The Mandarin voice (TTS_ENGINE=baker, the default) not yet
    prepared (`manage.py prepare_models`) leaves espeak-ng speaking, with a warning. Raises TtsError."""
    key = (settings.TTS_ENGINE, settings.TTS_MODEL or "")
    if key not in _tts_engines:
        options = {"model_dir": settings.TTS_MODEL} if settings.TTS_ENGINE == "coqui" else {}
        if settings.TTS_ENGINE == "baker":
            options = {"model_dir": baker_voice_dir()}
            if not is_prepared(options["model_dir"]):
                log.warning("the Mandarin voice is not prepared (manage.py prepare_models): espeak-ng speaks")
                return load_tts_engine("espeak")
        _tts_engines[key] = load_tts_engine(settings.TTS_ENGINE, **options)
    return _tts_engines[key]


def baker_voice_dir() -> Path:
    """Where `prepare_models` puts the Mandarin voice (voice.baker) in the data folder."""
    return data_folder_paths(settings.DATA_DIR)[0]


def prepare_baker_voice(log_line: Callable[[str], None]) -> Path:
    """Prepare the Mandarin voice in the data folder. Raises TtsError."""
    return prepare(*data_folder_paths(settings.DATA_DIR), log=log_line)


def tts_cache() -> TtsCache:
    """The shared cache of synthesised fixed texts (pre-synthesis fills it, the live call reads it)."""
    return TtsCache(settings.DATA_DIR / "cache" / "tts")
