"""The RNN Workbook library: datasets, text, recurrent models, decoding, metrics, training."""

import os as _os

from rnnbook import _quiet
from rnnbook.backends import default_backend_if_needed as _default_backend_if_needed

# TensorFlow's start-up chatter would land in every notebook's committed outputs: set the log
# level before TensorFlow is first imported (setdefault: a user's choice wins) and silence the
# lines it prints before its logging is configured (see rnnbook._quiet).
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_quiet.install()
# Keras defaults to TensorFlow and fails to import without it; on a TensorFlow-less machine name
# an installed backend (JAX, then PyTorch) unless KERAS_BACKEND or keras.json already chose one.
_default_backend_if_needed()

__version__ = "0.1.0"
