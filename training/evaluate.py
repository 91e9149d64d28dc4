"""Accuracy, per-class precision/recall/F1 and the confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from formocr.read.classify import DigitClassifier
from formocr.read.normalize import normalize_batch
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
    probs = clf.probabilities(normalize_batch(list(data.images)))
    return report(data.name, data.labels, probs.argmax(1)), probs


def format_report(r: Report) -> str:
    lines = [f"{r.name}: {r.n} digits, accuracy {r.accuracy:.4%}", "digit  precision  recall  f1"]
    for d in range(10):
        lines.append(f"  {d}    {r.precision[d]:.4f}    {r.recall[d]:.4f}  {r.f1[d]:.4f}")
    lines.append("confusion (rows truth 0-9, columns predicted 0-9):")
    lines += ["  " + " ".join(f"{v:5d}" for v in row) for row in r.confusion]
    return "\n".join(lines)
