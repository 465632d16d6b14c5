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
    "LINE_BYTES", "Expected", "as_lines", "describe_transfer", "expected_lines",
    "expected_transfers", "line_ints", "transfer_trits",
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
    packed = _pack_trits(trits, n_transfers)
    width = packed.shape[1]
    raw = packed.tobytes()
    data = [int.from_bytes(raw[i:i + width], "little") for i in range(0, len(raw), width)]
    user = (~valid).reshape(n_transfers, lanes).any(axis=1).astype(np.uint8).tolist()
    return Expected(data, user)


def _pack_trits(trits: np.ndarray, rows: int) -> np.ndarray:
    """``trits`` in ``rows`` rows of little-endian bytes, two bits per trit, trit 0
    of a row at bits [1:0] of its first byte (a row must hold a whole number of bytes'
    worth of bits, or it is padded with zero bits)."""
    two = (trits.view(np.uint8) & 0b11).reshape(rows, -1)
    bits = np.stack([two & 1, two >> 1], axis=-1).reshape(rows, -1)
    return np.packbits(bits, axis=1, bitorder="little")


def expected_lines(lines, codec) -> tuple[np.ndarray, np.ndarray]:
    """What the engine must emit for each line, as bytes for a Verilog testbench.

    Returns
    -------
    trits : numpy.ndarray
        (n, 80) uint8: the line's 320 trits, trit ``k`` at bits [2k+1:2k] of the
        little-endian 640-bit value (the transfers of a ``lanes``-lane engine are
        its consecutive ``10 * lanes``-bit slices).
    invalid : numpy.ndarray
        (n, 8) uint8: bit ``k`` of the little-endian 64-bit value set when byte
        ``k`` is not a valid code (its trits are zero, its transfer carries tuser).
    """
    lines = as_lines(lines)
    trits, valid = golden.decode(lines, codec, on_invalid="mask")
    packed = _pack_trits(trits, lines.shape[0])
    bad = np.packbits(~valid.reshape(-1, LINE_BYTES), axis=1, bitorder="little")
    return packed, bad


def describe_transfer(index: int, line: int, beat: int, lanes: int, got: int, want: int,
                      got_user: int, want_user: int) -> str:
    """Where and how transfer ``index`` (beat ``beat`` of line ``line``) differs from
    what the golden model expects: its tuser, else the lanes whose trits differ."""
    where = (f"transfer {index} (line {line}, bytes {beat * lanes}.."
             f"{(beat + 1) * lanes - 1})")
    if got_user != want_user:
        return f"{where}: tuser {got_user}, expected {want_user}"
    g, w = transfer_trits(got, lanes), transfer_trits(want, lanes)
    differ = sorted({int(k) // 5 for k in np.flatnonzero(g != w)})
    if not differ:
        return f"{where}: tdata as expected, but a flag differs"
    k = differ[0]
    return (f"{where}: lanes {differ} differ, lane {k} trits {g[5 * k:5 * k + 5].tolist()}"
            f", expected {w[5 * k:5 * k + 5].tolist()}")


def transfer_trits(value: int, lanes: int) -> np.ndarray:
    """Decode one ``m_axis_tdata`` value into its ``5 * lanes`` trits (for messages)."""
    n = 5 * lanes
    fields = np.array([(value >> (golden.TRIT_BITS * k)) & 0b11 for k in range(n)], dtype=np.int8)
    return np.where(fields == 0b11, -1, fields).astype(np.int8)  # 0b10 stays 2: not a trit
