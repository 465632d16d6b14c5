"""`tritpack lut|encode|decode|bench`: help, round trips, one-line errors, no partial files."""

import os
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import numpy as np
import pytest

from tritpack import golden
from tritpack.cli import main
from tritpack.golden import commands, lut_io

TRITPACK = [sys.executable, "-m", "tritpack.cli"]


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *fragments):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tritpack"), err
    assert "Traceback" not in err
    for f in fragments:
        assert f in lines[0], (f, lines[0])


@pytest.mark.parametrize("command, words", [
    ("lut", ["--codec", "--format", "$readmemh", "hex", "json", "-o"]),
    ("encode", ["--codec", "--block", "320", "640", "-o", "--format"]),
    ("decode", ["--codec", "--block", "--shape", "--on-invalid", "-o"]),
    ("bench", ["--quick", "all", "golden", "PERFORMANCE.md"]),
])
def test_help(command, words):
    res = subprocess.run(TRITPACK + [command, "--help"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    for w in words:
        assert w in res.stdout, (command, w)


def test_console_script_usage_error_is_one_line():
    res = subprocess.run(TRITPACK + ["encode", "x.npy"], capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "-o/--output" in res.stderr


@pytest.fixture
def weights(tmp_path):
    trits = np.random.default_rng(4).integers(-1, 2, (7, 97)).astype(np.int8)
    path = tmp_path / "w.npy"
    np.save(path, trits)
    return path, trits


@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
@pytest.mark.parametrize("block", [320, 640])
@pytest.mark.parametrize("suffix", [".bin", ".npy"])
def test_encode_decode_roundtrip(weights, tmp_path, capsys, codec, block, suffix):
    src, trits = weights
    packed = tmp_path / f"w{suffix}"
    code, _, err = run(["encode", src, "-o", packed, "--codec", codec, "--block", block], capsys)
    assert code == 0, err
    assert "--shape 7,97" in err
    data = np.load(packed) if suffix == ".npy" else np.fromfile(packed, dtype=np.uint8)
    assert np.array_equal(data, golden.pack(trits, codec, block).data)
    out = tmp_path / "back.npy"
    code, _, err = run(["decode", packed, "-o", out, "--codec", codec, "--block", block,
                        "--shape", "7,97"], capsys)
    assert code == 0, err
    back = np.load(out)
    assert back.dtype == np.int8 and np.array_equal(back, trits)
    code, _, _ = run(["decode", packed, "-o", out, "--codec", codec, "--block", block], capsys)
    flat = np.load(out)
    assert flat.size == data.size * 5 and np.array_equal(flat[: trits.size], trits.ravel())


def test_custom_lut_file_roundtrip(weights, tmp_path, capsys):
    src, trits = weights
    std = golden.get_lut("standard")
    perm = np.random.default_rng(9).permutation(256)
    custom = golden.Lut.from_table(std.trits[perm], std.valid[perm], name="mine")
    lut_file = tmp_path / "mine.json"
    lut_file.write_text(lut_io.to_json(custom))
    hex_file = tmp_path / "mine.hex"
    assert run(["lut", "--codec", lut_file, "--format", "hex", "-o", hex_file], capsys)[0] == 0
    assert lut_io.parse_lut_hex(hex_file.read_text()).codes.tolist() == custom.codes.tolist()
    packed = tmp_path / "w.bin"
    assert run(["encode", src, "-o", packed, "--codec", hex_file], capsys)[0] == 0
    assert np.array_equal(np.fromfile(packed, np.uint8), golden.pack(trits, custom).data)
    out = tmp_path / "back.npy"
    assert run(["decode", packed, "-o", out, "--codec", lut_file, "--shape", "7x97"],
               capsys)[0] == 0
    assert np.array_equal(np.load(out), trits)


@pytest.mark.parametrize("fmt", ["hex", "valid", "json", "c"])
def test_lut_formats_to_stdout_and_file(fmt, tmp_path, capsys):
    code, out, _ = run(["lut", "--codec", "tq1", "--format", fmt], capsys)
    assert code == 0 and out == lut_io.export_lut("tq1", fmt)
    path = tmp_path / f"lut.{fmt}"
    assert run(["lut", "--codec", "tq1", "--format", fmt, "-o", path], capsys)[0] == 0
    assert path.read_text() == out


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_failed_encode_leaves_no_file_and_keeps_an_old_one(tmp_path, capsys):
    bad = tmp_path / "bad.npy"
    np.save(bad, np.array([[0, 1, 0], [1, 0, 2]], dtype=np.int8))
    out = tmp_path / "out.bin"
    code, _, err = run(["encode", bad, "-o", out], capsys)
    assert_one_line_error(code, err, "value 2 at index (1, 2)", "expected -1, 0 or 1")
    assert not out.exists() and leftovers(tmp_path) == []
    out.write_bytes(b"old")
    code, _, err = run(["encode", bad, "-o", out], capsys)
    assert code == 2 and out.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_write_is_atomic_on_failure_mid_write(tmp_path, monkeypatch):
    from tritpack.golden.fileio import atomic_output

    out = tmp_path / "x.bin"
    with pytest.raises(RuntimeError), atomic_output(out) as f:
        f.write(b"partial")
        raise RuntimeError("disk full")
    assert not out.exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("argv, fragments", [
    (["encode", "{tmp}/missing.npy", "-o", "{tmp}/o.bin"], ["No such file", "missing.npy"]),
    (["encode", "{tmp}/raw.bin", "-o", "{tmp}/o.bin"], ["raw.bin: not a .npy file"]),
    (["encode", "{tmp}/str.npy", "-o", "{tmp}/o.bin"], ["not dtype <U1"]),
    (["encode", "{tmp}/ok.npy", "-o", "{tmp}/nodir/o.bin"], ["directory", "does not exist"]),
    (["encode", "{tmp}/ok.npy", "-o", "{tmp}/o.bin", "--codec", "tq9"],
     ["unknown codec 'tq9'", "standard, tq1"]),
    (["decode", "{tmp}/raw.bin", "-o", "{tmp}/o.npy"],
     ["raw.bin: 3 bytes is not a whole number of 64-byte blocks"]),
    (["decode", "{tmp}/inv.bin", "-o", "{tmp}/o.npy"],
     ["invalid code 0xfa at byte offset 1", "--on-invalid zero"]),
    (["decode", "{tmp}/inv.bin", "-o", "{tmp}/o.npy", "--shape", "1000"],
     ["--shape 1000 holds 1000 trits = 4 block(s)", "has 1"]),
    (["decode", "{tmp}/inv.bin", "-o", "{tmp}/o.npy", "--shape", "a,b"],
     ["--shape 'a,b': expected non-negative integers"]),
    (["decode", "{tmp}/tq1inv.bin", "-o", "{tmp}/o.npy", "--shape", "3", "--codec", "tq1"],
     ["invalid code 0x01 at byte offset 1"]),
    (["decode", "{tmp}/nz.bin", "-o", "{tmp}/o.npy", "--shape", "3"],
     ["padding trit 5 (byte offset 1) is 1, expected 0"]),
    (["decode", "{tmp}/two_d.npy", "-o", "{tmp}/o.npy"], ["shape (2, 32); expected a 1-D"]),
    (["decode", "{tmp}/floats.npy", "-o", "{tmp}/o.npy"], ["not dtype float64"]),
    (["lut", "--codec", "{tmp}/dup.json"], ["dup.json: table[9] (code 0x09)", "same tuple"]),
    (["lut", "--codec", "tq1", "--format", "xml"], ["invalid choice: 'xml'"]),
    (["bench", "nothing"], ["invalid choice: 'nothing'"]),
])
def test_errors_are_one_line_with_status_2(argv, fragments, tmp_path, capsys):
    np.save(tmp_path / "ok.npy", np.zeros(5, np.int8))
    np.save(tmp_path / "str.npy", np.array(["1"]))
    (tmp_path / "raw.bin").write_bytes(b"abc")
    (tmp_path / "inv.bin").write_bytes(bytes([0, 0xFA]) + bytes(62))
    (tmp_path / "tq1inv.bin").write_bytes(bytes([0x80, 0x01]) + bytes([0x80]) * 62)
    (tmp_path / "nz.bin").write_bytes(bytes([0, 1]) + bytes(62))
    np.save(tmp_path / "two_d.npy", np.zeros((2, 32), np.uint8))
    np.save(tmp_path / "floats.npy", np.zeros(64))
    table = lut_io.to_json("standard").splitlines()
    table[7 + 9] = table[7 + 4]  # code 9 decodes to the tuple of code 4
    (tmp_path / "dup.json").write_text("\n".join(table))
    before = set(os.listdir(tmp_path))
    with pytest.raises(SystemExit) if "invalid choice" in fragments[0] else _nullcontext():
        code, _, err = run([a.format(tmp=tmp_path) for a in argv], capsys)
        assert_one_line_error(code, err, *fragments)
    if "invalid choice" in fragments[0]:
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and fragments[0] in err
    assert set(os.listdir(tmp_path)) == before  # nothing written, no temp file left


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_decode_on_invalid_zero(tmp_path, capsys):
    (tmp_path / "inv.bin").write_bytes(bytes([0x79, 0xFA]) + bytes(62))
    out = tmp_path / "o.npy"
    code, _, err = run(["decode", tmp_path / "inv.bin", "-o", out, "--on-invalid", "zero",
                        "--shape", "10"], capsys)
    assert code == 0 and "1 invalid codes decoded as zeros (first at byte offset 1)" in err
    assert np.load(out).tolist() == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]


# ------------------------------------------------------------------ bench

def test_bench_golden_quick(capsys):
    code, out, err = run(["bench", "golden", "--quick"], capsys)
    assert code == 0, err
    assert out.startswith("## golden") and "Gtrit/s" in out and "memcpy" in out
    assert "gguf" in out and "TQ1_0" in out  # the software peer, measured in the same run
    assert "[bench golden]" in err


def fake_target(name, value):
    return EntryPoint(name=name, value=value, group="tritpack.bench")


def test_bench_all_reports_missing_and_failing_targets(tmp_path, capsys, monkeypatch):
    targets = {
        "golden": fake_target("golden", "tritpack.golden.bench:run_golden_bench"),
        "gone": fake_target("gone", "no_such_module_xyz:run"),
        "boom": fake_target("boom", "tritpack.golden.codec:as_codes"),  # raises TypeError on a bool
    }
    monkeypatch.setattr(commands, "_bench_targets", lambda: targets)
    report = tmp_path / "PERF.md"
    code, _, err = run(["bench", "all", "--quick", "-o", report], capsys)
    assert code == 1  # one target failed; the report was still written
    text = report.read_text()
    assert text.startswith("# tritpack performance")
    assert f"`tritpack bench all --quick -o {report}`" in text
    for label in ("| CPU |", "| cores |", "| RAM |", "| Python |", "| numpy |"):
        assert label in text
    assert "## golden: codec throughput" in text
    assert "## gone" in text and "Not run" in text and "no_such_module_xyz" in text
    assert "## boom" in text and "Failed: TypeError" in text
    assert "bench target boom failed" in err and leftovers(tmp_path) == []


def test_bench_all_default_path_is_the_repo_docs():
    assert commands.default_performance_path() == (
        Path(golden.__file__).resolve().parents[1] / "docs" / "PERFORMANCE.md")
