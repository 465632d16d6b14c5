# amaranth: UnusedElaboratable=no
"""What only the pipelined engine (``pipelined=True``, latency 2) has.

The checks that both engines must pass (against the golden model, the stream
rules, throughput, latency whatever ``o.ready`` does, reset, combinational
paths) are in ``test_hw_decoder.py``, parametrized over ``pipelined``.  Here:
the ``latency`` and ``pipelined`` properties, the per-beat invalid flags that
the pipelined engine computes one clock ahead (on load for the first beat of a
line, on shift for the others, with the standard and a custom table), the
Verilog of pipelined configurations and the CLI's ``--pipelined``.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from tritpack import golden
from tritpack.cli import main as tritpack
from tritpack.hw.decoder import TernaryDecoder
from tritpack.hw.lanes.lane import LaneDecoder
from tritpack.hw.verilog import generate_verilog

from utils import LINE, assert_stream_rules, random_lines, ref_decode, rtl_run, transfers


def engine(lanes, codec="standard", registered=False, impl="rom"):
    return TernaryDecoder(lanes, codec, registered, impl, pipelined=True)


# --- parameters ------------------------------------------------------------------------


def test_latency_property():
    assert engine(8).latency == 2 and engine(8).pipelined
    assert TernaryDecoder(8).latency == 1 and not TernaryDecoder(8).pipelined


# --- invalid flags, computed on load and on shift --------------------------------------


def test_custom_lut():
    """A custom codec's invalid codes (here 0..12) are flagged on load and on shift."""
    std = golden.get_lut("standard")
    lut = golden.Lut.from_table(std.trits[::-1].copy(), std.valid[::-1], name="reversed")
    lines = [(bytes(range(64)), True), (bytes(range(255, 191, -1)), False)]
    got = transfers(rtl_run(engine(2, lut), lines))
    assert got == ref_decode(lines, 2, lut)
    assert sum(b.invalid for b in got) == 7     # codes 0..12 in beats 0..6 of line 0


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


# --- the split lane decoder (front stage one clock ahead, into `pre`) ------------------


def test_split_is_chosen_at_64_lanes_for_arith_only():
    assert engine(64, impl="arith").split and engine(64, impl="arith").pre is not None
    assert not engine(8, impl="arith").split and engine(8, impl="arith").pre is None
    assert not engine(64).split                                   # rom: no split
    assert not TernaryDecoder(64, impl="arith").split             # not pipelined
    assert TernaryDecoder(8, impl="arith", pipelined=True, split=True).split


@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
@pytest.mark.parametrize(("lanes", "registered"), [(2, False), (8, True), (64, False),
                                                   (64, True)])
def test_split_decodes_like_golden(lanes, registered, codec):
    """Random lines with invalid codes, input gaps and output back-pressure."""
    dut = TernaryDecoder(lanes, codec, registered, "arith", pipelined=True, split=True)
    lines = random_lines(np.random.default_rng(16 + lanes), 5, codec, invalid_rate=0.1)
    trace = rtl_run(dut, lines, idle=(0, 2, 0), ready=(1, 0, 1, 1, 0, 0))
    assert_stream_rules(trace)
    assert transfers(trace) == ref_decode(lines, lanes, codec)


# --- copies of the enables (`hold` and `o.valid`) ---------------------------------------


def test_enable_copies_default_and_errors():
    """One copy per 16 lanes, at least one; none when not pipelined; a value that
    does not divide ``lanes`` is refused, saying what was expected."""
    assert [len(engine(n).hold_copies) for n in (1, 8, 16, 64)] == [1, 1, 1, 4]
    assert len(engine(64).valid_copies) == 4 and TernaryDecoder(64).hold_copies == []
    for bad in (3, 0, True, 2.0):
        with pytest.raises(ValueError, match=r"copies must be a divisor of lanes \(8\)"):
            TernaryDecoder(8, pipelined=True, copies=bad)


