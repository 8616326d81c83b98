"""Inputs and outputs of sequence taggers (CoNLL-2003 NER): ids, batches, spans.

- `TaggingEncoder` turns token lists into word ids `[N, T]` (looked up lower-cased, as GloVe
  6B is uncased), character ids `[N, T, W]` (case preserved, so the model still sees
  capitals) and tag ids `[N, T]` (`<pad>` = 0), and tag ids back into names.
- `LengthBuckets` is a `keras.utils.PyDataset` of batches of similar-length sentences, each
  padded only to its own longest sentence: CoNLL sentences average 14 tokens but reach 124.
  `tag_sentences` predicts the same way and returns tag names.
- `iob2_spans` reads IOB2 tags as entity spans `(type, start, end)` the way seqeval's strict
  mode does; `tokenize_with_offsets` splits raw text into tokens with character offsets.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from rnnbook.text import PAD, UNK, Vocabulary
from rnnbook.validation import positive_int

__all__ = [
    "LengthBuckets",
    "TaggerRun",
    "TaggingEncoder",
    "iob2_forbidden",
    "iob2_spans",
    "tag_sentences",
    "tokenize_with_offsets",
    "train_tagger",
]

_DIGIT = re.compile(r"\d")
# A token: a word with inner apostrophes, hyphens, dots or commas between word characters
# ("O'Neill", "1-0", "3.5", "U.S"), optionally a final dot after a single-letter chain ("U.S."),
# or one punctuation character.
_TOKEN = re.compile(r"(?:\w\.){2,}|\w+(?:['’\-.,/]\w+)*|[^\w\s]")


def tokenize_with_offsets(text: str) -> list[tuple[str, int, int]]:
    """Split `text` into `(token, start, end)` with `text[start:end] == token`.

    Words keep inner apostrophes, hyphens, dots and commas ("O'Neill", "3.5", "1,000"),
    dotted abbreviations keep their dots ("U.S."), other punctuation is one token per mark,
    roughly as CoNLL-2003 is tokenised.

    >>> tokenize_with_offsets("Peter lives in the U.S.")
    [('Peter', 0, 5), ('lives', 6, 11), ('in', 12, 14), ('the', 15, 18), ('U.S.', 19, 23)]
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def iob2_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """Entity spans `(type, start, end)` (end exclusive) of one sentence's IOB2 tags.

    Strict IOB2, as `seqeval`'s `mode="strict"`: an entity starts at `B-X` and continues
    through the `I-X` right after it; an `I-X` that does not continue an `X` entity (after
    `O`, after another type, at the start) belongs to no entity.

    >>> iob2_spans(["B-PER", "I-PER", "O", "I-LOC", "B-LOC", "B-LOC", "I-ORG"])
    [('PER', 0, 2), ('LOC', 4, 5), ('LOC', 5, 6)]
    """
    if isinstance(tags, str):
        raise TypeError("tags must be a sequence of tag strings, got one str")
    spans: list[tuple[str, int, int]] = []
    kind: str | None = None
    start = 0
    for i, tag in enumerate([*tags, "O"]):
        if kind is not None and tag != f"I-{kind}":
            spans.append((kind, start, i))
            kind = None
        if tag.startswith("B-"):
            kind, start = tag[2:], i
        elif tag != "O" and not tag.startswith("I-"):
            raise ValueError(f"tag {i} ({tag!r}) is not 'O', 'B-<type>' or 'I-<type>'")
    return spans


def _round_up(n: int, multiple: int) -> int:
    return max(multiple, int(math.ceil(n / multiple)) * multiple)


