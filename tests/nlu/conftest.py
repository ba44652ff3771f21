"""Tiny, deterministic NLU fixtures: a synthetic E5S1 file converted through the real code path, and a toy dataset."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from nlu.base_models import VERIFY_SENTENCES

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

TINY = {"hidden": 64, "layers": 2, "heads": 4, "intermediate": 128, "max_positions": 64, "type_vocab": 2,
        "eps": 1e-12}
CHINESE = "我要听的歌工业泵多少钱扬程米五十八台两万元有没有现货是不对请帮转人工客服下周三发能吗好谢再见投诉你"
WORDS = ["多少", "五十", "工业", "现货", "人工", "客服", "谢谢", "再见", "没有"]


def tiny_pieces() -> list[tuple[str, float]]:
    """Special pieces, the metaspace, ASCII characters, the test sentences' characters and a few words."""
    rng = np.random.default_rng(0)
    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), (",", -3.0), (".", -3.1),
              ("\u2581", -3.2), ("?", -4.0)]
    chinese = CHINESE + "".join(c for c in "".join(VERIFY_SENTENCES) if ord(c) > 0x7F)
    singles = [chr(c) for c in range(0x21, 0x7F) if chr(c) not in ",.?"] + list(dict.fromkeys(chinese))
    pieces += [(p, float(-5 - rng.random())) for p in singles]
    pieces += [(w, -6.0) for w in WORDS] + [("\u2581" + w, -6.5) for w in ("a", "hello", "50")]
    return pieces + [("<mask>", 0.0)]


def nfkc_norm_map() -> dict[int, list[int]]:
    """The engine's table for the BMP: NFKC per code point, C0 controls dropped, tab/newline to a space."""
    table = {cp: [] for cp in range(0x20) if cp not in (9, 10, 13)}
    table.update({9: [32], 10: [32], 13: [32], 0x3000: [32]})
    for cp in range(0x80, 0x10000):
        if 0xD800 <= cp < 0xE000 or cp in table:
            continue
        mapped = unicodedata.normalize("NFKC", chr(cp))
        if mapped != chr(cp):
            table[cp] = [ord(c) for c in mapped]
    return table


def tiny_tensors(vocab: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    h, ff = TINY["hidden"], TINY["intermediate"]

    def w(*shape, scale=0.08):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    tensors = {"emb.word": w(vocab, h, scale=0.5), "emb.pos": w(TINY["max_positions"], h, scale=0.1),
               "emb.type": w(2, h, scale=0.1), "emb.ln.w": np.ones(h, np.float32), "emb.ln.b": w(h, scale=0.01)}
    for layer in range(TINY["layers"]):
        p = f"l{layer}."
        for name in ("q", "k", "v", "ao"):
            tensors[p + name + ".w"], tensors[p + name + ".b"] = w(h, h), w(h, scale=0.01)
        tensors[p + "fi.w"], tensors[p + "fi.b"] = w(ff, h), w(ff, scale=0.01)
        tensors[p + "fo.w"], tensors[p + "fo.b"] = w(h, ff), w(h, scale=0.01)
        for ln in ("aln", "oln"):
            tensors[p + ln + ".w"], tensors[p + ln + ".b"] = np.ones(h, np.float32), np.zeros(h, np.float32)
    return tensors


def write_tiny_e5s1(path: Path, seed: int = 0) -> Path:
    from nlu.e5s1 import write_e5s1

    pieces = tiny_pieces()
    write_e5s1(path, config=TINY, pieces=pieces, special={"bos": 0, "eos": 2, "pad": 1, "unk": 3},
               norm_map=nfkc_norm_map(), tensors=tiny_tensors(len(pieces), seed))
    return path


@pytest.fixture(scope="session")
def tiny_e5s1(tmp_path_factory) -> Path:
    return write_tiny_e5s1(tmp_path_factory.mktemp("e5s1") / "tiny-q4.bin")


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory, tiny_e5s1) -> Path:
    """A tiny BERT folder converted from the synthetic E5S1 file (no verification: random weights)."""
    from nlu.base_models import prepare_e5_small

    return prepare_e5_small(tmp_path_factory.mktemp("base") / "tiny", source=tiny_e5s1, verify=False)


def toy_examples() -> list[dict]:
    """A small sales dataset: 4 intents, two slots (one depends on the bot's question)."""
    rows = []
    for i in range(6):
        rows.append({"text": ["工业泵多少钱", "多少钱", "工业泵多少钱啊", "泵多少钱", "请问多少钱", "这个多少钱"][i],
                     "intent": "询价", "spans": [], "context": None})
        rows.append({"text": ["有没有现货", "有现货吗", "现货有没有", "有没有货", "能发货吗", "下周三能发货吗"][i],
                     "intent": "物流查询", "spans": [], "context": None})
        rows.append({"text": ["请帮我转人工", "转人工", "人工客服", "我要人工", "帮我转人工客服", "请转人工"][i],
                     "intent": "要求转人工", "spans": [], "context": None})
    for text in ("五十米", "八十米", "两台", "五台"):
        for context, slot in (("扬程多少米?", "扬程"), ("要几台?", "数量")):
            if ("台" in text) == (slot == "数量"):
                rows.append({"text": text, "intent": "需求确认", "context": context,
                             "spans": [{"slot": slot, "start": 0, "end": len(text), "value": text}]})
                rows.append({"text": "是" + text, "intent": "需求确认", "context": context,
                             "spans": [{"slot": slot, "start": 1, "end": 1 + len(text), "value": text}]})
    return rows


@pytest.fixture
def examples() -> list[dict]:
    return toy_examples()


@pytest.fixture(scope="session")
def tiny_version(tmp_path_factory, tiny_base) -> Path:
    """A model version trained briefly on the toy dataset (both tasks), exported to ONNX int8."""
    from nlu.train import TrainConfig, train

    out = tmp_path_factory.mktemp("versions") / "v1"
    # One thread: the numbers (and the int8 agreement of this barely trained model) must not depend on which tests
    # ran before in the process and set torch's thread count.
    config = TrainConfig(epochs=4, batch_size=8, lora_rank=4, lora_alpha=8, progress_interval_s=0, threads=1)
    train(toy_examples(), tiny_base, out, config)
    return out
