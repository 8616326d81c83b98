#!/usr/bin/env bash
# The test command: set up .venv, then lint, unit tests (TensorFlow backend), every student notebook
# on the sample data with its exercises unsolved, the Keras-model
# tests again on the PyTorch backend, and nbval over every notebook at the smoke profile; then, in
# a second environment where TensorFlow cannot be imported (.venv-notf: JAX and PyTorch, as on the
# GPU machine), the Keras-model tests on JAX, every notebook again on JAX's default, and a tiny
# `rnnbook bench` against native PyTorch.
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
MPLBACKEND=Agg KERAS_BACKEND=tensorflow python -m pytest tests -q -p no:cacheprovider -m "not student"

# Every student notebook, every exercise unsolved, on the hand-made samples (offline) at smoke:
# what a learner gets from "Run All" before solving anything (about 4-5 minutes on 2 cores).
step "student notebooks end to end, exercises unsolved, on the sample data"
KERAS_BACKEND=tensorflow python -m pytest tests/test_student_notebooks.py -m student -q \
  -p no:cacheprovider --durations=0

step "Keras-model tests again, KERAS_BACKEND=torch"
backend_tests=$(ls tests/test_{models,layers,artifacts,training,scratch,decoding,translation}*.py 2>/dev/null || true)
MPLBACKEND=Agg KERAS_BACKEND=torch python -m pytest $backend_tests -q -p no:cacheprovider

step "notebooks under nbval, profile $RNNBOOK_PROFILE"
notebooks=$(ls notebooks/[0-9][0-9]_*.ipynb 2>/dev/null || true)
if [ -n "$notebooks" ]; then
  RNNBOOK_STRICT_CHECKS=1 KERAS_BACKEND=tensorflow python -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider \
    --durations=0 $notebooks
else
  echo "no notebooks yet"
fi

NOTF_VENV=${RNNBOOK_NOTF_VENV:-.venv-notf}
step "environment without TensorFlow ($NOTF_VENV: extras jax, dev)"
RNNBOOK_VENV=$NOTF_VENV RNNBOOK_EXTRAS=jax,dev bash scripts/setup_env.sh
if "$NOTF_VENV/bin/python" -c "import tensorflow" 2>/dev/null; then
  echo "$NOTF_VENV can import tensorflow: it must not, to prove the TensorFlow-less path" >&2
  exit 1
fi
# With KERAS_BACKEND unset, the package must pick an installed backend by itself.
default_backend=$(env -u KERAS_BACKEND "$NOTF_VENV/bin/rnnbook" env)
echo "$default_backend"
case "$default_backend" in
  *"backend jax"*) ;;
  *) echo "without TensorFlow the default backend should be jax" >&2; exit 1 ;;
esac

step "Keras-model tests again, KERAS_BACKEND=jax, no TensorFlow"
MPLBACKEND=Agg KERAS_BACKEND=jax "$NOTF_VENV/bin/python" -m pytest $backend_tests \
  tests/test_bench.py tests/test_backends.py -q -p no:cacheprovider

step "notebooks under nbval on the default backend (jax), no TensorFlow, profile $RNNBOOK_PROFILE"
if [ -n "$notebooks" ]; then
  env -u KERAS_BACKEND RNNBOOK_STRICT_CHECKS=1 "$NOTF_VENV/bin/python" -m pytest --nbval-lax --nbval-current-env \
    -p no:cacheprovider --durations=0 $notebooks
fi

step "rnnbook bench --grid tiny on jax, against torch.nn"
env -u KERAS_BACKEND "$NOTF_VENV/bin/rnnbook" bench --grid tiny --out build/bench-tiny.json \
  --docs build/bench-tiny-docs
step "all test steps passed"
