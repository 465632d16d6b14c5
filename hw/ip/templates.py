"""The text files of an IP directory that describe the engine's ports.

Each function takes the ports as :func:`~.ports.module_ports` read them from
the generated Verilog, so the files cannot drift from the module:

* :func:`verilog_instance`: a Verilog instantiation template, one named
  connection per port (``include``-able inside a module whose nets carry the
  port names);
* :func:`vhdl_component`: a VHDL-93 package holding the component declaration,
  with an instantiation example in comments;
* :func:`sdc_constraints`: example SDC constraints for the clock and the ports.
"""

from __future__ import annotations

import math
import re

from .ports import Port

__all__ = ["VHDL_RESERVED", "check_clock_period", "check_vhdl_identifier", "sdc_constraints",
           "vhdl_component", "verilog_instance"]

#: Reserved words of VHDL-2008 (IEEE 1076-2008, 15.10), which no VHDL name may be.
VHDL_RESERVED = frozenset("""
abs access after alias all and architecture array assert assume assume_guarantee attribute
begin block body buffer bus case component configuration constant context cover default
disconnect downto else elsif end entity exit fairness file for force function generate generic
group guarded if impure in inertial inout is label library linkage literal loop map mod nand
new next nor not null of on open or others out package parameter port postponed procedure
process property protected pure range record register reject release rem report restrict
restrict_guarantee return rol ror select sequence severity shared signal sla sll sra srl
strong subtype then to transport type unaffected units until use variable vmode vprop vunit
wait when while with xnor xor
""".split())

# A VHDL basic identifier: a letter, then letters, digits and single underscores,
# not ending in an underscore.
_VHDL_ID_RE = re.compile(r"[A-Za-z](?:_?[A-Za-z0-9])*\Z")


def check_vhdl_identifier(name: str, what: str = "name") -> None:
    """Raise ValueError unless ``name`` is a VHDL basic identifier and not reserved."""
    if not _VHDL_ID_RE.match(name):
        raise ValueError(f"{what} {name!r} is not a VHDL basic identifier (a letter, then "
                         "letters, digits and single underscores, no trailing underscore), "
                         "which the VHDL component declaration needs")
    if name.lower() in VHDL_RESERVED:
        raise ValueError(f"{what} {name!r} is a VHDL reserved word, which the VHDL component "
                         "declaration cannot use")


def check_clock_period(period_ns) -> None:
    """Raise ValueError unless ``period_ns`` is a positive finite number."""
    if (isinstance(period_ns, bool) or not isinstance(period_ns, (int, float))
            or not math.isfinite(period_ns) or period_ns <= 0):
        raise ValueError(f"clock period must be a positive number of ns, not {period_ns!r}")


def _comment(prefix: str, text: str) -> str:
    return "".join(f"{prefix} {line}".rstrip() + "\n" for line in text.splitlines())


def _verilog_range(port: Port) -> str:
    return f"[{port.width - 1}:0]" if port.width > 1 else ""


def verilog_instance(module_name: str, ports: tuple[Port, ...], header: str = "") -> str:
    """A Verilog instantiation template of ``module_name``: ``u_<module>`` with a
    named connection ``.p(p)`` for every port, each commented with its direction,
    width and meaning."""
    pad = max(len(p.name) for p in ports)
    conns = []
    for n, p in enumerate(ports):
        comma = "," if n < len(ports) - 1 else " "
        kind = "input " if p.direction == "in" else "output"
        width = f"{kind} {_verilog_range(p)}".ljust(15)
        conns.append(f"  .{p.name:<{pad}} ({p.name:<{pad}}){comma} // {width}"
                     f"{p.comment}".rstrip())
    return (_comment("//", header)
            + "// Copy into your design and rename the nets, or `include this file inside a\n"
              "// module whose nets carry the port names.\n"
            + f"{module_name} u_{module_name} (\n" + "\n".join(conns) + "\n);\n")


