"""The lattice's second look on the string reader's cuts (formocr.read.recut)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import pytest

import formocr.api as api
from formocr.config import ScanConfig
from formocr.layout.digits import strokes_crossed
from formocr.read.lattice import LatticeDigit, LatticeReading
from formocr.read.recut import ONE_MORE_ONE, cut_columns, cut_seams, recut, second_look
from formocr.types import PageImage, StringInk
from training.synth.forms import touching_box


def test_cut_columns_fall_between_the_digits() -> None:
    mask = np.zeros((20, 70), np.uint8)
    for x0 in (10, 30, 50):
        mask[2:18, x0 : x0 + 10] = 1
    bounds = cut_columns(mask, [(13, 16), (33, 36), (53, 56)], reach=5)
    assert bounds[0] == 8 and bounds[-1] == 61
    assert 20 <= bounds[1] < 30 and 40 <= bounds[2] < 50
    # Between equals (every column of the gap is paper), the one nearest the middle.
    assert bounds[1] in (24, 25)


def test_seams_slip_between_digits_that_lean_over_each_other() -> None:
    """Two strokes leaning the same way, each reaching over the other's
    columns: every straight cut between them crosses ink; the seam crosses
    none, and each piece between the seams holds one stroke whole."""
    h = 40
    strokes = []
    for top in (30, 45):  # each stroke 20 columns from top to foot
        stroke = np.zeros((h, 60), np.uint8)
        for r in range(h):
            c = int(round(top - 20 * r / (h - 1)))
            stroke[r, c - 1 : c + 2] = 1
        strokes.append(stroke)
    mask = strokes[0] | strokes[1]
    spans = [(18, 22), (33, 37)]
    bounds = cut_columns(mask, spans, reach=12)
    assert mask[:, bounds[1]].any()  # the straight cut slices a stroke
    seams = cut_seams(mask, spans, bounds)
    rows = np.arange(h)
    assert strokes_crossed(mask[rows, seams[1]]) == 0
    cols = np.arange(mask.shape[1])[None, :]
    for a, b, stroke in zip(seams[:-1], seams[1:], strokes, strict=True):
        piece = mask * ((cols >= a[:, None]) & (cols < b[:, None]))
        assert np.array_equal(piece, stroke)
    # Each seam is at or right of the one before, in every row.
    assert all((b >= a).all() for a, b in zip(seams[:-1], seams[1:], strict=True))


def test_strokes_crossed_counts_runs_of_ink() -> None:
    assert strokes_crossed(np.array([0, 1, 1, 0, 1, 0, 0, 1], np.uint8)) == 3
    assert strokes_crossed(np.zeros(5, np.uint8)) == 0


class _ByWidth:
    """A fake digit classifier: a narrow crop is a 1, a wide one a 0."""

    def log_probs(self, images: list[np.ndarray]) -> np.ndarray:
        out = np.full((len(images), 10), math.log(0.01 / 9))
        for i, img in enumerate(images):
            ys, xs = np.nonzero(img < 128)
            narrow = xs.max() - xs.min() < 0.4 * (ys.max() - ys.min())
            out[i, 1 if narrow else 0] = math.log(0.99)
        return out


def _line() -> StringInk:
    """A box's line with a 1 and a 0 written apart."""
    line = np.full((60, 120), 255, np.uint8)
    cv2.line(line, (22, 10), (20, 50), 0, 5)
    cv2.ellipse(line, (70, 30), (14, 20), 0, 0, 360, 0, 5)
    return StringInk((), (), (), 41.0, line, 30.0)


def test_recut_reads_one_piece_per_frame_by_the_lattices_rules() -> None:
    ink = _line()
    reading = recut(ink, [(18, 24), (66, 74)], "10", _ByWidth())
    assert reading is not None
    assert reading.text == "10"
    assert [d.value for d in reading.digits] == ["1", "0"]
    assert all(d.confidence == pytest.approx(0.99) for d in reading.digits)
    # Two digits (2 nats each) sure at 0.99, apart (no cut through ink), in shape.
    assert reading.score == pytest.approx(2 * (math.log(0.99) - 2.0), abs=0.05)
    # A text the pieces do not spell scores lower.
    other = recut(ink, [(18, 24), (66, 74)], "17", _ByWidth())
    assert other is not None and other.score < reading.score - 5


