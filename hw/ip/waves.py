"""Timing diagrams of the engine's handshake, drawn from a real simulation trace.

:func:`handshake_trace` runs :class:`~tritpack.hw.decoder.TernaryDecoder` in
Amaranth's simulator on one fixed scenario (:data:`SCENARIO`: a few lines at
:data:`LANES` lanes, an idle input cycle, an output stall and ``tlast``) and
samples its ports at every rising edge.  :func:`wavedrom` turns the trace into
a WaveDrom source (JSON); :func:`render_svg` draws it with the ``wavedrom``
package.  Nothing is drawn by hand: a change in the engine's latency or
back-pressure changes the diagram (``tests/test_diagrams.py`` compares a fresh
trace with the committed sources).

Run as ``python -m tritpack.hw.ip.waves -o DIR`` (``make diagrams``: ``-o docs/img``)
to write ``handshake-<variant>.json`` and ``.svg`` for each of :data:`VARIANTS`.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tritpack import golden

__all__ = ["LANES", "SCENARIO", "VARIANTS", "Sample", "Scenario", "diagram_source",
           "handshake_trace", "main", "source_text",
           "render_svg", "wavedrom", "write_diagrams"]

#: Byte lanes of the diagrams: 4 output transfers per line, a line is a few beats.
LANES = 16

#: variant name -> (registered, pipelined)
VARIANTS = {
    "unregistered": (False, False),
    "registered": (True, False),
    "pipelined": (False, True),
    "registered-pipelined": (True, True),
}


@dataclass(frozen=True)
class Scenario:
    """What the testbench does.

    Members
    -------
    idle : tuple of int
        Cycles with ``s_axis_tvalid`` low before each line is offered (one per line).
    last : tuple of bool
        ``s_axis_tlast`` of each line.
    stall : tuple of int
        Clock cycles (from 0) in which ``m_axis_tready`` is low.
    cycles : int
        Cycles sampled.
    seed : int
        Seed of the lines' random codes.
    """

    idle: tuple[int, ...] = (1, 0, 1)
    last: tuple[bool, ...] = (False, True, True)
    stall: tuple[int, ...] = (5, 6)
    cycles: int = 18
    seed: int = 1


SCENARIO = Scenario()


@dataclass(frozen=True)
class Sample:
    """The ports at one rising edge; ``s_data``/``m_data`` name what the bus carries
    (``"L1"``: line 1; ``"1.2"``: beat 2 of line 1), or are None while not valid."""

    s_valid: bool
    s_ready: bool
    s_last: bool
    s_data: str | None
    m_valid: bool
    m_ready: bool
    m_last: bool
    m_data: str | None


def _lines(scenario: Scenario, lanes: int):
    """The lines' bytes, and a map from each expected output beat to its name."""
    from tritpack.golden.lut_io import ROW_BITS, lut_rows

    lut = golden.get_lut("standard")
    rows = lut_rows(lut)      # the 10-bit output field of each byte code
    rng = np.random.default_rng(scenario.seed)
    lines, names = [], {}
    for n in range(len(scenario.idle)):
        codes = rng.choice(lut.codes, golden.LINE_BYTES).astype(np.uint8)
        lines.append(int.from_bytes(codes.tobytes(), "little"))
        for b, beat in enumerate(codes.reshape(-1, lanes)):
            word = sum(int(rows[c]) << (ROW_BITS * k) for k, c in enumerate(beat))
            names[word] = f"{n}.{b}"
    return lines, names


def handshake_trace(registered: bool = False, pipelined: bool = False, *,
                    scenario: Scenario = SCENARIO, lanes: int = LANES,
                    impl: str = "rom") -> list[Sample]:
    """Simulate the engine on ``scenario``; return the ports at each rising edge.

    Each line is offered after its idle cycles and held until accepted;
    ``m_axis_tready`` is low in the stall cycles and high otherwise.  The
    handshake does not depend on ``impl`` (the diagrams use the default).
    """
    from amaranth.sim import Simulator

    from ..decoder import TernaryDecoder

    dut = TernaryDecoder(lanes, "standard", registered, impl, pipelined=pipelined)
    lines, names = _lines(scenario, lanes)
    trace: list[Sample] = []

    async def source(ctx):
        for n, (data, gap) in enumerate(zip(lines, scenario.idle, strict=True)):
            ctx.set(dut.i.valid, 0)
            for _ in range(gap):
                await ctx.tick()
            ctx.set(dut.i.payload.data, data)
            ctx.set(dut.i.payload.last, scenario.last[n])
            ctx.set(dut.i.valid, 1)
            await ctx.tick().until(dut.i.ready)
        ctx.set(dut.i.valid, 0)
        ctx.set(dut.i.payload.data, 0)
        ctx.set(dut.i.payload.last, 0)

    async def sink(ctx):
        for cycle in range(scenario.cycles):
            ctx.set(dut.o.ready, cycle not in scenario.stall)
            await ctx.tick()

    async def monitor(ctx):
        signals = (dut.i.valid, dut.i.ready, dut.i.payload, dut.o.valid, dut.o.ready,
                   dut.o.payload)
        async for _clk, _rst, iv, ir, ip, ov, o_r, op in ctx.tick().sample(*signals):
            s_data = f"L{lines.index(ip.data)}" if iv else None
            m_data = names.get(op.data, "?") if ov else None
            trace.append(Sample(bool(iv), bool(ir), bool(iv and ip.last), s_data, bool(ov),
                                bool(o_r), bool(ov and op.last), m_data))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(source, background=True)
    sim.add_testbench(sink)
    sim.add_process(monitor)
    sim.run()
    return trace[:scenario.cycles]


