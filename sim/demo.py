"""``tritpack demo``: a weight matrix from floats to trits decoded by the engine in Icarus.

The whole story in one command: make (or load) a float weight matrix,
ternarize it with absmean, pack it into 64-byte lines, print the size report,
then :func:`sim.stream.stream_lines` generates the engine's Verilog, compiles it
with Icarus (or Verilator) and streams every line through it (by default the
checks run in Verilog, :mod:`sim.hdlcheck`; or in cocotb: random idle clocks on
the input, random back-pressure on the output, every output transfer, so every
trit, compared with the golden model, AXI4-Stream protocol checked).
The demo also checks that the golden decode of the lines is the ternarized
tensor, and prints a summary: tensor, sizes, lines, clocks, lines per clock,
simulation speed, PASS or FAIL (exit status 0 or 1).
"""

from __future__ import annotations

import time

import numpy as np
from tqdm import tqdm

from tritpack import golden
from tritpack.golden.weights.absmean import absmean_ternarize
from tritpack.golden.weights.errors import WeightsError
from tritpack.golden.weights.pack import plan, ternarize
from tritpack.golden.weights.report import TensorSize, human_bytes, size_report
from tritpack.golden.weights.sources import open_source

from .commands import DEMO_QUICK_SHAPE as QUICK_SHAPE
from .commands import DEMO_SHAPE as DEFAULT_SHAPE
from .runner import env_sim
from .stream import stream_lines

__all__ = ["make_weights", "run_demo"]

STALL = 0.1  # probability of an idle input clock, and of a stalled output clock


def make_weights(shape=DEFAULT_SHAPE, seed: int = 1) -> np.ndarray:
    """A float32 matrix shaped like a trained layer's weights.

    Heavy-tailed (Student-t, 6 degrees of freedom) values of standard deviation
    about 0.02, with a log-normal scale per output row, as in LLM linear layers.
    """
    rng = np.random.default_rng(seed)
    rows, cols = shape
    w = rng.standard_t(6, size=(rows, cols)).astype(np.float32)
    w *= np.float32(0.02 / np.sqrt(1.5))  # the t(6) variance is 6/4
    w *= rng.lognormal(0.0, 0.25, size=(rows, 1)).astype(np.float32)
    return w


# --- the demo ----------------------------------------------------------------------------

def _load_input(path, tensor: str | None):
    """(name, float or ternary tensor) of a user's file: ``tensor`` or the first packable one."""
    source = open_source(path)
    if tensor is not None:
        t = source.find(tensor)
    else:
        picks = [s.tensor for s in plan(source, keep_other=False) if s.action == "pack"]
        if not picks:
            raise WeightsError("no tensor that could be packed; name one with --tensor", path)
        t = picks[0]
    if 0 in t.shape:
        raise WeightsError(f"empty tensor (shape {'x'.join(map(str, t.shape))}): nothing to "
                           "stream; name another one with --tensor", path, t.name)
    try:
        return t, ternarize(t)
    except WeightsError as exc:
        raise exc.at(path, t.name) from None


def _step(n: int, text: str) -> None:
    print(f"[{n}/5] {text}", flush=True)


