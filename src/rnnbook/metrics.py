"""Evaluation metrics: perplexity, bits per character, masked accuracy, entity F1 and BLEU.

Entity scores come from ``seqeval`` and BLEU from ``sacrebleu``; this module only adapts their
inputs and outputs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "perplexity",
    "bits_per_char",
    "token_nll",
    "per_token_loss",
    "masked_accuracy",
    "entity_scores",
    "BleuReport",
    "corpus_bleu",
    "corpus_bleu_report",
    "BootstrapInterval",
    "bootstrap_entity_f1",
    "bootstrap_f1_difference",
    "entity_counts",
    "f1_from_counts",
    "corpus_chrf",
    "bleu_bootstrap_ci",
]


def perplexity(loss_nats: float | np.ndarray) -> float | np.ndarray:
    """``exp(loss)`` for a mean cross-entropy in nats (a uniform guess over V tokens gives V)."""
    out = np.exp(np.asarray(loss_nats, np.float64))
    return float(out) if out.ndim == 0 else out


def bits_per_char(loss_nats: float | np.ndarray) -> float | np.ndarray:
    """``loss / ln 2``: a per-character cross-entropy in nats converted to bits."""
    out = np.asarray(loss_nats, np.float64) / math.log(2.0)
    return float(out) if out.ndim == 0 else out


def token_nll(outputs: Any, targets: Any, weights: Any = None, *, from_logits: bool = True
              ) -> tuple[float, float]:
    """Summed negative log-likelihood (nats) of integer ``targets`` ``[..., T]`` under
    ``outputs`` ``[..., T, V]`` (logits, or probabilities with ``from_logits=False``), and the
    number of tokens summed: ``weights`` (a 0/1 mask or sample weights, ``[..., T]``) weighs each
    position; ``None`` counts every position."""
    from rnnbook.decoding import log_softmax

    outputs = np.asarray(outputs, np.float64)
    targets = np.asarray(targets).astype(np.int64)
    if targets.shape != outputs.shape[:-1]:
        raise ValueError(f"targets {targets.shape} must be outputs {outputs.shape} without the "
                         "last (vocabulary) axis")
    logp = log_softmax(outputs) if from_logits else np.log(np.maximum(outputs, 1e-12))
    nll = -np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    w = np.ones_like(nll) if weights is None else np.broadcast_to(
        np.asarray(weights, np.float64), nll.shape)
    return float(np.where(w > 0, nll * w, 0.0).sum()), float(w.sum())


def per_token_loss(model: Any, data: Any, *, batch_size: int = 64, pad_id: int | None = None,
                   from_logits: bool = True) -> float:
    """Mean nats per token over a whole dataset: the summed loss over the number of tokens.

    Keras' ``evaluate`` (and ``val_loss``) on variable-length masked batches averages within each
    batch first, so a batch of short sequences weighs as much as one of long ones; perplexity and
    bits per character want every token to count once. ``data`` is ``(x, y)`` or
    ``(x, y, sample_weight)`` arrays (batched here; ``x`` may be a list for several inputs), or a
    ``PyDataset`` / iterable of such batches. Positions where ``y == pad_id`` do not count.
    """
    import keras

    if isinstance(data, tuple):
        n = len(data[1])
        batches: Any = (keras.tree.map_structure(lambda a, i=i: a[i:i + batch_size], data)
                        for i in range(0, n, batch_size))
    elif isinstance(data, keras.utils.PyDataset):
        batches = (data[i] for i in range(len(data)))
    else:
        batches = data
    total = count = 0.0
    for batch in batches:
        x, y, *weights = batch
        w = weights[0] if weights else None
        if pad_id is not None:
            w = (np.asarray(y) != pad_id) * (1.0 if w is None else np.asarray(w, np.float64))
        nll, n_tokens = token_nll(model.predict_on_batch(x), y, w, from_logits=from_logits)
        total, count = total + nll, count + n_tokens
    if count == 0:
        raise ValueError("per_token_loss: no tokens to score (every position is padding?)")
    return total / count


def masked_accuracy(
    y_true: np.ndarray | Sequence[Any],
    y_pred: np.ndarray | Sequence[Any],
    mask: np.ndarray | int | None = None,
) -> float:
    """Fraction of positions where the prediction equals the target, ignoring masked positions.

    ``y_pred`` holds ids with ``y_true``'s shape, or scores with one extra trailing axis (argmax
    is taken). ``mask`` is a boolean array (True = count it), an ``int`` pad id (positions where
    ``y_true == pad_id`` are ignored) or ``None`` (count everything).
    """
    true = np.asarray(y_true)
    pred = np.asarray(y_pred)
    if pred.ndim == true.ndim + 1:
        pred = pred.argmax(axis=-1)
    if pred.shape != true.shape:
        raise ValueError(f"y_pred must have y_true's shape {true.shape} (ids) or that shape plus "
                         f"a class axis (scores), got {np.shape(y_pred)}")
    if mask is None:
        keep = np.ones(true.shape, bool)
    elif isinstance(mask, int | np.integer) and not isinstance(mask, bool):
        keep = true != mask
    else:
        keep = np.asarray(mask, bool)
        if keep.shape != true.shape:
            raise ValueError(f"mask must have y_true's shape {true.shape}, got {keep.shape}")
    total = int(keep.sum())
    if total == 0:
        raise ValueError("masked_accuracy: the mask leaves no positions to score")
    return float(((pred == true) & keep).sum() / total)


def _check_tags(true_tags: Sequence[Sequence[str]], pred_tags: Sequence[Sequence[str]]) -> None:
    if len(true_tags) != len(pred_tags):
        raise ValueError(f"true_tags has {len(true_tags)} sentences but pred_tags has "
                         f"{len(pred_tags)}")
    for i, (t, p) in enumerate(zip(true_tags, pred_tags, strict=True)):
        if isinstance(t, str) or isinstance(p, str):
            raise ValueError("true_tags and pred_tags must be lists of tag sequences (one list "
                             f"per sentence), got a string at sentence {i}")
        if len(t) != len(p):
            raise ValueError(f"sentence {i}: {len(t)} true tags but {len(p)} predicted tags")


def entity_scores(
    true_tags: Sequence[Sequence[str]],
    pred_tags: Sequence[Sequence[str]],
    *,
    mode: str = "default",
) -> dict[str, Any]:
    """Entity-level precision, recall and F1 (micro-averaged overall and per entity type).

    ``mode='default'`` is seqeval's conlleval-compatible scoring (an ``I-X`` after ``O`` starts an
    entity), the convention of published CoNLL-2003 numbers; ``mode='strict'`` scores IOB2
    chunks exactly (an ``I-X`` without its ``B-X`` is not an entity). Returns
    ``{'overall': {'precision', 'recall', 'f1', 'support'}, 'per_type': {type: {...}}}`` with
    plain floats (``support`` = number of true entities).
    """
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    if mode not in ("default", "strict"):
        raise ValueError(f"mode must be 'default' or 'strict', got {mode!r}")
    _check_tags(true_tags, pred_tags)
    kwargs: dict[str, Any] = {"mode": "strict", "scheme": IOB2} if mode == "strict" else {}
    true = [list(t) for t in true_tags]
    pred = [list(p) for p in pred_tags]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = classification_report(true, pred, output_dict=True, zero_division=0, **kwargs)

    def clean(row: dict[str, Any]) -> dict[str, float | int]:
        return {"precision": float(row["precision"]), "recall": float(row["recall"]),
                "f1": float(row["f1-score"]), "support": int(row["support"])}

    averages = {"micro avg", "macro avg", "weighted avg"}
    return {
        "overall": clean(report["micro avg"]),
        "per_type": {k: clean(v) for k, v in sorted(report.items()) if k not in averages},
    }


@dataclass(frozen=True)
class BleuReport:
    """A sacreBLEU corpus score: ``score`` (0–100), n-gram ``precisions`` (percent), brevity
    penalty ``bp``, hypothesis and reference lengths and the reproducibility ``signature``."""

    score: float
    precisions: tuple[float, ...]
    bp: float
    sys_len: int
    ref_len: int
    signature: str

    def __str__(self) -> str:
        grams = "/".join(f"{p:.1f}" for p in self.precisions)
        return f"BLEU = {self.score:.2f} {grams} (BP = {self.bp:.3f}) {self.signature}"


def _reference_streams(references: Sequence[str | Sequence[str]], n_hyp: int
                       ) -> list[list[str]]:
    """Per-hypothesis references -> sacreBLEU's reference streams (one list per reference)."""
    if len(references) != n_hyp:
        raise ValueError(f"references has {len(references)} entries for {n_hyp} hypotheses")
    per_hyp = [[ref] if isinstance(ref, str) else list(ref) for ref in references]
    for i, refs in enumerate(per_hyp):
        if not refs or not all(isinstance(r, str) for r in refs):
            raise ValueError(f"references[{i}] must be a string or a non-empty list of strings")
    counts = {len(r) for r in per_hyp}
    if len(counts) != 1:
        raise ValueError("every hypothesis needs the same number of references, got "
                         f"{sorted(counts)}")
    return [list(stream) for stream in zip(*per_hyp, strict=True)]


