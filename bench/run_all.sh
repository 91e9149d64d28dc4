#!/usr/bin/env bash
# Re-run every benchmark, then rewrite BENCHMARKS.md from bench/out/*.json.
#
#   bench/run_all.sh
#   MODEL_NOTE="final model" MACHINE_NOTE="idle" bench/run_all.sh
#   PAGES=8 SPEED_PAGES=4 REPEATS=1 bench/run_all.sh     # a quick look
#
# About 10 minutes on 2 idle cores at the default sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PAGES=${PAGES:-40}
SPEED_PAGES=${SPEED_PAGES:-20}
REPEATS=${REPEATS:-3}

"$PY" bench/mnist.py
"$PY" bench/forms.py --pages "$PAGES"
"$PY" bench/forms.py --pages "$PAGES" --digits synth
"$PY" bench/forms.py --pages "${LARGE_PAGES:-200}" --seed 30000 --no-tesseract --out bench/out/large
"$PY" bench/box28.py --pages "${BOX28_PAGES:-10}"
"$PY" bench/amounts.py --cheques "${CHEQUES:-60}"
"$PY" bench/templates.py
"$PY" bench/speed.py --pages "$SPEED_PAGES" --repeats "$REPEATS"
"$PY" bench/report.py --model-note "${MODEL_NOTE:-}" --machine-note "${MACHINE_NOTE:-}"
