"""CoNLL-2003 English NER: 4-column files (word POS chunk NER), IOB2 tags (IOB1 converted)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rnnbook.datasets._io import open_text
from rnnbook.datasets.errors import DatasetFormatError
from rnnbook.datasets.registry import Registry
from rnnbook.datasets.resolver import Resolved, resolve

NAME = "conll2003"
SPLITS = ("train", "valid", "test")
DOCSTART = "-DOCSTART-"
_TAG = re.compile(r"^(?:O|[BI]-[^\s]+)$")
_TYPE_ORDER = ("PER", "ORG", "LOC", "MISC")  # the Hugging Face conll2003 label order


@dataclass(frozen=True)
class Sentence:
    """One sentence: parallel lists of tokens, NER tags (IOB2), POS tags and chunk tags (IOB2)."""

    tokens: list[str]
    tags: list[str]
    pos: list[str]
    chunk: list[str]

    def __len__(self) -> int:
        return len(self.tokens)


@dataclass(frozen=True)
class ConllData:
    """The three CoNLL-2003 splits plus the NER tag names ('O' first)."""

    train: list[Sentence]
    valid: list[Sentence]
    test: list[Sentence]
    tag_names: list[str]


def iob1_to_iob2(tags: Sequence[str]) -> list[str]:
    """Convert IOB1 tags (``I-`` unless an entity directly follows one of the same type) to IOB2.

    An ``I-X`` that starts an entity (after ``O`` or a tag of another type, or at the start)
    becomes ``B-X``; everything else is unchanged. Raises ValueError on a malformed tag.
    """
    out: list[str] = []
    prev = "O"
    for i, tag in enumerate(tags):
        if not _TAG.match(tag):
            raise ValueError(f"tag {i} ({tag!r}) is not 'O', 'B-<type>' or 'I-<type>'")
        if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]):
            out.append("B-" + tag[2:])
        else:
            out.append(tag)
        prev = tag
    return out


def _check_iob2(tags: list[str], lines: list[int], path: Path, column: str) -> None:
    prev = "O"
    for tag, line in zip(tags, lines, strict=True):
        if tag.startswith("I-") and prev[2:] != tag[2:]:
            raise DatasetFormatError(
                path, line, f"an IOB2 {column} tag: {tag!r} may only follow B-{tag[2:]} or "
                f"I-{tag[2:]}, not {prev!r} (is the file IOB1? use scheme='iob1')")
        prev = tag


def parse_conll(path: str | Path, scheme: str = "iob2") -> list[Sentence]:
    """Parse a CoNLL-2003 file (plain or .gz) into sentences with IOB2 tags.

    Lines are ``word POS chunk NER`` separated by whitespace; blank lines end sentences;
    ``-DOCSTART-`` lines are dropped. ``scheme='iob1'`` converts the NER and chunk columns from
    IOB1; ``scheme='iob2'`` checks that they are valid IOB2. Raises DatasetFormatError with the
    1-based line number on a wrong column count or an invalid tag.
    """
    if scheme not in ("iob1", "iob2"):
        raise ValueError(f"scheme must be 'iob1' or 'iob2', got {scheme!r}")
    p = Path(path)
    sentences: list[Sentence] = []
    cols: list[list[str]] = [[], [], [], []]
    line_nos: list[int] = []

    def flush() -> None:
        if not line_nos:
            return
        tokens, pos, chunk, tags = cols
        if scheme == "iob1":
            chunk, tags = iob1_to_iob2(chunk), iob1_to_iob2(tags)
        else:
            _check_iob2(tags, line_nos, p, "NER")
            _check_iob2(chunk, line_nos, p, "chunk")
        sentences.append(Sentence(tokens=tokens, tags=tags, pos=pos, chunk=chunk))
        cols[:] = [[], [], [], []]
        line_nos.clear()

    try:
        with open_text(p) as fh:
            for line_no, raw in enumerate(fh, start=1):
                parts = raw.split()
                if not parts:
                    flush()
                    continue
                if parts[0] == DOCSTART:
                    flush()
                    continue
                if len(parts) != 4:
                    raise DatasetFormatError(
                        p, line_no, f"4 whitespace-separated columns (word POS chunk NER), "
                        f"got {len(parts)}: {raw.rstrip()!r}")
                for col, name in ((2, "chunk"), (3, "NER")):
                    if not _TAG.match(parts[col]):
                        raise DatasetFormatError(
                            p, line_no, f"a {name} tag 'O', 'B-<type>' or 'I-<type>', "
                            f"got {parts[col]!r}")
                for c, value in zip(cols, parts, strict=True):
                    c.append(value)
                line_nos.append(line_no)
            flush()
    except UnicodeDecodeError as exc:
        raise DatasetFormatError(p, None, f"UTF-8 text ({exc})") from exc
    return sentences


def tag_names(sentences: Sequence[Sentence]) -> list[str]:
    """NER tag names: 'O', then B-/I- per type (PER, ORG, LOC, MISC first, others sorted)."""
    types = {t[2:] for s in sentences for t in s.tags if t != "O"}
    ordered = [t for t in _TYPE_ORDER if t in types] + sorted(types - set(_TYPE_ORDER))
    return ["O"] + [f"{b}-{t}" for t in ordered for b in ("B", "I")]


def _load_splits(res: Resolved) -> dict[str, list[Sentence]]:
    scheme = str(res.form.params.get("scheme", "iob2"))
    return {split: parse_conll(res.path_for(split), scheme=scheme) for split in SPLITS}


def load_conll2003(*, variant: str | None = None, registry: Registry | None = None) -> ConllData:
    """CoNLL-2003 English: train/valid/test = 14,041 / 3,250 / 3,453 sentences, IOB2 tags.

    ``variant='iob1'`` reads the original IOB1 files (converted to IOB2; same result).
    """
    splits = _load_splits(resolve(NAME, variant=variant, registry=registry))
    all_sentences = splits["train"] + splits["valid"] + splits["test"]
    return ConllData(**splits, tag_names=tag_names(all_sentences))


def count_records(res: Resolved) -> dict[str, int]:
    """Record counts for :func:`verify`: sentences and tokens per split."""
    counts: dict[str, int] = {}
    for split, sentences in _load_splits(res).items():
        counts[f"{split}_sentences"] = len(sentences)
        counts[f"{split}_tokens"] = sum(len(s) for s in sentences)
    return counts