def corpus_bleu_report(
    hypotheses: Sequence[str],
    references: Sequence[str | Sequence[str]],
    *,
    tokenize: str = "13a",
    lowercase: bool = False,
) -> BleuReport:
    """Corpus BLEU with sacreBLEU's defaults (13a tokenisation, exp smoothing, 4-grams).

    ``hypotheses``: one detokenised string per example (join token lists with spaces first).
    ``references``: per hypothesis one string, or a list of several reference strings.
    """
    from sacrebleu.metrics import BLEU

    hyps = list(hypotheses)
    if not hyps or not all(isinstance(h, str) for h in hyps):
        raise ValueError("hypotheses must be a non-empty list of strings")
    streams = _reference_streams(references, len(hyps))
    metric = BLEU(tokenize=tokenize, lowercase=lowercase)
    result = metric.corpus_score(hyps, streams)
    return BleuReport(score=float(result.score), precisions=tuple(map(float, result.precisions)),
                      bp=float(result.bp), sys_len=int(result.sys_len),
                      ref_len=int(result.ref_len), signature=str(metric.get_signature()))


def corpus_bleu(
    hypotheses: Sequence[str],
    references: Sequence[str | Sequence[str]],
    *,
    tokenize: str = "13a",
    lowercase: bool = False,
) -> float:
    """Corpus BLEU (0–100) by sacreBLEU; see :func:`corpus_bleu_report` for the inputs."""
    return corpus_bleu_report(hypotheses, references, tokenize=tokenize,
                              lowercase=lowercase).score


