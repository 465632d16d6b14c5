"""A ternary tensor with its scale(s), whichever format it came from.

Scales are kept exactly as the source stored them, so that a transcode back
to the source format is bit-exact:

``layout="tensor"``
    one number for the whole tensor (absmean, HF ``weight_scale``);
``layout="block256"``
    one float16 per 256 consecutive weights (GGUF TQ1_0/TQ2_0 ``d``);
``mode="multiply"``
    ``w = scale * t`` (absmean, GGUF); ``mode="divide"``: ``w = t / scale``
    (Hugging Face BitNet, whose layers divide by ``weight_scale``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["LAYOUTS", "MODES", "TernaryTensor"]

LAYOUTS = ("tensor", "block256")
MODES = ("multiply", "divide")
SCALE_BLOCK = 256


@dataclass
class TernaryTensor:
    """Trits plus the scale(s) that turn them back into weights.

    Members
    -------
    trits : numpy.ndarray
        int8 in {-1, 0, 1}, the tensor's shape.
    scale : numpy.ndarray
        float (float32, float16 or bfloat16): shape (1,) for ``layout="tensor"``,
        (ceil(n / 256),) for ``layout="block256"``.
    layout : str
        ``"tensor"`` or ``"block256"``.
    mode : str
        ``"multiply"`` or ``"divide"``.
    origin : dict
        Where it came from: ``format`` (``float``, ``trits``, ``gguf``, ``hf``),
        ``dtype`` (e.g. ``BF16``, ``TQ1_0``) and ``bytes`` in the source.
    """

    trits: np.ndarray
    scale: np.ndarray
    layout: str = "tensor"
    mode: str = "multiply"
    origin: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.layout not in LAYOUTS:
            raise ValueError(f"scale layout must be one of {LAYOUTS}, not {self.layout!r}")
        if self.mode not in MODES:
            raise ValueError(f"scale mode must be one of {MODES}, not {self.mode!r}")
        expected = expected_scale_shape(self.trits.size, self.layout)
        if self.scale.shape != expected:
            raise ValueError(
                f"{self.layout} scale of shape {self.scale.shape} for {self.trits.size} "
                f"weights, expected {expected}"
            )

    def dequantize(self, dtype=np.float32) -> np.ndarray:
        """The float weights ``scale * trits`` (or ``trits / scale``) as ``dtype``."""
        s = self.scale.astype(np.float32)
        if self.mode == "divide":
            s = np.float32(1) / s
        t = self.trits.astype(np.float32).reshape(-1)
        if self.layout == "block256":
            pad = s.size * SCALE_BLOCK - t.size
            w = (np.pad(t, (0, pad)).reshape(-1, SCALE_BLOCK) * s[:, None]).reshape(-1)[: t.size]
        else:
            w = t * s[0]
        return w.reshape(self.trits.shape).astype(dtype)


def expected_scale_shape(num_weights: int, layout: str) -> tuple:
    if layout == "block256":
        return (-(-num_weights // SCALE_BLOCK),)
    return (1,)
