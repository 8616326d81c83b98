"""Tests for rnnbook.training.fit (tiny models; run under tensorflow and torch backends)."""

import json

import keras
import numpy as np
import pytest

from rnnbook.training import (
    FitResult,
    ThroughputCallback,
    compile_for_training,
    count_tokens,
    fit,
)

X = np.linspace(-1, 1, 16, dtype="float32")[:, None]
XY = (X, X.copy())


def linear_model(lr: float = 0.0) -> keras.Model:
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse")
    return model


class SetKernel(keras.callbacks.Callback):
    """Before each epoch, set the single weight from a schedule (lr=0 keeps it there)."""

    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        self.model.layers[0].kernel.assign([[self.schedule[epoch]]])


def weight(model) -> float:
    return float(keras.ops.convert_to_numpy(model.layers[0].kernel)[0, 0])


def test_loss_falls_and_throughput_is_reported():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 10, (64, 6))
    model = keras.Sequential([keras.Input((6,), dtype="int32"), keras.layers.Embedding(10, 8),
                              keras.layers.SimpleRNN(8, return_sequences=True),
                              keras.layers.Dense(10)])
    compile_for_training(model, keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                         learning_rate=0.05, metrics=["accuracy"])
    result = fit(model, (x, x), (x[:16], x[:16]), epochs=4, batch_size=16, seed=1)
    assert isinstance(result, FitResult)
    loss = result.history["loss"]
    assert len(loss) == 4 == result.epochs_run == result.total_epochs
    assert loss[-1] < loss[0]
    assert set(result.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert result.tokens_per_s is not None and result.tokens_per_s > 0
    assert result.wall_time_s > 0 and len(result.epoch_times_s) == 4
    assert "best val_loss" in result.summary()


@pytest.mark.parametrize("use_file", [False, True])
def test_best_weights_restored_and_early_stopping(tmp_path, use_file):
    model = linear_model()
    ckpt = tmp_path / "run" / "best.weights.h5" if use_file else None
    result = fit(model, XY, XY, epochs=6, checkpoint_path=ckpt, early_stopping_patience=2,
                 callbacks=[SetKernel([5.0, 1.5, 3.0, 4.0, 6.0, 7.0])])
    assert result.best_epoch == 2 and result.stopped_early and result.epochs_run == 4
    assert weight(model) == pytest.approx(1.5)
    assert model.evaluate(X, X, verbose=0) == pytest.approx(result.best_value, rel=1e-5)
    assert result.history["val_loss"][1] == pytest.approx(result.best_value)
    if use_file:
        names = sorted(p.name for p in ckpt.parent.iterdir())
        assert names == ["best.backup", "best.state.json", "best.weights.h5"]


def test_checkpoint_write_is_atomic(tmp_path):
    ckpt = tmp_path / "best.weights.h5"
    model = linear_model()
    fit(model, XY, XY, epochs=1, checkpoint_path=ckpt, callbacks=[SetKernel([2.0])])
    before = ckpt.read_bytes()

    def broken_save(path, *args, **kwargs):
        with open(path, "wb") as fh:
            fh.write(b"half a checkpoint")
        raise OSError("disk full")

    model.save_weights = broken_save
    with pytest.raises(OSError, match="disk full"):
        fit(model, XY, XY, epochs=1, checkpoint_path=ckpt, callbacks=[SetKernel([1.0])])
    assert ckpt.read_bytes() == before
    # the failed run started afresh (resume=False): the first run's backup and state are gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.weights.h5"]
    fresh = linear_model()
    fresh.load_weights(ckpt)
    assert weight(fresh) == pytest.approx(2.0)


class Crash(keras.callbacks.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise RuntimeError("simulated crash")


class Recorder(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = [np.array(w) for w in self.model.get_weights()]
        self.iterations = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))


def test_resume_continues_from_saved_epoch(tmp_path):
    ckpt = tmp_path / "lm.weights.h5"
    first = linear_model(lr=0.1)
    first.layers[0].kernel.assign([[3.0]])
    with pytest.raises(RuntimeError, match="simulated crash"):
        fit(first, XY, XY, epochs=4, batch_size=8, checkpoint_path=ckpt, callbacks=[Crash(2)])
    state = json.loads((tmp_path / "lm.state.json").read_text())
    assert state["epoch"] == 2 and len(state["history"]["loss"]) == 2
    interrupted_weights = first.get_weights()

    second = linear_model(lr=0.1)
    recorder = Recorder()
    result = fit(second, XY, XY, epochs=4, batch_size=8, checkpoint_path=ckpt, resume=True,
                 callbacks=[recorder])
    np.testing.assert_allclose(recorder.weights[0], interrupted_weights[0])
    assert recorder.iterations == 2 * 2  # optimizer state restored: 2 epochs x 2 batches
    assert result.initial_epoch == 2 and result.epochs_run == 2
    assert len(result.history["loss"]) == 4
    assert result.history["loss"][:2] == state["history"]["loss"]
    assert result.history["loss"][3] < result.history["loss"][0]
    # everything done: resuming again trains nothing and restores the best weights
    again = fit(linear_model(lr=0.1), XY, XY, epochs=4, checkpoint_path=ckpt, resume=True)
    assert again.epochs_run == 0 and again.best_epoch == result.best_epoch


XS = np.linspace(-1, 3, 16, dtype="float32")[:, None]


class Batches(keras.utils.PyDataset):
    """Batches in an order it redraws from its own generator at every epoch end."""

    def __init__(self):
        super().__init__()
        self.rng = np.random.default_rng(7)
        self.order = self.rng.permutation(16)

    def __len__(self):
        return 4

    def __getitem__(self, i):
        rows = self.order[4 * i:4 * i + 4]
        return XS[rows], 3 * XS[rows] + 1

    def on_epoch_end(self):
        self.order = self.rng.permutation(16)


@pytest.mark.parametrize("data", ["arrays", "pydataset"])
def test_resume_continues_the_data_order(tmp_path, data):
    """An interrupted and resumed run ends with the weights of one that ran through: SGD on
    y = 3x + 1 with batches of 4 lands elsewhere if an epoch sees other batches or another
    order (the kernel's and bias' updates do not commute)."""

    def run(ckpt, epochs, resume=False, callbacks=()):
        dense = keras.layers.Dense(1, kernel_initializer="ones")
        model = keras.Sequential([keras.Input((1,)), dense])
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
        train = (XS, 3 * XS + 1) if data == "arrays" else Batches()
        kwargs = {"batch_size": 4} if data == "arrays" else {}
        result = fit(model, train, epochs=epochs, checkpoint_path=ckpt, resume=resume, seed=5,
                     restore_best=False, callbacks=callbacks, **kwargs)
        return model, result

    straight, _ = run(tmp_path / "a" / "m.weights.h5", 4)
    ckpt = tmp_path / "b" / "m.weights.h5"
    with pytest.raises(RuntimeError, match="simulated crash"):
        run(ckpt, 4, callbacks=[Crash(2)])
    resumed, result = run(ckpt, 4, resume=True)
    assert result.initial_epoch == 2 and result.epochs_run == 2
    for got, expected in zip(resumed.get_weights(), straight.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-6)
    # a later fit of the same model starts at epoch 1 again (Keras' restored epoch is not kept)
    again = fit(resumed, (XS, 3 * XS + 1), epochs=1, batch_size=4)
    assert again.initial_epoch == 0 and again.epochs_run == 1


def test_epoch_order_differs_between_epochs_and_is_seeded():
    from rnnbook.training import _EpochOrder

    order = _EpochOrder((XS, XS), batch_size=4, seed=3, epochs=3)
    assert len(order) == 12 and order.steps_per_epoch == 4
    first, third = order.order(0).copy(), order.order(2).copy()
    assert sorted(first) == list(range(16)) and not np.array_equal(first, third)
    x, _ = order[9]  # epoch 2, batch 1
    np.testing.assert_array_equal(x, XS[third[4:8]])
    order.start_epoch = 2  # a run resumed at epoch 2 starts with epoch 2's order
    np.testing.assert_array_equal(order[1][0], XS[third[4:8]])
    np.testing.assert_array_equal(_EpochOrder((XS, XS), 4, 3, 3).order(2), third)


def test_resume_after_early_stop_trains_nothing(tmp_path):
    ckpt = tmp_path / "m.weights.h5"
    first = fit(linear_model(), XY, XY, epochs=6, checkpoint_path=ckpt, early_stopping_patience=2,
                callbacks=[SetKernel([5.0, 1.5, 3.0, 4.0, 6.0, 7.0])])
    assert first.stopped_early and first.epochs_run == 4
    model = linear_model()
    again = fit(model, XY, XY, epochs=6, checkpoint_path=ckpt, resume=True,
                early_stopping_patience=2)
    assert again.epochs_run == 0 and again.stopped_early and again.best_epoch == 2
    assert weight(model) == pytest.approx(1.5)


def test_terminate_on_nan_stops():
    x = X.copy()
    x[3] = np.nan
    result = fit(linear_model(0.1), (x, X), epochs=5, batch_size=4)
    assert result.stopped_on_nan and result.epochs_run == 1
    assert result.monitor == "loss" and result.best_epoch is None


def test_dataset_input_and_verbose_line(capsys):
    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            x = np.full((4, 5), i + 1, "int32")
            return x, np.zeros((4, 5, 1), "float32")

    model = keras.Sequential([keras.Input((5,), dtype="int32"), keras.layers.Embedding(3, 2),
                              keras.layers.Dense(1)])
    compile_for_training(model, "mse", learning_rate=0.01, clipnorm=1.0)
    result = fit(model, Batches(), epochs=2, verbose=1)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and out[0].startswith("epoch 1/2 - loss ") and out[0].endswith("*")
    assert result.tokens_per_s > 0


def test_clipnorm_is_applied_and_can_change_between_runs():
    model = linear_model(1.0)
    model.layers[0].kernel.assign([[-5.0]])
    fit(model, XY, epochs=1, batch_size=16, clipnorm=0.01, shuffle=False)
    assert model.optimizer.clipnorm == 0.01
    assert weight(model) == pytest.approx(-5.0 + 0.01, abs=1e-6)
    fit(model, XY, epochs=1, batch_size=16, clipnorm=0.02, shuffle=False)
    assert weight(model) == pytest.approx(-5.0 + 0.03, abs=1e-6)
    global_clipped = linear_model()
    compile_for_training(global_clipped, "mse", global_clipnorm=1.0)
    with pytest.raises(ValueError, match="clipnorm"):
        fit(global_clipped, XY, epochs=1, clipnorm=0.5)


def test_count_tokens_and_throughput_callback():
    assert count_tokens(np.zeros((8, 12))) == 96
    assert count_tokens([np.zeros((8, 12, 3)), np.zeros((8, 4))]) == 96
    assert count_tokens({"a": np.zeros(5)}) == 5
    cb = ThroughputCallback(tokens_per_batch=10)
    cb.on_epoch_begin(0)
    cb.on_train_batch_end(0)
    cb.on_train_batch_end(1)
    cb.on_epoch_end(0)
    assert cb.tokens == [20] and cb.overall_tokens_per_s > 0


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": 1, "verbose": 2}, "verbose"),
        ({"epochs": 1, "checkpoint_path": "best.h5"}, "checkpoint_path"),
        ({"epochs": 1, "resume": True}, "checkpoint_path"),
        ({"epochs": 1, "early_stopping_patience": 0}, "early_stopping_patience"),
        ({"epochs": 1, "mode": "up"}, "mode"),
    ],
)
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        fit(linear_model(), XY, **kwargs)


def test_uncompiled_model_is_rejected():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="compiled"):
        fit(model, XY, epochs=1)


def test_backend_native_datasets():
    backend = keras.backend.backend()
    if backend == "tensorflow":
        tf = pytest.importorskip("tensorflow")
        data = tf.data.Dataset.from_tensor_slices(XY).batch(8)
    elif backend == "torch":
        torch = pytest.importorskip("torch")
        tensors = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(X))
        data = torch.utils.data.DataLoader(tensors, batch_size=8)
    else:
        pytest.skip(f"no native dataset test for {backend}")
    result = fit(linear_model(0.1), data, data, epochs=2)
    assert result.epochs_run == 2 and "val_loss" in result.history
    assert result.tokens_per_s > 0  # 8 positions per batch, measured from the first batch
