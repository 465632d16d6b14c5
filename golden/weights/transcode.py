"""Lossless transcoding between the container and llama.cpp / Hugging Face formats.

Into the container: :func:`golden.weights.pack.pack_file` in lossless mode
(GGUF TQ1_0/TQ2_0 and HF packed tensors become ternary with their scales kept
exactly; everything else is carried unchanged).

Out of the container:

* :func:`to_gguf` writes TQ1_0 or TQ2_0 (by default the type the tensor came
  from): the trits go back into ggml's strided element order and the fp16
  block scales are copied, so GGUF -> container -> GGUF gives the same tensor
  bytes.  A per-tensor scale becomes the same fp16 ``d`` in every block.
* :func:`to_hf` writes ``uint8 [out/4, in]`` plus ``weight_scale`` (the
  original number and dtype when the tensor came from HF).
* :func:`to_unpacked` writes plain tensors: int8 trits plus a float32
  multiplicative scale ``NAME.scale`` (which ``pack`` takes back as the
  tensor's scale), or dequantized floats; the ``__metadata__`` of the
  safetensors file the container came from is kept.

Every output is written through :func:`golden.fileio.atomic_path`: a
temporary file renamed on success, removed on any failure or interrupt.
"""

from __future__ import annotations

import numpy as np

from ..fileio import atomic_path
from .container import Container, Entry
from .errors import WeightsError
from .formats import TARGETS, UNPACK_DTYPES, UNPACKED_SCALE_SUFFIX
from .gguf_tq import QK, TYPE_SIZE, trits_to_tq
from .hf_bitnet import hf_pack, scale_name
from .stfile import DTYPES, SafetensorsWriter
from .ternary import TernaryTensor

__all__ = ["TARGETS", "to_gguf", "to_hf", "to_unpacked", "UNPACK_DTYPES", "source_metadata"]

_GGUF_PLAIN = ("F32", "F16", "BF16", "F64", "I8", "I16", "I32", "I64")


def _bar(entries, desc, progress):
    from tqdm import tqdm

    return tqdm(entries, desc=desc, unit="tensor", leave=False,
                disable=(None if progress is None else not progress))


