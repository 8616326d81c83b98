#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv and install the workbook into it.
# Needs only Python 3.11 (or 3.12) and pip. Re-running it is cheap: pip skips what is installed.
# RNNBOOK_EXTRAS picks the extras: the default has TensorFlow; e.g. RNNBOOK_EXTRAS=jax,notebooks
# or torch,notebooks gives a workbook without TensorFlow (the Keras backend then defaults to it).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${RNNBOOK_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
EXTRAS=${RNNBOOK_EXTRAS:-tensorflow,notebooks,dev}
"$VENV/bin/python" -m pip install --quiet -e ".[$EXTRAS]"
echo "setup: $VENV ready, extras [$EXTRAS] ($("$VENV/bin/python" -c \
  'import rnnbook, keras; print("keras", keras.__version__, "on", keras.backend.backend())'))"
