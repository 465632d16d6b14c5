"""``tritpack bench synth``'s tables, seed sweep and plot, on recorded results.

No Yosys or nextpnr run here: the results are built by hand (or by stand-ins
for :func:`synthesize` and :func:`run_timing`), so the Markdown, the median
and the verdicts are checked against figures written in the test.
"""

from __future__ import annotations

import sys

import pytest

from tritpack.hw.fpga import bench
from tritpack.hw.fpga import synth as synth_mod
from tritpack.hw.fpga import timing as timing_mod
from tritpack.hw.fpga.synth import SynthResult
from tritpack.hw.fpga.timing import CriticalPath, TimingResult


def _timing(target="ice40", lanes=8, impl="arith", pipelined=True, fmax=140.0, seed=1,
            design="engine", logic=1541):
    cells = "ICESTORM_LC" if target == "ice40" else "TRELLIS_COMB"
    mhz = 150.0 if target == "ice40" else 200.0
    path = CriticalPath(start=f"dut.busy_seed{seed}", end="dut.line (CEN)", logic_levels=3,
                        delay_ns=1000.0 / fmax, logic_ns=2.0, routing_ns=1000.0 / fmax - 2.0,
                        slack_ns=1000.0 / mhz - 1000.0 / fmax)
    return TimingResult(target=target, device="hx8k" if target == "ice40" else "85k",
                        lanes=lanes, codec="standard", impl=impl, registered=False,
                        target_mhz=mhz, fmax_mhz=fmax, utilization={cells: (logic, 7680)},
                        seconds={"synth": 1.0, "pnr": 2.0}, design=design,
                        pipelined=pipelined, critical_path=path)


# ------------------------------------------------------------------ median/met


def test_median_decides_not_the_best_seed():
    s = bench.summarize_sweep([140.0, 151.0, 152.0, 130.0, 120.0], 150.0)
    assert (s.median_mhz, s.min_mhz, s.max_mhz) == (140.0, 120.0, 152.0)
    assert not s.met  # two seeds beat 150 MHz, the median does not
    assert bench.summarize_sweep([149.0, 150.0, 151.0], 150.0).met


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    s = bench.summarize_sweep([200.0, 190.0, 210.0, 195.0], 200.0)
    assert s.median_mhz == 197.5 and not s.met


def test_empty_sweep_is_an_error():
    with pytest.raises(ValueError, match="no seed"):
        bench.summarize_sweep([], 150.0)


# ---------------------------------------------------------------- sweep table


