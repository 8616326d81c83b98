"""Tests for rnnbook.text: tokenisers and Vocabulary."""

import random

import numpy as np
import pytest

from rnnbook.text import (
    END,
    PAD,
    RESERVED_TOKENS,
    START,
    UNK,
    Vocabulary,
    VocabularyError,
    char_tokenize,
    word_detokenize,
    word_tokenize,
)

CORPUS = [
    ["the", "cat", "sat", "on", "the", "mat"],
    ["the", "dog", "sat"],
    ["a", "cat", "and", "a", "dog"],
]


@pytest.fixture
def vocab() -> Vocabulary:
    return Vocabulary.fit(CORPUS)


# ------------------------------------------------------------------ tokenisers
def test_word_tokenize_strips_br_and_splits_punctuation():
    text = "Great film!<br /><br />I didn't like the END, though...<BR>Really?"
    assert word_tokenize(text) == [
        "great", "film", "!", "i", "didn't", "like", "the", "end", ",", "though",
        ".", ".", ".", "really", "?",
    ]  # fmt: skip


def test_word_tokenize_keeps_case_and_unicode():
    assert word_tokenize("¿Qué tal, Ana?", lowercase=False) == ["¿", "Qué", "tal", ",", "Ana", "?"]
    assert word_tokenize("") == []


def test_char_tokenize_keeps_every_character():
    assert char_tokenize("Hi, yo!\n") == ["H", "i", ",", " ", "y", "o", "!", "\n"]
    assert "".join(char_tokenize("To be, or not")) == "To be, or not"


def test_tokenizers_reject_non_str():
    with pytest.raises(TypeError, match="text must be a str"):
        word_tokenize(["a"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text must be a str"):
        char_tokenize(None)  # type: ignore[arg-type]


def test_word_detokenize():
    assert word_detokenize(["¿", "qué", "tal", "?"]) == "¿qué tal?"
    assert word_detokenize(["i", "saw", "it", ",", "too", "."]) == "i saw it, too."
    assert word_detokenize([]) == ""


# ------------------------------------------------------------------ reserved ids and fitting
def test_reserved_ids(vocab: Vocabulary):
    assert RESERVED_TOKENS == ("<pad>", "<unk>", "<s>", "</s>")
    assert (Vocabulary.PAD_ID, Vocabulary.UNK_ID, Vocabulary.START_ID, Vocabulary.END_ID) == (
        0, 1, 2, 3,
    )  # fmt: skip
    assert vocab.tokens[:4] == [PAD, UNK, START, END]
    for i, tok in enumerate(RESERVED_TOKENS):
        assert vocab.token_to_id(tok) == i
        assert vocab.id_to_token(i) == tok
    assert vocab.unk_id == 1


def test_fit_orders_by_frequency_then_alphabetically(vocab: Vocabulary):
    # the:3; a, cat, dog, sat:2; and, mat, on:1
    assert vocab.tokens[4:] == ["the", "a", "cat", "dog", "sat", "and", "mat", "on"]
    assert len(vocab) == 12


def test_fit_is_independent_of_corpus_order(vocab: Vocabulary):
    shuffled = [list(s) for s in CORPUS]
    random.Random(0).shuffle(shuffled)
    for s in shuffled:
        random.Random(1).shuffle(s)
    assert Vocabulary.fit(shuffled) == vocab
    assert Vocabulary.fit(CORPUS) == vocab  # deterministic


def test_min_freq_and_max_size():
    assert Vocabulary.fit(CORPUS, min_freq=2).tokens[4:] == ["the", "a", "cat", "dog", "sat"]
    assert Vocabulary.fit(CORPUS, min_freq=3).tokens[4:] == ["the"]
    small = Vocabulary.fit(CORPUS, max_size=6)
    assert len(small) == 6  # max_size counts the reserved tokens
    assert small.tokens[4:] == ["the", "a"]
    assert len(Vocabulary.fit(CORPUS, max_size=100)) == 12
    assert len(Vocabulary.fit(CORPUS, max_size=4)) == 4


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"min_freq": 0}, "min_freq"),
        ({"max_size": 3}, "max_size"),
        ({"max_size": 2.5}, "max_size"),
        ({"reserved": ("<unk>",)}, "reserved"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, match):
    with pytest.raises(VocabularyError, match=match):
        Vocabulary.fit(CORPUS, **kwargs)


