"""ROM lanes: one 256-row table shared by every lane, for any codec.

The table comes only from the golden model: :func:`rom_rows` takes the 10-bit
rows of :func:`golden.lut_io.lut_rows` and adds the validity bit.
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Elaboratable, Module
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from tritpack import golden
from tritpack.golden import lut_io

__all__ = ["RomLanes", "rom_rows"]


def rom_rows(codec="standard") -> list[int]:
    """The decode table of ``codec`` as 256 rows of 11 bits.

    Bits [9:0] of row ``c`` are golden's output row of code ``c`` (trit ``n`` at
    bits [2n+1:2n], two's complement; zero for invalid codes), bit 10 is set when
    ``c`` is a valid code.

    Parameters
    ----------
    codec : str or golden.Lut
        A codec name or a golden LUT.
    """
    lut = golden.get_lut(codec)
    rows = lut_io.lut_rows(lut).astype(np.int64)
    rows |= lut.valid.astype(np.int64) << lut_io.ROW_BITS
    return [int(r) for r in rows]


class RomLanes(wiring.Component):
    """``lanes`` byte decoders reading one asynchronous ROM.

    One 256 x 11 Amaranth ``Memory`` with its ``init`` from :func:`rom_rows`,
    one combinational read port per lane; it is emitted as one initialised
    array, so the Verilog stays small.  Latency 0, no state, no reset.

    Parameters
    ----------
    lanes : int
        Number of bytes decoded at once.
    codec : str or golden.Lut
        Any codec.

    Members
    -------
    codes, trits, invalid
        As for :class:`~tritpack.hw.lanes.lane.LaneDecoder`.
    """

    def __init__(self, lanes: int, codec="standard"):
        self._lanes = lanes
        self._lut = golden.get_lut(codec)
        super().__init__({
            "codes": In(8 * lanes),
            "trits": Out(lut_io.ROW_BITS * lanes),
            "invalid": Out(lanes),
        })

    def elaborate(self, platform) -> Elaboratable:
        m = Module()
        width = lut_io.ROW_BITS
        m.submodules.rom = rom = Memory(shape=width + 1, depth=256, init=rom_rows(self._lut))
        for k in range(self._lanes):
            port = rom.read_port(domain="comb")
            m.d.comb += [
                port.addr.eq(self.codes.word_select(k, 8)),
                self.trits.word_select(k, width).eq(port.data[:width]),
                self.invalid[k].eq(~port.data[width]),
            ]
        return m
