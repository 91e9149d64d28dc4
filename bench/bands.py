"""Bands of shadow or tint, and pen strokes, swept over a sample page: what is lost, and what is `ok` and wrong.

    .venv/bin/python bench/bands.py --sample form --kind fold-h
    .venv/bin/python bench/bands.py --sample form --kind fold-v
    .venv/bin/python bench/bands.py --sample cheque --kind fold-h
    .venv/bin/python bench/bands.py --sample form --kind highlighter
    .venv/bin/python bench/bands.py --sample cheque --kind highlighter
    .venv/bin/python bench/bands.py --sample cheque --kind highlighter --thick 0.12
    .venv/bin/python bench/bands.py --sample cheque --kind strike
    .venv/bin/python bench/bands.py --sample cheque --kind streak

The page is a shipped sample (``samples/form.png`` at 300 dpi,
``samples/cheque.tiff`` at 200 dpi), read first as it is: its fields, as
read, are the truth each artefact is held to. Then, one page each:

- ``fold-h``, ``fold-v``: a fold's shadow (``training.synth.degrade.fold_band``)
  along the rows or down the columns, its centre at every box's top and foot
  (or left and right side) and 0.05 and 0.1 in either side of it; 20 and 40 %
  darker than the paper, width sigma 0.03, 0.05 and 0.12 in;
- ``highlighter``: a highlighter's stroke 0.2 in thick (``--thick``: a
  chisel tip's is 0.16-0.2 in, a fine tip's about 0.1)
  (``training.synth.degrade.highlight``) along each field's row, across its
  middle, top or foot, or tilted across its middle; 15 and 30 % dark;
- ``strike``: each written field struck through within its box by a pen
  stroke 3 or 6 px wide (grey 20), level at mid-height, slanted corner to
  corner, or doubled; it runs to within 0.1 in of the box's sides (an
  eighth of the box's width in a small box);
- ``streak``: a scanner's streak (dust on the sensor or the glass) down the
  page's whole length, 1, 2 or 3 px wide, grey 120 or 60, through a third,
  the half and two thirds of each field's width.

Each page is read with ``formocr.api.scan_page``, no template, the default
``--min-confidence``. A field is matched to the straight page's by its box's
top-left corner (within 15 px each way); counted: **lost** (no match),
**`ok` but wrong** (its value is not the straight page's), **review**.
A struck-through field has no right value: any ``ok`` value that is not
the straight page's is counted wrong. Artefacts drawn by us on our own samples: a test of the page stage, not a
headline figure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np
from benchlib import OUT, md_table, publish, run_record

from formocr.api import Readers, load_classifier, scan_page
from formocr.config import ScanConfig
from formocr.types import BBox, FieldResult, PageImage
from training.synth.degrade import fold_band, highlight

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
PAGES = {"form": ("form.png", 300.0), "cheque": ("cheque.tiff", 200.0)}
FOLD_DEPTHS, FOLD_SIGMAS_IN, FOLD_STEPS = (0.2, 0.4), (0.03, 0.05, 0.12), (-2, -1, 0, 1, 2)
HIGHLIGHT_DEPTHS, HIGHLIGHT_AT = (0.15, 0.3), ("middle", "top", "foot", "tilted")
STRIKES, STRIKE_PENS = ("level", "slanted", "double"), (3, 6)
MATCH_PX = 15


def folds(
    image: np.ndarray, fields: Sequence[FieldResult], way: str, dpi: float
) -> Iterator[tuple[str, np.ndarray]]:
    """The page under each fold of the sweep, and what it is."""
    boxes = [f.bbox for f in fields]
    edges = sorted(
        {e for b in boxes for e in ((b.y, b.y + b.h) if way == "h" else (b.x, b.x + b.w))}
    )
    step = dpi / 20  # 0.05 in
    centres = sorted({int(e + d * step) for e in edges for d in FOLD_STEPS})
    for depth in FOLD_DEPTHS:
        for sigma in FOLD_SIGMAS_IN:
            for c in centres:
                yield f"{depth} {sigma} {c}", fold_band(image, way, c, depth, sigma * dpi)


def highlights(
    image: np.ndarray, fields: Sequence[FieldResult], dpi: float, thick_in: float = 0.2
) -> Iterator[tuple[str, np.ndarray]]:
    """The page under each highlighter's stroke of the sweep, and what it is."""
    for f in fields:
        for depth in HIGHLIGHT_DEPTHS:
            for at in HIGHLIGHT_AT:
                box = (f.bbox.x, f.bbox.y, f.bbox.w, f.bbox.h)
                where = "middle" if at == "tilted" else at
                page = highlight(image, box, where, dpi, depth, at == "tilted", thick_in)
                yield f"{box} {at} {depth}", page


