"""Functional coverage of the regression, with cocotb-coverage.

All items live under ``decoder`` in :data:`cocotb_coverage.coverage.coverage_db`
(one database per simulation, i.e. per engine variant):

``decoder.code_x_lane.laneNN``
    every valid code of the codec seen at lane NN of an output transfer, i.e.
    at a byte position ``p`` of an accepted line with ``p mod lanes == NN``
    (``lanes`` coverpoints of 243 bins).  Each lane has a decoder of its own,
    and which byte of the line reaches a lane (the beat select) does not depend
    on the code, so this is every code through every decoder.  A pair is
    sampled when it is first seen: sampling every byte through the decorators
    would cost more than the simulation, so the pairs are found with numpy first.
``decoder.invalid``
    the 13 invalid codes; byte position x {first, last} line of a packet.
``decoder.stall``
    run lengths of source idle and sink back-pressure (1, 2, 3-4, 5-8, 9-16,
    17-63, 64+ clocks), and the idle x back-pressure generators crossed.
``decoder.packet``
    packet lengths 1, 2, 3-15 and 16+ lines.
``decoder.reset``
    where a reset hit: power-on, idle, mid-packet, output stalled, error set.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db

from tritpack import golden
from tritpack.golden.fileio import write_atomic

__all__ = [
    "GENERATORS", "PACKET_BINS", "RESET_PHASES", "STALL_BINS", "DecoderCoverage",
    "coverage_summary", "hdl_items", "merge_coverage_files", "missing_bins_in", "write_items",
]

ROOT = "decoder"
#: ``format`` of the coverage files: each bin's hits, per item.
FORMAT = "tritpack-coverage-1"
LINE_BYTES = golden.LINE_BYTES

#: Names of the source-idle / sink-back-pressure generators (see :mod:`sim.tb`).
GENERATORS = ("none", "cycle_1110", "random_10", "random_50", "random_90")
#: Stall run-length bins, (lowest, highest) clocks.
STALL_BINS = ((1, 1), (2, 2), (3, 4), (5, 8), (9, 16), (17, 63), (64, 1 << 62))
PACKET_BINS = ((1, 1), (2, 2), (3, 15), (16, 1 << 62))
RESET_PHASES = ("power_on", "idle", "mid_packet", "output_stalled", "error_set")
PLACES = ("first", "last")


def _label(lo_hi) -> str:
    lo, hi = lo_hi
    return str(lo) if lo == hi else (f"{lo}+" if hi >= 1 << 62 else f"{lo}-{hi}")


def _in_range(x, lo_hi) -> bool:
    return lo_hi[0] <= x <= lo_hi[1]


def _sampler(*decorators):
    def sample(*args):
        pass
    for d in reversed(decorators):
        sample = d(sample)
    return sample


class DecoderCoverage:
    """Coverage items for an engine with ``codec`` and ``lanes`` (process-wide, see
    :func:`get`).

    Parameters
    ----------
    codec : str or golden.Lut
        The engine's codec: it decides which codes are valid.
    lanes : int
        The engine's lanes (bytes per output transfer).
    """

    def __init__(self, codec, lanes: int):
        self.lut = golden.get_lut(codec)
        self.lanes = lanes
        valid_codes = [int(c) for c in np.flatnonzero(self.lut.valid)]
        invalid_codes = [int(c) for c in self.lut.invalid_codes]
        self._seen = np.zeros((lanes, 256), dtype=bool)
        self._code_at = [
            _sampler(CoverPoint(f"{ROOT}.code_x_lane.lane{j:02d}", bins=valid_codes))
            for j in range(lanes)
        ]
        pfx = f"{ROOT}.invalid"
        self._invalid = _sampler(
            CoverPoint(f"{pfx}.code", xf=lambda c, p, w: c, bins=invalid_codes),
            CoverPoint(f"{pfx}.position", xf=lambda c, p, w: p, bins=list(range(LINE_BYTES))),
            CoverPoint(f"{pfx}.place", xf=lambda c, p, w: w, bins=list(PLACES)),
            CoverCross(f"{pfx}.position_x_place", items=[f"{pfx}.position", f"{pfx}.place"]),
        )
        self._invalid_seen: set = set()
        labels = [_label(b) for b in STALL_BINS]
        self._stall = {
            kind: _sampler(CoverPoint(f"{ROOT}.stall.{kind}", rel=_in_range,
                                      bins=list(STALL_BINS), bins_labels=labels))
            for kind in ("source_idle", "sink_backpressure")
        }
        g = f"{ROOT}.stall.generators"
        self._generators = _sampler(
            CoverPoint(f"{g}.idle", xf=lambda i, b: i, bins=list(GENERATORS)),
            CoverPoint(f"{g}.backpressure", xf=lambda i, b: b, bins=list(GENERATORS)),
            CoverCross(f"{g}.idle_x_backpressure", items=[f"{g}.idle", f"{g}.backpressure"]),
        )
        self._packet = _sampler(CoverPoint(
            f"{ROOT}.packet.lines", rel=_in_range, bins=list(PACKET_BINS),
            bins_labels=[_label(b) for b in PACKET_BINS]))
        self._reset = _sampler(CoverPoint(f"{ROOT}.reset.phase", bins=list(RESET_PHASES)))

    # -- sampling ---------------------------------------------------------------------

    def sample_packet(self, lines: np.ndarray) -> None:
        """Sample one accepted input packet, (n, 64) uint8."""
        n = lines.shape[0]
        self._packet(n)
        valid = self.lut.valid[lines]
        lane = np.broadcast_to(np.arange(LINE_BYTES) % self.lanes, lines.shape)
        hit = np.zeros_like(self._seen)
        hit[lane[valid], lines[valid]] = True
        new = hit & ~self._seen
        if new.any():
            self._seen |= new
            for j, c in zip(*np.nonzero(new), strict=True):
                self._code_at[int(j)](int(c))
        for place, row in (("first", 0), ("last", n - 1)):
            for p in np.flatnonzero(~valid[row]):
                key = (int(lines[row, p]), int(p), place)
                if key not in self._invalid_seen:  # once each: uniform data has many
                    self._invalid_seen.add(key)
                    self._invalid(*key)

    def sample_stalls(self, kind: str, runs: Counter) -> None:
        """Sample run lengths (a Counter length -> runs) of ``source_idle`` or
        ``sink_backpressure``."""
        sample = self._stall[kind]
        for length, count in runs.items():
            for _ in range(count):
                sample(length)

    def sample_generators(self, idle: str, backpressure: str) -> None:
        self._generators(idle, backpressure)

    def sample_reset(self, phase: str) -> None:
        if phase not in RESET_PHASES:
            raise ValueError(f"unknown reset phase {phase!r}; expected one of {RESET_PHASES}")
        self._reset(phase)

    # -- results ----------------------------------------------------------------------

    def report(self, log) -> None:
        """Print the cocotb-coverage report (``log`` is e.g. ``logger.info``)."""
        coverage_db.report_coverage(log, bins=False, node=ROOT)

    def export(self, path: Path) -> Path:
        """Write the hits of every bin under ``decoder`` as JSON (:func:`merge_coverage_files`,
        :func:`coverage_summary` and :func:`missing_bins_in` read it)."""
        items = {}
        for name in sorted(coverage_db):
            item = coverage_db[name]
            if name.startswith(ROOT) and isinstance(item, (CoverPoint, CoverCross)):
                items[name] = {"at_least": item.at_least, "weight": item.weight,
                               "bins": {str(b): int(h)
                                        for b, h in item.detailed_coverage.items()}}
        return write_items(items, path)


_INSTANCES: dict[tuple, DecoderCoverage] = {}


def get(codec, lanes: int) -> DecoderCoverage:
    """The process-wide coverage of an engine (one database per simulation)."""
    key = (golden.get_lut(codec).name, lanes)
    if key not in _INSTANCES:
        if _INSTANCES:
            raise RuntimeError("one simulation covers one engine; already have "
                               f"{next(iter(_INSTANCES))!r}, not {key!r}")
        _INSTANCES[key] = DecoderCoverage(codec, lanes)
    return _INSTANCES[key]


def hdl_items(codec, lanes: int, codes: dict, invalid: list, idle_runs: list,
              stall_runs: list, packets: list, generators=("none", "none")) -> dict:
    """The coverage items of :class:`DecoderCoverage`, from counts made in the HDL.

    ``tritpack_check_tb`` counts what the cocotb side samples, in the same bins:

    codes : dict
        lane -> bit vector (int) of the codes seen at that lane (invalid ones ignored).
    invalid : list
        (place, position, bit vector of invalid codes) seen at a byte position of
        the first (place 0) or last (1) line of a packet, each key sampled once.
    idle_runs, stall_runs : list
        Runs of source idle / sink back-pressure per bin of :data:`STALL_BINS`.
    packets : list
        Packets per bin of :data:`PACKET_BINS`.
    generators : tuple of str
        The run's (idle, back-pressure) generators, sampled once (a name outside
        :data:`GENERATORS` hits no bin); the run starts with a power-on reset.
    """
    lut = golden.get_lut(codec)
    valid_codes = [int(c) for c in np.flatnonzero(lut.valid)]
    invalid_codes = [int(c) for c in lut.invalid_codes]

    def item(bins: dict) -> dict:
        return {"at_least": 1, "weight": 1, "bins": {str(b): int(h) for b, h in bins.items()}}

    items = {}
    for j in range(lanes):
        seen = codes.get(j, 0)
        items[f"{ROOT}.code_x_lane.lane{j:02d}"] = item(
            {c: (seen >> c) & 1 for c in valid_codes})
    code_hits = dict.fromkeys(invalid_codes, 0)
    position = dict.fromkeys(range(LINE_BYTES), 0)
    place = dict.fromkeys(PLACES, 0)
    cross = {(p, w): 0 for p in range(LINE_BYTES) for w in PLACES}
    for w, p, bits in invalid:
        for c in invalid_codes:
            if (bits >> c) & 1:
                code_hits[c] += 1
                position[p] += 1
                place[PLACES[w]] += 1
                cross[(p, PLACES[w])] += 1
    pfx = f"{ROOT}.invalid"
    items[f"{pfx}.code"] = item(code_hits)
    items[f"{pfx}.position"] = item(position)
    items[f"{pfx}.place"] = item(place)
    items[f"{pfx}.position_x_place"] = item(cross)
    labels = [_label(b) for b in STALL_BINS]
    items[f"{ROOT}.stall.source_idle"] = item(dict(zip(labels, idle_runs, strict=True)))
    items[f"{ROOT}.stall.sink_backpressure"] = item(dict(zip(labels, stall_runs, strict=True)))
    g = f"{ROOT}.stall.generators"
    idle, back = generators
    items[f"{g}.idle"] = item({n: int(n == idle) for n in GENERATORS})
    items[f"{g}.backpressure"] = item({n: int(n == back) for n in GENERATORS})
    items[f"{g}.idle_x_backpressure"] = item(
        {(a, b): int((a, b) == (idle, back)) for a in GENERATORS for b in GENERATORS})
    items[f"{ROOT}.packet.lines"] = item(
        dict(zip([_label(b) for b in PACKET_BINS], packets, strict=True)))
    items[f"{ROOT}.reset.phase"] = item({ph: int(ph == "power_on") for ph in RESET_PHASES})
    return dict(sorted(items.items()))


def write_items(items: dict, path: Path) -> Path:
    """Write coverage ``items`` (as :func:`hdl_items` returns them) as a coverage file."""
    write_atomic(path, json.dumps({"format": FORMAT, "items": items}))
    return Path(path)


def _load(path: Path) -> dict:
    data = json.loads(Path(path).read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a coverage file of {FORMAT!r}")
    return data["items"]


def missing_bins_in(path: Path, limit: int = 20) -> list[str]:
    """Uncovered bins in a file written by :meth:`DecoderCoverage.export` (or merged),
    at most ``limit``."""
    out = []
    for name, item in sorted(_load(path).items()):
        for b, hits in item["bins"].items():
            if hits < item["at_least"]:
                out.append(f"{name}: {b}")
                if len(out) >= limit:
                    return out
    return out


def coverage_summary(path: Path) -> tuple[int, int]:
    """(covered, total) bins, weighted as cocotb-coverage does, in a coverage file."""
    covered = total = 0
    for item in _load(path).values():
        hit = sum(h >= item["at_least"] for h in item["bins"].values())
        covered += hit * item["weight"]
        total += len(item["bins"]) * item["weight"]
    return covered, total


def merge_coverage_files(files, out: Path) -> Path:
    """Merge the coverage files of several simulations of one engine into ``out``: the
    hits of each bin are summed."""
    merged: dict = {}
    for f in files:
        for name, item in _load(f).items():
            have = merged.setdefault(name, {**item, "bins": dict.fromkeys(item["bins"], 0)})
            for b, h in item["bins"].items():
                have["bins"][b] = have["bins"].get(b, 0) + h
    return write_items(merged, out)
