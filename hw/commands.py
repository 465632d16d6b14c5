"""``tritpack verilog``: write the decode engine as a Verilog module.

Registered under the ``tritpack.commands`` entry-point group (see
:mod:`tritpack.cli`).  The output follows the one output policy of
:func:`golden.fileio.check_output`: ``-o -`` is standard output, an existing
file is replaced only with ``--force``, a missing directory is not created.
"""

from __future__ import annotations

import resource
import sys
import time

from tritpack.cli import add_command
from tritpack.golden.fileio import check_output, write_output

from .options import add_engine_options, engine_options, positive_float

__all__ = ["register_verilog"]


def _cpu_seconds() -> float:
    # This process and its children: Yosys runs as a child process.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _run(args) -> int:
    """write the decode engine as Verilog with AXI4-Stream ports

    Generate the streaming decode engine as one Verilog module with AXI4-Stream
    ports (clk, rst, s_axis_*, m_axis_*, error) and a header saying what it is and
    the command that writes it again.
    """
    if args.ip is not None:
        return _run_ip(args)
    out = check_output(args.output, force=args.force, stdout_ok=True, suffixes=(".v",),
                       what="Verilog file")
    options = engine_options(args)
    # Amaranth is imported only when needed.
    from .verilog import check_module_name, command_line, generate_verilog

    check_module_name(args.module_name)
    command = command_line(**{**options, "codec": args.codec}, module_name=args.module_name,
                           output=args.output)
    start, cpu = time.perf_counter(), _cpu_seconds()
    text = generate_verilog(module_name=args.module_name, command=command, **options)
    elapsed, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    write_output(out, text)
    variant = ("registered" if args.registered else "unregistered") + f", impl {args.impl}"
    if args.pipelined:
        variant += ", pipelined (latency 2)"
    # With `-o -` the Verilog is standard output: the summary goes to standard error.
    print(f"wrote {out or 'standard output'}: module {args.module_name}, {args.lanes} lanes, "
          f"codec {options['codec'].name}, {variant}, {len(text)} bytes "
          f"in {elapsed:.2f} s ({cpu:.2f} s CPU)", file=sys.stdout if out else sys.stderr)
    return 0


def _run_ip(args) -> int:
    options = engine_options(args)
    from .ip import write_ip
    from .verilog import command_line

    command = command_line(**{**options, "codec": args.codec}, module_name=args.module_name)
    command = command.rsplit(" -o ", 1)[0] + f" --ip {args.ip}"
    out = write_ip(args.ip, force=args.force, clock_period_ns=args.clock_period,
                   module_name=args.module_name, command=command, **options)
    print(f"wrote IP directory {out}: module {args.module_name}, {args.lanes} lanes, "
          f"codec {options['codec'].name} (FuseSoC core, templates, SDC, testbench)")
    return 0


def register_verilog(subparsers) -> None:
    """Add the ``verilog`` subcommand."""
    p = add_command(subparsers, "verilog", _run)
    add_engine_options(p)
    p.add_argument("--module-name", default="ternary_decoder", metavar="NAME",
                   help="name of the Verilog module: an identifier, not a keyword "
                   "(default ternary_decoder)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("-o", "--output", metavar="FILE.v",
                       help="Verilog file to write, or - for standard output; its directory "
                       "must exist")
    where.add_argument("--ip", metavar="DIR",
                       help="write an FPGA IP directory instead: the Verilog, a FuseSoC core "
                       "file, Verilog/VHDL instantiation templates, an example SDC and a "
                       "self-checking testbench (docs/IP.md)")
    p.add_argument("--clock-period", type=positive_float, default=10.0, metavar="NS",
                   help="clock period of the example SDC with --ip (default 10 ns)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing file (or a previous IP directory)")
