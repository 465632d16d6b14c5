"""The generated plain-Verilog testbench under Icarus (issue 5).

Each vectors directory is compiled exactly as a hardware engineer would:
``iverilog -g2005 -o tb DIR/*.v && vvp tb``, from inside DIR and from outside
with ``+vectors=DIR``.  Mismatches are planted in the files (and in the engine,
through small wrapper modules) to see the testbench fail for the right reason.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tritpack import golden
from tritpack.cli import main

pytestmark = pytest.mark.needs_iverilog

LINES = 120
_CACHE: dict = {}


def vectors_dir(tmp_path_factory, lanes: int, codec: str, lines: int = LINES,
                *extra: str) -> Path:
    """Generate (once per session) a vectors directory."""
    key = (lanes, codec, lines, extra)
    if key not in _CACHE:
        out = tmp_path_factory.mktemp("vec") / f"l{lanes}_{codec}"
        argv = ["vectors", "--lines", str(lines), "--seed", "11", "--lanes", str(lanes),
                "--codec", codec, "--invalid-rate", "0.01", "-o", str(out), *extra]
        assert main(argv) == 0
        _CACHE[key] = out
    return _CACHE[key]


def simulate(directory: Path, build: Path, *plusargs: str, inside: bool = False):
    """Compile ``directory/*.v`` and run it; return (exit status, verdict line, output)."""
    build.mkdir(parents=True, exist_ok=True)
    tb = build / "tb"
    if inside:  # as documented: cd DIR && iverilog -g2005 -o tb *.v && vvp tb
        subprocess.run(f"iverilog -g2005 -o {tb} *.v", shell=True, cwd=directory,
                       check=True)
        proc = subprocess.run(["vvp", "-n", str(tb), *plusargs], cwd=directory,
                              capture_output=True, text=True, timeout=120)
    else:
        sources = sorted(str(p) for p in directory.glob("*.v"))
        subprocess.run(["iverilog", "-g2005", "-o", str(tb), *sources], check=True)
        if not any(p.startswith("+vectors=") for p in plusargs):
            plusargs = (f"+vectors={directory}", *plusargs)
        proc = subprocess.run(["vvp", "-n", str(tb), *plusargs],
                              cwd=build, capture_output=True, text=True, timeout=120)
    verdicts = [ln for ln in proc.stdout.splitlines() if re.match(r"(PASS|FAIL)\b", ln)]
    assert len(verdicts) == 1, proc.stdout + proc.stderr
    return proc.returncode, verdicts[0], proc.stdout


@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
@pytest.mark.parametrize("lanes", [64, 8, 1])
def test_pass(tmp_path_factory, tmp_path, lanes, codec):
    d = vectors_dir(tmp_path_factory, lanes, codec)
    transfers = LINES * 64 // lanes
    status, verdict, _ = simulate(d, tmp_path / "out")
    assert (status, verdict) == (0, f"PASS {transfers} transfers")
    status, verdict, _ = simulate(d, tmp_path / "in", inside=True)
    assert (status, verdict) == (0, f"PASS {transfers} transfers")
    assert sorted(p.name for p in d.glob("*.v")) == [
        "tb_ternary_decoder.v", "tb_ternary_decoder_bench.v", "ternary_decoder.v"]


def test_pass_registered_engine_and_other_seeds(tmp_path_factory, tmp_path):
    d = vectors_dir(tmp_path_factory, 8, "standard", 60, "--registered")
    for plus in (["+seed=1"], ["+seed=99", "+idle=0", "+stall=0"], ["+idle=90", "+stall=90"]):
        status, verdict, out = simulate(d, tmp_path / plus[0][1:], *plus)
        assert (status, verdict) == (0, "PASS 480 transfers"), out


def _copy(d: Path, tmp_path: Path) -> Path:
    c = tmp_path / "copy"
    shutil.copytree(d, c)
    return c


@pytest.mark.parametrize("lanes", [64, 8, 1])
def test_flip_expected_bit_names_transfer(tmp_path_factory, tmp_path, lanes):
    d = _copy(vectors_dir(tmp_path_factory, lanes, "standard"), tmp_path)
    rows = (d / "expected.hex").read_text().splitlines()
    row, bit = 57, 10 * lanes - 7  # a bit of trit 5*lanes-4, in the top lane
    digits = list(rows[row])
    pos = len(digits) - 1 - bit // 4
    digits[pos] = f"{int(digits[pos], 16) ^ (1 << bit % 4):x}"
    rows[row] = "".join(digits)
    (d / "expected.hex").write_text("\n".join(rows) + "\n")
    status, verdict, _ = simulate(d, tmp_path / "b")
    assert status != 0
    assert verdict.startswith(f"FAIL transfer {row} lane {lanes - 1}: expected "), verdict


@pytest.mark.parametrize("lanes", [64, 8, 1])
def test_flip_input_bit_names_transfer(tmp_path_factory, tmp_path, lanes):
    d = _copy(vectors_dir(tmp_path_factory, lanes, "tq1"), tmp_path)
    lut = golden.get_lut("tq1")
    lines = np.fromfile(d / "input.bin", dtype=np.uint8).reshape(-1, 64)
    # From line 40 on, the first byte in the top lane (byte % lanes == lanes - 1)
    # whose bit 1 can flip to another valid code.
    line, byte = next((i, b) for i in range(40, LINES) for b in range(lanes - 1, 64, lanes)
                      if lut.valid[lines[i, b]] and lut.valid[lines[i, b] ^ 2])
    rows = (d / "input.hex").read_text().splitlines()
    digits = list(rows[line])
    pos = 127 - 2 * byte  # low digit of byte `byte`, counted from the right
    digits[pos] = f"{int(digits[pos], 16) ^ 2:x}"
    rows[line] = "".join(digits)
    (d / "input.hex").write_text("\n".join(rows) + "\n")
    status, verdict, _ = simulate(d, tmp_path / "b")
    assert status != 0
    transfer = line * (64 // lanes) + byte // lanes
    assert verdict.startswith(f"FAIL transfer {transfer} lane {byte % lanes}: "), verdict


def test_flip_flags(tmp_path_factory, tmp_path):
    d = _copy(vectors_dir(tmp_path_factory, 8, "standard"), tmp_path)
    rows = (d / "expected_flags.hex").read_text().splitlines()
    rows[33] = f"{int(rows[33], 16) ^ 2:x}"  # tlast
    (d / "expected_flags.hex").write_text("\n".join(rows) + "\n")
    status, verdict, _ = simulate(d, tmp_path / "b")
    assert status != 0 and verdict.startswith("FAIL transfer 33: tlast expected"), verdict


def test_missing_vectors_and_short_file(tmp_path_factory, tmp_path):
    d = vectors_dir(tmp_path_factory, 64, "standard")
    status, verdict, _ = simulate(d, tmp_path / "b", "+vectors=/nonexistent")
    assert status != 0 and "cannot open /nonexistent/input.hex" in verdict
    c = _copy(d, tmp_path)
    rows = (c / "expected.hex").read_text().splitlines()
    (c / "expected.hex").write_text("\n".join(rows[:-3]) + "\n")
    status, verdict, _ = simulate(c, tmp_path / "c")
    assert status != 0 and "expected.hex has fewer rows than 120" in verdict


# Wrappers around the real engine (renamed `real_decoder`) that break one rule each.
_WRAPPER = """
module ternary_decoder(input clk, input rst, input [511:0] s_axis_tdata,
    input s_axis_tvalid, output s_axis_tready, input s_axis_tlast,
    output [79:0] m_axis_tdata, output m_axis_tvalid, input m_axis_tready,
    output m_axis_tlast, output m_axis_tuser, output error);
  wire v, e;
  reg [31:0] n = 0;  // transfers so far
  always @(posedge clk) if (m_axis_tvalid && m_axis_tready) n <= n + 1;
  real_decoder u(.clk(clk), .rst(rst), .s_axis_tdata(s_axis_tdata),
    .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast), .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(v),
    .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast),
    .m_axis_tuser(m_axis_tuser), .error(e));
  {body}
endmodule
"""


@pytest.mark.parametrize("body,rate,expected", [
    ("assign m_axis_tvalid = v && n < 959; assign error = e;", "0.01",
     r"FAIL timeout after \d+ cycles: 959 of 960 transfers received"),
    ("assign m_axis_tvalid = v || n == 960; assign error = e;", "0.01",
     r"FAIL transfer 960: more transfers than the 960 expected"),
    ("assign m_axis_tvalid = v; assign error = e | (n == 500);", "0",
     r"FAIL error is 1 at cycle \d+ before any invalid code was offered"),
    ("assign m_axis_tvalid = v; assign error = 1'b0;", "0.01",
     r"FAIL error is 0 at cycle \d+ after transfer \d+ carried tuser"),
    ("assign m_axis_tvalid = v; assign error = e;", "0.01", r"PASS 960 transfers"),
])
def test_broken_engine_fails(tmp_path_factory, tmp_path, body, rate, expected):
    d = _copy(vectors_dir(tmp_path_factory, 8, "standard", LINES, "--invalid-rate", rate),
              tmp_path)
    engine = (d / "ternary_decoder.v").read_text()
    engine = re.sub(r"\bmodule ternary_decoder\b", "module real_decoder", engine)
    (d / "ternary_decoder.v").write_text(engine + _WRAPPER.replace("{body}", body))
    status, verdict, out = simulate(d, tmp_path / "b", "+timeout=4000")
    assert (status == 0) == verdict.startswith("PASS")
    assert re.match(expected, verdict), out


def test_bench_is_the_shipped_file_verbatim(tmp_path_factory):
    from importlib.resources import files

    d = vectors_dir(tmp_path_factory, 8, "standard")
    shipped = files("tritpack.hw.vectors").joinpath("tb_ternary_decoder_bench.v").read_text()
    assert (d / "tb_ternary_decoder_bench.v").read_text() == shipped
    assert "{" + "fail" not in shipped and "{tb}" not in shipped  # no Python template slots


@pytest.mark.parametrize("plusarg, name", [("+waves", "tb_ternary_decoder.vcd"),
                                           ("+waves=fail.vcd", "fail.vcd")])
def test_waves_dump_a_vcd(tmp_path_factory, tmp_path, plusarg, name):
    d = vectors_dir(tmp_path_factory, 8, "standard")
    status, verdict, _ = simulate(d, tmp_path / "b", plusarg)
    assert (status, verdict) == (0, "PASS 960 transfers")
    vcd = (tmp_path / "b" / name).read_text()
    assert vcd.startswith("$date") and "$enddefinitions" in vcd
    for signal in ("m_axis_tdata", "s_axis_tready", "error"):
        assert f" {signal} " in vcd or f" {signal} [" in vcd, signal
    assert "$scope module dut $end" in vcd
    assert [p.name for p in (tmp_path / "b").iterdir() if p.suffix == ".vcd"] == [name]
    status, _, _ = simulate(d, tmp_path / "c")  # no plusarg, no waves
    assert not list((tmp_path / "c").glob("*.vcd"))


def test_custom_lut_vectors_pass(tmp_path):
    from tritpack.golden import lut_io

    std = golden.get_lut("standard")
    perm = np.random.default_rng(1).permutation(256)
    lut = golden.Lut.from_table(std.trits[perm], std.valid[perm], name="mine")
    (tmp_path / "mine.json").write_text(lut_io.to_json(lut))
    out = tmp_path / "v"
    assert main(["vectors", "--lines", "40", "--lanes", "16", "--codec",
                 str(tmp_path / "mine.json"), "--invalid-rate", "0.01", "-o", str(out)]) == 0
    status, verdict, _ = simulate(out, tmp_path / "b")
    assert (status, verdict) == (0, "PASS 160 transfers")
    # the same vectors against the standard engine fail: the LUT file is what was used
    std_dir = tmp_path / "s"
    assert main(["vectors", "--lines", "1", "--lanes", "16", "-o", str(std_dir)]) == 0
    shutil.copy(std_dir / "ternary_decoder.v", out / "ternary_decoder.v")
    status, verdict, _ = simulate(out, tmp_path / "c")
    assert status != 0 and verdict.startswith("FAIL transfer 0 lane "), verdict


@pytest.mark.slow
@pytest.mark.needs_verilator
def test_verilator_binary_timing(tmp_path_factory, tmp_path):
    d = vectors_dir(tmp_path_factory, 8, "standard", 40)
    build = tmp_path / "obj"
    proc = subprocess.run(
        ["verilator", "--binary", "--timing", "--top-module", "tb_ternary_decoder",
         *sorted(str(p) for p in d.glob("*.v")), "-o", "vtb", "--Mdir", str(build),
         "--build-jobs", "1"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "%Warning" not in proc.stdout + proc.stderr
    run = subprocess.run([str(build / "vtb"), f"+vectors={d}"], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0 and "PASS 320 transfers" in run.stdout, run.stdout
