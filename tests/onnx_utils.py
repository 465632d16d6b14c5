"""What the tests/test_onnx_*.py modules share: a toy model holding every kind of
weight, onnxruntime and reference-evaluator runs, and ``tritpack`` in-process.

Test modules import this, never each other.  ``onnx`` and ``onnxruntime`` are
imported inside the helpers (``pytest.importorskip``), so importing this module
needs neither.  :func:`run_cli` runs the real ``tritpack`` command line (the
``onnx`` plugin from its installed entry point).
"""

from __future__ import annotations

import numpy as np
import pytest


def run_cli(argv) -> int:
    """``tritpack ARGV`` in-process through :func:`tritpack.cli.main`; the exit status."""
    from tritpack.cli import main

    return main([str(a) for a in argv])


def session(model, fold: bool = True):
    """An onnxruntime CPU session of a ModelProto or path (constant folding optional)."""
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    so = ort.SessionOptions()
    so.log_severity_level = 3
    src = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    return ort.InferenceSession(src, so, providers=["CPUExecutionProvider"],
                                disabled_optimizers=None if fold else ["ConstantFolding"])


def ort_run(model, feed: dict | None = None, fold: bool = True) -> list:
    """The outputs of ``model`` in onnxruntime for ``feed``."""
    return session(model, fold).run(None, feed or {})


def ref_run(model, feed: dict | None = None) -> list:
    """The outputs of ``model`` in ``onnx.reference.ReferenceEvaluator`` for ``feed``."""
    reference = pytest.importorskip("onnx.reference")
    return reference.ReferenceEvaluator(model).run(None, feed or {})


def constants(model) -> dict[str, np.ndarray]:
    """Every initializer and Constant-node tensor of every graph, by value name."""
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

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


def toy_model(opset: int = 17, ir_version: int = 8):
    """A small model holding every kind of weight ``pack`` must find.

    ``w`` float32 ternary per tensor (MatMul, initializer); ``wr`` float16
    ternary per row (Constant node); ``wi`` int8 trits (initializer, through
    Cast); ``wn`` float32 not ternary (kept); an If whose branches hold a
    ternary initializer and a ternary Constant of their own.
    """
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

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
    """Two feeds of :func:`toy_model`: one through each If branch."""
    x = np.random.default_rng(1).standard_normal((2, 64)).astype(np.float32)
    return [{"x": x, "cond": np.array(True)}, {"x": x, "cond": np.array(False)}]
