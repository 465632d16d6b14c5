# amaranth: UnusedElaboratable=no
"""Formal property harnesses of the decode engine, and mutants that break them.

:class:`DecoderHarness` wraps :class:`~tritpack.hw.decoder.TernaryDecoder` (or a
:class:`Mutant` of it), drives every input from free solver variables (any
``valid``/``ready``/payload sequence, and ``rst`` at any time) and adds the
assertions of the groups in :data:`CHECKS` and the covers in :data:`COVERS`.
:class:`LaneHarness` checks the lane decoder against the golden LUT for every
code.  Expected values come from :func:`golden.get_lut` only, through
:func:`golden_rows`; nothing is taken from the engine's own table.

The checks look only at the engine's ports.  For k-induction they need
*lemmas*: facts relating registers inside the engine (``line``, ``busy``,
``beat``, ``skid``, ``skid_full``, and ``final``, ``bad`` when pipelined) to the
harness's counters; the engine exposes them as attributes, as ``SyncFIFO``
exposes ``level`` (:func:`engine_registers`).  Lemmas are
assertions too, so a proof with lemmas proves them as well; mutants are
checked without lemmas, so each is caught by a check on the ports.
"""

from __future__ import annotations

import numpy as np
from amaranth.asserts import AnyConst, AnySeq
from amaranth.hdl import (
    Array,
    Assert,
    Cat,
    ClockDomain,
    ClockSignal,
    Const,
    Cover,
    DomainRenamer,
    Elaboratable,
    Module,
    Mux,
    ResetSignal,
    Signal,
)
from amaranth.lib import wiring

from tritpack import golden

from ..decoder import LINE_BITS, TernaryDecoder, engine_latency, group_flags, input_layout
from ..lanes import REGISTRY
from ..lanes.lane import LaneDecoder

__all__ = [
    "CHECKS", "COVERS", "MUTANTS", "DecoderHarness", "LaneHarness", "Mutant",
    "engine_registers", "golden_rows", "proof_copies", "swapped_lut",
]

#: Assertion groups of :class:`DecoderHarness`, in report order.
CHECKS = ("output", "reset", "ready", "count", "data", "error")

#: Cover statements of :class:`DecoderHarness`.
COVERS = ("stall", "back_to_back", "line_to_line", "invalid", "last", "tracked")

#: Mutants of the engine: name -> (what is wrong, the check meant to catch it).
MUTANTS = {
    "stall_glitch": ("payload changes in the second cycle of a stall", "output"),
    "o_ready_ignored": ("the engine moves to the next beat while stalled", "output"),
    "no_reset": ("the engine is not reset by rst", "reset"),
    "ready_stutter": ("i.ready drops in the cycle after each output transfer", "ready"),
    "i_ready_ignored": ("i.ready tied high: lines offered while busy are lost", "count"),
    "lut_entry": ("the engine's table has two codes swapped", "data"),
    "drop_beat": ("the second output beat after reset is swallowed", "count"),
    "dup_beat": ("the second output beat after reset is sent twice", "data"),
    "lanes_swapped": ("the trits of lanes 0 and 1 swapped (bytes out of order)", "data"),
    "last_every_beat": ("last set on every beat of a line that carries it", "data"),
    "invalid_masked": ("invalid never set on the output", "data"),
    "error_not_sticky": ("error clears on the next valid transfer", "error"),
    "error_early": ("error rises when an invalid beat is offered, before its transfer", "error"),
}

#: Trit value -> 2-bit field of the output contract.
_TRIT_FIELD = {0: 0b00, 1: 0b01, -1: 0b11}

_ROW_BITS = golden.TRIT_BITS * golden.TRITS_PER_BYTE  # one byte's trits, no valid bit


def golden_rows(codec="standard") -> list[int]:
    """The golden decode table as 256 rows: trit fields in [9:0], valid in bit 10.

    Written from the output contract, independent of
    :func:`tritpack.hw.lanes.rom.rom_rows` and :func:`golden.lut_io.lut_rows`.
    """
    lut = golden.get_lut(codec)
    rows = []
    for trits, valid in zip(lut.trits.tolist(), lut.valid.tolist(), strict=True):
        row = sum(_TRIT_FIELD[t] << (golden.TRIT_BITS * n) for n, t in enumerate(trits))
        rows.append(row | (int(valid) << _ROW_BITS))
    return rows


