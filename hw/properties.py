# amaranth: UnusedElaboratable=no
"""Formal property harnesses of the decode engine, and mutants that break them.

:class:`DecoderHarness` wraps :class:`~hw.decoder.TernaryDecoder` (or a
:class:`Mutant` of it), drives every input from free solver variables (any
``valid``/``ready``/payload sequence, and ``rst`` at any time) and adds the
assertions of the groups in :data:`CHECKS` and the covers in :data:`COVERS`.
:class:`LaneHarness` checks the lane decoder against the golden LUT for every
code.  Expected values come from :func:`golden.get_lut` only, through
:func:`golden_rows`; nothing is taken from the engine's own table.

The checks look only at the engine's ports.  For k-induction they need
*lemmas*: facts relating registers inside the engine (``line``, ``busy``,
``beat``, ``skid``, ``skid_full``) to the harness's counters, found by name in
the engine's elaborated module (:func:`elaborate_probed`).  Lemmas are
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

import golden

from .decoder import LINE_BITS, TernaryDecoder, input_layout
from .lane import LaneDecoder

__all__ = [
    "CHECKS", "COVERS", "MUTANTS", "PIPELINED_CHECKS", "DecoderHarness", "LaneHarness", "Mutant",
    "elaborate_probed", "golden_rows", "swapped_lut",
]

#: Assertion groups of :class:`DecoderHarness`, in report order.
CHECKS = ("output", "reset", "ready", "count", "data", "error")

#: Checks that hold unchanged for ``pipelined=True`` (latency 2): the ``ready``,
#: ``count`` and ``data`` checks and the lemmas are written for latency 1.
PIPELINED_CHECKS = ("output", "reset", "error")

#: Cover statements of :class:`DecoderHarness`.
COVERS = ("stall", "back_to_back", "line_to_line", "invalid", "last")

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
    "error_not_sticky": ("error clears on the next valid transfer", "error"),
    "error_early": ("error rises when an invalid beat is offered, before its transfer", "error"),
}

#: Trit value -> 2-bit field of the output contract.
_TRIT_FIELD = {0: 0b00, 1: 0b01, -1: 0b11}

_TRIT_BITS = 2
_ROW_BITS = _TRIT_BITS * golden.TRITS_PER_BYTE  # trits of one byte, without the valid bit


def golden_rows(codec="standard") -> list[int]:
    """The golden decode table as 256 rows: trit fields in [9:0], valid in bit 10.

    Written from the output contract, independent of :func:`hw.lane.lut_rows`.
    """
    lut = golden.get_lut(codec)
    rows = []
    for trits, valid in zip(lut.trits.tolist(), lut.valid.tolist(), strict=True):
        row = sum(_TRIT_FIELD[t] << (_TRIT_BITS * n) for n, t in enumerate(trits))
        rows.append(row | (int(valid) << _ROW_BITS))
    return rows


def swapped_lut(codec="standard") -> golden.Lut:
    """``codec`` with the tuples of its two first valid codes swapped (a wrong table)."""
    lut = golden.get_lut(codec)
    a, b = np.flatnonzero(lut.valid)[:2]
    table = lut.trits.copy()
    table[[a, b]] = table[[b, a]]
    return golden.Lut.from_table(table, lut.valid, name=f"{lut.name}-swapped")


def elaborate_probed(engine: TernaryDecoder, platform):
    """Elaborate ``engine``; return its module and the registers the lemmas need.

    Raises
    ------
    LookupError
        If the engine no longer has a register the lemmas name.
    """
    module = engine.elaborate(platform)
    # Amaranth 0.5 has no public way to reach an elaborated module's local
    # signals; `_driving` maps every signal the module drives.
    driven = {sig.name: sig for sig in module._driving}
    names = ["line", "busy"]
    if engine.beats > 1:
        names.append("beat")
    if engine.registered:
        names += ["skid", "skid_full"]
    missing = [name for name in names if name not in driven]
    if missing:
        raise LookupError(
            f"TernaryDecoder.elaborate() drives no signal named {', '.join(missing)}; "
            "the induction lemmas of hw/properties.py need updating"
        )
    return module, {name: driven[name] for name in names}


class Mutant(wiring.Component):
    """:class:`TernaryDecoder` with one deliberate bug (see :data:`MUTANTS`).

    The real engine sits inside; the bug is in the wiring around it, or in the
    table given to it (``lut_entry``).  The engine file is untouched.

    Parameters
    ----------
    kind : str
        A key of :data:`MUTANTS`.
    lanes, codec, registered
        As for :class:`TernaryDecoder`.
    """

    def __init__(self, kind: str, lanes: int, codec="standard", registered: bool = False):
        if kind not in MUTANTS:
            raise ValueError(f"mutant must be one of {', '.join(MUTANTS)}, not {kind!r}")
        self.kind = kind
        table = swapped_lut(codec) if kind == "lut_entry" else codec
        self.engine = TernaryDecoder(lanes, table, registered)
        self.internals = None  # set by elaborate()
        super().__init__(self.engine.signature)

    lanes = property(lambda self: self.engine.lanes)
    registered = property(lambda self: self.engine.registered)
    beats = property(lambda self: self.engine.beats)

    def elaborate(self, platform):
        m = Module()
        engine, self.internals = elaborate_probed(self.engine, platform)
        inner = self.engine
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


def _probe(dut, platform):
    if isinstance(dut, Mutant):
        module = dut.elaborate(platform)
        return module, dut.internals
    return elaborate_probed(dut, platform)


class _Table:
    """The golden table as a mux over constants, looked up per byte."""

    def __init__(self, codec):
        self._rows = Array(Const(row, _ROW_BITS + 1) for row in golden_rows(codec))

    def lookup(self, m: Module, codes, lanes: int):
        """Expected trit fields and invalid flag of ``lanes`` bytes in ``codes``."""
        fields, valids = [], []
        for k in range(lanes):
            row = Signal(_ROW_BITS + 1, name=f"golden_row{k}")
            m.d.comb += row.eq(self._rows[codes.word_select(k, 8)])
            fields.append(row[:_ROW_BITS])
            valids.append(row[_ROW_BITS])
        return Cat(*fields), ~Cat(*valids).all()


class DecoderHarness(Elaboratable):
    """The engine under free stimulus, with checks, lemmas and covers.

    Every input of the engine (``i.valid``, ``i.payload``, ``o.ready``) and
    ``rst`` is free in every cycle, so a proof covers every input sequence,
    including ones that break the stream rules upstream.

    Checks (assertion groups):

    ``output``
        Once ``o.valid`` is high without ``o.ready`` (and no reset), the next
        cycle has ``o.valid`` high and the same payload (``data``, ``last``,
        ``invalid``).
    ``reset``
        In the cycle after a cycle with ``rst`` high (and in the initial state),
        ``o.valid`` is low.
    ``ready``
        ``i.ready`` as documented: ``~busy | (o.ready & last beat)`` when not
        registered, ``~(skid full)`` when registered, with ``busy``, "last beat"
        and "skid full" measured from the ports: the number of beats owed
        (``64 / lanes`` per accepted line, minus output transfers) is ``> 0``,
        ``== 1`` and ``> 64 / lanes``.
    ``count``
        ``o.valid`` is high exactly when beats are owed (latency 1, no bubble,
        nothing lost or invented).
    ``data``
        For one arbitrary accepted line
        (``AnyConst`` line, ``AnySeq`` choice of the transfer), after the beats
        owed before it, its beats come out in order, each once, each equal to
        the golden decode of its bytes, with ``last`` on its final beat only if
        the line carried ``last`` and ``invalid`` when a byte is not a code.
    ``error``
        ``error`` is low after reset; otherwise it is high exactly when it was
        high before or the previous cycle had an output transfer with
        ``invalid`` set (the engine's docstring: set once an invalid code has
        been emitted).

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
        Check the engine's ``pipelined=True`` variant (only :data:`PIPELINED_CHECKS`).
    """

    def __init__(self, lanes: int, codec: str = "standard", registered: bool = False, *,
                 checks=CHECKS, lemmas: bool = True, covers: bool = False, mutant=None,
                 pipelined: bool = False):
        unknown = set(checks) - set(CHECKS)
        if unknown:
            raise ValueError(f"checks must be among {', '.join(CHECKS)}, not {sorted(unknown)}")
        if pipelined and (mutant is not None or set(checks) - set(PIPELINED_CHECKS)):
            raise ValueError(f"a pipelined engine has only the checks "
                             f"{', '.join(PIPELINED_CHECKS)} and no mutants so far")
        self.codec = codec
        self.checks = tuple(checks)
        self.lemmas = lemmas
        self.covers = covers
        if mutant is None:
            self.dut = TernaryDecoder(lanes, codec, registered, pipelined=pipelined)
        else:
            self.dut = Mutant(mutant, lanes, codec, registered)

    @staticmethod
    def _prop(m, kind, test, name):
        # The message names the property in the RTLIL, so failures can be named.
        m.d.comb += kind(test, name)

    def elaborate(self, platform):
        m = Module()
        dut = self.dut
        m.submodules.dut, regs = _probe(dut, platform)
        lanes, beats = dut.lanes, dut.beats
        cap = 2 if dut.registered else 1       # lines the engine can hold
        i, o = dut.i, dut.o
        payload = o.payload.as_value()

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
        # Room above the capacity, so that an engine taking too much shows.
        owed = Signal(range(2 * cap * beats + 1))
        m.d.sync += owed.eq(owed + Mux(i_fire, beats, 0) - o_fire)

        # Scoreboard of one line: `line_const` is any line; the tracked transfer is
        # the first accepted one carrying it for which `pick` is high.
        line_const = Signal(input_layout())
        m.d.comb += line_const.eq(AnyConst(LINE_BITS + 1))
        seen = Signal()                        # a line has been tracked since reset
        tracking = Signal()                    # ... and not all its beats are out
        ahead = Signal(range(cap * beats + 1))  # beats still owed before it
        tj = Signal(range(beats))              # its next beat
        start = Signal()
        m.d.comb += start.eq(i_fire & AnySeq(1) & ~seen
                             & (i.payload.as_value() == line_const.as_value()))
        with m.If(start):
            m.d.sync += [seen.eq(1), tracking.eq(1), ahead.eq(owed - o_fire), tj.eq(0)]
        with m.Elif(tracking & o_fire):
            with m.If(ahead != 0):
                m.d.sync += ahead.eq(ahead - 1)
            with m.Else():
                m.d.sync += tj.eq(tj + 1)
                with m.If(tj == beats - 1):
                    m.d.sync += tracking.eq(0)

        # The bytes of the tracked line not yet emitted, next beat's at the bottom: the
        # whole line until its first beat is due, then one beat less per transfer.
        rest = Signal(input_layout())
        with m.If(~tracking | (ahead != 0)):
            m.d.sync += rest.eq(line_const)
        with m.Elif(o_fire):
            m.d.sync += rest.data.eq(rest.data >> (8 * lanes))

        exp_data, exp_invalid = _Table(self.codec).lookup(m, rest.data[:8 * lanes], lanes)
        expected = Cat(exp_data, rest.last & (tj == beats - 1), exp_invalid)

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
                ready = owed <= beats
            else:
                ready = (owed == 0) | (o.ready & (owed == 1))
            self._prop(m, Assert, i.ready == ready, "ready: i.ready as documented")
        if "count" in checks:
            self._prop(m, Assert, o.valid == (owed != 0), "count: valid iff beats owed")
        if "data" in checks:
            with m.If(tracking & (ahead == 0) & o.valid):
                self._prop(m, Assert, payload == expected,
                           "data: tracked beat equals golden decode")
        if "error" in checks:
            with m.If(past_rst):
                self._prop(m, Assert, ~dut.error, "error: low after reset")
            with m.Else():
                self._prop(m, Assert, dut.error == (past_error | past_err_fire),
                           "error: rises on an invalid transfer, sticky")

        if self.lemmas and {"ready", "count", "data"} & set(checks):
            self._occupancy_lemmas(m, regs, owed, beats, cap)
        if self.lemmas and "data" in checks:
            self._tracking_lemmas(m, regs, owed, beats, line_const, rest,
                                  seen, tracking, ahead, tj)

        if self.covers:
            self._prop(m, Cover, ~past_rst & past_stall & o_fire, "cover: stall")
            self._prop(m, Cover, ~past_rst & past_o_fire & o_fire, "cover: back_to_back")
            self._prop(m, Cover, ~past_rst & past_last_fire & o_fire, "cover: line_to_line")
            self._prop(m, Cover, o_fire & o.payload.invalid, "cover: invalid")
            self._prop(m, Cover, o_fire & o.payload.last, "cover: last")
        return m

    def _occupancy_lemmas(self, m, regs, owed, beats, cap):
        """Engine registers `busy`, `beat`, `skid_full` as functions of `owed`."""
        busy = regs["busy"]
        beat = regs.get("beat", Const(0))
        skid_full = regs.get("skid_full", Const(0))
        self._prop(m, Assert, owed <= cap * beats, "lemma: owed within capacity")
        self._prop(m, Assert, busy == (owed != 0), "lemma: busy iff owed")
        self._prop(m, Assert, skid_full == (owed > beats), "lemma: skid full iff second line")
        with m.If(busy):
            self._prop(m, Assert, owed - Mux(skid_full, beats, 0) == beats - beat,
                       "lemma: beat counts the owed beats")
        with m.Else():
            self._prop(m, Assert, beat == 0, "lemma: beat 0 when idle")

    def _tracking_lemmas(self, m, regs, owed, beats, line_const, rest,
                         seen, tracking, ahead, tj):
        """Where the tracked line sits inside the engine."""
        line = regs["line"]
        beat = regs.get("beat", Const(0))
        const = line_const.as_value()
        with m.If(tracking):
            self._prop(m, Assert, seen, "lemma: tracking implies seen")
            self._prop(m, Assert, regs["busy"], "lemma: tracking implies busy")
            with m.If(ahead == 0):
                self._prop(m, Assert, line == rest.as_value(),
                           "lemma: line holds the rest of the tracked line")
                self._prop(m, Assert, beat == tj, "lemma: beat is the tracked beat")
            with m.Else():
                self._prop(m, Assert, tj == 0, "lemma: no tracked beat out while ahead")
                if "skid" in regs:
                    self._prop(m, Assert, regs["skid"] == const,
                               "lemma: skid holds the tracked line")
                    self._prop(m, Assert, ahead == owed - beats,
                               "lemma: beats ahead are the line's")
                else:
                    self._prop(m, Assert, 0, "lemma: no line ahead without a skid buffer")


class LaneHarness(Elaboratable):
    """:class:`~hw.lane.LaneDecoder` on free codes against the golden table.

    One step covers all 256 codes in every lane at once.

    Parameters
    ----------
    lanes : int
        Lanes of the decoder under test.
    codec : str
        Codec whose golden table is expected.
    mutant : bool
        Build the decoder from :func:`swapped_lut` instead (must fail).
    """

    def __init__(self, lanes: int = 2, codec: str = "standard", mutant: bool = False):
        self.codec = codec
        self.lanes = lanes
        self.dut = LaneDecoder(lanes, swapped_lut(codec) if mutant else codec)

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
