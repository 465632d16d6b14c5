"""``tritpack pack | unpack | info | transcode``: real weight files on the command line.

Bad input (truncated or corrupt files, unsupported types, missing tensors,
shapes that cannot be packed) is a :class:`golden.weights.WeightsError`, which
``tritpack`` prints as one line naming file and tensor, with exit status 2.
Outputs follow the one policy of :mod:`golden.fileio` (checked before any
work: ``--force`` to replace, the parent must exist, the suffix must match
what is written) and are written atomically, so a failure, Ctrl-C or SIGTERM
leaves none.

This module imports only the standard library and the golden core at load
time: the commands are listed in an install without the ``weights`` extra,
and running one there says which ``pip install`` it needs.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

from tritpack.cli import add_command

from ..commands import add_block_option, add_codec_option, add_force_option
from ..fileio import check_output
from ..units import plural
from .errors import WeightsError
from .formats import SUFFIX, TARGETS, UNPACK_DTYPES

__all__ = ["register_pack", "register_unpack", "register_info", "register_transcode"]

_CONTAINER = "packed container (safetensors)"

#: The modules of the ``weights`` extra; imported by the commands on first use.
_EXTRA_MODULES = ("safetensors", "gguf", "ml_dtypes", "tqdm")


def _need_extra() -> None:
    """Raise the ModuleNotFoundError :mod:`tritpack.cli` reports as "needs the 'weights'
    extra" before any work, without importing the modules (ml_dtypes alone takes seconds)."""
    for name in _EXTRA_MODULES:
        if importlib.util.find_spec(name) is None:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def _add_io(p, out_help: str) -> None:
    p.add_argument("src", metavar="SRC", help="input file")
    p.add_argument("-o", "--output", required=True, metavar="DST", help=out_help)
    add_force_option(p)
    p.add_argument("--no-progress", dest="progress", action="store_const", const=False,
                   default=None, help="no progress bar (default: shown on a terminal)")


def _add_selection(p, verb: str = "pack") -> None:
    p.add_argument("--tensors", action="append", metavar="GLOB",
                   help=f"{verb} exactly the tensors matching GLOB (repeatable; default: "
                   "already-ternary tensors, integer tensors of -1/0/1 only, and 2-D+ float "
                   "tensors except embeddings, norms and the output head)")
    p.add_argument("--exclude", action="append", metavar="GLOB",
                   help=f"never {verb} the tensors matching GLOB (repeatable); they are carried "
                   "or, with --skip-other, left out")


def _add_other(p) -> None:
    other = p.add_mutually_exclusive_group()
    other.add_argument("--keep-other", dest="keep_other", action="store_true", default=True,
                       help="carry tensors that are not packed unchanged (default)")
    other.add_argument("--skip-other", dest="keep_other", action="store_false",
                       help="leave tensors that are not packed out")


def _add_packing(p) -> None:
    add_codec_option(p, files=False)  # a container records a built-in codec by name
    add_block_option(p)
    _add_other(p)


def _add_summary(p, what: str) -> None:
    p.add_argument("--summary", action="store_true",
                   help=f"print the totals only, not a row per tensor of the {what}")


def _output(args, fmt: str | None, what: str, gguf_hint: str = "") -> Path:
    """Check ``-o`` against the output policy before any work (golden.fileio); the
    suffix too unless ``fmt`` is None (transcode checks it once it knows the target)."""
    dst = Path(args.output)
    suffixes = None if fmt is None else (SUFFIX[fmt],)
    try:
        return check_output(args.output, force=args.force, suffixes=suffixes, what=what,
                            inputs=(args.src,))
    except OSError as exc:
        if gguf_hint and dst.suffix.lower() == SUFFIX["gguf"] != SUFFIX.get(fmt):
            raise OSError(f"{exc}; {gguf_hint}") from None
        raise


def _wrote(path: Path) -> None:
    from .report import human_bytes

    print(f"wrote {path} ({human_bytes(path.stat().st_size)})")


# --- pack ----------------------------------------------------------------------------

def register_pack(subparsers) -> None:
    p = add_command(subparsers, "pack", _run_pack)
    _add_io(p, "output container (.safetensors)")
    _add_packing(p)
    _add_selection(p)
    _add_summary(p, "size report")


def _run_pack(args) -> int:
    """pack a weight file (npy, safetensors, GGUF) into packed ternary blocks

    Ternarize (absmean) float tensors, or take TQ1_0/TQ2_0/HF-packed and integer
    -1/0/1 tensors as they are, and write them as packed blocks plus scales into a
    safetensors container; print the size report.  'tritpack info SRC' shows
    beforehand what this does with each tensor.
    """
    _need_extra()
    dst = _output(args, "safetensors", _CONTAINER,
                  "to write GGUF, pack first, then 'tritpack transcode CONTAINER --to TQ1_0'")
    from .pack import pack_file

    r = pack_file(args.src, dst, args.codec, args.block, args.tensors, args.keep_other,
                  progress=args.progress, exclude=args.exclude)
    _print_sizes(r, args.summary)
    if not r.sizes:
        _warn_nothing_packed(r.steps)
    if r.skipped:
        print(f"left out ({len(r.skipped)}): {', '.join(r.skipped)}")
    _wrote(dst)
    return 0


