"""Every import path into the container and back, and the container's validation.

Input files are written by the formats' own writers (safetensors.numpy,
numpy, gguf.GGUFWriter with gguf's quantizer); expected trits and scales come
from those inputs, not from the code under test.
"""

import json
import struct

import gguf
import ml_dtypes
import numpy as np
import pytest
from gguf import GGMLQuantizationType as Q
from safetensors.numpy import load_file, save_file

from tritpack import golden
from tritpack.golden.weights import Container, ContainerError, WeightsError, pack_file
from tritpack.golden.weights.absmean import absmean_ternarize
from tritpack.golden.weights.hf_bitnet import hf_pack

from utils import write_gguf

RNG = np.random.default_rng(2024)


def ternary_with_block_scales(rows, cols, rng=RNG):
    trits = rng.integers(-1, 2, (rows, cols)).astype(np.int8)
    d = rng.uniform(0.01, 0.1, (rows, cols // 256)).astype(np.float16)
    w = trits.reshape(rows, -1, 256) * d[..., None].astype(np.float32)
    return trits, d, w.reshape(rows, cols)


@pytest.mark.parametrize("dtype", [np.float32, np.float16, ml_dtypes.bfloat16])
@pytest.mark.parametrize("codec,block", [("standard", 320), ("tq1", 640)])
def test_safetensors_float_round_trip(tmp_path, dtype, codec, block):
    w = RNG.normal(0, 0.02, (24, 100)).astype(dtype)
    norm = np.ones(100, dtype)
    src, dst = tmp_path / "m.safetensors", tmp_path / "p.safetensors"
    save_file({"layer.weight": w, "layer.norm.weight": norm}, src)
    result = pack_file(src, dst, codec, block, progress=False)
    c = Container(dst)
    c.verify()
    want_t, want_s = absmean_ternarize(w.astype(np.float32))
    t = c.read_ternary("layer.weight")
    assert np.array_equal(t.trits, want_t) and t.scale.tolist() == [want_s]
    e = c.entry("layer.weight")
    assert (e.meta["codec"], e.meta["block"], e.meta["padding"]) == (codec, block,
                                                                      -2400 % block)
    assert e.data_bytes == -(-2400 // block) * block // 5
    assert c.read_raw("layer.norm.weight").tobytes() == norm.tobytes()
    assert [s.name for s in result.sizes] == ["layer.weight"]
    # The container is a plain safetensors file: the official reader loads it.
    blocks = load_file(dst)["layer.weight"]
    assert np.array_equal(golden.unpack(golden.PackedTensor(blocks, (24, 100), block, codec)),
                          want_t)


def test_npy_float_and_int_trits(tmp_path):
    w = RNG.normal(size=(10, 33)).astype(np.float16)
    np.save(tmp_path / "w.npy", w)
    pack_file(tmp_path / "w.npy", tmp_path / "w.safetensors", progress=False)
    t = Container(tmp_path / "w.safetensors").read_ternary("w")
    assert np.array_equal(t.trits, absmean_ternarize(w)[0])

    trits = RNG.integers(-1, 2, (7, 9)).astype(np.int32)
    np.save(tmp_path / "t.npy", trits)
    pack_file(tmp_path / "t.npy", tmp_path / "t.safetensors", progress=False)
    t = Container(tmp_path / "t.safetensors").read_ternary("t")
    assert np.array_equal(t.trits, trits) and t.scale.tolist() == [1.0]


def test_int_tensor_that_is_not_ternary_is_carried_or_refused_when_named(tmp_path):
    values = np.array([[0, 1, 2]], np.int8)
    np.save(tmp_path / "t.npy", values)
    pack_file(tmp_path / "t.npy", tmp_path / "c.safetensors", progress=False)
    c = Container(tmp_path / "c.safetensors")
    assert c.entry("t").kind == "raw" and c.read_raw("t").tolist() == values.tolist()
    with pytest.raises(WeightsError, match=r"t\.npy: tensor 't': .*not a trit"):
        pack_file(tmp_path / "t.npy", tmp_path / "t.safetensors", patterns=["t"],
                  progress=False)
    assert not (tmp_path / "t.safetensors").exists()


@pytest.mark.parametrize("qtype", [Q.TQ1_0, Q.TQ2_0])
def test_gguf_tq_lossless(tmp_path, qtype):
    trits, d, w = ternary_with_block_scales(3, 512)
    src = tmp_path / "m.gguf"
    write_gguf(src, {"blk.0.ffn_up.weight": (w, qtype),
                     "output_norm.weight": (np.ones(512, np.float32), None)})
    pack_file(src, tmp_path / "p.safetensors", progress=False)
    c = Container(tmp_path / "p.safetensors")
    t = c.read_ternary("blk.0.ffn_up.weight")
    assert np.array_equal(t.trits, trits)
    assert t.layout == "block256" and t.scale.dtype == np.float16
    assert np.array_equal(t.scale.view(np.uint16), d.reshape(-1).view(np.uint16))
    assert c.entry("blk.0.ffn_up.weight").meta["origin"]["dtype"] == qtype.name
    assert c.source["architecture"] == "llama"
    assert np.array_equal(t.dequantize(), gguf.quants.dequantize(
        gguf.quants.quantize(w, qtype), qtype))


def test_gguf_uniform_block_scales_are_stored_once(tmp_path):
    """A BitNet conversion writes the same d in every block: one fp16 scale suffices."""
    trits = RNG.integers(-1, 2, (4, 1280)).astype(np.int8)
    src = tmp_path / "m.gguf"
    write_gguf(src, {"w": (trits * np.float32(0.375), Q.TQ1_0)})
    pack_file(src, tmp_path / "p.safetensors", progress=False)
    c = Container(tmp_path / "p.safetensors")
    e, t = c.entry("w"), c.read_ternary("w")
    assert t.layout == "tensor" and t.scale.dtype == np.float16 and t.scale.tolist() == [0.375]
    assert np.array_equal(t.trits, trits)
    # 5120 trits = 16 full blocks of 64 bytes, plus one 2-byte scale.
    assert (e.data_bytes, e.scale_bytes) == (1024, 2)


def test_gguf_unsupported_quant_type(tmp_path):
    src = tmp_path / "q.gguf"
    write_gguf(src, {"a.weight": (RNG.normal(size=(2, 64)).astype(np.float32), Q.Q8_0),
                     "b.weight": (ternary_with_block_scales(1, 256)[2], Q.TQ2_0)})
    with pytest.raises(WeightsError, match=r"q\.gguf: tensor 'a\.weight': unsupported GGUF "
                       r"quantization type Q8_0"):
        pack_file(src, tmp_path / "p.safetensors", progress=False)
    pack_file(src, tmp_path / "p.safetensors", keep_other=False, progress=False)
    assert list(Container(tmp_path / "p.safetensors").entries) == ["b.weight"]


def test_hf_packed_weights(tmp_path):
    trits = RNG.integers(-1, 2, (16, 40)).astype(np.int8)
    scale = np.array([2.5], ml_dtypes.bfloat16)
    src = tmp_path / "hf.safetensors"
    save_file({"q_proj.weight": hf_pack(trits), "q_proj.weight_scale": scale,
               "norm.weight": np.ones(40, ml_dtypes.bfloat16)}, src)
    pack_file(src, tmp_path / "p.safetensors", progress=False)
    c = Container(tmp_path / "p.safetensors")
    assert sorted(c.entries) == ["norm.weight", "q_proj.weight"]  # the scale went inside
    t = c.read_ternary("q_proj.weight")
    assert np.array_equal(t.trits, trits) and t.mode == "divide"
    assert t.scale.dtype == ml_dtypes.bfloat16 and float(t.scale[0]) == 2.5
    assert np.array_equal(t.dequantize(), trits / np.float32(2.5))


def test_tensor_selection(tmp_path):
    src = tmp_path / "m.safetensors"
    f = RNG.normal(size=(8, 8)).astype(np.float32)
    save_file({"model.embed_tokens.weight": f, "a.weight": f, "b.weight": f,
               "bias": f[0]}, src)
    pack_file(src, tmp_path / "d.safetensors", progress=False)
    kinds = {e.name: e.kind for e in Container(tmp_path / "d.safetensors")}
    assert kinds == {"model.embed_tokens.weight": "raw", "a.weight": "ternary",
                     "b.weight": "ternary", "bias": "raw"}
    pack_file(src, tmp_path / "s.safetensors", patterns=["a.*"], keep_other=False,
              progress=False)
    assert list(Container(tmp_path / "s.safetensors").entries) == ["a.weight"]
    with pytest.raises(WeightsError, match="tensor 'nope': no such tensor"):
        pack_file(src, tmp_path / "x.safetensors", patterns=["nope"], progress=False)


def test_empty_and_scalar_tensors(tmp_path):
    src = tmp_path / "m.safetensors"
    save_file({"e": np.zeros((0, 5), np.float32), "s": np.array(0.5, np.float32)}, src)
    pack_file(src, tmp_path / "p.safetensors", patterns=["*"], progress=False)
    c = Container(tmp_path / "p.safetensors")
    assert c.read_ternary("e").trits.shape == (0, 5)
    assert c.entry("e").data_bytes == 0
    assert c.read_ternary("s").trits.tolist() == 1


# --- validation: files that are well-formed safetensors but bad containers ----------------

def _rewrite_meta(src, dst, edit):
    """Copy a container, changing its metadata document (and its checksum to match)."""
    import zlib

    raw = src.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    doc = json.loads(header["__metadata__"]["tritpack"])
    edit(doc, header)
    text = json.dumps(doc)
    header["__metadata__"]["tritpack"] = text
    header["__metadata__"]["tritpack.crc32"] = f"{zlib.crc32(text.encode()):08x}"
    new = json.dumps(header).encode()
    dst.write_bytes(struct.pack("<Q", len(new)) + new + raw[8 + n:])


@pytest.fixture
def packed(tmp_path):
    save_file({"w": RNG.normal(size=(4, 100)).astype(np.float32),
               "n": np.ones(3, np.float32)}, tmp_path / "m.safetensors")
    pack_file(tmp_path / "m.safetensors", tmp_path / "p.safetensors", progress=False)
    return tmp_path / "p.safetensors"


def _tensor(doc, name):
    return next(t for t in doc["tensors"] if t["name"] == name)


@pytest.mark.parametrize("edit,match", [
    (lambda d, h: _tensor(d, "w").update(codec="base3"), "unknown codec 'base3'"),
    (lambda d, h: _tensor(d, "w").update(block=256), "bad block size 256"),
    (lambda d, h: _tensor(d, "w").update(padding=0), "padding is 0, expected 240"),
    (lambda d, h: _tensor(d, "w").update(shape=[4, 101]), "padding is 240, expected 236"),
    (lambda d, h: _tensor(d, "w").update(shape=[8, 100]), "padding is 240, expected 160"),
    (lambda d, h: _tensor(d, "w").update(shape=[8, 100], padding=160),
     "is U8 \\[128\\], expected U8 \\[192\\]"),
    (lambda d, h: _tensor(d, "w").update(crc32="deadbeef"), "checksum mismatch"),
    (lambda d, h: _tensor(d, "w")["scale"].update(mode="add"), "bad scale description"),
    (lambda d, h: d["tensors"].pop(), "not described by the container metadata"),
    (lambda d, h: d.update(version=99), "unsupported container version 99"),
    (lambda d, h: h.update({"w:scal": h.pop("w:scale")}), "'w:scale': scale tensor missing"),
    (lambda d, h: h.pop("w:scale"), "trailing bytes"),
])
def test_container_validation(packed, tmp_path, edit, match):
    bad = tmp_path / "bad.safetensors"
    _rewrite_meta(packed, bad, edit)
    with pytest.raises(ContainerError, match=match):
        Container(bad).verify()


def test_flipped_data_byte_is_caught(packed, tmp_path):
    raw = bytearray(packed.read_bytes())
    raw[-20] ^= 0x01  # inside the last tensor's data
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(bytes(raw))
    with pytest.raises(ContainerError, match="checksum mismatch"):
        Container(bad).verify()


def test_not_a_container(tmp_path):
    save_file({"w": np.zeros(3, np.float32)}, tmp_path / "plain.safetensors")
    with pytest.raises(ContainerError, match="not a tritpack container"):
        Container(tmp_path / "plain.safetensors")


@pytest.mark.parametrize("cut", [0, 5, 8, 100, -1])
def test_truncated_container(packed, tmp_path, cut):
    raw = packed.read_bytes()
    bad = tmp_path / "cut.safetensors"
    bad.write_bytes(raw[:cut] if cut >= 0 else raw[:-1])
    with pytest.raises(ContainerError, match="truncated|header"):
        Container(bad)
