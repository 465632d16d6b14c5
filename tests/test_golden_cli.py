"""`tritpack lut|encode|decode|bench`: help, round trips, one-line errors, no partial files."""

import os
import shlex
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npy_format

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
    packed = tmp_path / f"packed{suffix}"
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
    code, _, err = run(["decode", packed, "-o", out, "--codec", codec, "--block", block,
                        "--force"], capsys)
    assert code == 0, err
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
    (["encode", "{tmp}/missing.npy", "-o", "{tmp}/o.bin"],
     ["missing.npy: no such file; expected a file of trits"]),
    (["encode", "{tmp}/raw.bin", "-o", "{tmp}/o.bin"],
     ["raw.bin: packed bytes (raw); expected trits"]),
    (["encode", "{tmp}/str.npy", "-o", "{tmp}/o.bin"], ["str.npy", "not dtype <U1"]),
    (["encode", "{tmp}", "-o", "{tmp}/o.bin"], ["is a directory; expected a file of trits"]),
    (["encode", "{tmp}/nontern.npy", "-o", "{tmp}/o.bin"],
     ["input {tmp}/nontern.npy: value 2 at index (0, 1) is not a trit"]),
    (["encode", "{tmp}/empty.npy", "-o", "{tmp}/o.bin"], ["empty.npy: empty file (0 bytes)"]),
    (["encode", "{tmp}/huge.npy", "-o", "{tmp}/o.bin"],
     ["huge.npy: .npy header claims shape (100000000000,)", "the file holds 0 bytes"]),
    (["encode", "{tmp}/ok.npy", "-o", "{tmp}"], ["packed output {tmp}: it is a directory"]),
    (["encode", "{tmp}/ok.npy", "-o", ""], ["empty path for the packed output"]),
    (["encode", "{tmp}/ok.npy", "-o", "-"], ["cannot go to standard output"]),
    (["encode", "{tmp}/ok.npy", "-o", "{tmp}/o.npy", "--format", "raw"],
     ["--format raw writes raw bytes, not a .npy file"]),
    (["encode", "{tmp}/ok.npy", "-o", "{tmp}/raw.bin"], ["raw.bin exists; use --force"]),
    (["decode", "{tmp}/inv.bin", "-o", "{tmp}/ok.npy"], ["ok.npy exists; use --force"]),
    (["decode", "{tmp}/inv.bin", "-o", "{tmp}/o.bin"], ["expected a file name ending in .npy"]),
    (["decode", "{tmp}/inv.bin", "-o", "-"], ["cannot go to standard output"]),
    (["decode", "{tmp}/inv.bin", "-o", "{tmp}/nodir/o.npy"], ["does not exist"]),
    (["decode", "{tmp}/ok.npy", "-o", "{tmp}/o.npy"], ["ok.npy: .npy of int8; expected packed"]),
    (["decode", "{tmp}/empty.npy", "-o", "{tmp}/o.npy"], ["empty.npy: empty file (0 bytes)"]),
    (["lut", "-o", "{tmp}/raw.bin"], ["LUT file {tmp}/raw.bin exists; use --force"]),
    (["lut", "-o", "{tmp}/nodir/l.hex"], ["does not exist"]),
    (["lut", "-o", "{tmp}"], ["it is a directory"]),
    (["lut", "--format", "hex", "-o", "{tmp}/l.json"],
     ["the suffix .json is not that of --format hex; expected .hex or .mem"]),
    (["lut", "--format", "c", "-o", "{tmp}/l.hex"], ["expected .h (or another name)"]),
    (["bench", "golden", "-o", "{tmp}/raw.bin"], ["benchmark report {tmp}/raw.bin exists"]),
    (["bench", "golden", "-o", "{tmp}/nodir/P.md"], ["does not exist"]),
    (["encode", "{tmp}/ok.npy", "-o", "{tmp}/nodir/o.bin"], ["directory", "does not exist"]),
    (["encode", "{tmp}/ok.npy", "-o", "{tmp}/o.bin", "--codec", "tq9"],
     ["unknown codec 'tq9'", "standard, tq1"]),
    (["decode", "{tmp}/raw.bin", "-o", "{tmp}/o.npy"],
     ["raw.bin: 3 bytes is not a whole number of 64-byte blocks"]),
    (["decode", "{tmp}/ones_tq1.bin", "-o", "{tmp}/o.npy"],
     ["invalid code 0xff at byte offset 0 for codec 'standard'; packed with codec tq1? try "
      "--codec tq1"]),
    (["decode", "{tmp}/ones_tq1.bin", "-o", "{tmp}/o.npy", "--shape", "10", "--on-invalid",
      "zero"], ["padding trit", "packed with codec tq1? try --codec tq1"]),
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
    (["decode", "{tmp}/two_d.npy", "-o", "{tmp}/o.npy"],
     ["uint8 .npy of shape (2, 32); expected packed bytes, 1-D or (n, 64) lines"]),
    (["decode", "{tmp}/floats.npy", "-o", "{tmp}/o.npy"],
     [".npy of float64; expected packed bytes"]),
    (["lut", "--codec", "{tmp}/dup.json"], ["dup.json: table[9] (code 0x09)", "same tuple"]),
    (["lut", "--codec", "tq1", "--format", "xml"], ["invalid choice: 'xml'"]),
    (["lut", "--codec", "{tmp}"], ["--codec {tmp}: is a directory; expected a LUT file"]),
    (["lut", "--codec", "{tmp}/missing.json"],
     ["--codec {tmp}/missing.json: no such file; expected a LUT file"]),
    (["encode", "{tmp}/ok.npy", "-o", "{tmp}/o.bin", "--codec", "{tmp}/missing.hex"],
     ["--codec {tmp}/missing.hex: no such file"]),
    (["lut", "--codec", "{tmp}/mine.json", "--format", "json", "-o", "{tmp}/mine.json",
      "--force"], ["LUT file {tmp}/mine.json is also the input"]),
    (["bench", "nothing"], ["invalid choice: 'nothing'"]),
])
def test_errors_are_one_line_with_status_2(argv, fragments, tmp_path, capsys):
    np.save(tmp_path / "ok.npy", np.zeros(5, np.int8))
    np.save(tmp_path / "nontern.npy", np.array([[0, 2], [1, 0]]))
    (tmp_path / "empty.npy").write_bytes(b"")
    with open(tmp_path / "huge.npy", "wb") as f:
        npy_format.write_array_header_1_0(
            f, {"descr": "<f8", "fortran_order": False, "shape": (10**11,)})
    golden.pack(np.ones(10, np.int8), "tq1").data.tofile(tmp_path / "ones_tq1.bin")
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
    (tmp_path / "mine.json").write_text(lut_io.to_json("tq1"))
    before = set(os.listdir(tmp_path))
    with pytest.raises(SystemExit) if "invalid choice" in fragments[0] else _nullcontext():
        code, _, err = run([a.format(tmp=tmp_path) for a in argv], capsys)
        fragments = [f.format(tmp=tmp_path) for f in fragments]
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
    assert code == 0 and "1 invalid code decoded as zeros (first at byte offset 1)" in err
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


