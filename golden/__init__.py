"""tritpack golden model: the single definition of the 5-trits-per-byte format.

The core is numpy only (:mod:`.weights` and :mod:`.onnx` add optional
dependencies); imports nothing else of tritpack and no HDL tool.  The format is
specified in docs/FORMAT.md; :mod:`.lut_io` exports and loads LUT files
(``lut_rows`` gives the 10-bit ROM rows of the decode engine).
"""

from . import lut_io
from .blocks import BLOCK_SIZES, LANES, LINE_BYTES, PackedTensor, pack, padded_length, unpack
from .codec import InvalidCodeError, check_trits, decode, encode
from .lut import CODEC_NAMES, NUM_TUPLES, TRITS_PER_BYTE, Lut, get_lut, standard_lut, tq1_lut
from .lut_io import TRIT_BITS, load_lut, lut_rows

__all__ = [
    "BLOCK_SIZES", "CODEC_NAMES", "LANES", "LINE_BYTES", "NUM_TUPLES", "TRIT_BITS",
    "TRITS_PER_BYTE",
    "InvalidCodeError", "Lut", "PackedTensor",
    "check_trits", "decode", "encode", "get_lut", "load_lut", "lut_io", "lut_rows", "pack",
    "padded_length", "standard_lut", "tq1_lut", "unpack",
]
