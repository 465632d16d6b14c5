"""Block packing: sizes, padding, exact round trips and bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tritpack import golden
from tritpack.golden.lut import Lut

PADDING_CASES = [0, 1, 319, 320, 321, 639, 640, 641]


def expected_blocks(n: int, block: int) -> int:
    return (n + block - 1) // block


@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
@pytest.mark.parametrize("block", golden.BLOCK_SIZES)
@pytest.mark.parametrize("n", PADDING_CASES)
def test_padding_edge_cases(n, block, codec):
    trits = np.random.default_rng(n).integers(-1, 2, n, dtype=np.int8)
    packed = golden.pack(trits, codec, block)
    blocks = expected_blocks(n, block)
    assert packed.data.dtype == np.uint8
    assert packed.data.size == blocks * block // 5
    assert packed.num_blocks == blocks and packed.padding == blocks * block - n
    assert packed.shape == (n,) and packed.block == block and packed.codec == codec
    zero_code = golden.encode(np.zeros(5, dtype=np.int8), codec)[0]
    tail = golden.decode(packed.data, codec)[n:]
    assert not tail.any()  # padding is zero trits ...
    if packed.padding >= 5:  # ... so whole padding bytes are the code of five zeros
        assert packed.data[-1] == zero_code
    out = golden.unpack(packed)
    assert out.dtype == np.int8 and np.array_equal(out, trits)


@settings(max_examples=80, deadline=None)
@given(shape=st.lists(st.integers(0, 9), min_size=0, max_size=4),
       block=st.sampled_from(golden.BLOCK_SIZES),
       codec=st.sampled_from(golden.CODEC_NAMES),
       seed=st.integers(0, 2**32 - 1))
def test_pack_unpack_roundtrip_property(shape, block, codec, seed):
    trits = np.random.default_rng(seed).integers(-1, 2, shape, dtype=np.int8)
    packed = golden.pack(trits, codec, block)
    assert packed.data.size * 5 == expected_blocks(trits.size, block) * block
    out = golden.unpack(packed)
    assert out.shape == trits.shape and np.array_equal(out, trits)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 2000), block=st.sampled_from(golden.BLOCK_SIZES),
       seed=st.integers(0, 2**32 - 1))
def test_block_bytes_are_the_flat_encoding(n, block, seed):
    trits = np.random.default_rng(seed).integers(-1, 2, n, dtype=np.int8)
    padded = np.zeros(expected_blocks(n, block) * block, dtype=np.int8)
    padded[:n] = trits
    assert np.array_equal(golden.pack(trits, "tq1", block).data, golden.encode(padded, "tq1"))


def test_scalar_and_multidimensional_shapes():
    for trits in (np.int8(-1), np.zeros((3, 0, 2), np.int8), np.ones((2, 3, 161), np.int8)):
        packed = golden.pack(trits)
        out = golden.unpack(packed)
        assert out.shape == np.shape(trits) and np.array_equal(out, trits)


def test_float_weights_pack():
    trits = np.array([[1.0, -1.0, 0.0], [-0.0, 1.0, 1.0]], dtype=np.float32)
    assert np.array_equal(golden.unpack(golden.pack(trits)), trits.astype(np.int8))


def test_custom_lut_is_kept_not_shadowed_by_a_builtin_name():
    std = golden.get_lut("standard")
    perm = np.roll(np.arange(256), 13)  # valid codes 13..255, invalid 0..12
    lut = Lut.from_table(std.trits[perm], std.valid[perm], name="standard")
    trits = np.random.default_rng(2).integers(-1, 2, 100, dtype=np.int8)
    packed = golden.pack(trits, lut)
    assert packed.codec is lut
    assert np.array_equal(golden.unpack(packed), trits)


def test_bad_inputs():
    with pytest.raises(ValueError, match="block must be one of 320, 640 .* not 64"):
        golden.pack(np.zeros(5), block=64)
    with pytest.raises(ValueError, match="not True"):
        golden.pack(np.zeros(5), block=True)
    with pytest.raises(ValueError, match=r"value 2 at index \(1, 2\)"):
        golden.pack(np.array([[0, 0, 0], [0, 0, 2]]))
    whole = np.zeros((2, 320), dtype=np.int8)  # whole blocks: the no-copy path
    whole[1, 319] = 2
    with pytest.raises(ValueError, match=r"value 2 at index \(1, 319\)"):
        golden.pack(whole)
    with pytest.raises(TypeError, match="not dtype <U1"):
        golden.pack(np.array(["x"]))


def test_unpack_rejects_mismatched_data():
    packed = golden.pack(np.ones(700, dtype=np.int8))
    with pytest.raises(ValueError, match=r"has 192 bytes, expected 128 .*shape \(600,\)"):
        golden.unpack(golden.PackedTensor(packed.data, (600,), 320))
    with pytest.raises(ValueError, match=r"padding trit 690 \(byte offset 138\) is 1"):
        golden.unpack(golden.PackedTensor(packed.data, (690,), 320))
    with pytest.raises(TypeError, match="1-D uint8"):
        golden.unpack(golden.PackedTensor(packed.data.astype(np.int16), (700,), 320))
    with pytest.raises(ValueError, match="non-negative ints"):
        golden.unpack(golden.PackedTensor(packed.data, (-1, 700), 320))
    with pytest.raises(ValueError, match="block must be"):
        golden.unpack(golden.PackedTensor(packed.data, (700,), 100))
    bad = packed.data.copy()
    bad[5] = 0xff
    with pytest.raises(golden.InvalidCodeError, match="byte offset 5"):
        golden.unpack(golden.PackedTensor(bad, (700,), 320))
    zeroed = golden.unpack(golden.PackedTensor(bad, (700,), 320), on_invalid="mask")
    assert not zeroed[25:30].any() and zeroed[:25].all()


def test_padded_length_and_num_blocks():
    assert [golden.padded_length(n) for n in PADDING_CASES] == [0, 320, 320, 320, 640, 640,
                                                                640, 960]
    assert golden.blocks.num_blocks(641, 640) == 2
    with pytest.raises(ValueError, match=">= 0"):
        golden.blocks.num_blocks(-1)
