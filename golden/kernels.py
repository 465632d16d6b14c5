"""Fast, chunked numpy kernels behind :func:`golden.encode` and :func:`golden.decode`.

Both kernels work in cache-sized chunks, so their peak memory is the input,
the output and a few MB of scratch, and both rely on one trick to move between
5-byte trit groups and 8-byte machine words (little-endian hosts only):

*Decode* looks each code up in a 256-entry ``uint64`` table whose low five bytes
are the five int8 trits (one fast 8-byte ``np.take``) and stores the words into
the output through a ``uint64`` view with a 5-byte stride.  Word ``k`` covers
output bytes ``5k .. 5k+7``; its three high bytes are junk that word ``k+1``
overwrites, because numpy stores a 1-D view in ascending order (the tests
check the result against the plain table lookup).  Bit 40 of a table word
flags an invalid code, so the validity check is a cheap ``max``.

*Encode* reads the trits through the same kind of view: the ``uint64`` at byte
``5k`` holds group ``k`` in its low 40 bits and three bytes of the next group
above.  Multiplying by :data:`HASH_MULTIPLIER`, whose low 24 bits are zero,
wipes those three bytes out (they land at bit 64 and beyond), and the top
:data:`HASH_BITS` bits of the product are a perfect hash of the 243 valid
groups into a 512-entry code table.  Trits are validated separately, chunk by
chunk, with two int8 reductions.
"""

from __future__ import annotations

import sys

import numpy as np

from .lut import TRITS_PER_BYTE, Lut, all_tuples

__all__ = [
    "CHUNK_CODES", "HASH_BITS", "HASH_MULTIPLIER", "FAST",
    "decode_table", "encode_table", "valid_below", "hash_groups", "is_perfect_multiplier",
    "decode_into", "encode_into", "find_bad_trit",
]

#: Codes per chunk: 65536 codes = 320 KiB of trits; decode scratch is 1 MiB per call
#: (measured best: larger chunks spill L2 and fall out of the malloc heap).
CHUNK_CODES = 1 << 16
#: Multiply-shift perfect hash of the 243 five-byte trit groups (found once by
#: :func:`find_multiplier`; ``tests/test_golden_kernels.py`` re-checks it).
HASH_MULTIPLIER = 0x98E9CDB113000000
HASH_BITS = 9
#: The word tricks need a little-endian host; elsewhere the plain lookups run.
FAST = sys.byteorder == "little"

_INVALID_FLAG = np.uint64(1 << 40)
_SHIFT = np.uint64(64 - HASH_BITS)


def group_words(trits: np.ndarray) -> np.ndarray:
    """The trit groups of shape (n, 5) int8 as uint64 words (trit i in byte i)."""
    words = np.zeros((len(trits), 8), dtype=np.uint8)
    words[:, :TRITS_PER_BYTE] = np.asarray(trits, dtype=np.int8).view(np.uint8)
    return words.view("<u8").reshape(-1)


def hash_groups(words: np.ndarray, multiplier: int = HASH_MULTIPLIER,
                bits: int = HASH_BITS) -> np.ndarray:
    """Multiply-shift hash of uint64 group words: the top ``bits`` bits of ``w * multiplier``."""
    with np.errstate(over="ignore"):
        return (words * np.uint64(multiplier)) >> np.uint64(64 - bits)


def is_perfect_multiplier(multiplier: int, bits: int = HASH_BITS) -> bool:
    """True if ``multiplier`` hashes the 243 trit groups to distinct slots, ignoring junk bytes."""
    if multiplier % (1 << 24):
        return False  # the three junk bytes above a group would leak into the hash
    return np.unique(hash_groups(group_words(all_tuples()), multiplier, bits)).size == 243


def find_multiplier(bits: int = HASH_BITS, seed: int = 1, tries: int = 1 << 20) -> int:
    """Search a perfect multiplier (low 24 bits zero) for :func:`hash_groups`; deterministic."""
    rng = np.random.default_rng(seed)
    for _ in range(tries):
        candidate = int(rng.integers(1, 1 << 40, dtype=np.uint64)) << 24
        if is_perfect_multiplier(candidate, bits):
            return candidate
    raise RuntimeError(f"no perfect {bits}-bit multiplier in {tries} tries")


def valid_below(lut: Lut) -> int | None:
    """``n`` if the valid codes of ``lut`` are exactly ``0 .. n-1``, else None."""
    n = int(lut.valid.sum())
    return n if lut.valid[:n].all() else None


def decode_table(lut: Lut) -> np.ndarray:
    """Shape (256,) uint64: code -> its five int8 trits in bytes 0..4, plus bit 40 if invalid."""
    table = group_words(lut.trits)
    return table | np.where(lut.valid, np.uint64(0), _INVALID_FLAG)


