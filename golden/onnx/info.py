"""``tritpack onnx info``: the packed tensors of a model, their codec, block, sizes and codes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import onnx_ir as ir

from ..lut import TRITS_PER_BYTE
from ..units import human_bytes
from . import DOMAIN
from .reference import blocks_of, checked_decode, function_codecs

__all__ = ["PackedEntry", "packed_entries", "format_info", "weight_of"]


@dataclass(frozen=True)
class PackedEntry:
    """One ``TernaryDecode`` node of a model.

    Members
    -------
    name : str
        The decoded value (the weight's name after scaling, when a Cast/Mul follows).
    packed : str
        The packed input.
    codec : str
    shape : tuple
    nbytes : int or None
        Packed bytes (None when the input is not a constant).
    blocks : tuple of int
        The block sizes the byte count fits (empty: it matches no block size).
    scale : str
        ``-`` (int8 trits), ``per tensor`` or ``per row (R)``.
    problem : str or None
        Why the codes or sizes are not valid, naming the byte offset; None when valid.
    """

    name: str
    packed: str
    codec: str
    shape: tuple
    nbytes: int | None
    blocks: tuple
    scale: str
    problem: str | None


def weight_of(value: ir.Value) -> tuple[str, str]:
    """(weight name, scale) of a decoded value: the output of the ``Mul(Cast(value), scale)``
    that pack writes, with ``per tensor`` or ``per row (R)``; else the value itself and ``-``."""
    uses = list(value.uses())
    if len(uses) == 1 and uses[0].node.op_type == "Cast" and not value.is_graph_output():
        cast = uses[0].node.outputs[0]
        muls = [u.node for u in cast.uses() if u.node.op_type == "Mul"]
        if len(muls) == 1 and len(list(cast.uses())) == 1:
            other = [v for v in muls[0].inputs if v is not cast]
            tensor = ir.convenience.get_const_tensor(other[0]) if other and other[0] else None
            if tensor is not None:
                n = math.prod(tensor.shape.numpy())
                out = muls[0].outputs[0]
                backs = [u.node for u in out.uses() if (u.node.name or "").endswith(
                    ".tritpack_cast_back")]
                if len(backs) == 1:
                    out = backs[0].outputs[0]
                return out.name, "per tensor" if n == 1 else f"per row ({n})"
    return value.name, "-"


def packed_entries(model: ir.Model, what: str = "model") -> list[PackedEntry]:
    """Every ``TernaryDecode`` node of every graph of ``model``, with its codes checked."""
    codecs = function_codecs(ir.serde.serialize_function(f) for f in model.functions.values())
    entries = []
    for node in ir.traversal.RecursiveGraphIterator(model.graph):
        if node.domain != DOMAIN:
            continue
        if node.op_type not in codecs:
            raise ValueError(f"{what}: node {node.name or node.outputs[0].name!r} calls "
                             f"{DOMAIN}:{node.op_type}, which the model does not define")
        lut = codecs[node.op_type]
        shape = tuple(node.attributes["shape"].as_ints()) if "shape" in node.attributes else ()
        src = node.inputs[0]
        name, scale = weight_of(node.outputs[0])
        tensor = src.const_value
        producer = src.producer()
        if tensor is None and producer is not None and producer.op_type == "Constant":
            tensor = producer.attributes["value"].as_tensor()
        nbytes, blocks, problem = None, (), "input is not a constant (decoded at run time)"
        if tensor is not None:
            data = tensor.numpy()
            nbytes = int(data.size)
            blocks = tuple(blocks_of(nbytes, shape))
            try:
                checked_decode(data, shape, lut, f"tensor {name!r} (packed in {src.name!r})")
                problem = None
            except ValueError as exc:
                problem = str(exc)
        entries.append(PackedEntry(name, src.name, lut.name, shape, nbytes, blocks, scale,
                                   problem))
    return entries


def format_info(path: str, entries: list[PackedEntry], file_bytes: int) -> str:
    """The table ``tritpack onnx info`` prints."""
    lines = [f"{path}: {len(entries)} packed tensor(s) (TernaryDecode, domain {DOMAIN}), "
             f"file {human_bytes(file_bytes)}"]
    if not entries:
        return lines[0]
    w = max(len(e.name) for e in entries + [PackedEntry("tensor", "", "", (), 0, (), "", None)])
    lines.append(f"{'tensor':<{w}}  {'shape':>14} {'codec':>8} {'block':>7} {'bytes':>10} "
                 f"{'bpw':>6}  {'scale':<14} codes")
    for e in entries:
        n = math.prod(e.shape)
        shape = "x".join(map(str, e.shape)) or "()"
        block = "/".join(map(str, e.blocks)) or "-"
        nbytes = "-" if e.nbytes is None else str(e.nbytes)
        bpw = f"{8 * e.nbytes / n:.3f}" if e.nbytes and n else "-"
        lines.append(f"{e.name:<{w}}  {shape:>14} {e.codec:>8} {block:>7} {nbytes:>10} "
                     f"{bpw:>6}  {e.scale:<14} {'valid' if e.problem is None else e.problem}")
    total_n = sum(math.prod(e.shape) for e in entries if e.nbytes is not None)
    total_b = sum(e.nbytes for e in entries if e.nbytes is not None)
    if total_n:
        lines.append(f"packed: {total_n} trits in {total_b} bytes = "
                     f"{8 * total_b / total_n:.4f} bits per trit "
                     f"(5 trits per byte: {8 / TRITS_PER_BYTE:.1f} + padding)")
    return "\n".join(lines)
