"""The AXI4-Stream rules ``tritpack_axis_checker.v`` checks, by violation code.

Shared by the cocotb side (:mod:`sim.protocol`) and the host side of the fast path
(:mod:`sim.hdlcheck`), which both turn a checker's ``violation`` code into words.
"""

from __future__ import annotations

__all__ = ["RULES"]

#: Violation codes of ``tritpack_axis_checker``: code -> (signal, what went wrong).
RULES = {
    1: ("tvalid", "is X or Z (expected 0 or 1)"),
    2: ("tready", "is X or Z (expected 0 or 1)"),
    3: ("tvalid", "high during reset or on the first clock after it"),
    4: ("tvalid", "dropped while tready was low (a transfer must hold until accepted)"),
    5: ("tdata", "changed while tvalid high and tready low"),
    6: ("tlast", "changed while tvalid high and tready low"),
    7: ("tuser", "changed while tvalid high and tready low"),
    8: ("tdata", "has X or Z bits while tvalid is high"),
}
