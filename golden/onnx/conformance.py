"""``tritpack onnx conformance``: ONNX backend node-test data for ``TernaryDecode``, from golden.

The layout is that of onnx's own ``backend/test/data/node``::

    DIR/test_ternarydecode_<case>/model.onnx
    DIR/test_ternarydecode_<case>/test_data_set_0/input_0.pb     (packed, uint8)
    DIR/test_ternarydecode_<case>/test_data_set_0/output_0.pb    (trits, int8)
    DIR/test_ternarydecode_<case>_expanded/...                   (the body inlined)
    DIR/manifest.json                                            (cases, SHA-256 of files)

Cases: all 243 codes of each built-in codec, padding with N = 1, 319, 320, 321,
a scalar, 3-D shapes, block 640, the tq1 codec, a custom codec, every one of
the 256 byte values (invalid codes -> zeros), and empty tensors.  A runtime
vendor points its backend test runner at DIR to check its own kernel.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnx.inliner
from onnx import TensorProto, helper, numpy_helper

from ..blocks import pack, padded_length
from ..fileio import atomic_directory, check_output_dir
from ..lut import TRITS_PER_BYTE, Lut, get_lut
from . import DOMAIN
from .function import IR_DEFAULT, OPSET_DEFAULT, decode_node, domain_opset, make_function
from .reference import reference_decode

__all__ = ["Case", "cases", "case_model", "expanded_model", "write_dir", "check_dir",
           "FORMAT"]

FORMAT = "tritpack-ternarydecode-conformance"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Case:
    """One node test: packed bytes, the shape attribute, the codec and the expected trits."""

    name: str
    codec: str | Lut
    shape: tuple
    packed: np.ndarray

    @property
    def expected(self) -> np.ndarray:
        """The trits a conforming runtime outputs (golden's decode; invalid codes -> zeros)."""
        return reference_decode(self.packed, self.shape, self.codec)


def _custom_lut() -> Lut:
    """A custom codec: the standard table with its byte values permuted (fixed seed)."""
    std = get_lut("standard")
    perm = np.random.default_rng(12).permutation(256)
    return Lut.from_table(std.trits[perm], std.valid[perm], name="custom")


def _random(shape, codec, block, seed):
    trits = np.random.default_rng(seed).integers(-1, 2, shape, dtype=np.int8)
    return pack(trits, codec, block)


def _all_codes(codec: str | Lut, block: int) -> np.ndarray:
    """The valid codes ascending, then the zero code up to whole blocks."""
    lut = get_lut(codec)
    valid = np.flatnonzero(lut.valid).astype(np.uint8)
    size = padded_length(valid.size * TRITS_PER_BYTE, block) // TRITS_PER_BYTE
    zero = lut.codes[0]
    return np.concatenate([valid, np.full(size - valid.size, zero, np.uint8)])


def cases() -> list[Case]:
    """Every conformance case (deterministic)."""
    out = []
    for codec in ("standard", "tq1"):
        out.append(Case(f"all_codes_{codec}", codec, (243 * TRITS_PER_BYTE,),
                        _all_codes(codec, 320)))
        out.append(Case(f"all_bytes_{codec}", codec, (256 * TRITS_PER_BYTE,),
                        np.arange(256, dtype=np.uint8)))  # 13 invalid codes -> zeros
    for n in (1, 319, 320, 321):
        out.append(Case(f"pad_{n}", "standard", (n,), _random((n,), "standard", 320, n).data))
    out.append(Case("scalar", "standard", (), _random((), "standard", 320, 5).data))
    out.append(Case("shape_3d", "standard", (3, 4, 27),
                    _random((3, 4, 27), "standard", 320, 7).data))
    out.append(Case("shape_4d_tq1", "tq1", (2, 3, 5, 11),
                    _random((2, 3, 5, 11), "tq1", 320, 8).data))
    out.append(Case("block_640", "standard", (700,), _random((700,), "standard", 640, 9).data))
    out.append(Case("block_640_tq1", "tq1", (33, 21),
                    _random((33, 21), "tq1", 640, 10).data))
    lut = _custom_lut()
    out.append(Case("custom_lut", lut, (17, 19), _random((17, 19), lut, 320, 11).data))
    out.append(Case("empty", "standard", (0,), np.zeros(0, np.uint8)))
    out.append(Case("empty_3d", "standard", (2, 0, 3), np.zeros(0, np.uint8)))
    return out


def case_model(case: Case, opset: int = OPSET_DEFAULT) -> onnx.ModelProto:
    """The node-test model of ``case``: one TernaryDecode node and its function."""
    node = decode_node("packed", "trits", case.shape, case.codec)
    graph = helper.make_graph(
        [node], f"test_ternarydecode_{case.name}",
        [helper.make_tensor_value_info("packed", TensorProto.UINT8, [int(case.packed.size)])],
        [helper.make_tensor_value_info("trits", TensorProto.INT8, list(case.shape))])
    model = helper.make_model(graph, ir_version=IR_DEFAULT, producer_name="tritpack",
                              opset_imports=[helper.make_opsetid("", opset), domain_opset()],
                              functions=[make_function(case.codec, opset)])
    onnx.checker.check_model(model, full_check=True)
    return model


def expanded_model(model: onnx.ModelProto) -> onnx.ModelProto:
    """``model`` with the function body inlined and the ``ai.tritpack`` import dropped."""
    flat = onnx.inliner.inline_local_functions(model)
    del flat.functions[:]
    keep = [imp for imp in flat.opset_import if imp.domain != DOMAIN]
    del flat.opset_import[:]
    flat.opset_import.extend(keep)
    flat.graph.name += "_expanded"
    onnx.checker.check_model(flat, full_check=True)
    return flat


def _case_files(name: str, model: onnx.ModelProto, case: Case) -> dict[str, bytes]:
    return {
        f"{name}/model.onnx": model.SerializeToString(),
        f"{name}/test_data_set_0/input_0.pb":
            numpy_helper.from_array(case.packed, "packed").SerializeToString(),
        f"{name}/test_data_set_0/output_0.pb":
            numpy_helper.from_array(case.expected, "trits").SerializeToString(),
    }


def write_dir(out, force: bool = False) -> list[Case]:
    """Write every case (and its ``_expanded`` twin) and the manifest to ``out``, atomically.

    Everything goes to a temporary directory beside ``out``, renamed at the
    end.  An existing non-empty ``out`` is replaced only with ``force`` and
    only if it holds a ``manifest.json`` (earlier data).

    Raises
    ------
    OSError
        When ``out`` may not be written.
    """
    out = check_output_dir(out, force=force, marker=MANIFEST, what="conformance directory")
    files = {}
    all_cases = cases()
    for case in all_cases:
        model = case_model(case)
        files.update(_case_files(f"test_ternarydecode_{case.name}", model, case))
        files.update(_case_files(f"test_ternarydecode_{case.name}_expanded",
                                 expanded_model(model), case))
    manifest = {
        "format": FORMAT, "version": 1, "domain": DOMAIN, "opset": OPSET_DEFAULT,
        "cases": {c.name: {"codec": get_lut(c.codec).name, "shape": list(c.shape),
                           "bytes": int(c.packed.size)} for c in all_cases},
        "files": {k: hashlib.sha256(v).hexdigest() for k, v in sorted(files.items())},
    }
    with atomic_directory(out) as tmp:
        for rel, data in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_bytes(data)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return all_cases


def _load_tensor(path: Path) -> np.ndarray:
    t = onnx.TensorProto()
    t.ParseFromString(path.read_bytes())
    return numpy_helper.to_array(t)


def _run_ort(model_path: Path, feed: dict) -> list:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(str(model_path), so, providers=["CPUExecutionProvider"])
    return sess.run(None, feed)


def _run_reference(model_path: Path, feed: dict) -> list:
    from onnx.reference import ReferenceEvaluator

    return ReferenceEvaluator(str(model_path)).run(None, feed)


def check_dir(directory, progress=None) -> tuple[list[str], int]:
    """Run every ``test_*`` case of ``directory`` in onnxruntime and the reference evaluator.

    The files listed in ``manifest.json`` (when there is one) are checked
    against their SHA-256 first.

    Returns
    -------
    failures : list of str
        One line per edited or missing file and per failed run (case,
        runtime, what differed).
    count : int
        The number of runs.

    Raises
    ------
    OSError
        When ``directory`` is missing, is not a directory or holds no test case.
    """
    d = Path(directory)
    what, expected = f"conformance directory {d}", \
        "expected a directory written by 'tritpack onnx conformance -o'"
    if not d.exists():
        raise FileNotFoundError(f"{what}: no such directory; {expected}")
    if not d.is_dir():
        raise NotADirectoryError(f"{what}: not a directory; {expected}")
    tests = sorted(p for p in d.glob("test_*") if (p / "model.onnx").is_file())
    if not tests:
        raise FileNotFoundError(f"{what}: no test_*/model.onnx case; {expected}")
    failures, count = _verify_manifest(d), 0
    for test in tests:
        for data_set in sorted(test.glob("test_data_set_*")):
            inputs = sorted(data_set.glob("input_*.pb"))
            outputs = [_load_tensor(p) for p in sorted(data_set.glob("output_*.pb"))]
            feed = {"packed": _load_tensor(inputs[0])} if inputs else {}
            for label, run in (("onnxruntime", _run_ort), ("reference", _run_reference)):
                count += 1
                try:
                    got = run(test / "model.onnx", feed)
                except Exception as exc:  # a runtime's failure is a failed case
                    failures.append(f"{test.name} {label}: {type(exc).__name__}: "
                                    f"{' '.join(str(exc).split())[:200]}")
                    continue
                for want, have in zip(outputs, got, strict=False):
                    have = np.asarray(have)
                    if have.dtype != want.dtype or have.shape != want.shape \
                            or not np.array_equal(have, want):
                        bad = _first_difference(want, have)
                        failures.append(f"{test.name} {label}: {bad}")
                        break
        if progress is not None:
            progress(f"checked {test.name}")
    return failures, count


def _verify_manifest(d: Path) -> list[str]:
    """Files of ``manifest.json`` that are missing or differ from what was generated."""
    path = d / MANIFEST
    if not path.is_file():
        return []
    try:
        files = json.loads(path.read_text())["files"]
    except (ValueError, KeyError, TypeError) as exc:
        return [f"{MANIFEST}: unreadable ({exc})"]
    out = []
    for rel, digest in sorted(files.items()):
        f = d / rel
        if not f.is_file():
            out.append(f"{rel}: missing (listed in {MANIFEST})")
        elif hashlib.sha256(f.read_bytes()).hexdigest() != digest:
            out.append(f"{rel}: differs from the generated file (SHA-256 in {MANIFEST})")
    return out


def _first_difference(want: np.ndarray, have: np.ndarray) -> str:
    if have.dtype != want.dtype or have.shape != want.shape:
        return f"got {have.dtype}{list(have.shape)}, expected {want.dtype}{list(want.shape)}"
    i = int(np.argmax(want.reshape(-1) != have.reshape(-1)))
    where = np.unravel_index(i, want.shape) if want.ndim else ()
    return (f"trit {tuple(int(k) for k in where)} (byte {i // TRITS_PER_BYTE}) is "
            f"{int(have.reshape(-1)[i])}, expected {int(want.reshape(-1)[i])} "
            f"of {math.prod(want.shape)}")
