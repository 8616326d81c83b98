#!/usr/bin/env python
"""Make the hand-made sample datasets in datasets/samples/ (used when RNNBOOK_SAMPLES=1).

The invented text (every sentence was made up for this course) is in templates.toml. The
files have the same formats as the real ones (aclImdb tar.gz tree, CoNLL 4-column IOB2 with
-DOCSTART-, spa-eng.zip with spa-eng/spa.txt, GloVe text gz, a play-like text), are small, and
are built deterministically (seeded random, fixed archive timestamps), so running

    python datasets/samples/make_samples.py            # rewrite the files, print size + sha256
    python datasets/samples/make_samples.py --check    # compare with the files on disk

gives the same content every time. After a change, copy the printed sha256s into the
`sample` forms of datasets/registry.toml. Results computed on these files are meaningless.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import random
import re
import sys
import tarfile
import tomllib
import zipfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
TAR_MTIME = 1309046400  # 2011-06-26, the date the mirror's IMDB repack uses
ZIP_DATE = (2018, 5, 13, 0, 0, 0)

T = tomllib.loads((HERE / "templates.toml").read_text(encoding="utf-8"))  # the invented text
README = T["readme"]
SPEAKERS, VERSE = T["speakers"], T["verse"].splitlines()
FILMS, ACTORS, GENRES = T["films"], T["actors"], T["genres"]
POSITIVE, NEGATIVE, NEUTRAL = T["positive"], T["negative"], T["neutral"]
ENTITIES, CONLL_TEMPLATES = T["entities"], T["conll_templates"]
SUBJECTS, VERBS, OBJECTS, PHRASES = (T["spa_eng"][k] for k in ("subjects", "verbs", "objects",
                                                              "phrases"))
CLUSTERS = T["glove"]["clusters"]

# ----------------------------------------------------------------------------- archive helpers


def gzip_bytes(data: bytes) -> bytes:
    """gzip with no file name and mtime 0 (like `gzip -n -9`)."""
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return out.getvalue()


def tar_bytes(files: dict[str, bytes]) -> bytes:
    """An uncompressed tar of ``files`` plus their folders, sorted by name, fixed metadata."""
    dirs = {str(Path(name).parents[i]) for name in files for i in range(len(Path(name).parts) - 1)}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for name in sorted(dirs | set(files)):
            info = tarfile.TarInfo(name)
            info.mtime = TAR_MTIME
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if name in dirs:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tf.addfile(info)
            else:
                info.mode = 0o644
                info.size = len(files[name])
                tf.addfile(info, io.BytesIO(files[name]))
    return buf.getvalue()


def zip_bytes(entries: list[tuple[str, bytes | None]]) -> bytes:
    """A zip with fixed dates; ``None`` content marks a folder entry."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.create_system = 3
            if data is None:
                info.external_attr = (0o40755 << 16) | 0x10
                zf.writestr(info, b"")
            else:
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data, compresslevel=9)
    return buf.getvalue()


# ----------------------------------------------------------------------------- tiny "Shakespeare"

def make_shakespeare(rng: random.Random) -> bytes:
    """About 25 KB of invented play dialogue in the tiny-shakespeare layout."""
    speeches = []
    for _ in range(240):
        lines = rng.sample(VERSE, rng.choice([1, 1, 2, 2, 3, 4]))
        speeches.append(f"{rng.choice(SPEAKERS)}:\n" + "\n".join(lines) + "\n")
    # a fixed first speech: notebook 02 primes with "ROMEO:" and glues this line together
    opening = "ROMEO:\nGood morrow, neighbour Baptista; what news abroad?\n"
    return "\n".join([opening, *speeches]).encode("ascii")


# ----------------------------------------------------------------------------- IMDB-like reviews

def _fill(template: str, rng: random.Random) -> str:
    actor, actor2 = rng.sample(ACTORS, 2)
    return template.format(film=rng.choice(FILMS), actor=actor, actor2=actor2,
                           genre=rng.choice(GENRES), year=rng.randint(1950, 2005))


KEEP_CAPITAL = {"I"} | {a.split()[0] for a in ACTORS}


