"""Fuzzing the container reader: corrupt files give clean errors, never a crash
and never a wrong tensor."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import save_file

from tritpack.golden.weights import Container, ContainerError, pack_file


@pytest.fixture(scope="module")
def container(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    rng = np.random.default_rng(5)
    save_file({"a.weight": rng.normal(size=(6, 70)).astype(np.float32),
               "b.weight": rng.normal(size=(2, 5)).astype(np.float16),
               "norm": np.arange(4, dtype=np.float32)}, d / "m.safetensors")
    pack_file(d / "m.safetensors", d / "p.safetensors", codec="tq1", progress=False)
    raw = (d / "p.safetensors").read_bytes()
    return raw, _read_all(d / "p.safetensors")


def _read_all(path):
    c = Container(path)
    out = {}
    for e in c:
        if e.kind == "ternary":
            t = c.read_ternary(e.name)
            out[e.name] = (t.trits.tobytes(), t.trits.shape, t.scale.tobytes(), t.mode)
        else:
            r = c.read_raw(e.name)
            out[e.name] = (r.tobytes(), r.shape, r.dtype.str)
    return out


def _check(raw, reference, tmp_path):
    path = tmp_path / "f.safetensors"
    path.write_bytes(raw)
    try:
        got = _read_all(path)
    except ContainerError:
        return  # a clean, one-line error naming the file
    assert got == reference, "a corrupt file decoded to different tensors without an error"


FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.data())
def test_byte_flips(container, tmp_path, data):
    raw, reference = container
    buf = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(buf) - 1))
        buf[i] ^= data.draw(st.integers(1, 255))
    _check(bytes(buf), reference, tmp_path)


@FUZZ
@given(data=st.data())
def test_truncations_and_appends(container, tmp_path, data):
    raw, reference = container
    cut = data.draw(st.integers(0, len(raw) - 1))
    tail = data.draw(st.binary(max_size=16))
    path = tmp_path / "f.safetensors"
    path.write_bytes(raw[:cut] + tail)
    with pytest.raises(ContainerError):
        _read_all(path)


def test_every_single_byte_flip_is_caught(container, tmp_path):
    """Exhaustive over positions: one flipped bit anywhere is an error, or harmless."""
    raw, reference = container
    for i in range(0, len(raw)):
        buf = bytearray(raw)
        buf[i] ^= 0x10
        _check(bytes(buf), reference, tmp_path)
