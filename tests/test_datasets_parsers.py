"""Parsers of rnnbook.datasets on tiny fixtures in the exact real formats (no registry needed)."""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile
import unicodedata
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rnnbook.datasets import DatasetFormatError, iob1_to_iob2, parse_conll
from rnnbook.datasets._tar import iter_tar
from rnnbook.datasets.glove import build_matrix, read_vectors
from rnnbook.datasets.imdb import read_reviews, split_validation
from rnnbook.datasets.shakespeare import read_text, speaker_names, split_text
from rnnbook.datasets.spa_eng import group_by_source, parse_pairs, split_pairs

FIXTURES = Path(__file__).parent / "fixtures" / "datasets"


# ----------------------------------------------------------------------------- helpers


def make_imdb_tar(path: Path, reviews: dict[str, str]) -> Path:
    """A tar.gz with the aclImdb/ layout: {'train/pos/0_9.txt': text, ...}."""
    with tarfile.open(path, "w:gz") as tf:
        for rel, text in sorted(reviews.items()):
            data = text.encode("utf-8") if isinstance(text, str) else text
            info = tarfile.TarInfo(f"aclImdb/{rel}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def imdb_reviews(n: int = 6, unsup: int = 4) -> dict[str, str]:
    """n reviews per labelled folder plus ``unsup`` unlabelled ones."""
    out = {"README": "sample"}
    for split in ("train", "test"):
        for folder, rating in (("pos", 9), ("neg", 2)):
            for i in range(n):
                out[f"{split}/{folder}/{i}_{rating}.txt"] = f"{split} {folder} review {i}"
    for i in range(unsup):
        out[f"train/unsup/{i}_0.txt"] = f"unsup review {i}"
    return out


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


# ----------------------------------------------------------------------------- CoNLL


def test_parse_conll_iob2_drops_docstart_and_keeps_columns():
    sents = parse_conll(FIXTURES / "conll_iob2.txt")
    assert len(sents) == 3
    first = sents[0]
    assert first.tokens == ["Mara", "Kellet", "visited", "Port", "Askel", "."]
    assert first.tags == ["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O"]
    assert first.pos == ["NNP", "NNP", "VBD", "NNP", "NNP", "."]
    assert first.chunk == ["B-NP", "I-NP", "B-VP", "B-NP", "I-NP", "O"]
    assert sents[1].tags == ["B-ORG", "I-ORG", "B-ORG", "I-ORG", "O", "O"]
    assert all("-DOCSTART-" not in s.tokens for s in sents)
    assert len(sents[2]) == 3  # last sentence has no trailing blank line


def test_parse_conll_iob1_converts_to_the_iob2_file(tmp_path):
    iob2 = parse_conll(FIXTURES / "conll_iob2.txt")
    assert parse_conll(FIXTURES / "conll_iob1.txt", scheme="iob1") == iob2
    gz = tmp_path / "eng.train.gz"
    gz.write_bytes(gzip.compress((FIXTURES / "conll_iob1.txt").read_bytes()))
    assert parse_conll(gz, scheme="iob1") == iob2


def test_iob1_to_iob2():
    assert iob1_to_iob2(["I-PER", "I-PER", "O", "I-LOC", "I-ORG", "B-ORG", "I-ORG"]) == [
        "B-PER", "I-PER", "O", "B-LOC", "B-ORG", "B-ORG", "I-ORG"]
    assert iob1_to_iob2([]) == []
    with pytest.raises(ValueError, match="tag 1"):
        iob1_to_iob2(["O", "PER"])


def test_iob1_file_read_as_iob2_is_rejected():
    with pytest.raises(DatasetFormatError) as exc:
        parse_conll(FIXTURES / "conll_iob1.txt")
    assert exc.value.line == 3
    assert "conll_iob1.txt" in str(exc.value) and "scheme='iob1'" in str(exc.value)


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        ("Mara NNP B-NP", "4 whitespace-separated columns"),
        ("Mara NNP B-NP B-PER extra", "4 whitespace-separated columns"),
        ("Mara NNP B-NP X-PER", "NER tag"),
        ("Mara NNP NP B-PER", "chunk tag"),
        ("Mara NNP B-NP I-LOC", "IOB2 NER tag"),
    ],
)
def test_parse_conll_bad_lines_name_file_and_line(tmp_path, bad_line, expected):
    path = tmp_path / "bad.txt"
    path.write_text(f"-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\n. . O O\n\n{bad_line}\n")
    with pytest.raises(DatasetFormatError) as exc:
        parse_conll(path)
    assert exc.value.line == 6
    assert exc.value.path == str(path)
    assert f"{path}, line 6" in str(exc.value) and expected in str(exc.value)


def test_parse_conll_rejects_unknown_scheme():
    with pytest.raises(ValueError, match="scheme"):
        parse_conll(FIXTURES / "conll_iob2.txt", scheme="bioes")


