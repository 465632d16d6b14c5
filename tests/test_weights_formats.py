"""TQ1_0 / TQ2_0 and HF BitNet packing against their own reference implementations.

The GGUF references are the ``gguf`` package's own quantizer and dequantizer;
the HF reference is transformers' ``unpack_weights`` loop, restated here.
"""

import gguf
import numpy as np
import pytest
from gguf import GGMLQuantizationType as Q

from tritpack.golden import decode
from tritpack.golden.weights.gguf_tq import BPW, TYPE_SIZE, tq_to_trits, trits_to_tq
from tritpack.golden.weights.hf_bitnet import hf_pack, hf_unpack
from tritpack.golden.weights.ternary import TernaryTensor

QTYPES = ["TQ1_0", "TQ2_0"]


def _random_weights(rng, rows, cols):
    return rng.normal(0, 0.05, (rows, cols)).astype(np.float32)


@pytest.mark.parametrize("qtype", QTYPES)
def test_sizes_match_gguf(qtype):
    block, size = gguf.GGML_QUANT_SIZES[Q[qtype]]
    assert (block, size) == (256, TYPE_SIZE[qtype])
    assert BPW == {"TQ1_0": 1.6875, "TQ2_0": 2.0625}


@pytest.mark.parametrize("qtype", QTYPES)
def test_decode_agrees_with_gguf_dequantize(qtype):
    """Element order: our trits times d must equal gguf's own dequantization exactly."""
    rng = np.random.default_rng(7)
    w = _random_weights(rng, 6, 768)
    raw = gguf.quants.quantize(w, Q[qtype])
    trits, d = tq_to_trits(raw, qtype)
    assert trits.dtype == np.int8 and set(np.unique(trits)) <= {-1, 0, 1}
    ours = TernaryTensor(trits.reshape(w.shape), d, "block256").dequantize()
    ref = gguf.quants.dequantize(raw, Q[qtype])
    assert np.array_equal(ours, ref)


@pytest.mark.parametrize("qtype", QTYPES)
def test_encode_is_byte_exact_with_gguf_quantize(qtype):
    """Trits and fp16 scales re-encode to exactly the quantizer's bytes."""
    rng = np.random.default_rng(8)
    trits = rng.integers(-1, 2, (4, 512)).astype(np.int8)
    d = rng.uniform(0.01, 1, (4, 2)).astype(np.float16)
    w = (trits.reshape(4, 2, 256) * d[..., None].astype(np.float32)).reshape(4, 512)
    raw = gguf.quants.quantize(w, Q[qtype])
    back = trits_to_tq(trits, d.reshape(-1), qtype)
    assert np.array_equal(back.reshape(raw.shape), raw)
    t2, d2 = tq_to_trits(raw, qtype)
    assert np.array_equal(t2, trits.reshape(-1))
    assert np.array_equal(d2.view(np.uint16), d.reshape(-1).view(np.uint16))


def test_tq1_bytes_are_strided_tq1_codes():
    """A TQ1_0 qs byte is a golden tq1 code, holding weights 32 apart (not 5 in a row)."""
    t = np.zeros(256, np.int8)
    t[[0, 32, 64, 96, 128]] = [1, -1, 1, 0, -1]  # byte 0 of qs
    raw = trits_to_tq(t, np.ones(1, np.float16), "TQ1_0")
    assert decode(raw[0, :1], "tq1").tolist() == [1, -1, 1, 0, -1]
    # Our contiguous packing of the same weights would put weights 0..4 in the first byte.
    assert decode(raw[0, :1], "tq1").tolist() != t[:5].tolist()


def test_tq1_qh_bytes_hold_four_trits_and_minus_one():
    t = np.zeros(256, np.int8)
    t[240:] = 1
    raw = trits_to_tq(t, np.ones(1, np.float16), "TQ1_0")
    assert decode(raw[0, 48:52], "tq1").reshape(4, 5)[:, 4].tolist() == [-1] * 4


@pytest.mark.parametrize("qtype,byte,value", [
    ("TQ1_0", 3, 0x01),   # not a tq1 code in qs
    ("TQ1_0", 49, 0x01),  # not a tq1 code in qh
    ("TQ1_0", 50, 0x02),  # a tq1 code, but its fifth trit is 0, not -1
    ("TQ2_0", 10, 0xFF),  # 2-bit values of 3
])
def test_corrupt_tq_bytes_raise(qtype, byte, value):
    raw = gguf.quants.quantize(np.ones((1, 256), np.float32), Q[qtype]).reshape(-1).copy()
    raw[byte] = value
    with pytest.raises(ValueError, match="block 0"):
        tq_to_trits(raw, qtype)


def test_partial_block_raises():
    with pytest.raises(ValueError, match="whole number"):
        tq_to_trits(np.zeros(53, np.uint8), "TQ1_0")


def _transformers_unpack(packed):
    """transformers.integrations.bitnet.unpack_weights, in numpy."""
    rows = packed.shape[0]
    out = np.zeros((rows * 4, *packed.shape[1:]), np.uint8)
    for i in range(4):
        out[i * rows:(i + 1) * rows] = (packed & (3 << (2 * i))) >> (2 * i)
    return out.astype(np.int8) - 1


@pytest.mark.parametrize("shape", [(8, 5), (4,), (12, 3, 2)])
def test_hf_round_trip_against_transformers_layout(shape):
    rng = np.random.default_rng(9)
    trits = rng.integers(-1, 2, shape).astype(np.int8)
    packed = hf_pack(trits)
    assert packed.dtype == np.uint8 and packed.shape == (shape[0] // 4, *shape[1:])
    assert np.array_equal(_transformers_unpack(packed), trits)
    assert np.array_equal(hf_unpack(packed), trits)


def test_hf_bit_layout_by_hand():
    # W (4 x 1) = [+1, 0, -1, +1]: row r + i*1 in bits 2i+1:2i as W + 1 -> 2, 1, 0, 2.
    packed = hf_pack(np.array([[1], [0], [-1], [1]], np.int8))
    assert packed.tolist() == [[2 | 1 << 2 | 0 << 4 | 2 << 6]]


def test_hf_errors():
    with pytest.raises(ValueError, match="multiple of 4"):
        hf_pack(np.zeros((6, 2), np.int8))
    with pytest.raises(ValueError, match="hold 3"):
        hf_unpack(np.array([[0b11]], np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        hf_unpack(np.zeros((2, 2), np.int8))
