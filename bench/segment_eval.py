"""Evaluate formocr.layout.fields on synthetic pages with known truth.

    PYTHONPATH=. .venv/bin/python bench/segment_eval.py --pages 40

Pages come from training.synth (forms and cheques, fixed seeds), cycling
through resolutions and degradations (clean, office scan, harsh fax/phone).
Reports: fields found (a detected field with IoU >= 0.5), kind and cell
count right, digit count right per found field, digit boxes found
(IoU >= 0.5 with a crop), spurious fields, and time per page. With --read,
also digits read right: the shipped classifier on our crops, against the
same classifier on "oracle" crops cut at the true digit boxes (what a
perfect segmenter would give it).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

from formocr.layout.fields import find_fields
from formocr.types import BBox
from training.synth import Degradation, make_cheque, make_form_page, write_pdf, write_tiff

DPIS = (150, 200, 300, 400, 600)
DEGRADATIONS = {
    "clean": Degradation(),
    "scan": Degradation.scan(),
    "harsh": Degradation.harsh(),
}


def iou(a: BBox, b: BBox) -> float:
    return BBox(*a).iou(BBox(*b))


def _oracle_crop(img: np.ndarray, b: BBox) -> np.ndarray:
    """The page cut at a true digit box, with a small margin."""
    m = max(2, b.h // 10)
    return img[max(0, b.y - m) : b.y + b.h + m, max(0, b.x - m) : b.x + b.w + m]


def _round_trip(img: np.ndarray, dpi: int, via: str) -> np.ndarray:
    """The page as it comes back from a PDF (pdftoppm, as formocr.io renders)
    or a TIFF file."""
    with tempfile.TemporaryDirectory() as tmp:
        if via == "tiff":
            path = write_tiff([img], Path(tmp) / "p.tif", dpi)
            return cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        pdf = write_pdf([img], Path(tmp) / "p.pdf", dpi)
        out = Path(tmp) / "r"
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(pdf), str(out)], check=True)
        (rendered,) = Path(tmp).glob("r*.pgm")
        return cv2.imread(str(rendered), cv2.IMREAD_GRAYSCALE)


def make_page(i: int, seed: int, deg_names: list[str]):
    rng = np.random.default_rng(seed + i)
    dpi = DPIS[i % len(DPIS)]
    deg_name = deg_names[(i // len(DPIS)) % len(deg_names)]
    deg = DEGRADATIONS[deg_name]
    kind = "cheque" if i % 4 == 3 else "form"
    if kind == "cheque":
        img, truth = make_cheque(rng, dpi, degradation=deg, amount_format="plain")
    else:
        img, truth = make_form_page(rng, dpi, degradation=deg)
    return f"{i:03d}-{kind}-{dpi}-{deg_name}", img, dpi, truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--start", type=int, default=0, help="first page index")
    ap.add_argument("--deg", default="clean,scan,harsh", help="comma list of degradations")
    ap.add_argument("--no-dpi", action="store_true", help="pass dpi=None (guess the scale)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    ap.add_argument("--dump", type=Path, help="write pages with misses here (PNG)")
    ap.add_argument("--read", action="store_true", help="classify the crops too")
    ap.add_argument(
        "--via",
        choices=["none", "pdf", "tiff"],
        default="none",
        help="write each page to a PDF (rendered back with pdftoppm) or TIFF first",
    )
    args = ap.parse_args()
    clf = None
    if args.read:
        from formocr.read.classify import DigitClassifier

        clf = DigitClassifier(threads=1)

    c: dict[str, int] = defaultdict(int)
    by_deg: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    times: list[float] = []
    for i in range(args.start, args.start + args.pages):
        name, img, dpi, truth = make_page(i, args.seed, args.deg.split(","))
        if args.via != "none":
            img = _round_trip(img, dpi, args.via)
        t0 = time.perf_counter()
        fields = find_fields(img, None if args.no_dpi else dpi)
        times.append(time.perf_counter() - t0)
        used: set[int] = set()
        misses = []
        for tr in truth:
            scores = [(iou(f.bbox, tr.bbox), k) for k, f in enumerate(fields) if k not in used]
            best = max(scores, default=(0.0, -1))
            c["fields"] += 1
            c["digits"] += len(tr.digits)
            deg = name.rsplit("-", 1)[1]
            by_deg[deg][0] += 1
            if best[0] < 0.5:
                misses.append(f"{tr.name} {tr.kind}/{tr.cells} {tuple(tr.bbox)} not found")
                continue
            used.add(best[1])
            f = fields[best[1]]
            c["found"] += 1
            shape_ok = f.kind == tr.kind and f.cells == tr.cells
            c["shape"] += shape_ok
            count_ok = len(f.digits) == len(tr.digits)
            c["count"] += count_ok
            by_deg[deg][1] += 1
            by_deg[deg][2] += count_ok and shape_ok
            c["digit_found"] += sum(
                any(iou(d.bbox, t.bbox) >= 0.5 for d in f.digits) for t in tr.digits
            )
            if clf is not None and tr.digits:
                preds = clf.classify([d.image for d in f.digits])
                oracle = clf.classify([_oracle_crop(img, t.bbox) for t in tr.digits])
                for t, o in zip(tr.digits, oracle, strict=True):
                    c["oracle_right"] += o.digit == int(t.value)
                    hits = [
                        p.digit
                        for d, p in zip(f.digits, preds, strict=True)
                        if iou(d.bbox, t.bbox) >= 0.5
                    ]
                    c["read_right"] += bool(hits) and hits[0] == int(t.value)
            if not (shape_ok and count_ok):
                misses.append(
                    f"{tr.name} {tr.kind}/{tr.cells} {tuple(tr.bbox)} value={tr.value!r}: "
                    f"got {f.kind}/{f.cells} with {len(f.digits)} digits"
                )
        c["spurious"] += len(fields) - len(used)
        for k, f in enumerate(fields):
            if k not in used:
                misses.append(f"spurious {f.kind}/{f.cells} {tuple(f.bbox)}")
        if misses and args.verbose:
            print(f"{name}:", *misses, sep="\n    ")
        if misses and args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(args.dump / f"{name}.png"), img)

    n = max(c["fields"], 1)
    print(f"pages {args.pages}, fields {c['fields']}, digits {c['digits']}")
    print(f"fields found          {100 * c['found'] / n:6.2f} %")
    print(f"kind+cells right      {100 * c['shape'] / max(c['found'], 1):6.2f} % of found")
    print(f"digit count right     {100 * c['count'] / max(c['found'], 1):6.2f} % of found")
    print(f"digit boxes found     {100 * c['digit_found'] / max(c['digits'], 1):6.2f} %")
    print(f"spurious fields       {c['spurious']}")
    if clf is not None:
        nd = max(c["digits"], 1)
        print(f"digits read right     {100 * c['read_right'] / nd:6.2f} % (our crops)")
        print(f"                      {100 * c['oracle_right'] / nd:6.2f} % (crops at true boxes)")
    for deg, (tot, found, ok) in by_deg.items():
        print(f"  {deg:6s} found {100 * found / tot:6.2f} %, all right {100 * ok / tot:6.2f} %")
    t = np.array(times) * 1000
    print(f"time per page         mean {t.mean():.0f} ms, max {t.max():.0f} ms")


if __name__ == "__main__":
    main()
