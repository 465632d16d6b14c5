"""What several test modules share: the engine's reference model and simulation
driver (``ref_*`` beside ``rtl_*``, as in Glasgow's gateware tests) and a GGUF
writer built on the ``gguf`` package.  Test modules import this, never each other.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import gguf
import numpy as np
from amaranth.hdl import ResetInserter, Signal
from amaranth.sim import Simulator

from tritpack import golden

LINE = golden.LINE_BYTES


# --- the model -------------------------------------------------------------------------


@dataclass(frozen=True)
class Beat:
    """One output transfer: trits as 2-bit fields, and the two flags."""

    data: int
    last: bool
    invalid: bool


def trit_field(trits) -> int:
    """Trits as 2-bit two's complement fields, trit k at bits [2k+1:2k] (the contract)."""
    word = 0
    for k, t in enumerate(int(t) for t in trits):
        word |= {0: 0b00, 1: 0b01, -1: 0b11}[t] << (2 * k)
    return word


def ref_decode(lines, lanes, codec) -> list[Beat]:
    """What the engine must emit for ``lines`` (a list of ``(bytes, last)``)."""
    beats = []
    for data, last in lines:
        trits, valid = golden.decode(np.frombuffer(data, np.uint8), codec, on_invalid="mask")
        trits = trits.reshape(LINE // lanes, 5 * lanes)
        valid = valid.reshape(LINE // lanes, lanes)
        for b in range(LINE // lanes):
            beats.append(Beat(trit_field(trits[b]), bool(last) and b == LINE // lanes - 1,
                              not valid[b].all()))
    return beats


# --- the simulation --------------------------------------------------------------------


@dataclass
class Cycle:
    """Signals sampled at one rising clock edge."""

    rst: bool
    i_valid: bool
    i_ready: bool
    o_valid: bool
    o_ready: bool
    beat: Beat
    error: bool


def rtl_run(dut, lines, *, idle=(0,), ready=(1,), reset_at=None, drain=None):
    """Simulate ``dut`` fed with ``lines`` and return one :class:`Cycle` per clock.

    ``idle`` cycles (cycled per line) pass with ``i.valid`` low before each line;
    ``o.ready`` follows the cycled pattern ``ready``.  With ``reset_at``, reset is
    asserted for one clock after that many cycles.  The run ends ``drain`` clocks
    after the last input transfer (default: enough for all output).
    """
    trace: list[Cycle] = []
    beats_per_line = LINE // dut.lanes
    if drain is None:
        drain = 4 + beats_per_line * (len(lines) + 2) * len(ready)

    async def source(ctx):
        for (data, last), gap in zip(lines, itertools.cycle(idle), strict=False):
            ctx.set(dut.i.valid, 0)
            for _ in range(gap):
                await ctx.tick()
            ctx.set(dut.i.payload.data, int.from_bytes(data, "little"))
            ctx.set(dut.i.payload.last, last)
            ctx.set(dut.i.valid, 1)
            await ctx.tick().until(dut.i.ready)
        ctx.set(dut.i.valid, 0)
        await ctx.tick().repeat(drain)

    async def sink(ctx):
        for r in itertools.cycle(ready):
            ctx.set(dut.o.ready, r)
            await ctx.tick()

    rst = Signal()

    async def reset(ctx):
        await ctx.tick().repeat(reset_at)
        ctx.set(rst, 1)
        await ctx.tick()
        ctx.set(rst, 0)

    async def monitor(ctx):
        signals = (rst, dut.i.valid, dut.i.ready, dut.o.valid, dut.o.ready, dut.o.payload,
                   dut.error)
        async for _clk, _rst, r, iv, ir, ov, o_r, p, err in ctx.tick().sample(*signals):
            beat = Beat(p.data, bool(p.last), bool(p.invalid))
            trace.append(Cycle(bool(r), bool(iv), bool(ir), bool(ov), bool(o_r), beat,
                               bool(err)))

    # The synchronous reset of the engine, as the `rst` port of the Verilog top.
    sim = Simulator(ResetInserter(rst)(dut))
    sim.add_clock(1e-8)
    sim.add_testbench(source)
    sim.add_testbench(sink, background=True)
    sim.add_process(monitor)
    if reset_at is not None:
        sim.add_testbench(reset, background=True)
    sim.run()
    return trace


def transfers(trace) -> list[Beat]:
    return [c.beat for c in trace if c.o_valid and c.o_ready and not c.rst]


def assert_stream_rules(trace) -> None:
    """Once ``o.valid`` is up, it and the payload hold until the transfer."""
    for n, (now, nxt) in enumerate(itertools.pairwise(trace)):
        if now.o_valid and not now.o_ready and not now.rst and not nxt.rst:
            assert nxt.o_valid, f"o.valid dropped without a transfer at cycle {n + 1}"
            assert nxt.beat == now.beat, f"o.payload changed while stalled at cycle {n + 1}"


def random_lines(rng, count, codec="standard", invalid_rate=0.05):
    """``count`` random lines of ``codec`` codes, some invalid, about 30 % with last."""
    lut = golden.get_lut(codec)
    lines = []
    for _ in range(count):
        data = rng.choice(lut.codes, LINE)
        bad = rng.random(LINE) < invalid_rate
        data[bad] = rng.choice(lut.invalid_codes, int(bad.sum()))
        lines.append((data.astype(np.uint8).tobytes(), bool(rng.random() < 0.3)))
    return lines


# --- parameters ------------------------------------------------------------------------




# --- GGUF files written by the gguf package ------------------------------------


def write_gguf(path, tensors, arch="llama", metadata=None, alignment=None):
    """tensors: name -> (float array, GGML type or None for plain); metadata(writer) adds keys."""
    w = gguf.GGUFWriter(path, arch)
    if metadata is not None:
        metadata(w)
    if alignment:
        w.add_custom_alignment(alignment)
    for name, (arr, qtype) in tensors.items():
        if qtype is None:
            w.add_tensor(name, arr)
        else:
            w.add_tensor(name, gguf.quants.quantize(arr, qtype), raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()




# --- the command line, in process ----------------------------------------------------


def run_cli(capsys, *argv):
    """Run ``tritpack ARGV`` in this process: (exit status, stdout, stderr)."""
    from tritpack.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- worked examples in the docs ------------------------------------------------------


def doc_examples(text: str, tag: str) -> list[dict]:
    """The ```` ```TAG ```` blocks of a Markdown text, each as its ``key: value`` lines."""
    out = []
    for body in re.findall(rf"```{re.escape(tag)}\n(.*?)```", text, flags=re.S):
        fields = {}
        for line in body.strip().splitlines():
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
        out.append(fields)
    return out


# -- broken engines: the generated engine (renamed ``ternary_decoder_core``) inside a
# ``ternary_decoder`` wrapper that breaks one thing (tests/test_sim_broken.py and
# tests/test_sim_hdlcheck.py)

MUTANT_WRAPPER = """
module ternary_decoder (
  input clk, input rst,
  input [511:0] s_axis_tdata, input s_axis_tvalid, output s_axis_tready, input s_axis_tlast,
  output [{hi}:0] m_axis_tdata, output m_axis_tvalid, input m_axis_tready,
  output m_axis_tlast, output m_axis_tuser, output error
);
  wire [{hi}:0] c_tdata;
  wire c_s_tready, c_tvalid, c_tlast, c_tuser, c_error;
  reg toggle = 0, rst_q = 0;
  always @(posedge clk) begin toggle <= ~toggle; rst_q <= rst; end
  ternary_decoder_core core (
    .clk(clk), .rst({core_rst}),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid),
    .s_axis_tready(c_s_tready), .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(c_tdata), .m_axis_tvalid(c_tvalid), .m_axis_tready(m_axis_tready),
    .m_axis_tlast(c_tlast), .m_axis_tuser(c_tuser), .error(c_error)
  );
  assign s_axis_tready = {s_tready};
  assign m_axis_tdata = {tdata};
  assign m_axis_tvalid = {tvalid};
  assign m_axis_tlast = c_tlast;
  assign m_axis_tuser = {tuser};
  assign error = {error};
endmodule
"""

MUTANT_CORRECT = dict(core_rst="rst", s_tready="c_s_tready", tdata="c_tdata", tvalid="c_tvalid",
                tuser="c_tuser", error="c_error")


def mutant_engine(lanes: int, change: dict) -> str:
    """The wrapper module of a ``lanes``-lane core with ``change`` applied to
    :data:`MUTANT_CORRECT` (empty: the correct engine)."""
    return MUTANT_WRAPPER.format(hi=10 * lanes - 1, **{**MUTANT_CORRECT, **change})
