"""RTL simulation of the generated engine: cocotb 2.1 on Icarus (or Verilator) against
the golden model.

See docs/VERIFICATION.md.  Entry points: :func:`sim.stream.stream_lines` (any
lines through the RTL), :mod:`sim.runner` (build and run the regression),
``tritpack sim``, ``tritpack regress`` and ``tritpack bench rtl``.
"""
