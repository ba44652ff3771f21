"""Torch models: a shared BERT-like encoder with a LoRA adapter and a small head per task.

`TaskModel` is the encoder (a peft `PeftModel` while training, a plain merged encoder after `merge()`) plus a head:
intent = mean pooling over the attention mask → dropout → linear; slots = dropout → linear per token. Both accept
`input_ids` or `inputs_embeds` (the exported runtime looks word embeddings up itself, so bots can share them).
On disk a task is `adapter/` (peft's `save_pretrained`) and `head.safetensors`.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

INTENT, SLOTS = "intent", "slots"
HEAD_FILE = "head.safetensors"
ADAPTER_DIR = "adapter"


class TaskModel(nn.Module):
    """Encoder + task head. `kind` is INTENT (logits [B, labels]) or SLOTS (logits [B, T, labels])."""

    def __init__(self, encoder: nn.Module, kind: str, num_labels: int, dropout: float = 0.1):
        super().__init__()
        if kind not in (INTENT, SLOTS):
            raise ValueError(f"unknown task kind {kind!r}")
        self.kind = kind
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, num_labels)

    def forward(self, attention_mask: torch.Tensor, token_type_ids: torch.Tensor | None = None,
                input_ids: torch.Tensor | None = None, inputs_embeds: torch.Tensor | None = None) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        if self.kind == SLOTS:
            return self.head(self.dropout(hidden))
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.head(self.dropout(pooled))

    def word_embeddings(self) -> nn.Embedding:
        """The encoder's input embedding table (unchanged by LoRA)."""
        return self.encoder.get_input_embeddings()

    def merge(self) -> TaskModel:
        """Fold the LoRA weights into the encoder in place (no-op for a plain encoder); returns self."""
        if hasattr(self.encoder, "merge_and_unload"):
            self.encoder = self.encoder.merge_and_unload()
        return self


def load_encoder(base_dir: Path) -> nn.Module:
    """The base encoder (`AutoModel`) from a local folder, float32, without a pooler, offline."""
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(base_dir, local_files_only=True)
    kwargs = {"add_pooling_layer": False} if config.model_type in ("bert", "xlm-roberta", "roberta") else {}
    return AutoModel.from_pretrained(base_dir, local_files_only=True, dtype=torch.float32, **kwargs)


def lora_targets(encoder: nn.Module, wanted: tuple[str, ...]) -> list[str]:
    """The module-name suffixes among `wanted` that exist as nn.Linear layers in `encoder`.

    Raises ValueError if none does (an encoder whose linear layers are named differently).
    """
    present = {name.rsplit(".", 1)[-1] for name, module in encoder.named_modules() if isinstance(module, nn.Linear)}
    found = [t for t in wanted if t in present]
    if not found:
        raise ValueError(f"none of the LoRA targets {wanted} is a linear layer of the encoder ({sorted(present)})")
    return found


def new_task_model(base_dir: Path, kind: str, num_labels: int, *, rank: int, alpha: int, dropout: float,
                   targets: tuple[str, ...]) -> TaskModel:
    """Base encoder wrapped with a fresh LoRA adapter (only LoRA and head parameters are trainable)."""
    from peft import LoraConfig, get_peft_model

    encoder = load_encoder(base_dir)
    config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=dropout,
                        target_modules=lora_targets(encoder, targets), bias="none")
    return TaskModel(get_peft_model(encoder, config), kind, num_labels)


def save_task(model: TaskModel, folder: Path) -> None:
    """Write `adapter/` and `head.safetensors` under `folder` (the encoder must still be a PeftModel)."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    model.encoder.save_pretrained(folder / ADAPTER_DIR)
    save_file({k: v.detach().contiguous() for k, v in model.head.state_dict().items()}, folder / HEAD_FILE)


def load_task(base_dir: Path, folder: Path, kind: str) -> TaskModel:
    """Rebuild a saved task model (base encoder + adapter + head), in eval mode, unmerged."""
    from peft import PeftModel
    from safetensors.torch import load_file

    head = load_file(folder / HEAD_FILE)
    encoder = PeftModel.from_pretrained(load_encoder(base_dir), folder / ADAPTER_DIR)
    model = TaskModel(encoder, kind, head["weight"].shape[0])
    model.head.load_state_dict(head)
    return model.eval()


def trainable_state(model: TaskModel) -> dict[str, torch.Tensor]:
    """Copies of the trainable tensors (LoRA + head): what early stopping needs to restore the best epoch."""
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def restore_state(model: TaskModel, state: dict[str, torch.Tensor]) -> None:
    """Load tensors saved by `trainable_state` back into `model`."""
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in state.items():
            params[name].copy_(value)
