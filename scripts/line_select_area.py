"""How the 8-lane engine should read its held line: shift it, or select a word (iCE40 area).

A measurement for docs/ENGINE.md ("Area of the narrow engine"), not part of the
engine: the datapath alone (line register, beat counter, ``ArithLanes(8)``, registered
outputs, no stream control) in each way of reading the line, synthesised with
``synth_ice40``.  ``python scripts/line_select_area.py [LETTERS]`` (``A C``: a subset
by first letter) prints a table and writes each design's Verilog and Yosys log under
``build/line_select_area/`` of the current directory.
"""
import json
import sys
from pathlib import Path

from amaranth.back import verilog
from amaranth.hdl import Array, Elaboratable, Module, Signal

from tritpack.golden.lut_io import ROW_BITS
from tritpack.hw.fpga.synth import synthesize
from tritpack.hw.lanes.arith import ArithLanes

LANES = 8
WORD = 8 * LANES          # 64
BEATS = 8
LINE = WORD * BEATS       # 512
OUT = Path("build") / "line_select_area"


class _Base(Elaboratable):
    def __init__(self):
        self.trits = Signal(ROW_BITS * LANES)
        self.invalid = Signal(LANES)

    def _outputs(self, m, word):
        m.submodules.dec = dec = ArithLanes(LANES, "standard")
        m.d.comb += dec.codes.eq(word)
        m.d.sync += [self.trits.eq(dec.trits), self.invalid.eq(dec.invalid)]


def _read_line(m, line_in, load, *, register=True, shift=False):
    """(line, beat): the held line (a register loaded on ``load``, or the input itself)
    and the beat counter."""
    beat = Signal(3)
    line = Signal(LINE, reset_less=True) if register else line_in  # no reset: SB_DFFE
    with m.If(load):
        m.d.sync += beat.eq(0)
        if register:
            m.d.sync += line.eq(line_in)
    with m.Else():
        m.d.sync += beat.eq(beat + 1)
        if shift:
            m.d.sync += line.eq(line >> WORD)
    return line, beat


def _word_select(line, beat):
    return line.word_select(beat, WORD)


def _array_select(line, beat):
    return Array(line.word_select(k, WORD) for k in range(BEATS))[beat]


def _low_word(line, beat):
    return line[:WORD]


class LineReader(_Base):
    """A 512-bit line read 64 bits a beat by ``select`` into ``ArithLanes(8)``, or, with
    ``decode=False``, into a 64-bit register (the datapath alone)."""

    def __init__(self, select, *, register=True, shift=False, decode=True):
        super().__init__()
        self.select, self.register, self.shift, self.decode = select, register, shift, decode
        self.line_in = Signal(LINE)
        self.load = Signal()
        self.word = Signal(WORD)
        outs = [self.trits, self.invalid] if decode else [self.word]
        self.ports = [self.line_in, self.load, *outs]

    def elaborate(self, platform):
        m = Module()
        line, beat = _read_line(m, self.line_in, self.load, register=self.register,
                                shift=self.shift)
        word = self.select(line, beat)
        if self.decode:
            self._outputs(m, word)
        else:
            m.d.sync += self.word.eq(word)
        return m


class LanesOnly(_Base):
    """D: ArithLanes(8) with registered 64-bit input and registered outputs."""
    def __init__(self):
        super().__init__()
        self.codes = Signal(WORD)
        self.ports = [self.codes, self.trits, self.invalid]

    def elaborate(self, platform):
        m = Module()
        codes_q = Signal(WORD, reset_less=True)
        m.d.sync += codes_q.eq(self.codes)
        self._outputs(m, codes_q)
        return m


DESIGNS = [
    ("A_static_line_word_select", lambda: LineReader(_word_select)),
    ("B_select_from_source", lambda: LineReader(_word_select, register=False)),
    ("C_shift_baseline", lambda: LineReader(_low_word, shift=True)),
    ("D_arith_lanes8_reg_io", LanesOnly),
    ("E_word_select_only_no_decoder", lambda: LineReader(_word_select, decode=False)),
    ("F_shift_only_no_decoder", lambda: LineReader(_low_word, shift=True, decode=False)),
    ("G_A_with_Array_mux", lambda: LineReader(_array_select)),
]


def main():
    only = set(sys.argv[1:])
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, cls in DESIGNS:
        if only and name[0] not in only:
            continue
        design = cls()
        text = verilog.convert(design, name=name, ports=design.ports, emit_src=False)
        work = OUT / name
        r = synthesize(text, "ice40", name, lanes=LANES, label=name, workdir=work)
        c = r.categories
        ffs = {k: v for k, v in r.cells.items() if k.startswith("SB_DFF")}
        rows.append((name, r.cells.get("SB_LUT4", 0), c["ffs"], r.cells.get("SB_CARRY", 0),
                     ffs, c["other"], r.seconds))
        print(f"{name}: LUT4={rows[-1][1]} FF={c['ffs']} {ffs} CARRY={rows[-1][3]} "
              f"other={c['other']} ({r.seconds:.1f}s)", flush=True)
    print()
    print("| design | SB_LUT4 | FFs (all SB_DFF*) | SB_CARRY | FF kinds |")
    print("|---|---|---|---|---|")
    for name, lut, ff, carry, kinds, _, _ in rows:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        print(f"| {name} | {lut} | {ff} | {carry} | {kinds} |")
    (OUT / "results.json").write_text(json.dumps(
        [dict(design=n, lut4=lut, ffs=f, carry=c, ff_kinds=k, other=o, seconds=round(t, 1))
         for n, lut, f, c, k, o, t in rows], indent=1))


if __name__ == "__main__":
    main()
