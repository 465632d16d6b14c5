"""Byte-lane decoders: the combinational heart of the engine.

A lane decoder turns byte codes into five 2-bit trits each and says which codes
are invalid.  :class:`TernaryDecoder <tritpack.hw.decoder.TernaryDecoder>`
only sees the :class:`LaneDecoder` interface; the implementation behind it is
chosen by name from the registry of :mod:`tritpack.hw.lanes`, so another one
(block RAM, say) is a new module there and one registry entry, without
touching the stream logic.
"""

from __future__ import annotations

from amaranth.hdl import C, Elaboratable, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from tritpack import golden
from tritpack.golden.lut_io import ROW_BITS

from . import IMPLS, check_impl

__all__ = ["IMPLS", "InvalidFlags", "LaneDecoder"]


def _check_lanes(lanes) -> None:
    if isinstance(lanes, bool) or not isinstance(lanes, int) or lanes < 1:
        raise ValueError(f"lanes must be a positive integer, not {lanes!r}")


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
        A name of :data:`tritpack.hw.lanes.IMPLS`: ``"rom"``
        (:class:`~tritpack.hw.lanes.rom.RomLanes`, one ROM shared by all lanes,
        any codec) or ``"arith"`` (:class:`~tritpack.hw.lanes.arith.ArithLanes`,
        nibble tables and a ternary adder per lane, ``standard`` and ``tq1``
        only; docs/ENGINE.md compares their cost).

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
        For an unknown ``impl`` or codec name, a codec ``impl`` cannot build, or
        a synchronous one (``bram``).
    """

    def __init__(self, lanes: int = 1, codec="standard", impl: str = IMPLS[0]):
        _check_lanes(lanes)
        self._lanes = lanes
        self._lut = golden.get_lut(codec)
        self._entry = check_impl(impl, self._lut)
        if self._entry.pipelined_only:
            raise ValueError(f"impl {impl!r} reads synchronously; a LaneDecoder is "
                             "combinational (the pipelined engine builds it)")
        super().__init__({
            "codes": In(8 * lanes),
            "trits": Out(ROW_BITS * lanes),
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
        return self._entry.name

    @property
    def reads_memory(self) -> bool:
        """Whether the outputs are read ports of a ``Memory`` (see :mod:`tritpack.hw.lanes`)."""
        return self._entry.reads_memory

    def elaborate(self, platform) -> Elaboratable:
        m = Module()
        m.submodules[self.impl] = dec = self._entry.load()(self._lanes, self._lut)
        m.d.comb += [
            dec.codes.eq(self.codes),
            self.trits.eq(dec.trits),
            self.invalid.eq(dec.invalid),
        ]
        return m


class InvalidFlags(wiring.Component):
    """Flag the invalid codes among ``lanes`` bytes, combinationally.

    Latency 0, no state.  Flag ``k`` is bit 0 of the 256-bit constant
    ``~lut.valid`` shifted right by byte ``k``: one line of Verilog per byte,
    which synthesis reduces to the codec's invalid-code function.  Not a ROM:
    Yosys's ``synth_ecp5`` crashes mapping a ROM reduced to one bit with 64
    read ports.  The pipelined engine uses it to compute a beat's flags one
    clock ahead.

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
        _check_lanes(lanes)
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
