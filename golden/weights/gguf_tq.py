"""llama.cpp's ternary block types TQ1_0 and TQ2_0, losslessly to and from trits.

Both hold 256 weights per block and one fp16 scale ``d`` (``w = d * t``).
Their byte order, as written by ggml's reference quantizer
(``quantize_row_tq1_0_ref``, gguf-py ``quants.TQ1_0``), is *strided*:

TQ1_0 (54 bytes: ``qs[48]``, ``qh[4]``, ``d``)
    ``qs[k]``, k < 32, holds weights ``k + 32*n`` for n = 0..4, weight n in
    trit n of the byte (trit 0 is the most significant base-3 digit, i.e. the
    ``tq1`` codec of :mod:`golden.lut`); ``qs[32 + k]``, k < 16, holds weights
    ``160 + k + 16*n``; ``qh[k]``, k < 4, holds weights ``240 + k + 4*n`` for
    n = 0..3 in trits 0..3, and trit 4 is always -1 (a zero base-3 digit).
TQ2_0 (66 bytes: ``qs[64]``, ``d``)
    bits ``2j+1:2j`` of ``qs[32*g + k]`` hold ``t + 1`` of weight ``128*g + 32*j + k``.

So a TQ1_0 byte is a valid ``tq1`` code, but its five trits are weights 32
(or 16) apart, not the five consecutive weights of our blocks: converting
means decoding and re-encoding, never copying bytes.  Decoding is strict (an
invalid code, a ``qh`` byte whose fifth trit is not -1, or a TQ2_0 value 3
raises), so that a decoded file re-encodes to exactly the same bytes.
"""

from __future__ import annotations

import numpy as np

from .. import decode, encode

__all__ = ["QK", "TYPE_SIZE", "BPW", "tq_to_trits", "trits_to_tq"]

QK = 256
TYPE_SIZE = {"TQ1_0": 54, "TQ2_0": 66}
BPW = {k: v * 8 / QK for k, v in TYPE_SIZE.items()}  # 1.6875, 2.0625


def _blocks(raw, qtype: str) -> np.ndarray:
    raw = np.ascontiguousarray(raw, dtype=np.uint8)
    if raw.size % TYPE_SIZE[qtype]:
        raise ValueError(
            f"{qtype} data of {raw.size} bytes is not a whole number of "
            f"{TYPE_SIZE[qtype]}-byte blocks"
        )
    return raw.reshape(-1, TYPE_SIZE[qtype])


def _decode_tq1(b: np.ndarray) -> np.ndarray:
    n = b.shape[0]
    trits, valid = decode(b[:, :52], "tq1", on_invalid="mask")
    trits = trits.reshape(n, 52, 5)
    bad = ~valid.reshape(n, 52) | np.pad(trits[:, 48:, 4] != -1, ((0, 0), (48, 0)))
    if bad.any():
        blk, byte = (int(i) for i in np.argwhere(bad)[0])
        part = f"qs[{byte}]" if byte < 48 else f"qh[{byte - 48}]"
        raise ValueError(
            f"TQ1_0 block {blk}: {part} = 0x{b[blk, byte]:02x} is not a code the TQ1_0 "
            "quantizer writes (corrupt data)"
        )
    qs0 = trits[:, :32].transpose(0, 2, 1).reshape(n, 160)
    qs1 = trits[:, 32:48].transpose(0, 2, 1).reshape(n, 80)
    qh = trits[:, 48:52, :4].transpose(0, 2, 1).reshape(n, 16)
    return np.concatenate([qs0, qs1, qh], axis=1)


def _encode_tq1(t: np.ndarray) -> np.ndarray:
    n = t.shape[0]
    qs0 = t[:, :160].reshape(n, 5, 32).transpose(0, 2, 1)
    qs1 = t[:, 160:240].reshape(n, 5, 16).transpose(0, 2, 1)
    qh = t[:, 240:].reshape(n, 4, 4).transpose(0, 2, 1)
    qh = np.concatenate([qh, np.full((n, 4, 1), -1, np.int8)], axis=2)
    tuples = np.concatenate([qs0, qs1, qh], axis=1)  # (n, 52, 5)
    return encode(tuples.reshape(-1), "tq1").reshape(n, 52)


def _decode_tq2(b: np.ndarray) -> np.ndarray:
    n = b.shape[0]
    qs = b[:, :64].reshape(n, 2, 1, 32)
    v = (qs >> np.array([0, 2, 4, 6], np.uint8).reshape(1, 1, 4, 1)) & 3  # (n, g, j, k)
    if (v == 3).any():
        blk, g, j, k = (int(i) for i in np.argwhere(v == 3)[0])
        raise ValueError(
            f"TQ2_0 block {blk}: qs[{32 * g + k}] bits {2 * j + 1}:{2 * j} hold 3, "
            "expected 0, 1 or 2 (corrupt data)"
        )
    return v.reshape(n, QK).astype(np.int8) - 1


def _encode_tq2(t: np.ndarray) -> np.ndarray:
    n = t.shape[0]
    v = (t.reshape(n, 2, 4, 32) + 1).astype(np.uint8)
    v = v << np.array([0, 2, 4, 6], np.uint8).reshape(1, 1, 4, 1)
    return np.bitwise_or.reduce(v, axis=2).reshape(n, 64)


def tq_to_trits(raw, qtype: str) -> tuple[np.ndarray, np.ndarray]:
    """Decode TQ1_0 or TQ2_0 blocks.

    Parameters
    ----------
    raw : array_like of uint8
        Whole blocks, in tensor order (any shape; flattened).
    qtype : {"TQ1_0", "TQ2_0"}

    Returns
    -------
    trits : numpy.ndarray
        int8, flat, 256 per block, in tensor element order.
    d : numpy.ndarray
        float16, one scale per block.

    Raises
    ------
    ValueError
        For a partial block or a byte the quantizer never writes, naming the
        block and byte.
    """
    b = _blocks(raw, qtype)
    trits = _decode_tq1(b) if qtype == "TQ1_0" else _decode_tq2(b)
    d = np.ascontiguousarray(b[:, -2:]).view(np.float16).reshape(-1)
    return trits.reshape(-1), d


def trits_to_tq(trits, d, qtype: str) -> np.ndarray:
    """Encode trits (a multiple of 256, tensor order) and per-block fp16 scales.

    Returns the blocks as uint8 of shape ``(n_blocks, type_size)``.
    """
    t = np.asarray(trits, dtype=np.int8).reshape(-1)
    if t.size % QK:
        raise ValueError(f"{qtype} needs a multiple of {QK} weights, got {t.size}")
    t = t.reshape(-1, QK)
    d = np.ascontiguousarray(d, dtype=np.float16).reshape(-1)
    if d.size != t.shape[0]:
        raise ValueError(f"{qtype}: {d.size} scales for {t.shape[0]} blocks")
    qs = _encode_tq1(t) if qtype == "TQ1_0" else _encode_tq2(t)
    return np.concatenate([qs, d.view(np.uint8).reshape(-1, 2)], axis=1)
