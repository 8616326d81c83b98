#!/usr/bin/env bash
# The test command: set up .venv, then lint, unit tests (TensorFlow backend), the Keras-model
# tests again on the PyTorch backend, and nbval over every notebook at the smoke profile.
# Data: RNNBOOK_DATA_MIRROR (CI points it at ../shared/datasets), else the cache or a download.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
VENV=${RNNBOOK_VENV:-.venv}
export PATH="$PWD/$VENV/bin:$PATH"
export RNNBOOK_PROFILE=${RNNBOOK_PROFILE:-smoke}
export RNNBOOK_RESULTS_DIR=${RNNBOOK_RESULTS_DIR:-$PWD/build/test-results}
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONHASHSEED=0

step() { echo; echo "=== $* ($(date +%H:%M:%S))"; }

step "ruff"
ruff check src tests notebooks scripts

step "unit tests, KERAS_BACKEND=tensorflow"
MPLBACKEND=Agg KERAS_BACKEND=tensorflow python -m pytest tests -q -p no:cacheprovider

step "Keras-model tests again, KERAS_BACKEND=torch"
backend_tests=$(ls tests/test_{models,layers,artifacts,training,scratch,decoding,translation}*.py 2>/dev/null || true)
MPLBACKEND=Agg KERAS_BACKEND=torch python -m pytest $backend_tests -q -p no:cacheprovider

step "notebooks under nbval, profile $RNNBOOK_PROFILE"
notebooks=$(ls notebooks/[0-9][0-9]_*.ipynb 2>/dev/null || true)
if [ -n "$notebooks" ]; then
  KERAS_BACKEND=tensorflow python -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider \
    --durations=0 $notebooks
else
  echo "no notebooks yet"
fi
step "all test steps passed"
