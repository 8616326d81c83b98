"""Tagging inputs and outputs: the encoder, length buckets, IOB2 spans, offsets, bootstrap F1."""

import itertools

import numpy as np
import pytest

from rnnbook.metrics import (
    bootstrap_entity_f1,
    bootstrap_f1_difference,
    entity_counts,
    entity_scores,
    f1_from_counts,
)
from rnnbook.tagging import LengthBuckets, TaggingEncoder, iob2_spans, tokenize_with_offsets

SENTS = [["EU", "rejects", "German", "call"], ["Peter", "Blackburn"], ["1996-08-22"]]
TAGS = [["B-ORG", "O", "B-MISC", "O"], ["B-PER", "I-PER"], ["O"]]


@pytest.fixture
def encoder():
    return TaggingEncoder.fit(SENTS, TAGS, extra_words=["paris", "Peter"], max_word_len=6)


def test_encoder_vocabularies_and_reserved_ids(encoder):
    assert encoder.words.tokens[:2] == ["<pad>", "<unk>"]
    assert "eu" in encoder.words and "EU" not in encoder.words  # looked up lower-cased
    assert encoder.words.tokens[-1] == "paris"  # extra words after training words, no dupes
    assert encoder.words.tokens.count("peter") == 1
    assert encoder.tags.tokens == ["<pad>", "O", "B-MISC", "B-ORG", "B-PER", "I-PER"]
    assert "E" in encoder.chars and "e" in encoder.chars  # characters keep their case


def test_encode_words_chars_and_tags_shapes_and_padding(encoder):
    words = encoder.encode_words(SENTS + [["Unseen"]], length=5)
    assert words.shape == (4, 5) and words.dtype == np.int32
    assert words[0, 0] == encoder.words.token_to_id("eu")
    assert words[3, 0] == 1 and not words[3, 1:].any()  # <unk>, then padding
    chars = encoder.encode_chars(SENTS, length=5)
    assert chars.shape == (3, 5, 6)  # width capped at max_word_len
    real = words[:3] != 0
    np.testing.assert_array_equal(chars.any(axis=-1), real)  # char mask == word mask
    # "1996-08-22" (10 chars) keeps its first 4 and last 2 characters
    kept = "".join(encoder.chars.id_to_token(int(i)) for i in chars[2, 0])
    assert kept == "1996" + "22"
    tags = encoder.encode_tags(TAGS, length=5)
    assert (tags[real] >= 1).all() and not tags[~real].any()
    assert encoder.decode_tags(tags, [len(t) for t in TAGS]) == TAGS
    with pytest.raises(ValueError, match="more than length=2"):
        encoder.encode_words(SENTS, length=2)
    with pytest.raises(TypeError, match="list of token lists, got one str"):
        encoder.encode_words("EU rejects")


def test_empty_token_still_has_a_character(encoder):
    chars = encoder.encode_chars([["", "EU"]])
    assert chars[0, 0, 0] == 1  # <unk>: the word is real, so it must not look like padding


def test_digits_to_zero_shares_ids():
    enc = TaggingEncoder.fit([["in", "1996"]], [["O", "O"]], digits_to_zero=True)
    ids = enc.encode_words([["1997", "2024"]])
    assert ids[0, 0] == ids[0, 1] == enc.words.token_to_id("0000")


def test_length_buckets_group_similar_lengths_and_cover_every_sentence(encoder):
    rng = np.random.default_rng(0)
    sents = [["w"] * int(n) for n in rng.integers(1, 30, size=50)]
    tags = [["O"] * len(s) for s in sents]
    ds = LengthBuckets(encoder, sents, tags, batch_size=8, seed=1, pad_to=8)
    seen = 0
    for i in range(len(ds)):
        (words, chars), y = ds[i]
        lengths = (words != 0).sum(axis=1)
        assert words.shape[1] % 8 == 0 and words.shape[1] - lengths.max() < 8
        assert chars.shape == (*words.shape, encoder.max_word_len)
        assert y.shape == words.shape and ((y != 0) == (words != 0)).all()
        seen += len(lengths)
    assert seen == 50
    first = [ds[i][0][0].shape for i in range(len(ds))]
    ds.on_epoch_end()
    assert sorted(first) == sorted(ds[i][0][0].shape for i in range(len(ds)))
    words_only = LengthBuckets(encoder, sents, None, chars=False)
    assert isinstance(words_only[0], tuple) and words_only[0][0].ndim == 2
    with pytest.raises(ValueError, match="50 sentences but 2 tag sequences"):
        LengthBuckets(encoder, sents, tags[:2])


