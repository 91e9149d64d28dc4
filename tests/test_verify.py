"""formocr.read.verify: the digit verifier beside the digit model, its card,
its geometry, what it tells the lattice, and the data it is trained on
(training.lattice_data). Nothing here needs ../shared: pages are written by
the project's own stroke generator."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from formocr.api import load_classifier
from formocr.errors import ModelError
from formocr.read import verify
from formocr.read.lattice import VERIFY_WEIGHT, Hypothesis, Lattice, lattice_of, verify_cost
from formocr.read.normalize import normalize_batch
from formocr.read.verify import GEOMETRY, DigitVerifier, geometry, load_verifier
from formocr.types import BBox, DigitCrop, Segment, StringInk
from training.lattice_data import COVERS, DIGIT_IOU, PIECE_IOU, label, page_candidates


@pytest.fixture(scope="module")
def verifier() -> DigitVerifier:
    v = load_verifier()
    assert v is not None, "verifier.onnx ships in the package"
    return v


def _ink(sizes: list[tuple[int, int, int, int]], digit_h: float = 100.0) -> StringInk:
    """A string's ink of segments (start, end, w, h), blank crops."""
    blank = np.full((10, 10), 255, np.uint8)
    segs = tuple(
        Segment(a, b, DigitCrop(BBox(0, 0, w, h), blank), (w, h), holes=1) for a, b, w, h in sizes
    )
    n = max(b for _, b, _, _ in sizes)
    return StringInk(segs, (0.0,) * n, (8.0,) * n, digit_h, None, 70.0)


