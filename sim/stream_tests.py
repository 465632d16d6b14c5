"""The cocotb side of :func:`sim.stream.stream_lines` (run by :mod:`sim.runner`).

One test, ``stream_run``: the input file named in the environment goes through
the engine in packets with the full testbench on (protocol checker and
scoreboard; the input monitor is off, a lost or duplicated line still shows in
the scoreboard), and the measurements go back as a JSON
:class:`~sim.stream.StreamResult`.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from pathlib import Path

import cocotb
import numpy as np

from tritpack.golden.fileio import write_atomic
from tritpack.golden.lut_io import resolve_codec

from .stream import ENV_PREFIX, StreamResult
from .tb import TB

__all__ = ["stream_run"]


def _env(name: str) -> str:
    return os.environ[ENV_PREFIX + name]


@cocotb.test()
async def stream_run(dut):
    """Stream the input file through the engine with the full testbench on."""
    tb = TB(dut, resolve_codec(os.environ.get("TRITPACK_CODEC", "standard")), coverage=False,
            fail_fast=False, monitor=False)
    pct = int(_env("STALL"))
    stall = f"random_{pct}" if pct else "none"
    tb.set_generators(stall, stall)
    await tb.reset()
    lines = np.load(_env("INPUT"))
    step = int(_env("PACKET"))
    progress = Path(_env("PROGRESS"))
    result = StreamResult(lines=int(lines.shape[0]))
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        for start in range(0, lines.shape[0], step):
            await tb.send_when_room(lines[start:start + step])
            progress.write_text(str(tb.scoreboard.transfers // tb.beats))
        await tb.wait_drained()
    except AssertionError as exc:  # protocol violation or timeout: report, don't hide
        result.errors.append(str(exc))
    result.sim_seconds = time.perf_counter() - t0
    result.cpu_seconds = time.process_time() - c0
    s, m = tb.checker.ports
    sb = tb.scoreboard
    result.transfers = sb.transfers
    result.mismatches = sb.mismatches + sum(len(e.data) for e in sb.pending)
    result.invalid_codes = tb.invalid_sent
    result.flagged = sb.flagged
    result.error = int(dut.error.value == 1)
    if result.error != int(tb.invalid_sent > 0):
        result.errors.append(
            f"error is {result.error} at the end, but the input held {tb.invalid_sent} "
            f"invalid codes (expected {int(tb.invalid_sent > 0)})")
    result.errors = (result.errors + tb.checker.violations + sb.messages)[:20]
    if m.last_transfer is not None and s.first_transfer is not None:
        result.clocks = m.last_transfer - m.first_transfer + 1
        result.latency = m.first_valid - s.first_transfer
        result.lines_per_clock = result.lines / result.clocks
    result.lines_per_second = result.lines / max(result.sim_seconds, 1e-9)
    progress.write_text(str(sb.transfers // tb.beats))
    write_atomic(_env("RESULT"), json.dumps(asdict(result)))
    assert result.passed, result.errors[0] if result.errors else "mismatches"
