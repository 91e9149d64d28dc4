"""Classifier benchmark: MNIST test, held-out optdigits writers, and throughput.

    .venv/bin/python bench/mnist.py
    .venv/bin/python bench/mnist.py --limit 2000 --repeats 3   # a quick look

Everything goes through ``formocr.read.classify.DigitClassifier.classify``, the
path scans take (normalisation included):

* MNIST test accuracy, all 10,000 digits (never used in training);
* optdigits: the digits after the training cut (``int(n * 2/3)``, in file
  order, which follows the writers), overall and in 10 consecutive blocks of
  about one writer each; training reports these as ``optdigits_val`` but
  never fits on them;
* per writer, worst first: every MNIST test writer (``training.splits``'
  writer ids; worst 10 and the distribution) and every optdigits held-out
  writer block (``optdigits_blocks``);
* calibration: expected calibration error (15 bins) and the error among
  digits at or above the default ``min_confidence``;
* the same digits cut tight round their ink, as USPS and Semeion keep
  theirs (a digit filling its image): the ink's box, and the digit filling
  a square of 40, 16 (USPS's size) and 12 px; dark on light, light on dark,
  and as 0/1 bitmaps;
* the first 2,000 in cells cut from a form with their frame's lines along
  some of their sides;
* throughput: 1,000 MNIST digits enlarged to varied crop sizes (24-128 px
  tall, varied widths), classified end to end, normalisation alone, and the
  ONNX model alone on the normalised batch; median of ``--repeats`` runs.

Writes bench/out/mnist.json and prints markdown tables.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from benchlib import (
    MNIST_DIR,
    OPTDIGITS,
    OUT,
    heldout_optdigits,
    md_table,
    pct,
    publish,
    run_record,
)

from formocr.config import DEFAULT_MIN_CONFIDENCE
from formocr.read.classify import DigitClassifier
from formocr.read.normalize import normalize_batch
from training.data import load_mnist
from training.splits import SplitError, mnist_split, optdigits_blocks

BLOCKS = 10


def predict(
    clf: DigitClassifier, images: np.ndarray | Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    preds = clf.classify(list(images))
    return np.array([p.digit for p in preds]), np.array([p.confidence for p in preds])


def ece(conf: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error: |accuracy - confidence| averaged over confidence bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(total)


def scores(labels: np.ndarray, pred: np.ndarray, conf: np.ndarray) -> dict[str, Any]:
    correct = pred == labels
    hi = conf >= DEFAULT_MIN_CONFIDENCE
    return {
        "n": len(labels),
        "accuracy": float(correct.mean()),
        "errors": int((~correct).sum()),
        "per_class_accuracy": {
            str(d): float(correct[labels == d].mean()) for d in range(10) if (labels == d).any()
        },
        "ece": ece(conf, correct),
        "share_at_min_confidence": float(hi.mean()),
        "error_at_min_confidence": float((~correct[hi]).mean()) if hi.any() else None,
    }


def varied_crops(images: np.ndarray, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``n`` digits enlarged to 24-128 px tall, 0.6-1.3x as wide, with a paper margin."""
    out = []
    for i in range(n):
        img = images[i % len(images)]
        h = int(rng.integers(24, 129))
        w = max(8, int(h * rng.uniform(0.6, 1.3)))
        crop = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
        m = int(rng.integers(0, 6))
        out.append(cv2.copyMakeBorder(crop, m, m, m, m, cv2.BORDER_CONSTANT, value=255))
    return out


