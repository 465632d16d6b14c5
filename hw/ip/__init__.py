"""The engine as FPGA IP: a directory with the Verilog, a FuseSoC core file,
instantiation templates (Verilog, VHDL), example constraints and a testbench.

:func:`write_ip` writes it (see :mod:`.writer`); :mod:`.core` is the CAPI2 core
file, :mod:`.templates` the instantiation templates and the SDC, :mod:`.ports`
reads the ports back from the generated Verilog.  Importing this package does
not import Amaranth; :func:`write_ip` does.
"""

from .writer import MANIFEST, write_ip

__all__ = ["MANIFEST", "write_ip"]
