"""``tritpack sim`` (your own data through the RTL) and ``tritpack regress`` (long regression)."""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from tritpack import golden
from tritpack.cli import CliError

__all__ = ["load_lines", "register_regress", "register_sim"]

LANE_CHOICES = (1, 2, 4, 8, 16, 32, 64)


# -- tritpack sim ------------------------------------------------------------------------

def load_lines(path: Path, codec: str) -> np.ndarray:
    """Read a user's input as (n, 64) uint8 lines, or raise CliError.

    ``.npy`` of integer trits (any shape, values -1, 0, 1; packed here with
    ``codec``) or of uint8 packed bytes; ``.bin``: raw packed bytes.  Packed input
    whose length is not a whole number of 64-byte lines is padded with the
    codec's code for five zero trits.
    """
    path = Path(path)
    if not path.is_file():
        raise CliError(f"input file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise CliError(f"{path}: not a readable .npy file ({exc})") from None
        if arr.dtype == np.uint8:
            data = arr.reshape(-1)
        elif arr.dtype.kind in "ib":
            try:
                trits = golden.check_trits(arr, what=str(path))
            except (ValueError, TypeError) as exc:
                raise CliError(str(exc)) from None
            data = golden.pack(trits, codec).data
        else:
            raise CliError(f"{path}: dtype {arr.dtype} is not supported; expected int8 "
                           "trits (-1, 0, 1) or uint8 packed bytes")
    elif suffix == ".bin":
        data = np.fromfile(path, dtype=np.uint8)
    else:
        raise CliError(f"{path}: unknown format {suffix or '(no suffix)'!r}; expected .npy "
                       "(int8 trits or uint8 packed bytes) or .bin (packed bytes)")
    if data.size == 0:
        raise CliError(f"{path}: no data")
    pad = -data.size % golden.LINE_BYTES
    if pad:
        zero = golden.get_lut(codec).codes[0]
        data = np.concatenate([data, np.full(pad, zero, dtype=np.uint8)])
    return data.reshape(-1, golden.LINE_BYTES)


def register_sim(subparsers) -> None:
    p = subparsers.add_parser(
        "sim", help="stream your own trits through the RTL (Icarus) against the golden model",
        description="Stream a file through the generated Verilog on Icarus with random "
        "stalls, with the protocol checker and the scoreboard on, and compare every trit "
        "with the golden model.  Exit status 1 on any mismatch.")
    p.add_argument("--input", required=True, type=Path, metavar="FILE",
                   help=".npy of int8 trits or uint8 packed bytes, or .bin packed bytes")
    p.add_argument("--lanes", type=int, default=64, choices=LANE_CHOICES)
    p.add_argument("--codec", default="standard", choices=golden.CODEC_NAMES)
    p.add_argument("--registered", action="store_true", help="the fully registered engine")
    p.add_argument("--stall", type=float, default=0.1, metavar="P",
                   help="probability of a source idle / sink stall clock (default 0.1)")
    p.add_argument("--waves", action="store_true", help="keep an FST waveform")
    p.add_argument("--seed", type=int, default=None, help="reproduce a run")
    p.set_defaults(func=run_sim)


def run_sim(args) -> int:
    from .stream import stream_lines

    if not 0 <= args.stall < 1:
        raise CliError(f"--stall must be a probability in [0, 1), not {args.stall}")
    lines = load_lines(args.input, args.codec)
    from tqdm import tqdm

    with tqdm(total=lines.shape[0], unit="line", desc="sim", disable=None) as bar:
        def progress(n):
            bar.update(n - bar.n)

        r = stream_lines(lines, lanes=args.lanes, codec=args.codec,
                         registered=args.registered, stall=args.stall, seed=args.seed,
                         waves=args.waves, progress=progress)
        progress(r.transfers * args.lanes // golden.LINE_BYTES)
    rows = [("lines", r.lines), ("clocks", r.clocks), ("lines/clock", f"{r.lines_per_clock:.3f}"),
            ("latency (clocks)", r.latency), ("sim seconds", f"{r.sim_seconds:.2f}"),
            ("lines/s", f"{r.lines_per_second:.0f}"), ("mismatches", r.mismatches),
            ("seed", r.seed)]
    if r.waves:
        rows.append(("waves", r.waves))
    for k, v in rows:
        print(f"{k:>17}: {v}")
    for e in r.errors:
        print(f"error: {e}", file=sys.stderr)
    return 0 if r.passed else 1


# -- tritpack regress --------------------------------------------------------------------

def register_regress(subparsers) -> None:
    p = subparsers.add_parser(
        "regress", help="long RTL regression: many seeds, at least 10^6 lines",
        description="Run the cocotb regression of every engine variant (lanes 64, 8, 1; "
        "codecs standard and tq1; the registered engine) over seeds until --lines lines "
        "have been checked, and print a summary table.")
    p.add_argument("--lines", type=int, default=1_000_000,
                   help="stop once this many lines were checked (default 10^6)")
    p.add_argument("--min-seeds", type=int, default=4, help="at least this many seeds")
    p.add_argument("--scale", type=float, default=20.0,
                   help="size of the random tests relative to CI (default 20)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--seed", type=int, default=None, help="first seed (default random)")
    p.set_defaults(func=run_regress)


def _variants():
    from .runner import regression_variants

    return regression_variants()


def run_regress(args) -> int:
    from .coverage import coverage_summary
    from .runner import BUILD_ROOT, build, env_seed, run

    if args.lines < 1 or args.scale <= 0 or args.jobs < 1 or args.min_seeds < 1:
        raise CliError("--lines, --scale, --jobs and --min-seeds must be positive")
    variants = _variants()
    root = BUILD_ROOT / "regress"
    print(f"building {len(variants)} variants ...", flush=True)
    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(lambda v: build(v, root / v.name, waves=False), variants))
    first = env_seed() if args.seed is None else args.seed
    stats = {v.name: {"tests": 0, "lines": 0, "seeds": 0, "covered": None, "total": 0,
                      "failed": 0, "mismatches": 0} for v in variants}
    failures = []
    total_lines, seed, t0 = 0, first, time.time()

    def one(v, seed):
        d = root / v.name
        cov_file, stats_file = d / f"coverage_{seed}.yml", d / f"stats_{seed}.json"
        r = run(v, d, seed=seed, waves=False, env={
            "TRITPACK_SCALE": str(args.scale), "TRITPACK_COVERAGE_FILE": str(cov_file),
            "TRITPACK_STATS_FILE": str(stats_file), "TRITPACK_REQUIRE_COVERAGE": "1"})
        counts = json.loads(stats_file.read_text()) if stats_file.is_file() else {}
        cov = coverage_summary(cov_file) if cov_file.is_file() else (0, 0)
        return v, seed, r, counts, cov

    while total_lines < args.lines or seed - first < args.min_seeds:
        with ThreadPoolExecutor(args.jobs) as pool:
            seeds = [seed] * len(variants)
            for v, _, r, counts, (covered, size) in pool.map(one, variants, seeds):
                lines = counts.get("lines", 0)
                st = stats[v.name]
                st["tests"] += len(r.tests)
                st["failed"] += len(r.failed)
                st["mismatches"] += counts.get("mismatches", 0)
                st["lines"] += lines
                st["seeds"] += 1
                st["covered"] = covered if st["covered"] is None else min(st["covered"],
                                                                           covered)
                st["total"] = size
                total_lines += lines
                if not r.passed:
                    failures.append(f"{v.name}: {r.summary()}")
        seed += 1
        print(f"seed {seed - 1} done: {total_lines} lines so far, {time.time() - t0:.0f} s",
              flush=True)
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

