"""The IP directory (``tritpack.hw.ip.write_ip``): consumed by FuseSoC, templates that compile.

FuseSoC runs the ``lint`` (Verilator) and ``sim`` (Icarus, the self-checking
testbench on golden vectors) targets of the generated core, and fails on a
broken core.  The Verilog instantiation template compiles against the engine in
Verilator, the VHDL package in GHDL, the SDC in tclsh.  Each test skips, saying
why, when its tool is missing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from tritpack import golden
from tritpack.hw.ip import MANIFEST, write_ip
from tritpack.hw.ip.ports import Port, module_ports

CONFIGS = {
    "8-unreg": dict(lanes=8),
    "16-reg-pipe": dict(lanes=16, codec="tq1", registered=True, impl="arith", pipelined=True,
                        module_name="dec16"),
}


@pytest.fixture(scope="module", params=list(CONFIGS))
def ip(request, tmp_path_factory):
    """(directory, parameters) of an IP directory, written once per configuration."""
    kwargs = CONFIGS[request.param]
    out = tmp_path_factory.mktemp("ip") / "ip"
    assert write_ip(out, **kwargs) == out
    return out, kwargs


def name_of(kwargs):
    return kwargs.get("module_name", "ternary_decoder")


def fusesoc(cores_root, target, vlnv, *args, cwd, setup=()):
    """Run ``fusesoc run`` with its config, cache and build directory under ``cwd``;
    ``cores_root`` is a directory or a list of them; ``setup`` are options of ``run``."""
    pytest.importorskip("fusesoc")
    env = {"PATH": f"{sys.prefix}/bin:/usr/bin:/bin", "HOME": str(cwd),
           "XDG_CONFIG_HOME": str(cwd / "config"), "XDG_CACHE_HOME": str(cwd / "cache"),
           "XDG_DATA_HOME": str(cwd / "data")}
    roots = [cores_root] if not isinstance(cores_root, list) else cores_root
    command = [sys.executable, "-m", "fusesoc.main"]
    for root in roots:
        command += ["--cores-root", str(root)]
    command += ["run", "--build-root", str(cwd / "build"), *setup, "--target", target, vlnv,
                *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=300)


def vlnv(kwargs):
    from tritpack import __version__

    return f"tritpack:ip:{name_of(kwargs)}:{__version__}"


# --- the directory -----------------------------------------------------------------------


def test_files_and_manifest(ip):
    out, kwargs = ip
    name = name_of(kwargs)
    files = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert files == {f"{name}.v", f"{name}.core", f"{name}_inst.vh", f"{name}_pkg.vhd",
                     f"{name}.sdc", "README.md", MANIFEST, f"sim/tb_{name}.v", "sim/input.hex",
                     "sim/input_flags.hex", "sim/expected.hex", "sim/expected_flags.hex"}
    manifest = json.loads((out / MANIFEST).read_text())
    want = {"lanes": 64, "codec": "standard", "registered": False, "impl": "rom",
            "pipelined": False, **{k: v for k, v in kwargs.items() if k != "module_name"}}
    assert {k: manifest["parameters"][k] for k in want} == want
    assert manifest["latency"] == (2 if kwargs.get("pipelined") else 1)
    assert manifest["vlnv"] == vlnv(kwargs)
    core = (out / f"{name}.core").read_text()
    assert core.startswith("CAPI=2:\n") and f"\nname: {vlnv(kwargs)}\n" in core
    assert set(manifest["files"]) == files - {MANIFEST}
    assert all(p["meaning"] for p in manifest["ports"]), manifest["ports"]  # from the Verilog


def test_module_ports_forms():
    """Both header forms; a port without a declaration or a missing module is refused."""
    plain = "module m(a, q);\n  input a; // in\n  output [3:0] q;\nendmodule\n"
    assert module_ports(plain, "m") == (Port("a", "in", 1, "in"), Port("q", "out", 4))
    ansi = "module m(input wire a, output reg [3:0] q);\nendmodule\n"
    assert module_ports(ansi, "m") == (Port("a", "in", 1), Port("q", "out", 4))
    with pytest.raises(ValueError, match="do not match"):
        module_ports(plain.replace("  input a; // in\n", ""), "m")
    with pytest.raises(ValueError, match="no module 'n'"):
        module_ports(plain, "n")


@pytest.mark.needs_verilator
def test_fusesoc_lint(ip, tmp_path):
    out, kwargs = ip
    r = fusesoc(out, "lint", vlnv(kwargs), cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verilator" in r.stdout  # the tool really ran
    vc = (next((tmp_path / "build").rglob("*.vc"))).read_text()
    assert "--lint-only" in vc and "-Wall" in vc


@pytest.mark.needs_iverilog
def test_fusesoc_sim(ip, tmp_path):
    out, kwargs = ip
    r = fusesoc(out, "sim", vlnv(kwargs), "--idle=40", "--stall=60", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^PASS \d+ transfers$", r.stdout, re.M), r.stdout
    assert "idle=40% stall=60%" in r.stdout  # the core's plusarg parameters reach it


def test_fusesoc_synth_setup_for_quartus(ip, tmp_path):
    """The synth target hands a vendor project the Verilog and the SDC (set up
    only: no vendor tool runs)."""
    out, kwargs = ip
    name = name_of(kwargs)
    r = fusesoc(out, "synth", vlnv(kwargs), cwd=tmp_path, setup=["--setup", "--tool", "quartus"])
    assert r.returncode == 0, r.stdout + r.stderr
    tcl = next((tmp_path / "build").rglob("*.tcl")).read_text()
    assert re.search(rf"-name VERILOG_FILE \S*/{name}\.v$", tcl, re.M), tcl
    assert re.search(rf"-name SDC_FILE \S*/{name}\.sdc$", tcl, re.M), tcl


USER_CORE = """\
CAPI=2:
name: me:soc:top:1.0
filesets:
  rtl:
    files: [wrap_{name}.v]
    file_type: verilogSource
    depend: [{vlnv}]
