"""golden.inputs: the one loader of a user's input file (trits, packed bytes, tensors)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.lib import format as npy

from tritpack import golden
from tritpack.golden import inputs

STD = golden.get_lut("standard")
TQ1 = golden.get_lut("tq1")


def _huge_npy(path, shape=(10**11,), dtype="<f8", data=128, sparse=False):
    with open(path, "wb") as f:
        npy.write_array_header_1_0(f, {"descr": dtype, "fortran_order": False, "shape": shape})
        if sparse:  # as large as the header claims, but no disk used
            f.truncate(f.tell() + int(np.prod(shape)) * np.dtype(dtype).itemsize)
        else:
            f.write(b"\0" * data)
    return path


@pytest.fixture
def trits():
    return np.random.default_rng(3).integers(-1, 2, (7, 100)).astype(np.int8)


# ----------------------------------------------------------------------------- trits

@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.float32, np.float64])
def test_npy_trits_keep_shape(tmp_path, trits, dtype):
    np.save(tmp_path / "t.npy", trits.astype(dtype))
    got = inputs.load_trits(tmp_path / "t.npy", what="--input")
    assert got.dtype == np.int8 and got.shape == (7, 100)
    np.testing.assert_array_equal(got, trits)


def test_text_trits(tmp_path):
    (tmp_path / "t.txt").write_text("# a comment, with 2 and x\n1 0 -1,+1\n\n0,1 # 7 8 9\n-1\n")
    got = inputs.load_trits(tmp_path / "t.txt")
    np.testing.assert_array_equal(got, [1, 0, -1, 1, 0, 1, -1])


@pytest.mark.parametrize("text, line, token", [
    ("1 0\n1 2 0\n", 2, "'2'"), ("1\n\n--1\n", 3, "'--1'"), ("-1 1x\n", 1, "'1x'"),
    ("0 1.0\n", 1, "'1.0'")])
def test_text_bad_token_names_line(tmp_path, text, line, token):
    (tmp_path / "t.txt").write_text(text)
    with pytest.raises(ValueError, match=rf"t\.txt:{line}: {token} is not a trit"):
        inputs.load_trits(tmp_path / "t.txt", what="--input")


def test_text_binary_and_comment_only(tmp_path):
    (tmp_path / "b.dat").write_bytes(b"1 0 \x00\xff")
    with pytest.raises(ValueError, match=r"b\.dat: not a text file of trits \(byte 4"):
        inputs.load_trits(tmp_path / "b.dat")
    (tmp_path / "c.txt").write_text("# nothing\n , \n")
    with pytest.raises(ValueError, match=r"c\.txt: holds no trits"):
        inputs.load_trits(tmp_path / "c.txt")


def test_not_a_trit_names_file_and_index(tmp_path):
    np.save(tmp_path / "n.npy", np.array([[0, 1], [3, 0]]))
    with pytest.raises(ValueError, match=r"--input .*n\.npy: value 3 at index \(1, 0\)"):
        inputs.load_trits(tmp_path / "n.npy", what="--input")
    np.save(tmp_path / "s.npy", np.array(["a"]))
    with pytest.raises(ValueError, match=r"s\.npy.*dtype <U1"):
        inputs.load_trits(tmp_path / "s.npy")


@pytest.mark.parametrize("make, problem", [
    (lambda p: p.mkdir(), "is a directory"),
    (lambda p: None, "no such file"),
    (lambda p: p.write_bytes(b""), r"empty file \(0 bytes\)"),
])
@pytest.mark.parametrize("loader", ["trits", "packed", "lines"])
def test_missing_empty_directory(tmp_path, make, problem, loader):
    path = tmp_path / "x.npy"
    make(path)
    load = {"trits": lambda: inputs.load_trits(path, what="--input"),
            "packed": lambda: inputs.load_packed(path, what="INPUT"),
            "lines": lambda: inputs.load_packed_lines(path, codec=STD, what="--input")}[loader]
    with pytest.raises(ValueError, match=rf"x\.npy: {problem}; expected a file of "):
        load()


def test_huge_header_is_refused_before_allocating(tmp_path):
    path = _huge_npy(tmp_path / "h.npy")
    for load in (lambda: inputs.load_trits(path, what="--input"),
                 lambda: inputs.load_packed_lines(path, codec=STD, what="--input")):
        with pytest.raises(ValueError, match=r"h\.npy: \.npy header claims shape "
                           r"\(100000000000,\) of float64 = 745\.1 GiB of data, but the file "
                           r"holds 128 bytes"):
            load()


def test_memory_is_checked_before_allocating(tmp_path, monkeypatch):
    path = _huge_npy(tmp_path / "s.npy", shape=(1 << 24,), dtype="|i1", sparse=True)
    monkeypatch.setattr(inputs, "available_memory", lambda: 1 << 20)
    with pytest.raises(ValueError, match=r"s\.npy \(16777216 values\) needs 32\.0 MiB of "
                       r"memory, but 1\.0 MiB is available"):
        inputs.load_trits(path, what="--input")
    (tmp_path / "t.txt").write_text("1 " * (1 << 20))
    with pytest.raises(ValueError, match=r"t\.txt \(2097152 bytes of text\) needs"):
        inputs.load_trits(tmp_path / "t.txt")
    monkeypatch.setattr(inputs, "available_memory", lambda: None)  # unknown: not checked
    assert inputs.load_trits(path).size == 1 << 24


def test_available_memory_is_plausible():
    have = inputs.available_memory()
    assert have is None or 1 << 24 < have < 1 << 50


# ----------------------------------------------------------------------------- packed

def test_packed_lines_from_trits_match_pack(tmp_path, trits):
    np.save(tmp_path / "t.npy", trits)
    lines = inputs.load_packed_lines(tmp_path / "t.npy", codec=TQ1)
    want = golden.pack(trits, "tq1", 320).data
    assert lines.shape == (want.size // 64, 64)
    np.testing.assert_array_equal(lines.reshape(-1), want)
    (tmp_path / "t.txt").write_text(" ".join(map(str, trits.ravel())))
    np.testing.assert_array_equal(inputs.load_packed_lines(tmp_path / "t.txt", codec=TQ1),
                                  lines)


def test_packed_bytes_whole_lines_or_refused(tmp_path):
    data = np.random.default_rng(0).integers(0, 256, 192, dtype=np.uint8)
    data.tofile(tmp_path / "ok.bin")
    np.testing.assert_array_equal(inputs.load_packed_lines(tmp_path / "ok.bin", codec=STD),
                                  data.reshape(3, 64))
    np.save(tmp_path / "ok.npy", data.reshape(3, 64))
    np.testing.assert_array_equal(inputs.load_packed(tmp_path / "ok.npy"), data)
    data[:10].tofile(tmp_path / "short.bin")
    with pytest.raises(ValueError, match=r"--input .*short\.bin: 10 bytes is not a whole "
                       r"number of 64-byte lines \(0 whole, 10 bytes over\); expected packed "
                       "bytes in whole lines"):
        inputs.load_packed_lines(tmp_path / "short.bin", codec=STD, what="--input")
    with pytest.raises(ValueError, match=r"192 bytes is not a whole number of 128-byte "
                       r"blocks .*wrong --block"):
        inputs.load_packed(tmp_path / "ok.bin", block=640)


def test_packed_only_refuses_trits(tmp_path, trits):
    np.save(tmp_path / "t.npy", trits)
    with pytest.raises(ValueError, match=r"t\.npy: \.npy of int8; expected packed bytes"):
        inputs.load_packed(tmp_path / "t.npy", what="INPUT")
    # without a codec an unknown suffix is raw bytes, as decode has always read it
    (tmp_path / "x.dat").write_bytes(bytes(64))
    assert inputs.load_packed(tmp_path / "x.dat").size == 64


def test_raw_bytes_are_not_trits(tmp_path):
    (tmp_path / "x.bin").write_bytes(bytes(64))
    with pytest.raises(ValueError, match=r"x\.bin: packed bytes \(raw\); expected trits"):
        inputs.load_trits(tmp_path / "x.bin")


# ----------------------------------------------------------------------------- tensors

def test_parse_spec(tmp_path):
    f = tmp_path / "m.safetensors"
    f.write_bytes(b"x")
    assert inputs.parse_spec(f"{f}:a:b") == (f, "a:b")
    assert inputs.parse_spec(str(f)) == (f, None)
    assert inputs.parse_spec(str(tmp_path / "nope:x")) == (tmp_path / "nope:x", None)
    with pytest.raises(ValueError, match="no tensor name after ':'"):
        inputs.parse_spec(f"{f}:")


def test_safetensors_tensor(tmp_path, trits):
    st = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "m.safetensors"
    st.save_file({"w": trits, "f": np.ones(3, np.float32), "pos": np.arange(4)}, str(path))
    np.testing.assert_array_equal(inputs.load_trits(f"{path}:w"), trits)
    lines = inputs.load_packed_lines(f"{path}:w", codec=STD)
    np.testing.assert_array_equal(lines.reshape(-1), golden.pack(trits, "standard").data)
    with pytest.raises(ValueError, match=r"m\.safetensors:f: a F32 tensor, not trits"):
        inputs.load_trits(f"{path}:f", what="--input")
    with pytest.raises(ValueError, match=r"m\.safetensors:pos: value 2 at index 2"):
        inputs.load_trits(f"{path}:pos")
    with pytest.raises(ValueError, match=r"tensor 'zz': no such tensor"):
        inputs.load_trits(f"{path}:zz")
    with pytest.raises(ValueError, match=r"is a safetensors file; name one tensor as "
                       r".*m\.safetensors:NAME \(it holds"):
        inputs.load_trits(path, what="--input")


def test_container_tensor(tmp_path, trits):
    st = pytest.importorskip("safetensors.numpy")
    from tritpack.golden.weights import pack_file

    src, dst = tmp_path / "src.safetensors", tmp_path / "c.safetensors"
    st.save_file({"w": trits, "norm": np.ones(3, np.float32)}, str(src))
    pack_file(src, dst, codec="tq1", patterns=["w"])
    np.testing.assert_array_equal(inputs.load_trits(f"{dst}:w"), trits)
    lines = inputs.load_packed_lines(f"{dst}:w", codec=TQ1)
    np.testing.assert_array_equal(lines.reshape(-1), golden.pack(trits, "tq1").data)
    with pytest.raises(ValueError, match=r"c\.safetensors:w: packed with codec tq1, not "
                       "standard; pass --codec tq1"):
        inputs.load_packed_lines(f"{dst}:w", codec=STD, what="--input")
    with pytest.raises(ValueError, match=r"c\.safetensors:norm: a F32 tensor the container "
                       "carries unpacked"):
        inputs.load_trits(f"{dst}:norm")


def test_gguf_tensor(tmp_path, trits):
    gguf = pytest.importorskip("gguf")
    from utils import write_gguf

    path = tmp_path / "m.gguf"
    t = np.random.default_rng(1).integers(-1, 2, (4, 256)).astype(np.int8)
    write_gguf(path, {"blk.0.w": (t.astype(np.float32), gguf.GGMLQuantizationType.TQ1_0)})
    np.testing.assert_array_equal(inputs.load_trits(f"{path}:blk.0.w"), t)
    with pytest.raises(ValueError, match=r"is a gguf file; name one tensor"):
        inputs.load_trits(path)


def test_input_info(tmp_path, trits):
    import hashlib

    np.save(tmp_path / "t.npy", trits)
    info = inputs.input_info(tmp_path / "t.npy")
    assert info == {"name": "t.npy",
                    "sha256": hashlib.sha256((tmp_path / "t.npy").read_bytes()).hexdigest()}
