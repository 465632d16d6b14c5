"""CI-sized RTL regression: the cocotb tests of sim/decoder_tests.py on Icarus.

One pytest node per engine variant: one Icarus build, then every cocotb test
(about 35, parametrisations included) in one simulation, ending with the
functional coverage report, which must be at 100 %.  ``SEED=n`` reproduces a
run, ``WAVES=1`` records an FST per test function under the node's build dir.
"""

import pytest

from tritpack.sim.coverage import coverage_summary
from tritpack.sim.runner import build, node_build_dir, regression_variants, run

VARIANTS = regression_variants()


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_rtl_regression(variant, request):
    build_dir = node_build_dir(request.node.nodeid)
    build(variant, build_dir)
    coverage_file = build_dir / "coverage.yml"
    coverage_file.unlink(missing_ok=True)
    result = run(variant, build_dir, env={
        "TRITPACK_COVERAGE_FILE": str(coverage_file), "TRITPACK_REQUIRE_COVERAGE": "1"})
    result.check()
    covered, total = coverage_summary(coverage_file)
    assert covered == total, f"coverage {covered}/{total} bins (SEED={result.seed})"
