"""Regression jobs: one engine variant x seed x simulator, run here or on a cluster.

A :class:`Job` runs the cocotb regression of its variant (the protocol corners,
resets and 100 % of the coverage bins) and then its share of random lines
through the fast path (:func:`sim.hdlcheck.check_lines`), and writes into a
results directory of its own:

``results.xml``
    cocotb's JUnit results, plus a test case ``hdl_check`` for the fast path and
    one ``coverage`` for the merged coverage;
``coverage.json``
    the coverage of both (the format of :mod:`sim.coverage`);
``summary.json``
    lines, mismatches, failures and the command that reproduces the job.

``tritpack regress`` runs the jobs itself; ``tritpack regress --jobs-file FILE``
writes each as one self-contained shell command for GNU parallel, a Slurm array
or LSF, and ``tritpack regress merge DIR...`` (:func:`merge`) reads the
results directories back into one verdict.
"""

from __future__ import annotations

import json
import math
import shlex
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tritpack.golden.fileio import write_atomic

from .runner import Variant, build, regression_variants, run

__all__ = ["Job", "JobResult", "MergedVariant", "find_summaries", "jobs_for", "merge",
           "run_job", "variant_named"]

SUMMARY = "summary.json"
FORMAT = "tritpack-regress-job-1"


def variant_named(name: str) -> Variant:
    """The regression variant called ``name`` (:attr:`sim.runner.Variant.name`)."""
    variants = {v.name: v for v in regression_variants()}
    if name not in variants:
        raise ValueError(f"no regression variant {name!r}; expected one of "
                         f"{', '.join(variants)}")
    return variants[name]


@dataclass(frozen=True)
class Job:
    """One job: ``variant`` (a regression variant's name) x ``seed`` x ``sim``, with
    ``lines`` random lines through the fast path and the cocotb tests at ``scale``."""

    variant: str
    seed: int
    sim: str
    lines: int
    scale: float = 1.0

    @property
    def name(self) -> str:
        return f"{self.sim}_{self.variant}_seed{self.seed}"

    def argv(self, results: Path, build_dir: Path | None = None) -> list[str]:
        """The command line that runs this job alone, writing into ``results/<name>``."""
        argv = [sys.executable, "-m", "tritpack", "regress", "--variant", self.variant,
                "--seed", str(self.seed), "--min-seeds", "1", "--sim", self.sim,
                "--lines", str(self.lines), "--scale", f"{self.scale:g}", "--jobs", "1",
                "--no-progress", "--results", str(results)]
        if build_dir is not None:
            argv += ["--build-dir", str(build_dir)]
        return argv


def jobs_for(variants, seeds, sims, lines: int, scale: float) -> list[Job]:
    """The jobs of a regression of ``lines`` random lines in all, shared evenly."""
    variants, seeds, sims = list(variants), list(seeds), list(sims)
    n = len(variants) * len(seeds) * len(sims)
    share = max(1, math.ceil(lines / n))
    return [Job(v.name, s, sim, share, scale) for sim in sims for s in seeds for v in variants]


@dataclass
class JobResult:
    """What a job wrote into its ``summary.json``."""

    job: dict
    passed: bool
    lines: int = 0
    hdl_lines: int = 0
    cocotb_lines: int = 0
    mismatches: int = 0
    tests: int = 0
    failures: list = field(default_factory=list)
    coverage: list | None = None
    seconds: float = 0.0
    hdl_lines_per_second: float = 0.0
    reproduce: str = ""
    format: str = FORMAT


