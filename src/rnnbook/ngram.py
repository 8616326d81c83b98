"""Count-based N-gram language models over token ids (the baseline an RNN language model beats).

An order-``N`` model predicts token ``w`` from the ``N - 1`` tokens before it (its *context*
``h``) using counts from the training sequence. The maximum-likelihood estimate
``c(h w) / c(h)`` gives probability 0 to every continuation never seen after ``h`` (and is
undefined for contexts never seen at all), so a single unseen event makes the perplexity infinite.
Two smoothings are offered:

``"witten_bell"`` (default): interpolated Witten–Bell smoothing (Witten & Bell 1991; Chen &
Goodman 1999, §2.5). With ``T(h)`` the number of distinct tokens seen after ``h``::

    P_k(w | h) = (c(h w) + T(h) · P_{k-1}(w | h')) / (c(h) + T(h))   (h' = h minus its first token)
    P_k(w | h) = P_{k-1}(w | h')                                      if c(h) = 0 (unseen context)
    P_0(w)     = 1 / V                                                (uniform floor)

Every order mixes in the next lower one, and the recursion ends in the uniform distribution, so
every token gets a probability > 0 and the perplexity is always finite. There is no parameter to
tune: a context followed by many different tokens (``T(h)`` large) trusts its own counts less.

``"add_k"``: add-k (Lidstone) smoothing of the top order only,
``P(w | h) = (c(h w) + k) / (c(h) + k V)``, which is ``1 / V`` for an unseen context. It is
finite too but throws all knowledge away whenever the full context is new, which is why its
perplexity gets worse, not better, as ``N`` grows. :func:`add_k_probability` computes one such
probability directly from a sequence (the notebook's exercise).

Contexts never cross the start of the scored sequence except through ``history``: the first
positions of a sequence are scored with the shorter context they have.

The counts are stored as sorted NumPy arrays of integer keys (an n-gram ``t_1 .. t_n`` is the
number ``sum t_j V^(n-j)``), so counting a million tokens up to order 8 takes seconds and
:meth:`NGramLM.table_sizes` reports exactly how many entries the model keeps.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from rnnbook.validation import positive_int as _positive_int

__all__ = ["NGramLM", "OrderTable", "adaptive_log_probs", "add_k_probability", "count_ngrams"]

SMOOTHINGS = ("witten_bell", "add_k")
_MAX_KEY = 2**62


def count_ngrams(seq: Sequence[Hashable] | str, n: int) -> Counter[tuple[Hashable, ...]]:
    """Counts of every length-``n`` window of ``seq`` (a str counts character n-grams)."""
    n = _positive_int("n", n)
    items = list(seq)
    return Counter(tuple(items[i : i + n]) for i in range(len(items) - n + 1))


def add_k_probability(
    seq: Sequence[Hashable] | str,
    context: Sequence[Hashable] | str,
    token: Hashable,
    *,
    vocab_size: int,
    k: float = 1.0,
) -> float:
    """Add-k estimate ``(c(h w) + k) / (c(h) + k V)`` of ``P(token | context)`` from ``seq``.

    ``c(h w)`` counts the windows of ``seq`` equal to ``context`` followed by ``token``; ``c(h)``
    counts the occurrences of ``context`` that are followed by some token (an occurrence at the
    very end of ``seq`` has no continuation and is not counted). An empty context gives the
    smoothed unigram probability.
    """
    vocab_size = _positive_int("vocab_size", vocab_size)
    if not k >= 0:
        raise ValueError(f"k must be >= 0, got {k!r}")
    items, ctx = list(seq), list(context)
    n = len(ctx)
    c_hw = c_h = 0
    for i in range(len(items) - n):
        if items[i : i + n] == ctx:
            c_h += 1
            c_hw += items[i + n] == token
    denominator = c_h + k * vocab_size
    if denominator == 0:
        raise ValueError("k = 0 and the context never occurs: the probability is undefined")
    return (c_hw + k) / denominator


def _lookup(keys: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``query`` in the sorted ``keys`` and whether each was found."""
    pos = np.searchsorted(keys, query)
    pos_clipped = np.minimum(pos, max(len(keys) - 1, 0))
    found = (pos < len(keys)) & (keys[pos_clipped] == query) if len(keys) else np.zeros(
        query.shape, bool)
    return pos_clipped, found