def cut_tight(dark_on_light: np.ndarray, size: int = 0, stretch: bool = False) -> np.ndarray:
    """A digit cut to its ink's box (grey under 215); with ``size``, shrunk
    or enlarged (``INTER_AREA``, bilinear) so its longer side is ``size`` px,
    centred in a square of that size (as USPS keeps its digits); with
    ``stretch`` too, stretched to fill the square, its aspect ratio lost
    (as Semeion keeps its digits)."""
    ys, xs = np.nonzero(dark_on_light < 215)
    if not len(ys):
        return dark_on_light
    crop = dark_on_light[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    if not size:
        return crop
    h, w = crop.shape
    if stretch:
        shrink = size < max(h, w)
        way = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        return np.asarray(cv2.resize(crop, (size, size), interpolation=way), np.uint8)
    k = size / max(h, w)
    new = (max(1, round(w * k)), max(1, round(h * k)))
    crop = cv2.resize(crop, new, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    out = np.full((size, size), 255, np.uint8)
    y, x = (size - new[1]) // 2, (size - new[0]) // 2
    out[y : y + new[1], x : x + new[0]] = crop
    return out


TIGHT = (
    ("ink box", 0, False),
    ("40 px square", 40, False),
    ("16 px square", 16, False),
    ("12 px square", 12, False),
    ("16 px, stretched to fill", 16, True),
    ("32 px, stretched to fill", 32, True),
)


def tight_scores(
    clf: DigitClassifier, sets: dict[str, tuple[np.ndarray, np.ndarray]]
) -> list[dict[str, Any]]:
    """Accuracy of each set's digits cut tight (``TIGHT`` sizes), in three forms."""
    rows = []
    for name, (images, labels) in sets.items():
        for what, size, stretch in TIGHT:
            grey = [cut_tight(i, size, stretch) for i in images]
            forms = {
                "grey": grey,
                "grey, light on dark": [255 - g for g in grey],
                "0/1 (1 ink)": [(g < 128).astype(np.uint8) for g in grey],
            }
            for form, imgs in forms.items():
                pred, _ = predict(clf, imgs)
                acc = float((pred == labels).mean())
                rows.append({"set": name, "size": what, "form": form, "accuracy": acc})
    return rows


FRAMED = ("", "B", "TB", "LR", "TL", "TBLR")


def framed_cell(dark_on_light: np.ndarray, sides: str, thickness: int = 3) -> np.ndarray:
    """A digit in a 60 x 52 cell cut from a form with its frame: lines along
    ``sides`` (of "TBLR") at the edges, the digit 4 px inside them."""
    cell = np.full((60, 52), 255, np.uint8)
    cell[4:56, 4:48] = cv2.resize(dark_on_light, (44, 52), interpolation=cv2.INTER_LINEAR)
    t = thickness
    where = {"T": np.s_[:t, :], "B": np.s_[-t:, :], "L": np.s_[:, :t], "R": np.s_[:, -t:]}
    for side in sides:
        cell[where[side]] = 30
    return cell


def framed_scores(
    clf: DigitClassifier, images: np.ndarray, labels: np.ndarray
) -> list[dict[str, Any]]:
    """Accuracy of digits in cells cut with their frame's lines along ``FRAMED`` sides."""
    rows = []
    for sides in FRAMED:
        pred, _ = predict(clf, [framed_cell(i, sides) for i in images])
        rows.append({"sides": sides or "none", "accuracy": float((pred == labels).mean())})
    return rows


def timed(fn: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mnist-dir", type=Path, default=MNIST_DIR)
    ap.add_argument("--optdigits", type=Path, default=OPTDIGITS)
    ap.add_argument("--limit", type=int, default=0, help="first N MNIST test digits (0: all)")
    ap.add_argument("--batch", type=int, default=1000, help="crops per throughput batch")
    ap.add_argument("--repeats", type=int, default=5, help="timing repetitions (median)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    record = run_record("mnist.py", argv)
    t0 = time.perf_counter()
    clf = DigitClassifier()
    load_s = time.perf_counter() - t0

    mnist = load_mnist("test", args.mnist_dir)
    images, labels = mnist.images, mnist.labels
    if args.limit:
        images, labels = images[: args.limit], labels[: args.limit]
    t0 = time.perf_counter()
    pred, conf = predict(clf, images)
    mnist_s = time.perf_counter() - t0
    m = scores(labels, pred, conf)
    m["seconds"] = mnist_s
    wrong = np.nonzero(pred != labels)[0]
    m["confusions"] = _top_confusions(labels[wrong], pred[wrong])

    o_images, o_labels, first = heldout_optdigits(args.optdigits)
    o_pred, o_conf = predict(clf, o_images)
    o = scores(o_labels, o_pred, o_conf)
    o["first_index"] = first
    o["blocks"] = [
        {
            "indices": f"{first + int(b[0])}-{first + int(b[-1])}",
            "n": len(b),
            "accuracy": float((o_pred[b] == o_labels[b]).mean()),
        }
        for b in np.array_split(np.arange(len(o_labels)), BLOCKS)
    ]
    wrong = np.nonzero(o_pred != o_labels)[0]
    o["confusions"] = _top_confusions(o_labels[wrong], o_pred[wrong])

    writers = per_writer_accuracy(labels, pred, o_labels, o_pred, first, args.limit)
    tight = tight_scores(
        clf, {"MNIST test": (images, labels), "optdigits held-out": (o_images, o_labels)}
    )
    framed = framed_scores(clf, images[:2000], labels[:2000])

    rng = np.random.default_rng(0)
    crops = varied_crops(mnist.images, args.batch, rng)
    x = normalize_batch(crops)
    clf.classify(crops[:16])  # warm the session up
    t_all = timed(lambda: clf.classify(crops), args.repeats)
    t_norm = timed(lambda: normalize_batch(crops), args.repeats)
    t_model = timed(lambda: clf.logits(x), args.repeats)
    speed = {
        "batch": args.batch,
        "repeats": args.repeats,
        "crop_heights": [24, 128],
        "end_to_end_digits_per_s": args.batch / t_all,
        "normalize_digits_per_s": args.batch / t_norm,
        "model_only_digits_per_s": args.batch / t_model,
        "onnxruntime_intra_op_threads": "default (0)",
    }

    record.update(
        {
            "model_load_s": load_s,
            "mnist_test": m,
            "optdigits_heldout": o,
            "writers": writers,
            "cut_tight": tight,
            "framed_cells": framed,
            "throughput": speed,
        }
    )
    publish(record, args.out / "mnist.json", render_markdown)
    return 0


def per_writer_accuracy(
    labels: np.ndarray,
    pred: np.ndarray,
    o_labels: np.ndarray,
    o_pred: np.ndarray,
    first: int,
    limit: int,
) -> dict[str, Any]:
    """Accuracy per MNIST test writer and per optdigits held-out block, worst first."""
    out: dict[str, Any] = {}
    try:
        test_w = mnist_split().test_writers
    except SplitError as e:
        print(f"per-writer MNIST skipped: {e}", file=sys.stderr)
        test_w = None
    if test_w is not None:
        test_w = test_w[: len(labels)] if limit else test_w
        rows = []
        for w in np.unique(test_w):
            k = test_w == w
            rows.append(
                {
                    "writer": int(w),
                    "n": int(k.sum()),
                    "accuracy": float((pred[k] == labels[k]).mean()),
                    "errors": [
                        f"{t}->{p}" for t, p in zip(labels[k], pred[k], strict=True) if t != p
                    ],
                }
            )
        rows.sort(key=lambda r: (r["accuracy"], -r["n"]))
        acc = np.array([r["accuracy"] for r in rows])
        out["mnist_test"] = {
            "writers": len(rows),
            "worst": rows[:10],
            "all": rows,
            "mean_of_writers": float(acc.mean()),
            "percentiles": {str(q): float(np.percentile(acc, q)) for q in (0, 5, 10, 25, 50)},
            "share_perfect": float((acc == 1.0).mean()),
            "share_below_95": float((acc < 0.95).mean()),
            "share_below_99": float((acc < 0.99).mean()),
        }
    blocks = optdigits_blocks(first + len(o_labels))[first:]
    o_rows = []
    for b in np.unique(blocks):
        k = blocks == b
        if k.sum() < 10:  # the cut leaves one digit of block 19 (a training writer) in
            continue
        o_rows.append(
            {
                "block": int(b),
                "n": int(k.sum()),
                "accuracy": float((o_pred[k] == o_labels[k]).mean()),
                "errors": [
                    f"{t}->{p}" for t, p in zip(o_labels[k], o_pred[k], strict=True) if t != p
                ],
            }
        )
    o_rows.sort(key=lambda r: (r["accuracy"], -r["n"]))
    out["optdigits_blocks"] = o_rows
    return out


def _top_confusions(true: np.ndarray, pred: np.ndarray, k: int = 5) -> list[str]:
    pairs: dict[str, int] = {}
    for t, p in zip(true, pred, strict=True):
        key = f"{t}->{p}"
        pairs[key] = pairs.get(key, 0) + 1
    return [f"{key} x{n}" for key, n in sorted(pairs.items(), key=lambda kv: -kv[1])[:k]]


def render_markdown(record: dict[str, Any]) -> str:
    m, o, s = record["mnist_test"], record["optdigits_heldout"], record["throughput"]
    rows = [
        [
            f"MNIST test ({m['n']:,})",
            pct(m["accuracy"]),
            str(m["errors"]),
            f"{m['ece']:.4f}",
            f"{pct(m['share_at_min_confidence'], 1)} / {pct(m['error_at_min_confidence'])}",
            ", ".join(m["confusions"][:3]),
        ],
        [
            f"optdigits held-out ({o['n']}, from #{o['first_index']})",
            pct(o["accuracy"]),
            str(o["errors"]),
            f"{o['ece']:.4f}",
            f"{pct(o['share_at_min_confidence'], 1)} / {pct(o['error_at_min_confidence'])}",
            ", ".join(o["confusions"][:3]),
        ],
    ]
    lines = [
        md_table(
            [
                "set",
                "accuracy",
                "errors",
                "ECE",
                f"conf >= {DEFAULT_MIN_CONFIDENCE}: share / error",
                "top confusions (true->read)",
            ],
            rows,
        ),
        "",
        "optdigits held-out by block of consecutive digits (about one writer each):",
        "",
        md_table(
            ["block"] + [b["indices"] for b in o["blocks"]],
            [["accuracy"] + [pct(b["accuracy"], 1) for b in o["blocks"]]],
        ),
        "",
        *writer_markdown(record.get("writers", {})),
        *tight_markdown(record.get("cut_tight", [])),
        *framed_markdown(record.get("framed_cells", [])),
        md_table(
            [f"throughput (batch of {s['batch']} varied crops)", "digits/s"],
            [
                ["end to end (normalise + model)", f"{s['end_to_end_digits_per_s']:,.0f}"],
                ["normalise only", f"{s['normalize_digits_per_s']:,.0f}"],
                ["model only", f"{s['model_only_digits_per_s']:,.0f}"],
            ],
        ),
    ]
    return "\n".join(lines)


def framed_markdown(rows: list[dict[str, Any]]) -> list[str]:
    """The framed-cell accuracies (lines to join)."""
    if not rows:
        return []
    return [
        "The first 2,000 MNIST test digits in 60 x 52 cells cut with their frame's "
        "3 px lines along the sides named (T, B, L, R):",
        "",
        md_table(
            ["sides", *(r["sides"] for r in rows)],
            [["accuracy", *(pct(r["accuracy"]) for r in rows)]],
        ),
        "",
    ]


def tight_markdown(rows: list[dict[str, Any]]) -> list[str]:
    """The cut-tight accuracies, a row per set and form (lines to join)."""
    if not rows:
        return []
    keys = list(dict.fromkeys((r["set"], r["form"]) for r in rows))
    sizes = list(dict.fromkeys(r["size"] for r in rows))
    acc = {(r["set"], r["form"], r["size"]): r["accuracy"] for r in rows}
    return [
        "The same digits cut tight round their ink (as USPS and Semeion keep theirs):",
        "",
        md_table(
            ["set", "form", *sizes],
            [[s, f, *(pct(acc[(s, f, z)]) for z in sizes)] for s, f in keys],
        ),
        "",
    ]


def writer_markdown(w: dict[str, Any]) -> list[str]:
    """Per-writer accuracy, worst first (lines to join)."""
    lines = []
    if "mnist_test" in w:
        m = w["mnist_test"]
        q = m["percentiles"]
        lines += [
            f"Per MNIST test writer ({m['writers']} writers): mean of writers "
            f"{pct(m['mean_of_writers'])}; worst {pct(q['0'], 1)}, 5th percentile "
            f"{pct(q['5'], 1)}, 10th {pct(q['10'], 1)}, 25th {pct(q['25'], 1)}, median "
            f"{pct(q['50'], 1)}; {pct(m['share_perfect'], 0)} of writers read without an error, "
            f"{pct(m['share_below_99'], 1)} below 99 %, {pct(m['share_below_95'], 1)} below 95 %. "
            "The worst 10:",
            "",
            md_table(
                ["writer", "digits", "accuracy", "errors (true->read)"],
                [
                    [str(r["writer"]), str(r["n"]), pct(r["accuracy"], 1), ", ".join(r["errors"])]
                    for r in m["worst"]
                ],
            ),
            "",
        ]
    if w.get("optdigits_blocks"):
        lines += [
            "optdigits held-out writer blocks (training.splits.optdigits_blocks), worst first:",
            "",
            md_table(
                ["block", "digits", "accuracy", "errors (true->read)"],
                [
                    [str(r["block"]), str(r["n"]), pct(r["accuracy"], 1), ", ".join(r["errors"])]
                    for r in w["optdigits_blocks"]
                ],
            ),
            "",
        ]
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
