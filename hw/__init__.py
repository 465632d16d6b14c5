"""tritpack hardware: the streaming decode engine in Amaranth, its Verilog, the FPGA flow.

:mod:`.decoder`
    :class:`~.decoder.TernaryDecoder`, the engine (64-byte lines in, trits out).
:mod:`.lanes`
    The byte-lane decoders the engine is built from, behind one registry
    (``impl="rom"``: :mod:`.lanes.rom`, ``"arith"``: :mod:`.lanes.arith`).
:mod:`.options`
    The engine options of every command that builds an engine
    (``--lanes``, ``--codec``, ``--registered``, ``--impl``, ``--pipelined``).
:mod:`.verilog`
    Verilog generation with AXI4-Stream port names and a header saying what the
    file is; :mod:`.commands` is ``tritpack verilog``.
:mod:`.tools`
    Where every HDL tool comes from (Yosys, nextpnr, SymbiYosys, Verilator).
:mod:`.fpga`
    Synthesis, place-and-route, Verilator lint and their benchmarks
    (``tritpack synth``, ``tritpack timing``, ``python -m tritpack.hw.fpga.lint``).
:mod:`.formal`
    The formal proofs (SymbiYosys); ``python -m tritpack.hw.formal``.
:mod:`.vectors`
    The plain Verilog testbench written beside golden vectors (``tritpack vectors``).
:mod:`.ip`
    The engine as FPGA IP (``tritpack verilog --ip``) and the handshake diagrams.
:mod:`.options`, :mod:`.tools`
    The engine options of every command; the one lookup of the external tools.

Importing :mod:`tritpack.hw` itself does not import Amaranth, so that the
command line starts fast and lists every command without the ``hw`` extra.
"""

from tritpack.golden import LANES

__all__ = ["LANES"]
