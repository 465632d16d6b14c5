# amaranth: UnusedElaboratable=no
"""The arithmetic lane decoder equals the golden LUT on all 256 codes (Amaranth simulator)."""

import numpy as np
import pytest
from amaranth.hdl import Cat, Module, Mux
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from tritpack import golden
from tritpack.hw.lanes.arith import ArithBack, ArithByteDecoder, ArithFront
from tritpack.hw.lanes.lane import InvalidFlags, LaneDecoder


def ref_row(lut, code):
    """Expected (trits bits, invalid) of one code, from the golden model."""
    bits = sum((int(t) & 3) << (2 * n) for n, t in enumerate(lut.trits[code]))
    return bits, int(not lut.valid[code])


def rtl_rows(dut, codes_of, lanes, n_inputs):
    """Drive every input word, collect (trits word, invalid word) per input."""
    out = []

    async def bench(ctx):
        for i in range(n_inputs):
            ctx.set(codes_of(dut), i if lanes == 1 else _spread(i, lanes))
            out.append((ctx.get(dut.trits), ctx.get(dut.invalid)))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    return out


def _spread(code, lanes):
    # lane k reads code (code + 37 k) mod 256, so lanes see different codes
    return sum(((code + 37 * k) % 256) << (8 * k) for k in range(lanes))


@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
def test_arith_byte_decoder_equals_golden_on_all_codes(codec):
    lut = golden.get_lut(codec)
    dut = ArithByteDecoder(codec)
    got = rtl_rows(dut, lambda d: d.code, 1, 256)
    want = [ref_row(lut, c) for c in range(256)]
    bad = [c for c in range(256) if got[c] != want[c]]
    assert not bad, (f"codes {bad[:8]}: got {[got[c] for c in bad[:3]]}, "
                     f"want {[want[c] for c in bad[:3]]}")


@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
def test_lane_decoder_arith_impl_multi_lane(codec):
    lut = golden.get_lut(codec)
    lanes = 3
    dut = LaneDecoder(lanes, codec, impl="arith")
    got = rtl_rows(dut, lambda d: d.codes, lanes, 256)
    for i, (trits, invalid) in enumerate(got):
        for k in range(lanes):
            code = (i + 37 * k) % 256
            bits, bad = ref_row(lut, code)
            assert (trits >> (10 * k)) & 0x3FF == bits, (i, k, code)
            assert (invalid >> k) & 1 == bad, (i, k, code)


def test_arith_rejects_custom_lut():
    table = np.array(golden.get_lut("standard").trits)
    table[[0, 1]] = table[[1, 0]]  # a valid but different codec
    custom = golden.Lut.from_table(table, name="swapped")
    with pytest.raises(ValueError, match="arith.*swapped"):
        ArithByteDecoder(custom)
    with pytest.raises(ValueError, match="arith"):
        LaneDecoder(1, custom, impl="arith")


class _FrontBack(wiring.Component):
    """ArithFront then ArithBack, masked as the engine masks them."""

    def __init__(self, lanes, codec):
        self.front, self.back = ArithFront(lanes, codec), ArithBack(lanes, codec)
        self.lanes = lanes
        super().__init__({"codes": In(8 * lanes), "trits": Out(10 * lanes),
                          "invalid": Out(lanes)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.front, m.submodules.back = self.front, self.back
        m.submodules.flags = flags = InvalidFlags(self.lanes, self.front._lut)
        m.d.comb += [self.front.codes.eq(self.codes), flags.codes.eq(self.codes),
                     self.back.state.eq(self.front.state), self.invalid.eq(flags.invalid)]
        m.d.comb += self.trits.eq(Cat(Mux(flags.invalid[k], 0, self.back.trits.word_select(k, 10))
                                      for k in range(self.lanes)))
        return m


@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
def test_split_stages_equal_golden_on_all_codes(codec):
    """The split decoder (front stage, state, back stage) decodes every code in every lane."""
    lut = golden.get_lut(codec)
    lanes = 2
    rows = rtl_rows(_FrontBack(lanes, codec), lambda d: d.codes, lanes, 256)
    for i, (trits, invalid) in enumerate(rows):
        for k in range(lanes):
            bits, bad = ref_row(lut, (i + 37 * k) % 256)
            assert ((trits >> (10 * k)) & 0x3FF, (invalid >> k) & 1) == (bits, bad), (i, k)
    assert ArithFront.state_bits_of(codec) == ArithFront(1, codec).state_bits
