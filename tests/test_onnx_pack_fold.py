"""``tritpack onnx pack`` and ``fold`` on models that hold every kind of weight.

pack finds initializers and Constant nodes, in the main graph and in If
branches; the packed model computes the same outputs in onnxruntime and the
reference evaluator; fold gives back the pack input bit for bit and drops the
custom domain; every model written passes onnx.checker's full check.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import helper, numpy_helper  # noqa: E402
from onnx_utils import (  # noqa: E402
    bits_equal,
    constants,
    ort_run,
    ref_run,
    run_cli,
    toy_feeds,
    toy_model,
)

import tritpack.golden as golden  # noqa: E402
from tritpack.golden.onnx import DOMAIN  # noqa: E402
from tritpack.golden.onnx.pack import ternary_form  # noqa: E402
from tritpack.golden.weights.absmean import absmean_ternarize  # noqa: E402

TERNARY = {"w", "wr", "wi", "then_w", "else_w"}


def test_toy_model_runs_and_holds_every_kind_of_weight():
    model = toy_model()
    names = set(constants(model))
    assert {"w", "wr", "wi", "wn", "then_w", "else_w"} <= names
    a, b = (ort_run(model, f)[0] for f in toy_feeds())
    assert a.shape == (2, 36) and not np.array_equal(a, b)


def test_bits_equal_tells_signed_zeros_apart():
    assert bits_equal(np.zeros(3, np.float32), np.zeros(3, np.float32))
    assert not bits_equal(np.zeros(3, np.float32), -np.zeros(3, np.float32))
    assert not bits_equal(np.zeros(3, np.float32), np.zeros(3, np.float16))


def pack_fold(tmp_path, model, *pack_args):
    src, packed, folded = tmp_path / "in.onnx", tmp_path / "p.onnx", tmp_path / "f.onnx"
    onnx.save(model, src)
    assert run_cli(["onnx", "pack", src, "-o", packed, *pack_args]) == 0
    assert run_cli(["onnx", "fold", packed, "-o", folded]) == 0
    return onnx.load(packed), onnx.load(folded)


def test_pack_finds_every_ternary_weight_and_fold_restores_it_bit_for_bit(tmp_path, capsys):
    model = toy_model()
    packed, folded = pack_fold(tmp_path, model)
    out = capsys.readouterr().out
    assert "total (5 ternary tensors)" in out and "lossless" in out
    assert "left as they were (1): wn (not ternary)" in out
    onnx.checker.check_model(packed, full_check=True)
    onnx.checker.check_model(folded, full_check=True)
    before, mid, after = constants(model), constants(packed), constants(folded)
    assert not TERNARY & set(mid), "a ternary weight was left unpacked"
    assert bits_equal(mid["wn"], before["wn"])  # not ternary: carried
    assert sum(k.endswith(".tritpack_packed") for k in mid) == 5
    assert set(after) == set(before)
    for name, value in before.items():
        assert bits_equal(after[name], value), name
    assert [i.domain for i in folded.opset_import] == [""] and not folded.functions
    assert {i.domain for i in packed.opset_import} == {"", DOMAIN}
    kinds = {n.op_type for n in folded.graph.node} | {
        n.op_type for b in folded.graph.node[-1].attribute for n in b.g.node}
    assert "Constant" in kinds  # the Constant-node weights come back as Constant nodes


def test_packed_model_computes_the_same_outputs(tmp_path):
    model = toy_model()
    packed, folded = pack_fold(tmp_path, model)
    for feed in toy_feeds():
        want = ort_run(model, feed)[0]
        assert np.array_equal(ort_run(packed, feed)[0], want)
        assert np.array_equal(ort_run(folded, feed)[0], want)
        assert np.array_equal(ref_run(packed, feed)[0], ref_run(model, feed)[0])


@pytest.mark.parametrize("codec,block", [("tq1", 320), ("standard", 640)])
def test_codec_and_block_options(tmp_path, codec, block):
    packed, folded = pack_fold(tmp_path, toy_model(), "--codec", codec, "--block", str(block))
    fn = {f.name for f in packed.functions}
    assert fn == {"TernaryDecodeTQ1" if codec == "tq1" else "TernaryDecode"}
    data = constants(packed)["w.tritpack_packed"]
    assert data.size == golden.padded_length(64 * 48, block) // 5
    assert bits_equal(constants(folded)["w"], constants(toy_model())["w"])


def test_custom_codec_file(tmp_path):
    std = golden.get_lut("standard")
    perm = np.random.default_rng(2).permutation(256)
    lut = golden.Lut.from_table(std.trits[perm], std.valid[perm], name="mine")
    lut_file = tmp_path / "mine.json"
    lut_file.write_text(golden.lut_io.export_lut(lut, "json"))
    packed, folded = pack_fold(tmp_path, toy_model(), "--codec", lut_file)
    assert [f.name for f in packed.functions][0].startswith("TernaryDecodeLUT_")
    for feed in toy_feeds():
        assert np.array_equal(ort_run(packed, feed)[0], ort_run(toy_model(), feed)[0])
    assert bits_equal(constants(folded)["wr"], constants(toy_model())["wr"])


def test_tensors_glob_packs_exactly_those(tmp_path):
    packed, _ = pack_fold(tmp_path, toy_model(), "--tensors", "w", "--tensors", "*_w")
    mid = constants(packed)
    assert {"wn", "wr", "wi"} <= set(mid) and not {"w", "then_w", "else_w"} & set(mid)


def test_tensors_glob_naming_a_non_ternary_weight_is_an_error(tmp_path, capsys):
    src, out = tmp_path / "in.onnx", tmp_path / "p.onnx"
    onnx.save(toy_model(), src)
    assert run_cli(["onnx", "pack", src, "-o", out, "--tensors", "wn"]) == 2
    err = capsys.readouterr().err
    assert "'wn'" in err and "not ternary" in err and len(err.strip().splitlines()) == 1
    assert f"{src}: tensor 'wn'" in err  # the file is named
    assert not out.exists()
    assert run_cli(["onnx", "pack", src, "-o", out, "--tensors", "nothing*"]) == 2
    err = capsys.readouterr().err
    assert f"{src}: --tensors 'nothing*' matches no constant" in err


def test_ternarize_equals_absmean_replacement(tmp_path, capsys):
    model = toy_model()
    packed, folded = pack_fold(tmp_path, model, "--ternarize")
    assert "LOSSY: 1 float weight(s)" in capsys.readouterr().out  # wn, the only non-ternary
    ref = onnx.ModelProto()
    ref.CopyFrom(model)
    for t in ref.graph.initializer:
        if t.name == "wn":
            trits, scale = absmean_ternarize(numpy_helper.to_array(t))
            t.CopyFrom(numpy_helper.from_array(trits.astype(np.float32) * scale, "wn"))
    assert bits_equal(constants(folded)["wn"], constants(ref)["wn"])
    for feed in toy_feeds():
        assert np.array_equal(ort_run(packed, feed)[0], ort_run(ref, feed)[0])


def test_opset11_ir7_model_is_upgraded_cleanly(tmp_path, capsys):
    model = toy_model(opset=11, ir_version=7)
    packed, folded = pack_fold(tmp_path, model)
    out = capsys.readouterr().out
    assert "standard opset 11 -> 12" in out and "IR version 7 -> 8" in out
    assert packed.ir_version == 8 and {(i.domain, i.version) for i in packed.opset_import} \
        == {("", 12), (DOMAIN, 1)}
    for feed in toy_feeds():
        assert np.array_equal(ort_run(packed, feed)[0], ort_run(model, feed)[0])


def test_external_data_in_external_data_out(tmp_path):
    model, src = toy_model(), tmp_path / "ext.onnx"
    onnx.save(toy_model(), src, save_as_external_data=True, all_tensors_to_one_file=True,
              location="ext.onnx.data", size_threshold=0)
    packed, folded = tmp_path / "p.onnx", tmp_path / "f.onnx"
    assert run_cli(["onnx", "pack", src, "-o", packed]) == 0
    assert (tmp_path / "p.onnx.data").is_file()
    assert run_cli(["onnx", "fold", packed, "-o", folded]) == 0
    assert (tmp_path / "f.onnx.data").is_file()
    back = onnx.load(folded)
    lazy = onnx.load(folded, load_external_data=False)
    assert lazy.graph.initializer[0].data_location == onnx.TensorProto.EXTERNAL
    for name, value in constants(model).items():
        assert bits_equal(constants(back)[name], value), name
    for feed in toy_feeds():
        assert np.array_equal(ort_run(str(packed), feed)[0], ort_run(model, feed)[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ext.onnx", "ext.onnx.data", "f.onnx", "f.onnx.data", "p.onnx", "p.onnx.data"]
    for path, data in ((packed, "p.onnx.data"), (folded, "f.onnx.data")):
        from tritpack.golden.onnx.modelio import external_data_files

        assert external_data_files(onnx.load(path, load_external_data=False)) == {data}


def test_external_data_write_that_fails_leaves_nothing(tmp_path, monkeypatch, capsys):
    from tritpack.golden.onnx import modelio

    src = tmp_path / "ext.onnx"
    onnx.save(toy_model(), src, save_as_external_data=True, location="ext.onnx.data",
              size_threshold=0)

    def refuse(proto_or_path, path):
        assert Path(proto_or_path).is_file()  # the written model, by path, before renaming
        raise ValueError(f"{path}: refused by the test")

    monkeypatch.setattr(modelio, "_check", refuse)
    assert run_cli(["onnx", "pack", src, "-o", tmp_path / "p.onnx"]) == 2
    assert "refused by the test" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ext.onnx", "ext.onnx.data"]


def test_ternary_form_exactness():
    s = np.float32(0.3)
    w = np.array([[s, 0, -s], [0, 0, s]], np.float32)
    trits, scale = ternary_form(w)
    assert trits.tolist() == [[1, 0, -1], [0, 0, 1]] and scale == s and scale.dtype == w.dtype
    rows = np.array([[2, -2, 0], [0.5, 0, 0.5]], np.float32)
    trits, scale = ternary_form(rows)
    assert scale.shape == (2, 1) and np.array_equal(trits * scale, rows)
    assert ternary_form(np.array([s, -0.0, -s], np.float32)) is None  # -0.0 would come back +0
    assert ternary_form(np.array([s, s / 2], np.float32)) is None
    assert ternary_form(np.array([1, 2], np.int8)) is None
    assert ternary_form(np.array([1, 0, -1], np.int8))[1] is None


def test_fold_leaves_a_runtime_decode_and_keeps_its_function(tmp_path, capsys):
    from tritpack.golden.onnx.function import decode_node, domain_opset, make_function

    graph = helper.make_graph(
        [decode_node("p", "t", (4, 5))], "g",
        [helper.make_tensor_value_info("p", onnx.TensorProto.UINT8, [64])],
        [helper.make_tensor_value_info("t", onnx.TensorProto.INT8, [4, 5])])
    model = helper.make_model(graph, ir_version=10, functions=[make_function("standard")],
                              opset_imports=[helper.make_opsetid("", 21), domain_opset()])
    src, out = tmp_path / "rt.onnx", tmp_path / "f.onnx"
    onnx.save(model, src)
    assert run_cli(["onnx", "fold", src, "-o", out]) == 0
    assert "still needs function support" in capsys.readouterr().out
    assert [f.name for f in onnx.load(out).functions] == ["TernaryDecode"]


def test_packed_model_runs_in_onnxruntime_without_tritpack(tmp_path):
    import subprocess
    import sys

    packed, _ = pack_fold(tmp_path, toy_model())
    onnx.save(packed, tmp_path / "packed_only.onnx")
    feed = toy_feeds()[0]
    np.save(tmp_path / "x.npy", feed["x"])
    np.save(tmp_path / "want.npy", ort_run(toy_model(), feed)[0])
    code = (
        "import sys; sys.modules['tritpack'] = None  # nothing of tritpack importable\n"
        "import numpy as np, onnxruntime as ort\n"
        f"d = {str(tmp_path)!r}\n"
        "s = ort.InferenceSession(d + '/packed_only.onnx', providers=['CPUExecutionProvider'])\n"
        "y = s.run(None, {'x': np.load(d + '/x.npy'), 'cond': np.array(True)})[0]\n"
        "sys.exit(0 if np.array_equal(y, np.load(d + '/want.npy')) else 'outputs differ')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_onnxruntime_folds_every_decode_at_session_creation(tmp_path):
    """float16 weights are scaled in float32 and cast back: ORT's CPU has no float16 Mul."""
    import onnxruntime as ort

    packed, _ = pack_fold(tmp_path, toy_model())
    assert [n for n in packed.graph.node if n.name == "wr.tritpack_cast_back"]
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    so.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    ort.InferenceSession(packed.SerializeToString(), so, providers=["CPUExecutionProvider"])
    optimized = onnx.load(tmp_path / "optimized.onnx")
    left = [n.name for n in optimized.graph.node if "tritpack" in n.name or n.op_type in
            ("Gather", "TernaryDecode")]
    assert left == []


def test_bfloat16_weight_round_trip(tmp_path):
    import ml_dtypes

    w = (np.random.default_rng(3).integers(-1, 2, (40, 16)) * 0.375).astype(ml_dtypes.bfloat16)
    graph = helper.make_graph(
        [helper.make_node("Cast", ["wb"], ["wf"], to=onnx.TensorProto.FLOAT),
         helper.make_node("MatMul", ["x", "wf"], ["y"])], "bf16",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 40])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 16])],
        [numpy_helper.from_array(w, "wb")])
    model = helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 21)])
    packed, folded = pack_fold(tmp_path, model)
    assert "wb" not in constants(packed)
    assert bits_equal(constants(folded)["wb"], constants(model)["wb"])
    x = {"x": np.ones((1, 40), np.float32)}
    assert np.array_equal(ort_run(packed, x)[0], ort_run(model, x)[0])
