"""LUT exports (hex rows, validity, JSON, C) and loading custom LUTs, with malformed files."""

import json
import subprocess

import numpy as np
import pytest

from tritpack import golden
from tritpack.golden import lut_io

FIELD = {1: 0b01, 0: 0b00, -1: 0b11}


def expected_rows(codec) -> list[int]:
    """10-bit rows written out: trit i at bits [2i+1:2i], invalid rows 0."""
    lut = golden.get_lut(codec)
    return [
        sum(FIELD[int(t)] << (2 * i) for i, t in enumerate(lut.trits[c])) if lut.valid[c] else 0
        for c in range(256)
    ]


@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
def test_lut_rows(codec):
    rows = lut_io.lut_rows(codec)
    assert rows.dtype == np.uint16 and rows.shape == (256,)
    assert rows.tolist() == expected_rows(codec)
    assert rows.max() < 1 << 10
    lut = golden.get_lut(codec)
    assert np.array_equal(lut_io.rows_to_trits(rows), lut.trits)


def test_rows_known_values():
    rows = lut_io.lut_rows("standard")
    assert rows[1] == 0b01          # (+1, 0, 0, 0, 0)
    assert rows[2] == 0b11          # (-1, 0, 0, 0, 0)
    assert rows[81] == 0b01 << 8    # t4 = +1
    assert rows[242] == 0x3ff       # all -1
    assert rows[243] == 0           # invalid


def test_rows_to_trits_rejects_non_trit_fields():
    with pytest.raises(ValueError, match="row 1: trit 2 has the field 0b10"):
        lut_io.rows_to_trits([0, 0b10 << 4])
    with pytest.raises(ValueError, match="does not fit in 10 bits"):
        lut_io.rows_to_trits([0x400])


@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
def test_hex_export(codec):
    lines = lut_io.to_hex(codec).splitlines()
    data = [ln for ln in lines if not ln.startswith("//")]
    assert len(data) == 256
    lut = golden.get_lut(codec)
    for code, line in enumerate(data):
        value, comment = line.split("//")
        assert int(value, 16) == expected_rows(codec)[code] and len(value.strip()) == 3
        assert comment.split()[:2] == [f"0x{code:02x}", "valid" if lut.valid[code] else "invalid"]
    valid = [ln for ln in lut_io.to_valid(codec).splitlines() if not ln.startswith("//")]
    assert valid == ["1" if v else "0" for v in lut.valid]


@pytest.mark.needs_iverilog
def test_hex_export_reads_with_readmemh(tmp_path):
    (tmp_path / "lut.hex").write_text(lut_io.to_hex("tq1"))
    (tmp_path / "valid.hex").write_text(lut_io.to_valid("tq1"))
    (tmp_path / "tb.v").write_text("""
module tb; reg [9:0] rom [0:255]; reg v [0:255]; integer i;
initial begin $readmemh("lut.hex", rom); $readmemb("valid.hex", v);
for (i = 0; i < 256; i = i + 1) $display("%0d %0d", rom[i], v[i]); $finish; end
endmodule""")
    subprocess.run(["iverilog", "-o", "tb.vvp", "tb.v"], cwd=tmp_path, check=True)
    out = subprocess.run(["vvp", "-n", "tb.vvp"], cwd=tmp_path, check=True,
                         capture_output=True, text=True).stdout.split("\n")
    got = [tuple(int(x) for x in ln.split()) for ln in out if ln.strip() and ln[0].isdigit()]
    lut = golden.get_lut("tq1")
    assert got == [(r, int(v)) for r, v in zip(expected_rows("tq1"), lut.valid, strict=True)]


@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
def test_json_export(codec):
    doc = json.loads(lut_io.to_json(codec))
    assert doc["format"] == "tritpack-lut" and doc["name"] == codec
    lut = golden.get_lut(codec)
    assert doc["table"] == [lut.trits[c].tolist() if lut.valid[c] else None for c in range(256)]


@pytest.mark.needs_cc
def test_c_header_compiles_and_holds_the_tables(tmp_path):
    (tmp_path / "lut.h").write_text(lut_io.to_c_header("tq1"))
    (tmp_path / "main.c").write_text("""
#include <stdio.h>
#include "lut.h"
int main(void) { for (int c = 0; c < 256; c++) { printf("%d %d", tritpack_tq1_valid[c],
  tritpack_tq1_rows[c]); for (int i = 0; i < 5; i++) printf(" %d", tritpack_tq1_trits[c][i]);
  printf("\\n"); } for (int i = 0; i < 243; i++) printf("%d\\n", tritpack_tq1_codes[i]);
  return 0; }""")
    subprocess.run(["cc", "-std=c99", "-Wall", "-Werror", "-o", "main", "main.c"],
                   cwd=tmp_path, check=True)
    out = subprocess.run(["./main"], cwd=tmp_path, check=True, capture_output=True,
                         text=True).stdout.splitlines()
    lut = golden.get_lut("tq1")
    for c in range(256):
        v, row, *trits = (int(x) for x in out[c].split())
        assert (v, row, trits) == (int(lut.valid[c]), expected_rows("tq1")[c],
                                   lut.trits[c].tolist())
    assert [int(x) for x in out[256:]] == lut.codes.tolist()


@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
@pytest.mark.parametrize("fmt", ["hex", "json"])
def test_export_load_roundtrip(codec, fmt, tmp_path):
    path = tmp_path / f"my.{fmt}"
    path.write_text(lut_io.export_lut(codec, fmt))
    lut = lut_io.load_lut(path)
    ref = golden.get_lut(codec)
    assert lut.name == "my"
    for a, b in ((lut.trits, ref.trits), (lut.valid, ref.valid), (lut.codes, ref.codes)):
        assert np.array_equal(a, b)


