"""Absmean ternarization (BitNet b1.58) against hand-computed examples."""

import ml_dtypes
import numpy as np
import pytest

from tritpack.golden.weights.absmean import EPS, absmean_ternarize


def test_hand_checked_example():
    # |W| sums to 0.5 + 1.5 + 0 + 2 + 0.25 + 0.75 = 5, so scale = 5 / 6.
    # W / scale = 0.6, -1.8, 0, 2.4, -0.3, 0.9 -> round 1, -2, 0, 2, 0, 1 -> clip.
    w = np.array([[0.5, -1.5, 0.0], [2.0, -0.25, 0.75]], dtype=np.float32)
    trits, scale = absmean_ternarize(w)
    assert scale.dtype == np.float32
    assert scale == np.float32(5 / 6)
    assert trits.dtype == np.int8 and trits.shape == (2, 3)
    assert trits.tolist() == [[1, -1, 0], [1, 0, 1]]


def test_round_half_to_even():
    # |0.5| + |-1.5| + |1| + |-0.5| + |1.5| = 5, mean 1, so W / scale = W;
    # 0.5 rounds to 0 (the even neighbour), -1.5 to -2 (clipped to -1), 1.5 to 2 (1).
    w = np.array([0.5, -1.5, 1.0, -0.5, 1.5], dtype=np.float32)
    trits, scale = absmean_ternarize(w)
    assert scale == 1.0
    assert trits.tolist() == [0, -1, 1, 0, 1]


def test_all_zero_gets_eps_scale():
    trits, scale = absmean_ternarize(np.zeros((4, 4), np.float16))
    assert scale == np.float32(EPS)
    assert not trits.any()


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16, np.float64])
def test_low_precision_inputs_agree_with_float32(dtype):
    # Values exactly representable in every dtype: the result must not depend on it.
    w = np.array([[0.25, -0.75, 0.0, 1.0], [-0.5, 0.125, 2.0, -1.0]])
    ref_t, ref_s = absmean_ternarize(w.astype(np.float32))
    t, s = absmean_ternarize(w.astype(dtype))
    assert s == ref_s
    assert (t == ref_t).all()
    # mean = 5.625 / 8 = 0.703125; W/s: 0.356, -1.07, 0, 1.42, -0.71, 0.18, 2.84, -1.42
    assert ref_t.tolist() == [[0, -1, 0, 1], [-1, 0, 1, -1]]


def test_rejects_non_float_and_nan():
    with pytest.raises(ValueError, match="float"):
        absmean_ternarize(np.array([1, 0, -1]))
    with pytest.raises(ValueError, match="NaN"):
        absmean_ternarize(np.array([1.0, np.nan]))
