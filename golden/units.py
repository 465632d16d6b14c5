"""How sizes and counts are written in messages and reports: ``12.50 MiB``, ``1 block``."""

from __future__ import annotations

__all__ = ["human_bytes", "plural"]


def human_bytes(n: float, digits: int = 2) -> str:
    """``n`` bytes in B, KiB, MiB, GiB, TiB or PiB (powers of 1024), ``digits`` decimals.

    Whole bytes below 1 KiB: ``"500 B"``; ``human_bytes(3 << 20) == "3.00 MiB"``.
    """
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.{digits}f} {unit}"
        n /= 1024
    raise AssertionError  # unreachable


def plural(n: int, word: str, words: str | None = None) -> str:
    """``"1 block"``, ``"2 blocks"``; ``words`` when the plural is not ``word + "s"``."""
    return f"{n} {word if n == 1 else (words or word + 's')}"
