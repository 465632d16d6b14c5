"""``tritpack demo``: a weight matrix from floats to trits decoded by the engine in Icarus.

The whole story in one command: make (or load) a float weight matrix,
ternarize it with absmean, pack it into 64-byte lines, print the size report,
generate the engine's Verilog, stream every line through it in Icarus (cocotb,
random idle cycles on the input and back-pressure on the output), compare every
trit the engine emits with the golden model and with the ternarized tensor,
and print a summary: tensor, sizes, lines, clocks, lines per clock, simulation
speed, PASS or FAIL (exit status 0 or 1).

The RTL step is :func:`stream_through_engine`; it runs the cocotb test
:func:`demo_stream` of this module (defined only inside the simulator, so the
command line does not import cocotb), built and run with :mod:`sim.runner`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

import golden
from golden.weights.absmean import absmean_ternarize
from golden.weights.errors import WeightsError
from golden.weights.pack import plan, ternarize
from golden.weights.report import TensorSize, human_bytes, size_report
from golden.weights.sources import open_source

__all__ = ["register_demo", "make_weights", "run_demo", "stream_through_engine", "RtlRun"]

DEFAULT_SHAPE = (2048, 2048)
QUICK_SHAPE = (128, 320)
ENV_LINES = "TRITPACK_DEMO_LINES"
ENV_OUT = "TRITPACK_DEMO_OUT"
ENV_STALL = "TRITPACK_DEMO_STALL"
ENV_SEED = "TRITPACK_DEMO_SEED"
STALL = 0.1  # probability of an idle input clock, and of a stalled output clock
PROGRESS_EVERY = 512  # clocks between progress notes written by the simulation


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


@dataclass
class RtlRun:
    """What came out of the engine.

    Members
    -------
    trits : numpy.ndarray
        int8 (lines, 320): every trit the engine emitted, in order.
    invalid : numpy.ndarray
        bool (lines,): a transfer of that line had ``tuser`` set.
    clocks : int
        From the first input transfer to the last output transfer.
    stalls : str
        The pause generator used for idle and back-pressure.
    sim_seconds : float
        Seconds of simulated streaming (simulator start-up and build excluded).
    wall : float
        Seconds the simulation run took, start-up included (build excluded).
    passed : bool
        The testbench's own verdict (scoreboard, protocol checker, counts).
    message : str
        The testbench's failure message, if any.
    """

    trits: np.ndarray
    invalid: np.ndarray
    clocks: int
    stalls: str
    sim_seconds: float
    wall: float
    passed: bool
    message: str = ""


def stream_through_engine(lines: np.ndarray, lanes: int = 64, codec: str = "standard",
                          seed: int = 1, build_dir: Path | None = None,
                          progress: bool | None = None) -> RtlRun:
    """Stream (n, 64) uint8 lines through the generated engine in Icarus.

    Builds the Verilog of :class:`sim.runner.Variant` ``(lanes, codec)`` with
    Icarus into ``build_dir`` and runs :func:`demo_stream` with cocotb: the
    lines go in as one AXI4-Stream packet with random idle clocks, the output
    sees random back-pressure, and every output transfer is recorded.

    Raises
    ------
    RuntimeError
        If Icarus or the simulation fails to produce results.
    """
    from . import runner

    lines = np.ascontiguousarray(lines, dtype=np.uint8).reshape(-1, golden.LINE_BYTES)
    variant = runner.Variant(lanes, codec)
    build_dir = Path(build_dir) if build_dir is not None else runner.BUILD_ROOT.parent / "demo"
    runner.build(variant, build_dir, waves=False)
    with tempfile.TemporaryDirectory(prefix="tritpack-demo-") as tmp:
        tmp = Path(tmp)
        np.save(tmp / "lines.npy", lines)
        env = {ENV_LINES: str(tmp / "lines.npy"), ENV_OUT: str(tmp), ENV_SEED: str(seed),
               ENV_STALL: str(STALL)}
        box: dict = {}

        def work():
            try:
                box["result"] = runner.run(variant, build_dir, tests=["demo_stream"], seed=seed,
                                           waves=False, env=env, test_module="sim.demo")
            except BaseException as exc:  # reported in the main thread
                box["error"] = exc

        t0 = time.perf_counter()
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        bar = tqdm(total=len(lines), unit="line", desc="rtl", leave=False,
                   disable=(None if progress is None else not progress))
        while thread.is_alive():
            thread.join(0.2)
            done = _progress(tmp)
            bar.update(max(0, done - bar.n))
        bar.close()
        wall = time.perf_counter() - t0
        if "error" in box:
            raise box["error"]
        result = box["result"]
        summary = tmp / "summary.json"
        if not summary.is_file():
            raise RuntimeError(f"the simulation produced no results: {result.summary()}")
        info = json.loads(summary.read_text())
        out = np.load(tmp / "out.npy")
        user = np.load(tmp / "user.npy")
    beats = golden.LINE_BYTES // lanes
    trits = _decode_transfers(out, lanes).reshape(-1, 5 * golden.LINE_BYTES) \
        if out.size else np.zeros((0, 5 * golden.LINE_BYTES), np.int8)
    invalid = user.reshape(-1, beats).any(axis=1) if user.size else np.zeros(0, bool)
    return RtlRun(trits, invalid, int(info["clocks"]), info["stalls"], info["seconds"], wall,
                  result.passed, "" if result.passed else result.summary())


def _progress(tmp: Path) -> int:
    try:
        return int((tmp / "progress").read_text() or 0)
    except (OSError, ValueError):
        return 0


def _decode_transfers(out: np.ndarray, lanes: int) -> np.ndarray:
    """(transfers, 10*lanes/8) little-endian bytes -> trits, 2-bit two's complement each."""
    bits = np.unpackbits(out, axis=1, bitorder="little")[:, : 10 * lanes]
    two = bits.reshape(out.shape[0], 5 * lanes, 2)
    field = two[..., 0] | (two[..., 1] << 1)  # 00 -> 0, 01 -> +1, 11 -> -1, 10 -> not a trit
    return np.select([field == 1, field == 3, field == 0], [1, -1, 0], 2).astype(np.int8)


