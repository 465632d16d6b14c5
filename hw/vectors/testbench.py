"""The plain Verilog-2005 self-checking testbench of a vectors directory.

The bench itself is ``tb_ternary_decoder_bench.v``, a Verilog file shipped with
the package and copied verbatim (see its header for what it checks and its
plusargs, among them ``+waves``).  What varies between directories (lanes,
line and transfer counts, the default seed and idle/stall percentages, the
engine's module name) is set by a small generated top module, named
``tb_name``, that passes them as parameters and wires the engine to the bench.
:func:`testbench_files` returns both files; :func:`generate_testbench` the two
as one Verilog text.
"""

from __future__ import annotations

from importlib.resources import files

from tritpack.golden import LANES, LINE_BYTES
from tritpack.golden.lut_io import ROW_BITS
from tritpack.golden.vectors import MAX_SEED

from ..verilog import check_module_name

__all__ = [
    "BENCH_FILE", "BENCH_MODULE", "IDLE_PERCENT", "STALL_PERCENT", "TB_NAME", "bench_text",
    "generate_testbench", "testbench_files",
]

TB_NAME = "tb_ternary_decoder"
#: The bench shipped with the package, and the module it defines.
BENCH_FILE = "tb_ternary_decoder_bench.v"
BENCH_MODULE = BENCH_FILE.removesuffix(".v")
IDLE_PERCENT = 25
STALL_PERCENT = 25

_PORTS = ("clk", "rst", "s_axis_tdata", "s_axis_tvalid", "s_axis_tready", "s_axis_tlast",
          "m_axis_tdata", "m_axis_tvalid", "m_axis_tready", "m_axis_tlast", "m_axis_tuser",
          "error")


def bench_text() -> str:
    """The text of :data:`BENCH_FILE` (package data)."""
    return files(__package__).joinpath(BENCH_FILE).read_text(encoding="ascii")


def _top(tb_name: str, module_name: str, params: dict, comments: str) -> str:
    values = ",\n".join(f"    .{k}({v})" for k, v in params.items())
    connect = ",\n".join(f"    .{p}({p})" for p in _PORTS)
    return (
        f"{comments}"
        f"// The top of the testbench: the parameters of these vectors, the engine\n"
        f"// `{module_name}` and the bench of {BENCH_FILE} (see docs/VECTORS.md).\n"
        f"//   iverilog -g2005 -o tb DIR/*.v && vvp tb [+vectors=DIR] [+seed=N] [+idle=PCT]\n"
        f"//       [+stall=PCT] [+timeout=CYCLES] [+waves[=FILE]]\n"
        f"module {tb_name};\n"
        f"  wire clk, rst, s_axis_tvalid, s_axis_tready, s_axis_tlast;\n"
        f"  wire m_axis_tvalid, m_axis_tready, m_axis_tlast, m_axis_tuser, error;\n"
        f"  wire [511:0] s_axis_tdata;\n"
        f"  wire [{ROW_BITS * params['LANES'] - 1}:0] m_axis_tdata;\n\n"
        f"  {module_name} dut (\n{connect}\n  );\n\n"
        f"  {BENCH_MODULE} #(\n{values}\n  ) bench (\n{connect}\n  );\n"
        f"endmodule\n"
    )


def testbench_files(lanes: int, lines: int, transfers: int, seed: int,
                    module_name: str = "ternary_decoder", tb_name: str = TB_NAME,
                    idle_percent: int = IDLE_PERCENT, stall_percent: int = STALL_PERCENT,
                    header: str = "") -> dict[str, str]:
    """The testbench's Verilog-2005 files: ``{tb_name}.v`` (the generated top) and
    :data:`BENCH_FILE` (the bench, verbatim).

    Parameters
    ----------
    lanes : int
        Byte lanes of the engine (one of :data:`golden.LANES`).
    lines, transfers : int
        Rows of ``input.hex`` and of ``expected.hex``.
    seed : int
        Default seed of the idle/stall generator, 0..2**32-1.
    module_name, tb_name : str
        The engine module to instantiate and the testbench's top module.
    idle_percent, stall_percent : int
        Default chance (0..99) of an idle cycle on ``s_axis`` and of ``m_axis_tready``
        low in a cycle.
    header : str
        Comment lines to put on top of the generated file (e.g. the generating command).

    Raises
    ------
    ValueError
        For a parameter out of range.
    """
    if lanes not in LANES:
        raise ValueError(f"lanes must be one of {', '.join(map(str, LANES))}, not {lanes!r}")
    if lines < 1 or transfers != lines * (LINE_BYTES // lanes):
        raise ValueError(f"{transfers} transfers do not fit {lines} lines of {lanes} lanes")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be in 0..{MAX_SEED}, not {seed!r}")
    for what, pct in (("idle", idle_percent), ("stall", stall_percent)):
        if not 0 <= pct <= 99:
            raise ValueError(f"{what} percentage must be in 0..99, not {pct!r}")
    for name in (module_name, tb_name):
        check_module_name(name)
    if BENCH_MODULE in (tb_name, module_name) or module_name == tb_name:
        raise ValueError(f"module names {module_name!r} (engine), {tb_name!r} (testbench) and "
                         f"{BENCH_MODULE!r} (bench) must differ")
    comments = "".join(f"// {line}\n".replace("// \n", "//\n") for line in header.splitlines())
    params = {"LANES": lanes, "LINES": lines, "TRANSFERS": transfers, "SEED": seed,
              "IDLE_PERCENT": idle_percent, "STALL_PERCENT": stall_percent,
              "NAME": f'"{tb_name}"'}
    return {f"{tb_name}.v": _top(tb_name, module_name, params, comments),
            BENCH_FILE: bench_text()}


def generate_testbench(*args, **kwargs) -> str:
    """The files of :func:`testbench_files` as one Verilog text (top first)."""
    return "\n".join(testbench_files(*args, **kwargs).values())
