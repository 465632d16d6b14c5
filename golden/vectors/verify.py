"""``tritpack vectors verify``: re-check a vectors directory against its manifest and
against the golden model, streamed, in bounded memory.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from ..blocks import LINE_BYTES
from ..codec import decode
from ..lut_io import parse_lut_hex
from . import hexfmt
from .spec import DATA_FILES, FORMAT_VERSION, MANIFEST, VectorSpec

__all__ = ["verify"]

_CHUNK_LINES = 1 << 12
_SPEC_KEYS = ("lines", "seed", "lanes", "codec", "invalid_rate", "distribution")


def verify(directory) -> list[str]:
    """Re-check a vectors directory; return the problems found (empty when sound).

    Checks every SHA-256 and size in the manifest (naming a missing or edited
    file), then the internal consistency of the data files: row counts and
    widths, ``input.bin`` against ``input.hex``, and the expected transfers,
    flags, trits and LUT against the golden model.  For a custom codec the
    golden model's table is the directory's ``lut.hex`` (checked by hash).

    Raises
    ------
    OSError
        When ``directory`` is not a readable directory.
    """
    d = Path(directory)
    if not d.is_dir():
        raise NotADirectoryError(f"{d} is not a directory")
    try:
        doc = json.loads((d / MANIFEST).read_bytes())
    except FileNotFoundError:
        return [f"{MANIFEST}: missing"]
    except (ValueError, UnicodeDecodeError) as exc:
        return [f"{MANIFEST}: not valid JSON ({exc})"]
    try:
        return _verify(d, doc)
    except (KeyError, TypeError, AttributeError) as exc:
        return [f"{MANIFEST}: malformed ({type(exc).__name__}: {exc})"]


def _sha256(path: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
            size += len(block)
    return size, h.hexdigest()


def _verify(d: Path, doc: dict) -> list[str]:
    if doc.get("format_version") != FORMAT_VERSION:
        return [f"{MANIFEST}: format_version {doc.get('format_version')!r} is not "
                f"{FORMAT_VERSION}, which this tool reads"]
    problems = []
    listed = doc["files"]
    for name in sorted(set(DATA_FILES) - set(listed)):
        problems.append(f"{MANIFEST}: does not list {name}")
    present = set()
    for name, entry in sorted(listed.items()):
        if Path(name).name != name or name.startswith("."):
            problems.append(f"{MANIFEST}: lists {name!r}, which is not a plain file name")
            continue
        if not (d / name).is_file():
            problems.append(f"{name}: missing")
            continue
        present.add(name)
        if _sha256(d / name) != (entry["bytes"], entry["sha256"]):
            problems.append(f"{name}: edited (SHA-256 differs from the manifest)")
    for path in sorted(d.iterdir()):
        if path.name not in listed and path.name != MANIFEST and path.suffix == ".v":
            problems.append(f"{path.name}: not in the manifest (an extra .v file breaks "
                            "`iverilog DIR/*.v`)")
    params = doc["parameters"]
    try:
        codec = params["codec"]
        if params.get("lut") == "custom":
            if "lut.hex" not in present:
                return problems + ["lut.hex: missing, and it defines the custom codec: "
                                   "expected values not checked"]
            codec = parse_lut_hex((d / "lut.hex").read_text("ascii"), codec, "lut.hex")
        spec = VectorSpec(**{**{k: params[k] for k in _SPEC_KEYS}, "codec": codec})
        spec.check()
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        return problems + [f"{MANIFEST}: bad parameters ({exc})"]
    counts = doc["counts"]
    if counts.get("lines") != spec.lines or counts.get("transfers") != spec.lines * (
            spec.transfers_per_line):
        problems.append(f"{MANIFEST}: counts do not match lines={spec.lines}, "
                        f"lanes={spec.lanes}")
    return problems + _Contents(d, spec, present).check()


class _Rows:
    """A hex file read a run of rows at a time; ``broken`` after its first problem."""

    def __init__(self, path: Path, rows: int, width: int, problems: list):
        self.name, self.width, self.problems = path.name, width, problems
        self.f = open(path, "rb")  # noqa: SIM115 - closed by close()
        self.at = 0
        n = sum(1 for _ in self.f)
        self.f.seek(0)
        self.broken = n != rows
        if self.broken:
            problems.append(f"{self.name}: {n} rows, expected {rows}")

    def read(self, n: int) -> np.ndarray | None:
        if self.broken:
            return None
        rows = [r.rstrip(b"\r\n") for r in itertools.islice(self.f, n)]
        nib = hexfmt.nibbles(rows, self.width)
        if isinstance(nib, int):
            row = rows[nib][:24].decode("ascii", "replace")
            self.problems.append(f"{self.name}: row {self.at + nib} is {row!r}, expected "
                                 f"{self.width} hex digits")
            self.broken = True
            return None
        self.at += n
        return nib

    def close(self) -> None:
        self.f.close()


class _Contents:
    """The data files checked against the golden model, chunk by chunk."""

    def __init__(self, d: Path, spec: VectorSpec, present: set):
        self.d, self.spec, self.present = d, spec, present
        self.problems: list[str] = []
        self.reported: set[str] = set()

    def _once(self, name: str, message: str) -> None:
        if name not in self.reported:
            self.reported.add(name)
            self.problems.append(f"{name}: {message}")

    def _compare(self, got, want, name: str, what: str, offset: int) -> None:
        diff = got != want
        if diff.any():
            row = offset + int(np.flatnonzero(diff.reshape(diff.shape[0], -1).any(axis=1))[0])
            self._once(name, what.format(row, row))

    def _rows(self, name: str, rows: int, width: int) -> _Rows | None:
        return _Rows(self.d / name, rows, width, self.problems) if name in self.present else None

    def _npy(self, transfers: int):
        name = "expected_trits.npy"
        if name not in self.present:
            return None
        f = open(self.d / name, "rb")  # noqa: SIM115 - closed in check()
        want = (transfers, self.spec.transfer_trits)
        try:
            version = npy_format.read_magic(f)
            read = (npy_format.read_array_header_1_0 if version == (1, 0)
                    else npy_format.read_array_header_2_0)
            shape, fortran, dtype = read(f)
        except (ValueError, OSError, EOFError) as exc:
            f.close()
            self.problems.append(f"{name}: unreadable ({exc})")
            return None
        size = (self.d / name).stat().st_size - f.tell()
        if dtype != np.int8 or tuple(shape) != want or fortran or size != np.prod(want):
            f.close()
            self.problems.append(f"{name}: {dtype} {tuple(shape)}, expected int8 {want}")
            return None
        return f

    def check(self) -> list[str]:
        spec = self.spec
        per_line = spec.transfers_per_line
        transfers = spec.lines * per_line
        inp = self._rows("input.hex", spec.lines, 2 * LINE_BYTES)
        flags = self._rows("input_flags.hex", spec.lines, 1)
        exp_flags = self._rows("expected_flags.hex", transfers, 1)
        exp = self._rows("expected.hex", transfers, hexfmt.transfer_width(spec.lanes))
        binf = None
        if "input.bin" in self.present:
            size = (self.d / "input.bin").stat().st_size
            if size != spec.lines * LINE_BYTES:
                self.problems.append(f"input.bin: {size} bytes, expected "
                                     f"{spec.lines * LINE_BYTES}")
            else:
                binf = open(self.d / "input.bin", "rb")  # noqa: SIM115 - closed below
        npy = self._npy(transfers)
        last_line_last = None
        try:
            for start in range(0, spec.lines, _CHUNK_LINES):
                n = min(_CHUNK_LINES, spec.lines - start)
                lines = None
                nib = inp.read(n) if inp else None
                if nib is not None:
                    lines = hexfmt.lines_of(nib)
                if binf is not None:
                    raw = np.frombuffer(binf.read(n * LINE_BYTES), np.uint8).reshape(n, -1)
                    if lines is None:
                        lines = raw
                    else:
                        self._compare(raw, lines, "input.bin", "line {} differs from input.hex",
                                      start)
                if lines is None:
                    self.problems.append("no readable input lines: expected values not "
                                         "checked")
                    return self.problems
                last_line_last = self._check_chunk(start, lines, flags, exp_flags, exp, npy)
        finally:
            for r in (inp, flags, exp_flags, exp):
                if r is not None:
                    r.close()
            for f in (binf, npy):
                if f is not None:
                    f.close()
        if last_line_last is False:
            self.problems.append("input_flags.hex: the last line does not carry tlast")
        if "lut.hex" in self.present and \
                (self.d / "lut.hex").read_bytes() != hexfmt.lut_hex(spec.lut):
            self.problems.append(f"lut.hex: differs from the golden {spec.codec_name!r} table")
        return self.problems

    def _check_chunk(self, start: int, lines: np.ndarray, flags, exp_flags, exp, npy):
        spec = self.spec
        n = lines.shape[0]
        per_line = spec.transfers_per_line
        tstart = start * per_line
        trits, valid = decode(lines, spec.lut, on_invalid="mask")
        trits = trits.reshape(n * per_line, spec.transfer_trits)
        tuser = ~valid.reshape(n * per_line, spec.lanes).all(axis=1)
        line_invalid = ~valid.reshape(n, LINE_BYTES).all(axis=1)
        # tlast is a choice of the generator, not of the golden model: take it from
        # input_flags.hex and check that expected_flags.hex agrees with it.
        line_last = np.zeros(n, dtype=bool)
        last = None
        nib = flags.read(n) if flags else None
        if nib is not None:
            line_last = (nib[:, 0] & 1).astype(bool)
            want = (line_invalid.astype(np.uint8) << 1) | line_last
            self._compare(nib[:, 0], want, "input_flags.hex", "row {}: invalid-code bit "
                          "differs from the golden model", start)
            last = bool(line_last[-1])
        tlast = np.zeros(n * per_line, dtype=bool)
        tlast[per_line - 1:: per_line] = line_last
        nib = exp_flags.read(n * per_line) if exp_flags else None
        if nib is not None:
            want = (tlast.astype(np.uint8) << 1) | tuser
            self._compare(nib[:, 0], want, "expected_flags.hex", "row {} (transfer {}) "
                          "differs from the golden tuser or from tlast in input_flags.hex",
                          tstart)
        nib = exp.read(n * per_line) if exp else None
        if nib is not None:
            self._compare(nib, hexfmt.transfer_digits(trits), "expected.hex",
                          "row {} (transfer {}) differs from the golden model", tstart)
        if npy is not None:
            got = np.frombuffer(npy.read(trits.size), np.int8).reshape(trits.shape)
            self._compare(got, trits, "expected_trits.npy", "row {} differs from the golden "
                          "model", tstart)
        return last
