"""formocr.read.lattice: the best path through hand-built lattices, and digit
strings drawn where the width rule over-segments, read by recognition."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import cv2
import numpy as np
import pytest

from formocr.api import Classifier, scan_page
from formocr.config import ScanConfig
from formocr.errors import ModelError
from formocr.layout.digits import (
    CUT_NATS,
    TWO_ONES_TALL,
    Blob,
    _over_segment,
    count_holes,
    side_by_side,
)
from formocr.read.lattice import (
    WIDE_SURE,
    Hypothesis,
    Lattice,
    class_log_probs,
    shape_cost,
    shape_costs,
)
from formocr.types import FieldResult, PageImage, Prediction


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


def test_a_wide_zero_is_not_read_as_a_six_with_its_side_left_out() -> None:
    """A round amount's 0, 77 x 75 px in a string whose digits are 69 px
    tall and typically 43 px wide (development cheque 168, `500000` read
    `566666`): its left two thirds read 6 at 0.998, and leaving out its
    right side cost less than the width held against a whole 0. A 0 may
    be as wide as MNIST's training zeros are written."""
    zero, six = lp({0: 0.9999}), lp({6: 0.998})
    narrow = shape_cost(77, 75, 69, 42.78)
    hyps = [
        Hypothesis(0, 1, six, cost=shape_cost(59, 72, 69, 42.78)),
        Hypothesis(0, 2, zero, cost=narrow),
    ]
    before = Lattice(2, hyps, cut_costs=[0.0, 8.0], skip_costs=[7.2, 7.0]).best()
    assert before.text == "6"  # one bound for all digits
    hyps[1] = Hypothesis(0, 2, zero, cost=shape_costs(77, 75, 69, 42.78, holes=1, log_probs=zero))
    assert hyps[1].scores()[0] > np.log(0.9999) - narrow
    now = Lattice(2, hyps, cut_costs=[0.0, 8.0], skip_costs=[7.2, 7.0]).best()
    assert now.text == "0" and [(d.start, d.end) for d in now.digits] == [(0, 2)]


def test_only_a_sure_digit_with_its_own_loops_may_be_wide() -> None:
    """Two zeros touching (two loops side by side) are no wide 0, and a
    pair the classifier is unsure of is held to the one bound."""
    w, h, dh, dw = 90.0, 80.0, 80.0, 50.0
    base = shape_cost(w, h, dh, dw)
    assert base > 0
    sure0 = lp({0: 0.999})
    one_loop = shape_costs(w, h, dh, dw, holes=1, log_probs=sure0)
    assert one_loop[0] < base
    assert (one_loop[1:] == base).all()  # no other digit is read sure
    assert (shape_costs(w, h, dh, dw, holes=2, log_probs=sure0) == base).all()
    unsure = lp({0: WIDE_SURE - 0.05})
    assert (shape_costs(w, h, dh, dw, holes=1, log_probs=unsure) == base).all()
    assert (shape_costs(w, h, dh, dw, holes=-1, log_probs=sure0) == base).all()
    assert (shape_costs(w, h, dh, dw) == base).all()
    # An 8 has two loops; a 1 is never wider than the bound.
    sure8 = lp({8: 0.999})
    assert shape_costs(w, h, dh, dw, holes=2, log_probs=sure8)[8] < base
    sure1 = lp({1: 0.999})
    assert shape_costs(w, h, dh, dw, holes=0, log_probs=sure1)[1] == base
    with pytest.raises(ValueError):
        Hypothesis(0, 1, sure0, cost=np.zeros(3))


def test_count_holes() -> None:
    ring = np.zeros((60, 50), np.uint8)
    cv2.ellipse(ring, (25, 30), (20, 25), 0, 0, 360, 1, 5)
    assert count_holes(ring, 30) == 1
    pair = np.hstack([ring, ring])
    assert count_holes(pair, 30) == 2
    opened = ring.copy()
    opened[:15, :] = 0  # a U: no loop
    assert count_holes(opened, 30) == 0
    speck = np.ones((30, 30), np.uint8)
    speck[14:16, 14:16] = 0  # a pinhole in a blot
    assert count_holes(speck, 30) == 0 and count_holes(speck, 1) == 1
    assert count_holes(np.zeros((5, 5), np.uint8), 1) == 0


def _strokes(gap_top: int, gap_bottom: int, h: int = 90, pen: int = 8) -> np.ndarray:
    """Two slanted strokes side by side (two 1s written close), ``gap_*``
    px of paper between them at their top and foot (0 or less: touching)."""
    mask = np.zeros((h, 60), np.uint8)
    cv2.line(mask, (14, 4), (8, h - 5), 1, pen)
    cv2.line(mask, (14 + pen + gap_top, 4), (8 + pen + gap_bottom, h - 5), 1, pen)
    x0, _, w, _ = cv2.boundingRect(mask)
    return np.ascontiguousarray(mask[:, x0 : x0 + w])


