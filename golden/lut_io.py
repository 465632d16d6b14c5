"""LUT files: export a codec for other teams and load a user's custom codec.

Formats (``docs/FORMAT.md`` is the specification):

``hex``
    ``$readmemh`` text: 256 rows (code 0x00 first) of 3 hex digits holding the
    10-bit output row of that code (:func:`lut_rows`: trit i at bits
    [2i+1:2i], +1 = 01, 0 = 00, -1 = 11; invalid rows 000).  Each row carries
    its validity column in a trailing comment (``// 0x1f valid ...`` or
    ``// 0xf3 invalid``), which ``$readmemh`` ignores.
``valid``
    The validity column alone: 256 rows of ``1`` (valid) or ``0``, ready for
    ``$readmemb``/``$readmemh``.
``json``
    ``{"format": "tritpack-lut", "version": 1, "name": ..., "table": [...]}``
    where ``table`` has 256 entries, code 0 first: a list ``[t0, t1, t2, t3,
    t4]`` or ``null`` for an invalid code.
``c``
    A C99 header with the trit table, the validity column, the 10-bit rows and
    the encode table.

Loading (:func:`load_lut`, :func:`parse_lut_json`, :func:`parse_lut_hex`)
accepts the ``json`` and ``hex`` formats; a hex row may also be written
``xxx`` to mark an invalid code.  Every error names the file, the line or
table entry, and the offending code.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np

from .lut import CODEC_NAMES, NUM_TUPLES, TRITS_PER_BYTE, Lut, all_tuples, get_lut, tuple_index

__all__ = [
    "ROW_BITS", "TRIT_BITS", "EXPORT_FORMATS", "lut_rows", "rows_to_trits", "export_lut",
    "to_hex", "to_valid", "to_json", "to_c_header",
    "parse_lut_hex", "parse_lut_json", "load_lut", "resolve_codec",
]

#: Bits per decoded trit in a ROM row and on the engine's output: two's complement,
#: +1 = 01, 0 = 00, -1 = 11.
TRIT_BITS = 2

ROW_BITS = TRIT_BITS * TRITS_PER_BYTE  # 10
#: 2-bit two's complement field of each trit value, and back.
_FIELD = {1: 0b01, 0: 0b00, -1: 0b11}
_FIELD_TRIT = {0b01: 1, 0b00: 0, 0b11: -1}
_SHIFTS = 2 * np.arange(TRITS_PER_BYTE, dtype=np.uint16)  # trit i at bits [2i+1:2i]


def lut_rows(lut: Lut | str) -> np.ndarray:
    """The 10-bit output row of every code: shape (256,) uint16.

    Trit i of the code sits at bits [2i+1:2i] as 2-bit two's complement
    (+1 = 0b01, 0 = 0b00, -1 = 0b11); the rows of invalid codes are 0.  This is
    the ROM content of the decode engine.
    """
    lut = get_lut(lut)
    fields = lut.trits.astype(np.uint16) & 0b11  # int8 -1 -> 0b11
    return (fields << _SHIFTS).sum(axis=1, dtype=np.uint16)


def rows_to_trits(rows) -> np.ndarray:
    """Inverse of :func:`lut_rows` for any rows: shape (n, 5) int8.

    Raises
    ------
    ValueError
        If a row does not fit in 10 bits or holds the field 0b10 (not a trit).
    """
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    if rows.size and (rows.min() < 0 or rows.max() >= 1 << ROW_BITS):
        i = int(np.argmax((rows < 0) | (rows >= 1 << ROW_BITS)))
        raise ValueError(f"row {i}: {rows[i]:#x} does not fit in {ROW_BITS} bits")
    fields = (rows[:, None] >> _SHIFTS.astype(np.int64)) & 0b11
    if (fields == 0b10).any():
        i, t = (int(x) for x in np.argwhere(fields == 0b10)[0])
        raise ValueError(f"row {i}: trit {t} has the field 0b10, which is not a trit")
    return np.where(fields == 0b11, -1, fields).astype(np.int8)


# ----------------------------------------------------------------------------- exports

def _trit_text(trits) -> str:
    return " ".join(f"{int(t):+d}" if t else "0" for t in trits)


def to_hex(lut: Lut | str) -> str:
    """``$readmemh`` rows with the validity column in a trailing comment (see module doc)."""
    lut = get_lut(lut)
    lines = [
        f"// tritpack LUT {lut.name!r}: 256 rows of {ROW_BITS} bits, code 0x00 first",
        "// trit i at bits [2i+1:2i]: +1 = 01, 0 = 00, -1 = 11; invalid rows are 000",
    ]
    for code, row in enumerate(lut_rows(lut)):
        if lut.valid[code]:
            note = f"valid {_trit_text(lut.trits[code])}"
        else:
            note = "invalid"
        lines.append(f"{int(row):03x} // 0x{code:02x} {note}")
    return "\n".join(lines) + "\n"


def to_valid(lut: Lut | str) -> str:
    """The validity column: 256 rows of 1 (valid) or 0, code 0x00 first."""
    lut = get_lut(lut)
    lines = [f"// tritpack LUT {lut.name!r}: validity of codes 0x00..0xff (1 = valid)"]
    lines += ["1" if v else "0" for v in lut.valid]
    return "\n".join(lines) + "\n"


def to_json(lut: Lut | str) -> str:
    """JSON with the decode table (``null`` for invalid codes), one code per line."""
    lut = get_lut(lut)
    entries = [
        json.dumps([int(t) for t in lut.trits[c]]) if lut.valid[c] else "null"
        for c in range(256)
    ]
    head = {
        "format": "tritpack-lut",
        "version": 1,
        "name": lut.name,
        "trits_per_byte": TRITS_PER_BYTE,
        "comment": "table[code] = [t0, t1, t2, t3, t4] (t0 first in memory) or null if invalid",
    }
    body = ",\n".join(f"    {e}" for e in entries)
    return json.dumps(head, indent=2)[:-2] + ',\n  "table": [\n' + body + "\n  ]\n}\n"


def _c_name(name: str) -> str:
    ident = re.sub(r"\W", "_", name)
    return ident if ident[:1].isalpha() else f"lut_{ident}"


def _c_array(values, per_line: int, fmt: str = "{}") -> str:
    values = [fmt.format(v) for v in values]
    rows = [", ".join(values[i: i + per_line]) for i in range(0, len(values), per_line)]
    return "    " + ",\n    ".join(rows)


def to_c_header(lut: Lut | str) -> str:
    """A C99 header with the tables of ``lut`` as ``static const`` arrays."""
    lut = get_lut(lut)
    n = _c_name(lut.name)
    guard = f"TRITPACK_LUT_{n.upper()}_H"
    trits = "\n".join(
        f"    {{{', '.join(f'{int(t):2d}' for t in lut.trits[c])}}}"
        f"{',' if c < 255 else ' '} /* 0x{c:02x}{'' if lut.valid[c] else ' invalid'} */"
        for c in range(256)
    )
    return f"""\
