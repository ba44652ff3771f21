"""The NLU runtime: load a model version folder once, predict intent + slot spans for one utterance in milliseconds.

`NluRuntime(folder)` reads `manifest.json`, the raw `tokenizers` tokenizer and one engine per task (ONNX Runtime
int8 with one intra-op thread by default; torch dynamic int8 when the version was exported that way).
`get_runtime(folder)` is the process-wide cache, so each version loads once however many bots use it.

Memory sharing between bots: the word-embedding table is the largest single tensor (vocabulary × hidden) and LoRA
never changes it, so it lives outside the ONNX graphs in `embeddings.npy` and is memory-mapped once per distinct
checksum for the whole process (the page cache shares it with other processes too). The merged encoder layers
differ per bot and are not shared: ~22 MB int8 per task per bot.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from nlu.dataset import Encoded, encode, load_tokenizer, tags_to_spans

MANIFEST = "manifest.json"
TOP_K = 5

_EMBEDDINGS: dict[str, np.ndarray] = {}
_TOKENIZERS: dict[tuple[str, bool, int], object] = {}
_RUNTIMES: dict[Path, NluRuntime] = {}
_LOCK = threading.Lock()


class RuntimeLoadError(RuntimeError):
    """The folder is not a complete model version (missing manifest, files or unknown engine)."""


def shared_embeddings(path: Path, checksum: str) -> np.ndarray:
    """The memory-mapped embedding table for `checksum`, loaded at most once per process."""
    with _LOCK:
        table = _EMBEDDINGS.get(checksum)
        if table is None:
            table = _EMBEDDINGS[checksum] = np.load(path, mmap_mode="r")
        return table


def shared_tokenizer(path: Path, checksum: str, *, split_cjk: bool, max_length: int):
    """The raw tokenizer for (`checksum`, options), built at most once per process (a Unigram vocabulary of 30k
    pieces costs several MB per copy; `tokenizers` encodes concurrently from one object)."""
    key = (checksum, split_cjk, max_length)
    with _LOCK:
        tokenizer = _TOKENIZERS.get(key)
        if tokenizer is None:
            tokenizer = _TOKENIZERS[key] = load_tokenizer(path.parent, split_cjk=split_cjk, max_length=max_length)
        return tokenizer


def pad_batch(items: list[Encoded], pad_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Right-pad encodings into (ids, attention_mask, token_type_ids) int64 arrays."""
    width = max(len(e.ids) for e in items)
    ids = np.full((len(items), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(items), width), dtype=np.int64)
    types = np.zeros((len(items), width), dtype=np.int64)
    for row, item in enumerate(items):
        ids[row, :len(item.ids)] = item.ids
        mask[row, :len(item.ids)] = 1
        types[row, :len(item.ids)] = item.type_ids
    return ids, mask, types


