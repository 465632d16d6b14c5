"""The FuseSoC core file (CAPI2) of an IP directory.

:func:`core_file` writes a ``.core`` that names the engine
``tritpack:ip:<module>:<version>`` and declares

* filesets ``rtl`` (the engine, and the instantiation template as an include
  file), ``constraints`` (the example SDC) and, when the
  directory holds the self-checking testbench, ``sim`` (testbench and vectors,
  the vectors copied into the simulator's work directory);
* targets ``default`` (the engine alone, for use as a dependency of your own
  core), ``lint`` (Verilator ``--lint-only -Wall``), ``sim`` (Icarus runs the
  testbench, which prints ``PASS`` or fails) and ``synth`` (engine and SDC,
  for a tool of your choice);
* the testbench's run-time options (``seed``, ``idle``, ``stall``) as
  ``plusarg`` parameters of the ``sim`` target.

The engine's own configuration (lanes, codec, variant) is baked into its
Verilog; the core file states it in its description and header comment.
"""

from __future__ import annotations

import json
import re

__all__ = ["SIM_PARAMETERS", "core_file", "vlnv"]

#: Run-time options of the vectors testbench (``hw.vectors.testbench``), as
#: CAPI2 parameters: name -> (datatype, description).
SIM_PARAMETERS = {
    "seed": ("int", "seed of the testbench's idle/stall pattern (default: the vectors' seed)"),
    "idle": ("int", "chance in percent (0..99) of an idle input cycle (default 25)"),
    "stall": ("int", "chance in percent (0..99) of m_axis_tready low in a cycle (default 25)"),
}

# A YAML scalar that needs no quotes here: no indicator first, no ': ' or ' #',
# and not a word YAML would read as a bool, null or number.
_PLAIN_RE = re.compile(r"[A-Za-z_./][\w./:+-]*\Z")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def vlnv(module_name: str, version: str) -> str:
    """``tritpack:ip:<module_name>:<version>``: the core's name (vendor, library,
    name, version)."""
    return f"tritpack:ip:{module_name}:{version}"


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN_RE.match(text) and text.lower() not in _YAML_WORDS and not text.endswith(":"):
        return text
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def _flow(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def _block(value, indent: int) -> list[str]:
    """Block-style YAML lines of a mapping; lists of scalars and small mappings in
    flow style, lists of files one per line."""
    pad = " " * indent
    lines = []
    for key, item in value.items():
        if isinstance(item, dict) and item:
            lines.append(f"{pad}{key}:")
            lines += _block(item, indent + 2)
        elif isinstance(item, list) and key == "files":
            lines.append(f"{pad}{key}:")
            lines += [f"{pad}  - {_flow(f)}" if not isinstance(f, dict) else
                      f"{pad}  - {_scalar(next(iter(f)))}: {_flow(next(iter(f.values())))}"
                      for f in item]
        else:
            lines.append(f"{pad}{key}: {_flow(item)}")
    return lines


def core_file(module_name: str, version: str, *, engine_file: str, sdc_file: str,
              description: str, include_file: str | None = None,
              sim_files: dict | None = None, sim_toplevel: str | None = None,
              header: str = "") -> str:
    """Text of the CAPI2 core file.

    Parameters
    ----------
    module_name, version : str
        Name the core ``tritpack:ip:<module_name>:<version>``; the module is the
        toplevel of the ``default``, ``lint`` and ``synth`` targets.
    engine_file, sdc_file : str
        Paths of the Verilog and the SDC, relative to the core file.
    include_file : str, optional
        The instantiation template, exported with the ``rtl`` fileset as an
        include file, so that a core depending on this one can `` `include `` it.
    description : str
        One line: the engine's configuration.
    sim_files : dict, optional
        Testbench and vectors for the ``sim`` target: path relative to the core
        file -> name in the simulator's work directory (``None``: a Verilog
        source, not copied).  Without it there is no ``sim`` target.
    sim_toplevel : str, optional
        The testbench module (required with ``sim_files``).
    header : str
        Comment lines put under the ``CAPI=2:`` line.
    """
    filesets = {
        "rtl": {"files": [engine_file] + ([{include_file: {"is_include_file": True}}]
                                          if include_file else []),
                "file_type": "verilogSource"},
        "constraints": {"files": [sdc_file], "file_type": "SDC"},
    }
    engine = {"filesets": ["rtl"], "toplevel": module_name}
    targets = {
        "default": {"filesets": ["rtl"]},
        "lint": {**engine, "description": "Verilator --lint-only -Wall of the engine",
                 "flow": "lint",
                 "flow_options": {"tool": "verilator", "verilator_options": ["-Wall"]}},
        "synth": {"filesets": ["rtl", "constraints"], "toplevel": module_name,
                  "description": "the engine with the example SDC, for a tool of your choice "
                                 "(--tool quartus, vivado, ...)"},
    }
    doc = {"name": vlnv(module_name, version), "description": description,
           "filesets": filesets}
    if sim_files:
        if not sim_toplevel:
            raise ValueError("sim_files need a sim_toplevel")
        filesets["sim"] = {
            "files": [path if copyto is None else {path: {"file_type": "user", "copyto": copyto}}
                      for path, copyto in sim_files.items()],
            "file_type": "verilogSource",
        }
        doc["parameters"] = {name: {"datatype": datatype, "paramtype": "plusarg",
                                    "description": text}
                             for name, (datatype, text) in SIM_PARAMETERS.items()}
        targets["sim"] = {"description": "Icarus runs the self-checking testbench on golden "
                                         "vectors: PASS, or a nonzero exit status",
                          "filesets": ["rtl", "sim"], "toplevel": sim_toplevel,
                          "parameters": list(SIM_PARAMETERS), "flow": "sim",
                          "flow_options": {"tool": "icarus",
                                           "iverilog_options": ["-g2005", "-Wall"]}}
    doc["targets"] = targets
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return "CAPI=2:\n" + comments + "\n" + "\n".join(_block(doc, 0)) + "\n"
