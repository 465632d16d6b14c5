"""Real weights: import, ternarize, pack, transcode and report sizes.

Sources: ``.npy`` and safetensors floats (F32, F16, BF16; absmean), integer
trits, llama.cpp GGUF TQ1_0/TQ2_0 and Hugging Face BitNet packed weights.
Destination: the packed container (:mod:`.container`), a safetensors file of
:func:`golden.pack` blocks plus scales, and back (:mod:`.transcode`).

Needs the ``weights`` extra (safetensors, gguf, ml_dtypes, tqdm).  The names
below are imported on first use, so that importing this package (and the
command-line plugin :mod:`.commands`) works without it.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "absmean_ternarize": "absmean",
    "Container": "container", "ContainerWriter": "container", "Entry": "container",
    "ContainerError": "errors", "WeightsError": "errors",
    "pack_file": "pack",
    "TensorSize": "report", "size_report": "report",
    "open_source": "sources",
    "TernaryTensor": "ternary",
    "to_gguf": "transcode", "to_hf": "transcode", "to_unpacked": "transcode",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
