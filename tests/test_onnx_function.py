"""The TernaryDecode function: its body, and ORT / the reference evaluator against golden.

Exhaustive over the 256 byte values of every codec and both block sizes, and
property-based over random shapes; every model written is checked with
``onnx.checker`` (full check).  The "facts" of issue 12 that the design rests
on are pinned here, so a new onnx or onnxruntime that changes them shows up.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx_utils import ort_run, ref_run  # noqa: E402

import tritpack.golden as golden  # noqa: E402
from tritpack.golden.onnx import DOMAIN  # noqa: E402
from tritpack.golden.onnx.function import (  # noqa: E402
    OPSET_MIN,
    decode_node,
    domain_opset,
    function_name,
    lut_table,
    make_function,
)
from tritpack.golden.onnx.reference import codec_of_function, reference_decode  # noqa: E402


def _ir_for(opset: int) -> int:
    return max(10, helper.find_min_ir_version_for([helper.make_opsetid("", opset)]))


def ort_max_opset() -> int:
    """The newest standard opset the installed onnxruntime loads (26 for onnxruntime 1.31)."""
    import onnxruntime as ort

    for opset in range(onnx.defs.onnx_opset_version(), 0, -1):
        graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "probe",
                                  [helper.make_tensor_value_info("x", TensorProto.INT8, [1])],
                                  [helper.make_tensor_value_info("y", TensorProto.INT8, [1])])
        model = helper.make_model(graph, ir_version=_ir_for(opset),
                                  opset_imports=[helper.make_opsetid("", opset)])
        try:
            ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            return opset
        except Exception:  # noqa: BLE001 - "not supported" has no exception type of its own
            continue
    raise AssertionError("onnxruntime loads no opset")


ORT_MAX_OPSET = ort_max_opset()


def custom_lut() -> golden.Lut:
    std = golden.get_lut("standard")
    perm = np.random.default_rng(5).permutation(256)
    return golden.Lut.from_table(std.trits[perm], std.valid[perm], name="mine")


CODECS = {"standard": "standard", "tq1": "tq1", "custom": custom_lut()}


def decode_model(nbytes: int, shape, codec="standard", opset: int = 21, ir: int = 10):
    graph = helper.make_graph(
        [decode_node("packed", "trits", shape, codec)], "decode",
        [helper.make_tensor_value_info("packed", TensorProto.UINT8, [nbytes])],
        [helper.make_tensor_value_info("trits", TensorProto.INT8, list(shape))])
    return helper.make_model(graph, ir_version=ir, functions=[make_function(codec, opset)],
                             opset_imports=[helper.make_opsetid("", opset), domain_opset()])


def run_both(packed: np.ndarray, shape, codec, opset: int = 21):
    model = decode_model(packed.size, shape, codec, opset, _ir_for(opset))
    onnx.checker.check_model(model, full_check=True)
    feed = {"packed": packed}
    return ort_run(model, feed)[0], ref_run(model, feed)[0]


@pytest.mark.parametrize("codec", CODECS)
def test_body_is_standard_ops_and_golden_table(codec):
    lut = golden.get_lut(CODECS[codec])
    f = make_function(lut)
    assert f.domain == DOMAIN and f.name == function_name(lut) and list(f.attribute) == ["shape"]
    schemas = {s.name for s in onnx.defs.get_all_schemas()}
    assert all(n.domain == "" and n.op_type in schemas for n in f.node)
    table = [n for n in f.node if n.output[0] == "table"][0].attribute[0].t
    assert np.array_equal(numpy_helper.to_array(table), lut.trits)
    assert np.array_equal(lut_table(lut), lut.trits)
    assert codec_of_function(f).trits.tobytes() == lut.trits.tobytes()
    assert np.array_equal(codec_of_function(f).valid, lut.valid)


def test_one_function_name_per_codec():
    names = {function_name(CODECS[c]) for c in CODECS}
    assert len(names) == 3 and "TernaryDecode" in names


@pytest.mark.parametrize("block", golden.BLOCK_SIZES)
@pytest.mark.parametrize("codec", CODECS)
def test_every_byte_value_every_codec(codec, block):
    """All 256 codes (the 13 invalid ones -> zeros), then zero padding to whole blocks."""
    lut = golden.get_lut(CODECS[codec])
    zero = lut.codes[0]
    nbytes = block // 5 * 4 if block == 320 else block // 5 * 2
    data = np.full(nbytes, zero, np.uint8)
    data[:256] = np.arange(256)
    shape = (256 * 5,)
    want, valid = golden.decode(data[:256], lut, on_invalid="mask")
    assert (~valid).sum() == 13
    for got in run_both(data, shape, lut):
        assert got.dtype == np.int8 and got.shape == shape
        assert np.array_equal(got, want)
        assert np.array_equal(got, reference_decode(data, shape, lut))
    valid_codes = data[np.concatenate([valid, np.ones(nbytes - 256, bool)])]
    n = valid_codes.size * 5
    packed = golden.PackedTensor(valid_codes, (n,), block, lut) if n % block == 0 else None
    if packed is not None:
        assert np.array_equal(run_both(valid_codes, (n,), lut)[0], golden.unpack(packed))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.lists(st.integers(0, 23), min_size=0, max_size=3),
       codec=st.sampled_from(sorted(CODECS)), block=st.sampled_from(golden.BLOCK_SIZES),
       seed=st.integers(0, 2**32 - 1))
def test_random_shapes_equal_golden_unpack(shape, codec, block, seed):
    lut = golden.get_lut(CODECS[codec])
    trits = np.random.default_rng(seed).integers(-1, 2, shape, dtype=np.int8)
    packed = golden.pack(trits, lut, block)
    for got in run_both(packed.data, shape, lut):
        assert got.dtype == np.int8 and got.shape == tuple(shape)
        assert np.array_equal(got, golden.unpack(packed))


@pytest.mark.parametrize("opset", range(OPSET_MIN, ORT_MAX_OPSET + 1))
def test_body_at_every_opset_onnxruntime_runs(opset):
    trits = np.random.default_rng(opset).integers(-1, 2, (7, 49), dtype=np.int8)
    packed = golden.pack(trits, "tq1")
    for got in run_both(packed.data, trits.shape, "tq1", opset):
        assert np.array_equal(got, trits)


@pytest.mark.parametrize("opset", range(ORT_MAX_OPSET + 1, onnx.defs.onnx_opset_version() + 1))
def test_body_valid_up_to_onnx_newest_opset(opset):
    model = decode_model(64, (3, 5), "standard", opset, _ir_for(opset))
    onnx.checker.check_model(model, full_check=True)


def test_body_refuses_opset_below_12():
    with pytest.raises(ValueError, match="opset >= 12"):
        make_function("standard", 11)


def test_fact_function_opset_must_equal_model_opset():
    model = decode_model(64, (9,), "standard", 21)
    del model.functions[:]
    model.functions.append(make_function("standard", 20))
    with pytest.raises(onnx.checker.ValidationError, match="not compatible"):
        onnx.checker.check_model(model, full_check=True)


def test_fact_domain_must_be_imported():
    model = decode_model(64, (9,), "standard")
    del model.opset_import[1]
    with pytest.raises(onnx.checker.ValidationError, match="ai.tritpack"):
        onnx.checker.check_model(model)


def test_fact_gather_needs_int_indices():
    """The Cast is needed: the checker rejects uint8 Gather indices."""
    f = make_function("standard")
    for node in f.node:
        if node.op_type == "Gather":
            node.input[1] = "packed"
    model = decode_model(64, (9,), "standard")
    del model.functions[:]
    model.functions.append(f)
    with pytest.raises(onnx.shape_inference.InferenceError, match="uint8"):
        onnx.checker.check_model(model, full_check=True)


def test_fact_onnxruntime_max_ir_and_opset():
    """onnx 1.23 defaults to IR 14 / opset 28; onnxruntime 1.31 takes IR <= 13, opset <= 26."""
    import onnxruntime as ort

    if not (ort.__version__.startswith("1.31") and onnx.__version__.startswith("1.23")):
        pytest.skip("measured with onnx 1.23 and onnxruntime 1.31")
    assert helper.make_model(helper.make_graph([], "g", [], [])).ir_version == 14
    assert onnx.defs.onnx_opset_version() == 28 and ORT_MAX_OPSET == 26
    trits = np.zeros(5, np.int8)
    data = golden.pack(trits).data
    assert np.array_equal(ort_run(decode_model(64, (5,), opset=26, ir=13),
                                  {"packed": data})[0], trits)
    for opset, ir in ((27, 13), (26, 14)):
        with pytest.raises(Exception, match="(?i)opset|ir version|unsupported"):
            ort_run(decode_model(64, (5,), opset=opset, ir=ir), {"packed": data})
