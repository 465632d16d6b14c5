"""The Verilog designs the FPGA flow measures.

The whole engine is :func:`tritpack.hw.verilog.generate_verilog` with
``module_name=ENGINE_TOP``.

* :func:`lane_verilog`: only the byte-lane decoders of one ``impl``, with their
  11 outputs per lane registered, the same shape as the naive reference; for
  ``impl=bram`` a ROM per lane read synchronously (one block RAM each where the
  family has them), with the invalid flags in logic beside them, as the
  pipelined engine has them.
* :func:`naive_rom_verilog`: the reference lane, a 256-way ``case`` ROM with
  registered outputs, generated from :func:`golden.get_lut`.
* :func:`timing_harness`: the engine between registers, fed by a shift register
  from one pin and read through a pipelined XOR fold, so that place-and-route
  sees only register-to-register paths and a handful of pins;
  :func:`lanes_timing_harness` does the same for the lane decoders alone.
"""

from __future__ import annotations

from amaranth.back import verilog as amaranth_verilog
from amaranth.hdl import Elaboratable, Module, Signal

from tritpack import golden
from tritpack.golden.lut_io import ROW_BITS

from ..lanes import check_impl
from ..lanes.bram import BramLanes
from ..lanes.lane import InvalidFlags, LaneDecoder

__all__ = [
    "ENGINE_TOP", "lane_verilog", "naive_rom_verilog",
    "lanes_timing_harness", "timing_harness",
]

#: Module name of the engine inside measured designs.
ENGINE_TOP = "ternary_decoder"

_WIDTH = ROW_BITS  # the trits of one byte


class _RegisteredLanes(Elaboratable):
    """``lanes`` byte decoders with registered outputs (11 flip-flops per lane)."""

    def __init__(self, lanes, codec, impl):
        self.dec = LaneDecoder(lanes, codec, impl)
        self.codes = Signal(8 * lanes)
        self.trits = Signal(_WIDTH * lanes)
        self.invalid = Signal(lanes)

    def elaborate(self, platform):
        m = Module()
        m.submodules.dec = self.dec
        m.d.comb += self.dec.codes.eq(self.codes)
        m.d.sync += [self.trits.eq(self.dec.trits), self.invalid.eq(self.dec.invalid)]
        return m


class _BramLanes(Elaboratable):
    """The lanes of ``impl=bram`` (a synchronous ROM per lane, always enabled) and
    the invalid flags the pipelined engine computes beside them, registered:
    latency 1, 11 flip-flops' worth of outputs per lane like the others."""

    def __init__(self, lanes, codec):
        self.dec = BramLanes(lanes, codec)
        self.flags = InvalidFlags(lanes, codec)
        self.codes = Signal(8 * lanes)
        self.trits = Signal(_WIDTH * lanes)
        self.invalid = Signal(lanes)

    def elaborate(self, platform):
        m = Module()
        m.submodules.dec, m.submodules.flags = self.dec, self.flags
        m.d.comb += [
            self.dec.codes.eq(self.codes),
            self.dec.en.eq(-1),
            self.trits.eq(self.dec.trits),
            self.flags.codes.eq(self.codes),
        ]
        m.d.sync += self.invalid.eq(self.flags.invalid)
        return m


def _convert(design, name) -> str:
    ports = [design.codes, design.trits, design.invalid]
    return amaranth_verilog.convert(design, name=name, ports=ports, emit_src=False)


def lane_verilog(lanes=1, codec="standard", impl="rom", module_name="lanes") -> str:
    """Verilog of ``lanes`` decoders of ``impl`` with registered outputs.

    Ports: ``clk``, ``rst``, ``codes[8*lanes-1:0]``, ``trits[10*lanes-1:0]``,
    ``invalid[lanes-1:0]``.  For a synchronous implementation (``impl=bram``) the
    read registers are the trits' registers.
    """
    if check_impl(impl, codec).pipelined_only:
        return _convert(_BramLanes(lanes, codec), module_name)
    return _convert(_RegisteredLanes(lanes, codec, impl), module_name)


