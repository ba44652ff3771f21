"""coqui-tts engine for a configured local model folder (config.json + a .pth checkpoint), CPU inference only.

Why the torchaudio shim: coqui-tts 0.28 declares torchaudio only in its `cpu`/`cuda` extras, yet `TTS/__init__.py`
refuses to import unless both `torchaudio` and (on torch ≥ 2.9) `torchcodec` are importable, and `TTS.tts.models.vits`
does `import torchaudio` at module level. PyPI publishes no torchaudio for our torch (2.13, CPU) and its builds are
CUDA-linked (they fail with `libc10_cuda.so` missing). On the VITS inference path torchaudio is never called: it is
used only to load training audio, by the external speaker encoder and by the `encoder_sample_rate` resampler (which
`load_checkpoint(eval=True)` drops). So when the real packages are absent we register two placeholder modules that
satisfy the import and raise a clear ImportError on any use. A real torchaudio/torchcodec, if installed, always wins.

Install (no torchaudio, no torchcodec, torch left alone; coqui-tts' base requirements do not name torch at all):
    pip freeze | grep -i '^torch==' > torch-pin.txt     # torch==2.13.0+cpu
    pip install coqui-tts==0.28.0 -c torch-pin.txt

Models whose text front end downloads data at first use (the `zh_cn_phonemizer` wants a pkuseg model) fail offline;
use a model trained on characters or on espeak phonemes (`phonemizer: "espeak"`, espeak-ng from Debian).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import threading
import types
from pathlib import Path
from typing import Any

import numpy as np

from voice.audio import float_to_pcm16
from voice.tts import TtsEngine, TtsError

CHECKPOINT_NAMES = ("model.pth", "best_model.pth", "model_file.pth", "checkpoint.pth")
_SHIMMED = ("torchaudio", "torchcodec")
_models: dict[str, tuple[Any, threading.Lock]] = {}
_models_lock = threading.Lock()


def _placeholder(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, loader=None)
    module.__version__ = "0+salesstudio.placeholder"
    module.__path__ = []  # a package, so `from torchaudio.functional import x` fails inside __getattr__ below

    def __getattr__(attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise ImportError(f"{name}.{attr} is unavailable: {name} is not installed (no CPU build for this torch on "
                          "PyPI). SalesStudio's coqui engine only runs inference, which does not need it.")

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    return module


def install_torchaudio_placeholders() -> list[str]:
    """Register placeholders for torchaudio/torchcodec where the real package is missing; returns the names shimmed."""
    shimmed = []
    for name in _SHIMMED:
        if name in sys.modules or importlib.util.find_spec(name) is not None:
            continue
        sys.modules[name] = _placeholder(name)
        shimmed.append(name)
    return shimmed


def find_checkpoint(model_dir: Path) -> Path:
    """The checkpoint in `model_dir`: a conventional name first, else the only .pth. Raises TtsError."""
    for name in CHECKPOINT_NAMES:
        if (model_dir / name).is_file():
            return model_dir / name
    candidates = sorted(model_dir.glob("*.pth"))
    if len(candidates) != 1:
        raise TtsError(f"{model_dir}: expected one .pth checkpoint next to config.json, found {len(candidates)}")
    return candidates[0]


def load_coqui_model(model_dir: str | Path) -> tuple[Any, threading.Lock]:
    """Load (once per process and folder) a coqui-tts model for CPU inference. Raises TtsError(permanent=True)."""
    model_dir = Path(model_dir).resolve()
    key = str(model_dir)
    with _models_lock:
        if key not in _models:
            _models[key] = (_load(model_dir), threading.Lock())
        return _models[key]


def _load(model_dir: Path) -> Any:
    if not (model_dir / "config.json").is_file():
        raise TtsError(f"{model_dir}: no config.json (a coqui-tts model folder needs config.json + a .pth file)")
    checkpoint = find_checkpoint(model_dir)
    install_torchaudio_placeholders()
    try:
        from TTS.config import load_config
        from TTS.tts.models import setup_model

        config = load_config(str(model_dir / "config.json"))
        model = setup_model(config)
        model.load_checkpoint(config, str(checkpoint), eval=True)
    except ImportError as exc:
        raise TtsError(f"coqui-tts cannot be imported: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - third-party loading code raises anything (pickle, torch, coqpit)
        raise TtsError(f"cannot load the coqui-tts model in {model_dir}: {exc}") from exc
    return model.cpu()


class CoquiEngine(TtsEngine):
    """coqui-tts (VITS and other end-to-end models) on CPU. `voice` = speaker name of a multi-speaker model.

    `rate` changes the duration predictor's length scale (VITS); `pitch` is not supported and is ignored.
    """

    name = "coqui"

    def __init__(self, model_dir: str | Path) -> None:
        self.model_dir = Path(model_dir).resolve()
        self.model, self.lock = load_coqui_model(self.model_dir)
        self.sample_rate = int(self.model.config.audio["sample_rate"])

    def synthesize_sentence(self, text: str, *, voice: str | None, rate: float | None,
                            pitch: float | None) -> tuple[bytes, int]:
        import torch

        # The model is shared by the process: length_scale is model state, so synthesis is serialised.
        with self.lock, torch.inference_mode():
            default_scale = getattr(self.model, "length_scale", None)
            try:
                if rate and default_scale is not None:
                    self.model.length_scale = default_scale / min(max(rate, 0.3), 3.0)
                outputs = self.model.synthesize(text, speaker=voice)
            except (RuntimeError, ValueError, KeyError, IndexError) as exc:
                raise TtsError(f"coqui-tts synthesis failed: {exc}") from exc
            finally:
                if default_scale is not None:
                    self.model.length_scale = default_scale
        wav = np.asarray(outputs["wav"], dtype=np.float32).reshape(-1)
        return float_to_pcm16(wav), self.sample_rate

    def identity(self, voice: str | None) -> str:
        return f"{self.name}:{self.model_dir}:{voice or ''}"
