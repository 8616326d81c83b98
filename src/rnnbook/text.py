"""Tokenisers and a vocabulary that turn text into padded integer arrays (NumPy only).

Reserved ids are fixed so every model and notebook can rely on them::

    <pad> = 0    <unk> = 1    <s> = 2    </s> = 3

Padding is always on the right with id 0 (cuDNN's fast recurrent kernels need right padding, and
``mask_zero=True`` embeddings treat id 0 as "no token").
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from rnnbook.atomic import write_text_atomic

__all__ = [
    "END",
    "PAD",
    "RESERVED_TOKENS",
    "START",
    "UNK",
    "Vocabulary",
    "VocabularyError",
    "char_tokenize",
    "word_detokenize",
    "word_tokenize",
]

PAD, UNK, START, END = "<pad>", "<unk>", "<s>", "</s>"
RESERVED_TOKENS: tuple[str, ...] = (PAD, UNK, START, END)

_FORMAT = "rnnbook.vocabulary"
_FORMAT_VERSION = 1

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
# A word (letters/digits, with inner apostrophes as in "don't") or one punctuation character.
_WORD = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")
_NO_SPACE_BEFORE = set(".,!?;:%)]}'\"»…")
_NO_SPACE_AFTER = set("([{¿¡«")


class VocabularyError(ValueError):
    """Bad input to a :class:`Vocabulary` (argument, id, token or file)."""


def word_tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Split ``text`` into words and punctuation marks.

    HTML line breaks (``<br />``, common in IMDB reviews) become spaces, each punctuation mark is a
    token of its own, and words keep inner apostrophes (``"don't"`` stays one token).

    >>> word_tokenize("Great film!<br /><br />Didn't like the END.")
    ['great', 'film', '!', "didn't", 'like', 'the', 'end', '.']
    """
    if not isinstance(text, str):
        raise TypeError(f"word_tokenize: text must be a str, got {type(text).__name__}")
    text = _BR.sub(" ", text)
    if lowercase:
        text = text.lower()
    return _WORD.findall(text)


def char_tokenize(text: str) -> list[str]:
    """Split ``text`` into its characters (spaces and newlines included)."""
    if not isinstance(text, str):
        raise TypeError(f"char_tokenize: text must be a str, got {type(text).__name__}")
    return list(text)


def word_detokenize(tokens: Sequence[str]) -> str:
    """Join word tokens into a readable string: no space before ``.,!?`` or after ``¿¡(``.

    >>> word_detokenize(['¿', 'qué', 'tal', '?'])
    '¿qué tal?'
    """
    out: list[str] = []
    glue = True
    for tok in tokens:
        if out and not glue and tok not in _NO_SPACE_BEFORE:
            out.append(" ")
        out.append(tok)
        glue = tok in _NO_SPACE_AFTER
    return "".join(out)


def _check_reserved(reserved: Sequence[str]) -> tuple[str, ...]:
    reserved = tuple(reserved)
    if reserved != RESERVED_TOKENS[: len(reserved)]:
        raise VocabularyError(
            f"reserved must be a prefix of {RESERVED_TOKENS} so that the reserved ids stay fixed "
            f"(e.g. () or ('{PAD}',)), got {reserved}"
        )
    return reserved


