"""The streaming decode engine: 64-byte lines in, trits out.

:class:`TernaryDecoder` takes one cache line per input transfer and emits
``64 / lanes`` output transfers of ``5 * lanes`` trits each.  Its streams follow
every rule of :mod:`amaranth.lib.stream`.  The decode table is built from the
golden model (see :mod:`tritpack.hw.lanes`).
"""

from __future__ import annotations

from numbers import Integral

from amaranth.hdl import Cat, Elaboratable, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from tritpack import golden
from tritpack.golden import LANES

from .lanes import IMPLS, REGISTRY, check_impl
from .lanes.lane import InvalidFlags, LaneDecoder

__all__ = [
    "BAD_GROUP", "HOLD_LANES", "LANES", "LINE_BITS", "TernaryDecoder", "check_parameters",
    "engine_capacity", "engine_latency", "group_flags", "input_layout", "output_layout",
]

#: Width of one input line: 64 bytes, byte k at bits [8k+7:8k].
LINE_BITS = 8 * golden.LINE_BYTES

#: Lanes whose data registers share one copy of the pipelined engine's ``hold``.
HOLD_LANES = 16

#: Bytes per bit of the pipelined engine's ``bad_groups`` register.
BAD_GROUP = 4


def group_flags(flags) -> list:
    """Bit ``g``: any of the ``flags`` ``4g`` to ``4g + 3`` is set (:data:`BAD_GROUP`)."""
    return [flags[g:g + BAD_GROUP].any() for g in range(0, len(flags), BAD_GROUP)]


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
        "data": golden.TRIT_BITS * golden.TRITS_PER_BYTE * lanes,
        "last": 1,
        "invalid": 1,
    })


def check_parameters(lanes, codec="standard", impl="rom",
                     pipelined: bool | None = None) -> tuple[int, golden.Lut]:
    """Check the parameters of :class:`TernaryDecoder`; return ``lanes`` and the LUT.

    Callers that build a design around the engine check first, so that a bad
    parameter raises before any elaboratable exists (and warns as unused).

    Raises
    ------
    ValueError
        For an unsupported ``lanes``, an unknown codec or ``impl``,
        ``impl="arith"`` with a custom codec, or ``impl="bram"`` with
        ``pipelined`` false (None: not checked).
    TypeError
        For a ``codec`` that is neither a name nor a golden LUT.
    """
    if isinstance(lanes, bool) or not isinstance(lanes, Integral) or lanes not in LANES:
        raise ValueError(f"lanes must be one of {', '.join(map(str, LANES))}, not {lanes!r}")
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {', '.join(IMPLS)}, not {impl!r}")
    lut = golden.get_lut(codec)
    check_impl(impl, lut, pipelined)
    return int(lanes), lut


def engine_latency(pipelined: bool = False) -> int:
    """Clocks from an input transfer to ``o.valid``: 1, or 2 when ``pipelined``."""
    return 2 if pipelined else 1


def engine_capacity(registered: bool = False, pipelined: bool = False) -> int:
    """Lines the engine can hold with its output blocked: the line register, plus
    the skid buffer (``registered``), plus the output register (``pipelined``)."""
    return 1 + int(registered) + int(pipelined)


