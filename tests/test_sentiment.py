"""Length buckets, bucketed prediction, the schedule and the accuracy intervals."""

import keras
import numpy as np
import pytest

from rnnbook.models import build_classifier
from rnnbook.sentiment import (
    ReviewBuckets,
    accuracy_by_length,
    binomial_interval,
    paired_bootstrap_difference,
    predict_bucketed,
    warmup_cosine,
)


def _reviews(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(1, 40, size=int(rng.integers(1, 300))) for _ in range(n)]


def test_buckets_cover_every_review_once_and_pad_less():
    ids = _reviews()
    labels = np.arange(len(ids))
    data = ReviewBuckets(ids, labels, batch_size=16, pad_to=8, pool_batches=4, seed=1)
    seen = []
    for i in range(len(data)):
        x, y = data[i]
        assert x.shape[1] % 8 == 0 and x.shape[1] >= max(len(ids[j]) for j in y)
        for row, j in zip(x, y, strict=True):  # each row is its review, right-padded
            np.testing.assert_array_equal(row[: len(ids[j])], ids[j])
            assert not row[len(ids[j]):].any()
        seen += list(y)
    assert sorted(seen) == list(range(len(ids)))
    padded_to_longest = len(ids) * max(len(r) for r in ids)
    assert data.real_tokens <= data.padded_tokens < 0.7 * padded_to_longest
    first = [tuple(b) for b in data.batches]
    data.on_epoch_end()
    assert [tuple(b) for b in data.batches] != first  # reshuffled every epoch
    assert data[0][0].shape[1] != data[1][0].shape[1]  # Keras keeps the time axis open


def test_buckets_max_len_keeps_the_end_and_bad_input_is_named():
    data = ReviewBuckets([[1, 2, 3, 4, 5]], batch_size=4, max_len=2, pad_to=1)
    np.testing.assert_array_equal(data[0][0], [[4, 5]])
    with pytest.raises(ValueError, match="review 1 contains id 0"):
        ReviewBuckets([[1, 2], [3, 0]])
    with pytest.raises(ValueError, match="review 0 has no token ids"):
        ReviewBuckets([[]])
    with pytest.raises(ValueError, match="not a padded 2-D array"):
        ReviewBuckets(np.ones((2, 3), int))
    with pytest.raises(ValueError, match="2 reviews but 1 labels"):
        ReviewBuckets([[1], [2]], [0])


def test_predict_bucketed_returns_input_order_and_matches_padded_batch():
    keras.utils.set_random_seed(0)
    ids = _reviews(60)
    model = build_classifier(40, embedding_dim=4, units=3, bidirectional=True,
                             pooling="max_mean")
    got = predict_bucketed(model, ids, batch_size=16)
    padded = np.zeros((len(ids), 300), np.int32)
    for i, r in enumerate(ids):
        padded[i, : len(r)] = r
    expected = keras.ops.convert_to_numpy(model(padded)).ravel()
    assert got.shape == (60,)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_warmup_cosine_rises_then_decays():
    schedule = warmup_cosine(1e-2, 100, warmup_fraction=0.1, final_fraction=0.02)
    lr = [float(keras.ops.convert_to_numpy(schedule(s))) for s in (0, 10, 55, 100)]
    assert lr[0] == pytest.approx(1e-3)
    assert lr[1] == pytest.approx(1e-2)
    assert lr[1] > lr[2] > lr[3]
    assert lr[3] == pytest.approx(2e-4, rel=1e-3)


def test_binomial_interval_hand_computed():
    ci = binomial_interval([True] * 80 + [False] * 20)
    # Wilson 95 %: p = 0.8, n = 100 -> [0.7112, 0.8666]
    assert ci.value == pytest.approx(0.8)
    assert (ci.low, ci.high) == pytest.approx((0.7112, 0.8666), abs=1e-4)
    with pytest.raises(ValueError, match="no items"):
        binomial_interval([])


def test_paired_bootstrap_difference_resolves_only_real_differences():
    rng = np.random.default_rng(0)
    a = rng.random(5000) < 0.90
    b = a.copy()
    flip = rng.choice(5000, 250, replace=False)
    b[flip] = ~b[flip]  # b loses mostly where a was right
    diff = paired_bootstrap_difference(a, b)
    assert diff.value == pytest.approx(a.mean() - b.mean())
    assert diff.low <= diff.value <= diff.high and diff.excludes_zero()
    same = paired_bootstrap_difference(a, a)
    assert same.value == 0 and not same.excludes_zero()
    with pytest.raises(ValueError, match="same non-zero number"):
        paired_bootstrap_difference(a, b[:10])


def test_accuracy_by_length_buckets():
    rows = accuracy_by_length([1, 0, 1, 1], [10, 20, 200, 900], [0, 100, 500])
    assert [label for label, _ in rows] == ["0–99", "100–499", "500+"]
    assert [ci.value for _, ci in rows] == [0.5, 1.0, 1.0]
    assert [ci.n for _, ci in rows] == [2, 1, 1]