# ----------------------------------------------------------------------------- IMDB


def test_imdb_reviews_streamed_from_tarballs(tmp_path):
    labeled = {k: v for k, v in imdb_reviews().items() if "unsup" not in k}
    unsup = {k: v for k, v in imdb_reviews().items() if "unsup" in k}
    a = make_imdb_tar(tmp_path / "labeled.tar.gz", labeled)
    b = make_imdb_tar(tmp_path / "unsup.tar.gz", unsup)
    groups = read_reviews([a, b])
    assert {k: len(v) for k, v in groups.items()} == {
        ("train", "pos"): 6, ("train", "neg"): 6, ("test", "pos"): 6, ("test", "neg"): 6,
        ("train", "unsup"): 4}
    pos = groups[("train", "pos")]
    assert [r.id for r in pos] == list(range(6)) and pos[0].rating == 9
    assert pos[0].text == "train pos review 0"
    assert ("train", "unsup") not in read_reviews([a, b], include_unsup=False)


def test_imdb_bad_utf8_raises_format_error(tmp_path):
    reviews = imdb_reviews()
    reviews["train/pos/3_9.txt"] = b"caf\xe9"  # latin-1, not UTF-8
    tar = make_imdb_tar(tmp_path / "a.tar.gz", reviews)
    with pytest.raises(DatasetFormatError, match="aclImdb/train/pos/3_9.txt"):
        read_reviews([tar])


def test_imdb_truncated_archive_raises_format_error(tmp_path):
    tar = make_imdb_tar(tmp_path / "a.tar.gz", imdb_reviews())
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(tar.read_bytes()[:200])
    with pytest.raises(DatasetFormatError, match="cut.tar.gz"):
        read_reviews([cut])


def test_split_validation_is_stratified_seeded_and_disjoint():
    labels = np.array([0] * 60 + [1] * 40, dtype=np.int32)
    tr, va = split_validation(labels, 20, seed=1)
    assert len(va) == 20 and len(tr) == 80
    assert set(tr).isdisjoint(va) and set(tr) | set(va) == set(range(100))
    assert int(labels[va].sum()) == 8  # 40% positives
    tr2, va2 = split_validation(labels, 20, seed=1)
    assert np.array_equal(va, va2) and np.array_equal(tr, tr2)
    assert not np.array_equal(va, split_validation(labels, 20, seed=2)[1])
    with pytest.raises(ValueError, match="val_size"):
        split_validation(labels, 100, seed=1)


# ----------------------------------------------------------------------------- spa-eng


def test_parse_pairs_from_zip_is_nfc_and_spanish_first(tmp_path):
    z = write_zip(tmp_path / "spa-eng.zip", {"spa-eng/_about.txt": b"about",
                                            "spa-eng/spa.txt": (FIXTURES / "spa.txt").read_bytes()})
    pairs = parse_pairs(z)
    assert pairs[0] == ("Ve.", "Go.")
    assert len(pairs) == 6
    assert pairs[3] == ("Hace frío.", "It's cold.")
    assert all(unicodedata.is_normalized("NFC", s) for pair in pairs for s in pair)
    assert parse_pairs(FIXTURES / "spa.txt") == pairs


def test_parse_pairs_accepts_attribution_column(tmp_path):
    path = tmp_path / "spa.txt"
    path.write_text("Go.\tVe.\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272\n")
    assert parse_pairs(path) == [("Ve.", "Go.")]


@pytest.mark.parametrize("bad", ["Go. Ve.", "Go.\t", "a\tb\tc\td"])
def test_parse_pairs_bad_line(tmp_path, bad):
    z = write_zip(tmp_path / "spa-eng.zip", {"spa-eng/spa.txt": f"Go.\tVe.\n{bad}\n".encode()})
    with pytest.raises(DatasetFormatError) as exc:
        parse_pairs(z)
    assert exc.value.line == 2 and "spa-eng.zip:spa-eng/spa.txt" in str(exc.value)


def test_parse_pairs_missing_member(tmp_path):
    z = write_zip(tmp_path / "spa-eng.zip", {"other.txt": b"x"})
    with pytest.raises(DatasetFormatError, match="spa-eng/spa.txt"):
        parse_pairs(z)


def test_split_pairs_fixed_and_disjoint():
    pairs = [(f"es{i}", f"en{i}") for i in range(100)]
    a = split_pairs(pairs, val_fraction=0.1, test_fraction=0.2, seed=7)
    b = split_pairs(pairs, val_fraction=0.1, test_fraction=0.2, seed=7)
    assert a == b
    assert (len(a.train), len(a.val), len(a.test)) == (70, 10, 20)
    assert sorted(a.train + a.val + a.test) == sorted(pairs)
    assert a.test != split_pairs(pairs, val_fraction=0.1, test_fraction=0.2, seed=8).test
    with pytest.raises(ValueError):
        split_pairs(pairs, val_fraction=0.5, test_fraction=0.5)


