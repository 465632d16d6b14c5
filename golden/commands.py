"""The golden model's subcommands: ``tritpack lut``, ``encode``, ``decode`` and ``bench``.

Each ``register_*`` function is a ``tritpack.commands`` entry point that adds
one subparser (see :mod:`tritpack.cli`).  Outputs follow the one policy of
:mod:`.fileio`, checked before any work: an existing file is replaced only with
``--force``, the parent directory must exist, ``-o -`` is standard output where
the output is text; every file is written atomically.  Inputs are read by
:mod:`.inputs`.
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import shlex
import sys
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np

from tritpack.cli import add_command

from .blocks import BLOCK_SIZES, PackedTensor, check_block, pack, unpack
from .codec import InvalidCodeError, decode
from .fileio import atomic_output, check_output, write_output
from .inputs import (
    check_memory,
    load_container_tensor,
    load_packed,
    load_trits,
    parse_spec,
)
from .lut import CODEC_NAMES, TRITS_PER_BYTE, Lut, get_lut
from .lut_io import EXPORT_FORMATS, export_lut, resolve_codec
from .units import plural

__all__ = [
    "add_block_option", "add_codec_option", "add_force_option", "codec_inputs", "register_bench",
    "register_decode", "register_encode", "register_lut",
]

_CODEC_HELP = "codec: standard (default), tq1, or a custom LUT file (.json or hex)"
_BLOCK_HELP = "trits per block: 320 (64 bytes, one cache line; default) or 640 (128 bytes)"


def add_codec_option(p: argparse.ArgumentParser, files: bool = True) -> None:
    """``--codec``: a built-in codec or (``files``) a custom LUT file."""
    if files:
        p.add_argument("--codec", default="standard", metavar="standard|tq1|FILE",
                       help=_CODEC_HELP)
    else:
        p.add_argument("--codec", default="standard", choices=CODEC_NAMES,
                       help="codec: " + ", ".join(CODEC_NAMES) + " (default standard)")


def add_block_option(p: argparse.ArgumentParser) -> None:
    """``--block``: trits per block, 320 (default) or 640."""
    p.add_argument("--block", type=int, default=320, choices=BLOCK_SIZES, help=_BLOCK_HELP)


def add_force_option(p: argparse.ArgumentParser) -> None:
    """``--force``: replace an existing output."""
    p.add_argument("--force", action="store_true", help="replace an existing output file")


def codec_inputs(spec: str) -> tuple:
    """The input files a ``--codec`` value names (for ``check_output(inputs=...)``)."""
    return () if spec in CODEC_NAMES else (spec,)


def _note(msg: str) -> None:
    print(f"tritpack: {msg}", file=sys.stderr)


# ----------------------------------------------------------------------------- lut

def register_lut(subparsers) -> None:
    """Add ``tritpack lut`` to ``subparsers``."""
    p = add_command(subparsers, "lut", run_lut, raw=True)
    add_codec_option(p)
    p.add_argument("--format", default="hex", choices=tuple(EXPORT_FORMATS),
                   help="output format (default: hex)")
    p.add_argument("-o", "--output", default="-", metavar="FILE",
                   help="output file (default: -, standard output)")
    add_force_option(p)


#: File name suffixes that say which LUT format a file holds.
_LUT_SUFFIXES = {"hex": (".hex", ".mem"), "valid": (".hex", ".mem"), "json": (".json",),
                 "c": (".h",)}


def _check_lut_suffix(path, fmt: str) -> None:
    """Refuse a suffix that names another LUT format (``-o lut.json --format hex``)."""
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    others = {s for f, ss in _LUT_SUFFIXES.items() if f != fmt for s in ss}
    if suffix in others and suffix not in _LUT_SUFFIXES[fmt]:
        raise OSError(f"LUT file {path}: the suffix {suffix} is not that of --format {fmt}; "
                      f"expected {' or '.join(_LUT_SUFFIXES[fmt])} (or another name)")


def run_lut(args) -> int:
    """export a codec's lookup table (hex for $readmemh, validity, JSON, C header)

    Export the lookup table of a codec for other tools.

    formats:
      hex    $readmemh text: 256 rows (code 0x00 first) of 3 hex digits, the
             10-bit output row: trit i at bits [2i+1:2i], +1=01, 0=00, -1=11;
             invalid rows 000.  Each row's comment holds its validity column.
      valid  the validity column alone: 256 rows of 1 (valid) or 0
      json   {"table": [[t0,..,t4] or null, ...]} with 256 entries
      c      a C99 header: trits, validity, 10-bit rows, encode table

    A custom LUT given as --codec FILE is validated (243 codes mapping one-to-one
    onto all trit tuples) and can be converted between formats.

    example:
      tritpack lut --codec tq1 --format hex -o build/tq1.hex
    """
    out = check_output(args.output, force=args.force, stdout_ok=True, what="LUT file",
                       inputs=codec_inputs(args.codec))
    if out is not None:
        _check_lut_suffix(out, args.format)
    lut = resolve_codec(args.codec)
    write_output(out, export_lut(lut, args.format))
    return 0


# ----------------------------------------------------------------------------- encode

def _out_format(args) -> str:
    """``npy`` or ``raw``: --format, or from the output's suffix."""
    if args.format != "auto":
        return args.format
    return "npy" if args.output.lower().endswith(".npy") else "raw"


