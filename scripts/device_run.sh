#!/usr/bin/env bash
# The GPU run: every notebook at the `full` profile and `rnnbook bench`, on a machine with JAX and
# PyTorch but no TensorFlow (the device machine: Python 3.12, CUDA). Prepare here first with
# `bash scripts/device_stage.sh`; then one device call (see the README):
#   command: bash scripts/device_run.sh     carry: [".whl", ".stage"]     timeout_s: 600
# It installs the carried wheels into /tmp/rnnbook-site, reads the data from .stage/datasets (the
# ordinary resolver, sha256-checked), times a few shapes on JAX and on PyTorch (float32), runs
# every notebook at once (RNNBOOK_JOBS, one kernel each: small recurrent models leave most of the
# GPU idle) on the faster backend in float32, then the bench grid and the pick shapes in
# mixed_float16, and writes to $OUT: run.log and workbook-run.tar.gz (executed notebooks,
# results/*.json, bench.json, docs/). Every step's time limit comes out of one deadline
# (RNNBOOK_DEADLINE_S, default 570 s), so the call ends inside the device's 600 s with its files;
# a notebook still running at its deadline comes back as far as it got (its epoch times size the
# `full` profile).
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
DEADLINE_S=${RNNBOOK_DEADLINE_S:-570}
PICK_BUDGET_S=${RNNBOOK_PICK_BUDGET_S:-40}  # per backend and precision tried
JOBS=${RNNBOOK_JOBS:-6}  # notebooks run at once
ONLY=${RNNBOOK_ONLY:-}  # e.g. "01 02": only these notebooks (a rerun); GRID=none skips the bench
BENCH_RESERVE_S=${RNNBOOK_BENCH_RESERVE_S:-120}  # kept back from the notebooks for the bench
work="$OUT/work"
mkdir -p "$work"
exec > >(tee "$OUT/run.log") 2>&1
started=$(date +%s)
stamp() { echo; echo "=== $* (+$(( $(date +%s) - started )) s)"; }
left() { echo $(( DEADLINE_S - ($(date +%s) - started) - ${1:-0} )); }  # seconds to the deadline

stamp "install the carried wheels"
site=/tmp/rnnbook-site
"$PY" -m pip install --quiet --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target "$site" .whl/*.whl || exit 1
export PYTHONPATH="$site:$PWD/src" PYTHONUNBUFFERED=1 RNNBOOK_DATA_MIRROR="$PWD/.stage/datasets"
export RNNBOOK_DATA_DIR=/tmp/rnnbook-cache RNNBOOK_PROFILE="$PROFILE"
# JAX takes GPU memory as it needs it, up to a share: several notebooks and the bench's
# PyTorch reference share the GPU.
export XLA_PYTHON_CLIENT_PREALLOCATE=false XLA_PYTHON_CLIENT_MEM_FRACTION=0.45
# One compiled-program cache for every notebook's kernel: models of the same shape compile once.
export JAX_COMPILATION_CACHE_DIR=/tmp/rnnbook-jax-cache JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=1
rnnbook() { "$PY" -m rnnbook.cli "$@"; }
if "$PY" -c "import tensorflow" 2>/dev/null; then echo "note: TensorFlow is importable here"; fi

stamp "environment and data"
KERAS_BACKEND=jax rnnbook env && KERAS_BACKEND=torch rnnbook env
rnnbook data verify all || exit 1

stamp "choose the backend: the same shapes on JAX and PyTorch"
pick() {  # pick BACKEND PRECISION: time the pick grid, rows into $work/pick-BACKEND-PRECISION.json
  KERAS_BACKEND=$1 timeout "$PICK_BUDGET_S" "$PY" -m rnnbook.cli bench --grid "$PICK_GRID" \
    --precision "$2" --out "$work/pick-$1-$2.json" || echo "pick $1 $2: exit status $?"
}
backend=${KERAS_BACKEND:-}
precision=${RNNBOOK_PRECISION:-}
if [ -z "$backend" ]; then
  pick jax float32
  pick torch float32
  backend=$(rnnbook bench --fastest "$work"/pick-*-float32.json | cut -d' ' -f1)
  backend=${backend:-jax}
fi
precision=${precision:-float32}  # reference results in float32; mixed precision is benched
echo "notebooks run on: $backend, $precision"

budget=$(left "$BENCH_RESERVE_S")
stamp "notebooks at profile $PROFILE on $backend, $precision, $JOBS at once (at most $budget s)"
KERAS_BACKEND=$backend RNNBOOK_PRECISION=$precision timeout $((budget + 20)) "$PY" -m rnnbook.cli \
  run --profile "$PROFILE" --backend "$backend" --out "$work" --jobs "$JOBS" --deadline "$budget" \
  ${ONLY:+--only $ONLY}
echo "rnnbook run exit status: $?"

budget=$(left 60)  # the rest: the pick shapes in mixed_float16
stamp "rnnbook bench --grid $GRID on $backend, $precision (rows are saved as they come; $budget s)"
[ "$GRID" != none ] && KERAS_BACKEND=$backend timeout "$budget" "$PY" -m rnnbook.cli bench \
  --grid "$GRID" --precision "$precision" --out "$work/bench.json" --merge
if [ "$GRID" != none ] && [ "$precision" = float32 ] && [ "$(left 15)" -gt 20 ]; then
  PICK_BUDGET_S=$(left 15) pick "$backend" mixed_float16
fi
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
