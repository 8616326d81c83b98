"""CRF forward algorithm, path score and Viterbi against brute-force enumeration."""

import itertools

import keras
import numpy as np
import pytest

from rnnbook.layers import CRF, crf_log_partition, crf_sequence_score, crf_viterbi_decode

B, T, K = 3, 4, 3


@pytest.fixture
def crf_inputs():
    rng = np.random.default_rng(0)
    potentials = rng.normal(size=(B, T, K)).astype("float32")
    transitions = rng.normal(size=(K, K)).astype("float32")
    start = rng.normal(size=(K,)).astype("float32")
    end = rng.normal(size=(K,)).astype("float32")
    return potentials, transitions, start, end


def _path_score(e, trans, start, end, path):
    s = start[path[0]] + e[0, path[0]] + end[path[-1]]
    for t in range(1, len(path)):
        s += trans[path[t - 1], path[t]] + e[t, path[t]]
    return s


def _brute_force(e, trans, start, end, length):
    paths = list(itertools.product(range(K), repeat=length))
    scores = np.array([_path_score(e, trans, start, end, p) for p in paths])
    log_z = np.log(np.sum(np.exp(scores - scores.max()))) + scores.max()
    return log_z, paths[int(np.argmax(scores))], scores.max()


def _np(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize("lengths", [(T, T, T), (T, 2, 1)], ids=["no-mask", "mask"])
def test_crf_matches_brute_force(crf_inputs, lengths):
    potentials, trans, start, end = crf_inputs
    mask = np.arange(T)[None, :] < np.array(lengths)[:, None]
    use_mask = None if min(lengths) == T else mask
    log_z = _np(crf_log_partition(potentials, trans, start, end, use_mask))
    tags, best = crf_viterbi_decode(potentials, trans, start, end, use_mask)
    tags, best = _np(tags), _np(best)
    rng = np.random.default_rng(1)
    gold = rng.integers(0, K, size=(B, T)) * mask
    score = _np(crf_sequence_score(potentials, gold, trans, start, end, use_mask))
    for b, length in enumerate(lengths):
        exp_z, exp_path, exp_best = _brute_force(potentials[b], trans, start, end, length)
        np.testing.assert_allclose(log_z[b], exp_z, rtol=1e-5, atol=1e-5)
        assert tuple(tags[b, :length]) == exp_path
        assert not tags[b, length:].any()
        np.testing.assert_allclose(best[b], exp_best, rtol=1e-5, atol=1e-5)
        exp_score = _path_score(potentials[b], trans, start, end, gold[b, :length])
        np.testing.assert_allclose(score[b], exp_score, rtol=1e-5, atol=1e-5)


def test_crf_probabilities_sum_to_one(crf_inputs):
    potentials, trans, start, end = crf_inputs
    log_z = _np(crf_log_partition(potentials[:1, :2], trans, start, end))[0]
    total = sum(
        np.exp(_path_score(potentials[0], trans, start, end, p) - log_z)
        for p in itertools.product(range(K), repeat=2)
    )
    np.testing.assert_allclose(total, 1.0, rtol=1e-5)


def test_crf_layer_is_identity_and_serialisable(crf_inputs):
    potentials, trans, start, end = crf_inputs
    layer = CRF(K)
    out = _np(layer(potentials))
    np.testing.assert_array_equal(out, potentials)
    layer.transitions.assign(trans)
    layer.start_transitions.assign(start)
    layer.end_transitions.assign(end)
    expected = _np(crf_log_partition(potentials, trans, start, end))
    np.testing.assert_allclose(_np(layer.log_partition(potentials)), expected, rtol=1e-6)
    nll = float(_np(layer.nll(potentials, np.zeros((B, T), "int32"))))
    assert nll > 0
    assert CRF.from_config(layer.get_config()).num_tags == K


def test_crf_rejects_bad_num_tags():
    with pytest.raises(ValueError, match="num_tags` must be a positive integer"):
        CRF(0)


def test_crf_handles_a_batch_of_one_token_sentences(crf_inputs):
    """CoNLL-2003 test has 33 one-token sentences: a batch of them has T = 1."""
    potentials, trans, start, end = crf_inputs
    one = potentials[:, :1]
    tags, best = crf_viterbi_decode(one, trans, start, end, np.ones((B, 1), bool))
    log_z = _np(crf_log_partition(one, trans, start, end))
    for b in range(B):
        exp_z, exp_path, exp_best = _brute_force(potentials[b], trans, start, end, 1)
        assert _np(tags)[b, 0] == exp_path[0]
        np.testing.assert_allclose(_np(best)[b], exp_best, rtol=1e-5)
        np.testing.assert_allclose(log_z[b], exp_z, rtol=1e-5)


def _left_pad(x, lengths, total):
    """Move each row's first `length` steps to the end of a `total`-step zero array."""
    out = np.zeros((x.shape[0], total) + x.shape[2:], dtype=x.dtype)
    for b, length in enumerate(lengths):
        out[b, total - length:] = x[b, :length]
    return out


def test_crf_gives_the_same_answers_for_left_and_right_padding(crf_inputs):
    potentials, trans, start, end = crf_inputs
    lengths = (T, 2, 1)
    right = np.arange(T)[None, :] < np.array(lengths)[:, None]
    gold = np.random.default_rng(2).integers(0, K, size=(B, T)) * right
    total = T + 2
    left = _left_pad(right, lengths, total)
    pot_left, gold_left = _left_pad(potentials, lengths, total), _left_pad(gold, lengths, total)
    pot_left[~left] = 5.0  # garbage at padded steps must not matter
    np.testing.assert_allclose(
        _np(crf_log_partition(pot_left, trans, start, end, left)),
        _np(crf_log_partition(potentials, trans, start, end, right)), rtol=1e-5)
    np.testing.assert_allclose(
        _np(crf_sequence_score(pot_left, gold_left, trans, start, end, left)),
        _np(crf_sequence_score(potentials, gold, trans, start, end, right)), rtol=1e-5)
    tags_l, best_l = crf_viterbi_decode(pot_left, trans, start, end, left)
    tags_r, best_r = crf_viterbi_decode(potentials, trans, start, end, right)
    np.testing.assert_array_equal(_np(tags_l), _left_pad(_np(tags_r), lengths, total))
    np.testing.assert_allclose(_np(best_l), _np(best_r), rtol=1e-5)


def test_crf_skips_masked_steps_inside_a_sentence(crf_inputs):
    """A hole in the mask: the path joins the real steps on both sides of it."""
    potentials, trans, start, end = crf_inputs
    mask = np.array([[True, False, True, True]] * B)
    kept = potentials[:, [0, 2, 3]]
    log_z = _np(crf_log_partition(potentials, trans, start, end, mask))
    tags, _ = crf_viterbi_decode(potentials, trans, start, end, mask)
    for b in range(B):
        exp_z, exp_path, _ = _brute_force(kept[b], trans, start, end, 3)
        np.testing.assert_allclose(log_z[b], exp_z, rtol=1e-5)
        assert tuple(_np(tags)[b, [0, 2, 3]]) == exp_path and _np(tags)[b, 1] == 0


def test_crf_row_without_real_steps_scores_zero(crf_inputs):
    potentials, trans, start, end = crf_inputs
    mask = np.array([[True] * T, [False] * T, [True, True, False, False]])
    log_z = _np(crf_log_partition(potentials, trans, start, end, mask))
    tags, best = crf_viterbi_decode(potentials, trans, start, end, mask)
    assert log_z[1] == 0.0 and _np(best)[1] == 0.0 and not _np(tags)[1].any()