# --------------------------------------------------------------------------- bootstrap for F1
@dataclass(frozen=True)
class BootstrapInterval:
    """A statistic, its percentile bootstrap interval and how it was computed."""

    value: float
    low: float
    high: float
    confidence: float
    n_boot: int

    def __str__(self) -> str:
        return (f"{self.value:.4f} ({self.confidence:.0%} CI {self.low:.4f}–{self.high:.4f}, "
                f"{self.n_boot} resamples of the sentences)")


def entity_counts(true_tags: Sequence[Sequence[str]], pred_tags: Sequence[Sequence[str]]
                  ) -> np.ndarray:
    """Per sentence, int64 ``[N, 3]``: (correct entities, predicted entities, true entities).

    Entities are read in strict IOB2 (``rnnbook.tagging.iob2_spans``, the same as seqeval's
    ``mode='strict'``); a predicted entity is correct when its type and span both match.
    Summed over sentences they give precision, recall and F1 (see :func:`f1_from_counts`).
    """
    from rnnbook.tagging import iob2_spans

    _check_tags(true_tags, pred_tags)
    out = np.zeros((len(true_tags), 3), dtype=np.int64)
    for i, (t, p) in enumerate(zip(true_tags, pred_tags, strict=True)):
        gold, guess = set(iob2_spans(t)), set(iob2_spans(p))
        out[i] = (len(gold & guess), len(guess), len(gold))
    return out


def f1_from_counts(counts: np.ndarray) -> np.ndarray | float:
    """Micro F1 = 2·correct / (predicted + true) from counts ``[..., N, 3]`` summed over N."""
    f1 = _f1_from_totals(np.asarray(counts).sum(axis=-2))
    return float(f1) if f1.ndim == 0 else f1


def _f1_from_totals(totals: np.ndarray) -> np.ndarray:
    """F1 from summed ``(correct, predicted, true)`` counts ``[..., 3]``."""
    denom = totals[..., 1] + totals[..., 2]
    return np.where(denom > 0, 2.0 * totals[..., 0] / np.maximum(denom, 1), 0.0)