def swapped_lut(codec="standard") -> golden.Lut:
    """``codec`` with the tuples of its two first valid codes swapped (a wrong table)."""
    lut = golden.get_lut(codec)
    a, b = np.flatnonzero(lut.valid)[:2]
    table = lut.trits.copy()
    table[[a, b]] = table[[b, a]]
    return golden.Lut.from_table(table, lut.valid, name=f"{lut.name}-swapped")


def proof_copies(lanes: int, pipelined: bool) -> int | None:
    """The engine's ``copies`` in the proofs: one per lane when pipelined, so that
    the proofs at 2 lanes cover enables split between lanes (the generated
    Verilog has one per 16 lanes, at least one)."""
    return lanes if pipelined else None


def engine_registers(engine: TernaryDecoder) -> dict:
    """The registers the lemmas need, by name, from the engine's attributes.

    ``line`` and ``busy`` always; ``beat`` when ``lanes < 64``; ``skid`` and
    ``skid_full`` when registered; ``bad``, ``bad_groups``, ``hold``, and
    ``final`` when ``lanes < 64``, when pipelined (``final`` is only a register
    then), and the copies ``hold_<k>`` and ``valid_<k>`` of ``hold`` and
    ``o.valid``; ``pre`` when the lane decoder is split.
    """
    names = ["line", "busy", "beat", "skid", "skid_full", "bad", "bad_groups", "hold", "pre"]
    if engine.pipelined and engine.beats > 1:
        names.append("final")
    regs = {name: getattr(engine, name) for name in names}
    # The copies of `hold` and `o.valid` that enable the data registers (pipelined).
    regs.update({copy.name: copy for copy in engine.hold_copies + engine.valid_copies})
    return {name: reg for name, reg in regs.items() if reg is not None}


class Mutant(wiring.Component):
    """:class:`TernaryDecoder` with one deliberate bug (see :data:`MUTANTS`).

    The real engine sits inside; the bug is in the wiring around it, or in the
    table given to it (``lut_entry``).  The engine file is untouched.

    Parameters
    ----------
    kind : str
        A key of :data:`MUTANTS`.
    lanes, codec, registered, pipelined, impl
        As for :class:`TernaryDecoder`.
    """

    def __init__(self, kind: str, lanes: int, codec="standard", registered: bool = False,
                 pipelined: bool = False, impl: str = "rom", split: bool | None = None):
        if kind not in MUTANTS:
            raise ValueError(f"mutant must be one of {', '.join(MUTANTS)}, not {kind!r}")
        self.kind = kind
        table = swapped_lut(codec) if kind == "lut_entry" else codec
        self.engine = TernaryDecoder(lanes, table, registered, impl, pipelined, split=split,
                                     copies=proof_copies(lanes, pipelined))
        self.internals = engine_registers(self.engine)
        super().__init__(self.engine.signature)

    lanes = property(lambda self: self.engine.lanes)
    registered = property(lambda self: self.engine.registered)
    pipelined = property(lambda self: self.engine.pipelined)
    beats = property(lambda self: self.engine.beats)

    def elaborate(self, platform):
        m = Module()
        engine = inner = self.engine
        kind = self.kind
        if kind == "no_reset":
            m.domains.noreset = ClockDomain(reset_less=True)
            m.d.comb += ClockSignal("noreset").eq(ClockSignal())
            engine = DomainRenamer("noreset")(engine)
        m.submodules.engine = engine

        i_ready, i_valid = inner.i.ready, self.i.valid
        o_valid, o_payload, o_ready = inner.o.valid, inner.o.payload.as_value(), self.o.ready
        error = inner.error
        o_fire = Signal()
        m.d.comb += o_fire.eq(self.o.valid & self.o.ready)
        stalled = Signal()  # the outer o was stalled in the previous cycle
        m.d.sync += stalled.eq(self.o.valid & ~self.o.ready)
        inner_beats = Signal(2)  # inner output transfers since reset, saturating at 2
        with m.If(inner.o.valid & inner.o.ready & (inner_beats != 2)):
            m.d.sync += inner_beats.eq(inner_beats + 1)

        if kind == "stall_glitch":
            o_payload = o_payload ^ stalled
        elif kind == "o_ready_ignored":
            o_ready = Const(1)
        elif kind == "ready_stutter":
            after = Signal()
            m.d.sync += after.eq(o_fire)
            i_ready = inner.i.ready & ~after
            i_valid = self.i.valid & ~after
        elif kind == "i_ready_ignored":
            i_ready = Const(1)
        elif kind == "drop_beat":
            drop = inner.o.valid & (inner_beats == 1)
            o_valid = inner.o.valid & ~drop
            o_ready = self.o.ready | drop
        elif kind == "dup_beat":
            sent = Signal()  # the second beat went out once already
            with m.If(o_fire & (inner_beats == 1)):
                m.d.sync += sent.eq(1)
            o_ready = self.o.ready & ((inner_beats != 1) | sent)
        elif kind == "lanes_swapped":
            out, row = inner.o.payload, _ROW_BITS
            o_payload = Cat(out.data[row:2 * row], out.data[:row], out.data[2 * row:],
                            out.last, out.invalid)
        elif kind == "last_every_beat":
            out, line_last = inner.o.payload, self.internals["line"].last
            o_payload = Cat(out.data, out.last | line_last, out.invalid)
        elif kind == "invalid_masked":
            out = inner.o.payload
            o_payload = Cat(out.data, out.last, Const(0, 1))
        elif kind == "error_not_sticky":
            error = Signal()
            with m.If(o_fire):
                m.d.sync += error.eq(self.o.payload.invalid)
        elif kind == "error_early":
            early = Signal()
            with m.If(self.o.valid & self.o.payload.invalid):
                m.d.sync += early.eq(1)
            error = inner.error | early

        m.d.comb += [
            inner.i.valid.eq(i_valid),
            inner.i.payload.eq(self.i.payload),
            self.i.ready.eq(i_ready),
            self.o.valid.eq(o_valid),
            self.o.payload.eq(o_payload),
            inner.o.ready.eq(o_ready),
            self.error.eq(error),
        ]
        return m


