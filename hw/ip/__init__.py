"""The engine as FPGA IP: a directory with the Verilog, a FuseSoC core file,
instantiation templates (Verilog, VHDL), example constraints and a testbench,
and the timing diagrams of its handshake.

:func:`write_ip` writes the directory (see :mod:`.writer`); :mod:`.core` is the
CAPI2 core file, :mod:`.templates` the instantiation templates and the SDC,
:mod:`.ports` reads the ports back from the generated Verilog.  :mod:`.waves`
draws the handshake diagrams of docs/ from simulation traces
(``python -m tritpack.hw.ip.waves -o docs/img``).  Importing this package does
not import Amaranth; :func:`write_ip` and the traces do.
"""

from .writer import MANIFEST, write_ip

__all__ = ["MANIFEST", "write_ip"]
