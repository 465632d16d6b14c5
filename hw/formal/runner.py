"""Run the formal proofs of the decode engine with SymbiYosys from PyPI.

Each :class:`Job` turns a harness of :mod:`.properties` into RTLIL, writes an
``.sby`` file under ``build/formal/<job>/`` (:func:`golden.fileio.build_root`)
and runs ``yowasp-sby`` with the ``smtbmc z3`` engine.  The log is parsed into
a :class:`Result`: PASS/FAIL, the depth checked, the induction length, the
properties that failed, the time.

``python -m tritpack.hw.formal [--quick] [--jobs N] [-k TEXT]`` runs every proof, cover
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

from tritpack import golden
from tritpack.golden.fileio import build_root

from .. import tools
from ..lanes import IMPLS, REGISTRY, impls_for
from .properties import CHECKS, MUTANTS, DecoderHarness, LaneHarness

__all__ = ["DEPTH", "SPLIT_MUTANTS", "Job", "Result", "all_jobs", "main", "quick_jobs", "run"]

#: Bounded depth of the proofs; k-induction looks back as far.
DEPTH = 20

#: Mutants also run on the split decoder (the others need a ROM or prove nothing new).
SPLIT_MUTANTS = ("stall_glitch", "o_ready_ignored", "i_ready_ignored", "drop_beat", "dup_beat",
                 "lanes_swapped", "last_every_beat", "invalid_masked", "error_early")

#: Instances proved: (lanes, registered); each with every codec.
INSTANCES = [(lanes, registered) for lanes in (1, 2) for registered in (False, True)]

_MODES = ("prove", "bmc", "cover")


@dataclass(frozen=True)
class Job:
    """One SymbiYosys run.

    Parameters
    ----------
    prop : str
        A group of :data:`.properties.CHECKS`, ``"cover"`` or ``"lane"``.
    lanes, codec, registered
        The engine instance.
    mode : str
        ``"prove"`` (bounded check plus k-induction), ``"bmc"`` or ``"cover"``.
    depth : int
        Steps of the bounded check (and the longest induction tried).
    mutant : str, optional
        A key of :data:`.properties.MUTANTS`: the job must then FAIL.
    pipelined : bool
        Check the engine with its output register stage (latency 2).
    impl : str
        Lane decoder implementation of the engine (:data:`tritpack.hw.lanes.IMPLS`).
    split : bool
        Force the engine's split lane decoder (``split=True``, pipelined
        ``arith``), which it only chooses by itself at 64 lanes.
    """

    prop: str
    lanes: int
    codec: str
    registered: bool
    mode: str = "prove"
    depth: int = DEPTH
    mutant: str | None = None
    pipelined: bool = False
    impl: str = "rom"
    split: bool = False

    def __post_init__(self):
        if self.prop not in (*CHECKS, "cover", "lane"):
            raise ValueError(f"prop must be one of {', '.join(CHECKS)}, cover, lane, "
                             f"not {self.prop!r}")
        if self.mode not in _MODES:
            raise ValueError(f"mode must be one of {', '.join(_MODES)}, not {self.mode!r}")
        if self.codec not in golden.CODEC_NAMES:
            raise ValueError(f"codec must be one of {', '.join(golden.CODEC_NAMES)}, "
                             f"not {self.codec!r}")
        if self.impl not in IMPLS:
            raise ValueError(f"impl must be one of {', '.join(IMPLS)}, not {self.impl!r}")
        if REGISTRY[self.impl].pipelined_only and (self.prop == "lane" or not self.pipelined):
            raise ValueError(f"impl {self.impl!r} is proved in the pipelined engine only, "
                             f"not in {'a lane job' if self.prop == 'lane' else 'this one'}")
        if self.mutant is not None and self.mutant not in MUTANTS:
            raise ValueError(f"mutant must be one of {', '.join(MUTANTS)}, not {self.mutant!r}")

    @property
    def instance(self) -> str:
        reg = "reg" if self.registered else "unreg"
        pipe = "-pipe" if self.pipelined else ""
        impl = "" if self.impl == IMPLS[0] else f"-{self.impl}"
        split = "-split" if self.split else ""
        return f"L{self.lanes}-{self.codec}-{reg}{pipe}{impl}{split}"

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
            return LaneHarness(self.lanes, self.codec, mutant=self.mutant is not None,
                               impl=self.impl)
        if self.prop == "cover":
            return DecoderHarness(self.lanes, self.codec, self.registered, checks=(),
                                  covers=True, mutant=self.mutant, pipelined=self.pipelined,
                                  impl=self.impl, split=self.split or None)
        # Lemmas only serve induction and slow the bounded check down.  Mutants are
        # checked without them, so a check on the ports must be what catches them.
        lemmas = self.mode == "prove" and self.mutant is None
        return DecoderHarness(self.lanes, self.codec, self.registered, checks=(self.prop,),
                              lemmas=lemmas, mutant=self.mutant, pipelined=self.pipelined,
                              impl=self.impl, split=self.split or None)


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
        if self.status != "PASS":
            what = "; ".join(self.failed) or "?"
            where = f"cex step {self.fail_step}" if self.fail_step is not None else "no cex"
            return f"{where}: {what}"
        parts = []
        if self.basecase is not None:
            parts.append(f"depth {self.basecase}")
        if self.induction is not None:
            parts.append(f"k-induction k={self.induction}")
        return ", ".join(parts) or "-"


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
    if "TIMEOUT after" in log:
        status = "TIMEOUT"
    out = {"status": status, "failed": [], "reached": []}
    # The bounded check's process is "engine_0" (bmc, cover) or "engine_0.basecase" (prove).
    base = r"engine_0(?:\.basecase)?: ##\s+\S+\s+"
    steps = [int(s) for s in re.findall(base + r"Checking assertions in step (\d+)", log)]
    if steps and status == "PASS" and job.mode != "cover":
        out["basecase"] = max(steps) + 1
    if job.mode == "prove" and "Temporal induction successful" in log:
        tried = re.findall(r"induction: .*Trying induction in step (\d+)", log)
        # smtbmc works back from the last step; k steps of transition were needed.
        out["induction"] = max(1, job.depth - int(tried[-1])) if tried else 1
    if re.search(base + r"BMC failed!", log) and steps:
        out["fail_step"] = max(steps)
    failed_re = r"(engine_0\S*): .*Assert failed in \S+: .*\((?:\S*\.)?(check_\d+)\)"
    for proc, witness in re.findall(failed_re, log):
        name = names.get(witness, witness)
        if proc.endswith("induction"):
            name = f"induction: {name}"
        if name not in out["failed"]:
            out["failed"].append(name)
    # From the engine's lines: sby's summary lists only the first five traces.
    for step, witness in re.findall(
            r"Reached cover statement in step (\d+) at .*\((?:\S*\.)?(check_\d+)\)", log):
        out["reached"].append(f"{names.get(witness, witness).removeprefix('cover: ')}@{step}")
    for witness in re.findall(r"unreached cover statement \S*?(check_\d+)", log):
        out["failed"].append(names.get(witness, witness))
    return out


def run(job: Job, build_dir: Path | None = None, timeout: float = 1800) -> Result:
    """Run one job; its files go to ``build_dir / job.name`` (default under
    :func:`golden.fileio.build_root`)."""
    sby, env = tools.sby()
    workdir = Path(build_dir or build_root("formal")) / job.name
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    il = rtlil.convert(job.harness(), platform="formal", ports=[])
    (workdir / "design.il").write_text(il)
    (workdir / "job.sby").write_text(_sby_text(job))
    start = time.monotonic()
    # A session of its own, so that a timeout ends sby with its solver processes.
    proc = subprocess.Popen(
        [*sby, "-f", "job.sby"], cwd=workdir, env=env,
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


def _instances():
    for pipelined in (False, True):
        for lanes, registered in INSTANCES:
            for codec in golden.CODEC_NAMES:
                yield lanes, codec, registered, pipelined


def all_jobs(depth: int = DEPTH) -> list[Job]:
    """Every proof, cover, lane check and mutant of ``make formal``."""
    jobs = []
    for lanes, codec, registered, pipelined in _instances():
        for prop in CHECKS:
            jobs.append(Job(prop, lanes, codec, registered, "prove", depth, pipelined=pipelined))
        # Deep enough for a whole line of the narrowest engine, then the next line.
        cover_depth = golden.LINE_BYTES // lanes + 4 + pipelined
        jobs.append(Job("cover", lanes, codec, registered, "cover", cover_depth,
                        pipelined=pipelined))
    for codec in golden.CODEC_NAMES:
        for impl in impls_for(pipelined=False):  # a synchronous table is not a LaneDecoder
            jobs.append(Job("lane", 2, codec, False, "prove", 2, impl=impl))
        jobs.append(Job("lane", 2, codec, False, "bmc", 1, mutant="lut_entry"))
    # The stream logic does not depend on the lane decoder; one arith engine, whole.
    for prop in CHECKS:
        jobs.append(Job(prop, 2, "tq1", False, "prove", depth, pipelined=True, impl="arith"))
    # The split decoder (its own at 64 lanes), forced at 2 lanes: both codecs,
    # unregistered and registered, a cover, and mutants of its stream logic.
    for codec, registered in (("tq1", False), ("standard", True)):
        for prop in CHECKS:
            jobs.append(Job(prop, 2, codec, registered, "prove", depth, pipelined=True,
                            impl="arith", split=True))
    jobs.append(Job("cover", 2, "standard", False, "cover", golden.LINE_BYTES // 2 + 5,
                    pipelined=True, impl="arith", split=True))
    for mutant in SPLIT_MUTANTS:
        jobs.append(Job(MUTANTS[mutant][1], 2, "standard", False, "bmc", 10, mutant=mutant,
                        pipelined=True, impl="arith", split=True))
    # The block-RAM lanes, pipelined only: their read registers are the output
    # register, so the stream logic around them is proved again, with the table
    # (proved nowhere else for them, and the `lut_entry` mutant caught).
    for codec, registered in (("standard", False), ("tq1", True)):
        for prop in CHECKS:
            jobs.append(Job(prop, 2, codec, registered, "prove", depth, pipelined=True,
                            impl="bram"))
    jobs.append(Job("cover", 2, "standard", False, "cover", golden.LINE_BYTES // 2 + 5,
                    pipelined=True, impl="bram"))
    for mutant in (*SPLIT_MUTANTS, "lut_entry"):
        jobs.append(Job(MUTANTS[mutant][1], 2, "standard", False, "bmc", 10, mutant=mutant,
                        pipelined=True, impl="bram"))
    for mutant, (_, prop) in MUTANTS.items():
        # Without a skid buffer, i.ready only rises once a whole line is out.
        mutant_depth = golden.LINE_BYTES // 2 + 4 if prop == "ready" else 10
        for pipelined in (False, True):
            for registered in (False, True):
                jobs.append(Job(prop, 2, "standard", registered, "bmc", mutant_depth,
                                mutant=mutant, pipelined=pipelined))
    return jobs


def quick_jobs() -> list[Job]:
    """A subset for ``make test``: each check once, both latencies, a cover, a few mutants,
    two jobs of the block-RAM engine."""
    return [
        Job("output", 2, "standard", True, "prove", DEPTH),
        Job("reset", 1, "tq1", False, "prove", DEPTH),
        Job("ready", 1, "standard", True, "prove", DEPTH),
        Job("ready", 2, "tq1", False, "prove", DEPTH, pipelined=True),
        Job("count", 2, "tq1", True, "prove", DEPTH, pipelined=True),
        Job("data", 1, "standard", False, "prove", DEPTH),
        Job("error", 2, "tq1", False, "prove", DEPTH, pipelined=True),
        Job("error", 2, "standard", False, "prove", DEPTH, pipelined=True, impl="bram"),
        Job("lane", 2, "tq1", False, "prove", 2),
        Job("cover", 2, "standard", False, "cover", golden.LINE_BYTES // 2 + 4),
        Job("lane", 2, "standard", False, "bmc", 1, mutant="lut_entry"),
        Job("output", 2, "standard", False, "bmc", 6, mutant="stall_glitch", pipelined=True),
        Job("output", 2, "standard", False, "bmc", 6, mutant="o_ready_ignored", pipelined=True,
            impl="bram"),
        Job("ready", 2, "standard", True, "bmc", 8, mutant="ready_stutter"),
        Job("count", 2, "standard", True, "bmc", 10, mutant="i_ready_ignored", pipelined=True),
        Job("data", 2, "standard", False, "bmc", 6, mutant="dup_beat"),
        Job("error", 2, "standard", False, "bmc", 8, mutant="error_not_sticky"),
        Job("reset", 2, "standard", True, "bmc", 8, mutant="no_reset"),
    ]


def _table(results) -> str:
    rows = [("property", "instance", "mode", "mutant", "result", "depth / induction / covers",
             "time")]
    for r in results:
        verdict = ("caught" if r.ok else "SURVIVED") if r.job.mutant else r.status
        rows.append((r.job.prop, r.job.instance, r.job.mode, r.job.mutant or "-", verdict,
                     r.summary(), f"{r.seconds:.1f} s"))
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv=None) -> int:
    """``python -m tritpack.hw.formal``: run the proofs and print the table."""
    parser = argparse.ArgumentParser(prog="python -m tritpack.hw.formal",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the subset of make test")
    parser.add_argument("--jobs", type=int, default=1, help="SymbiYosys runs at once (default 1)")
    parser.add_argument("-k", dest="select", default="", help="only jobs whose name contains this")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per job")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, not {args.jobs}")
    jobs = [j for j in (quick_jobs() if args.quick else all_jobs()) if args.select in j.name]
    if not jobs:
        parser.error(f"no job name contains {args.select!r}")
    results = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for result in pool.map(lambda j: run(j, timeout=args.timeout), jobs):
            results.append(result)
            print(f"{result.job.name}: {'ok' if result.ok else 'NOT OK'} ({result.seconds:.1f} s)",
                  file=sys.stderr, flush=True)
    print(_table(results))
    bad = [r for r in results if not r.ok]
    print(f"\n{len(results) - len(bad)}/{len(results)} jobs ok; logs under {build_root('formal')}/")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
