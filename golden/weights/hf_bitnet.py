"""Hugging Face BitNet packed weights (transformers' ``BitLinear``), to and from trits.

A ``[out, in]`` ternary matrix is stored as ``uint8`` of shape ``[out/4, in]``:
bits ``2i+1:2i`` of element ``[r, c]`` hold ``W[r + i*out/4, c] + 1`` (so the
four row-blocks of ``out/4`` rows are interleaved bit-wise; value 3 never
occurs).  Beside it, ``<name>_scale`` (e.g. ``q_proj.weight_scale``) holds
one number that the layer *divides* by: ``W ~ W_t / weight_scale``.
A one-dimensional ``[out/4]`` tensor packs ``[out]`` the same way.
"""

from __future__ import annotations

import numpy as np

__all__ = ["VALUES_PER_BYTE", "hf_unpack", "hf_pack", "scale_name"]

VALUES_PER_BYTE = 4


def scale_name(weight_name: str) -> str:
    """The name of the scale that goes with a packed weight: ``X.weight`` -> ``X.weight_scale``."""
    return weight_name + "_scale"


def hf_unpack(packed) -> np.ndarray:
    """Trits (int8, shape ``[4*R, ...]``) from packed uint8 of shape ``[R, ...]``.

    Raises
    ------
    ValueError
        For a non-uint8 or 0-d input, or a 2-bit field holding 3 (names the element).
    """
    p = np.asarray(packed)
    if p.dtype != np.uint8 or p.ndim == 0:
        raise ValueError(
            f"HF packed weights must be uint8 of 1 or more dims, not {p.dtype} {p.shape}"
        )
    v = (p[None] >> np.arange(0, 8, 2, dtype=np.uint8).reshape(4, *([1] * p.ndim))) & 3
    if (v == 3).any():
        i, *pos = (int(x) for x in np.argwhere(v == 3)[0])
        raise ValueError(
            f"packed element {tuple(pos)} bits {2 * i + 1}:{2 * i} hold 3, expected 0, 1 or 2"
        )
    return v.reshape(4 * p.shape[0], *p.shape[1:]).astype(np.int8) - 1


def hf_pack(trits) -> np.ndarray:
    """Pack int8 trits ``[out, ...]`` (``out`` a multiple of 4) into uint8 ``[out/4, ...]``."""
    t = np.asarray(trits, dtype=np.int8)
    if t.ndim == 0 or t.shape[0] % VALUES_PER_BYTE:
        raise ValueError(
            f"shape {t.shape} cannot be packed as HF BitNet weights: the first dimension "
            "must be a multiple of 4"
        )
    v = (t + 1).astype(np.uint8).reshape(4, t.shape[0] // 4, *t.shape[1:])
    shifts = np.arange(0, 8, 2, dtype=np.uint8).reshape(4, *([1] * t.ndim))
    return np.bitwise_or.reduce(v << shifts, axis=0)
