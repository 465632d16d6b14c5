"""Block-RAM lanes: one 256-row table per lane, read synchronously, for any codec.

Each lane reads its own 256 x 10 ``Memory`` through one synchronous read port,
the shape of one block RAM on the parts that have them (an iCE40 ``SB_RAM40_4K``
or an ECP5 ``DP16KD`` each), so synthesis maps the table out of the logic
entirely.  The read register *is* the pipelined engine's output register:
the table adds no flip-flop and no clock (see
:class:`~tritpack.hw.decoder.TernaryDecoder`), which is why this
implementation is for the pipelined engine only.  The rows are those of
:func:`golden.lut_io.lut_rows`, zero for invalid codes; the engine flags
invalid codes itself, one clock ahead, as for every pipelined variant.
"""

from __future__ import annotations

from amaranth.hdl import Elaboratable, Module
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from tritpack import golden
from tritpack.golden import lut_io

__all__ = ["BramLanes"]


class BramLanes(wiring.Component):
    """``lanes`` byte decoders, each one synchronous ROM read.

    Latency 1: ``trits`` holds the rows of the ``codes`` presented in the last
    clock with ``en`` set for that lane, and keeps them while ``en`` is low
    (the back-pressure of the output register it replaces).  No reset: the
    read registers start at zero.

    Parameters
    ----------
    lanes : int
        Number of bytes decoded at once.
    codec : str or golden.Lut
        Any codec.

    Members
    -------
    codes : ``In(8 * lanes)``
        Byte ``k`` at bits [8k+7:8k].
    en : ``In(lanes)``
        Bit ``k``: lane ``k`` reads ``codes`` in this clock.
    trits : ``Out(10 * lanes)``
        Trit ``n`` of lane ``k`` at bits [10k+2n+1:10k+2n]; zero for invalid codes.
    """

    def __init__(self, lanes: int, codec="standard"):
        self._lanes = lanes
        self._lut = golden.get_lut(codec)
        super().__init__({
            "codes": In(8 * lanes),
            "en": In(lanes),
            "trits": Out(lut_io.ROW_BITS * lanes),
        })

    def elaborate(self, platform) -> Elaboratable:
        m = Module()
        width = lut_io.ROW_BITS
        rows = [int(r) for r in lut_io.lut_rows(self._lut)]
        for k in range(self._lanes):
            # One memory per lane, not one with `lanes` read ports: one block RAM
            # each, with nothing for synthesis to duplicate or share.
            m.submodules[f"rom{k}"] = rom = Memory(shape=width, depth=256, init=rows)
            port = rom.read_port(domain="sync")
            m.d.comb += [
                port.addr.eq(self.codes.word_select(k, 8)),
                port.en.eq(self.en[k]),
                self.trits.word_select(k, width).eq(port.data),
            ]
        return m