/* tritpack LUT '{lut.name}' (generated by `tritpack lut --format c`; do not edit).
 * A byte holds five trits t0..t4, t0 first in memory order. */
#ifndef {guard}
#define {guard}

#include <stdint.h>

#define TRITPACK_TRITS_PER_BYTE 5
#define TRITPACK_NUM_TUPLES 243

/* tritpack_{n}_trits[code][i] = trit i of code; invalid codes decode to zeros. */
static const int8_t tritpack_{n}_trits[256][5] = {{
{trits}
}};

/* 1 if the code is valid, 0 for the 13 codes the encoder never produces. */
static const uint8_t tritpack_{n}_valid[256] = {{
{_c_array([int(v) for v in lut.valid], 32)}
}};

/* 10-bit rows: trit i at bits [2i+1:2i], +1 = 01, 0 = 00, -1 = 11; invalid rows 0. */
static const uint16_t tritpack_{n}_rows[256] = {{
{_c_array(lut_rows(lut).tolist(), 12, "0x{:03x}")}
}};

/* Encoder: code of the tuple whose index is sum((t_i mod 3) * 3^i), i = 0..4. */
static const uint8_t tritpack_{n}_codes[243] = {{
{_c_array(lut.codes.tolist(), 16, "0x{:02x}")}
}};

