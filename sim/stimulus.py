"""Input lines for the regression: exhaustive, random and with invalid codes.

Every function returns (n, 64) uint8 lines of byte codes.  Valid lines are built
with the golden model (:func:`golden.encode`), so they never hold an invalid
code by accident.
"""

from __future__ import annotations

import numpy as np

from tritpack import golden

__all__ = ["exhaustive_lines", "invalid_lines", "uniform_lines", "weight_lines"]

LINE_BYTES = golden.LINE_BYTES
_TRITS_PER_LINE = LINE_BYTES * golden.TRITS_PER_BYTE


def exhaustive_lines(codec, lanes: int) -> np.ndarray:
    """The fewest lines in which every valid code passes through every lane of an
    engine with ``lanes`` lanes: 243 output transfers, ``ceil(243 * lanes / 64)`` lines.

    Transfer ``t`` (counted over the lines) holds valid code number
    ``(t + j) mod 243`` in lane ``j``, so any 243 consecutive transfers hold every
    code in every lane, each at a different place of the line.
    """
    if lanes not in golden.LANES:
        raise ValueError(f"lanes must be one of {', '.join(map(str, golden.LANES))}, "
                         f"not {lanes!r}")
    codes = np.flatnonzero(golden.get_lut(codec).valid).astype(np.uint8)
    beats = LINE_BYTES // lanes
    n = -(-codes.size // beats)
    p = np.arange(LINE_BYTES)
    t = np.arange(n)[:, None] * beats + (p // lanes)[None, :]
    return codes[(t + p % lanes) % codes.size]


def uniform_lines(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` lines of uniformly random bytes (about 5 % of them invalid codes)."""
    return rng.integers(0, 256, size=(n, LINE_BYTES), dtype=np.uint8)


def weight_lines(rng: np.random.Generator, n: int, codec, zeros: float = 0.5) -> np.ndarray:
    """``n`` lines of ternary-weight-like trits: a fraction ``zeros`` of zeros,
    the rest +1 and -1 equally often."""
    p = (1 - zeros) / 2
    trits = rng.choice(np.array([-1, 0, 1], dtype=np.int8), size=n * _TRITS_PER_LINE,
                       p=[p, zeros, p])
    return golden.encode(trits, codec).reshape(n, LINE_BYTES)


def invalid_lines(rng: np.random.Generator, codec, positions) -> np.ndarray:
    """One weight-like line per entry of ``positions``, with an invalid code at that
    byte; the invalid codes cycle through all 13 of the codec."""
    positions = np.asarray(positions, dtype=np.int64)
    bad = golden.get_lut(codec).invalid_codes
    lines = weight_lines(rng, positions.size, codec)
    lines[np.arange(positions.size), positions] = bad[np.arange(positions.size) % bad.size]
    return lines
