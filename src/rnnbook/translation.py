"""Sentence translation with an encoder–decoder: a reversible tokenizer, data encoding, a
``Translator`` (greedy or beam search through the compiled step functions) and saving/loading.

The tokenizer keeps case and marks where there was no space with a *joiner* ``￭`` (the
convention of OpenNMT's tokenizer): ``"Don't stop, Tom."`` becomes
``["Don't", "stop", "￭,", "Tom", "￭."]`` and ``¿Qué?`` becomes ``["¿￭", "Qué", "￭?"]``.
:func:`detokenize` undoes it exactly, so a model's output is scored as plain text by sacreBLEU's
own tokenizer against the untouched references (no lower-casing, no guessing where quotes or
hyphens attach).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnnbook.text import Vocabulary

__all__ = [
    "JOINER",
    "TranslateError",
    "Translator",
    "detokenize",
    "encode_pairs",
    "load_translator",
    "save_translator",
    "teacher_forced_accuracy",
    "tokenize",
]

JOINER = "￭"  # U+FFED: "no space here"
TASK = "translate"
# numbers with inner separators (3.5, 10:30, 1,000), words with inner apostrophes, an ellipsis,
# or any other single non-space character (punctuation)
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)+|\w+(?:['’]\w+)*|\.\.\.|\S")
_WORDLIKE = re.compile(r"\w")


class TranslateError(ValueError):
    """A model directory or an input cannot be used for translation (the message says why)."""


def tokenize(text: str) -> list[str]:
    """Split ``text`` into words and punctuation, keeping case; joiners mark missing spaces.

    A punctuation mark touching the token before it carries a leading joiner (``"￭."``); one
    touching the next token (``¿``, an opening quote) a trailing joiner (``"¿￭"``); two touching
    words (``"3rd"`` → ``3``, ``￭rd``) join the second. ``detokenize(tokenize(s)) == s`` for any
    ``s`` whose spaces are single (runs of whitespace become one space).
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize: text must be a str, got {type(text).__name__}")
    matches = list(_TOKEN.finditer(text.replace(JOINER, "")))
    tokens = [m.group() for m in matches]
    for i in range(1, len(matches)):
        if matches[i].start() != matches[i - 1].end():
            continue
        if _WORDLIKE.match(tokens[i]) and not _WORDLIKE.match(matches[i - 1].group()):
            tokens[i - 1] = tokens[i - 1] + JOINER  # "¿" before "Qué": glue to the right
        else:
            tokens[i] = JOINER + tokens[i]
    return tokens


def detokenize(tokens: Sequence[str]) -> str:
    """Join tokens from :func:`tokenize` (or a model) back into text; see :func:`tokenize`."""
    out: list[str] = []
    glue_next = False
    for tok in tokens:
        left = len(tok) > 1 and tok.startswith(JOINER)
        right = len(tok) > 1 and tok.endswith(JOINER)
        core = tok[1 if left else 0: len(tok) - 1 if right else len(tok)]
        if out and not (left or glue_next):
            out.append(" ")
        out.append(core)
        glue_next = right
    return "".join(out)


