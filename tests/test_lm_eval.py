"""Block-bootstrap intervals for language-model losses, and the nucleus filter."""

import numpy as np
import pytest

from rnnbook.decoding import sample_next, top_p_filter
from rnnbook.lm_eval import loss_interval, paired_loss_difference


def test_loss_interval_covers_the_mean_and_narrows_with_more_text():
    rng = np.random.default_rng(0)
    small = rng.normal(1.5, 1.0, size=(4, 2_000))
    large = rng.normal(1.5, 1.0, size=(4, 50_000))
    mean, low, high = loss_interval(small, block=100)
    assert mean == pytest.approx(small.mean())
    assert low < mean < high and low < 1.5 < high
    _, low2, high2 = loss_interval(large, block=100)
    assert high2 - low2 < (high - low) / 3


def test_blocks_see_correlated_losses():
    """A slowly varying difficulty widens the interval when blocks are long enough to hold it."""
    rng = np.random.default_rng(1)
    drift = np.repeat(rng.normal(0, 1, size=200), 100)  # 200 passages of 100 tokens
    losses = 1.5 + drift + rng.normal(0, 0.1, size=drift.size)
    _, low1, high1 = loss_interval(losses, block=1)
    _, low100, high100 = loss_interval(losses, block=100)
    assert (high100 - low100) > 3 * (high1 - low1)


def test_paired_difference_sees_a_small_consistent_gain():
    rng = np.random.default_rng(2)
    base = rng.normal(1.5, 1.0, size=(2, 20_000))
    better = base - 0.01  # the same tokens, each 0.01 easier
    mean, low, high = paired_loss_difference(better, base, block=200)
    assert mean == pytest.approx(-0.01)
    assert high < 0  # unpaired, a 0.01 gain would drown in the 1.0 spread
    _, low_u, high_u = loss_interval(base, block=200)
    assert high_u - low_u > 0.01  # wider than the gain itself


def test_interval_bad_arguments():
    with pytest.raises(ValueError, match="same tokens"):
        paired_loss_difference(np.ones(10), np.ones(11))
    with pytest.raises(ValueError, match="block must be a positive integer"):
        loss_interval(np.ones(10), block=0)
    with pytest.raises(ValueError, match="confidence"):
        loss_interval(np.ones(10), block=2, confidence=1.5)


def test_top_p_filter_keeps_the_nucleus():
    logits = np.log(np.array([0.1, 0.6, 0.25, 0.05]))
    out = top_p_filter(logits, 0.7)  # 0.6 < 0.7, 0.6 + 0.25 reaches it
    assert np.isfinite(out).tolist() == [False, True, True, False]
    np.testing.assert_allclose(out[[1, 2]], logits[[1, 2]])
    assert np.isfinite(top_p_filter(logits, 0.01)).sum() == 1  # the top token always stays
    assert np.isfinite(top_p_filter(logits, 1.0)).all()
    batch = top_p_filter(np.stack([logits, logits[::-1]]), 0.7)
    assert np.isfinite(batch).tolist() == [[False, True, True, False], [False, True, True, False]]
    ids = sample_next(np.tile(out, (200, 1)), rng=0)
    assert set(ids.tolist()) <= {1, 2}
    with pytest.raises(ValueError, match="p must be in"):
        top_p_filter(logits, 0.0)


def test_a_stream_shorter_than_a_block_is_one_block():
    from rnnbook.lm_eval import loss_interval

    losses = np.arange(12, dtype=float).reshape(3, 4)  # 3 streams of 4 tokens, block 500
    mean, low, high = loss_interval(losses, block=500)
    assert mean == losses.mean() and low <= mean <= high
    assert loss_interval(losses, block=4) == (mean, low, high)  # the same three blocks
