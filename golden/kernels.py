"""Fast, chunked numpy kernels behind :func:`golden.encode` and :func:`golden.decode`.

Both kernels work in cache-sized chunks, so their peak memory is the input,
the output and a few MB of scratch, and both rely on one trick to move between
5-byte trit groups and 8-byte machine words (little-endian hosts only):

*Decode* looks each pair of codes (a ``uint16``) up in a 65536-entry table of
16-byte items whose low ten bytes are the ten int8 trits (one fast 16-byte
``np.take``) and stores the items into the output through a view with a
10-byte stride.  Item ``k`` covers output bytes ``10k .. 10k+15``; its six
high bytes are junk that item ``k+1`` overwrites, because numpy stores a 1-D
view in ascending order (the tests check the result against the plain table
lookup).  Flag bits in the junk bytes mark invalid codes, so the validity
check is a cheap ``max``.  This pair table beat a 256-entry ``uint64`` table
with a 5-byte stride by about 40% (fewer index conversions and lookups).

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
    "decode_table", "pair_table", "encode_table", "valid_below", "hash_groups",
    "is_perfect_multiplier",
    "decode_into", "encode_into", "find_bad_trit",
]

#: Codes per chunk: 131072 codes = 640 KiB of trits; decode scratch is 1.5 MiB
#: per call (measured best; much larger chunks spill L2 and the malloc heap).
CHUNK_CODES = 1 << 17
#: Multiply-shift perfect hash of the 243 five-byte trit groups (found once by
#: :func:`find_multiplier`; ``tests/test_golden_kernels.py`` re-checks it).
HASH_MULTIPLIER = 0x98E9CDB113000000
HASH_BITS = 9
#: The word tricks need a little-endian host; elsewhere the plain lookups run.
FAST = sys.byteorder == "little"

_INVALID_FLAG = np.uint64(1 << 40)
_PAIR = np.dtype("V16")  # numpy's take and copy move 16-byte items in one go
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


def pair_table(lut: Lut) -> np.ndarray:
    """Shape (65536,) 16-byte items: a little-endian pair of codes ``c0 | c1 << 8`` ->
    its ten int8 trits in bytes 0..9, plus bit 0 of byte 13 if ``c0`` is invalid and
    bit 1 of byte 13 if ``c1`` is (one 1 MiB table per codec)."""
    single = decode_table(lut)
    trits = single & np.uint64((1 << 40) - 1)
    flags = (single >> np.uint64(40)) & np.uint64(1)
    pairs = np.arange(1 << 16)
    c0, c1 = pairs & 0xFF, pairs >> 8
    table = np.empty((1 << 16, 2), dtype="<u8")
    table[:, 0] = trits[c0] | (trits[c1] << np.uint64(40))
    table[:, 1] = (trits[c1] >> np.uint64(24)) | (flags[c0] << np.uint64(40)) \
        | (flags[c1] << np.uint64(41))
    return table.view(_PAIR).reshape(-1)


def _items_view(buf: np.ndarray, count: int, dtype, stride: int) -> np.ndarray:
    """``count`` items of ``dtype`` at byte offsets 0, stride, 2*stride, ... of uint8 ``buf``."""
    return np.ndarray((count,), dtype=dtype, buffer=buf, strides=(stride,))


def _first_flagged(hi: np.ndarray, start: int) -> int:
    """Code index of the first invalid code in a chunk of pair high words."""
    k = int(np.argmax(hi >= _INVALID_FLAG))
    return 2 * (start + k) + (0 if int(hi[k]) & int(_INVALID_FLAG) else 1)


def decode_into(codes: np.ndarray, tables: tuple, out: np.ndarray,
                valid: np.ndarray | None = None, *, stop_at_invalid: bool = True,
                valid_below: int | None = None, chunk: int = CHUNK_CODES) -> int:
    """Decode uint8 ``codes`` into int8 ``out`` (``5 * codes.size``).

    ``tables`` is ``(decode_table(lut), pair_table(lut))``.  Codes are decoded
    two at a time (one 16-byte lookup per pair, stored with a 10-byte stride);
    an odd last code goes through the single-code table.  Invalid codes decode
    to five zeros; ``valid`` (bool, per code), if given, receives the validity
    of each code.  With ``stop_at_invalid``, stops at the first chunk holding
    an invalid code and returns that code's index; if the valid codes are
    exactly ``0 .. valid_below - 1`` (the standard codec), pass ``valid_below``
    to check the bytes instead of the table flags.

    Returns
    -------
    int
        Index of the first invalid code if it stopped, else -1.
    """
    single, pairs = tables
    m = codes.size
    m2 = m // 2
    out8 = out.view(np.uint8)
    step = max(1, chunk // 2)  # pairs per chunk
    if m2:
        c16 = codes[: 2 * m2].view("<u2")
        words = _items_view(out8, m2 - 1, _PAIR, 10)  # the last would run 6 bytes past
        n = min(step, m2)
        index = np.empty(n, dtype=np.intp)
        buf = np.empty(n, dtype=_PAIR)
        high = buf.view("<u8")[1::2]  # trits 8, 9 of each pair and the invalid flags
        for start in range(0, m2, step):
            stop = min(start + step, m2)
            n = stop - start
            if stop_at_invalid and valid_below is not None:
                part = codes[2 * start: 2 * stop]
                if part.max() >= valid_below:
                    return 2 * start + int(np.argmax(part >= valid_below))
            np.copyto(index[:n], c16[start:stop])
            np.take(pairs, index[:n], out=buf[:n], mode="clip")
            hi = high[:n]
            if stop_at_invalid and valid_below is None and hi.max() >= _INVALID_FLAG:
                return _first_flagged(hi, start)
            if valid is not None:
                np.equal(hi & _INVALID_FLAG, 0, out=valid[2 * start: 2 * stop: 2])
                np.equal(hi & (_INVALID_FLAG << np.uint64(1)), 0,
                         out=valid[2 * start + 1: 2 * stop: 2])
            last = min(stop, m2 - 1)
            if last > start:
                words[start:last] = buf[: last - start]
        tail = buf[n - 1: n].view(np.uint8)[:10]
        out8[10 * (m2 - 1): 10 * m2] = tail
    if m % 2:
        word = single[codes[m - 1]]
        bad = codes[m - 1] >= valid_below if valid_below is not None else word >= _INVALID_FLAG
        if stop_at_invalid and bad:
            return m - 1
        if valid is not None:
            valid[m - 1] = word < _INVALID_FLAG
        out8[-TRITS_PER_BYTE:] = np.array([word], dtype="<u8").view(np.uint8)[:TRITS_PER_BYTE]
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