def naive_rom_verilog(codec="standard", module_name="naive_rom") -> str:
    """The reference lane: a 256-way ``case`` ROM with 11 registered outputs.

    ``trits`` holds trit n at [2n+1:2n] (two's complement), ``invalid`` is set for
    the codec's invalid codes; the rows come from :func:`golden.get_lut`.
    """
    lut = golden.get_lut(codec)
    lines = [
        f"// Naive reference lane of codec {lut.name!r}, generated from golden.get_lut.",
        f"module {module_name} (input wire clk, input wire [7:0] code,",
        "                 output reg [9:0] trits, output reg invalid);",
        "  always @(posedge clk) begin",
        "    case (code)",
    ]
    for c in range(256):
        row = sum((int(t) & 3) << (2 * n) for n, t in enumerate(lut.trits[c]))
        bad = 0 if lut.valid[c] else 1
        lines.append(f"      8'd{c}: begin trits <= 10'h{row:03x}; invalid <= 1'b{bad}; end")
    lines += ["    endcase", "  end", "endmodule", ""]
    return "\n".join(lines)


def timing_harness(engine_text: str, lanes: int, pins: int = 8,
                   top: str = "timing_top") -> str:
    """Wrap an engine (module :data:`ENGINE_TOP`) for place-and-route.

    The line comes from a 512-bit shift register fed by pin ``din``; the control
    inputs pass through a register; every output is registered, then XOR-folded
    4:1 per registered stage down to ``pins`` outputs.  Each stage has one LUT
    level, so the critical path is the engine's own.
    """
    width = _WIDTH * lanes
    body = [
        f"  wire [{width - 1}:0] m_tdata; wire m_tvalid, m_tlast, m_tuser, s_tready, err;",
        f"  {ENGINE_TOP} dut (.clk(clk), .rst(rst), .s_axis_tdata(sr), .s_axis_tvalid(s_tvalid),",
        "    .s_axis_tready(s_tready), .s_axis_tlast(s_tlast), .m_axis_tdata(m_tdata),",
        "    .m_axis_tvalid(m_tvalid), .m_axis_tready(m_tready), .m_axis_tlast(m_tlast),",
        "    .m_axis_tuser(m_tuser), .error(err));",
    ]
    outs = ["m_tdata", "m_tvalid", "m_tlast", "m_tuser", "s_tready", "err"]
    return _harness(engine_text, body, outs, width + 5, pins, top)


def lanes_timing_harness(lanes_text: str, lanes: int, pins: int = 8,
                         top: str = "timing_top") -> str:
    """Wrap :func:`lane_verilog` (module ``lanes``) like :func:`timing_harness`.

    The codes come from the shift register, the decoders' outputs are registered
    inside ``lanes``: this measures the decode path alone, between registers.
    """
    width = _WIDTH * lanes
    body = [
        f"  wire [{width - 1}:0] trits; wire [{lanes - 1}:0] invalid;",
        f"  lanes dut (.clk(clk), .rst(rst), .codes(sr[{8 * lanes - 1}:0]), .trits(trits),",
        "    .invalid(invalid));",
    ]
    return _harness(lanes_text, body, ["trits", "invalid"], width + lanes, pins, top)


def _harness(inner: str, body: list[str], outs: list[str], out_bits: int, pins: int,
             top: str) -> str:
    v = [
        inner,
        f"module {top} (input wire clk, input wire din, input wire vin, input wire lin,",
        f"               input wire rdy, input wire rin, output wire [{pins - 1}:0] dout);",
        "  reg [511:0] sr; reg s_tvalid, s_tlast, m_tready, rst;",
        "  always @(posedge clk) begin",
        "    sr <= {sr[510:0], din}; s_tvalid <= vin; s_tlast <= lin;",
        "    m_tready <= rdy; rst <= rin;",
        "  end",
        *body,
        f"  reg [{out_bits - 1}:0] f0;",
        "  always @(posedge clk) f0 <= {" + ", ".join(reversed(outs)) + "};",
    ]
    n, stage = out_bits, 0
    while n > pins:
        m = (n + 3) // 4
        v.append(f"  reg [{m - 1}:0] f{stage + 1};")
        v.append("  always @(posedge clk) begin")
        for i in range(m):
            terms = [f"f{stage}[{j}]" for j in range(4 * i, min(4 * i + 4, n))]
            v.append(f"    f{stage + 1}[{i}] <= {' ^ '.join(terms)};")
        v.append("  end")
        n, stage = m, stage + 1
    pad = f"{{{pins - n}'d0, f{stage}}}" if n < pins else f"f{stage}"
    v += [f"  assign dout = {pad};", "endmodule", ""]
    return "\n".join(v)