def test_side_by_side() -> None:
    """The share of rows crossing two strokes: none for a 1, most for two
    1s touching at one end, none for paper the ink encloses."""
    one = np.zeros((90, 30), np.uint8)
    cv2.line(one, (18, 4), (10, 85), 1, 8)
    assert side_by_side(one) == 0.0
    assert side_by_side(_strokes(0, 10)) > 0.6  # touching at the top
    assert side_by_side(_strokes(3, 3)) == 1.0  # apart all along
    ring = np.zeros((90, 50), np.uint8)
    cv2.ellipse(ring, (25, 45), (20, 40), 0, 0, 360, 1, 6)
    assert side_by_side(ring) == 0.0  # a 0's loop does not part its strokes
    blot = np.ones((90, 20), np.uint8)
    blot[30:40, 8:12] = 0  # specks of paper in a broad marker's 1
    assert side_by_side(blot) == 0.0
    assert side_by_side(np.zeros((5, 5), np.uint8)) == 0.0
    # Ink a pixel or two wide (a cheque cut tight round a 1), or none at all.
    for shape in ((40, 1), (40, 2), (1, 1), (0, 5), (5, 0)):
        assert side_by_side(np.ones(shape, np.uint8)) == 0.0


def test_two_ones_written_close_are_cut_apart() -> None:
    """Ink narrower than any cut is made for (two 1s written close enough
    to touch: one blob, or two strokes grouped as one) is cut once between
    the strokes, each piece its full height. A 4's arm beside its stem, a
    narrow 0 and a lone 1 are left whole, and so is a pair merged along its
    foot (no path there leaves each stroke whole)."""
    dh, pen = 90.0, 8.0

    def pieces(mask: np.ndarray) -> list[tuple[int, int, float]]:
        parts = _over_segment(Blob(0, 0, mask), dh, 60.0, pen, 0.6, cut_from=70.0)
        return [(int(p.mask.sum()), p.h, c) for p, c in parts]

    for mask in (_strokes(0, 10), _strokes(0, 6), _strokes(12, 2), _strokes(3, 3)):
        cut = pieces(mask)
        assert len(cut) == 2, cut
        # Each a stroke: most of the height, a third of the ink or more.
        assert all(h >= TWO_ONES_TALL * mask.shape[0] and ink > mask.sum() / 3 for ink, h, _ in cut)
        assert cut[1][2] < 2 * CUT_NATS  # one stroke crossed at most
    four = np.zeros((90, 50), np.uint8)
    cv2.line(four, (10, 4), (6, 55), 1, 8)  # the arm, half the height
    cv2.line(four, (6, 55), (46, 55), 1, 8)
    cv2.line(four, (36, 4), (34, 86), 1, 8)  # the stem
    four = four[:, cv2.boundingRect(four)[0] :]
    assert side_by_side(four) > 0.2
    ring = np.zeros((90, 40), np.uint8)
    cv2.ellipse(ring, (20, 45), (16, 40), 0, 0, 360, 1, 6)
    one = np.zeros((90, 24), np.uint8)
    cv2.line(one, (16, 4), (8, 85), 1, 8)
    for mask in (four, ring, one, _strokes(10, 0)):
        assert len(pieces(mask)) == 1


def test_two_strokes_side_by_side_are_a_dear_1() -> None:
    """Read as a 1, ink whose rows cross two strokes pays (two 1s taken as
    one); no other digit does."""
    sure1 = lp({1: 0.999})
    base = shape_costs(40, 90, 90, 60, holes=0, log_probs=sure1)
    pair = shape_costs(40, 90, 90, 60, holes=0, log_probs=sure1, side_by_side=0.6)
    assert pair[1] > base[1] + 10.0
    assert (np.delete(pair, 1) == np.delete(base, 1)).all()
    assert (shape_costs(40, 90, 90, 60, side_by_side=0.1) == shape_costs(40, 90, 90, 60)).all()


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


# -- strings drawn where the width rule over-segments, read end to end ----------------
#
# Pen strokes drawn with OpenCV at 300 dpi in a 70 x 12 mm box, digits about
# 7.5 mm tall, a 5 px pen. The width rule cuts each of these strings wrong
# (measured: "1671" for the wide 0, "1021" for joined zeros, 31 digits for
# "1500" and its dash, "11850" for the patterned box); the lattice, with the
# shipped model, reads them.

DPI = 300
PEN = 5