def _percentile_bootstrap(per_sentence: np.ndarray, statistic: Any, *, n_boot: int,
                          confidence: float, seed: int) -> tuple[float, float]:
    """Central ``confidence`` interval of a corpus statistic, resampling sentences.

    ``per_sentence`` holds one row of additive statistics per sentence ``[N, k]``; each of the
    ``n_boot`` resamples draws N rows with replacement, sums them, and ``statistic`` maps the
    sums ``[B, k]`` of a batch of resamples to their values ``[B]``.
    """
    n = len(per_sentence)
    rng = np.random.default_rng(seed)
    values = np.concatenate([
        statistic(per_sentence[rng.integers(0, n, size=(min(200, n_boot - start), n))].sum(axis=1))
        for start in range(0, n_boot, 200)
    ])
    tail = (1.0 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _check_boot(n: int, n_boot: int, confidence: float) -> None:
    if n == 0:
        raise ValueError("bootstrap: no sentences to resample")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 100:
        raise ValueError(f"n_boot must be an int >= 100, got {n_boot!r}")
    if not 0.5 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0.5, 1), got {confidence!r}")


def bootstrap_entity_f1(
    true_tags: Sequence[Sequence[str]],
    pred_tags: Sequence[Sequence[str]],
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapInterval:
    """Strict-IOB2 entity F1 and a percentile bootstrap interval, resampling **sentences**.

    Sentences are drawn with replacement (as many as there are) ``n_boot`` times and the F1 of
    each resample is computed from the summed counts; the interval holds the middle
    ``confidence`` of those F1 values. Sentences, not tokens or entities, are resampled
    because the errors within a sentence are not independent.
    """
    counts = entity_counts(true_tags, pred_tags)
    _check_boot(len(counts), n_boot, confidence)
    low, high = _percentile_bootstrap(counts, _f1_from_totals, n_boot=n_boot,
                                      confidence=confidence, seed=seed)
    return BootstrapInterval(f1_from_counts(counts), low, high, confidence, n_boot)


def bootstrap_f1_difference(
    true_tags: Sequence[Sequence[str]],
    pred_a: Sequence[Sequence[str]],
    pred_b: Sequence[Sequence[str]],
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapInterval:
    """F1(a) − F1(b) on the same sentences, with a paired bootstrap interval.

    Both models are scored on the same resampled sentences, so the interval reflects only
    their disagreement: when it contains 0 the data do not separate the two models.
    """
    a, b = entity_counts(true_tags, pred_a), entity_counts(true_tags, pred_b)
    _check_boot(len(a), n_boot, confidence)
    low, high = _percentile_bootstrap(
        np.concatenate([a, b], axis=1),
        lambda totals: _f1_from_totals(totals[:, :3]) - _f1_from_totals(totals[:, 3:]),
        n_boot=n_boot, confidence=confidence, seed=seed)
    value = f1_from_counts(a) - f1_from_counts(b)
    return BootstrapInterval(float(value), low, high, confidence, n_boot)
def corpus_chrf(hypotheses: Sequence[str], references: Sequence[str | Sequence[str]]) -> float:
    """Corpus chrF (0–100, character 6-grams, beta 2) by sacreBLEU; inputs as for BLEU."""
    from sacrebleu.metrics import CHRF

    hyps = list(hypotheses)
    if not hyps or not all(isinstance(h, str) for h in hyps):
        raise ValueError("hypotheses must be a non-empty list of strings")
    return float(CHRF().corpus_score(hyps, _reference_streams(references, len(hyps))).score)


def bleu_bootstrap_ci(
    hypotheses: Sequence[str],
    references: Sequence[str | Sequence[str]],
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of corpus BLEU (sentences resampled with replacement).

    Each sentence's n-gram statistics are computed once with sacreBLEU's ``sentence_score``
    (13a tokenisation, the references of that sentence); a resample's corpus BLEU is
    ``BLEU.compute_bleu`` of the summed statistics, so the interval is about the corpus score
    that :func:`corpus_bleu` reports.
    """
    from sacrebleu.metrics import BLEU

    hyps = list(hypotheses)
    if not hyps:
        raise ValueError("hypotheses must be a non-empty list of strings")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    streams = _reference_streams(references, len(hyps))
    metric = BLEU(effective_order=True)  # only changes sentence scores, not the statistics
    stats = np.zeros((len(hyps), 10))
    for i, hyp in enumerate(hyps):
        s = metric.sentence_score(hyp, [stream[i] for stream in streams])
        stats[i] = [s.sys_len, s.ref_len, *s.counts, *s.totals]

    def bleu(totals: np.ndarray) -> np.ndarray:
        return np.array([
            BLEU.compute_bleu(t[2:6].astype(int).tolist(), t[6:].astype(int).tolist(),
                              int(t[0]), int(t[1])).score
            for t in totals
        ])

    return _percentile_bootstrap(stats, bleu, n_boot=n_boot, confidence=level, seed=seed)
