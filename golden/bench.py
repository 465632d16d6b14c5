"""``tritpack bench golden``: throughput and peak memory of the golden codec.

Encodes and decodes one random tensor (64 Mi trits, rounded down to whole
320-trit blocks; ``quick`` uses 1 Mi) and reports Gtrit/s beside the memcpy
bandwidth of the decoded output, measured in the same run, and the peak
memory of each call against its input plus output.
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import numpy as np

from .codec import decode, decode_reference, encode

__all__ = ["run_golden_bench", "TARGET_DECODE_GTRITS", "TARGET_ENCODE_GTRITS"]

TARGET_DECODE_GTRITS = 3.0
TARGET_ENCODE_GTRITS = 2.0
_MiB = 1 << 20


def _best_time(fn, repeat: int) -> float:
    """Best wall time of ``repeat`` calls of ``fn`` (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _peak_bytes(fn) -> int:
    """Peak bytes allocated (traced by tracemalloc) while ``fn`` runs, result included."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def _progress(msg: str) -> None:
    print(f"[bench golden] {msg}", file=sys.stderr, flush=True)


def run_golden_bench(quick: bool = False) -> str:
    """Measure the golden codec; print progress, return a Markdown section.

    Parameters
    ----------
    quick : bool
        Use a 1 Mi-trit tensor and fewer repeats (a smoke test, not a figure).
    """
    n = (1 << 20 if quick else 64 << 20) // 320 * 320
    repeat = 3 if quick else 5
    codec = "standard"
    _progress(f"{n:,} random trits, codec {codec}, best of {repeat}")
    trits = np.random.default_rng(2).integers(-1, 2, n, dtype=np.int8)

    t_enc = _best_time(lambda: encode(trits, codec), repeat)
    _progress(f"encode {n / t_enc / 1e9:.2f} Gtrit/s")
    codes = encode(trits, codec)
    t_dec = _best_time(lambda: decode(codes, codec), repeat)
    _progress(f"decode {n / t_dec / 1e9:.2f} Gtrit/s")
    decoded = decode(codes, codec)
    if not np.array_equal(decoded, trits):
        raise RuntimeError("golden bench: decode(encode(x)) != x")
    copy = np.empty_like(decoded)
    t_cpy = _best_time(lambda: np.copyto(copy, decoded), repeat)
    _progress(f"memcpy {decoded.nbytes / t_cpy / 1e9:.1f} GB/s")
    t_ref = _best_time(lambda: decode_reference(codes, codec), 1)
    _progress(f"reference decode (lut.trits[codes]) {n / t_ref / 1e9:.2f} Gtrit/s")
    del copy, decoded

    peak_enc = _peak_bytes(lambda: encode(trits, codec))
    peak_dec = _peak_bytes(lambda: decode(codes, codec))
    in_enc, out_enc = trits.nbytes, codes.nbytes
    over_enc = peak_enc - out_enc
    over_dec = peak_dec - trits.nbytes

    def rate(t):
        return n / t / 1e9

    def verdict(value, target):
        return "meets" if value >= target else "**misses**"

    rows = [
        ("encode", rate(t_enc), f"{verdict(rate(t_enc), TARGET_ENCODE_GTRITS)} "
         f">= {TARGET_ENCODE_GTRITS:g}", t_enc),
        ("decode", rate(t_dec), f"{verdict(rate(t_dec), TARGET_DECODE_GTRITS)} "
         f">= {TARGET_DECODE_GTRITS:g}", t_dec),
        ("decode, reference `lut.trits[codes]`", rate(t_ref), "-", t_ref),
        ("memcpy of the decoded output", decoded_gb := trits.nbytes / t_cpy / 1e9, "-", t_cpy),
    ]
    lines = [
        "## golden: codec throughput (numpy, one core)",
        "",
        f"{n:,} random trits ({'quick' if quick else 'full'} run), codec `{codec}`, "
        f"best of {repeat} runs{' (the reference: one run)' if True else ''}.",
        "",
        "| operation | Gtrit/s | target | time |",
        "| --- | ---: | --- | ---: |",
    ]
    for name, value, target, t in rows[:3]:
        lines.append(f"| {name} | {value:.2f} | {target} | {t * 1e3:.1f} ms |")
    lines += [
        "",
        f"memcpy of the decoded output ({trits.nbytes / _MiB:.1f} MiB) in the same run: "
        f"{decoded_gb:.1f} GB/s ({rows[3][3] * 1e3:.1f} ms), i.e. {decoded_gb:.1f} Gtrit/s "
        "at one byte per trit; decode runs at "
        f"{100 * rate(t_dec) / decoded_gb:.0f}% of it.",
        "",
        "| call | input | output | peak allocated | scratch beyond input + output |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| encode | {in_enc / _MiB:.1f} MiB | {out_enc / _MiB:.1f} MiB | "
        f"{(in_enc + peak_enc) / _MiB:.1f} MiB | {over_enc / _MiB:.2f} MiB |",
        f"| decode | {out_enc / _MiB:.1f} MiB | {in_enc / _MiB:.1f} MiB | "
        f"{(out_enc + peak_dec) / _MiB:.1f} MiB | {over_dec / _MiB:.2f} MiB |",
        "",
        "Peak allocated = the input (allocated before the call) + the peak that "
        "tracemalloc saw during the call.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run_golden_bench(quick="--quick" in sys.argv))
