"""Encoder–decoder (N vs M) with optional Bahdanau (additive) or Luong (multiplicative) attention.

Training uses teacher forcing: `model([src, tgt_in])` → logits `[B, T, V_tgt]`, where
`tgt_in` is the target shifted right (starting with `<s>`). The encoder's final state
initialises the decoder. With attention, each decoder output `h_t` queries the encoder outputs
(keys projected by a Dense layer; for Bahdanau the query too), the context `c_t` is combined
as `tanh(W [h_t; c_t])` (Luong et al. 2015's attentional hidden state) and projected to logits.
Because attention sits after the decoder RNN (no input feeding), inference needs only the
RNN state between steps: encode once, then call the step model once per generated token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from rnnbook.layers.length_aware import LengthAwareRNN
from rnnbook.models.recurrent import (
    ModelConfigError,
    check_cell,
    check_positive_int,
    make_embedding,
    make_rnn_layer,
    num_states,
)

ATTENTION_KINDS = (None, "bahdanau", "luong")


def _attend(layers: dict[str, Any], query: Any, enc_outputs: Any, mask: Any = None) -> Any:
    """Apply the attention block; returns `(combined [B,T,U], weights [B,T,S])`."""
    keys = layers["attention_key"](enc_outputs)
    query_proj = layers["attention_query"](query) if "attention_query" in layers else query
    kwargs = {} if mask is None else {"mask": mask}
    context, weights = layers["attention"](
        [query_proj, enc_outputs, keys], return_attention_scores=True, **kwargs
    )
    combined = layers["attention_concat"]([query, context])
    return layers["attention_combine"](combined), weights


@dataclass
class Seq2Seq:
    """The training model plus encoder and one-step decoder models sharing its weights.

    Attributes:
        model: `[src, tgt_in]` → logits `[B, T, V_tgt]` (teacher forcing; save this one).
        encoder_model: `src` → `[enc_outputs [B, S, U], *state]`.
        decoder_step_model: `[token [B, 1], *state, enc_outputs, src_mask [B, S] bool]` →
            `[logits [B, V_tgt], *new_state, attention_weights [B, S]]` with attention, or
            `[token, *state]` → `[logits, *new_state]` without.
        attention_model: `[src, tgt_in]` → attention weights `[B, T, S]` (None without).
        attention: `None`, `"bahdanau"` or `"luong"`.
    """

    model: keras.Model
    encoder_model: keras.Model
    decoder_step_model: keras.Model
    attention_model: keras.Model | None
    attention: str | None

    @classmethod
    def from_model(cls, model: keras.Model) -> Seq2Seq:
        """Rebuild the inference models from a (e.g. loaded) `build_seq2seq(...).model`."""
        return _inference_models(model)

    def encode(self, src: Any) -> tuple[np.ndarray, list[np.ndarray]]:
        """Encode once: `src` ids `[B, S]` → `(enc_outputs [B, S, U], state list)`.

        Runs the compiled `predict_on_batch` path; for many batches use :meth:`stepper`, which
        also keeps the shapes fixed.
        """
        outputs = self.encoder_model.predict_on_batch(np.asarray(src, dtype="int32"))
        outputs = [np.asarray(o) for o in outputs]
        return outputs[0], outputs[1:]

    def stepper(self, rows: int, src_len: int) -> Seq2SeqStepper:
        """A compiled, fixed-shape step function for `rnnbook.decoding` (see `Seq2SeqStepper`)."""
        return Seq2SeqStepper(self, rows=rows, src_len=src_len)

    def decode_step(
        self,
        token: Any,
        state: list[np.ndarray],
        enc_outputs: np.ndarray,
        src_mask: Any | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray], np.ndarray | None]:
        """One decoder step: `token` `[B]` or `[B, 1]` → `(logits [B, V], state, weights)`.

        `src_mask` is `src != 0` (`[B, S]`); when omitted every source position is attended.
        `weights` is `[B, S]` with attention, else None.
        """
        tokens = np.asarray(token, dtype="int32").reshape(-1, 1)
        inputs = [tokens, *state]
        if self.attention is not None:
            if src_mask is None:
                src_mask = np.ones(np.shape(enc_outputs)[:2], dtype=bool)
            inputs += [enc_outputs, np.asarray(src_mask, dtype=bool)]
        # predict_on_batch runs the compiled inference function (JAX: 72 ms eager vs 2 ms)
        outputs = [np.asarray(o) for o in self.decoder_step_model.predict_on_batch(inputs)]
        if self.attention is None:
            return outputs[0], outputs[1:], None
        return outputs[0], outputs[1:-1], outputs[-1]

    def initial_state(self, src: Any) -> dict[str, Any]:
        """Encode `src` `[B, S]` into the state dict used by `step` (and `rnnbook.decoding`).

        Keys: `rnn` (list of `[B, U]` arrays), `enc_outputs` `[B, S, U]`, `src_mask` `[B, S]`;
        every leaf has the batch as its first axis, so beam search can reorder rows.
        """
        src = np.asarray(src, dtype="int32")
        enc_outputs, state = self.encode(src)
        return {"rnn": state, "enc_outputs": enc_outputs, "src_mask": src != 0}

    def step(self, token_ids: Any, state: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        """A `rnnbook.decoding` step function: `(token_ids [B], state)` → `(logits, state)`.

        The attention weights of the step are returned in `state["attention"]` (`[B, S]`).
        """
        logits, rnn_state, weights = self.decode_step(
            token_ids, state["rnn"], state["enc_outputs"], state["src_mask"]
        )
        new_state = {**state, "rnn": rnn_state}
        if weights is not None:
            new_state["attention"] = weights
        return logits, new_state


class Seq2SeqStepper:
    """Encode and step a `Seq2Seq` through compiled functions that always see one shape.

    Every call to the encoder and to the one-step decoder gets exactly `rows` rows and `src_len`
    source positions: larger inputs are cut into chunks of `rows`, a short last chunk is filled
    with copies of its first row (and the copies' outputs dropped), and sources are padded
    with 0 to `src_len`. JAX (and TensorFlow) then trace each function once, however the number
    of live beams changes. Use `batch_size * beam_width` as `rows` with
    `rnnbook.decoding.beam_search`, which keeps that many rows at every step.

    `initial_state(src)` and `step(token_ids, state)` have the meaning of `Seq2Seq`'s methods of
    the same names (the state dict holds `rnn`, `enc_outputs`, `src_mask` and, with attention,
    the step's `attention` weights).
    """

    def __init__(self, s2s: Seq2Seq, *, rows: int, src_len: int) -> None:
        self.s2s = s2s
        self.rows = check_positive_int("rows", rows)
        self.src_len = check_positive_int("src_len", src_len)

    def _chunks(self, n: int) -> list[tuple[np.ndarray, int]]:
        """Row indices of each fixed-size call (padded with the chunk's first row) and how many
        of them are real."""
        out = []
        for start in range(0, n, self.rows):
            real = np.arange(start, min(start + self.rows, n))
            pad = np.full(self.rows - len(real), start)
            out.append((np.concatenate([real, pad]), len(real)))
        return out

    def _run(self, model: keras.Model, inputs: list[np.ndarray]) -> list[np.ndarray]:
        n = len(inputs[0])
        pieces = []
        for index, real in self._chunks(n):
            batch = [x[index] for x in inputs]
            outputs = model.predict_on_batch(batch[0] if len(batch) == 1 else batch)
            outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
            pieces.append([np.asarray(o)[:real] for o in outputs])
        if not pieces:
            raise ValueError("Seq2SeqStepper: got an empty batch (0 rows)")
        return [np.concatenate(parts, axis=0) for parts in zip(*pieces, strict=True)]

    def initial_state(self, src: Any) -> dict[str, Any]:
        """Encode right-padded ids `src` `[B, S]`, `S <= src_len`, into a decoding state."""
        src = np.asarray(src, dtype="int32")
        if src.ndim != 2 or src.shape[1] > self.src_len:
            raise ValueError(f"src must be [batch, length <= {self.src_len}] ids, got shape "
                             f"{src.shape}")
        src = np.pad(src, ((0, 0), (0, self.src_len - src.shape[1])))
        enc_outputs, *state = self._run(self.s2s.encoder_model, [src])
        return {"rnn": state, "enc_outputs": enc_outputs, "src_mask": src != 0}

    def step(self, token_ids: Any, state: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        """A `rnnbook.decoding` step function: `(token_ids [R], state)` → `(logits, state)`."""
        tokens = np.asarray(token_ids, dtype="int32").reshape(-1, 1)
        inputs = [tokens, *[np.asarray(s) for s in state["rnn"]]]
        if self.s2s.attention is not None:
            inputs += [np.asarray(state["enc_outputs"]), np.asarray(state["src_mask"], bool)]
        outputs = self._run(self.s2s.decoder_step_model, inputs)
        new_state = {**state}
        if self.s2s.attention is None:
            new_state["rnn"] = outputs[1:]
        else:
            new_state["rnn"], new_state["attention"] = outputs[1:-1], outputs[-1]
        return outputs[0], new_state


def _inference_models(model: keras.Model) -> Seq2Seq:
    """Encoder, one-step decoder and attention models that share `model`'s layers."""
    names = [
        "src_embedding",
        "tgt_embedding",
        "encoder",
        "decoder",
        "logits",
        "attention",
        "attention_key",
        "attention_query",
        "attention_concat",
        "attention_combine",
    ]
    layers = {layer.name: layer for layer in model.layers if layer.name in names}
    missing = [n for n in names[:5] if n not in layers]
    if missing:
        raise ModelConfigError(f"`model` must come from build_seq2seq; missing layers {missing}.")
    attention = None
    if "attention" in layers:
        additive = isinstance(layers["attention"], keras.layers.AdditiveAttention)
        attention = "bahdanau" if additive else "luong"
    src, tgt_in = model.inputs
    encoder, decoder = layers["encoder"], layers["decoder"]

    enc_out = encoder(layers["src_embedding"](src))
    encoder_model = keras.Model(src, list(enc_out), name="encoder_model")

    token = keras.Input(shape=(1,), dtype="int32", name="token")
    state = [
        keras.Input(shape=(decoder.units,), name=f"state_{k}") for k in range(num_states(decoder))
    ]
    dec = decoder(layers["tgt_embedding"](token), initial_state=state)
    h, new_state = dec[0], list(dec[1:])
    step_inputs: list[Any] = [token, *state]
    weights = None
    attention_model = None
    if attention is not None:
        enc_outputs = keras.Input(shape=(None, encoder.units), name="enc_outputs")
        src_mask = keras.Input(shape=(None,), dtype="bool", name="src_mask")
        step_inputs += [enc_outputs, src_mask]
        h, weights = _attend(layers, h, enc_outputs, mask=[None, src_mask])
        weights = keras.ops.squeeze(weights, axis=1)
        train_dec = decoder(layers["tgt_embedding"](tgt_in), initial_state=list(enc_out[1:]))[0]
        _, train_weights = _attend(layers, train_dec, enc_out[0])
        attention_model = keras.Model([src, tgt_in], train_weights, name="attention_model")
    logits = keras.ops.squeeze(layers["logits"](h), axis=1)
    outputs = [logits, *new_state] + ([weights] if weights is not None else [])
    step_model = keras.Model(step_inputs, outputs, name="decoder_step_model")
    return Seq2Seq(model, encoder_model, step_model, attention_model, attention)


def build_seq2seq(
    src_vocab_size: int,
    tgt_vocab_size: int,
    *,
    embedding_dim: int = 64,
    units: int = 128,
    cell: str = "gru",
    attention: str | None = None,
    length_aware: bool = False,
    name: str = "seq2seq",
) -> Seq2Seq:
    """Build a one-layer encoder–decoder; see the module docstring for the architecture.

    Args:
        src_vocab_size: source vocabulary size (id 0 = padding, masked).
        tgt_vocab_size: target vocabulary size (id 0 = padding).
        embedding_dim: width of both embeddings.
        units: hidden size of encoder and decoder (and of the attention block).
        cell: `"simple"`, `"lstm"` or `"gru"`.
        attention: `None`, `"bahdanau"` (additive) or `"luong"` (multiplicative, "general").
        length_aware: run encoder and decoder through `LengthAwareRNN`: the same numbers as the
            masked layers, but JAX and PyTorch keep their fused (cuDNN) kernels. GRU and
            SimpleRNN only (an LSTM's cell state at the last real step is not among its outputs).

    Returns:
        A `Seq2Seq`; compile and fit `.model` with
        `SparseCategoricalCrossentropy(from_logits=True)` on `tgt_out` (`tgt` shifted left).
    """
    src_vocab_size = check_positive_int("src_vocab_size", src_vocab_size)
    tgt_vocab_size = check_positive_int("tgt_vocab_size", tgt_vocab_size)
    embedding_dim = check_positive_int("embedding_dim", embedding_dim)
    units = check_positive_int("units", units)
    cell = check_cell(cell)
    if attention not in ATTENTION_KINDS:
        raise ModelConfigError(f"`attention` must be one of {ATTENTION_KINDS}, got {attention!r}.")
    if length_aware and cell == "lstm":
        raise ModelConfigError(
            "`length_aware=True` needs cell='gru' or 'simple': an LSTM encoder's cell state at the "
            "last real token is not among its outputs, so the masked LSTM must be used."
        )

    def recurrent(layer_name: str) -> keras.layers.Layer:
        layer = make_rnn_layer(cell, units, return_sequences=True, return_state=True,
                               name=layer_name)
        return LengthAwareRNN(layer, name=layer_name) if length_aware else layer

    src = keras.Input(shape=(None,), dtype="int32", name="src")
    tgt_in = keras.Input(shape=(None,), dtype="int32", name="tgt_in")
    src_emb = make_embedding(src_vocab_size, embedding_dim, name="src_embedding")(src)
    encoder = recurrent("encoder")
    enc = encoder(src_emb)
    enc_outputs, enc_state = enc[0], list(enc[1:])
    tgt_emb = make_embedding(tgt_vocab_size, embedding_dim, name="tgt_embedding")(tgt_in)
    decoder = recurrent("decoder")
    h = decoder(tgt_emb, initial_state=enc_state)[0]
    if attention is not None:
        dense = keras.layers.Dense
        layers: dict[str, Any] = {
            "attention_key": dense(units, use_bias=False, name="attention_key"),
            "attention_concat": keras.layers.Concatenate(name="attention_concat"),
            "attention_combine": dense(units, activation="tanh", name="attention_combine"),
        }
        if attention == "bahdanau":
            layers["attention_query"] = dense(units, use_bias=False, name="attention_query")
            layers["attention"] = keras.layers.AdditiveAttention(name="attention")
        else:
            layers["attention"] = keras.layers.Attention(name="attention")
        h, _ = _attend(layers, h, enc_outputs)
    logits = keras.layers.Dense(tgt_vocab_size, dtype="float32", name="logits")(h)  # fp32 logits
    model = keras.Model([src, tgt_in], logits, name=name)
    return _inference_models(model)
