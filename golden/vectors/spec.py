"""The parameters of a vectors directory: :class:`VectorSpec` and the format's constants."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..blocks import LANES, LINE_BYTES
from ..lut import CODEC_NAMES, TRITS_PER_BYTE, Lut, get_lut

__all__ = [
    "DATA_FILES", "DISTRIBUTIONS", "FORMAT_VERSION", "MANIFEST", "MAX_SEED",
    "TLAST_PROBABILITY", "VectorSpec",
]

#: Version of the directory layout, in ``manifest.json``.
FORMAT_VERSION = 1
DISTRIBUTIONS = ("uniform", "weights")
MANIFEST = "manifest.json"
#: Data files of a vectors directory, in manifest order.
DATA_FILES = (
    "input.hex", "input_flags.hex", "input.bin",
    "expected.hex", "expected_flags.hex", "expected_trits.npy", "lut.hex",
)
#: Probability that a random line carries ``tlast`` (the last line always does).
TLAST_PROBABILITY = 0.25
MAX_SEED = 2**32 - 1  # the testbench's seed is a 32-bit parameter


@dataclass(frozen=True)
class VectorSpec:
    """Every parameter of a vectors directory (all go into the manifest).

    Members
    -------
    lines : int or None
        Number of 64-byte input lines; ``None`` with an input file means all of it.
    seed : int
        Seed of the data generator and default seed of the testbench, 0..2**32-1.
    lanes : int
        Bytes decoded per output transfer, one of :data:`golden.LANES`.
    codec : str or Lut
        A built-in codec name (:data:`golden.CODEC_NAMES`) or a custom :class:`Lut`.
    invalid_rate : float
        Fraction of bytes replaced by invalid codes, in [0, 1].
    distribution : str
        Random trits: ``"uniform"`` (every valid code equally likely) or
        ``"weights"`` (P(0) = 1/2, P(+1) = P(-1) = 1/4, like quantised weights).
    """

    lines: int | None
    seed: int
    lanes: int
    codec: str | Lut = "standard"
    invalid_rate: float = 0.0
    distribution: str = "uniform"

    @property
    def lut(self) -> Lut:
        return get_lut(self.codec)

    @property
    def codec_name(self) -> str:
        return self.lut.name

    @property
    def custom_codec(self) -> bool:
        """Whether the codec is a user's LUT (defined by the directory's ``lut.hex``)."""
        return not isinstance(self.codec, str)

    @property
    def transfers_per_line(self) -> int:
        return LINE_BYTES // self.lanes

    @property
    def transfer_trits(self) -> int:
        return TRITS_PER_BYTE * self.lanes

    def with_lines(self, lines: int) -> VectorSpec:
        return VectorSpec(lines, self.seed, self.lanes, self.codec, self.invalid_rate,
                          self.distribution)

    def check(self, from_file: bool = False, names: dict[str, str] | None = None) -> None:
        """Raise ValueError (one line) for an impossible parameter.

        Parameters
        ----------
        from_file : bool
            Whether the lines come from an input file (``lines`` may then be None).
        names : dict of str to str, optional
            What to call each member in the message (``{"seed": "--seed"}`` on the
            command line); by default its name (``invalid_rate`` as "invalid rate").
        """
        names = names or {}
        lanes, lines, seed, rate_name = (names.get(k, k.replace("_", " ")) for k in
                                         ("lanes", "lines", "seed", "invalid_rate"))
        if isinstance(self.lanes, bool) or self.lanes not in LANES:
            raise ValueError(
                f"{lanes} must be one of {', '.join(map(str, LANES))}, not {self.lanes!r}"
            )
        if self.lines is None:
            if not from_file:
                raise ValueError("the number of lines is required without an input file")
        elif not isinstance(self.lines, int) or isinstance(self.lines, bool) or self.lines < 1:
            raise ValueError(f"{lines} must be a positive integer, not {self.lines!r}")
        if not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"{seed} must be an integer in 0..{MAX_SEED}, not {self.seed!r}")
        if not isinstance(self.codec, Lut) and self.codec not in CODEC_NAMES:
            raise ValueError(
                f"unknown codec {self.codec!r}; expected one of {', '.join(CODEC_NAMES)} "
                "or a LUT file"
            )
        rate = self.invalid_rate
        if not isinstance(rate, (int, float)) or not (math.isfinite(rate) and 0 <= rate <= 1):
            raise ValueError(f"{rate_name} must be a number in [0, 1], not {rate!r}")
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(
                f"distribution must be one of {', '.join(DISTRIBUTIONS)}, "
                f"not {self.distribution!r}"
            )
