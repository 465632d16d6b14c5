"""``tritpack pack | unpack | info | transcode``: round trips and bad input."""

import subprocess
import sys

import gguf
import ml_dtypes
import numpy as np
import pytest
from gguf import GGMLQuantizationType as Q
from safetensors.numpy import load_file, save_file

from tritpack import golden
from tritpack.golden.weights.hf_bitnet import hf_pack
from tritpack.golden.weights.stfile import SafetensorsReader

from utils import run_cli as run
from utils import write_gguf as write_tensors_gguf

RNG = np.random.default_rng(11)


def tiny_model_metadata(w):
    w.add_name("tiny test model")
    w.add_uint32("bitnet.block_count", 1)
    w.add_float32("bitnet.rope.freq_base", 10000.5)
    w.add_bool("tokenizer.ggml.add_bos_token", True)
    w.add_token_list(["<s>", "héllo", b"\xff\xfe raw bytes"])
    w.add_token_scores([0.0, -1.25, -2.5])


def write_gguf(path, tensors, arch="bitnet", alignment=None):
    """A GGUF file with the metadata of a tiny model (strings, floats, a token list)."""
    write_tensors_gguf(path, tensors, arch, tiny_model_metadata, alignment)


def ternary(rows, cols):
    t = RNG.integers(-1, 2, (rows, cols)).astype(np.int8)
    d = RNG.uniform(0.01, 0.1, (rows, cols // 256, 1)).astype(np.float16).astype(np.float32)
    return (t.reshape(rows, -1, 256) * d).reshape(rows, cols)


@pytest.fixture(params=[None, 64], ids=["align32", "align64"])
def gguf_file(tmp_path, request):
    path = tmp_path / "model.gguf"
    write_gguf(path, alignment=request.param, tensors={
        "token_embd.weight": (RNG.normal(size=(8, 256)).astype(np.float16), None),
        "blk.0.attn_q.weight": (ternary(4, 512), Q.TQ1_0),
        "blk.0.ffn_down.weight": (ternary(2, 768), Q.TQ2_0),
        "output_norm.weight": (np.ones(256, np.float32), None),
    })
    return path


def gguf_tensors(path):
    r = gguf.GGUFReader(path)
    return {t.name: (t.tensor_type.name, t.shape.tolist(), bytes(np.asarray(t.data)))
            for t in r.tensors}


def test_gguf_transcode_round_trip_is_bit_exact(capsys, tmp_path, gguf_file):
    mid, back = tmp_path / "mid.safetensors", tmp_path / "back.gguf"
    code, out, _ = run(capsys, "transcode", gguf_file, "-o", mid)
    assert code == 0 and "TQ1_0" in out and "vs TQ2_0" in out
    code, out, _ = run(capsys, "transcode", mid, "-o", back)
    assert code == 0
    assert gguf_tensors(back) == gguf_tensors(gguf_file)
    arch = gguf.GGUFReader(back).get_field("general.architecture").contents()
    assert arch == "bitnet"
    # Metadata (tokenizer included, even bytes that are not UTF-8) comes back too:
    # the whole file is the same, byte for byte.
    assert back.read_bytes() == gguf_file.read_bytes()


@pytest.mark.parametrize("codec,block", [("standard", 640), ("tq1", 320)])
@pytest.mark.parametrize("to", ["TQ1_0", "TQ2_0"])
def test_gguf_type_conversion_keeps_trits(capsys, tmp_path, gguf_file, codec, block, to):
    mid, out_path = tmp_path / "mid.safetensors", tmp_path / "out.gguf"
    assert run(capsys, "pack", gguf_file, "-o", mid, "--codec", codec,
               "--block", block)[0] == 0
    assert run(capsys, "transcode", mid, "-o", out_path, "--to", to)[0] == 0
    src, dst = gguf.GGUFReader(gguf_file), gguf.GGUFReader(out_path)
    for a, b in zip(src.tensors, dst.tensors, strict=True):
        if a.tensor_type.name.startswith("TQ"):
            assert b.tensor_type.name == to
            assert np.array_equal(gguf.quants.dequantize(a.data, a.tensor_type),
                                  gguf.quants.dequantize(b.data, b.tensor_type))


@pytest.mark.parametrize("fmt", ["gguf-tq1", "gguf-tq2"])
def test_example_gguf_round_trip_with_one_scale_per_tensor(capsys, tmp_path, fmt):
    from tritpack.golden.weights.example import write_example

    src, mid, back = tmp_path / "m.gguf", tmp_path / "m.safetensors", tmp_path / "b.gguf"
    write_example(src, fmt, layers=1, hidden=256, ffn=512, vocab=64)
    code, out, _ = run(capsys, "pack", src, "-o", mid)
    assert code == 0 and "total (7 ternary tensors)" in out
    code, out, _ = run(capsys, "info", mid)
    assert "scale F16 x1 multiply" in out
    assert run(capsys, "transcode", mid, "-o", back)[0] == 0
    assert back.read_bytes() == src.read_bytes()


@pytest.fixture
def hf_file(tmp_path):
    path = tmp_path / "hf.safetensors"
    save_file({
        "model.layers.0.mlp.down_proj.weight": hf_pack(RNG.integers(-1, 2, (8, 12))),
        "model.layers.0.mlp.down_proj.weight_scale": np.array([1.75], ml_dtypes.bfloat16),
        "model.norm.weight": RNG.normal(size=12).astype(ml_dtypes.bfloat16),
    }, path, metadata={"format": "pt"})
    return path


def test_hf_transcode_round_trip_is_bit_exact(capsys, tmp_path, hf_file):
    mid, back = tmp_path / "mid.safetensors", tmp_path / "back.safetensors"
    assert run(capsys, "transcode", hf_file, "-o", mid)[0] == 0
    assert run(capsys, "transcode", mid, "-o", back)[0] == 0
    a, b = load_file(hf_file), load_file(back)
    assert SafetensorsReader(back).metadata == {"format": "pt"}
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape
        assert a[k].tobytes() == b[k].tobytes()


def test_info_on_container_and_source(capsys, tmp_path, hf_file):
    mid = tmp_path / "mid.safetensors"
    run(capsys, "pack", hf_file, "-o", mid)
    code, out, _ = run(capsys, "info", mid)
    assert code == 0
    assert "checksums, codes and padding OK" in out
    line = next(x for x in out.splitlines() if x.startswith("model.layers.0.mlp.down_proj"))
    # 96 trits -> one 320-trit block of 64 bytes, plus a 2-byte BF16 scale: 66 * 8 / 96 bpw.
    assert "ternary" in line and "8x12" in line and " 66 " in line and "5.5000" in line
    code, out, _ = run(capsys, "info", hf_file)
    assert code == 0 and "pack (lossless)" in out and "scale of" in out


def test_pack_float_then_unpack(capsys, tmp_path):
    w = RNG.normal(0, 0.02, (64, 80)).astype(np.float32)
    src, mid = tmp_path / "w.safetensors", tmp_path / "p.safetensors"
    save_file({"w": w}, src)
    code, out, _ = run(capsys, "pack", src, "-o", mid)
    # 5120 trits = 16 full blocks of 64 bytes, 20% under 1280 bytes of 2-bit codes; with
    # the 4-byte scale on both sides: 1028 / 1284 - 1 = -19.9%.
    assert code == 0 and "1.6062 " in out and "-19.9%" in out
    assert run(capsys, "unpack", mid, "-o", tmp_path / "u.safetensors")[0] == 0
    u = load_file(tmp_path / "u.safetensors")
    scale = np.abs(w).mean(dtype=np.float64).astype(np.float32)
    assert np.array_equal(u["w"], np.clip(np.rint(w / scale), -1, 1).astype(np.int8))
    assert u["w.scale"].tolist() == [scale]
    assert run(capsys, "unpack", mid, "-o", tmp_path / "f.safetensors", "--dtype", "f32")[0] == 0
    assert np.array_equal(load_file(tmp_path / "f.safetensors")["w"], u["w"] * scale)


# --- bad input: one line naming file and tensor, exit 2, no output file ----------------

def _error(capsys, tmp_path, *argv):
    dst = tmp_path / "out.safetensors"
    code, out, err = run(capsys, *argv, "-o", dst)
    assert code == 2
    assert err.startswith("tritpack: error: ") and err.count("\n") == 1, err
    assert not dst.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    return err


def test_error_missing_tensor(capsys, tmp_path, gguf_file):
    err = _error(capsys, tmp_path, "pack", gguf_file, "--tensors", "blk.9.*")
    assert "model.gguf: tensor 'blk.9.*': no such tensor" in err


def test_error_truncated_gguf(capsys, tmp_path, gguf_file):
    bad = tmp_path / "cut.gguf"
    bad.write_bytes(gguf_file.read_bytes()[:-100])
    assert "cut.gguf: " in _error(capsys, tmp_path, "pack", bad)


def test_error_corrupt_gguf_tq_data(capsys, tmp_path):
    path = tmp_path / "m.gguf"
    write_gguf(path, {"w": (ternary(1, 256), Q.TQ2_0)})
    offset = gguf.GGUFReader(path).tensors[0].data_offset
    raw = bytearray(path.read_bytes())
    raw[offset + 5] = 0xFF  # qs[5] of the only block: four 2-bit values of 3
    path.write_bytes(bytes(raw))
    err = _error(capsys, tmp_path, "pack", path)
    assert "m.gguf: tensor 'w': TQ2_0 block 0: qs[5] bits 1:0 hold 3" in err


def test_error_unsupported_quant_type(capsys, tmp_path):
    path = tmp_path / "q.gguf"
    write_gguf(path, {"w": (RNG.normal(size=(2, 64)).astype(np.float32), Q.Q4_0)})
    err = _error(capsys, tmp_path, "pack", path)
    assert "q.gguf: tensor 'w': unsupported GGUF quantization type Q4_0" in err


@pytest.mark.parametrize("cut", [3, 20, -4])
def test_error_truncated_safetensors(capsys, tmp_path, cut):
    src = tmp_path / "w.safetensors"
    save_file({"w": np.ones((4, 4), np.float32)}, src)
    src.write_bytes(src.read_bytes()[:cut])
    assert "w.safetensors: " in _error(capsys, tmp_path, "pack", src)


def test_error_unsupported_dtype(capsys, tmp_path):
    src = tmp_path / "u.safetensors"
    save_file({"w": np.ones((4, 4), np.uint16)}, src)
    err = _error(capsys, tmp_path, "pack", src, "--tensors", "w")
    assert "u.safetensors: tensor 'w': cannot make a U16 tensor ternary" in err


def test_error_shape_not_writable_as_tq_or_hf(capsys, tmp_path):
    src, mid = tmp_path / "w.safetensors", tmp_path / "p.safetensors"
    save_file({"w": RNG.normal(size=(6, 100)).astype(np.float32)}, src)
    run(capsys, "pack", src, "-o", mid)
    code, _, err = run(capsys, "transcode", mid, "-o", tmp_path / "o.gguf", "--to", "TQ1_0")
    assert code == 2 and "p.safetensors: tensor 'w': shape [6, 100] cannot be written as " \
        "TQ1_0: the last dimension must be a multiple of 256" in err
    code, _, err = run(capsys, "transcode", mid, "-o", tmp_path / "o.safetensors", "--to", "hf")
    assert code == 2 and "tensor 'w': shape [6, 100] cannot be written as HF" in err
    assert not (tmp_path / "o.gguf").exists() and not (tmp_path / "o.safetensors").exists()


def test_error_corrupt_container(capsys, tmp_path, hf_file):
    mid = tmp_path / "mid.safetensors"
    run(capsys, "pack", hf_file, "-o", mid)
    raw = bytearray(mid.read_bytes())
    raw[-30] ^= 0x40
    mid.write_bytes(bytes(raw))
    err = _error(capsys, tmp_path, "unpack", mid)
    assert "mid.safetensors: tensor " in err and "checksum mismatch" in err
    code, _, err = run(capsys, "info", mid)
    assert code == 2 and "checksum mismatch" in err


def test_entry_point_exit_status(tmp_path):
    """The installed ``tritpack`` script: exit 2 and one line on stderr."""
    exe = [sys.executable, "-m", "tritpack.cli"]
    p = subprocess.run([*exe, "info", str(tmp_path / "missing.gguf")], capture_output=True,
                       text=True)
    assert p.returncode == 2
    assert p.stderr.strip().count("\n") == 0
    assert "missing.gguf: no such file; expected a GGUF file" in p.stderr


def test_error_transcode_of_floats_only(capsys, tmp_path):
    src = tmp_path / "f.safetensors"
    save_file({"w": np.ones((4, 4), np.float32)}, src)
    err = _error(capsys, tmp_path, "transcode", src)
    assert "f.safetensors: no TQ1_0, TQ2_0, HF packed or integer ternary tensor" in err


@pytest.mark.parametrize("command", ["pack", "unpack", "transcode", "pack-symlink"])
def test_error_output_is_input(capsys, tmp_path, command):
    # one check for every command (golden.fileio.check_output): refused even with --force,
    # also through a symbolic link
    src = tmp_path / "f.safetensors"
    save_file({"w": np.ones((4, 4), np.float32)}, src)
    before = src.read_bytes()
    out = src
    if command == "pack-symlink":
        command, out = "pack", tmp_path / "link.safetensors"
        out.symlink_to(src)
    code, _, err = run(capsys, command, src, "-o", out, "--force")
    assert code == 2 and f"{out} is also the input" in err, err
    assert src.read_bytes() == before


def test_error_block_scales_cannot_become_one_hf_scale(capsys, tmp_path, gguf_file):
    mid = tmp_path / "mid.safetensors"
    run(capsys, "pack", gguf_file, "-o", mid, "--tensors", "blk.0.attn_q.weight",
        "--skip-other")
    code, _, err = run(capsys, "transcode", mid, "-o", tmp_path / "o.safetensors", "--to", "hf")
    assert code == 2 and "tensor 'blk.0.attn_q.weight': per-block scales differ" in err
    assert not (tmp_path / "o.safetensors").exists()


@pytest.mark.parametrize("cut, message", [
    (20, "w.npy: not a readable .npy file (EOF: reading array header"),
    (1000, "w.npy: .npy header claims shape (100, 100) of float32 = 39.1 KiB of data, but the "
     "file holds 872 bytes after the header: truncated or corrupt"),
])
def test_error_truncated_npy(capsys, tmp_path, cut, message):
    # the one .npy header check of golden.inputs (npy_header), as for encode
    src = tmp_path / "w.npy"
    np.save(src, np.ones((100, 100), np.float32))
    src.write_bytes(src.read_bytes()[:cut])
    assert message in _error(capsys, tmp_path, "pack", src)


def test_shared_options_are_those_of_golden_commands():
    # --codec/--block/--force: one definition (golden.commands), the same help everywhere
    import argparse

    from tritpack.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))

    def option(command, flag):
        return next(a for a in sub.choices[command]._actions if flag in a.option_strings)

    for command in ("pack", "transcode"):
        for flag in ("--block", "--force"):
            assert option(command, flag).help == option("encode", flag).help, (command, flag)
        codec = option(command, "--codec")
        assert tuple(codec.choices) == golden.CODEC_NAMES  # a container stores built-in codecs
    for command in ("pack", "unpack", "transcode"):
        assert option(command, "--force").help == option("encode", "--force").help


def test_info_counts_in_the_singular(capsys, tmp_path):
    np.save(tmp_path / "w.npy", np.ones((4, 8), np.float32))
    code, out, _ = run(capsys, "info", tmp_path / "w.npy")
    assert code == 0 and "npy file, 1 tensor (not a tritpack container)" in out, out
    assert "'tritpack pack' would pack 1 tensor (32 weights)" in out, out
    assert run(capsys, "pack", tmp_path / "w.npy", "-o", tmp_path / "p.safetensors")[0] == 0
    code, out, _ = run(capsys, "info", tmp_path / "p.safetensors")
    assert code == 0 and "tritpack container, 1 tensor (1 ternary, 0 carried)" in out, out
