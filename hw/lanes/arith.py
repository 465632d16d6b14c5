"""Arithmetic byte decoder: base-3 digits from two nibble tables and a ternary adder.

A code ``c = 16*a + b`` (``a``, ``b`` its nibbles) is decoded through the integer
``v`` whose five base-3 digits are the trits:

``standard``
    ``v = c = 16*a + b``: the digits of ``16*a`` (a 4-input table per output
    bit) plus the digits of ``b`` (likewise), added digit by digit.
``tq1``
    ``v = floor(243*c / 256) = floor(243*a / 16) + floor(243*b / 256) + k``
    with the carry ``k = [16*(243*a mod 16) + (243*b mod 256) >= 256]``, that is
    the carry out of the 4-bit sum ``(243*a mod 16) + ((243*b mod 256) >> 4)``;
    trit ``n`` is digit ``4 - n`` of ``v`` minus one (llama.cpp's TQ1_0 order).

Every table is a function of at most 5 bits, so each output bit maps onto one
or two LUT4s (docs/ENGINE.md compares the cost with a 256-entry ``case``
statement, measured by ``tritpack bench synth``).  The invalid flag is
``c >= 243`` for ``standard``; for ``tq1`` it is ``243*c mod 256 >= 243``
(exactly the 13 codes no trit tuple maps to), built from the same nibble
tables.  All tables are generated here from the codec's arithmetic, and the
decomposition is checked against :func:`golden.get_lut` when a decoder is built.
"""

from __future__ import annotations

import math

from amaranth.hdl import Array, C, Cat, Elaboratable, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from tritpack import golden
from tritpack.golden.lut_io import ROW_BITS

from . import REGISTRY, check_impl, same_codec

__all__ = [
    "ARITH_CODECS", "CUT", "ArithBack", "ArithByteDecoder", "ArithFront", "ArithLanes",
    "arith_codec",
]

#: Codecs that have an arithmetic decomposition (from the registry's entry).
ARITH_CODECS = REGISTRY["arith"].codecs

_DIGITS = golden.TRITS_PER_BYTE


