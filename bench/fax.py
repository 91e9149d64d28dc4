"""The headline pages as a fax machine keeps them: black and white TIFF (CCITT G4).

    .venv/bin/python bench/fax.py --pages 20 --mode normal
    .venv/bin/python bench/fax.py --pages 20 --mode fine

``realwriters.py``'s pages (real digits of writers no model trained on),
drawn at 300 dpi, resampled with ``INTER_AREA`` (the sensor integrates) to
204 x 98 dpi ("normal" mode: each pixel twice as tall as wide) or 204 x 196
("fine"), thresholded at grey 150 and written as one G4 TIFF a page that
records its resolution; each read with ``formocr.api.scan_document``, no
template, the default ``--min-confidence``, and scored as ``realwriters.py``
scores (fields matched by their box, in the square pixels formocr reads).

``--as-stored``: read with the pixels as they are stored (what formocr did
before it made a fax's pixels square), to measure that change.
"""

from __future__ import annotations

import argparse
import collections
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from benchlib import OUT, md_table, pct, publish, run_record
from forms import FieldScore, match_page
from PIL import Image
from realwriters import DPI, SEED, SOURCES, breakdown, load_writers, make_page, plan

from formocr import api
from formocr.config import ScanConfig
from formocr.types import BBox

MODES = {"normal": (204, 98), "fine": (204, 196)}
THRESHOLD = 150


def fax_page(image: np.ndarray, xdpi: int, ydpi: int) -> np.ndarray:
    """A 300-dpi grey page as a fax keeps it: resampled, black and white."""
    size = (round(image.shape[1] * xdpi / DPI), round(image.shape[0] * ydpi / DPI))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return np.where(small < THRESHOLD, 0, 255).astype(np.uint8)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--mode", choices=sorted(MODES), default="normal")
    ap.add_argument("--as-stored", action="store_true", help="read the pixels as stored")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if args.as_stored:
        from formocr.io import images

        images._square_scale = lambda img, orient: (1.0, 1.0)  # type: ignore[assignment]
    record = run_record("fax.py", argv)
    xdpi, ydpi = MODES[args.mode]
    record["params"] = {
        "pages": args.pages,
        "seed": args.seed,
        "mode": args.mode,
        "dpi": [xdpi, ydpi],
        "as_stored": args.as_stored,
    }
    writers = load_writers(SOURCES)
    specs = plan(args.pages, args.seed, writers, SOURCES)
    by_name = {w.name: w for ws in writers.values() for w in ws}
    folder = args.out / f"fax_{args.mode}"
    folder.mkdir(parents=True, exist_ok=True)
    scores: list[FieldScore] = []
    for spec in specs:
        drawn, truth = make_page(spec, by_name[spec.writer])
        page = fax_page(drawn, xdpi, ydpi)
        path = folder / f"p{spec.index + 1:03d}.tif"
        Image.fromarray(page).convert("1").save(path, dpi=(xdpi, ydpi), compression="group4")
        (result,) = api.scan_document(path, ScanConfig()).pages
        # The truth in the pixels read: x at xdpi, y at the rows formocr read.
        fx, fy = xdpi / DPI, result.height / page.shape[0] * ydpi / DPI
        scaled = [
            replace(
                t,
                bbox=BBox(
                    round(t.bbox.x * fx),
                    round(t.bbox.y * fy),
                    round(t.bbox.w * fx),
                    round(t.bbox.h * fy),
                ),
                digits=(),
                marks=(),
            )
            for t in truth
        ]
        scores += match_page(spec, spec.index + 1, scaled, result.fields)
        print(f"page {spec.index + 1}/{len(specs)}", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    source_of = {s.index + 1: s.source for s in specs}
    record["figures"] = breakdown(scores, source_of)
    spurious = [s for s in scores if not s.truth_name]
    record["spurious"] = {
        "ok_fields": [(s.page, s.pred, s.pred_bbox) for s in spurious if s.status == "ok"],
        "fields": len(spurious),
        "ok": sum(s.status == "ok" for s in spurious),
        "by_status": dict(collections.Counter(s.status for s in spurious)),
    }
    publish(
        record,
        args.out / f"fax_{args.mode}{'_as_stored' if args.as_stored else ''}.json",
        render_markdown,
    )
    return 0


def render_markdown(record: dict[str, Any]) -> str:
    p, f, sp = record["params"], record["figures"], record["spurious"]
    rows = []
    for key in ("comb", "string", "all"):
        t = f.get(key)
        if not t:
            continue
        rows.append(
            [
                key,
                str(t["fields"]),
                pct(t["found"], 1),
                pct(t["exact"], 1),
                pct(t.get("read_rate_at_1%"), 1),
                f"{t['ok_errors']} of {t['ok_fields']}" if "ok_fields" in t else "-",
            ]
        )
    head = ["fields", "n", "found", "exact", "read rate at <= 1 %", "`ok` but wrong"]
    return (
        f"{p['pages']} headline pages (seeds from {p['seed']}) as a fax in {p['mode']} mode "
        f"({p['dpi'][0]} x {p['dpi'][1]} dpi, G4){', read as stored' if p['as_stored'] else ''}"
        f":\n\n{md_table(head, rows)}\n\nFields found where no form field is: "
        f"{sp['fields']}, {sp['ok']} of them `ok` ({sp['by_status']})."
    )


if __name__ == "__main__":
    sys.exit(main())
