"""What ``TernaryDecode`` computes, in golden terms, and which codec a function in a model is.

:func:`reference_decode` is the operator's semantics (the conformance data and
the tests compare runtimes against it); :func:`checked_decode` is what our own
tools do with a packed tensor: the same decode, but an invalid code or a size
that does not match the shape is an error naming the tensor and byte offset.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import numpy_helper

from ..blocks import BLOCK_SIZES, PackedTensor, padded_length, unpack
from ..codec import InvalidCodeError, decode
from ..lut import CODEC_NAMES, TRITS_PER_BYTE, Lut, get_lut
from . import DOMAIN
from .function import OPSET_MIN, function_name, make_function

__all__ = ["reference_decode", "checked_decode", "blocks_of", "codec_of_function",
           "function_codecs"]


def reference_decode(packed, shape, codec: str | Lut = "standard") -> np.ndarray:
    """``TernaryDecode(packed, shape)``: int8 trits of ``shape``; invalid codes give zeros.

    ``packed`` must hold at least ``ceil(N / 5)`` bytes (N = prod(shape));
    trits beyond N (the padding) are dropped unread.
    """
    shape = tuple(int(d) for d in shape)
    n = math.prod(shape)
    data = np.asarray(packed, dtype=np.uint8).reshape(-1)
    need = -(-n // TRITS_PER_BYTE)
    if data.size < need:
        raise ValueError(f"{data.size} bytes hold fewer than the {n} trits of shape {shape}")
    trits, _ = decode(data[:need], codec, on_invalid="mask")
    return trits[:n].reshape(shape)


def blocks_of(nbytes: int, shape) -> list[int]:
    """The block sizes (320, 640) for which ``nbytes`` is exactly the packed size of ``shape``."""
    n = math.prod(int(d) for d in shape)
    return [b for b in BLOCK_SIZES if padded_length(n, b) // TRITS_PER_BYTE == nbytes]


def checked_decode(data: np.ndarray, shape, lut: Lut, what: str) -> tuple[np.ndarray, int]:
    """Decode a packed tensor as our tools do: (int8 trits of ``shape``, block).

    Raises
    ------
    ValueError
        Naming ``what`` when the byte count is not that of ``shape`` in 320- or
        640-trit blocks, when a code is invalid (with its byte offset and
        value) or when a padding trit is not zero.
    """
    shape = tuple(int(d) for d in shape)
    data = np.asarray(data)
    if data.dtype != np.uint8 or data.ndim != 1:
        raise ValueError(f"{what}: packed data must be a 1-D uint8 tensor, not "
                         f"{data.ndim}-D {data.dtype}")
    blocks = blocks_of(data.size, shape)
    if not blocks:
        n = math.prod(shape)
        sizes = " or ".join(f"{padded_length(n, b) // TRITS_PER_BYTE} (block {b})"
                            for b in BLOCK_SIZES)
        raise ValueError(f"{what}: {data.size} packed bytes do not match shape "
                         f"{list(shape)} ({n} trits); expected {sizes}")
    try:
        trits = unpack(PackedTensor(data, shape, blocks[0], lut))
    except InvalidCodeError as exc:
        raise ValueError(f"{what}: invalid code 0x{exc.value:02x} at byte offset {exc.offset} "
                         f"for codec {lut.name!r}") from None
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None
    return trits, blocks[0]


def _body_table(func: onnx.FunctionProto) -> np.ndarray | None:
    for node in func.node:
        if node.op_type == "Constant" and list(node.output) == ["table"]:
            for attr in node.attribute:
                if attr.name == "value":
                    return numpy_helper.to_array(attr.t)
    return None


def _invalid_from_doc(doc: str) -> list[int] | None:
    for line in doc.splitlines():
        if line.startswith("invalid codes:"):
            try:
                return [int(t, 16) for t in line.split(":", 1)[1].split()]
            except ValueError:
                return None
    return None


def _opset(func: onnx.FunctionProto) -> int | None:
    for imp in func.opset_import:
        if imp.domain in ("", "ai.onnx"):
            return imp.version
    return None


def codec_of_function(func: onnx.FunctionProto) -> Lut:
    """The codec a ``TernaryDecode`` function decodes with, checked against its whole body.

    The table in the body names the codec: a built-in one when it equals its
    table, otherwise a custom codec whose invalid codes are the ones listed in
    the function's doc string.  The body must be exactly the one
    :func:`~.function.make_function` writes for that codec and opset, so that
    a runtime running the body and golden decoding the bytes agree.

    Raises
    ------
    ValueError
        Naming the function when it is not such a body.
    """
    what = f"function {func.domain}:{func.name}"
    table = _body_table(func)
    opset = _opset(func)
    if table is None or table.shape != (256, TRITS_PER_BYTE) or opset is None:
        raise ValueError(f"{what}: not a TernaryDecode body (no (256, 5) table or no opset)")
    lut = None
    for name in CODEC_NAMES:
        if np.array_equal(get_lut(name).trits, table):
            lut = get_lut(name)
    if lut is None:
        invalid = _invalid_from_doc(func.doc_string)
        if invalid is None:
            raise ValueError(f"{what}: custom table without an 'invalid codes:' line in its doc")
        valid = np.ones(256, dtype=bool)
        valid[[c for c in invalid if 0 <= c < 256]] = False
        lut = Lut.from_table(table, valid, name="custom")
    if opset < OPSET_MIN or _signature(make_function(lut, opset)) != _signature(func):
        raise ValueError(f"{what}: its body is not the TernaryDecode body of codec "
                         f"{lut.name!r} at opset {opset} (edited, or from another tool)")
    if func.name != function_name(lut):
        raise ValueError(f"{what}: holds the table of codec {lut.name!r}, whose function is "
                         f"named {function_name(lut)}")
    return lut


def _attr_key(attr: onnx.AttributeProto):
    if attr.ref_attr_name:
        return (attr.name, "ref", attr.ref_attr_name)
    value = onnx.helper.get_attribute_value(attr)
    if isinstance(value, onnx.TensorProto):
        arr = numpy_helper.to_array(value)
        value = (arr.dtype.str, arr.shape, arr.tobytes())
    elif isinstance(value, list):
        value = tuple(value)
    return (attr.name, attr.type, value)


def _signature(func: onnx.FunctionProto) -> tuple:
    """Everything that decides what a function computes (names of values and doc excluded
    only where they cannot matter: the doc string)."""
    nodes = tuple((n.op_type, n.domain, tuple(n.input), tuple(n.output),
                   tuple(sorted(_attr_key(a) for a in n.attribute))) for n in func.node)
    opsets = tuple(sorted((i.domain or "", i.version) for i in func.opset_import))
    return (func.domain, tuple(func.input), tuple(func.output), tuple(func.attribute),
            len(func.attribute_proto), opsets, nodes)


def function_codecs(functions) -> dict[str, Lut]:
    """``{op_type: codec}`` of every ``TernaryDecode`` function of domain ``ai.tritpack``.

    Raises
    ------
    ValueError
        For a function of that domain that is not one (see :func:`codec_of_function`).
    """
    return {f.name: codec_of_function(f) for f in functions if f.domain == DOMAIN}