@dataclass
class TaggingEncoder:
    """Word, character and tag vocabularies with the rules that turn sentences into ids.

    Attributes:
        words: word vocabulary, reserved `<pad>` = 0 and `<unk>` = 1; holds word *keys*
            (lower-cased when `lowercase`, digits mapped to 0 when `digits_to_zero`).
        chars: character vocabulary, `<pad>` = 0 and `<unk>` = 1, case preserved.
        tags: tag vocabulary with `<pad>` = 0, so real tags have ids >= 1.
        lowercase: look words up lower-cased.
        digits_to_zero: map every digit to "0" in word keys ("1996" and "1997" share one id).
        max_word_len: characters kept per word (longer words are cut, keeping the first
            `max_word_len - 2` and the last 2 characters, where suffixes live).
    """

    words: Vocabulary
    chars: Vocabulary
    tags: Vocabulary
    lowercase: bool = True
    digits_to_zero: bool = False
    max_word_len: int = 20

    @classmethod
    def fit(
        cls,
        sentences: Sequence[Sequence[str]],
        tag_sequences: Sequence[Sequence[str]],
        *,
        extra_words: Sequence[str] = (),
        min_freq: int = 1,
        lowercase: bool = True,
        digits_to_zero: bool = False,
        max_word_len: int = 20,
        tag_names: Sequence[str] | None = None,
    ) -> TaggingEncoder:
        """Build the vocabularies from training sentences (and their tags).

        `extra_words` (e.g. the words of a pretrained embedding) are added after the training
        words, so that a word never seen in training can still have a pretrained vector.
        `tag_names` fixes the tag order (default: sorted, `O` first).
        """
        if isinstance(max_word_len, bool) or not isinstance(max_word_len, int) or max_word_len < 3:
            raise ValueError(f"max_word_len must be an int >= 3, got {max_word_len!r}")
        probe = cls(Vocabulary(reserved=(PAD, UNK)), Vocabulary(reserved=(PAD, UNK)),
                    Vocabulary(reserved=(PAD,)), lowercase, digits_to_zero, max_word_len)
        keys = [[probe.word_key(w) for w in s] for s in sentences]
        words = Vocabulary.fit(keys, min_freq=min_freq, reserved=(PAD, UNK))
        seen = set(words.tokens)
        extra = []
        for w in extra_words:
            key = probe.word_key(w)
            if key not in seen:
                seen.add(key)
                extra.append(key)
        words = Vocabulary([*words.tokens[2:], *extra], reserved=(PAD, UNK))
        chars = Vocabulary.fit([c for s in sentences for c in s], reserved=(PAD, UNK))
        if tag_names is None:
            found = {t for seq in tag_sequences for t in seq}
            tag_names = ["O", *sorted(found - {"O"})] if "O" in found else sorted(found)
        tags = Vocabulary.from_tokens(tag_names, reserved=(PAD,))
        return cls(words, chars, tags, lowercase, digits_to_zero, max_word_len)

    # ---------------------------------------------------------------- words and characters
    def word_key(self, token: str) -> str:
        """The key under which `token` is looked up in `words`."""
        if self.lowercase:
            token = token.lower()
        if self.digits_to_zero:
            token = _DIGIT.sub("0", token)
        return token

    def _clip(self, token: str) -> str:
        w = self.max_word_len
        return token if len(token) <= w else token[: w - 2] + token[-2:]

    def encode_words(self, sentences: Sequence[Sequence[str]], length: int | None = None
                     ) -> np.ndarray:
        """Word ids `int32 [N, T]`, right-padded with 0; unknown words get `<unk>` = 1.

        `T` is `length` or the longest sentence; longer sentences raise ValueError.
        """
        sentences = _check_sentences(sentences)
        length = _check_length(sentences, length)
        out = np.zeros((len(sentences), length), dtype=np.int32)
        lookup = self.words.token_to_id
        for i, s in enumerate(sentences):
            out[i, : len(s)] = [lookup(self.word_key(t)) for t in s]
        return out

    def encode_chars(self, sentences: Sequence[Sequence[str]], length: int | None = None,
                     width: int | None = None) -> np.ndarray:
        """Character ids `int32 [N, T, W]`, 0 = padding; every real word has >= 1 character.

        `W` is `width` or the longest (clipped) word; it is at most `max_word_len`.
        """
        sentences = _check_sentences(sentences)
        length = _check_length(sentences, length)
        clipped = [[self._clip(t) for t in s] for s in sentences]
        longest = max((len(t) for s in clipped for t in s), default=1)
        width = min(self.max_word_len, width if width is not None else max(longest, 1))
        out = np.zeros((len(sentences), length, width), dtype=np.int32)
        lookup = self.chars.token_to_id
        for i, s in enumerate(clipped):
            for j, token in enumerate(s):
                ids = [lookup(c) for c in token[:width]] or [Vocabulary.UNK_ID]
                out[i, j, : len(ids)] = ids
        return out

    def encode(self, sentences: Sequence[Sequence[str]], length: int | None = None
               ) -> list[np.ndarray]:
        """`[word ids [N, T], char ids [N, T, W]]`, the two inputs of a tagger with chars."""
        return [self.encode_words(sentences, length), self.encode_chars(sentences, length)]

    # ---------------------------------------------------------------- tags
    def encode_tags(self, tag_sequences: Sequence[Sequence[str]], length: int | None = None
                    ) -> np.ndarray:
        """Tag ids `int32 [N, T]`, 0 at padding; an unknown tag raises VocabularyError."""
        tag_sequences = _check_sentences(tag_sequences, what="tag_sequences")
        length = _check_length(tag_sequences, length)
        out = np.zeros((len(tag_sequences), length), dtype=np.int32)
        for i, s in enumerate(tag_sequences):
            out[i, : len(s)] = self.tags.encode(list(s))
        return out

    def decode_tags(self, ids: np.ndarray, lengths: Sequence[int]) -> list[list[str]]:
        """Tag names per sentence, the first `lengths[i]` of row `i`; id 0 reads as `O`."""
        names = ["O", *self.tags.tokens[1:]]
        ids = np.asarray(ids)
        return [[names[int(k)] for k in ids[i, :n]] for i, n in enumerate(lengths)]

    def vocabularies(self) -> dict[str, Vocabulary]:
        """The three vocabularies by name (for `rnnbook.artifacts.save_artifacts`)."""
        return {"words": self.words, "chars": self.chars, "tags": self.tags}

    def settings(self) -> dict[str, Any]:
        """The encoding rules as JSON-able settings (stored next to a saved model)."""
        return {"lowercase": self.lowercase, "digits_to_zero": self.digits_to_zero,
                "max_word_len": self.max_word_len}


