"""Shared helpers of the tests/test_onnx_*.py files (and a test of the helpers themselves).

The ``tritpack onnx`` command is run in-process through :func:`tritpack.cli.main`
with a parser that holds the ``onnx`` plugin, so these tests do not depend on
the installed entry points.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import tritpack.cli as cli  # noqa: E402
from tritpack.golden.onnx.commands import register_onnx  # noqa: E402


def run_cli(argv) -> int:
    """``tritpack onnx ...`` in-process: main()'s error handling, exit status returned."""
    parser = cli.Parser(prog="tritpack")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    register_onnx(sub)
    with mock.patch.object(cli, "build_parser", lambda: parser):
        return cli.main([str(a) for a in argv])


def session(model, fold: bool = True):
    """An onnxruntime CPU session of a ModelProto or path (constant folding optional)."""
    so = ort.SessionOptions()
    so.log_severity_level = 3
    src = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    return ort.InferenceSession(src, so, providers=["CPUExecutionProvider"],
                                disabled_optimizers=None if fold else ["ConstantFolding"])


def ort_run(model, feed: dict | None = None, fold: bool = True) -> list:
    return session(model, fold).run(None, feed or {})


def ref_run(model, feed: dict | None = None) -> list:
    from onnx.reference import ReferenceEvaluator

    return ReferenceEvaluator(model).run(None, feed or {})


def constants(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    """Every initializer and Constant-node tensor of every graph, by value name."""
    out = {}

    def walk(graph):
        for t in graph.initializer:
            out[t.name] = numpy_helper.to_array(t)
        for node in graph.node:
            if node.op_type == "Constant":
                for a in node.attribute:
                    if a.name == "value":
                        out[node.output[0]] = numpy_helper.to_array(a.t)
            for a in node.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    walk(a.g)
                for g in a.graphs:
                    walk(g)

    walk(model.graph)
    return out


def bits_equal(a: np.ndarray, b: np.ndarray) -> bool:
    """Same dtype, shape and bytes (so -0.0 != +0.0 and NaNs compare by bits)."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def toy_model(opset: int = 17, ir_version: int = 8) -> onnx.ModelProto:
    """A small model holding every kind of weight ``pack`` must find.

    ``w`` float32 ternary per tensor (MatMul, initializer); ``wr`` float16
    ternary per row (Constant node); ``wi`` int8 trits (initializer, through
    Cast); ``wn`` float32 not ternary (kept); an If whose branches hold a
    ternary initializer and a ternary Constant of their own.
    """
    rng = np.random.default_rng(0)
    w = (rng.integers(-1, 2, (64, 48)) * 0.25).astype(np.float32)
    wr = (rng.integers(-1, 2, (48, 40)) * rng.uniform(0.5, 2, (48, 1))).astype(np.float16)
    wi = rng.integers(-1, 2, (40, 36), dtype=np.int8)
    wn = rng.standard_normal((36, 36)).astype(np.float32)
    wt = (rng.integers(-1, 2, (36, 36)) * 0.5).astype(np.float32)
    we = (rng.integers(-1, 2, (36, 36)) * 3.0).astype(np.float32)

    def branch(name, weight, as_constant):
        nodes, inits = [], []
        if as_constant:
            nodes.append(helper.make_node("Constant", [], [f"{name}_w"],
                                          value=numpy_helper.from_array(weight, f"{name}_w")))
        else:
            inits.append(numpy_helper.from_array(weight, f"{name}_w"))
        nodes.append(helper.make_node("MatMul", ["h4", f"{name}_w"], [f"{name}_out"]))
        return helper.make_graph(nodes, name, [], [
            helper.make_tensor_value_info(f"{name}_out", TensorProto.FLOAT, [2, 36])], inits)

    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["h1"]),
        helper.make_node("Constant", [], ["wr"], value=numpy_helper.from_array(wr, "wr")),
        helper.make_node("Cast", ["h1"], ["h1h"], to=TensorProto.FLOAT16),
        helper.make_node("MatMul", ["h1h", "wr"], ["h2h"]),
        helper.make_node("Cast", ["h2h"], ["h2"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["wi"], ["wif"], to=TensorProto.FLOAT),
        helper.make_node("MatMul", ["h2", "wif"], ["h3"]),
        helper.make_node("MatMul", ["h3", "wn"], ["h4"]),
        helper.make_node("If", ["cond"], ["y"], then_branch=branch("then", wt, False),
                         else_branch=branch("else", we, True)),
    ]
    graph = helper.make_graph(
        nodes, "toy",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 64]),
         helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 36])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(wi, "wi"),
         numpy_helper.from_array(wn, "wn")])
    model = helper.make_model(graph, ir_version=ir_version,
                              opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model, full_check=True)
    return model


def toy_feeds() -> list[dict]:
    x = np.random.default_rng(1).standard_normal((2, 64)).astype(np.float32)
    return [{"x": x, "cond": np.array(True)}, {"x": x, "cond": np.array(False)}]


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
