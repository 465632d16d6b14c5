"""The golden model's subcommands: ``tritpack lut``, ``encode``, ``decode`` and ``bench``.

Each ``register_*`` function is a ``tritpack.commands`` entry point that adds
one subparser (see :mod:`golden.cli`).  Every output file is written to a
temporary file and renamed, so a failed command leaves no partial file.
"""

from __future__ import annotations

import argparse
import math
import sys
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np

from .blocks import BLOCK_SIZES, PackedTensor, check_block, pack, unpack
from .codec import InvalidCodeError, as_codes, decode
from .fileio import atomic_output, write_atomic
from .lut import TRITS_PER_BYTE
from .lut_io import EXPORT_FORMATS, export_lut, resolve_codec

__all__ = ["register_lut", "register_encode", "register_decode", "register_bench"]

_FMT = argparse.RawDescriptionHelpFormatter
_CODEC_HELP = "codec: standard (default), tq1, or a custom LUT file (.json or hex)"
_BLOCK_HELP = "trits per block: 320 (64 bytes, one cache line; default) or 640 (128 bytes)"


def _add_codec(p: argparse.ArgumentParser) -> None:
    p.add_argument("--codec", default="standard", metavar="standard|tq1|FILE", help=_CODEC_HELP)


def _add_block(p: argparse.ArgumentParser) -> None:
    p.add_argument("--block", type=int, default=320, choices=BLOCK_SIZES, help=_BLOCK_HELP)


def _write_output(path: str, data: bytes | str) -> None:
    """Write to ``path`` atomically, or to standard output for ``-``."""
    if path == "-":
        if isinstance(data, str):
            sys.stdout.write(data)
        else:
            sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_atomic(path, data)


def _note(msg: str) -> None:
    print(f"tritpack: {msg}", file=sys.stderr)


# ----------------------------------------------------------------------------- lut

def register_lut(subparsers) -> None:
    """Add ``tritpack lut`` to ``subparsers``."""
    p = subparsers.add_parser(
        "lut", formatter_class=_FMT,
        help="export a codec's lookup table (hex for $readmemh, validity, JSON, C header)",
        description="Export the lookup table of a codec for other tools.\n\n"
        "formats:\n"
        "  hex    $readmemh text: 256 rows (code 0x00 first) of 3 hex digits, the\n"
        "         10-bit output row: trit i at bits [2i+1:2i], +1=01, 0=00, -1=11;\n"
        "         invalid rows 000.  Each row's comment holds its validity column.\n"
        "  valid  the validity column alone: 256 rows of 1 (valid) or 0\n"
        "  json   {\"table\": [[t0,..,t4] or null, ...]} with 256 entries\n"
        "  c      a C99 header: trits, validity, 10-bit rows, encode table\n\n"
        "A custom LUT given as --codec FILE is validated (243 codes mapping one-to-one\n"
        "onto all trit tuples) and can be converted between formats.\n\n"
        "example:\n  tritpack lut --codec tq1 --format hex -o build/tq1.hex",
    )
    _add_codec(p)
    p.add_argument("--format", default="hex", choices=tuple(EXPORT_FORMATS),
                   help="output format (default: hex)")
    p.add_argument("-o", "--output", default="-", metavar="FILE",
                   help="output file (default: standard output)")
    p.set_defaults(func=run_lut)


def run_lut(args) -> int:
    """Write the export of ``--codec`` in ``--format``."""
    lut = resolve_codec(args.codec)
    _write_output(args.output, export_lut(lut, args.format))
    return 0


# ----------------------------------------------------------------------------- encode

def _load_npy(path: str, what: str) -> np.ndarray:
    """A .npy file as an array (memory-mapped), with a one-line error for anything else."""
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic != b"\x93NUMPY":
        raise ValueError(f"{path}: not a .npy file (no NUMPY header); expected a .npy of {what}")
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, EOFError) as exc:
        raise ValueError(f"{path}: unreadable .npy file of {what}: {exc}") from None


def _out_format(args, default_npy: bool) -> str:
    if args.format != "auto":
        return args.format
    return "npy" if args.output.endswith(".npy") or default_npy else "raw"


def register_encode(subparsers) -> None:
    """Add ``tritpack encode`` to ``subparsers``."""
    p = subparsers.add_parser(
        "encode", formatter_class=_FMT,
        help="pack a .npy tensor of trits into 5-trit bytes, in blocks",
        description="Pack a tensor of trits (-1, 0, 1) from a .npy file into bytes, five\n"
        "trits per byte, in blocks of --block trits; the tail of the last block is\n"
        "padded with zero trits.  The output is the packed bytes, raw or as a 1-D uint8\n"
        ".npy.  The shape is printed; give it to 'tritpack decode --shape' to restore\n"
        "the tensor exactly.\n\n"
        "example:\n  tritpack encode weights.npy -o weights.bin --codec tq1",
    )
    p.add_argument("input", metavar="INPUT.npy",
                   help="tensor of trits, any shape, integer or float dtype")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="packed output (written atomically)")
    _add_codec(p)
    _add_block(p)
    p.add_argument("--format", default="auto", choices=("auto", "raw", "npy"),
                   help="output format; auto: npy if FILE ends in .npy, else raw bytes")
    p.set_defaults(func=run_encode)


