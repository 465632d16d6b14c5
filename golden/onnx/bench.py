"""``tritpack bench onnx``: TernaryDecode in onnxruntime beside golden, memcpy and INT2.

Measured in one run, on one random tensor (64 Mi trits rounded down to whole
320-trit blocks; ``quick``: 1 Mi):

* golden's ``decode`` and a memcpy of its int8 output (the ceilings);
* onnxruntime running the ``TernaryDecode`` function at run time (constant
  folding disabled, so every run decodes), to int8 and to float32 through the
  Cast and Mul that ``tritpack onnx pack`` writes;
* onnxruntime's native INT2 ``DequantizeLinear`` (2 bits per weight) to
  float32 on as many values: the peer a user would otherwise pick;
* session creation of a packed 8000 x 8000 MatMul model against the plain
  float model, one file and with external data (``quick``: 1024 x 1024),
  with the default session options (onnxruntime constant-folds the decode)
  and with constant folding disabled.

Targets: onnxruntime decode >= 1 Gtrit/s; packed session creation <= 2x plain.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ..bench import best_time, memcpy_time
from ..blocks import pack
from ..codec import decode

__all__ = ["run_onnx_bench", "TARGET_ORT_GTRITS", "TARGET_SESSION_RATIO"]

TARGET_ORT_GTRITS = 1.0
TARGET_SESSION_RATIO = 2.0


def _progress(msg: str) -> None:
    print(f"[bench onnx] {msg}", file=sys.stderr, flush=True)


def _session(model_bytes_or_path, fold: bool = True, threads: int = 0):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = threads
    disabled = None if fold else ["ConstantFolding"]
    src = model_bytes_or_path if isinstance(model_bytes_or_path, bytes) \
        else str(model_bytes_or_path)
    return ort.InferenceSession(src, so, providers=["CPUExecutionProvider"],
                                disabled_optimizers=disabled)


def _decode_models(packed, n: int, scale: np.float32):
    """(int8 model, float32 model) decoding the packed initializer of ``n`` trits."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from .function import IR_DEFAULT, OPSET_DEFAULT, decode_node, domain_opset, make_function

    def model(float_out: bool):
        nodes = [decode_node("packed", "trits", (n,))]
        out = "trits"
        if float_out:
            nodes += [helper.make_node("Cast", ["trits"], ["f"], to=TensorProto.FLOAT),
                      helper.make_node("Mul", ["f", "scale"], ["w"])]
            out = "w"
        graph = helper.make_graph(
            nodes, "decode", [],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT if float_out
                                           else TensorProto.INT8, [n])],
            [numpy_helper.from_array(packed.data, "packed"),
             numpy_helper.from_array(np.array(scale), "scale")])
        m = helper.make_model(graph, ir_version=IR_DEFAULT,
                              opset_imports=[helper.make_opsetid("", OPSET_DEFAULT),
                                             domain_opset()],
                              functions=[make_function("standard", OPSET_DEFAULT)])
        onnx.checker.check_model(m, full_check=True)
        return m.SerializeToString()

    return model(False), model(True)


def _int2_model(n: int, scale: np.float32) -> bytes:
    """ONNX INT2 ``DequantizeLinear`` of ``n`` random values to float32 (opset 25, IR 11)."""
    from onnx import TensorProto, helper, numpy_helper

    raw = np.random.default_rng(3).integers(0, 256, n // 4, dtype=np.uint8).tobytes()
    graph = helper.make_graph(
        [helper.make_node("DequantizeLinear", ["q", "scale"], ["w"])], "int2", [],
        [helper.make_tensor_value_info("w", TensorProto.FLOAT, [n])],
        [helper.make_tensor("q", TensorProto.INT2, [n], raw, raw=True),
         numpy_helper.from_array(np.array(scale), "scale")])
    return helper.make_model(graph, ir_version=11,
                             opset_imports=[helper.make_opsetid("", 25)]).SerializeToString()


def _matmul_models(rows: int, cols: int, directory: Path) -> tuple[Path, Path, Path]:
    """A plain float32 MatMul model (one file, and with external data) and the same packed
    by ``tritpack onnx pack``, on disk."""
    import onnx_ir as ir
    from onnx import TensorProto, helper, numpy_helper

    from .modelio import save_model, to_ir
    from .pack import pack_model

    rng = np.random.default_rng(4)
    w = rng.integers(-1, 2, (rows, cols), dtype=np.int8).astype(np.float32) * np.float32(0.02)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, rows])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, cols])],
        [numpy_helper.from_array(w, "w")])
    plain = helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 21)])
    plain_path, packed_path = directory / "plain.onnx", directory / "packed.onnx"
    ext_path = directory / "plain_external.onnx"
    plain_path.write_bytes(plain.SerializeToString())
    model = to_ir(plain, plain_path)
    ir.save(model, ext_path, external_data=ext_path.name + ".data")
    pack_model(model)
    save_model(model, packed_path, check=False)
    return plain_path, ext_path, packed_path


