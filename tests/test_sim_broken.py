"""The regression's checks can fail: broken engines must be caught.

Each mutant wraps the generated engine (renamed ``ternary_decoder_core``) in a
``ternary_decoder`` module that breaks one thing; one short cocotb test runs on
it and must fail with the expected message.
"""

import pytest

from tritpack.hw.verilog import generate_verilog
from tritpack.sim.runner import Variant, build, node_build_dir, run

from utils import mutant_engine

LANES = 8
W = 10 * LANES

# name: (what is broken, the cocotb test that must fail, text its failure must contain)
MUTANTS = {
    "lane_flip": (dict(tdata=f"c_tdata ^ ({W}'d1 << 30)"), "exhaustive_codes",
                  "lanes [3] differ"),
    "ready_dropped": (dict(s_tready="1'b1"), "throughput", "lost data"),
    "valid_not_held": (dict(tvalid="c_tvalid & (m_axis_tready | toggle)"),
                       "random_lines/idle=none/backpressure=random_50",
                       "m_axis_tvalid: dropped while tready was low"),
    "data_not_held": (dict(tdata=f"c_tdata ^ {{{W}{{~m_axis_tready & toggle}}}}"),
                      "random_lines/idle=none/backpressure=random_50",
                      "m_axis_tdata: changed while tvalid high and tready low"),
    "tuser_stuck_low": (dict(tuser="1'b0"), "invalid_codes", "tuser 0, expected 1"),
    "error_not_sticky": (dict(error="c_error & m_axis_tvalid"), "invalid_codes",
                         "without a reset (it must be sticky)"),
    "valid_after_reset": (dict(tvalid="c_tvalid | rst_q"), "throughput",
                          "m_axis_tvalid: high during reset or on the first clock after it"),
    "reset_ignored": (dict(core_rst="1'b0"), "reset_mid_stream/phase=mid_packet",
                      "m_axis_tvalid: high during reset"),
    # A 4-state rule: Icarus catches it, Verilator (2-state) cannot.
    "tdata_x": (dict(tdata=f"c_tdata ^ {{{W}{{1'bx}}}}"), "throughput",
                "m_axis_tdata: has X or Z bits while tvalid is high"),
}


@pytest.fixture(scope="module")
def core_verilog():
    return generate_verilog(lanes=LANES, module_name="ternary_decoder_core")


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_broken_engine_is_caught(mutant, core_verilog, request):
    change, test, expected = MUTANTS[mutant]
    wrapper = mutant_engine(LANES, change)
    variant = Variant(LANES, "standard")
    build_dir = node_build_dir(request.node.nodeid)
    build(variant, build_dir, verilog=core_verilog + wrapper, waves=False)
    result = run(variant, build_dir, tests=[test], waves=False)
    assert result.tests, f"no test ran: {result.summary()}"
    assert not result.passed, f"mutant {mutant} was not caught by {test}"
    messages = " | ".join(t.message for t in result.failed)
    assert expected in messages, f"mutant {mutant} failed for another reason: {messages}"


def test_correct_wrapper_passes(core_verilog, request):
    """The wrapper itself, with nothing broken, passes the same tests."""
    wrapper = mutant_engine(LANES, {})
    variant = Variant(LANES, "standard")
    build_dir = node_build_dir(request.node.nodeid)
    build(variant, build_dir, verilog=core_verilog + wrapper, waves=False)
    tests = sorted({t for _, t, _ in MUTANTS.values()})
    run(variant, build_dir, tests=tests, waves=False).check()
