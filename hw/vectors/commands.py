"""``tritpack vectors``: golden vectors and a plain Verilog testbench for hardware teams.

Two forms share one subcommand::

    tritpack vectors --lines N [--seed S] [engine options] [--invalid-rate R]
                     [--input FILE] [--distribution D] -o DIR [--force]
    tritpack vectors verify DIR

The first writes DIR (see ``docs/VECTORS.md``): the data files of
:mod:`tritpack.golden.vectors` (streamed, in bounded memory), the engine
``ternary_decoder.v`` for these parameters, the testbench
(``tb_ternary_decoder.v`` and ``tb_ternary_decoder_bench.v``) and
``manifest.json``.  The second re-checks a directory and exits with status 1
when it finds a problem.
"""

from __future__ import annotations

import argparse
import sys

from tritpack.cli import CliError
from tritpack.golden import CODEC_NAMES, vectors
from tritpack.golden.fileio import check_output_dir

from ..options import add_engine_options, engine_options

__all__ = ["ENGINE_FILE", "generate", "register_vectors", "run"]

ENGINE_FILE = "ternary_decoder.v"
_GENERATE_OPTIONS = ("lines", "seed", "lanes", "codec", "invalid_rate", "input", "out",
                     "distribution", "registered", "impl", "pipelined", "force")


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
        usage="tritpack vectors --lines N [--seed S] [--lanes L] [--codec C] [--registered] "
        "[--impl I] [--pipelined] [--invalid-rate R] [--distribution D] [--input FILE] "
        "-o DIR [--force]\n       tritpack vectors verify DIR",
        description="Write golden vectors, the engine and a plain Verilog-2005 "
        "self-checking testbench to DIR; `tritpack vectors verify DIR` re-checks one.",
    ))
    p.add_argument("--lines", type=int, metavar="N", help="number of 64-byte input lines "
                   "(with --input: default all of the file)")
    p.add_argument("--seed", type=int, metavar="S", help="seed of the data and of the "
                   "testbench's idle/stall pattern, 0..2**32-1 (default 1)")
    add_engine_options(p, lanes_default=64)
    p.add_argument("--invalid-rate", type=float, metavar="R", help="fraction of bytes "
                   "replaced by invalid codes, 0..1 (default 0)")
    p.add_argument("--distribution", choices=vectors.DISTRIBUTIONS, metavar="D",
                   help="random trits: uniform (every valid code equally likely) or weights "
                   "(P(0) = 1/2, P(+1) = P(-1) = 1/4); default uniform")
    p.add_argument("--input", metavar="FILE", help="lines from a file instead of random ones: "
                   "trits (.npy of -1/0/1, text of -1 0 1, FILE.safetensors:NAME, "
                   "FILE.gguf:NAME), packed with --codec; or packed bytes in whole 64-byte "
                   "lines (.bin, uint8 .npy)")
    p.add_argument("-o", "--out", metavar="DIR", help="output directory (its parent must exist)")
    p.add_argument("--force", action="store_true",
                   help="replace DIR if it is a previous vectors directory")
    p.set_defaults(func=run, vectors_defaults={o: p.get_default(o) for o in _GENERATE_OPTIONS})
    sub = p.add_subparsers(dest="vectors_command", metavar="verify")
    v = _one_line_errors(sub.add_parser(
        "verify", help="re-check the hashes and consistency of a vectors directory"))
    v.add_argument("dir", metavar="DIR")


def run(args) -> int:
    """Run either form of ``tritpack vectors``; return the exit status."""
    if getattr(args, "vectors_command", None) == "verify":
        given = [f"--{o.replace('_', '-')}" for o, default in args.vectors_defaults.items()
                 if getattr(args, o, None) != default]
        if given:
            raise CliError(f"`vectors verify DIR` takes no generate options ({', '.join(given)})")
        return _verify(args.dir)
    if args.out is None:
        raise CliError("the output directory is required: -o DIR")
    if args.lines is None and args.input is None:
        raise CliError("--lines N is required (or --input FILE)")
    if args.input is not None and args.distribution is not None:
        raise CliError("--distribution applies to random lines, not to --input FILE")
    written = generate(args)
    counts = written.counts
    print(f"wrote {written.path}: {counts['lines']} lines, {counts['transfers']} transfers, "
          f"{counts['invalid_bytes']} invalid bytes")
    return 0


def generate(args) -> vectors.Written:
    """Write the vectors directory of parsed ``tritpack vectors`` options.

    Everything is checked before the slow part (the engine's Verilog) and
    before anything is written.

    Raises
    ------
    ValueError
        For an impossible parameter combination or a bad input file.
    OSError
        When ``-o`` may not be written or the disk is too small.
    """
    from tritpack.golden.inputs import input_info, load_packed_lines

    from ..verilog import generate_verilog
    from .testbench import IDLE_PERCENT, STALL_PERCENT, TB_NAME, testbench_files

    out = check_output_dir(args.out, force=args.force, marker=vectors.MANIFEST,
                           what="vectors directory")
    engine = engine_options(args)
    lut = engine["codec"]
    spec = vectors.VectorSpec(
        lines=args.lines,
        seed=1 if args.seed is None else args.seed,
        lanes=engine["lanes"],
        codec=lut.name if args.codec in CODEC_NAMES else lut,
        invalid_rate=0.0 if args.invalid_rate is None else args.invalid_rate,
        distribution=args.distribution or "uniform",
    )
    lines = info = None
    spec.check(from_file=args.input is not None)
    if args.input is not None:
        lines = load_packed_lines(args.input, codec=lut, what="--input")
        info = {**input_info(args.input), "lines": int(lines.shape[0])}
    spec = vectors.resolve(spec, lines, (info or {}).get("name", "input"))
    vectors.check_space(out, spec)

    text = generate_verilog(module_name="ternary_decoder", **engine)
    transfers = spec.lines * spec.transfers_per_line
    header = (f"Generated by tritpack {vectors.tool_version()} `tritpack vectors`: "
              f"lanes={spec.lanes} codec={spec.codec_name} lines={spec.lines} "
              f"seed={spec.seed}.")
    tb = testbench_files(spec.lanes, spec.lines, transfers, spec.seed, header=header)
    extra_files = {ENGINE_FILE: text.encode("utf-8"),
                   **{name: body.encode("ascii") for name, body in tb.items()}}
    extra_params = {
        "registered": engine["registered"], "impl": engine["impl"],
        "pipelined": engine["pipelined"], "module_name": "ternary_decoder",
        "testbench": {"name": TB_NAME, "seed": spec.seed, "idle_percent": IDLE_PERCENT,
                      "stall_percent": STALL_PERCENT},
    }
    if spec.custom_codec:
        extra_params["codec_file"] = input_info(args.codec)
    return vectors.write_directory(out, spec, input_lines=lines, input_info=info,
                                   extra_files=extra_files, extra_params=extra_params,
                                   force=args.force)


def _verify(directory) -> int:
    problems = vectors.verify(directory)
    for problem in problems:
        print(f"{directory}: {problem}", file=sys.stderr)
    if problems:
        print(f"FAIL {directory}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"OK {directory}: every hash and the expected values match the golden model")
    return 0
