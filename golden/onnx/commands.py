"""``tritpack onnx pack | fold | info | conformance``: the TernaryDecode operator's tools.

:func:`register_onnx` is a ``tritpack.commands`` entry point.  This module
imports only the standard library at load time; ``onnx``, ``onnx_ir`` and
``onnxruntime`` are imported by each command, so that without the ``onnx``
extra ``tritpack onnx --help`` still works and a command says in one line
which ``pip install`` it needs.
"""

from __future__ import annotations

import os
import sys

from tritpack.cli import add_command

from ..commands import add_block_option, add_codec_option, add_force_option

__all__ = ["register_onnx"]


def register_onnx(subparsers) -> None:
    """ONNX models: pack weights behind the TernaryDecode operator, fold it, inspect,
    conformance data

    The TernaryDecode ONNX operator (domain ai.tritpack, version 1): a
    model-local function of standard ops, so onnxruntime (or any runtime with
    function support) runs a packed model with nothing of tritpack installed.
    See docs/TERNARYDECODE.md.  Needs the 'onnx' extra: pip install 'tritpack[onnx]'.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The ``tritpack`` command list.
    """
    p = add_command(subparsers, "onnx", doc=register_onnx, raw=True)
    sub = p.add_subparsers(dest="onnx_command", metavar="COMMAND", required=True)
    _register_pack(sub)
    _register_fold(sub)
    _register_info(sub)
    _register_conformance(sub)


def _add_output(p, what: str) -> None:
    p.add_argument("-o", "--output", required=True, metavar="OUT.onnx",
                   help=f"{what} (written atomically; checked before any work)")
    add_force_option(p)


def _register_pack(sub) -> None:
    p = add_command(sub, "pack", run_pack, raw=True)
    p.add_argument("input", metavar="IN.onnx")
    _add_output(p, "packed model")
    add_codec_option(p)
    add_block_option(p)
    p.add_argument("--tensors", action="append", metavar="GLOB",
                   help="pack exactly the constants whose names match GLOB (repeatable)")
    p.add_argument("--ternarize", action="store_true",
                   help="ternarize float MatMul/Gemm/Conv weights with absmean first (lossy)")
    p.add_argument("--external-data", action="store_true",
                   help="write tensors to OUT.onnx.data (default: only if the input has "
                   "external data or the model exceeds 2 GB)")


def _register_fold(sub) -> None:
    p = add_command(sub, "fold", run_fold, raw=True)
    p.add_argument("input", metavar="IN.onnx")
    _add_output(p, "folded model")


def _register_info(sub) -> None:
    p = add_command(sub, "info", run_info)
    p.add_argument("model", metavar="MODEL.onnx")


def _register_conformance(sub) -> None:
    p = add_command(sub, "conformance", run_conformance, raw=True)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("-o", "--output", metavar="DIR", help="directory to write")
    mode.add_argument("--check", metavar="DIR", help="run the cases of DIR")
    p.add_argument("--force", action="store_true",
                   help="replace DIR if it holds earlier conformance data")


def _say(msg: str) -> None:
    print(msg, flush=True)


def run_pack(args) -> int:
    """replace ternary weights by packed uint8 blocks + TernaryDecode (+ scale)

    Replace every ternary weight of a model (int8 tensors of -1/0/1, float
    tensors of exactly {-s, 0, +s} per tensor or per row), stored as an initializer
    or a Constant node, in the main graph or a subgraph, by packed uint8 blocks and
    a TernaryDecode node (then Cast + Mul by the scale): lossless.  --ternarize first
    ternarizes the float weights of MatMul/Gemm/Conv with BitNet absmean (lossy).
    Models from IR 7 and opset 11 on are read; opset 11 is converted to 12 (the
    body's minimum) and IR 7 raised to 8.  External data stay external.

    examples:
      tritpack onnx pack model.onnx -o model.packed.onnx
      tritpack onnx pack float.onnx -o ternary.onnx --ternarize --codec tq1
    """
    from ..lut_io import resolve_codec
    from ..units import human_bytes
    from ..weights.report import size_report
    from . import modelio
    from .pack import pack_model

    out = modelio.check_output(args.output, args.force, args.input)
    lut = resolve_codec(args.codec)
    proto = modelio.load_proto(args.input)
    external = args.external_data or modelio.has_external_data(proto)
    proto, notes = modelio.prepare_for_functions(proto, args.input)
    model = modelio.to_ir(proto, args.input)
    _check_packed(model, args.input)
    try:
        result = pack_model(model, lut, args.block, args.tensors, args.ternarize)
    except ValueError as exc:  # names the tensor or option; say which file too
        raise ValueError(f"{args.input}: {exc}") from None
    if not result.sizes:
        raise ValueError(f"{args.input}: no ternary weight found (nothing written); "
                         "use --ternarize to ternarize float weights, or --tensors")
    written = modelio.save_model(model, out, external=external)
    _say(size_report(result.sizes))
    for note in notes:
        _say(f"upgraded: {note}")
    if result.ternarized:
        _say(f"LOSSY: {len(result.ternarized)} float weight(s) ternarized with BitNet absmean "
             f"(per-tensor scale) before packing: {', '.join(result.ternarized[:6])}"
             + (" ..." if len(result.ternarized) > 6 else ""))
    else:
        _say("lossless: every packed weight was already ternary")
    if result.skipped:
        _say(f"left as they were ({len(result.skipped)}): {', '.join(result.skipped[:6])}"
             + (" ..." if len(result.skipped) > 6 else ""))
    before = _file_bytes(args.input)
    _say(f"file: {human_bytes(before)} -> {human_bytes(written)} "
         f"({100 * (written / before - 1):+.1f}%); wrote {out}"
         + (" (+ external data)" if external else ""))
    return 0


