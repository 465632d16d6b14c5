"""Input lines for the regression: exhaustive, random and with invalid codes.

Every function returns (n, 64) uint8 lines of byte codes.  Valid lines are built
with the golden model (:func:`golden.encode`), so they never hold an invalid
code by accident.
"""

from __future__ import annotations

import numpy as np

from tritpack import golden

__all__ = ["exhaustive_lines", "invalid_lines", "random_stream", "uniform_lines", "weight_lines"]

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


#: Packet lengths of :func:`random_stream`: (chance, lowest, highest) lines, so that
#: every bin of ``sim.coverage.PACKET_BINS`` is hit often.
PACKET_MIX = ((0.1, 1, 1), (0.1, 2, 2), (0.4, 3, 15), (0.4, 16, 256))


def random_stream(seed: int, count: int, codec, invalid_rate: float = 1 / 4096,
                  chunk: int = 4096):
    """``count`` random lines for a long run, computed ``chunk`` lines at a time.

    Yields ``(lines, last)``: (k, 64) uint8 codes, uniformly random valid ones with
    a fraction ``invalid_rate`` of the bytes replaced by random invalid codes, and
    (k,) bool ``tlast``, packets of random lengths (:data:`PACKET_MIX`).  The same
    ``seed`` and ``chunk`` give the same stream.
    """
    lut = golden.get_lut(codec)
    valid = np.flatnonzero(lut.valid).astype(np.uint8)
    bad = lut.invalid_codes.astype(np.uint8)
    data_rng = np.random.default_rng([seed, 1])
    packet_rng = np.random.default_rng([seed, 2])
    chances = np.array([m[0] for m in PACKET_MIX])
    left_in_packet = 0
    done = 0
    while done < count:
        k = min(chunk, count - done)
        lines = valid[data_rng.integers(0, valid.size, size=(k, LINE_BYTES))]
        hit = data_rng.random((k, LINE_BYTES)) < invalid_rate
        lines[hit] = bad[data_rng.integers(0, bad.size, size=int(hit.sum()))]
        last = np.zeros(k, dtype=bool)
        i = 0
        while i < k:
            if left_in_packet == 0:
                _, lo, hi = PACKET_MIX[packet_rng.choice(len(PACKET_MIX), p=chances)]
                left_in_packet = int(packet_rng.integers(lo, hi + 1))
            step = min(left_in_packet, k - i)
            i += step
            left_in_packet -= step
            if left_in_packet == 0:
                last[i - 1] = True
        done += k
        if done == count:
            last[-1] = True
        yield lines, last

