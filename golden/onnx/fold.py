"""``tritpack onnx fold``: the compile-time fallback, with onnx-ir.

Every ``TernaryDecode`` whose input is a constant (an initializer or a
``Constant`` node, in any graph or subgraph) is decoded by golden, which
checks the byte count, the codes and the padding, and becomes a plain
constant of the same kind (initializer or ``Constant``).  A ``Cast`` and a
``Mul`` by a constant scale that follow it, as ``tritpack onnx pack`` writes
them, are folded too, so the weight comes back as the float it was, bit for
bit.  The ``TernaryDecode`` functions and the ``ai.tritpack`` import are
dropped when nothing uses them any more; the result needs no function support.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx_ir as ir

from . import DOMAIN
from .info import weight_of
from .pack import CAST_BACK
from .reference import checked_decode, function_codecs

__all__ = ["FoldResult", "fold_model"]


@dataclass
class FoldResult:
    """What :func:`fold_model` did.

    Members
    -------
    folded : list of str
        The decoded tensors (names of the values they now are).
    runtime : list of str
        ``TernaryDecode`` nodes left because their input is not a constant.
    """

    folded: list = field(default_factory=list)
    runtime: list = field(default_factory=list)


def _constant(value: ir.Value):
    """(numpy array, Constant node or None) of a constant value, or None."""
    node = value.producer()
    if value.const_value is not None:
        return value.const_value.numpy(), None
    if node is not None and node.op_type == "Constant" and node.domain == "" \
            and "value" in node.attributes:
        return node.attributes["value"].as_tensor().numpy(), node
    return None


def _is_ours(node: ir.Node, codecs: dict) -> bool:
    return node.domain == DOMAIN and node.op_type in codecs


def fold_model(model: ir.Model, what: str = "model") -> FoldResult:
    """Fold every constant ``TernaryDecode`` of ``model`` in place.

    Raises
    ------
    ValueError
        Naming the tensor, for a packed tensor whose bytes do not match its
        shape or that holds an invalid code, and for a function of the
        ``ai.tritpack`` domain that is not a TernaryDecode body.
    """
    codecs = function_codecs(ir.serde.serialize_function(f) for f in model.functions.values())
    result = FoldResult()
    for graph in list(model.graphs()):
        for node in list(graph):
            if not _is_ours(node, codecs):
                continue
            out = node.outputs[0]
            const = _constant(node.inputs[0]) if node.inputs and node.inputs[0] else None
            if const is None:
                result.runtime.append(out.name)
                continue
            data, producer = const
            shape = node.attributes["shape"].as_ints() if "shape" in node.attributes else None
            if shape is None:
                raise ValueError(f"{what}: node {node.name or out.name}: no 'shape' attribute")
            trits, _ = checked_decode(
                data, shape, codecs[node.op_type],
                f"{what}: tensor {weight_of(out)[0]!r} (packed in {node.inputs[0].name!r})")
            as_node = producer is not None
            value = _put(graph, node, trits, as_node)
            value = _fold_scale(graph, value, as_node)
            result.folded.append(value.name)
    _drop_unused(model, codecs)
    return result


def _put(graph: ir.Graph, node: ir.Node, array: np.ndarray, as_node: bool) -> ir.Value:
    """Replace ``node`` (one output) by the constant ``array``, keeping the output's name."""
    old = node.outputs[0]
    name = old.name
    tensor = ir.tensor(array, name=name)
    if as_node:
        const = ir.node("Constant", [], {"value": tensor}, name=node.name)
        graph.insert_before(node, const)
        new = const.outputs[0]
    else:
        new = ir.Value(name=None, const_value=tensor, type=ir.TensorType(tensor.dtype),
                       shape=tensor.shape)
    ir.convenience.replace_all_uses_with(old, new, replace_graph_outputs=True)
    inputs = [v for v in node.inputs if v is not None]
    graph.remove(node, safe=True)
    new.name = name
    if not as_node:
        graph.register_initializer(new)
    _drop_constants(graph, inputs)
    return new


def _drop_constants(graph: ir.Graph, values) -> None:
    """Remove initializers and Constant nodes among ``values`` that nothing uses any more."""
    for v in values:
        if v.uses() or v.is_graph_output() or v.is_graph_input():
            continue
        producer = v.producer()
        if producer is not None and producer.op_type == "Constant" and producer.graph is graph:
            graph.remove(producer, safe=True)
        elif v.is_initializer() and v.name in graph.initializers:
            del graph.initializers[v.name]


def _fold_scale(graph: ir.Graph, value: ir.Value, as_node: bool) -> ir.Value:
    """Fold ``Mul(Cast(value), constant scale)``, the scale pattern, when it is the only use.

    Both nodes are folded or neither: a Cast that is not followed by such a Mul
    is the model's own and stays.
    """
    uses = list(value.uses())
    if len(uses) != 1 or value.is_graph_output():
        return value
    cast = uses[0].node
    if cast.op_type != "Cast" or cast.domain != "" or len(cast.outputs) != 1:
        return value
    cast_out = cast.outputs[0]
    uses = list(cast_out.uses())
    if len(uses) != 1 or cast_out.is_graph_output():
        return value
    mul = uses[0].node
    if mul.op_type != "Mul" or mul.domain != "" or len(mul.inputs) != 2:
        return value
    other = mul.inputs[1] if mul.inputs[0] is cast_out else mul.inputs[0]
    scale = _constant(other) if other is not None else None
    to = ir.DataType(cast.attributes["to"].as_int())
    if scale is None or scale[0].dtype != to.numpy():
        return value
    floats = _constant(value)[0].astype(to.numpy())
    product = np.multiply(floats, scale[0])
    if product.shape != floats.shape:
        return value  # the scale broadcasts the weight to another shape: leave the Mul
    value = _put(graph, cast, floats, as_node)
    value = _put(graph, mul, product, as_node)
    uses = list(value.uses())
    if len(uses) == 1 and uses[0].node.op_type == "Cast" and \
            (uses[0].node.name or "").endswith(CAST_BACK):  # pack's cast back to a half type
        back = uses[0].node
        half = ir.DataType(back.attributes["to"].as_int()).numpy()
        value = _put(graph, back, product.astype(half), as_node)
    return value


def _drop_unused(model: ir.Model, codecs: dict) -> None:
    """Drop our functions and the ``ai.tritpack`` import when no node uses them."""
    used = {(n.domain, n.op_type) for n in ir.traversal.RecursiveGraphIterator(model.graph)}
    for key in list(model.functions):
        domain, name, _ = key
        if domain == DOMAIN and name in codecs and (domain, name) not in used:
            del model.functions[key]
    if not any(d == DOMAIN for d, _ in used) and \
            not any(f.domain == DOMAIN for f in model.functions.values()):
        model.opset_imports.pop(DOMAIN, None)