def _time_run(model: bytes, want, repeat: int, threads: int = 0) -> float:
    """Best run time of a model without inputs (constant folding off), its output checked."""
    sess = _session(model, fold=False, threads=threads)
    if want is not None and not np.array_equal(sess.run(None, {})[0], want):
        raise RuntimeError("bench onnx: onnxruntime's TernaryDecode differs from golden")
    return best_time(lambda: sess.run(None, {}), repeat)


def _create_time(path: Path, fold: bool, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        sess = _session(path, fold)
        best = min(best, time.perf_counter() - t0)
        del sess
    return best


def run_onnx_bench(quick: bool = False, outdir=None) -> str:
    """Measure TernaryDecode in onnxruntime; print progress, return a Markdown section.

    Parameters
    ----------
    quick : bool
        Small sizes and fewer repeats: a smoke test, not a figure.
    """
    import onnx
    import onnxruntime as ort

    n = (1 << 20 if quick else 64 << 20) // 320 * 320
    side = 1024 if quick else 8000
    repeat = 3 if quick else 7
    scale = np.float32(0.02)
    load_before = os.getloadavg()[0]
    _progress(f"{n:,} random trits, best of {repeat}; onnxruntime {ort.__version__}, "
              f"{ort.get_device()}")
    trits = np.random.default_rng(2).integers(-1, 2, n, dtype=np.int8)
    packed = pack(trits, "standard", 320)

    t_gold = best_time(lambda: decode(packed.data), repeat)
    _progress(f"golden decode {n / t_gold / 1e9:.2f} Gtrit/s")
    t_cpy = memcpy_time(trits, repeat)
    _progress(f"memcpy of the int8 output {trits.nbytes / t_cpy / 1e9:.1f} GB/s")

    int8_model, float_model = _decode_models(packed, n, scale)
    t_ort = _time_run(int8_model, trits, repeat)
    _progress(f"onnxruntime TernaryDecode -> int8 {n / t_ort / 1e9:.2f} Gtrit/s")
    t_ort1 = _time_run(int8_model, trits, repeat, threads=1)
    _progress(f"onnxruntime TernaryDecode -> int8, one thread {n / t_ort1 / 1e9:.2f} Gtrit/s")
    t_ortf = _time_run(float_model, trits.astype(np.float32) * scale, repeat)
    _progress(f"onnxruntime TernaryDecode -> Cast -> Mul float32 {n / t_ortf / 1e9:.2f} Gtrit/s")
    t_int2 = _time_run(_int2_model(n, scale), None, repeat)
    _progress(f"onnxruntime INT2 DequantizeLinear -> float32 {n / t_int2 / 1e9:.2f} Gvalue/s")

    with tempfile.TemporaryDirectory(prefix="tritpack-bench-onnx-") as tmp:
        plain_path, ext_path, packed_path = _matmul_models(side, side, Path(tmp))
        sizes = (plain_path.stat().st_size, packed_path.stat().st_size)
        c_repeat = 3
        t_plain = _create_time(plain_path, True, c_repeat)
        t_ext = _create_time(ext_path, True, c_repeat)
        t_packed = _create_time(packed_path, True, c_repeat)
        t_nofold = _create_time(packed_path, False, c_repeat)
        sess = _session(packed_path, fold=False)
        x = np.ones((1, side), np.float32)
        t0 = time.perf_counter()
        sess.run(None, {"x": x})
        t_first = time.perf_counter() - t0
        del sess
    ratio, ratio_nofold = t_packed / t_plain, t_nofold / t_plain
    ratio_ext = t_packed / t_ext
    _progress(f"session creation {side}x{side}: plain {t_plain:.3f} s (external data "
              f"{t_ext:.3f} s), packed {t_packed:.3f} s ({ratio:.2f}x, {ratio_ext:.2f}x), "
              f"packed without constant folding {t_nofold:.3f} s")
    load_after = os.getloadavg()[0]

    def g(t):
        return n / t / 1e9

    def verdict(ok):
        return "meets" if ok else "**misses**"

    mib = trits.nbytes / (1 << 20)
    lines = [
        "## onnx: the TernaryDecode operator in onnxruntime",
        "",
        f"{n:,} random trits ({'quick' if quick else 'full'} run), codec `standard`, "
        f"block 320, best of {repeat}; onnxruntime {ort.__version__}, onnx {onnx.__version__}, "
        "CPU execution provider, default threads (and one).  The operator runs as its "
        "function body (Cast, Gather on the 256 x 5 table, Reshape, Slice, Reshape); "
        "constant folding is disabled for the decode rows, so each run decodes.  "
        f"1-minute load average {load_before:.1f} before and {load_after:.1f} after.",
        "",
        "| decode | Gtrit/s | vs golden | target | time |",
        "| --- | ---: | ---: | --- | ---: |",
        f"| golden `decode` (numpy) | {g(t_gold):.2f} | 1.00x | | {t_gold * 1e3:.1f} ms |",
        f"| memcpy of the int8 output ({mib:.0f} MiB) | {g(t_cpy):.2f} | "
        f"{t_gold / t_cpy:.2f}x | | {t_cpy * 1e3:.1f} ms |",
        f"| onnxruntime `TernaryDecode` -> int8 | {g(t_ort):.2f} | {t_gold / t_ort:.2f}x | "
        f"{verdict(g(t_ort) >= TARGET_ORT_GTRITS)} >= {TARGET_ORT_GTRITS:g} | "
        f"{t_ort * 1e3:.1f} ms |",
        f"| onnxruntime `TernaryDecode` -> int8, one thread | {g(t_ort1):.2f} | "
        f"{t_gold / t_ort1:.2f}x | | {t_ort1 * 1e3:.1f} ms |",
        f"| onnxruntime `TernaryDecode` -> Cast -> Mul, float32 | {g(t_ortf):.2f} | "
        f"{t_gold / t_ortf:.2f}x | | {t_ortf * 1e3:.1f} ms |",
        f"| onnxruntime INT2 `DequantizeLinear` -> float32 (2.0 bits/weight) | "
        f"{g(t_int2):.2f} | {t_gold / t_int2:.2f}x | | {t_int2 * 1e3:.1f} ms |",
        "",
        f"Session creation, {side} x {side} float32 MatMul weight (files: plain "
        f"{sizes[0] / (1 << 20):.1f} MiB, packed {sizes[1] / (1 << 20):.2f} MiB), best of "
        f"{c_repeat}:",
        "",
        "| model, session options | create | vs plain file | vs plain, external data "
        "| target |",
        "| --- | ---: | ---: | ---: | --- |",
        f"| plain float32, one file, default | {t_plain:.3f} s | 1.00x | | |",
        f"| plain float32, external data (memory-mapped), default | {t_ext:.3f} s | "
        f"{t_ext / t_plain:.2f}x | 1.00x | |",
        f"| packed, default (onnxruntime folds the decode: holds the floats) | {t_packed:.3f} s "
        f"| {ratio:.2f}x | {ratio_ext:.2f}x | {verdict(ratio <= TARGET_SESSION_RATIO)} / "
        f"{verdict(ratio_ext <= TARGET_SESSION_RATIO)} <= {TARGET_SESSION_RATIO:g}x |",
        f"| packed, `disabled_optimizers=[\"ConstantFolding\"]` (decodes at every run; "
        f"first run {t_first:.3f} s) | {t_nofold:.3f} s | {ratio_nofold:.2f}x | "
        f"{t_nofold / t_ext:.2f}x | {verdict(ratio_nofold <= TARGET_SESSION_RATIO)} <= "
        f"{TARGET_SESSION_RATIO:g}x |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run_onnx_bench(quick="--quick" in sys.argv))
