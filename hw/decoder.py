"""The streaming decode engine: 64-byte lines in, trits out.

:class:`TernaryDecoder` takes one cache line per input transfer and emits
``64 / lanes`` output transfers of ``5 * lanes`` trits each.  Its streams follow
every rule of :mod:`amaranth.lib.stream`.  The decode table is built from the
golden model (see :mod:`hw.lane`).
"""

from __future__ import annotations

from numbers import Integral

from amaranth.hdl import Elaboratable, Module, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

import golden

from . import LANES
from .lane import IMPLS, TRIT_BITS, LaneDecoder

__all__ = [
    "LANES", "LINE_BITS", "TernaryDecoder", "check_parameters", "input_layout", "output_layout",
]

#: Width of one input line: 64 bytes, byte k at bits [8k+7:8k].
LINE_BITS = 8 * golden.LINE_BYTES


def input_layout() -> data.StructLayout:
    """Payload of the input stream: one line and its ``last`` flag."""
    return data.StructLayout({"data": LINE_BITS, "last": 1})


def output_layout(lanes: int) -> data.StructLayout:
    """Payload of the output stream of a ``lanes``-lane engine.

    ``data`` holds ``5 * lanes`` trits, trit ``k`` at bits [2k+1:2k];
    ``last`` rides on the final transfer of a line that carried ``last``;
    ``invalid`` is set when any byte of this transfer was not a valid code.
    """
    return data.StructLayout({
        "data": TRIT_BITS * golden.TRITS_PER_BYTE * lanes,
        "last": 1,
        "invalid": 1,
    })


def check_parameters(lanes, codec="standard", impl="rom") -> tuple[int, golden.Lut]:
    """Check the parameters of :class:`TernaryDecoder`; return ``lanes`` and the LUT.

    Callers that build a design around the engine check first, so that a bad
    parameter raises before any elaboratable exists (and warns as unused).

    Raises
    ------
    ValueError
        For an unsupported ``lanes``, an unknown codec or ``impl``.
    TypeError
        For a ``codec`` that is neither a name nor a golden LUT.
    """
    if isinstance(lanes, bool) or not isinstance(lanes, Integral) or lanes not in LANES:
        raise ValueError(f"lanes must be one of {', '.join(map(str, LANES))}, not {lanes!r}")
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {', '.join(IMPLS)}, not {impl!r}")
    return int(lanes), golden.get_lut(codec)


