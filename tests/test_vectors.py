"""Golden vectors (issue 5): file formats, manifest, verify, determinism, bad input.

The simulations of the generated testbench are in ``test_vectors_sim.py``.
Expected file contents are computed here by hand from the golden model
(``int.from_bytes`` and explicit bit shifts), not by the formatter under test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tritpack import golden
from tritpack.cli import main
from tritpack.golden import vectors


def _spec(**kw):
    base = dict(lines=6, seed=7, lanes=8, codec="standard", invalid_rate=0.02)
    base.update(kw)
    return vectors.VectorSpec(**base)


def _rows(data: bytes) -> list[str]:
    return data.decode("ascii").splitlines()


def _transfer_hex(trits, lanes: int) -> str:
    value = 0
    for k, t in enumerate(trits):
        value |= (int(t) & 3) << (2 * k)  # +1 -> 01, 0 -> 00, -1 -> 11
    return f"{value:0{-(-10 * lanes // 4)}x}"


@pytest.mark.parametrize("lanes,codec", [(64, "standard"), (8, "tq1"), (1, "standard")])
def test_file_formats_by_hand(lanes, codec):
    vec = vectors.build(_spec(lanes=lanes, codec=codec))
    lines = vec.lines
    per_line = 64 // lanes
    in_rows = _rows(vec.files["input.hex"])
    assert len(in_rows) == 6
    for i, row in enumerate(in_rows):
        assert row == f"{int.from_bytes(bytes(lines[i]), 'little'):0128x}"
    assert vec.files["input.bin"] == bytes(lines.reshape(-1))
    lut = golden.get_lut(codec)
    exp_rows = _rows(vec.files["expected.hex"])
    flag_rows = _rows(vec.files["expected_flags.hex"])
    last_rows = _rows(vec.files["input_flags.hex"])
    assert len(exp_rows) == len(flag_rows) == 6 * per_line
    for n, row in enumerate(exp_rows):
        line, beat = divmod(n, per_line)
        codes = lines[line, beat * lanes:(beat + 1) * lanes]
        trits = np.concatenate([lut.trits[c] for c in codes])
        assert row == _transfer_hex(trits, lanes)
        tuser = not all(lut.valid[c] for c in codes)
        tlast = beat == per_line - 1 and int(last_rows[line], 16) & 1
        assert int(flag_rows[n], 16) == (2 if tlast else 0) | (1 if tuser else 0)
    for i, row in enumerate(last_rows):
        assert (int(row, 16) >> 1) == int(not lut.valid[lines[i]].all())
    assert int(last_rows[-1], 16) & 1, "the last line always carries tlast"
    assert vec.counts["invalid_bytes"] == round(0.02 * 6 * 64)
    assert int(np.count_nonzero(~lut.valid[lines])) == vec.counts["invalid_bytes"]


def test_lut_hex_rows():
    rows = [r.split("//")[0].strip() for r in _rows(vectors.lut_hex("standard"))]
    rows = [r for r in rows if r]
    assert len(rows) == 256
    # code 5 = 2 + 3*1: trits (-1, +1, 0, 0, 0) -> bits 0b00_00_00_01_11
    assert int(rows[5], 16) == 0b0000000111
    assert int(rows[250], 16) == 0  # invalid: zero trits


def test_weights_distribution_has_more_zeros():
    trits = vectors.build(_spec(lines=200, invalid_rate=0, distribution="weights")).trits
    zeros = np.mean(trits == 0)
    assert 0.45 < zeros < 0.55
    uni = vectors.build(_spec(lines=200, invalid_rate=0)).trits
    assert 0.30 < np.mean(uni == 0) < 0.37


def test_input_file_npy_and_text(tmp_path):
    rng = np.random.default_rng(0)
    trits = rng.integers(-1, 2, size=(7, 100)).astype(np.int8)  # 700 trits -> 3 lines
    np.save(tmp_path / "w.npy", trits)
    (tmp_path / "w.txt").write_text(
        "# weights\n" + "\n".join(", ".join(map(str, r)) for r in trits.tolist()) + "\n")
    for name in ("w.npy", "w.txt"):
        t, info = vectors.load_trit_file(tmp_path / name)
        vec = vectors.build(_spec(lines=None, invalid_rate=0), t, info)
        assert vec.spec.lines == 3
        flat = vec.trits.reshape(-1)
        assert np.array_equal(flat[:700], trits.reshape(-1))
        assert not flat[700:].any()
        assert vec.line_last.tolist() == [False, False, True]
        assert info["trits"] == 700
    first = vectors.build(_spec(lines=2, invalid_rate=0), t, info)
    assert np.array_equal(first.lines, vec.lines[:2])
    assert first.line_last.tolist() == [False, True]


def _generate(tmp_path, name="v", *extra):
    out = tmp_path / name
    argv = ["vectors", "--lines", "20", "--seed", "5", "--lanes", "8",
            "--invalid-rate", "0.02", "-o", str(out), *extra]
    assert main(argv) == 0
    return out


def test_verify_ok_edited_and_missing(tmp_path, capsys):
    out = _generate(tmp_path)
    assert main(["vectors", "verify", str(out)]) == 0
    # Edit one digit of expected.hex.
    rows = (out / "expected.hex").read_text().splitlines()
    rows[13] = rows[13][:-1] + ("1" if rows[13][-1] != "1" else "2")
    (out / "expected.hex").write_text("\n".join(rows) + "\n")
    capsys.readouterr()
    assert main(["vectors", "verify", str(out)]) == 1
    err = capsys.readouterr().err
    assert "expected.hex: edited" in err
    assert "expected.hex: row 13 (transfer 13) differs" in err
    # A missing file is named.
    (out / "lut.hex").unlink()
    assert main(["vectors", "verify", str(out)]) == 1
    assert "lut.hex: missing" in capsys.readouterr().err


def _flip_text(data: bytes, row: int, mask: int) -> bytes:
    rows = data.decode("ascii").splitlines()
    rows[row] = rows[row][:-1] + f"{int(rows[row][-1], 16) ^ mask:x}"
    return ("\n".join(rows) + "\n").encode("ascii")


def _flip_npy(data: bytes) -> bytes:
    import io

    arr = np.load(io.BytesIO(data))
    arr[9, 2] = -arr[9, 2] if arr[9, 2] else 1
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _flip_bin(data: bytes) -> bytes:
    out = bytearray(data)
    out[70] ^= 0x01
    return bytes(out)


@pytest.mark.parametrize("name,edit,problem", [
    ("input.bin", _flip_bin, "input.bin: line 1 differs from input.hex"),
    ("expected.hex", lambda d: _flip_text(d, 21, 1),
     "expected.hex: row 21 (transfer 21) differs from the golden model"),
    ("expected_flags.hex", lambda d: _flip_text(d, 17, 1),
     "expected_flags.hex: row 17 (transfer 17) differs from the golden tuser"),
    ("input_flags.hex", lambda d: _flip_text(d, 4, 2),
     "input_flags.hex: row 4: invalid-code bit differs"),
    ("expected_trits.npy", _flip_npy, "expected_trits.npy: row 9 differs"),
])
def test_verify_catches_consistent_rewrite(tmp_path, name, edit, problem):
    """An edit with a matching hash in the manifest is still caught by the golden check."""
    import hashlib

    out = _generate(tmp_path)
    data = edit((out / name).read_bytes())
    (out / name).write_bytes(data)
    doc = json.loads((out / "manifest.json").read_text())
    doc["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (out / "manifest.json").write_text(json.dumps(doc))
    problems = vectors.verify(out)
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_deterministic(tmp_path):
    a = _generate(tmp_path, "a")
    b = _generate(tmp_path, "b")
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert "ternary_decoder.v" in names and "tb_ternary_decoder.v" in names
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    doc = json.loads((a / "manifest.json").read_text())
    assert set(doc["files"]) == set(names) - {"manifest.json"}
    assert doc["parameters"]["seed"] == 5 and doc["format_version"] == 1
    c = _generate(tmp_path, "c", "--codec", "tq1")
    assert (a / "input.hex").read_bytes() != (c / "input.hex").read_bytes()


def test_force_and_refusal(tmp_path, capsys):
    out = _generate(tmp_path)
    before = (out / "manifest.json").read_bytes()
    assert main(["vectors", "--lines", "3", "-o", str(out)]) == 2
    assert "not empty; use --force" in capsys.readouterr().err
    assert (out / "manifest.json").read_bytes() == before
    assert main(["vectors", "--lines", "3", "-o", str(out), "--force"]) == 0
    assert json.loads((out / "manifest.json").read_text())["counts"]["lines"] == 3
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    assert main(["vectors", "--lines", "3", "-o", str(other), "--force"]) == 2
    assert "holds no manifest.json" in capsys.readouterr().err
    assert (other / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "v"]  # no temp left


def test_failure_leaves_nothing(tmp_path, monkeypatch):
    vec = vectors.build(_spec())
    calls = []
    real = Path.write_bytes

    def flaky(self, data):
        calls.append(self.name)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", flaky)
    with pytest.raises(OSError):
        vectors.write(tmp_path / "out", vec)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv,message", [
    (["--lines", "4", "--lanes", "3"], "lanes must be one of"),
    (["--lines", "0"], "lines must be a positive integer"),
    (["--lines", "4", "--invalid-rate", "1.5"], "invalid rate must be a number in [0, 1]"),
    (["--lines", "4", "--invalid-rate", "-0.1"], "invalid rate must be"),
    (["--lines", "4", "--invalid-rate", "nan"], "invalid rate must be"),
    (["--lines", "1", "--invalid-rate", "0.001"], "gives no invalid code"),
    (["--lines", "4", "--codec", "foo"], "unknown codec"),
    (["--lines", "4", "--seed", "-1"], "seed must be an integer"),
    (["--lines", "4", "--lanes", "x"], "invalid int value"),
    (["--seed", "3"], "--lines N is required"),
    (["--lines", "4", "--input", "{tiny}", "--invalid-rate", "0.001"], "input file tiny.txt"),
    (["--input", "{tiny}", "--lines", "2"], "packs into 1 line(s), fewer than the 2"),
    (["--input", "{bad}"], "bad.txt:2: '2' is not a trit"),
    (["--input", "{tiny}", "--distribution", "weights"], "--distribution applies to random"),
    (["--input", "{missing}"], "No such file"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_parameters_exit_2(tmp_path, capsys, argv, message):
    (tmp_path / "tiny.txt").write_text("1 0 -1\n")
    (tmp_path / "bad.txt").write_text("1 0\n2\n")
    paths = {"tiny": tmp_path / "tiny.txt", "bad": tmp_path / "bad.txt",
             "missing": tmp_path / "nope.npy"}
    argv = [a.format(**paths) for a in argv]
    out = tmp_path / "out"
    assert _status(["vectors", *argv, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def _status(argv) -> int:
    """Exit status of the CLI, whether argparse exits or ``main`` returns."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def test_verify_with_generate_options_is_refused(tmp_path, capsys):
    assert main(["vectors", "--lines", "3", "verify", str(tmp_path)]) == 2
    assert "takes no generate options (--lines)" in capsys.readouterr().err
