"""The built-in codecs, exhaustively against the issue's formulas written out here."""

import itertools
import math

import numpy as np
import pytest

from tritpack import golden
from tritpack.golden.lut import Lut, all_tuples, tuple_index

ALL_TUPLES = list(itertools.product((-1, 0, 1), repeat=5))  # (t0, .., t4)


def standard_decode(code: int) -> tuple | None:
    """code = d0 + 3 d1 + 9 d2 + 27 d3 + 81 d4, d = t mod 3; codes >= 243 invalid."""
    if code >= 243:
        return None
    digits = [(code // 3**n) % 3 for n in range(5)]
    return tuple({0: 0, 1: 1, 2: -1}[d] for d in digits)


def tq1_encode(trits) -> int:
    v = sum((t + 1) * 3 ** (4 - n) for n, t in enumerate(trits))
    return math.ceil(v * 256 / 243)


def tq1_decode_formula(q: int) -> tuple:
    return tuple(((((q * 3**n) % 256) * 3) >> 8) - 1 for n in range(5))


def test_standard_all_256_codes():
    lut = golden.get_lut("standard")
    for code in range(256):
        expected = standard_decode(code)
        assert bool(lut.valid[code]) == (expected is not None), code
        assert tuple(lut.trits[code]) == (expected or (0, 0, 0, 0, 0)), code
    assert lut.invalid_codes.tolist() == list(range(243, 256))
    assert tuple(lut.trits[0]) == (0, 0, 0, 0, 0)


def test_standard_encoder_all_tuples():
    lut = golden.get_lut("standard")
    for t in ALL_TUPLES:
        code = sum((x % 3) * 3**n for n, x in enumerate(t))
        assert golden.encode(np.array(t)).tolist() == [code]
        assert lut.codes[tuple_index(np.array(t))] == code


def test_tq1_all_256_codes():
    lut = golden.get_lut("tq1")
    produced = {}
    for t in ALL_TUPLES:
        q = tq1_encode(t)
        assert q not in produced, f"tq1 encoder collides at {q}"
        produced[q] = t
        assert golden.encode(np.array(t), "tq1").tolist() == [q]
        assert tq1_decode_formula(q) == t  # the decode formula inverts the encoder
    for code in range(256):
        assert bool(lut.valid[code]) == (code in produced), code
        assert tuple(lut.trits[code]) == produced.get(code, (0, 0, 0, 0, 0)), code
    assert len(lut.invalid_codes) == 13
    assert set(lut.invalid_codes.tolist()) == set(range(256)) - set(produced)


@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
def test_decode_every_code_through_the_api(codec):
    lut = golden.get_lut(codec)
    codes = np.arange(256, dtype=np.uint8)
    trits, valid = golden.decode(codes, codec, on_invalid="mask")
    assert np.array_equal(trits.reshape(256, 5), lut.trits)
    assert np.array_equal(valid, lut.valid)
    good = codes[lut.valid]
    assert np.array_equal(golden.encode(golden.decode(good, codec), codec), good)


def test_all_tuples_and_tuple_index():
    tuples = all_tuples()
    assert tuples.shape == (243, 5) and tuples.dtype == np.int8
    assert tuple_index(tuples).tolist() == list(range(243))
    assert {tuple(t) for t in tuples} == set(ALL_TUPLES)


def test_get_lut_by_name_object_and_errors():
    lut = golden.get_lut("tq1")
    assert golden.get_lut(lut) is lut and repr(lut) == "Lut('tq1')"
    with pytest.raises(ValueError, match=r"unknown codec 'tq2'.*standard, tq1"):
        golden.get_lut("tq2")
    with pytest.raises(TypeError, match="codec must be"):
        golden.get_lut(3)


def test_tables_are_read_only():
    lut = golden.get_lut("standard")
    for arr in (lut.trits, lut.valid, lut.codes):
        with pytest.raises(ValueError):
            arr[0] = 1


def _table_valid():
    lut = golden.get_lut("standard")
    return lut.trits.copy(), lut.valid.copy()


def test_from_table_accepts_a_permutation():
    table, valid = _table_valid()
    perm = np.random.default_rng(3).permutation(256)
    lut = Lut.from_table(table[perm], valid[perm], name="shuffled")
    assert np.array_equal(golden.decode(golden.encode(all_tuples(), lut), lut),
                          all_tuples().reshape(-1))


def test_from_table_rejects_bad_tables():
    table, valid = _table_valid()
    with pytest.raises(ValueError, match=r"shape \(256, 5\)"):
        Lut.from_table(table[:255], valid[:255])
    bad = table.copy()
    bad[7, 2] = 2
    with pytest.raises(ValueError, match=r"code 7 \(0x07\).*expected five trits"):
        Lut.from_table(bad, valid)
    dup = table.copy()
    dup[9] = dup[4]
    with pytest.raises(ValueError, match=r"code 9 \(0x09\).*same tuple as code 4"):
        Lut.from_table(dup, valid)
    few = valid.copy()
    few[5] = False
    with pytest.raises(ValueError, match="242 valid codes, expected exactly 243"):
        Lut.from_table(table, few)
    with pytest.raises(ValueError, match="validity must have 256"):
        Lut.from_table(table, valid[:10])
