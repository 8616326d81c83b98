"""NumPy-only reference implementations of recurrent cells, for teaching and for checking Keras.

- :mod:`rnnbook.scratch.rnn`: SimpleRNN with a softmax output, BPTT, gradient check, clipping by
  global norm and ``‖∂h_T/∂h_t‖`` per time step.
- :mod:`rnnbook.scratch.gated`: LSTM and GRU forward passes from the gate equations, and the exact
  LSTM state Jacobian norms.
- :mod:`rnnbook.scratch.keras_weights`: weight copies to and from Keras layers.
"""

from rnnbook.scratch.gated import (
    GRUParams,
    LSTMParams,
    gru_forward,
    gru_param_count,
    lstm_forward,
    lstm_jacobian_norms,
    lstm_param_count,
    sigmoid,
)
from rnnbook.scratch.keras_weights import (
    gru_from_keras,
    gru_to_keras,
    lstm_from_keras,
    lstm_to_keras,
    simple_rnn_from_keras,
    simple_rnn_to_keras,
)
from rnnbook.scratch.rnn import (
    RNNForward,
    RNNParams,
    clip_by_global_norm,
    global_norm,
    gradient_check,
    hidden_jacobian_norms,
    numerical_gradient,
    relative_error,
    rnn_forward,
    rnn_loss,
    rnn_loss_and_grads,
    simple_rnn_param_count,
)

__all__ = [
    "GRUParams",
    "LSTMParams",
    "RNNForward",
    "RNNParams",
    "clip_by_global_norm",
    "global_norm",
    "gradient_check",
    "gru_forward",
    "gru_from_keras",
    "gru_param_count",
    "gru_to_keras",
    "hidden_jacobian_norms",
    "lstm_forward",
    "lstm_from_keras",
    "lstm_jacobian_norms",
    "lstm_param_count",
    "lstm_to_keras",
    "numerical_gradient",
    "relative_error",
    "rnn_forward",
    "rnn_loss",
    "rnn_loss_and_grads",
    "sigmoid",
    "simple_rnn_from_keras",
    "simple_rnn_param_count",
    "simple_rnn_to_keras",
]