def test_bench_writes_only_where_o_says(tmp_path, capsys, monkeypatch):
    # Without -o the report goes to standard output: no docs/ next to the code or here.
    targets = {"golden": fake_target("golden", "tritpack.golden.bench:run_golden_bench")}
    monkeypatch.setattr(commands, "_bench_targets", lambda: targets)
    monkeypatch.chdir(tmp_path)
    docs = Path(golden.__file__).resolve().parents[1] / "docs" / "PERFORMANCE.md"
    before = docs.stat().st_mtime_ns if docs.exists() else None
    code, out, err = run(["bench", "all", "--quick"], capsys)
    assert code == 0, err
    assert out.startswith("# tritpack performance") and "## golden: codec throughput" in out
    assert "`tritpack bench all --quick`" in out
    assert list(tmp_path.iterdir()) == []
    assert (docs.stat().st_mtime_ns if docs.exists() else None) == before
    assert not hasattr(commands, "default_performance_path")
    report = tmp_path / "P.md"
    report.write_text("old")
    code, _, err = run(["bench", "all", "--quick", "-o", report], capsys)
    assert code == 2 and "exists; use --force" in err and report.read_text() == "old"
    code, _, err = run(["bench", "all", "--quick", "-o", report, "--force"], capsys)
    assert code == 0 and report.read_text().startswith("# tritpack performance")