# --- the cocotb side: only defined inside the simulator ------------------------------------

if os.environ.get(ENV_LINES):
    import cocotb
    from cocotb.clock import Clock
    from cocotb.triggers import ClockCycles, RisingEdge

    @cocotb.test()
    async def demo_stream(dut):
        """Stream the demo's lines as one packet with random stalls; record every transfer.

        A lean driver (a few signal accesses per clock, so that a 2048 x 2048 layer
        streams in seconds): the input holds ``tvalid`` and ``tdata`` until the
        transfer, idles at random between lines; the output's ``tready`` drops at
        random.  Handshakes are sampled at the rising edge, as cocotbext-axi does.
        The comparison with the golden model is done by the caller, on every trit.
        """
        lines = np.load(os.environ[ENV_LINES])
        out_dir = Path(os.environ[ENV_OUT])
        stall = float(os.environ.get(ENV_STALL, STALL))
        rng = np.random.default_rng(int(os.environ.get(ENV_SEED, "1")))
        n = len(lines)
        raw = lines.tobytes()
        ints = [int.from_bytes(raw[i:i + 64], "little") for i in range(0, len(raw), 64)]
        beats = golden.LINE_BYTES // (len(dut.m_axis_tdata) // 10)
        total = n * beats
        limit = 50 * total + 1000
        idle = (rng.random(limit) < stall).tolist()
        busy = (rng.random(limit) < stall).tolist()

        s_valid, s_data, s_last, s_ready = (dut.s_axis_tvalid, dut.s_axis_tdata,
                                            dut.s_axis_tlast, dut.s_axis_tready)
        m_valid, m_data, m_user, m_ready = (dut.m_axis_tvalid, dut.m_axis_tdata,
                                            dut.m_axis_tuser, dut.m_axis_tready)
        Clock(dut.clk, 10, unit="ns").start()
        dut.rst.value = 1
        s_valid.value = 0
        s_last.value = 0
        m_ready.value = 0
        await ClockCycles(dut.clk, 4)
        dut.rst.value = 0
        edge = RisingEdge(dut.clk)
        await edge

        data, user = [], []
        sent = 0
        valid = ready = False
        first_in = last_out = None
        t0 = time.perf_counter()
        for clock in range(limit):
            await edge
            if valid and s_ready.value:
                valid = False
                sent += 1
                if first_in is None:
                    first_in = clock
            if ready and m_valid.value:
                data.append(m_data.value.to_unsigned())
                user.append(int(m_user.value))
                last_out = clock
                if len(data) == total:
                    break
            if not valid:
                if sent < n and not idle[clock]:
                    s_data.value = ints[sent]
                    s_last.value = int(sent == n - 1)
                    s_valid.value = 1
                    valid = True
                else:
                    s_valid.value = 0
            ready = not busy[clock]
            m_ready.value = int(ready)
            if clock % PROGRESS_EVERY == 0:
                (out_dir / "progress").write_text(str(len(data) // beats))
        seconds = time.perf_counter() - t0
        width = len(dut.m_axis_tdata) // 8
        out = np.frombuffer(b"".join(v.to_bytes(width, "little") for v in data),
                            np.uint8).reshape(-1, width)
        np.save(out_dir / "out.npy", out)
        np.save(out_dir / "user.npy", np.array(user, np.uint8))
        clocks = 0 if last_out is None else last_out - first_in + 1
        (out_dir / "summary.json").write_text(json.dumps(
            {"clocks": clocks, "stalls": f"{stall:.0%}", "seconds": seconds}))
        (out_dir / "progress").write_text(str(len(data) // beats))
        assert len(data) == total, f"{len(data)} of {total} output transfers in {limit} clocks"


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
    try:
        return t, ternarize(t)
    except WeightsError as exc:
        raise exc.at(path, t.name) from None


def _step(n: int, text: str) -> None:
    print(f"[{n}/5] {text}", flush=True)


def run_demo(input_path=None, tensor: str | None = None, quick: bool = False, seed: int = 1,
             codec: str = "standard", lanes: int = 64, build_dir=None,
             progress: bool | None = None) -> bool:
    """Run the demo (see the module docstring) and print as it goes; True on PASS."""
    t_start = time.perf_counter()
    if input_path is None:
        shape = QUICK_SHAPE if quick else DEFAULT_SHAPE
        name, src_dtype = f"demo.layer{shape[0]}x{shape[1]}", "F32"
        print(f"tritpack demo: a {shape[0]} x {shape[1]} float32 weight matrix (seed {seed}), "
              f"codec {codec}, {lanes} lanes", flush=True)
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
              f"{'x'.join(map(str, shape))}), codec {codec}, {lanes} lanes", flush=True)
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

    _step(4, f"generate the Verilog ({lanes} lanes, {codec}), compile with Icarus, stream "
          f"{lines.shape[0]} lines with random idle and back-pressure stalls")
    try:
        rtl = stream_through_engine(lines, lanes, codec, seed, build_dir, progress)
    except RuntimeError as exc:
        print(f"  RTL simulation failed: {exc}\n  FAIL", flush=True)
        return False

    _step(5, "compare every trit with the golden model")
    expected = golden.decode(lines, codec).reshape(-1, 5 * golden.LINE_BYTES)
    n_out = rtl.trits.shape[0]
    same_shape = rtl.trits.shape == expected.shape
    wrong_golden = int((rtl.trits != expected).sum()) if same_shape else expected.size
    got = rtl.trits.reshape(-1)[: trits.size] if same_shape else None
    wrong_tensor = int((got != trits.reshape(-1)).sum()) if same_shape else trits.size
    ok = (rtl.passed and same_shape and wrong_golden == 0 and wrong_tensor == 0
          and not rtl.invalid.any())
    if not ok and rtl.message:
        print(rtl.message)
    bpw = 8 * sizes.packed_bytes / sizes.num_weights
    print()
    print("Summary")
    print(f"  tensor   {name}  {'x'.join(map(str, shape))} {src_dtype}")
    print(f"  sizes    {human_bytes(src_bytes)} -> {human_bytes(sizes.packed_bytes)} "
          f"({bpw:.4f} bits/weight with scales; "
          f"{100 * (sizes.packed_bytes / sizes.two_bit_bytes - 1):+.1f}% vs 2-bit, "
          f"{100 * (sizes.packed_bytes / sizes.tq_bytes('TQ1_0') - 1):+.1f}% vs TQ1_0, "
          f"{100 * (sizes.packed_bytes / sizes.tq_bytes('TQ2_0') - 1):+.1f}% vs TQ2_0)")
    print(f"  lines    {lines.shape[0]} in, {n_out} out")
    print(f"  clocks   {rtl.clocks} ({lines.shape[0] / max(rtl.clocks, 1):.3f} lines/clock "
          f"with {rtl.stalls} idle and back-pressure)")
    print(f"  sim      {rtl.sim_seconds:.1f} s streaming in Icarus + cocotb = "
          f"{lines.shape[0] / rtl.sim_seconds:.0f} lines/s, {rtl.clocks / rtl.sim_seconds:.0f} "
          f"clocks/s ({rtl.wall:.1f} s with simulator start-up)")
    print(f"  check    {expected.size} trits vs golden decode: {wrong_golden} wrong; "
          f"{trits.size} vs the ternarized tensor: {wrong_tensor} wrong")
    print(f"  total    {time.perf_counter() - t_start:.1f} s")
    print(f"  {'PASS' if ok else 'FAIL'}", flush=True)
    return ok


def register_demo(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="end-to-end demo: floats -> trits -> packed lines -> engine in Icarus",
        description="Ternarize a weight matrix (default: a generated 2048 x 2048 layer), pack "
        "it, print the size report, generate the Verilog, stream every line through the "
        "engine in Icarus with random stalls and check every trit against the golden model.")
    p.add_argument("--input", metavar="FILE", help="your own weights (npy, safetensors, GGUF)")
    p.add_argument("--tensor", metavar="NAME",
                   help="tensor of --input (default: the first one 'pack' would pack)")
    p.add_argument("--quick", action="store_true",
                   help=f"a small {QUICK_SHAPE[0]} x {QUICK_SHAPE[1]} matrix (seconds)")
    p.add_argument("--seed", type=int, default=1, help="weights and stalls (default 1)")
    p.add_argument("--codec", choices=golden.CODEC_NAMES, default="standard")
    p.add_argument("--lanes", type=int, choices=(1, 2, 4, 8, 16, 32, 64), default=64)
    p.add_argument("--build-dir", metavar="DIR", help="where to build (default build/demo)")
    p.add_argument("--no-progress", dest="progress", action="store_const", const=False,
                   default=None, help="no progress bar (default: shown on a terminal)")
    p.set_defaults(func=_run)


def _run(args) -> int:
    if args.tensor and not args.input:
        raise WeightsError("--tensor needs --input")
    ok = run_demo(args.input, args.tensor, args.quick, args.seed, args.codec, args.lanes,
                  args.build_dir, args.progress)
    sys.stdout.flush()
    return 0 if ok else 1
