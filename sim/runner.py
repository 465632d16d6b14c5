"""Build an engine variant with Icarus and run cocotb tests on it (``cocotb_tools.runner``).

* One build directory per caller (per pytest node: :func:`node_build_dir`), so
  ``pytest -n auto`` is safe; the Verilog is generated into it with
  :func:`hw.verilog.generate_verilog`.
* ``WAVES=1`` in the environment records an FST per test function
  (``<build_dir>/waves/<test>.fst``); for Icarus this is decided at build time.
* ``SEED=n`` reproduces a run exactly (cocotb derives each test's seed from it);
  without it a fresh seed is drawn, and every failure message names it.
"""

from __future__ import annotations

import os
import random
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from tritpack import golden

from .protocol import TESTBENCH_TOP, testbench_verilog

__all__ = [
    "BUILD_ROOT", "TOPLEVEL", "RunResult", "TestResult", "Variant", "build", "env_seed",
    "env_waves", "node_build_dir", "run",
]

ROOT = Path(__file__).resolve().parents[1]
BUILD_ROOT = ROOT / "build" / "sim"
ENGINE = "ternary_decoder"       # the generated engine ...
TOPLEVEL = TESTBENCH_TOP         # ... inside the testbench top with the protocol checkers
TEST_MODULE = "tritpack.sim.decoder_tests"
TIMESCALE = ("1ns", "1ps")


@dataclass(frozen=True)
class Variant:
    """One engine configuration: ``lanes``, ``codec``, ``registered``, and the
    FPGA options ``impl`` (lane decoder) and ``pipelined`` (output register)."""

    lanes: int = 64
    codec: str = "standard"
    registered: bool = False
    impl: str = "rom"
    pipelined: bool = False

    def __post_init__(self):
        if isinstance(self.lanes, bool) or self.lanes not in (1, 2, 4, 8, 16, 32, 64):
            raise ValueError(f"lanes must be one of 1, 2, 4, 8, 16, 32, 64, not {self.lanes!r}")
        if self.codec not in golden.CODEC_NAMES:
            raise ValueError(f"unknown codec {self.codec!r}; expected one of "
                             f"{', '.join(golden.CODEC_NAMES)}")

    @property
    def name(self) -> str:
        return (f"lanes{self.lanes}_{self.codec}"
                + ("_registered" if self.registered else "")
                + ("" if self.impl == "rom" else f"_{self.impl}")
                + ("_pipelined" if self.pipelined else ""))

    def verilog(self) -> str:
        from tritpack.hw.verilog import generate_verilog

        return generate_verilog(lanes=self.lanes, codec=self.codec,
                                registered=self.registered, module_name=ENGINE,
                                impl=self.impl, pipelined=self.pipelined)

    def env(self) -> dict[str, str]:
        """What the cocotb side needs to know and cannot read from the Verilog."""
        from tritpack.hw.decoder import engine_capacity, engine_latency

        return {"TRITPACK_CODEC": self.codec,
                "TRITPACK_LATENCY": str(engine_latency(self.pipelined)),
                "TRITPACK_CAPACITY": str(engine_capacity(self.registered, self.pipelined))}


def regression_variants() -> list[Variant]:
    """The engine variants of the regression (CI-sized and `tritpack regress`):
    lanes 64, 8, 1 with both codecs; the registered engine; and the FPGA options
    (``impl="arith"``, ``pipelined``) alone and combined."""
    out = [Variant(lanes, codec) for codec in golden.CODEC_NAMES for lanes in (64, 8, 1)]
    out += [Variant(lanes, "standard", registered=True) for lanes in (64, 8, 1)]
    out += [
        Variant(64, "standard", impl="arith"),
        Variant(8, "tq1", impl="arith", pipelined=True),
        Variant(64, "standard", registered=True, pipelined=True),
    ]
    return out


@dataclass
class TestResult:
    name: str
    passed: bool
    message: str = ""


