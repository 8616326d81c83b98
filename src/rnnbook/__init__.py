"""The RNN Workbook library: datasets, text, recurrent models, decoding, metrics, training."""

import os as _os

# TensorFlow's C++ start-up chatter would land in every notebook's committed outputs; this must be
# set before TensorFlow is first imported, so it lives here (setdefault: a user's choice wins).
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