def _bits(values) -> str:
    out, prev = [], None
    for v in values:
        out.append("." if v == prev else str(int(v)))
        prev = v
    return "".join(out)


def _bus(values) -> tuple[str, list[str]]:
    wave, data, prev = [], [], object()
    for v in values:
        if v == prev:
            wave.append(".")
        elif v is None:
            wave.append("x")
        else:
            wave.append("=")
            data.append(v)
        prev = v
    return "".join(wave), data


def wavedrom(trace: list[Sample], title: str) -> dict:
    """The WaveDrom source of ``trace``: clock, the ``s_axis`` and ``m_axis`` groups."""
    def bus(name, values):
        wave, data = _bus(values)
        return {"name": name, "wave": wave, "data": data}

    col = {f: [getattr(s, f) for s in trace] for f in Sample.__dataclass_fields__}
    return {
        "signal": [
            {"name": "clk", "wave": "p" + "." * (len(trace) - 1)},
            ["s_axis",
             {"name": "tvalid", "wave": _bits(col["s_valid"])},
             {"name": "tready", "wave": _bits(col["s_ready"])},
             bus("tdata", col["s_data"]),
             {"name": "tlast", "wave": _bits(col["s_last"])}],
            ["m_axis",
             {"name": "tvalid", "wave": _bits(col["m_valid"])},
             {"name": "tready", "wave": _bits(col["m_ready"])},
             bus("tdata", col["m_data"]),
             {"name": "tlast", "wave": _bits(col["m_last"])}],
        ],
        "head": {"text": title, "tick": 0},
        "config": {"hscale": 1},
    }


def render_svg(source: dict) -> str:
    """SVG text of a WaveDrom source, drawn by the ``wavedrom`` package."""
    import wavedrom as wd

    return wd.render(json.dumps(source)).tostring()


def diagram_source(variant: str) -> dict:
    """The WaveDrom source of one of :data:`VARIANTS`, from a fresh trace."""
    from ..decoder import engine_latency

    registered, pipelined = VARIANTS[variant]
    title = (f"{variant}, lanes {LANES}: latency {engine_latency(pipelined)}, "
             f"idle input cycle, m_axis stall, tlast")
    return wavedrom(handshake_trace(registered, pipelined), title)


def source_text(source: dict) -> str:
    """The committed form of a WaveDrom source: indented JSON, one signal a line."""
    lines = ["{", '  "signal": [']
    items = []
    for item in source["signal"]:
        if isinstance(item, list):
            inner = [f"    [{json.dumps(item[0])},"]
            inner += [f"      {json.dumps(s)}," for s in item[1:-1]]
            inner.append(f"      {json.dumps(item[-1])}]")
            items.append("\n".join(inner))
        else:
            items.append(f"    {json.dumps(item)}")
    lines.append(",\n".join(items))
    lines.append("  ],")
    lines.append(f'  "head": {json.dumps(source["head"])},')
    lines.append(f'  "config": {json.dumps(source["config"])}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_diagrams(directory) -> list[Path]:
    """Write ``handshake-<variant>.json`` and ``.svg`` for every variant into
    ``directory`` (which must exist); return the paths written."""
    from tritpack.golden.fileio import write_atomic

    out = Path(directory)
    if not out.is_dir():
        raise OSError(f"output directory {out} does not exist")
    written = []
    for variant in VARIANTS:
        source = diagram_source(variant)
        for suffix, text in ((".json", source_text(source)), (".svg", render_svg(source))):
            path = out / f"handshake-{variant}{suffix}"
            write_atomic(path, text)
            written.append(path)
    return written


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tritpack.hw.ip.waves",
                                description="Draw the engine's handshake timing diagrams "
                                "(WaveDrom JSON and SVG) from simulation traces.")
    p.add_argument("-o", "--output", required=True, metavar="DIR",
                   help="directory to write handshake-<variant>.json/.svg into (docs/img)")
    args = p.parse_args(argv)
    try:
        for path in write_diagrams(args.output):
            print(f"wrote {path}")
    except OSError as e:
        print(f"{p.prog}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