def make_review(positive: bool, rng: random.Random) -> str:
    """2-4 sentences of one polarity, maybe one of the other, plus 0-2 neutral ones."""
    main, other = (POSITIVE, NEGATIVE) if positive else (NEGATIVE, POSITIVE)
    sentences = [_fill(t, rng) for t in rng.sample(main, rng.randint(2, 4))]
    if rng.random() < 0.25:
        contrast = _fill(rng.choice(other), rng)
        if contrast.split()[0] not in KEEP_CAPITAL:
            contrast = contrast[0].lower() + contrast[1:]
        sentences.insert(rng.randint(1, len(sentences)), "But " + contrast)
    for template in rng.sample(NEUTRAL, rng.randint(0, 2)):
        sentences.insert(0, _fill(template, rng))
    parts = [sentences[0]]
    for s in sentences[1:]:
        parts.append(("<br /><br />" if rng.random() < 0.15 else " ") + s)
    return "".join(parts)


def make_imdb(rng: random.Random, per_class: int = 100, unsup: int = 100) -> bytes:
    """aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt and train/unsup, as one tar.gz."""
    files: dict[str, bytes] = {"aclImdb/README": README.format(
        title="IMDB reviews", name="imdb", fmt="the aclImdb/ tree in a tar.gz.").encode()}
    for split in ("train", "test"):
        for folder, positive in (("neg", False), ("pos", True)):
            for i in range(per_class):
                rating = rng.randint(7, 10) if positive else rng.randint(1, 4)
                text = make_review(positive, rng)
                files[f"aclImdb/{split}/{folder}/{i}_{rating}.txt"] = text.encode()
    for i in range(unsup):
        files[f"aclImdb/train/unsup/{i}_0.txt"] = make_review(rng.random() < 0.5, rng).encode()
    return gzip_bytes(tar_bytes(files))


# ----------------------------------------------------------------------------- CoNLL-like NER

def _entity_rows(etype: str, continues_np: bool, rng: random.Random) -> list[str]:
    words = rng.choice(ENTITIES[etype]).split()
    ner, _, adjective = etype.partition("_")
    rows = []
    for i, w in enumerate(words):
        pos = "JJ" if adjective else "NNP"
        chunk = "I-NP" if continues_np or i > 0 else "B-NP"
        rows.append(f"{w} {pos} {chunk} {'B' if i == 0 else 'I'}-{ner}")
    return rows


def make_conll_sentence(rng: random.Random) -> list[str]:
    """One sentence as 4-column rows (word POS chunk NER), IOB2."""
    rows: list[str] = []
    for item in rng.choice(CONLL_TEMPLATES).split():
        if item.startswith("@"):
            rows += _entity_rows(item[1:].rstrip("+"), item.endswith("+"), rng)
        else:
            word, pos, chunk = item.split("|")
            rows.append(f"{word} {pos} {chunk} O")
    return rows


def make_conll(n_sentences: int, rng: random.Random) -> bytes:
    """Documents of 6-12 sentences, each opened by a -DOCSTART- line, blank-line separated."""
    out: list[str] = []
    left = n_sentences
    while left > 0:
        out += ["-DOCSTART- -X- -X- O", ""]
        for _ in range(min(left, rng.randint(6, 12))):
            out += make_conll_sentence(rng) + [""]
            left -= 1
    return ("\n".join(out) + "\n").encode()


# ----------------------------------------------------------------------------- spa-eng pairs

def _pairs_for(verb: tuple[str, str, str, str]) -> list[tuple[str, str]]:
    base, third, forms, group = verb
    conj = forms.split()
    pairs = []
    for eng_s, spa_s, k, is3 in SUBJECTS:
        for eng_o, spa_o in OBJECTS[group]:
            eng_v = third if is3 else base
            pairs.append((f"{eng_s} {eng_v} {eng_o}.", f"{spa_s} {conj[k]} {spa_o}."))
            aux = "doesn't" if is3 else "don't"
            pairs.append((f"{eng_s} {aux} {base} {eng_o}.", f"{spa_s} no {conj[k]} {spa_o}."))
            if k == 1:
                pairs.append((f"Do you {base} {eng_o}?", f"¿{conj[k].capitalize()} {spa_o}?"))
            elif k == 2:
                pairs.append((f"Does {eng_s.lower()} {base} {eng_o}?",
                              f"¿{conj[k].capitalize()} {spa_s.lower()} {spa_o}?"))
    return pairs