def test_force_replaces_an_output(weights, tmp_path, capsys):
    src, trits = weights
    for argv, out in ((["lut", "--codec", "tq1", "-o"], tmp_path / "l.hex"),
                      (["encode", src, "-o"], tmp_path / "p.bin")):
        out.write_bytes(b"old")
        code, _, err = run(argv + [out], capsys)
        assert code == 2 and "exists; use --force" in err and out.read_bytes() == b"old"
        assert run(argv + [out, "--force"], capsys)[0] == 0 and out.read_bytes() != b"old"
    out = tmp_path / "back.npy"
    out.write_bytes(b"old")
    assert run(["decode", tmp_path / "p.bin", "-o", out, "--force"], capsys)[0] == 0
    assert np.load(out)[: trits.size].tolist() == trits.ravel().tolist()


@pytest.mark.parametrize("codec", ["tq1", "lutfile"])
@pytest.mark.parametrize("block", [320, 640])
def test_encode_prints_a_complete_restore_command(weights, tmp_path, capsys, monkeypatch,
                                                  codec, block):
    src, trits = weights
    monkeypatch.chdir(tmp_path)
    if codec == "lutfile":
        std = golden.get_lut("standard")
        perm = np.random.default_rng(2).permutation(256)
        custom = golden.Lut.from_table(std.trits[perm], std.valid[perm], name="mine")
        (tmp_path / "my lut.json").write_text(lut_io.to_json(custom))
        codec = "my lut.json"
    code, _, err = run(["encode", src, "-o", "packed w.bin", "--codec", codec, "--block",
                        block], capsys)
    assert code == 0, err
    hint = err.split("restore with: ", 1)[1].strip()
    argv = shlex.split(hint)
    assert argv[:2] == ["tritpack", "decode"] and "--codec" in argv and "--block" in argv
    argv[argv.index("OUT.npy")] = "back.npy"
    code, _, err = run(argv[1:], capsys)
    assert code == 0, err
    assert np.array_equal(np.load("back.npy"), trits)


def test_text_and_tensor_inputs_encode(tmp_path, capsys):
    trits = np.random.default_rng(5).integers(-1, 2, 333).astype(np.int8)
    (tmp_path / "t.txt").write_text("# my trits\n" + ",".join(map(str, trits)) + "\n")
    assert run(["encode", tmp_path / "t.txt", "-o", tmp_path / "a.bin"], capsys)[0] == 0
    assert np.array_equal(np.fromfile(tmp_path / "a.bin", np.uint8), golden.pack(trits).data)
    st = pytest.importorskip("safetensors.numpy")
    st.save_file({"w": trits.reshape(9, 37)}, str(tmp_path / "m.safetensors"))
    code, _, err = run(["encode", f"{tmp_path}/m.safetensors:w", "-o", tmp_path / "b.bin"],
                       capsys)
    assert code == 0 and "--shape 9,37" in err
    assert (tmp_path / "b.bin").read_bytes() == (tmp_path / "a.bin").read_bytes()


def test_decode_checks_memory_before_allocating(tmp_path, capsys, monkeypatch):
    from tritpack.golden import inputs

    (tmp_path / "p.bin").write_bytes(bytes(64 * 1000))
    monkeypatch.setattr(inputs, "available_memory", lambda: 300_000)
    code, _, err = run(["decode", tmp_path / "p.bin", "-o", tmp_path / "o.npy"], capsys)
    assert_one_line_error(code, err, "decoding", "p.bin (64000 bytes) needs 625.0 KiB of "
                          "memory, but 293.0 KiB is available")
    assert not (tmp_path / "o.npy").exists()


