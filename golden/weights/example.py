"""Write a small BitNet-shaped model to try the weights tools on (random weights).

``python -m tritpack.golden.weights.example OUT [--format bf16|hf|gguf-tq1|gguf-tq2]``

Llama-style names and shapes (attention q/k/v/o, MLP gate/up/down per layer,
embeddings, norms, output head); heavy-tailed weights. ``bf16``: float
safetensors as a trained checkpoint; ``hf``: Hugging Face BitNet packed
``uint8`` weights with ``weight_scale``; ``gguf-tq1``/``gguf-tq2``: llama.cpp
GGUF with TQ1_0/TQ2_0 projections (written by gguf's own writer and quantizer).
"""

from __future__ import annotations

import argparse

import ml_dtypes
import numpy as np

from .absmean import absmean_ternarize
from .hf_bitnet import hf_pack

__all__ = ["example_tensors", "write_example"]

FORMATS = ("bf16", "hf", "gguf-tq1", "gguf-tq2")
_PROJ = (("self_attn.q_proj", "attn_q", 1, 1), ("self_attn.k_proj", "attn_k", 4, 1),
         ("self_attn.v_proj", "attn_v", 4, 1), ("self_attn.o_proj", "attn_output", 1, 1),
         ("mlp.gate_proj", "ffn_gate", 0, 1), ("mlp.up_proj", "ffn_up", 0, 1),
         ("mlp.down_proj", "ffn_down", 1, 0))


def example_tensors(layers=4, hidden=1024, ffn=2816, vocab=8000, seed=0):
    """(HF name, GGUF name, float32 array, is a projection) for every tensor."""
    rng = np.random.default_rng(seed)
    out = [("model.embed_tokens.weight", "token_embd.weight",
            rng.normal(0, 0.02, (vocab, hidden)).astype(np.float32), False)]
    for i in range(layers):
        for hf, gg, rows_div, cols_kind in _PROJ:
            rows = ffn if rows_div == 0 else hidden // rows_div
            cols = hidden if cols_kind else ffn
            w = (rng.standard_t(6, (rows, cols)) * 0.016).astype(np.float32)
            out.append((f"model.layers.{i}.{hf}.weight", f"blk.{i}.{gg}.weight", w, True))
        for hf, gg in (("input_layernorm", "attn_norm"), ("post_attention_layernorm", "ffn_norm")):
            out.append((f"model.layers.{i}.{hf}.weight", f"blk.{i}.{gg}.weight",
                        np.ones(hidden, np.float32), False))
    out.append(("model.norm.weight", "output_norm.weight", np.ones(hidden, np.float32), False))
    out.append(("lm_head.weight", "output.weight",
                rng.normal(0, 0.02, (vocab, hidden)).astype(np.float32), False))
    return out


def write_example(path, fmt="bf16", **shape) -> None:
    """Write the example model in one of :data:`FORMATS`."""
    tensors = example_tensors(**shape)
    if fmt in ("bf16", "hf"):
        from safetensors.numpy import save_file

        out = {}
        for name, _, w, proj in tensors:
            if fmt == "hf" and proj:
                trits, scale = absmean_ternarize(w)
                out[name] = hf_pack(trits)
                out[name + "_scale"] = np.array([1 / scale], ml_dtypes.bfloat16)
            else:
                out[name] = w.astype(ml_dtypes.bfloat16)
        save_file(out, path, metadata={"format": "pt"})
        return
    import gguf

    qtype = gguf.GGMLQuantizationType.TQ1_0 if fmt == "gguf-tq1" else \
        gguf.GGMLQuantizationType.TQ2_0
    w = gguf.GGUFWriter(path, "bitnet")
    w.add_name("tritpack example")
    w.add_block_count(shape.get("layers", 4))
    for _, name, arr, proj in tensors:
        if proj:
            trits, scale = absmean_ternarize(arr)
            w.add_tensor(name, gguf.quants.quantize(trits * scale, qtype), raw_dtype=qtype)
        else:
            w.add_tensor(name, arr.astype(np.float16 if arr.ndim > 1 else np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m tritpack.golden.weights.example",
                                description=__doc__)
    p.add_argument("out")
    p.add_argument("--format", choices=FORMATS, default="bf16")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    write_example(args.out, args.format, layers=args.layers, seed=args.seed)


if __name__ == "__main__":
    main()
