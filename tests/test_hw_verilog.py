"""Verilog generation: port names, size, speed, lint, and a run in Icarus.

The lint tests need Icarus Verilog and Verilator (``make tools``); they skip,
saying so, when a tool is missing.
"""

from __future__ import annotations

import functools
import hashlib
import re
import resource
import shlex
import subprocess
import time

import numpy as np
import pytest

from tritpack import golden
from tritpack.cli import main as tritpack
from tritpack.golden import lut_io
from tritpack.hw.verilog import generate_verilog

VARIANTS = [pytest.param(False, id="unreg"), pytest.param(True, id="reg")]

needs_iverilog = pytest.mark.needs_iverilog
needs_verilator = pytest.mark.needs_verilator


@functools.cache
def verilog(lanes, codec="standard", registered=False) -> str:
    """Generated once per parameter set for all the tests that only read it."""
    return generate_verilog(lanes, codec, registered)


def ports(text, module="ternary_decoder") -> dict[str, tuple[str, int]]:
    """Port name -> (direction, width) of ``module`` in Verilog ``text``."""
    header = re.search(rf"module {module}\((.*?)\);", text, re.S)
    assert header, f"no module {module}"
    names = [n.strip() for n in header.group(1).split(",")]
    result = {}
    for name in names:
        decl = re.search(rf"^\s*(input|output)\s+(?:\[(\d+):0\]\s+)?{re.escape(name)};",
                         text, re.M)
        assert decl, f"no declaration of port {name}"
        result[name] = (decl.group(1), int(decl.group(2) or 0) + 1)
    return result


def write(tmp_path, text, name="ternary_decoder"):
    path = tmp_path / f"{name}.v"
    path.write_text(text)
    return path


# --- the generated module --------------------------------------------------------------


@pytest.mark.parametrize("registered", VARIANTS)
@pytest.mark.parametrize("lanes", [1, 8, 64])
def test_axi_ports(lanes, registered):
    expected = {
        "clk": ("input", 1), "rst": ("input", 1),
        "s_axis_tdata": ("input", 512), "s_axis_tvalid": ("input", 1),
        "s_axis_tready": ("output", 1), "s_axis_tlast": ("input", 1),
        "m_axis_tdata": ("output", 10 * lanes), "m_axis_tvalid": ("output", 1),
        "m_axis_tready": ("input", 1), "m_axis_tlast": ("output", 1),
        "m_axis_tuser": ("output", 1), "error": ("output", 1),
    }
    assert ports(verilog(lanes, "standard", registered)) == expected


def test_module_name():
    text = generate_verilog(1, module_name="my_dec")
    assert re.search(r"^module my_dec\(", text, re.M)
    assert len(re.findall(r"^module ", text, re.M)) == 1   # flat: one module per file
    for bad in ("1abc", "a b", "", "top.x", "\\esc"):
        with pytest.raises(ValueError, match="module name must be a Verilog identifier"):
            generate_verilog(1, module_name=bad)


def rom_table(text) -> dict[int, int]:
    """Address -> row of the table initialised in Verilog ``text``."""
    return {int(a): int(v, 16) for a, v in re.findall(r"rom ?\[(\d+)\] = 11'h([0-9a-f]+);", text)}


def test_rom_from_golden():
    """The only table in the Verilog is the golden one: 256 rows, 10 trit bits + valid."""
    for codec in golden.CODEC_NAMES:
        lut = golden.get_lut(codec)
        rows = rom_table(verilog(1, codec))
        assert sorted(rows) == list(range(256))
        for code, row in rows.items():
            trits = [((row >> (2 * n)) & 3) for n in range(5)]
            assert [{0: 0, 1: 1, 3: -1}[t] for t in trits] == lut.trits[code].tolist()
            assert bool(row >> 10) == lut.valid[code]


def cpu_seconds() -> float:
    """CPU time of this process and its children (Yosys runs as a child process).

    Used instead of wall time so that a machine shared with other jobs does not
    make the test flaky; unloaded, wall time is about the same.
    """
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def test_generation_fast_and_small():
    generate_verilog(1)            # Yosys (WebAssembly) may compile itself on first use
    for registered in (False, True):
        start = cpu_seconds()
        text = generate_verilog(64, "standard", registered)
        assert cpu_seconds() - start < 2.0
        assert len(text) < 100_000


# --- lint ------------------------------------------------------------------------------


