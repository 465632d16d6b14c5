"""The fast path (sim/hdlcheck.py + sim/tritpack_check_tb.v): checks in the HDL.

A correct engine passes on every regression variant; broken engines (the mutants of
tests/test_sim_broken.py) are caught with the scoreboard's and the protocol checker's
words; the coverage counted in the HDL has exactly the bins of the cocotb side and the
counts the stimulus implies; the records hold what the golden model says.
"""

import json

import numpy as np
import pytest

from tritpack import golden
from tritpack.hw.verilog import generate_verilog
from tritpack.sim import coverage as cov
from tritpack.sim.hdlcheck import RECORD_BYTES, check_lines, packet_lasts, records
from tritpack.sim.runner import regression_variants, sim_root
from tritpack.sim.stimulus import invalid_lines, uniform_lines

from utils import mutant_engine

pytestmark = pytest.mark.needs_iverilog


def _lines(n=300, seed=1, codec="standard"):
    rng = np.random.default_rng(seed)
    lines = rng.integers(0, 243, size=(n, 64), dtype=np.uint8)
    lut = golden.get_lut(codec)
    valid = np.flatnonzero(lut.valid).astype(np.uint8)
    return valid[lines % valid.size]


@pytest.fixture
def build(tmp_path_factory):
    return tmp_path_factory.getbasetemp() / "hdlcheck_build"


def test_records_hold_the_golden_expectation():
    lines = invalid_lines(np.random.default_rng(3), "standard", [0, 17, 63])
    raw = np.frombuffer(records(lines, [False, False, True], "standard"), np.uint8)
    rec = raw.reshape(3, RECORD_BYTES)
    assert (rec[:, :64] == lines).all()
    trits, valid = golden.decode(lines, "standard", on_invalid="mask")
    for i in range(3):
        value = int.from_bytes(rec[i, 64:144].tobytes(), "little")
        got = [(value >> (2 * k)) & 3 for k in range(320)]
        want = [t & 3 for t in trits[320 * i:320 * (i + 1)].tolist()]
        assert got == want
        bad = int.from_bytes(rec[i, 144:152].tobytes(), "little")
        assert bad == sum(1 << int(k) for k in np.flatnonzero(~valid[64 * i:64 * (i + 1)]))
    assert rec[:, 152].tolist() == [0, 0, 1]
    assert not rec[:, 153:].any()


def test_packets_end_where_expected():
    assert np.flatnonzero(packet_lasts(7, 3)).tolist() == [2, 5, 6]
    assert np.flatnonzero(packet_lasts(6, 3)).tolist() == [2, 5]


