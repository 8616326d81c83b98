"""Tests for rnnbook.decoding over hand-built step functions (no model needed)."""

from functools import partial

import numpy as np
import pytest

from rnnbook import decoding
from rnnbook.decoding import generate_text, sample_next

# The toy vocabularies here use ids 0-2 (<pad>, <unk>, <s> in a real Vocabulary) as ordinary
# tokens, so these tests ask for nothing to be banned; the tests of banning are below.
beam_search = partial(decoding.beam_search, banned_ids=())
greedy_decode = partial(decoding.greedy_decode, banned_ids=())

START, A, B, END = 0, 1, 2, 3


def markov_step(table):
    """Step function whose next-token distribution depends only on the fed token."""
    log_table = np.log(np.asarray(table, float))

    def step(tokens, state):
        return log_table[tokens], state

    return step


# from START: A is likelier than B, but A is rarely followed by END while B almost always is.
TRAP = [
    [1e-9, 0.6, 0.4, 1e-9],
    [1e-9, 0.3, 0.3, 0.4],
    [1e-9, 0.05, 0.05, 0.9],
    [0.25, 0.25, 0.25, 0.25],
]


class TinyRNN:
    """A random recurrent step function with a dict state (hidden state + per-example 'encoder')."""

    def __init__(self, vocab=7, dim=5, seed=0):
        rng = np.random.default_rng(seed)
        self.emb = rng.standard_normal((vocab, dim))
        self.rec = rng.standard_normal((dim, dim)) * 0.8
        self.out = rng.standard_normal((dim, vocab)) * 2.0
        self.calls = 0

    def initial_state(self, n, seed=1):
        rng = np.random.default_rng(seed)
        return {"h": rng.standard_normal((n, self.rec.shape[0])),
                "ctx": [rng.standard_normal((n, self.rec.shape[0]))]}

    def __call__(self, tokens, state):
        self.calls += 1
        assert tokens.dtype == np.int32 and tokens.ndim == 1
        h = np.tanh(state["h"] @ self.rec + self.emb[tokens] + state["ctx"][0])
        return h @ self.out, {"h": h, "ctx": state["ctx"]}


def test_beam_finds_higher_probability_sequence_than_greedy():
    step = markov_step(TRAP)
    assert greedy_decode(step, None, [START], max_len=5, end_id=END) == [[A]]
    best = beam_search(step, None, [START], beam_width=2, max_len=5, end_id=END, alpha=0.0)[0]
    assert best.tokens == [B] and best.finished
    assert best.log_prob == pytest.approx(np.log(0.4 * 0.9))
    all_hyps = beam_search(step, None, [START], beam_width=2, max_len=5, end_id=END,
                           return_all=True)[0]
    assert [h.tokens for h in all_hyps] == [[B], [A]]
    assert all_hyps[0].score >= all_hyps[1].score


def test_length_normalisation_is_gnmt():
    assert decoding.length_penalty(1, 0.0) == 1.0
    assert decoding.length_penalty(7, 1.0) == pytest.approx(2.0)
    step = markov_step(TRAP)
    best = beam_search(step, None, [START], beam_width=2, max_len=5, end_id=END, alpha=1.0)[0]
    assert best.score == pytest.approx(np.log(0.36) / ((5 + 2) / 6))


def test_beam_width_one_equals_greedy():
    model = TinyRNN()
    state = model.initial_state(4)
    starts = np.array([0, 1, 2, 3])
    greedy = greedy_decode(model, state, starts, max_len=8, end_id=1)
    beams = beam_search(model, state, starts, beam_width=1, max_len=8, end_id=1)
    assert [h.tokens for h in beams] == greedy
    assert any(len(g) < 8 for g in greedy)  # some examples stopped at the end token


def test_batched_beam_equals_per_example():
    model = TinyRNN(seed=3)
    state = model.initial_state(3, seed=4)
    starts = np.array([0, 5, 2])
    batched = beam_search(model, state, starts, beam_width=3, max_len=6, end_id=2,
                          return_all=True)
    for i in range(3):
        single_state = decoding.take_state(state, np.array([i]))
        single = beam_search(model, single_state, starts[i:i + 1], beam_width=3, max_len=6,
                             end_id=2, return_all=True)[0]
        assert [h.tokens for h in single] == [h.tokens for h in batched[i]]
        np.testing.assert_allclose([h.log_prob for h in single],
                                   [h.log_prob for h in batched[i]], rtol=1e-10)
    assert any(h.finished for hyps in batched for h in hyps)
    assert any(len(hyps) > 1 for hyps in batched)


