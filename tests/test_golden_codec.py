"""encode/decode: the fast kernels against the plain table lookups, and every bad input."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tritpack import golden
from tritpack.golden import kernels
from tritpack.golden.lut import Lut, tuple_index

CODECS = list(golden.CODEC_NAMES)


def custom_lut() -> Lut:
    """A shuffled codec whose invalid codes are scattered (neither built-in layout)."""
    std = golden.get_lut("standard")
    perm = np.random.default_rng(11).permutation(256)
    return Lut.from_table(std.trits[perm], std.valid[perm], name="shuffled")


ALL_CODECS = CODECS + [custom_lut()]


def ref_encode(trits, lut):
    """lut.codes[tuple index] with the tuple index written out: sum((t mod 3) * 3^n)."""
    groups = np.asarray(trits, dtype=np.int64).reshape(-1, 5)
    return lut.codes[((groups % 3) * 3 ** np.arange(5)).sum(axis=1)]


def ref_decode(codes, lut):
    return lut.trits[np.asarray(codes, dtype=np.intp)].reshape(-1)


@pytest.fixture(params=[None, 7, 64], ids=["chunk=default", "chunk=7", "chunk=64"])
def chunk(request, monkeypatch):
    """Run with the real chunk size and with tiny ones, to cross many chunk boundaries."""
    if request.param:
        monkeypatch.setattr(kernels, "CHUNK_CODES", request.param)
    return request.param


@pytest.mark.parametrize("codec", ALL_CODECS, ids=str)
@pytest.mark.parametrize("m", [0, 1, 2, 3, 6, 7, 8, 63, 64, 65, 1000])
def test_kernels_match_reference(codec, m, chunk):
    lut = golden.get_lut(codec)
    rng = np.random.default_rng(m)
    trits = rng.integers(-1, 2, 5 * m, dtype=np.int8)
    codes = golden.encode(trits, codec)
    assert codes.dtype == np.uint8 and codes.shape == (m,)
    assert np.array_equal(codes, ref_encode(trits, lut))
    assert lut.valid[codes].all()
    out = golden.decode(codes, codec)
    assert out.dtype == np.int8 and np.array_equal(out, trits)
    anybytes = rng.integers(0, 256, m, dtype=np.uint8)
    masked, valid = golden.decode(anybytes, codec, on_invalid="mask")
    assert np.array_equal(masked, ref_decode(anybytes, lut))
    assert np.array_equal(valid, lut.valid[anybytes])


def test_large_input_crosses_the_real_chunks():
    n = 5 * (2 * kernels.CHUNK_CODES + 3)
    trits = np.random.default_rng(5).integers(-1, 2, n, dtype=np.int8)
    codes = golden.encode(trits)
    assert np.array_equal(codes, ref_encode(trits, golden.get_lut("standard")))
    assert np.array_equal(golden.decode(codes), trits)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ALL_CODECS), st.integers(0, 300), st.integers(0, 2**32 - 1),
       st.sampled_from([None, 1, 5, 13]))
def test_roundtrip_property(codec, m, seed, chunk_codes):
    old = kernels.CHUNK_CODES
    kernels.CHUNK_CODES = chunk_codes or old
    try:
        trits = np.random.default_rng(seed).integers(-1, 2, 5 * m, dtype=np.int8)
        codes = golden.encode(trits, codec)
        assert np.array_equal(codes, ref_encode(trits, golden.get_lut(codec)))
        assert np.array_equal(golden.decode(codes, codec), trits)
    finally:
        kernels.CHUNK_CODES = old


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.int64, np.uint8, np.uint64,
                                   np.float16, np.float32, np.float64, bool])
def test_other_dtypes_are_accepted(dtype):
    trits = np.array([1, 0, -1, 0, 1, 1, 1, 0, 0, 0])
    if dtype in (np.uint8, np.uint64, bool):
        trits = np.abs(trits)
    arr = trits.astype(dtype)
    assert np.array_equal(golden.encode(arr), golden.encode(trits.astype(np.int8)))


def test_input_forms_and_shapes():
    trits = np.random.default_rng(1).integers(-1, 2, (4, 6, 5)).astype(np.int8)
    expected = ref_encode(trits, golden.get_lut("standard"))
    assert np.array_equal(golden.encode(trits), expected)
    assert np.array_equal(golden.encode(trits.tolist()), expected)  # nested lists
    fortran = np.asfortranarray(trits)
    assert np.array_equal(golden.encode(fortran), expected)  # C order, whatever the layout
    assert np.array_equal(golden.encode(trits[:, :, ::-1][:, :, ::-1]), expected)
    shifted = np.concatenate([np.zeros(3, np.int8), trits.ravel()])[3:]  # unaligned start
    assert np.array_equal(golden.encode(shifted), expected)
    codes = golden.encode(trits)
    shifted_codes = np.concatenate([np.zeros(1, np.uint8), codes])[1:]
    assert np.array_equal(golden.decode(shifted_codes), trits.reshape(-1))
    readonly = trits.copy()
    readonly.setflags(write=False)
    assert np.array_equal(golden.encode(readonly), expected)
    codes = golden.encode(trits)
    assert np.array_equal(golden.decode(bytes(codes)), trits.reshape(-1))
    assert np.array_equal(golden.decode(bytearray(codes)), trits.reshape(-1))
    assert np.array_equal(golden.decode(codes.astype(np.int64).tolist()), trits.reshape(-1))
    assert np.array_equal(golden.decode(codes.reshape(2, -1)), trits.reshape(-1))


@pytest.mark.parametrize("bad, where", [
    (2, "3"), (-2, "3"), (127, "3"), (-128, "3"),
])
def test_int8_values_outside_trits(bad, where, chunk):
    trits = np.zeros(10, dtype=np.int8)
    trits[int(where)] = bad
    with pytest.raises(ValueError, match=rf"value {bad} at index {where} is not a trit; "
                                         r"expected -1, 0 or 1"):
        golden.encode(trits)


def test_bad_value_position_is_named_in_the_callers_shape(chunk):
    trits = np.zeros((40, 50), dtype=np.int8)
    trits[31, 7] = 3
    trits[35, 0] = 9
    with pytest.raises(ValueError, match=r"value 3 at index \(31, 7\)"):
        golden.encode(trits)
    with pytest.raises(ValueError, match=r"value 3 at index \(31, 7\)"):
        golden.check_trits(trits)


@pytest.mark.parametrize("arr, text", [
    (np.array([0, 0, 0.5, 0, 0]), r"value 0.5 at index 2"),
    (np.array([0, 0, 0, np.nan, 0]), r"value nan at index 3"),
    (np.array([0, np.inf, 0, 0, 0]), r"value inf at index 1"),
    (np.array([0, 0, 0, 0, 2], dtype=np.int64), r"value 2 at index 4"),
    (np.array([0, 0, 0, 0, 255], dtype=np.uint8), r"value 255 at index 4"),
    (np.array([-5, 0, 0, 0, 0], dtype=np.int32), r"value -5 at index 0"),
])
def test_bad_values_of_other_dtypes(arr, text):
    with pytest.raises(ValueError, match=text):
        golden.encode(arr)


@pytest.mark.parametrize("arr", [
    np.array(["1", "0", "0", "0", "0"]),
    np.array([1, 0, 0, 0, 0], dtype=object),
    np.array([1j, 0, 0, 0, 0]),
    np.array(["2020-01-01"] * 5, dtype="datetime64[D]"),
])
def test_wrong_dtypes(arr):
    with pytest.raises(TypeError, match=re.escape(f"not dtype {arr.dtype}")):
        golden.encode(arr)


@pytest.mark.parametrize("n", [1, 4, 6, 321])
def test_encode_needs_whole_groups(n):
    with pytest.raises(ValueError, match=rf"multiple of 5 trits, got {n}.*golden.pack"):
        golden.encode(np.zeros(n, dtype=np.int8))


@pytest.mark.parametrize("codec, offset", [("standard", 0), ("standard", 9),
                                           ("tq1", 4), ("tq1", 7), ("tq1", 300),
                                           ("tq1", 301), ("tq1", 399), (ALL_CODECS[-1], 5)])
def test_invalid_code_names_first_offset_and_value(codec, offset, chunk):
    lut = golden.get_lut(codec)
    data = np.full(400, lut.codes[0], dtype=np.uint8)
    bad = lut.invalid_codes
    data[offset] = bad[-1]
    data[offset + 50:] = bad[0]  # later invalid codes must not be the one reported
    data[offset + 1: offset + 3] = bad[1]
    with pytest.raises(golden.InvalidCodeError) as info:
        golden.decode(data, codec)
    err = info.value
    assert (err.offset, err.value, err.codec) == (offset, bad[-1], lut.name)
    assert isinstance(err, ValueError)
    assert f"0x{bad[-1]:02x}" in str(err) and f"byte offset {offset}" in str(err)


def test_mask_mode_matches_hardware():
    lut = golden.get_lut("tq1")
    data = np.array([lut.codes[tuple_index(np.array([1, 1, 1, 1, 1]))], 0x01, 0x80],
                    dtype=np.uint8)
    trits, valid = golden.decode(data, "tq1", on_invalid="mask")
    assert trits.tolist() == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert valid.tolist() == [True, False, True]


@pytest.mark.parametrize("data, exc, text", [
    (np.array([1.0, 2.0]), TypeError, "must be uint8 .* not dtype float64"),
    (np.array([True]), TypeError, "not dtype bool"),
    (np.array(["a"]), TypeError, "not dtype <U1"),
    (np.array([0, 256]), ValueError, r"value 256 at offset 1 is not a byte; expected 0..255"),
    (np.array([-1, 0]), ValueError, r"value -1 at offset 0"),
])
def test_decode_bad_data(data, exc, text):
    with pytest.raises(exc, match=text):
        golden.decode(data)


def test_decode_bad_options():
    with pytest.raises(ValueError, match="on_invalid must be 'raise' or 'mask', not 'zero'"):
        golden.decode(b"\x00", on_invalid="zero")
    with pytest.raises(ValueError, match="unknown codec 'tq2'"):
        golden.decode(b"\x00", "tq2")
    with pytest.raises(ValueError, match="unknown codec 'TQ1'"):
        golden.encode(np.zeros(5), "TQ1")


def test_references_agree_with_fast_paths():
    from tritpack.golden.codec import decode_reference, encode_reference

    rng = np.random.default_rng(8)
    trits = rng.integers(-1, 2, 500, dtype=np.int8)
    assert np.array_equal(encode_reference(trits, "tq1"), golden.encode(trits, "tq1"))
    data = rng.integers(0, 256, 100, dtype=np.uint8)
    for a, b in zip(decode_reference(data, "tq1", on_invalid="mask"),
                    golden.decode(data, "tq1", on_invalid="mask"), strict=True):
        assert np.array_equal(a, b)


def test_peak_memory_is_the_output_plus_a_few_mb():
    import tracemalloc

    trits = np.random.default_rng(6).integers(-1, 2, 5 * 600_000, dtype=np.int8)
    codes = golden.encode(trits)
    for fn, out_bytes in ((lambda: golden.encode(trits), codes.nbytes),
                          (lambda: golden.decode(codes), trits.nbytes),
                          (lambda: golden.decode(codes, "tq1", on_invalid="mask"),
                           trits.nbytes + codes.nbytes)):
        tracemalloc.start()
        try:
            fn()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak - out_bytes < 4 << 20, (peak, out_bytes)


def test_decode_into_a_preallocated_output():
    codes = golden.encode(np.tile(np.array([1, 0, -1, 0, 1], np.int8), 30))
    out = np.full((30, 5), 7, dtype=np.int8)
    res = golden.decode(codes, out=out)
    assert np.shares_memory(res, out) and np.array_equal(res, golden.decode(codes))
    res, valid = golden.decode(codes, "standard", on_invalid="mask", out=out.reshape(-1))
    assert valid.all()
    with pytest.raises(ValueError, match="array of 150 trits, got shape \\(149,\\)"):
        golden.decode(codes, out=np.empty(149, np.int8))
    with pytest.raises(ValueError, match="not contiguous"):
        golden.decode(codes, out=np.empty(300, np.int8)[::2])
    with pytest.raises(TypeError, match="int8 numpy array, not int16"):
        golden.decode(codes, out=np.empty(150, np.int16))