@pytest.mark.parametrize("variant", regression_variants(), ids=lambda v: v.name)
def test_every_variant_passes(variant, build):
    lines = _lines(codec=variant.codec)
    lines[40, 5] = golden.get_lut(variant.codec).invalid_codes[0]
    r = check_lines(lines, lanes=variant.lanes, codec=variant.codec,
                    registered=variant.registered, impl=variant.impl,
                    pipelined=variant.pipelined, seed=5, idle=0.2, stall=0.2, packet_lines=37,
                    sim="icarus", build_dir=build)
    assert r.passed, r.errors
    assert (r.lines, r.transfers) == (300, 300 * 64 // variant.lanes)
    assert r.invalid_codes == 1 and r.flagged == 1 and r.error == 1
    assert r.latency == (2 if variant.pipelined else 1)


def test_throughput_without_stalls(build):
    r = check_lines(_lines(200), lanes=64, idle=0, stall=0, seed=1, sim="icarus",
                    build_dir=build)
    assert r.passed, r.errors
    assert r.clocks == 200 and r.lines_per_clock == 1.0  # a line every clock
    r = check_lines(_lines(40), lanes=8, idle=0, stall=0, seed=1, sim="icarus",
                    build_dir=build)
    assert r.passed and r.clocks == 40 * 8                # no bubble between lines


def test_coverage_matches_the_cocotb_bins_and_the_stimulus(build, tmp_path):
    lanes, n, packet = 8, 400, 37
    lines = _lines(n)
    rng = np.random.default_rng(9)
    bad = golden.get_lut("standard").invalid_codes
    firsts = np.arange(0, n, packet)
    lines[firsts, rng.integers(0, 64, firsts.size)] = bad[0]   # first lines of packets
    lines[n - 1, 63] = bad[5]                                  # the last line
    out = tmp_path / "cov.json"
    r = check_lines(lines, lanes=lanes, seed=2, packet_lines=packet, sim="icarus",
                    build_dir=build, coverage_file=out)
    assert r.passed, r.errors
    items = json.loads(out.read_text())["items"]
    # the same items and bins as the cocotb side's database
    ref = cov.DecoderCoverage("standard", lanes)
    ref.export(tmp_path / "ref.json")
    ref_items = json.loads((tmp_path / "ref.json").read_text())["items"]
    assert {k: sorted(v["bins"]) for k, v in items.items()} == \
        {k: sorted(v["bins"]) for k, v in ref_items.items()}
    # and the counts the stimulus implies, computed here with numpy
    valid = golden.get_lut("standard").valid[lines]
    for j in range(lanes):
        seen = set(lines[:, j::lanes][valid[:, j::lanes]].tolist())
        hits = {int(b) for b, h in items[f"decoder.code_x_lane.lane{j:02d}"]["bins"].items()
                if h}
        assert hits == seen
    sizes = [packet] * (n // packet) + [n % packet]
    assert items["decoder.packet.lines"]["bins"] == {
        "1": sizes.count(1), "2": sizes.count(2),
        "3-15": sum(3 <= s <= 15 for s in sizes), "16+": sum(s >= 16 for s in sizes)}
    assert items["decoder.invalid.place"]["bins"] == {"first": firsts.size, "last": 1}
    assert items["decoder.invalid.code"]["bins"][str(bad[0])] == firsts.size
    idle = items["decoder.stall.source_idle"]["bins"]
    assert sum(idle.values()) > 0 and idle["64+"] == 0
    assert items["decoder.reset.phase"]["bins"]["power_on"] == 1
    assert items["decoder.stall.generators.idle"]["bins"]["random_10"] == 1


# name: (the mutant of tests/utils.py, text one error must contain)
MUTANTS = {
    "lane_flip": (dict(tdata="c_tdata ^ (80'd1 << 30)"), "lanes [3] differ"),
    "valid_not_held": (dict(tvalid="c_tvalid & (m_axis_tready | toggle)"),
                       "m_axis.tvalid dropped while tready was low"),
    "data_not_held": (dict(tdata="c_tdata ^ {80{~m_axis_tready & toggle}}"),
                      "m_axis.tdata changed while tvalid high and tready low"),
    "tuser_stuck_low": (dict(tuser="1'b0"), "tuser 0, expected 1"),
    "error_not_sticky": (dict(error="c_error & m_axis_tvalid"), "error fell"),
    "valid_after_reset": (dict(tvalid="c_tvalid | rst_q"),
                          "m_axis.tvalid high during reset or on the first clock after it"),
    "ready_dropped": (dict(s_tready="1'b1"), "a line accepted while 8 were in flight"),
    # a 4-state rule: Icarus catches it (Verilator, 2-state, cannot)
    "tdata_x": (dict(tdata="c_tdata ^ {80{1'bx}}"),
                "m_axis.tdata has X or Z bits while tvalid is high"),
}


@pytest.fixture(scope="module")
def core8():
    return generate_verilog(lanes=8, module_name="ternary_decoder_core")


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_broken_engine_is_caught(mutant, core8, build):
    change, expected = MUTANTS[mutant]
    lines = _lines(120)
    lines[30, 9] = golden.get_lut("standard").invalid_codes[2]
    r = check_lines(lines, lanes=8, seed=4, idle=0.3, stall=0.3, sim="icarus",
                    build_dir=build, verilog=core8 + mutant_engine(8, change), timeout=2000)
    assert not r.passed
    assert any(expected in e for e in r.errors), r.errors
    assert r.log is not None  # a failed run keeps its log


def test_correct_wrapper_passes(core8, build):
    lines = _lines(120)
    lines[30, 9] = golden.get_lut("standard").invalid_codes[2]
    r = check_lines(lines, lanes=8, seed=4, idle=0.3, stall=0.3, sim="icarus",
                    build_dir=build, verilog=core8 + mutant_engine(8, {}), timeout=2000)
    assert r.passed, r.errors


def test_a_stream_that_ends_early_is_a_failure(build):
    lines = _lines(50)

    def short():
        yield lines[:20], packet_lasts(20, 256)

    r = check_lines(count=50, chunks=short(), lanes=64, seed=1, sim="icarus",
                    build_dir=build, timeout=500)
    assert not r.passed
    assert any("stream ended after 20 of 50 lines" in e for e in r.errors), r.errors


def test_the_run_directory_goes_away_unless_it_failed(tmp_path):
    build = tmp_path / "b"
    r = check_lines(_lines(10), lanes=64, seed=1, sim="icarus", build_dir=build)
    assert r.passed and r.log is None
    root = sim_root(build) / "check"
    assert not list(root.glob("run_*"))


def test_uniform_bytes_with_many_invalid_codes(build):
    lines = uniform_lines(np.random.default_rng(7), 200)
    r = check_lines(lines, lanes=16, seed=3, sim="icarus", build_dir=build)
    assert r.passed, r.errors
    assert r.invalid_codes == int((~golden.get_lut("standard").valid[lines]).sum())


@pytest.mark.needs_verilator
@pytest.mark.parametrize("lanes", [64, 8])
def test_verilator_agrees(lanes, build):
    lines = _lines(200)
    lines[7, 7] = 255
    kw = dict(lanes=lanes, seed=11, idle=0.2, stall=0.2, build_dir=build)
    a = check_lines(lines, sim="icarus", **kw)
    b = check_lines(lines, sim="verilator", **kw)
    assert a.passed and b.passed, (a.errors, b.errors)
    # the same xorshift pattern: the same clocks, transfers and coverage
    assert (a.clocks, a.transfers, a.cycles) == (b.clocks, b.transfers, b.cycles)
    assert a.coverage == b.coverage


def test_waves_are_kept_on_icarus_and_refused_on_verilator(tmp_path):
    r = check_lines(_lines(4), lanes=8, seed=1, sim="icarus", build_dir=tmp_path, waves=True)
    assert r.passed and r.waves and open(r.waves, "rb").read(1)  # an FST with content
    with pytest.raises(ValueError, match="waves are recorded with Icarus only"):
        check_lines(_lines(4), lanes=8, sim="verilator", build_dir=tmp_path, waves=True)
