"""Verilog generation of the decode engine with AXI4-Stream port names.

:func:`generate_verilog` wraps :class:`~hw.decoder.TernaryDecoder` in a top
level whose ports carry the names FPGA integrators expect:

==================  =========  =============================================
port                direction  meaning
==================  =========  =============================================
``clk``             in         clock, rising edge
``rst``             in         synchronous reset, active high
``s_axis_tdata``    in         [511:0] one line, byte k at [8k+7:8k]
``s_axis_tvalid``   in
``s_axis_tready``   out
``s_axis_tlast``    in         end of a tensor or packet
``m_axis_tdata``    out        [10*lanes-1:0] trit k at [2k+1:2k]
``m_axis_tvalid``   out
``m_axis_tready``   in
``m_axis_tlast``    out        on the final transfer of a line with tlast
``m_axis_tuser``    out        1 bit: this transfer held an invalid code
``error``           out        sticky invalid-code flag, cleared by ``rst``
==================  =========  =============================================
"""

from __future__ import annotations

import re

from amaranth._toolchain.yosys import find_yosys
from amaranth.back import rtlil
from amaranth.hdl import Elaboratable, Module, Signal
from amaranth.hdl._ir import PortDirection

from .decoder import LINE_BITS, TernaryDecoder

__all__ = ["AxiStreamTop", "generate_verilog", "MODULE_NAME_RE"]

#: A module name that is a plain Verilog identifier (no escaped names).
MODULE_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")


class AxiStreamTop(Elaboratable):
    """:class:`TernaryDecoder` with AXI4-Stream port names (see module docstring).

    Parameters are those of :class:`TernaryDecoder`.  The ``clk`` and ``rst``
    ports are the ``sync`` domain, added by the Verilog back end.
    """

    def __init__(self, lanes=64, codec="standard", registered=False):
        self.engine = TernaryDecoder(lanes, codec, registered)
        width = len(self.engine.o.payload.data)
        self.s_axis_tdata = Signal(LINE_BITS)
        self.s_axis_tvalid = Signal()
        self.s_axis_tready = Signal()
        self.s_axis_tlast = Signal()
        self.m_axis_tdata = Signal(width)
        self.m_axis_tvalid = Signal()
        self.m_axis_tready = Signal()
        self.m_axis_tlast = Signal()
        self.m_axis_tuser = Signal()
        self.error = Signal()

    def ports(self) -> dict:
        """Port name -> (signal, direction), in the order of the module header."""
        i, o = PortDirection.Input, PortDirection.Output
        return {
            "s_axis_tdata": (self.s_axis_tdata, i),
            "s_axis_tvalid": (self.s_axis_tvalid, i),
            "s_axis_tready": (self.s_axis_tready, o),
            "s_axis_tlast": (self.s_axis_tlast, i),
            "m_axis_tdata": (self.m_axis_tdata, o),
            "m_axis_tvalid": (self.m_axis_tvalid, o),
            "m_axis_tready": (self.m_axis_tready, i),
            "m_axis_tlast": (self.m_axis_tlast, o),
            "m_axis_tuser": (self.m_axis_tuser, o),
            "error": (self.error, o),
        }

    def elaborate(self, platform):
        m = Module()
        m.submodules.engine = engine = self.engine
        m.d.comb += [
            engine.i.payload.data.eq(self.s_axis_tdata),
            engine.i.payload.last.eq(self.s_axis_tlast),
            engine.i.valid.eq(self.s_axis_tvalid),
            self.s_axis_tready.eq(engine.i.ready),
            self.m_axis_tdata.eq(engine.o.payload.data),
            self.m_axis_tlast.eq(engine.o.payload.last),
            self.m_axis_tuser.eq(engine.o.payload.invalid),
            self.m_axis_tvalid.eq(engine.o.valid),
            engine.o.ready.eq(self.m_axis_tready),
            self.error.eq(engine.error),
        ]
        return m


def generate_verilog(lanes=64, codec="standard", registered=False,
                     module_name="ternary_decoder") -> str:
    """Verilog text of a decode engine with AXI4-Stream ports.

    Parameters
    ----------
    lanes, codec, registered
        As for :class:`~hw.decoder.TernaryDecoder`.
    module_name : str
        Name of the top module: a plain Verilog identifier.

    Raises
    ------
    ValueError
        For a bad parameter or module name.
    """
    if not isinstance(module_name, str) or not MODULE_NAME_RE.match(module_name):
        raise ValueError(
            f"module name must be a Verilog identifier (letters, digits, _ and $, "
            f"not starting with a digit or $), not {module_name!r}"
        )
    top = AxiStreamTop(lanes, codec, registered)
    text = rtlil.convert(top, name=module_name, ports=top.ports(), emit_src=False)
    return _LINT_WAIVER + _rtlil_to_verilog(text) + "/* verilator lint_on UNUSEDSIGNAL */\n"


# The one Verilator waiver: Amaranth keeps a named wire for every signal of the
# hierarchy (ports of submodules, struct fields, carry bits of `beat + 1`), and
# many of them are aliases nothing reads.  Yosys cannot purge them here because
# `proc -nomux` leaves processes in place.  Scoped to this file by `lint_on`.
_LINT_WAIVER = """\
// Lint waiver: unused wires are Amaranth's named aliases of used signals.
/* verilator lint_off UNUSEDSIGNAL */
"""


# The script of `amaranth.back.verilog.convert`, plus `flatten`: one module per
# file, without the escaped submodule names (`\\top.engine`) that some FPGA
# tools and Verilator's DECLFILENAME lint object to.
_YOSYS_SCRIPT = """\
read_rtlil <<rtlil
{rtlil}
rtlil
proc -nomux -norom
memory_collect
flatten
write_verilog -norename -noattr
"""


def _rtlil_to_verilog(rtlil_text: str) -> str:
    # The same Yosys as Amaranth's own back end (the built-in one when present).
    yosys = find_yosys(lambda ver: ver >= (0, 40))
    return yosys.run(["-q", "-"], _YOSYS_SCRIPT.format(rtlil=rtlil_text), ignore_warnings=True)
