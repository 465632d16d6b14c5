"""The body of ``TernaryDecode``: a model-local ONNX function of standard ops, one per codec.

The codec is the table in the body: a ``Constant`` holding the codec's
256 x 5 int8 decode table, built from golden's LUT (the rows of invalid codes
are zeros, so an invalid code decodes to five zero trits, as the engine's
``on_invalid="mask"``).  The body::

    table = Constant(value = <codec's (256, 5) int8 table>)
    idx   = Cast(packed, to = INT32)          # Gather needs int32/int64 indices
    rows  = Gather(table, idx, axis = 0)      # (bytes, 5)
    flat  = Reshape(rows, [-1])
    shp   = Constant(value_ints = @shape)
    count = ReduceProd(shp, keepdims = 1)     # [N]
    head  = Slice(flat, [0], count)           # drop the padding
    trits = Reshape(head, shp)                # allowzero = 1 from opset 14

It is valid from opset 12 (``Constant(value_ints)``) on; the function
imports the same standard opset as the model, as ``onnx.checker`` requires.
"""

from __future__ import annotations

import hashlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ..lut import Lut, get_lut
from . import DOMAIN, DOMAIN_VERSION, OP_TYPE

__all__ = [
    "OPSET_MIN", "OPSET_DEFAULT", "IR_MIN", "IR_DEFAULT", "function_name",
    "make_function", "decode_node", "domain_opset", "lut_table", "body_text",
]

OPSET_MIN = 12  # Constant(value_ints) in the body
OPSET_DEFAULT = 21  # what the models tritpack writes from scratch import
IR_MIN = 8  # model-local functions
IR_DEFAULT = 10

_NAMES = {"standard": OP_TYPE, "tq1": OP_TYPE + "TQ1"}


def lut_table(lut: Lut) -> np.ndarray:
    """The (256, 5) int8 decode table of ``lut`` (zeros for invalid codes), C-contiguous."""
    return np.ascontiguousarray(lut.trits, dtype=np.int8)


def _digest(lut: Lut) -> str:
    h = hashlib.sha256(lut_table(lut).tobytes() + np.asarray(lut.valid, np.uint8).tobytes())
    return h.hexdigest()[:12]


def function_name(codec: str | Lut) -> str:
    """The op type of the function for ``codec``.

    ``TernaryDecode`` for the standard codec, ``TernaryDecodeTQ1`` for tq1 and
    ``TernaryDecodeLUT_<12 hex digits of the table's SHA-256>`` for a custom codec.
    """
    lut = get_lut(codec)
    if lut.name in _NAMES and get_lut(lut.name) is lut:
        return _NAMES[lut.name]
    return f"{OP_TYPE}LUT_{_digest(lut)}"


def _doc(lut: Lut) -> str:
    invalid = " ".join(f"0x{c:02x}" for c in lut.invalid_codes.tolist())
    return (f"tritpack TernaryDecode, codec {lut.name!r}: 5 trits per byte, blocks of 320 or "
            "640 trits, tail padded with zero trits; invalid codes decode to zeros. "
            f"See docs/TERNARYDECODE.md.\ninvalid codes: {invalid}")


def _ref_ints(output: str, attr: str) -> onnx.NodeProto:
    """``Constant(value_ints=@attr)``: the function attribute ``attr`` as an int64 tensor."""
    node = helper.make_node("Constant", [], [output])
    ref = onnx.AttributeProto()
    ref.name = "value_ints"
    ref.ref_attr_name = attr
    ref.type = onnx.AttributeProto.INTS
    node.attribute.append(ref)
    return node


def make_function(codec: str | Lut, opset: int = OPSET_DEFAULT) -> onnx.FunctionProto:
    """The ``TernaryDecode`` function of ``codec`` for a model importing ``opset``.

    Parameters
    ----------
    codec : str or Lut
        ``"standard"``, ``"tq1"`` or a custom :class:`~tritpack.golden.Lut`.
    opset : int
        The standard (``""``) opset the model imports, at least :data:`OPSET_MIN`.

    Raises
    ------
    ValueError
        For an opset below :data:`OPSET_MIN` or an unknown codec name.
    """
    lut = get_lut(codec)
    if opset < OPSET_MIN:
        raise ValueError(f"the TernaryDecode body needs opset >= {OPSET_MIN}, not {opset}")

    def const(name, array):
        return helper.make_node("Constant", [], [name],
                                value=numpy_helper.from_array(np.asarray(array), name))

    reshape_attrs = {"allowzero": 1} if opset >= 14 else {}
    nodes = [
        const("table", lut_table(lut)),
        helper.make_node("Cast", ["packed"], ["idx"], to=TensorProto.INT32),
        helper.make_node("Gather", ["table", "idx"], ["rows"], axis=0),
        const("minus_one", np.array([-1], np.int64)),
        helper.make_node("Reshape", ["rows", "minus_one"], ["flat"]),
        _ref_ints("shp", "shape"),
        helper.make_node("ReduceProd", ["shp"], ["count"], keepdims=1),
        const("zero", np.array([0], np.int64)),
        helper.make_node("Slice", ["flat", "zero", "count"], ["head"]),
        helper.make_node("Reshape", ["head", "shp"], ["trits"], **reshape_attrs),
    ]
    return helper.make_function(
        DOMAIN, function_name(lut), ["packed"], ["trits"], nodes,
        [helper.make_opsetid("", opset)], attributes=["shape"], doc_string=_doc(lut))


def decode_node(packed: str, output: str, shape, codec: str | Lut = "standard",
                name: str | None = None) -> onnx.NodeProto:
    """A ``TernaryDecode`` node (of ``codec``'s function) decoding ``packed`` into ``output``."""
    node = helper.make_node(function_name(codec), [packed], [output], name=name, domain=DOMAIN)
    node.attribute.append(helper.make_attribute("shape", [int(d) for d in shape],
                                                attr_type=onnx.AttributeProto.INTS))
    return node


def domain_opset() -> onnx.OperatorSetIdProto:
    """The opset import of the ``ai.tritpack`` domain (version 1)."""
    return helper.make_opsetid(DOMAIN, DOMAIN_VERSION)


def body_text(codec: str | Lut = "standard", opset: int = OPSET_DEFAULT) -> str:
    """The function in ONNX's text syntax (``onnx.printer``), the table's 1280 values elided."""
    import re

    import onnx.printer

    text = onnx.printer.to_text(make_function(codec, opset))
    # newer onnx prints all 1280 values, older ones "table..."
    return re.sub(r"(int8\[256,5\] table)(?:\.\.\.| \{[-0-9,]+\})", r"\1 {...}", text)
