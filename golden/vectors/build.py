"""Making the data files of a vectors directory, streamed chunk by chunk.

:func:`chunks` yields the lines and the golden model's answers for a run of
lines at a time; :func:`write_directory` streams them into the files of a new
directory (hashing as it goes) in bounded memory, whatever the number of lines,
after checking the disk space they take; :func:`build` gathers a small set in
memory as :class:`Vectors`.
"""

from __future__ import annotations

import hashlib
import io
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from ..blocks import LINE_BYTES
from ..codec import decode
from ..fileio import atomic_directory, check_output_dir
from ..inputs import check_memory
from . import hexfmt
from .manifest import digest, manifest_bytes
from .spec import DATA_FILES, MANIFEST, TLAST_PROBABILITY, VectorSpec
from .stimulus import InvalidPlan, line_last, random_codes

__all__ = [
    "CHUNK_LINES", "Chunk", "Vectors", "Written", "build", "check_space", "chunks",
    "data_bytes", "parameters", "resolve", "write_directory",
]

#: Lines made at a time: bounds the memory of any vector set.
CHUNK_LINES = 1 << 13

#: Working memory per input byte of a chunk (raw draws, trits, masks, hex text).
_BYTES_PER_BYTE = 48


@dataclass(frozen=True)
class Chunk:
    """Lines ``start`` .. ``start + len(lines) - 1`` and their expected outputs."""

    start: int
    lines: np.ndarray        # uint8 (n, 64), invalid codes injected
    line_last: np.ndarray    # bool (n,)
    line_invalid: np.ndarray  # bool (n,)
    trits: np.ndarray        # int8 (n * 64 / lanes, 5 * lanes)
    tuser: np.ndarray        # bool (transfers,)
    tlast: np.ndarray        # bool (transfers,)


def resolve(spec: VectorSpec, input_lines: np.ndarray | None = None,
            input_name: str = "input") -> VectorSpec:
    """``spec`` checked, with ``lines`` resolved for an input file.

    Raises
    ------
    ValueError
        For an impossible parameter (one line, saying which), an input of fewer
        lines than asked, or a rate that gives no invalid code.
    """
    from_file = input_lines is not None
    spec.check(from_file)
    if from_file:
        available = int(input_lines.shape[0])
        if spec.lines is not None and spec.lines > available:
            raise ValueError(f"input file {input_name} packs into {available} line(s), "
                             f"fewer than the {spec.lines} requested")
        spec = spec.with_lines(spec.lines or available)
    InvalidPlan(spec, spec.lines * LINE_BYTES,
                f"input file {input_name}" if from_file else f"{spec.lines} line(s)")
    return spec


def chunks(spec: VectorSpec, input_lines: np.ndarray | None = None,
           chunk_lines: int = CHUNK_LINES, input_name: str = "input") -> Iterator[Chunk]:
    """The vectors of ``spec``, ``chunk_lines`` lines at a time (see :func:`resolve`)."""
    spec = resolve(spec, input_lines, input_name)
    from_file = input_lines is not None
    where = f"input file {input_name}" if from_file else f"{spec.lines} line(s)"
    plan = InvalidPlan(spec, spec.lines * LINE_BYTES, where)
    lut = spec.lut
    per_line = spec.transfers_per_line
    for start in range(0, spec.lines, chunk_lines):
        n = min(chunk_lines, spec.lines - start)
        if from_file:
            codes = np.ascontiguousarray(input_lines[start: start + n]).reshape(-1)
        else:
            codes = random_codes(spec, start, n)
        lines = plan.apply(codes, start * LINE_BYTES).reshape(n, LINE_BYTES)
        trits, valid = decode(lines, lut, on_invalid="mask")
        transfers = n * per_line
        trits = trits.reshape(transfers, spec.transfer_trits)
        tuser = ~valid.reshape(transfers, spec.lanes).all(axis=1)
        last = line_last(spec, start, n, spec.lines, from_file)
        tlast = np.zeros(transfers, dtype=bool)
        tlast[per_line - 1:: per_line] = last
        line_invalid = ~valid.reshape(n, LINE_BYTES).all(axis=1)
        yield Chunk(start, lines, last, line_invalid, trits, tuser, tlast)


