"""``tritpack bench rtl``: throughput, latency and simulation speed of the RTL.

Two sections:

* **simulation speed** of the 64-lane engine with 10 % source idle and 10 % sink
  back-pressure, every transfer checked: the fast path (checks in Verilog,
  :mod:`sim.hdlcheck`) and the cocotb testbench (:mod:`sim.stream_tests`) on each
  simulator, beside the all-Verilog vectors testbench (``$readmemh`` up front, no
  protocol checker, no coverage) on Icarus as the simulator's own limit, with the
  targets of issue 15 (>= 100,000 checked lines/s on Verilator, >= 15,000 on Icarus);
* **throughput and latency** of each engine variant with no stalls (fast path).

Speeds are lines per second of the simulator's CPU time (which does not depend on
the machine's load) and of wall-clock time; builds are excluded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .runner import SIMULATORS, check_sim, sim_root, tool_env
from .stimulus import random_stream, weight_lines
from .stream import stream_lines

__all__ = ["run_rtl_bench", "SPEED_TARGETS"]

#: Checked lines per CPU second at 64 lanes, 10 % idle and back-pressure (issue 15).
SPEED_TARGETS = {"verilator": 100_000, "icarus": 15_000}
STALL = 0.1

#: (lanes, registered, impl, pipelined) of the variants of the throughput table.
VARIANTS = (
    (64, False, "rom", False), (8, False, "rom", False), (1, False, "rom", False),
    (64, True, "rom", False), (8, True, "rom", False), (1, True, "rom", False),
    (64, False, "arith", False), (8, False, "arith", True), (64, True, "rom", True),
)


def _lines(lanes: int, quick: bool) -> int:
    per_lane = {64: 2000, 8: 400, 1: 48} if quick else {64: 40000, 8: 8000, 1: 640}
    return per_lane[lanes]


def _speed_lines(testbench: str, sim: str, quick: bool) -> int:
    full = {("hdl", "verilator"): 2_000_000, ("hdl", "icarus"): 100_000,
            ("cocotb", "verilator"): 20_000, ("cocotb", "icarus"): 10_000}
    return full[testbench, sim] // (50 if quick else 1)


def _stream(seed: int, n: int) -> np.ndarray:
    return np.concatenate([lines for lines, _ in random_stream(seed, n, "standard")])


def _vectors_row(n: int, build_dir) -> str:
    """The all-Verilog vectors testbench on Icarus, ``n`` lines, 10 % idle/stall."""
    root = sim_root(build_dir)
    root.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="bench_vectors_", dir=root))
    try:
        out = root / "vectors"
        subprocess.run([sys.executable, "-m", "tritpack", "vectors", "--lines", str(n),
                        "--seed", "1", "--lanes", "64", "-o", str(out)], check=True,
                       capture_output=True)
        tb = root / "tb.vvp"
        subprocess.run(["iverilog", "-g2005", "-o", str(tb), *map(str, sorted(out.glob("*.v")))],
                       check=True, capture_output=True)
        t0 = time.perf_counter()
        pct = f"{100 * STALL:.0f}"
        proc = subprocess.Popen(["vvp", "-n", str(tb), f"+vectors={out}", f"+idle={pct}",
                                 f"+stall={pct}"], stdout=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        text = proc.stdout.read()
        if "PASS" not in text:
            raise RuntimeError(f"the vectors testbench did not pass: {text[-300:]}")
        cpu = usage.ru_utime + usage.ru_stime
        return (f"| vectors testbench (all Verilog, `$readmemh` up front, no protocol "
                f"checker or coverage) | icarus | {n} | {n / cpu:,.0f} | {n / wall:,.0f} | "
                f"(reference) |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_rtl_bench(quick: bool = False, outdir=None, sim: str | None = None) -> str:
    """Return the Markdown section; print progress while running.

    ``sim`` limits the runs to one simulator (default: both, when Verilator is
    there; the throughput table uses ``sim`` or Icarus).
    """
    sims = [check_sim(sim)] if sim else [s for s in SIMULATORS if _have(s)]
    speed = []
    for testbench in ("hdl", "cocotb"):
        for s in sims:
            if quick and (testbench, s) == ("cocotb", "verilator"):
                continue  # a smoke test need not wait for a second cocotb build
            n = _speed_lines(testbench, s, quick)
            lines = _stream(7, n)
            print(f"rtl bench: speed, {testbench} testbench on {s}, {n} lines ...", flush=True)
            r = stream_lines(lines, lanes=64, stall=STALL, seed=1, sim=s, testbench=testbench)
            if not r.passed:
                raise RuntimeError(f"RTL bench {testbench}/{s} failed: {r.errors[:1]}")
            cpu = r.lines / max(r.cpu_seconds, 1e-9)
            target = ""
            if testbench == "hdl":
                goal = SPEED_TARGETS[s]
                target = f"≥ {goal:,}: {'met' if cpu >= goal else 'MISSED'}"
            name = ("fast path (checks in Verilog)" if testbench == "hdl"
                    else "cocotb (cocotbext-axi drivers, Python scoreboard)")
            speed.append(f"| {name} | {s} | {r.lines} | {cpu:,.0f} | "
                         f"{r.lines / max(r.sim_seconds, 1e-9):,.0f} | {target} |")
    if "icarus" in sims:
        n = 100_000 // (50 if quick else 1)
        print(f"rtl bench: speed, vectors testbench on icarus, {n} lines ...", flush=True)
        speed.append(_vectors_row(n, None))

    rng = np.random.default_rng(2024)
    rows = []
    table_sim = sim or "icarus"
    for lanes, registered, impl, pipelined in VARIANTS:
        n = _lines(lanes, quick)
        name = (f"lanes={lanes}" + (", registered" if registered else "")
                + (f", impl={impl}" if impl != "rom" else "")
                + (", pipelined" if pipelined else ""))
        print(f"rtl bench: {name}, {n} lines ...", flush=True)
        r = stream_lines(weight_lines(rng, n, "standard"), lanes=lanes, registered=registered,
                         stall=0.0, seed=1, impl=impl, pipelined=pipelined, sim=table_sim)
        if not r.passed:
            raise RuntimeError(f"RTL bench {name} failed: {r.errors[:1]}")
        rows.append(
            f"| {name} | {n} | {r.lines_per_clock:.3f} | {64 // lanes} | {r.latency} | "
            f"{r.lines / max(r.cpu_seconds, 1e-9):,.0f} |")
    size = "quick" if quick else "full"
    return "\n".join([
        "## RTL simulation",
        "",
        f"### Simulation speed (`tritpack bench rtl`, {size} sizes)",
        "",
        "The 64-lane engine, random lines (uniform valid codes, rare invalid ones, "
        f"random packet lengths), {STALL:.0%} random source idle and {STALL:.0%} random "
        "sink back-pressure, every transfer checked against the golden model, both "
        "ports' AXI4-Stream rules checked.  Checked lines per second of the simulator's "
        "CPU time (the host's refill thread runs beside it) and of wall-clock time; "
        "builds excluded.",
        "",
        "| testbench | simulator | lines | lines/s (CPU) | lines/s (wall) | target |",
        "|---|---|---:|---:|---:|---|",
        *speed,
        "",
        f"### Throughput and latency (fast path on {table_sim}, no stalls)",
        "",
        "Weight-like lines, standard codec.  Throughput is output-side (first to last "
        "output transfer); latency is from the first input transfer to the first output "
        "`tvalid`.",
        "",
        "| variant | lines | lines/clock | clocks/line (ideal) | latency (clocks) | "
        "sim lines/s (CPU) |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ])


def _have(sim: str) -> bool:
    if sim == "icarus":
        return shutil.which("iverilog") is not None
    try:
        with tool_env(sim):
            return True
    except OSError:
        return False
