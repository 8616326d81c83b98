#!/usr/bin/env bash
# The GPU run: every notebook at the `full` profile and `rnnbook bench`, on a machine with JAX and
# PyTorch but no TensorFlow (the device machine: Python 3.12, CUDA). Prepare here first with
# `bash scripts/device_stage.sh`; then one device call (see the README):
#   command: bash scripts/device_run.sh     carry: [".whl", ".stage"]     timeout_s: 600
# It installs the carried wheels into /tmp/rnnbook-site, reads the data from .stage/datasets (the
# ordinary resolver, sha256-checked), times a few shapes on JAX and on PyTorch and runs the
# notebooks on the faster one, then the bench grid, and writes to $OUT: run.log and
# workbook-run.tar.gz (executed notebooks, results/*.json, bench.json, docs/).
# Rehearse on a CPU with a Python 3.12 environment that has what the device image has:
#   PYTHON=/path/py312/bin/python RNNBOOK_PROFILE=smoke RNNBOOK_BENCH_GRID=tiny \
#     RNNBOOK_PICK_GRID=tiny OUT=build/device-rehearsal bash scripts/device_run.sh
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
OUT=${OUT:-build/device-run}
PROFILE=${RNNBOOK_PROFILE:-full}
GRID=${RNNBOOK_BENCH_GRID:-full}
PICK_GRID=${RNNBOOK_PICK_GRID:-pick}
NOTEBOOK_BUDGET_S=${RNNBOOK_NOTEBOOK_BUDGET_S:-420}
BENCH_BUDGET_S=${RNNBOOK_BENCH_BUDGET_S:-100}
work="$OUT/work"
mkdir -p "$work"
exec > >(tee "$OUT/run.log") 2>&1
started=$(date +%s)
stamp() { echo; echo "=== $* (+$(( $(date +%s) - started )) s)"; }

stamp "install the carried wheels"
site=/tmp/rnnbook-site
"$PY" -m pip install --quiet --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target "$site" .whl/*.whl || exit 1
export PYTHONPATH="$site:$PWD/src" PYTHONUNBUFFERED=1 RNNBOOK_DATA_MIRROR="$PWD/.stage/datasets"
export RNNBOOK_DATA_DIR=/tmp/rnnbook-cache RNNBOOK_PROFILE="$PROFILE"
export XLA_PYTHON_CLIENT_MEM_FRACTION=0.45  # JAX and PyTorch share the GPU in the bench
rnnbook() { "$PY" -m rnnbook.cli "$@"; }
if "$PY" -c "import tensorflow" 2>/dev/null; then echo "note: TensorFlow is importable here"; fi

stamp "environment and data"
KERAS_BACKEND=jax rnnbook env && KERAS_BACKEND=torch rnnbook env
rnnbook data verify all || exit 1

stamp "choose the backend: the same shapes on JAX and PyTorch"
backend=${KERAS_BACKEND:-}
if [ -z "$backend" ]; then
  for b in jax torch; do
    KERAS_BACKEND=$b timeout 120 "$PY" -m rnnbook.cli bench --grid "$PICK_GRID" --out "$work/pick-$b.json"
  done
  backend=$(rnnbook bench --fastest "$work"/pick-*.json) || backend=jax
fi
echo "notebooks run on: $backend"

stamp "notebooks at profile $PROFILE on $backend"
KERAS_BACKEND=$backend timeout "$NOTEBOOK_BUDGET_S" "$PY" -m rnnbook.cli run \
  --profile "$PROFILE" --backend "$backend" --out "$work" --timeout "$NOTEBOOK_BUDGET_S"
echo "rnnbook run exit status: $?"

stamp "rnnbook bench --grid $GRID on $backend (rows are saved as they come)"
KERAS_BACKEND=$backend timeout "$BENCH_BUDGET_S" "$PY" -m rnnbook.cli bench --grid "$GRID" \
  --out "$work/bench.json" --merge
for f in "$work"/pick-*.json; do  # keep the other backend's pick rows too
  [ -f "$f" ] && "$PY" - "$work/bench.json" "$f" <<'PYEOF'
import sys
from pathlib import Path
from rnnbook import bench, reports
out, extra = Path(sys.argv[1]), Path(sys.argv[2])
reports.write_bench_json(out, bench.merge_rows(reports.load_bench_rows(extra),
                                               reports.load_bench_rows(out)))
PYEOF
done
"$PY" - "$work/bench.json" "$work/docs" <<'PYEOF'
import sys
from pathlib import Path
from rnnbook import reports
out, docs = Path(sys.argv[1]), Path(sys.argv[2])
reports.write_bench_report(reports.load_bench_rows(out), out, docs)
PYEOF

stamp "docs/results.md and the archive"
rnnbook report --results "$work/results" --docs "$work/docs"
tar -czf "$OUT/workbook-run.tar.gz" -C "$work" notebooks results bench.json docs 2>/dev/null \
  || tar -czf "$OUT/workbook-run.tar.gz" -C "$work" .
ls -la "$OUT"
stamp "done"
