"""Samples mode (RNNBOOK_SAMPLES=1): the committed hand-made samples and the loaders on them."""

from __future__ import annotations

import gzip
import importlib.util
import io
import socket
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pooch
import pytest

import rnnbook.datasets as ds

SAMPLES = Path(__file__).resolve().parents[1] / "datasets" / "samples"


@pytest.fixture(autouse=True)
def samples_env(tmp_path, monkeypatch):
    """Samples on; cache empty, a mirror that does not exist, and no network: none is needed."""
    monkeypatch.setenv("RNNBOOK_SAMPLES", "1")
    monkeypatch.setenv("RNNBOOK_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RNNBOOK_DATA_MIRROR", str(tmp_path / "no-mirror"))

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(pooch, "retrieve", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("name", ["tinyshakespeare", "imdb", "conll2003", "spa-eng", "glove"])
def test_sample_files_match_the_registry(name):
    report = ds.verify(name)
    assert report.ok, report.format()
    assert {f.source for f in report.files} == {"sample"}
    assert all(f.path.is_relative_to(SAMPLES) for f in report.files)
    assert report.counts
    readme = (report.files[0].path.parent / "README.md").read_text()
    assert "hand-made samples" in readme and "meaningless" in readme


def test_sample_counts():
    assert ds.verify("imdb").counts == {
        "train_neg": 100, "train_pos": 100, "train": 200, "test_neg": 100, "test_pos": 100,
        "test": 200, "unsup": 100}
    conll = ds.verify("conll2003").counts
    assert (conll["train_sentences"], conll["valid_sentences"], conll["test_sentences"]) == (
        100, 25, 25)
    assert ds.verify("spa-eng").counts["pairs"] == 500
    assert ds.verify("glove").counts == {"vectors": 300, "dim": 50, "first_word": "."}
    assert ds.verify("glove", variant="100d").counts["dim"] == 100


def test_samples_are_small():
    total = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert total < 300_000


def test_loaders_run_on_samples():
    text = ds.load_shakespeare()
    assert len(text.train) > 20_000 and text.val and ":" in text.train[:40]
    imdb = ds.load_imdb()  # val_size=5000 is capped to a fifth of the 200 training reviews
    assert (len(imdb.train_texts), len(imdb.val_texts), len(imdb.test_texts)) == (160, 40, 200)
    assert int(imdb.val_labels.sum()) == 20 and imdb.unsup_texts is None
    assert len(ds.load_imdb(include_unsup=True).unsup_texts) == 100
    conll = ds.load_conll2003()
    assert len(conll.train) == 100 and "B-PER" in conll.tag_names
    pairs = ds.load_spa_eng()
    assert (len(pairs.train), len(pairs.val), len(pairs.test)) == (400, 50, 50)
    vocab = ["<pad>", "<unk>", "<s>", "</s>"] + sorted({w.lower() for t in imdb.train_texts[:20]
                                                        for w in t.split()})[:30]
    gm = ds.load_glove_matrix(vocab, dim=100)
    assert gm.matrix.shape == (34, 100) and gm.found > 0
    words, vecs = ds.load_glove_vectors(["great", "wonderful", "terrible"], dim=50)
    assert sorted(words) == ["great", "terrible", "wonderful"] and vecs.shape == (3, 50)
    good = dict(zip(words, vecs, strict=True))
    cos = lambda a, b: float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    assert cos(good["great"], good["wonderful"]) > cos(good["great"], good["terrible"])


def test_samples_have_no_iob1_variant():
    with pytest.raises(ds.DatasetUnavailableError, match="no sample form"):
        ds.fetch("conll2003", variant="iob1")


def _payload(rel: str, data: bytes) -> object:
    """Compare archives by content, not bytes (zlib builds may compress differently)."""
    if rel.endswith(".tar.gz"):
        with tarfile.open(fileobj=io.BytesIO(data)) as tf:
            return [(m.name, m.mode, m.mtime, tf.extractfile(m).read() if m.isfile() else None)
                    for m in tf]
    if rel.endswith(".gz"):
        return gzip.decompress(data)
    if rel.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return [(i.filename, i.date_time, zf.read(i)) for i in zf.infolist()]
    return data


def test_make_samples_reproduces_the_committed_files():
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = module.build()
    committed = {str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*")
                 if p.is_file() and p.name not in ("make_samples.py", "templates.toml")
                 and "__pycache__" not in p.parts}
    assert set(built) == committed
    for rel, data in built.items():
        assert _payload(rel, data) == _payload(rel, (SAMPLES / rel).read_bytes()), rel


def test_sample_glove_has_every_word_notebook_03_looks_up():
    """`RNNBOOK_SAMPLES=1` notebook 03 looks these up for nearest neighbours (KeyError before)."""
    wanted = ["good", "excellent", "terrible", "boring", "masterpiece", "actress"]
    for dim in (50, 100):
        words, vectors = ds.load_glove_vectors(wanted, dim=dim)
        assert sorted(words) == sorted(wanted) and vectors.shape == (len(wanted), dim)