@pytest.mark.parametrize(
    ("tags", "spans"),
    [
        (["B-PER", "I-PER", "O"], [("PER", 0, 2)]),
        (["I-PER", "I-PER"], []),  # no B-: not an entity in strict IOB2
        (["B-LOC", "B-LOC"], [("LOC", 0, 1), ("LOC", 1, 2)]),
        (["B-LOC", "I-ORG"], [("LOC", 0, 1)]),  # a type change ends the entity
        (["O", "B-MISC"], [("MISC", 1, 2)]),  # an entity at the very end
        ([], []),
    ],
)
def test_iob2_spans_edge_cases(tags, spans):
    assert iob2_spans(tags) == spans


def test_iob2_spans_reject_bad_tags():
    with pytest.raises(ValueError, match=r"tag 1 \('PER'\)"):
        iob2_spans(["O", "PER"])


def test_entity_counts_agree_with_seqeval_strict_on_every_small_sequence():
    alphabet = ["O", "B-A", "I-A", "B-B", "I-B"]
    seqs = [list(p) for p in itertools.product(alphabet, repeat=3)]
    rng = np.random.default_rng(0)
    pred = [seqs[i] for i in rng.permutation(len(seqs))]
    counts = entity_counts(seqs, pred)
    expected = entity_scores(seqs, pred, mode="strict")["overall"]
    assert f1_from_counts(counts) == pytest.approx(expected["f1"], abs=1e-12)
    assert counts[:, 2].sum() == expected["support"]


def test_bootstrap_interval_contains_the_f1_and_shrinks_with_more_sentences():
    rng = np.random.default_rng(0)
    true = [["B-PER", "I-PER", "O", "B-LOC"] for _ in range(400)]
    pred = [t if rng.random() < 0.8 else ["O"] * 4 for t in true]
    small = bootstrap_entity_f1(true[:100], pred[:100], n_boot=500)
    large = bootstrap_entity_f1(true, pred, n_boot=500)
    for ci in (small, large):
        assert ci.low <= ci.value <= ci.high
    assert large.high - large.low < small.high - small.low
    assert large.value == pytest.approx(entity_scores(true, pred, mode="strict")["overall"]["f1"])
    assert bootstrap_entity_f1(true, pred, n_boot=500, seed=3) == bootstrap_entity_f1(
        true, pred, n_boot=500, seed=3)
    with pytest.raises(ValueError, match="n_boot must be an int >= 100"):
        bootstrap_entity_f1(true, pred, n_boot=10)


def test_paired_difference_separates_only_what_differs():
    true = [["B-PER", "O"]] * 300
    good = [["B-PER", "O"]] * 270 + [["O", "O"]] * 30
    same = list(reversed(good))  # same F1, errors on other sentences
    bad = [["B-PER", "O"]] * 150 + [["O", "O"]] * 150
    diff = bootstrap_f1_difference(true, good, bad, n_boot=500)
    assert diff.low > 0
    tie = bootstrap_f1_difference(true, good, same, n_boot=500)
    assert tie.value == 0 and tie.low < 0 < tie.high


def test_tokenize_with_offsets_round_trips():
    text = "Peter O'Neill paid $3.5 million (1,000 shares) in the U.S. on 1996-08-22."
    toks = tokenize_with_offsets(text)
    assert all(text[s:e] == t for t, s, e in toks)
    words = [t for t, _, _ in toks]
    assert words == ["Peter", "O'Neill", "paid", "$", "3.5", "million", "(", "1,000", "shares",
                     ")", "in", "the", "U.S.", "on", "1996-08-22", "."]
    assert tokenize_with_offsets("") == []


def test_first_two_batches_differ_in_length_every_epoch(encoder):
    """Keras' TF adapter fixes any axis on which its first two batches agree."""
    sents = [["w"] * n for n in [3] * 64 + [12] * 8 + [30] * 8]
    for seed in range(20):
        ds = LengthBuckets(encoder, sents, None, batch_size=8, seed=seed, pad_to=8)
        for _ in range(3):
            assert ds[0][0][0].shape[1] != ds[1][0][0].shape[1]
            ds.on_epoch_end()