def test_hex_with_xxx_rows_for_invalid_codes():
    rows = [f"{r:03x}" if r or c == 0 else "xxx" for c, r in enumerate(expected_rows("standard"))]
    lut = lut_io.parse_lut_hex("\n".join(rows))
    assert np.array_equal(lut.valid, golden.get_lut("standard").valid)


def test_resolve_codec(tmp_path):
    assert lut_io.resolve_codec("tq1") is golden.get_lut("tq1")
    with pytest.raises(ValueError, match=r"unknown codec 'nope'; expected one of standard, tq1 "
                                         r"or the path of a LUT file"):
        lut_io.resolve_codec("nope")
    with pytest.raises(ValueError, match="unknown LUT format 'xml'"):
        lut_io.export_lut("tq1", "xml")


# ------------------------------------------------------------------ malformed files

def std_hex_lines():
    return lut_io.to_hex("standard").splitlines()


def hex_error(lines) -> str:
    with pytest.raises(ValueError) as info:
        lut_io.parse_lut_hex("\n".join(lines), source="bad.hex")
    return str(info.value)


def test_hex_wrong_row_count():
    lines = std_hex_lines()
    assert "255 rows, expected 256" in hex_error(lines[:-1])
    msg = hex_error(lines + ["000"])
    assert "bad.hex line 259" in msg and "257th row" in msg


def test_hex_bad_digit_names_line_and_code():
    lines = std_hex_lines()
    lines[2 + 0x10] = "0g1 // 0x10 valid"
    msg = hex_error(lines)
    assert "bad.hex line 19 (code 0x10)" in msg and "'0g1' is not a row" in msg


def test_hex_non_trit_field_and_overflow():
    lines = std_hex_lines()
    lines[2 + 7] = "008"  # field 0b10 for trit 1
    msg = hex_error(lines)
    assert "line 10 (code 0x07)" in msg and "field 0b10 for trit 1" in msg
    lines[2 + 7] = "7ff"
    assert "does not fit in 10 bits" in hex_error(lines)


def test_hex_duplicate_tuple_names_both_codes():
    lines = std_hex_lines()
    lines[2 + 9] = "001 // 0x09"  # the tuple of code 0x01
    msg = hex_error(lines)
    assert "line 12 (code 0x09)" in msg and "same tuple as code 0x01 (line 4)" in msg


def test_hex_invalid_marked_row_must_be_zero_and_address_rejected():
    lines = std_hex_lines()
    lines[2 + 0xf3] = "001 // 0xf3 invalid"
    assert "(code 0xf3): marked invalid but its row is 0x001" in hex_error(lines)
    lines = std_hex_lines()
    lines[2] = "@10"
    assert "address '@10' not supported" in hex_error(lines)


def test_hex_without_validity_is_rejected_with_a_hint():
    rows = [f"{r:03x}" for r in expected_rows("standard")]
    msg = hex_error(rows)
    assert "same tuple" in msg  # the 13 zero rows all decode to (0, 0, 0, 0, 0)
    assert "mark invalid codes" in msg


def test_hex_missing_tuple():
    lines = std_hex_lines()
    lines[2 + 5] = "xxx"
    msg = hex_error(lines)
    assert "242 valid codes, expected exactly 243" in msg and "no code decodes to" in msg


def json_error(doc) -> str:
    text = doc if isinstance(doc, str) else json.dumps(doc)
    with pytest.raises(ValueError) as info:
        lut_io.parse_lut_json(text, source="bad.json")
    return str(info.value)


def std_table():
    return json.loads(lut_io.to_json("standard"))["table"]


def test_json_errors():
    assert "bad.json: not valid JSON" in json_error('{"table": [')
    assert "no \"table\" key" in json_error({"rows": []})
    assert "table has 255 entries, expected a list of 256" in json_error(std_table()[:-1])
    t = std_table()
    t[17] = [0, 0, 2, 0, 0]
    assert json_error(t) == ("bad.json: table[17] (code 0x11): trit 2 is 2, not a trit; "
                             "expected -1, 0 or 1")
    t[17] = [0, 0, 0.5, 0, 0]
    assert "trit 2 is 0.5, not a trit" in json_error(t)
    t[17] = [0, 0, True, 0, 0]
    assert "trit 2 is true, not a trit" in json_error(t)
    t[17] = [0, 0, 0]
    assert "table[17] (code 0x11): [0, 0, 0] is not a list of 5 trits" in json_error(t)
    t = std_table()
    t[20] = t[3]
    msg = json_error({"table": t})
    assert "table[20] (code 0x14)" in msg and "same tuple as code 0x03 (table[3])" in msg


def test_load_lut_errors(tmp_path):
    with pytest.raises(OSError):
        lut_io.load_lut(tmp_path / "missing.json")
    binary = tmp_path / "bin.hex"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="not a text file"):
        lut_io.load_lut(binary)


def test_resolve_codec_says_what_is_wrong_with_a_path(tmp_path):
    # Every --codec (lut, encode, decode, vectors, verilog, synth, sim) resolves here.
    with pytest.raises(ValueError, match="is a directory; expected a LUT file"):
        lut_io.resolve_codec(str(tmp_path))
    with pytest.raises(ValueError, match="no such file"):
        lut_io.resolve_codec(str(tmp_path / "missing.json"))
    (tmp_path / "empty.hex").write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        lut_io.resolve_codec(str(tmp_path / "empty.hex"))