def _print_sizes(r, summary: bool) -> None:
    from .report import size_report

    carried = sum(1 for s in r.steps if s.action == "raw")
    print(size_report(r.sizes, r.other_bytes, summary, carried))


def _warn_nothing_packed(steps) -> None:
    why = [f"{s.tensor.name!r}: {s.why}" for s in steps if s.tensor.owner is None]
    more = f"; ... ({len(why) - 3} more)" if len(why) > 3 else ""
    print(f"tritpack pack: warning: no tensor was packed, every tensor was carried or left "
          f"out ({'; '.join(why[:3])}{more}); name tensors with --tensors GLOB to pack them",
          file=sys.stderr)


# --- unpack --------------------------------------------------------------------------

def register_unpack(subparsers) -> None:
    p = add_command(subparsers, "unpack", _run_unpack)
    _add_io(p, "output .safetensors")
    p.add_argument("--dtype", choices=tuple(UNPACK_DTYPES), default="int8",
                   help="int8 trits + scale (default) or dequantized floats")
    p.add_argument("--tensors", action="append", metavar="GLOB", help="only these (repeatable)")


def _run_unpack(args) -> int:
    """unpack a container into plain tensors (int8 trits or floats)

    Write the container's ternary tensors as int8 trits plus NAME.scale (float32,
    w = scale * t; 'tritpack pack' takes it back as the scale), or dequantized
    floats; carried tensors are copied, and the __metadata__ of the safetensors
    file the container was packed from is kept.
    """
    _need_extra()
    dst = _output(args, "safetensors", "unpacked tensors (safetensors)")
    from .transcode import to_unpacked

    to_unpacked(args.src, dst, args.dtype, args.tensors, args.progress)
    _wrote(dst)
    return 0


# --- info ----------------------------------------------------------------------------

def register_info(subparsers) -> None:
    p = add_command(subparsers, "info", _run_info)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--no-verify", dest="verify", action="store_false",
                   help="skip reading the data to check checksums, codes and padding")
    _add_selection(p)
    _add_other(p)
    _add_summary(p, "table")


def _fmt_shape(shape) -> str:
    return "x".join(map(str, shape)) or "()"


