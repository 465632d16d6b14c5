"""Golden vectors for hardware teams: the golden model's answers as files.

A vectors directory holds, for a decode engine of ``lanes`` byte lanes (one
64-byte line in, ``64 / lanes`` transfers of ``5 * lanes`` trits out), the
input lines and the expected transfers as ``$readmemh`` text and as raw data,
the codec's table and a manifest; ``docs/VECTORS.md`` describes every file.
The modules, one idea each:

:mod:`.spec`
    :class:`VectorSpec`, the parameters, and the format's constants.
:mod:`.stimulus`
    The seeded input lines: random codes, invalid codes, ``tlast``.
:mod:`.hexfmt`
    The hex text formats, both ways.
:mod:`.build`
    :func:`write_directory` streams a directory of any size in bounded memory;
    :func:`build` gathers a small set in memory.
:mod:`.manifest`
    ``manifest.json``.
:mod:`.verify`
    :func:`verify` re-checks a directory.

numpy only: the Verilog files of a vectors directory are made by
:mod:`tritpack.hw.vectors` and handed to :func:`write_directory` as bytes;
:func:`verify` checks them by hash.
"""

from .build import (
    CHUNK_LINES,
    Vectors,
    Written,
    build,
    check_space,
    chunks,
    data_bytes,
    resolve,
    write_directory,
)
from .hexfmt import hex_lines, hex_transfers, lut_hex
from .manifest import manifest_bytes, tool_version
from .spec import (
    DATA_FILES,
    DISTRIBUTIONS,
    FORMAT_VERSION,
    MANIFEST,
    MAX_SEED,
    TLAST_PROBABILITY,
    VectorSpec,
)
from .verify import verify

__all__ = [
    "CHUNK_LINES", "DATA_FILES", "DISTRIBUTIONS", "FORMAT_VERSION", "MANIFEST", "MAX_SEED",
    "TLAST_PROBABILITY", "VectorSpec", "Vectors", "Written", "build", "check_space", "chunks",
    "data_bytes", "hex_lines", "hex_transfers", "lut_hex", "manifest_bytes", "resolve",
    "tool_version", "verify", "write_directory",
]