def test_fit_rejects_a_bare_string():
    with pytest.raises(VocabularyError, match="token_sequences"):
        Vocabulary.fit("the cat")  # type: ignore[arg-type]


def test_reserved_tokens_in_corpus_are_not_counted():
    v = Vocabulary.fit([["<pad>", "x", "<s>", "x"]])
    assert v.tokens == [PAD, UNK, START, END, "x"]


def test_char_level_vocabulary():
    text = "hello world"
    v = Vocabulary.fit([text])
    assert v.tokens[4:] == ["l", "o", " ", "d", "e", "h", "r", "w"]
    ids = v.encode(char_tokenize(text))
    assert "".join(v.decode(ids)) == text
    assert v.encode("hz") == [v.token_to_id("h"), Vocabulary.UNK_ID]


# ------------------------------------------------------------------ encode / decode
def test_encode_decode_round_trip(vocab: Vocabulary):
    for seq in CORPUS:
        ids = vocab.encode(seq, add_start=True, add_end=True)
        assert ids[0] == Vocabulary.START_ID and ids[-1] == Vocabulary.END_ID
        assert vocab.decode(ids) == seq
        assert vocab.decode(ids, strip_special=False) == [START, *seq, END]
    assert vocab.decode(np.array(vocab.encode(CORPUS[0]), dtype=np.int64)) == CORPUS[0]


def test_unknown_words_map_to_unk(vocab: Vocabulary):
    ids = vocab.encode(["the", "zebra", "sat"])
    assert ids[1] == Vocabulary.UNK_ID
    assert vocab.decode(ids) == ["the", UNK, "sat"]  # <unk> is kept when stripping
    assert "zebra" not in vocab and "the" in vocab
    assert vocab.coverage([["the", "zebra"], ["sat", "<pad>"]]) == pytest.approx(0.5)


def test_decode_out_of_range_id(vocab: Vocabulary):
    with pytest.raises(VocabularyError, match=r"id 12 is out of range .* 0\.\.11"):
        vocab.decode([4, 12])
    with pytest.raises(VocabularyError, match="out of range"):
        vocab.id_to_token(-1)
    with pytest.raises(VocabularyError, match="decode_batch"):
        vocab.decode(np.zeros((2, 3), dtype=np.int32))
    with pytest.raises(VocabularyError, match="integers"):
        vocab.decode(np.array([1.5]))


def test_encode_batch_pads_right_and_truncates(vocab: Vocabulary):
    batch = vocab.encode_batch(CORPUS, max_len=5)
    assert batch.shape == (3, 5) and batch.dtype == np.int32
    np.testing.assert_array_equal(batch[1], vocab.encode(CORPUS[1]) + [0, 0])  # right padding
    np.testing.assert_array_equal(batch[0], vocab.encode(CORPUS[0])[:5])  # post truncation
    pre = vocab.encode_batch(CORPUS, max_len=5, truncating="pre")
    np.testing.assert_array_equal(pre[0], vocab.encode(CORPUS[0])[-5:])
    wrapped = vocab.encode_batch(CORPUS, max_len=8, add_start=True, add_end=True)
    assert wrapped.shape == (3, 8)
    assert (wrapped[:, 0] == Vocabulary.START_ID).all()
    assert wrapped[1].tolist()[:6] == [2, *vocab.encode(CORPUS[1]), 3, 0]
    assert vocab.decode_batch(wrapped) == CORPUS
    assert vocab.encode_batch(CORPUS, max_len=None).shape == (3, 6)
    assert vocab.encode_batch([], max_len=4).shape == (0, 4)


