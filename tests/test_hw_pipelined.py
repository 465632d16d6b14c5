# amaranth: UnusedElaboratable=no
"""The pipelined engine (``pipelined=True``) against the golden model.

The simulation and model helpers are those of ``test_hw_decoder.py``
(``ref_decode`` from :mod:`golden` alone beside ``rtl_run``); here every run
uses the pipelined variant, whose output is one register stage later
(latency 2) and must keep every stream rule and the full throughput.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from test_hw_decoder import (
    LINE,
    assert_stream_rules,
    comb_response,
    every_code_lines,
    random_lines,
    ref_decode,
    rtl_run,
    transfers,
)

import golden
from golden.cli import main as tritpack
from hw.decoder import TernaryDecoder
from hw.verilog import generate_verilog

CODECS = golden.CODEC_NAMES
VARIANTS = [pytest.param(False, id="unreg"), pytest.param(True, id="reg")]
IMPLS = ["rom", "arith"]


def engine(lanes, codec="standard", registered=False, impl="rom"):
    return TernaryDecoder(lanes, codec, registered, impl, pipelined=True)


# --- parameters ------------------------------------------------------------------------


def test_latency_property():
    assert engine(8).latency == 2 and engine(8).pipelined
    assert TernaryDecoder(8).latency == 1 and not TernaryDecoder(8).pipelined
    assert TernaryDecoder.latency == 1          # on the class: the default variant


def test_custom_lut():
    """A custom codec's invalid codes (here 0..12) are flagged on load and on shift."""
    std = golden.get_lut("standard")
    lut = golden.Lut.from_table(std.trits[::-1].copy(), std.valid[::-1], name="reversed")
    lines = [(bytes(range(64)), True), (bytes(range(255, 191, -1)), False)]
    got = transfers(rtl_run(engine(2, lut), lines))
    assert got == ref_decode(lines, 2, lut)
    assert sum(b.invalid for b in got) == 7     # codes 0..12 in beats 0..6 of line 0


# --- functional ------------------------------------------------------------------------


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("lanes", [1, 8])
def test_every_code_every_lane(lanes, codec, impl):
    lines = every_code_lines(lanes)
    trace = rtl_run(engine(lanes, codec, impl=impl), lines, ready=(1, 1, 0))
    assert transfers(trace) == ref_decode(lines, lanes, codec)


@pytest.mark.parametrize(("lanes", "impl"), [(1, "rom"), (8, "arith"), (8, "rom"),
                                             (64, "arith")])
@pytest.mark.parametrize("registered", VARIANTS)
def test_random_backpressure(lanes, registered, impl):
    rng = np.random.default_rng(lanes + 100 * registered)
    lines = random_lines(rng, 3 if lanes == 1 else 20, "tq1", invalid_rate=0.1)
    ready = tuple(int(r) for r in rng.random(61) < 0.6)
    idle = tuple(int(g) for g in rng.integers(0, 3, 7))
    trace = rtl_run(engine(lanes, "tq1", registered, impl), lines, idle=idle, ready=ready)
    assert transfers(trace) == ref_decode(lines, lanes, "tq1")
    assert_stream_rules(trace)


@pytest.mark.parametrize("lanes", [1, 8, 64])
def test_last(lanes):
    zero = bytes(LINE)
    lines = [(zero, False), (zero, True), (zero, True), (zero, False), (zero, True)]
    got = transfers(rtl_run(engine(lanes), lines, ready=(1, 0, 1)))
    beats = LINE // lanes
    assert [n for n, b in enumerate(got) if b.last] == [2 * beats - 1, 3 * beats - 1,
                                                        5 * beats - 1]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("registered", VARIANTS)
@pytest.mark.parametrize("codec", CODECS)
def test_invalid_flag_and_sticky_error(codec, registered, impl):
    lut = golden.get_lut(codec)
    good = bytes([int(lut.codes[0])]) * LINE
    bad = bytearray(good)
    bad[13] = int(lut.invalid_codes[-1])
    lines = [(good, False), (bytes(bad), False), (good, True), (good, False)]
    trace = rtl_run(engine(8, codec, registered, impl), lines, ready=(1, 0))
    got = transfers(trace)
    assert got == ref_decode(lines, 8, codec)
    assert [b.invalid for b in got] == [False] * 9 + [True] + [False] * 22
    assert (got[9].data >> (10 * 5)) & 0x3FF == 0   # byte 5 of beat 1 of line 1
    first = next(n for n, c in enumerate(trace) if c.o_valid and c.o_ready and c.beat.invalid)
    assert not any(c.error for c in trace[: first + 1])
    assert all(c.error for c in trace[first + 1 :])


@pytest.mark.parametrize("lanes", [2, 64])
def test_invalid_first_and_last_beat(lanes):
    """The flags computed on load (first beat) and on shift (the others)."""
    beats = LINE // lanes
    data = bytearray(bytes(LINE))
    data[0] = 250                           # beat 0
    data[LINE - 1] = 243                    # the final beat
    lines = [(bytes(data), False), (bytes(LINE), True), (bytes(data), True)]
    got = transfers(rtl_run(engine(lanes), lines))
    assert got == ref_decode(lines, lanes, "standard")
    expected = {0, beats - 1, 2 * beats, 3 * beats - 1}
    assert {n for n, b in enumerate(got) if b.invalid} == expected