def _check_packed(model, path) -> None:
    """Refuse a model whose already packed tensors are not valid (first problem named)."""
    from .info import packed_entries

    bad = [e for e in packed_entries(model, path) if e.problem and e.nbytes is not None]
    if bad:
        raise ValueError(f"{path}: {bad[0].problem}")


def _file_bytes(path) -> int:
    """The model file's size plus that of the external data files beside it that it names."""
    import onnx

    from .modelio import external_data_files

    proto = onnx.load(path, load_external_data=False)
    base = os.path.dirname(os.path.abspath(path))
    files = [os.path.join(base, loc) for loc in external_data_files(proto)]
    return os.path.getsize(path) + sum(os.path.getsize(f) for f in files if os.path.isfile(f))


def run_fold(args) -> int:
    """compile-time fallback: decode every constant TernaryDecode into a plain initializer

    Decode every TernaryDecode whose input is a constant with the golden
    model (checking sizes, codes and padding) into a plain int8 constant, folding
    the Cast and Mul by the scale that follow into the float weight; drop the
    function and the ai.tritpack import when unused.  The result needs no
    function support.

    example:
      tritpack onnx fold model.packed.onnx -o model.onnx
    """
    from ..units import human_bytes
    from . import modelio
    from .fold import fold_model

    out = modelio.check_output(args.output, args.force, args.input)
    proto = modelio.load_proto(args.input)
    external = modelio.has_external_data(proto)
    model = modelio.to_ir(proto, args.input)
    result = fold_model(model, args.input)
    if not result.folded and not result.runtime:
        raise ValueError(f"{args.input}: no TernaryDecode node to fold (nothing written)")
    written = modelio.save_model(model, out, external=external)
    _say(f"folded {len(result.folded)} packed tensor(s) into plain initializers"
         + (f"; {len(result.runtime)} TernaryDecode node(s) on run-time inputs left "
            f"({', '.join(result.runtime[:4])}): the model still needs function support"
            if result.runtime else "; the model needs no function support"))
    _say(f"file: {human_bytes(_file_bytes(args.input))} -> {human_bytes(written)}; wrote {out}")
    return 0


def run_info(args) -> int:
    """list the packed tensors of a model: codec, block, sizes, codes valid

    List every TernaryDecode node: tensor, shape, codec, block, packed bytes, bits
    per trit, scale, and whether its codes and padding are valid.  Exit status 2
    when a packed tensor is not valid (the first problem is named).
    """
    from . import modelio
    from .info import format_info, packed_entries

    proto = modelio.load_proto(args.model)
    model = modelio.to_ir(proto, args.model)
    entries = packed_entries(model, args.model)
    _say(format_info(args.model, entries, _file_bytes(args.model)))
    bad = [e for e in entries if e.problem is not None and e.nbytes is not None]
    if bad:
        raise ValueError(f"{args.model}: {bad[0].problem}")
    return 0


def run_conformance(args) -> int:
    """write (or check) ONNX backend node-test data for TernaryDecode

    Write node-test data in the layout of onnx's backend tests
    (DIR/test_*/model.onnx + test_data_set_0/input_0.pb, output_0.pb), each case
    also as test_*_expanded with the function body inlined, generated from the
    golden model.  --check DIR runs every case in onnxruntime and in
    onnx.reference.ReferenceEvaluator.

    examples:
      tritpack onnx conformance -o build/ternarydecode-tests
      tritpack onnx conformance --check build/ternarydecode-tests
    """
    from . import conformance

    if args.check:
        failures, count = conformance.check_dir(args.check, progress=_say)
        if failures:
            for line in failures:
                print(f"FAIL {line}", file=sys.stderr)
            raise ValueError(f"{args.check}: {len(failures)} of {count} runs failed "
                             f"(first: {failures[0]})")
        _say(f"{args.check}: all {count} runs passed (onnxruntime and ReferenceEvaluator)")
        return 0
    cases = conformance.write_dir(args.output, force=args.force)
    _say(f"wrote {len(cases)} cases (x2 with _expanded) to {args.output}")
    return 0