def test_recut_leaves_the_marks_out_of_its_pieces() -> None:
    """A separator the layout set apart is a mark, not part of the digit
    whose piece it falls in (a comma beside a 1 made it a wide piece, read
    as a 0 here; on amounts the verifier doubted such pieces)."""
    clean = _line()
    assert clean.line is not None
    line = clean.line.copy()
    cv2.line(line, (42, 44), (39, 56), 0, 4)  # a comma after the 1, below its foot
    comma = (line < 128) & (clean.line >= 128)
    marked = StringInk((), (), (), 41.0, line, 30.0, line_marks=comma)
    unmarked = StringInk((), (), (), 41.0, line, 30.0)
    spans = [(18, 24), (66, 74)]
    want = recut(clean, spans, "10", _ByWidth())
    got = recut(marked, spans, "10", _ByWidth())
    assert want is not None and got is not None
    assert got.score == pytest.approx(want.score)
    blind = recut(unmarked, spans, "10", _ByWidth())
    assert blind is not None and blind.score < want.score - 5


def test_recut_declines_what_it_cannot_cut() -> None:
    ink = _line()
    assert recut(ink, [(18, 24)], "10", _ByWidth()) is None  # a span per digit
    # A frame with no ink between the 1 and the 0: a piece without ink.
    assert recut(ink, [(18, 24), (38, 42), (66, 74)], "100", _ByWidth()) is None
    no_line = StringInk((), (), (), 41.0, None, 30.0)
    assert recut(no_line, [(18, 24), (66, 74)], "10", _ByWidth()) is None


class _Verifier:
    """A fake verifier: doubts the pieces at the given places."""

    def __init__(self, doubted: set[int]) -> None:
        self.doubted = doubted

    def not_digit(self, x: np.ndarray, geometry: np.ndarray) -> np.ndarray:
        return np.array([0.9 if i in self.doubted else 0.1 for i in range(len(x))])


class _Doubting(_ByWidth):
    def __init__(self, doubted: set[int]) -> None:
        self.verifier = _Verifier(doubted)


def test_recut_declines_a_doubted_piece_read_as_a_1_or_cut_out_of_paper() -> None:
    """A piece the verifier doubts may hold two 1s where it is read as a 1,
    and where it was cut out of paper on both sides its own ink is in doubt
    (a digit so broken that both readers misread it). A piece cut through
    ink may owe the doubt to a scrap of its neighbour: its reading stands,
    at the verifier's cost."""
    ink, spans = _line(), [(18, 24), (66, 74)]  # a 1 and a 0 apart
    assert recut(ink, spans, "10", _Doubting(set())) is not None
    assert recut(ink, spans, "10", _Doubting({0})) is None  # the 1
    assert recut(ink, spans, "10", _Doubting({1})) is None  # the 0, cut out of paper
    # Two 0s joined by a stroke: every cut between them goes through ink.
    line = np.full((60, 120), 255, np.uint8)
    for cx in (30, 80):
        cv2.ellipse(line, (cx, 30), (14, 20), 0, 0, 360, 0, 5)
    zeros = [(26, 34), (76, 84)]
    apart = StringInk((), (), (), 41.0, line.copy(), 30.0)
    assert recut(apart, zeros, "00", _Doubting({1})) is None
    cv2.line(line, (40, 44), (70, 44), 0, 5)
    joined = StringInk((), (), (), 41.0, line, 30.0)
    trusted = recut(joined, zeros, "00", _Doubting(set()))
    doubted = recut(joined, zeros, "00", _Doubting({1}))
    assert trusted is not None and doubted is not None
    assert doubted.score < trusted.score


