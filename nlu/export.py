"""Export a merged task model to the quantized runtime format.

The exported graph starts after the word-embedding lookup: inputs `inputs_embeds` [B, T, H] float32,
`attention_mask` and `token_type_ids` [B, T] int64; output `logits`. LoRA never touches the word embeddings, so
every model version trained on one base carries the same table (`embeddings.npy`, float16) and the runtime keeps
one memory-mapped copy per distinct table for all bots (see `nlu.runtime`).

Engines: "onnx-int8" (ONNX Runtime dynamic int8 weights, preferred), "onnx-fp32", and "torch-int8" (the fallback
when ONNX export or quantization fails: torch dynamic int8 of the merged model, rebuilt from the adapters at load).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from nlu.modeling import TaskModel

log = logging.getLogger(__name__)

ONNX_FP32, ONNX_INT8, TORCH_INT8 = "onnx-fp32", "onnx-int8", "torch-int8"
INPUT_NAMES = ("inputs_embeds", "attention_mask", "token_type_ids")
EMBEDDINGS_FILE = "embeddings.npy"
INT8_FILE = "model.int8.onnx"


class ExportError(RuntimeError):
    """The model could not be exported in the requested format."""


class _EmbedsGraph(torch.nn.Module):
    def __init__(self, model: TaskModel):
        super().__init__()
        self.model = model

    def forward(self, inputs_embeds, attention_mask, token_type_ids):
        return self.model(attention_mask=attention_mask, token_type_ids=token_type_ids, inputs_embeds=inputs_embeds)


def write_embeddings(model: TaskModel, path: Path) -> None:
    """Save the encoder's word-embedding table as a float16 `.npy` (memory-mappable)."""
    table = model.word_embeddings().weight.detach().to(torch.float16).numpy()
    np.save(path, table)


def export_onnx(model: TaskModel, path: Path, *, opset: int = 17) -> None:
    """Trace the merged `model` (eval mode, eager attention) into an fp32 ONNX file with dynamic batch and length.

    Raises ExportError when tracing fails. The model is left in eval mode.
    """
    model.eval()
    if hasattr(model.encoder, "set_attn_implementation"):
        model.encoder.set_attn_implementation("eager")  # sdpa's mask shortcuts are traced as constants
    hidden = model.word_embeddings().weight.shape[1]
    embeds = torch.randn(2, 7, hidden)
    mask = torch.ones(2, 7, dtype=torch.long)
    mask[1, 5:] = 0
    types = torch.zeros(2, 7, dtype=torch.long)
    dynamic = {name: {0: "batch", 1: "tokens"} for name in INPUT_NAMES}
    dynamic["logits"] = {0: "batch", 1: "tokens"} if model.kind == "slots" else {0: "batch"}
    graph = _EmbedsGraph(model).eval()  # export restores the wrapper's mode recursively: keep it in eval
    try:
        with torch.no_grad():
            torch.onnx.export(graph, (embeds, mask, types), str(path), dynamo=False, input_names=list(INPUT_NAMES),
                              output_names=["logits"], dynamic_axes=dynamic, opset_version=opset)
    except Exception as exc:  # the exporter raises many unrelated types
        raise ExportError(f"ONNX export failed: {exc}") from exc
    finally:
        model.eval()


def fuse_onnx(src: Path, dest: Path, *, heads: int, hidden: int) -> bool:
    """ONNX Runtime's transformer fusions (Attention, SkipLayerNormalization, BiasGelu) for a BERT graph.

    Returns False (and writes nothing) when the optimizer fails or fuses no attention, e.g. for other encoders.
    """
    from onnxruntime.transformers.optimizer import optimize_model

    try:
        optimized = optimize_model(str(src), model_type="bert", num_heads=heads, hidden_size=hidden)
        if not optimized.get_fused_operator_statistics().get("Attention"):
            return False
        optimized.save_model_to_file(str(dest))
    except Exception:  # optional speed-up: any failure keeps the unfused graph
        log.exception("transformer fusion failed; keeping the unfused graph")
        return False
    return True


def quantize_onnx(src: Path, dest: Path) -> None:
    """ONNX Runtime dynamic quantization (int8 weights, MatMul/Gemm/Attention); raises ExportError on failure."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    try:
        # fused contrib ops (Attention, SkipLayerNormalization) defeat shape inference: say their outputs are float
        quantize_dynamic(str(src), str(dest), weight_type=QuantType.QInt8, per_channel=False,
                         extra_options={"DefaultTensorType": TensorProto.FLOAT})
    except Exception as exc:
        raise ExportError(f"ONNX quantization failed: {exc}") from exc


def torch_int8(model: TaskModel) -> TaskModel:
    """Torch dynamic int8 quantization of the Linear layers of a merged model (a new module)."""
    import copy

    quantize = torch.ao.quantization.quantize_dynamic
    return quantize(copy.deepcopy(model).eval(), {torch.nn.Linear}, dtype=torch.qint8)


def export_task(model: TaskModel, folder: Path, *, engine: str = ONNX_INT8) -> dict:
    """Export merged `model` into `folder`; return {"engine", "file"} (file relative to `folder`, None for torch).

    With ONNX_INT8, falls back to TORCH_INT8 (logged) when export or quantization fails. Raises ValueError for an
    unknown engine.
    """
    if engine == TORCH_INT8:
        return {"engine": TORCH_INT8, "file": None}
    if engine not in (ONNX_INT8, ONNX_FP32):
        raise ValueError(f"unknown engine {engine!r}")
    fp32 = folder / "model.fp32.onnx"
    try:
        export_onnx(model, fp32)
    except ExportError:
        log.exception("falling back to torch dynamic int8")
        return {"engine": TORCH_INT8, "file": None}
    if engine == ONNX_FP32:
        return {"engine": ONNX_FP32, "file": fp32.name}
    try:
        return _fuse_and_quantize(model, fp32, folder)
    except ExportError:
        log.exception("falling back to torch dynamic int8")
        return {"engine": TORCH_INT8, "file": None}
    finally:
        fp32.unlink(missing_ok=True)


def _fuse_and_quantize(model: TaskModel, fp32: Path, folder: Path) -> dict:
    config = model.encoder.config
    fused = folder / "model.fused.onnx"
    try:
        did_fuse = fuse_onnx(fp32, fused, heads=config.num_attention_heads, hidden=config.hidden_size)
        quantize_onnx(fused if did_fuse else fp32, folder / INT8_FILE)
    finally:
        fused.unlink(missing_ok=True)
    return {"engine": ONNX_INT8, "file": INT8_FILE, "fused": did_fuse}