def test_max_len_without_end_token():
    step = markov_step(TRAP)
    out = beam_search(step, None, [START, A], beam_width=3, max_len=3)
    assert all(len(h.tokens) == 3 and not h.finished for h in out)
    assert [len(t) for t in greedy_decode(step, None, [START], max_len=3)] == [3]


def test_take_state_pytrees():
    state = {"a": np.arange(6).reshape(3, 2), "b": (np.arange(3), [np.arange(3) * 10]), "c": None}
    out = decoding.take_state(state, np.array([2, 2, 0]))
    np.testing.assert_array_equal(out["a"], [[4, 5], [4, 5], [0, 1]])
    assert isinstance(out["b"], tuple) and isinstance(out["b"][1], list)
    np.testing.assert_array_equal(out["b"][1][0], [20, 20, 0])
    assert out["c"] is None


def test_temperature_to_zero_and_top_k_one_are_argmax():
    logits = np.random.default_rng(0).standard_normal((50, 9))
    np.testing.assert_array_equal(sample_next(logits, temperature=1e-4, rng=1),
                                  logits.argmax(-1))
    np.testing.assert_array_equal(sample_next(logits, top_k=1, rng=2), logits.argmax(-1))
    assert sample_next(logits[0], top_k=1, rng=3) == logits[0].argmax()


def test_sampling_frequencies_follow_tempered_softmax():
    logits = np.array([1.0, 2.0, 0.5, -1.0])
    temperature, n = 2.0, 20000
    ids = sample_next(np.tile(logits, (n, 1)), temperature=temperature, rng=123)
    freq = np.bincount(ids, minlength=4) / n
    expected = np.exp(logits / temperature) / np.exp(logits / temperature).sum()
    np.testing.assert_allclose(freq, expected, atol=0.02)


def test_top_k_only_samples_the_k_best():
    logits = np.array([0.0, 3.0, 2.9, 2.8, -1.0])
    ids = sample_next(np.tile(logits, (2000, 1)), temperature=5.0, top_k=2, rng=0)
    assert set(np.unique(ids)) == {1, 2}


def test_generate_text_step_count_and_determinism():
    model = TinyRNN()
    state = model.initial_state(1)
    out = generate_text(model, state, [4, 1, 2], 5, top_k=1, seed=0)
    assert out.shape == (5,) and model.calls == 3 + 5 - 1
    # top_k=1 continues exactly as greedy decoding from the last prime token
    model.calls = 0
    warm = state
    for t in (4, 1):
        _, warm = model(np.array([t], np.int32), warm)
    assert greedy_decode(model, warm, [2], max_len=5) == [out.tolist()]
    a = generate_text(model, state, [4, 1, 2], 6, temperature=0.8, seed=7)
    b = generate_text(model, state, [4, 1, 2], 6, temperature=0.8, seed=7)
    np.testing.assert_array_equal(a, b)
    batched = generate_text(model, model.initial_state(2), [[4, 1], [2, 2]], 4, seed=0)
    assert batched.shape == (2, 4)
    assert generate_text(model, state, [1], 0).shape == (0,)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda s: beam_search(s, None, [0], beam_width=0, max_len=3), "beam_width"),
        (lambda s: beam_search(s, None, [0], beam_width=2, max_len=0), "max_len"),
        (lambda s: greedy_decode(s, None, [0], max_len=-1), "max_len"),
        (lambda s: sample_next(np.zeros(3), temperature=0.0), "temperature"),
        (lambda s: sample_next(np.zeros(3), temperature=-1.0), "temperature"),
        (lambda s: sample_next(np.zeros(3), top_k=0), "top_k"),
        (lambda s: generate_text(s, None, [0], 3, temperature=0), "temperature"),
        (lambda s: generate_text(s, None, [0], 3, top_k=-2), "top_k"),
        (lambda s: generate_text(s, None, [], 3), "prime_ids"),
        (lambda s: beam_search(s, None, [0], beam_width=2, max_len=3, alpha=-1), "alpha"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call(markov_step(TRAP))


def test_backend_tensor_states_and_scores():
    import keras

    model = TinyRNN(seed=5)
    rec, emb, out = (keras.ops.convert_to_tensor(a, "float32")
                     for a in (model.rec, model.emb, model.out))

    def keras_step(tokens, state):
        h = keras.ops.tanh(keras.ops.matmul(state[0], rec) + keras.ops.take(emb, tokens, axis=0))
        return keras.ops.matmul(h, out), (h,)

    h0 = keras.ops.convert_to_tensor(model.initial_state(2)["h"], "float32")
    beams = beam_search(keras_step, (h0,), [1, 2], beam_width=3, max_len=4, end_id=END)
    assert len(beams) == 2 and all(len(h.tokens) <= 4 for h in beams)
    picked = decoding.take_state({"h": h0}, np.array([1, 1, 0]))["h"]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(picked),
                               keras.ops.convert_to_numpy(h0)[[1, 1, 0]])


