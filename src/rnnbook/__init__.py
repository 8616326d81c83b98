"""The RNN Workbook library: datasets, text, recurrent models, decoding, metrics, training."""

from rnnbook.backends import default_backend_if_needed as _default_backend_if_needed

# Keras defaults to TensorFlow and fails to import without it; on a TensorFlow-less machine name
# an installed backend (JAX, then PyTorch) unless KERAS_BACKEND or keras.json already chose one.
# Nothing else happens on import: TensorFlow's log level is set where the notebooks and the
# `rnnbook` command start (see rnnbook.workbook), never by importing the library.
_default_backend_if_needed()

__version__ = "0.1.0"
