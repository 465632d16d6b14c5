"""`tritpack sim`: user errors are one line with exit status 2; a real run compares."""

import numpy as np
import pytest

from tritpack.cli import main


@pytest.mark.parametrize("make, expected", [
    (lambda d: d / "missing.npy", "input file not found"),
    (lambda d: (d / "w.txt").write_text("x") and d / "w.txt", "unknown format '.txt'"),
    (lambda d: np.save(d / "b.npy", np.array([0, 1, 2], np.int8)) or d / "b.npy",
     "value 2 at index 2 is not a trit"),
    (lambda d: np.save(d / "f.npy", np.zeros(3, np.float32)) or d / "f.npy",
     "dtype float32 is not supported"),
    (lambda d: (d / "c.npy").write_bytes(b"not numpy") and d / "c.npy", "not a readable .npy"),
])
def test_user_errors(tmp_path, capsys, make, expected):
    path = make(tmp_path)
    assert main(["sim", "--input", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err


def test_sim_streams_trits_through_the_rtl(tmp_path, capsys):
    trits = np.random.default_rng(5).choice(np.array([-1, 0, 1], np.int8), size=(7, 100))
    np.save(tmp_path / "t.npy", trits)
    assert main(["sim", "--lanes", "8", "--codec", "tq1", "--input",
                 str(tmp_path / "t.npy"), "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "mismatches: 0" in out and "lines: 3" in out, out  # 700 trits: 3 blocks of 320