def test_split_pairs_never_puts_a_sentence_in_two_splits():
    """Every translation of a Spanish sentence, and every Spanish sentence sharing an English
    translation, lands in one split (a random split of pairs leaks both ways)."""
    pairs = []
    for i in range(60):
        pairs += [(f"Frase {i}.", f"Sentence {i}."), (f"frase  {i}.", f"The sentence {i}.")]
        pairs += [(f"Otra {i}.", f"Sentence {i}.")]  # shares an English side with "Frase i."
    pairs += [(f"Sola {i}.", f"Alone {i}.") for i in range(40)]
    split = split_pairs(pairs, val_fraction=0.2, test_fraction=0.2, seed=1)
    where = {}
    for name in ("train", "val", "test"):
        for es, en in getattr(split, name):
            for key in (("es", es.casefold().replace("  ", " ")), ("en", en)):
                assert where.setdefault(key, name) == name, f"{key} is in {where[key]} and {name}"
    assert sorted(split.train + split.val + split.test) == sorted(pairs)
    assert (len(split.val) + len(split.test)) > 0.2 * len(pairs)  # 100 groups, 20 + 20 held out


def test_group_by_source_collects_every_reference():
    pairs = [("Hola.", "Hello."), ("Adiós.", "Bye."), ("hola.", "Hi."), ("Hola.", "Hello.")]
    assert group_by_source(pairs) == [("Hola.", ["Hello.", "Hi."]), ("Adiós.", ["Bye."])]


# ----------------------------------------------------------------------------- GloVe


def test_read_vectors_plain_and_gz(tmp_path):
    words, vecs = read_vectors(FIXTURES / "glove_5d.txt", 5)
    assert words == ["the", ",", "movie", "good", "bad"]
    assert vecs.dtype == np.float32 and vecs.shape == (5, 5)
    gz = tmp_path / "g.txt.gz"
    gz.write_bytes(gzip.compress((FIXTURES / "glove_5d.txt").read_bytes()))
    words2, vecs2 = read_vectors(gz, 5, max_words=2)
    assert words2 == ["the", ","] and np.array_equal(vecs2, vecs[:2])
    words3, vecs3 = read_vectors(gz, 5, words={"bad", "movie", "absent"})
    assert words3 == ["movie", "bad"] and np.array_equal(vecs3[0], [1, 2, 3, 4, 5])


def test_glove_wrong_dimension_names_line(tmp_path):
    path = tmp_path / "g.txt"
    shutil.copy(FIXTURES / "glove_5d.txt", path)
    with path.open("a") as fh:
        fh.write("oops 1 2 3 4\n")
    with pytest.raises(DatasetFormatError) as exc:
        read_vectors(path, 5)
    assert exc.value.line == 6 and "5 space-separated values, got 4" in str(exc.value)
    with pytest.raises(DatasetFormatError, match="line 1"):
        read_vectors(FIXTURES / "glove_5d.txt", 50)


def test_build_matrix_reserved_oov_and_coverage():
    vocab = ["<pad>", "<unk>", "<s>", "</s>", "movie", "Good", "zzz", "the"]
    gm = build_matrix(FIXTURES / "glove_5d.txt", vocab, 5)
    assert gm.matrix.shape == (8, 5) and gm.matrix.dtype == np.float32
    assert not gm.matrix[:4].any()  # reserved rows are zeros
    assert np.array_equal(gm.matrix[4], [1, 2, 3, 4, 5])
    assert np.array_equal(gm.matrix[5], [0.5, 0.5, 0.5, 0.5, -0.5])  # lower-case fallback
    assert gm.found == 3 and gm.missing == ["zzz"] and gm.coverage == pytest.approx(0.75)
    assert 0 < np.abs(gm.matrix[6]).max() < 1  # small random row for the OOV word
    again = build_matrix(FIXTURES / "glove_5d.txt", vocab, 5)
    assert np.array_equal(gm.matrix, again.matrix)  # seeded
    strict = build_matrix(FIXTURES / "glove_5d.txt", vocab, 5, lowercase_fallback=False)
    assert strict.missing == ["Good", "zzz"]


# ----------------------------------------------------------------------------- Shakespeare


def test_split_text_is_contiguous():
    text = "abcdefghij" * 10
    s = split_text(text, 0.1)
    assert s.train + s.val == text and len(s.val) == 10
    assert split_text(text, 0.0).val == ""
    with pytest.raises(ValueError):
        split_text(text, 1.0)


