"""The text formats of a vectors directory: ``$readmemh`` rows, both ways.

``input.hex``: 128 hex digits per line, byte 0 least significant.
``expected.hex``: one transfer per row, trit ``k`` at bits ``[2k+1:2k]`` (+1 = 01,
0 = 00, -1 = 11).  Flag files: one hex digit per row.  ``lut.hex``: the codec's
table as :func:`golden.lut_io.to_hex` exports it.
"""

from __future__ import annotations

import re

import numpy as np

from ..blocks import LINE_BYTES
from ..lut import Lut, get_lut
from ..lut_io import TRIT_BITS, to_hex

__all__ = [
    "flag_rows", "hex_lines", "hex_transfers", "lines_of", "lut_hex", "nibbles",
    "transfer_digits",
    "transfer_width",
]

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_HEX_ROW = re.compile(rb"[0-9a-fA-F]*")


def transfer_width(lanes: int) -> int:
    """Hex digits of an ``expected.hex`` row: ``ceil(10 * lanes / 4)``."""
    return -(-TRIT_BITS * 5 * lanes // 4)


def _rows(digits: np.ndarray) -> bytes:
    n, width = digits.shape
    out = np.empty((n, width + 1), dtype=np.uint8)
    out[:, :width] = _HEX[digits]
    out[:, width] = ord("\n")
    return out.tobytes()


def hex_lines(lines: np.ndarray) -> bytes:
    """``input.hex`` rows of (n, 64) uint8 lines."""
    rev = lines[:, ::-1]
    digits = np.stack([rev >> 4, rev & 15], axis=-1).reshape(lines.shape[0], -1)
    return _rows(digits)


def transfer_digits(trits: np.ndarray) -> np.ndarray:
    """(transfers, width) hex digit values of ``expected.hex``, most significant first."""
    codes = (trits.astype(np.int16) & 3).astype(np.uint8)  # +1 -> 01, -1 -> 11
    if codes.shape[1] % 2:
        codes = np.pad(codes, ((0, 0), (0, 1)))
    digits = codes[:, 0::2] | (codes[:, 1::2] << 2)  # two trits per hex digit
    return digits[:, ::-1]


def hex_transfers(trits: np.ndarray) -> bytes:
    """``expected.hex`` rows of (transfers, 5 * lanes) trits."""
    return _rows(transfer_digits(trits))


def flag_rows(*bits_msb_first: np.ndarray) -> bytes:
    """One hex digit per row from up to four bool arrays, the first is the MSB."""
    value = np.zeros(bits_msb_first[0].shape[0], dtype=np.uint8)
    for bits in bits_msb_first:
        value = (value << 1) | bits.astype(np.uint8)
    return _rows(value[:, None])


def lut_hex(codec: str | Lut) -> bytes:
    """``lut.hex``: the codec's decode table as :func:`golden.lut_io.to_hex` exports it.

    256 rows of 10 bits, row c the trits of code c (invalid rows 000), each with a
    trailing ``//`` comment that ``$readmemh`` ignores.
    """
    return to_hex(get_lut(codec)).encode("ascii")


def nibbles(rows: list[bytes], width: int) -> np.ndarray | int:
    """Rows of exactly ``width`` hex digits as (rows, width) uint8 digit values, or the
    index of the first row that is not."""
    for i, row in enumerate(rows):
        if len(row) != width or not _HEX_ROW.fullmatch(row):
            return i
    digits = np.frombuffer(b"".join(rows).lower(), dtype=np.uint8)
    values = np.where(digits >= ord("a"), digits - ord("a") + 10, digits - ord("0"))
    return values.astype(np.uint8).reshape(len(rows), width)


def lines_of(nib: np.ndarray) -> np.ndarray:
    """(n, 64) uint8 lines from the nibbles of ``input.hex`` rows."""
    return ((nib[:, 0::2] << 4) | nib[:, 1::2])[:, ::-1].astype(np.uint8).reshape(-1, LINE_BYTES)
