"""A sample page photographed at a slant (keystone): what is lost, and what is `ok` and wrong.

    .venv/bin/python bench/keystone.py --sample cheque
    .venv/bin/python bench/keystone.py --sample form

A camera held not square to the page draws it as a trapezium: one edge
shorter than the one facing it, its boxes no longer rectangles. The page is
a shipped sample (``samples/form.png`` at 300 dpi, ``samples/cheque.tiff``
at 200 dpi), read first as it is: its fields, as read, are the truth. Then
it is warped so that its top edge (``top``) or its left edge (``side``) is
shorter by 2 x K of its length, K from 1 to 8 %, its corners kept on the
image, the rest white; and five times both ways at once and turned 1-4
degrees too (``PHOTOS``), as a photograph taken by hand is. ``--ground G``
first lays the page on a ground of grey G (a desk), 0.4 in of it round
each side, and adds the page so laid, not warped. Each is read
with ``formocr.api.scan_page`` (no template, the default
``--min-confidence``). Each field read is mapped back onto the straight
page (its box's corners through the inverse warp) and matched as
``bench/bands.py`` matches, by the boxes' centres (a box's extent grows
with the slant, and twice for one read on the page straightened).
Counted: **lost**, **`ok` but wrong**, **review**. Drawn by us on our own
samples: a test of the page stage, not a headline figure.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from bands import PAGES, compare, load_sample
from benchlib import OUT, md_table, publish, run_record

from formocr.layout.keystone import Straightening
from formocr.types import FieldResult

SLANTS = (0.01, 0.02, 0.03, 0.04, 0.06, 0.08)
EDGES = ("top", "side")


# Photographs both ways at once, turned too: (top's k, left's k, degrees).
PHOTOS = (
    (0.03, 0.02, 2.0),
    (0.04, 0.03, -3.0),
    (0.02, 0.04, 4.0),
    (0.05, 0.0, 1.0),
    (0.0, 0.05, -2.0),
)


def keystone(
    image: np.ndarray, edge: str, k: float, fill: int = 255
) -> tuple[np.ndarray, np.ndarray]:
    """``image`` with its ``edge`` ("top" or "side": the left) shorter by
    2 x ``k`` of its length, and the 3x3 warp that drew it."""
    top, side = (k, 0.0) if edge == "top" else (0.0, k)
    return photographed(image, top, side, 0.0, fill)


def photographed(
    image: np.ndarray, top: float, side: float, degrees: float, fill: int = 255
) -> tuple[np.ndarray, np.ndarray]:
    """``image`` with its top edge shorter by 2 x ``top`` of its width, its
    left edge by 2 x ``side`` of its height, turned
    ``degrees`` (anticlockwise) about its middle; and the 3x3 warp that drew it."""
    h, w = image.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dt, ds = top * w, side * h
    dst = np.float32([[dt, ds], [w - dt, 0], [w, h], [0, h - ds]])
    turn = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0), [0, 0, 1]])
    warp = turn @ cv2.getPerspectiveTransform(src, dst)
    drawn = cv2.warpPerspective(image, warp, (w, h), flags=cv2.INTER_LINEAR, borderValue=fill)
    return drawn, warp


def on_ground(image: np.ndarray, ground: int, margin: int) -> tuple[np.ndarray, np.ndarray]:
    """``image`` laid on a ground of grey ``ground``, ``margin`` px of it
    round each side, and the 3x3 shift that puts it there."""
    h, w = image.shape
    canvas = np.full((h + 2 * margin, w + 2 * margin), ground, np.uint8)
    canvas[margin : margin + h, margin : margin + w] = image
    return canvas, np.array([[1.0, 0.0, margin], [0.0, 1.0, margin], [0.0, 0.0, 1.0]])


def mapped_back(
    fields: Sequence[FieldResult], warp: np.ndarray, shape: tuple[int, int]
) -> list[FieldResult]:
    """The fields with their boxes mapped back onto the straight page of
    ``shape`` (h, w): the extent of the box's corners through the inverse of
    ``warp``, as formocr maps a straightened page's boxes back."""
    back = Straightening(warp, (shape[1], shape[0])).back
    return [dataclasses.replace(f, bbox=back(f.bbox, shape)) for f in fields]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sample", choices=sorted(PAGES), default="cheque")
    ap.add_argument(
        "--ground",
        type=int,
        default=255,
        help="lay the page on a ground of this grey, 0.4 in round it, first (a desk "
        "under a photographed page; 255: none)",
    )
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    record = run_record("keystone.py", argv)
    sample = load_sample(args.sample)
    page, shift = sample.image, np.eye(3)
    if args.ground != 255:
        page, shift = on_ground(page, args.ground, int(round(0.4 * sample.dpi)))
    rows = []
    cases = [("photo", (0.0, 0.0, 0.0))] if args.ground != 255 else []
    cases += [(edge, k) for edge in EDGES for k in SLANTS]
    cases += [("photo", p) for p in PHOTOS]
    for edge, k in cases:
        if edge == "photo":
            drawn, warp = photographed(page, *k, fill=args.ground)
        else:
            drawn, warp = keystone(page, edge, k, args.ground)
        read = sample.read(drawn)
        r = compare(
            sample.straight, mapped_back(read, warp @ shift, sample.image.shape), centres=True
        )
        rows.append({"edge": edge, "slant": k, "read": len(read), **r})
    record["params"] = {
        "sample": args.sample,
        "fields": len(sample.straight),
        "ground": args.ground,
    }
    record["rows"] = rows
    tag = "" if args.ground == 255 else f"_ground{args.ground}"
    publish(record, args.out / f"keystone_{args.sample}{tag}.json", render_markdown)
    return 0


def render_markdown(record: dict[str, Any]) -> str:
    n = record["params"]["fields"]
    ground = record["params"].get("ground", 255)
    name = record["params"]["sample"] + ("" if ground == 255 else f" on grey {ground}")
    head = ["sample", "shorter by", "fields", "lost", "`ok` but wrong", "review"]
    rows = [
        [
            name,
            _slant(r["edge"], r["slant"]),
            n,
            len(r["lost"]),
            len(r["ok_wrong"]),
            r["review"],
        ]
        for r in record["rows"]
    ]
    return md_table(head, rows)


def _slant(edge: str, k: Any) -> str:
    if edge != "photo":
        return f"{edge} {2 * k:.0%}"
    top, side, degrees = k
    return f"top {2 * top:.0%}, left {2 * side:.0%}, turned {degrees:g}°"


if __name__ == "__main__":
    raise SystemExit(main())
