"""formocr.read.lattice: the best path through hand-built lattices, and digit
strings drawn where the width rule over-segments, read by recognition."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formocr.read.lattice import (
    Hypothesis,
    Lattice,
    class_log_probs,
    shape_cost,
)
from formocr.types import Prediction


def lp(probs: dict[int, float], classes: int = 10) -> np.ndarray:
    """A log-probability row: the given classes, the rest shared evenly."""
    row = np.zeros(classes)
    for k, v in probs.items():
        row[k] = v
    rest = 1.0 - row.sum()
    free = row == 0
    row[free] = rest / free.sum()
    return np.log(row)


# -- dynamic programming on hand-built lattices ---------------------------------------


def test_best_path_takes_the_whole_digit_over_two_confident_halves() -> None:
    """A 0 cut in two: each half alone reads as a 1 at 0.9, the whole as a 0
    at 0.99. Two digits pay two digit costs and the cut through ink."""
    hyps = [
        Hypothesis(0, 1, lp({1: 0.9})),
        Hypothesis(1, 2, lp({1: 0.9})),
        Hypothesis(0, 2, lp({0: 0.99})),
    ]
    best = Lattice(2, hyps, cut_costs=[0.0, 0.8]).best()
    assert best.text == "0"
    assert [(d.start, d.end) for d in best.digits] == [(0, 2)]
    assert best.digits[0].confidence == pytest.approx(0.99)


def test_best_path_splits_a_touching_pair_the_classifier_reads() -> None:
    """Two touching digits: the pair is too wide for one digit (shape cost),
    each half is read confidently."""
    hyps = [
        Hypothesis(0, 1, lp({5: 0.99})),
        Hypothesis(1, 2, lp({4: 0.98})),
        Hypothesis(0, 2, lp({8: 0.7}), cost=shape_cost(120, 60, 60)),
    ]
    best = Lattice(2, hyps, cut_costs=[0.0, 0.4], digit_cost=0.5).best()
    assert best.text == "54"


def test_not_a_digit_class_takes_a_fragment_out_of_every_digit() -> None:
    """With an 11th class, a fragment that calls itself "not a digit" is
    worth little as any digit, so the path reads the whole."""
    frag = lp({1: 0.3, 10: 0.69}, classes=11)
    hyps = [
        Hypothesis(0, 1, frag),
        Hypothesis(1, 2, frag),
        Hypothesis(0, 2, lp({0: 0.95}, classes=11)),
    ]
    best = Lattice(2, hyps).best()
    assert best.text == "0"


def test_a_stray_stroke_is_skipped_when_cheap() -> None:
    hyps = [
        Hypothesis(0, 1, lp({7: 0.99})),
        Hypothesis(1, 2, lp({1: 0.2})),  # a short flick, nothing like a digit
        Hypothesis(2, 3, lp({3: 0.99})),
    ]
    lattice = Lattice(3, hyps, skip_costs=[8.0, 0.5, 8.0])
    assert lattice.best().text == "73"
    # The same flick that cannot be left out is read.
    assert Lattice(3, hyps).best().text == "713"


def test_score_and_spell_follow_the_constrained_path() -> None:
    hyps = [
        Hypothesis(0, 1, lp({1: 0.55, 7: 0.4})),
        Hypothesis(1, 2, lp({2: 0.9})),
        Hypothesis(0, 2, lp({4: 0.3})),
    ]
    lattice = Lattice(2, hyps, digit_cost=0.5)
    best = lattice.best()
    assert best.text == "12"
    assert best.score == pytest.approx(math.log(0.55) + math.log(0.9) - 2 * lattice.digit_cost)
    assert lattice.score("72") == pytest.approx(
        math.log(0.4) + math.log(0.9) - 2 * lattice.digit_cost
    )
    assert lattice.score("4") == pytest.approx(math.log(0.3) - lattice.digit_cost)
    assert lattice.score("12") == pytest.approx(best.score)
    # No path spells three digits over two primitives, nor letters.
    assert lattice.score("123") == -math.inf
    assert lattice.score("1a") == -math.inf
    spelt = lattice.spell("72")
    assert spelt is not None and [d.value for d in spelt.digits] == ["7", "2"]
    assert spelt.digits[0].confidence == pytest.approx(0.4)


def test_posterior_is_the_best_paths_share_of_all_paths() -> None:
    """One primitive, one hypothesis: the paths are its ten digits, so the
    posterior is the top digit's probability."""
    lattice = Lattice(1, [Hypothesis(0, 1, lp({3: 0.8}))])
    best = lattice.best()
    assert best.posterior == pytest.approx(0.8)
    # An alternative segmentation with equal mass halves it.
    hyps = [Hypothesis(0, 1, lp({3: 0.8})), Hypothesis(0, 1, lp({3: 0.8}))]
    assert Lattice(1, hyps).best().posterior == pytest.approx(0.4)


def test_empty_lattice_reads_nothing() -> None:
    best = Lattice(0, []).best()
    assert best.text == "" and best.digits == () and best.confidence == 0.0


def test_bad_hypotheses_are_refused() -> None:
    with pytest.raises(ValueError):
        Hypothesis(1, 1, lp({0: 0.9}))
    with pytest.raises(ValueError):
        Hypothesis(0, 1, np.zeros(9))
    with pytest.raises(ValueError):
        Lattice(1, [Hypothesis(0, 2, lp({0: 0.9}))])


def test_shape_cost() -> None:
    assert shape_cost(40, 60, 60) == 0.0
    # A piece a third of the digits' height, and a blob twice a digit wide.
    assert shape_cost(20, 20, 60) > 4.0
    assert shape_cost(120, 60, 60) > 10.0
    # Against this string's narrow digits, a pair is too wide even under the cap.
    assert shape_cost(50, 60, 60, digit_w=25) > shape_cost(50, 60, 60) == 0.0


def test_class_log_probs_from_a_classifier_that_only_classifies() -> None:
    class Fake:
        def classify(self, images: list[np.ndarray]) -> list[Prediction]:
            return [Prediction(3, 0.7, ((3, 0.7), (5, 0.2), (8, 0.05)))] * len(images)

    rows = class_log_probs(Fake(), [np.zeros((5, 5), np.uint8)] * 2)
    assert rows.shape == (2, 10)
    p = np.exp(rows[0])
    assert p.sum() == pytest.approx(1.0)
    assert p[3] == pytest.approx(0.7) and p[5] == pytest.approx(0.2)
    assert class_log_probs(Fake(), []).shape == (0, 10)


def test_class_log_probs_prefers_the_classifiers_own() -> None:
    class Eleven:
        def log_probs(self, images: list[np.ndarray]) -> np.ndarray:
            return np.tile(lp({10: 0.9}, classes=11), (len(images), 1))

    rows = class_log_probs(Eleven(), [np.zeros((5, 5), np.uint8)])
    assert rows.shape == (1, 11) and np.exp(rows[0, 10]) == pytest.approx(0.9)