def run_job(job: Job, results: Path, build_dir=None, progress=None) -> JobResult:
    """Run ``job``; write its results into ``results`` (created; by convention
    ``<results root>/<job.name>``); return its summary.

    ``build_dir`` is the build root (:func:`sim.runner.sim_root`); ``progress`` is
    called with the fast-path lines handed to the simulator so far.
    """
    from .coverage import coverage_summary, merge_coverage_files, missing_bins_in
    from .hdlcheck import check_lines
    from .runner import COVERAGE_TEST, sim_root
    from .stimulus import random_stream

    t0 = time.time()
    results = Path(results).absolute()
    results.mkdir(parents=True, exist_ok=True)
    variant = variant_named(job.variant)
    root = sim_root(build_dir)
    reproduce = shlex.join(job.argv(results.parent))
    engine_dir = build(variant, root / "regress" / job.sim / variant.name, waves=False,
                       sim=job.sim)
    cocotb = run(variant, engine_dir, seed=job.seed, waves=False,
                 env={"TRITPACK_SCALE": f"{job.scale:g}"}, test_dir=results / "cocotb")
    hdl = check_lines(count=job.lines, chunks=random_stream(job.seed, job.lines, variant.codec),
                      lanes=variant.lanes, codec=variant.codec, registered=variant.registered,
                      impl=variant.impl, pipelined=variant.pipelined, seed=job.seed,
                      sim=job.sim, build_dir=build_dir, work_dir=results / "hdl",
                      coverage_file=results / "hdl" / "coverage.json", progress=progress)
    parts = [p for p in (cocotb.coverage_file, hdl.coverage_file) if p]
    coverage = None
    failures = [f"{t.name}: {_last_line(t.message)}" for t in cocotb.failed]
    if not cocotb.tests:
        failures.append(f"cocotb: no results (crashed?); see {', '.join(map(str, cocotb.logs))}")
    if not hdl.passed:
        failures.append("hdl_check: " + (hdl.errors[0] if hdl.errors else
                                         f"{hdl.mismatches} wrong transfers"))
    if parts:
        merged = merge_coverage_files(parts, results / "coverage.json")
        coverage = list(coverage_summary(merged))
        missing = missing_bins_in(merged)
        if missing:
            failures.append(f"coverage: {coverage[0]}/{coverage[1]} bins, uncovered: "
                            + ", ".join(missing))
    else:
        failures.append(f"coverage: no coverage was written (did {COVERAGE_TEST} run?)")
    _write_junit(results / "results.xml", results / "cocotb", job, hdl, failures)
    summary = JobResult(
        job=asdict(job), passed=not failures, lines=cocotb.lines + hdl.lines,
        hdl_lines=hdl.lines, cocotb_lines=cocotb.lines,
        mismatches=cocotb.mismatches + hdl.mismatches, tests=len(cocotb.tests) + 2,
        failures=failures, coverage=coverage, seconds=round(time.time() - t0, 1),
        hdl_lines_per_second=round(hdl.lines / max(hdl.sim_seconds, 1e-9)),
        reproduce=reproduce)
    write_atomic(results / SUMMARY, json.dumps(asdict(summary), indent=1) + "\n")
    return summary


def _last_line(text: str) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else "failed"


def _write_junit(path: Path, cocotb_dir: Path, job: Job, hdl, failures: list) -> None:
    """cocotb's JUnit results of the job, with test cases for the fast path and the
    coverage appended (one ``testsuites`` document)."""
    root = ET.Element("testsuites", name=job.name)
    for xml in sorted(cocotb_dir.glob("results_*.xml")):
        for suite in ET.parse(xml).getroot().iter("testsuite"):
            root.append(suite)
    suite = ET.SubElement(root, "testsuite", name=f"tritpack.regress.{job.name}")
    case = ET.SubElement(suite, "testcase", name="hdl_check", classname="tritpack.sim.hdlcheck",
                         time=f"{hdl.sim_seconds:.3f}")
    if not hdl.passed:
        msg = hdl.errors[0] if hdl.errors else f"{hdl.mismatches} wrong transfers"
        ET.SubElement(case, "failure", message=msg).text = "\n".join(hdl.errors)
    case = ET.SubElement(suite, "testcase", name="coverage", classname="tritpack.sim.coverage")
    bad = [f for f in failures if f.startswith("coverage")]
    if bad:
        ET.SubElement(case, "failure", message=bad[0])
    ET.indent(root)
    write_atomic(path, ET.tostring(root, encoding="unicode") + "\n")


