"""The byte-lane decoders of the engine, behind one registry.

A lane decoder turns ``lanes`` byte codes into five 2-bit trits each and flags
the invalid codes, combinationally (see :class:`.lane.LaneDecoder`, the one
interface the engine sees).  Each implementation is a module of this package
holding a component class with that interface:

``rom``
    :mod:`.rom`: one 256-row ROM shared by all lanes, any codec.
``arith``
    :mod:`.arith`: nibble tables and a ternary adder per lane, ``standard``
    and ``tq1`` only.
``bram``
    :mod:`.bram`: one synchronously read table per lane, a block RAM where
    the part has them, any codec; the pipelined engine only, whose output
    register is its read register (latency 1, not 0: ``pipelined_only``).

:data:`REGISTRY` maps each name to a :class:`LaneImpl`; :data:`IMPLS` lists
the names, the default first.  Importing this package does not import
Amaranth (the command line lists the choices without it): an implementation's
module is imported by :meth:`LaneImpl.load`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from tritpack import golden

__all__ = ["IMPLS", "REGISTRY", "LaneImpl", "check_impl", "impls_for"]


@dataclass(frozen=True)
class LaneImpl:
    """One lane decoder implementation.

    Members
    -------
    name : str
        The ``impl=`` value that selects it.
    module : str
        Its module in this package; it holds the component class ``cls_name``,
        built as ``cls(lanes, lut)`` with the members of
        :class:`.lane.LaneDecoder` (``codes``, ``trits``, ``invalid``).
    cls_name : str
        The component class.
    codecs : tuple of str or None
        The codecs it can build (a LUT equal to one of them is accepted too);
        None for any LUT.
    reads_memory : bool
        Its outputs are read ports of an Amaranth ``Memory``.
    summary : str
        One line for ``--help``.
    pipelined_only : bool
        Its reads are synchronous: ``codes`` and ``en: In(lanes)`` in,
        ``trits`` one clock later and held while ``en`` is low, invalid rows
        zero, no ``invalid`` output.  Only the pipelined engine builds it, as
        its output register; :class:`.lane.LaneDecoder` refuses it.
    split : tuple of str or None
        The decoder cut in two, for a register between the halves: the classes
        of its front stage (``codes: In(8·lanes)`` to ``state: Out(S·lanes)``,
        with ``state_bits`` = S, and ``cls.state_bits_of(lut)`` = S before any
        is built) and of its back stage (``state`` in,
        ``trits: Out(10·lanes)`` out, not masked), both built as
        ``cls(lanes, lut)``; None when it cannot be split.
    """

    name: str
    module: str
    cls_name: str
    codecs: tuple[str, ...] | None
    reads_memory: bool
    summary: str
    split: tuple[str, str] | None = None
    pipelined_only: bool = False

    def load(self) -> type:
        """The component class (imports Amaranth)."""
        return getattr(importlib.import_module(f"{__name__}.{self.module}"), self.cls_name)

    def load_split(self) -> tuple[type, type] | None:
        """The front and back stage classes of :attr:`split`, or None (imports Amaranth)."""
        if self.split is None:
            return None
        module = importlib.import_module(f"{__name__}.{self.module}")
        return getattr(module, self.split[0]), getattr(module, self.split[1])


#: Lane decoder implementations: name -> :class:`LaneImpl`; the first is the default.
REGISTRY = {
    "rom": LaneImpl("rom", "rom", "RomLanes", None, True,
                    "one ROM in logic shared by all lanes, any codec"),
    "arith": LaneImpl("arith", "arith", "ArithLanes", ("standard", "tq1"), False,
                      "nibble tables and a ternary adder per lane, codecs standard and tq1",
                      split=("ArithFront", "ArithBack")),
    "bram": LaneImpl("bram", "bram", "BramLanes", None, True,
                     "a synchronous ROM per lane (block RAM), any codec, pipelined only",
                     pipelined_only=True),
}

#: The names of :data:`REGISTRY`, the default first.
IMPLS = tuple(REGISTRY)


def check_impl(impl, codec="standard", pipelined: bool | None = None) -> LaneImpl:
    """The implementation named ``impl``, checked to build ``codec`` (and, unless
    ``pipelined`` is None, to build an engine with that ``pipelined``).

    Raises
    ------
    ValueError
        For an unknown ``impl``, a codec the implementation cannot build, or a
        :attr:`LaneImpl.pipelined_only` one with ``pipelined`` false.
    """
    if impl not in REGISTRY:
        raise ValueError(f"impl must be one of {', '.join(IMPLS)}, not {impl!r}")
    entry = REGISTRY[impl]
    if entry.codecs is not None and same_codec(codec, entry.codecs) is None:
        lut = golden.get_lut(codec)
        any_lut = next(n for n, e in REGISTRY.items() if e.codecs is None)
        raise ValueError(
            f"impl {impl!r} supports the codecs {', '.join(entry.codecs)}, not {lut.name!r}; "
            f"use impl {any_lut!r} for a custom LUT"
        )
    if entry.pipelined_only and pipelined is not None and not pipelined:
        raise ValueError(f"impl {impl!r} needs the pipelined engine (pipelined=True, "
                         "--pipelined): its read register is the output register")
    return entry


def impls_for(pipelined: bool) -> tuple[str, ...]:
    """The names of :data:`IMPLS` an engine with this ``pipelined`` can build."""
    return tuple(n for n, e in REGISTRY.items() if pipelined or not e.pipelined_only)


def same_codec(codec, names) -> str | None:
    """The first of the built-in codecs ``names`` whose table equals ``codec``'s, or None."""
    lut = golden.get_lut(codec)
    for name in names:
        ref = golden.get_lut(name)
        if (lut.trits == ref.trits).all() and (lut.valid == ref.valid).all():
            return name
    return None
