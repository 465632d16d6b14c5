"""Vectorised encode and decode of trit arrays to and from 5-trit bytes.

``encode`` turns a flat run of trits (length a multiple of 5) into bytes;
``decode`` turns bytes back into trits.  Both work with any codec: a name
(``"standard"``, ``"tq1"``) or a :class:`golden.lut.Lut`.  The fast chunked
kernels live in :mod:`golden.kernels`; :func:`encode_reference` and
:func:`decode_reference` are the plain table lookups they are tested against.
"""

from __future__ import annotations

import weakref

import numpy as np

from . import kernels
from .lut import TRITS_PER_BYTE, Lut, get_lut, tuple_index

__all__ = [
    "encode", "decode", "check_trits", "as_codes", "InvalidCodeError",
    "encode_reference", "decode_reference",
]


class InvalidCodeError(ValueError):
    """A byte that is not a valid code of the codec was decoded.

    Members
    -------
    offset : int
        Byte offset of the first invalid code.
    value : int
        The invalid byte value.
    codec : str
        Name of the codec.
    """

    def __init__(self, offset: int, value: int, codec: str):
        self.offset = offset
        self.value = value
        self.codec = codec
        super().__init__(
            f"invalid code 0x{value:02x} ({value}) at byte offset {offset} "
            f"for codec {codec!r}; it has no trit tuple (decode with "
            "on_invalid='mask' to get zeros and a validity mask instead)"
        )


# Derived kernel tables, built once per codec object.
_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _tables(lut: Lut) -> tuple[tuple, np.ndarray, int | None]:
    """((decode table, pair table), encode table, valid_below) of ``lut``, built on first use."""
    tables = _TABLES.get(lut)
    if tables is None:
        tables = _TABLES[lut] = (
            (kernels.decode_table(lut), kernels.pair_table(lut)),
            kernels.encode_table(lut), kernels.valid_below(lut))
    return tables


def _where(index: int, shape: tuple) -> str:
    """``index`` of a flattened array, written as an index of ``shape``."""
    if len(shape) <= 1:
        return str(index)
    return str(tuple(int(i) for i in np.unravel_index(index, shape)))


def _bad_trit_error(what: str, value, index: int, shape: tuple) -> ValueError:
    return ValueError(
        f"{what}: value {value!r} at index {_where(index, shape)} is not a trit; "
        "expected -1, 0 or 1"
    )


def _int8_trits(trits, what: str) -> tuple[np.ndarray, tuple, bool]:
    """Flat C-contiguous int8 trits, the input's shape, and whether they still need checking.

    int8 input is returned as is (a view when contiguous) and left to be
    checked chunk by chunk; any other accepted dtype is converted and fully
    checked here.
    """
    arr = np.asarray(trits)
    kind = arr.dtype.kind
    if kind not in "biuf":
        raise TypeError(
            f"{what} must be an integer or float array of -1, 0 and 1, not dtype {arr.dtype}"
        )
    flat = arr.reshape(-1)
    if arr.dtype == np.int8:
        return np.ascontiguousarray(flat), arr.shape, True
    if kind == "b":
        return flat.astype(np.int8), arr.shape, False
    if kind == "f":
        bad = ~np.isin(flat, (-1.0, 0.0, 1.0))  # also catches NaN, inf and 0.5
    elif kind == "i":
        bad = (flat < -1) | (flat > 1)
    else:
        bad = flat > 1
    if bad.any():
        i = int(np.argmax(bad))
        raise _bad_trit_error(what, flat[i].item(), i, arr.shape)
    return flat.astype(np.int8), arr.shape, False


