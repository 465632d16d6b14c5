"""The testbench of the ``ternary_decoder`` engine: drivers, checkers, scoreboard.

Architecture of cocotbext-axi's own tests: a :class:`TB` owns the clock, the
reset, an ``AxiStreamSource`` on ``s_axis``, an ``AxiStreamMonitor`` on
``s_axis`` (what the engine really accepted) and an ``AxiStreamSink`` on
``m_axis``, each with its idle or back-pressure generator, plus the
:class:`~sim.protocol.ProtocolChecker` and the :class:`Scoreboard`.

Lines go in as 512-bit integers (one per transfer, ``byte_lanes=1``) and come out
as ``10 * lanes``-bit integers, so the scoreboard compares whole transfers as
integers against the values :mod:`sim.reference` computes from the golden model.
"""

from __future__ import annotations

import itertools
import logging
import random
import re
from collections import Counter, deque

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotbext.axi import (
    AxiStreamBus,
    AxiStreamFrame,
    AxiStreamMonitor,
    AxiStreamSink,
    AxiStreamSource,
)

from tritpack import golden

from . import coverage as cov
from .protocol import ProtocolChecker
from .reference import as_lines, describe_transfer, expected_transfers, line_ints

__all__ = ["CLOCK_NS", "GENERATORS", "PauseGenerator", "Scoreboard", "TB"]

CLOCK_NS = 10
GENERATORS = cov.GENERATORS
_RANDOM_NAME = re.compile(r"random_(100|[1-9]?[0-9])")


class PauseGenerator:
    """A pause pattern for ``set_pause_generator`` that records its stall runs.

    Parameters
    ----------
    name : str
        One of :data:`GENERATORS`: ``none``, ``cycle_1110`` (paused 3 clocks of 4)
        or ``random_P`` (paused with probability P % on each clock).
    rng : random.Random
        Source of the random patterns.

    Members
    -------
    runs : collections.Counter
        Length of each run of paused clocks -> how many runs.
    """

    def __init__(self, name: str, rng: random.Random):
        if name not in GENERATORS and not _RANDOM_NAME.fullmatch(name):
            raise ValueError(f"unknown generator {name!r}; expected one of "
                             f"{', '.join(GENERATORS)} or random_P with P in 0..100")
        self.name = name
        self.runs: Counter = Counter()
        self._rng = rng

    def _pattern(self):
        if self.name == "none":
            return itertools.repeat(0)
        if self.name == "cycle_1110":
            return itertools.cycle([1, 1, 1, 0])
        p = int(self.name.split("_")[1]) / 100
        r = self._rng.random
        return (r() < p for _ in itertools.count())

    def __iter__(self):
        run = 0
        for v in self._pattern():
            if v:
                run += 1
            elif run:
                self.runs[run] += 1
                run = 0
            yield v


class Scoreboard:
    """Compare every output packet with the golden model's transfers, in order.

    Expected packets are queued by :meth:`expect`; each packet the sink receives
    (``tlast`` closes it) must equal the oldest one, transfer for transfer
    (``tdata`` and ``tuser``).  Lost, extra, duplicated or reordered transfers
    and packets all show up as a difference.

    Parameters
    ----------
    sink : AxiStreamSink
    lanes : int
    codec : str or golden.Lut
    fail_fast : bool
        Raise at the first wrong packet (tests) or only count (``tritpack sim``).
    """

    #: Lines compared and wrong transfers, over every scoreboard of this simulation.
    lines_total = 0
    mismatches_total = 0

    def __init__(self, sink, lanes: int, codec, log, fail_fast: bool = True):
        self.sink = sink
        self.lanes = lanes
        self.codec = codec
        self.log = log
        self.fail_fast = fail_fast
        self.pending: deque = deque()
        self.packets = 0           # packets compared
        self.transfers = 0         # transfers compared
        self.flagged = 0           # transfers with tuser set, since the last reset
        self.mismatches = 0        # wrong transfers (missing and extra ones included)
        self.messages: list[str] = []
        self._task = cocotb.start_soon(self._run())

    def expect(self, lines) -> None:
        self.pending.append(expected_transfers(lines, self.codec, self.lanes))

    def flush(self) -> int:
        """Forget packets still in flight (at reset); return how many transfers."""
        n = sum(len(e.data) for e in self.pending)
        self.pending.clear()
        self.flagged = 0
        return n

    async def _run(self) -> None:
        while True:
            frame = await self.sink.recv(compact=False)
            self.check(frame.tdata, frame.tuser)

    def check(self, data: list, user: list) -> None:
        """Compare one received packet with the oldest expected one."""
        index = self.packets
        self.packets += 1
        if not self.pending:
            self._mismatch(len(data), f"output packet {index} of {len(data)} transfers was "
                           "not expected (duplicated or stale data)")
            return
        exp = self.pending.popleft()
        self.transfers += len(data)
        Scoreboard.lines_total += len(exp.data) * self.lanes // 64
        self.flagged += sum(user)
        if data == exp.data and user == exp.user:
            return
        wrong = [i for i, (g, e, gu, eu)
                 in enumerate(zip(data, exp.data, user, exp.user, strict=False))
                 if g != e or gu != eu]
        missing = abs(len(data) - len(exp.data))
        what = []
        if missing:
            what.append(f"{len(data)} transfers instead of {len(exp.data)}")
        if wrong:
            first = self._describe(wrong[0], data, user, exp)
            what.append(f"{len(wrong)} wrong transfers, first {first}")
        self._mismatch(len(wrong) + missing, f"output packet {index}: " + "; ".join(what))

    def _describe(self, i: int, data, user, exp) -> str:
        beats = 64 // self.lanes
        return describe_transfer(i, i // beats, i % beats, self.lanes, data[i], exp.data[i],
                                 user[i], exp.user[i])

    def _mismatch(self, count: int, msg: str) -> None:
        self.mismatches += count
        Scoreboard.mismatches_total += count
        if len(self.messages) < 20:
            self.messages.append(msg)
        self.log.error("scoreboard: %s", msg)
        if self.fail_fast:
            raise AssertionError(f"scoreboard: {msg}")