class OnnxTask:
    """One exported task graph; `logits(ids, mask, types)` looks embeddings up in the shared table."""

    def __init__(self, path: Path, embeddings: np.ndarray, *, threads: int = 1):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.embeddings = embeddings

    def logits(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        embeds = self.embeddings[ids].astype(np.float32)
        return self.session.run(None, {"inputs_embeds": embeds, "attention_mask": mask, "token_type_ids": types})[0]


class TorchTask:
    """A torch task model (merged, optionally dynamic int8) behind the same `logits` interface."""

    def __init__(self, model, *, threads: int | None = None):
        import torch

        if threads:
            torch.set_num_threads(threads)
        self.model = model.eval()

    def logits(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return self.model(attention_mask=torch.from_numpy(mask), token_type_ids=torch.from_numpy(types),
                              input_ids=torch.from_numpy(ids)).numpy()


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


class NluRuntime:
    """A loaded model version. Thread-safe for concurrent `predict` calls (ONNX Runtime sessions are)."""

    def __init__(self, folder: Path, *, threads: int = 1, engine: str | None = None):
        """Load `folder` eagerly. `engine` overrides the manifest's ("torch-fp32" gives the unquantized peft model,
        for comparisons). Raises RuntimeLoadError when the folder is incomplete."""
        self.folder = Path(folder)
        manifest_path = self.folder / MANIFEST
        if not manifest_path.is_file():
            raise RuntimeLoadError(f"{self.folder} has no {MANIFEST}")
        self.manifest = json.loads(manifest_path.read_text())
        self.intents: list[str] = self.manifest["intents"]
        self.slot_tags: list[str] = self.manifest["slot_tags"]
        self.threads = threads
        self.tasks = {name: self._load_task(name, spec, engine)
                      for name, spec in self.manifest["tasks"].items() if spec}
        max_length = self.manifest["config"]["max_length"]
        meta = self.manifest["tokenizer"]
        self.tokenizers = {name: shared_tokenizer(self.folder / meta["file"], meta["sha256"],
                                                  split_cjk=spec["split_cjk"], max_length=max_length)
                           for name, spec in self.manifest["tasks"].items() if spec}
        self.pad_id = self.manifest["pad_id"]

    def _load_task(self, name: str, spec: dict, engine: str | None):
        chosen = engine or spec["engine"]
        if chosen.startswith("onnx"):
            if not spec.get("file"):
                raise RuntimeLoadError(f"task {name} has no ONNX file")
            meta = self.manifest["embeddings"]
            table = shared_embeddings(self.folder / meta["file"], meta["sha256"])
            return OnnxTask(self.folder / name / spec["file"], table, threads=self.threads)
        if chosen in ("torch-int8", "torch-fp32"):
            return TorchTask(self._torch_model(name, quantized=chosen == "torch-int8"), threads=self.threads)
        raise RuntimeLoadError(f"unknown engine {chosen!r}")

    def _torch_model(self, name: str, *, quantized: bool):
        from nlu.export import torch_int8
        from nlu.modeling import load_task

        base = Path(self.manifest["base_model"]["path"])
        if not base.is_dir():
            raise RuntimeLoadError(f"base model {base} needed by the torch engine is missing")
        model = load_task(base, self.folder / name, name)
        return torch_int8(model.merge()) if quantized else model

    def predict(self, text: str, context: str | None = None, *, slots: bool = True) -> dict:
        """Intent with confidence, the top intents (at least 3 when there are), and slot spans of `text`.

        Returns {"intent", "confidence", "ranking": [{"intent", "confidence"}], "spans": [{"slot", "start", "end",
        "text", "confidence"}]}; offsets index `text`. `slots=False` skips the slot model (spans stay empty).
        """
        return self.predict_many([text], [context], slots=slots)[0]

    def predict_many(self, texts: list[str], contexts: list[str | None] | None = None, *,
                     slots: bool = True) -> list[dict]:
        """`predict` for a batch (one padded forward pass per task)."""
        if not texts:
            return []
        contexts = contexts or [None] * len(texts)
        results = [self._intents(probs) for probs in self._probs("intent", texts, contexts)[0]]
        if slots and "slots" in self.tasks:
            probs, encoded = self._probs("slots", texts, contexts)
            for result, text, row, item in zip(results, texts, probs, encoded, strict=True):
                result["spans"] = self._spans(text, row[:len(item.ids)], item)
        return results

    def _probs(self, task: str, texts: list[str], contexts: list[str | None]) -> tuple[np.ndarray, list[Encoded]]:
        encoded = [encode(self.tokenizers[task], t, c) for t, c in zip(texts, contexts, strict=True)]
        return softmax(self.tasks[task].logits(*pad_batch(encoded, self.pad_id))), encoded

    def _intents(self, probs: np.ndarray) -> dict:
        order = np.argsort(-probs)[:max(TOP_K, 3)]
        ranking = [{"intent": self.intents[i], "confidence": float(probs[i])} for i in order]
        return {"intent": ranking[0]["intent"], "confidence": ranking[0]["confidence"], "ranking": ranking,
                "spans": []}

    def _spans(self, text: str, probs: np.ndarray, item: Encoded) -> list[dict]:
        best = probs.argmax(axis=-1)
        tags = [self.slot_tags[i] for i in best]
        return tags_to_spans(text, item.offsets, tags, [float(p) for p in probs.max(axis=-1)])


def get_runtime(folder: Path, *, threads: int = 1) -> NluRuntime:
    """The process-wide runtime for `folder` (resolved path), loading it on first use."""
    key = Path(folder).resolve()
    with _LOCK:
        runtime = _RUNTIMES.get(key)
    if runtime is None:
        runtime = NluRuntime(key, threads=threads)  # load outside the lock: loading takes a while
        with _LOCK:
            runtime = _RUNTIMES.setdefault(key, runtime)
    return runtime


def evict_runtime(folder: Path) -> None:
    """Drop `folder` from the cache (e.g. after a version is deleted); embeddings stay cached."""
    with _LOCK:
        _RUNTIMES.pop(Path(folder).resolve(), None)