@pytest.mark.parametrize(("lanes", "copies", "impl"), [(8, 8, "rom"), (8, 2, "arith"),
                                                       (64, 64, "arith"), (64, 1, "rom")])
def test_enable_copies_decode_like_golden(lanes, copies, impl):
    """Any number of copies decodes the same, under input gaps and back-pressure."""
    dut = TernaryDecoder(lanes, "standard", False, impl, pipelined=True, copies=copies)
    assert len(dut.hold_copies) == len(dut.valid_copies) == copies
    lines = random_lines(np.random.default_rng(160 + copies), 4, "standard", invalid_rate=0.1)
    trace = rtl_run(dut, lines, idle=(0, 2, 0), ready=(1, 0, 1, 1, 0, 0))
    assert_stream_rules(trace)
    assert transfers(trace) == ref_decode(lines, lanes, "standard")


# --- impl="bram": the output register is the tables' read register ---------------------


def test_bram_is_pipelined_only():
    """Refused by the engine with latency 1 and by the combinational lane decoder,
    saying why; the pipelined engine keeps latency 2."""
    with pytest.raises(ValueError, match=r"impl 'bram' needs the pipelined engine "
                                         r"\(pipelined=True, --pipelined\): its read "
                                         r"register is the output register"):
        TernaryDecoder(8, impl="bram")
    with pytest.raises(ValueError, match=r"impl 'bram' reads synchronously; a LaneDecoder"):
        LaneDecoder(8, "standard", "bram")
    assert engine(8, impl="bram").latency == 2 and not engine(64, impl="bram").split


@pytest.mark.parametrize(("lanes", "registered", "codec"),
                         [(1, True, "tq1"), (2, False, "reversed"), (8, False, "standard"),
                          (64, True, "reversed")])
def test_bram_decodes_like_golden(lanes, registered, codec):
    """Built-in and custom tables, invalid codes, input gaps and back-pressure: the
    read registers must hold their trits while ``o.ready`` is low."""
    if codec == "reversed":
        std = golden.get_lut("standard")
        codec = golden.Lut.from_table(std.trits[::-1].copy(), std.valid[::-1], name="reversed")
    dut = engine(lanes, codec, registered, "bram")
    lines = random_lines(np.random.default_rng(32 + lanes), 2 if lanes == 1 else 5, codec,
                         invalid_rate=0.1)
    trace = rtl_run(dut, lines, idle=(0, 2, 0), ready=(1, 0, 0, 1, 1, 0))
    assert sum(c.o_valid and not c.o_ready for c in trace) > 3
    assert_stream_rules(trace)
    assert transfers(trace) == ref_decode(lines, lanes, codec)


@pytest.mark.parametrize("lanes", [8, 64])
def test_bram_throughput_and_latency(lanes):
    """No bubble between lines, first beat two clocks after the input transfer."""
    lines = random_lines(np.random.default_rng(9), 4)
    trace = rtl_run(engine(lanes, impl="bram"), lines)
    busy = [c.o_valid for c in trace]
    start = busy.index(True)
    accepted = [n for n, c in enumerate(trace) if c.i_valid and c.i_ready]
    assert start - accepted[0] == 2
    assert busy[start:start + 4 * (LINE // lanes)] == [True] * (4 * (LINE // lanes))
    assert transfers(trace) == ref_decode(lines, lanes, "standard")


# --- Verilog ---------------------------------------------------------------------------


@pytest.mark.needs_iverilog
@pytest.mark.needs_verilator
@pytest.mark.parametrize(("lanes", "registered", "impl"),
                         [(1, True, "rom"), (8, False, "arith"), (64, True, "arith"),
                          (64, False, "rom"), (8, False, "bram"), (64, True, "bram")])
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
    command = f"tritpack verilog --lanes 8 --pipelined -o {out}"
    assert out.read_text() == generate_verilog(8, pipelined=True, command=command)
    assert out.read_text() != generate_verilog(8, command=command)
    assert "pipelined (latency 2)" in capsys.readouterr().out
