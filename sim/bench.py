"""``tritpack bench rtl``: throughput, latency and simulation speed of the RTL.

Streams weight-like lines through each engine variant with no stalls, with the
full testbench on (protocol checker and scoreboard; the input monitor is off,
as in ``tritpack sim``), through :func:`sim.stream.stream_lines`.
"""

from __future__ import annotations

import numpy as np

from .stimulus import weight_lines
from .stream import stream_lines

__all__ = ["run_rtl_bench"]

#: (lanes, registered, impl, pipelined) of the benchmarked variants.
VARIANTS = (
    (64, False, "rom", False), (8, False, "rom", False), (1, False, "rom", False),
    (64, True, "rom", False), (8, True, "rom", False), (1, True, "rom", False),
    (64, False, "arith", False), (8, False, "arith", True), (64, True, "rom", True),
)


def _lines(lanes: int, quick: bool) -> int:
    per_lane = {64: 2000, 8: 400, 1: 48} if quick else {64: 40000, 8: 8000, 1: 640}
    return per_lane[lanes]


def run_rtl_bench(quick: bool = False, outdir=None) -> str:
    """Return the Markdown section; print progress while running."""
    rng = np.random.default_rng(2024)
    rows = []
    for lanes, registered, impl, pipelined in VARIANTS:
        n = _lines(lanes, quick)
        name = (f"lanes={lanes}" + (", registered" if registered else "")
                + (f", impl={impl}" if impl != "rom" else "")
                + (", pipelined" if pipelined else ""))
        print(f"rtl bench: {name}, {n} lines ...", flush=True)
        r = stream_lines(weight_lines(rng, n, "standard"), lanes=lanes, registered=registered,
                         stall=0.0, seed=1, impl=impl, pipelined=pipelined)
        if not r.passed:
            raise RuntimeError(f"RTL bench {name} failed: {r.errors[:1]}")
        rows.append(
            f"| {name} | {n} | {r.lines_per_clock:.3f} | {64 // lanes} | {r.latency} | "
            f"{r.lines_per_second:.0f} | {r.lines / max(r.cpu_seconds, 1e-9):.0f} |")
    return "\n".join([
        "## RTL simulation (cocotb + Icarus)",
        "",
        "Weight-like lines, standard codec, no stalls, protocol checker and scoreboard on "
        f"(`tritpack bench rtl`, {'quick' if quick else 'full'} sizes).",
        "Throughput is output-side (first to last output transfer); latency is from the "
        "first input transfer to the first output `tvalid`.  Simulation speed is lines per "
        "second of wall-clock time and of the simulator's CPU time (the second does not "
        "depend on the machine's load).",
        "",
        "| variant | lines | lines/clock | clocks/line (ideal) | latency (clocks) | "
        "sim lines/s | sim lines/s (CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ])
