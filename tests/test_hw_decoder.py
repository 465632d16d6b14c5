# amaranth: UnusedElaboratable=no
"""The decode engine against the golden model, in Amaranth's simulator.

``ref_*`` functions compute what the engine must emit from :mod:`golden` alone;
``rtl_*`` functions simulate :class:`hw.decoder.TernaryDecoder` and return what it
did.  Each test asserts that the two agree, and that the streams keep the rules
of :mod:`amaranth.lib.stream`.

The tests parametrized over ``pipelined`` (ids ``lat1`` and ``pipe``) run both the
default engine (latency 1) and the pipelined one (latency 2); what only the
pipelined variant has is tested in ``test_hw_pipelined.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from tritpack import golden
from tritpack.hw.decoder import LANES, TernaryDecoder, engine_latency

from utils import (
    assert_stream_rules,
    random_lines,
    ref_decode,
    rtl_run,
    transfers,
)

LINE = golden.LINE_BYTES
CODECS = golden.CODEC_NAMES
VARIANTS = [pytest.param(False, id="unreg"), pytest.param(True, id="reg")]
PIPELINED = [pytest.param(False, id="lat1"), pytest.param(True, id="pipe")]
# (pipelined, impl): every lane implementation in each engine that builds it.
ENGINES = [pytest.param(False, "rom", id="lat1-rom"), pytest.param(False, "arith", id="lat1-arith"),
           pytest.param(True, "rom", id="pipe-rom"), pytest.param(True, "arith", id="pipe-arith"),
           pytest.param(True, "bram", id="pipe-bram")]


@pytest.mark.parametrize("lanes", [0, 3, 128, -1, 8.0, "8", True])
def test_rejects_bad_lanes(lanes):
    with pytest.raises(ValueError, match=r"lanes must be one of 1, 2, 4, 8, 16, 32, 64, not "):
        TernaryDecoder(lanes)


def test_rejects_bad_codec():
    with pytest.raises(ValueError, match="unknown codec 'foo'"):
        TernaryDecoder(8, "foo")
    with pytest.raises(TypeError, match="codec must be"):
        TernaryDecoder(8, 42)
    with pytest.raises(ValueError, match=r"impl must be one of rom\b.*, not 'magic'"):
        TernaryDecoder(8, impl="magic")


@pytest.mark.parametrize("lanes", LANES)
def test_signature(lanes):
    assert TernaryDecoder(np.int64(lanes)).lanes == lanes
    dut = TernaryDecoder(lanes)
    assert len(dut.i.payload.data) == 512
    assert len(dut.o.payload.data) == 10 * lanes
    assert dut.beats == 64 // lanes
    assert not dut.i.signature.always_ready and not dut.o.signature.always_valid


def test_custom_lut():
    std = golden.get_lut("standard")
    table = std.trits[::-1].copy()              # code c decodes as standard 255 - c
    lut = golden.Lut.from_table(table, std.valid[::-1], name="reversed")
    data = bytes(range(64))
    assert transfers(rtl_run(TernaryDecoder(64, lut), [(data, True)])) == \
        ref_decode([(data, True)], 64, lut)


# --- functional ------------------------------------------------------------------------


def every_code_lines(lanes):
    """4 * lanes lines in which every byte value passes through every lane once."""
    beats = LINE // lanes
    lines = []
    for n in range(4 * lanes):
        codes = [(n * beats + b + j) % 256 for b in range(beats) for j in range(lanes)]
        lines.append((bytes(codes), n % 3 == 0))
    return lines


@pytest.mark.parametrize("ready", [(1,), (1, 1, 0)], ids=["ready", "stalls"])
@pytest.mark.parametrize(("pipelined", "impl"), ENGINES)
@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("lanes", [1, 8, 64])
def test_every_code_every_lane(lanes, codec, pipelined, impl, ready):
    lines = every_code_lines(lanes)
    trace = rtl_run(TernaryDecoder(lanes, codec, impl=impl, pipelined=pipelined), lines,
                    ready=ready)
    assert transfers(trace) == ref_decode(lines, lanes, codec)


@pytest.mark.parametrize(("lanes", "impl"), [(1, "rom"), (8, "arith"), (8, "rom"),
                                             (64, "arith"), (64, "rom")])
@pytest.mark.parametrize("pipelined", PIPELINED)
@pytest.mark.parametrize("registered", VARIANTS)
def test_random_backpressure(lanes, registered, pipelined, impl):
    check_random_backpressure(lanes, registered, pipelined, impl)


@pytest.mark.parametrize("lanes", [1, 8, 64])
@pytest.mark.parametrize("registered", VARIANTS)
def test_random_backpressure_bram(lanes, registered):
    check_random_backpressure(lanes, registered, True, "bram")


def check_random_backpressure(lanes, registered, pipelined, impl):
    rng = np.random.default_rng(lanes + 100 * registered)
    lines = random_lines(rng, 6 if lanes == 1 else 24, "tq1", invalid_rate=0.1)
    ready = tuple(int(r) for r in rng.random(61) < 0.6)
    idle = tuple(int(g) for g in rng.integers(0, 3, 7))
    dut = TernaryDecoder(lanes, "tq1", registered, impl, pipelined=pipelined)
    trace = rtl_run(dut, lines, idle=idle, ready=ready)
    assert transfers(trace) == ref_decode(lines, lanes, "tq1")
    assert_stream_rules(trace)


@pytest.mark.parametrize("pipelined", PIPELINED)
@pytest.mark.parametrize("lanes", [1, 8, 64])
def test_last(lanes, pipelined):
    zero = bytes(LINE)
    lines = [(zero, False), (zero, True), (zero, True), (zero, False), (zero, True)]
    got = transfers(rtl_run(TernaryDecoder(lanes, pipelined=pipelined), lines,
                            ready=(1, 0, 1)))
    beats = LINE // lanes
    assert [n for n, b in enumerate(got) if b.last] == [2 * beats - 1, 3 * beats - 1,
                                                        5 * beats - 1]


@pytest.mark.parametrize("ready", [(1,), (1, 0)], ids=["ready", "stalls"])
@pytest.mark.parametrize(("pipelined", "impl"), ENGINES)
@pytest.mark.parametrize("registered", VARIANTS)
@pytest.mark.parametrize("codec", CODECS)
def test_invalid_flag_and_sticky_error(codec, registered, pipelined, impl, ready):
    lut = golden.get_lut(codec)
    good = bytes([int(lut.codes[0])]) * LINE
    bad = bytearray(good)
    bad[13] = int(lut.invalid_codes[-1])
    lines = [(good, False), (bytes(bad), False), (good, True), (good, False)]
    dut = TernaryDecoder(8, codec, registered, impl, pipelined=pipelined)
    trace = rtl_run(dut, lines, ready=ready)
    got = transfers(trace)
    assert got == ref_decode(lines, 8, codec)
    assert [b.invalid for b in got] == [False] * 9 + [True] + [False] * 22
    # Invalid codes decode to zero trits: byte 13 is byte 5 of beat 1 of line 1.
    assert (got[9].data >> (10 * 5)) & 0x3FF == 0
    first = next(n for n, c in enumerate(trace) if c.o_valid and c.o_ready and c.beat.invalid)
    assert not any(c.error for c in trace[: first + 1])
    assert all(c.error for c in trace[first + 1 :])


@pytest.mark.parametrize("pipelined", PIPELINED)
@pytest.mark.parametrize("registered", VARIANTS)
def test_reset_clears_error(registered, pipelined):
    bad = bytes([255]) * LINE
    trace = rtl_run(TernaryDecoder(64, "standard", registered, pipelined=pipelined),
                    [(bad, False)] * 4, reset_at=6, drain=6)
    n = next(n for n, c in enumerate(trace) if c.rst)
    assert trace[n - 1].error
    assert not any(c.error or c.o_valid for c in trace[n + 1 :])


@pytest.mark.parametrize("pipelined", PIPELINED)
@pytest.mark.parametrize("registered", VARIANTS)
@pytest.mark.parametrize("lanes", [1, 8])
def test_reset_mid_line(lanes, registered, pipelined):
    """Reset drops the line being decoded (and a line in the skid buffer, and the
    output stage when pipelined)."""
    rng = np.random.default_rng(7)
    lines = random_lines(rng, 5)
    beats = LINE // lanes
    reset_at = 2 + beats // 2               # in the middle of the first line
    dut = TernaryDecoder(lanes, "standard", registered, pipelined=pipelined)

    # Two lines back to back, reset, then the others after a gap.
    trace = rtl_run(dut, lines, idle=(0, 0, reset_at + 2), reset_at=reset_at)
    n = next(n for n, c in enumerate(trace) if c.rst)
    accepted = [k for k, c in enumerate(trace) if c.i_valid and c.i_ready]
    lost = sum(k <= n for k in accepted)    # taken before or at the reset edge
    assert lost == (2 if registered else 1)
    before = transfers(trace[:n])
    assert 0 < len(before) < beats
    assert before == ref_decode(lines[:1], lanes, "standard")[: len(before)]
    assert not trace[n + 1].o_valid, "o.valid must be low after reset"
    assert transfers(trace[n + 1 :]) == ref_decode(lines[lost:], lanes, "standard")


@pytest.mark.parametrize("pipelined", PIPELINED)
@pytest.mark.parametrize("registered", VARIANTS)
@pytest.mark.parametrize("lanes", [1, 8, 64])
def test_hold_while_stalled(lanes, registered, pipelined):
    rng = np.random.default_rng(3)
    lines = random_lines(rng, 6, invalid_rate=0.2)
    trace = rtl_run(TernaryDecoder(lanes, "standard", registered, pipelined=pipelined), lines,
                    ready=(0, 0, 0, 0, 1, 0, 1, 1))
    stalls = sum(c.o_valid and not c.o_ready for c in trace)
    assert stalls > 5
    assert_stream_rules(trace)
    assert transfers(trace) == ref_decode(lines, lanes, "standard")


# --- timing ----------------------------------------------------------------------------


@pytest.mark.parametrize("pipelined", PIPELINED)
@pytest.mark.parametrize("registered", VARIANTS)
@pytest.mark.parametrize("lanes", [1, 8, 64])
def test_throughput(lanes, registered, pipelined):
    """With the output always ready: one output transfer every clock, no bubble."""
    rng = np.random.default_rng(5)
    count = 2 if lanes == 1 else 8
    lines = random_lines(rng, count)
    trace = rtl_run(TernaryDecoder(lanes, "standard", registered, pipelined=pipelined), lines)
    beats = LINE // lanes
    busy = [c.o_valid for c in trace]
    start = busy.index(True)
    assert busy[start : start + count * beats] == [True] * (count * beats)
    assert not any(busy[start + count * beats :])
    accepted = [n for n, c in enumerate(trace) if c.i_valid and c.i_ready]
    assert start - accepted[0] == engine_latency(pipelined)
    # The registered variant takes the second line into its skid buffer at once.
    gaps = [1] + [beats] * (count - 2) if registered else [beats] * (count - 1)
    assert np.diff(accepted).tolist() == gaps
    assert transfers(trace) == ref_decode(lines, lanes, "standard")


@pytest.mark.parametrize("ready", [(1,), (0,)], ids=["ready", "stalled"])
@pytest.mark.parametrize("pipelined", PIPELINED)
@pytest.mark.parametrize("registered", VARIANTS)
@pytest.mark.parametrize("lanes", [1, 64])
def test_latency(lanes, registered, pipelined, ready):
    """``o.valid`` rises :func:`engine_latency` clocks after the input transfer
    (docstring: 1 clock, 2 when pipelined), whatever ``o.ready`` does."""
    dut = TernaryDecoder(lanes, "standard", registered, pipelined=pipelined)
    trace = rtl_run(dut, [(bytes(LINE), True)], idle=(3,), ready=ready, drain=8)
    accepted = next(n for n, c in enumerate(trace) if c.i_valid and c.i_ready)
    first = next(n for n, c in enumerate(trace) if c.o_valid)
    assert first - accepted == dut.latency == engine_latency(pipelined) == 1 + pipelined


# --- combinational paths ---------------------------------------------------------------


def comb_response(dut, signal, target):
    """Whether toggling ``signal`` changes ``target`` within the same clock.

    Runs the engine with input valid and output ready until the line register
    holds the final beat of a line: then `i.ready` may follow `o.ready`.
    """
    seen = []

    async def bench(ctx):
        ctx.set(dut.i.payload.data, 0)
        ctx.set(dut.i.valid, 1)
        ctx.set(dut.o.ready, 1)
        await ctx.tick().repeat(dut.beats)
        ctx.set(dut.i.valid, 0)
        for value in (0, 1, 0):
            ctx.set(signal, value)
            seen.append(ctx.get(target))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return len(set(seen)) > 1


@pytest.mark.parametrize("pipelined", PIPELINED)
@pytest.mark.parametrize("lanes", [8, 64])
def test_registered_has_no_comb_path(lanes, pipelined):
    dut = TernaryDecoder(lanes, registered=True, pipelined=pipelined)
    assert not comb_response(dut, dut.o.ready, dut.i.ready)
    dut = TernaryDecoder(lanes, registered=True, pipelined=pipelined)
    assert not comb_response(dut, dut.i.valid, dut.o.valid)
    dut = TernaryDecoder(lanes, pipelined=pipelined)   # unregistered: no valid path either
    assert not comb_response(dut, dut.i.valid, dut.o.valid)


@pytest.mark.parametrize("lanes", [8, 64])
def test_unregistered_paths(lanes):
    """The documented cost of the unregistered variant: o.ready reaches i.ready.

    This also shows that :func:`comb_response` can see a path at all.
    """
    dut = TernaryDecoder(lanes)
    assert comb_response(dut, dut.o.ready, dut.i.ready)
    dut = TernaryDecoder(lanes)
    assert not comb_response(dut, dut.i.valid, dut.o.valid)
