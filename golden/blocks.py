"""The block format: tensors of any length packed into cache-line blocks.

A block holds ``B`` trits (320 = one 64-byte cache line, the default, or
640 = two lines) in ``B / 5`` bytes.  A tensor of N trits packs into
``ceil(N / B)`` blocks, flattened in C order; the tail of the last block is
padded with zero trits.  :class:`PackedTensor` keeps the shape and codec so
that :func:`unpack` restores the exact tensor for any N, including 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .codec import check_trits, decode, encode
from .lut import TRITS_PER_BYTE, Lut, get_lut

__all__ = ["BLOCK_SIZES", "LINE_BYTES", "PackedTensor", "pack", "unpack", "padded_length"]

LINE_BYTES = 64
BLOCK_SIZES = (320, 640)


def check_block(block: int) -> int:
    if block not in BLOCK_SIZES:
        raise ValueError(f"block must be one of 320, 640 (trits), not {block!r}")
    return block


def padded_length(n: int, block: int = 320) -> int:
    """Number of trits after padding ``n`` trits to whole blocks."""
    check_block(block)
    return -(-n // block) * block


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
    codec : str
        Codec name.
    """

    data: np.ndarray
    shape: tuple
    block: int = 320
    codec: str = "standard"

    @property
    def num_trits(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def num_blocks(self) -> int:
        return self.data.size * TRITS_PER_BYTE // self.block

    @property
    def padding(self) -> int:
        """Zero trits added at the end of the last block."""
        return self.num_blocks * self.block - self.num_trits


def pack(trits, codec: str | Lut = "standard", block: int = 320) -> PackedTensor:
    """Pack a ternary tensor of any shape into blocks of ``block`` trits."""
    check_block(block)
    lut = get_lut(codec)
    arr = np.asarray(trits)
    flat = check_trits(arr)
    padded = np.zeros(padded_length(flat.size, block), dtype=np.int8)
    padded[: flat.size] = flat
    return PackedTensor(encode(padded, lut), tuple(arr.shape), block, lut.name)


def unpack(packed: PackedTensor, codec: str | Lut | None = None) -> np.ndarray:
    """Restore the int8 tensor packed by :func:`pack` (shape and all)."""
    lut = get_lut(codec if codec is not None else packed.codec)
    check_block(packed.block)
    expected = padded_length(packed.num_trits, packed.block) // TRITS_PER_BYTE
    if packed.data.size != expected:
        raise ValueError(
            f"packed data has {packed.data.size} bytes, expected {expected} for shape "
            f"{packed.shape} in blocks of {packed.block} trits"
        )
    trits = decode(packed.data, lut)
    return trits[: packed.num_trits].reshape(packed.shape)
