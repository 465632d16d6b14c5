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
    def stream(lines, *, lanes, codec, stall, seed, progress, build_dir, **engine):
        if calls is not None:
            calls.append((lines.copy(), lanes, codec, seed))
        progress(len(lines))
        n = len(lines)
        return StreamResult(lines=n, transfers=n * 64 // lanes, clocks=n, lines_per_clock=1.0,
                            sim_seconds=1.0, cpu_seconds=1.0, lines_per_second=n,
                            mismatches=mismatches, seed=seed, error=0,
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
    assert codec.name == "tq1" and lanes == 64 and lines.shape == (7, 64)
    assert np.array_equal(golden.decode(lines, "tq1")[:2048], t.reshape(-1) / 0.25)


def test_demo_input_errors(capsys, tmp_path):
    assert main(["demo", "--input", str(tmp_path / "none.safetensors")]) == 2
    assert "none.safetensors: no such file" in capsys.readouterr().err
    np.save(tmp_path / "w.npy", np.zeros((2, 2), np.float32))
    assert main(["demo", "--input", str(tmp_path / "w.npy"), "--tensor", "x"]) == 2
    assert "w.npy: tensor 'x': no such tensor" in capsys.readouterr().err


def _code(argv):
    try:
        return main(argv)
    except SystemExit as exc:  # a usage error, from argparse
        return exc.code


def _one_line_error(capsys, expected):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err


def test_demo_option_errors(capsys, tmp_path):
    assert _code(["demo", "--seed", "-1"]) == 2
    _one_line_error(capsys, "argument --seed: expected a non-negative integer, not '-1'")
    np.save(tmp_path / "w.npy", np.zeros((4, 320), np.float32))
    # --quick shrinks the built-in matrix; it cannot apply to a user's file.
    assert _code(["demo", "--quick", "--input", str(tmp_path / "w.npy")]) == 2
    _one_line_error(capsys, "--quick shrinks the built-in matrix and cannot shrink --input")


def test_an_empty_input_is_one_line_error(capsys, tmp_path, recwarn):
    np.save(tmp_path / "e.npy", np.zeros((0, 320), np.float32))
    assert main(["demo", "--input", str(tmp_path / "e.npy"), "--no-progress"]) == 2
    _one_line_error(capsys, "empty tensor (shape 0x320): nothing to stream")
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_demo_does_not_pick_an_integer_non_trit_tensor(capsys, monkeypatch, tmp_path):
    """A Hugging Face checkpoint: position_ids (I64 0..511) comes first but is no trit
    tensor; the planner carries it, so the demo's default is the float weight."""
    from safetensors.numpy import save_file

    save_file({"embeddings.position_ids": np.arange(512, dtype=np.int64)[None, :],
               "layer.weight": demo.make_weights((8, 320), seed=2)},
              str(tmp_path / "model.safetensors"))
    calls = []
    monkeypatch.setattr(demo, "stream_lines", _fake_engine(calls=calls))
    code = main(["demo", "--input", str(tmp_path / "model.safetensors"), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "tensor 'layer.weight'" in out and len(calls) == 1


def test_demo_takes_the_engine_options(capsys, monkeypatch):
    calls = []

    def fake(lines, **kwargs):
        calls.append(kwargs)
        return _fake_engine()(lines, **kwargs)
    monkeypatch.setattr(demo, "stream_lines", fake)
    assert main(["demo", "--quick", "--no-progress", "--lanes", "8", "--impl", "arith",
                 "--pipelined", "--build-dir", "b"]) == 0
    (kw,) = calls
    assert (kw["lanes"], kw["impl"], kw["pipelined"], kw["build_dir"]) == (8, "arith", True, "b")
    assert "8 lanes, impl=arith, pipelined" in capsys.readouterr().out
