"""An always-on AXI4-Stream protocol checker, sampled on every rising clock edge.

Rules, checked on every port it is given (the engine's input and output):

1. While ``tvalid`` is high and ``tready`` low, ``tvalid``, ``tdata``, ``tlast``
   and ``tuser`` hold their values to the next clock (a reset clock excepted:
   reset abandons a transfer).
2. ``tdata`` has no X or Z bit while ``tvalid`` is high; ``tvalid`` and ``tready``
   are never X or Z once the first reset has been applied.
3. ``tvalid`` is low during reset and on the first clock after it: on every
   clock whose previous clock had ``rst`` high.

A violation raises :class:`ProtocolError` naming the clock, the port and the
signal, which fails the running cocotb test.  The checker also counts
transfers per port, which gives throughput and latency for free.

Sampling reads single-bit values by identity with the interned ``Logic``
constants and wide values as strings: about 10 us per clock in all, so the
checker stays on even in throughput runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import cocotb
from cocotb.triggers import RisingEdge
from cocotb.types import Logic

__all__ = ["Port", "ProtocolChecker", "ProtocolError"]

_ONE = Logic("1")
_ZERO = Logic("0")
_NOT_01 = re.compile(r"[^01]")


class ProtocolError(AssertionError):
    """An AXI4-Stream rule was broken."""


@dataclass
class Port:
    """One AXI4-Stream port and what was seen on it.

    Members
    -------
    name : str
        Prefix of the port's signals, e.g. ``"m_axis"``.
    transfers : int
        Transfers (``tvalid & tready``) seen since the last reset.
    first_valid, first_transfer, last_transfer : int or None
        Clock numbers (counted by the checker) since the last reset.
    """

    name: str
    tvalid: object
    tready: object
    tdata: object
    tlast: object = None
    tuser: object = None
    transfers: int = 0
    first_valid: int | None = None
    first_transfer: int | None = None
    last_transfer: int | None = None
    _held: tuple | None = field(default=None, repr=False)

    @classmethod
    def from_prefix(cls, dut, prefix: str) -> Port:
        """The signals ``{prefix}_tvalid`` etc. of ``dut`` (``tlast``/``tuser`` optional)."""
        get = lambda s: getattr(dut, f"{prefix}_{s}", None)  # noqa: E731
        return cls(prefix, get("tvalid"), get("tready"), get("tdata"), get("tlast"),
                   get("tuser"))

    def reset_counts(self) -> None:
        self.transfers = 0
        self.first_valid = self.first_transfer = self.last_transfer = None
        self._held = None

    def _payload(self) -> tuple:
        return (
            str(self.tdata.value),
            None if self.tlast is None else self.tlast.value,
            None if self.tuser is None else self.tuser.value,
        )


class ProtocolChecker:
    """Check AXI4-Stream rules on ``ports`` at every rising edge of ``clk``.

    Parameters
    ----------
    clk, rst : cocotb handles
        The clock and the synchronous, active-high reset.
    ports : list of Port
        The ports to watch.

    Members
    -------
    clock : int
        Rising edges seen since the checker started.
    violations : list of str
        Messages of the violations seen (the first one also fails the test).
    """

    def __init__(self, clk, rst, ports: list[Port]):
        self.clk = clk
        self.rst = rst
        self.ports = list(ports)
        self.clock = 0
        self.violations: list[str] = []
        self._task = cocotb.start_soon(self._run())

    def port(self, name: str) -> Port:
        return next(p for p in self.ports if p.name == name)

    def stop(self) -> None:
        self._task.cancel()

    def _fail(self, port: Port, signal: str, what: str) -> None:
        msg = f"protocol violation at clock {self.clock} on {port.name}_{signal}: {what}"
        self.violations.append(msg)
        raise ProtocolError(msg)

    async def _run(self) -> None:
        edge = RisingEdge(self.clk)
        armed = False      # a reset has been seen: X/Z on handshakes is an error from now on
        prev_rst = False   # rst was high at the previous edge
        ports = self.ports
        while True:
            await edge
            self.clock += 1
            rst = self.rst.value is _ONE
            for p in ports:
                valid_v = p.tvalid.value
                ready_v = _ONE if p.tready is None else p.tready.value
                valid = valid_v is _ONE
                if armed and not rst and (
                    (valid_v is not _ONE and valid_v is not _ZERO)
                    or (ready_v is not _ONE and ready_v is not _ZERO)
                ):
                    sig = "tvalid" if valid_v is not _ONE and valid_v is not _ZERO else "tready"
                    self._fail(p, sig, f"is {(valid_v if sig == 'tvalid' else ready_v)!s}, "
                                       "expected 0 or 1")
                if prev_rst and valid:
                    self._fail(p, "tvalid", "high during reset or on the first clock after it")
                held = p._held
                if held is not None and not rst:
                    if not valid:
                        self._fail(p, "tvalid", "dropped while tready was low "
                                   "(a valid transfer must hold until accepted)")
                    now = p._payload()
                    for name, before, after in zip(("tdata", "tlast", "tuser"), held, now,
                                                   strict=True):
                        if before != after:
                            self._fail(p, name, f"changed while tvalid high and tready low "
                                       f"({_short(before)} -> {_short(after)})")
                    payload = now
                elif valid:
                    payload = p._payload()
                else:
                    payload = None
                if valid:
                    if _NOT_01.search(payload[0]):
                        self._fail(p, "tdata", f"has X/Z bits while tvalid is high "
                                   f"({_short(payload[0])})")
                    if p.first_valid is None:
                        p.first_valid = self.clock
                    if ready_v is _ONE and not rst:
                        p.transfers += 1
                        p.last_transfer = self.clock
                        if p.first_transfer is None:
                            p.first_transfer = self.clock
                        p._held = None
                    else:
                        p._held = payload
                else:
                    p._held = None
                if rst:
                    p._held = None
            if rst:
                armed = True
            prev_rst = rst


def _short(value) -> str:
    s = str(value)
    return s if len(s) <= 24 else f"{s[:10]}...{s[-10:]} ({len(s)} bits)"