def _check_sentences(sentences: Any, what: str = "sentences") -> list[Sequence[str]]:
    if isinstance(sentences, str):
        raise TypeError(f"{what} must be a list of token lists, got one str")
    sentences = list(sentences)
    for i, s in enumerate(sentences):
        if isinstance(s, str):
            raise TypeError(f"{what}[{i}] must be a list of tokens, got the str {s!r}")
    return sentences


def _check_length(sentences: Sequence[Sequence[str]], length: int | None) -> int:
    longest = max((len(s) for s in sentences), default=0)
    if length is None:
        return max(longest, 1)
    if longest > length:
        raise ValueError(f"a sentence has {longest} tokens, more than length={length}")
    return length


class LengthBuckets(keras.utils.PyDataset):
    """Batches of similar-length sentences for `model.fit`, each padded to its own longest.

    Sentences are sorted by length and cut into batches of `batch_size`; the order of the
    batches is shuffled every epoch (seeded) when `shuffle`. Each batch is padded to a
    multiple of `pad_to` steps (characters to `encoder.max_word_len`), which keeps the number
    of distinct shapes, and so of traced functions, small. A batch is `(x, tag ids)`, or
    `(x,)` without tags; `x` is the word ids, or `(word ids, char ids)` when `chars`.
    """

    def __init__(self, encoder: TaggingEncoder, sentences: Sequence[Sequence[str]],
                 tag_sequences: Sequence[Sequence[str]] | None = None, *, batch_size: int = 32,
                 chars: bool = True, shuffle: bool = True, seed: int = 0, pad_to: int = 8
                 ) -> None:
        super().__init__()
        self.encoder = encoder
        self.sentences = _check_sentences(sentences)
        if tag_sequences is not None and len(tag_sequences) != len(self.sentences):
            raise ValueError(f"{len(self.sentences)} sentences but {len(tag_sequences)} tag "
                             "sequences")
        if not self.sentences:
            raise ValueError("LengthBuckets needs at least one sentence")
        self.tag_sequences = tag_sequences
        self.chars, self.shuffle, self.pad_to = chars, shuffle, pad_to
        order = np.argsort([len(s) for s in self.sentences], kind="stable")
        self.batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        self.padded = [_round_up(len(self.sentences[b[-1]]), pad_to) for b in self.batches]
        self.rng = np.random.default_rng(seed)
        self.order = np.arange(len(self.batches))
        self._shuffle()

    def _shuffle(self) -> None:
        """Shuffle the batch order, then make the first two batches differ in length.

        Keras' TensorFlow adapter reads the first two batches to fix the input signature and
        keeps an axis open only where they differ; two equal lengths would fix the time axis.
        """
        if self.shuffle:
            self.rng.shuffle(self.order)
        lengths = [self.padded[i] for i in self.order]
        if len(lengths) > 2 and lengths[0] == lengths[1]:
            other = next((j for j in range(2, len(lengths)) if lengths[j] != lengths[0]), None)
            if other is not None:
                self.order[[1, other]] = self.order[[other, 1]]

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        rows = self.batches[int(self.order[index])]
        sents = [self.sentences[i] for i in rows]
        x = _encode_batch(self.encoder, sents, self.chars, self.pad_to)
        if self.tag_sequences is None:
            return (x,)
        length = np.shape(x[0] if self.chars else x)[1]
        return x, self.encoder.encode_tags([self.tag_sequences[i] for i in rows], length)

    def on_epoch_end(self) -> None:
        self._shuffle()


