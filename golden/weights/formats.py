"""What a weight file is, from its first bytes, and the names the command line offers.

Standard library and the golden core only: the command-line plugin
(:mod:`.commands`) imports this at load time, in an install without the
``weights`` extra.
"""

from __future__ import annotations

from pathlib import Path

from .errors import WeightsError

__all__ = [
    "GGUF_MAGIC", "NPY_MAGIC", "SUFFIX", "TARGETS", "UNPACK_DTYPES", "UNPACKED_SCALE_SUFFIX",
    "describe", "sniff",
]

GGUF_MAGIC = b"GGUF"
NPY_MAGIC = b"\x93NUMPY"

#: The file name suffix of each format this package writes or reads.
SUFFIX = {"safetensors": ".safetensors", "gguf": ".gguf", "npy": ".npy"}

#: ``transcode --to``: formats a container converts to.
TARGETS = ("TQ1_0", "TQ2_0", "hf")

#: ``unpack --dtype``: int8 trits plus a scale, or dequantized floats of this dtype.
UNPACK_DTYPES = {"int8": None, "f32": "F32", "f16": "F16", "bf16": "BF16"}

#: ``unpack --dtype int8`` writes the scale of ``NAME`` as ``NAME.scale``; ``pack``
#: takes an integer ``NAME`` with a float ``NAME.scale`` beside it as trits and scale.
UNPACKED_SCALE_SUFFIX = ".scale"

_WHAT = {"gguf": "GGUF file", "npy": ".npy file", "safetensors": "safetensors file"}


def describe(fmt: str) -> str:
    """``"GGUF file"``, ``".npy file"``, ``"safetensors file"``."""
    return _WHAT[fmt]


def sniff(path) -> tuple[str, int]:
    """The format of a weight file from its magic bytes, and the file's size.

    Returns ``("gguf" | "npy" | "safetensors", size)``; ``"safetensors"`` means
    neither magic was found (safetensors has none: its reader judges the rest).

    Raises
    ------
    WeightsError
        If the file cannot be read, is a directory or is empty; the message says
        what was expected (from the file name's suffix, when it has a known one).
    """
    from ..inputs import InputError, check_input_file

    path = Path(path)
    try:
        size = check_input_file(path, "", _expected(path))
        with open(path, "rb") as f:
            magic = f.read(8)
    except InputError as exc:
        raise WeightsError(exc.reason, path) from None
    except OSError as exc:
        raise WeightsError(f"cannot read: {exc.strerror or exc}", path) from None
    if magic.startswith(GGUF_MAGIC):
        return "gguf", size
    if magic.startswith(NPY_MAGIC):
        return "npy", size
    return "safetensors", size


def _expected(path: Path) -> str:
    for fmt, suffix in SUFFIX.items():
        if path.suffix.lower() == suffix:
            return f"a {describe(fmt)}"
    return "a safetensors, GGUF or .npy weight file"


def not_the_named_format(path, size: int) -> WeightsError | None:
    """For a file without GGUF or .npy magic whose name says it is one: the error to give."""
    path = Path(path)
    for fmt, magic in (("gguf", GGUF_MAGIC), ("npy", NPY_MAGIC)):
        if path.suffix.lower() == SUFFIX[fmt]:
            return WeightsError(f"not a {describe(fmt)}: it does not start with {magic!r} "
                                f"({size} bytes); expected a {describe(fmt)}", path)
    return None
