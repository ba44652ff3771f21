"""Evaluate an ASR engine on a table of clips (file<TAB>text<TAB>…, header row naming the columns).

Used by the `asr_eval` management command and bench/voice.py. Core module: never imports Django.
"""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from voice.asr import AsrEngine
from voice.audio import ASR_RATE, decode
from voice.cer import edit_distance, normalize

Loader = Callable[[Path], np.ndarray]


def dialect_of(subset: str) -> str:
    """The engine dialect for a subset name: cantonese…, sichuanese…, else mandarin."""
    for dialect in ("cantonese", "sichuanese"):
        if subset.startswith(dialect):
            return dialect
    return "mandarin"


def read_table(tsv_path: str | Path) -> list[dict[str, str]]:
    """Rows of a tab-separated table with a header; `file` and `text` columns are required (ValueError)."""
    with open(tsv_path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    if rows and not {"file", "text"} <= set(rows[0]):
        raise ValueError(f"{tsv_path}: the header must name the columns file and text")
    return rows


def evaluate_tsv(tsv_path: str | Path, engine: AsrEngine, *, hot_words: Iterable[str] = (),
                 load: Loader | None = None, subsets: Iterable[str] | None = None) -> dict[str, Any]:
    """Transcribe every clip of the table and score it.

    Paths in the table are relative to the table. `load` turns a path into 16 kHz mono float32 (default: decode);
    `subsets` keeps only those subsets. Returns n, cer (corpus CER over all clips), cer_by_subset, rtf (processing
    time / audio time), seconds_audio, seconds_processing and items (file, subset, reference, hypothesis, cer).
    Raises ValueError for a malformed table, AudioError / AsrError from loading or transcription.
    """
    root = Path(tsv_path).parent
    load = load or decode
    wanted = set(subsets) if subsets is not None else None
    hot_words = tuple(hot_words)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    items, seconds_audio, seconds_processing = [], 0.0, 0.0
    for row in read_table(tsv_path):
        subset = row.get("subset") or "all"
        if wanted is not None and subset not in wanted:
            continue
        audio = load(root / row["file"])
        started = time.perf_counter()
        hypothesis = engine.transcribe(audio, hot_words=hot_words, dialect=dialect_of(subset)).text
        seconds_processing += time.perf_counter() - started
        seconds_audio += len(audio) / ASR_RATE
        ref, hyp = normalize(row["text"]), normalize(hypothesis)
        edits = edit_distance(ref, hyp)
        totals[subset][0] += edits
        totals[subset][1] += len(ref)
        items.append({"file": row["file"], "subset": subset, "reference": row["text"], "hypothesis": hypothesis,
                      "cer": round(edits / len(ref), 4) if ref else float(bool(hyp))})
    edits_all = sum(edits for edits, _ in totals.values())
    chars_all = sum(chars for _, chars in totals.values())
    return {
        "n": len(items),
        "cer": round(edits_all / chars_all, 4) if chars_all else 0.0,
        "cer_by_subset": {name: round(e / c, 4) if c else 0.0 for name, (e, c) in sorted(totals.items())},
        "rtf": round(seconds_processing / seconds_audio, 4) if seconds_audio else 0.0,
        "seconds_audio": round(seconds_audio, 2),
        "seconds_processing": round(seconds_processing, 2),
        "items": items,
    }
