#!/usr/bin/env python
"""Make the hand-made sample datasets in datasets/samples/ (used when RNNBOOK_SAMPLES=1).

Every sentence here was invented for this course; no line comes from the real datasets. The
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
import zipfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
TAR_MTIME = 1309046400  # 2011-06-26, the date the mirror's IMDB repack uses
ZIP_DATE = (2018, 5, 13, 0, 0, 0)

README = """\
# Hand-made sample: {title}

These files are **hand-made samples**, used only when `RNNBOOK_SAMPLES=1`. They are tiny and
invented (no line comes from the real dataset), so **results computed on them are meaningless**:
they exist so notebooks and tests can run end to end without the real data.

The format is the same as the real dataset's: {fmt}

Made deterministically by `datasets/samples/make_samples.py`; their sha256s are pinned in the
`sample` form of `{name}` in `datasets/registry.toml`.
"""


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

SPEAKERS = ["Duke Aldric", "Lady Corvina", "Halden", "Margery", "First Watchman",
            "Second Watchman", "Friar Oswin", "Tobias"]

VERSE = """\
What news from the harbour, good my lord?
The ships are come, but lighter than they went.
I pray you, speak more softly; the walls have ears.
Then let them hear, for I have nothing false to say.
Go to, go to; thou art a merry fool tonight.
The moon is up, and all the town asleep.
Shall we to supper, or to bed, or to the watch?
My heart is heavy as a miller's stone.
Fie on thy fears! the morning brings us help.
I will not stay; the road is long and cold.
Who goes there? Stand, and name thyself.
A friend, a friend, and weary of the rain.
Bring lights, bring lights! the duke is at the gate.
O gentle sister, do not weep for me.
I swear by yonder candle I am true.
The bread is stale, the wine is thin, the fire is out.
Let us be gone before the bell strikes twelve.
Thou speak'st of honour as a thief of gold.
Peace, peace! I hear a footstep on the stair.
Tell me again, and slowly, what you saw.
A cloak of grey, a hat, a silver ring.
Then it was he; no other wears that ring.
Good night, good night; may angels keep thy door.
I have a letter here that burns my hand.
Read it aloud, and let the room be judge.
The river rises and the bridge is gone.
We must go round by Ashford and the hill.
My lord, the horses wait, and they are saddled.
Why, then, away! and speak of this to none.
What is a crown but care upon a head?
What is a name but breath upon the wind?
I'll wager thee a florin and a song.
Thou art a knave, and yet I like thee well.
Come hither, boy; what hast thou in thy sack?
Apples, my lord, and one of them is sound.
Ha! thou hast wit enough to keep thee fed.
The night grows old; the candles gutter low.
Hark, how the wind doth argue with the trees.
I do beseech your grace to hear me out.
Speak on, but briefly; I am tired of words.
She loves him not, and he loves only her.
Then both are fools, and I the greatest fool.
Give me thy hand; we part as friends at least.
Not friends, my lady, but not enemies.
The market cross at noon; be there, and wait.
I will be there, though all the heavens fall.
How now, what noise is this within the hall?
The cook hath burnt the goose, and blames the cat.
A plague upon all geese and all their cooks!
Be merry, friends; tomorrow we shall mend it.
What says the friar? Will he marry them?
He says he will, if both will say the same.
Then ring the bells and let the town rejoice.
Soft, soft; the lady sleeps within.
Then I will sing, but very quietly.
Thy song is sweet, but thou art out of tune.
I know it well; so is the world, my friend.
Away with thee! and take thy lute with thee.
Sirrah, you have the look of one who lies.
I have the look of one who has not dined.
""".splitlines()


def make_shakespeare(rng: random.Random) -> bytes:
    """About 25 KB of invented play dialogue in the tiny-shakespeare layout."""
    speeches = []
    for _ in range(240):
        lines = rng.sample(VERSE, rng.choice([1, 1, 2, 2, 3, 4]))
        speeches.append(f"{rng.choice(SPEAKERS)}:\n" + "\n".join(lines) + "\n")
    return "\n".join(speeches).encode("ascii")


# ----------------------------------------------------------------------------- IMDB-like reviews

FILMS = ["The Lantern Road", "Midnight at Brackwater", "Paper Harbour", "The Quiet Orchard",
         "Seven Winters", "Copper Sky", "The Last Ferry", "Glass Mountain"]
ACTORS = ["Nora Vell", "Tom Hadley", "Iris Calder", "Ben Marsh", "Lena Ostrova", "Jack Fenn"]
GENRES = ["western", "horror", "comedy", "thriller", "musical", "science fiction"]

POSITIVE = [
    "This is one of the best films I have seen this year.",
    "The acting was wonderful and the story kept me hooked until the end.",
    "I loved every minute of it.",
    "The music is beautiful and the photography is stunning.",
    "{actor} gives a brilliant performance as the old captain.",
    "A warm, funny and clever film that the whole family can enjoy.",
    "The script is sharp and the jokes actually land.",
    "I laughed, I cried, and I would happily watch it again.",
    "It is a rare movie that respects its audience.",
    "The ending is perfect.",
    "Highly recommended.",
    "A true classic of the {genre} genre.",
    "Great characters, great dialogue and a great cast.",
    "The director handles the quiet moments with real care.",
    "Easily a ten out of ten for me.",
    "What a delightful surprise this was.",
    "The two leads have terrific chemistry.",
    "Every scene looks like a painting.",
    "It made me smile for days afterwards.",
    "A moving and honest story, beautifully told.",
]
NEGATIVE = [
    "This is one of the worst films I have seen this year.",
    "The acting was wooden and the story made no sense.",
    "I was bored after the first ten minutes.",
    "The music is annoying and the camera work is a mess.",
    "{actor} looks lost and clearly wanted to be somewhere else.",
    "A dull, lazy and predictable film.",
    "The script is awful and none of the jokes work.",
    "I kept checking my watch and waiting for it to end.",
    "It treats the audience like fools.",
    "The ending is terrible.",
    "Avoid this one.",
    "A cheap copy of every other {genre} movie.",
    "Flat characters, silly dialogue and a wasted cast.",
    "The director has no idea how to build tension.",
    "Two out of ten, and that is generous.",
    "What a disappointment this was.",
    "The two leads have no chemistry at all.",
    "Half the scenes are too dark to see anything.",
    "I want those two hours of my life back.",
    "A confused and boring story, badly told.",
]
NEUTRAL = [
    "I saw {film} on a rainy Sunday afternoon.",
    "The film runs for about two hours.",
    "It is based on a novel I have not read.",
    "My sister picked it at the video store.",
    "{film} was made on a small budget in {year}.",
    "The plot follows a family who move to a small town by the sea.",
    "There is a long chase scene in the middle.",
    "{actor} plays the mayor, and {actor2} plays his daughter.",
    "I watched it with some friends.",
    "It was shown late at night on television.",
]


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

ENTITIES = {
    "PER": ["Mara Kellet", "Tobin Ashgrove", "Elin Varga", "Piet Rosmalen", "Sunniva Dahl",
            "Oskar Brandt", "Ilse Marten", "Jonas Wey", "Clara Petrov", "Aled Rhys", "Kellet"],
    "LOC": ["Veldtmoor", "Port Askel", "New Harlow", "Brackwater", "Lundmark", "East Varro",
            "Selby Cross", "Karsk"],
    "ORG": ["Brightwater Holdings", "Kestrel Air", "Orrin Bank", "Halden United", "Varro City",
            "Northgate Mining", "Askel Rovers", "Lundmark Telecom"],
    "MISC": ["Harvest Cup", "Northern Games", "Askel Open", "Veld Prize"],
    "MISC_ADJ": ["Veldish", "Askelian", "Lundish"],
}

# Tokens are word|POS|chunk; @TYPE starts a new NP with an entity, @TYPE+ continues an NP
# (MISC_ADJ: a MISC adjective such as "Veldish").
CONLL_TEMPLATES = [
    "@PER said|VBD|B-VP on|IN|B-PP Tuesday|NNP|B-NP that|IN|B-SBAR @ORG would|MD|B-VP "
    "cut|VB|I-VP jobs|NNS|B-NP .|.|O",
    "@ORG shares|NNS|I-NP rose|VBD|B-VP 3|CD|B-NP percent|NN|I-NP in|IN|B-PP early|JJ|B-NP "
    "trading|NN|I-NP .|.|O",
    "@ORG beat|VBD|B-VP @ORG 2-1|CD|B-NP in|IN|B-PP a|DT|B-NP friendly|JJ|I-NP match|NN|I-NP "
    ".|.|O",
    "The|DT|B-NP @MISC_ADJ+ minister|NN|I-NP ,|,|O @PER ,|,|O arrived|VBD|B-VP in|IN|B-PP @LOC "
    "on|IN|B-PP Friday|NNP|B-NP .|.|O",
    "@PER (|(|O @LOC )|)|O 71|CD|B-NP",
    "@ORG said|VBD|B-VP it|PRP|B-NP expected|VBD|B-VP profits|NNS|B-NP to|TO|B-VP "
    "rise|VB|I-VP .|.|O",
    "Police|NNS|B-NP in|IN|B-PP @LOC arrested|VBD|B-VP two|CD|B-NP men|NNS|I-NP on|IN|B-PP "
    "Sunday|NNP|B-NP ,|,|O a|DT|B-NP spokesman|NN|I-NP said|VBD|B-VP .|.|O",
    "@PER will|MD|B-VP meet|VB|I-VP @PER in|IN|B-PP @LOC next|JJ|B-NP week|NN|I-NP .|.|O",
    "The|DT|B-NP @MISC_ADJ+ government|NN|I-NP denied|VBD|B-VP the|DT|B-NP report|NN|I-NP .|.|O",
    "@PER scored|VBD|B-VP twice|RB|B-ADVP as|IN|B-SBAR @ORG won|VBD|B-VP the|DT|B-NP @MISC+ "
    ".|.|O",
    "Prices|NNS|B-NP in|IN|B-PP @LOC fell|VBD|B-VP for|IN|B-PP a|DT|B-NP third|JJ|I-NP "
    "month|NN|I-NP ,|,|O @ORG said|VBD|B-VP .|.|O",
    "@PER told|VBD|B-VP reporters|NNS|B-NP the|DT|B-NP talks|NNS|I-NP had|VBD|B-VP "
    "gone|VBN|I-VP well|RB|B-ADVP .|.|O",
    "@ORG 21|CD|B-NP @ORG 14|CD|B-NP",
    "@PER ,|,|O who|WP|B-NP joined|VBD|B-VP @ORG in|IN|B-PP 1994|CD|B-NP ,|,|O will|MD|B-VP "
    "lead|VB|I-VP the|DT|B-NP team|NN|I-NP .|.|O",
    "Fans|NNS|B-NP in|IN|B-PP @LOC celebrated|VBD|B-VP late|RB|B-ADVP into|IN|B-PP "
    "the|DT|B-NP night|NN|I-NP .|.|O",
    "The|DT|B-NP @MISC_ADJ+ festival|NN|I-NP opens|VBZ|B-VP in|IN|B-PP @LOC on|IN|B-PP "
    "Saturday|NNP|B-NP .|.|O",
    "SOCCER|NN|B-NP -|:|O @ORG WIN|VBP|B-VP IN|IN|B-PP @LOC .|.|O",
    "@LOC ,|,|O @LOC 1996-08-22|CD|B-NP",
    "@PER ,|,|O a|DT|B-NP @MISC_ADJ+ writer|NN|I-NP ,|,|O died|VBD|B-VP on|IN|B-PP "
    "Monday|NNP|B-NP .|.|O",
    "Rain|NN|B-NP stopped|VBD|B-VP play|NN|B-NP in|IN|B-PP @LOC .|.|O",
]


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

# (English subject, Spanish subject, conjugation index, English 3rd-person singular?)
SUBJECTS = [("I", "Yo", 0, False), ("You", "Tú", 1, False), ("He", "Él", 2, True),
            ("She", "Ella", 2, True), ("We", "Nosotros", 3, False), ("They", "Ellos", 4, False)]
# English verb, 3sg, Spanish forms (yo, tú, él, nosotros, ellos), object group
VERBS = [
    ("eat", "eats", "como comes come comemos comen", "food"),
    ("drink", "drinks", "bebo bebes bebe bebemos beben", "drink"),
    ("read", "reads", "leo lees lee leemos leen", "reading"),
    ("write", "writes", "escribo escribes escribe escribimos escriben", "writing"),
    ("open", "opens", "abro abres abre abrimos abren", "opening"),
    ("want", "wants", "quiero quieres quiere queremos quieren", "thing"),
    ("need", "needs", "necesito necesitas necesita necesitamos necesitan", "thing"),
    ("have", "has", "tengo tienes tiene tenemos tienen", "thing"),
    ("buy", "buys", "compro compras compra compramos compran", "thing"),
]
OBJECTS = {
    "food": [("an apple", "una manzana"), ("bread", "pan"), ("the cake", "el pastel"),
             ("rice", "arroz"), ("the soup", "la sopa")],
    "drink": [("water", "agua"), ("milk", "leche"), ("coffee", "café"), ("tea", "té"),
              ("the juice", "el zumo")],
    "reading": [("a book", "un libro"), ("the newspaper", "el periódico"),
                ("the letter", "la carta"), ("a magazine", "una revista")],
    "writing": [("a letter", "una carta"), ("a poem", "un poema"), ("the report", "el informe"),
                ("a song", "una canción")],
    "opening": [("the door", "la puerta"), ("the window", "la ventana"), ("the box", "la caja")],
    "thing": [("a car", "un coche"), ("a new bicycle", "una bicicleta nueva"),
              ("a dog", "un perro"), ("the key", "la llave"), ("a ticket", "un billete"),
              ("money", "dinero"), ("a house", "una casa"), ("an umbrella", "un paraguas")],
}
PHRASES = [
    ("Go.", "Ve."), ("Hello!", "¡Hola!"), ("Thank you.", "Gracias."),
    ("Good morning.", "Buenos días."), ("I'm tired.", "Estoy cansado."),
    ("It's cold.", "Hace frío."),
    ("Where is the station?", "¿Dónde está la estación?"), ("How are you?", "¿Cómo estás?"),
    ("Wait!", "¡Espera!"), ("Help!", "¡Ayuda!"), ("I understand.", "Entiendo."),
    ("I don't know.", "No sé."), ("Come in.", "Pasa."), ("See you tomorrow.", "Hasta mañana."),
    ("I'm hungry.", "Tengo hambre."), ("It's late.", "Es tarde."), ("Be careful.", "Ten cuidado."),
    ("Good night.", "Buenas noches."), ("Excuse me.", "Perdón."),
    ("What time is it?", "¿Qué hora es?"),
    ("I'm sorry.", "Lo siento."), ("Let's go!", "¡Vamos!"), ("Who are you?", "¿Quién eres?"),
    ("It's raining.", "Está lloviendo."), ("The door is open.", "La puerta está abierta."),
    ("My name is Tom.", "Me llamo Tom."), ("I like music.", "Me gusta la música."),
    ("I love you.", "Te quiero."), ("Where are you?", "¿Dónde estás?"), ("Sit down.", "Siéntate."),
]


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

CLUSTERS = {
    "good": "best wonderful loved beautiful stunning brilliant warm funny clever enjoy sharp "
            "happily rare perfect recommended classic great care delightful terrific smile "
            "moving honest beautifully true",
    "bad": "worst wooden bored annoying mess lost dull lazy predictable awful none fools "
           "terrible avoid cheap silly wasted generous disappointment dark confused boring "
           "badly no",
    "person": "mara kellet tobin ashgrove elin varga piet rosmalen sunniva dahl oskar brandt "
              "ilse marten jonas wey clara petrov aled rhys nora vell tom hadley iris calder "
              "ben marsh lena ostrova jack fenn",
    "place": "veldtmoor port askel new harlow brackwater lundmark east varro selby cross karsk",
    "org": "brightwater holdings kestrel air orrin bank halden united city northgate mining "
           "rovers telecom",
    "time": "monday tuesday friday saturday sunday week month year night afternoon minutes "
            "hours days",
    "food": "apple bread cake rice soup water milk coffee tea juice",
}


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
    files["tinyshakespeare/README.md"] = _readme(
        "tiny Shakespeare", "tinyshakespeare",
        "plain ASCII text, speeches as `Name:` lines followed by verse, blank-line separated.")

    files["imdb/aclImdb_sample.tar.gz"] = make_imdb(random.Random(2))
    files["imdb/README.md"] = _readme(
        "IMDB reviews", "imdb",
        "one tar.gz holding `aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt` (100 reviews "
        "per folder) and `aclImdb/train/unsup/<id>_0.txt` (100 reviews).")

    rng = random.Random(3)
    for split, n in (("train", 100), ("valid", 25), ("test", 25)):
        files[f"conll2003/{split}.txt"] = make_conll(n, rng)
    files["conll2003/README.md"] = _readme(
        "CoNLL-2003 NER", "conll2003",
        "`word POS chunk NER` per line, IOB2 tags, blank lines between sentences, "
        "`-DOCSTART- -X- -X- O` document lines (100 / 25 / 25 sentences).")

    files["spa-eng/spa-eng.zip"] = make_spa_eng(random.Random(4))
    files["spa-eng/README.md"] = _readme(
        "Spanish-English pairs", "spa-eng",
        "spa-eng.zip holding `spa-eng/spa.txt`, one `English<TAB>Spanish` pair per line "
        "(500 pairs).")

    with zipfile.ZipFile(io.BytesIO(files["spa-eng/spa-eng.zip"])) as zf:
        english = [line.split("\t")[0] for line in zf.read("spa-eng/spa.txt").decode().split("\n")]
    with tarfile.open(fileobj=io.BytesIO(files["imdb/aclImdb_sample.tar.gz"])) as tf:
        reviews = [tf.extractfile(m).read().decode() for m in tf if m.isfile()]  # type: ignore
    conll_words = [" ".join(row.split(" ")[0] for row in files[f"conll2003/{s}.txt"].decode()
                            .split("\n") if row and not row.startswith("-DOCSTART-"))
                   for s in ("train", "valid", "test")]
    words = sample_vocabulary(reviews + english + conll_words + [shakespeare.decode()], 300)
    files["glove/glove.sample.50d.txt.gz"] = make_glove(words, 50, seed=5)
    files["glove/glove.sample.100d.txt.gz"] = make_glove(words, 100, seed=6)
    files["glove/README.md"] = _readme(
        "GloVe vectors", "glove",
        "gzipped text, one `word v1 ... v_dim` line per word (space-separated), most frequent "
        "words first; the 300 most frequent words of the other samples, in 50d and 100d. "
        "Words of a topic (praise, criticism, names, places, ...) share a centre, so nearest "
        "neighbours look plausible, but the vectors are random.")
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