def test_read_text_errors(tmp_path):
    empty = tmp_path / "e.txt"
    empty.write_text("")
    with pytest.raises(DatasetFormatError, match="non-empty"):
        read_text(empty)
    bad = tmp_path / "b.txt"
    bad.write_bytes(b"ok\nstill ok\n\xff\n")
    with pytest.raises(DatasetFormatError) as exc:
        read_text(bad)
    assert exc.value.line == 3


# ----------------------------------------------------------------------------- tar reader


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
@pytest.mark.parametrize("compress", ["", "gz"])
def test_iter_tar_matches_tarfile(tmp_path, fmt, compress):
    long_dir = "d" * 60 + "/" + "e" * 60  # > 100 chars: ustar prefix, GNU 'L' or pax path
    names = ["a.txt", f"{long_dir}/b.txt"]
    if fmt == tarfile.PAX_FORMAT:
        names.append("ünï/çødé.txt")
    path = tmp_path / f"x.tar{'.' + compress if compress else ''}"
    with tarfile.open(path, f"w:{compress}", format=fmt) as tf:
        for i, name in enumerate(names):
            data = f"member {i}\n".encode() * (i * 100 + 1)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("link")
        link.type = tarfile.SYMTYPE
        link.linkname = "a.txt"
        tf.addfile(link)
        folder = tarfile.TarInfo("folder")
        folder.type = tarfile.DIRTYPE
        tf.addfile(folder)
    with tarfile.open(path) as tf:
        expected = [(m.name, tf.extractfile(m).read()) for m in tf if m.isfile()]
    assert list(iter_tar(path)) == expected
    assert [n for n, _ in expected] == names


def test_iter_tar_rejects_corruption(tmp_path):
    path = make_imdb_tar(tmp_path / "a.tar.gz", imdb_reviews(n=1, unsup=0))
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[1024 + 10] ^= 0x01  # flip a bit inside the second header's name
    bad = tmp_path / "bad.tar"
    bad.write_bytes(bytes(raw))
    with pytest.raises(DatasetFormatError, match="bad.tar: .*damaged header"):
        list(iter_tar(bad))
    for cut in (700, 1024):  # inside a member's padding; exactly after a member
        short = tmp_path / f"short{cut}.tar"
        short.write_bytes(gzip.decompress(path.read_bytes())[:cut])
        with pytest.raises(DatasetFormatError, match=f"short{cut}.tar: a complete tar archive"):
            list(iter_tar(short))
    gz = tmp_path / "cut.tar.gz"
    gz.write_bytes(path.read_bytes()[:-12])  # the gzip trailer is missing
    with pytest.raises(DatasetFormatError, match="cut.tar.gz"):
        list(iter_tar(gz))


# ----------------------------------------------------------------------------- damaged files


def test_truncated_gzip_names_the_file(tmp_path):
    whole = gzip.compress((FIXTURES / "glove_5d.txt").read_bytes() * 50)
    cut = tmp_path / "cut.txt.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DatasetFormatError, match="cut.txt.gz: a complete gzip file") as exc:
        read_vectors(cut, 5)
    assert not isinstance(exc.value.__cause__, DatasetFormatError)  # gzip's error, chained
    conll = tmp_path / "eng.train.gz"
    data = gzip.compress((FIXTURES / "conll_iob1.txt").read_bytes())
    conll.write_bytes(data[: len(data) - 12])  # the stream ends before its trailer
    with pytest.raises(DatasetFormatError, match="eng.train.gz"):
        parse_conll(conll, scheme="iob1")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
def test_glove_non_finite_value_names_file_and_line(tmp_path, value):
    path = tmp_path / "g.txt"
    shutil.copy(FIXTURES / "glove_5d.txt", path)
    with path.open("a") as fh:
        fh.write(f"odd 1 2 {value} 4 5\n")
    with pytest.raises(DatasetFormatError, match="g.txt, line 6: finite vector values"):
        read_vectors(path, 5)
    assert read_vectors(path, 5, words={"movie"})[0] == ["movie"]  # rows not asked for: unread


def test_tar_member_name_not_utf8_names_the_file(tmp_path):
    path = tmp_path / "latin1.tar"
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT, encoding="latin-1") as tf:
        info = tarfile.TarInfo("aclImdb/train/pos/caf\xe9_9.txt")  # the name's bytes: latin-1
        info.size = 2
        tf.addfile(info, io.BytesIO(b"ok"))
    with pytest.raises(DatasetFormatError, match="latin1.tar: a complete tar archive"):
        list(iter_tar(path))


def test_speaker_names_are_the_capitalised_lines_ending_in_a_colon():
    text = ("First Citizen:\nBefore we proceed.\n\nKING RICHARD III:\nNow is the winter:\n"
            "ROMEO:\nO, she doth teach.\nJULIET: not a speaker line\nO'ER:\n")
    assert speaker_names(text) == ["KING RICHARD III", "ROMEO", "O'ER"]
    assert speaker_names("") == []
