"""Golden vectors (issue 5): file formats, manifest, verify, determinism, bad input.

The simulations of the generated testbench are in ``test_vectors_sim.py``.
Expected file contents are computed here by hand from the golden model
(``int.from_bytes`` and explicit bit shifts), not by the formatter under test.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.lib import format as npy_format

from tritpack import golden
from tritpack.cli import main
from tritpack.golden import lut_io, vectors
from tritpack.golden.inputs import input_info, load_packed_lines


def _spec(**kw):
    base = dict(lines=6, seed=7, lanes=8, codec="standard", invalid_rate=0.02)
    base.update(kw)
    return vectors.VectorSpec(**base)


def _rows(data: bytes) -> list[str]:
    return data.decode("ascii").splitlines()


def _transfer_hex(trits, lanes: int) -> str:
    value = 0
    for k, t in enumerate(trits):
        value |= (int(t) & 3) << (2 * k)  # +1 -> 01, 0 -> 00, -1 -> 11
    return f"{value:0{-(-10 * lanes // 4)}x}"


@pytest.mark.parametrize("lanes,codec", [(64, "standard"), (8, "tq1"), (1, "standard")])
def test_file_formats_by_hand(lanes, codec):
    vec = vectors.build(_spec(lanes=lanes, codec=codec))
    lines = vec.lines
    per_line = 64 // lanes
    in_rows = _rows(vec.files["input.hex"])
    assert len(in_rows) == 6
    for i, row in enumerate(in_rows):
        assert row == f"{int.from_bytes(bytes(lines[i]), 'little'):0128x}"
    assert vec.files["input.bin"] == bytes(lines.reshape(-1))
    lut = golden.get_lut(codec)
    exp_rows = _rows(vec.files["expected.hex"])
    flag_rows = _rows(vec.files["expected_flags.hex"])
    last_rows = _rows(vec.files["input_flags.hex"])
    assert len(exp_rows) == len(flag_rows) == 6 * per_line
    for n, row in enumerate(exp_rows):
        line, beat = divmod(n, per_line)
        codes = lines[line, beat * lanes:(beat + 1) * lanes]
        trits = np.concatenate([lut.trits[c] for c in codes])
        assert row == _transfer_hex(trits, lanes)
        tuser = not all(lut.valid[c] for c in codes)
        tlast = beat == per_line - 1 and int(last_rows[line], 16) & 1
        assert int(flag_rows[n], 16) == (2 if tlast else 0) | (1 if tuser else 0)
    for i, row in enumerate(last_rows):
        assert (int(row, 16) >> 1) == int(not lut.valid[lines[i]].all())
    assert int(last_rows[-1], 16) & 1, "the last line always carries tlast"
    assert vec.counts["invalid_bytes"] == round(0.02 * 6 * 64)
    assert int(np.count_nonzero(~lut.valid[lines])) == vec.counts["invalid_bytes"]


def test_lut_hex_rows():
    rows = [r.split("//")[0].strip() for r in _rows(vectors.lut_hex("standard"))]
    rows = [r for r in rows if r]
    assert len(rows) == 256
    # code 5 = 2 + 3*1: trits (-1, +1, 0, 0, 0) -> bits 0b00_00_00_01_11
    assert int(rows[5], 16) == 0b0000000111
    assert int(rows[250], 16) == 0  # invalid: zero trits


def test_weights_distribution_has_more_zeros():
    trits = vectors.build(_spec(lines=200, invalid_rate=0, distribution="weights")).trits
    zeros = np.mean(trits == 0)
    assert 0.45 < zeros < 0.55
    uni = vectors.build(_spec(lines=200, invalid_rate=0)).trits
    assert 0.30 < np.mean(uni == 0) < 0.37


def test_input_file_npy_and_text(tmp_path):
    rng = np.random.default_rng(0)
    trits = rng.integers(-1, 2, size=(7, 100)).astype(np.int8)  # 700 trits -> 3 lines
    np.save(tmp_path / "w.npy", trits)
    (tmp_path / "w.txt").write_text(
        "# weights\n" + "\n".join(", ".join(map(str, r)) for r in trits.tolist()) + "\n")
    for name in ("w.npy", "w.txt"):
        t = load_packed_lines(tmp_path / name, codec=golden.get_lut("standard"))
        info = input_info(tmp_path / name)
        vec = vectors.build(_spec(lines=None, invalid_rate=0), t, info)
        assert vec.spec.lines == 3
        flat = vec.trits.reshape(-1)
        assert np.array_equal(flat[:700], trits.reshape(-1))
        assert not flat[700:].any()
        assert vec.line_last.tolist() == [False, False, True]
    first = vectors.build(_spec(lines=2, invalid_rate=0), t, info)
    assert np.array_equal(first.lines, vec.lines[:2])
    assert first.line_last.tolist() == [False, True]


def _generate(tmp_path, name="v", *extra):
    out = tmp_path / name
    argv = ["vectors", "--lines", "20", "--seed", "5", "--lanes", "8",
            "--invalid-rate", "0.02", "-o", str(out), *extra]
    assert main(argv) == 0
    return out


def test_verify_ok_edited_and_missing(tmp_path, capsys):
    out = _generate(tmp_path)
    assert main(["vectors", "verify", str(out)]) == 0
    # Edit one digit of expected.hex.
    rows = (out / "expected.hex").read_text().splitlines()
    rows[13] = rows[13][:-1] + ("1" if rows[13][-1] != "1" else "2")
    (out / "expected.hex").write_text("\n".join(rows) + "\n")
    capsys.readouterr()
    assert main(["vectors", "verify", str(out)]) == 1
    err = capsys.readouterr().err
    assert "expected.hex: edited" in err
    assert "expected.hex: row 13 (transfer 13) differs" in err
    # A missing file is named.
    (out / "lut.hex").unlink()
    assert main(["vectors", "verify", str(out)]) == 1
    assert "lut.hex: missing" in capsys.readouterr().err


def _flip_text(data: bytes, row: int, mask: int) -> bytes:
    rows = data.decode("ascii").splitlines()
    rows[row] = rows[row][:-1] + f"{int(rows[row][-1], 16) ^ mask:x}"
    return ("\n".join(rows) + "\n").encode("ascii")


def _flip_npy(data: bytes) -> bytes:
    import io

    arr = np.load(io.BytesIO(data))
    arr[9, 2] = -arr[9, 2] if arr[9, 2] else 1
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _flip_bin(data: bytes) -> bytes:
    out = bytearray(data)
    out[70] ^= 0x01
    return bytes(out)


@pytest.mark.parametrize("name,edit,problem", [
    ("input.bin", _flip_bin, "input.bin: line 1 differs from input.hex"),
    ("expected.hex", lambda d: _flip_text(d, 21, 1),
     "expected.hex: row 21 (transfer 21) differs from the golden model"),
    ("expected_flags.hex", lambda d: _flip_text(d, 17, 1),
     "expected_flags.hex: row 17 (transfer 17) differs from the golden tuser"),
    ("input_flags.hex", lambda d: _flip_text(d, 4, 2),
     "input_flags.hex: row 4: invalid-code bit differs"),
    ("expected_trits.npy", _flip_npy, "expected_trits.npy: row 9 differs"),
])
def test_verify_catches_consistent_rewrite(tmp_path, name, edit, problem):
    """An edit with a matching hash in the manifest is still caught by the golden check."""
    import hashlib

    out = _generate(tmp_path)
    data = edit((out / name).read_bytes())
    (out / name).write_bytes(data)
    doc = json.loads((out / "manifest.json").read_text())
    doc["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (out / "manifest.json").write_text(json.dumps(doc))
    problems = vectors.verify(out)
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_deterministic(tmp_path):
    a = _generate(tmp_path, "a")
    b = _generate(tmp_path, "b")
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert "ternary_decoder.v" in names and "tb_ternary_decoder.v" in names
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    doc = json.loads((a / "manifest.json").read_text())
    assert set(doc["files"]) == set(names) - {"manifest.json"}
    assert doc["parameters"]["seed"] == 5 and doc["format_version"] == 1
    c = _generate(tmp_path, "c", "--codec", "tq1")
    assert (a / "input.hex").read_bytes() != (c / "input.hex").read_bytes()


def test_force_and_refusal(tmp_path, capsys):
    out = _generate(tmp_path)
    before = (out / "manifest.json").read_bytes()
    assert main(["vectors", "--lines", "3", "-o", str(out)]) == 2
    assert "not empty; use --force" in capsys.readouterr().err
    assert (out / "manifest.json").read_bytes() == before
    assert main(["vectors", "--lines", "3", "-o", str(out), "--force"]) == 0
    assert json.loads((out / "manifest.json").read_text())["counts"]["lines"] == 3
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    assert main(["vectors", "--lines", "3", "-o", str(other), "--force"]) == 2
    assert "holds no manifest.json" in capsys.readouterr().err
    assert (other / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "v"]  # no temp left


def test_failure_mid_stream_leaves_nothing(tmp_path, monkeypatch):
    from tritpack.golden.vectors import hexfmt

    calls = []
    real = hexfmt.hex_transfers

    def flaky(trits):
        calls.append(len(trits))
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(trits)

    monkeypatch.setattr(hexfmt, "hex_transfers", flaky)
    with pytest.raises(OSError, match="No space left"):
        vectors.write_directory(tmp_path / "out", _spec(lines=50), chunk_lines=8)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv,message", [
    (["--lines", "4", "--lanes", "3"], "argument --lanes: invalid choice: 3"),
    (["--lines", "0"], "--lines must be a positive integer, not 0"),
    (["--lines", "-3"], "--lines must be a positive integer, not -3"),
    (["--lines", "4", "--invalid-rate", "1.5"], "--invalid-rate must be a number in [0, 1]"),
    (["--lines", "4", "--invalid-rate", "2"], "--invalid-rate must be a number in [0, 1], not 2.0"),
    (["--lines", "4", "--invalid-rate", "-0.1"], "--invalid-rate must be"),
    (["--lines", "4", "--invalid-rate", "nan"], "--invalid-rate must be"),
    (["--lines", "1", "--invalid-rate", "0.001"], "gives no invalid code"),
    (["--lines", "4", "--codec", "foo"], "unknown codec"),
    (["--lines", "4", "--seed", "-1"], "--seed must be an integer in 0..4294967295, not -1"),
    (["--lines", "4", "--lut", "lut.hex"], "unrecognized argument --lut"),
    (["--lines", "4", "lut.hex"], "unrecognized argument lut.hex"),
    (["--lines", "4", "--lanes", "x"], "invalid int value"),
    (["--seed", "3"], "--lines N is required"),
    (["--lines", "4", "--input", "{tiny}", "--invalid-rate", "0.001"], "input file tiny.txt"),
    (["--input", "{tiny}", "--lines", "2"], "packs into 1 line(s), fewer than the 2"),
    (["--input", "{bad}"], "bad.txt:2: '2' is not a trit"),
    (["--input", "{tiny}", "--distribution", "weights"], "--distribution applies to random"),
    (["--input", "{missing}"], "--input {missing}: no such file; expected a file of"),
    (["--input", "{empty}"], "--input {empty}: empty file (0 bytes)"),
    (["--input", "{tmp}"], "--input {tmp}: is a directory"),
    (["--input", "{huge}"], ".npy header claims shape (100000000000,) of float64"),
    (["--input", "{short}"], "short.bin: 10 bytes is not a whole number of 64-byte lines"),
    (["--input", "{nodata}"], "nodata.npy: .npy array of shape (0,) holds no values"),
    (["--lines", "4", "--codec", "{bad}"], "bad.txt line 1 (code 0x00)"),
    (["--lines", "4", "--codec", "{lut}", "--impl", "arith"], "--impl arith --codec"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_parameters_exit_2(tmp_path, capsys, argv, message):
    (tmp_path / "tiny.txt").write_text("1 0 -1\n")
    (tmp_path / "bad.txt").write_text("1 0\n2\n")
    (tmp_path / "empty.npy").write_bytes(b"")
    (tmp_path / "short.bin").write_bytes(bytes(10))
    np.save(tmp_path / "nodata.npy", np.zeros(0, np.int8))
    (tmp_path / "lut.json").write_text(lut_io.to_json(_custom_lut()))
    with open(tmp_path / "huge.npy", "wb") as f:
        npy_format.write_array_header_1_0(
            f, {"descr": "<f8", "fortran_order": False, "shape": (10**11,)})
    paths = {"tiny": tmp_path / "tiny.txt", "bad": tmp_path / "bad.txt",
             "missing": tmp_path / "nope.npy", "empty": tmp_path / "empty.npy",
             "huge": tmp_path / "huge.npy", "short": tmp_path / "short.bin",
             "nodata": tmp_path / "nodata.npy", "lut": tmp_path / "lut.json", "tmp": tmp_path}
    argv = [a.format(**paths) for a in argv]
    message = message.format(**paths)
    out = tmp_path / "out"
    assert _status(["vectors", *argv, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1, err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(  # nothing else written
        ["tiny.txt", "bad.txt", "empty.npy", "short.bin", "nodata.npy", "lut.json",
         "huge.npy"])


def _status(argv) -> int:
    """Exit status of the CLI, whether argparse exits or ``main`` returns."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def test_verify_with_generate_options_is_refused(tmp_path, capsys):
    assert _status(["vectors", "--lines", "3", "verify", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "takes no generate options (--lines)" in err and len(err.splitlines()) == 1, err


@pytest.mark.parametrize("argv, message", [
    ([], "tritpack vectors verify: error: the following arguments are required: DIR"),
    (["a", "b"], "tritpack vectors verify: error: unrecognized arguments: b"),
    (["a", "--lines", "3"], "tritpack vectors verify: error: unrecognized arguments: --lines"),
])
def test_verify_usage_errors_are_one_line(capsys, argv, message):
    assert _status(["vectors", "verify", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and len(err.splitlines()) == 1, err


def test_verify_of_a_directory_without_manifest(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    assert _status(["vectors", "verify", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'd'}: not a vectors directory (no manifest.json)" in err
    assert len(err.splitlines()) == 1, err
    assert _status(["vectors", "verify", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'nope'}: no such directory" in err and len(err.splitlines()) == 1


def test_output_checked_once(tmp_path, monkeypatch):
    # the output directory and the disk space are checked in one place (write_directory)
    import importlib

    import tritpack.hw.vectors.commands as vcmd

    build = importlib.import_module("tritpack.golden.vectors.build")
    calls = []

    def counted(name, f):
        return lambda *a, **k: calls.append(name) or f(*a, **k)

    dir_check = counted("dir", build.check_output_dir)
    space_check = counted("space", build.check_space)
    for module in (build, vcmd):
        monkeypatch.setattr(module, "check_output_dir", dir_check, raising=False)
    for module in (build, vectors):
        monkeypatch.setattr(module, "check_space", space_check)
    assert main(["vectors", "--lines", "2", "--lanes", "8", "-o", str(tmp_path / "v")]) == 0
    assert sorted(calls) == ["dir", "space"]


# --------------------------------------------------------------- streaming, inputs, policy

def test_streamed_in_chunks_equals_in_memory(tmp_path):
    spec = _spec(lines=50, lanes=8, invalid_rate=0.02, distribution="weights")
    written = vectors.write_directory(tmp_path / "v", spec, chunk_lines=7)
    vec = vectors.build(spec)
    for name in vectors.DATA_FILES:
        assert (tmp_path / "v" / name).read_bytes() == vec.files[name], name
    assert written.counts == vec.counts
    assert written.counts["invalid_bytes"] == round(0.02 * 50 * 64)
    assert vectors.verify(tmp_path / "v") == []
    trits = np.load(tmp_path / "v" / "expected_trits.npy")
    assert trits.shape == (400, 40) and np.array_equal(trits, vec.trits)


def test_long_set_in_bounded_memory(tmp_path):
    """Four times the lines, not more memory: the files are streamed chunk by chunk."""
    import tracemalloc

    peaks, totals = [], []
    for lines in (3000, 12000):
        out = tmp_path / f"v{lines}"
        tracemalloc.start()
        try:
            vectors.write_directory(out, _spec(lines=lines, lanes=1, invalid_rate=0.001),
                                    chunk_lines=128)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        totals.append(sum(p.stat().st_size for p in out.iterdir()))
    assert totals[1] > 10e6
    assert peaks[1] < 1.3 * peaks[0] and peaks[1] < totals[1] / 2, (peaks, totals)
    assert vectors.verify(out) == []


def test_lines_beyond_the_disk_is_one_line(tmp_path, capsys, monkeypatch):
    import shutil

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage",
                        lambda p: usage._replace(free=1 << 30))
    out = tmp_path / "v"
    assert main(["vectors", "--lines", "100000000", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "100000000 lines take 63.1 GiB, but" in err and "has 1.0 GiB free" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("target, message", [
    ("{tmp}/no/such/dir", "directory {tmp}/no/such does not exist"),
    ("", "vectors directory: expected a directory name, not ''"),
    ("-", "vectors directory: expected a directory name, not '-'"),
    ("{tmp}/file.txt", "vectors directory {tmp}/file.txt exists and is not a directory"),
])
def test_output_policy(tmp_path, capsys, target, message):
    (tmp_path / "file.txt").write_text("x")
    target = target.format(tmp=tmp_path)
    assert main(["vectors", "--lines", "3", "-o", target]) == 2
    err = capsys.readouterr().err
    assert message.format(tmp=tmp_path) in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]  # no parent created


def test_input_tensor_text_and_packed(tmp_path, capsys):
    st = pytest.importorskip("safetensors.numpy")
    trits = np.random.default_rng(8).integers(-1, 2, (5, 90)).astype(np.int8)  # 2 lines
    st.save_file({"w": trits, "norm": np.ones(3, np.float32)}, str(tmp_path / "m.safetensors"))
    (tmp_path / "t.txt").write_text(" ".join(map(str, trits.ravel())))
    packed = golden.pack(trits, "tq1").data
    packed.tofile(tmp_path / "p.bin")
    dirs = {}
    for name, src in (("st", f"{tmp_path}/m.safetensors:w"), ("txt", tmp_path / "t.txt"),
                      ("bin", tmp_path / "p.bin")):
        out = tmp_path / name
        assert main(["vectors", "--input", str(src), "--codec", "tq1", "--lanes", "16",
                     "-o", str(out)]) == 0, capsys.readouterr().err
        assert vectors.verify(out) == []
        dirs[name] = out
        assert (out / "input.bin").read_bytes() == packed.tobytes()
    doc = json.loads((dirs["st"] / "manifest.json").read_text())
    assert doc["parameters"]["input"]["tensor"] == "w"
    assert doc["parameters"]["input"]["lines"] == 2 and doc["counts"]["lines"] == 2
    assert main(["vectors", "--input", f"{tmp_path}/m.safetensors:norm", "-o",
                 str(tmp_path / "x")]) == 2
    assert "m.safetensors:norm: a F32 tensor, not trits" in capsys.readouterr().err


def _custom_lut(seed=3) -> golden.Lut:
    std = golden.get_lut("standard")
    perm = np.random.default_rng(seed).permutation(256)
    return golden.Lut.from_table(std.trits[perm], std.valid[perm], name="mine")


@pytest.mark.parametrize("suffix", [".json", ".hex"])
def test_custom_lut_file(tmp_path, suffix):
    lut = _custom_lut()
    path = tmp_path / f"mine{suffix}"
    path.write_text(lut_io.to_json(lut) if suffix == ".json" else lut_io.to_hex(lut))
    out = tmp_path / "v"
    assert main(["vectors", "--lines", "12", "--lanes", "8", "--codec", str(path),
                 "--invalid-rate", "0.05", "-o", str(out)]) == 0
    assert (out / "lut.hex").read_text() == lut_io.to_hex(lut)
    lines = np.fromfile(out / "input.bin", np.uint8).reshape(-1, 64)
    assert np.count_nonzero(~lut.valid[lines]) == round(0.05 * 12 * 64)
    assert lut.valid[lines].sum() == 12 * 64 - round(0.05 * 12 * 64)
    trits = np.load(out / "expected_trits.npy").reshape(12, 64, 5)
    assert np.array_equal(trits, lut.trits[lines])  # invalid rows of the table are zeros
    doc = json.loads((out / "manifest.json").read_text())
    assert doc["parameters"]["lut"] == "custom" and doc["parameters"]["codec"] == "mine"
    assert doc["parameters"]["codec_file"]["name"] == path.name
    assert vectors.verify(out) == []
    # the standard table in lut.hex (hash rewritten): now expected.hex is wrong for it
    import hashlib

    data = lut_io.to_hex("standard").encode()
    (out / "lut.hex").write_bytes(data)
    doc["files"]["lut.hex"] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (out / "manifest.json").write_text(json.dumps(doc))
    assert any(p.startswith("expected.hex: row") for p in vectors.verify(out))


def test_verify_streams_rows_and_names_a_bad_row(tmp_path):
    out = _generate(tmp_path)
    rows = (out / "expected.hex").read_text().splitlines()
    rows[30] = rows[30][:-1] + "g"
    (out / "expected.hex").write_text("\n".join(rows) + "\n")
    problems = vectors.verify(out)
    assert "expected.hex: row 30 is" in " ".join(problems) and "expected 20 hex digits" in \
        " ".join(problems)
    (out / "input_flags.hex").write_text("1\n" * 3)
    assert "input_flags.hex: 3 rows, expected 20" in vectors.verify(out)


@pytest.mark.parametrize("names", [
    {"module_name": "tb_ternary_decoder_bench"}, {"tb_name": "tb_ternary_decoder_bench"},
    {"module_name": "same", "tb_name": "same"},
])
def test_testbench_module_names_must_differ(names):
    from tritpack.hw.vectors import testbench

    with open(testbench.files("tritpack.hw.vectors") / testbench.BENCH_FILE) as f:
        assert "module tb_ternary_decoder_bench" in f.read()
    with pytest.raises(ValueError, match="must differ"):
        testbench.testbench_files(8, 2, 16, 1, **names)