def test_sweep_section_reports_median_spread_failures_and_slowest_path():
    config = ("ice40", 8, "arith", True)
    fmax = {1: 131.7, 2: 148.0, 3: 152.5, 5: 139.0}
    results = {(config, s): _timing(fmax=f, seed=s) for s, f in fmax.items()}
    results[(config, 4)] = TimeoutError("nextpnr-ice40 ran longer than 600 s")
    text = "\n".join(bench._sweep_section(results, [config], (1, 2, 3, 4, 5)))
    row = next(line for line in text.splitlines() if line.startswith("| ice40 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    # per seed, median of (131.7, 139.0, 148.0, 152.5) = 143.5, min, max, target
    assert cells[5:10] == ["131.7, 148.0, 152.5, 139.0", "143.5", "131.7", "152.5", "150"]
    assert cells[10].startswith("**misses**") and "seed 4: nextpnr-ice40 ran longer" in cells[10]
    assert "seed 1: dut.busy_seed1 -> dut.line (CEN)" in text  # the slowest seed's path


def test_sweep_section_with_no_seed_placed():
    config = ("ecp5", 64, "arith", False)
    results = {(config, 1): RuntimeError("does not fit")}
    text = "\n".join(bench._sweep_section(results, [config], (1,)))
    assert "not measured: seed 1: does not fit" in text


def test_sweep_meets_when_the_median_does():
    config = ("ecp5", 64, "arith", True)
    results = {(config, s): _timing("ecp5", 64, fmax=f, seed=s)
               for s, f in {1: 199.0, 2: 201.0, 3: 205.0}.items()}
    row = next(line for line in bench._sweep_section(results, [config], (1, 2, 3))
               if line.startswith("| ecp5 |"))
    assert row.endswith("| 201.0 | 199.0 | 205.0 | 200 | meets |")


# --------------------------------------------------------------- engine area


def test_engine_area_table_states_the_issue_targets():
    results = {
        ("ice40", 8, "arith", False, False):
            SynthResult("ice40", "ternary_decoder", 8, {"SB_LUT4": 852, "SB_DFFE": 600}),
        ("ice40", 8, "rom", True, True):
            SynthResult("ice40", "ternary_decoder", 8, {"SB_LUT4": 1000, "SB_RAM40_4K": 2}),
        ("ecp5", 8, "arith", False, True):
            SynthResult("ecp5", "ternary_decoder", 8, {"LUT4": 500}),
    }
    rows = [line for line in bench._engine_section(results) if line.startswith("| ice40")
            or line.startswith("| ecp5")]
    assert rows[0].startswith("| ice40 (LUT4) | 8 | arith | no | no | 852 | 0 | 600 | 0 |")
    assert "<= 600: **misses**" in rows[0]
    assert "| yes | yes | 1000 | 0 | 0 | 2 |" in rows[1] and "<= 1000: meets" in rows[1]
    assert "| 62.5 | - |" in rows[2]  # no target for ECP5; 500 / 8 LUTs per lane


# ----------------------------------------------------------------------- plot


def _points():
    config = ("ice40", 8, "arith", True)
    sweep = {(config, s): _timing(fmax=130.0 + s, seed=s) for s in (1, 2, 3)}
    timing = [(("ice40", (8,), "lanes", "arith", False),
               (_timing(design="lanes", pipelined=False, fmax=177.0, logic=400), [])),
              (("ecp5", (64,), "engine", "rom", True),
               (_timing("ecp5", 64, "rom", fmax=148.6, logic=8247), []))]
    return bench._plot_points(timing, sweep, [config], (1, 2, 3))


def test_plot_points_use_the_sweep_median_and_spread():
    points = {p.label: p for p in _points()}
    swept = points["engine arith pipelined, lanes 8, median of 3 seeds"]
    assert (swept.fmax_mhz, swept.low_mhz, swept.high_mhz) == (132.0, 131.0, 133.0)
    assert (swept.area, swept.area_unit) == (1541, "ICESTORM_LC")
    assert points["engine rom pipelined, lanes 64"].area_unit == "TRELLIS_COMB"
    assert len(points) == 3


def test_plot_is_written_beside_the_report_and_linked(tmp_path):
    pytest.importorskip("matplotlib")
    text = "\n".join(bench._plot_section(_points(), tmp_path))
    svg = tmp_path / bench.PLOT_NAME
    assert f"]({bench.PLOT_NAME})" in text
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg")) and "<svg" in svg.read_text()
    assert not list(svg.parent.glob(".*.tmp"))  # written atomically, nothing left over


def test_no_plot_without_an_output_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = "\n".join(bench._plot_section(_points(), None))
    assert "Plot not drawn: no output directory" in text and "![" not in text
    assert not list(tmp_path.iterdir())


def test_plot_without_matplotlib_says_so(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import raises ModuleNotFoundError
    text = "\n".join(bench._plot_section(_points(), tmp_path))
    assert "Plot not drawn: matplotlib is not installed" in text
    assert not (tmp_path / bench.PLOT_NAME).exists()


# ---------------------------------------------------------- the whole target


@pytest.fixture
def fake_tools(monkeypatch):
    """Stand-ins for Yosys, nextpnr and Verilog generation; records the P&R calls."""
    calls = []

    def run_timing(lanes=8, target="ice40", codec="standard", impl="rom", registered=False,
                   seed=1, design="engine", pipelined=False, **_):
        calls.append((target, lanes, design, impl, pipelined, seed))
        return _timing(target, lanes, impl, pipelined, fmax=100.0 + seed, seed=seed,
                       design=design)

    def synthesize(text, target, top, lanes=1, **_):
        return SynthResult(target, top, lanes, {"SB_LUT4" if target == "ice40" else "LUT4": 8})

    monkeypatch.setattr(timing_mod, "run_timing", run_timing)
    monkeypatch.setattr(synth_mod, "synthesize", synthesize)
    monkeypatch.setattr(bench, "_lane_design", lambda arch, codec: ("", "lanes", 1, False))
    import tritpack.hw.verilog as verilog

    def generate_verilog(lanes, codec, registered, top, impl="rom", pipelined=False):
        calls.append(("verilog", lanes, impl, registered, pipelined))
        return ""

    monkeypatch.setattr(verilog, "generate_verilog", generate_verilog)
    return calls


def _placed(calls):
    return [c for c in calls if c[0] != "verilog"]


def test_full_run_sweeps_five_seeds_of_both_targets_and_reuses_seed_1(fake_tools, tmp_path):
    text = bench.run_synth_bench(quick=False, outdir=tmp_path)
    # the engine at lanes 8, every impl x registered x pipelined, for 3 targets
    generated = {c[1:] for c in fake_tools if c[0] == "verilog"}
    # bram needs the pipelined engine
    assert generated == ({(8, i, r, p) for i in ("rom", "arith") for r in (False, True)
                          for p in (False, True)}
                         | {(8, "bram", r, True) for r in (False, True)})
    assert text.count("| 8 | arith | yes | yes |") == 3
    fake_tools = _placed(fake_tools)
    sweeps = {(t, n, i, p) for t, n, d, i, p, s in fake_tools if s == 5}
    assert sweeps == {("ice40", 8, "arith", False), ("ice40", 8, "arith", True),
                      ("ice40", 8, "bram", True),
                      ("ecp5", 64, "arith", False), ("ecp5", 64, "arith", True)}
    # each swept configuration placed once per seed, never again for the seed-1 table
    for config in sweeps:
        t, n, i, p = config
        assert sorted(s for ct, cn, d, ci, cp, s in fake_tools
                      if (ct, cn, d, ci, cp) == (t, n, "engine", i, p)) == [1, 2, 3, 4, 5]
    assert len(fake_tools) == 5 * 5 + 6  # + the unswept rows of the seed-1 table
    # 100 + seed: median 103, spread 101..105, all below the targets
    assert text.count("| 101.0, 102.0, 103.0, 104.0, 105.0 | 103.0 | 101.0 | 105.0 |") == 5
    assert "| ice40 (LUT4) | 8 | rom | yes | no | 8 |" in text
    assert (tmp_path / bench.PLOT_NAME).exists() or "matplotlib is not installed" in text


def test_quick_run_places_one_seed_of_one_small_engine(fake_tools):
    text = bench.run_synth_bench(quick=True)
    fake_tools = _placed(fake_tools)
    assert ("ice40", 1, "engine", "arith", False, 1) in fake_tools
    assert {s for *_, s in fake_tools} == {1} and len(fake_tools) == 2
    assert "Plot not drawn: no output directory" in text
