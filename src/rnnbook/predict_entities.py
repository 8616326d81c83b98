"""Named entities with a saved tagger (notebook 04): ``rnnbook predict entities``.

A tagger directory is written by :func:`save_entity_tagger` (over
:func:`rnnbook.artifacts.save_artifacts`): ``model.keras``, the word, character and tag
vocabularies and, in ``meta.json``, the encoding rules of the :class:`TaggingEncoder` and
whether the model reads characters.

Two input formats:

- ``text``: each text (argument or stdin line) is tokenised with
  :func:`rnnbook.tagging.tokenize_with_offsets` and tagged; each entity is printed as
  ``INDEX<TAB>TYPE<TAB>START<TAB>END<TAB>SURFACE`` with 1-based text index and character
  offsets into that text (``text[START:END] == SURFACE``).
- ``conll``: a CoNLL file, one token per line in the first column, blank lines between
  sentences, ``-DOCSTART-`` lines kept as they are; every token line is written back with
  the predicted tag appended as a last column, so the output can be scored by any CoNLL
  evaluator (with the gold tags as the column before, conlleval reads it directly).

Input is read and tagged in chunks of thousands of lines, sentences of similar length
batched together, so large inputs take seconds. A malformed line raises :class:`PredictError`
naming the input and line number.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rnnbook.predict import PredictError
from rnnbook.tagging import TaggingEncoder, iob2_spans, tag_sentences, tokenize_with_offsets

__all__ = [
    "Entity",
    "EntityTagger",
    "load_entity_tagger",
    "read_conll_blocks",
    "save_entity_tagger",
    "write_conll_predictions",
]

TASK = "entities"
DOCSTART = "-DOCSTART-"
CHUNK_LINES = 4096


@dataclass(frozen=True)
class Entity:
    """An entity found in a text: its type and character span (`text[start:end]`)."""

    type: str
    start: int
    end: int
    text: str


def save_entity_tagger(directory: str | os.PathLike[str], model: Any, encoder: TaggingEncoder,
                       *, chars: bool, extra: dict[str, Any] | None = None) -> Path:
    """Save a tagger so that :func:`load_entity_tagger` and the CLI can use it."""
    from rnnbook.artifacts import save_artifacts

    info = {"task": TASK, "chars": bool(chars), **encoder.settings(), **(extra or {})}
    return save_artifacts(directory, model, encoder.vocabularies(), extra=info)


class EntityTagger:
    """A loaded tagger: tags for token lists, entities with character spans for texts."""

    def __init__(self, model: Any, encoder: TaggingEncoder, *, chars: bool,
                 batch_size: int = 256) -> None:
        self.model = model
        self.encoder = encoder
        self.chars = chars
        self.batch_size = batch_size

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """IOB2 tag names for each token list."""
        if not len(sentences):
            return []
        return tag_sentences(self.model, self.encoder, sentences, chars=self.chars,
                             batch_size=self.batch_size)

    def entities(self, texts: Sequence[str]) -> list[list[Entity]]:
        """The entities of each text, with character offsets into it."""
        if isinstance(texts, str):
            raise TypeError("texts must be a list of strings, got one str; wrap it in a list")
        tokenised = [tokenize_with_offsets(t) for t in texts]
        tags = self.tag([[tok for tok, _, _ in toks] for toks in tokenised])
        out = []
        for text, toks, sent_tags in zip(texts, tokenised, tags, strict=True):
            found = []
            for kind, i, j in iob2_spans(sent_tags):
                start, end = toks[i][1], toks[j - 1][2]
                found.append(Entity(kind, start, end, text[start:end]))
            out.append(found)
        return out


def load_entity_tagger(model_dir: str | os.PathLike[str], *, batch_size: int = 256
                       ) -> EntityTagger:
    """Load a directory written by :func:`save_entity_tagger`.

    Raises:
        PredictError: the directory is missing, incomplete, or not an entity tagger.
    """
    from rnnbook.artifacts import load_model_folder

    path = Path(model_dir)
    hint = ("expected a folder written by rnnbook.predict_entities.save_entity_tagger, such as "
            "artifacts/04_ner_tagging after running notebook 04")
    model, vocabularies, extra = load_model_folder(path, hint=hint, error=PredictError)
    missing = [n for n in ("words", "chars", "tags") if n not in vocabularies]
    if extra.get("task") != TASK or missing:
        raise PredictError(f"--model {path}: meta.json says task {extra.get('task')!r} "
                           f"(vocabularies missing: {missing}): not an entity tagger; {hint}")
    encoder = TaggingEncoder(vocabularies["words"], vocabularies["chars"], vocabularies["tags"],
                             lowercase=bool(extra.get("lowercase", True)),
                             digits_to_zero=bool(extra.get("digits_to_zero", False)),
                             max_word_len=int(extra.get("max_word_len", 20)))
    return EntityTagger(model, encoder, chars=bool(extra.get("chars", True)),
                        batch_size=batch_size)


# --------------------------------------------------------------------------- reading input
def iter_lines(stream: IO[bytes] | Iterable[bytes], source: str) -> Iterator[tuple[int, str]]:
    """`(1-based line number, text without the line break)`; bad UTF-8 or a NUL character
    raises PredictError naming `source` and the line."""
    for line_no, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as err:
            raise PredictError(f"{source} line {line_no}: not valid UTF-8 ({err.reason} at "
                               f"byte {err.start})") from None
        if "\x00" in line:
            raise PredictError(f"{source} line {line_no}: contains a NUL character; expected "
                               "plain text")
        yield line_no, line.rstrip("\r\n")


def chunks(items: Iterable[Any], size: int = CHUNK_LINES) -> Iterator[list[Any]]:
    """Lists of at most `size` consecutive items."""
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class ConllBlock:
    """A CoNLL sentence (`tokens`, their original `lines`) or a pass-through `lines` block
    (`-DOCSTART-` or blank lines) with no tokens."""

    lines: list[str]
    tokens: list[str]


def read_conll_blocks(lines: Iterable[tuple[int, str]], source: str) -> Iterator[ConllBlock]:
    """Group numbered lines into sentences and pass-through lines.

    Every token line must have as many whitespace-separated columns as the first token line
    of the input (a CoNLL file is a table); otherwise PredictError names the line.
    """
    columns: int | None = None
    first_line = 0
    sentence: list[str] = []
    for line_no, line in lines:
        parts = line.split()
        if not parts or parts[0] == DOCSTART:
            if sentence:
                yield ConllBlock(sentence, [s.split()[0] for s in sentence])
                sentence = []
            yield ConllBlock([line], [])
            continue
        if columns is None:
            columns, first_line = len(parts), line_no
        elif len(parts) != columns:
            raise PredictError(
                f"{source} line {line_no}: {len(parts)} columns, but line {first_line} has "
                f"{columns}; a CoNLL file has one token per line (first column) and the same "
                f"columns on every line: {line!r}")
        sentence.append(line)
    if sentence:
        yield ConllBlock(sentence, [s.split()[0] for s in sentence])


def write_conll_predictions(tagger: EntityTagger, lines: Iterable[tuple[int, str]],
                            source: str, out: IO[str]) -> int:
    """Append the predicted tag to every token line; returns the number of sentences."""
    n = 0
    for chunk in chunks(read_conll_blocks(lines, source), CHUNK_LINES // 8):
        sentences = [b.tokens for b in chunk if b.tokens]
        tags = iter(tagger.tag(sentences))
        for block in chunk:
            if not block.tokens:
                out.write("\n".join(block.lines) + "\n")
                continue
            n += 1
            for line, tag in zip(block.lines, next(tags), strict=True):
                sep = "\t" if "\t" in line else " "
                out.write(f"{line}{sep}{tag}\n")
    return n


def write_text_entities(tagger: EntityTagger, texts: Iterable[tuple[int, str]],
                        out: IO[str]) -> int:
    """Print `INDEX TYPE START END SURFACE` (tab-separated) per entity; returns the count."""
    n = 0
    for chunk in chunks(texts):
        found = tagger.entities([text for _, text in chunk])
        for (index, _), entities in zip(chunk, found, strict=True):
            for e in entities:
                out.write(f"{index}\t{e.type}\t{e.start}\t{e.end}\t{e.text}\n")
                n += 1
    return n