def test_geometry_describes_each_candidate_on_its_string() -> None:
    g = geometry(_ink([(0, 1, 70, 100), (0, 2, 140, 100), (1, 2, 35, 50)]))
    assert g.shape == (3, len(GEOMETRY))
    np.testing.assert_allclose(g[0], [0.7, 1.0, 1.0, 1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(g[1], [1.4, 1.0, 2.0, 2.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(g[2], [0.7, 0.5, 0.5, 1.0, 1.0], rtol=1e-6)


def test_the_card_matches_the_shipped_file(verifier: DigitVerifier) -> None:
    card = json.loads(verify.MODEL.with_suffix(".json").read_text())
    assert card["sha256"] == verifier.sha256
    assert card["geometry"]["values"] == list(GEOMETRY)
    assert card["preprocess_version"] == "1"
    for k in ("digit", "piece", "pair"):
        assert k in card["metrics"]["validation_writers"]


def test_a_card_for_other_geometry_is_refused(tmp_path: Path) -> None:
    for f in ("verifier.onnx", "verifier.json"):
        shutil.copy(verify.MODEL.with_name(f), tmp_path / f)
    card_file = tmp_path / "verifier.json"
    card = json.loads(card_file.read_text())
    card["geometry_version"] = "0"
    card_file.write_text(json.dumps(card))
    with pytest.raises(ModelError, match="geometry version 0"):
        DigitVerifier(tmp_path / "verifier.onnx")


def test_no_shipped_verifier_reads_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify, "MODEL", tmp_path / "verifier.onnx")
    assert load_verifier() is None
    with pytest.raises(ModelError):
        load_verifier(tmp_path / "verifier.onnx")


def test_the_runtime_loads_the_verifier_beside_the_digit_model() -> None:
    readers = load_classifier()
    assert isinstance(readers.verifier, DigitVerifier)  # type: ignore[attr-defined]


def test_a_doubted_candidate_costs_a_digit_read_from_it() -> None:
    assert verify_cost(0.0) == 0.0
    assert verify_cost(0.5) == pytest.approx(VERIFY_WEIGHT * math.log(2))
    assert math.isfinite(verify_cost(1.0))


def test_the_verifier_tips_a_pair_read_as_one_digit_into_two() -> None:
    """Two touching digits: the digit model reads the pair as a 4 at 0.8 and
    each half at 0.9; the cut through ink costs more than that doubt. The
    verifier, sure the pair is no one digit, makes the two digits cheaper."""
    rows = [np.log(np.full(10, 0.1 / 9)) for _ in range(3)]
    for r, (d, p) in zip(rows, [(3, 0.9), (4, 0.9), (4, 0.8)], strict=True):
        r[d] = math.log(p)
    ink = StringInk(
        tuple(
            Segment(a, b, DigitCrop(BBox(0, 0, w, 100), np.zeros((2, 2), np.uint8)), (w, 100))
            for a, b, w in [(0, 1, 60), (1, 2, 60), (0, 2, 90)]
        ),
        (0.0, 5.0),
        (8.0, 8.0),
        100.0,
        None,
        70.0,
    )
    assert lattice_of(ink, np.array(rows)).best().text == "4"
    read = lattice_of(ink, np.array(rows), not_digit=np.array([0.05, 0.05, 0.999]))
    assert read.best().text == "34"
    with pytest.raises(ValueError, match="verifier values"):
        lattice_of(ink, np.array(rows), not_digit=np.array([0.1]))


def test_the_verifier_leaves_the_digits_confidence_alone() -> None:
    """A digit's confidence is the digit model's: the verifier only moves cuts."""
    h = Hypothesis(0, 1, np.log(np.r_[0.95, np.full(9, 0.05 / 9)]), cost=verify_cost(0.5))
    best = Lattice(1, [h]).best()
    assert best.digits[0].confidence == pytest.approx(0.95)


# -- training data: the lattice's candidates, labelled -------------------------------------


def test_label_tells_digits_pieces_and_pairs() -> None:
    a, b = BBox(0, 0, 60, 100), BBox(55, 0, 60, 100)
    assert label(BBox(1, 0, 59, 100), [a, b]) == 1  # a's own box
    assert label(BBox(0, 0, 30, 100), [a, b]) == 0  # half of a: a piece
    assert label(BBox(0, 0, 115, 100), [a, b]) == 2  # both: a pair
    assert label(BBox(0, 0, 45, 100), [a, b]) == -1  # three quarters: left out
    assert PIECE_IOU < 0.75 < DIGIT_IOU and COVERS <= 0.5


@pytest.fixture(scope="module")
def drawn_candidates() -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Candidates of two pages written by the project's stroke generator."""
    writer = SimpleNamespace(digits=list(range(10)), source=lambda: None)
    crops, geo, labels = [], [], []
    for seed, harsh in ((5, False), (6, True)):
        c, g, y = page_candidates(seed, writer, harsh)
        crops += c
        geo += g
        labels += y
    return crops, np.array(geo, np.float32), np.array(labels)


def test_training_pages_can_join_digits_as_cursive_writers_do() -> None:
    """``formocr-train verifier --joined``: the same page, its digits in the
    same boxes, with pen strokes joining some neighbours (more ink between
    them); at 0 the page is drawn as before."""
    from training.lattice_data import _page
    from training.synth import Degradation

    writer = SimpleNamespace(digits=list(range(10)), source=lambda: None)

    def page(joined: float | None) -> tuple[np.ndarray, list[object]]:
        rng = np.random.default_rng(11)
        if joined is None:
            return _page(rng, writer, Degradation())
        return _page(rng, writer, Degradation(), joined)

    plain, truth = page(None)
    again, truth0 = page(0.0)
    joined, truth1 = page(1.0)
    assert np.array_equal(plain, again)
    boxes = [[d.bbox for d in t.digits] for t in truth]  # type: ignore[attr-defined]
    assert boxes == [[d.bbox for d in t.digits] for t in truth1]  # type: ignore[attr-defined]
    # Join strokes drawn (the pen's darkness of later strokes may differ a little).
    assert int((joined < 128).sum()) > int((plain < 128).sum()) + 500


def test_pages_give_digits_pieces_and_pairs(
    drawn_candidates: tuple[list[np.ndarray], np.ndarray, np.ndarray],
) -> None:
    crops, geo, labels = drawn_candidates
    assert len(crops) == len(geo) == len(labels) > 100
    counts = {k: int((labels == k).sum()) for k in (0, 1, 2)}
    assert min(counts.values()) >= 10, counts


def test_the_shipped_verifier_tells_digits_from_pairs_and_pieces(
    verifier: DigitVerifier,
    drawn_candidates: tuple[list[np.ndarray], np.ndarray, np.ndarray],
) -> None:
    """On strings written by the project's stroke generator (not what it
    learnt from: real writers' digits), most whole digits are believed and
    most pairs and pieces doubted."""
    crops, geo, labels = drawn_candidates
    p = verifier.not_digit(normalize_batch(crops), geo)
    assert np.all((p >= 0) & (p <= 1))
    digits, pieces, pairs = p[labels == 1], p[labels == 0], p[labels == 2]
    assert np.mean(digits < 0.5) >= 0.8, np.mean(digits < 0.5)
    assert np.mean(pairs > 0.5) >= 0.8, np.mean(pairs > 0.5)
    assert np.mean(pieces > 0.5) >= 0.8, np.mean(pieces > 0.5)


def test_the_lattice_path_carries_each_digits_verifier_doubt() -> None:
    ink = _ink([(0, 1, 70, 100), (1, 2, 70, 100)])
    rows = np.log(np.full((2, 10), 0.01))
    rows[0, 3], rows[1, 7] = math.log(0.91), math.log(0.91)
    best = lattice_of(ink, rows, not_digit=np.array([0.1, 0.8])).best()
    assert best.text == "37"
    assert [d.not_digit for d in best.digits] == pytest.approx([0.1, 0.8])
    assert [d.not_digit for d in lattice_of(ink, rows).best().digits] == [0.0, 0.0]


def test_a_digit_doubted_twice_sends_its_field_to_review() -> None:
    """Letters in a digit box ("MD" in cursive read 9720 by both readers):
    a digit the verifier doubts and the digit model is under NOT_DIGIT_UNSURE
    sure of is a reason to ask; either doubt alone is not."""
    from formocr.api import _doubted
    from formocr.config import NOT_DIGIT_REVIEW, NOT_DIGIT_UNSURE
    from formocr.read.lattice import LatticeDigit

    def digit(conf: float, nd: float) -> LatticeDigit:
        return LatticeDigit("2", conf, 0, 1, None, (("2", conf),), nd)

    unsure, doubt = NOT_DIGIT_UNSURE - 0.05, NOT_DIGIT_REVIEW + 0.2
    assert _doubted([digit(0.999, doubt), digit(unsure, 0.1)]) == ()
    (why,) = _doubted([digit(0.999, 0.1), digit(unsure, doubt)])
    assert why.startswith("digit 2 may not be a digit")


def test_a_doubted_1_of_two_strokes_sends_its_field_to_review() -> None:
    """Two 1s written close and read as one 1 by both readers (`119537`
    read `19537`, `ok`, on a development page of MNIST validation writers):
    a 1 the verifier doubts whose ink crosses two strokes side by side is
    a reason to ask, however sure the digit model is; a 1 of one stroke,
    or another digit of two, is not."""
    from formocr.api import _doubted
    from formocr.config import NOT_DIGIT_REVIEW, TWO_ONES
    from formocr.read.lattice import LatticeDigit

    def digit(value: str, nd: float, strokes: float) -> LatticeDigit:
        return LatticeDigit(value, 0.998, 0, 1, None, ((value, 0.998),), nd, strokes)

    doubt, two = NOT_DIGIT_REVIEW + 0.2, TWO_ONES + 0.08
    assert _doubted([digit("1", doubt, 0.0), digit("4", doubt, two), digit("1", 0.1, two)]) == ()
    (why,) = _doubted([digit("9", 0.0, 0.0), digit("1", doubt, two)])
    assert why.startswith("digit 2 may be two 1s written together")
