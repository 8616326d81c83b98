#!/usr/bin/env bash
# Prepare the GPU run here (needs .venv and the data mirror or cache): Python 3.12 wheels of what
# the GPU machine lacks into .whl/, the smallest verified copy of every dataset into
# .stage/datasets/, and a check that the working tree plus both fit the 64 MiB a device call
# carries. Both folders are git-ignored. Then run scripts/device_run.sh there (see the README).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${RNNBOOK_VENV:-.venv}
if [ -z "${RNNBOOK_DATA_MIRROR:-}" ] && [ -d ../shared/datasets ]; then
  export RNNBOOK_DATA_MIRROR="$PWD/../shared/datasets"
fi
rm -rf .whl .stage
mkdir -p .whl .stage
grep -v '^#' scripts/device_wheels.txt | xargs "$VENV/bin/python" -m pip download --quiet \
  --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 -d .whl
"$VENV/bin/python" -m pip wheel --quiet --no-deps -w .whl seqeval==1.2.2  # an sdist only
"$VENV/bin/rnnbook" data stage all --to .stage/datasets

tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s | awk '{s+=$1} END {print s}')
carried=$(du -sb .whl .stage | awk '{s+=$1} END {print s}')
total=$((tree + carried))
limit=$((64 * 1024 * 1024))
printf 'device_stage: working tree %s + .whl and .stage %s = %s bytes (limit %s)\n' \
  "$tree" "$carried" "$total" "$limit"
if [ "$total" -ge "$limit" ]; then
  echo "device_stage: over the 64 MiB a device call may carry" >&2
  exit 1
fi
