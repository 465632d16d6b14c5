"""Reading, version checks and atomic writing of ONNX models for the ``tritpack onnx`` tools.

Every error is one line naming the file and what was expected.  Models are
written through :func:`~tritpack.golden.fileio.atomic_path` (a temporary file
beside the output, renamed on success), after the output path was checked
and before anything else: a failed command leaves no file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import onnx
import onnx_ir as ir
from google.protobuf.message import DecodeError
from onnx.external_data_helper import uses_external_data

from .. import fileio
from ..fileio import atomic_output, atomic_path
from ..inputs import check_input_file
from .function import IR_MIN, OPSET_MIN

__all__ = ["OPSET_OLDEST", "IR_OLDEST", "check_output", "load_proto", "to_ir",
           "std_opset", "prepare_for_functions", "save_model", "has_external_data",
           "external_data_files", "iter_tensors"]

OPSET_OLDEST = 11  # the oldest standard opset the tools read (real exported models)
IR_OLDEST = 7
_TWO_GB = 2**31
_WHAT = "ONNX model"


def check_output(path: str | os.PathLike, force: bool, *inputs) -> Path:
    """Check an output model path before any work (the project's output policy).

    Raises
    ------
    OSError
        When ``path`` exists (without ``force``), is a directory, does not end
        in ``.onnx``, is one of ``inputs``, or its directory does not exist.
    """
    return fileio.check_output(path, force=force, suffixes=(".onnx",), what=_WHAT,
                               inputs=inputs)


def load_proto(path: str | os.PathLike, load_external: bool = False) -> onnx.ModelProto:
    """Read ``path`` as an ONNX model and check it structurally.

    Raises
    ------
    ValueError
        For a file that is not an ONNX model (or is truncated), an IR version
        below 7 or a standard opset outside 11 .. onnx's newest.
    OSError
        For a missing, empty or unreadable file or a directory
        (:func:`~tritpack.golden.inputs.check_input_file`).
    """
    path = Path(path)
    check_input_file(path, _WHAT, "an ONNX model file")
    try:
        proto = onnx.load(path, load_external_data=load_external)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise ValueError(f"{path}: not an ONNX model (truncated or another format): "
                         f"{_first_line(exc)}") from None
    if not proto.HasField("graph") or not proto.opset_import:
        raise ValueError(f"{path}: not an ONNX model (no graph or no opset import; "
                         "truncated or another format)")
    if proto.ir_version < IR_OLDEST:
        raise ValueError(f"{path}: IR version {proto.ir_version} is not supported; "
                         f"expected {IR_OLDEST} or later (re-export the model)")
    opset = std_opset(proto)
    newest = onnx.defs.onnx_opset_version()
    if opset is None or not OPSET_OLDEST <= opset <= newest:
        raise ValueError(f"{path}: unsupported opset {opset} of the standard domain; "
                         f"expected {OPSET_OLDEST} to {newest}")
    try:
        onnx.checker.check_model(str(path))  # by path: external data and > 2 GB models
    except onnx.checker.ValidationError as exc:
        raise ValueError(f"{path}: not a valid ONNX model: {_first_line(exc)}") from None
    return proto


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def std_opset(proto) -> int | None:
    """The version of the standard domain imported by a model (proto or ir)."""
    if isinstance(proto, ir.Model):
        imports = proto.opset_imports
        return imports.get("", imports.get("ai.onnx"))
    for imp in proto.opset_import:
        if imp.domain in ("", "ai.onnx"):
            return imp.version
    return None


def prepare_for_functions(proto: onnx.ModelProto, path) -> tuple[onnx.ModelProto, list[str]]:
    """Bring a model to what a model-local function needs: IR >= 8, opset >= 12.

    The IR version is raised (it changes no operator); an opset-11 model is
    converted to opset 12 with ``onnx.version_converter`` (whose adapters keep
    every operator's meaning) and checked.  Returns the model and what was done.

    Raises
    ------
    ValueError
        When the conversion fails.
    """
    notes = []
    opset = std_opset(proto)
    if opset < OPSET_MIN:
        try:
            proto = onnx.version_converter.convert_version(proto, OPSET_MIN)
            onnx.checker.check_model(proto)
        except Exception as exc:  # the converter raises bare RuntimeErrors
            raise ValueError(f"{path}: cannot convert opset {opset} to {OPSET_MIN} for the "
                             f"TernaryDecode body: {_first_line(exc)}") from None
        notes.append(f"standard opset {opset} -> {OPSET_MIN} (onnx.version_converter)")
    if proto.ir_version < IR_MIN:
        notes.append(f"IR version {proto.ir_version} -> {IR_MIN} (model-local functions)")
        proto.ir_version = IR_MIN
    return proto, notes


def to_ir(proto: onnx.ModelProto, path) -> ir.Model:
    """An onnx-ir model of ``proto``; external data stay lazy, relative to ``path``."""
    model = ir.serde.deserialize_model(proto)
    ir.external_data.set_base_dir(model.graph, Path(path).resolve().parent)
    return model


def iter_tensors(proto: onnx.ModelProto) -> Iterator[onnx.TensorProto]:
    """Every tensor of a model: initializers (dense and sparse) and tensor attributes
    of every node, in the main graph, its subgraphs and the model's functions."""

    def of_attribute(a: onnx.AttributeProto):
        if a.HasField("t"):
            yield a.t
        yield from a.tensors
        if a.HasField("sparse_tensor"):
            yield a.sparse_tensor.values
            yield a.sparse_tensor.indices
        for s in a.sparse_tensors:
            yield s.values
            yield s.indices
        if a.HasField("g"):
            yield from of_graph(a.g)
        for g in a.graphs:
            yield from of_graph(g)

    def of_nodes(nodes):
        for node in nodes:
            for a in node.attribute:
                yield from of_attribute(a)

    def of_graph(g: onnx.GraphProto):
        yield from g.initializer
        for s in g.sparse_initializer:
            yield s.values
            yield s.indices
        yield from of_nodes(g.node)

    yield from of_graph(proto.graph)
    for f in proto.functions:
        yield from of_nodes(f.node)


def has_external_data(proto: onnx.ModelProto) -> bool:
    """Whether any tensor of the model lives in external data."""
    return any(uses_external_data(t) for t in iter_tensors(proto))


def external_data_files(proto: onnx.ModelProto) -> set[str]:
    """The ``location`` of every external data file the model names (relative paths)."""
    return {kv.value for t in iter_tensors(proto) if uses_external_data(t)
            for kv in t.external_data if kv.key == "location"}


def save_model(model: ir.Model, path, external: bool = False, check: bool = True) -> int:
    """Write ``model`` atomically to ``path``; returns the bytes written.

    With ``external`` (or when the model would not fit protobuf's 2 GB), the
    tensors go to ``<name>.data`` beside it, also written to a temporary
    file and renamed; the model file is renamed last.  With ``check`` the
    written model passes ``onnx.checker`` with ``full_check=True`` first.

    Raises
    ------
    ValueError
        When the model fails the checker (nothing is written).
    """
    path = Path(path)
    proto = ir.to_proto(model)
    if not external and proto.ByteSize() >= _TWO_GB:
        external = True
    if not external:
        if check:
            _check(proto, path)
        data = proto.SerializeToString()
        with atomic_output(path) as f:
            f.write(data)
        return len(data)
    return _save_external(model, path, check)


def _check(proto_or_path, path) -> None:
    try:
        onnx.checker.check_model(proto_or_path, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        raise ValueError(f"{path}: the model written would fail onnx.checker: "
                         f"{_first_line(exc)}") from None


def _save_external(model: ir.Model, path: Path, check: bool) -> int:
    """Write the tensors to ``<name>.data`` and the model to ``path``, each atomically.

    Both are written under temporary names (the model's tensors first point to
    the temporary data file, which is what the checker reads), the model is
    then pointed at the final data file name, and the data file is renamed
    before the model file.
    """
    data_path = path.parent / (path.name + ".data")
    with atomic_path(path) as tmp_model, atomic_path(data_path) as tmp_data:
        ir.save(model, tmp_model, external_data=tmp_data.name)
        if check:
            _check(str(tmp_model), path)
        proto = onnx.load(tmp_model, load_external_data=False)
        for t in iter_tensors(proto):
            for kv in t.external_data:
                if kv.key == "location" and kv.value == tmp_data.name:
                    kv.value = data_path.name
        with open(tmp_model, "wb") as f:
            f.write(proto.SerializeToString())
    return path.stat().st_size + data_path.stat().st_size
