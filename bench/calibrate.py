"""Calibrate confidences on a held-out split of the forms benchmark.

The calibration pages are drawn like bench/forms.py's (same generator, same
held-out optdigits writers, same degradations) from another seed range, so
the figures that bench/forms.py reports are not the data the calibration was
fitted on. Two things are fitted:

- a temperature for the digit softmax (minimum negative log-likelihood over
  the digits of fields whose digit count matched the truth), and
- the field threshold: the lowest confidence at which fields accepted as
  `ok` keep their error at or under the target rate (default 1%).

    .venv/bin/python bench/calibrate.py --pages 60
    # then: formocr-train export ... --temperature T, and set
    # formocr.config.DEFAULT_MIN_CONFIDENCE to the threshold it prints
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import OPTDIGITS, finish_record, run_record, write_json  # noqa: E402
from forms import HeldOutWriters, make_page, match_page, plan, reject_curve  # noqa: E402

from formocr.api import scan_page  # noqa: E402
from formocr.config import ScanConfig  # noqa: E402
from formocr.read.classify import DigitClassifier, softmax  # noqa: E402
from formocr.read.normalize import normalize_batch  # noqa: E402
from formocr.types import PageImage, Prediction  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
CALIBRATION_SEED = 50_000  # bench/forms.py draws from 20,000 on


class Recording:
    """A classifier that keeps the raw logits of every crop it is asked about."""

    def __init__(self, clf: DigitClassifier) -> None:
        self.clf, self.name, self.sha256 = clf, clf.name, clf.sha256
        self.logits: list[np.ndarray] = []

    def classify(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        if images:
            self.logits.append(self.clf.logits(normalize_batch(list(images))))
        return self.clf.classify(images)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    grid = np.exp(np.linspace(np.log(0.3), np.log(5.0), 400))
    nll = [
        -np.log(softmax(logits / t)[np.arange(len(labels)), labels] + 1e-12).mean() for t in grid
    ]
    return float(grid[int(np.argmin(nll))])


def threshold_for(conf: np.ndarray, correct: np.ndarray, max_error: float) -> tuple[float, float]:
    """(threshold, read rate): the most fields accepted with error <= max_error."""
    ks, errors, thresholds = reject_curve(conf, correct)
    ok = [i for i in range(len(ks)) if ks[i] == 0 or errors[i] / ks[i] <= max_error]
    best = max(ok, key=lambda i: ks[i])
    return float(thresholds[best]), float(ks[best] / len(conf))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--seed", type=int, default=CALIBRATION_SEED)
    ap.add_argument("--max-error", type=float, default=0.01)
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=OUT, help="folder for calibration.json")
    args = ap.parse_args(argv)
    record = run_record("bench/calibrate.py", argv)

    clf = DigitClassifier(args.model)
    rec = Recording(clf)
    writers = HeldOutWriters(OPTDIGITS)
    digit_logits, digit_labels = [], []
    fields: list[tuple[np.ndarray, bool]] = []  # (logit rows, field read right)
    for i, spec in enumerate(plan(args.pages, args.seed, "optdigits"), 1):
        image, truth = make_page(spec, writers)
        rec.logits.clear()
        page = scan_page(PageImage("calibration", 1, image, 300.0), ScanConfig(), rec)
        rows = np.concatenate(rec.logits) if rec.logits else np.zeros((0, 10), np.float32)
        start, by_name = 0, {}
        for f in page.fields:
            by_name[f.name] = rows[start : start + len(f.digits)]
            start += len(f.digits)
        for s in match_page(spec, i, truth, page.fields):
            if not s.pred:  # nothing read: no confidence to accept on
                continue
            r = by_name[s.pred_name]
            fields.append((r, s.matched and s.pred == s.truth))
            if s.matched and len(s.pred) == len(s.truth):
                digit_logits.append(r)
                digit_labels += [int(c) for c in s.truth]
        print(f"page {i}/{args.pages}", file=sys.stderr, end="\r")

    logits, labels = np.concatenate(digit_logits), np.array(digit_labels)
    t = fit_temperature(logits, labels)
    result: dict[str, object] = {"pages": args.pages, "digits": len(labels), "fields": len(fields)}
    for name, temp in (("uncalibrated", 1.0), ("calibrated", t)):
        conf = np.array([softmax(r / temp).max(1).min() for r, _ in fields])
        correct = np.array([ok for _, ok in fields])
        p = softmax(logits / temp)
        top = p.max(1)
        hit = p.argmax(1) == labels
        bins = np.minimum((top * 10).astype(int), 9)
        ece = sum(
            abs(hit[bins == b].mean() - top[bins == b].mean()) * (bins == b).mean()
            for b in range(10)
            if (bins == b).any()
        )
        th1, rr1 = threshold_for(conf, correct, args.max_error)
        th01, rr01 = threshold_for(conf, correct, args.max_error / 10)
        result[name] = {
            "temperature": temp,
            "digit_nll": float(-np.log(p[np.arange(len(labels)), labels] + 1e-12).mean()),
            "digit_ece": float(ece),
            "field_accuracy": float(correct.mean()),
            f"threshold_at_{args.max_error:g}": th1,
            f"read_rate_at_{args.max_error:g}": rr1,
            f"threshold_at_{args.max_error / 10:g}": th01,
            f"read_rate_at_{args.max_error / 10:g}": rr01,
        }
    record["result"] = result
    finish_record(record)
    write_json(args.out / "calibration.json", record)
    print(file=sys.stderr)
    for k, v in result.items():
        print(k, v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
