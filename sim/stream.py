"""Stream packed lines through the RTL and compare every transfer with the golden model.

:func:`stream_lines` is the one entry point for everything that pushes real data
through the simulated engine (``tritpack sim``, the demo, the RTL benchmark).  It
builds the variant (Icarus or Verilator, :data:`sim.runner.SIMULATORS`) and runs
one of the two testbenches (:data:`TESTBENCHES`):

* ``hdl`` (the default): the checks in Verilog, :func:`sim.hdlcheck.check_lines`,
  at the simulator's own speed;
* ``cocotb``: the cocotb test ``stream_run`` of :mod:`sim.stream_tests` inside
  the simulator (the full :class:`~sim.tb.TB`: cocotbext-axi drivers, protocol
  checker and the Python scoreboard), a Python callback every clock.

Both return a :class:`StreamResult`.  This module is the host side and imports
no cocotb.

Lines travel in packets of ``packet_lines`` lines (``tlast`` on the last line of
each), at most two packets queued ahead, so memory stays flat for long inputs.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .reference import as_lines
from .runner import Variant, build, check_sim, env_seed, env_sim, run, sim_root

__all__ = ["ENV_PREFIX", "TESTBENCHES", "StreamResult", "stream_lines"]

#: The testbenches of :func:`stream_lines`; the first is the default.
TESTBENCHES = ("hdl", "cocotb")

#: Prefix of the environment variables that pass the job to :mod:`sim.stream_tests`.
ENV_PREFIX = "TRITPACK_STREAM_"
_TEST_MODULE = "tritpack.sim.stream_tests"


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
        CPU time of the simulator process over the same span (simulator and Python
        share it), which does not depend on the load of the machine.
    lines_per_second : float
        Simulation speed with every check on.
    mismatches : int
        Wrong, missing or extra output transfers (0 for a correct engine); a wrong
        ``tuser`` counts as a wrong transfer.
    invalid_codes : int
        Invalid byte codes in the input (the golden model decodes them to zeros and
        the engine must flag their transfers).
    flagged : int
        Output transfers that came out with ``tuser`` set.
    error : int or None
        The engine's sticky ``error`` output at the end (None: not read).
    errors : list of str
        The first failure messages (scoreboard, protocol, timeouts, ``error``).
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
    invalid_codes: int = 0
    flagged: int = 0
    error: int | None = None
    errors: list = field(default_factory=list)
    seed: int = 0
    waves: str | None = None

    @property
    def passed(self) -> bool:
        """Every transfer as the golden model says, no check failed, and ``error`` set
        exactly when the input held an invalid code."""
        return (self.mismatches == 0 and not self.errors
                and self.error == int(self.invalid_codes > 0))

    def summary(self) -> str:
        return (f"{self.lines} lines, {self.clocks} clocks, {self.lines_per_clock:.3f} "
                f"lines/clock, latency {self.latency} clocks, {self.sim_seconds:.2f} s "
                f"simulated at {self.lines_per_second:.0f} lines/s, "
                f"{self.mismatches} mismatches, {self.invalid_codes} invalid codes, "
                f"error {self.error} (SEED={self.seed})")


def stream_lines(lines, *, lanes: int = 64, codec="standard",
                 registered: bool = False, stall: float = 0.1, seed: int | None = None,
                 waves: bool = False, packet_lines: int = 256,
                 progress=None, impl: str = "rom", pipelined: bool = False,
                 build_dir=None, sim: str | None = None,
                 testbench: str = TESTBENCHES[0]) -> StreamResult:
    """Stream ``lines`` through the RTL of one engine variant with random stalls.

    Parameters
    ----------
    lines : array_like
        (n, 64) uint8 byte codes, e.g. ``golden.pack(trits).data.reshape(-1, 64)``.
    lanes, codec, registered, impl, pipelined
        The engine variant (see :class:`sim.runner.Variant`); ``codec`` is a name
        or a :class:`golden.Lut`.
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
    build_dir : path-like, optional
        Build root (default :func:`golden.fileio.build_root`).  The engine is built
        once per variant and simulator, in ``<build_dir>/sim/stream/<sim>_<variant>``,
        and reused while its sources do not change; each run works in a directory
        of its own beside it, removed unless waves were asked for or the run failed.
    sim : str, optional
        ``icarus`` or ``verilator`` (:data:`sim.runner.SIMULATORS`); default ``SIM``
        from the environment, else Icarus.
    testbench : str
        ``hdl`` (checks in Verilog, :func:`sim.hdlcheck.check_lines`; ``stall``
        is then the chance of a source idle and of a sink stall, each clock) or
        ``cocotb`` (:mod:`sim.stream_tests`).

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
    if testbench not in TESTBENCHES:
        raise ValueError(f"testbench must be one of {', '.join(TESTBENCHES)}, not "
                         f"{testbench!r}")
    if testbench == "hdl":
        from .hdlcheck import check_lines

        return check_lines(lines, lanes=lanes, codec=codec, registered=registered,
                           impl=impl, pipelined=pipelined, idle=stall, stall=stall,
                           seed=seed, packet_lines=packet_lines, sim=sim,
                           build_dir=build_dir, waves=waves, progress=progress)
    variant = Variant(lanes, codec, registered, impl=impl, pipelined=pipelined)
    sim = env_sim() if sim is None else check_sim(sim)
    seed = env_seed() if seed is None else int(seed)
    root = sim_root(build_dir) / "stream"
    root.mkdir(parents=True, exist_ok=True)
    engine_dir = root / f"{sim}_{variant.name}"
    work = Path(tempfile.mkdtemp(prefix=f"run_{sim}_{variant.name}_", dir=root))
    keep = waves  # and, below, a failed run: its logs are named in the errors
    try:
        np.save(work / "input.npy", lines)
        out, prog = work / "result.json", work / "progress"
        build(variant, engine_dir, waves=waves, sim=sim)
        env = {
            ENV_PREFIX + "INPUT": str(work / "input.npy"), ENV_PREFIX + "RESULT": str(out),
            ENV_PREFIX + "PROGRESS": str(prog),
            ENV_PREFIX + "STALL": str(int(round(stall * 100))),
            ENV_PREFIX + "PACKET": str(packet_lines),
        }
        done = threading.Event()
        watcher = threading.Thread(target=_watch, args=(prog, progress, done), daemon=True)
        if progress is not None:
            watcher.start()
        try:
            ran = run(variant, engine_dir, tests=["stream_run"], seed=seed, waves=waves,
                      env=env, test_module=_TEST_MODULE, test_dir=work)
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
