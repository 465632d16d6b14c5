"""The block format: tensors of any length packed into cache-line blocks.

A block holds ``B`` trits (320 = one 64-byte cache line, the default, or
640 = two lines) in ``B / 5`` bytes.  A tensor of N trits packs into
``ceil(N / B)`` blocks, flattened in C order; the tail of the last block is
padded with zero trits.  :class:`PackedTensor` keeps the shape and codec so
that :func:`unpack` restores the exact tensor for any N, including 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .codec import check_trits, decode, encode
from .lut import CODEC_NAMES, TRITS_PER_BYTE, Lut, get_lut

__all__ = [
    "BLOCK_SIZES", "LINE_BYTES", "PackedTensor", "pack", "unpack", "padded_length",
    "check_block", "num_blocks",
]

LINE_BYTES = 64

#: Byte lanes a line can be delivered in: the powers of two that divide a line
#: (the engine's ``lanes``, the vectors' transfer width).
LANES = tuple(1 << k for k in range(LINE_BYTES.bit_length()) if LINE_BYTES % (1 << k) == 0)
BLOCK_SIZES = (320, 640)


def check_block(block) -> int:
    """Return ``block`` if it is a supported block size in trits, else raise ValueError."""
    if isinstance(block, bool) or block not in BLOCK_SIZES:
        raise ValueError(f"block must be one of 320, 640 (trits), not {block!r}")
    return int(block)


def num_blocks(n: int, block: int = 320) -> int:
    """Number of blocks of ``block`` trits that hold ``n`` trits: ``ceil(n / block)``."""
    check_block(block)
    if n < 0:
        raise ValueError(f"number of trits must be >= 0, not {n}")
    return -(-n // block)


def padded_length(n: int, block: int = 320) -> int:
    """Number of trits after padding ``n`` trits to whole blocks."""
    return num_blocks(n, block) * block


def _codec_label(lut: Lut) -> str | Lut:
    """The name of a built-in codec, or the Lut itself (a custom name could shadow one)."""
    return lut.name if lut.name in CODEC_NAMES and get_lut(lut.name) is lut else lut


@dataclass(frozen=True)
class PackedTensor:
    """A ternary tensor in packed blocks.

    Members
    -------
    data : numpy.ndarray
        uint8 codes, ``num_blocks * block / 5`` bytes.
    shape : tuple of int
        Shape of the original tensor.
    block : int
        Trits per block, 320 or 640.
    codec : str or Lut
        Codec name for the built-in codecs, the :class:`Lut` itself otherwise.
    """

    data: np.ndarray
    shape: tuple
    block: int = 320
    codec: str | Lut = "standard"

    @property
    def num_trits(self) -> int:
        return math.prod(self.shape)

    @property
    def num_blocks(self) -> int:
        return self.data.size * TRITS_PER_BYTE // self.block

    @property
    def padding(self) -> int:
        """Zero trits added at the end of the last block."""
        return self.num_blocks * self.block - self.num_trits


def pack(trits, codec: str | Lut = "standard", block: int = 320) -> PackedTensor:
    """Pack a ternary tensor of any shape into blocks of ``block`` trits.

    Parameters
    ----------
    trits : array_like
        Trits in {-1, 0, 1} of any shape (see :func:`golden.check_trits`).
    codec : str or Lut
        ``"standard"`` (default), ``"tq1"`` or a custom :class:`Lut`.
    block : {320, 640}
        Trits per block.

    Returns
    -------
    PackedTensor
        ``ceil(N / block)`` blocks; the tail of the last block holds zero trits.
    """
    check_block(block)
    lut = get_lut(codec)
    arr = np.asarray(trits)
    if arr.size % block == 0:
        data = encode(arr, lut)  # no padding: no copy, encode checks as it goes
    else:
        flat = check_trits(arr)  # names the bad index in the caller's shape
        padded = np.zeros(padded_length(flat.size, block), dtype=np.int8)
        padded[: flat.size] = flat
        data = encode(padded, lut)
    return PackedTensor(data, tuple(int(d) for d in arr.shape), block, _codec_label(lut))


def unpack(packed: PackedTensor, codec: str | Lut | None = None, *,
           on_invalid: str = "raise") -> np.ndarray:
    """Restore the int8 tensor packed by :func:`pack` (shape and all).

    Parameters
    ----------
    packed : PackedTensor
        The packed tensor.
    codec : str or Lut, optional
        Overrides ``packed.codec``.
    on_invalid : {"raise", "mask"}
        As for :func:`golden.decode`; with ``"mask"`` invalid codes give zeros
        (no validity mask is returned).

    Raises
    ------
    ValueError
        If the data size does not match the shape and block, a padding trit is
        not zero (a wrong shape or block), or a code is invalid.
    """
    lut = get_lut(codec if codec is not None else packed.codec)
    block = check_block(packed.block)
    shape = tuple(packed.shape)
    if any(not isinstance(d, (int, np.integer)) or d < 0 for d in shape):
        raise ValueError(f"shape must be a tuple of non-negative ints, not {packed.shape!r}")
    data = np.asarray(packed.data)
    if data.dtype != np.uint8 or data.ndim != 1:
        raise TypeError(
            f"packed data must be a 1-D uint8 array, not {data.ndim}-D {data.dtype}"
        )
    n = packed.num_trits
    expected = padded_length(n, block) // TRITS_PER_BYTE
    if data.size != expected:
        raise ValueError(
            f"packed data has {data.size} bytes, expected {expected} "
            f"({num_blocks(n, block)} blocks of {block // TRITS_PER_BYTE} bytes) for shape "
            f"{shape} ({n} trits) in blocks of {block} trits"
        )
    trits = decode(data, lut, on_invalid=on_invalid)
    if on_invalid == "mask":
        trits = trits[0]
    pad = np.flatnonzero(trits[n:])
    if pad.size:
        i = n + int(pad[0])
        raise ValueError(
            f"padding trit {i} (byte offset {i // TRITS_PER_BYTE}) is {int(trits[i])}, "
            f"expected 0: the data do not match shape {shape} and block {block}"
        )
    return trits[:n].reshape(shape)
