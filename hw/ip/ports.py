"""The ports of a generated engine module, read back from its Verilog.

The IP files around the engine (instantiation templates, the VHDL component,
the timing constraints) are written from :func:`module_ports`, which reads the
module header and the ``input``/``output`` declarations of the Verilog that
:func:`tritpack.hw.verilog.generate_verilog` wrote.  So they always name the
ports, in the order and with the widths, of the very file they ship beside.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Port", "module_ports"]

_HEADER_RE = re.compile(r"^module\s+(?P<name>[A-Za-z_][\w$]*)\s*\((?P<ports>[^)]*)\)\s*;", re.M)
_DECL = (r"(?P<dir>input|output)\s+(?:wire\s+|reg\s+)?(?:\[(?P<msb>\d+):0\]\s*)?"
         r"(?P<name>[A-Za-z_][\w$]*)")
_DECL_RE = re.compile(rf"^\s*{_DECL}\s*;[ \t]*(?://[ \t]*(?P<comment>.*?))?[ \t]*$", re.M)
_ANSI_RE = re.compile(rf"\s*{_DECL}\s*")


@dataclass(frozen=True)
class Port:
    """One port of the module: its name, ``"in"`` or ``"out"``, its width in bits,
    and the comment on its declaration (what it means), if any."""

    name: str
    direction: str
    width: int
    comment: str = ""


def module_ports(verilog: str, module_name: str) -> tuple[Port, ...]:
    """Ports of ``module_name`` in ``verilog``, in the order of its header.

    Parameters
    ----------
    verilog : str
        Verilog text as :func:`~tritpack.hw.verilog.generate_verilog` writes it:
        either a header ``module m(a, b, ...);`` and one ``input``/``output``
        declaration per port (a ``// comment`` after it is kept), or an ANSI
        header ``module m(input [msb:0] a, ...);`` with one direction per port;
        ``[msb:0]`` for a vector.
    module_name : str
        The module to read.

    Raises
    ------
    ValueError
        If the module is missing, or a port of its header has no declaration (or
        the reverse).
    """
    headers = {m["name"]: m for m in _HEADER_RE.finditer(verilog)}
    if module_name not in headers:
        raise ValueError(f"no module {module_name!r} in the Verilog text "
                         f"(found: {', '.join(headers) or 'none'})")
    header = headers[module_name]
    items = [p.strip() for p in header["ports"].split(",") if p.strip()]
    if items and all(_ANSI_RE.fullmatch(p) for p in items):
        return tuple(_port(_ANSI_RE.fullmatch(p)) for p in items)
    order = items
    end = verilog.find("endmodule", header.end())
    body = verilog[header.end():end if end >= 0 else None]
    declared = {m["name"]: _port(m) for m in _DECL_RE.finditer(body)}
    if set(order) != set(declared):
        raise ValueError(f"module {module_name}: header ports {sorted(order)} do not match "
                         f"the declared ones {sorted(declared)}")
    return tuple(declared[name] for name in order)


def _port(match: re.Match) -> Port:
    comment = match.groupdict().get("comment") or ""
    return Port(match["name"], "in" if match["dir"] == "input" else "out",
                int(match["msb"] or 0) + 1, comment)
