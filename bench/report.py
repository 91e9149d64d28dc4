"""Write BENCHMARKS.md from the results in bench/out/ (run the benchmarks first).

    .venv/bin/python bench/report.py --model-note "final model" --machine-note "idle"

Every figure in BENCHMARKS.md comes from a JSON record a benchmark wrote, with
the command, date, machine and model of that run, so the file never mixes
hand-copied numbers with measured ones. Records that are missing are listed
as not run.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import amounts
import box28
import calibrate
import forms
import mnist
import realwriters
import speed
import templates
from benchlib import OUT, REPO

HEADLINE = (
    (
        "Headline: real writers no model trained on, comb fields and free strings, peers beside",
        "realwriters.json",
        realwriters.render_markdown,
    ),
    ("Calibration on MNIST validation writers", "calibration.json", calibrate.render_markdown),
    (
        "Speed: a 20-page PDF of dense forms against pdftoppm",
        "speed_dense.json",
        speed.render_dense,
    ),
)

SECTIONS = HEADLINE + (
    ("Classifier: MNIST, held-out writers, throughput", "mnist.json", mnist.render_markdown),
    ("Forms: held-out optdigits writers on synthetic forms", "forms.json", forms.render_markdown),
    ("Forms: the generator's own stroke digits", "forms_synth.json", forms.render_markdown),
    (
        "Forms, a larger sample: 200 more pages (seeds from 30,000), no Tesseract",
        "large/forms.json",
        forms.render_markdown,
    ),
    ("A 28-box form, no template", "box28.json", box28.render_markdown),
    ("Cheque amounts and dates through a template", "amounts.json", amounts.render_markdown),
    (
        "Template mode: registered forms, turned, shifted, rescaled, colour, faint",
        "templates.json",
        templates.render_markdown,
    ),
    ("Speed: CLI against pdftoppm", "speed.json", speed.render_markdown),
)

HOW = """\
How the figures are made (details in bench/README.md and each script's docstring):

- Forms pages are drawn by `training.synth` from fixed seeds: every fifth page
  a cheque, the rest A4 forms; even pages `Degradation.scan()`, odd pages
  `Degradation.harsh()` (+-3 deg, blur, noise, JPEG, pencil to marker). They
  are written as one PDF (JPEG q85 inside) and one lossless TIFF and read by
  `formocr.api.scan` with no template. A field is found when a predicted box
  has IoU >= 0.5 with the true one; field exact match and digit accuracy
  (edit-distance alignment) count missed fields as wrong; CER is the edit
  distance over the true digits.
- Read rate: matched fields with a digit written or read, accepted from the
  most confident down, the largest share whose field error stays within the
  bound. "'ok' at 0.9" is `formocr.config.DEFAULT_MIN_CONFIDENCE`.
- Tesseract gets the *true* field boxes, deskewed and cut inside the frame
  (comb separators stay in the crop), one `tesseract crop.png - --psm 7 -c
  tessedit_char_whitelist=0123456789` process per field with
  `OMP_THREAD_LIMIT=1`; its time is that process. formocr's time per field is
  the whole scan of the file (rendering, segmentation, classification) divided
  by the true fields, model load excluded.
- The optdigits bitmaps are size-normalised 32x32 with about 30 % ink, so on
  the forms they look written with a broad marker (a "1" is a wide bar);
  they are enlarged bilinearly, thresholded, and scaled by the generator.
- The optdigits held-out digits are the ones after `int(1934 * 2/3)` = 1289
  in file order (645 digits, writers of the file's last third), which
  training reports as `optdigits_val` but never fits on.
- Small samples: about 100-200 fields per figure, so one field is 0.5-1 %
  and "read rate at <= 0.1 %" is the longest error-free run of the most
  confident fields; compare runs by the error counts, not the second decimal.
- Timings share the machine with whatever else runs on it; the load average
  at the start and end of each run is given. No figure here is a pass/fail test.
"""


def load(name: str, folder: Path) -> dict[str, Any] | None:
    path = folder / name
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def _isa(machine: dict[str, Any]) -> str:
    """ ", avx512f with VNNI" and the like; nothing for records made before
    ``machine_info`` kept it."""
    simd = machine.get("simd")
    if not simd:
        return ""
    return f", {simd}" + (" with VNNI" if machine.get("vnni") else "")


def provenance(rec: dict[str, Any]) -> str:
    m, mod, g = rec["machine"], rec["model"], rec.get("git", {})
    load_ = ", ".join(f"{v:g}" for v in m.get("loadavg_1_5_15", []))
    end = ", ".join(f"{v:g}" for v in m.get("loadavg_at_end", []))
    return (
        f"Command: `{rec['command']}`  \n"
        f"Measured {rec['date']} on {m['cpu']}{_isa(m)} ({m['cores']} cores), "
        f"load average {load_} at start, {end} at end; "
        f"model {mod['name']} sha256 `{mod['sha256'][:12]}`"
        + "".join(
            f", {k} `{v[:12]}`" for k, v in mod.get("shipped", {}).items() if k != "digits.onnx"
        )
        + "; code at commit "
        f"`{g.get('commit')}`"
        + (
            f" with uncommitted changes to {len(g['uncommitted'])} files of formocr/training."
            if g.get("uncommitted")
            else "."
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", type=Path, default=OUT, help="folder of the JSON records")
    ap.add_argument("--output", type=Path, default=REPO / "BENCHMARKS.md")
    ap.add_argument(
        "--model-note", default="", help='e.g. "provisional 1-epoch model" (shown at the top)'
    )
    ap.add_argument("--machine-note", default="", help='e.g. "a training job was using both cores"')
    ap.add_argument(
        "--stdout",
        action="store_true",
        help="print every section to stdout; BENCHMARKS.md is left alone (people edit parts of it)",
    )
    args = ap.parse_args(argv)

    records = {f: load(f, args.results) for _, f, _ in SECTIONS}
    models = {r["model"]["sha256"] for r in records.values() if r}
    lines = ["# formocr benchmarks", ""]
    lines.append(
        "Generated by `bench/report.py` from `bench/out/*.json`; re-run everything with "
        "`bench/run_all.sh` (see bench/README.md)."
    )
    lines.append("")
    if args.model_note:
        lines += [f"**Model: {args.model_note}.**", ""]
    if len(models) > 1:
        lines += ["**Warning: these records were measured with different models.**", ""]
    if args.machine_note:
        lines += [f"**Machine: {args.machine_note}.**", ""]
    for title, name, render in SECTIONS:
        lines += [f"## {title}", ""]
        rec = records[name]
        if rec is None:
            lines += [f"Not run (no bench/out/{name}).", ""]
            continue
        lines += [provenance(rec), "", render(rec), ""]
    # Hand-written sections (training runs, ablations, calibration) are kept
    # in bench/NOTES.md: they record runs that no script here repeats.
    notes = Path(__file__).resolve().parent / "NOTES.md"
    if notes.is_file():
        lines += [notes.read_text().rstrip(), ""]
    lines += ["## Method", "", HOW]
    text = "\n".join(lines).rstrip() + "\n"
    if args.stdout:
        print(text, end="")
        return 0
    tmp = args.output.with_name(f".{args.output.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, args.output)
    print(f"written: {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