def run_encode(args) -> int:
    """Pack the input tensor into blocks and write the bytes atomically."""
    lut = resolve_codec(args.codec)
    trits = _load_npy(args.input, "trits")
    packed = pack(trits, lut, args.block)
    fmt = _out_format(args, default_npy=False)
    with atomic_output(args.output) as f:
        if fmt == "npy":
            np.save(f, packed.data, allow_pickle=False)
        else:
            f.write(packed.data.tobytes())
    shape = ",".join(str(d) for d in packed.shape) or '""'
    _note(
        f"{packed.num_trits} trits (shape {packed.shape}) -> {packed.num_blocks} blocks of "
        f"{packed.block} trits = {packed.data.size} bytes (2-bit packing: "
        f"{math.ceil(packed.num_trits / 4)}), codec {lut.name}; "
        f"restore with: tritpack decode {args.output} --shape {shape} "
        f"--block {packed.block} -o OUT.npy"
    )
    return 0


# ----------------------------------------------------------------------------- decode

def _parse_shape(text: str) -> tuple[int, ...]:
    """``"10,100"`` or ``"10x100"`` (``""`` is a scalar) -> a shape tuple."""
    parts = [s for s in text.replace("x", ",").split(",")] if text.strip() else []
    try:
        shape = tuple(int(s) for s in parts)
    except ValueError:
        raise ValueError(
            f"--shape {text!r}: expected non-negative integers separated by commas, "
            "e.g. 10,100"
        ) from None
    if any(d < 0 for d in shape):
        raise ValueError(f"--shape {text!r}: dimensions must be >= 0")
    return shape


def register_decode(subparsers) -> None:
    """Add ``tritpack decode`` to ``subparsers``."""
    p = subparsers.add_parser(
        "decode", formatter_class=_FMT,
        help="unpack 5-trit bytes (raw or .npy) into a .npy tensor of int8 trits",
        description="Unpack packed bytes (raw, or a 1-D uint8 .npy) into int8 trits, saved\n"
        "as .npy.  The input must be whole blocks of --block trits.  With --shape the\n"
        "padding is dropped (and checked to be zero trits) and the tensor reshaped;\n"
        "without it, every trit of every block is written as a 1-D array.\n\n"
        "An invalid code is an error naming its byte offset; --on-invalid zero decodes\n"
        "it to five zero trits instead, as the hardware does.\n\n"
        "example:\n  tritpack decode weights.bin --shape 4096,4096 -o weights.npy",
    )
    p.add_argument("input", metavar="INPUT", help="packed bytes: raw file, or .npy of uint8")
    p.add_argument("-o", "--output", required=True, metavar="FILE.npy",
                   help="int8 trits as .npy (written atomically)")
    _add_codec(p)
    _add_block(p)
    p.add_argument("--shape", metavar="D0,D1,...", default=None,
                   help="shape of the original tensor (as printed by tritpack encode)")
    p.add_argument("--format", default="auto", choices=("auto", "raw", "npy"),
                   help="input format; auto: npy if INPUT ends in .npy, else raw bytes")
    p.add_argument("--on-invalid", default="raise", choices=("raise", "zero"),
                   help="invalid codes: raise an error (default) or decode to zeros")
    p.set_defaults(func=run_decode)


def _load_packed(args) -> np.ndarray:
    fmt = args.format if args.format != "auto" else (
        "npy" if args.input.endswith(".npy") else "raw")
    if fmt == "raw":
        return np.fromfile(args.input, dtype=np.uint8)
    arr = _load_npy(args.input, "packed bytes")
    if arr.ndim != 1:
        raise ValueError(f"{args.input}: shape {arr.shape}; expected a 1-D array of packed bytes")
    return as_codes(arr, f"{args.input}")


def run_decode(args) -> int:
    """Decode whole blocks, check shape and padding, write the .npy atomically."""
    lut = resolve_codec(args.codec)
    block = check_block(args.block)
    data = _load_packed(args)
    block_bytes = block // TRITS_PER_BYTE
    if data.size % block_bytes:
        raise ValueError(
            f"{args.input}: {data.size} bytes is not a whole number of {block_bytes}-byte "
            f"blocks (--block {block}); wrong --block or a truncated file?"
        )
    try:
        trits = _decode_file(args, lut, data, block)
    except InvalidCodeError as exc:
        raise ValueError(
            f"{args.input}: invalid code 0x{exc.value:02x} at byte offset {exc.offset} for "
            f"codec {exc.codec!r} (pass --on-invalid zero to decode it as zeros)"
        ) from None
    with atomic_output(args.output) as f:
        np.save(f, trits, allow_pickle=False)
    return 0


