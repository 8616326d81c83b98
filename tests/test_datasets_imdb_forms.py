"""Which IMDB form a machine holds decides whether notebook 03 can pretrain on the unlabelled
reviews (the GPU run's staged copy carries the labelled half only)."""

import os
from pathlib import Path

import pytest

from rnnbook.datasets.imdb import unsup_available

SHARED = Path(__file__).parents[2] / "shared/datasets"
MIRROR = Path(os.environ.get("RNNBOOK_DATA_MIRROR") or SHARED)
LABELED, UNSUP = MIRROR / "imdb/aclImdb_labeled.tar.gz", MIRROR / "imdb/aclImdb_unsup.tar.gz"


@pytest.fixture
def local_mirror(tmp_path, monkeypatch):
    """An empty cache and a mirror folder that links the real files we put into it."""
    if not (LABELED.exists() and UNSUP.exists()):
        pytest.skip("the real IMDB mirror is not beside this checkout")
    mirror = tmp_path / "mirror"
    (mirror / "imdb").mkdir(parents=True)
    monkeypatch.setenv("RNNBOOK_DATA_MIRROR", str(mirror))
    monkeypatch.setenv("RNNBOOK_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RNNBOOK_SAMPLES", raising=False)
    return mirror / "imdb"


def test_labelled_half_alone_has_no_unlabelled_reviews(local_mirror):
    (local_mirror / LABELED.name).symlink_to(LABELED)
    assert unsup_available() is False


def test_both_halves_have_them(local_mirror):
    (local_mirror / LABELED.name).symlink_to(LABELED)
    (local_mirror / UNSUP.name).symlink_to(UNSUP)
    assert unsup_available() is True


def test_nothing_local_means_the_full_download_would_bring_them(local_mirror):
    assert unsup_available() is True
