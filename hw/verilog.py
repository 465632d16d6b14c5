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

# Private, but the very Yosys that `amaranth.back.verilog` runs (Amaranth is
# pinned below 0.6); needed to add `flatten` to its script.
from amaranth._toolchain.yosys import find_yosys
from amaranth.back import rtlil
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .decoder import LINE_BITS, TernaryDecoder, check_parameters

__all__ = ["AxiStreamTop", "generate_verilog", "MODULE_NAME_RE"]

#: A module name that is a plain Verilog identifier (no escaped names).
MODULE_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")


class AxiStreamTop(wiring.Component):
    """:class:`TernaryDecoder` with AXI4-Stream port names (see module docstring).

    A component whose signature members are the ports, so that Amaranth's back
    end names each port after its member.  The ``clk`` and ``rst`` ports are the
    ``sync`` domain, added by the back end.

    Parameters
    ----------
    lanes, codec, registered, impl, pipelined
        As for :class:`~hw.decoder.TernaryDecoder`.

    Members
    -------
    engine : TernaryDecoder
        The wrapped engine.
    """

    def __init__(self, lanes=64, codec="standard", registered=False, impl="rom",
                 pipelined=False):
        self.engine = TernaryDecoder(lanes, codec, registered, impl, pipelined)
        super().__init__({
            "s_axis_tdata": In(LINE_BITS),
            "s_axis_tvalid": In(1),
            "s_axis_tready": Out(1),
            "s_axis_tlast": In(1),
            "m_axis_tdata": Out(len(self.engine.o.payload.data)),
            "m_axis_tvalid": Out(1),
            "m_axis_tready": In(1),
            "m_axis_tlast": Out(1),
            "m_axis_tuser": Out(1),
            "error": Out(1),
        })

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
                     module_name="ternary_decoder", *, impl="rom", pipelined=False) -> str:
    """Verilog text of a decode engine with AXI4-Stream ports.

    Parameters
    ----------
    lanes, codec, registered, impl, pipelined
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
    check_parameters(lanes, codec, impl)
    top = AxiStreamTop(lanes, codec, registered, impl, pipelined)
    text = rtlil.convert(top, name=module_name, emit_src=False)
    return _LINT_WAIVER + _rtlil_to_verilog(text) + "/* verilator lint_on UNUSEDSIGNAL */\n"


# The one Verilator waiver: Amaranth keeps a named wire for every signal of the
# hierarchy (ports of submodules, struct fields, carry bits of `beat + 1`), and
# many of them are aliases nothing reads.  Yosys cannot purge them here because
# the processes stay in place (no `proc_mux`).  Scoped to this file by `lint_on`.
_LINT_WAIVER = """\
// Lint waiver: unused wires are Amaranth's named aliases of used signals.
/* verilator lint_off UNUSEDSIGNAL */
"""


# The script of `amaranth.back.verilog.convert`, plus `flatten`: one module per
# file, without the escaped submodule names (`\\top.engine`) that some FPGA
# tools and Verilator's DECLFILENAME lint object to.
#
# `proc -nomux -norom` is spelled out without `proc_prune`, for simulation speed.
# Amaranth emits a signal assigned in parts (the lanes of `trits` and `invalid`,
# the fields of a payload) as one process: a default, then one store per part.
# `proc_prune` turns those stores into one `assign x[9:0] = ...` per part, and
# Icarus then rebuilds and re-propagates the whole 640-bit net on each of the 64
# lane changes of a clock: 1.3 ms of CPU per clock for 64 lanes.  Kept as a
# process, and its stores merged into one by `_merge_part_stores`, the net
# changes once per clock (see docs/ENGINE.md, "Simulation speed").
_YOSYS_SCRIPT = """\
read_rtlil <<rtlil
{rtlil}
rtlil
proc_clean
proc_rmdead
proc_init
proc_arst
proc_dlatch
proc_dff
proc_memwr
proc_clean
opt_expr -keepdc
memory_collect
flatten
write_verilog -norename -noattr
"""


def _rtlil_to_verilog(rtlil_text: str) -> str:
    # The same Yosys as Amaranth's own back end (the built-in one when present).
    yosys = find_yosys(lambda ver: ver >= (0, 40))
    text = yosys.run(["-q", "-"], _YOSYS_SCRIPT.format(rtlil=rtlil_text), ignore_warnings=True)
    return _settle_at_time_zero(_merge_part_stores(text))


# Yosys makes every `always @*` block read a dummy register so that it runs once
# at time 0, but Icarus applies the register's declaration initializer before
# the blocks wait on it: a block whose real inputs keep their initial values
# (a lane whose byte stays 0 from reset) would then hold X.  Changing the dummy
# after all blocks have started (`#0`) runs each of them once.  Simulation only:
# hidden from synthesis (SYNTHESIS) and Verilator (which settles on its own).
_DUMMY_RE = re.compile(r"^  reg (\\\$auto\$verilog_backend\.cc:\d+:dump_module\$\d+) +=.*$", re.M)


def _settle_at_time_zero(text: str) -> str:
    def settle(match):
        return (f"{match.group(0)}\n`ifndef SYNTHESIS\n`ifndef VERILATOR\n"
                f"  initial #0 {match.group(1)}  = 1'h1;\n`endif\n`endif")

    return _DUMMY_RE.sub(settle, text, count=1)


# A Verilog name as Yosys writes it: escaped (ends at white space) or plain.
_NAME = r"(?:\\\S+|[A-Za-z_][\w$]*)"
_REG_RE = re.compile(rf"^\s*reg\s+(?:\[(\d+):0\]\s+)?({_NAME})", re.M)
_STORE_RE = re.compile(
    rf"^(?P<indent>\s+)(?P<name>{_NAME}) ?(?:\[(?P<hi>\d+)(?::(?P<lo>\d+))?\])? = (?P<rhs>.*);$")
# Right-hand sides of process stores are plain signal specs: names, slices,
# sized constants and concatenations, whose width is the width of the target.
_SIGSPEC_RE = re.compile(r"[\w$\s\[\]:{},']*")


def _merge_part_stores(text: str) -> str:
    """Merge ``x = default; x[a:b] = e1; x[c:d] = e2; ...`` into ``x = {..., e2, e1};``.

    Only when the part stores directly follow the default store, at the same
    indentation, cover every bit of ``x`` exactly once and do not read ``x``: then
    the default is dead and the one store is equivalent.  Anything else is kept
    as Yosys wrote it.
    """
    widths = {name: int(msb or 0) + 1 for msb, name in _REG_RE.findall(text)}
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        head = _STORE_RE.match(lines[i])
        if not head or head["hi"] is not None or head["name"] not in widths:
            out.append(lines[i])
            i += 1
            continue
        name, indent = head["name"], head["indent"]
        parts = []          # (lo, hi, rhs)
        j = i + 1
        while j < len(lines):
            part = _STORE_RE.match(lines[j])
            if not part or part["name"] != name or part["indent"] != indent or part["hi"] is None:
                break
            hi = int(part["hi"])
            parts.append((int(part["lo"] or hi), hi, part["rhs"]))
            j += 1
        merged = _concat(parts, widths[name], name)
        if merged is None:
            out.append(lines[i])
            i += 1
            continue
        out.append(f"{indent}{name} = {merged};")
        i = j
    return "\n".join(out)


def _concat(parts, width, name):
    """``{...}`` of ``parts`` if they tile ``[width-1:0]`` and are plain, else None."""
    if len(parts) < 2:
        return None
    parts = sorted(parts)
    expected = 0
    for lo, hi, rhs in parts:
        plain = _SIGSPEC_RE.fullmatch(re.sub(r"\\\S+", "n", rhs))
        if lo != expected or hi < lo or not plain or name in re.findall(_NAME, rhs):
            return None
        expected = hi + 1
    if expected != width:
        return None
    return "{ " + ", ".join(rhs for _, _, rhs in reversed(parts)) + " }"
