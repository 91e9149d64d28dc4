"""formocr.read.combine: two readers, one answer; and what a value must not
break. Then through the API, with fake readers: agreement may be ``ok``,
disagreement is ``review`` with both readings, and a value its box cannot
hold is never ``ok``."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources

import jsonschema
import numpy as np
import pytest

from formocr.api import _classify, _field
from formocr.config import DEFAULT_COMBINE_POWER, DEFAULT_STRING_MAP, ScanConfig
from formocr.output.writers import field_dict
from formocr.read.combine import (
    Reading,
    calibrate,
    capacity,
    combine,
    doubt_cap,
    evidence_reasons,
    short_reasons,
)
from formocr.types import (
    BBox,
    DigitCrop,
    DigitResult,
    FieldLayout,
    FieldResult,
    Mark,
    Prediction,
    Segment,
    StringInk,
)

# -- pure rules -----------------------------------------------------------------------


def test_agreement_keeps_the_lesser_confidence() -> None:
    a = Reading("lattice", "1250", 0.999, own=-1.0, other=-1.0)
    b = Reading("ctc", "1250", 0.995, own=-0.5, other=-0.5)
    c = combine(a, b)
    assert (c.value, c.agree, c.alternatives, c.reason) == ("1250", True, (), None)
    assert c.confidence == pytest.approx(0.995)


def test_disagreement_goes_by_the_joint_score_and_lists_both() -> None:
    """The lattice reads 557225, the CTC 55925. The lattice scores the CTC's
    text only a little below its own; the CTC finds the lattice's text very
    unlikely: the joint score picks 55925."""
    lat = Reading("lattice", "557225", 0.999, own=-2.0, other=-3.0)
    ctc = Reading("ctc", "55925", 0.97, own=-0.2, other=-12.0)
    c = combine(lat, ctc)
    assert c.value == "55925" and not c.agree
    assert [(a.value, a.reader) for a in c.alternatives] == [
        ("55925", "ctc"),
        ("557225", "lattice"),
    ]
    assert c.reason is not None and "disagree" in c.reason
    # Half the winner's share of the two joint scores, never above half its own
    # confidence: a disagreement ranks below an agreement.
    share = 1 / (1 + math.exp(-((-0.2 - 3.0) - (-2.0 - 12.0))))
    assert c.confidence == pytest.approx(0.5 * min(share, 0.97))
    # The order of the readers does not matter.
    assert combine(ctc, lat).value == "55925"


def test_neither_can_spell_the_other_the_surer_wins_at_even_odds() -> None:
    a = Reading("lattice", "12", 0.9)
    b = Reading("ctc", "13", 0.8)
    c = combine(a, b)
    assert c.value == "12" and c.confidence == pytest.approx(0.5 * 0.5)
    assert combine(Reading("lattice", "123", 0.7), Reading("ctc", "13", 0.8)).value == "13"


def test_a_lattice_reading_fewer_digits_skipped_ink_the_string_reader_wins() -> None:
    """The lattice reads 1500, the CTC 15000; the joint score favours the
    lattice, but a lattice that reads fewer digits left ink unread: the CTC's
    text is the value, still in review with both, at the share the joint
    scores give it."""
    lat = Reading("lattice", "1500", 0.99, own=-0.5, other=-4.0)
    ctc = Reading("ctc", "15000", 0.9, own=-0.3, other=-2.0)
    c = combine(lat, ctc)
    assert c.value == "15000" and not c.agree and c.reason is not None
    assert [(a.value, a.reader) for a in c.alternatives] == [("15000", "ctc"), ("1500", "lattice")]
    gap = (-0.5 - 2.0) - (-0.3 - 4.0)  # the lattice's joint score is the higher
    assert gap > 0
    assert c.confidence == pytest.approx(0.5 * min(1 - 1 / (1 + math.exp(-gap)), 0.9))
    assert combine(ctc, lat).value == "15000"
    # A lattice reading more digits than the CTC keeps the joint score's choice.
    longer = Reading("lattice", "150000", 0.99, own=-0.5, other=-4.0)
    assert combine(longer, ctc).value == "150000"


def test_a_guard_the_string_reader_read_as_a_digit_is_no_skipped_ink() -> None:
    """A "+" before a phone number is set apart as a guard, left out of the
    lattice and kept in the string reader's line, which reads it as a 4:
    "4827" against "44827". The lattice skipped no ink: the joint score
    decides, and the field stays in review with both."""
    from formocr.read.combine import guard_read

    assert guard_read([0], "4827", "44827")
    assert guard_read([4], "4827", "48271")
    assert not guard_read([], "4827", "44827")  # no guard there
    assert not guard_read([4], "4827", "44827")  # the guard is at the other end
    assert not guard_read([0], "4827", "448271")  # two more digits
    assert not guard_read([0], "4827", "14837")  # not the lattice's text and one more
    lat = Reading("lattice", "4827", 0.99, own=-0.5, other=-9.0)
    ctc = Reading("ctc", "44827", 0.9, own=-0.3, other=-2.0)
    assert combine(lat, ctc).value == "44827"  # as ink the lattice skipped
    c = combine(lat, ctc, guarded=True)
    assert c.value == "4827" and not c.agree and c.reason is not None
    assert [(a.value, a.reader) for a in c.alternatives] == [("4827", "lattice"), ("44827", "ctc")]


def test_one_reader_alone_and_the_calibration_map() -> None:
    c = combine(Reading("lattice", "7", 0.81), None, power=2.0)
    assert c.value == "7" and c.confidence == pytest.approx(0.81**2)
    assert calibrate(0.9) == pytest.approx(0.9)
    with pytest.raises(ValueError):
        calibrate(1.5)


def test_evidence_cells_and_capacity() -> None:
    assert evidence_reasons("1234", cells=4) == []
    assert evidence_reasons("12345", cells=4) == ["5 digits read in a comb of 4 cells"]
    # A box 3.5 times wider than tall holds at most 10 digits (0.35 x height each).
    assert capacity(350, 100) == 10
    assert evidence_reasons("1" * 10, width=350, height=100) == []
    (why,) = evidence_reasons("1" * 11, width=350, height=100)
    assert "at most 10" in why


# -- through the API, with fakes ---------------------------------------------------------


@dataclass(frozen=True)
class FakeReading:
    text: str
    confidence: float


class FakeReader:
    """A string reader that reads ``text`` and scores texts from a table."""

    def __init__(self, text: str, confidence: float, scores: dict[str, float]) -> None:
        self.text, self.confidence, self.scores = text, confidence, scores
        self.calls = 0

    def read(self, images: Sequence[np.ndarray]) -> list[FakeReading]:
        self.calls += 1
        return [FakeReading(self.text, self.confidence) for _ in images]

    def rescore(self, reading: FakeReading, text: str) -> float:
        return self.scores.get(text, -50.0)


class TableClassifier:
    """Log-probabilities by segment: the crop's top-left pixel names its row."""

    name = "table"
    sha256 = "0" * 64

    def __init__(self, rows: list[np.ndarray]) -> None:
        self.rows = rows

    def log_probs(self, images: Sequence[np.ndarray]) -> np.ndarray:
        return np.stack([self.rows[int(img[0, 0])] for img in images])

    def classify(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        raise AssertionError("the lattice asks for log-probabilities")


def row(d: int, p: float, classes: int = 10) -> np.ndarray:
    r = np.full(classes, (1.0 - p) / (classes - 1))
    r[d] = p
    return np.log(r)


WIDE_BOX = BBox(0, 0, 400, 100)


def string_field(
    reads: Sequence[tuple[int, float]], box: BBox = WIDE_BOX
) -> tuple[FieldLayout, TableClassifier]:
    """A string field of len(reads) separate primitives, one segment each."""
    segs = []
    for i in range(len(reads)):
        img = np.full((20, 12), 255, np.uint8)
        img[0, 0] = i
        segs.append(Segment(i, i + 1, DigitCrop(BBox(10 + 40 * i, 10, 30, 60), img), (30, 60)))
    n = len(reads)
    ink = StringInk(tuple(segs), (0.0,) * n, (8.0,) * n, 60.0, np.full((80, 380), 255, np.uint8))
    layout = FieldLayout(box, "string", ink=ink)
    return layout, TableClassifier([row(d, p) for d, p in reads])


SURE = [(1, 0.9999), (2, 0.9999), (5, 0.9999)]


def test_readers_agree_field_ok() -> None:
    layout, clf = string_field(SURE)
    reader = FakeReader("125", 0.999, {"125": -0.1})
    (read,) = _classify([layout], clf, ScanConfig(string_reader="combined"), reader)
    field = _field("f", layout, read, 0.99)
    assert (field.value, field.status, field.alternatives) == ("125", "ok", ())
    # The lesser of the two readers' (the CTC's 0.999), through the calibration map.
    assert field.confidence == pytest.approx(0.999**DEFAULT_COMBINE_POWER)
    assert [d.bbox.x for d in field.digits] == [10, 50, 90]


def test_readers_disagree_field_review_with_both() -> None:
    layout, clf = string_field(SURE)
    reader = FakeReader("1255", 0.9999, {"1255": -0.01, "125": -9.0})
    (read,) = _classify([layout], clf, ScanConfig(string_reader="combined"), reader)
    field = _field("f", layout, read, 0.5)
    assert field.status == "review" and "disagree" in (field.reason or "")
    assert {a.value for a in field.alternatives} == {"125", "1255"}
    assert field.value == field.alternatives[0].value
    # Both readings reach the JSON output, which the shipped schema accepts.
    out = json.loads(json.dumps(field_dict(field)))
    assert {a["reader"] for a in out["alternatives"]} == {"lattice", "ctc"}
    schema = json.loads(
        (resources.files("formocr") / "output/schema/results.schema.json").read_text()
    )
    validator = jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/field"})
    validator.validate(out)
    out["alternatives"][0]["reader"] = "tesseract"
    assert not validator.is_valid(out)


def test_a_sign_the_string_reader_reads_as_a_digit_is_no_sign() -> None:
    """The layout set the first blob apart as a "$" and the lattice read the
    rest, "125"; the string reader read "9125" from the line as written. Its
    reading wins (it read ink the lattice could not place), and the blob was
    a digit: no "$" in ``raw``, the field in review."""
    field = _read_with_sign("$", FakeReader("9125", 0.9999, {"9125": -0.01, "125": -9.0}))
    assert (field.value, field.status) == ("9125", "review")
    assert field.raw is None
    # Where both read the same digits, the sign stays a mark.
    field = _read_with_sign("$", FakeReader("125", 0.9999, {"125": -0.01}))
    assert (field.value, field.raw, field.status) == ("125", "$125", "ok")


def _read_with_sign(char: str, reader: FakeReader) -> FieldResult:
    """ "125" read by the lattice, a sign ``char`` set apart before it."""
    layout, clf = string_field(SURE)
    layout = dataclasses.replace(layout, marks=(Mark(BBox(0, 10, 8, 60), char, 0),))
    (read,) = _classify([layout], clf, ScanConfig(string_reader="combined"), reader)
    return _field("f", layout, read, 0.5)


def test_a_euro_the_string_reader_read_as_a_digit_is_no_skipped_ink() -> None:
    """A hand-written euro set apart by its shape is left out of the lattice
    and kept in the string reader's line, which reads it as a 5, a 6 or an
    8: "6125" against "125". On cheques with a hand-written euro that was
    the commonest disagreement, the lattice right nearly every time, yet the
    string reader's reading won as ink the lattice skipped. The joint score
    decides; the field stays in review with both readings. Another digit
    there, or a dollar sign, is as before: the blob was most likely a digit."""
    from formocr.read.combine import sign_read

    assert sign_read([(0, "€")], "125", "6125")
    assert sign_read([(0, "€"), (1, ",")], "125", "8125")
    assert not sign_read([(0, "€")], "125", "9125")  # no digit a euro reads as
    assert not sign_read([], "125", "6125")  # no sign set apart
    assert not sign_read([(3, "€")], "125", "6125")  # not before the digits
    assert not sign_read([(0, "€")], "125", "61255")  # two more digits
    field = _read_with_sign("€", FakeReader("6125", 0.9999, {"6125": -0.01, "125": -9.0}))
    assert (field.value, field.raw, field.status) == ("125", "€125", "review")
    assert [a.value for a in field.alternatives] == ["125", "6125"]
    field = _read_with_sign("€", FakeReader("9125", 0.9999, {"9125": -0.01, "125": -9.0}))
    assert (field.value, field.status) == ("9125", "review")
    field = _read_with_sign("$", FakeReader("6125", 0.9999, {"6125": -0.01, "125": -9.0}))
    assert (field.value, field.status) == ("6125", "review")


def test_lattice_alone_without_a_reader() -> None:
    layout, clf = string_field(SURE)
    (read,) = _classify([layout], clf, ScanConfig(string_reader="combined"), None)
    field = _field("f", layout, read, 0.99)
    assert (field.value, field.status) == ("125", "ok")


def test_a_value_too_long_for_its_box_is_never_ok() -> None:
    """Twelve sure digits in a box 3 times wider than tall (room for 8)."""
    layout, clf = string_field([(7, 0.99999)] * 12, box=BBox(0, 0, 300, 100))
    (read,) = _classify([layout], clf, ScanConfig(string_reader="lattice"))
    field = _field("f", layout, read, 0.5)
    assert field.value == "7" * 12 and field.status == "review"
    assert "holds at most 8" in (field.reason or "")


def test_more_digits_than_comb_cells_is_never_ok() -> None:
    crops = tuple(
        DigitCrop(BBox(10 * i, 0, 10, 20), np.full((20, 10), i, np.uint8)) for i in range(4)
    )
    layout = FieldLayout(BBox(0, 0, 400, 100), "comb", crops, cells=3)
    clf = TableClassifier([row(4, 0.99999)] * 4)
    (read,) = _classify([layout], clf, ScanConfig())
    field = _field("f", layout, read, 0.5)
    assert field.status == "review" and "comb of 3 cells" in (field.reason or "")
    # Four digits each 0.99999 sure, but a rule says the value is wrong: the
    # field's confidence falls to where disagreements rank, and no reason
    # speaks of its confidence (the readers were sure).
    cap = doubt_cap(DEFAULT_COMBINE_POWER, DEFAULT_STRING_MAP)
    assert field.confidence == cap < read.digits[0].confidence
    assert "confidence" not in (field.reason or "")


def test_a_comb_cell_the_network_calls_not_a_digit_goes_to_review() -> None:
    crops = tuple(  # in the comb's first two cells, clear of its sides
        DigitCrop(BBox(20 + 50 * i, 10, 10, 20), np.full((20, 10), i, np.uint8)) for i in range(2)
    )
    layout = FieldLayout(BBox(0, 0, 200, 100), "comb", crops, cells=4)
    sure = row(4, 0.99999, classes=11)
    stroke = np.log(np.array([0.001] * 10 + [0.99]) / 1.0)
    clf = TableClassifier([sure, stroke])
    (read,) = _classify([layout], clf, ScanConfig())
    field = _field("f", layout, read, 0.5)
    assert field.status == "review" and "cell 2 may not be a digit" in (field.reason or "")
    # The same comb with two sure digits is ok.
    (read,) = _classify([layout], TableClassifier([sure, sure]), ScanConfig())
    assert _field("f", layout, read, 0.5).status == "ok"


def test_template_length_is_never_ok() -> None:
    from formocr.api import _apply_rules
    from formocr.templates.template import TemplateField

    layout, clf = string_field(SURE)
    (read,) = _classify([layout], clf, ScanConfig(string_reader="lattice"))
    field = _field("f", layout, read, 0.5)
    assert field.status == "ok"
    tf = TemplateField(name="f", box=(0.0, 0.0, 10.0, 5.0), kind="digits", length=4)
    ruled = _apply_rules(field, tf, doubt_cap(0.03))
    assert ruled.status == "review" and ruled.value == field.value
    assert ruled.confidence == doubt_cap(0.03) < field.confidence


def test_cuts_mode_reads_the_cuts() -> None:
    """The old path stays selectable for the ablation: the layout's digits."""
    layout, clf = string_field(SURE)
    crops = tuple(DigitCrop(BBox(10, 10, 30, 60), np.full((20, 12), 2, np.uint8)) for _ in range(2))
    layout = replace(layout, digits=crops)
    (read,) = _classify([layout], clf, ScanConfig(string_reader="cuts"))
    assert "".join(d.value for d in read.digits) == "55"


# -- a 0 that is a solid blob ----------------------------------------------------------


def _digit_page(draw: str) -> np.ndarray:
    """A 120x200 white page with one digit-sized shape at (60, 20, 50, 80)."""
    import cv2

    page = np.full((120, 200), 235, np.uint8)
    if draw == "blob":  # a thick marker 1, filled in: no paper inside
        cv2.ellipse(page, (85, 60), (22, 38), 0, 0, 360, 30, -1)
    elif draw == "ring":  # a bold 0: its ink covers most of the box, paper inside
        cv2.ellipse(page, (85, 60), (18, 34), 0, 0, 360, 30, 18)
    elif draw == "open":  # a 0 not closed at the top: no hole, little ink
        cv2.ellipse(page, (85, 60), (20, 36), 0, -60, 240, 30, 5)
    return page


@pytest.mark.parametrize(("draw", "flagged"), [("blob", True), ("ring", False), ("open", False)])
def test_a_0_that_is_a_solid_blob_is_never_ok(draw: str, flagged: bool) -> None:
    """A digit read 0 whose ink is one blob with no paper inside (optdigits
    writers' marker 1s, read 0 by both readers at 0.995+) sends its field to
    review; a bold ring or an open 0 does not."""
    from formocr.read.combine import solid_zero_reasons
    from formocr.types import DigitResult

    page = _digit_page(draw)
    field_box = BBox(10, 10, 180, 100)
    zero = DigitResult("0", 0.999, BBox(62, 21, 47, 79), (("0", 0.999),))
    reasons = solid_zero_reasons(page, [zero], field_box)
    assert bool(reasons) == flagged
    one = replace(zero, value="1")  # only 0s are looked at
    assert solid_zero_reasons(page, [one], field_box) == []
    whole = replace(zero, bbox=field_box)  # a reading with no cuts: no digit box
    assert solid_zero_reasons(page, [whole], field_box) == []


def _euro_or_six(draw: str) -> np.ndarray:
    """A 120x200 page with a euro sign (a C open to the right, a bar across
    its middle from its left side), a 6 (a loop closed at its foot), or a C
    alone, in the digit box (60, 20, 50, 80)."""
    import cv2

    page = np.full((120, 200), 235, np.uint8)
    if draw in ("euro", "c"):
        cv2.ellipse(page, (88, 60), (24, 36), 0, 50, 310, 30, 5)
    if draw == "euro":
        cv2.line(page, (63, 60), (95, 60), 30, 5)
    if draw == "six":
        cv2.ellipse(page, (85, 72), (18, 20), 0, 0, 360, 30, 5)
        cv2.ellipse(page, (95, 56), (28, 34), 0, 180, 260, 30, 5)
    return page


@pytest.mark.parametrize(("draw", "flagged"), [("euro", True), ("six", False), ("c", False)])
def test_a_first_6_that_closes_no_loop_but_has_a_bar_asks(draw: str, flagged: bool) -> None:
    """A euro sign written before an amount, its bar barely past the C, is
    read as a 6 by both readers (``€30,-`` read ``630``, ``€2.97``
    ``6297``, `ok`). A string's first digit read 6 or 8 whose ink closes no
    loop, is light (at most 0.4 of its box) and has a bar from its left
    across half its width in its middle asks; a 6 with its loop does not,
    nor a C without a bar, nor a 6 after the first digit."""
    from formocr.read.combine import open_loop_reasons
    from formocr.types import DigitResult

    page = _euro_or_six(draw)
    field_box = BBox(10, 10, 180, 100)
    six = DigitResult("6", 0.999, BBox(62, 21, 50, 79), (("6", 0.999),))
    assert bool(open_loop_reasons(page, [six], field_box)) == flagged
    eight = replace(six, value="8")
    assert bool(open_loop_reasons(page, [eight], field_box)) == flagged
    seven = replace(six, value="7")  # only a 6 or an 8 is looked at
    assert open_loop_reasons(page, [seven], field_box) == []
    other = DigitResult("3", 0.999, BBox(120, 21, 40, 79), (("3", 0.999),))
    assert open_loop_reasons(page, [other, six], field_box) == []  # only the first
    whole = replace(six, bbox=field_box)  # a reading with no cuts: no digit box
    assert open_loop_reasons(page, [whole], field_box) == []


def _three_and_a_mark(grey: int, width: int) -> tuple[np.ndarray, list[BBox]]:
    """A 140x400 page with ``4``, ``8`` and ``4`` in black with a 9-px pen,
    and a bar ``width`` px wide in grey ``grey`` after them; the four boxes."""
    import cv2

    page = np.full((140, 400), 235, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    for k, digit in enumerate("484"):
        cv2.putText(page, digit, (20 + 80 * k, 110), font, 3.0, 20, 9)
    cv2.line(page, (290, 30), (288, 112), grey, width)
    boxes = [BBox(18 + 80 * k, 30, 66, 84) for k in range(3)] + [BBox(280, 26, 18, 90)]
    return page, boxes


@pytest.mark.parametrize(
    ("grey", "width", "flagged"),
    [(110, 3, True), (20, 3, False), (110, 9, False), (20, 9, False)],
    ids=["fine-light", "fine-dark", "light", "as-written"],
)
def test_a_digit_much_finer_and_lighter_than_the_others_asks(
    grey: int, width: int, flagged: bool
) -> None:
    """A stroke drawn much finer and lighter than the field's other digits
    (a hairline, an erased digit, writing from the back) read as a digit:
    ``391`` came out ``3911``, `ok`, a faint hairline beside the 9 read as a
    1. Only finer and lighter both asks: a thin 1 as dark as the rest is
    how some write it, a light digit alone is a light pen's (the faint
    marks' test looks at those). Two other digits at least to measure
    against; a reading with no cuts is not looked at, nor a stroke too
    fine to measure (FINE_MEASURED: a small cut-out's)."""
    import cv2

    from formocr.read.combine import fine_reasons
    from formocr.types import DigitResult

    page, boxes = _three_and_a_mark(grey, width)
    field_box = BBox(5, 5, 390, 130)
    digits = [DigitResult(v, 0.999, b, ((v, 0.999),)) for v, b in zip("4841", boxes, strict=True)]
    reasons = fine_reasons(page, digits, field_box)
    assert len(reasons) == flagged
    if flagged:
        assert reasons[0].startswith("digit 4, read 1, is drawn much finer and lighter")
    assert fine_reasons(page, digits[2:], field_box) == []  # one other digit only
    whole = [replace(d, bbox=field_box) for d in digits[:3]] + digits[3:]
    assert fine_reasons(page, whole, field_box) == []
    # A third of the size: the mark's pen under FINE_MEASURED, too coarse to compare.
    small = cv2.resize(page, None, fx=1 / 3, fy=1 / 3, interpolation=cv2.INTER_AREA)
    third = [replace(d, bbox=BBox(*(v // 3 for v in d.bbox))) for d in digits]
    assert fine_reasons(small, third, BBox(1, 1, 130, 43)) == []


def test_a_field_whose_0_is_a_solid_blob_goes_to_review_through_the_api() -> None:
    """The same sure reading, '105', is ``ok`` on a page where its 0 is a
    ring and goes to review where the 0's box holds a solid blob."""
    import cv2

    layout, clf = string_field([(1, 0.9999), (0, 0.9999), (5, 0.9999)])
    (read,) = _classify([layout], clf, ScanConfig(string_reader="lattice"))
    page = np.full((100, 400), 235, np.uint8)
    x, y, w, h = read.digits[1].bbox  # the 0's box, from the lattice's cut
    cv2.ellipse(page, (x + w // 2, y + h // 2), (w // 2 - 2, h // 2 - 2), 0, 0, 360, 30, 6)
    assert _field("f", layout, read, 0.99, page=page).status == "ok"
    cv2.ellipse(page, (x + w // 2, y + h // 2), (w // 2 - 1, h // 2 - 1), 0, 0, 360, 30, -1)
    field = _field("f", layout, read, 0.99, page=page)
    assert (field.value, field.status) == ("105", "review")
    assert "solid blob" in (field.reason or "")


# -- ink running through its box --------------------------------------------------------


def test_a_digit_whose_ink_runs_through_its_box_is_never_ok() -> None:
    """A digit may cross its box's top or its foot; one whose ink runs from
    above the box to below it (a band of shadow where a folded form did not
    lie flat) sends its field to review. A digit read with no cuts (its box
    the field's) is not looked at."""
    from formocr.read.combine import through_reasons
    from formocr.types import DigitResult

    box = BBox(100, 200, 400, 100)
    one = DigitResult("1", 1.0, BBox(130, 180, 27, 150), (("1", 1.0),))
    (reason,) = through_reasons([one], box)
    assert reason.startswith("digit 1's ink runs through the box")
    assert through_reasons([replace(one, bbox=BBox(130, 180, 27, 110))], box) == []  # its top only
    assert through_reasons([replace(one, bbox=BBox(130, 230, 27, 100))], box) == []  # its foot only
    assert through_reasons([replace(one, bbox=BBox(130, 200, 27, 100))], box) == []  # edge to edge
    assert through_reasons([replace(one, bbox=box)], box) == []


def test_a_shadow_down_the_sample_form_is_never_read_ok() -> None:
    """A soft band 45 % darker than the paper (sigma 0.15 in) down the
    sample form, over the 431 box's 4, was read 131, ``ok``. A band from the
    page's top to its foot (a fold's) is now lifted before the page is read
    (``tests/test_bands.py``); one 1.4 in long round the box (the shadow of
    something lying on the page) is not, and its digit runs through the box."""
    from pathlib import Path

    import cv2

    from formocr.api import load_classifier, scan_page
    from formocr.types import PageImage

    form = Path(__file__).resolve().parents[1] / "samples" / "form.png"
    image = cv2.imread(str(form), cv2.IMREAD_GRAYSCALE)
    clf = load_classifier()
    straight = scan_page(PageImage("form.png", 1, image, 300.0), ScanConfig(), clf)
    x = np.arange(image.shape[1])
    shade = 1 - 0.45 * np.exp(-(((x - image.shape[1] * 0.6) / (0.15 * 300)) ** 2))
    shadowed = image.copy()
    shadowed[350:780] = (image[350:780] * shade[None, :]).clip(0, 255).astype(np.uint8)
    read = scan_page(PageImage("form.png", 1, shadowed, 300.0), ScanConfig(), clf)
    truth = [f.value for f in straight.fields]
    assert len(read.fields) == len(truth)
    assert [(f.value, f.status) for f in read.fields if f.status == "ok"] == [
        (t, "ok") for f, t in zip(read.fields, truth, strict=True) if f.status == "ok"
    ]
    assert any("runs through the box" in (f.reason or "") for f in read.fields)


def test_a_digit_whose_stroke_runs_on_past_the_box_is_never_ok() -> None:
    """A digit crossing its box's top is read whole, so the rows above it
    are paper; where a line runs on there (a stamp's side, cut off where the
    layout dropped what lay outside), the field goes to review. A digit
    written over the top line, ending there, does not."""
    import cv2

    from formocr.read.combine import runs_on_reasons
    from formocr.types import DigitResult

    page = np.full((300, 400), 250, np.uint8)
    box = BBox(100, 100, 200, 100)
    cv2.line(page, (140, 40), (150, 170), 140, 5)  # a stamp's side, from far above
    one = DigitResult("1", 1.0, BBox(145, 92, 9, 80), (("1", 1.0),))
    (reason,) = runs_on_reasons(page, [one], box)
    assert reason.startswith("digit 1's stroke runs on past the box's edge")
    page = np.full((300, 400), 250, np.uint8)
    cv2.line(page, (146, 94), (150, 170), 140, 5)  # a 1 written over the top line
    assert runs_on_reasons(page, [one], box) == []
    inside = replace(one, bbox=BBox(145, 110, 9, 60))  # within the box: not looked at
    assert runs_on_reasons(page, [inside], box) == []


def test_a_stamp_corner_in_an_empty_cell_of_the_sample_form_is_never_read_ok() -> None:
    """A framed stamp turned 12 degrees whose corner reaches into the 431
    comb's empty first cell: its side was read 1, `1431` `ok` at 0.9944+."""
    from pathlib import Path

    import cv2

    from formocr.api import load_classifier, scan_page
    from formocr.types import PageImage

    form = Path(__file__).resolve().parents[1] / "samples" / "form.png"
    image = cv2.imread(str(form), cv2.IMREAD_GRAYSCALE)
    clf = load_classifier()
    first = scan_page(PageImage("form.png", 1, image, 300.0), ScanConfig(), clf).fields[0].bbox
    stamp = np.full((260, 1100), 255, np.uint8)
    cv2.rectangle(stamp, (10, 10), (1090, 250), 0, 8)
    cv2.putText(stamp, "RECEIVED", (40, 170), cv2.FONT_HERSHEY_DUPLEX, 3.2, 0, 9, cv2.LINE_AA)
    turn = cv2.getRotationMatrix2D((550, 130), 12, 0.6)
    stamp = cv2.warpAffine(stamp, turn, (1100, 260), borderValue=255)
    x0, y0 = int(first.x + 0.2 * first.w), int(first.y + first.h / 2 - 130)
    region = image[y0 : y0 + 260, x0 : x0 + 1100]
    s = stamp[: region.shape[0], : region.shape[1]].astype(np.float32) / 255
    region[:] = np.minimum(region, s * 255 + (1 - s) * 140).astype(np.uint8)
    fields = scan_page(PageImage("form.png", 1, image, 300.0), ScanConfig(), clf).fields
    comb = next(f for f in fields if f.value.endswith("431"))
    assert comb.status == "review"
    assert "runs on past the box's edge" in (comb.reason or "")


# -- a digit cut by the edge of the image ----------------------------------------------


def test_a_digit_reaching_the_edge_of_the_image_is_never_ok() -> None:
    """An amount cut out inside its box can cut a 7's bar off, and the 1 left
    was read '1' at 0.9996: a digit whose box reaches any edge of the image
    sends its field to review; one a pixel inside does not."""
    from formocr.read.combine import edge_reasons
    from formocr.types import DigitResult

    inside = DigitResult("7", 0.999, BBox(60, 1, 40, 80), (("7", 0.999),))
    assert edge_reasons((100, 300), [inside]) == []
    for bbox in (
        BBox(60, 0, 40, 80),
        BBox(0, 10, 40, 80),
        BBox(260, 10, 40, 80),
        BBox(60, 20, 40, 80),
    ):
        (reason,) = edge_reasons((100, 300), [replace(inside, bbox=bbox)])
        assert reason.startswith("digit 1 reaches the edge")


def test_a_digit_at_the_top_or_bottom_edge_as_tall_as_its_neighbours_is_whole() -> None:
    """A digit that only touches the top or bottom edge, as tall as the
    field's uncut digits, lost a sliver at most; one shorter than them (a 7
    whose bar was cut off) still counts, as does any digit at the left or
    right edge, and any at all when fewer than two digits are uncut."""
    from formocr.read.combine import EDGE_WHOLE, edge_reasons
    from formocr.types import DigitResult

    def digit(x: int, y: int, h: int) -> DigitResult:
        return DigitResult("7", 0.999, BBox(x, y, 40, h), (("7", 0.999),))

    uncut = [digit(60, 10, 80), digit(110, 12, 76)]
    tall_top, tall_bottom = digit(160, 0, 80), digit(210, 20, 80)
    assert edge_reasons((100, 300), [*uncut, tall_top, tall_bottom]) == []
    short = int(EDGE_WHOLE * 78) - 1
    for cut in (digit(160, 0, short), digit(160, 100 - short, short)):
        (reason,) = edge_reasons((100, 300), [*uncut, cut])
        assert reason.startswith("digit 3 reaches the edge")
    for side in (digit(0, 10, 80), digit(260, 10, 80), digit(160, 0, 100)):
        assert len(edge_reasons((100, 300), [*uncut, side])) == 1
    assert len(edge_reasons((100, 300), [uncut[0], tall_top])) == 1


def test_a_1_at_the_top_edge_cut_through_a_bar_counts_though_as_tall_as_the_rest() -> None:
    """A 7 written high in an amount cut tight round its writing: the cut
    went through its bar, and its stem, nearly as tall as the other digits,
    was read 1 (7527 read 7521, `ok`, on a generated dot-screen cheque). A 1
    or a 7 at the top or bottom edge whose ink runs along the edge row for
    EDGE_RUN of the digits' height counts; a 1 whose tip touches the edge,
    or another digit cut through a bar (it keeps what tells it apart), does
    not."""
    from formocr.read.combine import EDGE_RUN, edge_reasons
    from formocr.types import DigitResult

    def digit(value: str, x: int, y: int, h: int) -> DigitResult:
        return DigitResult(value, 0.9999, BBox(x, y, 40, h), ((value, 0.9999),))

    page = np.full((100, 300), 230, np.uint8)
    uncut = [digit("7", 20, 8, 84), digit("5", 80, 10, 84)]
    for d in uncut:
        page[d.bbox.y : d.bbox.y + d.bbox.h, d.bbox.x + 15 : d.bbox.x + 25] = 20
    cut = digit("1", 160, 0, 80)
    page[0:80, 185:195] = 20  # the stem
    run = int(EDGE_RUN * 84) + 2
    page[0:4, 198 - run : 198] = 20  # what the cut left of the bar, along row 0
    assert edge_reasons(page.shape, [*uncut, cut]) == []  # as tall: whole, by height
    (reason,) = edge_reasons(page.shape, [*uncut, cut], page)
    assert reason.startswith("digit 3 reaches the edge")
    assert edge_reasons(page.shape, [*uncut, replace(cut, value="5")], page) == []
    tip = page.copy()
    tip[0:4, 160:200] = 230
    tip[0:4, 185:195] = 20  # only the stem's own top touches the edge
    assert edge_reasons(tip.shape, [*uncut, cut], tip) == []


def test_a_field_with_a_digit_at_the_edge_goes_to_review_through_the_api() -> None:
    layout, clf = string_field([(1, 0.9999), (0, 0.9999), (5, 0.9999)])
    (read,) = _classify([layout], clf, ScanConfig(string_reader="lattice"))
    bottom = max(d.bbox.y + d.bbox.h for d in read.digits)
    page = np.full((bottom + 5, 400), 235, np.uint8)
    assert _field("f", layout, read, 0.99, page=page).status == "ok"
    field = _field("f", layout, read, 0.99, page=page[: bottom - 1])
    assert field.status == "review" and "edge of the image" in (field.reason or "")


def test_ink_skipped_at_the_edge_of_the_image_sends_the_field_to_review() -> None:
    """An amount cut out inside its box (bench/cheques.py --seed 97600
    --lakhs --guard '*' --raised-cents, cheque 53): a cents digit written
    low was cut through by the box's bottom line, its stub, 0.42 of the
    digits' height, was skipped as a stray stroke, and `475` read `47`,
    `ok`. A skipped piece at the edge of the image asks; the same piece a
    pixel inside the image, a piece under EDGE_LEFT_OUT of the digits'
    height, one under a mark, or a line along the edge, does not."""
    from formocr.read.combine import EDGE_LEFT_OUT, left_out_edge_reasons

    def seg(i: int, box: BBox) -> Segment:
        img = np.full((20, 12), 255, np.uint8)
        img[0, 0] = i
        return Segment(i, i + 1, DigitCrop(box, img), (box.w, box.h))

    stub = BBox(90, 41, 30, 30)
    segs = (seg(0, BBox(10, 10, 30, 60)), seg(1, BBox(50, 10, 30, 60)), seg(2, stub))
    ink = StringInk(segs, (0.0,) * 3, (8.0, 8.0, 0.5), 60.0, np.full((80, 380), 255, np.uint8))
    layout = FieldLayout(WIDE_BOX, "string", ink=ink)
    clf = TableClassifier([row(4, 0.9999), row(7, 0.9999), row(5, 0.3)])
    (read,) = _classify([layout], clf, ScanConfig(string_reader="lattice"))
    assert "".join(d.value for d in read.digits) == "47"  # the stub skipped
    inside = np.full((72, 400), 235, np.uint8)
    assert _field("f", layout, read, 0.99, page=inside).status == "ok"
    field = _field("f", layout, read, 0.99, page=inside[:71])
    assert field.status == "review" and "ink at the edge" in (field.reason or "")
    # Too small to be a digit's stub, or a mark's ink: nothing to ask.
    small = BBox(90, 71 - int(EDGE_LEFT_OUT * 60) + 1, 10, int(EDGE_LEFT_OUT * 60) - 1)
    small_ink = dataclasses.replace(ink, segments=(*segs[:2], seg(2, small)))
    assert left_out_edge_reasons((71, 400), small_ink, read.digits) == []
    assert len(left_out_edge_reasons((71, 400), ink, read.digits)) == 1
    assert left_out_edge_reasons((71, 400), ink, read.digits, [stub]) == []
    # Between two digits read, it is most often a comma cut by the edge.
    comma = dataclasses.replace(ink, segments=(segs[0], seg(2, BBox(42, 41, 6, 30)), segs[1]))
    assert left_out_edge_reasons((71, 400), comma, read.digits) == []
    # What the cut left of a digit's top beside it is part of that digit.
    top = dataclasses.replace(ink, segments=(*segs[:2], seg(2, BBox(80, 0, 29, 16))))
    assert left_out_edge_reasons((71, 400), top, read.digits) == []
    # What the cut left of the box's line, along the edge, is no digit's stub.
    line = dataclasses.replace(ink, segments=(*segs[:2], seg(2, BBox(200, 67, 56, 4))))
    assert left_out_edge_reasons((71, 400), line, read.digits) == []


def test_the_string_map_under_the_threshold() -> None:
    """Under the threshold the power map said more than a string's chance of
    being right (strings at 0.9-0.97 were right half the time). The knots
    (fitted by bench/calibrate.py on calibration pages) map it on to that
    chance: rising, 0 stays 0, and from the last knot up nothing changes,
    so no status changes at the default threshold."""
    from formocr.config import DEFAULT_MIN_CONFIDENCE

    knots = DEFAULT_STRING_MAP
    assert knots[0] == (0.0, 0.0) and knots[-1] == (DEFAULT_MIN_CONFIDENCE,) * 2
    ps = np.linspace(0.0, 1.0, 2001)
    before = [calibrate(float(p), DEFAULT_COMBINE_POWER) for p in ps]
    after = [calibrate(float(p), DEFAULT_COMBINE_POWER, knots) for p in ps]
    assert after == sorted(after) and after[0] == 0.0
    for b, a in zip(before, after, strict=True):
        assert a == b if b >= DEFAULT_MIN_CONFIDENCE else a <= b < DEFAULT_MIN_CONFIDENCE
    # A disagreement's ceiling says what disagreements were worth on those
    # pages: the map brings it down, well under the threshold (0.953 with the
    # string model 06371eb67f96 and its power, 0.935 with d07fc51d09cc's; the
    # power alone leaves it at 0.979 and 0.982).
    assert doubt_cap(DEFAULT_COMBINE_POWER, knots) < doubt_cap(DEFAULT_COMBINE_POWER)
    assert doubt_cap(DEFAULT_COMBINE_POWER, knots) < 0.96
    with pytest.raises(ValueError, match="string_map"):
        ScanConfig(string_map=((0.0, 0.5), (0.9, 0.2)))


def test_an_open_4_read_as_a_6_with_the_4_close_behind_goes_to_review() -> None:
    """One writer's open 4s were read 6 at 0.91-0.97 with the 4 the
    runner-up, and the readers agreeing made the field `ok` and wrong (the
    28-box stand-ins, BENCHMARKS.md, thirty-ninth session)."""
    from formocr.read.combine import CONFUSED_RUNNER_UP, confused_reasons
    from formocr.types import DigitResult

    def digit(value: str, top3: tuple[tuple[str, float], ...]) -> DigitResult:
        return DigitResult(value, top3[0][1], BBox(0, 0, 10, 20), top3)

    six = digit("6", (("6", 0.94), ("4", 0.06), ("0", 0.0)))
    four = digit("4", (("4", 0.96), ("6", CONFUSED_RUNNER_UP), ("9", 0.0)))
    (why,) = confused_reasons([digit("1", (("1", 1.0),)), six])
    assert why == "digit 2, read 6 at 0.94, may be a 4"
    assert confused_reasons([four]) == ["digit 1, read 4 at 0.96, may be a 6"]
    # An open 4 read 6 at 0.99, the 4 its runner-up at 0.010 (`2942` read
    # `2962`, `ok`, on a 28-box stand-in): it asks.
    (why,) = confused_reasons([digit("6", (("6", 0.9896), ("4", 0.0103)))])
    assert why == "digit 1, read 6 at 0.99, may be a 4"
    # Sure of it, or another runner-up, or another pair: no reason.
    assert confused_reasons([digit("6", (("6", 0.995), ("4", 0.005)))]) == []
    assert confused_reasons([digit("6", (("6", 0.9), ("5", 0.1)))]) == []
    assert confused_reasons([digit("9", (("9", 0.9), ("4", 0.1)))]) == []
    assert confused_reasons([digit("6", (("6", 1.0),))]) == []


@pytest.mark.parametrize(
    ("written", "asks"),
    [
        ("48 27", 2),  # room for a digit after the second, nothing in it
        ("4827", None),
        ("4 827", None),  # thousands grouped by a space
        ("1 250 000", None),
        ("4 827.50", None),
        ("0 042002", 1),  # a date's lost digit: no group of three after it
        ("270 201", None),  # grouped as thousands would be: not told apart
        ("48.2 7", 3),  # the gap after the 2: one digit to the end
        ("4 82.75", 1),  # two digits to the separator
        ("* 159", 0),  # after a guard: no thousands group (`**9159**` read `159`)
        ("4 .75", 1),  # room for a digit before the point
    ],
)
def test_a_gap_as_wide_as_a_digit_asks_unless_a_group_of_three_follows(
    written: str, asks: int | None
) -> None:
    """``gap_reasons``: digits 60 px wide and 80 tall, one to an 80-px place
    of ``written``; a space is a gap the layout found, a point a separator,
    a star a guard. The reason names the digit before the gap. Digits with no cuts of their
    own (each the field's box) cannot be counted: any gap asks."""
    from formocr.read.combine import gap_reasons
    from formocr.types import DigitResult

    def place(k: int) -> BBox:
        return BBox(100 + 80 * k, 20, 60, 80)

    digits = [
        DigitResult(ch, 0.999, place(k), ((ch, 0.999),))
        for k, ch in enumerate(written)
        if ch.isdigit()
    ]
    gaps = [BBox(100 + 80 * k - 20, 20, 100, 80) for k, ch in enumerate(written) if ch == " "]
    marks = [BBox(100 + 80 * k + 25, 90, 10, 10) for k, ch in enumerate(written) if ch in ".*"]
    why = gap_reasons(digits, gaps, marks)
    if asks is None:
        assert why == []
    else:
        where = f"after digit {asks} " if asks else "before the first digit "
        assert len(why) == 1 and where in why[0], why
    same = [DigitResult(d.value, d.confidence, BBox(0, 0, 900, 100), d.top3) for d in digits]
    assert bool(gap_reasons(same, gaps, marks)) == bool(gaps)


def test_the_layout_finds_room_for_a_digit_only_between_digits_and_points() -> None:
    """``layout.digits._wide_gaps``: paper as wide as a digit between two
    digits' ink, or a digit's and a point's or comma's, is a gap (`581,43`
    with its 8 and 1 written light read `5,43`, `ok`: BENCHMARKS.md,
    fifty-seventh session; guards at both ends of the amount are passed as
    separators); beside a sign or a lone guard it is their room; a 1
    counts as wide as a typical digit about its centre (writers space it as
    any digit)."""
    from formocr.layout.digits import Blob, _wide_gaps

    def blob(x: int, w: int = 60) -> Blob:
        return Blob(x, 20, np.ones((80, w), np.uint8))

    four = [blob(100), blob(180), blob(340), blob(420)]  # a place left empty after the 2nd
    assert _wide_gaps(four, [], [], 80, 60) == ((240, 340),)
    assert _wide_gaps(four, [blob(285, 10)], [], 80, 60) == ()  # a point in it
    assert _wide_gaps(four[2:], [], [blob(200, 50)], 80, 60) == ()  # a sign before the digits
    assert _wide_gaps(four[:1], [blob(260, 10)], [], 80, 60) == ((160, 260),)  # "5  ,43"
    assert _wide_gaps(four[2:], [blob(230, 10)], [], 80, 60) == ((240, 340),)  # "1,  50"
    assert _wide_gaps(four[:1], [], [blob(260, 10)], 80, 60) == ()  # "5  *": a guard's room
    assert _wide_gaps([], [blob(100, 10), blob(300, 10)], [], 80, 60) == ()  # two points
    ones = [blob(100), blob(205, 10), blob(300)]  # a 1 a little left of its place's centre
    assert _wide_gaps(ones, [], [], 80, 10) == ((215, 300),)  # at its own width: 85 px after it
    assert _wide_gaps(ones, [], [], 80, 60) == ()  # as wide as the rest: 60


def test_a_comb_digit_much_shorter_than_the_others_asks() -> None:
    """A fax's divider left a 3-px sliver, 0.4 of the digits' height, at the
    side of an empty comb cell; read as a 1, ``506`` came out ``5061``, `ok`
    at 0.9997. A digit under SHORT_DIGIT of the others' height asks; one
    half as tall (the shortest in the development sets' `ok` combs) does
    not, and nor does any with fewer than two others to measure."""

    def comb(*heights: int) -> list[DigitResult]:
        return [
            DigitResult("1", 0.9997, BBox(60 * i, 10, 30, h), (("1", 0.9997),))
            for i, h in enumerate(heights)
        ]

    (why,) = short_reasons(comb(76, 77, 65, 30))
    assert why.startswith("digit 4, read 1, is much shorter than the others")
    assert short_reasons(comb(76, 77, 65, 38)) == []
    assert short_reasons(comb(76, 30)) == []
    assert short_reasons(comb(30, 76, 77)) != []  # first, last or between


def test_a_comb_digit_two_cells_wide_asks() -> None:
    """A writer wrote across a tick comb's cells: two 4s were merged into
    one crop two cells wide, read `4` at 0.9995, and `634469540` came out
    `63469540`, `ok` (bench/realwriters.py --pages 40 --seed 69000 --sources
    mnist-cal optdigits-cal --scan-dpi 200, page 39). A digit over WIDE_CELL
    cells wide asks; one a cell wide, or a little over, does not."""
    from formocr.read.combine import WIDE_CELL, wide_cell_reasons

    def comb(*widths: int) -> list[DigitResult]:
        x = [sum(widths[:i]) for i in range(len(widths))]
        return [
            DigitResult("4", 0.9995, BBox(x[i], 10, w, 90), (("4", 0.9995),))
            for i, w in enumerate(widths)
        ]

    (why,) = wide_cell_reasons(comb(80, 77, 161, 80), 9, 741)
    assert why == "digit 3, read 4, spans 2.0 cells (two digits read as one?)"
    assert wide_cell_reasons(comb(80, 77, int(WIDE_CELL * 741 / 9), 80), 9, 741) == []
    assert wide_cell_reasons(comb(161), 1, 82) == []  # a one-digit box: no cells to span


def test_a_comb_digit_a_pixel_wide_asks() -> None:
    """A fax's comb of dashed lines, its first cells empty: the whiting out
    left two dividers' slivers, 1 px wide and half the digits' height, and
    with the fourth cell's 3 the piece read `113`, `ok` at 0.9999
    (bench/fax.py --mode fine --seed 68900, page 8). No pen draws a stroke
    one pixel wide; a thin 1 two pixels wide is a digit, alone or not."""

    def comb(*widths: int) -> list[DigitResult]:
        return [
            DigitResult("1", 0.9999, BBox(60 * i, 10, w, 26 if w == 1 else 52), (("1", 0.9999),))
            for i, w in enumerate(widths)
        ]

    assert short_reasons(comb(1, 1, 34)) == [
        "digit 1, read 1, is a sliver 1 px wide (a piece of a divider?)",
        "digit 2, read 1, is a sliver 1 px wide (a piece of a divider?)",
    ]
    assert short_reasons(comb(1)) != []  # alone too
    assert short_reasons(comb(2, 2, 34)) == []


def test_a_comb_digit_on_the_box_s_side_line_asks() -> None:
    """A date comb scanned black and white at 200 dpi: the threshold lost
    its fine-pen digits, and a 2-px piece of its broken right side, not
    whited out, read `1`, `ok` at 0.9999 (BENCHMARKS.md, fifty-seventh
    session). A bar within SIDE_TOL of the box's outer edge lies on its side
    line; a digit inside the line, however near, or written wide across it
    (three right combs of the headline's pages) does not ask."""
    box = BBox(883, 164, 396, 71)

    def digit(x: int, w: int) -> DigitResult:
        return DigitResult("1", 0.9999, BBox(x, 187, w, 20), (("1", 0.9999),))

    assert short_reasons([digit(1276, 2)], box) == [
        "digit 1, read 1, is a bar on the box's side (a piece of its line?)"
    ]
    assert short_reasons([digit(883, 3)], box) != []  # the left side
    assert short_reasons([digit(1270, 4)], box) == []  # 4 px in: inside the line
    assert short_reasons([digit(1278 - 30, 31)], box) == []  # a 0 written across the side
    assert short_reasons([digit(1276, 2)]) == []  # no box given
