"""Integration test on the real read-only data mirror (RNNBOOK_DATA_MIRROR).

The mirror defaults to ../shared/datasets next to the repository. Without a mirror the tests
skip, except under CI=true, where a missing mirror is a failure. Nothing is downloaded: pooch
is monkeypatched to refuse, and the cache is an empty temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pooch
import pytest

import rnnbook.datasets as ds
from rnnbook.datasets import load_registry, spa_eng

REPO = Path(__file__).resolve().parents[1]


def _mirror_path() -> Path | None:
    env = os.environ.get("RNNBOOK_DATA_MIRROR", "").strip()
    if env:
        return Path(env)
    default = REPO.parent / "shared" / "datasets"
    return default if default.is_dir() else None


@pytest.fixture(scope="module")
def mirror(tmp_path_factory) -> Path:
    path = _mirror_path()
    if path is None or not path.is_dir():
        msg = f"data mirror not found (RNNBOOK_DATA_MIRROR={path})"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(msg + "; under CI=true the mirror is required")
        pytest.skip(msg)

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted while a mirror is set")

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RNNBOOK_DATA_MIRROR", str(path))
        mp.setenv("RNNBOOK_DATA_DIR", str(tmp_path_factory.mktemp("empty-cache")))
        mp.delenv("RNNBOOK_SAMPLES", raising=False)
        mp.setattr(pooch, "retrieve", refuse)
        yield path


def test_mirror_is_present_under_ci():
    path = _mirror_path()
    if path is None or not path.is_dir():
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"CI=true but the data mirror is missing (RNNBOOK_DATA_MIRROR={path})")
        pytest.skip("no data mirror")


def test_every_mirror_file_is_in_the_registry_with_its_hash(mirror):
    reg = load_registry()
    known = {}
    for spec in reg.datasets.values():
        for form in spec.forms:
            if form.kind != "sample":
                for f in form.files:
                    known[f"{spec.dir}/{f.name}"] = f
    files = sorted(p for p in mirror.rglob("*") if p.is_file() and p.name != "PROVENANCE.md")
    assert len(files) == 12
    for p in files:
        rel = p.relative_to(mirror).as_posix()
        assert rel in known, f"{rel} is in the mirror but not in the registry"
        assert p.stat().st_size == known[rel].size, rel
        assert ds.checksums.sha256_file(p) == known[rel].sha256, rel
    for spec in reg.datasets.values():
        for form in spec.forms:
            if form.in_mirror:
                report = ds.verify(spec.name, variant=form.variant, counts=False)
                assert report.ok and report.form == form.name, report.format()
                assert {f.source for f in report.files} == {"mirror"}


EXPECTED = {
    ("tinyshakespeare", None): {"chars": 1_115_394, "lines": 40_000, "distinct_chars": 65},
    ("imdb", None): {"train_neg": 12_500, "train_pos": 12_500, "train": 25_000,
                     "test_neg": 12_500, "test_pos": 12_500, "test": 25_000, "unsup": 50_000},
    ("imdb", "word_index"): {"words": 88_584, "max_rank": 88_584},
    ("conll2003", None): {"train_sentences": 14_041, "train_tokens": 203_621,
                          "valid_sentences": 3_250, "valid_tokens": 51_362,
                          "test_sentences": 3_453, "test_tokens": 46_435},
    ("spa-eng", None): {"pairs": 118_964, "distinct_english": 102_904, "train_pairs": 95_277,
                        "val_pairs": 11_780, "test_pairs": 11_907},
    ("glove", None): {"vectors": 100_000, "dim": 50, "first_word": "the"},
}


@pytest.mark.parametrize(("name", "variant"), list(EXPECTED))
def test_verify_counts(mirror, name, variant):
    report = ds.verify(name, variant=variant)
    assert report.ok, report.format()
    assert report.counts == EXPECTED[(name, variant)]


def test_iob1_originals_convert_to_the_iob2_files(mirror):
    iob2 = ds.fetch("conll2003")
    iob1 = ds.fetch("conll2003", variant="iob1")
    pairs = {"train.txt": "original_iob1/eng.train.gz", "valid.txt": "original_iob1/eng.testa.gz",
             "test.txt": "original_iob1/eng.testb.gz"}
    for new, old in pairs.items():
        converted = ds.parse_conll(iob1[old], scheme="iob1")
        assert converted == ds.parse_conll(iob2[new]), new


def test_load_conll2003(mirror):
    data = ds.load_conll2003()
    assert (len(data.train), len(data.valid), len(data.test)) == (14_041, 3_250, 3_453)
    assert data.train[0].tokens == ["EU", "rejects", "German", "call", "to", "boycott",
                                    "British", "lamb", "."]
    assert data.train[0].tags == ["B-ORG", "O", "B-MISC", "O", "O", "O", "B-MISC", "O", "O"]
    assert data.tag_names == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC",
                              "B-MISC", "I-MISC"]


def test_load_imdb(mirror):
    data = ds.load_imdb(val_size=5000, seed=42)
    assert (len(data.train_texts), len(data.val_texts), len(data.test_texts)) == (
        20_000, 5_000, 25_000)
    assert int(data.val_labels.sum()) == 2_500 and int(data.train_labels.sum()) == 10_000
    assert int(data.test_labels.sum()) == 12_500 and data.test_labels.dtype == np.int32
    assert data.unsup_texts is None
    # IMDB has a few duplicate reviews, so train/val texts may overlap slightly (indices do not)
    assert len(set(data.train_texts) & set(data.val_texts)) < 50


def test_spa_eng_split_is_pinned(mirror):
    data = ds.load_spa_eng()
    assert (len(data.train), len(data.val), len(data.test)) == (95_277, 11_780, 11_907)
    assert data.test[:3] == [("¡Espera!", "Wait!"), ("Levanta.", "Get up."), ("Mentí.", "I lied.")]
    # no test or validation sentence, Spanish or English, is also a training sentence
    key = spa_eng.source_key
    train_es, train_en = {key(es) for es, _ in data.train}, {key(en) for _, en in data.train}
    for split in (data.val, data.test):
        assert not any(key(es) in train_es or key(en) in train_en for es, en in split)
    groups = ds.group_by_source(data.test)
    assert len(groups) == 11_351 and max(len(refs) for _, refs in groups) == 8


def test_glove_top100k(mirror):
    words, vectors = ds.load_glove_vectors()
    assert vectors.shape == (100_000, 50) and vectors.dtype == np.float32
    assert words[0] == "the" and words[-1] == "autocephalous"
    gm = ds.load_glove_matrix(["<pad>", "<unk>", "<s>", "</s>", "the", "Movie", "qzxqzxqzx"])
    assert gm.found == 2 and gm.missing == ["qzxqzxqzx"]
    assert np.array_equal(gm.matrix[4], vectors[0])
    with pytest.raises(ds.DatasetUnavailableError, match="not in the mirror"):
        ds.load_glove_matrix(["the"], dim=100)  # 100d is not in the mirror: no download


def test_shakespeare(mirror):
    text = ds.load_shakespeare(val_fraction=0.1)
    assert len(text.train) + len(text.val) == 1_115_394
    assert text.train.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")


def test_staged_copy_is_the_smallest_complete_form_and_resolves_as_a_mirror(mirror, tmp_path,
                                                                             monkeypatch):
    from rnnbook.datasets.stage import stage_datasets

    staged = stage_datasets(["imdb", "tinyshakespeare"], tmp_path / "stage")
    by_dataset = {f.dataset: f for f in staged}
    # the labelled tarball alone (29 MB), not the labelled + unlabelled pair (57 MB)
    assert by_dataset["imdb"].form == "mirror-labeled"
    assert [f.path.name for f in staged if f.dataset == "imdb"] == ["aclImdb_labeled.tar.gz"]
    assert sorted(p.name for p in (tmp_path / "stage").rglob("*") if p.is_file()) == [
        "aclImdb_labeled.tar.gz", "shakespeare.txt"]
    monkeypatch.setenv("RNNBOOK_DATA_MIRROR", str(tmp_path / "stage"))
    report = ds.verify("imdb", counts=False)
    assert report.ok and report.form == "mirror-labeled", report.format()
    with pytest.raises(ds.DatasetUnavailableError, match="spa-eng"):
        stage_datasets(["spa-eng"], tmp_path / "elsewhere")