def encode_pairs(
    sources: Sequence[Sequence[str]],
    targets: Sequence[Sequence[str]],
    src_vocab: Vocabulary,
    tgt_vocab: Vocabulary,
    *,
    src_len: int,
    tgt_len: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token lists → ``(src [N, src_len], tgt_in [N, tgt_len], tgt_out [N, tgt_len])``, int32.

    The target is ``<s> y_1 ... y_n </s>``; ``tgt_out`` is it without ``<s>`` and ``tgt_in`` is it
    without ``</s>`` (teacher forcing: at step t the decoder reads y_{t-1} and must predict y_t).
    ``</s>`` is never an input, so the padding mask of ``tgt_in`` (which Keras applies to the
    loss) covers exactly the real positions of ``tgt_out``. A target longer than ``tgt_len - 1``
    tokens is cut but keeps its ``</s>``. Sources are cut after ``src_len`` tokens.
    """
    if len(sources) != len(targets):
        raise ValueError(f"{len(sources)} sources but {len(targets)} targets")
    src = src_vocab.encode_batch(sources, max_len=src_len)
    full = tgt_vocab.encode_batch(targets, max_len=tgt_len + 1, add_start=True, add_end=True)
    tgt_in = np.where(full[:, :-1] == Vocabulary.END_ID, Vocabulary.PAD_ID, full[:, :-1])
    return src, tgt_in.astype(np.int32), full[:, 1:]


def teacher_forced_accuracy(model: Any, src: np.ndarray, tgt_in: np.ndarray,
                            tgt_out: np.ndarray, *, batch_size: int = 256) -> float:
    """Masked token accuracy of a teacher-forced ``model([src, tgt_in])`` against ``tgt_out``.

    Positions where ``tgt_out`` is ``<pad>`` (0) are not counted; ``</s>`` is. Predictions are
    made batch by batch, so the ``[N, T, V]`` logits are never held at once.
    """
    correct = total = 0
    for start in range(0, len(src), batch_size):
        sl = slice(start, start + batch_size)
        logits = model.predict_on_batch([src[sl], tgt_in[sl]])
        pred = np.asarray(logits).argmax(axis=-1)
        keep = tgt_out[sl] != 0
        correct += int(((pred == tgt_out[sl]) & keep).sum())
        total += int(keep.sum())
    if total == 0:
        raise ValueError("teacher_forced_accuracy: tgt_out has no non-padding position")
    return correct / total


class Translator:
    """A trained ``Seq2Seq`` with its vocabularies: ``translate(texts)`` → English strings.

    Args:
        s2s: the model (``rnnbook.models.Seq2Seq``).
        src_vocab, tgt_vocab: vocabularies of :func:`tokenize` tokens.
        src_len: source positions the model reads; longer inputs are rejected by :meth:`problem`.
        tgt_len: most tokens generated per sentence (the ``</s>`` included).
    """

    def __init__(self, s2s: Any, src_vocab: Vocabulary, tgt_vocab: Vocabulary, *, src_len: int,
                 tgt_len: int) -> None:
        self.s2s = s2s
        self.src_vocab, self.tgt_vocab = src_vocab, tgt_vocab
        self.src_len, self.tgt_len = int(src_len), int(tgt_len)
        self._steppers: dict[int, Any] = {}

    def _stepper(self, rows: int) -> Any:
        if rows not in self._steppers:
            self._steppers[rows] = self.s2s.stepper(rows=rows, src_len=self.src_len)
        return self._steppers[rows]

    def problem(self, text: str) -> str | None:
        """Why ``text`` cannot be translated (empty, or longer than the model reads), or None."""
        n = len(tokenize(text))
        if n == 0:
            return "empty line: nothing to translate"
        if n > self.src_len:
            return (f"{n} tokens, longer than the {self.src_len} this model reads; split the "
                    "sentence")
        return None

    def translate_tokens(self, texts: Sequence[str], *, beam_width: int = 1, alpha: float = 0.6,
                         batch_size: int = 64) -> list[list[str]]:
        """Output token lists (joiners included, no special tokens) for each text."""
        from rnnbook.decoding import beam_search, greedy_decode

        if isinstance(texts, str):
            raise TypeError("texts must be a list of strings, got one str; wrap it in a list")
        for i, text in enumerate(texts):
            why = self.problem(text)
            if why is not None:
                raise TranslateError(f"texts[{i}]: {why}")
        out: list[list[str]] = []
        stepper = self._stepper(batch_size * beam_width)
        for start in range(0, len(texts), batch_size):
            chunk = [tokenize(t) for t in texts[start:start + batch_size]]
            src = self.src_vocab.encode_batch(chunk, max_len=self.src_len)
            state = stepper.initial_state(src)
            starts = np.full(len(chunk), Vocabulary.START_ID)
            if beam_width == 1:
                ids = greedy_decode(stepper.step, state, starts, max_len=self.tgt_len,
                                    end_id=Vocabulary.END_ID)
            else:
                hyps = beam_search(stepper.step, state, starts, beam_width=beam_width,
                                   max_len=self.tgt_len, end_id=Vocabulary.END_ID, alpha=alpha)
                ids = [h.tokens for h in hyps]
            out += [self.tgt_vocab.decode(row) for row in ids]
        return out

    def translate(self, texts: Sequence[str], **kwargs: Any) -> list[str]:
        """English text for each Spanish text (see :meth:`translate_tokens` for the options)."""
        return [detokenize(t) for t in self.translate_tokens(texts, **kwargs)]

    def attention(self, text: str) -> tuple[list[str], list[str], np.ndarray]:
        """Greedy translation of one text with its attention: ``(source tokens, output tokens,
        weights [len(output) + 1, len(source)])``; the last row is the step that emitted ``</s>``
        (or the last step when ``tgt_len`` ran out)."""
        from rnnbook.decoding import greedy_decode

        if self.s2s.attention is None:
            raise TranslateError("this model has no attention")
        why = self.problem(text)
        if why is not None:
            raise TranslateError(why)
        src_tokens = tokenize(text)
        stepper = self._stepper(1)
        rows: list[np.ndarray] = []

        def step(tokens: np.ndarray, state: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
            logits, state = stepper.step(tokens, state)
            rows.append(state["attention"][0, :len(src_tokens)])
            return logits, state

        src = self.src_vocab.encode_batch([src_tokens], max_len=self.src_len)
        ids = greedy_decode(step, stepper.initial_state(src), [Vocabulary.START_ID],
                            max_len=self.tgt_len, end_id=Vocabulary.END_ID)[0]
        return src_tokens, self.tgt_vocab.decode(ids), np.stack(rows)


def save_translator(directory: str | os.PathLike[str], translator: Translator,
                    extra: dict[str, Any] | None = None) -> Path:
    """Save the model, both vocabularies and the lengths, atomically (``save_artifacts``)."""
    from rnnbook.artifacts import save_artifacts

    info = {"task": TASK, "src_len": translator.src_len, "tgt_len": translator.tgt_len,
            **(extra or {})}
    return save_artifacts(directory, translator.s2s.model,
                          {"src": translator.src_vocab, "tgt": translator.tgt_vocab}, extra=info)


def load_translator(model_dir: str | os.PathLike[str]) -> Translator:
    """Load a directory written by :func:`save_translator`.

    Raises:
        TranslateError: the directory is missing, incomplete or not a translation model.
    """
    from rnnbook.artifacts import load_model_folder
    from rnnbook.models import ModelConfigError, Seq2Seq

    path = Path(model_dir)
    hint = ("expected a folder written by rnnbook.translation.save_translator, such as "
            "artifacts/05_seq2seq_translation after running notebook 05")
    model, vocabularies, extra = load_model_folder(path, hint=hint, error=TranslateError)
    if extra.get("task") != TASK or not {"src", "tgt"} <= vocabularies.keys():
        raise TranslateError(f"--model {path}: meta.json says task {extra.get('task')!r} with "
                             f"vocabularies {sorted(vocabularies)}: not a translation model; "
                             f"{hint}")
    try:
        s2s = Seq2Seq.from_model(model)
    except ModelConfigError as err:
        raise TranslateError(f"--model {path}: {err}") from None
    return Translator(s2s, vocabularies["src"], vocabularies["tgt"], src_len=extra["src_len"],
                      tgt_len=extra["tgt_len"])
