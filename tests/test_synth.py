"""The Yosys flow: cell classification, stat parsing, the naive reference, the CLI."""

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from tritpack import golden
from tritpack.cli import main
from tritpack.hw.fpga import designs
from tritpack.hw.fpga.synth import classify, parse_stat, synthesize
from tritpack.hw.fpga.timing import parse_critical_path, parse_report
from tritpack.hw.lanes import IMPLS

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("target, cell, category", [
    ("ice40", "SB_LUT4", "luts"), ("ice40", "SB_CARRY", "carries"),
    ("ice40", "SB_DFFESR", "ffs"), ("ice40", "SB_RAM40_4K", "brams"),
    ("ecp5", "LUT4", "luts"), ("ecp5", "CCU2C", "carries"), ("ecp5", "TRELLIS_FF", "ffs"),
    ("ecp5", "DP16KD", "brams"), ("ecp5", "PFUMX", "muxes"), ("ecp5", "L6MUX21", "muxes"),
    ("xilinx", "LUT6", "luts"), ("xilinx", "MUXF8", "muxes"), ("xilinx", "FDRE", "ffs"),
    ("xilinx", "CARRY4", "carries"), ("xilinx", "RAMB18E1", "brams"),
    ("generic", "$_NAND_", "luts"), ("generic", "$_MUX_", "muxes"),
    ("generic", "$_SDFF_PN0_", "ffs"), ("ice40", "SB_IO", "other"),
])
def test_classify(target, cell, category):
    assert classify(target, cell) == category


def test_parse_stat_counts_and_per_lane():
    stat = {"modules": {"\\top": {"num_cells_by_type": {
        "SB_LUT4": 10, "SB_DFF": 4, "$scopeinfo": 3, "SB_CARRY": 2}}}}
    r = parse_stat(json.dumps(stat), "ice40", "top", lanes=2)
    assert r.cells == {"SB_LUT4": 10, "SB_DFF": 4, "SB_CARRY": 2}
    assert r.categories["luts"] == 10 and r.categories["ffs"] == 4
    assert r.per_lane["luts"] == 5.0 and r.per_lane["carries"] == 1.0


@pytest.mark.parametrize("text, match", [
    ("not json", "not JSON"),
    (json.dumps({"modules": {"\\other": {"num_cells_by_type": {}}}}), "no cell counts"),
])
def test_parse_stat_rejects_bad_input(text, match):
    with pytest.raises(ValueError, match=match):
        parse_stat(text, "ice40", "top")


def test_parse_report():
    report = {"fmax": {"clk": {"achieved": 123.4, "constraint": 150.0}},
              "utilization": {"ICESTORM_LC": {"used": 7, "available": 7680},
                              "SB_RAM40_4K": {"used": 0, "available": 32}}}
    fmax, util = parse_report(json.dumps(report))
    assert fmax == 123.4 and util == {"ICESTORM_LC": (7, 7680)}
    with pytest.raises(ValueError, match="no achieved clock"):
        parse_report(json.dumps({"utilization": {}}))


@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
def test_naive_rom_rows_are_golden(codec):
    lut = golden.get_lut(codec)
    text = designs.naive_rom_verilog(codec)
    rows = re.findall(r"8'd(\d+): begin trits <= 10'h([0-9a-f]{3}); invalid <= 1'b([01]);", text)
    assert [int(c) for c, _, _ in rows] == list(range(256))
    for c, bits, bad in rows:
        c, bits = int(c), int(bits, 16)
        trits = [((bits >> (2 * n)) & 3) for n in range(5)]
        trits = [t - 4 if t & 2 else t for t in trits]  # 2-bit two's complement
        assert trits == lut.trits[c].tolist(), c
        assert bad == ("0" if lut.valid[c] else "1"), c


def test_timing_harness_folds_to_pins():
    text = designs.timing_harness("// engine", lanes=8, pins=8)
    assert "module timing_top" in text and "assign dout = " in text
    # 85 output bits -> 22 -> 6 registered fold bits, padded to 8 pins
    assert "reg [21:0] f1;" in text and "reg [5:0] f2;" in text
    assert "assign dout = {2'd0, f2};" in text


@pytest.mark.slow
def test_synth_naive_and_arith_lane_on_ice40():
    naive = synthesize(designs.naive_rom_verilog("standard"), "ice40", "naive_rom", nobram=True)
    arith = synthesize(designs.lane_verilog(1, "standard", "arith"), "ice40", "lanes")
    assert naive.categories["ffs"] == 11 and arith.categories["ffs"] == 11
    assert naive.categories["brams"] == 0
    assert 0 < arith.categories["luts"] < naive.categories["luts"]


@pytest.mark.slow
def test_bram_engine_maps_each_lane_to_a_block_ram_on_ice40():
    """``impl=bram`` at lanes 8: one SB_RAM40_4K per lane, and no table left in LUTs
    (fewer LUTs than the pipelined arith engine, whose lanes are logic)."""
    from tritpack.hw.verilog import generate_verilog

    def engine(impl):
        text = generate_verilog(8, impl=impl, pipelined=True)
        return synthesize(text, "ice40", "ternary_decoder", lanes=8)

    bram, arith = engine("bram"), engine("arith")
    assert bram.cells.get("SB_RAM40_4K") == 8 and arith.categories["brams"] == 0
    assert bram.categories["luts"] < arith.categories["luts"]


