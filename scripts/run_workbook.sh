#!/usr/bin/env bash
# The main job: set up .venv, then execute every notebook headless in order and print one
# summary table of their results and wall times. Arguments go to `rnnbook run` (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
exec "${RNNBOOK_VENV:-.venv}/bin/rnnbook" run "$@"