def test_output_that_is_the_input_is_refused(tmp_path):
    # encode t.npy -o t.npy --force would replace the input before reading it.
    src = tmp_path / "t.npy"
    np.save(src, np.array([1, 0, -1], np.int8))
    before = src.read_bytes()
    r = subprocess.run([*TRITPACK, "encode", str(src), "-o", str(src), "--force"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "is also the input" in r.stderr
    assert src.read_bytes() == before


def test_counts_are_worded_in_the_singular(tmp_path, capsys):
    np.save(tmp_path / "t.npy", np.array([1, 0, -1], np.int8))
    code, _, err = run(["encode", tmp_path / "t.npy", "-o", tmp_path / "t.bin"], capsys)
    assert code == 0 and "-> 1 block of 320 trits = 64 bytes" in err, err
    code, _, err = run(["decode", tmp_path / "t.bin", "-o", tmp_path / "t.npy", "--force"],
                       capsys)
    assert code == 0 and "1 block -> 320 trits" in err, err


def test_decode_of_a_container_tensor(tmp_path, capsys):
    # decode FILE:NAME takes a container's ternary tensor (its codec, block and shape are
    # in the container); the bare container names its tensors, not their internal scales
    pytest.importorskip("safetensors")
    trits = np.random.default_rng(1).integers(-1, 2, (3, 400)).astype(np.int8)
    np.save(tmp_path / "w.npy", trits)
    p = tmp_path / "p.safetensors"
    assert run(["pack", tmp_path / "w.npy", "-o", p, "--tensors", "*", "--codec", "tq1"],
               capsys)[0] == 0
    code, _, err = run(["decode", p, "-o", tmp_path / "o.npy"], capsys)
    assert_one_line_error(code, err, f"{p}: is a tritpack container", f"{p}:NAME (it holds w)")
    assert ":scale" not in err
    code, _, err = run(["decode", f"{p}:w", "-o", tmp_path / "o.npy"], capsys)
    assert code == 0, err
    assert np.array_equal(np.load(tmp_path / "o.npy"), trits)
    code, _, err = run(["decode", f"{p}:w", "-o", tmp_path / "o2.npy", "--shape", "5"], capsys)
    assert_one_line_error(code, err, "--shape 5", "(3, 400)")
    code, _, err = run(["decode", f"{p}:nope", "-o", tmp_path / "o2.npy"], capsys)
    assert_one_line_error(code, err, "nope")
    assert not (tmp_path / "o2.npy").exists()


def test_bench_timers_are_public():
    # golden.onnx.bench times with these too: public names, one definition
    from tritpack.golden import bench

    calls = []
    assert bench.best_time(lambda: calls.append(1), 3) >= 0 and len(calls) == 4  # + warm-up
    assert bench.memcpy_time(np.zeros(1000, np.int8), 2) >= 0
    assert {"best_time", "memcpy_time"} <= set(bench.__all__)


def test_bench_targets_get_the_report_directory(tmp_path, monkeypatch):
    # A target writes the files its section links (plots) beside the report.
    seen = {}

    def target(quick, outdir=None):
        seen["outdir"] = outdir
        return "## fake\n"

    mod = type(sys)("_tritpack_fake_bench")
    mod.run = target
    monkeypatch.setitem(sys.modules, "_tritpack_fake_bench", mod)
    monkeypatch.setattr(commands, "_bench_targets",
                        lambda: {"fake": fake_target("fake", "_tritpack_fake_bench:run")})
    assert main(["bench", "fake", "-o", str(tmp_path / "PERF.md")]) == 0
    assert seen["outdir"] == tmp_path
    assert main(["bench", "fake"]) == 0 and seen["outdir"] is None


def _sim_target(quick, outdir=None, sim=None):
    return f"## simmy\n\nran on {sim}\n"


def test_bench_sim_reaches_only_the_targets_that_take_it(capsys, monkeypatch):
    targets = {
        "golden": fake_target("golden", "tritpack.golden.bench:run_golden_bench"),
        "simmy": fake_target("simmy", f"{__name__}:_sim_target"),
    }
    monkeypatch.setattr(commands, "_bench_targets", lambda: targets)
    code, out, err = run(["bench", "simmy", "--sim", "verilator"], capsys)
    assert code == 0 and "ran on verilator" in out, err
    code, out, err = run(["bench", "golden", "--quick", "--sim", "verilator"], capsys)
    assert code == 0 and "_Not run: it takes no --sim._" in out and "Gtrit/s" not in out
