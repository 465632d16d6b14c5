"""Verilator lint of the generated engine (the full matrix is `python -m tritpack.hw.fpga.lint`)."""


import pytest

from tritpack import golden
from tritpack.hw.fpga.designs import ENGINE_TOP
from tritpack.hw.fpga.lint import configurations, lint_verilog, main
from tritpack.hw.lanes import IMPLS, impls_for
from tritpack.hw.verilog import generate_verilog

pytestmark = pytest.mark.needs_verilator


@pytest.mark.parametrize("registered", [False, True])
@pytest.mark.parametrize("impl", impls_for(pipelined=False))
@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
def test_lanes_1_every_option_is_lint_clean(codec, impl, registered):
    assert lint_verilog(generate_verilog(1, codec, registered, ENGINE_TOP, impl=impl),
                        ENGINE_TOP) == []


@pytest.mark.parametrize("impl", IMPLS)
def test_lanes_8_is_lint_clean(impl):
    pipelined = impl not in impls_for(pipelined=False)
    text = generate_verilog(8, "tq1", True, ENGINE_TOP, impl=impl, pipelined=pipelined)
    assert lint_verilog(text, ENGINE_TOP) == []


def test_lint_reports_a_warning():
    text = "module m (input wire [1:0] a, output wire y);\n  assign y = a;\nendmodule\n"
    messages = lint_verilog(text, "m")
    assert any("WIDTH" in m for m in messages), messages


def test_matrix_covers_every_option():
    combos = configurations((1, 8, 64))
    # Every impl pipelined, the combinational ones also not.
    impls = len(impls_for(pipelined=True)) + len(impls_for(pipelined=False))
    assert len(combos) == len(set(combos)) == 3 * len(golden.CODEC_NAMES) * 2 * impls
    assert {c[3] for c in combos} == set(IMPLS) and "bram" in IMPLS
    assert {c[4] for c in combos} == {False, True}  # pipelined
    assert ("bram", False) not in {(c[3], c[4]) for c in combos}


def test_main_on_lanes_1(capsys):
    assert main(["--lanes", "1"]) == 0
    assert "configurations clean" in capsys.readouterr().out
