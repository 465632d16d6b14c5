"""tritpack: the reference implementation of the 5-trits-per-byte ternary weight format.

Three packages, dependencies flowing one way (``sim`` -> ``hw`` -> ``golden``):

:mod:`tritpack.golden`
    The golden model (numpy only): the LUTs, encode/decode, the block format,
    LUT exports, vectors, imports of real weights.  ``import tritpack.golden as
    golden`` is the documented API.
:mod:`tritpack.hw`
    The streaming decode engine in Amaranth, its Verilog, the FPGA flow and the
    formal proofs (extras ``hw``, ``fpga``, ``formal``).
:mod:`tritpack.sim`
    cocotb testbenches running the generated Verilog against the golden model
    (extra ``sim``).

The ``tritpack`` command line is :mod:`tritpack.cli`; docs/ARCHITECTURE.md is
the map of the source tree.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tritpack")
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
