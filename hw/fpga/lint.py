"""Lint the generated Verilog with ``verilator --lint-only -Wall``.

``python -m tritpack.hw.fpga.lint`` checks the engine for lanes 1, 8 and 64 and every option
(codec, registered, lane ``impl``, pipelined) and exits non-zero on the first warning;
``make lint`` runs it after ruff.  :func:`lint_verilog` lints one text.
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .. import tools

__all__ = ["DEFAULT_LANES", "configurations", "lint_verilog", "main"]

#: Lane counts linted by default.
DEFAULT_LANES = (1, 8, 64)


def lint_verilog(text: str, top: str, timeout: float = 300.0) -> list[str]:
    """Lint ``text`` with ``verilator --lint-only -Wall``; return its messages.

    An empty list means clean.

    Raises
    ------
    FileNotFoundError
        When Verilator is missing.
    TimeoutError
        When it runs longer than ``timeout`` seconds.
    """
    verilator = tools.verilator()
    with tempfile.TemporaryDirectory(prefix="tritpack-lint-") as tmp:
        src = Path(tmp, f"{top}.v")
        src.write_text(text)
        try:
            proc = subprocess.run(
                [verilator, "--lint-only", "-Wall", "--top-module", top, str(src)],
                capture_output=True, text=True, timeout=timeout, cwd=tmp,
            )
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"verilator took longer than {timeout:.0f} s") from None
    messages = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith("%")]
    if proc.returncode != 0 and not messages:
        messages = [f"verilator exited with status {proc.returncode}"]
    return messages


def configurations(lanes=DEFAULT_LANES):
    """Every (lanes, codec, registered, impl, pipelined) combination to lint."""
    from tritpack import golden

    from ..lanes import impls_for

    return [(n, codec, registered, impl, pipelined)
            for n, codec, registered, pipelined in itertools.product(
                lanes, golden.CODEC_NAMES, (False, True), (False, True))
            for impl in impls_for(pipelined)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tritpack.hw.fpga.lint",
        description="verilator --lint-only -Wall on the generated engine, every option.",
    )
    parser.add_argument("--lanes", type=int, nargs="+", default=list(DEFAULT_LANES),
                        help="lane counts to lint (default 1 8 64)")
    args = parser.parse_args(argv)

    from ..verilog import generate_verilog
    from .designs import ENGINE_TOP

    try:
        tools.verilator()
    except FileNotFoundError as exc:
        print(f"tritpack.hw.fpga.lint: error: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for lanes, codec, registered, impl, pipelined in configurations(args.lanes):
        start = time.perf_counter()
        text = generate_verilog(lanes, codec, registered, ENGINE_TOP, impl=impl,
                                pipelined=pipelined)
        messages = lint_verilog(text, ENGINE_TOP)
        name = (f"lanes={lanes} codec={codec} registered={int(registered)} impl={impl} "
                f"pipelined={int(pipelined)}")
        status = "clean" if not messages else f"{len(messages)} message(s)"
        print(f"{name}: {status} ({time.perf_counter() - start:.1f} s)", flush=True)
        for msg in messages[:20]:
            print(f"    {msg}")
        failed += bool(messages)
    total = len(configurations(args.lanes))
    print(f"verilator -Wall: {total - failed} of {total} configurations clean")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