@dataclass(frozen=True)
class OrderTable:
    """The counts of one order ``n``: sorted n-gram keys and counts, and per-context totals.

    ``context_keys`` are the distinct (n-1)-gram contexts that were followed by a token,
    ``context_counts`` their ``c(h)`` and ``context_types`` their ``T(h)`` (distinct followers).
    """

    order: int
    keys: np.ndarray
    counts: np.ndarray
    context_keys: np.ndarray
    context_counts: np.ndarray
    context_types: np.ndarray

    @property
    def num_ngrams(self) -> int:
        """Distinct n-grams stored."""
        return int(self.keys.size)

    @property
    def num_contexts(self) -> int:
        """Distinct contexts stored."""
        return int(self.context_keys.size)


class NGramLM:
    """An order-``N`` character (or token) N-gram model over ids ``0 .. vocab_size - 1``.

    Example::

        lm = NGramLM.fit(train_ids, order=5, vocab_size=len(vocab))
        lm.cross_entropy(val_ids)          # mean nats per token
        lm.perplexity(val_ids)             # exp of that
        lm.next_token_probs(context_ids)   # [V] distribution

    See the module docstring for the smoothing formulas.
    """

    def __init__(self, tables: list[OrderTable], vocab_size: int, *,
                 smoothing: str = "witten_bell", k: float = 1.0) -> None:
        if smoothing not in SMOOTHINGS:
            raise ValueError(f"smoothing must be one of {SMOOTHINGS}, got {smoothing!r}")
        if not k > 0:
            raise ValueError(f"k must be > 0, got {k!r}")
        self.tables = tables
        self.vocab_size = vocab_size
        self.smoothing = smoothing
        self.k = float(k)

    # ------------------------------------------------------------------ construction
    @classmethod
    def fit(
        cls,
        ids: Sequence[int] | np.ndarray,
        *,
        order: int,
        vocab_size: int,
        smoothing: str = "witten_bell",
        k: float = 1.0,
    ) -> NGramLM:
        """Count every n-gram of ``ids`` for n = 1 .. ``order``."""
        order = _positive_int("order", order)
        vocab_size = _positive_int("vocab_size", vocab_size)
        if vocab_size**order >= _MAX_KEY:
            raise ValueError(f"vocab_size ** order = {vocab_size}**{order} does not fit the "
                             "int64 keys; use a smaller order or vocabulary")
        arr = cls._check_ids(ids, vocab_size)
        if arr.size < order:
            raise ValueError(f"need at least order={order} ids to count, got {arr.size}")
        tables = []
        for n in range(1, order + 1):
            keys, counts = np.unique(cls._keys(arr, n, vocab_size), return_counts=True)
            if n == 1:
                ctx_keys = np.zeros(1, np.int64)
                ctx_counts = np.array([counts.sum()], np.int64)
                ctx_types = np.array([keys.size], np.int64)
            else:
                ctx_keys, start = np.unique(keys // vocab_size, return_index=True)
                ctx_counts = np.add.reduceat(counts, start).astype(np.int64)
                ctx_types = np.diff(np.append(start, keys.size)).astype(np.int64)
            tables.append(OrderTable(n, keys, counts.astype(np.int64), ctx_keys, ctx_counts,
                                     ctx_types))
        return cls(tables, vocab_size, smoothing=smoothing, k=k)

    @staticmethod
    def _check_ids(ids: Sequence[int] | np.ndarray, vocab_size: int) -> np.ndarray:
        arr = np.asarray(ids)
        if arr.ndim != 1:
            raise ValueError(f"ids must be a 1-D sequence of token ids, got shape {arr.shape}")
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"ids must be integers, got dtype {arr.dtype}")
        arr = arr.astype(np.int64)
        if arr.size and (arr.min() < 0 or arr.max() >= vocab_size):
            raise ValueError(f"ids must lie in [0, {vocab_size}), got values in "
                             f"[{arr.min()}, {arr.max()}]")
        return arr

    @staticmethod
    def _keys(arr: np.ndarray, n: int, vocab_size: int) -> np.ndarray:
        """Key of every length-``n`` window: ``out[i]`` encodes ``arr[i : i + n]``."""
        m = arr.size - n + 1
        if m <= 0:
            return np.zeros(0, np.int64)
        keys = np.zeros(m, np.int64)
        for j in range(n):
            keys = keys * vocab_size + arr[j : j + m]
        return keys

    # ------------------------------------------------------------------ inspection
    @property
    def order(self) -> int:
        return len(self.tables)

    def table_sizes(self) -> dict[str, int]:
        """Entries kept: ``ngrams`` / ``contexts`` of the top order and ``total_ngrams`` of all
        orders (an interpolated model stores every order up to N)."""
        top = self.tables[-1]
        return {"ngrams": top.num_ngrams, "contexts": top.num_contexts,
                "total_ngrams": sum(t.num_ngrams for t in self.tables)}

    def __repr__(self) -> str:
        return (f"NGramLM(order={self.order}, vocab_size={self.vocab_size}, "
                f"smoothing={self.smoothing!r}, ngrams={self.table_sizes()['total_ngrams']})")

    # ------------------------------------------------------------------ probabilities
    def _prob_order(self, table: OrderTable, ctx: np.ndarray, full: np.ndarray,
                    lower: np.ndarray) -> np.ndarray:
        """One smoothing step: combine the counts of ``table`` with the lower-order ``lower``."""
        ci, c_found = _lookup(table.context_keys, ctx)
        c_h = np.where(c_found, table.context_counts[ci], 0).astype(np.float64)
        t_h = np.where(c_found, table.context_types[ci], 0).astype(np.float64)
        ni, n_found = _lookup(table.keys, full)
        c_hw = np.where(n_found, table.counts[ni], 0).astype(np.float64)
        if self.smoothing == "add_k":
            return (c_hw + self.k) / (c_h + self.k * self.vocab_size)
        seen = c_h > 0
        return np.where(seen, (c_hw + t_h * lower) / np.where(seen, c_h + t_h, 1.0), lower)

    def log_probs(self, ids: Sequence[int] | np.ndarray,
                  history: Sequence[int] | np.ndarray = ()) -> np.ndarray:
        """``log P(ids[i] | previous ids)`` in nats for every position of ``ids``.

        ``history`` (ids that come just before ``ids``) supplies context to the first positions;
        without it they use the shorter context available.
        """
        hist = self._check_ids(history, self.vocab_size)
        tgt = self._check_ids(ids, self.vocab_size)
        full = np.concatenate([hist, tgt])
        start, m = hist.size, tgt.size
        positions = np.arange(start, start + m)
        vocab = self.vocab_size
        uniform = np.full(m, 1.0 / vocab)
        if self.smoothing == "add_k":
            n = self.order
            probs = uniform.copy()
            ok = positions >= n - 1
            if ok.any():
                table = self.tables[-1]
                full_keys = self._keys(full, n, vocab)[positions[ok] - (n - 1)]
                probs[ok] = self._prob_order(table, full_keys // vocab, full_keys, uniform[ok])
            return np.log(probs)
        probs = uniform
        for n, table in enumerate(self.tables, start=1):
            ok = positions >= n - 1
            if not ok.any():
                break
            full_keys = self._keys(full, n, vocab)[positions[ok] - (n - 1)]
            ctx = full_keys // vocab if n > 1 else np.zeros_like(full_keys)
            new = probs.copy()
            new[ok] = self._prob_order(table, ctx, full_keys, probs[ok])
            probs = new
        return np.log(probs)

    def cross_entropy(self, ids: Sequence[int] | np.ndarray,
                      history: Sequence[int] | np.ndarray = ()) -> float:
        """Mean ``-log P`` per token of ``ids`` in nats (the same units as a Keras loss)."""
        lp = self.log_probs(ids, history)
        if lp.size == 0:
            raise ValueError("ids is empty: nothing to score")
        return float(-lp.mean())

    def perplexity(self, ids: Sequence[int] | np.ndarray,
                   history: Sequence[int] | np.ndarray = ()) -> float:
        """``exp(cross_entropy)``."""
        return math.exp(self.cross_entropy(ids, history))

    def unseen_fraction(self, ids: Sequence[int] | np.ndarray,
                        history: Sequence[int] | np.ndarray = ()) -> float:
        """Fraction of the full-length N-grams ending in ``ids`` never seen in training.

        Only positions with a full context of ``N - 1`` ids (from ``ids`` or ``history``) count.
        """
        hist = self._check_ids(history, self.vocab_size)
        full = np.concatenate([hist, self._check_ids(ids, self.vocab_size)])
        keys = self._keys(full, self.order, self.vocab_size)[max(hist.size - self.order + 1, 0):]
        if keys.size == 0:
            raise ValueError(f"no position has a full context of {self.order - 1} ids")
        return float(1.0 - _lookup(self.tables[-1].keys, keys)[1].mean())

    def next_token_probs(self, context: Sequence[int] | np.ndarray) -> np.ndarray:
        """The distribution ``[V]`` of the next token after ``context`` (last N-1 ids used)."""
        ctx_ids = self._check_ids(context, self.vocab_size)
        vocab = self.vocab_size
        candidates = np.arange(vocab, dtype=np.int64)
        uniform = np.full(vocab, 1.0 / vocab)

        def context_key(length: int) -> int:
            key = 0
            for t in ctx_ids[ctx_ids.size - length:]:
                key = key * vocab + int(t)
            return key

        if self.smoothing == "add_k":
            n = min(self.order, ctx_ids.size + 1)
            if n < self.order:
                return uniform
            key = context_key(n - 1)
            return self._prob_order(self.tables[n - 1], np.full(vocab, key, np.int64),
                                    key * vocab + candidates, uniform)
        probs = uniform
        for n in range(1, min(self.order, ctx_ids.size + 1) + 1):
            key = context_key(n - 1)
            probs = self._prob_order(self.tables[n - 1], np.full(vocab, key, np.int64),
                                     key * vocab + candidates, probs)
        return probs

    def generate(self, prime: Sequence[int] | np.ndarray, n: int, *,
                 seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Sample ``n`` ids one by one from :meth:`next_token_probs`, starting after ``prime``."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        ctx = list(self._check_ids(prime, self.vocab_size))
        out = []
        for _ in range(n):
            probs = self.next_token_probs(ctx[-(self.order - 1):] if self.order > 1 else [])
            token = int(rng.choice(self.vocab_size, p=probs / probs.sum()))
            out.append(token)
            ctx.append(token)
        return np.asarray(out, np.int64)


def adaptive_log_probs(
    train_ids: Sequence[int] | np.ndarray,
    ids: Sequence[int] | np.ndarray,
    *,
    order: int,
    vocab_size: int,
    block: int,
) -> np.ndarray:
    """``log P(ids[i] | previous ids)`` (nats) from a Witten–Bell N-gram that keeps counting.

    ``ids`` is read in blocks of ``block`` tokens. Each block is scored by a model fitted on
    ``train_ids`` followed by every earlier block of ``ids``, so every token is predicted before
    it is counted: the count-based counterpart of dynamic evaluation
    (:func:`rnnbook.models.dynamic_token_losses`). The first block is the static model's score.
    """
    block = _positive_int("block", block)
    train = NGramLM._check_ids(train_ids, vocab_size)
    arr = NGramLM._check_ids(ids, vocab_size)
    log_probs = []
    for start in range(0, arr.size, block):
        lm = NGramLM.fit(np.concatenate([train, arr[:start]]), order=order, vocab_size=vocab_size)
        history = arr[max(start - order + 1, 0) : start]
        log_probs.append(lm.log_probs(arr[start : start + block], history))
    return np.concatenate(log_probs) if log_probs else np.zeros(0)
