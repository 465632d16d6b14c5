"""A real model, not written here: Magika's file-type classifier, shipped inside the
``magika`` wheel on PyPI (models/*/model.onnx: tf2onnx, IR 8, opset 15 + ai.onnx.ml,
an embedding MatMul, a Conv and a dense MatMul).  Nothing is downloaded at test time.

``pack --ternarize`` ternarizes its three weights (absmean, lossy); on real inputs
(the first and last 1024 bytes of real files) the packed model's outputs in
onnxruntime equal those of the same model with its weights replaced by their absmean
ternarization, bit for bit; ``fold`` gives back exactly those weights; and packing
the folded model again is lossless.  The same holds with every weight stored as a
``Constant`` node instead of an initializer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import helper, numpy_helper  # noqa: E402
from onnx_utils import bits_equal, constants, ort_run, run_cli  # noqa: E402

from tritpack.golden.weights.absmean import absmean_ternarize  # noqa: E402

magika = pytest.importorskip("magika", reason="the real model ships in the 'magika' wheel")

WEIGHTS = 3  # the embedding MatMul, the Conv and the dense MatMul


def magika_model() -> Path:
    found = sorted(Path(magika.__file__).parent.glob("models/*/model.onnx"))
    assert found, "the magika wheel holds no models/*/model.onnx"
    return found[-1]


def real_inputs() -> np.ndarray:
    """Magika's features of real files: first and last 1024 bytes, 256 = padding."""
    root = Path(__file__).resolve().parents[1]
    files = [Path(magika.__file__), magika_model(), magika_model().parent / "config.min.json",
             Path(sys.executable).resolve(), root / "docs" / "FORMAT.md", root / "Makefile",
             root / "pyproject.toml", Path(__file__)]
    rows = []
    for f in files:
        data = f.read_bytes()
        beg = np.frombuffer(data.lstrip()[:1024], np.uint8).astype(np.int32)
        end = np.frombuffer(data.rstrip()[-1024:], np.uint8).astype(np.int32)
        row = np.full(2048, 256, np.int32)
        row[: beg.size] = beg
        row[2048 - end.size:] = end
        rows.append(row)
    return np.stack(rows)


def absmean_reference(model: onnx.ModelProto, names) -> onnx.ModelProto:
    """``model`` with the initializers ``names`` replaced by scale * absmean trits."""
    ref = onnx.ModelProto()
    ref.CopyFrom(model)
    for t in ref.graph.initializer:
        if t.name in names:
            trits, scale = absmean_ternarize(numpy_helper.to_array(t))
            t.CopyFrom(numpy_helper.from_array(trits.astype(np.float32) * scale, t.name))
    return ref


def as_constant_nodes(model: onnx.ModelProto) -> onnx.ModelProto:
    """The same model with every initializer stored as a Constant node instead."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    consts = [helper.make_node("Constant", [], [t.name], value=t) for t in out.graph.initializer]
    del out.graph.initializer[:]
    nodes = consts + list(out.graph.node)
    del out.graph.node[:]
    out.graph.node.extend(nodes)
    onnx.checker.check_model(out, full_check=True)
    return out


@pytest.fixture(scope="module")
def source() -> onnx.ModelProto:
    return onnx.load(magika_model())


@pytest.mark.parametrize("storage", ["initializers", "constant-nodes"])
def test_magika_pack_ternarize_fold_and_back(tmp_path, capsys, source, storage):
    model = source if storage == "initializers" else as_constant_nodes(source)
    src, packed, folded, again = (tmp_path / n for n in ("m.onnx", "p.onnx", "f.onnx", "a.onnx"))
    onnx.save(model, src)
    assert run_cli(["onnx", "pack", src, "-o", packed, "--ternarize"]) == 0
    out = capsys.readouterr().out
    assert f"LOSSY: {WEIGHTS} float weight(s) ternarized" in out
    p = onnx.load(packed)
    onnx.checker.check_model(p, full_check=True)
    names = {n.output[0] for n in _decode_consumers(p)}
    assert len(names) == WEIGHTS
    assert packed.stat().st_size < src.stat().st_size / 10

    ref = absmean_reference(source, names)
    x = {"bytes": real_inputs()}
    want = ort_run(ref, x)[0]
    assert np.array_equal(ort_run(p, x)[0], want)
    assert (want.argmax(1) == ort_run(source, x)[0].argmax(1)).sum() >= 1  # still a classifier

    assert run_cli(["onnx", "fold", packed, "-o", folded]) == 0
    f = onnx.load(folded)
    onnx.checker.check_model(f, full_check=True)
    assert not f.functions and "ai.tritpack" not in {i.domain for i in f.opset_import}
    ref_consts, f_consts = constants(ref), constants(f)
    for name in names:
        assert bits_equal(f_consts[name], ref_consts[name]), name
    assert np.array_equal(ort_run(f, x)[0], want)

    assert run_cli(["onnx", "pack", folded, "-o", again]) == 0  # lossless now
    assert "lossless" in capsys.readouterr().out
    assert np.array_equal(ort_run(onnx.load(again), x)[0], want)


def _decode_consumers(model: onnx.ModelProto):
    """The Mul nodes that scale a TernaryDecode output (their outputs are the weights)."""
    decoded = {n.output[0] for n in model.graph.node if n.domain == "ai.tritpack"}
    casts = {n.output[0] for n in model.graph.node if n.op_type == "Cast" and
             n.input[0] in decoded}
    return [n for n in model.graph.node if n.op_type == "Mul" and n.input[0] in casts]