def _mm(v: float) -> int:
    return int(round(v / 25.4 * DPI))


Stroke = Callable[[np.ndarray, int, int, int], int]


def _page(strokes: Sequence[Stroke]) -> np.ndarray:
    """A page with one string box; each stroke function draws a digit (or a
    mark) at x and returns where the next one starts."""
    page = np.full((_mm(30), _mm(90)), 255, np.uint8)
    x0, y0, w, h = _mm(10), _mm(9), _mm(70), _mm(12)
    cv2.rectangle(page, (x0, y0), (x0 + w, y0 + h), 0, 3)
    dh = int(h * 0.62)
    x, top = x0 + _mm(5), y0 + (h - dh) // 2
    for draw in strokes:
        x = draw(page, x, top, dh)
    return page


def _zero(width: float = 0.6) -> Stroke:
    def draw(p: np.ndarray, x: int, top: int, dh: int) -> int:
        w = int(width * dh)
        cv2.ellipse(p, (x + w // 2, top + dh // 2), (w // 2, dh // 2), 0, 0, 360, 0, PEN, AA)
        return x + w + int(0.15 * dh)

    return draw


def _one(p: np.ndarray, x: int, top: int, dh: int) -> int:
    cv2.line(p, (x + 10, top), (x + 6, top + dh), 0, PEN, AA)
    return x + int(0.45 * dh)


def _five_lifted_bar(p: np.ndarray, x: int, top: int, dh: int) -> int:
    w = int(0.6 * dh)
    cv2.line(p, (x + 4, top + int(0.12 * dh)), (x + 2, top + int(0.5 * dh)), 0, PEN, AA)
    centre, axes = (x + w // 2, top + int(0.7 * dh)), (w // 2, int(0.3 * dh))
    cv2.ellipse(p, centre, axes, 0, -150, 140, 0, PEN, AA)
    cv2.line(p, (x + 8, top - int(0.04 * dh)), (x + w + 4, top - int(0.1 * dh)), 0, PEN, AA)
    return x + w + int(0.2 * dh)


def _two_with_loop(p: np.ndarray, x: int, top: int, dh: int) -> int:
    w = int(0.65 * dh)
    centre, axes = (x + w // 2, top + int(0.28 * dh)), (w // 2, int(0.28 * dh))
    cv2.ellipse(p, centre, axes, 0, 180, 380, 0, PEN, AA)
    cv2.line(
        p, (x + w - 2, top + int(0.38 * dh)), (x + int(0.12 * w), top + int(0.88 * dh)), 0, PEN, AA
    )
    cv2.circle(p, (x + int(0.2 * w), top + int(0.86 * dh)), int(0.12 * dh), 0, PEN, AA)
    end = (x + w + int(0.15 * dh), top + dh - 4)
    cv2.line(p, (x + int(0.25 * w), top + dh - 2), end, 0, PEN, AA)
    return x + w + int(0.3 * dh)


def _joined_zeros(p: np.ndarray, x: int, top: int, dh: int) -> int:
    """Two zeros in one stroke: the pen runs on from the first into the second."""
    w, gap = int(0.55 * dh), int(0.12 * dh)
    for k in range(2):
        centre = (x + w // 2 + k * (w + gap), top + dh // 2)
        cv2.ellipse(p, centre, (w // 2, dh // 2), 0, 0, 360, 0, PEN, AA)
    cv2.line(
        p, (x + w - 2, top + int(0.35 * dh)), (x + w + gap + int(0.3 * w), top + 3), 0, PEN, AA
    )
    return x + 2 * w + gap + int(0.15 * dh)


def _ones_close(top_gap: int, foot_gap: int) -> Stroke:
    """Two 1s written close: their strokes ``top_gap`` and ``foot_gap`` px
    apart (centre to centre) at the top and the foot."""

    def draw(p: np.ndarray, x: int, top: int, dh: int) -> int:
        cv2.line(p, (x + 10, top), (x + 4, top + dh), 0, PEN, AA)
        cv2.line(p, (x + 10 + top_gap, top), (x + 4 + foot_gap, top + dh), 0, PEN, AA)
        return x + foot_gap + int(0.45 * dh)

    return draw


def _dash(p: np.ndarray, x: int, top: int, dh: int) -> int:
    cv2.line(p, (x + 5, top + dh // 2), (x + int(1.6 * dh), top + dh // 2), 0, PEN, AA)
    return x + int(1.7 * dh)


AA = cv2.LINE_AA


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    from formocr.api import load_classifier

    try:
        return load_classifier()
    except ModelError as e:  # pragma: no cover - the model ships with the package
        pytest.fail(f"the shipped model does not load: {e}")


def _read(page: np.ndarray, classifier: Classifier, mode: str = "lattice") -> FieldResult:
    result = scan_page(PageImage("t", 1, page, DPI), ScanConfig(string_reader=mode), classifier)
    (field,) = result.fields
    return field


@pytest.mark.parametrize(
    ("strokes", "value"),
    [
        ((_one, _zero(0.95), _one), "101"),  # a wide 0
        ((_one, _two_with_loop, _one), "121"),
        ((_zero(), _five_lifted_bar, _zero()), "050"),
        ((_one, _joined_zeros, _one), "1001"),
        ((_two_with_loop, _joined_zeros, _joined_zeros), "20000"),
        ((_one, _five_lifted_bar, _zero(), _zero(), _dash), "1500"),  # a trailing dash
        # Round amounts of zeros wider than tall, as MNIST's wider writers
        # write them (the code before read "1606", "566" and "26666").
        ((_one, _zero(1.1), _zero(1.1), _zero(1.1)), "1000"),
        ((_five_lifted_bar, _zero(1.2), _zero(1.2)), "500"),
        ((_two_with_loop, _zero(1.2), _zero(1.2), _zero(1.2), _zero(1.2)), "20000"),
    ],
    ids=[
        "wide-0",
        "2-with-loop",
        "5-lifted-bar",
        "joined-zeros",
        "20000",
        "trailing-dash",
        "1000-wide-zeros",
        "500-wide-zeros",
        "20000-wide-zeros",
    ],
)
def test_lattice_reads_what_the_width_rule_cuts(
    strokes: Sequence[Stroke], value: str, classifier: Classifier
) -> None:
    field = _read(_page(strokes), classifier)
    assert field.value == value, field


def test_printed_background_and_baseline_are_not_ink(classifier: Classifier) -> None:
    """A hairline pattern as dark as the pen across the box, and a rule
    under the digits: the cleaned box reads right."""
    page = _page((_one, _zero(), _five_lifted_bar, _zero()))
    x0, y0, w, h = _mm(10), _mm(9), _mm(70), _mm(12)
    hatch = page.copy()
    for k in range(-h, w, 14):
        cv2.line(hatch, (x0 + k, y0 + h), (x0 + k + h, y0), 40, 1)
    page = np.minimum(page, hatch)
    cv2.line(page, (x0 + 8, y0 + int(0.81 * h)), (x0 + w - 8, y0 + int(0.81 * h)), 40, 3)
    assert _read(page, classifier).value == "1050"


@pytest.mark.parametrize(
    ("strokes", "value"),
    [
        ((_zero(), _ones_close(11, 11), _zero()), "0110"),
        ((_five_lifted_bar, _ones_close(11, 11)), "511"),
        ((_ones_close(6, 20), _five_lifted_bar, _zero()), "1150"),
    ],
    ids=["0110", "511", "1150-touching-at-the-top"],
)
def test_two_ones_written_close_are_both_read(
    strokes: Sequence[Stroke], value: str, classifier: Classifier
) -> None:
    """Two 1s a few pixels apart, grouped as one blob narrower than a digit:
    the lattice read them as one 1 (`010`, `51`, `150`); now it cuts
    between them and reads both. With the string reader, which reads them
    as one 1, the field goes to review."""
    assert _read(_page(strokes), classifier).value == value
    combined = _read(_page(strokes), classifier, "combined")
    assert combined.value == value or combined.status == "review", combined


@pytest.mark.parametrize("width", [1.1, 1.2])
def test_a_round_amount_of_wide_zeros_may_be_ok(width: float, classifier: Classifier) -> None:
    """Both readers read `1000` written with zeros wider than tall, so the
    field needs no person (before, the lattice read `1606` or `1666`, and
    the field went to review)."""
    field = _read(_page((_one, _zero(width), _zero(width), _zero(width))), classifier, "combined")
    assert field.value == "1000" and field.status == "ok", field
    assert not field.alternatives


@pytest.mark.parametrize(
    ("strokes", "value"),
    [
        ((_one, _joined_zeros, _one), "1001"),
        ((_two_with_loop, _joined_zeros, _joined_zeros), "20000"),
    ],
    ids=["joined-zeros", "20000"],
)
def test_joined_zeros_combined_with_the_string_reader(
    strokes: Sequence[Stroke], value: str, classifier: Classifier
) -> None:
    """Zeros joined in one stroke, read with the string reader too: right."""
    assert getattr(classifier, "string_reader", None) is not None, "strings.onnx ships"
    field = _read(_page(strokes), classifier, "combined")
    assert field.value == value, field
    if field.alternatives:
        assert field.status == "review"
