"""Real weights: import, ternarize, pack, transcode and report sizes.

Sources: ``.npy`` and safetensors floats (F32, F16, BF16; absmean), integer
trits, llama.cpp GGUF TQ1_0/TQ2_0 and Hugging Face BitNet packed weights.
Destination: the packed container (:mod:`.container`), a safetensors file of
:func:`golden.pack` blocks plus scales, and back (:mod:`.transcode`).
"""

from .absmean import absmean_ternarize
from .container import Container, ContainerWriter, Entry
from .errors import ContainerError, WeightsError
from .pack import pack_file
from .report import TensorSize, size_report
from .sources import open_source
from .ternary import TernaryTensor
from .transcode import to_gguf, to_hf, to_unpacked

__all__ = [
    "Container", "ContainerError", "ContainerWriter", "Entry", "TensorSize", "TernaryTensor",
    "WeightsError", "absmean_ternarize", "open_source", "pack_file", "size_report", "to_gguf",
    "to_hf", "to_unpacked",
]
