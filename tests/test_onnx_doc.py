"""docs/TERNARYDECODE.md and the code agree.

The operator marker, the attribute, input, output and type tables, the
function body, the codec table (function names and invalid codes), the
version rules and every ``ternarydecode-example`` block (run in onnxruntime
and in the reference evaluator, and packed by golden) are read out of the
page and checked against the code.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper  # noqa: E402
from onnx_utils import ort_run, ref_run  # noqa: E402

import tritpack.golden as golden  # noqa: E402
from tritpack.golden.onnx import DOMAIN, DOMAIN_VERSION, OP_TYPE  # noqa: E402
from tritpack.golden.onnx.function import (  # noqa: E402
    IR_DEFAULT,
    IR_MIN,
    OPSET_DEFAULT,
    OPSET_MIN,
    body_text,
    decode_node,
    domain_opset,
    function_name,
    make_function,
)
from tritpack.golden.onnx.modelio import IR_OLDEST, OPSET_OLDEST  # noqa: E402

from utils import doc_examples  # noqa: E402

DOC = Path(__file__).resolve().parents[1] / "docs" / "TERNARYDECODE.md"
TEXT = DOC.read_text(encoding="utf-8")


def table(marker: str) -> list[list[str]]:
    """The rows (cells stripped of backticks) of the Markdown table after ``<!-- marker -->``."""
    m = re.search(rf"<!-- {marker} -->\n\| .*\|\n\|[- |]+\|\n((?:\|.*\|\n)+)", TEXT)
    assert m, f"TERNARYDECODE.md has no table after <!-- {marker} -->"
    return [[c.replace("`", "").strip() for c in row.strip().strip("|").split("|")]
            for row in m.group(1).strip().splitlines()]


def examples() -> list[dict]:
    return doc_examples(TEXT, "ternarydecode-example")


def test_operator_marker():
    assert f"<!-- operator: {DOMAIN} {OP_TYPE} {DOMAIN_VERSION} -->" in TEXT
    assert f"# {OP_TYPE} (domain `{DOMAIN}`, version {DOMAIN_VERSION})" in TEXT


def test_attributes_inputs_outputs_types():
    f = make_function("standard")
    assert [r[0] for r in table("attributes")] == list(f.attribute) == ["shape"]
    assert table("attributes")[0][1:3] == ["ints", "yes"] and not f.attribute_proto
    assert [r[0] for r in table("inputs")] == list(f.input)
    assert [r[0] for r in table("outputs")] == list(f.output)
    types = {r[0]: r[1] for r in table("types")}
    assert types == {"T1": "tensor(uint8)", "T2": "tensor(int8)"}
    assert table("inputs")[0][1] == "T1" and table("outputs")[0][1] == "T2"
    graph = helper.make_graph(  # the output type the checker infers through the body
        [decode_node("packed", "trits", (4, 5))], "g",
        [helper.make_tensor_value_info("packed", TensorProto.UINT8, [64])],
        [helper.make_tensor_value_info("trits", TensorProto.UNDEFINED, None)])
    model = helper.make_model(graph, ir_version=IR_DEFAULT, functions=[f],
                              opset_imports=[helper.make_opsetid("", OPSET_DEFAULT),
                                             domain_opset()])
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    out = inferred.graph.output[0].type.tensor_type
    assert out.elem_type == TensorProto.INT8


def test_function_body():
    m = re.search(r"<!-- body: (\w+) (\d+) -->\n```\n(.*?)```", TEXT, flags=re.S)
    assert m, "TERNARYDECODE.md shows no function body"
    assert m.group(3).strip() == body_text(m.group(1), int(m.group(2))).strip()


def test_codec_table():
    rows = {r[0].split()[0]: r for r in table("codecs")}
    for codec in golden.CODEC_NAMES:
        lut = golden.get_lut(codec)
        assert rows[codec][1] == function_name(lut)
        listed = [int(c, 16) for c in rows[codec][2].split()]
        assert listed == lut.invalid_codes.tolist()
    std = golden.get_lut("standard")
    perm = np.random.default_rng(3).permutation(256)
    custom = golden.Lut.from_table(std.trits[perm], std.valid[perm], name="x")
    prefix = rows["custom"][1].split("<")[0]
    assert re.fullmatch(re.escape(prefix) + r"[0-9a-f]{12}", function_name(custom))


def test_version_rules():
    rules = {r[0]: r[1] for r in table("versions")}
    assert rules["oldest model read"] == f"IR {IR_OLDEST}, opset {OPSET_OLDEST}"
    assert rules["body valid from"].startswith(f"opset {OPSET_MIN} ")
    assert rules["model-local functions need"] == f"IR {IR_MIN}"
    assert rules["models tritpack writes from scratch"] == \
        f"IR {IR_DEFAULT}, opset {OPSET_DEFAULT}"


EXAMPLES = examples()


def test_examples_cover_each_codec_invalid_codes_and_empty():
    assert len(EXAMPLES) >= 4
    assert {e["codec"] for e in EXAMPLES} == set(golden.CODEC_NAMES)
    assert any(e["size"] == "0" for e in EXAMPLES)


@pytest.mark.parametrize("ex", EXAMPLES, ids=lambda e: f"{e['codec']}-{e['shape']}")
def test_example(ex):
    shape = tuple(int(d) for d in ex["shape"].split())
    lead = [int(b, 16) for b in ex["bytes"].split()]
    data = np.full(int(ex["size"]), int(ex["fill"], 16), np.uint8)
    data[: len(lead)] = lead
    want = [int(t) for t in ex["trits"].split()]
    graph = helper.make_graph(
        [decode_node("packed", "trits", shape, ex["codec"])], "example",
        [helper.make_tensor_value_info("packed", TensorProto.UINT8, [data.size])],
        [helper.make_tensor_value_info("trits", TensorProto.INT8, list(shape))])
    model = helper.make_model(graph, ir_version=IR_DEFAULT,
                              functions=[make_function(ex["codec"], OPSET_DEFAULT)],
                              opset_imports=[helper.make_opsetid("", OPSET_DEFAULT),
                                             domain_opset()])
    onnx.checker.check_model(model, full_check=True)
    for got in (ort_run(model, {"packed": data})[0], ref_run(model, {"packed": data})[0]):
        assert got.shape == shape and got.reshape(-1).tolist() == want
    lut = golden.get_lut(ex["codec"])
    if lut.valid[data].all():  # golden packs the same bytes
        trits = np.array(want, np.int8).reshape(shape)
        assert golden.pack(trits, lut).data.tolist() == data.tolist()


def test_every_command_line_of_the_doc_parses():
    """Each ``tritpack ...`` line of the sh blocks is a command the installed CLI accepts."""
    import shlex

    from tritpack.cli import build_parser

    lines = [line for block in re.findall(r"```sh\n(.*?)```", TEXT, flags=re.S)
             for line in block.splitlines() if line.startswith("tritpack ")]
    assert len(lines) >= 5
    for line in lines:
        args = build_parser().parse_args(shlex.split(line)[1:])
        assert callable(args.func), line
