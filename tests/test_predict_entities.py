"""rnnbook.predict_entities and `rnnbook predict entities` (a tiny tagger trained here)."""

import io
import sys

import keras
import numpy as np
import pytest

from rnnbook import cli
from rnnbook.models import build_tagger
from rnnbook.predict import PredictError
from rnnbook.predict_entities import (
    Entity,
    iter_lines,
    load_entity_tagger,
    read_conll_blocks,
    save_entity_tagger,
)
from rnnbook.tagging import LengthBuckets, TaggingEncoder

PEOPLE = ["Peter", "Maria", "John", "Anna"]
PLACES = ["Paris", "Berlin", "Rome", "Madrid"]
VERBS = ["visited", "left", "likes", "saw"]


def _corpus(n=160):
    rng = np.random.default_rng(0)
    sents, tags = [], []
    for _ in range(n):
        who, where, verb = rng.choice(PEOPLE), rng.choice(PLACES), rng.choice(VERBS)
        if rng.random() < 0.5:
            sents.append([who, verb, where, "."])
            tags.append(["B-PER", "O", "B-LOC", "O"])
        else:
            sents.append(["Yesterday", who, "Smith", verb, where])
            tags.append(["O", "B-PER", "I-PER", "O", "B-LOC"])
    return sents, tags


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    keras.utils.set_random_seed(0)
    sents, tags = _corpus()
    enc = TaggingEncoder.fit(sents, tags)
    model = build_tagger(len(enc.words), len(enc.tags), embedding_dim=8, units=8, crf=True,
                         char_vocab_size=len(enc.chars), char_units=4, char_embedding_dim=4)
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    model.fit(LengthBuckets(enc, sents, tags, batch_size=16), epochs=6, verbose=0)
    return save_entity_tagger(tmp_path_factory.mktemp("art") / "ner", model, enc, chars=True)


def test_entities_have_types_and_character_spans(model_dir):
    tagger = load_entity_tagger(model_dir)
    texts = ["Maria visited Berlin.", "Yesterday John Smith saw Rome", ""]
    found = tagger.entities(texts)
    assert found[0] == [Entity("PER", 0, 5, "Maria"), Entity("LOC", 14, 20, "Berlin")]
    assert found[1] == [Entity("PER", 10, 20, "John Smith"), Entity("LOC", 25, 29, "Rome")]
    assert found[2] == []
    for text, entities in zip(texts, found, strict=True):
        assert all(text[e.start:e.end] == e.text for e in entities)


def test_tagging_does_not_depend_on_the_batch(model_dir):
    tagger = load_entity_tagger(model_dir, batch_size=3)
    sents, _ = _corpus(40)
    alone = [tagger.tag([s])[0] for s in sents[:5]]
    assert tagger.tag(sents)[:5] == alone


def test_cli_text_arguments(model_dir, capsys):
    status = cli.main(["predict", "entities", "--model", str(model_dir), "Anna left Madrid .",
                       "visited ."])
    assert status == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["1\tPER\t0\t4\tAnna", "1\tLOC\t10\t16\tMadrid"]


def _stdin(monkeypatch, data: bytes):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_cli_reads_thousands_of_stdin_lines_in_order(model_dir, monkeypatch, capsys):
    texts = [f"{p} saw {c}" for p, c in zip(PEOPLE * 750, PLACES[::-1] * 750, strict=True)]
    _stdin(monkeypatch, ("\n".join(texts) + "\n").encode())
    assert cli.main(["predict", "entities", "--model", str(model_dir)]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2 * len(texts) == 6000
    assert [int(r[0]) for r in rows[::2]] == list(range(1, len(texts) + 1))
    assert rows[-2:] == [["3000", "PER", "0", "4", "Anna"], ["3000", "LOC", "9", "14", "Paris"]]


def test_cli_conll_format_appends_a_column(model_dir, tmp_path, capsys):
    conll = ("-DOCSTART- -X- O O\n\nPeter NNP B-PER\nsaw VBD O\nRome NNP B-LOC\n\n"
             "Maria NNP B-PER\n")
    path = tmp_path / "in.txt"
    path.write_text(conll)
    assert cli.main(["predict", "entities", "--model", str(model_dir), "--format", "conll",
                     "--input", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["-DOCSTART- -X- O O", "", "Peter NNP B-PER B-PER", "saw VBD O O",
                   "Rome NNP B-LOC B-LOC", "", "Maria NNP B-PER B-PER"]


def test_cli_malformed_conll_line_is_named(model_dir, tmp_path, capsys):
    path = tmp_path / "bad.txt"
    path.write_text("Peter NNP B-PER\nsaw VBD\n")
    status = cli.main(["predict", "entities", "--model", str(model_dir), "--format", "conll",
                       "--input", str(path)])
    assert status == 2
    err = capsys.readouterr().err
    assert f"{path} line 2: 2 columns, but line 1 has 3" in err


def test_cli_bad_utf8_on_stdin_is_named(model_dir, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"Peter saw Rome\n\xff\xfe\n")))
    status = cli.main(["predict", "entities", "--model", str(model_dir)])
    assert status == 2
    assert "stdin line 2: not valid UTF-8" in capsys.readouterr().err


def test_cli_rejects_text_with_conll_and_missing_model(model_dir, tmp_path, capsys):
    assert cli.main(["predict", "entities", "--model", str(model_dir), "--format", "conll",
                     "Peter"]) == 2
    assert "TEXT arguments go with the text format" in capsys.readouterr().err
    assert cli.main(["predict", "entities", "--model", str(tmp_path / "nope"), "x"]) == 2
    assert "no such directory" in capsys.readouterr().err


def test_sentiment_model_is_not_an_entity_tagger(tmp_path):
    from rnnbook.models import build_classifier
    from rnnbook.predict import save_sentiment_model
    from rnnbook.text import Vocabulary

    vocab = Vocabulary.fit([["a"]])
    saved = save_sentiment_model(tmp_path / "s", build_classifier(len(vocab), embedding_dim=2,
                                                                  units=2), vocab, max_len=3)
    with pytest.raises(PredictError, match="not an entity tagger"):
        load_entity_tagger(saved)


def test_read_conll_blocks_and_iter_lines():
    lines = list(iter_lines([b"A x\r\n", b"B y\n", b"\n", b"C z\n"], "f"))
    assert lines == [(1, "A x"), (2, "B y"), (3, ""), (4, "C z")]
    blocks = list(read_conll_blocks(lines, "f"))
    assert [b.tokens for b in blocks] == [["A", "B"], [], ["C"]]
    with pytest.raises(PredictError, match="f line 1: contains a NUL"):
        list(iter_lines([b"a\x00b\n"], "f"))