def check_trits(trits, what: str = "trits") -> np.ndarray:
    """Return ``trits`` as a flat C-contiguous int8 array, or raise.

    Accepts integer and bool arrays, and float arrays whose values are exactly
    -1, 0 or 1.

    Raises
    ------
    TypeError
        For non-numeric dtypes (strings, objects, complex, datetimes).
    ValueError
        For a value outside {-1, 0, 1} (including NaN and non-integer floats),
        naming the first offending index.
    """
    flat, shape, unchecked = _int8_trits(trits, what)
    if unchecked:
        step = TRITS_PER_BYTE * kernels.CHUNK_CODES
        for start in range(0, flat.size, step):
            part = flat[start: start + step]
            if part.min() < -1 or part.max() > 1:
                i = start + kernels.find_bad_trit(part)
                raise _bad_trit_error(what, int(flat[i]), i, shape)
    return flat


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

    Raises
    ------
    TypeError
        For a non-numeric dtype or a bad ``codec`` argument.
    ValueError
        For a value outside {-1, 0, 1} (naming its index), a size that is not
        a multiple of 5, or an unknown codec name.
    """
    lut = get_lut(codec)
    flat, shape, unchecked = _int8_trits(trits, "trits")
    if flat.size % TRITS_PER_BYTE:
        raise ValueError(
            f"encode needs a multiple of 5 trits, got {flat.size} (shape {shape}); "
            "use golden.pack() to pad a tensor into blocks"
        )
    if not kernels.FAST:
        return encode_reference(check_trits(flat), lut)
    out = np.empty(flat.size // TRITS_PER_BYTE, dtype=np.uint8)
    bad = kernels.encode_into(flat, _tables(lut)[1], out, validate=unchecked,
                              chunk=kernels.CHUNK_CODES)
    if bad >= 0:
        raise _bad_trit_error("trits", int(flat[bad]), bad, shape)
    return out


def decode(data, codec: str | Lut = "standard", *, on_invalid: str = "raise", out=None):
    """Unpack bytes into trits, five per byte.

    Parameters
    ----------
    data : array_like or bytes
        uint8 codes (any shape, flattened in C order), a bytes-like object, or
        integers in 0..255.
    codec : str or Lut
        ``"standard"`` (default), ``"tq1"`` or a custom :class:`Lut`.
    on_invalid : {"raise", "mask"}
        ``"raise"``: an invalid code raises :class:`InvalidCodeError` naming the
        first offending byte offset and value.  ``"mask"``: invalid codes decode
        to five zero trits, exactly as the hardware does, and a validity mask
        is returned as well.
    out : numpy.ndarray, optional
        A writable C-contiguous int8 array of ``5 * n`` trits to decode into
        (saves allocating and faulting in a new output array); returned.

    Returns
    -------
    trits : numpy.ndarray
        int8 array of ``5 * n`` trits.
    valid : numpy.ndarray
        Only with ``on_invalid="mask"``: bool array of ``n``, per byte.

    Raises
    ------
    InvalidCodeError
        (a ValueError) for an invalid code with ``on_invalid="raise"``.
    TypeError, ValueError
        For data that are not bytes, a bad ``on_invalid`` or an unknown codec.
    """
    lut = get_lut(codec)
    if on_invalid not in ("raise", "mask"):
        raise ValueError(f"on_invalid must be 'raise' or 'mask', not {on_invalid!r}")
    codes = as_codes(data)
    mask = on_invalid == "mask"
    out = _check_out(out, codes.size * TRITS_PER_BYTE)
    if not kernels.FAST:
        result = decode_reference(codes, lut, on_invalid=on_invalid)
        out[...] = result[0] if mask else result
        return (out, result[1]) if mask else out
    valid = np.empty(codes.size, dtype=bool) if mask else None
    table, _, below = _tables(lut)
    bad = kernels.decode_into(codes, table, out, valid, stop_at_invalid=not mask,
                              valid_below=below, chunk=kernels.CHUNK_CODES)
    if bad >= 0:
        raise InvalidCodeError(bad, int(codes[bad]), lut.name)
    return (out, valid) if mask else out


def _check_out(out, size: int) -> np.ndarray:
    """A new int8 array of ``size``, or ``out`` once checked to be a usable one."""
    if out is None:
        return np.empty(size, dtype=np.int8)
    if not isinstance(out, np.ndarray) or out.dtype != np.int8:
        kind = out.dtype if isinstance(out, np.ndarray) else type(out).__name__
        raise TypeError(f"out must be an int8 numpy array, not {kind}")
    if out.size != size or not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError(
            f"out must be a writable C-contiguous array of {size} trits, got shape "
            f"{out.shape}{'' if out.flags.c_contiguous else ', not contiguous'}"
            f"{'' if out.flags.writeable else ', read-only'}"
        )
    return out.reshape(-1)


def as_codes(data, what: str = "byte codes") -> np.ndarray:
    """Return ``data`` as a flat C-contiguous uint8 array, or raise.

    Raises
    ------
    TypeError
        For a dtype that is not an integer type.
    ValueError
        For an integer outside 0..255, naming the first offending offset.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        return np.frombuffer(data, dtype=np.uint8)
    arr = np.asarray(data)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{what} must be uint8 (or bytes), not dtype {arr.dtype}")
    flat = arr.reshape(-1)
    if arr.dtype != np.uint8:
        bad = (flat < 0) | (flat > 255)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                f"{what}: value {flat[i].item()} at offset {i} is not a byte; "
                "expected 0..255"
            )
    return np.ascontiguousarray(flat, dtype=np.uint8)


def encode_reference(trits, codec: str | Lut = "standard") -> np.ndarray:
    """Plain-lookup encoder (``lut.codes[tuple_index(groups)]``): the kernels' reference."""
    lut = get_lut(codec)
    flat = check_trits(trits)
    if flat.size % TRITS_PER_BYTE:
        raise ValueError(f"encode needs a multiple of 5 trits, got {flat.size}")
    return lut.codes[tuple_index(flat.reshape(-1, TRITS_PER_BYTE))]


def decode_reference(data, codec: str | Lut = "standard", *, on_invalid: str = "raise"):
    """Plain-lookup decoder (``lut.trits[codes]``): the kernels' reference."""
    lut = get_lut(codec)
    codes = as_codes(data)
    valid = lut.valid[codes]
    if on_invalid == "raise" and not valid.all():
        i = int(np.argmin(valid))
        raise InvalidCodeError(i, int(codes[i]), lut.name)
    trits = lut.trits[codes].reshape(-1)
    return (trits, valid) if on_invalid == "mask" else trits