# ----------------------------------------------------------------------- banned ids
def pad_loving_step(tokens, state):
    """Prefers <pad> (0), then <unk> (1), then <s> (2), then word 5, then </s> (3); after word 5
    </s> is the best non-reserved choice. Feeding 0 would 'freeze' a masked decoder."""
    logits = np.tile([9.0, 8.0, 7.0, 1.0, -5.0, 6.0], (len(tokens), 1))
    logits[tokens == 5, 3] = 6.5
    logits[tokens == 5, 5] = 0.0
    return logits, state


def test_greedy_and_beam_ban_pad_unk_and_start_by_default():
    assert decoding.greedy_decode(pad_loving_step, None, [2, 2], max_len=4, end_id=3) == [[5], [5]]
    for width in (1, 3):
        hyps = decoding.beam_search(pad_loving_step, None, [2], beam_width=width, max_len=4,
                                    end_id=3, return_all=True)[0]
        assert hyps[0].tokens == [5] and hyps[0].finished
        assert all(t not in (0, 1, 2) for h in hyps for t in h.tokens)
    # asked otherwise: nothing banned, the reserved ids come out
    assert decoding.greedy_decode(pad_loving_step, None, [2], max_len=2, end_id=3,
                                  banned_ids=()) == [[0, 0]]
    assert decoding.greedy_decode(pad_loving_step, None, [2], max_len=2, end_id=3,
                                  banned_ids=(0,)) == [[1, 1]]
    with pytest.raises(ValueError, match="contains end_id=3"):
        decoding.beam_search(pad_loving_step, None, [2], beam_width=2, max_len=2, end_id=3,
                             banned_ids=(0, 3))


class RowCounter:
    """Records the number of rows of every step call."""

    def __init__(self, step):
        self.step, self.rows = step, []

    def __call__(self, tokens, state):
        self.rows.append(len(tokens))
        return self.step(tokens, state)


def test_beam_search_feeds_a_fixed_number_of_rows():
    """Beams narrow as hypotheses finish, but every step call sees batch x width rows, so a
    compiled step function is traced once."""
    model = TinyRNN(seed=3)
    counter = RowCounter(model)
    out = beam_search(counter, model.initial_state(3, seed=4), [0, 5, 2], beam_width=4,
                      max_len=7, end_id=2, return_all=True)
    assert set(counter.rows) == {12}
    assert any(h.finished for hyps in out for h in hyps)


def brute_force_best(step, start, max_len, end_id, alpha):
    """Best hypothesis by exhaustive search over every sequence (tiny vocabularies only)."""
    import itertools

    best = None
    vocab = 4
    for length in range(1, max_len + 1):
        for seq in itertools.product(range(vocab), repeat=length):
            if end_id in seq[:-1]:
                continue
            total, feed, state = 0.0, np.array([start], np.int32), None
            for tok in seq:
                scores, state = step(feed, state)
                total += decoding.log_softmax(scores)[0, tok]
                feed = np.array([tok], np.int32)
            done = seq[-1] == end_id
            if not done and length < max_len:
                continue
            tokens = list(seq[:-1]) if done else list(seq)
            score = total / decoding.length_penalty(len(seq), alpha)
            if best is None or score > best[1]:
                best = (tokens, score)
    return best


def test_wide_beam_finds_the_exhaustive_optimum():
    step = markov_step(TRAP)
    for alpha in (0.0, 0.6):
        tokens, score = brute_force_best(step, START, 3, END, alpha)
        hyp = beam_search(step, None, [START], beam_width=64, max_len=3, end_id=END,
                          alpha=alpha)[0]
        assert hyp.tokens == tokens and hyp.score == pytest.approx(score)