class TB:
    """Testbench of one ``ternary_decoder`` (see the module docstring).

    Parameters
    ----------
    dut : cocotb handle
        The engine's top level.
    codec : str or golden.Lut
        The engine's codec (the Verilog does not say it).
    coverage : bool
        Sample functional coverage (:mod:`sim.coverage`).
    fail_fast : bool
        See :class:`Scoreboard`.
    monitor : bool
        Run the ``s_axis`` monitor, which checks that the engine accepted exactly the
        packets sent and feeds coverage.  It samples every clock in Python, which
        costs simulation speed; without it a lost or duplicated input line still
        shows up in the scoreboard.
    """

    def __init__(self, dut, codec, *, coverage: bool = True, fail_fast: bool = True,
                 monitor: bool = True):
        self.dut = dut
        self.codec = codec
        self.log = logging.getLogger("cocotb.tb")
        self.lanes = len(dut.m_axis_tdata) // 10
        self.beats = 64 // self.lanes
        self.prng = random.Random(random.getrandbits(64))  # seeded by cocotb, per test
        self.rng = np.random.default_rng(random.getrandbits(64))
        self.lut = golden.get_lut(codec)
        self.cov = cov.get(codec, self.lanes) if coverage else None

        dut.rst.setimmediatevalue(0)
        Clock(dut.clk, CLOCK_NS, unit="ns").start()
        s_bus = AxiStreamBus.from_prefix(dut, "s_axis")
        self.source = AxiStreamSource(s_bus, dut.clk, dut.rst, byte_lanes=1)
        self.monitor = AxiStreamMonitor(s_bus, dut.clk, dut.rst, byte_lanes=1) if monitor \
            else None
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.clk, dut.rst,
                                  byte_lanes=1)
        for ext in (self.source, self.monitor, self.sink):
            if ext is not None:
                ext.log.setLevel(logging.ERROR)  # they log every whole frame
        self.checker = ProtocolChecker(dut)
        self.scoreboard = Scoreboard(self.sink, self.lanes, codec, self.log, fail_fast)

        self.idle = PauseGenerator("none", self.prng)
        self.backpressure = PauseGenerator("none", self.prng)
        self.sent: deque = deque()      # (line ints, lines) of packets not yet accepted
        self.accepted_lines = 0
        self.in_reset = False
        self.resets = 0
        self.invalid_sent = 0
        self._compared_at_reset = 0
        if monitor:
            cocotb.start_soon(self._check_accepted())
        cocotb.start_soon(self._watch_error())

    # -- stimulus ---------------------------------------------------------------------

    def set_generators(self, idle: str = "none", backpressure: str = "none") -> None:
        """Choose the source idle and sink back-pressure generators by name."""
        self._record_stalls()
        self.idle = PauseGenerator(idle, self.prng)
        self.backpressure = PauseGenerator(backpressure, self.prng)
        self.source.set_pause_generator(None if idle == "none" else iter(self.idle))
        self.sink.set_pause_generator(None if backpressure == "none" else
                                      iter(self.backpressure))
        if self.cov:
            self.cov.sample_generators(idle, backpressure)

    def send(self, lines) -> None:
        """Queue one packet (``tlast`` on its last line) and its expected output."""
        self.source.send_nowait(self._packet(lines))

    async def send_when_room(self, lines, queued: int = 2) -> None:
        """Like :meth:`send`, but first wait until at most ``queued`` packets wait in
        the source (bounded memory for long streams)."""
        self.source.queue_occupancy_limit_frames = queued
        await self.source.send(self._packet(lines))

    def _packet(self, lines) -> AxiStreamFrame:
        lines = as_lines(lines)
        if lines.shape[0] == 0:
            raise ValueError("a packet needs at least one line")
        ints = line_ints(lines)
        if self.monitor is not None:
            self.sent.append((ints, lines))
        elif self.cov:
            self.cov.sample_packet(lines)
        self.scoreboard.expect(lines)
        self.invalid_sent += int((~self.lut.valid[lines]).sum())
        return AxiStreamFrame(ints)

    # -- reset ------------------------------------------------------------------------

    def reset_phase(self) -> str:
        if self.resets == 0:
            return "power_on"
        if self.dut.error.value == 1:
            return "error_set"
        if self.sink.pause and self.dut.m_axis_tvalid.value == 1:
            return "output_stalled"
        if self.source.active or (self.monitor is not None and self.monitor.active):
            return "mid_packet"
        return "idle"

    async def reset(self, clocks: int = 4) -> None:
        """Synchronous reset for ``clocks`` clocks; whatever was in flight is dropped."""
        phase = self.reset_phase()
        if self.cov:
            self.cov.sample_reset(phase)
        await RisingEdge(self.dut.clk)
        self.in_reset = True
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, clocks)
        self.source.clear()
        self.sent.clear()
        self.scoreboard.flush()
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)
        self.in_reset = False
        self.resets += 1
        self._compared_at_reset = self.scoreboard.transfers

    # -- background checks ------------------------------------------------------------

    async def _check_accepted(self) -> None:
        """The monitor's packets (what the engine accepted) must be those sent, in order."""
        while True:
            frame = await self.monitor.recv(compact=False)
            if not self.sent:
                raise AssertionError(f"input monitor: the engine accepted a packet of "
                                     f"{len(frame.tdata)} lines that was never sent")
            ints, lines = self.sent.popleft()
            if frame.tdata != ints:
                raise AssertionError(
                    f"input monitor: accepted packet of {len(frame.tdata)} lines differs "
                    f"from the {len(ints)} lines sent")
            self.accepted_lines += len(ints)
            if self.cov:
                self.cov.sample_packet(lines)

    async def _watch_error(self) -> None:
        """``error`` is sticky: it may only fall in reset, only rise after an invalid code."""
        error = self.dut.error
        while True:
            await (FallingEdge(error) if error.value == 1 else RisingEdge(error))
            if error.value == 1:
                if not self.invalid_sent:
                    raise AssertionError(f"error rose at clock {self.checker.clock} "
                                         "but no invalid code was sent")
            elif not self.in_reset:
                raise AssertionError(f"error fell at clock {self.checker.clock} without a "
                                     "reset (it must be sticky)")

    # -- end of test ------------------------------------------------------------------

    async def wait_drained(self, max_clocks: int | None = None) -> None:
        """Wait until every packet sent has come out, or fail after ``max_clocks``."""
        if max_clocks is None:
            pending = sum(len(e.data) for e in self.scoreboard.pending)
            max_clocks = 2000 + 50 * pending
        waited = 0
        while self.scoreboard.pending or self.sent:
            if waited >= max_clocks:
                raise AssertionError(
                    f"timeout after {waited} clocks: {len(self.scoreboard.pending)} packets "
                    f"not out, {len(self.sent)} not accepted (lost data or a stuck handshake)")
            await ClockCycles(self.dut.clk, 16)
            waited += 16

    async def finish(self) -> None:
        """End of test: everything out, nothing extra, counts equal, coverage sampled."""
        await self.wait_drained()
        await ClockCycles(self.dut.clk, 2 * self.beats + 8)  # room for anything extra
        assert self.sink.empty() and self.sink.idle(), \
            "sink not empty at the end of the test (extra output)"
        s, m = self.checker.ports  # their counts start at each reset
        lines, out = s.transfers, m.transfers
        checked = self.scoreboard.transfers - self._compared_at_reset
        assert out == lines * self.beats == checked, (
            f"since the last reset: {lines} lines in, {out} transfers out, {checked} "
            f"compared; expected {self.beats} transfers per line, all compared")
        error = self.dut.error.value == 1
        assert error == (self.scoreboard.flagged > 0), (
            f"error is {int(error)} but {self.scoreboard.flagged} transfers were flagged "
            "since the last reset")
        self._record_stalls()

    def _record_stalls(self) -> None:
        if self.cov:
            self.cov.sample_stalls("source_idle", self.idle.runs)
            self.cov.sample_stalls("sink_backpressure", self.backpressure.runs)
        self.idle.runs.clear()
        self.backpressure.runs.clear()
