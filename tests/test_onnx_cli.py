"""``tritpack onnx``: bad input gets one line and exit status 2, and no output is left.

Non-ONNX and truncated files, a packed tensor holding an invalid code, a
``shape`` that does not match the bytes, an unsupported opset, an existing
output without ``--force``, a missing ``onnx`` extra; ``info`` and the
conformance data, written and checked.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import helper, numpy_helper  # noqa: E402
from onnx_utils import ort_run, run_cli, toy_model  # noqa: E402

from tritpack.golden.onnx.conformance import check_dir  # noqa: E402


def one_line_error(capsys, *words) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("tritpack: error: "), err
    for w in words:
        assert w in err, (w, err)
    return err


@pytest.fixture
def packed(tmp_path) -> onnx.ModelProto:
    src, out = tmp_path / "toy.onnx", tmp_path / "toy.p.onnx"
    onnx.save(toy_model(), src)
    assert run_cli(["onnx", "pack", src, "-o", out]) == 0
    return onnx.load(out)


def write(tmp_path, model, name="bad.onnx"):
    path = tmp_path / name
    onnx.save(model, path)
    return path


@pytest.mark.parametrize("command", ["pack", "fold", "info"])
@pytest.mark.parametrize("content,words", [
    (b"not a model at all\n" * 40, ["not an ONNX model"]),
    (b"", ["empty file"]),
    ("truncated", ["not"]),
])
def test_non_onnx_and_truncated_files(tmp_path, capsys, command, content, words):
    path = tmp_path / "in.onnx"
    if content == "truncated":
        data = toy_model().SerializeToString()
        content = data[: len(data) // 2]
    path.write_bytes(content)
    out = tmp_path / "out.onnx"
    argv = ["onnx", command, path] + ([] if command == "info" else ["-o", out])
    assert run_cli(argv) == 2
    one_line_error(capsys, str(path), *words)
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["in.onnx"]


@pytest.mark.parametrize("command", ["pack", "fold", "info"])
@pytest.mark.parametrize("kind,words", [
    ("directory", ["is a directory", "expected an ONNX model file"]),
    ("missing", ["no such file", "expected an ONNX model file"]),
])
def test_directory_or_missing_input_is_named(tmp_path, capsys, command, kind, words):
    path = tmp_path / "in.onnx"
    if kind == "directory":
        path.mkdir()
    out = tmp_path / "out.onnx"
    argv = ["onnx", command, path] + ([] if command == "info" else ["-o", out])
    assert run_cli(argv) == 2
    err = one_line_error(capsys, f"ONNX model {path}:", *words)
    assert "Errno" not in err
    assert not out.exists()


@pytest.mark.parametrize("kind,words", [
    ("missing", ["no such directory"]),
    ("file", ["not a directory"]),
    ("empty", ["no test_*/model.onnx case"]),
])
def test_conformance_check_of_a_missing_file_or_empty_directory(tmp_path, capsys, kind, words):
    path = tmp_path / "conf"
    if kind == "file":
        path.write_bytes(b"x")
    elif kind == "empty":
        path.mkdir()
    assert run_cli(["onnx", "conformance", "--check", path]) == 2
    one_line_error(capsys, f"conformance directory {path}:", *words,
                   "expected a directory written by 'tritpack onnx conformance -o'")


def test_invalid_code_names_tensor_and_offset(tmp_path, capsys, packed):
    for t in packed.graph.initializer:
        if t.name == "w.tritpack_packed":
            data = numpy_helper.to_array(t).copy()
            data[37] = 0xF7  # invalid in the standard codec
            t.CopyFrom(numpy_helper.from_array(data, t.name))
    path, out = write(tmp_path, packed), tmp_path / "f.onnx"
    assert run_cli(["onnx", "fold", path, "-o", out]) == 2
    one_line_error(capsys, "'w'", "w.tritpack_packed", "0xf7", "byte offset 37")
    assert not out.exists()
    assert run_cli(["onnx", "info", path]) == 2
    captured = capsys.readouterr()
    assert "byte offset 37" in captured.err and "valid" in captured.out
    assert run_cli(["onnx", "pack", path, "-o", out]) == 2  # pack checks what is packed too
    one_line_error(capsys, "'w'", "byte offset 37")
    assert not out.exists()


def test_shape_that_does_not_match_the_bytes(tmp_path, capsys, packed):
    for node in packed.graph.node:
        if node.domain == "ai.tritpack" and node.input[0] == "w.tritpack_packed":
            node.attribute[0].CopyFrom(helper.make_attribute("shape", [64, 480]))
    path, out = write(tmp_path, packed), tmp_path / "f.onnx"
    assert run_cli(["onnx", "fold", path, "-o", out]) == 2
    one_line_error(capsys, "'w'", "do not match shape [64, 480]")
    assert not out.exists()


def test_edited_function_body_is_refused(tmp_path, capsys, packed):
    for node in packed.functions[0].node:
        if node.op_type == "Gather":
            node.op_type = "GatherElements"
    path, out = write(tmp_path, packed), tmp_path / "f.onnx"
    assert run_cli(["onnx", "fold", path, "-o", out]) == 2
    one_line_error(capsys, "TernaryDecode", "not the TernaryDecode body")


@pytest.mark.parametrize("opset", [10, 99])
def test_unsupported_opset(tmp_path, capsys, opset):
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", 1, [2])],
                              [helper.make_tensor_value_info("y", 1, [2])])
    model = helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", opset)])
    path, out = write(tmp_path, model), tmp_path / "p.onnx"
    assert run_cli(["onnx", "pack", path, "-o", out]) == 2
    one_line_error(capsys, f"unsupported opset {opset}", "expected 11 to")
    assert not out.exists()


def test_existing_output_needs_force_and_is_checked_first(tmp_path, capsys):
    src = write(tmp_path, toy_model(), "toy.onnx")
    out = tmp_path / "out.onnx"
    out.write_bytes(b"precious")
    assert run_cli(["onnx", "pack", src, "-o", out]) == 2
    one_line_error(capsys, "exists", "--force")
    assert out.read_bytes() == b"precious"
    assert run_cli(["onnx", "pack", tmp_path / "missing.onnx", "-o", out]) == 2
    capsys.readouterr()
    assert run_cli(["onnx", "pack", src, "-o", tmp_path / "nodir" / "x.onnx"]) == 2
    one_line_error(capsys, "does not exist")
    assert run_cli(["onnx", "pack", src, "-o", src, "--force"]) == 2
    one_line_error(capsys, "is also the input")
    assert run_cli(["onnx", "pack", src, "-o", out, "--force"]) == 0
    assert onnx.load(out).functions


def test_no_ternary_weight_writes_nothing(tmp_path, capsys):
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", 1, [2])],
                              [helper.make_tensor_value_info("y", 1, [2])])
    model = helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 17)])
    path, out = write(tmp_path, model), tmp_path / "p.onnx"
    assert run_cli(["onnx", "pack", path, "-o", out]) == 2
    one_line_error(capsys, "no ternary weight")
    assert not out.exists()


def test_info_lists_codec_block_sizes_and_validity(tmp_path, capsys, packed):
    path = write(tmp_path, packed, "p.onnx")
    capsys.readouterr()
    assert run_cli(["onnx", "info", path]) == 0
    out = capsys.readouterr().out
    assert "5 packed tensor(s)" in out
    line = [row for row in out.splitlines() if row.startswith("w ")][0].split()
    assert line[1:6] == ["64x48", "standard", "320/640", "640", "1.667"]  # both block sizes fit
    assert "per row (48)" in out and out.count("valid") == 5


def test_missing_onnx_extra_says_which_pip_install(tmp_path):
    code = ("import sys; sys.modules['onnx'] = None; sys.modules['onnx_ir'] = None\n"
            "from tritpack.cli import main\n"
            f"sys.exit(main(['onnx', 'info', {str(tmp_path / 'x.onnx')!r}]))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert "pip install 'tritpack[onnx]'" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_conformance_write_check_and_tamper(tmp_path, capsys):
    d = tmp_path / "conf"
    assert run_cli(["onnx", "conformance", "-o", d]) == 0
    names = sorted(p.name for p in d.iterdir())
    assert "manifest.json" in names
    for case in ("all_codes_standard", "all_codes_tq1", "pad_1", "pad_319", "pad_320",
                 "pad_321", "shape_3d", "block_640", "all_bytes_standard", "empty",
                 "custom_lut"):
        assert f"test_ternarydecode_{case}" in names
        assert f"test_ternarydecode_{case}_expanded" in names
    from onnx.backend.test.loader import load_model_tests  # onnx's own runner reads them

    loaded = load_model_tests(data_dir=str(tmp_path), kind="conf")
    assert len(loaded) == len(names) - 1 and all(c.model_dir for c in loaded)
    expanded = onnx.load(d / "test_ternarydecode_pad_321_expanded" / "model.onnx")
    assert not expanded.functions and all(n.domain == "" for n in expanded.graph.node)
    capsys.readouterr()
    assert run_cli(["onnx", "conformance", "--check", d]) == 0
    assert "all" in capsys.readouterr().out
    # a wrong expected trit is caught, by both runtimes
    out_pb = d / "test_ternarydecode_pad_319" / "test_data_set_0" / "output_0.pb"
    t = onnx.TensorProto()
    t.ParseFromString(out_pb.read_bytes())
    arr = numpy_helper.to_array(t).copy()
    arr[100] = -arr[100] if arr[100] else 1
    out_pb.write_bytes(numpy_helper.from_array(arr, "trits").SerializeToString())
    failures, count = check_dir(d)
    assert len(failures) == 3 and "output_0.pb: differs" in failures[0]
    assert all("pad_319" in f for f in failures) and "trit (100,)" in failures[1]
    assert run_cli(["onnx", "conformance", "--check", d]) == 2
    # an existing directory is replaced only with --force, and only if it is ours
    assert run_cli(["onnx", "conformance", "-o", d]) == 2
    assert run_cli(["onnx", "conformance", "-o", d, "--force"]) == 0
    assert check_dir(d)[0] == []
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    assert run_cli(["onnx", "conformance", "-o", other, "--force"]) == 2
    assert (other / "keep.txt").read_text() == "mine"


def test_conformance_cases_decode_as_golden():
    import tritpack.golden as golden
    from tritpack.golden.onnx.conformance import cases

    for case in cases():
        want = case.expected
        lut = golden.get_lut(case.codec)
        n = int(np.prod(case.shape))
        trits, valid = golden.decode(case.packed, lut, on_invalid="mask")
        assert np.array_equal(want.reshape(-1), trits[:n])
        if valid.all() and case.packed.size == golden.padded_length(n, 320) // 5:
            assert np.array_equal(want, golden.unpack(golden.PackedTensor(
                case.packed, case.shape, 320, lut)))


def test_golden_and_the_onnx_package_do_not_import_onnx():
    code = ("import sys, tritpack.golden, tritpack.golden.onnx, tritpack.golden.onnx.commands\n"
            "bad = sorted(m for m in ('onnx', 'onnxruntime', 'onnx_ir') if m in sys.modules)\n"
            "sys.exit(f'imported {bad}' if bad else 0)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_empty_shape_needs_opset_14(tmp_path, capsys):
    graph = helper.make_graph(
        [helper.make_node("Identity", ["e"], ["y"])], "g", [],
        [helper.make_tensor_value_info("y", onnx.TensorProto.INT8, [3, 0])],
        [numpy_helper.from_array(np.zeros((3, 0), np.int8), "e")])
    model = helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 13)])
    path, out = write(tmp_path, model), tmp_path / "p.onnx"
    assert run_cli(["onnx", "pack", path, "-o", out, "--tensors", "e"]) == 2
    one_line_error(capsys, "'e'", "allowzero")
    model.opset_import[0].version = 14
    path = write(tmp_path, model, "ok.onnx")
    assert run_cli(["onnx", "pack", path, "-o", out, "--tensors", "e"]) == 0
    assert ort_run(onnx.load(out))[0].shape == (3, 0)
