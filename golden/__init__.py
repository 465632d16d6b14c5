"""tritpack golden model: the single definition of the 5-trits-per-byte format.

numpy only; imports nothing else of tritpack and no HDL tool.
"""

from .blocks import BLOCK_SIZES, LINE_BYTES, PackedTensor, pack, padded_length, unpack
from .codec import InvalidCodeError, check_trits, decode, encode
from .lut import CODEC_NAMES, NUM_TUPLES, TRITS_PER_BYTE, Lut, get_lut, standard_lut, tq1_lut

__all__ = [
    "BLOCK_SIZES", "CODEC_NAMES", "LINE_BYTES", "NUM_TUPLES", "TRITS_PER_BYTE",
    "InvalidCodeError", "Lut", "PackedTensor",
    "check_trits", "decode", "encode", "get_lut", "pack", "padded_length", "standard_lut",
    "tq1_lut", "unpack",
]
