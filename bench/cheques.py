"""Cheque amounts on printed security backgrounds, read with no template.

    .venv/bin/python bench/cheques.py --cheques 60
    .venv/bin/python bench/cheques.py --cheques 60 --peers      # RapidOCR beside it

A stand-in for the real cheques of the acceptance checks, which we do not
have: the generator's cheque slip (175 x 80 mm, 300 dpi; date, payee line,
amount box with a printed currency, signature, code line) printed over a
security background (``training.synth.backgrounds``: guilloche, hatch, dot
screen, microtext; every sixth cheque plain paper), its amount written by a
writer no model trained on (MNIST test writers and optdigits' held-out
writers, in turn; only writers who wrote all ten digits) in one of the
usual formats ("1,250.00", "1 250,00", "1250.-", "1250.00", bare digits).
Office and harsh scans alternate. Each cheque is read alone with
``formocr.api.scan_page``, no template, the default ``--min-confidence``.

Reported for the amount box (matched by IoU >= 0.5; separators are not
counted, as in the acceptance set): found, digits exact, read rate at <= 1 %
field error, share ``ok`` and ``ok`` but wrong; per background and per
writer source. With ``--peers``, RapidOCR (PP-OCRv6, digits whitelist) is
handed the true amount box, its text's digits compared the same way.

Writes bench/out/cheques.json and prints markdown tables.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from benchlib import OUT, md_table, pct, publish, run_record
from forms import FieldScore
from realwriters import DEGRADATIONS, load_writers, read_rate

from formocr.api import load_classifier, scan_page
from formocr.config import ScanConfig
from formocr.types import BBox, PageImage
from training.synth import make_cheque
from training.synth.backgrounds import KINDS
from training.synth.sources import WriterDigits

SEED = 99_000  # never used before (realwriters 61,000; box28 90,000-98,000)
SOURCES = ("mnist-test", "optdigits")
BACKGROUNDS: tuple[str | None, ...] = (*KINDS, "guilloche", None)
FORMATS = ("en", "eu", "dash", "point", "plain")


def writers_with_every_digit(sources: Sequence[str]) -> dict[str, list[WriterDigits]]:
    return {s: [w for w in ws if len(w.digits) == 10] for s, ws in load_writers(sources).items()}


def cheque(i: int, seed: int, writers: dict[str, list[WriterDigits]]) -> dict[str, Any]:
    """Cheque i: its spec, image and true amount box and digits."""
    source = SOURCES[i % len(SOURCES)]
    pool = writers[source]
    order = np.random.default_rng(seed + SOURCES.index(source)).permutation(len(pool))
    writer = pool[int(order[(i // len(SOURCES)) % len(pool)])]
    background = BACKGROUNDS[i % len(BACKGROUNDS)]
    fmt = FORMATS[(i // len(BACKGROUNDS)) % len(FORMATS)]
    degradation = "scan" if (i // 2) % 2 == 0 else "harsh"
    image, truth = make_cheque(
        np.random.default_rng(seed + i),
        300,
        degradation=DEGRADATIONS[degradation],
        digit_source=writer.source(),
        amount_format=fmt,
        background=background,
    )
    amount = next(t for t in truth if t.label == "Amount")
    return {
        "spec": {
            "index": i,
            "seed": seed + i,
            "source": source,
            "writer": writer.name,
            "background": background or "plain paper",
            "format": fmt,
            "degradation": degradation,
        },
        "image": image,
        "box": amount.bbox,
        "truth": amount.value,
        "text": amount.text,
    }


def score(c: dict[str, Any], clf: Any, config: ScanConfig) -> dict[str, Any]:
    """The amount box's reading: matched field, its digits and status."""
    result = scan_page(PageImage("cheque", 1, c["image"], 300.0), config, clf)
    box: BBox = c["box"]
    best = max(result.fields, key=lambda f: BBox(*f.bbox).iou(box), default=None)
    found = best is not None and BBox(*best.bbox).iou(box) >= 0.5
    pred = "".join(ch for ch in best.value if ch.isdigit()) if found and best else None
    return {
        **c["spec"],
        "truth": c["truth"],
        "text": c["text"],
        "found": found,
        "pred": pred,
        "exact": pred == c["truth"],
        "status": best.status if found and best else "missing",
        "confidence": float(best.confidence) if found and best else 0.0,
        "reason": (best.reason or "") if found and best else "",
        "fields_on_page": len(result.fields),
    }


def as_score(r: dict[str, Any]) -> FieldScore:
    return FieldScore(
        page=r["index"] + 1,
        seed=r["seed"],
        page_kind="cheque",
        degradation=r["degradation"],
        truth_name="amount",
        field_kind="string",
        cells=0,
        truth=r["truth"],
        pred=r["pred"],
        confidence=r["confidence"],
        status=r["status"],
        reason=r["reason"],
    )


def figures(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in rows if r["status"] == "ok"]
    rate, _ = read_rate([as_score(r) for r in rows])
    return {
        "cheques": len(rows),
        "found": sum(r["found"] for r in rows),
        "exact": sum(r["exact"] for r in rows),
        "ok": len(ok),
        "ok_wrong": sum(not r["exact"] for r in ok),
        "read_rate": rate or 0.0,
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--cheques", type=int, default=60)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--model", type=Path, default=None, help="ONNX model (default: shipped)")
    args = ap.parse_args(argv)
    record = run_record("cheques.py", argv)
    record["params"] = {"cheques": args.cheques, "seed": args.seed}
    writers = writers_with_every_digit(SOURCES)
    clf = load_classifier(args.model)
    config = ScanConfig()
    rows = []
    for i in range(args.cheques):
        r = score(cheque(i, args.seed, writers), clf, config)
        rows.append(r)
        print(
            f"{i:3d} {r['background']:12s} {r['format']:5s} {r['truth']:>9s} "
            f"{str(r['pred']):>12s} {r['status']:7s} {r['reason']}",
            file=sys.stderr,
        )
    record["rows"] = rows
    record["total"] = figures(rows)
    record["by_background"] = {
        b or "plain paper": figures([r for r in rows if r["background"] == (b or "plain paper")])
        for b in dict.fromkeys(BACKGROUNDS)
    }
    record["by_source"] = {s: figures([r for r in rows if r["source"] == s]) for s in SOURCES}
    publish(record, args.out / "cheques.json", render_markdown)
    return 0


def render_markdown(record: dict[str, Any]) -> str:
    p = record["params"]
    head = [
        "cheques",
        "n",
        "amount box found",
        "digits exact",
        "read rate at <= 1 %",
        "ok",
        "ok but wrong",
    ]

    def row(name: str, t: dict[str, Any]) -> list[str]:
        n = t["cheques"]
        return [
            name,
            str(n),
            pct(t["found"] / n, 1),
            pct(t["exact"] / n, 1),
            pct(t["read_rate"], 1),
            pct(t["ok"] / n, 1),
            f"{t['ok_wrong']} of {t['ok']}",
        ]

    rows = [row("all", record["total"])]
    rows += [row(k, t) for k, t in record["by_background"].items()]
    rows += [row(k, t) for k, t in record["by_source"].items()]
    return (
        f"{p['cheques']} cheques (seeds from {p['seed']}), 300 dpi, no template, the amount "
        "box only (separators not counted). A stand-in for real cheques, which we do not "
        "have.\n\n" + md_table(head, rows)
    )


if __name__ == "__main__":
    sys.exit(main())
