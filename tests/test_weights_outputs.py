"""The weights commands' outputs and messages: one output policy (golden.fileio),
checked before any work; SIGTERM leaves no temporary file; messages say what a
file is and what was expected; unpack -> pack round-trips; the plugin loads
without the ``weights`` extra."""

import signal
import subprocess
import sys
import textwrap
import time

import gguf
import numpy as np
import pytest
from gguf import GGMLQuantizationType as Q
from safetensors.numpy import save_file

from tritpack.cli import main
from tritpack.golden.weights import Container
from tritpack.golden.weights.stfile import SafetensorsReader

from utils import run_cli as run
from utils import write_gguf

RNG = np.random.default_rng(8)


def temp_files(d):
    return [p.name for p in d.iterdir() if p.name.endswith(".tmp")]


@pytest.fixture
def floats(tmp_path):
    path = tmp_path / "w.safetensors"
    save_file({"w": RNG.normal(size=(8, 40)).astype(np.float32)}, path,
              metadata={"format": "pt"})
    return path


@pytest.fixture
def container(tmp_path, floats):
    path = tmp_path / "c.safetensors"
    assert main(["pack", str(floats), "-o", str(path)]) == 0
    return path


def block_scaled(rows, cols):
    t = RNG.integers(-1, 2, (rows, cols)).astype(np.float32)
    d = RNG.uniform(0.01, 0.1, (rows, cols // 256, 1)).astype(np.float16).astype(np.float32)
    return (t.reshape(rows, -1, 256) * d).reshape(rows, cols)


@pytest.fixture
def gguf_file(tmp_path):
    path = tmp_path / "model.gguf"
    write_gguf(path, {
        "token_embd.weight": (RNG.normal(size=(8, 256)).astype(np.float16), None),
        "blk.0.attn_q.weight": (block_scaled(4, 512), Q.TQ1_0),
        "blk.0.ffn_down.weight": (block_scaled(2, 768), Q.TQ2_0),
        "output_norm.weight": (np.ones(256, np.float32), None),
    })
    return path


# --- the output policy ---------------------------------------------------------------

def _commands(tmp_path, floats, container, gguf_file):
    """(command, a valid input) for every weights command that writes a file."""
    return {"pack": floats, "unpack": container, "transcode": gguf_file}


@pytest.mark.parametrize("command", ["pack", "unpack", "transcode"])
def test_existing_output_needs_force(capsys, tmp_path, floats, container, gguf_file, command):
    src = _commands(tmp_path, floats, container, gguf_file)[command]
    dst = tmp_path / "out.safetensors"
    dst.write_bytes(b"precious")
    code, _, err = run(capsys, command, src, "-o", dst)
    assert code == 2 and "exists; use --force" in err and err.count("\n") == 1
    assert dst.read_bytes() == b"precious"
    code, _, err = run(capsys, command, src, "-o", dst, "--force")
    assert code == 0, err
    SafetensorsReader(dst)  # replaced by a complete safetensors file
    assert not temp_files(tmp_path)


@pytest.mark.parametrize("command", ["pack", "unpack", "transcode"])
@pytest.mark.parametrize("out,message", [
    ("", "empty path"),
    ("adir", "ending in .safetensors|is a directory"),
    ("adir.safetensors", "is a directory"),
    ("missing/x.safetensors", "does not exist"),
    ("-", "cannot go to standard output"),
])
def test_bad_output_fails_before_any_work(capsys, tmp_path, command, out, message):
    """Checked first: with a corrupt input, the error is still about the output."""
    (tmp_path / "adir").mkdir()
    (tmp_path / "adir.safetensors").mkdir()
    bad_input = tmp_path / "junk.safetensors"
    bad_input.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    dst = str(tmp_path / out) if out not in ("", "-") else out
    code, _, err = run(capsys, command, bad_input, "-o", dst)
    assert code == 2 and err.count("\n") == 1, err
    assert any(m in err for m in message.split("|")), err
    assert "junk" not in err
    assert not temp_files(tmp_path)


def test_pack_refuses_a_gguf_name(capsys, tmp_path, floats):
    dst = tmp_path / "x.gguf"
    code, _, err = run(capsys, "pack", floats, "-o", dst)
    assert code == 2 and not dst.exists()
    assert "packed container (safetensors)" in err and "ending in .safetensors" in err
    assert "transcode" in err  # how to get GGUF


def test_transcode_output_suffix_follows_the_target(capsys, tmp_path, gguf_file):
    mid = tmp_path / "mid.safetensors"
    assert run(capsys, "transcode", gguf_file, "-o", mid)[0] == 0
    code, _, err = run(capsys, "transcode", mid, "-o", tmp_path / "back.safetensors")
    assert code == 2 and "GGUF file" in err and "ending in .gguf" in err
    assert run(capsys, "transcode", mid, "-o", tmp_path / "back.gguf")[0] == 0
    code, _, err = run(capsys, "transcode", gguf_file, "-o", tmp_path / "m2.gguf")
    assert code == 2 and "ending in .safetensors" in err


@pytest.mark.slow
def test_sigterm_during_pack_leaves_no_temporary_file(tmp_path):
    src = tmp_path / "big.safetensors"
    layer = RNG.normal(size=(512, 1024)).astype(np.float32)
    save_file({f"layer{i}.weight": layer for i in range(16)}, src)
    dst = tmp_path / "out.safetensors"
    exe = [sys.executable, "-m", "tritpack.cli", "pack", str(src), "-o", str(dst),
           "--no-progress"]
    p = subprocess.Popen(exe, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not temp_files(tmp_path) and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert temp_files(tmp_path), "pack ended before it was seen writing"
    p.send_signal(signal.SIGTERM)
    p.communicate(timeout=60)
    assert p.returncode == 128 + signal.SIGTERM
    assert not temp_files(tmp_path) and not dst.exists()


# --- messages: what the file is, what was expected ------------------------------------

@pytest.mark.parametrize("name,expected", [
    ("empty.gguf", "empty file (0 bytes); expected a GGUF file"),
    ("empty.npy", "empty file (0 bytes); expected a .npy file"),
    ("empty.safetensors", "empty file (0 bytes); expected a safetensors file"),
    ("empty", "empty file (0 bytes); expected a safetensors, GGUF or .npy weight file"),
])
@pytest.mark.parametrize("command", ["pack", "info"])
def test_empty_files(capsys, tmp_path, name, expected, command):
    path = tmp_path / name
    path.write_bytes(b"")
    argv = [command, path] + (["-o", tmp_path / "o.safetensors"] if command == "pack" else [])
    code, _, err = run(capsys, *argv)
    assert code == 2 and f"{name}: {expected}" in err and "safetensors header" not in err


def test_named_gguf_without_magic(capsys, tmp_path):
    path = tmp_path / "model.gguf"
    path.write_bytes(b"<html>not found</html>" * 10)
    code, _, err = run(capsys, "pack", path, "-o", tmp_path / "o.safetensors")
    assert code == 2 and "model.gguf: not a GGUF file" in err and "expected a GGUF file" in err


@pytest.mark.parametrize("command", ["unpack", "transcode"])
def test_gguf_where_a_container_is_expected(capsys, tmp_path, gguf_file, command):
    argv = [command, gguf_file, "-o", tmp_path / "o.safetensors"]
    if command == "transcode":
        argv += ["--to", "hf"]
    code, _, err = run(capsys, *argv)
    assert code == 2 and "header length" not in err
    if command == "unpack":
        assert "model.gguf: this is a GGUF file, not a tritpack container; use 'tritpack " \
               "pack' or 'tritpack transcode'" in err
    else:
        assert "model.gguf: --to hf needs a tritpack container" in err


def test_plain_safetensors_where_a_container_is_expected(capsys, tmp_path, floats):
    code, _, err = run(capsys, "unpack", floats, "-o", tmp_path / "o.safetensors")
    assert code == 2 and "w.safetensors: not a tritpack container" in err and "pack" in err


def test_directory_as_input(capsys, tmp_path):
    code, _, err = run(capsys, "info", tmp_path)
    assert code == 2 and "is a directory; expected a safetensors, GGUF or .npy" in err


def test_pack_with_nothing_to_pack_says_why(capsys, tmp_path):
    src = tmp_path / "bias.npy"
    np.save(src, np.ones(7, np.float32))
    code, _, err = run(capsys, "pack", src, "-o", tmp_path / "o.safetensors")
    assert code == 0
    assert "warning: no tensor was packed" in err and "'bias': 1-D" in err
    assert "--tensors" in err


# --- unpack -> pack -----------------------------------------------------------------

def test_unpack_keeps_the_source_metadata(capsys, tmp_path, container):
    out = tmp_path / "u.safetensors"
    assert run(capsys, "unpack", container, "-o", out)[0] == 0
    assert SafetensorsReader(out).metadata == {"format": "pt"}


def test_unpack_then_pack_round_trips(capsys, tmp_path, gguf_file):
    a, u, b = (tmp_path / f"{n}.safetensors" for n in "aub")
    assert run(capsys, "pack", gguf_file, "-o", a)[0] == 0
    assert run(capsys, "unpack", a, "-o", u)[0] == 0
    code, out, err = run(capsys, "pack", u, "-o", b)
    assert code == 0, err
    ca, cb = Container(a), Container(b)
    assert list(cb.entries) == list(ca.entries)  # no 'NAME.scale' tensors of their own
    for e in ca:
        f = cb.entry(e.name)
        assert f.kind == e.kind and f.shape == e.shape
        if e.kind == "raw":
            assert cb.read_raw(e.name).tobytes() == ca.read_raw(e.name).tobytes()
            continue
        ta, tb = ca.read_ternary(e.name), cb.read_ternary(e.name)
        assert np.array_equal(ta.trits, tb.trits)
        assert (ta.layout, ta.mode) == (tb.layout, tb.mode)
        assert np.array_equal(ta.scale.astype(np.float32), tb.scale)
    # The GGUF tensors come back byte for byte from the re-packed container.
    back = tmp_path / "back.gguf"
    assert run(capsys, "transcode", b, "-o", back, "--to", "TQ1_0")[0] == 0
    src = {t.name: bytes(np.asarray(t.data)) for t in gguf.GGUFReader(gguf_file).tensors}
    got = {t.name: bytes(np.asarray(t.data)) for t in gguf.GGUFReader(back).tensors}
    assert got["blk.0.attn_q.weight"] == src["blk.0.attn_q.weight"]


# --- the plugin without the weights extra ---------------------------------------------

def test_commands_load_without_the_weights_extra(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        for name in ("ml_dtypes", "safetensors", "gguf", "tqdm"):
            sys.modules[name] = None  # as if not installed
        import tritpack.cli as cli
        import tritpack.golden.weights.commands  # noqa: F401

        class EP:
            def __init__(self, name):
                self.name = name
            def load(self):
                from tritpack.golden.weights import commands
                return getattr(commands, "register_" + self.name)

        cli.entry_points = lambda group: [EP(n) for n in ("pack", "unpack", "info",
                                                          "transcode")]
        sys.exit(cli.main(["pack", {str(tmp_path / "x.npy")!r}, "-o",
                           {str(tmp_path / "x.safetensors")!r}]))
    """)
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       cwd=tmp_path)
    assert p.returncode == 2, p.stderr
    assert "tritpack pack: needs the 'weights' extra" in p.stderr
    assert "pip install 'tritpack[weights]'" in p.stderr
    assert "Traceback" not in p.stderr


def test_info_predicts_the_error_pack_stops_with(capsys, tmp_path):
    path = tmp_path / "q.gguf"
    write_gguf(path, {"a.weight": (RNG.normal(size=(2, 64)).astype(np.float32), Q.Q4_0),
                      "b.weight": (block_scaled(1, 256), Q.TQ2_0)})
    code, out, _ = run(capsys, "info", path)
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("a.weight"))
    assert "stop with an error: unsupported GGUF quantization type Q4_0" in row
    assert "but stop with an error" in out
    code, _, err = run(capsys, "pack", path, "-o", tmp_path / "p.safetensors")
    assert code == 2 and "tensor 'a.weight': unsupported GGUF quantization type Q4_0" in err
    code, out, _ = run(capsys, "info", path, "--skip-other")
    assert "leave out" in next(line for line in out.splitlines() if line.startswith("a.weight"))
    assert run(capsys, "pack", path, "-o", tmp_path / "p.safetensors", "--skip-other")[0] == 0
    assert list(Container(tmp_path / "p.safetensors").entries) == ["b.weight"]


def test_npy_header_larger_than_the_file_is_refused_before_allocating(capsys, tmp_path):
    """A header claiming 10^11 elements: the sizes are compared, nothing is allocated."""
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f4", "fortran_order": False, "shape": (100000, 1000000)})
    path = tmp_path / "huge.npy"
    path.write_bytes(buf.getvalue())
    code, _, err = run(capsys, "pack", path, "-o", tmp_path / "o.safetensors")
    assert code == 2 and err.count("\n") == 1
    assert "huge.npy: .npy header claims shape (100000, 1000000) of float32 = 372.5 GiB of " \
           "data, but the file holds 0 bytes after the header" in err