@pytest.mark.parametrize("impl", IMPLS)
def test_lane_design_of_every_impl_has_the_same_ports(impl):
    # what `tritpack synth` and the lanes timing harness read, for every impl
    text = designs.lane_verilog(2, "standard", impl)
    top = text[text.index("module lanes("):]
    top = top[:top.index("endmodule")]
    assert re.search(r"module lanes\((.*?)\);", top).group(1).split(", ") == [
        "clk", "rst", "trits", "invalid", "codes"]
    for port in ("input [15:0] codes;", "output [19:0] trits;", "output [1:0] invalid;"):
        assert f"  {port}" in top, port


def test_synth_cli_builds_every_design_of_the_bram_engine(capsys, monkeypatch):
    """``synth --impl bram --pipelined``: the engine, its lanes alone (the synchronous
    ones) and the reference all reach Yosys (stubbed here)."""
    import tritpack.hw.fpga.synth as synth_mod
    from tritpack.hw.fpga.synth import SynthResult

    seen = []

    def fake(text, target, top, lanes=1, label="", **_):
        seen.append((top, text, label))
        return SynthResult(target, top, lanes, {"SB_LUT4": 8})

    monkeypatch.setattr(synth_mod, "synthesize", fake)
    assert main(["synth", "--lanes", "8", "--target", "ice40", "--impl", "bram",
                 "--pipelined"]) == 0
    assert [top for top, _, _ in seen] == ["ternary_decoder", "lanes", "naive_rom"]
    _, lanes_text, label = seen[1]
    assert "module lanes(" in lanes_text and "always @(posedge clk)" in lanes_text
    assert label == "bram lane decoders only"
    assert "codec standard, 8 lanes, target ice40" in capsys.readouterr().out