# -- merge -------------------------------------------------------------------------------

def find_summaries(dirs) -> list[Path]:
    """The ``summary.json`` files under each of ``dirs`` (a results directory, or
    any directory holding some); ValueError for a path that is not a directory or
    holds none."""
    found = []
    for d in map(Path, dirs):
        if not d.is_dir():
            raise ValueError(f"{d}: not a directory (expected a results directory of "
                             "`tritpack regress --results` or a job of a jobs file)")
        here = sorted(d.rglob(SUMMARY))
        if not here:
            raise ValueError(f"{d}: no {SUMMARY} under it (did the job run?)")
        found += here
    return found


@dataclass
class MergedVariant:
    jobs: int = 0
    seeds: set = field(default_factory=set)
    sims: set = field(default_factory=set)
    lines: int = 0
    hdl_lines: int = 0
    mismatches: int = 0
    tests: int = 0
    failed: int = 0
    coverage: tuple | None = None


def merge(dirs, out: Path | None = None) -> tuple[bool, str, dict]:
    """Merge the results of jobs into one verdict.

    Returns (passed, report, per-variant figures).  The coverage of each variant
    is merged over its jobs (seeds and simulators); a variant passes when every
    job passed and its merged coverage is 100 %.  With ``out`` (a directory), the
    merged coverage of each variant is written there as ``<variant>.coverage.json``.
    """
    from .coverage import coverage_summary, merge_coverage_files, missing_bins_in

    per: dict[str, MergedVariant] = {}
    covfiles: dict[str, list] = {}
    failures, total = [], 0
    for path in find_summaries(dirs):
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT:
            raise ValueError(f"{path}: not a job summary of {FORMAT!r}")
        job = data["job"]
        m = per.setdefault(job["variant"], MergedVariant())
        m.jobs += 1
        m.seeds.add(job["seed"])
        m.sims.add(job["sim"])
        m.lines += data["lines"]
        m.hdl_lines += data["hdl_lines"]
        m.mismatches += data["mismatches"]
        m.tests += data["tests"]
        total += data["lines"]
        if not data["passed"]:
            m.failed += 1
            failures.append(f"{job['sim']} {job['variant']} seed {job['seed']}: "
                            f"{data['failures'][0] if data['failures'] else 'failed'}\n"
                            f"  reproduce: {data['reproduce']}")
        cov = path.parent / "coverage.json"
        if cov.is_file():
            covfiles.setdefault(job["variant"], []).append(cov)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for name, m in per.items():
            files = covfiles.get(name, [])
            if not files:
                failures.append(f"{name}: no coverage was written by any job")
                continue
            target = (out or Path(tmp)) / f"{name}.coverage.json"
            merged = merge_coverage_files(files, target)
            m.coverage = coverage_summary(merged)
            missing = missing_bins_in(merged)
            if missing:
                failures.append(f"{name}: merged coverage {m.coverage[0]}/{m.coverage[1]} "
                                f"bins, uncovered: {', '.join(missing)}")
    passed = not failures
    head = ("| variant | jobs | seeds | simulators | tests | lines (fast path) | coverage "
            "| mismatches | failed jobs |")
    rows = [head, "|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for name, m in sorted(per.items()):
        cov = (f"{100 * m.coverage[0] / m.coverage[1]:.1f} % ({m.coverage[0]}/{m.coverage[1]})"
               if m.coverage else "n/a")
        rows.append(f"| {name} | {m.jobs} | {len(m.seeds)} | {', '.join(sorted(m.sims))} | "
                    f"{m.tests} | {m.lines} ({m.hdl_lines}) | {cov} | {m.mismatches} | "
                    f"{m.failed} |")
    report = "\n".join(rows + ["", f"{sum(m.jobs for m in per.values())} jobs, {total} lines "
                               f"checked: {'PASS' if passed else 'FAIL'}"]
                       + [f"FAILED {f}" for f in failures])
    return passed, report, per
