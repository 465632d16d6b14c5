"""Vectorised encode and decode of trit arrays to and from 5-trit bytes.

``encode`` turns a flat run of trits (length a multiple of 5) into bytes;
``decode`` turns bytes back into trits.  Both work with any codec: a name
(``"standard"``, ``"tq1"``) or a :class:`golden.lut.Lut`.
"""

from __future__ import annotations

import numpy as np

from .lut import TRITS_PER_BYTE, Lut, get_lut, tuple_index

__all__ = ["encode", "decode", "check_trits", "InvalidCodeError"]


class InvalidCodeError(ValueError):
    """A byte that is not a valid code of the codec was decoded.

    Members
    -------
    offset : int
        Byte offset of the first invalid code.
    value : int
        The invalid byte value.
    """

    def __init__(self, offset: int, value: int, codec: str):
        self.offset = offset
        self.value = value
        super().__init__(
            f"invalid code 0x{value:02x} ({value}) at byte offset {offset} "
            f"for codec {codec!r}"
        )


def check_trits(trits, what: str = "trits") -> np.ndarray:
    """Return ``trits`` as a flat C-contiguous int8 array, or raise.

    Accepts integer arrays, and float arrays whose values are exactly -1, 0 or 1.

    Raises
    ------
    TypeError
        For non-numeric dtypes (strings, objects, complex, bool is accepted).
    ValueError
        For a value outside {-1, 0, 1}, naming the first offending index.
    """
    arr = np.asarray(trits)
    kind = arr.dtype.kind
    if kind not in "biuf":
        raise TypeError(
            f"{what} must be an integer or float array of -1, 0 and 1, not dtype {arr.dtype}"
        )
    flat = arr.reshape(-1)
    if kind == "f":
        bad = ~np.isin(flat, (-1.0, 0.0, 1.0))  # also catches NaN, inf and 0.5
    elif kind in "iu" and arr.dtype != np.int8:
        bad = (flat < -1) | (flat > 1) if kind == "i" else flat > 1
    else:
        bad = None
    if arr.dtype == np.int8:
        # Cheap test first: (t + 1) as uint8 is 0, 1 or 2 exactly for valid trits.
        if flat.size and int((flat.view(np.uint8) + np.uint8(1)).max()) > 2:
            bad = (flat < -1) | (flat > 1)
    if bad is not None and bad.any():
        i = int(np.flatnonzero(bad)[0])
        pos = np.unravel_index(i, arr.shape) if arr.ndim > 1 else i
        raise ValueError(
            f"{what}: value {flat[i]!r} at index {pos} is not a trit; expected -1, 0 or 1"
        )
    return np.ascontiguousarray(flat, dtype=np.int8)


def encode(trits, codec: str | Lut = "standard") -> np.ndarray:
    """Pack trits, five to a byte.

    Parameters
    ----------
    trits : array_like
        Trits in {-1, 0, 1}, any shape; flattened in C order.  The number of
        trits must be a multiple of 5 (use :func:`golden.pack` for any length).
    codec : str or Lut
        ``"standard"`` (default), ``"tq1"`` or a custom :class:`Lut`.

    Returns
    -------
    numpy.ndarray
        uint8 array of ``size // 5`` codes; never an invalid code.
    """
    lut = get_lut(codec)
    flat = check_trits(trits)
    if flat.size % TRITS_PER_BYTE:
        raise ValueError(
            f"encode needs a multiple of 5 trits, got {flat.size}; "
            "use golden.pack() to pad a tensor into blocks"
        )
    groups = flat.reshape(-1, TRITS_PER_BYTE)
    return lut.codes[tuple_index(groups)]


def decode(data, codec: str | Lut = "standard", *, on_invalid: str = "raise"):
    """Unpack bytes into trits, five per byte.

    Parameters
    ----------
    data : array_like or bytes
        uint8 codes (any shape, flattened in C order) or a bytes-like object.
    codec : str or Lut
        ``"standard"`` (default), ``"tq1"`` or a custom :class:`Lut`.
    on_invalid : {"raise", "mask"}
        ``"raise"``: an invalid code raises :class:`InvalidCodeError` naming the
        first offending byte offset and value.  ``"mask"``: invalid codes decode
        to five zero trits, exactly as the hardware does, and a validity mask
        is returned as well.

    Returns
    -------
    trits : numpy.ndarray
        int8 array of ``5 * n`` trits.
    valid : numpy.ndarray
        Only with ``on_invalid="mask"``: bool array of ``n``, per byte.
    """
    lut = get_lut(codec)
    if on_invalid not in ("raise", "mask"):
        raise ValueError(f"on_invalid must be 'raise' or 'mask', not {on_invalid!r}")
    codes = as_codes(data)
    valid = lut.valid[codes]
    if on_invalid == "raise" and not valid.all():
        i = int(np.argmin(valid))
        raise InvalidCodeError(i, int(codes[i]), lut.name)
    trits = lut.trits[codes].reshape(-1)
    if on_invalid == "mask":
        return trits, valid
    return trits


def as_codes(data) -> np.ndarray:
    """Return ``data`` as a flat uint8 array, or raise TypeError."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return np.frombuffer(data, dtype=np.uint8)
    arr = np.asarray(data)
    if arr.dtype != np.uint8:
        if arr.dtype.kind in "iu" and arr.size and (arr.min() < 0 or arr.max() > 255):
            raise ValueError(
                f"byte codes must be in 0..255, got {arr.min()}..{arr.max()}"
            )
        if arr.dtype.kind not in "iu":
            raise TypeError(f"byte codes must be uint8 (or bytes), not dtype {arr.dtype}")
        arr = arr.astype(np.uint8)
    return np.ascontiguousarray(arr.reshape(-1))
