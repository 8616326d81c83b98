"""Model builders returning plain Keras 3 models (backend-agnostic: TensorFlow, JAX, PyTorch).

- `build_recurrent_stack`, `make_embedding`: shared blocks (`recurrent.py`).
- `build_language_model`, `make_lm_step_model`, `LanguageModelStepper`, stateful training helpers,
  scoring (`stream_token_losses`, `dynamic_token_losses`) (`language_model.py`).
- `build_classifier` (`classifier.py`).
- `build_tagger`, `CRFTagger`, `crf_decode`, `predict_tags` (`tagger.py`).
- `build_seq2seq`, `Seq2Seq` (`seq2seq.py`).
"""

from rnnbook.models.classifier import build_classifier
from rnnbook.models.language_model import (
    LanguageModelStepper,
    ResetStatesCallback,
    build_language_model,
    copy_language_model,
    count_parameters,
    dynamic_token_losses,
    make_lm_step_model,
    reset_lm_states,
    stream_token_losses,
)
from rnnbook.models.recurrent import (
    CELL_TYPES,
    ModelConfigError,
    build_recurrent_stack,
    make_embedding,
    make_rnn_layer,
)
from rnnbook.models.seq2seq import Seq2Seq, Seq2SeqStepper, build_seq2seq
from rnnbook.models.tagger import CRFTagger, build_tagger, crf_decode, predict_tags

__all__ = [
    "CELL_TYPES",
    "CRFTagger",
    "LanguageModelStepper",
    "ModelConfigError",
    "ResetStatesCallback",
    "Seq2Seq",
    "Seq2SeqStepper",
    "build_classifier",
    "build_language_model",
    "build_recurrent_stack",
    "build_seq2seq",
    "build_tagger",
    "copy_language_model",
    "count_parameters",
    "crf_decode",
    "dynamic_token_losses",
    "make_embedding",
    "make_lm_step_model",
    "make_rnn_layer",
    "predict_tags",
    "reset_lm_states",
    "stream_token_losses",
]
