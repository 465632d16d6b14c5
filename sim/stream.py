"""Stream packed lines through the RTL and compare every transfer with the golden model.

:func:`stream_lines` is the one entry point for everything that pushes real data
through the simulated engine (``tritpack sim``, the demo, the RTL benchmark).  It
builds the variant with Icarus, runs the cocotb test :func:`stream_run` of this
module inside the simulator (the full :class:`~sim.tb.TB`: protocol checker,
input monitor and scoreboard all on) and returns a :class:`StreamResult`.

Lines travel in packets of ``packet_lines`` lines (``tlast`` on the last line of
each), at most two packets queued ahead, so memory stays flat for long inputs.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .reference import as_lines
from .runner import BUILD_ROOT, Variant, build, env_seed, run

__all__ = ["StreamResult", "stream_lines"]

_ENV = "TRITPACK_STREAM_"


@dataclass
class StreamResult:
    """What :func:`stream_lines` measured.

    Members
    -------
    lines, transfers : int
        Lines streamed in, output transfers compared.
    clocks : int
        From the first output transfer to the last, inclusive (latency apart).
    lines_per_clock : float
    latency : int
        Clocks from the first input transfer to the first output ``tvalid``.
    sim_seconds : float
        Wall-clock time of the streaming inside the simulator (build excluded).
    cpu_seconds : float
        CPU time of the simulator process over the same span (Icarus and Python
        share it), which does not depend on the load of the machine.
    lines_per_second : float
        Simulation speed with every check on.
    mismatches : int
        Wrong, missing or extra output transfers (0 for a correct engine).
    errors : list of str
        The first failure messages (scoreboard, protocol, timeouts).
    seed : int
        The ``SEED`` that reproduces the run.
    waves : str or None
        The FST file, when asked for.
    """

    lines: int = 0
    transfers: int = 0
    clocks: int = 0
    lines_per_clock: float = 0.0
    latency: int = 0
    sim_seconds: float = 0.0
    cpu_seconds: float = 0.0
    lines_per_second: float = 0.0
    mismatches: int = 0
    errors: list = field(default_factory=list)
    seed: int = 0
    waves: str | None = None

    @property
    def passed(self) -> bool:
        return self.mismatches == 0 and not self.errors

    def summary(self) -> str:
        return (f"{self.lines} lines, {self.clocks} clocks, {self.lines_per_clock:.3f} "
                f"lines/clock, latency {self.latency} clocks, {self.sim_seconds:.2f} s "
                f"simulated at {self.lines_per_second:.0f} lines/s, "
                f"{self.mismatches} mismatches (SEED={self.seed})")


def stream_lines(lines, *, lanes: int = 64, codec: str = "standard",
                 registered: bool = False, stall: float = 0.1, seed: int | None = None,
                 waves: bool = False, packet_lines: int = 256,
                 progress=None, impl: str = "rom", pipelined: bool = False) -> StreamResult:
    """Stream ``lines`` through the RTL of one engine variant with random stalls.

    Parameters
    ----------
    lines : array_like
        (n, 64) uint8 byte codes, e.g. ``golden.pack(trits).data.reshape(-1, 64)``.
    lanes, codec, registered
        The engine variant (see :class:`hw.decoder.TernaryDecoder`).
    stall : float
        Probability, on each clock, that the source idles and, independently,
        that the sink holds ``tready`` low (0 for full-speed throughput).
    seed : int, optional
        Default ``SEED`` from the environment, else random; reported either way.
    waves : bool
        Keep an FST of the run (its path is in the result).
    packet_lines : int
        Lines per packet (``tlast`` on each packet's last line).
    progress : callable, optional
        Called now and then with the number of lines that came out.

    Returns
    -------
    StreamResult
        Mismatches are counted, not raised: check ``result.passed``.
    """
    lines = as_lines(lines)
    if lines.shape[0] == 0:
        raise ValueError("nothing to stream: 0 lines")
    if not 0 <= stall < 1:
        raise ValueError(f"stall must be a probability in [0, 1), not {stall!r}")
    if packet_lines < 1:
        raise ValueError(f"packet_lines must be at least 1, not {packet_lines!r}")
    variant = Variant(lanes, codec, registered, impl=impl, pipelined=pipelined)
    seed = env_seed() if seed is None else int(seed)
    BUILD_ROOT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"stream_{variant.name}_", dir=BUILD_ROOT))
    keep = waves  # and, below, a failed run: its logs are named in the errors
    try:
        np.save(work / "input.npy", lines)
        out, prog = work / "result.json", work / "progress"
        build(variant, work, waves=waves)
        env = {
            _ENV + "INPUT": str(work / "input.npy"), _ENV + "RESULT": str(out),
            _ENV + "PROGRESS": str(prog), _ENV + "STALL": str(int(round(stall * 100))),
            _ENV + "PACKET": str(packet_lines),
        }
        done = threading.Event()
        watcher = threading.Thread(target=_watch, args=(prog, progress, done), daemon=True)
        if progress is not None:
            watcher.start()
        try:
            ran = run(variant, work, tests=["stream_run"], seed=seed, waves=waves, env=env,
                      test_module=__name__)
        finally:
            done.set()
        if out.is_file():
            result = StreamResult(**json.loads(out.read_text()))
        else:  # a check aborted the test (e.g. a protocol violation)
            result = StreamResult(lines=int(lines.shape[0]), errors=[ran.summary()])
        result.seed = seed
        if not ran.passed and not result.errors:
            result.errors.append(ran.summary())
        if waves and ran.waves:
            result.waves = str(ran.waves[0])
        keep = keep or not result.passed
        return result
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def _watch(path: Path, progress, done: threading.Event) -> None:
    last = -1
    while not done.wait(0.2):
        try:
            n = int(path.read_text() or 0)
        except (OSError, ValueError):
            continue
        if n != last:
            progress(n)
            last = n


# -- inside the simulator ----------------------------------------------------------------

try:
    import cocotb
except ImportError:  # pragma: no cover - cocotb is a dependency
    cocotb = None

if cocotb is not None:

    @cocotb.test()
    async def stream_run(dut):
        """Stream the input file through the engine with the full testbench on."""
        from .tb import TB

        tb = TB(dut, os.environ.get("TRITPACK_CODEC", "standard"), coverage=False,
                fail_fast=False, monitor=False)
        pct = int(os.environ[_ENV + "STALL"])
        stall = f"random_{pct}" if pct else "none"
        tb.set_generators(stall, stall)
        await tb.reset()
        lines = np.load(os.environ[_ENV + "INPUT"])
        step = int(os.environ[_ENV + "PACKET"])
        progress = Path(os.environ[_ENV + "PROGRESS"])
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
        result.errors = (result.errors + tb.checker.violations + sb.messages)[:20]
        if m.last_transfer is not None and s.first_transfer is not None:
            result.clocks = m.last_transfer - m.first_transfer + 1
            result.latency = m.first_valid - s.first_transfer
            result.lines_per_clock = result.lines / result.clocks
        result.lines_per_second = result.lines / max(result.sim_seconds, 1e-9)
        progress.write_text(str(sb.transfers // tb.beats))
        out = Path(os.environ[_ENV + "RESULT"])
        out.write_text(json.dumps(asdict(result)))
        assert result.passed, result.errors[0] if result.errors else "mismatches"
