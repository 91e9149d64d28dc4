"""Accuracy, per-class precision/recall/F1 and the confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from formocr.read.classify import DigitClassifier
from formocr.read.normalize import isolated_batch, normalize_batch
from training.data import DigitSet


@dataclass(frozen=True)
class Report:
    name: str
    n: int
    accuracy: float
    precision: list[float]
    recall: list[float]
    f1: list[float]
    confusion: list[list[int]]  # rows: truth, columns: prediction

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def report(name: str, truth: np.ndarray, pred: np.ndarray) -> Report:
    cm = np.zeros((10, 10), np.int64)
    np.add.at(cm, (truth, pred), 1)
    tp = np.diag(cm).astype(float)
    prec = tp / np.maximum(cm.sum(0), 1)
    rec = tp / np.maximum(cm.sum(1), 1)
    f1 = 2 * prec * rec / np.maximum(prec + rec, 1e-12)
    return Report(
        name=name,
        n=int(len(truth)),
        accuracy=float((truth == pred).mean()) if len(truth) else 0.0,
        precision=[round(float(v), 4) for v in prec],
        recall=[round(float(v), 4) for v in rec],
        f1=[round(float(v), 4) for v in f1],
        confusion=cm.tolist(),
    )


def evaluate(clf: DigitClassifier, data: DigitSet) -> tuple[Report, np.ndarray]:
    """Report and the (N, 10) probabilities, through the runtime classifier."""
    probs = clf.probabilities(isolated_batch(data.images))
    return report(data.name, data.labels, probs.argmax(1)), probs


def format_report(r: Report) -> str:
    lines = [f"{r.name}: {r.n} digits, accuracy {r.accuracy:.4%}", "digit  precision  recall  f1"]
    for d in range(10):
        lines.append(f"  {d}    {r.precision[d]:.4f}    {r.recall[d]:.4f}  {r.f1[d]:.4f}")
    lines.append("confusion (rows truth 0-9, columns predicted 0-9):")
    lines += ["  " + " ".join(f"{v:5d}" for v in row) for row in r.confusion]
    return "\n".join(lines)


def per_group(truth: np.ndarray, pred: np.ndarray, groups: np.ndarray) -> list[dict[str, Any]]:
    """Accuracy per group (a writer, a block of writers), worst first."""
    rows = []
    for g in np.unique(groups):
        m = groups == g
        acc = float((truth[m] == pred[m]).mean())
        rows.append({"group": int(g), "n": int(m.sum()), "accuracy": acc})
    return sorted(rows, key=lambda r: (r["accuracy"], r["group"]))


HELD_OUT_NEGATIVE_SEED = 77


def held_out(
    clf: DigitClassifier,
    mnist_dir: Path | None = None,
    optdigits: Path | None = None,
    writers_dir: Path | None = None,
    negatives: int = 2500,
) -> dict[str, Any]:
    """The headline figures for isolated digits, through the runtime classifier.

    MNIST test (accuracy overall and per writer, worst first), optdigits'
    held-out third per writer block, and with an 11-class model the share of
    these real digits called "not a digit" and the "not a digit" recall on
    negatives made from MNIST test writers' digits (per kind too). A digit
    is read as ``classify`` reads it: the best of 0-9.
    """
    from training.data import load_mnist, load_optdigits
    from training.negatives import NOT_DIGIT, negative_set
    from training.splits import load_writer_ids, optdigits_blocks, optdigits_split

    out: dict[str, Any] = {}
    test = load_mnist("test", mnist_dir)
    probs = clf.all_probabilities(isolated_batch(test.images))
    pred = probs[:, :10].argmax(1)
    out["mnist_test_accuracy"] = float((pred == test.labels).mean())
    eleven = probs.shape[1] > 10
    if eleven:
        out["mnist_test_called_not_digit"] = float((probs.argmax(1) == NOT_DIGIT).mean())
    try:
        _, test_writers = load_writer_ids(writers_dir)
    except Exception:  # noqa: BLE001 - the writer ids are optional here
        test_writers = None
    if test_writers is not None:
        rows = per_group(test.labels, pred, test_writers)
        accs = np.array([r["accuracy"] for r in rows])
        out["mnist_test_writers"] = {
            "writers": len(rows),
            "worst": rows[:10],
            "min": float(accs.min()),
            "p5": float(np.percentile(accs, 5)),
            "median": float(np.median(accs)),
            "below_95": int((accs < 0.95).sum()),
        }
    if optdigits is not None:
        opt = load_optdigits(optdigits)
        _, head = optdigits_split(len(opt))
        o_probs = clf.all_probabilities(isolated_batch(opt.images[head]))
        o_pred = o_probs[:, :10].argmax(1)
        blocks = optdigits_blocks(len(opt))[head]
        rows = per_group(opt.labels[head], o_pred, blocks)
        out["optdigits_headline"] = {
            "accuracy": float((o_pred == opt.labels[head]).mean()),
            "blocks": rows,
            "block_mean": float(np.mean([r["accuracy"] for r in rows])),
            "block_min": float(min(r["accuracy"] for r in rows)),
        }
        if eleven:
            out["optdigits_headline"]["called_not_digit"] = float(
                (o_probs.argmax(1) == NOT_DIGIT).mean()
            )
    if eleven and negatives:
        crops, kinds = negative_set(test.images, negatives, HELD_OUT_NEGATIVE_SEED)
        n_pred = clf.all_probabilities(normalize_batch(list(crops))).argmax(1)
        hit = n_pred == NOT_DIGIT
        k_arr = np.array(kinds)
        out["not_digit_recall"] = float(hit.mean())
        out["not_digit_recall_by_kind"] = {
            k: round(float(hit[k_arr == k].mean()), 4) for k in sorted(set(kinds))
        }
    return out
