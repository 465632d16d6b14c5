"""A third opinion on the generated Verilog: slang (``pyslang``), beside Icarus and Verilator.

Every configuration of the engine (lanes 1, 8, 64 × codec standard, tq1 ×
registered or not × impl rom, arith × pipelined or not) is compiled and
analysed by slang with ``-Weverything``; nothing may be reported but the one
documented waiver, :data:`WAIVERS`.  Skips when ``pyslang`` is not installed
(``pip install 'tritpack[ip]'``).
"""

from __future__ import annotations

import functools
import re

import pytest

from tritpack.hw.fpga.lint import configurations
from tritpack.hw.ip.ports import Port, module_ports
from tritpack.hw.verilog import generate_verilog

pyslang = pytest.importorskip("pyslang")
from pyslang import driver  # noqa: E402  (after the skip)

#: slang warnings waived on the engine: option name -> (reason, a configuration
#: that needs it).  ``unused-but-set-net`` is the file's one Verilator waiver
#: (UNUSEDSIGNAL): Amaranth keeps a named wire for every signal of the hierarchy
#: (submodule ports, struct fields), many of them aliases nothing reads
#: (docs/ENGINE.md, "Lint").  ``case-default`` is a style warning of
#: ``-Weverything``: Yosys writes the default of a ``casez`` as an assignment
#: before it (so no latch), as in the arith lanes' small tables.
WAIVERS = {
    "unused-but-set-net": ("Amaranth's named aliases of used signals",
                           (1, "standard", False, "rom", False)),
    "case-default": ("the default is assigned before the casez",
                     (8, "tq1", True, "arith", True)),
}

#: Four configurations that take every value of every option once run in the
#: quick suite; the others of the lint matrix are ``slow`` (a few seconds each to
#: generate on a loaded 2-core machine).
QUICK = {(1, "standard", False, "rom", False), (8, "tq1", True, "arith", True),
         (64, "standard", True, "rom", True), (8, "standard", False, "bram", True)}
CONFIGS = [
    pytest.param(*config, marks=() if config in QUICK else pytest.mark.slow,
                 id=f"{config[0]}-{config[1]}-{'reg' if config[2] else 'unreg'}-{config[3]}"
                    f"{'-pipe' if config[4] else ''}")
    for config in configurations()       # what Verilator lints: every impl, codec, variant
]


@functools.cache
def verilog(lanes, codec, registered, impl, pipelined) -> str:
    """Generated once per configuration for all the tests that read it."""
    return generate_verilog(lanes, codec, registered, impl=impl, pipelined=pipelined)


class Slang:
    """One slang compilation and analysis of ``paths`` (as the ``slang`` command
    line does), every warning enabled but ``waived``.

    Members
    -------
    errors : int
    warnings : list of str
        The option name (``width-trunc``) of each warning.
    text : str
        All diagnostics, formatted as slang prints them.
    """

    def __init__(self, paths, waived=()):
        d = driver.Driver()
        d.addStandardArgs()
        command = " ".join(["slang", *map(str, paths)])
        assert d.parseCommandLine(command, driver.CommandLineOptions()), command
        assert d.processOptions()
        d.parseAllSources()
        self.compilation = d.createCompilation()
        analysis = d.runAnalysis(self.compilation)
        engine = pyslang.DiagnosticEngine(d.sourceManager)
        client = pyslang.TextDiagnosticClient()
        engine.addClient(client)
        bad = engine.setWarningOptions(["everything", *(f"no-{name}" for name in waived)])
        assert not list(bad), f"unknown warning options {waived}"
        for diag in [*self.compilation.getAllDiagnostics(), *analysis.getDiagnostics()]:
            engine.issue(diag)
        self.errors = engine.numErrors
        self.text = client.getString()
        self.warnings = re.findall(r": warning: .*\[-W([\w-]+)\]$", self.text, re.M)

    def ports(self, module) -> tuple[Port, ...]:
        """The ports of top module ``module`` as slang elaborated them."""
        tops = {inst.name: inst for inst in self.compilation.getRoot().topInstances}
        return tuple(Port(p.name, {"In": "in", "Out": "out"}[str(p.direction).split(".")[-1]],
                          p.type.bitWidth)
                     for p in tops[module].body.portList)


def write(tmp_path, text, name="ternary_decoder"):
    path = tmp_path / f"{name}.v"
    path.write_text(text)
    return path


def test_quick_configurations_are_linted_ones():
    """Each quick configuration is one of the lint matrix, and each impl is in one."""
    assert QUICK <= set(configurations())
    assert {c[3] for c in QUICK} == {c[3] for c in configurations()}


@pytest.mark.parametrize(("lanes", "codec", "registered", "impl", "pipelined"), CONFIGS)
def test_slang_clean(tmp_path, lanes, codec, registered, impl, pipelined):
    text = verilog(lanes, codec, registered, impl, pipelined)
    run = Slang([write(tmp_path, text)], WAIVERS)
    assert run.errors == 0 and run.warnings == [], run.text
    # slang's view of the ports is the one the IP files are written from
    assert run.ports("ternary_decoder") == tuple(
        Port(p.name, p.direction, p.width) for p in module_ports(text, "ternary_decoder"))


@pytest.mark.parametrize("name", WAIVERS)
def test_waiver_is_needed(tmp_path, name):
    """Each waiver is needed (a configuration warns without it), and without any
    waiver slang reports only waived warnings."""
    run = Slang([write(tmp_path, verilog(*WAIVERS[name][1]))])
    assert run.errors == 0, run.text
    assert name in run.warnings, run.text
    assert set(run.warnings) <= set(WAIVERS), run.text


def test_slang_catches_broken_verilog(tmp_path):
    """The check can fail: a syntax error and a truncating assignment are reported."""
    text = verilog(1, "standard", False, "rom", False)
    broken = text.replace("endmodule", "  assign error = ;\nendmodule", 1)
    run = Slang([write(tmp_path, broken)], WAIVERS)
    assert run.errors >= 1 and "expected expression" in run.text
    narrow = text.replace("endmodule", "  wire [3:0] narrow;\n  assign narrow = m_axis_tdata;\n"
                          "  wire unused_ok = &narrow;\nendmodule", 1)
    run = Slang([write(tmp_path, narrow)], WAIVERS)
    assert "width-trunc" in run.warnings, run.text
