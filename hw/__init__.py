"""tritpack hardware: the streaming decode engine in Amaranth, its Verilog, the FPGA flow.

:mod:`.decoder`
    :class:`~.decoder.TernaryDecoder`, the engine (64-byte lines in, trits out).
:mod:`.lanes`
    The byte-lane decoders the engine is built from (``impl="rom"``, ``"arith"``).
:mod:`.verilog`
    Verilog generation with AXI4-Stream port names; :mod:`.commands` is
    ``tritpack verilog``.
:mod:`.fpga`
    Synthesis, place-and-route, Verilator lint and their benchmarks.
:mod:`.formal`
    The formal proofs (SymbiYosys); ``python -m tritpack.hw.formal``.
:mod:`.vectors`
    The plain Verilog testbench written beside golden vectors (``tritpack vectors``).

Importing :mod:`tritpack.hw` itself does not import Amaranth, so that the
command line starts fast and lists every command without the ``hw`` extra.
"""

from tritpack.golden import LANES

__all__ = ["LANES"]
