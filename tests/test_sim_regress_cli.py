"""`tritpack regress`: jobs (variant x seed x simulator), their results directories,
the jobs file a cluster runs and `regress merge`.  The CLI tests replace the jobs by
fakes; the round trip at the end runs real ones through `xargs -P 2`."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tritpack.cli import main
from tritpack.sim import jobs
from tritpack.sim.coverage import write_items


def _fake_result_dir(job, results, passed=True, covered=True):
    results.mkdir(parents=True, exist_ok=True)
    write_items({"decoder.x": {"at_least": 1, "weight": 1,
                               "bins": {"a": 1, "b": int(covered)}}},
                results / "coverage.json")
    summary = jobs.JobResult(job=job.__dict__, passed=passed, lines=job.lines + 100,
                             hdl_lines=job.lines, cocotb_lines=100, tests=3,
                             failures=[] if passed else ["hdl_check: scoreboard: wrong"],
                             reproduce=" ".join(job.argv(results.parent)))
    (results / jobs.SUMMARY).write_text(json.dumps(summary.__dict__))
    return summary


@pytest.fixture
def fake_jobs(monkeypatch, tmp_path):
    """Jobs that write a results directory without simulating; record them."""
    ran = []

    def run_job(job, results, build_dir=None, progress=None):
        ran.append((job, Path(results), build_dir))
        if progress:
            progress(job.lines)
        return _fake_result_dir(job, Path(results))

    monkeypatch.setattr(jobs, "run_job", run_job)
    monkeypatch.chdir(tmp_path)
    return ran


def test_regress_runs_one_job_per_variant_seed_and_simulator(fake_jobs, capsys):
    assert main(["regress", "--lines", "2000", "--min-seeds", "2", "--seed", "7",
                 "--variant", "lanes64_standard", "--variant", "lanes8_standard"]) == 0
    cap = capsys.readouterr()
    names = sorted(j.name for j, _, _ in fake_jobs)
    assert names == ["icarus_lanes64_standard_seed7", "icarus_lanes64_standard_seed8",
                     "icarus_lanes8_standard_seed7", "icarus_lanes8_standard_seed8"]
    assert {j.lines for j, _, _ in fake_jobs} == {500}          # 2000 lines shared by 4
    assert all(r == Path.cwd() / "build" / "regress" / "results" / j.name
               for j, r, _ in fake_jobs)
    assert "| lanes64_standard | 2 | 2 | icarus | 6 | 1200 (1000) | 100.0 % (2/2) | 0 | 0 |" \
        in cap.out, cap.out
    assert "4 jobs, 2400 lines checked: PASS" in cap.out
    assert "regress:" not in cap.err  # not a terminal: no progress bar


def test_regress_shows_progress_on_a_terminal(fake_jobs, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert main(["regress", "--lines", "1000", "--min-seeds", "1", "--seed", "7",
                 "--variant", "lanes1_tq1", "--build-dir", "b"]) == 0
    assert "regress:" in capsys.readouterr().err
    job, results, build_dir = fake_jobs[0]
    assert build_dir == "b" and results == Path.cwd() / "b" / "regress" / "results" / job.name


def test_both_simulators(fake_jobs, capsys):
    assert main(["regress", "--lines", "10", "--min-seeds", "1", "--seed", "1",
                 "--variant", "lanes8_standard", "--sim", "icarus,verilator"]) == 0
    assert sorted(j.sim for j, _, _ in fake_jobs) == ["icarus", "verilator"]
    assert "| lanes8_standard | 2 | 1 | icarus, verilator |" in capsys.readouterr().out


@pytest.mark.parametrize("argv, expected", [
    (["--seed", "-3"], "argument --seed: expected a non-negative integer"),
    (["--sim", "modelsim"], "argument --sim: expected icarus or verilator"),
    (["--variant", "lanes3_standard"], "--variant: no regression variant 'lanes3_standard'"),
    (["--lines", "0"], "must be positive"),
    (["merge"], "the following arguments are required: DIR"),
    (["merge", "nowhere"], "nowhere: not a directory"),
    (["--lines", "5", "extra"], "unrecognized arguments: extra"),
])
def test_user_errors(argv, expected, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        status = main(["regress", *argv])
    except SystemExit as exc:  # argparse's own errors
        status = exc.code
    assert status == 2
    assert expected in capsys.readouterr().err


def test_a_failed_job_and_a_coverage_hole_fail_the_merge(tmp_path, capsys):
    a = jobs.Job("lanes8_standard", 1, "icarus", 10)
    b = jobs.Job("lanes8_standard", 2, "icarus", 10)
    c = jobs.Job("lanes64_standard", 1, "icarus", 10)
    _fake_result_dir(a, tmp_path / a.name)
    _fake_result_dir(b, tmp_path / b.name, passed=False)
    _fake_result_dir(c, tmp_path / c.name, covered=False)
    assert main(["regress", "merge", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "3 jobs, 330 lines checked: FAIL" in out
    assert "FAILED icarus lanes8_standard seed 2: hdl_check: scoreboard: wrong" in out
    assert "reproduce: " in out and "--variant lanes8_standard --seed 2" in out
    assert "FAILED lanes64_standard: merged coverage 1/2 bins, uncovered: decoder.x: b" in out
    # the good one alone passes; coverage holes of one seed are filled by another
    assert main(["regress", "merge", str(tmp_path / a.name)]) == 0


def test_the_jobs_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["regress", "--jobs-file", "jobs.txt", "--lines", "300", "--min-seeds", "3",
                 "--seed", "5", "--variant", "lanes8_standard", "--sim",
                 "icarus,verilator"]) == 0
    lines = (tmp_path / "jobs.txt").read_text().splitlines()
    assert len(lines) == 6  # 1 variant x 3 seeds x 2 simulators
    assert all(line.startswith(f"cd {tmp_path} && {sys.executable} -m tritpack regress ")
               for line in lines)
    assert "--variant lanes8_standard --seed 7 --min-seeds 1 --sim verilator --lines 50" \
        in "\n".join(lines)
    results = tmp_path / "build" / "regress" / "results"
    assert f"--results {results} --build-dir " \
        f"{results}/verilator_lanes8_standard_seed7/build" in "\n".join(lines)
    assert f"tritpack regress merge {results}" in capsys.readouterr().out
    assert main(["regress", "--jobs-file", "jobs.txt"]) == 2  # an existing file needs --force
    assert "exists" in capsys.readouterr().err


@pytest.mark.needs_iverilog
def test_a_jobs_file_runs_with_xargs_and_merges(tmp_path):
    """The real thing: two jobs run by `xargs -P 2`, each a regression of its own."""
    jobs_file, results = tmp_path / "jobs.txt", tmp_path / "results"
    assert main(["regress", "--jobs-file", str(jobs_file), "--lines", "2000",
                 "--min-seeds", "1", "--seed", "3", "--variant", "lanes8_standard",
                 "--variant", "lanes1_tq1", "--results", str(results)]) == 0
    run = subprocess.run(["xargs", "-d", "\n", "-n", "1", "-P", "2", "sh", "-c"],
                         stdin=jobs_file.open(), capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    for name in ("icarus_lanes8_standard_seed3", "icarus_lanes1_tq1_seed3"):
        job = results / name
        summary = json.loads((job / "summary.json").read_text())
        assert summary["passed"] and summary["hdl_lines"] == 1000, summary
        suites = (job / "results.xml").read_text()
        assert 'name="hdl_check"' in suites and 'name="exhaustive_codes"' in suites
        assert (job / "build" / "sim").is_dir()  # its own build
    merged = subprocess.run([sys.executable, "-m", "tritpack", "regress", "merge",
                             str(results), "-o", str(tmp_path / "merged")],
                            capture_output=True, text=True)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "2 jobs," in merged.stdout and "PASS" in merged.stdout
    assert "| lanes1_tq1 | 1 | 1 | icarus |" in merged.stdout
    assert (tmp_path / "merged" / "lanes8_standard.coverage.json").is_file()