def _table(head: list[str], rows: list[list[str]], left: int = 1) -> list[str]:
    """Columns as wide as their widest cell: the first ``left`` aligned left, no cell cut."""
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells):
        return "  ".join(c.ljust(w) if i < left or i == len(cells) - 1 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return [line(head), *(line(r) for r in rows)]


def _run_info(args) -> int:
    """list a container's tensors (or what 'pack' would do with a weight file)

    For a container: tensors, logical and stored shapes, codec, block, bytes and
    bits per weight, after checking every checksum.  For any other weight file:
    its tensors and what 'tritpack pack' (with the same --tensors, --exclude and
    --skip-other) would do with each, and why.
    """
    _need_extra()
    from .container import Container, is_container

    if not is_container(args.file):
        return _info_source(args)
    if args.tensors or args.exclude or not args.keep_other:
        raise WeightsError("--tensors, --exclude and --skip-other say what 'pack' would do "
                           "with a weight file; this is a container (use 'unpack --tensors')",
                           args.file)
    from .report import human_bytes

    c = Container(args.file)
    if args.verify:
        c.verify()
    entries = list(c)
    tern = [e for e in entries if e.kind == "ternary"]
    size = Path(args.file).stat().st_size
    src = c.source
    print(f"{args.file}: tritpack container, {plural(len(entries), 'tensor')} ({len(tern)} "
          "ternary, "
          f"{len(entries) - len(tern)} carried), {human_bytes(size)}, from {src.get('format')} "
          f"{src.get('file', '')}; "
          + ("checksums, codes and padding OK" if args.verify else "not verified"))
    rows = []
    for e in entries:
        o = e.meta["origin"]
        origin = f"{o.get('format')} {o.get('dtype')}"
        stored = f"{e.dtype} {_fmt_shape(e.stored_shape)}"
        if e.kind == "ternary":
            m = e.meta
            nbytes = e.data_bytes + e.scale_bytes
            bpw = f"{8 * nbytes / e.num_weights:.4f}" if e.num_weights else "-"
            scale = f"{e.scale_dtype} x{math.prod(e.scale_shape)} {m['scale']['mode']}"
            rows.append([e.name, "ternary", _fmt_shape(e.shape), stored, m["codec"],
                         str(m["block"]), str(nbytes), bpw, f"{origin}; scale {scale}"])
        else:
            rows.append([e.name, "carried", _fmt_shape(e.shape), stored, "", "",
                         str(e.data_bytes), "", origin])
    if not args.summary:
        head = ["tensor", "kind", "logical shape", "stored as", "codec", "block",
                "bytes (with scale)", "bits/weight", "origin"]
        print("\n".join(_table(head, rows, left=2)))
    n = sum(e.num_weights for e in tern)
    nb = sum(e.data_bytes + e.scale_bytes for e in tern)
    if n:
        print(f"ternary: {n} weights in {nb} bytes = {8 * nb / n:.4f} bits per weight "
              "(scales included)")
    return 0


def _would(step) -> str:
    t = step.tensor
    if step.action == "pack":
        return f"pack ({step.why})"
    if step.action == "error":
        return f"stop with an error: {step.why}"
    if t.owner is not None and step.action == "skip" and step.why.startswith("scale of"):
        return step.why
    return f"{'carry' if step.action == 'raw' else 'leave out'}: {step.why}"


def _info_source(args) -> int:
    from .pack import plan
    from .sources import open_source

    s = open_source(args.file)
    steps = plan(s, args.tensors, args.keep_other, exclude=args.exclude, strict=False)
    print(f"{args.file}: {s.format} file, {plural(len(s.tensors), 'tensor')} (not a tritpack "
          "container)")
    rows = [[st.tensor.name, st.tensor.raw_dtype, _fmt_shape(st.tensor.shape),
             _fmt_shape(st.tensor.raw_shape), str(st.tensor.nbytes), _would(st)]
            for st in steps]
    if not args.summary:
        head = ["tensor", "stored dtype", "logical shape", "stored shape", "bytes",
                "'tritpack pack' would"]
        print("\n".join(_table(head, rows)))
    count = {a: sum(1 for st in steps if st.action == a) for a in ("pack", "raw", "skip",
                                                                   "error")}
    weights = sum(st.tensor.num_weights for st in steps if st.action == "pack")
    scales = sum(1 for st in steps if st.action == "skip" and st.why.startswith("scale of"))
    parts = [f"pack {plural(count['pack'], 'tensor')} ({plural(weights, 'weight')})",
             f"carry {count['raw']}"]
    if scales:
        parts.append(f"store {scales} as the scales of packed tensors")
    if count["skip"] - scales:
        parts.append(f"leave out {count['skip'] - scales}")
    if count["error"]:
        parts.append(f"but stop at the first of {plural(count['error'], 'error')}"
                     if count["error"] > 1 else "but stop with an error")
    print(f"'tritpack pack' would {', '.join(parts)}")
    return 0


# --- transcode -----------------------------------------------------------------------

def register_transcode(subparsers) -> None:
    p = add_command(subparsers, "transcode", _run_transcode)
    _add_io(p, "output file (.safetensors, or .gguf for --to TQ1_0/TQ2_0)")
    p.add_argument("--to", choices=(*TARGETS, "tritpack"), default=None,
                   help="target format (default: tritpack for a GGUF/HF input, the original "
                   "format for a container)")
    _add_packing(p)
    _add_selection(p, "import")
    _add_summary(p, "size report")


def _run_transcode(args) -> int:
    """lossless TQ1_0 / TQ2_0 / HF BitNet <-> packed blocks

    From GGUF TQ1_0/TQ2_0 or HF BitNet packed safetensors: write a container
    (trits and scales kept exactly; other tensors carried).  From a container:
    write GGUF (--to TQ1_0|TQ2_0) or HF packed safetensors (--to hf); by default
    the format the container came from.  The round trip is bit-exact.
    """
    _need_extra()
    _output(args, None, "output file")  # all but the suffix, which depends on the target
    from .container import is_container

    if not is_container(args.src):
        if args.to not in (None, "tritpack"):
            raise WeightsError(f"--to {args.to} needs a tritpack container as input", args.src)
        dst = _output(args, "safetensors", _CONTAINER)
        from .pack import pack_file

        r = pack_file(args.src, dst, args.codec, args.block, args.tensors, args.keep_other,
                      lossless=True, progress=args.progress, exclude=args.exclude)
        _print_sizes(r, args.summary)
        _wrote(dst)
        return 0
    if args.tensors or args.exclude:
        raise WeightsError("--tensors and --exclude choose what is imported into a container; "
                           "from a container every tensor is written (select with 'unpack "
                           "--tensors')", args.src)
    target = args.to or _origin_target(args.src)
    if target == "tritpack":
        raise WeightsError("is already a tritpack container; use --to TQ1_0, TQ2_0 or hf",
                           args.src)
    from .transcode import to_gguf, to_hf

    if target == "hf":
        dst = _output(args, "safetensors", "HF BitNet packed weights (safetensors)")
        to_hf(args.src, dst, args.progress)
    else:
        dst = _output(args, "gguf", f"GGUF file ({target if args.to else 'TQ1_0/TQ2_0'})")
        to_gguf(args.src, dst, None if args.to is None else target, args.progress)
    _wrote(dst)
    return 0


def _origin_target(path) -> str:
    from .container import Container

    c = Container(path)
    fmts = {e.meta["origin"].get("format") for e in c if e.kind == "ternary"}
    if c.source.get("format") == "gguf" or "gguf" in fmts:
        return "gguf"
    if "hf" in fmts:
        return "hf"
    raise WeightsError("the container did not come from GGUF or HF; choose --to TQ1_0, "
                       "TQ2_0 or hf", path)