class _Plan:
    """How one codec splits into nibble tables (all integers, no hardware)."""

    def __init__(self, codec: str):
        if codec == "standard":
            self.hi = [16 * a for a in range(16)]
            self.lo = list(range(16))
            self.carry = None
            self.order = list(range(_DIGITS))           # trit n = digit n
            self.trit_of_digit = (0, 1, -1)             # d = t mod 3
        else:  # tq1
            self.hi = [243 * a // 16 for a in range(16)]
            self.lo = [243 * b // 256 for b in range(16)]
            self.carry = [[int(16 * (243 * a % 16) + 243 * b % 256 >= 256)
                           for b in range(16)] for a in range(16)]
            self.order = list(range(_DIGITS - 1, -1, -1))  # trit n = digit 4 - n
            self.trit_of_digit = (-1, 0, 1)             # digit = t + 1
        self.lo_digits = max(1, math.ceil(math.log(max(self.lo) + 1, 3)))

    def value(self, code: int) -> int:
        a, b = code >> 4, code & 15
        return self.hi[a] + self.lo[b] + (self.carry[a][b] if self.carry else 0)

    def trits(self, code: int) -> list[int]:
        digits = [(self.value(code) // 3**i) % 3 for i in range(_DIGITS)]
        return [self.trit_of_digit[digits[self.order[n]]] for n in range(_DIGITS)]


def _tq1_invalid(code: int) -> bool:
    # q = ceil(256 v / 243) gives 0 <= 243 q - 256 v < 243, so a valid code has
    # 243 q mod 256 < 243; 243 is odd, so exactly 13 codes have it >= 243.
    return 243 * code % 256 >= 243


def _check_plan(plan: _Plan, lut: golden.Lut) -> None:
    invalid = (lambda c: c >= 243) if plan.carry is None else _tq1_invalid
    for code in range(256):
        if invalid(code) != (not lut.valid[code]):
            raise AssertionError(f"arith validity of {lut.name!r} is wrong at code {code}")
        if lut.valid[code] and plan.trits(code) != lut.trits[code].tolist():
            raise AssertionError(f"arith plan of {lut.name!r} is wrong at code {code}")


def _table(m: Module, sel, width: int, fn, name: str) -> Signal:
    """A combinational truth table ``out = fn(sel)`` of a few select bits.

    ``fn`` returns None for a don't-care (taken as 0).  An ``Array`` of constants
    maps to fewer LUTs than a ``Switch`` (which Yosys turns into a
    ROM first) and leaves no incomplete ``case`` for Verilator.
    """
    rows = Array(C(fn(v) or 0, width) for v in range(2 ** len(sel)))
    out = Signal(width, name=name)
    m.d.comb += out.eq(rows[sel])
    return out


#: Digits the front stage of a split decoder adds (see :class:`ArithFront`).
CUT = 2


def _nibbles(m: Module, plan: _Plan, code):
    """The nibble tables of one byte: ``hi``, ``lo`` digits, the initial carry
    (None for ``standard``) and the invalid flag."""
    hi = _table(m, code[4:], 2 * _DIGITS, lambda a: _digits_of(plan, plan.hi[a], _DIGITS), "hi")
    lo_n = plan.lo_digits
    lo = _table(m, code[:4], 2 * lo_n, lambda b: _digits_of(plan, plan.lo[b], lo_n), "lo")
    a, b = code[4:], code[:4]
    invalid = Signal()
    if plan.carry is None:  # standard: invalid = c >= 243
        carry = None
        # b >= 3 spelled out: a comparison with the constant 3 is written as a
        # 2-bit constant, which Verilator's -Wall flags as a width mismatch.
        m.d.comb += invalid.eq(a.all() & (b[2:].any() | b[:2].all()))
    else:
        # With ra = 243a mod 16 and 243b mod 256 = 16 hb + lb:
        # k = [ra + hb >= 16], and c is invalid when 243c mod 256 >= 243
        # (see _tq1_invalid), that is when ra + hb == 15 and lb >= 3.
        ra = _table(m, a, 4, lambda a: 243 * a % 16, "ra")
        hb = _table(m, b, 4, lambda b: (243 * b % 256) >> 4, "hb")
        lb3 = _table(m, b, 1, lambda b: int((243 * b % 256) & 15 >= 3), "lb3")
        carry = Signal(name="k")
        m.d.comb += [
            carry.eq((ra + hb)[4]),
            invalid.eq((hb == ~ra) & lb3),
        ]
    return hi, lo, carry, invalid


def _encoding(plan: _Plan):
    # Internal digit code = the 2-bit two's complement of the digit's trit, so
    # the adder's sum bits are already the output bits.
    enc = [t & 0b11 for t in plan.trit_of_digit]
    return enc, {e: d for d, e in enumerate(enc)}


def _digits_of(plan: _Plan, value: int, count: int) -> int:
    enc, _ = _encoding(plan)
    return sum(enc[(value // 3**i) % 3] << (2 * i) for i in range(count))


def _ripple(m: Module, plan: _Plan, hi, lo, carry, first: int, stop: int):
    """Digits ``first`` to ``stop - 1`` of ``hi + lo + carry``, and the carry out.

    ``hi`` and ``lo`` hold the digits from ``first`` on.
    """
    enc, dec = _encoding(plan)
    lo_n = plan.lo_digits

    def add(x, y, cin):
        """Digit sum: 2-bit x, y and a carry in -> 2-bit digit and carry out."""
        if x not in dec or y not in dec:
            return None
        s = dec[x] + dec[y] + cin
        return enc[s % 3] | ((s // 3) << 2)

    # Only signals go into a table's select (a constant there would leave cases
    # unreachable, which Verilator flags as an incomplete case).
    digits = []
    for i in range(first, stop):
        j = i - first
        x = hi[2 * j:2 * j + 2]
        if i < lo_n and carry is not None:
            sel, fn = Cat(x, lo[2 * j:2 * j + 2], carry), (
                lambda v: add(v & 3, (v >> 2) & 3, v >> 4))
        elif i < lo_n:
            sel, fn = Cat(x, lo[2 * j:2 * j + 2]), lambda v: add(v & 3, v >> 2, 0)
        else:  # above the low nibble's digits: add the carry alone
            sel, fn = Cat(x, carry), lambda v: add(v & 3, enc[0], v >> 2)
        r = _table(m, sel, 3, fn, f"sum{i}")
        digits.append(r[:2])
        carry = r[2]
    return digits, carry


def _front(m: Module, plan: _Plan, code):
    """The front stage: the state (see :class:`ArithFront`) and the invalid flag."""
    hi, lo, carry, invalid = _nibbles(m, plan, code)
    digits, carry = _ripple(m, plan, hi, lo, carry, 0, CUT)
    state = Cat(*digits, carry, hi[2 * CUT:], lo[2 * CUT:])
    return state, invalid


def _state_bits(plan: _Plan) -> int:
    return 2 * CUT + 1 + 2 * (_DIGITS - CUT) + 2 * (plan.lo_digits - CUT)


def _back(m: Module, plan: _Plan, state):
    """The back stage: the trits (not masked) from the state of :func:`_front`."""
    low, carry = state[:2 * CUT], state[2 * CUT]
    rest = state[2 * CUT + 1:]
    hi, lo = rest[:2 * (_DIGITS - CUT)], rest[2 * (_DIGITS - CUT):]
    digits, _ = _ripple(m, plan, hi, lo, carry, CUT, _DIGITS)
    digits = [low[2 * i:2 * i + 2] for i in range(CUT)] + digits
    return Cat(*(digits[plan.order[n]] for n in range(_DIGITS)))


class ArithByteDecoder(wiring.Component):
    """Decode one byte by nibble tables and a ternary ripple adder (see module docstring).

    Combinational: latency 0, no state, no reset.  It is :class:`ArithFront`
    and :class:`ArithBack` of one byte back to back, masked by the invalid flag.

    Parameters
    ----------
    codec : str or golden.Lut
        ``"standard"`` or ``"tq1"`` (or a golden LUT equal to one of them).

    Members
    -------
    code : ``In(8)``
        The byte.
    trits : ``Out(10)``
        Trit ``n`` at bits [2n+1:2n], two's complement; zero for an invalid code.
    invalid : ``Out(1)``
        Set when ``code`` is not a valid code of the codec.

    Raises
    ------
    ValueError
        For a codec without an arithmetic decomposition.
    """

    def __init__(self, codec="standard"):
        self._lut = golden.get_lut(codec)
        self._plan = _Plan(arith_codec(self._lut))
        _check_plan(self._plan, self._lut)
        super().__init__({"code": In(8), "trits": Out(ROW_BITS), "invalid": Out(1)})

    def elaborate(self, platform) -> Elaboratable:
        m = Module()
        state, invalid = _front(m, self._plan, self.code)
        trits = _back(m, self._plan, state)
        m.d.comb += [
            self.invalid.eq(invalid),
            self.trits.eq(Mux(invalid, 0, trits)),
        ]
        return m


def _init_stage(stage, lanes: int, codec, signature) -> None:
    """The parameters of :class:`ArithFront` or :class:`ArithBack`, then its signature."""
    stage._lanes = lanes
    stage._lut = golden.get_lut(codec)
    stage._plan = _Plan(arith_codec(stage._lut))
    stage.state_bits = _state_bits(stage._plan)
    wiring.Component.__init__(stage, signature(stage.state_bits))


class ArithFront(wiring.Component):
    """The front stage of ``lanes`` arith decoders, for a register between the stages.

    Combinational: latency 0, no state, no reset.  Per byte it looks up the
    nibble tables and adds the low :data:`CUT` digits; its ``state`` holds
    those digits, the carry out of them and the remaining digits of both
    tables, which :class:`ArithBack` adds.  The pipelined engine registers the
    state of a beat one clock ahead, so that only the back stage lies between
    its registers and the output register.

    Parameters
    ----------
    lanes : int
        Number of bytes at once.
    codec : str or golden.Lut
        ``"standard"`` or ``"tq1"`` (or a golden LUT equal to one of them).

    Members
    -------
    codes : ``In(8 * lanes)``
        Byte ``k`` at bits [8k+7:8k].
    state : ``Out(state_bits * lanes)``
        The state of byte ``k`` in word ``k`` (:attr:`state_bits` wide).

    Raises
    ------
    ValueError
        For a codec without an arithmetic decomposition.
    """

    def __init__(self, lanes: int, codec="standard"):
        _init_stage(self, lanes, codec, lambda bits: {
            "codes": In(8 * lanes), "state": Out(bits * lanes)})

    @staticmethod
    def state_bits_of(codec) -> int:
        """Bits of one byte's state for ``codec``, without building a stage."""
        return _state_bits(_Plan(arith_codec(codec)))

    def elaborate(self, platform) -> Elaboratable:
        m = Module()
        for k in range(self._lanes):
            state, _ = _front(m, self._plan, self.codes.word_select(k, 8))
            m.d.comb += self.state.word_select(k, self.state_bits).eq(state)
        return m


class ArithBack(wiring.Component):
    """The back stage of ``lanes`` arith decoders: trits from :class:`ArithFront`'s state.

    Combinational: latency 0, no state, no reset.  The trits of an invalid
    code are not masked here: the engine masks them with its own invalid flags.

    Parameters
    ----------
    lanes : int
        Number of bytes at once.
    codec : str or golden.Lut
        ``"standard"`` or ``"tq1"`` (or a golden LUT equal to one of them).

    Members
    -------
    state : ``In(state_bits * lanes)``
        As :class:`ArithFront` gives it.
    trits : ``Out(10 * lanes)``
        Trit ``n`` of byte ``k`` at bits [10k+2n+1:10k+2n] for valid codes.

    Raises
    ------
    ValueError
        For a codec without an arithmetic decomposition.
    """

    def __init__(self, lanes: int, codec="standard"):
        _init_stage(self, lanes, codec, lambda bits: {
            "state": In(bits * lanes), "trits": Out(ROW_BITS * lanes)})

    def elaborate(self, platform) -> Elaboratable:
        m = Module()
        for k in range(self._lanes):
            trits = _back(m, self._plan, self.state.word_select(k, self.state_bits))
            m.d.comb += self.trits.word_select(k, ROW_BITS).eq(trits)
        return m


def arith_codec(codec) -> str:
    """The name in :data:`ARITH_CODECS` of a codec equal to ``codec``.

    Raises
    ------
    ValueError
        For a codec without an arithmetic decomposition (a custom LUT).
    """
    check_impl("arith", codec)
    return same_codec(codec, ARITH_CODECS)


class ArithLanes(wiring.Component):
    """``lanes`` :class:`ArithByteDecoder` side by side (the ``"arith"`` lanes).

    Combinational: latency 0, no state, no reset.

    Parameters
    ----------
    lanes : int
        Number of bytes decoded at once.
    codec : str or golden.Lut
        ``"standard"`` or ``"tq1"`` (or a golden LUT equal to one of them).

    Members
    -------
    codes, trits, invalid
        As for :class:`~tritpack.hw.lanes.lane.LaneDecoder`.

    Raises
    ------
    ValueError
        For a codec without an arithmetic decomposition.
    """

    def __init__(self, lanes: int, codec="standard"):
        self._lanes = lanes
        self._lut = golden.get_lut(codec)
        arith_codec(self._lut)
        super().__init__({
            "codes": In(8 * lanes),
            "trits": Out(ROW_BITS * lanes),
            "invalid": Out(lanes),
        })

    def elaborate(self, platform) -> Elaboratable:
        m = Module()
        for k in range(self._lanes):
            m.submodules[f"byte{k}"] = dec = ArithByteDecoder(self._lut)
            m.d.comb += [
                dec.code.eq(self.codes.word_select(k, 8)),
                self.trits.word_select(k, ROW_BITS).eq(dec.trits),
                self.invalid[k].eq(dec.invalid),
            ]
        return m
