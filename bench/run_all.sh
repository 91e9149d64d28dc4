#!/usr/bin/env bash
# Re-run the benchmarks, by section, into bench/out/*.json.
#
#   bench/run_all.sh                       # every section, then BENCHMARKS.md's tables on stdout
#   bench/run_all.sh calibrate headline    # after a model change: refit, then the headline
#   bench/run_all.sh speed                 # the dense 20-page PDF against pdftoppm
#   PAGES=8 SPEED_PAGES=4 REPEATS=1 bench/run_all.sh headline speed   # a quick look
#
# Sections:
#   calibrate  bench/calibrate.py: threshold and string power per field kind on the calibration writers
#   headline   bench/realwriters.py (real test writers, formocr + Tesseract + RapidOCR)
#              and bench/mnist.py (per-writer classifier accuracy)
#   speed      bench/speed.py --dense (wall, CPU, peak RSS against pdftoppm)
#   synthetic  the older synthetic-form benchmarks (forms, box28, amounts, templates, speed)
#   report     print every record's markdown (BENCHMARKS.md is edited by hand from it:
#              other sections of that file are written by people, not by a script)
#
# The headline needs ../shared/data (MNIST, its writer ids, optdigits), and for the
# peers tesseract-ocr and bench/.venv-rapidocr (see bench/peers.py). About 15 minutes
# for calibrate + headline on 2 idle cores; much longer on a loaded machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PAGES=${PAGES:-40}
CAL_PAGES=${CAL_PAGES:-150}
SPEED_PAGES=${SPEED_PAGES:-20}
REPEATS=${REPEATS:-3}
sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(calibrate headline speed synthetic report)

sha=$(sha256sum formocr/models/digits.onnx | cut -c1-12)
echo "model digits.onnx sha256 $sha; $(git log --oneline -1)" >&2

for s in "${sections[@]}"; do
  echo "== $s ($(date -u +%H:%M) UTC, load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  case "$s" in
    calibrate)
      "$PY" bench/calibrate.py --pages "$CAL_PAGES"
      ;;
    headline)
      # PEERS_FROM=bench/out/realwriters.json reuses the peers' figures of the same pages.
      "$PY" bench/realwriters.py --pages "$PAGES" ${PEERS_FROM:+--peers-from "$PEERS_FROM"} \
        ${MIN_CONFIDENCE:+--min-confidence "$MIN_CONFIDENCE"}
      "$PY" bench/mnist.py
      ;;
    speed)
      "$PY" bench/speed.py --dense --pages "$SPEED_PAGES" --repeats "$REPEATS"
      ;;
    synthetic)
      "$PY" bench/forms.py --pages "$PAGES"
      "$PY" bench/forms.py --pages "$PAGES" --digits synth
      "$PY" bench/forms.py --pages "${LARGE_PAGES:-200}" --seed 30000 --no-tesseract --out bench/out/large
      "$PY" bench/box28.py --pages "${BOX28_PAGES:-10}"
      "$PY" bench/amounts.py --cheques "${CHEQUES:-60}"
      "$PY" bench/templates.py
      "$PY" bench/speed.py --pages "$SPEED_PAGES" --repeats "$REPEATS"
      ;;
    report)
      "$PY" bench/report.py --stdout
      ;;
    *)
      echo "unknown section: $s (calibrate, headline, speed, synthetic, report)" >&2
      exit 2
      ;;
  esac
done