@needs_iverilog
@pytest.mark.parametrize("registered", VARIANTS)
@pytest.mark.parametrize("lanes", [1, 8, 64])
def test_iverilog_clean(tmp_path, lanes, registered):
    path = write(tmp_path, verilog(lanes, "standard", registered))
    r = subprocess.run(["iverilog", "-g2005", "-Wall", "-o", str(tmp_path / "a.out"), str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr


@needs_verilator
@pytest.mark.parametrize("registered", VARIANTS)
@pytest.mark.parametrize("lanes", [1, 8, 64])
def test_verilator_clean(tmp_path, lanes, registered):
    path = write(tmp_path, verilog(lanes, "standard", registered))
    r = subprocess.run(["verilator", "--lint-only", "-Wall", str(path)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0 and "%Warning" not in r.stderr, r.stderr


@needs_verilator
def test_verilator_waiver_is_needed(tmp_path):
    """The one waiver in the output is there for a reason (it would flag otherwise)."""
    text = verilog(8).replace("/* verilator lint_off UNUSEDSIGNAL */", "")
    r = subprocess.run(["verilator", "--lint-only", "-Wall", str(write(tmp_path, text))],
                       capture_output=True, text=True, cwd=tmp_path)
    assert "UNUSEDSIGNAL" in r.stderr
    assert set(re.findall(r"%Warning-(\w+)", r.stderr)) == {"UNUSEDSIGNAL"}


# --- a run in Icarus: defined outputs from reset, and one decode -----------------------

TESTBENCH = """\
module tb;
  reg clk = 0, rst = 1, s_valid = 0, s_last = 0;
  reg [511:0] s_data = 0;
  reg [511:0] lines [0:NLINES-1];
  wire s_ready, m_valid, m_last, m_user, err;
  wire [WIDTH-1:0] m_data;
  integer n, x_seen, ok;
  ternary_decoder dut(.clk(clk), .rst(rst), .s_axis_tdata(s_data), .s_axis_tvalid(s_valid),
    .s_axis_tready(s_ready), .s_axis_tlast(s_last), .m_axis_tdata(m_data),
    .m_axis_tvalid(m_valid), .m_axis_tready(1'b1), .m_axis_tlast(m_last),
    .m_axis_tuser(m_user), .error(err));
  always #5 clk = ~clk;
  always @(posedge clk) if (m_valid && !rst) $display("T %h %b %b", m_data, m_last, m_user);
  initial begin
    $readmemh("lines.hex", lines);
    #1 x_seen = ^{s_ready, m_valid, m_last, m_user, err} === 1'bx;
    $display("X0 %0d %0d", x_seen, ^m_data === 1'bx);
    @(posedge clk); #1 rst = 0;
    $display("X1 %0d %0d", ^{s_ready, m_valid, m_last, m_user, err} === 1'bx, ^m_data === 1'bx);
    s_valid = 1;
    for (n = 0; n < NLINES; n = n + 1) begin
      s_data = lines[n]; s_last = (n == NLINES - 1);
      ok = 0;  // s_ready at the falling edge is what the next rising edge sees
      while (!ok) begin @(negedge clk); ok = s_ready; @(posedge clk); #1; end
    end
    s_valid = 0;
    repeat (200) @(posedge clk);
    $display("E %b", err);
    $finish;
  end
endmodule
"""


@needs_iverilog
@pytest.mark.parametrize(("pipelined", "impl"), [(False, "rom"), (True, "bram")])
@pytest.mark.parametrize("registered", VARIANTS)
@pytest.mark.parametrize("lanes", [1, 64])
def test_icarus_decodes(tmp_path, lanes, registered, pipelined, impl):
    """Outputs defined from time 0, then a decode.  ``impl=bram`` is the documented
    exception: ``m_axis_tdata`` is X until the first clock edge, with ``tvalid``
    low (Amaranth leaves a read port's initial value undefined, amaranth#1625)."""
    lut = golden.get_lut("tq1")
    data = np.concatenate([lut.codes[:64], lut.invalid_codes[:1], lut.codes[64:127]])
    lines = data.reshape(-1, 64)
    (tmp_path / "lines.hex").write_text(
        "".join(int.from_bytes(line.tobytes(), "little").to_bytes(64).hex() + "\n"
                for line in lines))
    text = (verilog(lanes, "tq1", registered) if not pipelined
            else generate_verilog(lanes, "tq1", registered, impl=impl, pipelined=True))
    dut = write(tmp_path, text)
    tb = TESTBENCH.replace("NLINES", str(len(lines))).replace("WIDTH", str(10 * lanes))
    (tmp_path / "tb.v").write_text(tb)
    subprocess.run(["iverilog", "-g2005", "-o", "sim", "tb.v", str(dut)], cwd=tmp_path,
                   check=True)
    out = subprocess.run(["vvp", "-n", "sim"], cwd=tmp_path, capture_output=True, text=True,
                         check=True).stdout
    x_data_at_0 = int(impl == "bram")
    assert f"X0 0 {x_data_at_0}" in out and "X1 0 0" in out, "outputs must be defined"
    got = [(int(d, 16), last == "1", user == "1")
           for d, last, user in re.findall(r"^T (\S+) (\d) (\d)$", out, re.M)]
    trits, valid = golden.decode(data, "tq1", on_invalid="mask")
    beats = 64 // lanes
    expected = []
    for n, chunk in enumerate(trits.reshape(-1, 5 * lanes)):
        word = sum(({0: 0, 1: 1, -1: 3}[int(t)]) << (2 * k) for k, t in enumerate(chunk))
        bad = not valid.reshape(-1, lanes)[n].all()
        expected.append((word, n == len(lines) * beats - 1, bad))
    assert got == expected
    assert "E 1" in out


# --- the command -----------------------------------------------------------------------


def test_cli_writes_file(tmp_path, capsys):
    out = tmp_path / "dec.v"
    assert tritpack(["verilog", "--lanes", "8", "--codec", "tq1", "--registered",
                     "--module-name", "dec8", "-o", str(out)]) == 0
    text = out.read_text()
    command = f"tritpack verilog --lanes 8 --codec tq1 --registered --module-name dec8 -o {out}"
    assert text == generate_verilog(8, "tq1", True, "dec8", command=command)
    assert "wrote" in capsys.readouterr().out
    assert [p.name for p in out.parent.iterdir()] == ["dec.v"]   # no temporary left


def test_cli_header_command_writes_the_same_file(tmp_path, monkeypatch):
    """The command line in the header, run again, writes the very same file."""
    monkeypatch.chdir(tmp_path)
    assert tritpack(["verilog", "--impl", "arith", "--lanes", "2", "--pipelined",
                     "--codec", "tq1", "-o", "a.v"]) == 0
    first = (tmp_path / "a.v").read_text()
    command = re.search(r"^//   command +(.*)$", first, re.M).group(1)
    argv = shlex.split(command)
    assert argv[:2] == ["tritpack", "verilog"] and argv[-2:] == ["-o", "a.v"]
    (tmp_path / "a.v").unlink()
    assert tritpack(argv[1:]) == 0
    assert (tmp_path / "a.v").read_text() == first


# --- what the file says it is (issue 14, defect 5) ---------------------------------------


def header(text) -> str:
    """The comment lines before the first line of Verilog."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        lines.append(line)
    return "\n".join(lines)


def field(text, key) -> str:
    """A field of the header, its continuation lines joined."""
    match = re.search(rf"^//   {key} +(.*(?:\n//  {{10,}}.*)*)", header(text), re.M)
    assert match, f"no {key} in the header"
    return " ".join(part.lstrip("/ ") for part in match.group(1).split("\n"))


def test_header_names_tritpack_and_every_parameter():
    from tritpack import __version__

    text = generate_verilog(8, "tq1", True, impl="arith", pipelined=True)
    head = header(text)
    assert f"tritpack {__version__}" in head
    assert field(text, "lanes").startswith("8: 40 trits")
    assert field(text, "codec") == "tq1"
    assert field(text, "impl").startswith("arith:")
    assert "registered:" in field(text, "variant") and "pipelined:" in field(text, "variant")
    assert field(text, "latency").startswith("2 clocks")
    assert field(text, "command") == ("tritpack verilog --lanes 8 --codec tq1 --registered "
                                      "--pipelined --impl arith -o -")
    plain = generate_verilog(64)
    assert field(plain, "latency").startswith("1 clock ")
    assert field(plain, "variant").startswith("unregistered:")
    assert "pipelined" not in field(plain, "variant")


def test_standard_and_tq1_differ_in_the_header():
    assert field(verilog(1, "standard"), "codec") == "standard"
    assert field(verilog(1, "tq1"), "codec") == "tq1"
    assert header(verilog(1, "standard")) != header(verilog(1, "tq1"))


def test_custom_lut_header_names_its_hash():
    std = golden.get_lut("standard")
    lut = golden.Lut.from_table(std.trits[::-1].copy(), std.valid[::-1], name="rev")
    text = generate_verilog(1, lut)
    # The documented hash: of the ROM rows the file holds, as %03x lines, code 0 first.
    rows = rom_table(text)
    digest = hashlib.sha256("".join(f"{rows[c]:03x}\n" for c in range(256)).encode()).hexdigest()
    assert field(text, "codec") == f"custom LUT 'rev', sha256 {digest} (of its ROM rows)"
    assert digest not in generate_verilog(1, "standard")


NATURAL_ORDER = ["clk", "rst", "s_axis_tvalid", "s_axis_tready", "s_axis_tdata",
                 "s_axis_tlast", "m_axis_tvalid", "m_axis_tready", "m_axis_tdata",
                 "m_axis_tlast", "m_axis_tuser", "error"]


@pytest.mark.parametrize("registered", VARIANTS)
@pytest.mark.parametrize("lanes", [1, 64])
def test_ports_in_natural_order_with_a_comment_each(lanes, registered):
    text = verilog(lanes, "standard", registered)
    head = re.search(r"module ternary_decoder\((.*?)\);\n", text, re.S)
    assert [n.strip() for n in head.group(1).split(",")] == NATURAL_ORDER
    # Declared right after the header, in the same order, each with its comment.
    decls = text[head.end():].splitlines()[:len(NATURAL_ORDER)]
    for name, line in zip(NATURAL_ORDER, decls, strict=True):
        match = re.fullmatch(rf"  (input|output) (\[\d+:0\] )?{name}; +// (.+)", line)
        assert match, line
        assert len(match.group(3)) > 10


@pytest.mark.parametrize("impl", ["rom", "arith"])
@pytest.mark.parametrize("pipelined", [False, True])
def test_no_internal_escaped_names(impl, pipelined):
    text = generate_verilog(2, "tq1", True, impl=impl, pipelined=pipelined)
    assert "\\" not in text, re.findall(r"\\\S+", text)[:5]
    assert "$flatten" not in text and "$signal" not in text and "$auto" not in text
    assert "engine_busy" in text and "engine_line" in text  # the engine's state, by name


@pytest.mark.parametrize("name", ["module", "wire", "logic", "always_ff", "endmodule"])
def test_module_name_keyword_refused(name, tmp_path, capsys):
    with pytest.raises(ValueError, match=f"module name '{name}' is a Verilog keyword"):
        generate_verilog(1, module_name=name)
    out = tmp_path / "x.v"
    assert tritpack(["verilog", "--lanes", "1", "--module-name", name, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"module name '{name}' is a Verilog keyword" in err and len(err.splitlines()) == 1
    assert not out.exists()


# --- the output path (issue 14, defect 8: golden.fileio's one policy) ----------------------


def test_cli_dash_is_standard_output(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert tritpack(["verilog", "--lanes", "1", "-o", "-"]) == 0
    captured = capsys.readouterr()
    assert captured.out == generate_verilog(1, command="tritpack verilog --lanes 1 -o -")
    assert "wrote standard output" in captured.err
    assert list(tmp_path.iterdir()) == []          # no file named '-'


def test_cli_existing_file_needs_force(tmp_path, capsys):
    out = tmp_path / "x.v"
    out.write_text("mine")
    assert tritpack(["verilog", "--lanes", "1", "-o", str(out)]) == 2
    assert "exists; use --force" in capsys.readouterr().err
    assert out.read_text() == "mine"
    assert tritpack(["verilog", "--lanes", "1", "-o", str(out), "--force"]) == 0
    assert out.read_text().startswith("// ternary_decoder: the tritpack")


def test_cli_missing_directory_refused_not_created(tmp_path, capsys):
    out = tmp_path / "nonexist" / "x.v"
    assert tritpack(["verilog", "--lanes", "1", "-o", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not out.parent.exists()


@pytest.mark.parametrize("name", ["x.sv.txt", "x", ""])
def test_cli_refuses_other_names_before_any_work(name, tmp_path, capsys, monkeypatch):
    import tritpack.hw.verilog as hw_verilog

    def boom(*args, **kwargs):
        raise AssertionError("generated before the output path was checked")

    monkeypatch.setattr(hw_verilog, "generate_verilog", boom)
    monkeypatch.chdir(tmp_path)
    assert tritpack(["verilog", "--lanes", "1", "-o", name]) == 2
    assert "Verilog file" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cli_lut_file(tmp_path):
    """A custom codec from a golden LUT file ends up, row for row, in the ROM."""
    std = golden.get_lut("standard")
    lut = golden.Lut.from_table(std.trits[::-1].copy(), std.valid[::-1], name="rev")
    (tmp_path / "rev.json").write_text(lut_io.to_json(lut))
    out = tmp_path / "rev.v"
    assert tritpack(["verilog", "--lanes", "1", "--codec", str(tmp_path / "rev.json"),
                     "-o", str(out)]) == 0
    assert rom_table(out.read_text()) == rom_table(generate_verilog(1, lut))
    assert rom_table(out.read_text()) != rom_table(verilog(1, "standard"))


@pytest.mark.parametrize("argv, message", [
    (["--codec", "nope"], "unknown codec 'nope'"),
    (["--module-name", "9x"], "module name must be a Verilog identifier"),
    (["--impl", "magic"], "invalid choice: 'magic'"),
])
def test_cli_errors(tmp_path, capsys, argv, message):
    out = tmp_path / "x.v"
    try:
        status = tritpack(["verilog", *argv, "-o", str(out)])
    except SystemExit as exc:  # argparse usage errors
        status = exc.code
    assert status == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_cli_rejects_lanes(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        tritpack(["verilog", "--lanes", "3", "-o", str(tmp_path / "x.v")])
    assert exc.value.code == 2
    assert "invalid choice: 3" in capsys.readouterr().err