class _Table:
    """The golden table as a mux over constants, looked up per byte."""

    def __init__(self, codec):
        self._rows = Array(Const(row, _ROW_BITS + 1) for row in golden_rows(codec))

    def rows(self, m: Module, codes, lanes: int, name: str = "golden_row"):
        """The golden rows of the ``lanes`` bytes in ``codes``."""
        rows = []
        for k in range(lanes):
            row = Signal(_ROW_BITS + 1, name=f"{name}{k}")
            m.d.comb += row.eq(self._rows[codes.word_select(k, 8)])
            rows.append(row)
        return rows

    def lookup(self, m: Module, codes, lanes: int):
        """Expected trit fields and invalid flag of ``lanes`` bytes in ``codes``."""
        rows = self.rows(m, codes, lanes)
        return Cat(row[:_ROW_BITS] for row in rows), ~Cat(row[_ROW_BITS] for row in rows).all()

    def invalid_flags(self, m: Module, codes, lanes: int):
        """Bit ``k`` set when byte ``k`` of ``codes`` is not a golden code."""
        return ~Cat(row[_ROW_BITS] for row in self.rows(m, codes, lanes, "golden_flag"))


class DecoderHarness(Elaboratable):
    """The engine under free stimulus, with checks, lemmas and covers.

    Every input of the engine (``i.valid``, ``i.payload``, ``o.ready``) and
    ``rst`` is free in every cycle, so a proof covers every input sequence,
    including ones that break the stream rules upstream.  The harness counts
    the beats *owed*: ``64 / lanes`` per accepted line, minus output transfers.
    With latency ``L`` (:func:`~tritpack.hw.decoder.engine_latency`: 1, or 2 when
    pipelined), the beats of a line accepted in the previous cycle are not yet
    *visible* when ``L = 2``.

    Checks (assertion groups):

    ``output``
        Once ``o.valid`` is high without ``o.ready`` (and no reset), the next
        cycle has ``o.valid`` high and the same payload (``data``, ``last``,
        ``invalid``).
    ``reset``
        In the cycle after a cycle with ``rst`` high (and in the initial state),
        ``o.valid`` is low.
    ``ready``
        ``i.ready`` as documented, with the engine's state measured from the
        ports: the beats not yet in an output register (``owed - o.valid`` when
        pipelined, else ``owed``) are ``0`` when idle, ``1`` on the last beat,
        ``> 64 / lanes`` when the skid buffer is full.  Not registered:
        ``~busy | (taking & last beat)`` with ``taking = o.ready``
        (``~o.valid | o.ready`` when pipelined); registered: ``~(skid full)``.
    ``count``
        ``o.valid`` is high exactly when visible beats are owed: latency ``L``,
        no bubble, nothing lost or invented.
    ``data``
        An arbitrary beat (``AnyConst`` index and bytes, and ``last`` flag) of
        an arbitrary accepted line (``AnySeq`` choice of the transfer): after
        the beats owed before the line and the line's earlier beats, the
        output transfer equals the golden decode of those bytes, ``last`` set
        only on the line's final beat and only if the line carried it,
        ``invalid`` set when a byte is not a code.  As the index is arbitrary,
        every beat of every line comes out in order, each exactly once.
    ``error``
        ``error`` is low after reset; otherwise it is high exactly when it was
        high before or the previous cycle had an output transfer with
        ``invalid`` set: it rises in the clock after the sink accepts a beat
        holding an invalid code (``data`` ties that flag to the accepted
        line's bytes) and stays until reset.

    Parameters
    ----------
    lanes, codec, registered
        The engine instance (``codec`` a name: expected values come from it).
    checks : iterable of str
        Groups of :data:`CHECKS` to assert.
    lemmas : bool
        Add the induction lemmas the chosen checks need.
    covers : bool
        Add the covers of :data:`COVERS`.
    mutant : str, optional
        Put a :class:`Mutant` of this kind in place of the engine.
    pipelined : bool
        Check the engine's ``pipelined=True`` variant (latency 2).
    impl : str
        The engine's lane decoder implementation.
    split : bool or None
        The engine's ``split`` (None: its default).
    """

    def __init__(self, lanes: int, codec: str = "standard", registered: bool = False, *,
                 checks=CHECKS, lemmas: bool = True, covers: bool = False, mutant=None,
                 pipelined: bool = False, impl: str = "rom", split: bool | None = None):
        unknown = set(checks) - set(CHECKS)
        if unknown:
            raise ValueError(f"checks must be among {', '.join(CHECKS)}, not {sorted(unknown)}")
        self.codec = codec
        self.checks = tuple(checks)
        self.lemmas = lemmas
        self.covers = covers
        if mutant is None:
            self.dut = TernaryDecoder(lanes, codec, registered, impl, pipelined, split=split,
                                      copies=proof_copies(lanes, pipelined))
        else:
            self.dut = Mutant(mutant, lanes, codec, registered, pipelined, impl, split)
        self.impl = impl

    @staticmethod
    def _prop(m, kind, test, name):
        # The message names the property in the RTLIL, so failures can be named.
        m.d.comb += kind(test, name)

    def elaborate(self, platform):
        m = Module()
        dut = self.dut
        m.submodules.dut = dut
        regs = dut.internals if isinstance(dut, Mutant) else engine_registers(dut)
        lanes, beats, pipelined = dut.lanes, dut.beats, dut.pipelined
        width = 8 * lanes
        # Most beats the engine can owe: a line in `line`, one in the skid buffer,
        # one beat in the output register.
        most = beats * (1 + dut.registered) + pipelined
        i, o = dut.i, dut.o
        payload = o.payload.as_value()
        table = _Table(self.codec)

        m.d.comb += [
            i.valid.eq(AnySeq(1)),
            i.payload.eq(AnySeq(LINE_BITS + 1)),
            o.ready.eq(AnySeq(1)),
        ]
        i_fire, o_fire = Signal(), Signal()
        m.d.comb += [i_fire.eq(i.valid & i.ready), o_fire.eq(o.valid & o.ready)]

        # Last cycle's values; reset-less so that they see the reset itself.  The
        # initial state counts as "just after reset": registers hold their reset values.
        past_rst = Signal(init=1, reset_less=True)
        past_stall = Signal(reset_less=True)
        past_payload = Signal(len(payload), reset_less=True)
        past_error = Signal(reset_less=True)
        past_err_fire = Signal(reset_less=True)
        past_o_fire = Signal(reset_less=True)
        past_last_fire = Signal(reset_less=True)
        m.d.sync += [
            past_rst.eq(ResetSignal()),
            past_stall.eq(o.valid & ~o.ready),
            past_payload.eq(payload),
            past_error.eq(dut.error),
            past_err_fire.eq(o_fire & o.payload.invalid),
            past_o_fire.eq(o_fire),
            past_last_fire.eq(o_fire & o.payload.last),
        ]

        # Beats owed: 64 / lanes per accepted line, one less per output transfer.
        # Room above the most, so that an engine taking too much shows.
        owed = Signal(range(2 * most + 1))
        m.d.sync += owed.eq(owed + Mux(i_fire, beats, 0) - o_fire)
        # With latency 2, a line accepted in the previous cycle is not visible yet.
        latency = engine_latency(pipelined)
        if latency not in (1, 2):
            raise NotImplementedError(f"the harness counts for latency 1 or 2, not {latency}")
        past_i_fire = Signal()             # reset with the engine: no line before reset
        m.d.sync += past_i_fire.eq(i_fire)
        visible = Signal.like(owed)
        m.d.comb += visible.eq(owed - Mux(past_i_fire & (latency == 2), beats, 0))
        # Beats not yet in an output register, and whether the output can take one.
        held = o.valid if pipelined else Const(0)
        inner = Signal.like(owed)
        m.d.comb += inner.eq(owed - held)
        taking = (~o.valid | o.ready) if pipelined else o.ready

        tracked = self._scoreboard(m, i, i_fire, o_fire, owed, beats, width)

        checks = self.checks
        if "output" in checks:
            with m.If(~past_rst & past_stall):
                self._prop(m, Assert, o.valid, "output: valid held until transfer")
                self._prop(m, Assert, payload == past_payload,
                           "output: payload held until transfer")
        if "reset" in checks:
            with m.If(past_rst):
                self._prop(m, Assert, ~o.valid, "reset: no valid during or after reset")
        if "ready" in checks:
            if dut.registered:
                ready = inner <= beats
            else:
                ready = (inner == 0) | (taking & (inner == 1))
            self._prop(m, Assert, i.ready == ready, "ready: i.ready as documented")
        if "count" in checks:
            self._prop(m, Assert, o.valid == (visible != 0), "count: valid iff beats owed")
        if "data" in checks:
            exp_data, exp_invalid = table.lookup(m, tracked.bytes, lanes)
            expected = Cat(exp_data, tracked.last & (tracked.index == beats - 1), exp_invalid)
            with m.If(tracked.due & o.valid):
                self._prop(m, Assert, payload == expected,
                           "data: tracked beat equals golden decode")
        if "error" in checks:
            with m.If(past_rst):
                self._prop(m, Assert, ~dut.error, "error: low after reset")
            with m.Else():
                self._prop(m, Assert, dut.error == (past_error | past_err_fire),
                           "error: rises on an invalid transfer, sticky")

        if self.lemmas and {"output", "ready", "count", "data"} & set(checks):
            # The copies of o.valid enable the output trits: the output check
            # needs them too (alone, this lemma is inductive).
            for name, reg in regs.items():
                if name.startswith("valid_"):
                    self._prop(m, Assert, reg == o.valid, f"lemma: {name} is o.valid")
        if self.lemmas and {"ready", "count", "data"} & set(checks):
            self._occupancy_lemmas(m, regs, owed, inner, beats, most, past_i_fire, table,
                                   o.valid)
        if self.lemmas and "data" in checks:
            self._tracking_lemmas(m, regs, owed, held, beats, width, tracked)

        if self.covers:
            self._prop(m, Cover, ~past_rst & past_stall & o_fire, "cover: stall")
            self._prop(m, Cover, ~past_rst & past_o_fire & o_fire, "cover: back_to_back")
            self._prop(m, Cover, ~past_rst & past_last_fire & o_fire, "cover: line_to_line")
            self._prop(m, Cover, o_fire & o.payload.invalid, "cover: invalid")
            self._prop(m, Cover, o_fire & o.payload.last, "cover: last")
            # The data check is not vacuous: a line's final beat reaches it.
            self._prop(m, Cover, tracked.due & o_fire & (tracked.index == beats - 1),
                       "cover: tracked")
        return m

    @staticmethod
    def _scoreboard(m, i, i_fire, o_fire, owed, beats, width):
        """Follow one beat of one accepted line through the engine.

        The beat is arbitrary (``AnyConst`` index, bytes and ``last``); the line
        is the first accepted one, at a transfer chosen by ``AnySeq``, whose
        beat at that index has those bytes and that ``last``.  Only the beat is
        compared, not the whole line: a few bits of scoreboard instead of 513,
        which keeps the proof within reach of the solver.
        """
        t = _Tracked()
        t.index = Signal(range(beats), name="tracked_index")
        t.bytes = Signal(width, name="tracked_bytes")
        t.last = Signal(name="tracked_last")
        m.d.comb += [t.bytes.eq(AnyConst(width)), t.last.eq(AnyConst(1))]
        if beats > 1:                      # a power of 2: every value is a beat
            m.d.comb += t.index.eq(AnyConst(len(t.index)))
        t.seen = Signal(name="tracked_seen")          # a line has been tracked since reset
        t.tracking = Signal(name="tracked_tracking")  # ... and not all its beats are out
        t.ahead = Signal(range(2 * beats + 2), name="tracked_ahead")  # beats owed before it
        t.next = Signal(range(beats), name="tracked_next")  # its next beat to come out
        start = Signal()
        m.d.comb += start.eq(i_fire & AnySeq(1) & ~t.seen
                             & (i.payload.data.word_select(t.index, width) == t.bytes)
                             & (i.payload.last == t.last))
        with m.If(start):
            m.d.sync += [t.seen.eq(1), t.tracking.eq(1), t.ahead.eq(owed - o_fire),
                         t.next.eq(0)]
        with m.Elif(t.tracking & o_fire):
            with m.If(t.ahead != 0):
                m.d.sync += t.ahead.eq(t.ahead - 1)
            with m.Else():
                m.d.sync += t.next.eq(t.next + 1)
                with m.If(t.next == beats - 1):
                    m.d.sync += t.tracking.eq(0)
        t.due = Signal(name="tracked_due")            # the tracked beat is the next out
        m.d.comb += t.due.eq(t.tracking & (t.ahead == 0) & (t.next == t.index))
        return t

    def _occupancy_lemmas(self, m, regs, owed, inner, beats, most, past_i_fire, table,
                          o_valid):
        """Engine registers `busy`, `beat`, `skid_full` (`final`, `bad`) from `owed`."""
        busy = regs["busy"]
        beat = regs.get("beat", Const(0))
        skid_full = regs.get("skid_full", Const(0))
        self._prop(m, Assert, owed <= most, "lemma: owed within capacity")
        self._prop(m, Assert, busy == (inner != 0), "lemma: busy iff owed")
        self._prop(m, Assert, skid_full == (inner > beats), "lemma: skid full iff second line")
        with m.If(busy):
            self._prop(m, Assert, inner - Mux(skid_full, beats, 0) == beats - beat,
                       "lemma: beat counts the owed beats")
        with m.Else():
            self._prop(m, Assert, beat == 0, "lemma: beat 0 when idle")
        if "final" in regs:
            self._prop(m, Assert, regs["final"] == (beat == beats - 1),
                       "lemma: final marks the last beat")
        if "bad" in regs:
            line = input_layout()(regs["line"])
            lanes = len(regs["bad"])
            with m.If(busy):
                self._prop(m, Assert,
                           regs["bad"] == table.invalid_flags(m, line.data[:8 * lanes], lanes),
                           "lemma: bad flags the current beat")
            with m.If(past_i_fire):
                self._prop(m, Assert, busy, "lemma: a line accepted last cycle is held")
        if "bad_groups" in regs:
            with m.If(busy):
                self._prop(m, Assert, regs["bad_groups"] == Cat(group_flags(regs["bad"])),
                           "lemma: bad_groups are the ORs of bad")
        if "hold" in regs:
            self._prop(m, Assert, regs["hold"] == (busy & o_valid),
                       "lemma: hold is busy and o.valid")
        for name, reg in regs.items():
            if name.startswith("hold_"):
                self._prop(m, Assert, reg == (busy & o_valid),
                           f"lemma: {name} is busy and o.valid, as hold")
        if "pre" in regs:
            line = input_layout()(regs["line"])
            lanes = len(regs["bad"])
            front = REGISTRY[self.impl].load_split()[0](lanes, self.codec)
            m.submodules.lemma_front = front
            m.d.comb += front.codes.eq(line.data[:8 * lanes])
            with m.If(busy):
                self._prop(m, Assert, regs["pre"] == front.state,
                           "lemma: pre is the front stage of the current beat")

    def _tracking_lemmas(self, m, regs, owed, held, beats, width, t):
        """Where the tracked beat sits inside the engine.

        With ``held`` beats in the output register (0 or 1), the engine's
        ``line`` holds the tracked line from its beat ``next + held`` on once no
        beat is owed before it, or whole while ``held`` beats are; otherwise
        the line waits in the skid buffer.
        """
        # The registers are found as plain signals: data in [511:0], last in bit 512.
        line, busy = input_layout()(regs["line"]), regs["busy"]
        beat = regs.get("beat", Const(0))
        at = Signal(range(beats + 1), name="tracked_at")  # its beat in `line`, if there
        m.d.comb += at.eq(Mux(t.ahead == 0, t.next + held, 0))
        with m.If(t.tracking):
            self._prop(m, Assert, t.seen, "lemma: tracking implies seen")
            self._prop(m, Assert, owed > t.ahead, "lemma: tracked line owed")
            with m.If(t.ahead != 0):
                self._prop(m, Assert, t.next == 0, "lemma: no tracked beat out while ahead")
            with m.If((t.ahead == 0) | (t.ahead == held)):
                with m.If(at < beats):
                    self._prop(m, Assert, busy, "lemma: line holds the tracked line")
                    self._prop(m, Assert, beat == at, "lemma: beat is the tracked beat")
                    self._prop(m, Assert, line.last == t.last, "lemma: line has its last")
                    with m.If(at <= t.index):
                        self._prop(m, Assert,
                                   line.data.word_select((t.index - at).as_unsigned(),
                                                         width) == t.bytes,
                                   "lemma: line holds the tracked beat")
            with m.Else():
                if "skid" in regs:
                    skid = input_layout()(regs["skid"])
                    self._prop(m, Assert, regs["skid_full"], "lemma: skid holds a line")
                    self._prop(m, Assert, skid.data.word_select(t.index, width) == t.bytes,
                               "lemma: skid holds the tracked beat")
                    self._prop(m, Assert, skid.last == t.last, "lemma: skid has its last")
                    self._prop(m, Assert, t.ahead == owed - beats,
                               "lemma: beats ahead are the line's")
                else:
                    self._prop(m, Assert, 0, "lemma: no line ahead without a skid buffer")


