"""The input lines of a vectors directory, chunk by chunk: random codes, injected
invalid codes and ``tlast``, all seeded.

Every draw is built from raw PCG64 output, which is stable across numpy
versions (``Generator`` methods are not promised to be), and is a function of
the line or byte index only, so a long set is made in bounded memory, one
chunk of lines at a time, with the same bytes as in one piece.

Invalid codes: exactly ``round(rate * bytes)`` bytes are replaced.  Byte ``i``
is replaced when ``P(i) < count``, where ``P`` is a seeded permutation of the
byte indices (a Feistel network with cycle walking), so the count is exact and
each chunk is decided on its own; the replacement is one of the codec's
invalid codes, picked by a seeded hash of ``P(i)``.
"""

from __future__ import annotations

import numpy as np

from ..blocks import LINE_BYTES
from ..lut import TRITS_PER_BYTE, tuple_index
from .spec import TLAST_PROBABILITY, VectorSpec

__all__ = ["InvalidPlan", "line_last", "random_codes"]

# Independent random streams, so that e.g. the invalid rate does not move tlast.
_STREAM_TRITS, _STREAM_INVALID_POS, _STREAM_INVALID_VAL, _STREAM_TLAST = range(4)
_ROUNDS = 4
_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _stream(seed: int, purpose: int) -> np.random.PCG64:
    return np.random.PCG64(np.random.SeedSequence([seed, purpose]))


def _skipped(seed: int, purpose: int, start: int) -> np.random.PCG64:
    """The stream ``purpose`` advanced past its first ``start`` draws."""
    bits = _stream(seed, purpose)
    if start:
        bits.advance(start)
    return bits


def random_codes(spec: VectorSpec, start_line: int, nlines: int) -> np.ndarray:
    """uint8 codes of lines ``start_line`` .. ``start_line + nlines - 1`` (flat)."""
    lut = spec.lut
    nbytes = nlines * LINE_BYTES
    raw = _skipped(spec.seed, _STREAM_TRITS, start_line * LINE_BYTES).random_raw(nbytes)
    if spec.distribution == "uniform":
        return lut.codes[(raw % lut.codes.size).astype(np.intp)]
    # weights: two bits per trit, 00/01 -> 0, 10 -> +1, 11 -> -1.
    shifts = np.arange(TRITS_PER_BYTE, dtype=np.uint64) * np.uint64(2)
    two = ((raw[:, None] >> shifts) & np.uint64(3)).astype(np.int8)
    trits = np.select([two == 2, two == 3], [1, -1], 0).astype(np.int8)
    return lut.codes[tuple_index(trits)]


def line_last(spec: VectorSpec, start_line: int, nlines: int, total_lines: int,
              from_file: bool) -> np.ndarray:
    """bool ``tlast`` of lines ``start_line`` .. (the last line of all always has it)."""
    if from_file:
        last = np.zeros(nlines, dtype=bool)  # the tensor is one packet
    else:
        raw = _skipped(spec.seed, _STREAM_TLAST, start_line).random_raw(nlines)
        last = (raw >> np.uint64(40)) < np.uint64(int(TLAST_PROBABILITY * 2**24))
    if start_line + nlines == total_lines:
        last[-1] = True
    return last


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijective 64-bit hash (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class InvalidPlan:
    """Which bytes of ``total_bytes`` get an invalid code, and which one.

    Parameters
    ----------
    spec : VectorSpec
        Seed, codec and invalid rate.
    total_bytes : int
        Bytes of all lines.
    where : str
        What the lines are, for the message of a rate too small.

    Raises
    ------
    ValueError
        If the rate rounds to no invalid code at all.
    """

    def __init__(self, spec: VectorSpec, total_bytes: int, where: str):
        self.size = total_bytes
        self.count = int(round(spec.invalid_rate * total_bytes))
        if spec.invalid_rate and self.count == 0:
            raise ValueError(
                f"invalid rate {spec.invalid_rate} gives no invalid code in the "
                f"{total_bytes} bytes of {where}; use a rate of at least "
                f"{1 / (2 * total_bytes):.3g} or more lines"
            )
        self._bad = spec.lut.invalid_codes
        half = max(1, -(-max(total_bytes - 1, 1).bit_length() // 2))
        self._half = np.uint64(half)
        self._mask = np.uint64((1 << half) - 1)
        keys = _stream(spec.seed, _STREAM_INVALID_POS).random_raw(_ROUNDS + 1)
        self._keys = [np.uint64(k) for k in keys[:_ROUNDS]]
        self._value_key = np.uint64(_stream(spec.seed, _STREAM_INVALID_VAL).random_raw(1)[0])

    def _feistel(self, x: np.ndarray) -> np.ndarray:
        left, right = x >> self._half, x & self._mask
        for key in self._keys:
            left, right = right, left ^ (_mix(right ^ key) & self._mask)
        return (left << self._half) | right

    def rank(self, index: np.ndarray) -> np.ndarray:
        """``P(index)``: a permutation of 0 .. size - 1 (cycle walking keeps it in range)."""
        y = self._feistel(index.astype(np.uint64))
        out = y >= np.uint64(self.size)
        while out.any():
            y[out] = self._feistel(y[out])
            out[out] = y[out] >= np.uint64(self.size)
        return y

    def apply(self, codes: np.ndarray, start_byte: int) -> np.ndarray:
        """``codes`` (bytes ``start_byte`` ..) with the planned invalid codes put in."""
        if self.count == 0:
            return codes
        idx = np.arange(start_byte, start_byte + codes.size, dtype=np.uint64)
        rank = self.rank(idx)
        hit = rank < np.uint64(self.count)
        if not hit.any():
            return codes
        out = codes.copy()
        pick = _mix(rank[hit] ^ self._value_key) % np.uint64(self._bad.size)
        out[hit] = self._bad[pick.astype(np.intp)]
        return out