@pytest.mark.parametrize("truncating", ["post", "pre"])
def test_encode_batch_keeps_end_and_start_markers_when_truncating(vocab: Vocabulary, truncating):
    """A target longer than max_len must still end with </s> (and start with <s>): a decoder
    trained on cut targets without </s> never learns to stop on long sentences."""
    longest = CORPUS[0]
    ids = vocab.encode(longest)
    assert len(ids) + 2 > 5  # the case that truncates
    out = vocab.encode_batch([longest], max_len=5, add_start=True, add_end=True,
                             truncating=truncating)[0].tolist()
    kept = ids[:3] if truncating == "post" else ids[-3:]
    assert out == [Vocabulary.START_ID, *kept, Vocabulary.END_ID]
    end_only = vocab.encode_batch([longest], max_len=4, add_end=True, truncating=truncating)
    assert end_only[0].tolist()[-1] == Vocabulary.END_ID
    # one token fits between the markers; none does not
    assert vocab.encode_batch([longest], max_len=3, add_start=True, add_end=True)[0, 2] == 3
    with pytest.raises(VocabularyError, match="max_len=2 leaves no room"):
        vocab.encode_batch([longest], max_len=2, add_start=True, add_end=True)


@pytest.mark.parametrize("max_len", [0, -3, 2.0, True])
def test_encode_batch_rejects_bad_max_len(vocab: Vocabulary, max_len):
    with pytest.raises(VocabularyError, match="max_len"):
        vocab.encode_batch(CORPUS, max_len=max_len)


def test_encode_batch_rejects_bad_truncating(vocab: Vocabulary):
    with pytest.raises(VocabularyError, match="truncating"):
        vocab.encode_batch(CORPUS, max_len=3, truncating="middle")


# ------------------------------------------------------------------ fixed token lists
def test_from_tokens_for_tags():
    tags = ["O", "B-PER", "I-PER", "B-LOC"]
    v = Vocabulary.from_tokens(tags, reserved=(PAD,))
    assert v.tokens == [PAD, *tags]
    assert v.token_to_id("B-PER") == 2 and v.unk_id is None
    assert v.encode_batch([["O", "B-LOC"]], max_len=3).tolist() == [[1, 4, 0]]
    with pytest.raises(VocabularyError, match="'B-MISC' is not in this vocabulary"):
        v.encode(["B-MISC"])
    with pytest.raises(VocabularyError, match="add_start"):
        v.encode(["O"], add_start=True)
    bare = Vocabulary.from_tokens(tags, reserved=())
    assert bare.token_to_id("O") == 0 and len(bare) == 4


def test_from_tokens_rejects_duplicates_and_reserved():
    with pytest.raises(VocabularyError, match="duplicate"):
        Vocabulary.from_tokens(["a", "b", "a"])
    with pytest.raises(VocabularyError, match="reserved"):
        Vocabulary.from_tokens(["a", "<unk>"])
    with pytest.raises(VocabularyError, match="must be str"):
        Vocabulary.from_tokens(["a", 3])  # type: ignore[list-item]


# ------------------------------------------------------------------ persistence
def test_save_load_round_trip(tmp_path, vocab: Vocabulary):
    path = vocab.save(tmp_path / "sub" / "vocab.json")
    loaded = Vocabulary.load(path)
    assert loaded == vocab and loaded.tokens == vocab.tokens
    assert sorted(p.name for p in path.parent.iterdir()) == ["vocab.json"]  # no temp file left
    first = path.read_bytes()
    loaded.save(path)
    assert path.read_bytes() == first  # byte-stable


def test_save_load_tag_vocabulary_and_unicode(tmp_path):
    v = Vocabulary.from_tokens(["é", "ñ", "O"], reserved=(PAD,))
    loaded = Vocabulary.load(v.save(tmp_path / "tags.json"))
    assert loaded == v and loaded.reserved == (PAD,)
    assert loaded != Vocabulary.from_tokens(["é", "ñ", "O"])


@pytest.mark.parametrize(
    "content, match",
    [
        ("not json at all", "invalid JSON"),
        ('{"tokens": ["a"]}', "not a vocabulary file"),
        ('["a", "b"]', "not a vocabulary file"),
        ('{"format": "rnnbook.vocabulary", "version": 99}', "version"),
        ('{"format": "rnnbook.vocabulary", "version": 1, "tokens": ["a"]}', "'reserved'"),
        (
            '{"format": "rnnbook.vocabulary", "version": 1, "reserved": [], "tokens": ["a", "a"]}',
            "duplicate",
        ),
    ],
)
def test_load_rejects_non_vocabulary_files(tmp_path, content, match):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(VocabularyError, match=match) as info:
        Vocabulary.load(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        Vocabulary.load(tmp_path / "nope.json")
