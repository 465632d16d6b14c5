"""``tritpack vectors``: golden vectors and a plain Verilog testbench for hardware teams.

Two forms share one subcommand::

    tritpack vectors --lines N --seed S --lanes L --codec C [--invalid-rate R]
                     [--input FILE] [--distribution D] [--registered] -o DIR [--force]
    tritpack vectors verify DIR

The first writes DIR (see ``docs/VECTORS.md``): the data files of
:mod:`golden.vectors`, the engine ``ternary_decoder.v`` for these parameters, the
testbench ``tb_ternary_decoder.v`` and ``manifest.json``.  The second re-checks
a directory and exits with status 1 when it finds a problem.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NamedTuple

from tritpack.golden import CODEC_NAMES, vectors
from tritpack.cli import CliError

__all__ = ["register_vectors", "generate", "run", "Written"]

ENGINE_FILE = "ternary_decoder.v"
TB_FILE = "tb_ternary_decoder.v"
_GENERATE_OPTIONS = ("lines", "seed", "lanes", "codec", "invalid_rate", "input", "out",
                     "distribution")


def _one_line_errors(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    # argparse prints the whole usage before its error; the project promises one line.
    def error(message):
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)

    parser.error = error
    return parser


def register_vectors(subparsers) -> None:
    """Add ``tritpack vectors`` (and its ``verify`` form) to ``subparsers``."""
    p = _one_line_errors(subparsers.add_parser(
        "vectors",
        help="golden vectors and a self-checking Verilog testbench for hardware teams",
        usage="tritpack vectors --lines N [--seed S] [--lanes L] [--codec C] "
        "[--invalid-rate R] [--distribution D] [--input FILE] [--registered] -o DIR "
        "[--force]\n       tritpack vectors verify DIR",
        description="Write golden vectors, the engine and a plain Verilog-2005 "
        "self-checking testbench to DIR; `tritpack vectors verify DIR` re-checks one.",
    ))
    p.add_argument("--lines", type=int, metavar="N", help="number of 64-byte input lines "
                   "(with --input: default all of the file)")
    p.add_argument("--seed", type=int, metavar="S", help="seed of the data and of the testbench's "
                   "idle/stall pattern, 0..2**32-1 (default 1)")
    p.add_argument("--lanes", type=int, metavar="L", help="bytes per output transfer: "
                   "1, 2, 4, 8, 16, 32 or 64 (default 64)")
    p.add_argument("--codec", metavar="C",
                   help=f"one of {', '.join(CODEC_NAMES)} (default standard)")
    p.add_argument("--invalid-rate", type=float, metavar="R", help="fraction of bytes replaced by "
                   "invalid codes, 0..1 (default 0)")
    p.add_argument("--distribution", choices=vectors.DISTRIBUTIONS, metavar="D",
                   help="random trits: uniform (every valid code equally likely) or weights "
                   "(P(0) = 1/2, P(+1) = P(-1) = 1/4); default uniform")
    p.add_argument("--input", metavar="FILE", help="trits to pack instead of random ones: "
                   ".npy of -1/0/1, or text of -1/0/1 separated by spaces or commas")
    p.add_argument("--registered", action="store_true",
                   help="use the fully registered engine variant")
    p.add_argument("-o", "--out", metavar="DIR", help="output directory")
    p.add_argument("--force", action="store_true",
                   help="replace DIR if it is a previous vectors directory")
    sub = p.add_subparsers(dest="vectors_command", metavar="verify")
    v = _one_line_errors(sub.add_parser(
        "verify", help="re-check the hashes and consistency of a vectors directory"))
    v.add_argument("dir", metavar="DIR")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run either form of ``tritpack vectors``; return the exit status."""
    if getattr(args, "vectors_command", None) == "verify":
        given = [f"--{o.replace('_', '-')}" for o in _GENERATE_OPTIONS
                 if getattr(args, o, None) is not None]
        if given:
            raise CliError(f"`vectors verify DIR` takes no generate options ({', '.join(given)})")
        return _verify(args.dir)
    if args.out is None:
        raise CliError("the output directory is required: -o DIR")
    if args.lines is None and args.input is None:
        raise CliError("--lines N is required (or --input FILE)")
    if args.input is not None and args.distribution is not None:
        raise CliError("--distribution applies to random lines, not to --input FILE")
    spec = vectors.VectorSpec(
        lines=args.lines,
        seed=1 if args.seed is None else args.seed,
        lanes=64 if args.lanes is None else args.lanes,
        codec=args.codec or "standard",
        invalid_rate=0.0 if args.invalid_rate is None else args.invalid_rate,
        distribution=args.distribution or "uniform",
    )
    path, counts = generate(spec, args.out, input_file=args.input,
                            registered=args.registered, force=args.force)
    print(f"wrote {path}: {counts['lines']} lines, {counts['transfers']} transfers, "
          f"{counts['invalid_bytes']} invalid bytes")
    return 0


class Written(NamedTuple):
    path: Path
    counts: dict


def generate(spec: vectors.VectorSpec, out, input_file=None, registered: bool = False,
             force: bool = False) -> Written:
    """Write a complete vectors directory; return its path and counts.

    Raises
    ------
    ValueError
        For an impossible parameter combination.
    OSError
        When ``out`` may not be replaced or cannot be written.
    """
    from .testbench import IDLE_PERCENT, STALL_PERCENT, TB_NAME, generate_testbench
    from ..verilog import generate_verilog

    # Check everything before the slow part (the engine's Verilog).
    spec.check(from_file=input_file is not None)
    vectors.check_target(Path(out), force)
    if input_file is not None:
        trits, info = vectors.load_trit_file(input_file)
        vec = vectors.build(spec, trits, info)
    else:
        vec = vectors.build(spec)
    counts = vec.counts
    engine = generate_verilog(lanes=spec.lanes, codec=spec.codec, registered=registered,
                              module_name="ternary_decoder")
    header = (f"Generated by tritpack {vectors.tool_version()} `tritpack vectors`: "
              f"lanes={spec.lanes} codec={vec.spec.codec} lines={counts['lines']} "
              f"seed={spec.seed}.")
    tb = generate_testbench(spec.lanes, counts["lines"], counts["transfers"], spec.seed,
                            header=header)
    path = vectors.write(
        out, vec,
        extra_files={ENGINE_FILE: engine.encode("utf-8"), TB_FILE: tb.encode("ascii")},
        extra_params={"registered": bool(registered), "module_name": "ternary_decoder",
                      "testbench": {"name": TB_NAME, "seed": spec.seed,
                                    "idle_percent": IDLE_PERCENT,
                                    "stall_percent": STALL_PERCENT}},
        force=force,
    )
    return Written(path, counts)


def _verify(directory) -> int:
    problems = vectors.verify(directory)
    for problem in problems:
        print(f"{directory}: {problem}", file=sys.stderr)
    if problems:
        print(f"FAIL {directory}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"OK {directory}: every hash and the expected values match the golden model")
    return 0
