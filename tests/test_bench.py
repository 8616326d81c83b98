"""`rnnbook bench`: its batches, its timing rule, and that both sides really train."""

import math

import numpy as np
import pytest

from rnnbook import bench

TINY = bench.BenchSize(units=8, embedding_dim=4, vocab_size=30, warmup=1, repeats=2)


def test_grid_is_the_full_product():
    shapes = bench.grid()
    assert len(shapes) == 3 * 2 * 2 * 2 * 2 * 3  # masked rows twice: Keras mask, length-aware
    assert len(set(shapes)) == len(shapes)
    assert all(s.masked for s in shapes if s.length_aware)
    assert {s.cell for s in shapes} == {"simple", "gru", "lstm"}


@pytest.mark.parametrize("masked", [False, True])
def test_batches_are_right_padded_with_the_stated_lengths(masked):
    shape = bench.BenchShape("lstm", 1, False, seq_len=40, batch=32, masked=masked)
    x, lengths, y = bench.make_batch(shape, vocab_size=30)
    assert x.shape == (32, 40) and y.shape == (32, 1) and lengths.shape == (32,)
    positions = np.arange(40)[None, :]
    assert np.all(x[positions < lengths[:, None]] > 0)
    assert np.all(x[positions >= lengths[:, None]] == 0)
    if masked:
        assert lengths.min() >= 1 and lengths.max() <= 40 and len(set(lengths)) > 1
    else:
        assert np.all(lengths == 40)


def test_median_of_the_timed_steps_after_warmup(monkeypatch):
    clock = iter([0.0, 1.0, 10.0, 13.0, 20.0, 22.0])  # timed steps take 1, 3 and 2 seconds
    monkeypatch.setattr(bench.time, "perf_counter", lambda: next(clock))
    calls = []
    result = bench.median_step_seconds(lambda: calls.append(1), warmup=2, repeats=3)
    assert result == 2.0
    assert len(calls) == 5


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("make_step", [bench.keras_step, bench.torch_reference_step])
def test_both_sides_train_the_same_task(make_step, masked):
    shape = bench.BenchShape("gru", 2, True, seq_len=12, batch=16, masked=masked)
    step = make_step(shape, TINY)
    losses = [step() for _ in range(30)]
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < losses[0]  # a fixed batch is memorised: the loss falls


def test_run_bench_rows_and_ratio():
    shapes = [bench.BenchShape("simple", 1, False, seq_len=8, batch=4, masked=True)]
    rows = bench.run_bench(shapes, TINY, log=lambda line: None)
    (row,) = rows
    for field in ("cell", "layers", "bidirectional", "seq_len", "batch", "masked", "backend",
                  "device", "tokens_per_s", "reference_tokens_per_s", "ratio"):
        assert field in row
    assert row["tokens_per_s"] == pytest.approx(32 / (row["step_ms"] / 1000))
    assert row["ratio"] == pytest.approx(row["tokens_per_s"] / row["reference_tokens_per_s"])


def test_merge_replaces_only_the_same_shape_backend_and_device():
    base = {"cell": "lstm", "layers": 1, "bidirectional": False, "seq_len": 100, "batch": 64,
            "masked": False, "length_aware": False, "backend": "jax", "device": "CPU (2 cores)",
            "tokens_per_s": 1.0}
    other_backend = {**base, "backend": "torch"}
    newer = {**base, "tokens_per_s": 2.0}
    merged = bench.merge_rows([base, other_backend], [newer])
    assert len(merged) == 2
    assert {r["backend"]: r["tokens_per_s"] for r in merged} == {"jax": 2.0, "torch": 1.0}


def _row(backend, cell, speed):
    return {"cell": cell, "layers": 1, "bidirectional": False, "seq_len": 100, "batch": 64,
            "masked": False, "length_aware": False, "backend": backend, "device": "GPU",
            "tokens_per_s": speed}


def test_fastest_setting_uses_the_geometric_mean_over_common_shapes():
    rows = [_row("jax", "gru", 100.0), _row("jax", "lstm", 400.0),  # geometric mean 200
            _row("torch", "gru", 300.0), _row("torch", "lstm", 120.0),  # 189.7
            _row("torch", "simple", 1e9)]  # only torch ran it: ignored
    assert bench.fastest_setting(rows) == ("jax", "float32")
    with pytest.raises(ValueError, match="share no shape"):
        bench.fastest_setting([_row("jax", "gru", 1.0), _row("torch", "lstm", 1.0)])
    with pytest.raises(ValueError, match="no bench rows"):
        bench.fastest_setting([])


