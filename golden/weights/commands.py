"""``tritpack pack | unpack | info | transcode``: real weight files on the command line.

Bad input (truncated or corrupt files, unsupported types, missing tensors,
shapes that cannot be packed) is a :class:`golden.weights.WeightsError`, which
``tritpack`` prints as one line naming file and tensor, with exit status 2;
outputs are written to a temporary file and renamed, so a failure leaves none.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from .. import BLOCK_SIZES, CODEC_NAMES
from .container import Container
from .errors import WeightsError
from .pack import pack_file, plan
from .report import human_bytes, size_report
from .sources import open_source
from .stfile import SafetensorsReader
from .transcode import TARGETS, UNPACK_DTYPES, to_gguf, to_hf, to_unpacked

__all__ = ["register_pack", "register_unpack", "register_info", "register_transcode"]


def _add_io(p, out_help: str) -> None:
    p.add_argument("src", metavar="SRC", help="input file")
    p.add_argument("-o", "--output", required=True, metavar="DST", help=out_help)
    p.add_argument("--no-progress", dest="progress", action="store_const", const=False,
                   default=None, help="no progress bar (default: shown on a terminal)")


def _add_packing(p) -> None:
    p.add_argument("--codec", choices=CODEC_NAMES, default="standard",
                   help="byte code of five trits (default: standard)")
    p.add_argument("--block", type=int, choices=BLOCK_SIZES, default=320,
                   help="trits per block: 320 = one 64-byte line (default), 640 = two")
    other = p.add_mutually_exclusive_group()
    other.add_argument("--keep-other", dest="keep_other", action="store_true", default=True,
                       help="carry tensors that are not packed unchanged (default)")
    other.add_argument("--skip-other", dest="keep_other", action="store_false",
                       help="leave tensors that are not packed out")


def _check_paths(args) -> None:
    src, dst = Path(args.src), Path(args.output)
    if dst.exists() and src.exists() and os.path.samefile(src, dst):
        raise WeightsError("the output would overwrite the input", dst)
    if not dst.parent.is_dir():
        raise WeightsError("output directory does not exist", dst.parent)


def register_pack(subparsers) -> None:
    p = subparsers.add_parser(
        "pack", help="pack a weight file (npy, safetensors, GGUF) into packed ternary blocks",
        description="Ternarize (absmean) float tensors, or take TQ1_0/TQ2_0/HF-packed ones as "
        "they are, and write them as packed blocks plus scales into a safetensors container; "
        "print the size report.")
    _add_io(p, "output container (.safetensors)")
    _add_packing(p)
    p.add_argument("--tensors", action="append", metavar="GLOB",
                   help="pack exactly the tensors matching GLOB (repeatable; default: 2-D+ "
                   "float and already-ternary tensors, except embeddings, norms, output head)")
    p.set_defaults(func=_run_pack)


def _run_pack(args) -> int:
    _check_paths(args)
    r = pack_file(args.src, args.output, args.codec, args.block, args.tensors, args.keep_other,
                  progress=args.progress)
    print(size_report(r.sizes, r.other_bytes))
    if r.skipped:
        print(f"left out ({len(r.skipped)}): {', '.join(r.skipped[:8])}"
              + (" ..." if len(r.skipped) > 8 else ""))
    print(f"wrote {args.output} ({human_bytes(Path(args.output).stat().st_size)})")
    return 0


def register_unpack(subparsers) -> None:
    p = subparsers.add_parser(
        "unpack", help="unpack a container into plain tensors (int8 trits or floats)",
        description="Write the container's ternary tensors as int8 trits plus NAME.scale "
        "(float32, w = scale * t), or dequantized floats; carried tensors are copied.")
    _add_io(p, "output .safetensors")
    p.add_argument("--dtype", choices=tuple(UNPACK_DTYPES), default="int8",
                   help="int8 trits + scale (default) or dequantized floats")
    p.add_argument("--tensors", action="append", metavar="GLOB", help="only these (repeatable)")
    p.set_defaults(func=_run_unpack)


def _run_unpack(args) -> int:
    _check_paths(args)
    to_unpacked(args.src, args.output, args.dtype, args.tensors, args.progress)
    print(f"wrote {args.output} ({human_bytes(Path(args.output).stat().st_size)})")
    return 0


def register_info(subparsers) -> None:
    p = subparsers.add_parser(
        "info", help="list a container's tensors (or what 'pack' would do with a weight file)",
        description="For a container: tensors, shapes, codec, block, bytes and bits per "
        "weight, after checking every checksum.  For any other weight file: its tensors and "
        "what 'tritpack pack' would do with each.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--no-verify", dest="verify", action="store_false",
                   help="skip reading the data to check checksums, codes and padding")
    p.set_defaults(func=_run_info)


def _is_container(path) -> bool:
    try:
        with open(path, "rb") as f:
            magic = f.read(8)
    except OSError as exc:
        raise WeightsError(f"cannot read: {exc.strerror or exc}", path) from None
    if magic.startswith((b"GGUF", b"\x93NUMPY")):
        return False
    return "tritpack" in SafetensorsReader(path).metadata


def _fmt_shape(shape) -> str:
    return "x".join(map(str, shape)) or "()"


def _run_info(args) -> int:
    if not _is_container(args.file):
        return _info_source(args.file)
    c = Container(args.file)
    if args.verify:
        c.verify()
    entries = list(c)
    tern = [e for e in entries if e.kind == "ternary"]
    size = Path(args.file).stat().st_size
    src = c.source
    print(f"{args.file}: tritpack container, {len(entries)} tensors ({len(tern)} ternary, "
          f"{len(entries) - len(tern)} carried), {human_bytes(size)}, from {src.get('format')} "
          f"{src.get('file', '')}; "
          + ("checksums, codes and padding OK" if args.verify else "not verified"))
    w = max([len(e.name) for e in entries] + [6])
    print(f"{'tensor':<{w}}  {'kind':<7} {'shape':>14} {'codec':>8} {'block':>5} "
          f"{'bytes':>11} {'bpw':>7}  origin")
    for e in entries:
        o = e.meta["origin"]
        origin = f"{o.get('format')} {o.get('dtype')}"
        if e.kind == "ternary":
            m = e.meta
            nbytes = e.data_bytes + e.scale_bytes
            bpw = f"{8 * nbytes / e.num_weights:.4f}" if e.num_weights else "-"
            scale = f"{e.scale_dtype} x{math.prod(e.scale_shape)} {m['scale']['mode']}"
            print(f"{e.name:<{w}}  {'ternary':<7} {_fmt_shape(e.shape):>14} {m['codec']:>8} "
                  f"{m['block']:>5} {nbytes:>11} {bpw:>7}  {origin}; scale {scale}")
        else:
            print(f"{e.name:<{w}}  {'raw':<7} {_fmt_shape(e.shape):>14} {e.dtype:>8} {'':>5} "
                  f"{e.data_bytes:>11} {'':>7}  {origin}")
    n = sum(e.num_weights for e in tern)
    nb = sum(e.data_bytes + e.scale_bytes for e in tern)
    if n:
        print(f"ternary: {n} weights in {nb} bytes = {8 * nb / n:.4f} bits per weight "
              "(scales included)")
    return 0


def _info_source(path) -> int:
    s = open_source(path)
    acts = {st.tensor.name: st.action for st in plan(s, keep_other=False)}
    print(f"{path}: {s.format} file, {len(s.tensors)} tensors (not a tritpack container)")
    w = max([len(t.name) for t in s.tensors] + [6])
    print(f"{'tensor':<{w}}  {'type':>6} {'shape':>14} {'bytes':>11}  'tritpack pack' would")
    for t in s.tensors:
        if acts[t.name] == "pack":
            act = "pack (absmean)" if t.kind == "float" else "pack (lossless)"
        elif t.owner is not None:
            act = f"scale of {t.owner}" if acts[t.owner] == "pack" else "carry"
        elif t.kind == "unsupported":
            act = "neither (unsupported type: needs --skip-other)"
        else:
            act = "carry (or leave out with --skip-other)"
        print(f"{t.name:<{w}}  {t.dtype:>6} {_fmt_shape(t.shape):>14} {t.nbytes:>11}  {act}")
    return 0


def register_transcode(subparsers) -> None:
    p = subparsers.add_parser(
        "transcode", help="lossless TQ1_0 / TQ2_0 / HF BitNet <-> packed blocks",
        description="From GGUF TQ1_0/TQ2_0 or HF BitNet packed safetensors: write a container "
        "(trits and scales kept exactly; other tensors carried).  From a container: write "
        "GGUF (--to TQ1_0|TQ2_0) or HF packed safetensors (--to hf); by default the format "
        "the container came from.  The round trip is bit-exact.")
    _add_io(p, "output file")
    p.add_argument("--to", choices=(*TARGETS, "tritpack"), default=None,
                   help="target format (default: tritpack for a GGUF/HF input, the original "
                   "format for a container)")
    _add_packing(p)
    p.set_defaults(func=_run_transcode)


def _run_transcode(args) -> int:
    _check_paths(args)
    if not _is_container(args.src):
        if args.to not in (None, "tritpack"):
            raise WeightsError(f"--to {args.to} needs a tritpack container as input", args.src)
        r = pack_file(args.src, args.output, args.codec, args.block, None, args.keep_other,
                      lossless=True, progress=args.progress)
        print(size_report(r.sizes, r.other_bytes))
    else:
        target = args.to or _origin_target(args.src)
        if target == "tritpack":
            raise WeightsError("is already a tritpack container; use --to TQ1_0, TQ2_0 or hf",
                               args.src)
        if target == "hf":
            to_hf(args.src, args.output, args.progress)
        else:
            to_gguf(args.src, args.output, None if args.to is None else target, args.progress)
    print(f"wrote {args.output} ({human_bytes(Path(args.output).stat().st_size)})")
    return 0


def _origin_target(path) -> str:
    c = Container(path)
    fmts = {e.meta["origin"].get("format") for e in c if e.kind == "ternary"}
    if c.source.get("format") == "gguf" or "gguf" in fmts:
        return "gguf"
    if "hf" in fmts:
        return "hf"
    raise WeightsError("the container did not come from GGUF or HF; choose --to TQ1_0, "
                       "TQ2_0 or hf", path)