def _encode_batch(encoder: TaggingEncoder, sents: Sequence[Sequence[str]], chars: bool,
                  pad_to: int) -> Any:
    length = _round_up(max(len(s) for s in sents), pad_to)
    words = encoder.encode_words(sents, length)
    if not chars:
        return words
    # A fixed character width: Keras' TensorFlow adapter fixes every axis but the first two
    # from the first batches it sees, so a varying width would fail later batches.
    return (words, encoder.encode_chars(sents, length, encoder.max_word_len))


def iob2_forbidden(tag_names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The moves strict IOB2 forbids, as `(pairs [K, K], start [K])` booleans.

    `pairs[i, j]` is True when tag `j` may not follow tag `i`: `I-X` may only follow `B-X` or
    `I-X`; `start[j]` is True when a sentence may not start with tag `j` (any `I-X`). The
    padding tag (`<pad>`, never predicted) is left alone. For `crf_decode(forbidden=...)`.
    """
    k = len(tag_names)
    pairs, start = np.zeros((k, k), dtype=bool), np.zeros(k, dtype=bool)
    for j, tag in enumerate(tag_names):
        if not tag.startswith("I-"):
            continue
        start[j] = True
        for i, prev in enumerate(tag_names):
            if prev not in (f"B-{tag[2:]}", tag, PAD):
                pairs[i, j] = True
    return pairs, start


def tag_sentences(model: Any, encoder: TaggingEncoder, sentences: Sequence[Sequence[str]], *,
                  chars: bool = True, batch_size: int = 256, pad_to: int = 8,
                  forbidden: tuple[np.ndarray, np.ndarray] | None = None
                  ) -> list[list[str]]:
    """Predicted IOB2 tag names for each sentence (Viterbi with a CRF, else argmax).

    Sentences are processed in batches of similar length (see `LengthBuckets`), so tagging
    thousands of sentences costs little more than their real tokens. `forbidden` (CRF only,
    see `iob2_forbidden`) constrains the Viterbi search.
    """
    from rnnbook.models.tagger import predict_tags

    sentences = _check_sentences(sentences)
    out: list[list[str]] = [[] for _ in sentences]
    order = np.argsort([len(s) for s in sentences], kind="stable")
    for i in range(0, len(order), batch_size):
        rows = order[i : i + batch_size]
        sents = [sentences[r] for r in rows]
        if not any(sents):
            continue
        x = _encode_batch(encoder, sents, chars, pad_to)
        ids = predict_tags(model, x, batch_size=len(rows), forbidden=forbidden)
        for r, tags in zip(rows, encoder.decode_tags(ids, [len(s) for s in sents]), strict=True):
            out[r] = tags
    return out


@dataclass
class TaggerRun:
    """What `train_tagger` did: per-epoch training loss and validation entity F1, the best
    epoch (1-based, its weights restored), wall time and seconds per epoch."""

    loss: list[float]
    val_f1: list[float]
    best_epoch: int
    best_val_f1: float
    wall_time_s: float
    epoch_times_s: list[float]


class _ValidationF1(keras.callbacks.Callback):
    """Entity F1 on validation after every epoch; keeps the best weights; early stopping."""

    def __init__(self, encoder: TaggingEncoder, sentences: Sequence[Sequence[str]],
                 tags: Sequence[Sequence[str]], *, chars: bool, patience: int | None,
                 verbose: bool) -> None:
        super().__init__()
        self.encoder, self.sentences, self.tags = encoder, sentences, tags
        self.chars, self.patience, self.verbose = chars, patience, verbose
        self.run = TaggerRun([], [], 0, -1.0, 0.0, [])
        self.best_weights: list[Any] | None = None
        self._t0 = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        from rnnbook.metrics import entity_counts, f1_from_counts

        run = self.run
        run.epoch_times_s.append(time.perf_counter() - self._t0)
        loss = float((logs or {}).get("loss", np.nan))
        if not np.isfinite(loss):
            raise FloatingPointError(f"epoch {epoch + 1}: the training loss is {loss}")
        pred = tag_sentences(self.model, self.encoder, self.sentences, chars=self.chars)
        f1 = float(f1_from_counts(entity_counts(self.tags, pred)))
        run.loss.append(loss)
        run.val_f1.append(f1)
        if f1 > run.best_val_f1:
            run.best_epoch, run.best_val_f1 = epoch + 1, f1
            self.best_weights = self.model.get_weights()
        if self.verbose:
            print(f"epoch {epoch + 1:2}: loss {loss:.4f}, val F1 {f1:.4f}, "
                  f"{run.epoch_times_s[-1]:.0f} s")
        if self.patience is not None and epoch + 1 - run.best_epoch >= self.patience:
            self.model.stop_training = True


def train_tagger(model: Any, encoder: TaggingEncoder, train: LengthBuckets,
                 val_sentences: Sequence[Sequence[str]], val_tags: Sequence[Sequence[str]], *,
                 epochs: int, patience: int | None = None, chars: bool = True,
                 verbose: bool = False) -> TaggerRun:
    """Fit `model` on `train`, choosing the epoch by validation entity F1.

    After each epoch the validation sentences are tagged (`tag_sentences`) and scored with
    strict-IOB2 entity F1; the weights of the best epoch are restored at the end. Training
    stops early after `patience` epochs without improvement. `verbose` prints one line per
    epoch. Raises FloatingPointError if the loss stops being finite.
    """
    epochs = positive_int("epochs", epochs)
    start = time.perf_counter()
    tracker = _ValidationF1(encoder, val_sentences, val_tags, chars=chars, patience=patience,
                            verbose=verbose)
    model.fit(train, epochs=epochs, verbose=0, shuffle=False, callbacks=[tracker])
    if tracker.best_weights is not None:
        model.set_weights(tracker.best_weights)
    tracker.run.wall_time_s = time.perf_counter() - start
    return tracker.run
