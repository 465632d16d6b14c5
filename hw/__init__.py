"""tritpack hardware: the streaming decode engine in Amaranth and its Verilog.

:mod:`hw.decoder` holds :class:`~hw.decoder.TernaryDecoder`, :mod:`hw.lane` the
byte-lane decoders it is built from, :mod:`hw.verilog` the Verilog generation
with AXI4-Stream port names, :mod:`hw.cli` the ``tritpack verilog`` command.
Importing :mod:`hw` itself does not import Amaranth, so that the command line
starts fast.
"""

__all__ = ["LANES"]

#: Supported numbers of byte lanes of the engine (bytes decoded per clock).
LANES = (1, 2, 4, 8, 16, 32, 64)
