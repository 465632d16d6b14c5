"""Byte-lane decoders: the combinational heart of the engine.

A lane decoder turns byte codes into five 2-bit trits each and says which codes
are invalid.  :class:`TernaryDecoder <hw.decoder.TernaryDecoder>` only sees the
:class:`LaneDecoder` interface, so other implementations (a logic ROM, block
RAM, arithmetic decoding for ``tq1``) can be added behind its ``impl=``
parameter without touching the stream logic.

The table content comes only from the golden model: :func:`rom_rows` takes the
10-bit rows of :func:`golden.lut_io.lut_rows` and adds the validity bit.
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import C, Elaboratable, Module
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from tritpack import golden
from tritpack.golden import lut_io

from . import IMPLS
from .arith import ArithByteDecoder, arith_codec

__all__ = ["IMPLS", "TRIT_BITS", "InvalidFlags", "LaneDecoder", "rom_rows"]

#: Bits per decoded trit: 2-bit two's complement, +1 = 01, 0 = 00, -1 = 11.
TRIT_BITS = 2



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


class LaneDecoder(wiring.Component):
    """Decode ``lanes`` byte codes to trits, combinationally.

    Latency 0: outputs follow ``codes`` in the same clock.  No state, so no reset.

    Parameters
    ----------
    lanes : int
        Number of bytes decoded at once.
    codec : str or golden.Lut
        The codec whose table is built in.
    impl : str
        ``"rom"``: one 256 x 11 asynchronous ROM (an Amaranth ``Memory`` with its
        ``init`` from :func:`rom_rows`) shared by all lanes, one read port per lane.
        It is emitted as one initialised array, so the Verilog stays small.
        ``"arith"``: per lane, nibble tables and a ternary adder
        (:class:`hw.lanes.arith.ArithByteDecoder`, ``standard`` and ``tq1`` only):
        about a third of the LUTs of the ROM on iCE40.

    Members
    -------
    codes : ``In(8 * lanes)``
        Byte ``k`` at bits [8k+7:8k].
    trits : ``Out(10 * lanes)``
        Trit ``n`` of byte ``k`` at bits [10k+2n+1:10k+2n]; zero for invalid codes.
    invalid : ``Out(lanes)``
        Bit ``k`` set when byte ``k`` is not a valid code.

    Raises
    ------
    ValueError
        For an unknown ``impl`` or codec name.
    """

    def __init__(self, lanes: int = 1, codec="standard", impl: str = "rom"):
        if not isinstance(lanes, int) or lanes < 1:
            raise ValueError(f"lanes must be a positive integer, not {lanes!r}")
        if impl not in IMPLS:
            raise ValueError(f"impl must be one of {', '.join(IMPLS)}, not {impl!r}")
        self._lanes = lanes
        self._lut = golden.get_lut(codec)
        self._impl = impl
        if impl == "arith":
            arith_codec(self._lut)  # raises ValueError for a codec it cannot do
        width = TRIT_BITS * golden.TRITS_PER_BYTE
        super().__init__({
            "codes": In(8 * lanes),
            "trits": Out(width * lanes),
            "invalid": Out(lanes),
        })

    @property
    def lanes(self) -> int:
        return self._lanes

    @property
    def lut(self) -> golden.Lut:
        return self._lut

    @property
    def impl(self) -> str:
        return self._impl

    def elaborate(self, platform) -> Elaboratable:
        m = Module()
        width = TRIT_BITS * golden.TRITS_PER_BYTE
        if self._impl == "arith":
            for k in range(self._lanes):
                m.submodules[f"arith{k}"] = dec = ArithByteDecoder(self._lut)
                m.d.comb += [
                    dec.code.eq(self.codes.word_select(k, 8)),
                    self.trits.word_select(k, width).eq(dec.trits),
                    self.invalid[k].eq(dec.invalid),
                ]
            return m
        m.submodules.rom = rom = Memory(shape=width + 1, depth=256, init=rom_rows(self._lut))
        for k in range(self._lanes):
            port = rom.read_port(domain="comb")
            m.d.comb += [
                port.addr.eq(self.codes.word_select(k, 8)),
                self.trits.word_select(k, width).eq(port.data[:width]),
                self.invalid[k].eq(~port.data[width]),
            ]
        return m


class InvalidFlags(wiring.Component):
    """Flag the invalid codes among ``lanes`` bytes, combinationally.

    Latency 0, no state.  Flag ``k`` is bit 0 of the 256-bit constant
    ``~lut.valid`` shifted right by byte ``k``: one line of Verilog per byte,
    which synthesis reduces to the codec's invalid-code function (two or three
    LUT4 for ``standard``).  Not a ROM: Yosys's ``synth_ecp5`` crashes mapping a
    ROM reduced to one bit with 64 read ports.  The pipelined engine uses it to
    compute a beat's flags one clock ahead.

    Parameters
    ----------
    lanes : int
        Number of bytes checked at once.
    codec : str or golden.Lut
        The codec whose valid codes are built in.

    Members
    -------
    codes : ``In(8 * lanes)``
        Byte ``k`` at bits [8k+7:8k].
    invalid : ``Out(lanes)``
        Bit ``k`` set when byte ``k`` is not a valid code.
    """

    def __init__(self, lanes: int = 1, codec="standard"):
        if not isinstance(lanes, int) or lanes < 1:
            raise ValueError(f"lanes must be a positive integer, not {lanes!r}")
        self._lanes = lanes
        self._lut = golden.get_lut(codec)
        super().__init__({"codes": In(8 * lanes), "invalid": Out(lanes)})

    def elaborate(self, platform) -> Elaboratable:
        m = Module()
        # Bit 256 is a guard, never shifted down to bit 0: with the top bit set,
        # Yosys does not trim the constant's leading zeros (for `tq1`), which
        # Verilator would flag as a width mismatch of the shift.
        table = C(sum(1 << c for c in range(256) if not self._lut.valid[c]) | 1 << 256, 257)
        for k in range(self._lanes):
            # A full-width shift, then bit 0: `bit_select` would be written as a
            # 257-bit shift assigned to 1 bit, a width mismatch for Verilator.
            m.d.comb += self.invalid[k].eq((table >> self.codes.word_select(k, 8))[0])
        return m