def encode_table(lut: Lut) -> np.ndarray:
    """Shape (2**HASH_BITS,) uint8: hash of a trit group -> its code in ``lut``."""
    slots = hash_groups(group_words(all_tuples()))
    if np.unique(slots).size != slots.size:  # cannot happen: HASH_MULTIPLIER is tested
        raise RuntimeError("HASH_MULTIPLIER is not a perfect hash of the trit groups")
    table = np.zeros(1 << HASH_BITS, dtype=np.uint8)
    table[slots] = lut.codes  # all_tuples() row i has tuple index i
    return table


def _words_view(buf: np.ndarray, count: int) -> np.ndarray:
    """``count`` uint64 words at byte offsets 0, 5, 10, ... of contiguous uint8 ``buf``."""
    return np.ndarray((count,), dtype=np.uint64, buffer=buf, strides=(TRITS_PER_BYTE,))


def decode_into(codes: np.ndarray, table: np.ndarray, out: np.ndarray,
                valid: np.ndarray | None = None, *, stop_at_invalid: bool = True,
                valid_below: int | None = None, chunk: int = CHUNK_CODES) -> int:
    """Decode uint8 ``codes`` into int8 ``out`` (``5 * codes.size``) with a :func:`decode_table`.

    Invalid codes decode to five zeros; ``valid`` (bool, per code), if given,
    receives the validity of each code.  With ``stop_at_invalid``, stops at the
    first chunk holding an invalid code and returns that code's index; if the
    valid codes are exactly ``0 .. valid_below - 1`` (the standard codec), pass
    ``valid_below`` to check the bytes (1 byte per code) instead of the words.

    Returns
    -------
    int
        Index of the first invalid code if it stopped, else -1.
    """
    m = codes.size
    if m == 0:
        return -1
    out8 = out.view(np.uint8)
    words = _words_view(out8, m - 1)  # the last word would run 3 bytes past the end
    n = min(chunk, m)
    index = np.empty(n, dtype=np.intp)
    buf = np.empty(n, dtype=np.uint64)
    for start in range(0, m, chunk):
        stop = min(start + chunk, m)
        n = stop - start
        ix, b = index[:n], buf[:n]
        part = codes[start:stop]
        if stop_at_invalid and valid_below is not None and part.max() >= valid_below:
            return start + int(np.argmax(part >= valid_below))
        np.copyto(ix, part)
        np.take(table, ix, out=b, mode="clip")
        if stop_at_invalid and valid_below is None and b.max() >= _INVALID_FLAG:
            return start + int(np.argmax(b >= _INVALID_FLAG))
        if valid is not None:
            np.less(b, _INVALID_FLAG, out=valid[start:stop])
        last = min(stop, m - 1)
        if last > start:
            words[start:last] = b[: last - start]
    out8[-TRITS_PER_BYTE:] = buf.view(np.uint8)[8 * (n - 1): 8 * (n - 1) + TRITS_PER_BYTE]
    return -1


def find_bad_trit(trits: np.ndarray) -> int:
    """Index of the first value of int8 ``trits`` outside {-1, 0, 1}, or -1."""
    bad = np.flatnonzero((trits < -1) | (trits > 1))
    return int(bad[0]) if bad.size else -1


def encode_into(trits: np.ndarray, table: np.ndarray, out: np.ndarray, *,
                validate: bool = True, chunk: int = CHUNK_CODES) -> int:
    """Encode contiguous int8 ``trits`` (``5 * out.size``) into uint8 ``out``.

    ``table`` is an :func:`encode_table`.

    With ``validate``, each chunk is checked before it is encoded; on a value
    outside {-1, 0, 1} the function stops and returns that value's index.

    Returns
    -------
    int
        Index of the first bad trit if it stopped, else -1.
    """
    m = out.size
    if m == 0:
        return -1
    words = _words_view(trits.view(np.uint8), m - 1)  # the last word would overrun
    n = min(chunk, m)
    hashes = np.empty(n, dtype=np.uint64)
    multiplier = np.uint64(HASH_MULTIPLIER)
    for start in range(0, m, chunk):
        stop = min(start + chunk, m)
        if validate:
            group = trits[TRITS_PER_BYTE * start: TRITS_PER_BYTE * stop]
            if group.min() < -1 or group.max() > 1:
                return TRITS_PER_BYTE * start + find_bad_trit(group)
        last = min(stop, m - 1)
        n = last - start
        if n > 0:
            h = hashes[:n]
            np.multiply(words[start:last], multiplier, out=h)
            np.right_shift(h, _SHIFT, out=h)
            np.take(table, h.view(np.intp), out=out[start:last], mode="clip")
    tail = group_words(trits[-TRITS_PER_BYTE:].reshape(1, TRITS_PER_BYTE))
    out[-1] = table[hash_groups(tail)[0]]
    return -1