@dataclass
class RunResult:
    """The outcome of one simulation (one ``vvp`` run per test function with waves).

    Members
    -------
    seed : int
        The ``SEED`` that reproduces it.
    tests : list of TestResult
    build_dir : Path
    logs : list of Path
    waves : list of Path
    """

    seed: int
    build_dir: Path
    tests: list = field(default_factory=list)
    logs: list = field(default_factory=list)
    waves: list = field(default_factory=list)

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
        return int(text)
    except ValueError:
        raise ValueError(f"SEED must be an integer, not {text!r}") from None


def env_waves() -> bool:
    return os.environ.get("WAVES", "0").strip().lower() in ("1", "yes", "true", "on")


def node_build_dir(name: str) -> Path:
    """A build directory of its own for a pytest node (or any other caller)."""
    return BUILD_ROOT / re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")


def _runner():
    from cocotb_tools.runner import get_runner

    return get_runner("icarus")


def build(variant: Variant, build_dir: Path, *, verilog: str | None = None,
          waves: bool | None = None) -> Path:
    """Generate ``variant``'s Verilog (or take ``verilog``, which must define the module
    ``ternary_decoder``), add the testbench top and compile both with Icarus.

    Returns the build directory.  ``waves`` defaults to ``WAVES`` from the environment.
    """
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    sources = [build_dir / f"{ENGINE}.v", build_dir / f"{TOPLEVEL}.v"]
    texts = [variant.verilog() if verilog is None else verilog,
             testbench_verilog(variant.lanes, ENGINE)]
    for path, text in zip(sources, texts, strict=True):
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(path)
    _runner().build(
        sources=sources, hdl_toplevel=TOPLEVEL, build_dir=build_dir, always=True,
        timescale=TIMESCALE, waves=env_waves() if waves is None else waves,
        log_file=build_dir / "build.log",
    )
    return build_dir


def run(variant: Variant, build_dir: Path, *, tests=None, seed: int | None = None,
        waves: bool | None = None, env: dict | None = None,
        test_module: str = TEST_MODULE) -> RunResult:
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
    """
    build_dir = Path(build_dir)
    seed = env_seed() if seed is None else seed
    waves = env_waves() if waves is None else waves
    result = RunResult(seed, build_dir)
    # cocotb's default for Icarus applies writes at once, so a driver that samples
    # after another one has written sees a combinational path (the engine's
    # m_axis_tready -> s_axis_tready) already updated: a race.  Deferred writes
    # make every driver sample the values of the clock edge itself.
    full_env = {"COCOTB_TRUST_INERTIAL_WRITES": "0", **variant.env(), **(env or {})}
    if waves:
        if tests is None:
            mod = __import__(test_module, fromlist=["TESTS"])
            tests = list(mod.TESTS)
        groups = [[t] for t in tests]
    else:
        groups = [tests]
    for group in groups:
        tag = "all" if group is None else re.sub(r"[^A-Za-z0-9_.-]+", "_", "_".join(group))
        log = build_dir / f"sim_{tag}.log"
        xml = build_dir / f"results_{tag}.xml"
        plusargs = []
        if waves:
            wave = build_dir / "waves" / f"{tag}.fst"
            wave.parent.mkdir(exist_ok=True)
            plusargs.append(f"+dumpfile_path={wave}")
            result.waves.append(wave)
        xml.unlink(missing_ok=True)
        test_filter = None if group is None else \
            r"\.(" + "|".join(re.escape(t) for t in group) + r")(/.*)?$"
        try:
            _runner().test(
                test_module=test_module, hdl_toplevel=TOPLEVEL, hdl_toplevel_lang="verilog",
                build_dir=build_dir,
                test_filter=test_filter, seed=seed, plusargs=plusargs, extra_env=full_env,
                waves=waves, results_xml=str(xml), log_file=log,
            )
        except (SystemExit, RuntimeError):
            pass  # the runner exits on failures under pytest; the XML says what failed
        result.logs.append(log)
        result.tests.extend(_parse_results(xml))
    return result


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
