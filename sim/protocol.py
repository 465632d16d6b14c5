"""An always-on AXI4-Stream protocol checker on both ports of the engine.

Rules, checked at every rising clock edge on ``s_axis`` and ``m_axis``:

1. While ``tvalid`` is high and ``tready`` low, ``tvalid``, ``tdata``, ``tlast``
   and ``tuser`` hold their values to the next clock (unless that clock is in
   reset: reset abandons a transfer).
2. ``tdata`` has no X or Z bit while ``tvalid`` is high; ``tvalid`` and ``tready``
   are never X or Z once the first reset has been applied.
3. ``tvalid`` is low during reset and on the first clock after it: on every
   clock whose previous clock had ``rst`` high.

The checking runs in Verilog, in the module ``tritpack_axis_checker``
(``tritpack_axis_checker.v``) instantiated on each port by the testbench top
``tritpack_tb`` (``tritpack_tb.v``), whose ports are exactly the engine's, so
the cocotb drivers see the same ``dut``.  Python does not sample every clock
(docs/VERIFICATION.md says what that would cost): it wakes up only when a rule
breaks, and then :class:`ProtocolChecker` raises :class:`ProtocolError` naming
the clock, the port and the signal, which fails the running test.  The monitors
also count clocks and transfers since the last reset, which gives throughput and
latency for free.
"""

from __future__ import annotations

from dataclasses import dataclass

import cocotb
from cocotb.triggers import RisingEdge

from .rules import RULES

__all__ = ["Port", "ProtocolChecker", "ProtocolError", "RULES"]



class ProtocolError(AssertionError):
    """An AXI4-Stream rule was broken."""


@dataclass
class Port:
    """What the checker of one port has seen since the last reset.

    Clock numbers count rising edges from the start of the simulation.
    """

    name: str
    handle: object

    def _get(self, signal: str) -> int:
        return getattr(self.handle, signal).value.to_unsigned()

    @property
    def transfers(self) -> int:
        return self._get("transfers")

    def _clock(self, signal: str) -> int | None:
        return self._get(signal) or None

    @property
    def first_valid(self) -> int | None:
        return self._clock("first_valid")

    @property
    def first_transfer(self) -> int | None:
        return self._clock("first_transfer")

    @property
    def last_transfer(self) -> int | None:
        return self._clock("last_transfer")


class ProtocolChecker:
    """Fail the running test when a checker module of the testbench top flags a rule.

    Parameters
    ----------
    dut : cocotb handle
        The testbench top ``tritpack_tb``.

    Members
    -------
    ports : list of Port
        ``s_axis`` then ``m_axis``.
    violations : list of str
        Messages of the violations seen (the first one fails the test).
    """

    def __init__(self, dut):
        self.ports = [Port("s_axis", dut.s_axis_checker), Port("m_axis", dut.m_axis_checker)]
        self.violations: list[str] = []
        self._tasks = [cocotb.start_soon(w(p)) for p in self.ports
                       for w in (self._watch, self._watch_x)]

    @property
    def clock(self) -> int:
        return self.ports[0]._get("clock")

    def port(self, name: str) -> Port:
        return next(p for p in self.ports if p.name == name)

    def message(self, port: Port) -> str | None:
        """The violation flagged on ``port``, if any."""
        code = port._get("violation")
        if not code:
            return None
        signal, what = RULES.get(code, ("?", f"unknown rule {code}"))
        return (f"protocol violation at clock {port._get('violation_clock')} on "
                f"{port.name}_{signal}: {what}")

    async def _watch_x(self, port: Port) -> None:
        """Rule 8 at once: before a driver samples the X and fails less clearly."""
        await RisingEdge(port.handle.data_x)
        signal, what = RULES[8]
        msg = (f"protocol violation at clock {self.clock + 1} on {port.name}_{signal}: "
               f"{what}")
        self.violations.append(msg)
        raise ProtocolError(msg)

    async def _watch(self, port: Port) -> None:
        await RisingEdge(port.handle.failed)
        msg = self.message(port)
        self.violations.append(msg)
        raise ProtocolError(msg)
