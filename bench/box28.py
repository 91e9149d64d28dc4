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

``--sample-form`` draws the page as a handwriting sample form has it: a
header of boxes (name, city and state in letters; date and ZIP in digits,
which count as fields), the 28 boxes in tighter rows, and boxes of lower-
and upper-case letters below them. The letters are OpenCV's Hershey script
font, not handwriting: they test that letters are never read ``ok``.
Fields found that hold no digits are counted, and those marked ``ok``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
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
    sample_form: bool = False,
    cross: float = 0.0,
) -> Sheet:
    """The 28-box page drawn, not yet degraded; digits drawn from ``alphabet``
    (a real writer's page uses only the digits that writer wrote), each box
    holding ``lengths[0]`` to ``lengths[1] - 1`` of them; ``sample_form``:
    with the header and letter boxes of a handwriting sample form;
    ``cross``: the share of the 28 boxes with a digit written over the
    frame (drawn from the box's place, not from ``rng``: the same page)."""
    sheet = Sheet(LETTER_MM, 300, rng, degradation or Degradation.scan(), source)
    px = sheet.px
    sheet.text(px(20), px(10 if sample_form else 15), "HANDWRITING SAMPLE FORM", 14, bold=True)
    top, pitch = 45.0, 31.0
    if sample_form:
        top, pitch = 60.0, 22.0

        def digits(n: int) -> list[int]:
            return [int(alphabet[int(k)]) for k in rng.integers(0, len(alphabet), n)]

        for label, x0, x1, y, content in (
            ("NAME", 20, 120, 18, "John Smithson"),
            ("DATE", 125, 175, 18, digits(6)),
            ("CITY", 20, 100, 34, "Gaithersburg"),
            ("STATE", 105, 125, 34, "MD"),
            ("ZIP", 130, 175, 34, digits(5)),
        ):
            sheet.text(px(x0), px(y), label, 8)
            box = (px(x0), px(y + 4), px(x1), px(y + 14))
            if isinstance(content, str):
                _letters(sheet, box, content, rng)
            else:
                sheet.string(box[0], box[1], box[2] - box[0], box[3] - box[1], content)
    sheet.text(
        px(20),
        px(top - 8 if sample_form else 28),
        "Please print the digits shown in the box below them.",
        9,
    )
    col_w = (LETTER_MM[0] - 40) / COLS
    for r in range(ROWS):
        y = sheet.px(top + r * pitch)
        for c in range(COLS):
            n = int(rng.integers(*lengths))
            digits = [int(alphabet[int(k)]) for k in rng.integers(0, len(alphabet), n)]
            x = sheet.px(20 + c * col_w)
            sheet.text(x, y, " ".join(map(str, digits)), 10, mono=True)
            w = sheet.px(min(col_w - 6, 8 + 7.5 * n))
            over = bool(cross) and np.random.default_rng(x * 7919 + y).random() < cross
            sheet.string(x, y + sheet.px(6), w, sheet.px(14), digits, cross=over)
    if sample_form:
        y = top + ROWS * pitch
        for text in ("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
            sheet.text(px(20), px(y), text, 10, mono=True)
            _letters(sheet, (px(20), px(y + 5), px(195), px(y + 17)), text, rng)
            y += 20
    return sheet


def _letters(
    sheet: Sheet, box: tuple[int, int, int, int], text: str, rng: np.random.Generator
) -> None:
    """A printed box with ``text`` written in it in a script font (not
    handwriting, but letters: strokes that are no digits)."""
    x0, y0, x1, y1 = box
    sheet.frame(x0, y0, x1, y1, sheet.lw)
    h = y1 - y0
    scale, pen = 0.9 * h / 40.0, max(2, sheet.line_px(3))
    x = x0 + int(0.03 * (x1 - x0))
    for ch in text:
        (tw, _), _ = cv2.getTextSize(ch, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, pen)
        if x + tw > x1 - 5:
            break
        size = scale * rng.uniform(0.9, 1.1)
        at = (x, y1 - int(0.25 * h))
        ink = int(round(255 * (1.0 - sheet.ink)))
        cv2.putText(
            sheet.ink_page, ch, at, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, size, ink, pen, cv2.LINE_AA
        )
        x += tw + int(rng.integers(0, 6))


def make_page(
    rng: np.random.Generator,
    source: DigitSource | None,
    bilevel: bool,
    sample_form: bool = False,
    cross: float = 0.0,
) -> tuple[np.ndarray, list[tuple[BBox, str]]]:
    """The page and, per box of digits, its true bbox and digits."""
    image, truth = make_sheet(rng, source, sample_form=sample_form, cross=cross).finish()
    if bilevel:
        image = np.where(image < 150, 0, 255).astype(np.uint8)
    return image, [(t.bbox, t.value) for t in truth]


def score_page(image: np.ndarray, truth: list[tuple[BBox, str]], clf: Any) -> dict[str, int]:
    result = scan_page(PageImage("box28", 1, image, 300.0), ScanConfig(), clf)
    s = {"boxes": len(truth), "found": 0, "exact": 0, "ok": 0, "ok_wrong": 0}
    matched = set()
    for box, value in truth:
        best = max(result.fields, key=lambda f: BBox(*f.bbox).iou(box), default=None)
        if best is None or BBox(*best.bbox).iou(box) < 0.5:
            continue
        matched.add(best.name)
        s["found"] += 1
        s["exact"] += best.value == value
        if best.status == "ok":
            s["ok"] += 1
            s["ok_wrong"] += best.value != value
    s["all_exact"] = int(s["exact"] == len(truth))
    # Fields where no digits are written (letters, print): none may be ok.
    other = [f for f in result.fields if f.name not in matched]
    s["other"], s["other_ok"] = len(other), sum(f.status == "ok" for f in other)
    return s


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--pages", type=int, default=10)
    ap.add_argument("--seed", type=int, default=90000)
    ap.add_argument("--optdigits", type=Path, default=OPTDIGITS)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--model", type=Path, default=None, help="ONNX model (default: shipped)")
    ap.add_argument(
        "--cross",
        type=float,
        default=0.0,
        help="share of the 28 boxes with a digit written over the frame (default 0)",
    )
    ap.add_argument(
        "--sample-form",
        action="store_true",
        help="a handwriting sample form's header and letter boxes round the 28 (see above)",
    )
    args = ap.parse_args(argv)
    record = run_record("box28.py", argv)
    record["params"] = {
        "pages": args.pages,
        "seed": args.seed,
        "sample_form": args.sample_form,
        "cross": args.cross,
    }
    writers = HeldOutWriters(args.optdigits)
    clf = load_classifier(args.model)
    results = {}
    for name, bilevel, digits in VARIANTS:
        pages = []
        for i in range(args.pages):
            source = writers.source(i % 10) if digits == "optdigits" else None
            rng = np.random.default_rng(args.seed + i)
            image, truth = make_page(rng, source, bilevel, args.sample_form, args.cross)
            pages.append(score_page(image, truth, clf))
        total = {k: sum(p[k] for p in pages) for k in pages[0]}
        results[name] = {"pages": pages, "total": total}
        print(f"{name}: {total}", file=sys.stderr)
    record["results"] = results
    publish(record, args.out / "box28.json", render_markdown)
    return 0


def render_markdown(record: dict[str, Any]) -> str:
    p = record["params"]
    form = bool(p.get("sample_form"))
    rows = []
    for name, r in record["results"].items():
        t = r["total"]
        row = [
            name,
            f"{t['all_exact']} of {len(r['pages'])}",
            pct(t["found"] / t["boxes"], 1),
            pct(t["exact"] / t["boxes"], 1),
            pct(t["ok"] / t["boxes"], 1),
            f"{t['ok_wrong']} of {t['ok']}",
        ]
        if form:
            row.append(f"{t.get('other_ok', 0)} of {t.get('other', 0)}")
        rows.append(row)
    head = [
        "variant",
        "pages with every digit box exact" if form else "pages with all 28 exact",
        "boxes found",
        "fields exact",
        "ok",
        "ok but wrong",
    ]
    if form:
        head.append("fields with no digits written: ok")
    layout = (
        "28 digit boxes each, with a sample form's header (date and ZIP are digit boxes too) "
        "and letter boxes"
        if form
        else "28 boxes each"
    )
    if p.get("cross"):
        layout += f", a digit written over the frame in {p['cross']:.0%} of the 28"
    return (
        f"{p['pages']} pages (seeds from {p['seed']}), {layout}: letter size, 300 dpi, "
        "office scan, the digits to copy printed above each box, no template. A stand-in "
        "for the real 28-box form, which we do not have.\n\n" + md_table(head, rows)
    )


if __name__ == "__main__":
    sys.exit(main())
