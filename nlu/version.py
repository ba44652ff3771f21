"""The on-disk model version: layout, manifest, export and the evaluation of what ships.

    <version>/
      manifest.json            format, labels, slot tags, tasks, metrics, history, config, files + sha256, base model
      tokenizer.json           copy of the base model's tokenizer (the runtime needs nothing else from the base)
      embeddings.npy           float16 word-embedding table shared by both tasks (and by every bot on this base)
      intent/adapter/          peft LoRA adapter (adapter_config.json, adapter_model.safetensors)
      intent/head.safetensors  pooled classifier head
      intent/model.int8.onnx   merged encoder + head, ONNX Runtime dynamic int8 (absent for the torch engine)
      slots/...                the same for the slot tagger (only when the examples have spans)
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from nlu import dataset as ds
from nlu.base_models import model_checksum, sha256_file
from nlu.batching import make_items, pad_id, predict_items
from nlu.evaluate import intent_report, slot_normalizer, slot_report
from nlu.export import EMBEDDINGS_FILE, export_task, write_embeddings
from nlu.modeling import INTENT, SLOTS, save_task

# (loaded runtime, training examples as dicts) → what answers in a call (nlu.understanding.Understanding)
Compose = Callable[[object, list[dict]], object]

FORMAT = "salesstudio-nlu/1"
EVAL_BATCH = 64


def write_version(folder: Path, models: dict, train_set: list[ds.Example], val_set: list[ds.Example],
                  base_dir: Path, config, history: dict, compose: Compose | None = None) -> dict:
    """Save adapters, export merged quantized graphs, evaluate them on `val_set`; write and return the manifest.

    `models[task]` is (TaskModel with its peft encoder, labels, tokenizer).
    """
    from nlu.runtime import MANIFEST

    shutil.copyfile(base_dir / "tokenizer.json", folder / "tokenizer.json")
    write_embeddings(models[INTENT][0], folder / EMBEDDINGS_FILE)
    tasks, reference = {}, {}
    for name, (model, labels, tokenizer) in models.items():
        save_task(model, folder / name)
        model.merge()
        items = make_items(name, val_set, tokenizer, labels)
        reference[name] = (items, _fp32_logits(model, items, tokenizer, config))
        split = config.split_cjk_slots if name == SLOTS else config.split_cjk_intent
        tasks[name] = {**export_task(model, folder / name, engine=config.engine), "split_cjk": split,
                       "adapter": f"{name}/adapter", "head": f"{name}/head.safetensors",
                       "pooling": "mean" if name == INTENT else None}
    manifest = {
        "format": FORMAT, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "intents": models[INTENT][1], "slot_tags": models[SLOTS][1] if SLOTS in models else ["O"],
        "slots": sorted({t[2:] for t in models[SLOTS][1] if t != "O"}) if SLOTS in models else [],
        "tasks": {INTENT: tasks[INTENT], SLOTS: tasks.get(SLOTS)},
        "tokenizer": {"file": "tokenizer.json", "sha256": sha256_file(folder / "tokenizer.json")},
        "pad_id": pad_id(models[INTENT][2]),
        "embeddings": {"file": EMBEDDINGS_FILE, "dtype": "float16", "sha256": sha256_file(folder / EMBEDDINGS_FILE)},
        "base_model": {"path": str(base_dir.resolve()), "checksum": model_checksum(base_dir)},
        "counts": {"train": len(train_set), "validation": len(val_set)},
        "config": asdict(config), "history": history, "metrics": {},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    manifest["metrics"] = evaluate_version(folder, val_set, reference, train_set, compose)
    manifest["files"] = {str(p.relative_to(folder)): sha256_file(p) for p in sorted(folder.rglob("*"))
                         if p.is_file() and p.name != MANIFEST}
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


def _fp32_logits(model, items, tokenizer, config) -> list[np.ndarray]:
    return predict_items(model, items, config.batch_size, pad_id(tokenizer))


def evaluate_version(folder: Path, val_set: list[ds.Example], reference: dict, train_set: list[ds.Example] = (),
                     compose: Compose | None = None) -> dict:
    """Reports on `val_set` of what answers in a call (`compose(runtime, train_set as dicts)`, or the shipped runtime
    alone) plus the runtime's agreement with the fp32 merged models."""
    from nlu.runtime import NluRuntime

    if not val_set:
        return {}
    runtime = NluRuntime(folder)
    predictor = compose(runtime, [as_dict(e) for e in train_set]) if compose else runtime
    calibration = {}
    if compose:  # the blend is fitted to this split (nlu.understanding.calibrate): honest confidences, the share
        from nlu.understanding import calibrate

        calibration = calibrate(predictor, [as_dict(e) for e in val_set])
    predictions = []
    for start in range(0, len(val_set), EVAL_BATCH):
        chunk = val_set[start:start + EVAL_BATCH]
        predictions += predictor.predict_many([e.text for e in chunk], [e.context for e in chunk])
    metrics = {"intent": intent_report([e.intent for e in val_set], [p["intent"] for p in predictions],
                                       labels=runtime.intents, texts=[e.text for e in val_set])}
    if SLOTS in reference:
        gold = [[{"slot": s.slot, "value": e.text[s.start:s.end]} for s in e.spans] for e in val_set]
        typed = slot_normalizer(predictor.slots) if compose else None  # values compare as the slot types read them
        metrics["slots"] = slot_report(gold, [p["spans"] for p in predictions], normalizer=typed)
    metrics["quantized_agreement"] = {name: _agreement(runtime, name, *ref) for name, ref in reference.items()}
    if calibration:
        metrics["calibration"] = calibration
    return metrics


def as_dict(example: ds.Example) -> dict:
    return {"text": example.text, "intent": example.intent, "context": example.context,
            "spans": [{"slot": s.slot, "start": s.start, "end": s.end} for s in example.spans]}


def _agreement(runtime, task: str, items: list, fp32: list[np.ndarray]) -> float:
    """Share of intents (or tagged utterance tokens) where the shipped engine's argmax equals the fp32 model's."""
    from nlu.runtime import pad_batch

    same = total = 0
    for start in range(0, len(items), EVAL_BATCH):
        chunk = items[start:start + EVAL_BATCH]
        logits = runtime.tasks[task].logits(*pad_batch([i.encoded for i in chunk], runtime.pad_id))
        for row, item in enumerate(chunk):
            reference = fp32[start + row]
            if task == INTENT:
                same += int(np.argmax(logits[row]) == np.argmax(reference))
                total += 1
                continue
            keep = [t for t, off in enumerate(item.encoded.offsets) if off is not None]
            same += int(np.sum(logits[row, keep].argmax(-1) == reference[keep].argmax(-1)))
            total += len(keep)
    return same / total if total else 1.0
