"""coqui-tts engine: a tiny random VITS saved as a model folder and loaded through CoquiEngine."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from voice.coqui import CoquiEngine, find_checkpoint, install_torchaudio_placeholders
from voice.engines import load_tts_engine
from voice.tts import TtsError

if importlib.util.find_spec("TTS") is None:
    pytest.skip("coqui-tts is not installed", allow_module_level=True)


def test_tiny_vits_synthesises_sentence_by_sentence(tiny_vits):
    engine = CoquiEngine(tiny_vits)
    chunks = list(engine.synthesize("您好，我是销售顾问。请问您需要工业泵吗？"))
    assert [chunk.text for chunk in chunks] == ["您好，我是销售顾问。", "请问您需要工业泵吗？"]
    for chunk in chunks:
        assert chunk.sample_rate == 16_000
        assert len(chunk.pcm) % 2 == 0 and chunk.duration > 0.1


def test_rate_changes_the_length(tiny_vits):
    engine = CoquiEngine(tiny_vits)
    slow, _ = engine.synthesize_sentence("请问您需要工业泵吗", voice=None, rate=0.5, pitch=None)
    fast, _ = engine.synthesize_sentence("请问您需要工业泵吗", voice=None, rate=2.0, pitch=None)
    assert len(fast) < len(slow)
    assert engine.model.length_scale == 1  # restored after each call


def test_model_is_loaded_once_per_process(tiny_vits):
    assert CoquiEngine(tiny_vits).model is load_tts_engine("coqui", model_dir=tiny_vits).model


def test_placeholders_only_stand_in_for_missing_packages():
    install_torchaudio_placeholders()
    torchaudio = sys.modules["torchaudio"]
    if getattr(torchaudio, "__version__", "").endswith("placeholder"):
        with pytest.raises(ImportError, match="not installed"):
            torchaudio.load("x.wav")
    assert install_torchaudio_placeholders() == []  # idempotent


def test_folder_without_config_is_refused(tmp_path):
    (tmp_path / "model.pth").write_bytes(b"")
    with pytest.raises(TtsError, match="config.json"):
        CoquiEngine(tmp_path)


def test_checkpoint_must_be_unambiguous(tmp_path):
    (tmp_path / "a.pth").write_bytes(b"")
    (tmp_path / "b.pth").write_bytes(b"")
    with pytest.raises(TtsError, match="found 2"):
        find_checkpoint(tmp_path)
    (tmp_path / "best_model.pth").write_bytes(b"")
    assert find_checkpoint(tmp_path).name == "best_model.pth"


def test_broken_checkpoint_is_a_permanent_error(tmp_path, tiny_vits):
    (tmp_path / "config.json").write_bytes((tiny_vits / "config.json").read_bytes())
    (tmp_path / "model.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(TtsError) as error:
        CoquiEngine(tmp_path)
    assert error.value.permanent