class TernaryDecoder(wiring.Component):
    """Streaming decoder of 5-trit bytes.

    Each input transfer is one 64-byte line.  The engine holds it in a line
    register and decodes ``lanes`` bytes per clock from there, through a table
    built from the golden LUT, so one line yields ``64 / lanes`` output transfers
    in byte order.  Trit ``k`` of a line is digit ``k mod 5`` of byte ``k div 5``.
    Invalid codes decode to zero trits and set ``o.payload.invalid`` for that
    transfer; the first such transfer sets the sticky ``error`` output, which
    stays high until reset.

    Both variants have a latency of **1 clock**: ``o.valid`` rises in the cycle
    after the input transfer.  With ``o.ready`` held high, an engine with
    ``lanes = 64`` accepts a line on every clock, and a narrower one emits an
    output transfer on every clock with no bubble between lines: it accepts the
    next line no later than during the last beat of the current one.

    ``o.valid`` and ``o.payload`` come from registers (through the table), so
    they never depend on ``o.ready`` and hold until the transfer.  ``i.ready``
    never depends on ``i.valid``.

    * ``registered=False`` costs ``513 + log2(64 / lanes) + 2`` flip-flops
      (515 for 64 lanes, 521 for 1 lane).  ``i.ready`` is
      ``~busy | (o.ready & last beat)``: a combinational path from ``o.ready``
      to ``i.ready``; ``valid`` has none.
    * ``registered=True`` costs 514 more: a skid buffer holding one line, which
      a narrow engine fills while it works through the current one.  ``i.ready``
      comes straight from a register, so neither ``ready`` nor ``valid`` has a
      combinational path through the engine, as expected of an AXI4-Stream
      register slice.  Same latency and throughput.

    Parameters
    ----------
    lanes : int
        Bytes decoded per clock, one of 1, 2, 4, 8, 16, 32, 64.
    codec : str or golden.Lut
        ``"standard"``, ``"tq1"`` or a custom golden LUT.
    registered : bool
        Choose the fully registered variant (see above).
    impl : str
        Lane decoder implementation, see :class:`hw.lane.LaneDecoder`.

    Members
    -------
    i : ``In(stream.Signature(input_layout()))``
        Lines to decode.
    o : ``Out(stream.Signature(output_layout(lanes)))``
        Decoded trits.
    error : ``Out(1)``
        Sticky: rises the clock after the first output transfer with ``invalid``
        set and stays high until reset.

    Raises
    ------
    ValueError
        For an unsupported ``lanes``, an unknown codec or ``impl``.
    TypeError
        For a ``codec`` that is neither a name nor a golden LUT.
    """

    #: Clocks from an input transfer to ``o.valid``, for both variants.
    latency = 1

    def __init__(self, lanes: int = 64, codec="standard", registered: bool = False,
                 impl: str = "rom"):
        self._lanes, self._lut = check_parameters(lanes, codec, impl)
        self._registered = bool(registered)
        self._impl = impl
        super().__init__({
            "i": In(stream.Signature(input_layout())),
            "o": Out(stream.Signature(output_layout(self._lanes))),
            "error": Out(1),
        })

    @property
    def lanes(self) -> int:
        return self._lanes

    @property
    def lut(self) -> golden.Lut:
        return self._lut

    @property
    def registered(self) -> bool:
        return self._registered

    @property
    def beats(self) -> int:
        """Output transfers per line: ``64 // lanes``."""
        return golden.LINE_BYTES // self._lanes

    def elaborate(self, platform) -> Elaboratable:
        m = Module()
        m.submodules.lanes = lanes = LaneDecoder(self._lanes, self._lut, self._impl)

        line = Signal(input_layout())      # the line being decoded
        busy = Signal()                    # `line` holds a line not yet fully emitted
        final = Signal()                   # the current beat is the line's last one

        # `line` shifts down by `lanes` bytes per beat, so the lanes always read
        # its low bytes: a 2:1 mux per bit instead of a (64 / lanes):1 one.
        m.d.comb += lanes.codes.eq(line.data[:8 * self._lanes])
        if self.beats == 1:
            m.d.comb += final.eq(1)
        else:
            beat = Signal(range(self.beats))
            m.d.comb += final.eq(beat == self.beats - 1)
            with m.If(self.o.valid & self.o.ready):
                m.d.sync += beat.eq(beat + 1)  # wraps to 0 after the final beat
                m.d.sync += line.data.eq(line.data >> (8 * self._lanes))
        m.d.comb += [
            self.o.valid.eq(busy),
            self.o.payload.data.eq(lanes.trits),
            self.o.payload.invalid.eq(lanes.invalid.any()),
            self.o.payload.last.eq(line.last & final),
        ]

        with m.If(self.o.valid & self.o.ready):
            with m.If(final):
                m.d.sync += busy.eq(0)
            with m.If(self.o.payload.invalid):
                m.d.sync += self.error.eq(1)

        # `line` is free for a new line in the next clock.
        free = Signal()
        m.d.comb += free.eq(~busy | (self.o.ready & final))

        if not self._registered:
            m.d.comb += self.i.ready.eq(free)
            with m.If(self.i.valid & self.i.ready):
                m.d.sync += [line.eq(self.i.payload), busy.eq(1)]
        else:
            # Skid buffer: `i.ready` is a register, so a line offered while `line`
            # is busy waits in `skid` and `i.ready` drops in the next clock.
            skid = Signal(input_layout())
            skid_full = Signal()
            m.d.comb += self.i.ready.eq(~skid_full)
            with m.If(free):
                with m.If(skid_full):
                    m.d.sync += [line.eq(skid), busy.eq(1), skid_full.eq(0)]
                with m.Elif(self.i.valid):
                    m.d.sync += [line.eq(self.i.payload), busy.eq(1)]
            with m.Elif(self.i.valid & self.i.ready):
                m.d.sync += [skid.eq(self.i.payload), skid_full.eq(1)]

        return m
