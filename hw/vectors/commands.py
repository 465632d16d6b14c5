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
when it finds a problem, 2 when DIR is not a vectors directory.  ``verify`` is
a subcommand only as the first word after ``vectors``, so a stray word among the
generate options is reported as an unrecognized argument.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tritpack.cli import CliError, Parser, add_command
from tritpack.golden import CODEC_NAMES, vectors

from ..options import add_engine_options, engine_options

__all__ = ["ENGINE_FILE", "generate", "register_vectors", "run"]

ENGINE_FILE = "ternary_decoder.v"
_GENERATE_OPTIONS = ("lines", "seed", "lanes", "codec", "invalid_rate", "input", "out",
                     "distribution", "registered", "impl", "pipelined", "force")


#: Command-line names of the :class:`~tritpack.golden.vectors.VectorSpec` members.
_OPTION_NAMES = {"lines": "--lines", "seed": "--seed", "lanes": "--lanes",
                 "invalid_rate": "--invalid-rate"}


def register_vectors(subparsers) -> None:
    """Add ``tritpack vectors`` (and its ``verify`` form) to ``subparsers``."""
    p = add_command(
        subparsers, "vectors", run,
        usage="tritpack vectors --lines N [--seed S] [--lanes L] [--codec C] [--registered] "
        "[--impl I] [--pipelined] [--invalid-rate R] [--distribution D] [--input FILE] "
        "-o DIR [--force]\n       tritpack vectors verify DIR")
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
    p.set_defaults(vectors_command=None)
    # `verify` is a subcommand only as the first word: an optional subparser would take any
    # stray word (`--lut lut.hex`) for a mistyped subcommand name.
    v = Parser(prog="tritpack vectors verify", description="Re-check the hashes and the "
               "consistency of a vectors directory; exit status 1 when a problem is found.")
    v.add_argument("dir", metavar="DIR")
    generate_parse = p.parse_known_args

    def parse_known_args(args=None, namespace=None):
        args = list(sys.argv[1:] if args is None else args)
        if args[:1] == ["verify"]:
            ns = v.parse_args(args[1:], namespace)
            ns.func, ns.vectors_command = run, "verify"
            return ns, []
        ns, extra = generate_parse(args, namespace)
        if extra[:1] == ["verify"]:
            given = [f"--{o.replace('_', '-')}" for o in _GENERATE_OPTIONS
                     if getattr(ns, o) != p.get_default(o)]
            p.error(f"`vectors verify DIR` takes no generate options ({', '.join(given)})")
        if extra:
            more = f" (and {' '.join(extra[1:])})" if extra[1:] else ""
            p.error(f"unrecognized argument {extra[0]}{more}")
        return ns, extra

    p.parse_known_args = parse_known_args


def run(args) -> int:
    """golden vectors and a self-checking Verilog testbench for hardware teams

    Write golden vectors, the engine and a plain Verilog-2005 self-checking
    testbench to DIR; `tritpack vectors verify DIR` re-checks one.
    """
    if args.vectors_command == "verify":
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
    spec.check(from_file=args.input is not None, names=_OPTION_NAMES)
    if args.input is not None:
        lines = load_packed_lines(args.input, codec=lut, what="--input")
        info = {**input_info(args.input), "lines": int(lines.shape[0])}

    def extra_files(spec: vectors.VectorSpec) -> dict[str, bytes]:
        # the slow part: run by write_directory once the output and the disk are checked
        text = generate_verilog(module_name="ternary_decoder", **engine)
        transfers = spec.lines * spec.transfers_per_line
        header = (f"Generated by tritpack {vectors.tool_version()} `tritpack vectors`: "
                  f"lanes={spec.lanes} codec={spec.codec_name} lines={spec.lines} "
                  f"seed={spec.seed}.")
        tb = testbench_files(spec.lanes, spec.lines, transfers, spec.seed, header=header)
        return {ENGINE_FILE: text.encode("utf-8"),
                **{name: body.encode("ascii") for name, body in tb.items()}}

    extra_params = {
        "registered": engine["registered"], "impl": engine["impl"],
        "pipelined": engine["pipelined"], "module_name": "ternary_decoder",
        "testbench": {"name": TB_NAME, "seed": spec.seed, "idle_percent": IDLE_PERCENT,
                      "stall_percent": STALL_PERCENT},
    }
    if spec.custom_codec:
        extra_params["codec_file"] = input_info(args.codec)
    return vectors.write_directory(args.out, spec, input_lines=lines, input_info=info,
                                   extra_files=extra_files, extra_params=extra_params,
                                   force=args.force)


def _verify(directory) -> int:
    d = Path(directory)
    if not d.is_dir():
        raise CliError(f"{d}: {'not a directory' if d.exists() else 'no such directory'}; "
                       "expected a vectors directory")
    if not (d / vectors.MANIFEST).is_file():
        raise CliError(f"{d}: not a vectors directory (no {vectors.MANIFEST})")
    problems = vectors.verify(directory)
    for problem in problems:
        print(f"{directory}: {problem}", file=sys.stderr)
    if problems:
        print(f"FAIL {directory}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"OK {directory}: every hash and the expected values match the golden model")
    return 0
