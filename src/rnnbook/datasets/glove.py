"""GloVe 6B word vectors, streamed line by line from a ``.txt`` or ``.txt.gz`` file.

Each line is ``word v1 v2 ... v_dim`` separated by single spaces; the file is never loaded whole
into Python objects: only the rows asked for are parsed into floats.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnnbook.datasets._io import open_text
from rnnbook.datasets.errors import DatasetFormatError
from rnnbook.datasets.registry import Registry
from rnnbook.datasets.resolver import Resolved, resolve

NAME = "glove"
RESERVED_TOKENS = ("<pad>", "<unk>", "<s>", "</s>")  # rnnbook.text.Vocabulary ids 0..3


@dataclass(frozen=True)
class GloveMatrix:
    """An embedding matrix for a vocabulary plus how much of it GloVe covers.

    ``found`` counts vocabulary words that got a GloVe vector; ``coverage`` is ``found`` over
    the non-reserved words; ``missing`` lists non-reserved words without a vector.
    """

    matrix: np.ndarray
    found: int
    coverage: float
    missing: list[str]

    @property
    def dim(self) -> int:
        """The vector size."""
        return int(self.matrix.shape[1])


def iter_glove_lines(path: str | Path, dim: int) -> Iterator[tuple[int, str, str]]:
    """Yield (1-based line number, word, the rest of the line) with the dimension checked.

    Raises DatasetFormatError when a line does not have exactly ``dim`` values.
    """
    p = Path(path)
    try:
        with open_text(p) as fh:
            for line_no, raw in enumerate(fh, start=1):
                line = raw.rstrip("\n").rstrip("\r")
                if not line:
                    continue
                if line.count(" ") != dim:
                    n = len(line.split(" ")) - 1
                    raise DatasetFormatError(
                        p, line_no, f"a word followed by {dim} space-separated values, got {n}")
                space = line.index(" ")
                yield line_no, line[:space], line[space + 1:]
    except UnicodeDecodeError as exc:
        raise DatasetFormatError(p, None, f"UTF-8 text ({exc})") from exc


def _vector(rest: str, path: Path, line_no: int) -> np.ndarray:
    try:
        vector = np.array(rest.split(" "), dtype=np.float32)
    except ValueError:
        raise DatasetFormatError(path, line_no, "numeric vector values") from None
    if not np.isfinite(vector).all():
        raise DatasetFormatError(path, line_no, "finite vector values, got nan or inf")
    return vector


def read_vectors(path: str | Path, dim: int, words: Collection[str] | None = None,
                 max_words: int | None = None) -> tuple[list[str], np.ndarray]:
    """Words (file order) and a float32 [n, dim] array: the first ``max_words`` lines, or the
    lines whose word is in ``words`` (stops early once all were found)."""
    p = Path(path)
    wanted = set(words) if words is not None else None
    out_words: list[str] = []
    rows: list[np.ndarray] = []
    for line_no, word, rest in iter_glove_lines(p, dim):
        if max_words is not None and len(out_words) >= max_words:
            break
        if wanted is not None and word not in wanted:
            continue
        out_words.append(word)
        rows.append(_vector(rest, p, line_no))
        if wanted is not None and len(out_words) == len(wanted):
            break
    matrix = np.stack(rows) if rows else np.zeros((0, dim), dtype=np.float32)
    return out_words, matrix


def build_matrix(path: str | Path, vocabulary: Sequence[str], dim: int, *,
                 reserved: Collection[str] = RESERVED_TOKENS, oov_scale: float = 0.1,
                 lowercase_fallback: bool = True, seed: int = 42) -> GloveMatrix:
    """Embedding matrix for ``vocabulary`` from a GloVe file (see :func:`load_glove_matrix`)."""
    keys = {w for w in vocabulary if w not in reserved}
    if lowercase_fallback:
        keys |= {w.lower() for w in keys}
    words, vectors = read_vectors(path, dim, words=keys)
    table = dict(zip(words, vectors, strict=True))
    rng = np.random.default_rng(seed)
    matrix = np.zeros((len(vocabulary), dim), dtype=np.float32)
    found = 0
    missing: list[str] = []
    for i, w in enumerate(vocabulary):
        if w in reserved:
            continue
        vec = table.get(w)
        if vec is None and lowercase_fallback:
            vec = table.get(w.lower())
        if vec is None:
            missing.append(w)
            matrix[i] = rng.normal(0.0, oov_scale, size=dim)
        else:
            matrix[i] = vec
            found += 1
    n_words = sum(1 for w in vocabulary if w not in reserved)
    return GloveMatrix(matrix=matrix, found=found,
                       coverage=found / n_words if n_words else 0.0, missing=missing)


def _glove_file(dim: int, registry: Registry | None) -> tuple[Path, int]:
    res = resolve(NAME, variant=f"{dim}d", registry=registry)
    return res.path_for("vectors"), int(res.form.params.get("dim", dim))


def load_glove_matrix(vocabulary: Sequence[str], *, dim: int = 50,
                      reserved: Collection[str] = RESERVED_TOKENS, oov_scale: float = 0.1,
                      lowercase_fallback: bool = True, seed: int = 42,
                      registry: Registry | None = None) -> GloveMatrix:
    """GloVe 6B embedding matrix float32 [len(vocabulary), dim], row i for ``vocabulary[i]``.

    Rows of reserved tokens (``<pad>``, ``<unk>``, ``<s>``, ``</s>``: ids 0..3 of a
    ``rnnbook.text.Vocabulary``) are zeros. Words not in GloVe get small random rows
    ``N(0, oov_scale)`` (seeded), so they are distinguishable but carry no meaning. With
    ``lowercase_fallback`` a word missing as written is looked up lower-cased (GloVe 6B is
    uncased). ``dim`` is 50 (default) or 100. Note the mirror holds only the 100,000 most
    frequent 50d words; the upstream file has 400,000.
    """
    path, file_dim = _glove_file(dim, registry)
    return build_matrix(path, vocabulary, file_dim, reserved=reserved, oov_scale=oov_scale,
                        lowercase_fallback=lowercase_fallback, seed=seed)


def load_glove_vectors(words: Iterable[str] | None = None, *, dim: int = 50,
                       max_words: int | None = None, registry: Registry | None = None
                       ) -> tuple[list[str], np.ndarray]:
    """(words, float32 [n, dim] vectors) for nearest-neighbour demos.

    With ``words``: the ones GloVe has, in file (frequency) order. Without: the first
    ``max_words`` (the most frequent), or all of them.
    """
    path, file_dim = _glove_file(dim, registry)
    wanted = set(words) if words is not None else None
    return read_vectors(path, file_dim, words=wanted, max_words=max_words)


def count_records(res: Resolved) -> dict[str, int | str]:
    """Record counts for :func:`verify`: number of vectors, dimension and the first word."""
    dim = int(res.form.params.get("dim", 0))
    n = 0
    first = ""
    for _, word, _ in iter_glove_lines(res.path_for("vectors"), dim):
        if n == 0:
            first = word
        n += 1
    return {"vectors": n, "dim": dim, "first_word": first}
