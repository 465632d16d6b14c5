"""``tritpack demo``: the end-to-end run in quick mode, and its verdict logic."""

import numpy as np

from tritpack.cli import main
from tritpack.sim import demo
from tritpack.sim.stream import StreamResult


def test_quick_demo_passes_in_icarus(capsys):
    code = main(["demo", "--quick", "--seed", "3", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Size report" in out and "-20.0%" in out
    # 128 x 320 trits = 128 blocks = 128 lines = 128 transfers of 64 lanes = 40960 trits.
    assert "128 lines of 64 bytes, 128 output transfers of 64 lanes" in out
    assert "40960 trits from the engine vs the golden model: 0 wrong transfers" in out
    assert "vs the ternarized tensor: 0 wrong trits" in out
    assert out.rstrip().endswith("PASS")


def test_weights_are_deterministic_and_layer_like():
    a, b = demo.make_weights((64, 96), seed=5), demo.make_weights((64, 96), seed=5)
    assert a.dtype == np.float32 and np.array_equal(a, b)
    assert not np.array_equal(a, demo.make_weights((64, 96), seed=6))
    assert 0.01 < a.std() < 0.04


def _fake_engine(mismatches=0, calls=None):
    def stream(lines, *, lanes, codec, stall, seed, progress):
        if calls is not None:
            calls.append((lines.copy(), lanes, codec, seed))
        progress(len(lines))
        n = len(lines)
        return StreamResult(lines=n, transfers=n * 64 // lanes, clocks=n, lines_per_clock=1.0,
                            sim_seconds=1.0, cpu_seconds=1.0, lines_per_second=n,
                            mismatches=mismatches, seed=seed,
                            errors=["scoreboard: wrong"] if mismatches else [])
    return stream


def test_a_wrong_transfer_fails_the_demo(capsys, monkeypatch):
    monkeypatch.setattr(demo, "stream_lines", _fake_engine(mismatches=1))
    code = main(["demo", "--quick", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1
    assert "1 wrong transfers" in out and out.rstrip().endswith("FAIL")


def test_demo_on_a_users_gguf(capsys, monkeypatch, tmp_path):
    import gguf

    from tritpack import golden

    t = np.random.default_rng(2).integers(-1, 2, (4, 512)).astype(np.float32) * 0.25
    w = gguf.GGUFWriter(tmp_path / "m.gguf", "llama")
    w.add_tensor("blk.0.attn_k.weight", gguf.quants.quantize(t, gguf.GGMLQuantizationType.TQ1_0),
                 raw_dtype=gguf.GGMLQuantizationType.TQ1_0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    calls = []
    monkeypatch.setattr(demo, "stream_lines", _fake_engine(calls=calls))
    code = main(["demo", "--input", str(tmp_path / "m.gguf"), "--codec", "tq1",
                 "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "tensor 'blk.0.attn_k.weight'" in out and "TQ1_0" in out
    (lines, lanes, codec, _), = calls
    # The lines streamed are the tensor's trits, packed with the tq1 codec.
    assert codec == "tq1" and lanes == 64 and lines.shape == (7, 64)
    assert np.array_equal(golden.decode(lines, "tq1")[:2048], t.reshape(-1) / 0.25)


def test_demo_input_errors(capsys, tmp_path):
    assert main(["demo", "--input", str(tmp_path / "none.safetensors")]) == 2
    assert "none.safetensors: cannot read" in capsys.readouterr().err
    np.save(tmp_path / "w.npy", np.zeros((2, 2), np.float32))
    assert main(["demo", "--input", str(tmp_path / "w.npy"), "--tensor", "x"]) == 2
    assert "w.npy: tensor 'x': no such tensor" in capsys.readouterr().err
