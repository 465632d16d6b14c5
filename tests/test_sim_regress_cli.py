"""`tritpack regress` around the runner: the loop over seeds, the summary, and the
progress it shows (tqdm on a terminal, nothing when not on one).  The simulations
are replaced by fakes; tests/test_sim_regression.py runs the real ones."""

import sys
from pathlib import Path

import pytest

from tritpack.cli import main
from tritpack.sim import commands, runner
from tritpack.sim.runner import RunResult, TestResult, Variant


@pytest.fixture
def fake_sims(monkeypatch, tmp_path):
    """Two variants, each seed checks 600 lines; record the build roots used."""
    seen = []

    def build(v, build_dir, waves=None, sim=None):
        assert sim == "icarus"
        seen.append(build_dir)
        return build_dir

    def run(v, build_dir, seed=None, **kwargs):
        return RunResult(seed, build_dir, tests=[TestResult("t", True)], lines=600,
                         coverage=(10, 10))

    monkeypatch.setattr(commands, "_variants", lambda: [Variant(64), Variant(8)])
    monkeypatch.setattr(runner, "build", build)
    monkeypatch.setattr(runner, "run", run)
    monkeypatch.chdir(tmp_path)
    return seen


def test_regress_loops_over_seeds_until_enough_lines(fake_sims, capsys):
    assert main(["regress", "--lines", "2000", "--min-seeds", "1", "--seed", "7"]) == 0
    cap = capsys.readouterr()
    # 1200 lines per seed: two seeds for 2000 lines.
    assert "2400 lines over seeds 7..8" in cap.out
    assert "| lanes64_standard | 2 | 1200 | 2 | 100.0 % (10/10) | 0 | 0 |" in cap.out
    assert "build:" not in cap.err and "regress:" not in cap.err  # not a terminal: quiet
    assert [p.parts[-4:] for p in fake_sims] == [
        ("sim", "regress", "icarus", "lanes64_standard"), ("sim", "regress", "icarus",
                                                           "lanes8_standard")]
    assert fake_sims[0].is_relative_to(Path.cwd() / "build")


def test_regress_shows_progress_on_a_terminal(fake_sims, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert main(["regress", "--lines", "1000", "--min-seeds", "1", "--seed", "7",
                 "--build-dir", "b"]) == 0
    err = capsys.readouterr().err
    assert "build:" in err and "regress:" in err, err
    assert fake_sims[0].parts[-5:] == ("b", "sim", "regress", "icarus", "lanes64_standard")


def test_regress_seed_must_be_non_negative(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["regress", "--seed", "-3"])
    assert exc.value.code == 2
    assert "argument --seed: expected a non-negative integer" in capsys.readouterr().err
