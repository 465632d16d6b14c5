"""Size report: what packing saved, in bytes and bits per weight, against the usual formats.

Baselines for the same ternary weights:

* 2-bit packing (four trits per byte, HF BitNet / TQ2_0 without scales) with
  the same scales as ours: five trits per byte is 20% smaller on full blocks;
* llama.cpp TQ1_0: 54 bytes per 256 weights, scales included (1.6875 bpw);
* llama.cpp TQ2_0: 66 bytes per 256 weights, scales included (2.0625 bpw).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..units import human_bytes
from .gguf_tq import QK, TYPE_SIZE

__all__ = ["TensorSize", "size_report", "human_bytes"]


@dataclass(frozen=True)
class TensorSize:
    """Sizes of one packed ternary tensor.

    Members
    -------
    name : str
    shape : tuple
    source : str
        Source type (``F32``, ``BF16``, ``TQ1_0``, ...).
    source_bytes : int
        Bytes the tensor (and its scale) took in the source.
    data_bytes : int
        Packed blocks.
    scale_bytes : int
        Scales stored beside them.
    """

    name: str
    shape: tuple
    source: str
    source_bytes: int
    data_bytes: int
    scale_bytes: int

    @property
    def num_weights(self) -> int:
        return math.prod(self.shape)

    @property
    def packed_bytes(self) -> int:
        return self.data_bytes + self.scale_bytes

    @property
    def two_bit_bytes(self) -> int:
        return -(-self.num_weights // 4) + self.scale_bytes

    def tq_bytes(self, qtype: str) -> int:
        return -(-self.num_weights // QK) * TYPE_SIZE[qtype]


def _bpw(nbytes: int, n: int) -> str:
    return f"{8 * nbytes / n:.4f}" if n else "-"


def _change(ours: int, other: int) -> str:
    return f"{100 * (ours / other - 1):+.1f}%" if other else "-"


def size_report(rows: list[TensorSize], other_bytes: int = 0, summary: bool = False,
                other_count: int | None = None) -> str:
    """A plain-text table: per tensor and total, bytes before and after, bits per
    weight (scales included) and the change against 2-bit, TQ1_0 and TQ2_0.

    Every tensor gets a row, under its full name (the column is as wide as the
    longest), unless ``summary`` asks for the totals only.  ``other_bytes`` are
    tensors carried unchanged (``other_count`` of them), added to the file total.
    """
    total_name = f"total ({len(rows)} ternary tensor{'' if len(rows) == 1 else 's'})"
    carried = "carried as-is" + ("" if other_count is None else
                                 f" ({other_count} tensor{'' if other_count == 1 else 's'})")
    both = "file (ternary + carried)"
    names = [total_name, carried, both] + ([] if summary else [r.name for r in rows])
    w = max(len(n) for n in names)
    head = (f"{'tensor':<{w}} {'shape':>14} {'source':>6} {'before':>11} {'after':>11} "
            f"{'bits/weight':>11} {'vs 2-bit':>9} {'vs TQ1_0':>9} {'vs TQ2_0':>9}")
    lines = ["Size report (bits per weight include the scales; vs = change in bytes, "
             "negative = smaller)", head, "-" * len(head)]

    def row(name, shape, src, rs):
        after = sum(r.packed_bytes for r in rs)
        n = sum(r.num_weights for r in rs)
        return (f"{name:<{w}} {shape:>14} {src:>6} "
                f"{human_bytes(sum(r.source_bytes for r in rs)):>11} {human_bytes(after):>11} "
                f"{_bpw(after, n):>11} {_change(after, sum(r.two_bit_bytes for r in rs)):>9} "
                f"{_change(after, sum(r.tq_bytes('TQ1_0') for r in rs)):>9} "
                f"{_change(after, sum(r.tq_bytes('TQ2_0') for r in rs)):>9}")

    if not summary:
        for r in rows:
            lines.append(row(r.name, "x".join(map(str, r.shape)) or "()", r.source, [r]))
    lines.append(row(total_name, "", "", rows))
    if other_bytes or other_count:
        lines.append(f"{carried:<{w}} {'':>14} {'':>6} {human_bytes(other_bytes):>11} "
                     f"{human_bytes(other_bytes):>11}")
        lines.append(f"{both:<{w}} {'':>14} {'':>6} "
                     f"{human_bytes(sum(r.source_bytes for r in rows) + other_bytes):>11} "
                     f"{human_bytes(sum(r.packed_bytes for r in rows) + other_bytes):>11}")
    return "\n".join(lines)