def test_length_aware_rows_train_and_are_rows_of_their_own():
    masked = bench.BenchShape("lstm", 2, True, seq_len=10, batch=8, masked=True)
    length_aware = bench.BenchShape("lstm", 2, True, seq_len=10, batch=8, masked=True,
                                    length_aware=True)
    step = bench.keras_step(length_aware, TINY)
    losses = [step() for _ in range(30)]
    assert losses[-1] < losses[0]
    assert bench.merge_rows([{**_row("jax", "lstm", 1.0), **bench.asdict(masked)}],
                            [{**_row("jax", "lstm", 2.0), **bench.asdict(length_aware)}])[0][
        "tokens_per_s"] == 1.0  # a length-aware row is a different row, not a replacement


def test_fastest_setting_weighs_precision_like_a_backend():
    rows = [_row("jax", "gru", 100.0), _row("jax", "lstm", 400.0),  # float32: 200
            {**_row("jax", "gru", 150.0), "precision": "mixed_float16"},
            {**_row("jax", "lstm", 500.0), "precision": "mixed_float16"},  # 273.9
            _row("torch", "gru", 300.0), _row("torch", "lstm", 120.0)]  # 189.7
    assert bench.fastest_setting(rows) == ("jax", "mixed_float16")
    float32 = [r for r in rows if bench.row_precision(r) == "float32"]
    assert bench.fastest_setting(float32) == ("jax", "float32")
    # a mixed row is not a replacement for the float32 row of the same shape
    merged = bench.merge_rows(rows[:2], rows[2:4])
    assert len(merged) == 4


@pytest.mark.parametrize("precision", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_rows_train_record_their_policy_and_restore_it(precision):
    import keras

    shape = bench.BenchShape("gru", 1, False, seq_len=8, batch=4, masked=False)
    (row,) = bench.run_bench([shape], TINY, precision=precision, log=lambda line: None)
    assert row["precision"] == precision
    assert math.isfinite(row["tokens_per_s"]) and math.isfinite(row["reference_tokens_per_s"])
    assert keras.mixed_precision.global_policy().name == "float32"
    step = bench.torch_reference_step(shape, TINY, precision)
    losses = [step() for _ in range(30)]
    assert losses[-1] < losses[0]


def test_unknown_precision_is_named():
    shape = bench.BenchShape("gru", 1, False, seq_len=8, batch=4, masked=False)
    with pytest.raises(ValueError, match="precision must be one of"):
        bench.run_bench([shape], TINY, precision="float16", log=lambda line: None)


def test_a_shape_one_side_cannot_run_is_recorded_not_fatal(monkeypatch):
    shapes = [bench.BenchShape("gru", 1, False, seq_len=8, batch=4, masked=False),
              bench.BenchShape("lstm", 1, False, seq_len=8, batch=4, masked=False)]

    def no_lstm_reference(shape, size, precision="float32"):
        if shape.cell == "lstm":
            raise RuntimeError("could not create a primitive descriptor\nmore detail")
        return original(shape, size, precision)

    original = bench.torch_reference_step
    monkeypatch.setattr(bench, "torch_reference_step", no_lstm_reference)
    lines = []
    rows = bench.run_bench(shapes, TINY, log=lines.append)
    assert [r["cell"] for r in rows] == ["gru", "lstm"]
    assert rows[1]["ratio"] is None and rows[1]["reference_tokens_per_s"] is None
    assert rows[1]["reference_error"] == "RuntimeError: could not create a primitive descriptor"
    assert "reference_error" not in rows[0]

    def broken_keras(shape, size):
        raise ValueError("no kernel for this shape")

    monkeypatch.setattr(bench, "keras_step", broken_keras)
    lines.clear()
    assert bench.run_bench(shapes[:1], TINY, log=lines.append) == []
    assert "skipped" in lines[0] and "ValueError: no kernel for this shape" in lines[0]