class _Counts:
    def __init__(self, spec: VectorSpec):
        self.spec = spec
        self.invalid_bytes = self.invalid_lines = self.invalid_transfers = self.tlast_lines = 0

    def add(self, c: Chunk) -> None:
        self.invalid_bytes += int(np.count_nonzero(~self.spec.lut.valid[c.lines]))
        self.invalid_lines += int(c.line_invalid.sum())
        self.invalid_transfers += int(c.tuser.sum())
        self.tlast_lines += int(c.line_last.sum())

    def as_dict(self) -> dict:
        s = self.spec
        return {"lines": s.lines, "transfers": s.lines * s.transfers_per_line,
                "transfers_per_line": s.transfers_per_line,
                "invalid_bytes": self.invalid_bytes, "invalid_lines": self.invalid_lines,
                "invalid_transfers": self.invalid_transfers, "tlast_lines": self.tlast_lines}


def _npy_header(spec: VectorSpec) -> bytes:
    buf = io.BytesIO()
    shape = (spec.lines * spec.transfers_per_line, spec.transfer_trits)
    npy_format.write_array_header_1_0(
        buf, {"descr": npy_format.dtype_to_descr(np.dtype(np.int8)), "fortran_order": False,
              "shape": shape})
    return buf.getvalue()


def _file_parts(spec: VectorSpec, c: Chunk) -> dict[str, bytes]:
    return {
        "input.hex": hexfmt.hex_lines(c.lines),
        "input_flags.hex": hexfmt.flag_rows(c.line_invalid, c.line_last),
        "input.bin": c.lines.tobytes(),
        "expected.hex": hexfmt.hex_transfers(c.trits),
        "expected_flags.hex": hexfmt.flag_rows(c.tlast, c.tuser),
        "expected_trits.npy": c.trits.tobytes(),
    }


def data_bytes(spec: VectorSpec) -> int:
    """Bytes the data files of ``spec`` (lines resolved) take on disk."""
    transfers = spec.lines * spec.transfers_per_line
    per_line = 2 * LINE_BYTES + 1 + 2 + LINE_BYTES
    per_transfer = hexfmt.transfer_width(spec.lanes) + 1 + 2 + spec.transfer_trits
    return (spec.lines * per_line + transfers * per_transfer + len(_npy_header(spec))
            + len(hexfmt.lut_hex(spec.lut)))


class _HashedFile:
    def __init__(self, path: Path):
        self.f = open(path, "wb")  # noqa: SIM115 - closed by close()
        self.h = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.f.write(data)
        self.h.update(data)
        self.size += len(data)

    def close(self) -> dict:
        self.f.close()
        return {"bytes": self.size, "sha256": self.h.hexdigest()}


def parameters(spec: VectorSpec, input_info: dict | None, extra: dict | None = None) -> dict:
    """The manifest's ``parameters`` of ``spec`` (lines resolved)."""
    return {"lines": spec.lines, "seed": spec.seed, "lanes": spec.lanes,
            "codec": spec.codec_name, "lut": "custom" if spec.custom_codec else "builtin",
            "invalid_rate": spec.invalid_rate, "distribution": spec.distribution,
            "input": input_info,
            "tlast_probability": None if input_info else TLAST_PROBABILITY, **(extra or {})}


@dataclass(frozen=True)
class Written:
    path: Path
    counts: dict