class TernaryDecoder(wiring.Component):
    """Streaming decoder of 5-trit bytes.

    Each input transfer is one 64-byte line.  The engine holds it in a line
    register and decodes ``lanes`` bytes per clock from there, through a table
    built from the golden LUT, so one line yields ``64 / lanes`` output transfers
    in byte order.  Trit ``k`` of a line is digit ``k mod 5`` of byte ``k div 5``.
    Invalid codes decode to zero trits and set ``o.payload.invalid`` for that
    transfer; the first such transfer sets the sticky ``error`` output, which
    stays high until reset.

    The default engine has a latency of **1 clock**: ``o.valid`` rises in the
    cycle after the input transfer; the pipelined one (``pipelined=True``) has
    a latency of **2 clocks**.  With ``o.ready`` held high, an engine with
    ``lanes = 64`` accepts a line on every clock, and a narrower one emits an
    output transfer on every clock with no bubble between lines: it accepts the
    next line no later than during the last beat of the current one.  Under
    back-pressure nothing is lost: the engine stops and holds its output.

    ``o.valid`` and ``o.payload`` come from registers (through the table, unless
    pipelined), so they never depend on ``o.ready`` and hold until the
    transfer.  ``i.ready`` never depends on ``i.valid``.

    * ``registered=False`` costs ``513 + log2(64 / lanes) + 2`` flip-flops
      (515 for 64 lanes, 521 for 1 lane).  ``i.ready`` is
      ``~busy | (o.ready & last beat)``: a combinational path from ``o.ready``
      to ``i.ready``; ``valid`` has none.
    * ``registered=True`` costs 514 more: a skid buffer holding one line, which
      a narrow engine fills while it works through the current one.  ``i.ready``
      comes straight from a register, so neither ``ready`` nor ``valid`` has a
      combinational path through the engine, as expected of an AXI4-Stream
      register slice.  Same latency and throughput.
    * ``pipelined=True`` (with either of the above) adds an output register
      stage: ``o.valid`` and all of ``o.payload`` are flip-flops, filled from
      the table when the stage is empty or being emptied
      (``~o.valid | o.ready``), so the decode runs from the line register to
      the output register and nothing follows it.  The per-byte invalid flags
      of a beat are computed one clock ahead, when its bytes are loaded or
      shifted into place, into a ``lanes``-bit register (and their ORs by
      four bytes into ``bad_groups``), so ``o.payload.invalid`` and the sticky
      ``error`` read only flip-flops.  It costs ``11 * lanes`` flip-flops and a
      few more (docs/ENGINE.md counts them) and two invalid-code checks per
      lane (one for ``lanes = 64``); latency 2, same throughput, a higher Fmax.
      With ``split`` (the default for ``impl="arith"`` at 64 lanes) the lane
      decoder is cut in two: its front stage is registered one clock ahead in
      ``pre``, like the flags, and only its back stage lies before the output
      register; latency still 2.
      ``i.ready`` of the unregistered variant is then
      ``~busy | ((~o.valid | o.ready) & last beat)``.

    Parameters
    ----------
    lanes : int
        Bytes decoded per clock, one of 1, 2, 4, 8, 16, 32, 64.
    codec : str or golden.Lut
        ``"standard"``, ``"tq1"`` or a custom golden LUT.
    registered : bool
        Choose the fully registered variant (see above).
    pipelined : bool
        Add the output register stage (see above): latency 2 instead of 1.
    impl : str
        Lane decoder implementation, a name of :data:`tritpack.hw.lanes.IMPLS`
        (see :class:`~tritpack.hw.lanes.lane.LaneDecoder`).
    split : bool or None
        Pipelined only, for an ``impl`` with a split (``arith``): cut the lane
        decoder around the ``pre`` register.  None (the default) splits when
        ``lanes = 64``; ignored when not pipelined or the impl cannot split.
    copies : int or None
        Pipelined only: how many copies of ``hold`` and ``o.valid`` enable the
        data registers, each for ``lanes / copies`` lanes (see
        ``hold_copies``); a divisor of ``lanes``.  None (the default): one per
        :data:`HOLD_LANES` lanes, at least one.  Same behaviour for any value.

    Members
    -------
    i : ``In(stream.Signature(input_layout()))``
        Lines to decode.
    o : ``Out(stream.Signature(output_layout(lanes)))``
        Decoded trits.
    error : ``Out(1)``
        Sticky: rises the clock after the first output transfer with ``invalid``
        set and stays high until reset.
    latency : int
        Clocks from an input transfer to ``o.valid``: :func:`engine_latency`.
    line : Signal(input_layout())
        The line register (not a port, like ``SyncFIFO.level``: the formal
        proofs read it, and so do the registers below).
    busy : Signal
        ``line`` holds a line not yet fully emitted.
    beat : Signal or None
        Index of the current beat in ``line``; None when ``lanes = 64``.
    final : Signal
        The current beat is the line's last one (a register when pipelined).
    skid, skid_full : Signal or None
        The skid buffer and its flag (``registered=True``), else None.
    bad : Signal or None
        The invalid flags of the current beat's bytes (``pipelined=True``), else None.
    bad_groups : Signal or None
        Bit ``g``: any of ``bad[4g:4g+4]`` (``pipelined=True``), else None.
    hold : Signal or None
        ``busy & o.valid``, as a register (``pipelined=True``), else None.
    hold_copies, valid_copies : list of Signal
        Pipelined: one copy of ``hold`` and one of ``o.valid`` per
        :data:`HOLD_LANES` lanes (at least one), each the enable of its lanes'
        data registers and output trits, so that no enable drives more than a
        few hundred flip-flops; empty when not pipelined.
    pre : Signal or None
        The front-stage state of the current beat's bytes (``split``), else None.
    split : bool
        Whether the lane decoder is split around ``pre``.

    Raises
    ------
    ValueError
        For an unsupported ``lanes``, an unknown codec or ``impl``, or
        ``copies`` not a divisor of ``lanes``.
    TypeError
        For a ``codec`` that is neither a name nor a golden LUT.
    """

    def __init__(self, lanes: int = 64, codec="standard", registered: bool = False,
                 impl: str = "rom", pipelined: bool = False, *, split: bool | None = None,
                 copies: int | None = None):
        self._lanes, self._lut = check_parameters(lanes, codec, impl, bool(pipelined))
        self._registered = bool(registered)
        self._impl = impl
        self._pipelined = bool(pipelined)
        super().__init__({
            "i": In(stream.Signature(input_layout())),
            "o": Out(stream.Signature(output_layout(self._lanes))),
            "error": Out(1),
        })
        # The state, created here so that the proofs can name it (see Members).
        # Named explicitly: Amaranth cannot infer a name from a conditional expression.
        self.line = Signal(input_layout(), name="line")
        self.busy = Signal(name="busy")
        self.beat = Signal(range(self.beats), name="beat") if self.beats > 1 else None
        self.final = Signal(name="final")
        self.skid = Signal(input_layout(), name="skid") if self._registered else None
        self.skid_full = Signal(name="skid_full") if self._registered else None
        self.bad = Signal(self._lanes, name="bad") if self._pipelined else None
        self.hold = Signal(name="hold") if self._pipelined else None
        if copies is None:
            copies = max(1, self._lanes // HOLD_LANES)
        elif (isinstance(copies, bool) or not isinstance(copies, Integral) or copies < 1
              or self._lanes % copies):
            raise ValueError(f"copies must be a divisor of lanes ({self._lanes}), not {copies!r}")
        copies = int(copies) if self._pipelined else 0
        self.hold_copies = [Signal(name=f"hold_{k}") for k in range(copies)]
        self.valid_copies = [Signal(name=f"valid_{k}") for k in range(copies)]
        groups = -(-self._lanes // BAD_GROUP)
        self.bad_groups = Signal(groups, name="bad_groups") if self._pipelined else None
        if split is None:
            split = self.beats == 1
        split = REGISTRY[impl].load_split() if self._pipelined and split else None
        self._split = split
        self.pre = (Signal(split[0].state_bits_of(self._lut) * self._lanes, name="pre")
                    if split is not None else None)

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
    def pipelined(self) -> bool:
        return self._pipelined

    @property
    def impl(self) -> str:
        return self._impl

    @property
    def split(self) -> bool:
        """Whether the lane decoder is split around the ``pre`` register."""
        return self._split is not None

    @property
    def latency(self) -> int:
        """Clocks from an input transfer to ``o.valid``: :func:`engine_latency`."""
        return engine_latency(self._pipelined)

    @property
    def beats(self) -> int:
        """Output transfers per line: ``64 // lanes``."""
        return golden.LINE_BYTES // self._lanes

    def elaborate(self, platform) -> Elaboratable:
        m = Module()
        width = 8 * self._lanes            # bits of one beat
        split = self._split
        # A table read synchronously (`bram`): its read registers are the output
        # register of the trits (pipelined only, see `check_impl`).
        sync_read = REGISTRY[self._impl].pipelined_only
        if split is None:
            if sync_read:
                lanes = REGISTRY[self._impl].load()(self._lanes, self._lut)
            else:
                lanes = LaneDecoder(self._lanes, self._lut, self._impl)
            m.submodules.lanes = lanes
            # `line` shifts down by `lanes` bytes per beat, so the lanes always read
            # its low bytes: a 2:1 mux per bit instead of a (64 / lanes):1 one.
            m.d.comb += lanes.codes.eq(self.line.data[:width])

        line, busy, final = self.line, self.busy, self.final
        # The current beat leaves `line` in this clock: it is sent (default) or
        # taken by the output register (pipelined).
        step = Signal()

        if self.beats == 1:
            m.d.comb += final.eq(1)
        else:
            beat = self.beat
            if not self._pipelined:
                m.d.comb += final.eq(beat == self.beats - 1)
                with m.If(step):
                    m.d.sync += line.data.eq(line.data >> width)
            with m.If(step):
                m.d.sync += beat.eq(beat + 1)  # wraps to 0 after the final beat

        if not self._pipelined:
            m.d.comb += [
                step.eq(self.o.valid & self.o.ready),
                self.o.valid.eq(busy),
                self.o.payload.data.eq(lanes.trits),
                self.o.payload.invalid.eq(lanes.invalid.any()),
                self.o.payload.last.eq(line.last & final),
            ]
            taking = self.o.ready          # the output can take the current beat
        else:
            # The output register stage (the canonical one of amaranth.lib.stream).
            taking = ~self.o.valid | self.o.ready
            bad = self.bad                 # invalid flags of the current beat's bytes
            # `taking` for the engine's state: with `hold` = busy & o.valid (a
            # register), busy & taking = busy & advance.  The data registers
            # (`line`, `final`, `bad`, `pre`) take their next value whenever a
            # load or a step may happen, on `advance`, and the control reads
            # `advance` rather than `taking`, so that neither has a path through
            # the high-fanout enable of the output register.
            advance = Signal()
            m.d.comb += [advance.eq(~self.hold | self.o.ready), step.eq(busy & advance)]
            with m.If(taking):
                m.d.sync += self.o.valid.eq(busy)
            row = golden.TRIT_BITS * golden.TRITS_PER_BYTE
            if split is not None:
                # The back stage of the split decoder, from the registered state
                # of the current beat (`pre`), masked by the registered flags.
                m.submodules.back = back = split[1](self._lanes, self._lut)
                m.d.comb += back.state.eq(self.pre)
                trits = Cat(Mux(bad[k], 0, back.trits.word_select(k, row))
                            for k in range(self._lanes))
            else:
                trits = lanes.trits
            if split is None and not sync_read and lanes.reads_memory:
                # A no-op (the ROM's rows of invalid codes are zero) that keeps
                # Yosys from merging the output register into the ROM as 64
                # synchronous read ports, which crashes `synth_ecp5`.
                trits = Cat(Mux(lanes.invalid[k], 0, lanes.trits.word_select(k, row))
                            for k in range(self._lanes))
            # Enabled by `taking` alone, one LUT from `o.valid` and `o.ready`: an
            # idle engine fills the stage with a payload nobody reads (`o.valid`
            # low), which the stream rules allow.
            with m.If(taking):
                m.d.sync += [
                    self.o.payload.invalid.eq(self.bad_groups.any()),
                    self.o.payload.last.eq(line.last & final),
                ]
            # The trits of each group of lanes on their own copy of `o.valid`
            # (see `valid_copies`), which keeps each enable's fanout small.
            lanes_per_copy = self._lanes // len(self.valid_copies)
            per_copy = row * lanes_per_copy
            for copy, valid_copy in enumerate(self.valid_copies):
                bits = slice(copy * per_copy, (copy + 1) * per_copy)
                with m.If(~valid_copy | self.o.ready):
                    # Written with the copy's own state, so that synthesis cannot
                    # merge the copies: the same value as `o.valid`.
                    m.d.sync += valid_copy.eq(busy)
                    if not sync_read:
                        m.d.sync += self.o.payload.data[bits].eq(trits[bits])
                if sync_read:
                    # The read registers hold the trits, on the same enable.
                    enable = ~valid_copy | self.o.ready
                    m.d.comb += [
                        lanes.en[copy * lanes_per_copy + k].eq(enable)
                        for k in range(lanes_per_copy)
                    ]
                    m.d.comb += self.o.payload.data[bits].eq(lanes.trits[bits])
            if self.beats > 1:
                m.submodules.next_flags = next_flags = InvalidFlags(self._lanes, self._lut)
                m.d.comb += next_flags.codes.eq(line.data[width:2 * width])
                if split is not None:
                    m.submodules.next_front = next_front = split[0](self._lanes, self._lut)
                    m.d.comb += next_front.codes.eq(line.data[width:2 * width])

        if not self._pipelined:
            with m.If(step & final):
                m.d.sync += busy.eq(0)
        with m.If(self.o.valid & self.o.ready & self.o.payload.invalid):
            m.d.sync += self.error.eq(1)

        # `line` is free for a new line in the next clock.
        free = Signal()
        if not self._pipelined:
            m.d.comb += free.eq(~busy | (taking & final))
        else:
            m.d.comb += free.eq(~busy | (advance & final))

        # The line loaded into `line` when it is free.
        load = Signal()
        avail = Signal()                   # a line is there to load
        source = Signal(input_layout())
        if not self._registered:
            m.d.comb += [
                self.i.ready.eq(free),
                avail.eq(self.i.valid),
                load.eq(avail & free),
                source.eq(self.i.payload),
            ]
        else:
            # Skid buffer: `i.ready` is a register, so a line offered while `line`
            # is busy waits in `skid` and `i.ready` drops in the next clock.
            skid, skid_full = self.skid, self.skid_full
            m.d.comb += [
                self.i.ready.eq(~skid_full),
                avail.eq(skid_full | self.i.valid),
                load.eq(avail & free),
                source.eq(Mux(skid_full, skid, self.i.payload)),
            ]
            with m.If(free):
                with m.If(skid_full):
                    m.d.sync += skid_full.eq(0)
            with m.Elif(self.i.valid & self.i.ready):
                m.d.sync += [skid.eq(self.i.payload), skid_full.eq(1)]
        if not self._pipelined:
            with m.If(load):
                m.d.sync += [line.eq(source), busy.eq(1)]
        else:
            # One expression rather than two enables: a function of five
            # registers and inputs.
            busy_next = Signal()
            m.d.comb += busy_next.eq(load | (busy & ~(advance & final)))
            hold_next = Signal()
            m.d.comb += hold_next.eq(Mux(taking, busy & (avail | ~final), busy | avail))
            m.d.sync += [
                busy.eq(busy_next),
                # busy_next & next o.valid, written out case by case with `hold` =
                # busy & o.valid, as a function of five registers and inputs, not
                # six: with `taking`, a busy engine steps (and loads on its final
                # beat); without, a busy engine holds and an idle one loads into
                # a stalled output.
                self.hold.eq(hold_next),
            ]
            for copy in self.hold_copies:
                # The same value as `hold`, written with the copy's own state so
                # that synthesis cannot merge the copies into one flip-flop: a
                # busy engine takes when `advance` would (`hold` = busy & o.valid).
                m.d.sync += copy.eq(Mux(busy, Mux(~copy | self.o.ready, avail | ~final, 1),
                                        ~taking & avail))
            # On `advance`, the data registers load or shift as `head` says, which
            # depends on registers only: idle, or on the final beat.  A free
            # `line` offered nothing takes `source` anyway, which is harmless:
            # `busy` stays low.
            head = Signal()
            m.d.comb += head.eq(~busy | final)
            # The flags of a new line's first beat, computed as it is loaded.
            m.submodules.load_flags = load_flags = InvalidFlags(self._lanes, self._lut)
            m.d.comb += load_flags.codes.eq(source.data[:width])
            if split is not None:
                # The front stage of the first beat's bytes, as they are loaded.
                m.submodules.load_front = load_front = split[0](self._lanes, self._lut)
                m.d.comb += load_front.codes.eq(source.data[:width])
            # The control registers take their next value on `advance`, read
            # from `hold`; the data registers of each group of lanes on their own
            # copy of it (see `hold_copies`), which keeps the fanout of each
            # enable to a few hundred flip-flops.
            with m.If(advance):
                with m.If(head):
                    m.d.sync += [line.last.eq(source.last),
                                 self.bad_groups.eq(Cat(group_flags(load_flags.invalid)))]
                    if self.beats > 1:
                        m.d.sync += final.eq(0)
                if self.beats > 1:
                    with m.Else():
                        # A register, set with the step to the final beat, to
                        # shorten the control path to `i.ready`/`busy`.
                        m.d.sync += [
                            final.eq(beat == self.beats - 2),
                            self.bad_groups.eq(Cat(group_flags(next_flags.invalid))),
                        ]
            state_bits = len(self.pre) // self._lanes if split is not None else 0
            per_copy = self._lanes // len(self.hold_copies)
            shifted = line.data >> width   # the next beat: byte j takes byte j + lanes
            for copy, hold_copy in enumerate(self.hold_copies):
                lanes_of_copy = range(copy * per_copy, (copy + 1) * per_copy)
                # The bytes of `line` that these lanes read, at every beat.
                byte_slices = [slice(8 * j, 8 * j + 8) for j in range(golden.LINE_BYTES)
                               if j % self._lanes in lanes_of_copy]
                lane_slice = slice(lanes_of_copy.start, lanes_of_copy.stop)
                pre_slice = slice(state_bits * lanes_of_copy.start,
                                  state_bits * lanes_of_copy.stop)
                with m.If(~hold_copy | self.o.ready):
                    with m.If(head):
                        m.d.sync += [line.data[b].eq(source.data[b]) for b in byte_slices]
                        m.d.sync += bad[lane_slice].eq(load_flags.invalid[lane_slice])
                        if split is not None:
                            m.d.sync += self.pre[pre_slice].eq(load_front.state[pre_slice])
                    if self.beats > 1:
                        with m.Else():
                            m.d.sync += [line.data[b].eq(shifted[b]) for b in byte_slices]
                            m.d.sync += bad[lane_slice].eq(next_flags.invalid[lane_slice])
                            if split is not None:
                                m.d.sync += self.pre[pre_slice].eq(next_front.state[pre_slice])

        return m
