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


def exhaustive_lines(codec) -> np.ndarray:
    """243 lines in which every valid code sits once at every byte position.

    Line ``i`` holds valid code number ``(i + p) mod 243`` at byte ``p``.
    """
    codes = np.flatnonzero(golden.get_lut(codec).valid).astype(np.uint8)
    idx = (np.arange(codes.size)[:, None] + np.arange(LINE_BYTES)[None, :]) % codes.size
    return codes[idx]


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