class _Tracked:
    """The scoreboard signals of :meth:`DecoderHarness._scoreboard`."""


class LaneHarness(Elaboratable):
    """:class:`~tritpack.hw.lanes.lane.LaneDecoder` on free codes against the golden table.

    One step covers all 256 codes in every lane at once.

    Parameters
    ----------
    lanes : int
        Lanes of the decoder under test.
    codec : str
        Codec whose golden table is expected.
    mutant : bool
        Build the decoder from :func:`swapped_lut` instead (must fail; ``rom`` only).
    impl : str
        Lane decoder implementation (:data:`tritpack.hw.lanes.IMPLS`).
    """

    def __init__(self, lanes: int = 2, codec: str = "standard", mutant: bool = False,
                 impl: str = "rom"):
        self.codec = codec
        self.lanes = lanes
        self.dut = LaneDecoder(lanes, swapped_lut(codec) if mutant else codec, impl)

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = dut = self.dut
        m.d.comb += dut.codes.eq(AnySeq(8 * self.lanes))
        table = _Table(self.codec)
        for k in range(self.lanes):
            exp_data, exp_invalid = table.lookup(m, dut.codes.word_select(k, 8), 1)
            m.d.comb += Assert((dut.trits.word_select(k, _ROW_BITS) == exp_data)
                               & (dut.invalid[k] == exp_invalid), "lane: decode equals golden LUT")
        return m