class Vocabulary:
    """A bidirectional token <-> id mapping with fixed reserved ids.

    Build one with :meth:`fit` (from a corpus) or :meth:`from_tokens` (a fixed list such as tag
    names). ``reserved`` is a prefix of ``('<pad>', '<unk>', '<s>', '</s>')``; the default keeps
    all four, a tag vocabulary usually keeps only ``('<pad>',)`` (or ``()``). Without ``<unk>``,
    encoding an unknown token raises :class:`VocabularyError` instead of mapping to ``UNK_ID``.
    """

    PAD, UNK, START, END = PAD, UNK, START, END
    PAD_ID, UNK_ID, START_ID, END_ID = 0, 1, 2, 3

    def __init__(self, tokens: Iterable[str] = (), *, reserved: Sequence[str] = RESERVED_TOKENS):
        self._reserved = _check_reserved(reserved)
        self._itos: list[str] = list(self._reserved)
        self._stoi: dict[str, int] = {t: i for i, t in enumerate(self._itos)}
        for tok in tokens:
            if not isinstance(tok, str):
                raise VocabularyError(f"tokens must be str, got {tok!r} ({type(tok).__name__})")
            if tok in self._stoi:
                kind = "a reserved token" if tok in self._reserved else "a duplicate"
                raise VocabularyError(f"tokens: {tok!r} is {kind}; each token may appear once")
            self._stoi[tok] = len(self._itos)
            self._itos.append(tok)

    # ----------------------------------------------------------------- construction
    @classmethod
    def fit(
        cls,
        token_sequences: Iterable[Sequence[str]],
        *,
        max_size: int | None = None,
        min_freq: int = 1,
        reserved: Sequence[str] = RESERVED_TOKENS,
    ) -> Vocabulary:
        """Count tokens and keep the frequent ones.

        Tokens are ordered by frequency (most frequent first), ties broken alphabetically (by code
        point), so the result depends only on the token counts, not on corpus order. ``max_size``
        counts the reserved tokens too, so it equals ``len(vocab)`` (the embedding's input size)
        when the corpus is large enough. Tokens seen fewer than ``min_freq`` times are dropped.
        Reserved tokens found in the corpus are not counted. A str in ``token_sequences`` is a
        sequence of characters, so ``Vocabulary.fit([text])`` builds a character vocabulary.
        """
        reserved = _check_reserved(reserved)
        if isinstance(token_sequences, str):
            raise VocabularyError(
                "token_sequences must be an iterable of token sequences, got one str; "
                "pass [char_tokenize(text)] or [text] for a character vocabulary"
            )
        if isinstance(min_freq, bool) or not isinstance(min_freq, int) or min_freq < 1:
            raise VocabularyError(f"min_freq must be an int >= 1, got {min_freq!r}")
        if max_size is not None and (
            isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < len(reserved)
        ):
            raise VocabularyError(
                f"max_size must be None or an int >= {len(reserved)} (the reserved tokens "
                f"{reserved} count towards it), got {max_size!r}"
            )
        counts: Counter[str] = Counter()
        for seq in token_sequences:
            counts.update(seq)
        for tok in reserved:
            counts.pop(tok, None)
        kept = [t for t, c in counts.items() if c >= min_freq]
        kept.sort(key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max_size - len(reserved)]
        return cls(kept, reserved=reserved)

    @classmethod
    def from_tokens(
        cls, tokens: Iterable[str], *, reserved: Sequence[str] = RESERVED_TOKENS
    ) -> Vocabulary:
        """A vocabulary of exactly ``tokens``, in order, after the reserved ones.

        For tag sets use ``Vocabulary.from_tokens(tag_names, reserved=('<pad>',))``: tag ids then
        start at 1 and 0 pads.
        """
        if isinstance(tokens, str):
            raise VocabularyError("tokens must be an iterable of str, got one str")
        return cls(tokens, reserved=reserved)

    # ----------------------------------------------------------------- inspection
    def __len__(self) -> int:
        return len(self._itos)

    def __contains__(self, token: object) -> bool:
        return token in self._stoi

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return self._itos == other._itos and self._reserved == other._reserved

    def __hash__(self) -> int:
        return hash((tuple(self._itos), self._reserved))

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self._itos[len(self._reserved) : len(self._reserved) + 5])
        more = ", ..." if len(self._itos) > len(self._reserved) + 5 else ""
        return f"Vocabulary(size={len(self)}, reserved={self._reserved}, tokens=[{head}{more}])"

    @property
    def tokens(self) -> list[str]:
        """All tokens in id order, reserved ones first (a copy)."""
        return list(self._itos)

    @property
    def reserved(self) -> tuple[str, ...]:
        """The reserved tokens this vocabulary keeps (a prefix of ``RESERVED_TOKENS``)."""
        return self._reserved

    @property
    def unk_id(self) -> int | None:
        """``UNK_ID`` if this vocabulary has ``<unk>``, else None."""
        return self.UNK_ID if UNK in self._reserved else None

    def token_to_id(self, token: str) -> int:
        """The id of ``token``; ``UNK_ID`` for unknown tokens (an error without ``<unk>``)."""
        idx = self._stoi.get(token)
        if idx is not None:
            return idx
        if UNK in self._reserved:
            return self.UNK_ID
        raise VocabularyError(
            f"token {token!r} is not in this vocabulary of {len(self)} tokens, which has no "
            f"'{UNK}' to map it to"
        )

    def id_to_token(self, idx: int) -> str:
        """The token with id ``idx``; out-of-range ids raise :class:`VocabularyError`."""
        if isinstance(idx, bool) or not isinstance(idx, int | np.integer):
            raise VocabularyError(f"id must be an int, got {idx!r} ({type(idx).__name__})")
        if not 0 <= idx < len(self._itos):
            raise VocabularyError(
                f"id {int(idx)} is out of range for a vocabulary of {len(self)} tokens "
                f"(valid ids 0..{len(self) - 1})"
            )
        return self._itos[int(idx)]

    def coverage(self, token_sequences: Iterable[Sequence[str]]) -> float:
        """Fraction of the tokens in ``token_sequences`` that are in the vocabulary (not UNK)."""
        total = known = 0
        for seq in token_sequences:
            total += len(seq)
            known += sum(1 for t in seq if t in self._stoi and t not in self._reserved)
        return known / total if total else 1.0

    # ----------------------------------------------------------------- encoding
    def _special_id(self, token: str, argument: str) -> int:
        if token not in self._reserved:
            raise VocabularyError(
                f"{argument}=True needs '{token}', but this vocabulary reserves only "
                f"{self._reserved}"
            )
        return self._stoi[token]

    def encode(
        self, tokens: Sequence[str], *, add_start: bool = False, add_end: bool = False
    ) -> list[int]:
        """Token ids of ``tokens`` (unknown -> ``UNK_ID``), optionally wrapped in ``<s>``/``</s>``.

        A str is a sequence of characters (useful with a character vocabulary).
        """
        ids = [self.token_to_id(t) for t in tokens]
        if add_start:
            ids.insert(0, self._special_id(START, "add_start"))
        if add_end:
            ids.append(self._special_id(END, "add_end"))
        return ids

    def encode_batch(
        self,
        seqs: Sequence[Sequence[str]],
        *,
        max_len: int | None,
        add_start: bool = False,
        add_end: bool = False,
        truncating: str = "post",
    ) -> np.ndarray:
        """Encode, truncate and right-pad sequences into an int32 array ``[len(seqs), max_len]``.

        ``truncating='post'`` keeps the first tokens, ``'pre'`` keeps the last ones; ``<s>`` and
        ``</s>`` (``add_start``/``add_end``) always survive truncation, so a cut target still
        starts and ends like every other one (a decoder that never sees ``</s>`` on long targets
        never learns to stop on them). ``max_len`` counts them, so it must leave room for them.
        ``max_len=None`` uses the longest encoded sequence. Padding uses ``PAD_ID`` (0).
        """
        if truncating not in ("post", "pre"):
            raise VocabularyError(f"truncating must be 'post' or 'pre', got {truncating!r}")
        if max_len is not None and (
            isinstance(max_len, bool) or not isinstance(max_len, int | np.integer) or max_len <= 0
        ):
            raise VocabularyError(f"max_len must be a positive int or None, got {max_len!r}")
        if isinstance(seqs, str):
            raise VocabularyError("seqs must be a sequence of token sequences, got one str")
        head = [self._special_id(START, "add_start")] if add_start else []
        tail = [self._special_id(END, "add_end")] if add_end else []
        if max_len is not None and max_len <= len(head) + len(tail):
            raise VocabularyError(
                f"max_len={max_len} leaves no room for a token between the start/end markers "
                f"(add_start={add_start}, add_end={add_end}); use max_len >= "
                f"{len(head) + len(tail) + 1}")
        encoded = [self.encode(s) for s in seqs]
        if max_len is None:
            max_len = max((len(e) for e in encoded), default=0) + len(head) + len(tail)
        room = int(max_len) - len(head) - len(tail)
        out = np.full((len(encoded), int(max_len)), self.PAD_ID, dtype=np.int32)
        for row, ids in enumerate(encoded):
            if len(ids) > room:
                ids = ids[:room] if truncating == "post" else ids[-room:]
            ids = head + ids + tail
            out[row, : len(ids)] = ids
        return out

    def decode(self, ids: Sequence[int] | np.ndarray, *, strip_special: bool = True) -> list[str]:
        """Tokens of ``ids``; with ``strip_special`` drop ``<pad>``, ``<s>`` and ``</s>``.

        ``<unk>`` is always kept: it carries information. Use :meth:`decode_batch` for 2-D input.
        """
        arr = np.asarray(ids)
        if arr.ndim != 1:
            raise VocabularyError(
                f"ids must be 1-D, got shape {arr.shape}; use decode_batch for a batch"
            )
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise VocabularyError(f"ids must be integers, got dtype {arr.dtype}")
        tokens = [self.id_to_token(int(i)) for i in arr]
        if strip_special:
            special = {PAD, START, END} & set(self._reserved)
            tokens = [t for t in tokens if t not in special]
        return tokens

    def decode_batch(
        self, ids: Sequence[Sequence[int]] | np.ndarray, *, strip_special: bool = True
    ) -> list[list[str]]:
        """:meth:`decode` applied to each row of a batch."""
        return [self.decode(row, strip_special=strip_special) for row in ids]

    # ----------------------------------------------------------------- persistence
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the vocabulary as JSON, atomically (temporary file + ``os.replace``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"format": _FORMAT, "version": _FORMAT_VERSION, "reserved": list(self._reserved),
                   "tokens": self._itos[len(self._reserved):]}
        text = json.dumps(payload, ensure_ascii=False, indent=1) + "\n"
        return write_text_atomic(path, text)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Vocabulary:
        """Read a vocabulary written by :meth:`save`."""
        path = Path(path)
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise VocabularyError(f"{path}: not a vocabulary file (invalid JSON: {e})") from e
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            raise VocabularyError(
                f"{path}: not a vocabulary file (expected a JSON object with "
                f'"format": "{_FORMAT}", as written by Vocabulary.save)'
            )
        if payload.get("version") != _FORMAT_VERSION:
            raise VocabularyError(
                f"{path}: unsupported vocabulary format version {payload.get('version')!r} "
                f"(expected {_FORMAT_VERSION})"
            )
        if not {"reserved", "tokens"} <= payload.keys():
            raise VocabularyError(f"{path}: a vocabulary file needs the keys 'reserved' and "
                                  f"'tokens', got {sorted(payload)}")
        try:
            return cls(payload["tokens"], reserved=payload["reserved"])
        except VocabularyError as e:
            raise VocabularyError(f"{path}: {e}") from e