@dataclass
class _Reading:
    text: str
    confidence: float
    spans: tuple[tuple[int, int], ...]


class _Reader:
    """A fake string reader: log p of a text is looked up, else very low."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores

    def read(self, images: Any) -> list[Any]:
        raise NotImplementedError

    def rescore(self, reading: Any, text: str) -> float:
        return self.scores.get(text, -50.0)


def _lattice(text: str, score: float) -> LatticeReading:
    digits = tuple(LatticeDigit(c, 0.5, i, i + 1, None, ((c, 0.5),)) for i, c in enumerate(text))
    return LatticeReading(text, digits, score, score)


def test_second_look_takes_the_recut_only_where_it_scores_better() -> None:
    ink, clf = _line(), _ByWidth()
    reading = _Reading("10", 0.9, ((18, 24), (66, 74)))
    reader = _Reader({})
    assert second_look(ink, _lattice("17", -30.0), reading, reader, clf).text == "10"
    # The lattice's own reading scores better: it stays.
    assert second_look(ink, _lattice("17", -1.0), reading, reader, clf).text == "17"
    # The readers agree already.
    same = _lattice("10", -30.0)
    assert second_look(ink, same, reading, reader, clf) is same


def test_second_look_never_where_a_1_may_be_missing() -> None:
    ink, clf = _line(), _ByWidth()
    reading = _Reading("10", 0.9, ((18, 24), (66, 74)))
    own = math.log(0.9)
    # The string reader finds "110" nearly as likely as "10": both may have
    # left out a 1 written close to the other.
    close = _Reader({"110": own + ONE_MORE_ONE + 0.5})
    assert second_look(ink, _lattice("17", -30.0), reading, close, clf).text == "17"
    far = _Reader({"110": own + ONE_MORE_ONE - 0.5})
    assert second_look(ink, _lattice("17", -30.0), reading, far, clf).text == "10"
    # The lattice read two digits fewer than the string reader (a cluster
    # read as far fewer digits may hold yet another): never.
    assert second_look(ink, _lattice("", -90.0), reading, far, clf).text == ""
    assert second_look(ink, _lattice("7", -90.0), reading, far, clf).text == "10"
    # The string reader read fewer digits than the lattice: never.
    assert second_look(ink, _lattice("170", -90.0), reading, far, clf).text == "170"


@pytest.fixture(scope="module")
def classifier() -> api.Classifier:
    return api.load_classifier()


def _field(image: np.ndarray, classifier: api.Classifier, second_look: bool = True) -> Any:
    config = ScanConfig(second_look=second_look)
    (field,) = api.scan_page(PageImage("t", 1, image, 300.0), config, classifier).fields
    return field


@pytest.mark.parametrize("seed", [153, 186])
def test_touching_digits_the_lattice_cut_wrong_are_read_by_both(
    seed: int, classifier: api.Classifier
) -> None:
    """Touching strings the readers read differently (the field asked);
    read again on the string reader's cuts, the lattice agrees with it, and
    the field needs no person."""
    image, value = touching_box(seed)
    before = _field(image, classifier, second_look=False)
    assert before.status == "review" and before.alternatives, before
    after = _field(image, classifier)
    assert after.value == value and after.status == "ok", after
    # Each digit has its own box on the page, left to right inside the field's.
    xs = [d.bbox.x for d in after.digits]
    assert xs == sorted(xs) and len(set(xs)) == len(xs), after.digits
    fx, fy, fw, fh = after.bbox
    for d in after.digits:
        x, y, w, h = d.bbox
        assert fx <= x and x + w <= fx + fw and fy <= y and y + h <= fy + fh, (d, after.bbox)


def test_a_1_written_over_its_neighbour_still_asks(classifier: api.Classifier) -> None:
    """`8167` with the 1 drawn through the 8: the string reader reads `867`,
    and the lattice on its cuts would too, but `8167` is nearly as likely to
    the string reader: the field still asks."""
    image, value = touching_box(24)
    assert value == "8167"
    field = _field(image, classifier)
    assert field.status == "review", field
