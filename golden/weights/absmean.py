"""BitNet b1.58 absmean ternarization of float weights.

``scale = max(mean(|W|), eps)``, ``W_t = clip(round(W / scale), -1, 1)``, so
that ``W ~ scale * W_t``.  One scale per tensor; the mean is accumulated in
float64 so the result does not depend on the summation order, and ``round``
is round-half-to-even, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

__all__ = ["EPS", "absmean_ternarize", "absmean_scale"]

EPS = 1e-5  # BitNet's clamp: an all-zero tensor gets this scale, not a division by zero


def absmean_scale(w, eps: float = EPS) -> np.float32:
    """``max(mean(|w|), eps)`` as float32 (``eps`` also for an empty tensor)."""
    w = np.asarray(w)
    if w.size == 0:
        return np.float32(eps)
    mean = np.abs(w.astype(np.float32, copy=False)).mean(dtype=np.float64)
    if not np.isfinite(mean):
        raise ValueError("weights hold NaN or infinity; cannot ternarize")
    return np.float32(max(mean, eps))


def absmean_ternarize(w, eps: float = EPS) -> tuple[np.ndarray, np.float32]:
    """Ternarize float weights with BitNet b1.58's absmean rule.

    Parameters
    ----------
    w : array_like
        Float weights of any shape (float16, bfloat16, float32, float64).
    eps : float
        Lower bound of the scale.

    Returns
    -------
    trits : numpy.ndarray
        int8 in {-1, 0, 1}, the shape of ``w``.
    scale : numpy.float32
        The per-tensor scale: ``w ~ scale * trits``.

    Raises
    ------
    ValueError
        If ``w`` is not a float array or holds NaN or infinity.
    """
    w = np.asarray(w)
    if w.dtype.kind != "f" and w.dtype.name not in ("bfloat16", "float8_e4m3fn", "float8_e5m2"):
        raise ValueError(f"absmean needs float weights, not dtype {w.dtype}")
    scale = absmean_scale(w, eps)
    q = np.array(w, dtype=np.float32)  # one float32 copy, then in place: memory ~ 2 tensors
    q /= scale
    np.rint(q, out=q)
    np.clip(q, -1, 1, out=q)
    return q.astype(np.int8), scale
