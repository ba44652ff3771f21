"""Examples as model inputs, shared by training and by the version export: encoding with labels, padded batches and
fp32 predictions of a task model."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import torch

from nlu import dataset as ds
from nlu.modeling import INTENT, TaskModel


@dataclass
class Item:
    example: ds.Example
    encoded: ds.Encoded
    label: int | list[int]


def pad_id(tokenizer) -> int:
    """The tokenizer's padding id (<pad> or [PAD], else 0)."""
    for token in ("<pad>", "[PAD]"):
        found = tokenizer.token_to_id(token)
        if found is not None:
            return found
    return 0


def make_items(kind: str, examples: list[ds.Example], tokenizer, labels: list[str]) -> list[Item]:
    """Encode examples and attach the intent id (INTENT) or per-token tag ids (SLOTS)."""
    index = {label: i for i, label in enumerate(labels)}
    items = []
    for example in examples:
        encoded = ds.encode(tokenizer, example.text, example.context)
        if kind == INTENT:
            label: int | list[int] = index[example.intent]
        else:
            label = ds.token_labels(encoded, ds.char_tags(example), index)
        items.append(Item(example, encoded, label))
    return items


def batches(items: list[Item], batch_size: int, pad: int, rng: random.Random | None = None):
    """Yield (indices, tensors) batches with dynamic padding; with `rng`, shuffled and length-bucketed."""
    order = list(range(len(items)))
    if rng is not None:
        rng.shuffle(order)
        chunk = batch_size * 20  # sort within chunks so a batch holds similar lengths but stays random
        order = [i for s in range(0, len(order), chunk)
                 for i in sorted(order[s:s + chunk], key=lambda i: len(items[i].encoded.ids))]
    groups = [order[s:s + batch_size] for s in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(groups)
    for group in groups:
        yield group, collate([items[i] for i in group], pad)


def collate(items: list[Item], pad: int) -> dict[str, torch.Tensor]:
    from nlu.runtime import pad_batch

    ids, mask, types = pad_batch([i.encoded for i in items], pad)
    batch = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask),
             "token_type_ids": torch.from_numpy(types)}
    if isinstance(items[0].label, int):
        batch["labels"] = torch.tensor([i.label for i in items])
    else:
        labels = np.full(ids.shape, ds.IGNORE, dtype=np.int64)
        for row, item in enumerate(items):
            labels[row, :len(item.label)] = item.label
        batch["labels"] = torch.from_numpy(labels)
    return batch


def predict_items(model: TaskModel, items: list[Item], batch_size: int, pad: int) -> list[np.ndarray]:
    """fp32 torch logits per item (intent: [labels]; slots: [tokens, labels] without padding)."""
    model.eval()
    out: list[np.ndarray | None] = [None] * len(items)
    by_length = sorted(range(len(items)), key=lambda i: len(items[i].encoded.ids))
    with torch.inference_mode():
        for s in range(0, len(by_length), batch_size * 2):
            group = by_length[s:s + batch_size * 2]
            batch = collate([items[i] for i in group], pad)
            logits = model(attention_mask=batch["attention_mask"], token_type_ids=batch["token_type_ids"],
                           input_ids=batch["input_ids"]).numpy()
            for row, i in enumerate(group):
                out[i] = logits[row] if logits.ndim == 2 else logits[row, :len(items[i].encoded.ids)]
    return out
