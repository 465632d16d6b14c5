"""The constants and tables behind the fast kernels."""

import numpy as np
import pytest

from tritpack import golden
from tritpack.golden import kernels
from tritpack.golden.lut import all_tuples


def test_hash_multiplier_is_perfect_and_ignores_junk_bytes():
    m = kernels.HASH_MULTIPLIER
    assert m % (1 << 24) == 0 and 0 < m < 1 << 64
    assert kernels.is_perfect_multiplier(m)
    words = kernels.group_words(all_tuples())
    junk = np.random.default_rng(0).integers(0, 1 << 24, words.size, dtype=np.uint64)
    assert np.array_equal(kernels.hash_groups(words),
                          kernels.hash_groups(words | (junk << np.uint64(40))))


def test_multiplier_checker_can_fail():
    assert not kernels.is_perfect_multiplier(1 << 24)  # everything hashes to slot 0
    assert not kernels.is_perfect_multiplier(kernels.HASH_MULTIPLIER + 1)  # low bits set


def test_find_multiplier_finds_a_perfect_one():
    m = kernels.find_multiplier(seed=5)
    assert kernels.is_perfect_multiplier(m)


def test_decode_table_layout():
    lut = golden.get_lut("tq1")
    table = kernels.decode_table(lut)
    as_bytes = table.view(np.uint8).reshape(256, 8)
    assert np.array_equal(as_bytes[:, :5].view(np.int8), lut.trits)
    assert np.array_equal(as_bytes[:, 5] == 1, ~lut.valid)
    assert not as_bytes[:, 6:].any()


def test_encode_table_maps_every_tuple():
    lut = golden.get_lut("tq1")
    table = kernels.encode_table(lut)
    hashes = kernels.hash_groups(kernels.group_words(all_tuples()))
    assert np.array_equal(table[hashes], lut.codes)


@pytest.mark.parametrize("m", [1, 2, 7, 8])
def test_decode_does_not_write_past_the_output(m):
    codes = golden.encode(-np.ones(5 * m, dtype=np.int8))  # trits -1 = 0xff bytes
    buf = np.full(5 * m + 16, 0x55, dtype=np.uint8)
    out = buf[: 5 * m].view(np.int8)
    lut = golden.get_lut("standard")
    tables = (kernels.decode_table(lut), kernels.pair_table(lut))
    assert kernels.decode_into(codes, tables, out, chunk=3) == -1
    assert (buf[: 5 * m] == 0xff).all() and (buf[5 * m:] == 0x55).all()


def test_pair_table_layout():
    lut = golden.get_lut("tq1")
    table = kernels.pair_table(lut).view(np.uint8).reshape(1 << 16, 16)
    for c0, c1 in [(0, 0), (0x01, 0x80), (0x80, 0x01), (0xff, 0x14), (0x37, 0x42)]:
        item = table[c0 | c1 << 8]
        assert item[:5].view(np.int8).tolist() == lut.trits[c0].tolist()
        assert item[5:10].view(np.int8).tolist() == lut.trits[c1].tolist()
        assert item[13] == (not lut.valid[c0]) | (not lut.valid[c1]) << 1
        assert not item[10:13].any() and not item[14:].any()


def test_valid_below_picks_the_byte_check_only_for_a_top_invalid_range():
    assert kernels.valid_below(golden.get_lut("standard")) == 243
    assert kernels.valid_below(golden.get_lut("tq1")) is None
