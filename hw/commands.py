"""``tritpack verilog``: write the decode engine as a Verilog module.

Registered under the ``tritpack.commands`` entry-point group (see
:mod:`golden.cli`).
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

from tritpack.golden.fileio import write_atomic

from .options import add_engine_options, engine_options

__all__ = ["register_verilog"]


def _cpu_seconds() -> float:
    # This process and its children: Amaranth runs Yosys as a child process.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _run(args) -> int:
    from .verilog import generate_verilog  # Amaranth is imported only when needed

    options = engine_options(args)
    codec = options["codec"]
    start, cpu = time.perf_counter(), _cpu_seconds()
    text = generate_verilog(module_name=args.module_name, **options)
    elapsed, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    args.output.parent.mkdir(parents=True, exist_ok=True)  # `make verilog` in a fresh clone
    write_atomic(args.output, text)
    variant = ("registered" if args.registered else "unregistered") + f", impl {args.impl}"
    if args.pipelined:
        variant += ", pipelined (latency 2)"
    print(
        f"wrote {args.output}: module {args.module_name}, {args.lanes} lanes, "
        f"codec {codec.name}, {variant}, {len(text)} bytes "
        f"in {elapsed:.2f} s ({cpu:.2f} s CPU)"
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
    add_engine_options(p)
    p.add_argument("--module-name", default="ternary_decoder", metavar="NAME",
                   help="name of the Verilog module (default ternary_decoder)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.v",
                   help="Verilog file to write")
    p.set_defaults(func=_run)