def run_demo(input_path=None, tensor: str | None = None, quick: bool = False, seed: int = 1,
             codec="standard", lanes: int = 64, progress: bool | None = None,
             build_dir=None, sim: str | None = None, testbench: str = "hdl",
             **engine) -> bool:
    """Run the demo (see the module docstring) and print as it goes; True on PASS.

    ``codec`` is a name or a :class:`golden.Lut`; ``lanes`` and ``engine``
    (``registered``, ``impl``, ``pipelined``) choose the engine variant;
    ``build_dir``, ``sim`` (simulator) and ``testbench`` are those of
    :func:`sim.stream.stream_lines`.
    """
    codec = golden.get_lut(codec)
    simulator = {"icarus": "Icarus", "verilator": "Verilator"}[sim or env_sim()]
    variant = ", ".join([f"{lanes} lanes"] + [k if v is True else f"{k}={v}"
                                              for k, v in engine.items()
                                              if v and v != "rom"])
    t_start = time.perf_counter()
    if input_path is None:
        shape = QUICK_SHAPE if quick else DEFAULT_SHAPE
        name, src_dtype = f"demo.layer{shape[0]}x{shape[1]}", "F32"
        print(f"tritpack demo: a {shape[0]} x {shape[1]} float32 weight matrix (seed {seed}), "
              f"codec {codec.name}, {variant}", flush=True)
        w = make_weights(shape, seed)
        src_bytes = w.nbytes
        t0 = time.perf_counter()
        trits, scale = absmean_ternarize(w)
        scale_arr = np.array([scale], np.float32)
        scale_text = f"absmean scale {float(scale):.6g}"
    else:
        st, tt = _load_input(input_path, tensor)
        name, src_dtype, src_bytes, shape = st.name, st.dtype, st.nbytes, st.shape
        print(f"tritpack demo: tensor {name!r} of {input_path} ({src_dtype} "
              f"{'x'.join(map(str, shape))}), codec {codec.name}, {variant}", flush=True)
        t0 = time.perf_counter()
        trits, scale_arr = tt.trits, tt.scale
        scale_text = f"{tt.layout} scale ({tt.mode}), {scale_arr.size} value(s)"
    counts = [(trits == v).mean() * 100 for v in (-1, 0, 1)]
    _step(1, f"ternarize: {trits.size} weights, {scale_text}; -1/0/+1 = "
          f"{counts[0]:.1f}% / {counts[1]:.1f}% / {counts[2]:.1f}%  "
          f"({time.perf_counter() - t0:.2f} s)")

    t0 = time.perf_counter()
    packed = golden.pack(trits, codec, block=320)
    lines = packed.data.reshape(-1, golden.LINE_BYTES)
    _step(2, f"pack: {packed.num_blocks} blocks of 320 trits = {lines.shape[0]} lines of 64 "
          f"bytes ({packed.padding} padding trits)  ({time.perf_counter() - t0:.2f} s)")
    sizes = TensorSize(name, tuple(shape), src_dtype, src_bytes, packed.data.nbytes,
                       scale_arr.nbytes)
    _step(3, "size report:")
    print(size_report([sizes]), flush=True)

    _step(4, f"generate the Verilog ({variant}, {codec.name}), compile it with {simulator} and "
          f"stream {lines.shape[0]} lines through it ({STALL:.0%} random idle and "
          "back-pressure), every transfer checked against the golden model")
    bar = tqdm(total=lines.shape[0], unit="line", desc="rtl", leave=False,
               disable=(None if progress is None else not progress))
    t0 = time.perf_counter()
    try:
        rtl = stream_lines(lines, lanes=lanes, codec=codec, stall=STALL, seed=seed,
                           progress=lambda n: bar.update(n - bar.n), build_dir=build_dir,
                           sim=sim, testbench=testbench, **engine)
    finally:
        bar.close()
    wall = time.perf_counter() - t0

    _step(5, "check the chain: golden decode of the lines = the ternarized tensor")
    decoded = golden.unpack(packed)
    wrong_tensor = int((decoded != trits).sum())
    ok = (rtl.passed and rtl.transfers == lines.shape[0] * (golden.LINE_BYTES // lanes)
          and wrong_tensor == 0)
    for msg in rtl.errors[:3]:
        print(f"  {msg}")
    bpw = 8 * sizes.packed_bytes / sizes.num_weights
    print()
    print("Summary")
    print(f"  tensor   {name}  {'x'.join(map(str, shape))} {src_dtype}")
    print(f"  sizes    {human_bytes(src_bytes)} -> {human_bytes(sizes.packed_bytes)} "
          f"({bpw:.4f} bits/weight with scales; "
          f"{100 * (sizes.packed_bytes / sizes.two_bit_bytes - 1):+.1f}% vs 2-bit, "
          f"{100 * (sizes.packed_bytes / sizes.tq_bytes('TQ1_0') - 1):+.1f}% vs TQ1_0, "
          f"{100 * (sizes.packed_bytes / sizes.tq_bytes('TQ2_0') - 1):+.1f}% vs TQ2_0)")
    print(f"  lines    {rtl.lines} lines of 64 bytes, {rtl.transfers} output transfers "
          f"of {lanes} lanes")
    print(f"  clocks   {rtl.clocks} ({rtl.lines_per_clock:.3f} lines/clock with {STALL:.0%} "
          f"random idle and back-pressure; latency {rtl.latency} clocks)")
    bench = "checks in Verilog" if testbench == "hdl" else "cocotb"
    print(f"  sim      {rtl.sim_seconds:.1f} s streaming in {simulator} ({bench}) = "
          f"{rtl.lines_per_second:.0f} lines/s ({rtl.cpu_seconds:.1f} s of CPU; "
          f"{wall:.1f} s with Verilog generation and compilation)")
    print(f"  check    {rtl.transfers * 5 * lanes} trits from the engine vs the golden model: "
          f"{rtl.mismatches} wrong transfers; golden decode vs the ternarized tensor: "
          f"{wrong_tensor} wrong trits (SEED={rtl.seed})")
    print(f"  total    {time.perf_counter() - t_start:.1f} s")
    print(f"  {'PASS' if ok else 'FAIL'}", flush=True)
    return ok
