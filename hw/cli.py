"""``tritpack verilog``: write the decode engine as a Verilog module.

Registered under the ``tritpack.commands`` entry-point group (see
:mod:`golden.cli`).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import golden
from golden.cli import CliError

from . import LANES

__all__ = ["register_verilog", "resolve_codec", "write_atomic"]


def resolve_codec(spec: str):
    """A codec name as is, or a golden LUT loaded from the file ``spec``."""
    if spec in golden.CODEC_NAMES:
        return spec
    path = Path(spec)
    if not path.exists():
        raise CliError(
            f"codec {spec!r} is neither one of {', '.join(golden.CODEC_NAMES)} "
            "nor an existing LUT file"
        )
    try:
        from golden import lut_io
    except ImportError:
        raise CliError(f"cannot read LUT file {spec!r}: golden.lut_io is not available") from None
    return lut_io.load_lut(path)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _run(args) -> int:
    from .verilog import generate_verilog  # Amaranth is imported only when needed

    codec = resolve_codec(args.codec)
    start = time.perf_counter()
    text = generate_verilog(args.lanes, codec, args.registered, args.module_name)
    elapsed = time.perf_counter() - start
    write_atomic(args.output, text)
    variant = "registered" if args.registered else "unregistered"
    print(
        f"wrote {args.output}: module {args.module_name}, {args.lanes} lanes, "
        f"codec {golden.get_lut(codec).name}, {variant}, {len(text)} bytes "
        f"in {elapsed:.2f} s"
    )
    return 0


def register_verilog(subparsers) -> None:
    """Add the ``verilog`` subcommand."""
    p = subparsers.add_parser(
        "verilog",
        help="write the decode engine as Verilog with AXI4-Stream ports",
        description="Generate the streaming decode engine as one Verilog module with "
        "AXI4-Stream ports (clk, rst, s_axis_*, m_axis_*, error).",
    )
    p.add_argument("--lanes", type=int, default=64, choices=LANES, metavar="N",
                   help="bytes decoded per clock: 1, 2, 4, 8, 16, 32 or 64 (default 64)")
    p.add_argument("--codec", default="standard", metavar="standard|tq1|LUTFILE",
                   help="codec name or a LUT file (default standard)")
    p.add_argument("--registered", action="store_true",
                   help="register ready too (AXI register slice): no combinational path")
    p.add_argument("--module-name", default="ternary_decoder", metavar="NAME",
                   help="name of the Verilog module (default ternary_decoder)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.v",
                   help="Verilog file to write")
    p.set_defaults(func=_run)
