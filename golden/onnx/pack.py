"""``tritpack onnx pack``: ternary weights of a model -> packed blocks + ``TernaryDecode``.

A weight is ternary when it is an int8 tensor of {-1, 0, 1}, or a float tensor
whose values are exactly {-s, +0.0, +s} for one s per tensor or one per row
(first axis); it is then packed losslessly.  With ``ternarize``, the other
float weights of MatMul, Gemm and Conv are first ternarized with BitNet's
absmean rule (lossy).  Initializers and ``Constant`` nodes are both found, in
the main graph and in every subgraph (If, Loop, Scan bodies).  The weight
becomes::

    packed (uint8 initializer, or Constant)  ->  TernaryDecode(shape)  [-> Cast -> Mul(scale)]

where the Cast is to the weight's own float type and the Mul's scale has the
shape () or (rows, 1, ...): the decoded value is bit for bit the weight.  A
float16 or bfloat16 weight is scaled in float32 and cast back (a third node,
``<name>.tritpack_cast_back``), because onnxruntime's CPU provider has no
float16 Mul and would not fold the decode; every product is exact either way.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field

import numpy as np
import onnx_ir as ir

from ..blocks import pack as golden_pack
from ..lut import Lut, get_lut
from ..weights.absmean import absmean_ternarize
from ..weights.report import TensorSize
from . import DOMAIN, DOMAIN_VERSION
from .function import function_name, make_function
from .modelio import std_opset

__all__ = ["PackResult", "ternary_form", "pack_model", "WEIGHT_INPUTS", "CAST_BACK"]

#: (op_type, input indices) whose float constants ``ternarize`` ternarizes.
WEIGHT_INPUTS = {"MatMul": (0, 1), "Gemm": (0, 1), "Conv": (1,)}
_FLOATS = {ir.DataType.FLOAT, ir.DataType.FLOAT16, ir.DataType.DOUBLE, ir.DataType.BFLOAT16}
_HALF = {ir.DataType.FLOAT16, ir.DataType.BFLOAT16}
CAST_BACK = ".tritpack_cast_back"  # the name suffix of the Cast back to a half type


@dataclass
class PackResult:
    """What :func:`pack_model` did.

    Members
    -------
    sizes : list of TensorSize
        One per packed tensor (the size report's rows).
    ternarized : list of str
        Tensors ternarized with absmean (lossy) before packing.
    skipped : list of str
        Float constants of at least one block that were left as they were (not
        ternary, and not ternarized), as ``name (why)``.
    """

    sizes: list = field(default_factory=list)
    ternarized: list = field(default_factory=list)
    skipped: list = field(default_factory=list)


def _exact_scale(w: np.ndarray, axis0: bool):
    """The scale s (scalar, or per row) with w in {-s, +0.0, +s} exactly, or None."""
    wf = w.astype(np.float32)  # exact for every float type but float64
    if w.dtype == np.float64:
        wf = w
    if w.size == 0:
        return None if axis0 else np.ones((), w.dtype)
    mag = np.abs(wf)
    if axis0:
        if w.ndim < 2:
            return None
        s = mag.reshape(w.shape[0], -1).max(axis=1).reshape((-1,) + (1,) * (w.ndim - 1))
    else:
        s = mag.max()
    if not np.all(np.isfinite(s)):
        return None
    ok = (wf == s) | (wf == -s) | ((wf == 0) & ~np.signbit(wf))
    if not ok.all():
        return None
    return np.where(s == 0, np.ones_like(s), s).astype(w.dtype)


def ternary_form(w: np.ndarray):
    """``(trits, scale)`` when ``w`` is exactly ternary, else None.

    ``scale`` is None for int8 trits, a 0-d array for one scale per tensor and
    an array of shape (rows, 1, ...) for one per row.
    """
    if w.dtype == np.int8:
        if w.size and (w.min() < -1 or w.max() > 1):
            return None
        return w, None
    if w.dtype.kind != "f" and w.dtype.name != "bfloat16":
        return None
    for axis0 in (False, True):
        s = _exact_scale(w, axis0)
        if s is not None:
            return np.sign(w.astype(np.float32)).astype(np.int8), s
    return None


def _weight_values(model: ir.Model) -> set:
    """Values used as a weight input (see :data:`WEIGHT_INPUTS`) of some node."""
    out = set()
    for node in ir.traversal.RecursiveGraphIterator(model.graph):
        if node.domain == "" and node.op_type in WEIGHT_INPUTS:
            for i in WEIGHT_INPUTS[node.op_type]:
                if i < len(node.inputs) and node.inputs[i] is not None:
                    out.add(node.inputs[i])
    return out


def _candidates(model: ir.Model):
    """(graph, value, tensor, constant node or None) for every constant of every graph."""
    for graph in model.graphs():
        for value in list(graph.initializers.values()):
            if value.const_value is not None:
                yield graph, value, value.const_value, None
        for node in list(graph):
            if node.op_type == "Constant" and node.domain == "" and "value" in node.attributes:
                yield graph, node.outputs[0], node.attributes["value"].as_tensor(), node


def _dtype_label(dtype: ir.DataType) -> str:
    return {ir.DataType.FLOAT: "F32", ir.DataType.FLOAT16: "F16", ir.DataType.DOUBLE: "F64",
            ir.DataType.BFLOAT16: "BF16", ir.DataType.INT8: "I8"}.get(dtype, dtype.name)


def pack_model(model: ir.Model, codec: str | Lut = "standard", block: int = 320,
               tensors: list[str] | None = None, ternarize: bool = False) -> PackResult:
    """Pack the ternary weights of ``model`` in place (see the module docstring).

    Parameters
    ----------
    model : onnx_ir.Model
        At standard opset >= 12 and IR >= 8 (:func:`~.modelio.prepare_for_functions`).
    codec, block
        The codec and block size of the packed bytes.
    tensors : list of str, optional
        Globs: pack exactly the constants whose names match (each must be
        ternary, or a float weight with ``ternarize``).  By default every
        ternary constant that packing makes smaller, and with ``ternarize``
        every float weight of MatMul/Gemm/Conv.
    ternarize : bool
        Ternarize float weights with absmean first (lossy).

    Raises
    ------
    ValueError
        When a tensor named by ``tensors`` cannot be packed, or a glob matches nothing.
    """
    lut = get_lut(codec)
    opset = std_opset(model)
    result = PackResult()
    weights = _weight_values(model) if ternarize else set()
    matched = set()
    for graph, value, tensor, const_node in list(_candidates(model)):
        name = value.name
        if tensors is not None:
            hits = [g for g in tensors if fnmatch.fnmatchcase(name, g)]
            if not hits:
                continue
            matched.update(hits)
        plan = _plan(value, tensor, weights, explicit=tensors is not None)
        if isinstance(plan, str):
            if tensors is not None:
                raise ValueError(f"tensor {name!r}: {plan}")
            if tensor.dtype in _FLOATS and math.prod(tensor.shape.numpy()) >= block:
                result.skipped.append(f"{name} ({plan.split(' (')[0]})")
            continue
        trits, scale, lossy = plan
        if scale is not None and tensor.dtype in _HALF:
            scale = scale.astype(np.float32)  # exact: float16 and bfloat16 fit in float32
        if opset < 14 and 0 in trits.shape[1:]:
            raise ValueError(f"tensor {name!r}: shape {list(trits.shape)} needs Reshape's "
                             f"allowzero (opset 14); the model imports opset {opset}")
        packed = golden_pack(trits, lut, block)
        scale_bytes = 0 if scale is None else scale.nbytes
        source_bytes = tensor.nbytes
        if tensors is None and packed.data.nbytes + scale_bytes >= source_bytes:
            continue  # packing would not make it smaller
        _replace(graph, value, const_node, packed.data, trits.shape, scale, tensor.dtype, lut)
        result.sizes.append(TensorSize(name, tuple(trits.shape), _dtype_label(tensor.dtype),
                                       source_bytes, packed.data.nbytes, scale_bytes))
        if lossy:
            result.ternarized.append(name)
    for g in tensors or ():
        if g not in matched:
            raise ValueError(f"--tensors {g!r} matches no constant of the model")
    if result.sizes:
        model.opset_imports[DOMAIN] = DOMAIN_VERSION
        func = ir.serde.deserialize_function(make_function(lut, opset))
        model.functions[func.identifier()] = func
    return result


def _plan(value: ir.Value, tensor, weights: set, explicit: bool):
    """(trits, scale, lossy) for a constant, or a string saying why it is not packed."""
    if value.is_graph_input() or value.is_graph_output():
        return "is a graph input or output (packing would change the model's interface)"
    if tensor.dtype != ir.DataType.INT8 and tensor.dtype not in _FLOATS:
        return f"dtype {tensor.dtype.name} is neither int8 nor float"
    if not value.uses() and not explicit:
        return "unused"
    w = tensor.numpy()
    form = ternary_form(w)
    if form is not None:
        return form[0], form[1], False
    if value in weights and tensor.dtype in _FLOATS:
        trits, scale = absmean_ternarize(w)
        return trits, np.asarray(scale).astype(w.dtype), True
    return "not ternary (values are not {-s, 0, +s} per tensor or per row; try --ternarize)"


def _replace(graph: ir.Graph, value: ir.Value, const_node, data: np.ndarray, shape,
             scale, dtype: ir.DataType, lut: Lut) -> None:
    """Put packed bytes + TernaryDecode (+ Cast + Mul) in place of the constant ``value``."""
    name = value.name
    nodes = []

    def constant(suffix: str, array: np.ndarray) -> ir.Value:
        tensor = ir.tensor(array, name=f"{name}.{suffix}")
        if const_node is None:
            v = ir.Value(name=f"{name}.{suffix}", const_value=tensor,
                         type=ir.TensorType(tensor.dtype), shape=tensor.shape)
            graph.register_initializer(v)
            return v
        node = ir.node("Constant", [], {"value": tensor}, name=f"{name}.{suffix}")
        node.outputs[0].name = f"{name}.{suffix}"
        nodes.append(node)
        return node.outputs[0]

    packed = constant("tritpack_packed", data)
    decode = ir.node(function_name(lut), [packed],
                     {"shape": ir.AttrInt64s("shape", [int(d) for d in shape])},
                     domain=DOMAIN, name=f"{name}.tritpack_decode")
    nodes.append(decode)
    out = decode.outputs[0]
    if scale is not None:
        s = constant("tritpack_scale", np.asarray(scale))
        compute = ir.DataType.from_numpy(np.asarray(scale).dtype)
        cast = ir.node("Cast", [out], {"to": ir.AttrInt64("to", int(compute))},
                       name=f"{name}.tritpack_cast")
        mul = ir.node("Mul", [cast.outputs[0], s], name=f"{name}.tritpack_scale_mul")
        nodes += [cast, mul]
        out.name = f"{name}.tritpack_trits"
        cast.outputs[0].name = f"{name}.tritpack_float"
        out = mul.outputs[0]
        if compute != dtype:
            back = ir.node("Cast", [out], {"to": ir.AttrInt64("to", int(dtype))},
                           name=name + CAST_BACK)
            nodes.append(back)
            out.name = f"{name}.tritpack_scaled"
            out = back.outputs[0]
    ir.convenience.replace_all_uses_with(value, out)
    if const_node is None:
        del graph.initializers[name]
        anchor = graph[0] if len(graph) else None
    else:
        anchor = const_node
    if anchor is None:
        for n in nodes:
            graph.append(n)
    else:
        graph.insert_before(anchor, nodes)
    if const_node is not None:
        graph.remove(const_node, safe=True)
    out.name = name
    out.type = ir.TensorType(dtype)
    out.shape = ir.Shape([int(d) for d in shape])