def _decode_file(args, lut, data: np.ndarray, block: int) -> np.ndarray:
    on_invalid = "mask" if args.on_invalid == "zero" else "raise"
    if args.shape is None:
        trits = decode(data, lut, on_invalid=on_invalid)
        if on_invalid == "mask":
            trits, valid = trits
            _report_invalid(valid)
        _note(f"{data.size * TRITS_PER_BYTE // block} blocks -> {trits.size} trits (1-D, "
              "padding included; pass --shape to restore a tensor)")
    else:
        shape = _parse_shape(args.shape)
        n = math.prod(shape)
        have = data.size * TRITS_PER_BYTE // block
        need = -(-n // block)
        if have != need:
            raise ValueError(
                f"--shape {args.shape} holds {n} trits = {need} block(s) of {block} trits, "
                f"but {args.input} has {have}; wrong --shape or --block?"
            )
        if on_invalid == "mask":
            _report_invalid(decode(data, lut, on_invalid="mask")[1])
        trits = unpack(PackedTensor(data, shape, block, lut), on_invalid=on_invalid)
    return trits


def _report_invalid(valid: np.ndarray) -> None:
    bad = np.flatnonzero(~valid)
    if bad.size:
        _note(f"{bad.size} invalid codes decoded as zeros (first at byte offset {bad[0]})")


# ----------------------------------------------------------------------------- bench

def _bench_targets() -> dict:
    return {ep.name: ep for ep in entry_points(group="tritpack.bench")}


def default_performance_path() -> Path:
    """docs/PERFORMANCE.md of the source tree (of the working directory if not a checkout)."""
    root = Path(__file__).resolve().parents[1]
    if (root / "pyproject.toml").is_file() and (root / "docs").is_dir():
        return root / "docs" / "PERFORMANCE.md"
    return Path("docs") / "PERFORMANCE.md"


def register_bench(subparsers) -> None:
    """Add ``tritpack bench`` to ``subparsers``."""
    names = sorted(_bench_targets())
    p = subparsers.add_parser(
        "bench", formatter_class=_FMT,
        help="run benchmarks (golden codec, Verilog, synthesis, RTL); 'all' writes "
        "docs/PERFORMANCE.md",
        description="Run a benchmark target and print its Markdown section, or run every\n"
        "target with 'all' and write docs/PERFORMANCE.md (atomically) with a header\n"
        "naming the machine and the command.  A target whose module is missing is\n"
        "reported as not run; one that fails is reported as failed, the others still\n"
        "run, and the exit status is 1.\n\n"
        f"targets: {', '.join(names)} (plugins of the 'tritpack.bench' entry-point group)\n\n"
        "examples:\n  tritpack bench golden --quick\n  tritpack bench all",
    )
    p.add_argument("target", choices=names + ["all"], metavar="TARGET|all",
                   help=f"one of: {', '.join(names)}, all")
    p.add_argument("--quick", action="store_true",
                   help="small sizes: a smoke test in seconds, not a figure to quote")
    p.add_argument("-o", "--output", default=None, metavar="FILE",
                   help="write the report here (default: stdout for one target, "
                   "docs/PERFORMANCE.md for all)")
    p.set_defaults(func=run_bench)


def _run_target(ep, quick: bool) -> tuple[str, str]:
    """(status, markdown section) of one target; never raises for the target's faults."""
    try:
        run = ep.load()
    except ImportError as exc:
        return "missing", f"## {ep.name}\n\n_Not run: `{ep.value}` is unavailable ({exc})._\n"
    try:
        section = run(quick)
    except Exception as exc:  # a failing target is reported, the others still run
        msg = " ".join(f"{type(exc).__name__}: {exc}".split())
        return "failed", f"## {ep.name}\n\n_Failed: {msg}_\n"
    return "ok", section.rstrip() + "\n"


def run_bench(args) -> int:
    """Run one target or all; for all, write the report with a machine header."""
    from .bench import report_header

    targets = _bench_targets()
    names = sorted(targets) if args.target == "all" else [args.target]
    command = " ".join(["tritpack", "bench", args.target] + (["--quick"] if args.quick else [])
                       + (["-o", args.output] if args.output else []))
    sections, failed = [], []
    for name in names:
        print(f"tritpack bench: running {name}{' (quick)' if args.quick else ''}",
              file=sys.stderr, flush=True)
        status, section = _run_target(targets[name], args.quick)
        if status != "ok":
            _note(f"bench target {name} {status}: {section.splitlines()[-1].strip('_')}")
        if status == "failed":
            failed.append(name)
        sections.append(section)
    output = args.output or (str(default_performance_path()) if args.target == "all" else "-")
    text = report_header(command) + "\n" + "\n".join(sections)
    if output == "-":
        text = "\n".join(sections)
    _write_output(output, text)
    if output != "-":
        _note(f"wrote {output}")
    return 1 if failed else 0
