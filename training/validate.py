"""Score an exported digit model on the validation writers and the headline sets.

``python -m training.validate MODEL.onnx [TEACHER.onnx]`` prints JSON to
stdout: accuracy on MNIST's validation writers (``training.splits``; overall,
per writer worst first), with an 11-class model the share of their digits
called "not a digit" and the "not a digit" recall on the validation
negatives (vetted by TEACHER, as training vets them), and
``training.evaluate.held_out`` (MNIST test per writer, optdigits' held-out
third per block). A digit is read as ``classify`` reads it: the best of 0-9.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from formocr.read.classify import DigitClassifier
from formocr.read.normalize import normalize_batch
from training.data import load_mnist
from training.evaluate import held_out, per_group
from training.splits import mnist_split
from training.train import validation_negatives

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
OPTDIGITS = MNIST.parent / "optdigits" / "optdigits-orig.tra"


def validate(model: Path, teacher: Path | None = None) -> dict[str, Any]:
    clf = DigitClassifier(model)
    mnist = load_mnist("train", MNIST)
    sp = mnist_split()
    probs = clf.all_probabilities(normalize_batch(list(mnist.images[sp.val])))
    pred = probs[:, :10].argmax(1)
    truth = mnist.labels[sp.val]
    rows = per_group(truth, pred, sp.train_writers[sp.val])
    out: dict[str, Any] = {
        "model": str(model),
        "sha256": clf.sha256,
        "val_writers": len(rows),
        "val_digits": len(truth),
        "val_accuracy": float((pred == truth).mean()),
        "val_writer_worst": rows[:5],
        "val_writer_mean": float(np.mean([r["accuracy"] for r in rows])),
    }
    if probs.shape[1] == 11:
        out["val_called_not_digit"] = float((probs.argmax(1) == 10).mean())
        neg = validation_negatives(mnist.images[sp.val], str(teacher) if teacher else None)
        neg_pred = clf.all_probabilities(normalize_batch(list(neg))).argmax(1)
        out["val_negatives"] = len(neg)
        out["val_not_digit_recall"] = float((neg_pred == 10).mean())
    out["held_out"] = held_out(clf, MNIST, OPTDIGITS if OPTDIGITS.is_file() else None)
    return out


def main() -> None:
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python -m training.validate MODEL.onnx [TEACHER.onnx]")
    teacher = Path(sys.argv[2]) if len(sys.argv) == 3 else None
    print(json.dumps(validate(Path(sys.argv[1]), teacher), indent=1))


if __name__ == "__main__":
    main()