def scanner_streaks(
    image: np.ndarray, fields: Sequence[FieldResult]
) -> Iterator[tuple[str, np.ndarray]]:
    """The page with a scanner's streak down its whole length, 1, 2 or 3 px
    wide, grey 120 or 60, through a third, the half and two thirds of each
    field's width, and what it is."""
    places = sorted({f.bbox.x + f.bbox.w * k // 6 for f in fields for k in (2, 3, 4)})
    for width in (1, 2, 3):
        for level in (120, 60):
            for x in places:
                page = image.copy()
                page[:, x : x + width] = np.minimum(page[:, x : x + width], level)
                yield f"streak x={x} {width} px grey {level}", page


def strikes(
    image: np.ndarray, fields: Sequence[FieldResult], dpi: float
) -> Iterator[tuple[str, np.ndarray]]:
    """The page with each written field struck through, and what it is."""
    for f in fields:
        if not f.value:
            continue
        x, y, w, h = f.bbox
        m = min(int(0.1 * dpi), w // 8)
        mid = y + h // 2
        lines = {
            "level": [((x + m, mid), (x + w - m, mid + 4))],
            "slanted": [((x + m, y + h - m), (x + w - m, y + m))],
            "double": [
                ((x + m, mid - 8), (x + w - m, mid - 6)),
                ((x + m, mid + 8), (x + w - m, mid + 10)),
            ],
        }
        for kind in STRIKES:
            for pen in STRIKE_PENS:
                page = image.copy()
                for a, b in lines[kind]:
                    cv2.line(page, a, b, 20, pen)
                yield f"{tuple(f.bbox)} {kind} {pen}", page


class Sample(NamedTuple):
    """A shipped sample page, read as it is (``straight``: the truth an
    artefact is held to), and what reads it."""

    name: str
    dpi: float
    image: np.ndarray
    readers: Readers
    config: ScanConfig
    straight: Sequence[FieldResult]

    def read(self, page: np.ndarray) -> Sequence[FieldResult]:
        """The fields of ``page`` (the sample with an artefact), as the CLI reads them."""
        return scan_page(PageImage(self.name, 1, page, self.dpi), self.config, self.readers).fields


def load_sample(sample: str) -> Sample:
    """``sample`` ("form" or "cheque") loaded and read as it is."""
    name, dpi = PAGES[sample]
    image = cv2.imread(str(SAMPLES / name), cv2.IMREAD_GRAYSCALE)
    readers, config = load_classifier(), ScanConfig()
    straight = scan_page(PageImage(name, 1, image, dpi), config, readers).fields
    return Sample(name, dpi, image, readers, config, straight)


def compare(
    straight: Sequence[FieldResult], read: Sequence[FieldResult], centres: bool = False
) -> dict[str, Any]:
    """Lost, `ok` but wrong and review among the straight page's fields, a
    field read matched to one by their boxes' top left corners (``centres``:
    their centres) within MATCH_PX."""

    def at(b: BBox) -> tuple[float, float]:
        return (b.x + b.w / 2, b.y + b.h / 2) if centres else (b.x, b.y)

    lost, wrong, review = [], [], 0
    for s in straight:
        sx, sy = at(s.bbox)
        f = next(
            (
                g
                for g in read
                if abs(at(g.bbox)[0] - sx) < MATCH_PX and abs(at(g.bbox)[1] - sy) < MATCH_PX
            ),
            None,
        )
        if f is None:
            lost.append(s.value)
            continue
        if f.status == "ok" and f.value != s.value:
            wrong.append(f"{s.value} -> {f.value} ({f.confidence:.4f})")
        review += f.status == "review"
    return {"lost": lost, "ok_wrong": wrong, "review": review}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sample", choices=sorted(PAGES), default="form")
    ap.add_argument(
        "--kind",
        choices=("fold-h", "fold-v", "highlighter", "strike", "streak"),
        default="fold-h",
    )
    ap.add_argument("--thick", type=float, default=0.2, help="a highlighter's stroke, inches thick")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    record = run_record("bands.py", argv)
    sample = load_sample(args.sample)
    image, dpi, straight = sample.image, sample.dpi, sample.straight
    if args.kind == "highlighter":
        pages = highlights(image, straight, dpi, args.thick)
    elif args.kind == "strike":
        pages = strikes(image, straight, dpi)
    elif args.kind == "streak":
        pages = scanner_streaks(image, straight)
    else:
        pages = folds(image, straight, args.kind[-1], dpi)
    rows = []
    for what, page in pages:
        r = compare(straight, sample.read(page))
        rows.append({"what": what, **r})
        for v in r["lost"]:
            print(f"lost  {what}: {v!r}", file=sys.stderr)
        for v in r["ok_wrong"]:
            print(f"WRONG {what}: {v}", file=sys.stderr)
    record["params"] = {"sample": args.sample, "kind": args.kind}
    kind = args.kind
    if args.kind == "highlighter" and args.thick != 0.2:
        record["params"]["thick_in"] = args.thick
        kind = f"{kind}_thick{args.thick}"
    record["rows"] = rows
    record["total"] = {
        "pages": len(rows),
        "fields": len(rows) * len(straight),
        "lost": sum(len(r["lost"]) for r in rows),
        "ok_wrong": sum(len(r["ok_wrong"]) for r in rows),
        "review": sum(r["review"] for r in rows),
    }
    publish(record, args.out / f"bands_{args.sample}_{kind}.json", render_markdown)
    return 0


def render_markdown(record: dict[str, Any]) -> str:
    p, t = record["params"], record["total"]
    head = ["sample", "artefact", "pages", "fields", "lost", "`ok` but wrong", "review"]
    kind = p["kind"] + (f", {p['thick_in']} in" if "thick_in" in p else "")
    row = [p["sample"], kind, t["pages"], t["fields"], t["lost"], t["ok_wrong"], t["review"]]
    return md_table(head, [row])


if __name__ == "__main__":
    sys.exit(main())
