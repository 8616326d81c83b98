"""Tests for rnnbook.lm_data: next-token windows as arrays and as a Keras PyDataset."""

import keras
import numpy as np
import pytest

from rnnbook.lm_data import ContiguousStreams, NextTokenWindows, next_token_windows
from rnnbook.training import compile_for_training, fit

IDS = np.arange(50)


def test_windows_shift_targets_by_one():
    x, y = next_token_windows(IDS, 10)
    assert x.shape == y.shape == (4, 10)  # 4 windows of 11 ids fit in 50 (stride 10)
    assert x.dtype == np.int32
    np.testing.assert_array_equal(x[1], np.arange(10, 20))
    np.testing.assert_array_equal(y[1], np.arange(11, 21))
    x, y = next_token_windows(IDS, 10, stride=5, offset=3)
    assert x[0, 0] == 3 and x[1, 0] == 8 and y[-1, -1] <= 49
    assert next_token_windows(np.arange(11), 10)[0].shape == (1, 10)


def test_windows_bad_arguments():
    with pytest.raises(ValueError, match="too few"):
        next_token_windows(np.arange(10), 10)
    with pytest.raises(ValueError, match="`seq_len` must be a positive integer"):
        next_token_windows(IDS, 0)
    with pytest.raises(ValueError, match="1-D"):
        next_token_windows(np.zeros((3, 3), int), 2)
    with pytest.raises(ValueError, match="offset"):
        next_token_windows(IDS, 5, offset=-1)


def test_dataset_fixed_layout_equals_the_arrays():
    ds = NextTokenWindows(IDS, 10, 3, shuffle=False, random_offset=False, drop_remainder=False)
    x, y = next_token_windows(IDS, 10)
    assert len(ds) == 2 and ds.num_batches == 2 and ds.tokens_per_batch == 30
    got_x = np.concatenate([ds[i][0] for i in range(len(ds))])
    got_y = np.concatenate([ds[i][1] for i in range(len(ds))])
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_y, y)
    ds.on_epoch_end()
    np.testing.assert_array_equal(ds[0][0], x[:3])
    with pytest.raises(IndexError):
        ds[2]


def test_dataset_redraws_offset_and_order_each_epoch():
    ids = np.arange(1000)
    ds = NextTokenWindows(ids, 10, 8, seed=0)
    assert len(ds) == (999 - 9) // 10 // 8
    seen = set()
    for _ in range(6):
        for i in range(len(ds)):
            x, y = ds[i]
            assert x.shape == y.shape == (8, 10)
            np.testing.assert_array_equal(y, x + 1)  # consecutive ids, shifted by one
            assert y.max() < 1000
        seen.add((ds.offset, tuple(ds.order[:5])))
        ds.on_epoch_end()
    assert len(seen) > 1
    again = NextTokenWindows(ids, 10, 8, seed=0)
    first = NextTokenWindows(ids, 10, 8, seed=0)
    np.testing.assert_array_equal(again[0][0], first[0][0])


def test_dataset_too_small():
    with pytest.raises(ValueError, match="not enough for one batch"):
        NextTokenWindows(np.arange(30), 10, 8)


def test_fit_trains_on_the_dataset():
    keras.utils.set_random_seed(0)
    ids = np.tile(np.arange(6), 200)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(6, 8),
                              keras.layers.Dense(6)])
    compile_for_training(model, keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                         learning_rate=0.05)
    train = NextTokenWindows(ids, 12, 4, seed=1)
    val = NextTokenWindows(ids[:200], 12, 4, shuffle=False, random_offset=False,
                           drop_remainder=False)
    result = fit(model, train, val, epochs=3, tokens_per_batch=train.tokens_per_batch)
    assert result.history["val_loss"][-1] < result.history["val_loss"][0]
    assert result.best_value < 0.5  # the next id is a function of the current one
    assert result.tokens_per_s and result.tokens_per_s > 0


# --------------------------------------------------------------------------- stateful streams
def test_streams_continue_row_by_row():
    ids = np.arange(1000)
    ds = ContiguousStreams(ids, 4, 10)
    assert ds.stream_len == 999 // 4 and len(ds) == ds.stream_len // 10
    assert ds.scored_tokens == len(ds) * 40 and ds.tokens_per_batch == 40
    for i in range(1, len(ds)):
        prev_x, prev_y = ds[i - 1]
        x, y = ds[i]
        assert x.shape == y.shape == (4, 10) and x.dtype == np.int32
        np.testing.assert_array_equal(y, x + 1)  # targets: the same text shifted by one
        # row j of batch i starts right where row j of batch i-1 ended
        np.testing.assert_array_equal(x[:, 0], prev_x[:, -1] + 1)
        np.testing.assert_array_equal(x[:, 0], prev_y[:, -1])
    # rows are disjoint streams in text order, each starting stream_len after the previous one
    np.testing.assert_array_equal(ds[0][0][:, 0], np.arange(4) * ds.stream_len)
    assert ds[len(ds) - 1][1].max() <= 999
    with pytest.raises(IndexError):
        ds[len(ds)]


def test_streams_read_every_token_once():
    ids = np.arange(401)  # 4 streams of exactly 100 inputs (+1 for the last target)
    ds = ContiguousStreams(ids, 4, 20)
    xs = np.concatenate([ds[i][0] for i in range(len(ds))], axis=1)
    assert xs.shape == (4, 100)
    np.testing.assert_array_equal(xs.reshape(-1), np.arange(400))


@pytest.mark.parametrize("random_offset", [False, True])
def test_streams_target_positions_index_every_target(random_offset):
    ids = np.arange(1000, 1000 + 3 * 17 + 5)
    data = ContiguousStreams(ids, 3, 4, random_offset=random_offset, seed=2)
    targets = np.concatenate([data[i][1] for i in range(len(data))], axis=1)
    positions = data.target_positions()
    assert positions.shape == targets.shape == (3, len(data) * 4)
    np.testing.assert_array_equal(ids[positions], targets)


def test_streams_random_offset_moves_the_cuts_not_the_length():
    ids = np.arange(2000)
    ds = ContiguousStreams(ids, 4, 10, random_offset=True, seed=0)
    n = len(ds)
    offsets = set()
    for _ in range(8):
        offsets.add(ds.offset)
        assert 0 <= ds.offset < 10 and len(ds) == n
        x, y = ds[n - 1]
        assert y.max() <= 1999
        np.testing.assert_array_equal(ds[1][0][:, 0], ds[0][0][:, -1] + 1)
        ds.on_epoch_end()
    assert len(offsets) > 1
    fixed = ContiguousStreams(ids, 4, 10)
    fixed.on_epoch_end()
    assert fixed.offset == 0


def test_streams_bad_arguments():
    with pytest.raises(ValueError, match="too few"):
        ContiguousStreams(np.arange(30), 4, 10)
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer"):
        ContiguousStreams(IDS, 0, 5)
    with pytest.raises(ValueError, match="1-D"):
        ContiguousStreams(np.zeros((3, 30), int), 2, 5)