def _check_encode_output(args) -> None:
    fmt = _out_format(args)
    suffixes = (".npy",) if fmt == "npy" else None
    out = check_output(args.output, force=args.force, suffixes=suffixes, what="packed output",
                       inputs=(args.input, *codec_inputs(args.codec)))
    if fmt == "raw" and out.suffix.lower() == ".npy":
        raise OSError(f"packed output {out}: --format raw writes raw bytes, not a .npy file; "
                      "use another suffix (.bin) or --format npy")


def register_encode(subparsers) -> None:
    """Add ``tritpack encode`` to ``subparsers``."""
    p = add_command(subparsers, "encode", run_encode, raw=True)
    p.add_argument("input", metavar="INPUT",
                   help="trits: .npy, text, or FILE.safetensors:NAME / FILE.gguf:NAME")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="packed output (written atomically; not standard output: binary)")
    add_codec_option(p)
    add_block_option(p)
    p.add_argument("--format", default="auto", choices=("auto", "raw", "npy"),
                   help="output format; auto: npy if FILE ends in .npy, else raw bytes")
    add_force_option(p)


def run_encode(args) -> int:
    """pack a tensor of trits (.npy, text, FILE.safetensors:NAME) into 5-trit bytes

    Pack a tensor of trits (-1, 0, 1) into bytes, five trits per byte, in
    blocks of --block trits; the tail of the last block is padded with zero trits.
    INPUT is a .npy (any shape, integer or float dtype), text of -1 0 1 separated
    by spaces, commas or new lines (# starts a comment), or a tensor of a
    safetensors or GGUF file as FILE.safetensors:NAME (needs the 'weights' extra).
    The output is the packed bytes, raw or as a 1-D uint8 .npy.  The command that
    restores the tensor exactly (tritpack decode with --shape, --codec, --block)
    is printed.

    example:
      tritpack encode weights.npy -o weights.bin --codec tq1
    """
    _check_encode_output(args)
    lut = resolve_codec(args.codec)
    trits = load_trits(args.input, what="input")
    packed = pack(trits, lut, args.block)
    fmt = _out_format(args)
    with atomic_output(args.output) as f:
        if fmt == "npy":
            np.save(f, packed.data, allow_pickle=False)
        else:
            f.write(packed.data.tobytes())
    shape = ",".join(str(d) for d in packed.shape) or '""'
    restore = ["tritpack", "decode", shlex.quote(args.output), "--shape", shape,
               "--codec", shlex.quote(args.codec), "--block", str(packed.block),
               "-o", "OUT.npy"]
    _note(
        f"{plural(packed.num_trits, 'trit')} (shape {packed.shape}) -> "
        f"{plural(packed.num_blocks, 'block')} of {packed.block} trits = "
        f"{plural(packed.data.size, 'byte')} (2-bit packing would take "
        f"{plural(math.ceil(packed.num_trits / 4), 'byte')}), codec {lut.name}; "
        f"restore with: {' '.join(restore)}"
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
    p = add_command(subparsers, "decode", run_decode, raw=True)
    p.add_argument("input", metavar="INPUT", help="packed bytes: raw file, or .npy of uint8")
    p.add_argument("-o", "--output", required=True, metavar="FILE.npy",
                   help="int8 trits as .npy (written atomically)")
    add_codec_option(p)
    add_block_option(p)
    p.add_argument("--shape", metavar="D0,D1,...", default=None,
                   help="shape of the original tensor (as printed by tritpack encode)")
    p.add_argument("--format", default="auto", choices=("auto", "raw", "npy"),
                   help="input format; auto: npy if INPUT is a .npy file, else raw bytes")
    p.add_argument("--on-invalid", default="raise", choices=("raise", "zero"),
                   help="invalid codes: raise an error (default) or decode to zeros")
    add_force_option(p)


def run_decode(args) -> int:
    """unpack 5-trit bytes (raw or .npy) into a .npy tensor of int8 trits

    Unpack packed bytes (raw, or a 1-D uint8 .npy) into int8 trits, saved
    as .npy.  The input must be whole blocks of --block trits.  With --shape the
    padding is dropped (and checked to be zero trits) and the tensor reshaped;
    without it, every trit of every block is written as a 1-D array.

    An invalid code is an error naming its byte offset; --on-invalid zero decodes
    it to five zero trits instead, as the hardware does.  When the bytes decode
    cleanly with another built-in codec, the error says so.

    example:
      tritpack decode weights.bin --shape 4096,4096 -o weights.npy
    """
    check_output(args.output, force=args.force, suffixes=(".npy",), what="decoded output",
                 inputs=(args.input, *codec_inputs(args.codec)))
    lut = resolve_codec(args.codec)
    block = check_block(args.block)
    shape = None if args.shape is None else _parse_shape(args.shape)
    if parse_spec(args.input)[1] is not None:
        return _decode_container_tensor(args, shape)
    data = load_packed(args.input, what="input", block=block, fmt=args.format)
    # the trits, and as much again for the validity mask or the reshaped copy
    check_memory(2 * TRITS_PER_BYTE * data.size, f"decoding {args.input} ({data.size} bytes)")
    try:
        trits = _decode_file(args, lut, data, block, shape)
    except InvalidCodeError as exc:
        raise ValueError(
            f"{args.input}: invalid code 0x{exc.value:02x} at byte offset {exc.offset} for "
            f"codec {exc.codec!r}{_other_codec_hint(data, lut, block, shape)} (pass "
            "--on-invalid zero to decode it as zeros)"
        ) from None
    except _PaddingError as exc:
        raise ValueError(f"{args.input}: {exc}{_other_codec_hint(data, lut, block, shape)}") \
            from None
    with atomic_output(args.output) as f:
        np.save(f, trits, allow_pickle=False)
    return 0


def _decode_container_tensor(args, shape) -> int:
    """``decode FILE:NAME``: a container's ternary tensor, by the codec, block and shape
    the container records (checked against --shape when given)."""
    trits = load_container_tensor(args.input, what="input")
    if shape is not None and tuple(shape) != trits.shape:
        raise ValueError(f"--shape {args.shape}: {args.input} holds a tensor of shape "
                         f"{trits.shape}; drop --shape (the container records it)")
    with atomic_output(args.output) as f:
        np.save(f, trits, allow_pickle=False)
    _note(f"{args.input}: {plural(trits.size, 'trit')} of shape {trits.shape}, decoded with "
          "the codec and block the container records")
    return 0


class _PaddingError(ValueError):
    """Padding trits that are not zero: a wrong --shape, --block or --codec."""


def _decodes_cleanly(data: np.ndarray, lut: Lut, block: int, shape) -> bool:
    try:
        if shape is None:
            decode(data, lut)
        else:
            unpack(PackedTensor(data, shape, block, lut))
    except ValueError:
        return False
    return True


def _other_codec_hint(data: np.ndarray, lut: Lut, block: int, shape) -> str:
    """``"; packed with codec tq1? try --codec tq1"`` when another built-in codec fits."""
    fits = [name for name in CODEC_NAMES
            if get_lut(name) is not lut and _decodes_cleanly(data, get_lut(name), block, shape)]
    if not fits:
        return ""
    return f"; packed with codec {fits[0]}? try --codec {fits[0]}"


def _decode_file(args, lut, data: np.ndarray, block: int, shape) -> np.ndarray:
    on_invalid = "mask" if args.on_invalid == "zero" else "raise"
    if shape is None:
        trits = decode(data, lut, on_invalid=on_invalid)
        if on_invalid == "mask":
            trits, valid = trits
            _report_invalid(valid)
        _note(f"{plural(data.size * TRITS_PER_BYTE // block, 'block')} -> "
              f"{plural(trits.size, 'trit')} (1-D, padding included; pass --shape to restore "
              "a tensor)")
        return trits
    n = math.prod(shape)
    have = data.size * TRITS_PER_BYTE // block
    need = -(-n // block)
    if have != need:
        raise ValueError(
            f"--shape {args.shape} holds {n} trits = {need} block(s) of {block} trits, "
            f"but {args.input} has {have}; wrong --shape or --block?"
        )
    try:
        trits = unpack(PackedTensor(data, shape, block, lut), on_invalid=on_invalid)
    except InvalidCodeError:
        raise
    except ValueError as exc:
        raise _PaddingError(str(exc)) from None
    if on_invalid == "mask":
        _report_invalid(decode(data, lut, on_invalid="mask")[1])
    return trits


def _report_invalid(valid: np.ndarray) -> None:
    bad = np.flatnonzero(~valid)
    if bad.size:
        _note(f"{plural(bad.size, 'invalid code')} decoded as zeros (first at byte offset "
              f"{bad[0]})")


# ----------------------------------------------------------------------------- bench

def _bench_targets() -> dict:
    return {ep.name: ep for ep in entry_points(group="tritpack.bench")}


def register_bench(subparsers) -> None:
    """Add ``tritpack bench`` to ``subparsers``."""
    names = sorted(_bench_targets())
    p = add_command(subparsers, "bench", run_bench, raw=True,
                    fill={"targets": ", ".join(names)})
    p.add_argument("target", choices=names + ["all"], metavar="TARGET|all",
                   help=f"one of: {', '.join(names)}, all")
    p.add_argument("--quick", action="store_true",
                   help="small sizes: a smoke test in seconds, not a figure to quote")
    p.add_argument("-o", "--output", default="-", metavar="FILE",
                   help="write the Markdown report here (default: -, standard output)")
    p.add_argument("--sim", metavar="SIM", default=None,
                   help="simulator of the targets that simulate (rtl): icarus or verilator "
                   "(default: each one that is installed)")
    add_force_option(p)


def _run_target(ep, quick: bool, outdir: Path | None, sim: str | None = None) -> tuple[str, str]:
    """(status, markdown section) of one target; never raises for the target's faults.

    ``outdir`` is the report's directory (None for standard output): where a
    target writes the files its section links, such as plots."""
    try:
        run = ep.load()
    except ImportError as exc:
        return "missing", f"## {ep.name}\n\n_Not run: `{ep.value}` is unavailable ({exc})._\n"
    # Options only some targets take are passed to those that name them.
    extra = {"sim": sim} if sim is not None and "sim" in inspect.signature(run).parameters \
        else {}
    if sim is not None and not extra:
        return "skipped", f"## {ep.name}\n\n_Not run: it takes no --sim._\n"
    try:
        section = run(quick, outdir=outdir, **extra)
    except Exception as exc:  # a failing target is reported, the others still run
        msg = " ".join(f"{type(exc).__name__}: {exc}".split())
        return "failed", f"## {ep.name}\n\n_Failed: {msg}_\n"
    return "ok", section.rstrip() + "\n"


def run_bench(args) -> int:
    """run benchmarks (golden codec, Verilog, synthesis, RTL); 'all -o
    docs/PERFORMANCE.md' refreshes the performance page

    Run a benchmark target, or every target with 'all', and print the
    Markdown report to standard output, or write it (atomically) where -o says.
    'all' adds a header naming the machine and the command: 'make bench' runs
    'tritpack bench all -o docs/PERFORMANCE.md --force'.  A target whose module
    is missing is reported as not run; one that fails is reported as failed, the
    others still run, and the exit status is 1.

    targets: {targets} (plugins of the 'tritpack.bench' entry-point group)

    examples:
      tritpack bench golden --quick
      tritpack bench all -o docs/PERFORMANCE.md --force
    """
    from .bench import report_header

    out = check_output(args.output, force=args.force, stdout_ok=True, what="benchmark report")
    targets = _bench_targets()
    names = sorted(targets) if args.target == "all" else [args.target]
    command = " ".join(["tritpack", "bench", args.target] + (["--quick"] if args.quick else [])
                       + (["--sim", args.sim] if args.sim else [])
                       + (["-o", shlex.quote(args.output)] if out is not None else []))
    sections, failed = [], []
    for name in names:
        print(f"tritpack bench: running {name}{' (quick)' if args.quick else ''}",
              file=sys.stderr, flush=True)
        status, section = _run_target(targets[name], args.quick,
                                      None if out is None else out.parent, args.sim)
        if status != "ok":
            _note(f"bench target {name} {status}: {section.splitlines()[-1].strip('_')}")
        if status == "failed":
            failed.append(name)
        sections.append(section)
    text = "\n".join(sections)
    if args.target == "all":
        text = report_header(command) + "\n" + text
    write_output(out, text)
    if out is not None:
        _note(f"wrote {out}")
    return 1 if failed else 0
