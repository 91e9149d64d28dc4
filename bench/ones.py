"""Strings with two 1s side by side: how often a 1 goes missing, and is `ok`.

    .venv/bin/python bench/ones.py --pages 40 --seed 300000
    .venv/bin/python bench/ones.py --pages 40 --seed 300000 --plain

A stress set for one failure: two 1s written close enough to touch, read as
one 1 by both readers (`117831` read `17831`, `ok`). Each page is one of
MNIST's *validation* writers (no model trained on them, and they are not
the headline's or the calibration's writers: development data), 18 string
boxes of 3-8 digits, half written touching, scanned as office or harsh
copies by the project's degradations, read with ``formocr.api.scan_page``
(no template, default ``--min-confidence``). In each string a `11` is put
at a random place (at the front one time in three; one time in seven a
`111`). ``--plain`` draws the same pages without the forced `11`, as a
control. The generator's "touching" overlaps neighbours by up to 0.14 of
the digit height, so a 1 can lie half over its neighbour: harder than
most writing.

Reported: fields exact, `ok` fields and those wrong, and the wrong fields
that are the truth less one 1 (a dropped 1), with how many of them are `ok`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from benchlib import MNIST_DIR, OUT, md_table, pct, publish, run_record

from formocr import api
from formocr.config import ScanConfig
from formocr.types import PageImage

SEED = 300_000
A4_MM = (210.0, 297.0)
DPI = 300


def draw_page(seed: int, writers: Sequence[Any], ones: bool) -> tuple[np.ndarray, list[Any]]:
    """One writer's page of 18 string boxes, with a `11` in each if ``ones``."""
    from training.synth import Degradation
    from training.synth.sheet import Sheet

    rng = np.random.default_rng(seed)
    writer = writers[(seed * 7919) % len(writers)]
    deg = Degradation.harsh() if seed % 2 else Degradation.scan()
    sheet = Sheet(A4_MM, DPI, rng, deg, writer.source())
    alphabet = list(writer.digits)
    for col in range(2):
        x = sheet.px(18 + col * 94)
        for row in range(9):
            y = sheet.px(20 + row * 30)
            n = int(rng.integers(3, 8))
            digits = [int(alphabet[int(k)]) for k in rng.integers(0, len(alphabet), n)]
            if ones:
                at = 0 if rng.random() < 0.35 else int(rng.integers(0, n - 1))
                digits[at : at + 2] = [1, 1]
                if rng.random() < 0.15:
                    digits.insert(at, 1)
            touching = bool(rng.random() < 0.5)
            h = sheet.px(float(rng.uniform(10.0, 15.0)))
            w = sheet.px(min(84.0, float(rng.uniform(8.0, 12.0)) * len(digits) + 8))
            sheet.string(x, y, w, h, digits, touching=touching)
    return sheet.finish()


def dropped_a_one(truth: str, read: str) -> bool:
    """Whether ``read`` is ``truth`` with one of its 1s left out."""
    return any(truth[:i] + truth[i + 1 :] == read for i in range(len(truth)) if truth[i] == "1")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--pages", type=int, default=40)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--plain", action="store_true", help="no forced 11 (a control)")
    ap.add_argument("--mnist-dir", type=Path, default=MNIST_DIR)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    from training.synth.sources import mnist_writers

    record = run_record("ones.py", argv)
    record["params"] = {"pages": args.pages, "seed": args.seed, "plain": args.plain}
    writers = [w for w in mnist_writers("val", args.mnist_dir) if len(w.labels) >= 20]
    classifier = api.load_classifier()
    config = ScanConfig()
    fields: list[dict[str, Any]] = []
    for k in range(args.pages):
        seed = args.seed + k
        image, truth = draw_page(seed, writers, not args.plain)
        result = api.scan_page(PageImage("ones", 1, image, float(DPI)), config, classifier)
        for t in truth:
            best = max(result.fields, key=lambda f: f.bbox.iou(t.bbox), default=None)
            found = best is not None and best.bbox.iou(t.bbox) >= 0.5
            fields.append(
                {
                    "seed": seed,
                    "truth": t.value,
                    "read": best.value if found and best else None,
                    "status": best.status if found and best else None,
                    "confidence": best.confidence if found and best else None,
                    "reason": best.reason if found and best else None,
                }
            )
        print(f"page {k + 1}/{args.pages}", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    ok = [f for f in fields if f["status"] == "ok"]
    dropped = [f for f in fields if f["read"] and dropped_a_one(f["truth"], f["read"])]
    record["figures"] = {
        "fields": len(fields),
        "exact": sum(f["read"] == f["truth"] for f in fields) / max(1, len(fields)),
        "ok": len(ok),
        "ok_wrong": [f for f in ok if f["read"] != f["truth"]],
        "dropped_a_one": len(dropped),
        "dropped_a_one_ok": sum(f["status"] == "ok" for f in dropped),
    }
    name = "ones_plain" if args.plain else "ones"
    publish(record, args.out / f"{name}_{args.seed}.json", render_markdown)
    return 0


def render_markdown(record: dict[str, Any]) -> str:
    p, f = record["params"], record["figures"]
    wrong = f["ok_wrong"]
    rows = [
        [
            str(f["fields"]),
            pct(f["exact"], 1),
            str(f["ok"]),
            f"{len(wrong)} ({pct(len(wrong) / max(1, f['ok']), 2)})",
            f"{f['dropped_a_one']} ({f['dropped_a_one_ok']} `ok`)",
        ]
    ]
    head = ["strings", "exact", "`ok`", "`ok` but wrong", "a 1 dropped"]
    listed = "\n".join(f"- `{w['truth']}` read `{w['read']}`, `ok`" for w in wrong)
    kind = "plain strings (control)" if p["plain"] else "strings with `11` in each"
    return (
        f"{p['pages']} pages of MNIST validation writers (seeds from {p['seed']}), {kind}:"
        f"\n\n{md_table(head, rows)}\n\n{listed}\n"
    )


if __name__ == "__main__":
    raise SystemExit(main())