def make_spa_eng(rng: random.Random, n_pairs: int = 500) -> bytes:
    """spa-eng.zip with spa-eng/_about.txt and spa-eng/spa.txt (English<TAB>Spanish)."""
    generated = [p for verb in VERBS for p in _pairs_for(verb)]
    chosen = rng.sample(generated, n_pairs - len(PHRASES)) + PHRASES
    chosen.sort(key=lambda p: (len(p[0]), p[0], p[1]))
    spa = "".join(f"{eng}\t{spa}\n" for eng, spa in chosen).encode("utf-8")
    about = README.format(title="Spanish-English pairs", name="spa-eng",
                          fmt="spa-eng/spa.txt, English<TAB>Spanish.").encode()
    return zip_bytes([("spa-eng/", None), ("spa-eng/_about.txt", about),
                      ("spa-eng/spa.txt", spa)])


# ----------------------------------------------------------------------------- GloVe-like vectors

def sample_vocabulary(texts: list[str], size: int) -> list[str]:
    """The ``size`` most frequent lower-cased tokens (ties alphabetical), like GloVe's order."""
    counts: Counter[str] = Counter()
    for text in texts:
        text = text.replace("<br />", " ").lower()
        counts.update(re.findall(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]", text))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [w for w, _ in ranked[:size]]


def make_glove(words: list[str], dim: int, seed: int) -> bytes:
    """GloVe text (word v1 .. v_dim), gzipped; words of a cluster share a centroid."""
    rng = random.Random(seed)
    cluster_of = {w: c for c, ws in CLUSTERS.items() for w in ws.split()}
    centroids = {c: [rng.gauss(0.0, 0.6) for _ in range(dim)] for c in CLUSTERS}
    lines = []
    for w in words:
        centre = centroids.get(cluster_of.get(w, ""), [0.0] * dim)
        values = [c + rng.gauss(0.0, 0.35) for c in centre]
        lines.append(w + " " + " ".join(f"{v:.4g}" for v in values) + "\n")
    return gzip_bytes("".join(lines).encode("utf-8"))


# ----------------------------------------------------------------------------- all samples


def _readme(title: str, name: str, fmt: str) -> bytes:
    return README.format(title=title, name=name, fmt=fmt).encode()


def build() -> dict[str, bytes]:
    """Every sample file, keyed by its path relative to datasets/samples/."""
    files: dict[str, bytes] = {}
    shakespeare = make_shakespeare(random.Random(1))
    files["tinyshakespeare/shakespeare_sample.txt"] = shakespeare
    files["imdb/aclImdb_sample.tar.gz"] = make_imdb(random.Random(2))
    rng = random.Random(3)
    for split, n in (("train", 100), ("valid", 25), ("test", 25)):
        files[f"conll2003/{split}.txt"] = make_conll(n, rng)
    files["spa-eng/spa-eng.zip"] = make_spa_eng(random.Random(4))

    with zipfile.ZipFile(io.BytesIO(files["spa-eng/spa-eng.zip"])) as zf:
        english = [line.split("\t")[0] for line in zf.read("spa-eng/spa.txt").decode().split("\n")]
    with tarfile.open(fileobj=io.BytesIO(files["imdb/aclImdb_sample.tar.gz"])) as tf:
        reviews = [tf.extractfile(m).read().decode() for m in tf if m.isfile()]  # type: ignore
    conll_words = [" ".join(row.split(" ")[0] for row in files[f"conll2003/{s}.txt"].decode()
                            .split("\n") if row and not row.startswith("-DOCSTART-"))
                   for s in ("train", "valid", "test")]
    words = sample_vocabulary(reviews + english + conll_words + [shakespeare.decode()], 300)
    extra = [w for w in T["glove"]["must_have"] if w not in words]
    words = words[:len(words) - len(extra)] + extra  # still 300, frequency order, then these
    files["glove/glove.sample.50d.txt.gz"] = make_glove(words, 50, seed=5)
    files["glove/glove.sample.100d.txt.gz"] = make_glove(words, 100, seed=6)
    for name, about in T["readmes"].items():  # the README.md beside each sample
        files[f"{name}/README.md"] = _readme(about["title"], name, about["format"])
    return files


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) the sample files; print size and sha256 of each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    args = parser.parse_args(argv)
    differ = []
    total = 0
    for rel, data in sorted(build().items()):
        path = args.out / rel
        total += len(data)
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                differ.append(rel)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        print(f"{rel:45s} {len(data):>8,}  {hashlib.sha256(data).hexdigest()}")
    print(f"total {total:,} bytes")
    if differ:
        print("differ from the files on disk: " + ", ".join(differ), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
