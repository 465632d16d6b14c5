"""What the engine must emit, computed from the golden model only.

The scoreboard compares whole output transfers as Python integers, so the
expected values are built here once per packet, vectorised with numpy:

* a line (64 bytes) goes in as one 512-bit integer, byte ``k`` at bits [8k+7:8k];
* it comes out as ``64 // lanes`` transfers of ``10 * lanes`` bits, trit ``n`` of
  a transfer at bits [2n+1:2n] in 2-bit two's complement (+1 = 01, 0 = 00,
  -1 = 11), trit ``k`` of a line being digit ``k mod 5`` of byte ``k div 5``;
* ``tuser`` of a transfer is set when one of its ``lanes`` bytes is invalid,
  and invalid bytes decode to zero trits (``golden.decode(on_invalid="mask")``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tritpack import golden

__all__ = [
    "LINE_BYTES", "Expected", "as_lines", "expected_transfers", "line_ints",
    "transfer_trits",
]

LINE_BYTES = golden.LINE_BYTES  # 64


def as_lines(lines) -> np.ndarray:
    """``lines`` as a C-contiguous (n, 64) uint8 array, or raise ValueError."""
    arr = np.asarray(lines)
    if arr.dtype != np.uint8:
        raise ValueError(f"lines must be uint8 bytes, not dtype {arr.dtype}")
    if arr.ndim == 1 and arr.size % LINE_BYTES == 0:
        arr = arr.reshape(-1, LINE_BYTES)
    if arr.ndim != 2 or arr.shape[1] != LINE_BYTES:
        raise ValueError(
            f"lines must have shape (n, {LINE_BYTES}) (64-byte lines), not {arr.shape}"
        )
    return np.ascontiguousarray(arr)


def line_ints(lines) -> list[int]:
    """Each 64-byte line as the integer driven on ``s_axis_tdata``."""
    raw = as_lines(lines).tobytes()
    return [int.from_bytes(raw[i:i + LINE_BYTES], "little")
            for i in range(0, len(raw), LINE_BYTES)]


@dataclass(frozen=True)
class Expected:
    """The output transfers of a run of lines, in order.

    Members
    -------
    data : list of int
        ``m_axis_tdata`` of each transfer.
    user : list of int
        ``m_axis_tuser`` of each transfer (1: it held an invalid code).
    """

    data: list
    user: list


def expected_transfers(lines, codec, lanes: int) -> Expected:
    """Output transfers of an engine with ``lanes`` lanes fed ``lines``.

    Parameters
    ----------
    lines : array_like
        (n, 64) uint8 codes.
    codec : str or golden.Lut
        The engine's codec.
    lanes : int
        Bytes per output transfer; divides 64.
    """
    lines = as_lines(lines)
    if lanes <= 0 or LINE_BYTES % lanes:
        raise ValueError(f"lanes must divide {LINE_BYTES}, not {lanes!r}")
    trits, valid = golden.decode(lines, codec, on_invalid="mask")
    n_transfers = lines.shape[0] * (LINE_BYTES // lanes)
    # Two bits per trit, LSB first, then 10 * lanes bits per transfer.
    two = (trits.view(np.uint8) & 0b11).reshape(n_transfers, -1)
    bits = np.stack([two & 1, two >> 1], axis=-1).reshape(n_transfers, -1)
    packed = np.packbits(bits, axis=1, bitorder="little")
    width = packed.shape[1]
    raw = packed.tobytes()
    data = [int.from_bytes(raw[i:i + width], "little") for i in range(0, len(raw), width)]
    user = (~valid).reshape(n_transfers, lanes).any(axis=1).astype(np.uint8).tolist()
    return Expected(data, user)


def transfer_trits(value: int, lanes: int) -> np.ndarray:
    """Decode one ``m_axis_tdata`` value into its ``5 * lanes`` trits (for messages)."""
    n = 5 * lanes
    fields = np.array([(value >> (golden.TRIT_BITS * k)) & 0b11 for k in range(n)], dtype=np.int8)
    return np.where(fields == 0b11, -1, fields).astype(np.int8)  # 0b10 stays 2: not a trit