def _block_scales(e: Entry, t: TernaryTensor) -> np.ndarray:
    """fp16 ``d`` per 256-weight block for a TQ type."""
    n_blocks = -(-e.num_weights // QK)
    if e.scale_dtype == "F16" and t.mode == "multiply":  # from GGUF: the very same bits
        return np.broadcast_to(t.scale, (n_blocks,)) if t.layout == "tensor" else t.scale
    s = t.scale.astype(np.float32)
    if t.layout == "tensor":
        s = np.full(n_blocks, s[0])
    if t.mode == "divide":
        s = np.float32(1) / s
    return s.astype(np.float16)


def _tq_type(e: Entry, qtype: str | None) -> str:
    if qtype is not None:
        return qtype
    return e.meta["origin"].get("dtype") if e.meta["origin"].get("dtype") in TYPE_SIZE else "TQ1_0"


def to_gguf(src, dst, qtype: str | None = None, progress: bool | None = None) -> None:
    """Write the container ``src`` as a GGUF file of TQ1_0/TQ2_0 (and plain) tensors.

    Raises
    ------
    WeightsError
        For a ternary tensor whose last dimension is not a multiple of 256, or a
        carried tensor GGUF cannot hold.
    """
    import gguf

    c = Container(src)
    if qtype is not None and qtype not in TYPE_SIZE:
        raise WeightsError(f"unknown GGUF type {qtype!r}; expected TQ1_0 or TQ2_0", dst)
    arch = c.source.get("architecture") or "tritpack"
    plan = []
    for e in c:
        if e.kind == "ternary":
            qt = _tq_type(e, qtype)
            shape = e.shape
            if not shape or shape[-1] % QK:
                raise WeightsError(f"shape {list(shape)} cannot be written as {qt}: the last "
                                   f"dimension must be a multiple of {QK}", src, e.name)
            byte_shape = (*shape[:-1], shape[-1] // QK * TYPE_SIZE[qt])
            plan.append((e, qt, byte_shape))
        else:
            qt = e.meta["origin"].get("dtype")
            if qt in TYPE_SIZE and e.dtype == "U8":  # TQ data carried as bytes
                plan.append((e, qt, e.stored_shape))
            elif e.dtype in _GGUF_PLAIN:
                plan.append((e, None, e.stored_shape))
            else:
                raise WeightsError(f"GGUF cannot hold a {e.dtype} tensor", src, e.name)
    with atomic_path(dst) as tmp:
        # gguf's writer opens its output by name: give it the atomic temporary file's.
        w = gguf.GGUFWriter(tmp, arch)
        try:
            _add_gguf_kv(w, c.source.get("gguf_kv", []))
            for e, qt, shape in plan:
                if qt is not None:
                    nbytes = int(np.prod(shape))
                    w.add_tensor_info(e.name, shape, np.dtype(np.uint8), nbytes,
                                      raw_dtype=gguf.GGMLQuantizationType[qt])
                elif e.dtype == "BF16":
                    w.add_tensor_info(e.name, (*shape[:-1], shape[-1] * 2), np.dtype(np.uint8),
                                      e.data_bytes, raw_dtype=gguf.GGMLQuantizationType.BF16)
                else:
                    w.add_tensor_info(e.name, shape, DTYPES[e.dtype], e.data_bytes)
            w.write_header_to_file()
            w.write_kv_data_to_file()
            w.write_ti_data_to_file()
            for e, qt, shape in _bar(plan, "gguf", progress):
                if e.kind == "ternary":
                    t = c.read_ternary(e.name)
                    data = trits_to_tq(t.trits, _block_scales(e, t), qt).reshape(shape)
                else:
                    data = c.read_raw(e.name)
                    if e.dtype == "BF16":
                        data = data.view(np.uint8)
                w.write_tensor_data(np.ascontiguousarray(data))
        finally:
            w.close()


def _add_gguf_kv(w, kv: list) -> None:
    """Write back the metadata of the GGUF file the container came from."""
    from gguf import GGUFValueType as V

    def value(v, vtype):
        return v.encode("utf-8", "surrogateescape") if vtype == V.STRING else v

    for key, vtype, sub, v in kv:
        if key == "general.architecture":  # the writer has already written it, first
            continue
        vtype, sub = V[vtype], (V[sub] if sub else None)
        if key == "general.alignment":
            w.data_alignment = int(v)
        if vtype == V.ARRAY:
            w.add_key_value(key, [value(x, sub) for x in v], vtype, sub)
        else:
            w.add_key_value(key, value(v, vtype), vtype)


def _hf_scale(e: Entry, t: TernaryTensor) -> np.ndarray:
    """``weight_scale`` (w = t / weight_scale): the original one when the tensor came from HF."""
    if t.layout == "block256":
        if not (t.scale == t.scale[0]).all():
            raise WeightsError("per-block scales differ; an HF weight_scale is one number",
                               None, e.name)
    s = t.scale[:1]
    if t.mode == "divide":
        return s.reshape(e.meta["origin"].get("scale_shape", [1]))
    return (np.float32(1) / s.astype(np.float32)).astype(np.float32)


def to_hf(src, dst, progress: bool | None = None) -> None:
    """Write the container ``src`` as Hugging Face BitNet packed safetensors.

    Raises
    ------
    WeightsError
        For a ternary tensor whose first dimension is not a multiple of 4, or
        whose per-block scales are not all equal.
    """
    c = Container(src)
    layout, jobs = [], []
    for e in c:
        if e.kind == "ternary":
            shape = e.shape
            if not shape or shape[0] % 4:
                raise WeightsError(f"shape {list(shape)} cannot be written as HF BitNet packed "
                                   "weights: the first dimension must be a multiple of 4",
                                   src, e.name)
            if e.meta["scale"]["mode"] == "divide":  # from HF: the original weight_scale
                sdtype, sshape = e.scale_dtype, tuple(e.meta["origin"].get("scale_shape", [1]))
            else:
                sdtype, sshape = "F32", (1,)
            layout += [(e.name, "U8", (shape[0] // 4, *shape[1:])),
                       (scale_name(e.name), sdtype, sshape)]
        else:
            layout.append((e.name, e.dtype, e.stored_shape))
        jobs.append(e)
    meta = source_metadata(c)
    with SafetensorsWriter(dst, layout, meta) as w:
        for e in _bar(jobs, "hf", progress):
            if e.kind == "ternary":
                t = c.read_ternary(e.name)
                w.write(e.name, hf_pack(t.trits))
                try:
                    w.write(scale_name(e.name), _hf_scale(e, t).tobytes())
                except WeightsError as exc:
                    raise exc.at(src, e.name) from None
            else:
                w.write(e.name, c.read_raw(e.name).tobytes())
        w.close(meta)


def source_metadata(c: Container) -> dict[str, str]:
    """The ``__metadata__`` of the safetensors file the container was packed from ({})."""
    meta = c.source.get("metadata") if c.source.get("format") == "safetensors" else None
    return dict(meta or {})


def to_unpacked(src, dst, dtype: str = "int8", patterns=None,
                progress: bool | None = None) -> None:
    """Write plain tensors: ``int8`` trits with ``NAME.scale`` (float32, multiply;
    one per tensor or per 256-weight block), or dequantized ``f32``/``f16``/``bf16``.
    Carried tensors are copied; the source's safetensors ``__metadata__`` is kept.

    ``pack`` of the int8 output gives back the container's trits, with each
    ``NAME.scale`` as the scale of ``NAME`` (float32, same layout).
    """
    if dtype not in UNPACK_DTYPES:
        raise WeightsError(f"unknown dtype {dtype!r}; expected one of {', '.join(UNPACK_DTYPES)}")
    c = Container(src)
    entries = c.select(patterns)
    layout = []
    for e in entries:
        if e.kind == "raw":
            layout.append((e.name, e.dtype, e.stored_shape))
        elif dtype == "int8":
            layout += [(e.name, "I8", e.shape),
                       (e.name + UNPACKED_SCALE_SUFFIX, "F32", e.scale_shape)]
        else:
            layout.append((e.name, UNPACK_DTYPES[dtype], e.shape))
    meta = source_metadata(c)
    with SafetensorsWriter(dst, layout, meta) as w:
        for e in _bar(entries, "unpack", progress):
            if e.kind == "raw":
                w.write(e.name, c.read_raw(e.name).tobytes())
                continue
            t = c.read_ternary(e.name)
            if dtype == "int8":
                s = t.scale.astype(np.float32)
                w.write(e.name, t.trits.tobytes())
                w.write(e.name + UNPACKED_SCALE_SUFFIX,
                        (np.float32(1) / s if t.mode == "divide" else s))
            else:
                w.write(e.name, t.dequantize(DTYPES[UNPACK_DTYPES[dtype]]))
        w.close(meta)