@pytest.mark.parametrize("registered", VARIANTS)
def test_reset_clears_error(registered):
    bad = bytes([255]) * LINE
    trace = rtl_run(engine(64, "standard", registered), [(bad, False)] * 4, reset_at=6,
                    drain=6)
    n = next(n for n, c in enumerate(trace) if c.rst)
    assert trace[n - 1].error
    assert not any(c.error or c.o_valid for c in trace[n + 1 :])


@pytest.mark.parametrize("registered", VARIANTS)
@pytest.mark.parametrize("lanes", [1, 8])
def test_reset_mid_line(lanes, registered):
    """Reset drops the line being decoded, the output stage and a skid line."""
    rng = np.random.default_rng(7)
    lines = random_lines(rng, 5)
    beats = LINE // lanes
    reset_at = 2 + beats // 2
    trace = rtl_run(engine(lanes, "standard", registered), lines, idle=(0, 0, reset_at + 2),
                    reset_at=reset_at)
    n = next(n for n, c in enumerate(trace) if c.rst)
    accepted = [k for k, c in enumerate(trace) if c.i_valid and c.i_ready]
    lost = sum(k <= n for k in accepted)
    assert lost == (2 if registered else 1)
    before = transfers(trace[:n])
    assert 0 < len(before) < beats
    assert before == ref_decode(lines[:1], lanes, "standard")[: len(before)]
    assert not trace[n + 1].o_valid, "o.valid must be low after reset"
    assert transfers(trace[n + 1 :]) == ref_decode(lines[lost:], lanes, "standard")


@pytest.mark.parametrize("registered", VARIANTS)
@pytest.mark.parametrize("lanes", [1, 8, 64])
def test_hold_while_stalled(lanes, registered):
    rng = np.random.default_rng(3)
    lines = random_lines(rng, 6, invalid_rate=0.2)
    trace = rtl_run(engine(lanes, "standard", registered), lines,
                    ready=(0, 0, 0, 0, 1, 0, 1, 1))
    assert sum(c.o_valid and not c.o_ready for c in trace) > 5
    assert_stream_rules(trace)
    assert transfers(trace) == ref_decode(lines, lanes, "standard")


# --- timing ----------------------------------------------------------------------------


@pytest.mark.parametrize("registered", VARIANTS)
@pytest.mark.parametrize("lanes", [1, 8, 64])
def test_throughput(lanes, registered):
    """With the output always ready: one output transfer every clock, no bubble."""
    rng = np.random.default_rng(5)
    count = 2 if lanes == 1 else 8
    lines = random_lines(rng, count)
    trace = rtl_run(engine(lanes, "standard", registered), lines)
    beats = LINE // lanes
    busy = [c.o_valid for c in trace]
    start = busy.index(True)
    assert busy[start : start + count * beats] == [True] * (count * beats)
    assert not any(busy[start + count * beats :])
    accepted = [n for n, c in enumerate(trace) if c.i_valid and c.i_ready]
    gaps = [1] + [beats] * (count - 2) if registered else [beats] * (count - 1)
    assert np.diff(accepted).tolist() == gaps
    assert transfers(trace) == ref_decode(lines, lanes, "standard")


@pytest.mark.parametrize("ready", [(1,), (0,)], ids=["ready", "stalled"])
@pytest.mark.parametrize("registered", VARIANTS)
@pytest.mark.parametrize("lanes", [1, 64])
def test_latency(lanes, registered, ready):
    """``o.valid`` rises 2 clocks after the input transfer, whatever ``o.ready`` does."""
    trace = rtl_run(engine(lanes, "standard", registered), [(bytes(LINE), True)], idle=(3,),
                    ready=ready, drain=8)
    accepted = next(n for n, c in enumerate(trace) if c.i_valid and c.i_ready)
    first = next(n for n, c in enumerate(trace) if c.o_valid)
    assert first - accepted == engine(lanes).latency == 2


@pytest.mark.parametrize("lanes", [8, 64])
def test_registered_has_no_comb_path(lanes):
    dut = engine(lanes, registered=True)
    assert not comb_response(dut, dut.o.ready, dut.i.ready)
    dut = engine(lanes, registered=True)
    assert not comb_response(dut, dut.i.valid, dut.o.valid)
    dut = engine(lanes)
    assert not comb_response(dut, dut.i.valid, dut.o.valid)


# --- Verilog ---------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("iverilog") is None or shutil.which("verilator") is None,
                    reason="iverilog or verilator not installed (make tools)")
@pytest.mark.parametrize(("lanes", "registered", "impl"),
                         [(1, True, "rom"), (8, False, "arith"), (64, True, "arith"),
                          (64, False, "rom")])
def test_verilog_lint_clean(tmp_path, lanes, registered, impl):
    path = tmp_path / "ternary_decoder.v"
    path.write_text(generate_verilog(lanes, "tq1", registered, impl=impl, pipelined=True))
    r = subprocess.run(["iverilog", "-g2005", "-Wall", "-o", str(tmp_path / "a.out"), str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr
    r = subprocess.run(["verilator", "--lint-only", "-Wall", str(path)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0 and "%Warning" not in r.stderr, r.stderr


def test_cli_pipelined(tmp_path, capsys):
    out = tmp_path / "dec.v"
    assert tritpack(["verilog", "--lanes", "8", "--pipelined", "-o", str(out)]) == 0
    assert out.read_text() == generate_verilog(8, pipelined=True)
    assert out.read_text() != generate_verilog(8)
    assert "pipelined (latency 2)" in capsys.readouterr().out