def vhdl_component(module_name: str, ports: tuple[Port, ...], header: str = "") -> str:
    """A VHDL-93 package ``<module>_pkg`` declaring ``module_name`` as a component
    (``std_logic`` and ``std_logic_vector(w-1 downto 0)`` ports), with an
    instantiation example in comments.

    Raises
    ------
    ValueError
        If the module or a port name is not a VHDL basic identifier.
    """
    check_vhdl_identifier(module_name, "module name")
    for p in ports:
        check_vhdl_identifier(p.name, "port name")
    pad = max(len(p.name) for p in ports)
    decls = []
    for n, p in enumerate(ports):
        kind = "in " if p.direction == "in" else "out"
        typ = f"std_logic_vector({p.width - 1} downto 0)" if p.width > 1 else "std_logic"
        semi = ";" if n < len(ports) - 1 else ""
        comment = f"  -- {p.comment}" if p.comment else ""
        decls.append(f"      {p.name:<{pad}} : {kind} {typ}{semi}{comment}")
    maps = [f"--       {p.name:<{pad}} => {p.name}{',' if n < len(ports) - 1 else ''}"
            for n, p in enumerate(ports)]
    return (_comment("--", header)
            + "-- The engine is a Verilog module: compile it with your mixed-language tool and\n"
              f"-- `use work.{module_name}_pkg.all;` where you instantiate it:\n"
              "--\n"
              f"--   u_{module_name} : {module_name}\n"
              "--     port map (\n" + "\n".join(maps) + "\n--     );\n\n"
              "library ieee;\nuse ieee.std_logic_1164.all;\n\n"
              f"package {module_name}_pkg is\n"
              f"  component {module_name}\n    port (\n" + "\n".join(decls) + "\n    );\n"
              "  end component;\n"
              f"end package {module_name}_pkg;\n")


def sdc_constraints(ports: tuple[Port, ...], period_ns: float, *, comb_path: bool,
                    header: str = "") -> str:
    """Example SDC: the clock ``clk`` of ``period_ns`` and input/output delays.

    Parameters
    ----------
    ports : tuple of Port
        The module's ports; must include ``clk``.
    period_ns : float
        Clock period in nanoseconds, > 0.
    comb_path : bool
        Whether the engine has a combinational path from ``m_axis_tready`` to
        ``s_axis_tready`` (the unregistered variants), which the comments point out.

    Raises
    ------
    ValueError
        For a period that is not a positive finite number, or no ``clk`` port.
    """
    check_clock_period(period_ns)
    names = [p.name for p in ports]
    if "clk" not in names:
        raise ValueError(f"the module has no clk port (ports: {', '.join(names)})")
    # `name[*]` for a vector: Quartus and Vivado match bus bits, not the bus name.
    def pattern(p):
        return f"{p.name}[*]" if p.width > 1 else p.name

    inputs = " ".join(pattern(p) for p in ports if p.direction == "in" and p.name != "clk")
    outputs = " ".join(pattern(p) for p in ports if p.direction == "out")
    budget = round(period_ns / 5, 3)
    if comb_path:
        paths = ("This variant has one combinational path through the engine,\n"
                 "m_axis_tready -> s_axis_tready: its input and output delays and the\n"
                 "logic between must fit in one period (the registered variant has none).")
    else:
        paths = "No path goes from an input port to an output port without a flip-flop."
    return (_comment("#", header)
            + "# Example SDC (Quartus, Libero, nextpnr, OpenROAD; Vivado reads it as XDC) for\n"
              "# out-of-context synthesis or timing of the engine alone.  Inside your design,\n"
              "# constrain clk where it is generated and drop the port delays.\n"
              "#\n# One clock, clk, rising edge; rst is synchronous to it.\n"
            + f"create_clock -name clk -period {period_ns:.3f} [get_ports {{clk}}]\n\n"
            + "# Budgets for the logic outside the engine: edit them to your interface.\n"
            + _comment("#", paths)
            + f"set_input_delay -clock clk {budget:.3f} [get_ports {{{inputs}}}]\n"
            + f"set_output_delay -clock clk {budget:.3f} [get_ports {{{outputs}}}]\n")
