"""Golden vectors for hardware teams: the golden model's answers as files.

:func:`build` makes the data files of a vectors directory for a decode engine
with ``lanes`` byte lanes (one 64-byte line in, ``64 / lanes`` transfers of
``5 * lanes`` trits out); :func:`write` adds ``manifest.json`` and moves the
directory into place atomically; :func:`verify` re-checks a directory.  The
file formats are described in ``docs/VECTORS.md``; in short:

``input.hex``
    One line per row, 128 hex digits, byte 0 in the two least significant digits.
``input_flags.hex``
    One hex digit per line: bit 0 ``tlast`` of the line, bit 1 set when the
    line holds an invalid code.
``expected.hex``
    One output transfer per row, ``10 * lanes`` bits, trit ``k`` at bits
    ``[2k+1:2k]`` (+1 = 01, 0 = 00, -1 = 11).
``expected_flags.hex``
    One hex digit per transfer: bit 1 ``tlast``, bit 0 ``tuser`` (invalid code).
``input.bin``, ``expected_trits.npy``, ``lut.hex``
    Raw lines; the expected trits, int8 of shape (transfers, 5 * lanes); the
    decode table as :func:`golden.lut_io.to_hex` exports it (256 rows of 10
    bits, same trit encoding, invalid rows zero).

numpy only: the Verilog files of a vectors directory are made by ``hw`` and
handed to :func:`write` as bytes; :func:`verify` checks them by hash.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..blocks import LINE_BYTES, pack
from ..codec import check_trits, decode
from ..lut import CODEC_NAMES, TRITS_PER_BYTE, get_lut, tuple_index
from ..lut_io import to_hex

__all__ = [
    "FORMAT_VERSION", "LANES", "DISTRIBUTIONS", "DATA_FILES", "MANIFEST",
    "VectorSpec", "Vectors", "build", "load_trit_file", "write", "verify",
    "hex_lines", "hex_transfers", "lut_hex",
]

FORMAT_VERSION = 1
LANES = (1, 2, 4, 8, 16, 32, 64)
DISTRIBUTIONS = ("uniform", "weights")
MANIFEST = "manifest.json"
#: Data files made by :func:`build`, in manifest order.
DATA_FILES = (
    "input.hex", "input_flags.hex", "input.bin",
    "expected.hex", "expected_flags.hex", "expected_trits.npy", "lut.hex",
)
#: Probability that a random line carries ``tlast`` (the last line always does).
TLAST_PROBABILITY = 0.25
MAX_SEED = 2**32 - 1  # the testbench's seed is a 32-bit parameter

# Independent random streams, so that e.g. the invalid rate does not move tlast.
_STREAM_TRITS, _STREAM_INVALID_POS, _STREAM_INVALID_VAL, _STREAM_TLAST = range(4)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_HEX_ROW = re.compile(r"[0-9a-fA-F]*")


@dataclass(frozen=True)
class VectorSpec:
    """Every parameter of a vectors directory (all go into the manifest).

    Members
    -------
    lines : int or None
        Number of 64-byte input lines; ``None`` with an input file means all of it.
    seed : int
        Seed of the data generator and default seed of the testbench, 0..2**32-1.
    lanes : int
        Bytes decoded per output transfer, one of :data:`LANES`.
    codec : str
        Codec name, one of :data:`golden.CODEC_NAMES`.
    invalid_rate : float
        Fraction of bytes replaced by invalid codes, in [0, 1].
    distribution : str
        Random trits: ``"uniform"`` (every valid code equally likely) or
        ``"weights"`` (P(0) = 1/2, P(+1) = P(-1) = 1/4, like quantised weights).
    """

    lines: int | None
    seed: int
    lanes: int
    codec: str = "standard"
    invalid_rate: float = 0.0
    distribution: str = "uniform"

    def check(self, from_file: bool = False) -> None:
        """Raise ValueError (one line) for an impossible parameter."""
        if self.lanes not in LANES:
            raise ValueError(
                f"lanes must be one of {', '.join(map(str, LANES))}, not {self.lanes!r}"
            )
        if self.lines is None:
            if not from_file:
                raise ValueError("the number of lines is required without an input file")
        elif not isinstance(self.lines, int) or self.lines < 1:
            raise ValueError(f"lines must be a positive integer, not {self.lines!r}")
        if not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be an integer in 0..{MAX_SEED}, not {self.seed!r}")
        if self.codec not in CODEC_NAMES:
            raise ValueError(
                f"unknown codec {self.codec!r}; expected one of {', '.join(CODEC_NAMES)}"
            )
        rate = self.invalid_rate
        if not isinstance(rate, (int, float)) or not (math.isfinite(rate) and 0 <= rate <= 1):
            raise ValueError(f"invalid rate must be a number in [0, 1], not {rate!r}")
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(
                f"distribution must be one of {', '.join(DISTRIBUTIONS)}, "
                f"not {self.distribution!r}"
            )


@dataclass(frozen=True)
class Vectors:
    """The vectors of a :class:`VectorSpec`, as arrays and as file contents.

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
    input_info : dict or None
        Name, SHA-256 and trit count of the input file.
    """

    spec: VectorSpec
    lines: np.ndarray
    line_last: np.ndarray
    trits: np.ndarray
    tuser: np.ndarray
    tlast: np.ndarray
    files: dict
    input_info: dict | None = None

    @property
    def counts(self) -> dict:
        line_invalid = ~get_lut(self.spec.codec).valid[self.lines]
        return {
            "lines": int(self.lines.shape[0]),
            "transfers": int(self.trits.shape[0]),
            "transfers_per_line": LINE_BYTES // self.spec.lanes,
            "invalid_bytes": int(line_invalid.sum()),
            "invalid_lines": int(line_invalid.any(axis=1).sum()),
            "invalid_transfers": int(self.tuser.sum()),
            "tlast_lines": int(self.line_last.sum()),
        }


# --------------------------------------------------------------------------- inputs

def _stream(seed: int, purpose: int) -> np.random.Generator:
    # Raw PCG64 output is stable across numpy versions (Generator methods are not
    # promised to be), so every draw below is built from `random_raw`.
    return np.random.PCG64(np.random.SeedSequence([seed, purpose]))


def _random_codes(spec: VectorSpec) -> np.ndarray:
    lut = get_lut(spec.codec)
    nbytes = spec.lines * LINE_BYTES
    raw = _stream(spec.seed, _STREAM_TRITS).random_raw(nbytes)
    if spec.distribution == "uniform":
        return lut.codes[(raw % lut.codes.size).astype(np.intp)]
    # weights: two bits per trit, 00/01 -> 0, 10 -> +1, 11 -> -1.
    shifts = np.arange(TRITS_PER_BYTE, dtype=np.uint64) * np.uint64(2)
    two = ((raw[:, None] >> shifts) & np.uint64(3)).astype(np.int8)
    trits = np.select([two == 2, two == 3], [1, -1], 0).astype(np.int8)
    return lut.codes[tuple_index(trits)]


def load_trit_file(path) -> tuple[np.ndarray, dict]:
    """Read a user's trit file: ``.npy`` (any shape) or text.

    A text file holds trits -1, 0, 1 separated by white space or commas; ``#``
    starts a comment.  Returns the trits (flat int8, C order) and the file's
    name, SHA-256 and trit count for the manifest.

    Raises
    ------
    OSError
        When the file cannot be read.
    ValueError
        For a value that is not a trit (naming where) or an empty file.
    """
    path = Path(path)
    raw = path.read_bytes()
    if path.suffix.lower() == ".npy":
        try:
            arr = np.load(io.BytesIO(raw), allow_pickle=False)
        except ValueError as exc:
            raise ValueError(f"{path}: not a readable .npy array ({exc})") from None
        trits = check_trits(arr, what=str(path))
    else:
        trits = _parse_text_trits(raw, path)
    if trits.size == 0:
        raise ValueError(f"{path}: holds no trits")
    info = {"name": path.name, "sha256": hashlib.sha256(raw).hexdigest(),
            "trits": int(trits.size)}
    return trits, info


def _parse_text_trits(raw: bytes, path: Path) -> np.ndarray:
    values = []
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a text file of trits (byte {exc.start} is not "
                         "ASCII); use .npy for binary arrays") from None
    for lineno, line in enumerate(text.splitlines(), 1):
        for tok in re.split(r"[\s,]+", line.split("#", 1)[0].strip()):
            if not tok:
                continue
            if tok not in ("-1", "0", "1", "+1"):
                raise ValueError(
                    f"{path}:{lineno}: {tok!r} is not a trit; expected -1, 0 or 1"
                )
            values.append(int(tok))
    return np.asarray(values, dtype=np.int8)


def _file_codes(spec: VectorSpec, trits: np.ndarray, name: str) -> np.ndarray:
    data = pack(trits, spec.codec, block=TRITS_PER_BYTE * LINE_BYTES).data
    available = data.size // LINE_BYTES
    if spec.lines is not None and spec.lines > available:
        raise ValueError(
            f"input file {name} packs into {available} line(s), "
            f"fewer than the {spec.lines} requested"
        )
    return data[: (spec.lines or available) * LINE_BYTES]


def _inject_invalid(codes: np.ndarray, spec: VectorSpec, where: str) -> np.ndarray:
    rate = spec.invalid_rate
    if rate == 0:
        return codes
    count = int(round(rate * codes.size))
    if count == 0:
        raise ValueError(
            f"invalid rate {rate} gives no invalid code in the {codes.size} bytes of "
            f"{where}; use a rate of at least {1 / (2 * codes.size):.3g} or more lines"
        )
    lut = get_lut(spec.codec)
    keys = _stream(spec.seed, _STREAM_INVALID_POS).random_raw(codes.size)
    positions = np.sort(np.argsort(keys, kind="stable")[:count])
    bad = lut.invalid_codes
    pick = _stream(spec.seed, _STREAM_INVALID_VAL).random_raw(count) % np.uint64(bad.size)
    out = codes.copy()
    out[positions] = bad[pick.astype(np.intp)]
    return out


def _line_last(spec: VectorSpec, nlines: int, from_file: bool) -> np.ndarray:
    if from_file:
        last = np.zeros(nlines, dtype=bool)  # the tensor is one packet
    else:
        raw = _stream(spec.seed, _STREAM_TLAST).random_raw(nlines)
        last = (raw >> np.uint64(40)) < np.uint64(int(TLAST_PROBABILITY * 2**24))
    last[-1] = True
    return last


# --------------------------------------------------------------------------- formats

def hex_lines(lines: np.ndarray) -> bytes:
    """``input.hex`` rows: 128 hex digits per line, byte 0 least significant."""
    rev = lines[:, ::-1]
    digits = np.stack([rev >> 4, rev & 15], axis=-1).reshape(lines.shape[0], -1)
    return _hex_rows(digits)


def _trit_codes(trits: np.ndarray) -> np.ndarray:
    return (trits.astype(np.int16) & 3).astype(np.uint8)  # +1 -> 01, -1 -> 11


def _transfer_digits(trits: np.ndarray) -> np.ndarray:
    codes = _trit_codes(trits)
    if codes.shape[1] % 2:
        codes = np.pad(codes, ((0, 0), (0, 1)))
    digits = codes[:, 0::2] | (codes[:, 1::2] << 2)  # two trits per hex digit
    return digits[:, ::-1]


def hex_transfers(trits: np.ndarray) -> bytes:
    """``expected.hex`` rows: one transfer per row, trit k at bits [2k+1:2k]."""
    return _hex_rows(_transfer_digits(trits))


def hex_flag_rows(*bits_msb_first: np.ndarray) -> bytes:
    """One hex digit per row from up to four bool arrays, the first is the MSB."""
    value = np.zeros(bits_msb_first[0].shape[0], dtype=np.uint8)
    for bits in bits_msb_first:
        value = (value << 1) | bits.astype(np.uint8)
    return _hex_rows(value[:, None])


def lut_hex(codec: str) -> bytes:
    """``lut.hex``: the codec's decode table as :func:`golden.lut_io.to_hex` exports it.

    256 rows of 10 bits, row c the trits of code c (invalid rows 000), each with a
    trailing ``//`` comment that ``$readmemh`` ignores.
    """
    return to_hex(get_lut(codec)).encode("ascii")


def _hex_rows(digits: np.ndarray) -> bytes:
    n, width = digits.shape
    out = np.empty((n, width + 1), dtype=np.uint8)
    out[:, :width] = _HEX[digits]
    out[:, width] = ord("\n")
    return out.tobytes()


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


# --------------------------------------------------------------------------- build

def build(spec: VectorSpec, input_trits: np.ndarray | None = None,
          input_info: dict | None = None) -> Vectors:
    """Make the data files of a vectors directory.

    Parameters
    ----------
    spec : VectorSpec
        The parameters (checked here).
    input_trits : numpy.ndarray, optional
        Trits to pack (see :func:`load_trit_file`) instead of random ones.
    input_info : dict, optional
        Description of the input file for the manifest.

    Raises
    ------
    ValueError
        For an impossible parameter combination (one line, saying which).
    """
    from_file = input_trits is not None
    spec.check(from_file)
    if from_file:
        name = (input_info or {}).get("name", "input")
        codes = _file_codes(spec, input_trits, name)
        spec = VectorSpec(codes.size // LINE_BYTES, spec.seed, spec.lanes, spec.codec,
                          spec.invalid_rate, spec.distribution)
        where = f"input file {name}"
    else:
        codes = _random_codes(spec)
        where = f"{spec.lines} line(s)"
    codes = _inject_invalid(codes, spec, where)
    lines = codes.reshape(spec.lines, LINE_BYTES)
    trits, valid = decode(lines, spec.codec, on_invalid="mask")
    per_line = LINE_BYTES // spec.lanes
    transfers = spec.lines * per_line
    trits = trits.reshape(transfers, TRITS_PER_BYTE * spec.lanes)
    tuser = ~valid.reshape(transfers, spec.lanes).all(axis=1)
    line_last = _line_last(spec, spec.lines, from_file)
    tlast = np.zeros(transfers, dtype=bool)
    tlast[per_line - 1 :: per_line] = line_last
    line_invalid = ~valid.reshape(spec.lines, LINE_BYTES).all(axis=1)
    files = {
        "input.hex": hex_lines(lines),
        "input_flags.hex": hex_flag_rows(line_invalid, line_last),
        "input.bin": lines.tobytes(),
        "expected.hex": hex_transfers(trits),
        "expected_flags.hex": hex_flag_rows(tlast, tuser),
        "expected_trits.npy": _npy_bytes(trits),
        "lut.hex": lut_hex(spec.codec),
    }
    return Vectors(spec, lines, line_last, trits, tuser, tlast, files, input_info)


def tool_version() -> str:
    """Version of the installed tritpack distribution (``unknown`` if not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tritpack")
    except PackageNotFoundError:
        return "unknown"


def manifest_bytes(vectors: Vectors, files: dict, extra: dict | None = None) -> bytes:
    """``manifest.json``: parameters, counts, tool version and SHA-256 of ``files``.

    No timestamp and sorted keys, so the same arguments give the same bytes.
    """
    doc = {
        "format_version": FORMAT_VERSION,
        "tool": {"name": "tritpack", "version": tool_version()},
        "parameters": {**asdict(vectors.spec), "input": vectors.input_info,
                       "tlast_probability": None if vectors.input_info
                       else TLAST_PROBABILITY, **(extra or {})},
        "counts": vectors.counts,
        "files": {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                  for name, data in sorted(files.items())},
    }
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("ascii")


def write(out, vectors: Vectors, extra_files: dict | None = None,
          extra_params: dict | None = None, force: bool = False) -> Path:
    """Write a vectors directory: data files, ``extra_files`` and the manifest.

    Everything is written to a temporary directory next to ``out`` and renamed
    into place at the end, so a failure leaves nothing partial.  An existing
    non-empty ``out`` is refused unless ``force`` is set, and even then only
    when it is a previous vectors directory (it holds ``manifest.json``): this
    never deletes a directory of someone else's files.

    Raises
    ------
    OSError
        When ``out`` exists and may not be replaced, or on a write error.
    """
    out = Path(out)
    check_target(out, force)
    files = {**vectors.files, **(extra_files or {})}
    manifest = manifest_bytes(vectors, files, extra_params)
    parent = out.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    try:
        for name, data in {**files, MANIFEST: manifest}.items():
            (tmp / name).write_bytes(data)
        os.chmod(tmp, 0o777 & ~_umask())
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_target(out: Path, force: bool) -> None:
    """Raise FileExistsError unless ``out`` may be written (see :func:`write`)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a directory")
    if not any(out.iterdir()):
        return
    if not force:
        raise FileExistsError(f"{out} exists and is not empty; use --force to replace it")
    if not (out / MANIFEST).is_file():
        raise FileExistsError(
            f"{out} is not empty and holds no {MANIFEST}; --force only replaces a "
            "previous vectors directory"
        )


def _replace_dir(tmp: Path, out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=tmp.parent))
        os.rmdir(old)
        os.rename(out, old)
        try:
            os.rename(tmp, out)
        except BaseException:
            os.rename(old, out)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)  # replaces an empty directory


# --------------------------------------------------------------------------- verify

def verify(directory) -> list[str]:
    """Re-check a vectors directory; return the problems found (empty when sound).

    Checks every SHA-256 and size in the manifest (naming a missing or edited
    file), then the internal consistency of the data files: row counts and
    widths, ``input.bin`` against ``input.hex``, and the expected transfers,
    flags, trits and LUT against the golden model.

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


def _verify(d: Path, doc: dict) -> list[str]:
    if doc.get("format_version") != FORMAT_VERSION:
        return [f"{MANIFEST}: format_version {doc.get('format_version')!r} is not "
                f"{FORMAT_VERSION}, which this tool reads"]
    problems = []
    listed = doc["files"]
    for name in sorted(set(DATA_FILES) - set(listed)):
        problems.append(f"{MANIFEST}: does not list {name}")
    contents = {}
    for name, entry in sorted(listed.items()):
        if Path(name).name != name or name.startswith("."):
            problems.append(f"{MANIFEST}: lists {name!r}, which is not a plain file name")
            continue
        try:
            data = (d / name).read_bytes()
        except FileNotFoundError:
            problems.append(f"{name}: missing")
            continue
        contents[name] = data
        if len(data) != entry["bytes"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            problems.append(f"{name}: edited (SHA-256 differs from the manifest)")
    for path in sorted(d.iterdir()):
        if path.name not in listed and path.name != MANIFEST and path.suffix == ".v":
            problems.append(f"{path.name}: not in the manifest (an extra .v file breaks "
                            "`iverilog DIR/*.v`)")
    try:
        spec = VectorSpec(**{k: doc["parameters"][k] for k in
                             ("lines", "seed", "lanes", "codec", "invalid_rate",
                              "distribution")})
        spec.check()
    except (ValueError, TypeError) as exc:
        return problems + [f"{MANIFEST}: bad parameters ({exc})"]
    counts = doc["counts"]
    if counts.get("lines") != spec.lines or counts.get("transfers") != spec.lines * (
            LINE_BYTES // spec.lanes):
        problems.append(f"{MANIFEST}: counts do not match lines={spec.lines}, "
                        f"lanes={spec.lanes}")
    problems += _check_contents(contents, spec)
    return problems


def _check_contents(contents: dict, spec: VectorSpec) -> list[str]:
    problems: list[str] = []
    lines = _read_lines(contents, spec, problems)
    if lines is None:
        return problems + ["no readable input lines: expected values not checked"]
    per_line = LINE_BYTES // spec.lanes
    transfers = spec.lines * per_line
    trits, valid = decode(lines, spec.codec, on_invalid="mask")
    trits = trits.reshape(transfers, TRITS_PER_BYTE * spec.lanes)
    tuser = ~valid.reshape(transfers, spec.lanes).all(axis=1)
    line_invalid = ~valid.reshape(spec.lines, LINE_BYTES).all(axis=1)

    # tlast is a choice of the generator, not of the golden model: take it from
    # input_flags.hex and check that expected_flags.hex agrees with it.
    line_last = np.zeros(spec.lines, dtype=bool)
    nib = _hex_file(contents, "input_flags.hex", spec.lines, 1, problems)
    if nib is not None:
        line_last = (nib[:, 0] & 1).astype(bool)
        want = (line_invalid.astype(np.uint8) << 1) | line_last
        _compare(nib[:, 0], want, "input_flags.hex", "row {}: invalid-code bit differs "
                 "from the golden model", problems)
        if not line_last[-1]:
            problems.append("input_flags.hex: the last line does not carry tlast")
    tlast = np.zeros(transfers, dtype=bool)
    tlast[per_line - 1 :: per_line] = line_last
    nib = _hex_file(contents, "expected_flags.hex", transfers, 1, problems)
    if nib is not None:
        want = (tlast.astype(np.uint8) << 1) | tuser
        _compare(nib[:, 0], want, "expected_flags.hex", "row {} (transfer {}) differs from "
                 "the golden tuser or from tlast in input_flags.hex", problems)
    width = -(-TRITS_PER_BYTE * spec.lanes // 2)
    nib = _hex_file(contents, "expected.hex", transfers, width, problems)
    if nib is not None:
        _compare(nib, _transfer_digits(trits), "expected.hex",
                 "row {} (transfer {}) differs from the golden model", problems)
    if "expected_trits.npy" in contents:
        _check_npy(contents["expected_trits.npy"], trits, problems)
    if "lut.hex" in contents and contents["lut.hex"] != lut_hex(spec.codec):
        problems.append(f"lut.hex: differs from the golden {spec.codec!r} table")
    return problems


def _read_lines(contents: dict, spec: VectorSpec, problems: list) -> np.ndarray | None:
    """The input lines from input.hex, checked against input.bin."""
    lines = None
    nib = _hex_file(contents, "input.hex", spec.lines, 2 * LINE_BYTES, problems)
    if nib is not None:
        lines = ((nib[:, 0::2] << 4) | nib[:, 1::2])[:, ::-1].astype(np.uint8)
    if "input.bin" in contents:
        raw = np.frombuffer(contents["input.bin"], dtype=np.uint8)
        if raw.size != spec.lines * LINE_BYTES:
            problems.append(f"input.bin: {raw.size} bytes, expected {spec.lines * LINE_BYTES}")
        elif lines is None:
            lines = raw.reshape(spec.lines, LINE_BYTES)
        else:
            _compare(raw.reshape(lines.shape), lines, "input.bin",
                     "line {} differs from input.hex", problems)
    return lines


def _hex_file(contents: dict, name: str, rows: int, width: int,
              problems: list) -> np.ndarray | None:
    """Rows of exactly ``width`` hex digits as (rows, width) nibbles, or None."""
    if name not in contents:
        return None
    text = contents[name].decode("ascii", errors="replace").splitlines()
    if len(text) != rows:
        problems.append(f"{name}: {len(text)} rows, expected {rows}")
        return None
    for i, row in enumerate(text):
        if len(row) != width or not _HEX_ROW.fullmatch(row):
            problems.append(f"{name}: row {i} is {row[:24]!r}, expected {width} hex digits")
            return None
    digits = np.frombuffer("".join(text).lower().encode("ascii"), dtype=np.uint8)
    nibbles = np.where(digits >= ord("a"), digits - ord("a") + 10, digits - ord("0"))
    return nibbles.astype(np.uint8).reshape(rows, width)


def _compare(got: np.ndarray, want: np.ndarray, name: str, what: str, problems: list) -> None:
    diff = got != want
    if diff.any():
        row = int(np.flatnonzero(diff.reshape(diff.shape[0], -1).any(axis=1))[0])
        problems.append(f"{name}: " + what.format(row, row))


def _check_npy(data: bytes, trits: np.ndarray, problems: list) -> None:
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as exc:
        problems.append(f"expected_trits.npy: unreadable ({exc})")
        return
    if arr.dtype != np.int8 or arr.shape != trits.shape:
        problems.append(f"expected_trits.npy: {arr.dtype} {arr.shape}, expected int8 "
                        f"{trits.shape}")
    else:
        _compare(arr, trits, "expected_trits.npy", "row {} differs from the golden model",
                 problems)