def write_directory(out, spec: VectorSpec, *, input_lines: np.ndarray | None = None,
                    input_info: dict | None = None, extra_files: dict | Callable | None = None,
                    extra_params: dict | None = None, force: bool = False,
                    chunk_lines: int = CHUNK_LINES) -> Written:
    """Write a vectors directory: data files (streamed), ``extra_files`` and the manifest.

    ``extra_files`` maps file names to their bytes, or is a function of the
    resolved spec returning that map, called once ``out`` is checked (so that
    slow content, such as the engine's Verilog, is made only for a valid output).

    ``out`` follows :func:`golden.fileio.check_output_dir` (a non-empty one is
    replaced only with ``force`` and only if it is a previous vectors
    directory; the parent must exist), checked, with the disk space the files
    take, before anything is written.  Everything goes into a temporary
    directory renamed into place at the end (:func:`golden.fileio.atomic_directory`).

    Raises
    ------
    ValueError
        For an impossible parameter (see :func:`resolve`).
    OSError
        When ``out`` may not be written, the disk is too small, or on a write error.
    """
    name = (input_info or {}).get("name", "input")
    spec = resolve(spec, input_lines, name)
    out = check_output_dir(out, force=force, marker=MANIFEST, what="vectors directory")
    if callable(extra_files):
        extra_files = extra_files(spec)
    check_space(out, spec, extra_files)
    check_memory(min(chunk_lines, spec.lines) * LINE_BYTES * _BYTES_PER_BYTE,
                 f"vectors of {spec.lanes} lanes")
    counts = _Counts(spec)
    digests = {}
    with atomic_directory(out) as tmp:
        sinks = {n: _HashedFile(tmp / n) for n in DATA_FILES if n != "lut.hex"}
        try:
            sinks["expected_trits.npy"].write(_npy_header(spec))
            for c in chunks(spec, input_lines, chunk_lines, name):
                counts.add(c)
                for n, data in _file_parts(spec, c).items():
                    sinks[n].write(data)
        finally:
            for n, sink in sinks.items():
                digests[n] = sink.close()
        files = {"lut.hex": hexfmt.lut_hex(spec.lut), **(extra_files or {})}
        for n, data in files.items():
            (tmp / n).write_bytes(data)
            digests[n] = digest(data)
        manifest = manifest_bytes(parameters(spec, input_info, extra_params),
                                  counts.as_dict(), digests)
        (tmp / MANIFEST).write_bytes(manifest)
    return Written(out, counts.as_dict())


def check_space(out: Path, spec: VectorSpec, extra_files: dict | None = None) -> None:
    """Raise OSError if the files of ``spec`` (lines resolved) will not fit the disk of ``out``."""
    need = data_bytes(spec) + sum(len(d) for d in (extra_files or {}).values()) + (1 << 16)
    parent = out.absolute().parent
    try:
        free = shutil.disk_usage(parent).free
    except OSError:
        return
    if need > free:
        raise OSError(f"vectors directory {out}: {spec.lines} lines take "
                      f"{need / (1 << 30):.1f} GiB, but {parent} has "
                      f"{free / (1 << 30):.1f} GiB free; use fewer --lines or another -o")


@dataclass(frozen=True)
class Vectors:
    """A small vector set in memory: arrays and file contents.

    Members
    -------
    spec : VectorSpec
        With ``lines`` resolved.
    lines : numpy.ndarray
        uint8 (lines, 64): the input lines, invalid codes injected.
    line_last : numpy.ndarray
        bool (lines,): ``tlast`` of each input line.
    trits : numpy.ndarray
        int8 (transfers, 5 * lanes): expected output trits.
    tuser, tlast : numpy.ndarray
        bool (transfers,): expected flags of each transfer.
    files : dict of str to bytes
        Contents of :data:`DATA_FILES`.
    counts : dict
        As in the manifest.
    input_info : dict or None
        Name and SHA-256 of the input file.
    """

    spec: VectorSpec
    lines: np.ndarray
    line_last: np.ndarray
    trits: np.ndarray
    tuser: np.ndarray
    tlast: np.ndarray
    files: dict
    counts: dict
    input_info: dict | None = None


def build(spec: VectorSpec, input_lines: np.ndarray | None = None,
          input_info: dict | None = None) -> Vectors:
    """The vectors of ``spec`` in memory (for small sets; see :func:`write_directory`).

    Parameters
    ----------
    spec : VectorSpec
        The parameters (checked here).
    input_lines : numpy.ndarray, optional
        (n, 64) uint8 lines (:func:`golden.inputs.load_packed_lines`) instead of
        random ones.
    input_info : dict, optional
        Description of the input file for the manifest.
    """
    name = (input_info or {}).get("name", "input")
    spec = resolve(spec, input_lines, name)
    check_memory(spec.lines * LINE_BYTES * _BYTES_PER_BYTE, f"{spec.lines} vector lines")
    parts = list(chunks(spec, input_lines, max(spec.lines, 1), name))
    (c,) = parts
    counts = _Counts(spec)
    counts.add(c)
    files = _file_parts(spec, c)
    files["expected_trits.npy"] = _npy_header(spec) + files["expected_trits.npy"]
    files["lut.hex"] = hexfmt.lut_hex(spec.lut)
    files = {n: files[n] for n in DATA_FILES}
    return Vectors(spec, c.lines, c.line_last, c.trits, c.tuser, c.tlast, files,
                   counts.as_dict(), input_info)