#endif /* {guard} */
"""


EXPORT_FORMATS = {"hex": to_hex, "valid": to_valid, "json": to_json, "c": to_c_header}


def export_lut(lut: Lut | str, fmt: str) -> str:
    """Text of ``lut`` in export format ``fmt`` (one of :data:`EXPORT_FORMATS`)."""
    try:
        export = EXPORT_FORMATS[fmt]
    except KeyError:
        raise ValueError(
            f"unknown LUT format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}"
        ) from None
    return export(lut)


# ----------------------------------------------------------------------------- loading

def _build(table: np.ndarray, valid: np.ndarray, where: list[str], name: str,
           source: str) -> Lut:
    """Check the one-to-one mapping with messages naming the entry, then build the Lut."""
    seen: dict[int, int] = {}
    index = tuple_index(table)
    for code in np.flatnonzero(valid):
        i = int(index[code])
        if i in seen:
            other = seen[i]
            hint = "" if table[code].any() else (
                " (mark invalid codes: null in JSON, xxx or a '// invalid' comment in hex)")
            raise ValueError(
                f"{source}: {where[code]} (code 0x{code:02x}) decodes to "
                f"{table[code].tolist()}, the same tuple as code 0x{other:02x} "
                f"({where[other]}); each of the 243 tuples needs exactly one code{hint}"
            )
        seen[i] = int(code)
    n_valid = int(valid.sum())
    if n_valid != NUM_TUPLES:
        missing = [i for i in range(NUM_TUPLES) if i not in seen]
        hint = f"; no code decodes to {all_tuples()[missing[0]].tolist()}" if missing else ""
        raise ValueError(
            f"{source}: {n_valid} valid codes, expected exactly {NUM_TUPLES} (one per "
            f"trit tuple; mark the other {256 - NUM_TUPLES} invalid){hint}"
        )
    return Lut.from_table(table, valid, name=name)


_HEX_ROW = re.compile(r"[0-9a-fA-F]{1,3}")
_X_ROW = re.compile(r"[xX]{1,3}")


def parse_lut_hex(text: str, name: str = "custom", source: str = "<hex>") -> Lut:
    """Load a codec from the ``hex`` export format (see the module docstring).

    A row is invalid when written ``xxx`` or when its comment starts with the
    code and the word ``invalid`` (as :func:`to_hex` writes it).

    Raises
    ------
    ValueError
        Naming the file, line and code of the first problem.
    """
    table = np.zeros((256, TRITS_PER_BYTE), dtype=np.int8)
    valid = np.zeros(256, dtype=bool)
    where: list[str] = []
    code = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        data, _, comment = line.partition("//")
        data = data.strip()
        if not data:
            continue
        if code == 256:
            raise ValueError(
                f"{source} line {lineno}: a 257th row {data!r}; expected exactly 256 rows "
                "(codes 0x00..0xff)"
            )
        at = f"{source} line {lineno} (code 0x{code:02x})"
        where.append(f"line {lineno}")
        if data.startswith("@"):
            raise ValueError(f"{at}: address {data!r} not supported; list all 256 rows in order")
        if _X_ROW.fullmatch(data):
            code += 1
            continue
        if not _HEX_ROW.fullmatch(data):
            raise ValueError(
                f"{at}: {data!r} is not a row; expected up to 3 hex digits (a 10-bit row) "
                "or xxx for an invalid code"
            )
        row = int(data, 16)
        marked_invalid = re.match(r"\s*(0x[0-9a-fA-F]+\s+)?invalid\b", comment) is not None
        if row >= 1 << ROW_BITS:
            raise ValueError(f"{at}: {row:#05x} does not fit in {ROW_BITS} bits")
        if marked_invalid:
            if row:
                raise ValueError(f"{at}: marked invalid but its row is {row:#05x}; expected 000")
        else:
            for t in range(TRITS_PER_BYTE):
                field = (row >> 2 * t) & 0b11
                if field not in _FIELD_TRIT:
                    raise ValueError(
                        f"{at}: row {row:#05x} has field 0b{field:02b} for trit {t}, "
                        "which is not a trit; expected 01 (+1), 00 (0) or 11 (-1)"
                    )
                table[code, t] = _FIELD_TRIT[field]
            valid[code] = True
        code += 1
    if code != 256:
        raise ValueError(f"{source}: {code} rows, expected 256 (one per code 0x00..0xff)")
    return _build(table, valid, where, name, source)


def parse_lut_json(text: str, name: str | None = None, source: str = "<json>") -> Lut:
    """Load a codec from the ``json`` export format (or a bare list of 256 entries).

    Raises
    ------
    ValueError
        Naming the file, table entry and code of the first problem.
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{source}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if isinstance(doc, dict):
        if "table" not in doc:
            raise ValueError(f"{source}: no \"table\" key; expected a list of 256 entries")
        entries = doc["table"]
        name = name or str(doc.get("name", "custom"))
    else:
        entries = doc
    name = name or "custom"
    if not isinstance(entries, list) or len(entries) != 256:
        got = f"{len(entries)} entries" if isinstance(entries, list) else type(entries).__name__
        raise ValueError(
            f"{source}: table has {got}, expected a list of 256 entries (codes 0x00..0xff)"
        )
    table = np.zeros((256, TRITS_PER_BYTE), dtype=np.int8)
    valid = np.zeros(256, dtype=bool)
    for code, entry in enumerate(entries):
        if entry is None:
            continue
        at = f"{source}: table[{code}] (code 0x{code:02x})"
        if not isinstance(entry, list) or len(entry) != TRITS_PER_BYTE:
            raise ValueError(f"{at}: {json.dumps(entry)} is not a list of 5 trits or null")
        for t, value in enumerate(entry):
            if type(value) is not int or value not in (-1, 0, 1):
                raise ValueError(
                    f"{at}: trit {t} is {json.dumps(value)}, not a trit; expected -1, 0 or 1"
                )
        table[code] = entry
        valid[code] = True
    return _build(table, valid, [f"table[{c}]" for c in range(256)], name, source)