@pytest.mark.slow
def test_synth_cli_json_generic(capsys, tmp_path):
    keep = tmp_path / "keep"
    assert main(["synth", "--lanes", "1", "--target", "generic", "--impl", "arith",
                 "--json", "--keep", str(keep)]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["codec"] == "standard"
    assert out["engine"]["target"] == "generic" and out["engine"]["lanes"] == 1
    assert out["engine"]["categories"]["ffs"] >= 512  # the line register at least
    assert out["lanes"]["categories"]["ffs"] == 11
    assert out["reference"]["categories"]["ffs"] == 11
    assert out["reference"]["categories"]["luts"] > out["lanes"]["categories"]["luts"] > 0
    assert captured.err == ""                         # no progress bar without a terminal
    # --keep: each Yosys run's design, script, log and report, and the result.
    assert json.loads((keep / "result.json").read_text()) == out
    for run in ("engine", "lanes", "reference"):
        files = {p.name for p in (keep / run).iterdir()}
        assert files == {"design.v", "run.ys", "yosys.log", "stat.json"}, run
    assert "module ternary_decoder(" in (keep / "engine" / "design.v").read_text()
    assert "Executing SYNTH pass" in (keep / "engine" / "yosys.log").read_text()
    # A second run does not replace it without --force, and says so before any work.
    before = sorted(p.relative_to(keep) for p in keep.rglob("*"))
    assert main(["synth", "--lanes", "1", "--target", "generic", "--keep", str(keep)]) == 2
    assert "use --force" in capsys.readouterr().err
    assert sorted(p.relative_to(keep) for p in keep.rglob("*")) == before


@pytest.mark.parametrize("command", ["synth", "timing"])
def test_keep_refused_before_any_work(command, tmp_path, capsys, monkeypatch):
    from tritpack.hw.fpga import synth, timing

    def boom(*args, **kwargs):
        raise AssertionError("the tools ran before --keep was checked")

    monkeypatch.setattr(synth, "synthesize", boom)
    monkeypatch.setattr(timing, "run_timing", boom)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    for keep, message in [(tmp_path / "no" / "dir", "does not exist"),
                          (mine, "not empty")]:
        argv = [command, "--lanes", "1", "--target", "ice40", "--keep", str(keep)]
        assert main(argv) == 2
        assert message in capsys.readouterr().err
        assert main([*argv, "--force"]) == 2      # --force replaces only a --keep directory
    assert (mine / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "no").exists()


def test_progress_shows_steps_on_a_terminal(monkeypatch):
    from tritpack.hw.fpga.commands import _steps

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    err = Terminal()
    monkeypatch.setattr("sys.stderr", err)
    with _steps("timing ice40", ["verilog", "synth", "pnr"]) as step:
        for name in ("verilog", "synth", "pnr"):
            step(name)
    shown = err.getvalue()
    assert "timing ice40: verilog (0/3)" in shown and "timing ice40: pnr (2/3)" in shown


def test_parse_critical_path_of_a_recorded_report():
    """nextpnr-ice40's report of `timing --lanes 1 --impl arith` (tests/data)."""
    report = (DATA / "nextpnr_ice40_report.json").read_text()
    fmax, _ = parse_report(report)
    path = parse_critical_path(report, 150.0)
    assert path.start == "dut.engine_beat[0]"
    assert path.end == "dut.engine_o__valid (CEN)"
    assert path.logic_levels == 5
    assert path.delay_ns == pytest.approx(1000 / fmax, rel=1e-4)
    assert path.logic_ns + path.routing_ns == pytest.approx(path.delay_ns)
    assert path.routing_ns == pytest.approx(4.99, abs=0.01)    # nextpnr's log: 4.99 routing
    assert path.slack_ns == pytest.approx(1000 / 150 - 1000 / fmax, rel=1e-4)
    assert path.describe() == ("dut.engine_beat[0] -> dut.engine_o__valid (CEN): 5 logic "
                               "levels, 7.33 ns (2.35 logic, 4.99 routing), slack -0.67 ns")


def test_parse_critical_path_without_register_paths():
    report = {"critical_paths": [{"from": "<async>", "to": "posedge clk", "path": []}]}
    assert parse_critical_path(json.dumps(report), 100.0) is None
    with pytest.raises(ValueError, match="malformed critical paths"):
        parse_critical_path(json.dumps({"critical_paths": [{"from": "posedge c"}]}), 100.0)


@pytest.mark.parametrize("argv", [
    ["synth", "--lanes", "3", "--target", "ice40"],
    ["synth", "--lanes", "1", "--target", "asic"],
    ["synth", "--lanes", "1"],
    ["synth", "--lanes", "1", "--target", "ice40", "--impl", "magic"],
    ["synth", "--lanes", "1", "--target", "ice40", "--codec", "no-such-codec"],
    ["timing", "--lanes", "8", "--target", "xilinx"],
    ["timing", "--lanes", "8", "--target", "ice40", "--mhz", "-5"],
    ["timing", "--lanes", "8", "--target", "ice40", "--device", "85k"],
])
def test_cli_errors_exit_2(argv, capsys):
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse usage errors
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err
    assert "error" in err and len(err.strip().splitlines()) <= 3


def test_arith_rejects_custom_codec_in_cli(tmp_path, capsys):
    from tritpack.golden import lut_io

    table = np.array(golden.get_lut("standard").trits)
    table[[0, 1]] = table[[1, 0]]
    path = tmp_path / "swapped.json"
    path.write_text(lut_io.to_json(golden.Lut.from_table(table, name="swapped")))
    assert main(["synth", "--lanes", "1", "--target", "generic", "--impl", "arith",
                 "--codec", str(path)]) == 2
    assert "arith" in capsys.readouterr().err


@pytest.mark.slow
def test_timing_cli_lanes_1_ice40(capsys, tmp_path):
    keep = tmp_path / "keep"
    assert main(["timing", "--lanes", "1", "--target", "ice40", "--impl", "arith",
                 "--keep", str(keep)]) == 0
    text = capsys.readouterr().out
    out = json.loads((keep / "result.json").read_text())
    assert out["device"] == "hx8k" and out["lanes"] == 1 and out["target_mhz"] == 150.0
    assert 20 < out["fmax_mhz"] < 1000
    assert out["utilization"]["ICESTORM_LC"][0] > 512  # the line register at least
    path = out["critical_path"]
    assert path["logic_levels"] >= 1 and path["start"].startswith("dut.")
    assert path["slack_ns"] == pytest.approx(1000 / 150 - 1000 / out["fmax_mhz"], abs=2e-3)
    assert f"critical path: {path['start']} -> {path['end']}: " in text
    assert {p.name for p in keep.iterdir()} >= {
        "design.v", "run.ys", "yosys.log", "stat.json", "netlist.json", "report.json",
        "nextpnr.log", "result.json"}


@pytest.mark.slow
def test_bench_verilog_quick(capsys):
    assert main(["bench", "verilog", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "## Verilog generation" in out
    rows = [ln for ln in out.splitlines() if re.match(r"\| (1|8) \| (rom|arith) \|", ln)]
    assert len(rows) == 2 * 2 * 2  # lanes 1, 8 x impls x registered
    assert all(int(r.split("|")[6].strip().replace(",", "")) > 1000 for r in rows)


@pytest.mark.slow
def test_pipelined_ice40_lanes_8_meets_150_mhz_over_seeds():
    """The iCE40 target of the pipelined engine, as the median over nextpnr seeds 1..5.

    The engine before the control rework (the line register's load/shift select
    through ``o.ready``) had a median of 140 MHz here.
    """
    from statistics import median

    from tritpack.hw.fpga.timing import run_timing

    fmax = [run_timing(lanes=8, target="ice40", impl="arith", pipelined=True, seed=seed).fmax_mhz
            for seed in range(1, 6)]
    assert median(fmax) >= 150.0, fmax
