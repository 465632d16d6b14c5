"""scripts/line_select_area.py, the measurement behind ENGINE.md's table of ways to read
the held line: each design elaborates, and each is built the way its row says (the
synthesis itself is the script's run, not a test)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

pytest.importorskip("amaranth")
from amaranth.back import rtlil  # noqa: E402

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "line_select_area.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("line_select_area", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _widest_register(design) -> int:
    """Width of the widest flip-flop group in the design's RTLIL."""
    text = rtlil.convert(design, ports=design.ports)
    dffs = re.findall(r"cell \$(?:a|s)?dffe? .*?parameter \\WIDTH (\d+)", text, re.S)
    return max(map(int, dffs))


def test_every_design_has_its_own_letter(script):
    letters = [name[0] for name, _ in script.DESIGNS]
    assert letters == sorted(set(letters))


@pytest.mark.parametrize("letter, widest", [("A", 512), ("B", 80), ("C", 512), ("D", 80),
                                            ("E", 512), ("F", 512), ("G", 512)])
def test_designs_hold_the_line_where_their_row_says(script, letter, widest):
    # B selects from the input port: no 512-bit register; its widest is the trits'
    (factory,) = [f for name, f in script.DESIGNS if name[0] == letter]
    assert _widest_register(factory()) == widest
