"""The handshake timing diagrams in docs/img are the engine's, from a fresh trace.

``docs/img/handshake-<variant>.json`` (WaveDrom sources) must equal what
``python -m tritpack.hw.ip.waves`` draws from a new simulation, and each SVG beside
them must be the ``wavedrom`` rendering of its source.  After a change of the
handshake: ``make diagrams`` (``python -m tritpack.hw.ip.waves -o docs/img``).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from tritpack.hw.decoder import engine_latency
from tritpack.hw.ip.waves import (
    LANES,
    SCENARIO,
    VARIANTS,
    diagram_source,
    handshake_trace,
    main,
    source_text,
)

IMG = Path(__file__).resolve().parent.parent / "docs" / "img"
REGENERATE = "run `make diagrams` (python -m tritpack.hw.ip.waves -o docs/img) and commit"


@functools.cache
def fresh(variant) -> str:
    return source_text(diagram_source(variant))


def committed(variant, suffix=".json") -> str:
    path = IMG / f"handshake-{variant}{suffix}"
    assert path.is_file(), f"{path} is missing: {REGENERATE}"
    return path.read_text()


@pytest.mark.parametrize("variant", VARIANTS)
def test_committed_source_matches_a_fresh_trace(variant):
    assert fresh(variant) == committed(variant), f"the handshake changed: {REGENERATE}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_committed_svg_is_the_rendering_of_its_source(variant):
    wavedrom = pytest.importorskip("wavedrom")
    svg = wavedrom.render(json.dumps(json.loads(committed(variant)))).tostring()
    assert svg == committed(variant, ".svg"), f"the SVG is stale: {REGENERATE}"


def test_a_changed_handshake_is_caught():
    """The comparison can fail: every variant's trace differs from every other one's
    committed source (a change of latency, pipelined, or of back-pressure, registered)."""
    for a in VARIANTS:
        for b in VARIANTS:
            if a != b:
                assert fresh(a) != committed(b), (a, b)


@pytest.mark.parametrize("variant", VARIANTS)
def test_trace_is_the_scenario(variant):
    """What the diagram shows: every beat once and in order, at the engine's
    latency, through the idle cycle and the stall, with tlast on the lines' last beats."""
    registered, pipelined = VARIANTS[variant]
    trace = handshake_trace(registered, pipelined)
    assert len(trace) == SCENARIO.cycles
    beats = 64 // LANES
    lines = len(SCENARIO.idle)
    sent = [(n, s) for n, s in enumerate(trace) if s.m_valid and s.m_ready]
    assert [s.m_data for _, s in sent] == [f"{n}.{b}" for n in range(lines) for b in range(beats)]
    assert [s.m_last for _, s in sent] == [SCENARIO.last[n] and b == beats - 1
                                           for n in range(lines) for b in range(beats)]
    accepted = [n for n, s in enumerate(trace) if s.s_valid and s.s_ready]
    assert [trace[n].s_data for n in accepted] == [f"L{n}" for n in range(lines)]
    first_out = next(n for n, s in enumerate(trace) if s.m_valid)
    assert first_out == accepted[0] + engine_latency(pipelined)
    # the scenario is exercised: an idle input cycle, a stalled valid output
    assert any(not s.s_valid for s in trace[accepted[0] + 1:accepted[-1]])
    assert any(s.m_valid and not s.m_ready for s in trace)
    # once valid, output valid and data hold until the transfer
    for now, nxt in zip(trace, trace[1:], strict=False):
        if now.m_valid and not now.m_ready:
            assert nxt.m_valid and nxt.m_data == now.m_data


@pytest.mark.parametrize("impl", ["arith", "bram"])
@pytest.mark.parametrize("registered", [False, True])
def test_pipelined_diagram_holds_for_every_impl(registered, impl):
    """The pipelined diagrams, drawn with the default ``rom``, are the handshake of
    the other lane implementations too, ``bram`` (whose read registers are the
    output register) included: the same ports, beat for beat."""
    assert handshake_trace(registered, True, impl=impl) == handshake_trace(registered, True)


def test_main_refuses_a_missing_directory(tmp_path, capsys):
    assert main(["-o", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and len(err.splitlines()) == 1