def load_lut(path: str | Path, name: str | None = None) -> Lut:
    """Load a custom codec from a ``.json`` or hex file (anything else is read as hex).

    Raises
    ------
    OSError
        If the file cannot be read.
    ValueError
        For a malformed LUT, naming the file, line or entry, and code.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file; expected a JSON or hex LUT") from None
    name = name or path.stem
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "[")):
        return parse_lut_json(text, name, str(path))
    return parse_lut_hex(text, name, str(path))


def resolve_codec(spec: str | Lut) -> Lut:
    """A codec from a name (``standard``, ``tq1``), a LUT file path or a :class:`Lut`.

    Raises
    ------
    ValueError
        For a name that is neither a built-in codec nor a file, or a path that is
        a directory, missing, empty or not a LUT file.
    """
    if isinstance(spec, Lut) or spec in CODEC_NAMES:
        return get_lut(spec)
    path = Path(spec)
    if path.exists() or os.sep in str(spec) or path.suffix:
        # A path: say what is wrong with it (a directory, missing, empty).
        from .inputs import check_input_file

        check_input_file(path, "--codec", "a LUT file (.json or .hex) or one of "
                         + ", ".join(CODEC_NAMES))
        return load_lut(path)
    raise ValueError(
        f"unknown codec {spec!r}; expected one of {', '.join(CODEC_NAMES)} "
        "or the path of a LUT file (.json or .hex)"
    )