targets:
  lint:
    filesets: [rtl]
    toplevel: wrap_{name}
    flow: lint
    flow_options: {{tool: verilator, verilator_options: [-Wall]}}
"""


@pytest.mark.needs_verilator
def test_fusesoc_dependent_core(ip, tmp_path):
    """A core of your own depends on the IP core and `includes its instantiation
    template: FuseSoC brings in the engine and the include directory."""
    out, kwargs = ip
    name = name_of(kwargs)
    ports = module_ports((out / f"{name}.v").read_text(), name)
    user = tmp_path / "user"
    user.mkdir()
    (user / "top.core").write_text(USER_CORE.format(vlnv=vlnv(kwargs), name=name))
    (user / f"wrap_{name}.v").write_text(wrapper(name, ports, f'`include "{name}_inst.vh"\n'))
    r = fusesoc([out, user], "lint", "me:soc:top", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    vc = (next((tmp_path / "build").rglob("*.vc"))).read_text()
    assert f"{name}.v" in vc and "+incdir+" in vc


BREAKS = {
    # what is broken: (core edit, target, what fusesoc or the tool says)
    "toplevel": (("toplevel: {name}\n", "toplevel: {name}_x\n"), "lint",
                 "was not found in design"),
    "file": (("- {name}.v\n", "- {name}_x.v\n"), "sim", "Cannot find {name}_x.v"),
    "copyto": (("copyto: expected.hex", "copyto: other.hex"), "sim", "cannot open"),
    "capi": (("CAPI=2:", "CAPI=9:"), "lint", "core was not found"),
}


@pytest.mark.needs_verilator
@pytest.mark.needs_iverilog
@pytest.mark.parametrize("ip", ["8-unreg"], indirect=True)
@pytest.mark.parametrize("what", BREAKS)
def test_fusesoc_catches_broken_core(ip, tmp_path, what):
    """The FuseSoC runs can fail: a wrong toplevel, file, copied vector or CAPI version."""
    out, kwargs = ip
    name = name_of(kwargs)
    (old, new), target, message = BREAKS[what]
    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    core = bad / f"{name}.core"
    text = core.read_text()
    assert old.format(name=name) in text
    core.write_text(text.replace(old.format(name=name), new.format(name=name), 1))
    r = fusesoc(bad, target, vlnv(kwargs), cwd=tmp_path)
    assert r.returncode != 0, r.stdout + r.stderr
    assert message.format(name=name) in r.stdout + r.stderr


# --- the templates -------------------------------------------------------------------------


def wrapper(name, ports, instance):
    """A module with the engine's ports that instantiates it through the template."""
    decls = ",\n".join(f"  {'input' if p.direction == 'in' else 'output'} wire "
                       f"{f'[{p.width - 1}:0] ' if p.width > 1 else ''}{p.name}" for p in ports)
    return f"module wrap_{name} (\n{decls}\n);\n{instance}endmodule\n"


@pytest.mark.needs_verilator
def test_verilog_template_connects_every_port(ip, tmp_path):
    out, kwargs = ip
    name = name_of(kwargs)
    engine = (out / f"{name}.v").read_text()
    ports = module_ports(engine, name)
    instance = (out / f"{name}_inst.vh").read_text()

    def lint(text):
        (tmp_path / f"wrap_{name}.v").write_text(wrapper(name, ports, text))
        return subprocess.run(["verilator", "--lint-only", "-Wall", f"wrap_{name}.v",
                               str(out / f"{name}.v")], capture_output=True, text=True,
                              cwd=tmp_path)

    r = lint(instance)
    assert r.returncode == 0 and "%Warning" not in r.stderr, r.stderr
    # The check can fail: a template missing one connection.
    dropped = re.sub(r"^  \.m_axis_tuser .*\n", "", instance, flags=re.M)
    assert dropped != instance
    r = lint(dropped)
    assert r.returncode != 0 and "PINMISSING" in r.stderr, r.stderr


def vhdl_ports(text):
    return [(n, d, int(m) + 1 if m else 1) for n, d, m in re.findall(
        r"^\s+(\w+)\s*: (in|out)\s+std_logic(?:_vector\((\d+) downto 0\))?;?(?:\s+--.*)?$",
        text, re.M)]


@pytest.mark.skipif(not shutil.which("ghdl"), reason="needs ghdl on PATH")
def test_vhdl_component(ip, tmp_path):
    out, kwargs = ip
    name = name_of(kwargs)
    ports = module_ports((out / f"{name}.v").read_text(), name)
    pkg = (out / f"{name}_pkg.vhd").read_text()
    assert vhdl_ports(pkg) == [(p.name, p.direction, p.width) for p in ports]
    # The package and the commented instantiation example analyse in GHDL.
    example = "\n".join(line[4:] for line in pkg.splitlines()
                        if line.startswith("--   ") and "=>" in line or "port map" in line
                        or f": {name}" in line or line.startswith("--     );"))
    signals = "\n".join(f"  signal {p.name} : std_logic"
                        + (f"_vector({p.width - 1} downto 0)" if p.width > 1 else "") + ";"
                        for p in ports)
    top = (f"library ieee;\nuse ieee.std_logic_1164.all;\nuse work.{name}_pkg.all;\n"
           f"entity top is\nend entity;\narchitecture rtl of top is\n{signals}\nbegin\n"
           f"{example}\nend architecture;\n")
    (tmp_path / "top.vhd").write_text(top)
    r = subprocess.run(["ghdl", "-a", "--std=93", str(out / f"{name}_pkg.vhd"), "top.vhd"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr + top
    # The check can fail: a port map naming a port the component does not have.
    broken = re.sub(r"m_axis_tuser(\s+)=>", r"m_axis_tusr\1=>", top)
    assert broken != top
    (tmp_path / "top.vhd").write_text(broken)
    r = subprocess.run(["ghdl", "-a", "--std=93", "top.vhd"], capture_output=True, text=True,
                       cwd=tmp_path)
    assert r.returncode != 0 and "m_axis_tusr" in r.stderr


SDC_STUBS = """\
proc get_ports {names} { return [list ports {*}$names] }
proc create_clock {args} { puts "clock $args" }
proc set_input_delay {-clock clk delay ports} { puts "in [join [lrange $ports 1 end]]" }
proc set_output_delay {-clock clk delay ports} { puts "out [join [lrange $ports 1 end]]" }
"""


@pytest.mark.skipif(not shutil.which("tclsh"), reason="needs tclsh on PATH")
def test_sdc_constrains_every_port(ip, tmp_path):
    """The SDC is valid Tcl, clocks clk and gives every other port one delay."""
    out, kwargs = ip
    name = name_of(kwargs)
    ports = module_ports((out / f"{name}.v").read_text(), name)
    (tmp_path / "run.tcl").write_text(SDC_STUBS + f"source {out / f'{name}.sdc'}\n")
    r = subprocess.run(["tclsh", "run.tcl"], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "clock -name clk -period 10.000 {ports clk}"
    got = {(kind, re.sub(r"\[\*\]$", "", p)) for kind, *names in map(str.split, lines[1:])
           for p in names}
    want = {("in" if p.direction == "in" else "out", p.name) for p in ports if p.name != "clk"}
    assert got == want
    assert len(lines) == 3


def swapped_lut(name):
    """The standard table with the rows of codes 0 and 1 swapped, labelled ``name``."""
    table = golden.get_lut("standard").trits.copy()
    table[[0, 1]] = table[[1, 0]]
    return golden.Lut.from_table(table, golden.get_lut("standard").valid, name=name)


@pytest.mark.parametrize("label", ["mine", "standard"])
def test_custom_codec_has_no_sim(tmp_path, label):
    """Golden vectors exist for the built-in codecs only, even for a custom table
    labelled with a built-in name: no sim/, no sim target."""
    out = write_ip(tmp_path / "ip", lanes=64, codec=swapped_lut(label))
    assert not (out / "sim").exists()
    core = (out / "ternary_decoder.core").read_text()
    assert "\n  sim:" not in core and "plusarg" not in core
    assert json.loads((out / MANIFEST).read_text())["parameters"]["codec"] == label
    assert "no `sim` target" in (out / "README.md").read_text()


# --- what write_ip refuses -----------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(module_name="entity"), "VHDL reserved word"),
    (dict(module_name="dec__8"), "not a VHDL basic identifier"),
    (dict(module_name="8dec"), "Verilog identifier"),
    (dict(lanes=3), "lanes must be one of"),
    (dict(clock_period_ns=0), "clock period must be a positive number"),
    (dict(clock_period_ns=float("nan")), "clock period must be a positive number"),
])
def test_bad_parameters_write_nothing(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        write_ip(tmp_path / "ip", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_output_policy(tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    with pytest.raises(OSError, match="holds no tritpack-ip.json"):
        write_ip(foreign, lanes=64, force=True)
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    out = tmp_path / "ip"
    write_ip(out, lanes=64)
    with pytest.raises(OSError, match="use --force"):
        write_ip(out, lanes=32)
    write_ip(out, lanes=32, force=True)
    assert json.loads((out / MANIFEST).read_text())["parameters"]["lanes"] == 32
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ip", "mine"]  # no temporary left


def test_verilog_ip_command(tmp_path, monkeypatch, capsys):
    # `tritpack verilog --ip DIR`: the same directory as write_ip, the header names
    # the command, and the output policy holds (a second run needs --force).
    from tritpack.cli import main

    monkeypatch.chdir(tmp_path)
    argv = ["verilog", "--lanes", "8", "--codec", "tq1", "--ip", "ip8", "--clock-period", "4"]
    assert main(argv) == 0
    params = json.loads((tmp_path / "ip8" / MANIFEST).read_text())["parameters"]
    assert (params["lanes"], params["codec"], params["clock_period_ns"]) == (8, "tq1", 4.0)
    assert "tritpack verilog --lanes 8 --codec tq1 --ip ip8" in (
        tmp_path / "ip8" / "ternary_decoder.v").read_text()
    assert "-period 4.000 " in (tmp_path / "ip8" / "ternary_decoder.sdc").read_text()
    capsys.readouterr()
    assert main(argv) == 2
    assert "use --force" in capsys.readouterr().err
    assert main([*argv, "--force"]) == 0
    with pytest.raises(SystemExit) as exit_:  # -o and --ip exclude each other
        main(["verilog", "--ip", "x", "-o", "x.v"])
    assert exit_.value.code == 2 and not (tmp_path / "x").exists()
