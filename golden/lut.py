"""Codec lookup tables: the single definition of how a byte holds five trits.

A *codec* maps each of the 3**5 = 243 tuples of five trits (t0..t4, t0 first
in memory order) to a distinct byte code.  The remaining 13 byte values are
*invalid*: an encoder never produces them and a decoder flags them.

Two codecs are built in:

``standard``
    ``code = d0 + 3*d1 + 9*d2 + 27*d3 + 81*d4`` with ``d = t mod 3``
    (0 -> 0, +1 -> 1, -1 -> 2).  Byte 0x00 is five zeros; 243..255 are invalid.
``tq1``
    Byte-compatible with the 5-trit bytes of llama.cpp/ggml TQ1_0:
    ``v = sum((t_n + 1) * 3**(4 - n))``, ``q = ceil(v * 256 / 243)``;
    decoding is ``t_n = ((((q * 3**n) mod 256) * 3) >> 8) - 1``.

Custom codecs are any :class:`Lut` built from a 256-entry table that maps
exactly 243 codes one-to-one onto all trit tuples (see :func:`Lut.from_table`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "TRITS_PER_BYTE",
    "NUM_TUPLES",
    "Lut",
    "standard_lut",
    "tq1_lut",
    "get_lut",
    "CODEC_NAMES",
]

TRITS_PER_BYTE = 5
NUM_TUPLES = 3**TRITS_PER_BYTE  # 243
_POW3 = 3 ** np.arange(TRITS_PER_BYTE)  # [1, 3, 9, 27, 81]


def tuple_index(trits: np.ndarray) -> np.ndarray:
    """Canonical index 0..242 of trit tuples of shape (..., 5): sum((t mod 3) * 3**n)."""
    digits = np.asarray(trits, dtype=np.int64) % 3
    return digits @ _POW3


def all_tuples() -> np.ndarray:
    """All 243 trit tuples, shape (243, 5) int8, row i has :func:`tuple_index` i."""
    idx = np.arange(NUM_TUPLES)[:, None]
    digits = (idx // _POW3) % 3
    return np.where(digits == 2, -1, digits).astype(np.int8)


@dataclass(frozen=True, eq=False)
class Lut:
    """A codec: the 256-entry decode table and its inverse.

    Members
    -------
    name : str
        Codec name (``"standard"``, ``"tq1"`` or a user's label).
    trits : numpy.ndarray
        Shape (256, 5) int8: the trits each byte decodes to; invalid rows are zero.
    valid : numpy.ndarray
        Shape (256,) bool: which byte codes are valid.
    codes : numpy.ndarray
        Shape (243,) uint8: the code of each trit tuple, indexed by :func:`tuple_index`.
    """

    name: str
    trits: np.ndarray = field(repr=False)
    valid: np.ndarray = field(repr=False)
    codes: np.ndarray = field(repr=False)

    @classmethod
    def from_table(cls, table, valid=None, name: str = "custom") -> Lut:
        """Build and validate a codec from a decode table.

        Parameters
        ----------
        table : array_like
            Shape (256, 5) of trits in {-1, 0, 1}: the tuple each code decodes to.
        valid : array_like of bool, optional
            Shape (256,): which codes are valid.  Exactly 243 must be.  When
            omitted, the codes 243..255 are taken as the invalid ones.
        name : str
            A label for messages and exports.

        Raises
        ------
        ValueError
            If the table has the wrong shape, holds a value outside {-1, 0, 1},
            does not have exactly 243 valid codes, or two valid codes decode to
            the same tuple (the message names the offending code).
        """
        table = np.asarray(table)
        if table.shape != (256, TRITS_PER_BYTE):
            raise ValueError(
                f"LUT {name!r}: table must have shape (256, 5), not {table.shape}"
            )
        if valid is None:
            valid = np.arange(256) < NUM_TUPLES
        valid = np.asarray(valid, dtype=bool)
        if valid.shape != (256,):
            raise ValueError(f"LUT {name!r}: validity must have 256 entries, not {valid.shape}")
        bad = np.flatnonzero(~np.isin(table, (-1, 0, 1)).all(axis=1) & valid)
        if bad.size:
            c = int(bad[0])
            raise ValueError(
                f"LUT {name!r}: code {c} (0x{c:02x}) decodes to {table[c].tolist()}, "
                "expected five trits in {-1, 0, 1}"
            )
        n_valid = int(valid.sum())
        if n_valid != NUM_TUPLES:
            raise ValueError(
                f"LUT {name!r}: {n_valid} valid codes, expected exactly {NUM_TUPLES}"
            )
        trits = np.where(valid[:, None], table, 0).astype(np.int8)
        index = tuple_index(trits)
        codes = np.full(NUM_TUPLES, -1, dtype=np.int64)
        for c in np.flatnonzero(valid):
            i = index[c]
            if codes[i] >= 0:
                raise ValueError(
                    f"LUT {name!r}: code {c} (0x{c:02x}) decodes to {trits[c].tolist()}, "
                    f"the same tuple as code {codes[i]} (0x{codes[i]:02x}); "
                    "each tuple must have exactly one code"
                )
            codes[i] = c
        # 243 valid codes and no duplicate: every tuple is covered.
        trits.setflags(write=False)
        valid = valid.copy()
        valid.setflags(write=False)
        codes = codes.astype(np.uint8)
        codes.setflags(write=False)
        return cls(name=name, trits=trits, valid=valid, codes=codes)

    @property
    def invalid_codes(self) -> np.ndarray:
        """The 13 byte values this codec never produces, ascending (uint8)."""
        return np.flatnonzero(~self.valid).astype(np.uint8)

    def __repr__(self) -> str:
        return f"Lut({self.name!r})"


def _standard_table() -> np.ndarray:
    table = np.zeros((256, TRITS_PER_BYTE), dtype=np.int8)
    table[:NUM_TUPLES] = all_tuples()
    return table


def _tq1_table() -> tuple[np.ndarray, np.ndarray]:
    tuples = all_tuples().astype(np.int64)
    v = (tuples + 1) @ (3 ** np.arange(TRITS_PER_BYTE - 1, -1, -1))
    q = (v * 256 + 242) // 243  # ceil(v * 256 / 243)
    assert len(set(q.tolist())) == NUM_TUPLES
    table = np.zeros((256, TRITS_PER_BYTE), dtype=np.int8)
    table[q] = tuples
    valid = np.zeros(256, dtype=bool)
    valid[q] = True
    return table, valid


_CACHE: dict[str, Lut] = {}


def standard_lut() -> Lut:
    """The standard codec (see the module docstring)."""
    if "standard" not in _CACHE:
        _CACHE["standard"] = Lut.from_table(_standard_table(), name="standard")
    return _CACHE["standard"]


def tq1_lut() -> Lut:
    """The llama.cpp TQ1_0-compatible codec (see the module docstring)."""
    if "tq1" not in _CACHE:
        table, valid = _tq1_table()
        _CACHE["tq1"] = Lut.from_table(table, valid, name="tq1")
    return _CACHE["tq1"]


_BUILTIN = {"standard": standard_lut, "tq1": tq1_lut}
CODEC_NAMES = tuple(_BUILTIN)


def get_lut(codec: str | Lut = "standard") -> Lut:
    """Resolve a codec given by name or as a :class:`Lut`.

    Raises
    ------
    ValueError
        For an unknown codec name.
    TypeError
        For anything that is neither a name nor a :class:`Lut`.
    """
    if isinstance(codec, Lut):
        return codec
    if isinstance(codec, str):
        try:
            return _BUILTIN[codec]()
        except KeyError:
            raise ValueError(
                f"unknown codec {codec!r}; expected one of {', '.join(CODEC_NAMES)} "
                "or a golden.Lut"
            ) from None
    raise TypeError(f"codec must be a codec name or a golden.Lut, not {type(codec).__name__}")
