#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv and install the workbook into it.
# Needs only Python 3.11 (or 3.12) and pip. Re-running it is cheap: pip skips what is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${RNNBOOK_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e ".[tensorflow,notebooks,dev]"
echo "setup: $VENV ready ($("$VENV/bin/python" -c 'import rnnbook, keras; print("keras", keras.__version__)'))"
