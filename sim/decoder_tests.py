"""cocotb regression of the generated ``ternary_decoder`` Verilog (run by :mod:`sim.runner`).

One simulation covers one engine variant; the codec comes from the environment
(``TRITPACK_CODEC``), the lane count from the width of ``m_axis_tdata``.  Test
sizes scale with ``TRITPACK_SCALE`` (1 in CI, more in ``tritpack regress``).
Every test ends with :meth:`TB.finish <sim.tb.TB.finish>`: all data out, nothing
extra, counts equal.  The last test prints the functional coverage report.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, RisingEdge

from tritpack.golden.fileio import write_atomic
from tritpack.golden.lut_io import resolve_codec

from . import coverage as cov
from .stimulus import exhaustive_lines, invalid_lines, uniform_lines, weight_lines
from .tb import GENERATORS, TB, Scoreboard

#: The test functions, in order (the runner runs them one by one when recording waves).
TESTS = ("throughput", "exhaustive_codes", "random_lines", "packets", "long_stalls",
         "invalid_codes", "reset_mid_stream", "coverage_report")

CODEC = resolve_codec(os.environ.get("TRITPACK_CODEC", "standard"))
SCALE = float(os.environ.get("TRITPACK_SCALE", "1"))


def _lines_for(tb: TB, transfers: int, minimum: int = 3) -> int:
    """Lines that give about ``transfers * SCALE`` output transfers."""
    return max(minimum, int(transfers * SCALE) // tb.beats)


async def _start(dut, idle: str = "none", backpressure: str = "none") -> TB:
    tb = TB(dut, CODEC)
    tb.set_generators(idle, backpressure)
    await tb.reset()
    return tb


async def _until(tb: TB, cond, max_clocks: int, what: str) -> None:
    for _ in range(max_clocks):
        if cond():
            return
        await RisingEdge(tb.dut.clk)
    raise AssertionError(f"timeout after {max_clocks} clocks waiting for {what}")


@cocotb.test()
async def throughput(dut):
    """No stalls: one output transfer per clock, packets back to back, latency as documented."""
    tb = await _start(dut)
    n = _lines_for(tb, 512, minimum=8)
    lines = weight_lines(tb.rng, n, CODEC)
    for chunk in np.array_split(lines, 4):
        tb.send(chunk)
    await tb.finish()
    s, m = tb.checker.ports
    clocks = m.last_transfer - m.first_transfer + 1
    latency = m.first_valid - s.first_transfer
    tb.log.info("THROUGHPUT lanes=%d: %d transfers in %d clocks = %.3f lines/clock, "
                "latency %d clocks", tb.lanes, m.transfers, clocks, n / clocks, latency)
    assert m.transfers == clocks, (
        f"{m.transfers} transfers took {clocks} clocks: bubbles with no stall")
    documented = os.environ.get("TRITPACK_LATENCY")
    if documented is not None:
        assert latency == int(documented), f"latency {latency} clocks, documented {documented}"


@cocotb.test()
async def exhaustive_codes(dut):
    """Every valid code at every lane position (:func:`~sim.stimulus.exhaustive_lines`)."""
    tb = await _start(dut)
    for chunk in np.array_split(exhaustive_lines(CODEC, tb.lanes), 3):
        tb.send(chunk)
    await tb.finish()


def _named(values):
    return [cocotb.Param(value=v, name=v) for v in values]


@cocotb.test()
@cocotb.parametrize(idle=_named(GENERATORS), backpressure=_named(GENERATORS))
async def random_lines(dut, idle, backpressure):
    """Random lines, uniform and weight-like (every other packet), in packets of 1, 2
    and many lines, under every pair of source idle x sink back-pressure generators."""
    tb = await _start(dut, idle, backpressure)
    n = _lines_for(tb, 192)
    sizes = [1, 2]
    while sum(sizes) < n:
        sizes.append(int(tb.rng.integers(3, 40)))
    for i, size in enumerate(sizes):
        tb.send(uniform_lines(tb.rng, size) if i % 2 else weight_lines(tb.rng, size, CODEC))
    await tb.finish()


@cocotb.test()
async def packets(dut):
    """Back-to-back packets of 1, 2 and many lines: tlast on exactly the right transfers."""
    tb = await _start(dut)
    for size in (1, 2, 1, 1, 2, 17, 1, 2, 3):
        tb.send(weight_lines(tb.rng, size, CODEC))
    await tb.finish()


@cocotb.test()
async def long_stalls(dut):
    """Sink not ready for 80 clocks from reset, then the source idle 70 clocks mid-packet."""
    tb = TB(dut, CODEC)
    tb.sink.pause = True
    await tb.reset()
    tb.send(weight_lines(tb.rng, 4, CODEC))
    await ClockCycles(dut.clk, 80)
    s, _ = tb.checker.ports
    capacity = int(os.environ.get("TRITPACK_CAPACITY", "2"))
    assert dut.s_axis_tready.value == 0 and s.transfers <= capacity, (
        f"engine took {s.transfers} lines and s_axis_tready is {dut.s_axis_tready.value} "
        "after 80 clocks with its output blocked")
    tb.sink.pause = False
    tb.backpressure.runs[80] += 1
    await tb.wait_drained()

    tb.send(weight_lines(tb.rng, 4, CODEC))
    await _until(tb, lambda: tb.monitor.active, 100, "the first line of the packet")
    tb.source.pause = True
    await ClockCycles(dut.clk, 70)
    tb.source.pause = False
    tb.idle.runs[70] += 1
    await tb.finish()


@cocotb.test()
async def invalid_codes(dut):
    """Invalid codes at every byte position, in the first and the last line of a packet:
    zeros out, tuser on exactly those transfers, error sticky until reset."""
    tb = await _start(dut, "random_10", "random_10")
    tb.send(weight_lines(tb.rng, 2, CODEC))
    await tb.wait_drained()
    assert dut.error.value == 0, "error set with only valid codes sent"
    positions = np.arange(64)
    first = invalid_lines(tb.rng, CODEC, positions)
    last = invalid_lines(tb.rng, CODEC, 63 - positions)
    for p in positions:
        middle = [weight_lines(tb.rng, 1, CODEC)] if tb.lanes == 64 else []
        tb.send(np.concatenate([first[p:p + 1], *middle, last[p:p + 1]]))
    tb.send(weight_lines(tb.rng, 3, CODEC))
    await tb.wait_drained()
    assert dut.error.value == 1, "error not set after invalid codes came out"
    await tb.finish()  # error == 1 and sticky (a fall would have failed already)
    await tb.reset()
    assert dut.error.value == 0, "error still set after reset"
    tb.send(weight_lines(tb.rng, 2, CODEC))
    await tb.finish()


@cocotb.test()
@cocotb.parametrize(phase=_named(["idle", "mid_packet", "output_stalled"]))
async def reset_mid_stream(dut, phase):
    """Reset between packets, mid-packet or with the output stalled: nothing stale comes
    out afterwards and a fresh packet decodes correctly."""
    tb = await _start(dut)
    s, m = tb.checker.ports
    n = max(4, 24 // tb.beats)
    if phase == "idle":
        tb.send(weight_lines(tb.rng, 2, CODEC))
        await tb.wait_drained()
    else:
        tb.sink.pause = phase == "output_stalled"
        tb.send(weight_lines(tb.rng, n, CODEC))  # valid codes: error stays clear
        if tb.sink.pause:
            cond = lambda: s.transfers >= 1 and dut.m_axis_tvalid.value == 1  # noqa: E731
        else:
            cond = lambda: s.transfers >= 2 and m.transfers >= 1  # noqa: E731
        await _until(tb, cond, 50 * tb.beats, f"the engine to be {phase}")
        await ClockCycles(dut.clk, 3)
    assert tb.reset_phase() == phase, f"reset came in phase {tb.reset_phase()}, not {phase}"
    await tb.reset()
    tb.sink.pause = False
    before = m.transfers
    await ClockCycles(dut.clk, 3 * tb.beats + 10)
    assert m.transfers == before and tb.sink.empty(), (
        f"{m.transfers - before} stale transfers came out after reset")
    tb.send(weight_lines(tb.rng, 3, CODEC))
    await tb.finish()


@cocotb.test()
async def coverage_report(dut):
    """Print the functional coverage of the tests run in this simulation and write it
    (``TRITPACK_COVERAGE_FILE``) with the scoreboards' counts (``TRITPACK_STATS_FILE``);
    :func:`sim.runner.run` merges the files of all simulations and checks the total."""
    c = cov.get(CODEC, len(dut.m_axis_tdata) // 10)
    c.report(dut._log.info)
    path = os.environ.get("TRITPACK_COVERAGE_FILE")
    if path:
        c.export(Path(path))
    stats = os.environ.get("TRITPACK_STATS_FILE")
    if stats:
        write_atomic(stats, json.dumps({"lines": Scoreboard.lines_total,
                                        "mismatches": Scoreboard.mismatches_total}))
