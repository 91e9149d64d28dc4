"""A form of 28 separate digit-string boxes, each under a printed prompt.

    .venv/bin/python bench/box28.py --pages 10

A stand-in for the real 28-box form of the acceptance checks, which we do
not have: a letter-size page, 7 rows of 4 boxes (2 to 6 digits each, the
digits to copy printed above each box, as on handwriting sample forms),
scanned (``Degradation.scan()``) at 300 dpi. Three variants, each over the
same page seeds: bilevel (thresholded, as such forms are archived) with a
held-out optdigits writer per page; bilevel with the generator's stroke
digits; and the grey scan with the optdigits writers. No template: the
pipeline finds the boxes itself. Reports boxes found, fields read exactly,
and fields marked ``ok`` with how many of those are wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from benchlib import OPTDIGITS, OUT, md_table, pct, publish, run_record
from forms import DigitSource, HeldOutWriters

from formocr.api import load_classifier, scan_page
from formocr.config import ScanConfig
from formocr.types import BBox, PageImage
from training.synth import Degradation
from training.synth.sheet import Sheet

LETTER_MM = (215.9, 279.4)
ROWS, COLS = 7, 4
VARIANTS = (
    ("bilevel, optdigits writers", True, "optdigits"),
    ("bilevel, generator strokes", True, "synth"),
    ("grey, optdigits writers", False, "optdigits"),
)


def make_sheet(
    rng: np.random.Generator,
    source: DigitSource | None,
    degradation: Degradation | None = None,
    alphabet: Sequence[int] = range(10),
    lengths: tuple[int, int] = (2, 7),
) -> Sheet:
    """The 28-box page drawn, not yet degraded; digits drawn from ``alphabet``
    (a real writer's page uses only the digits that writer wrote), each box
    holding ``lengths[0]`` to ``lengths[1] - 1`` of them."""
    sheet = Sheet(LETTER_MM, 300, rng, degradation or Degradation.scan(), source)
    sheet.text(sheet.px(20), sheet.px(15), "HANDWRITING SAMPLE FORM", 14, bold=True)
    sheet.text(
        sheet.px(20), sheet.px(28), "Please print the digits shown in the box below them.", 9
    )
    col_w = (LETTER_MM[0] - 40) / COLS
    for r in range(ROWS):
        y = sheet.px(45 + r * 31)
        for c in range(COLS):
            n = int(rng.integers(*lengths))
            digits = [int(alphabet[int(k)]) for k in rng.integers(0, len(alphabet), n)]
            x = sheet.px(20 + c * col_w)
            sheet.text(x, y, " ".join(map(str, digits)), 10, mono=True)
            w = sheet.px(min(col_w - 6, 8 + 7.5 * n))
            sheet.string(x, y + sheet.px(6), w, sheet.px(14), digits)
    return sheet


def make_page(
    rng: np.random.Generator, source: DigitSource | None, bilevel: bool
) -> tuple[np.ndarray, list[tuple[BBox, str]]]:
    """The page and, per box, its true bbox and digits."""
    image, truth = make_sheet(rng, source).finish()
    if bilevel:
        image = np.where(image < 150, 0, 255).astype(np.uint8)
    return image, [(t.bbox, t.value) for t in truth]


def score_page(image: np.ndarray, truth: list[tuple[BBox, str]], clf: Any) -> dict[str, int]:
    result = scan_page(PageImage("box28", 1, image, 300.0), ScanConfig(), clf)
    s = {"boxes": len(truth), "found": 0, "exact": 0, "ok": 0, "ok_wrong": 0}
    for box, value in truth:
        best = max(result.fields, key=lambda f: BBox(*f.bbox).iou(box), default=None)
        if best is None or BBox(*best.bbox).iou(box) < 0.5:
            continue
        s["found"] += 1
        s["exact"] += best.value == value
        if best.status == "ok":
            s["ok"] += 1
            s["ok_wrong"] += best.value != value
    s["all_exact"] = int(s["exact"] == len(truth))
    return s


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--pages", type=int, default=10)
    ap.add_argument("--seed", type=int, default=90000)
    ap.add_argument("--optdigits", type=Path, default=OPTDIGITS)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--model", type=Path, default=None, help="ONNX model (default: shipped)")
    args = ap.parse_args(argv)
    record = run_record("box28.py", argv)
    record["params"] = {"pages": args.pages, "seed": args.seed}
    writers = HeldOutWriters(args.optdigits)
    clf = load_classifier(args.model)
    results = {}
    for name, bilevel, digits in VARIANTS:
        pages = []
        for i in range(args.pages):
            source = writers.source(i % 10) if digits == "optdigits" else None
            image, truth = make_page(np.random.default_rng(args.seed + i), source, bilevel)
            pages.append(score_page(image, truth, clf))
        total = {k: sum(p[k] for p in pages) for k in pages[0]}
        results[name] = {"pages": pages, "total": total}
        print(f"{name}: {total}", file=sys.stderr)
    record["results"] = results
    publish(record, args.out / "box28.json", render_markdown)
    return 0


def render_markdown(record: dict[str, Any]) -> str:
    p = record["params"]
    rows = []
    for name, r in record["results"].items():
        t = r["total"]
        rows.append(
            [
                name,
                f"{t['all_exact']} of {len(r['pages'])}",
                pct(t["found"] / t["boxes"], 1),
                pct(t["exact"] / t["boxes"], 1),
                pct(t["ok"] / t["boxes"], 1),
                f"{t['ok_wrong']} of {t['ok']}",
            ]
        )
    head = [
        "variant",
        "pages with all 28 exact",
        "boxes found",
        "fields exact",
        "ok",
        "ok but wrong",
    ]
    return (
        f"{p['pages']} pages (seeds from {p['seed']}), 28 boxes each: letter size, 300 dpi, "
        "office scan, the digits to copy printed above each box, no template. A stand-in "
        "for the real 28-box form, which we do not have.\n\n" + md_table(head, rows)
    )


if __name__ == "__main__":
    sys.exit(main())
