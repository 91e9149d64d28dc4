"""String fields of MNIST validation writers, read by the width rule's cuts and by the lattice.

    .venv/bin/python bench/strings_val.py --pages 16

The lattice's costs (formocr.read.lattice, formocr.layout.digits) were
chosen on these pages: bench/realwriters.py's forms and dense pages, drawn
with MNIST *validation* writers (training.splits) from seed 95,000, never a
headline writer. Each free-string field found is read both ways from the
same layout and classifier outputs; prints how many are exact, too long,
too short, and ``ok``-but-wrong at the default threshold.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np
from realwriters import load_writers, make_page, plan

from formocr.api import load_classifier
from formocr.config import DEFAULT_MIN_CONFIDENCE
from formocr.layout.fields import find_fields
from formocr.read.lattice import class_log_probs, lattice_of

SEED = 95_000


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=16)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    clf = load_classifier()
    writers = load_writers(["mnist-val"])
    byname = {w.name: w for w in writers["mnist-val"]}
    tally = {r: {"exact": 0, "long": 0, "short": 0, "ok_wrong": 0} for r in ("cuts", "lattice")}
    n = 0
    for spec in plan(args.pages, args.seed, writers, ["mnist-val"]):
        page, truth = make_page(spec, byname[spec.writer])
        found = find_fields(page, 300)
        for tr in truth:
            if tr.kind != "string" or not found:
                continue
            f = max(found, key=lambda f: f.bbox.iou(tr.bbox))
            if f.bbox.iou(tr.bbox) < 0.5 or f.ink is None:
                continue
            n += 1
            cuts = np.exp(class_log_probs(clf, [d.image for d in f.digits]))[:, :10]
            best = lattice_of(f.ink, class_log_probs(clf, [s.crop.image for s in f.ink.segments]))
            reading = best.best()
            answers = {
                "cuts": ("".join(str(int(p.argmax())) for p in cuts), min(cuts.max(1), default=0)),
                "lattice": (reading.text, reading.confidence),
            }
            for r, (text, conf) in answers.items():
                t = tally[r]
                t["exact"] += text == tr.value
                t["long"] += len(text) > len(tr.value)
                t["short"] += len(text) < len(tr.value)
                t["ok_wrong"] += conf >= DEFAULT_MIN_CONFIDENCE and text != tr.value
        print(f"page {spec.index + 1}/{args.pages}", file=sys.stderr)
    print(f"{n} string fields, MNIST validation writers, seeds {args.seed}+")
    for r, t in tally.items():
        print(
            f"{r:8s} exact {t['exact']} ({t['exact'] / max(n, 1):.1%}), "
            + ", ".join(f"{k} {v}" for k, v in t.items() if k != "exact")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
