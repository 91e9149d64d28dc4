"""training.evaluate: accuracy, per-class precision/recall/F1, confusion matrix.

Figures worked out by hand on small label vectors; ``evaluate`` is run
through a stand-in classifier, so no model or MNIST is needed.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from formocr.read.normalize import normalize_batch
from training.data import DigitSet
from training.evaluate import Report, evaluate, format_report, report


def test_report_by_hand() -> None:
    # Truth 0 0 0 1 1 2; predicted 0 0 1 1 1 0.
    truth = np.array([0, 0, 0, 1, 1, 2])
    pred = np.array([0, 0, 1, 1, 1, 0])
    r = report("toy", truth, pred)
    assert (r.name, r.n) == ("toy", 6)
    assert r.accuracy == pytest.approx(4 / 6)
    assert r.confusion[0][:3] == [2, 1, 0]  # rows: truth
    assert r.confusion[1][:3] == [0, 2, 0]
    assert r.confusion[2][:3] == [1, 0, 0]
    assert sum(map(sum, r.confusion)) == 6
    # 0: precision 2/3 (three predicted 0, two right), recall 2/3.
    # 1: precision 2/3, recall 1. 2: never predicted, never right: 0, 0.
    assert r.precision[:3] == [0.6667, 0.6667, 0.0]
    assert r.recall[:3] == [0.6667, 1.0, 0.0]
    assert r.f1[:3] == [0.6667, 0.8, 0.0]
    # Classes that never occur score 0, not NaN.
    assert r.precision[3:] == [0.0] * 7 and r.f1[3:] == [0.0] * 7


def test_report_of_nothing() -> None:
    r = report("empty", np.zeros(0, np.int64), np.zeros(0, np.int64))
    assert (r.n, r.accuracy) == (0, 0.0)
    assert r.confusion == [[0] * 10 for _ in range(10)]


def test_report_serialises_and_formats() -> None:
    r = report("set", np.arange(10), np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 0]))
    again = Report(**json.loads(json.dumps(r.to_dict())))
    assert again == r
    text = format_report(r)
    assert text.splitlines()[0] == "set: 10 digits, accuracy 90.0000%"
    # The confusion rows follow the per-class table: row 9 put its digit in column 0.
    rows = text.splitlines()[-10:]
    assert [int(v) for v in rows[9].split()] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert "  9    0.0000    0.0000  0.0000" in text


class _Scripted:
    """A stand-in for DigitClassifier: answers from a fixed table of probabilities."""

    def __init__(self, probs: np.ndarray) -> None:
        self.probs = probs
        self.seen: np.ndarray | None = None

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        self.seen = x
        return self.probs


def test_evaluate_normalises_through_the_runtime_and_scores_the_argmax() -> None:
    rng = np.random.default_rng(0)
    images = np.full((4, 30, 20), 255, np.uint8)
    for img in images:  # a dark bar of ink each
        x = int(rng.integers(3, 12))
        img[5:25, x : x + 4] = 0
    labels = np.array([3, 1, 4, 1])
    probs = np.full((4, 10), 0.01)
    probs[np.arange(4), [3, 1, 4, 7]] = 0.91  # the last one wrong
    clf = _Scripted(probs)
    r, got = evaluate(clf, DigitSet("bars", images, labels))  # type: ignore[arg-type]
    assert got is probs
    assert clf.seen is not None
    np.testing.assert_array_equal(clf.seen, normalize_batch(list(images)))
    assert (r.name, r.n, r.accuracy) == ("bars", 4, 0.75)
    assert r.confusion[1][7] == 1 and r.recall[1] == 0.5
