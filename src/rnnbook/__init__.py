"""The RNN Workbook library: datasets, text, recurrent models, decoding, metrics, training."""

import os as _os

from rnnbook import _quiet

# TensorFlow's start-up chatter would land in every notebook's committed outputs: set the log
# level before TensorFlow is first imported (setdefault: a user's choice wins) and silence the
# lines it prints before its logging is configured (see rnnbook._quiet).
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_quiet.install()

__version__ = "0.1.0"
