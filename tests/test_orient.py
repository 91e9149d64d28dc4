"""A page fed into the scanner upside down is read turned half a turn
(formocr.read.orient), its boxes still in the page's pixels as given."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import cv2
import jsonschema
import numpy as np
import pytest
from conftest import printed
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from formocr import api
from formocr.config import ScanConfig
from formocr.layout.digits import Blob
from formocr.output.writers import page_dict
from formocr.read import orient
from formocr.templates.draft import draft_template
from formocr.types import BBox, DigitCrop, FieldLayout, PageImage, PageResult

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture(scope="module")
def readers() -> api.Readers:
    return api.load_classifier()  # type: ignore[return-value]


def read(image: np.ndarray, readers: api.Readers, config: ScanConfig | None = None) -> PageResult:
    return api.scan_page(PageImage("form.png", 1, image, 300.0), config or ScanConfig(), readers)


@pytest.fixture(scope="module")
def form(readers: api.Readers) -> tuple[np.ndarray, PageResult]:
    image = cv2.imread(str(SAMPLES / "form.png"), cv2.IMREAD_GRAYSCALE)
    return image, read(image, readers)


def turned_box(b: BBox, w: int, h: int) -> BBox:
    return BBox(w - b.x - b.w, h - b.y - b.h, b.w, b.h)


def test_an_upside_down_page_reads_as_the_upright_one(
    readers: api.Readers, form: tuple[np.ndarray, PageResult]
) -> None:
    image, up = form
    h, w = image.shape
    down = read(orient.turned(image), readers)
    assert not up.turned
    assert down.turned
    assert [(f.name, f.value, f.status) for f in down.fields] == [
        (f.name, f.value, f.status) for f in up.fields
    ]
    assert sum(f.status == "ok" for f in down.fields) >= 4
    for a, b in zip(up.fields, down.fields, strict=True):
        # The same box, in the pixels of the page as it was given.
        assert turned_box(a.bbox, w, h).iou(b.bbox) > 0.95
        for da, db in zip(a.digits, b.digits, strict=True):
            assert turned_box(da.bbox, w, h).iou(db.bbox) > 0.5


def test_read_as_it_lies_an_upside_down_page_gives_other_values(
    readers: api.Readers, form: tuple[np.ndarray, PageResult]
) -> None:
    # What the check is for: without it the turned digits are read as digits.
    image, up = form
    down = read(orient.turned(image), readers, replace(ScanConfig(), turn_upside_down=False))
    assert not down.turned
    assert sorted(f.value for f in down.fields) != sorted(f.value for f in up.fields)


def test_lines_that_would_turn_a_page_whose_print_stands_do_not_turn_it(
    readers: api.Readers, form: tuple[np.ndarray, PageResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A writer whose strings read about as well either way can make the
    # lines read an upright page better turned (5 of 40 black-and-white
    # sample-form pages, bold pens: every field read upside down, some `ok`).
    # The sample form's own print stands upright: read as it lies, every
    # field in review.
    image, up = form
    assert orient.print_way(image, 300.0) == 1
    real, calls = orient.turn_gain, []

    def upside_down(lines, readings, reader, sure=orient.SURE_UPRIGHT, most=orient.MAX_LINES):
        # The lines as such a writer's read: better turned, then worse turned back.
        n, gain = real(lines, readings, reader, math.inf, most)
        calls.append(n)
        return n, abs(gain) if len(calls) == 1 else -abs(gain)

    monkeypatch.setattr(orient, "turn_gain", upside_down)
    disputed = read(image, readers)
    assert disputed.turned == 0
    assert [f.value for f in disputed.fields] == [f.value for f in up.fields]
    assert all(
        f.status in ("review", "empty") and api.PRINT_DISAGREES in (f.reason or "")
        for f in disputed.fields
        if f.status != "empty"
    )
    assert any(f.status == "ok" for f in up.fields)
    # Upside down, lines and print agree: turned, as before.
    monkeypatch.undo()
    assert orient.print_way(orient.turned(image), 300.0) == -1
    down = read(orient.turned(image), readers)
    assert down.turned == 180
    assert [(f.value, f.status) for f in down.fields] == [(f.value, f.status) for f in up.fields]


def test_an_upside_down_page_whose_print_agrees_is_turned_though_its_lines_turned_back_are_unsure(
    readers: api.Readers, form: tuple[np.ndarray, PageResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A form fed upside down: its lines read it 4.1 nats better turned, its
    # print stood upside down (10 pairs to 72), but the lines of the page
    # turned, boxes found again, read about as well either way (+0.13): it
    # was read as it lay, and `5001` came out `1005`, `ok`. Lines and print
    # said the same: turned.
    image, up = form
    down_image = orient.turned(image)
    assert orient.print_way(down_image, 300.0) == -1
    real, calls = orient.turn_gain, []

    def unsure_back(lines, readings, reader, sure=orient.SURE_UPRIGHT, most=orient.MAX_LINES):
        n, gain = real(lines, readings, reader, sure, most)
        calls.append(n)
        return n, abs(gain) if len(calls) == 1 else 0.13

    monkeypatch.setattr(orient, "turn_gain", unsure_back)
    down = read(down_image, readers)
    assert len(calls) == 2  # the page as it lay, then turned
    assert down.turned == 180
    assert [(f.value, f.status) for f in down.fields] == [(f.value, f.status) for f in up.fields]
    # The print cannot tell (a page of boxes alone): the lines turned must
    # confirm, and here they do not: as it lies, as before.
    monkeypatch.setattr(orient, "print_way", lambda *a, **k: 0)
    calls.clear()
    lying = read(down_image, readers)
    assert len(calls) == 2
    assert lying.turned == 0


def test_a_cheque_whose_lines_say_upside_down_and_whose_print_cannot_tell_asks(
    readers: api.Readers, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A black-and-white cheque on guilloche, upright: boxes found on the
    # pattern's scraps came first in reading order and read better turned,
    # the page turned confirmed it, and its print could not tell (9 pairs
    # aligned at their feet, 7 at their heads): it was turned and its date
    # read `ok` and wrong. A whole cheque's print tells when it is upside
    # down (118 of 120 fed so): where it cannot, as it lies, in review.
    from training.synth import Degradation, make_cheque

    image, _ = make_cheque(np.random.default_rng(3), 300, degradation=Degradation.scan())
    real, calls = orient.turn_gain, []

    def said_turned(lines, readings, reader, sure=orient.SURE_UPRIGHT, most=orient.MAX_LINES):
        n, _ = real(lines, readings, reader, sure, most)
        calls.append(n)
        return max(n, orient.MIN_LINES), 3.0 if len(calls) % 2 == 1 else -3.0

    monkeypatch.setattr(orient, "turn_gain", said_turned)
    monkeypatch.setattr(orient, "print_way", lambda *a, **k: 0)
    lying = read(image, readers)
    assert lying.turned == 0 and lying.fields
    assert all(
        f.status == "review" and api.MAY_BE_UPSIDE_DOWN in (f.reason or "") for f in lying.fields
    )
    # Its print standing upside down as its lines say: turned, as before.
    monkeypatch.setattr(orient, "print_way", lambda *a, **k: -1)
    assert read(image, readers).turned == 180


def test_a_turned_page_is_valid_json(
    readers: api.Readers, form: tuple[np.ndarray, PageResult]
) -> None:
    image, _ = form
    s = json.loads(
        (resources.files("formocr") / "output" / "schema" / "results.schema.json").read_text()
    )
    page = page_dict(read(orient.turned(image), readers))
    assert page["turned"] == 180
    validator = jsonschema.Draft202012Validator({"$defs": s["$defs"], "$ref": "#/$defs/page"})
    validator.validate(page)


def test_a_page_is_read_turned_only_on_a_clear_gain() -> None:
    assert orient.upside_down(6, 6 * 0.12)  # the least an upside-down page gained
    assert not orient.upside_down(6, 6 * -0.20)  # the most an upright page gained
    assert not orient.upside_down(0, 0.0)  # no string lines: not checked
    assert not orient.upside_down(orient.MIN_LINES, orient.TURN_NATS - 0.01)
    # one or two lines never turn a page, however much they gain (a cut-out amount)
    assert not orient.upside_down(orient.MIN_LINES - 1, 10.0)
    assert orient.upside_down(orient.MIN_LINES, 10.0)
    assert not orient.upside_down(20, 0.9)  # 0.045 a line: under TURN_MEAN


@dataclass(frozen=True)
class _Reading:
    text: str
    confidence: float


class _Reader:
    """Reads a line surely when its mark (a dark pixel) is at the bottom right;
    a line with a grey pixel at its top right reads as no digits either way."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    def read(self, images: list[np.ndarray]) -> list[_Reading]:
        self.asked.append(len(images))
        return [_Reading("1", self._p(im)) for im in images]

    @staticmethod
    def _p(im: np.ndarray) -> float:
        if 128 in (im[0, -1], im[-1, 0]):  # letters, read as no digits either way
            return 0.005 if im[-1, -1] == 0 else 0.0001
        return 0.9 if im[-1, -1] == 0 else 0.1

    def rescore(self, reading: object, text: str) -> float:
        return 0.0


def test_turn_gain_reads_more_lines_where_the_first_are_not_surely_upright() -> None:
    line = np.full((8, 20), 255, np.uint8)
    line[0, 0] = 0  # the mark at the top left: it reads surely turned
    reader = _Reader()
    as_they_lie = reader.read([line] * 9)
    n, gain = orient.turn_gain([line] * 9, as_they_lie, reader)  # type: ignore[arg-type]
    assert n == orient.MAX_LINES
    first = orient.FIRST_LINES
    assert reader.asked == [9, first, orient.MAX_LINES - first]
    assert gain == pytest.approx(orient.MAX_LINES * np.log(0.9 / 0.1))
    assert orient.upside_down(n, gain)


def test_turn_gain_stops_at_lines_surely_upright() -> None:
    line = np.full((8, 20), 255, np.uint8)
    line[-1, -1] = 0  # read surely as it lies, badly turned
    reader = _Reader()
    n, gain = orient.turn_gain([line] * 9, reader.read([line] * 9), reader)  # type: ignore[arg-type]
    assert n == orient.FIRST_LINES
    assert reader.asked == [9, orient.FIRST_LINES]
    assert gain <= -orient.SURE_UPRIGHT
    assert not orient.upside_down(n, gain)
    assert not orient.surely_upright(n, gain)  # two lines: too few to say so
    # A page lying sideways may be either way up: no early stop.
    n, gain = orient.turn_gain([line] * 9, reader.read([line] * 9), reader, sure=np.inf)  # type: ignore[arg-type]
    assert n == orient.MAX_LINES
    assert orient.surely_upright(n, gain) and not orient.upside_down(n, gain)


def test_a_line_that_reads_as_no_digits_either_way_does_not_vote() -> None:
    # A sample form's header: the name and city, handwritten letters, read
    # at 0.005 or worse either way, better turned; they outvoted the digit
    # lines under them and the page was read upside down.
    digits = np.full((8, 20), 255, np.uint8)
    digits[-1, -1] = 0  # read surely as it lies
    letters = np.full((8, 20), 255, np.uint8)
    letters[0, 0], letters[0, -1] = 0, 128  # read better turned, as no digits either way
    lines = [letters, digits, letters, digits, digits, letters, digits, digits]
    reader = _Reader()
    n, gain = orient.turn_gain(lines, reader.read(lines), reader, sure=np.inf)  # type: ignore[arg-type]
    assert n == 5  # the digit lines; the letters read in their place
    assert gain == pytest.approx(5 * np.log(0.1 / 0.9))
    assert orient.surely_upright(n, gain)
    # Had the letters voted, the page would have been read turned.
    everyone = sum(
        np.log(max(reader._p(orient.turned(line)), orient.FLOOR))
        - np.log(max(reader._p(line), orient.FLOOR))
        for line in lines[:6]
    )
    assert orient.upside_down(6, everyone)
    # Lines that read as no digits either way leave nothing to decide.
    assert orient.turn_gain([letters] * 4, reader.read([letters] * 4), reader) == (0, 0.0)  # type: ignore[arg-type]


def test_a_template_page_upside_down_is_registered_turned(
    readers: api.Readers, form: tuple[np.ndarray, PageResult]
) -> None:
    image, _ = form
    h, w = image.shape
    config = ScanConfig(templates=(draft_template(SAMPLES / "form.png", name="form"),))
    up = read(image, readers, config)
    down = read(orient.turned(image), readers, config)
    assert up.error is None and not up.turned
    assert down.error is None and down.turned
    assert down.template == "form"
    assert [(f.name, f.value, f.status) for f in down.fields] == [
        (f.name, f.value, f.status) for f in up.fields
    ]
    for a, b in zip(up.fields, down.fields, strict=True):
        assert turned_box(a.bbox, w, h).iou(b.bbox) > 0.95
    # Without the check it matches the template no way up: a page error, as before.
    off = read(orient.turned(image), readers, replace(config, turn_upside_down=False))
    assert off.error is not None and "does not match" in off.error


# -- pages fed sideways ----------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(8, 40),
    w=st.integers(8, 40),
    box=st.tuples(st.floats(0, 0.9), st.floats(0, 0.9), st.floats(0.05, 1), st.floats(0.05, 1)),
    quarters=st.integers(-4, 7),
)
def test_box_back_takes_a_box_of_the_turned_image_back_to_the_page(
    h: int, w: int, box: tuple[float, float, float, float], quarters: int
) -> None:
    x, y = int(box[0] * w), int(box[1] * h)
    bw, bh = max(1, min(w - x, int(box[2] * w))), max(1, min(h - y, int(box[3] * h)))
    page = np.zeros((h, w), np.uint8)
    page[y : y + bh, x : x + bw] = 1
    turned = orient.quarter(page, quarters)
    assert turned.shape == ((h, w) if quarters % 2 == 0 else (w, h))
    ys, xs = np.nonzero(turned)
    on_turned = BBox(int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)
    assert orient.box_back(on_turned, quarters, (h, w)) == BBox(x, y, bw, bh)


def test_quarter_turns_clockwise() -> None:
    a = np.array([[1, 2], [3, 4]], np.uint8)
    assert orient.quarter(a, 1).tolist() == [[3, 1], [4, 2]]  # clockwise
    assert orient.quarter(a, 3).tolist() == [[2, 4], [1, 3]]
    assert np.array_equal(orient.quarter(a, 2), orient.turned(a))
    assert np.array_equal(orient.quarter(a, 4), a)


def test_the_rules_tell_a_page_lying_sideways(form: tuple[np.ndarray, PageResult]) -> None:
    image, _ = form
    assert not orient.sideways(image, 300.0)
    assert not orient.sideways(orient.turned(image), 300.0)
    assert orient.sideways(orient.quarter(image, 1), 300.0)
    assert orient.sideways(orient.quarter(image, 3), None)  # dpi guessed
    # A blank page never. A strip (an amount cut out, whose rules may be a
    # background's) by its shape alone: hatched up it, it lies right; stood
    # on end, sideways.
    assert not orient.sideways(np.full((3508, 2480), 255, np.uint8), 300.0)
    strip = np.full((150, 900), 255, np.uint8)
    strip[:, ::40] = 0
    assert not orient.sideways(strip, 300.0)
    assert orient.sideways(orient.quarter(strip, 1), None)
    cheque = np.asarray(Image.open(SAMPLES / "cheque.tiff").convert("L"))
    assert not orient.sideways(cheque, 300.0)


def test_a_page_fed_sideways_is_read_turned_a_quarter(
    readers: api.Readers, form: tuple[np.ndarray, PageResult]
) -> None:
    image, up = form
    h, w = image.shape
    # Turned clockwise, it is read turned a quarter anticlockwise (270 more):
    # the page's string lines read better that way up than turned clockwise.
    side = read(orient.quarter(image, 1), readers)
    assert side.turned == 270
    assert (side.width, side.height) == (h, w)  # the page as given
    assert [(f.name, f.value, f.status) for f in side.fields] == [
        (f.name, f.value, f.status) for f in up.fields
    ]
    for a, b in zip(up.fields, side.fields, strict=True):
        # The same box, in the pixels of the page as it was given.
        assert orient.box_back(a.bbox, -1, (w, h)).iou(b.bbox) > 0.95
    # Without the check, its boxes stood on end are lost: cells of its combs,
    # none read as the form's values.
    off = read(orient.quarter(image, 1), readers, replace(ScanConfig(), turn_upside_down=False))
    assert off.turned == 0
    assert not {f.value for f in off.fields if f.value} & {f.value for f in up.fields if f.value}


def test_a_sideways_page_of_two_string_lines_is_told_by_its_combs_too(
    readers: api.Readers, form: tuple[np.ndarray, PageResult]
) -> None:
    # Turned anticlockwise, the form is read turned clockwise. Its two string
    # lines are fewer than MIN_LINES, and two lines cannot say which way up
    # (on development pages two lines gained up to +0.63 nats upright); its
    # comb fields, read as lines, say it surely.
    image, up = form
    side = read(orient.quarter(image, 3), readers)
    assert side.turned == 90
    assert [(f.name, f.value, f.status) for f in side.fields] == [
        (f.name, f.value, f.status) for f in up.fields
    ]


def test_a_comb_line_is_its_digits_where_they_were_written() -> None:
    digit = np.full((30, 20), 255, np.uint8)
    digit[5:25, 8:12] = 0  # a 1
    crops = (
        DigitCrop(BBox(110, 205, 20, 30), digit),
        DigitCrop(BBox(150, 205, 20, 30), digit),
    )
    comb = FieldLayout(BBox(100, 200, 80, 40), "comb", crops, cells=2)
    line = orient.comb_line(comb)
    assert line is not None and line.shape == (40, 80) and line.dtype == np.uint8
    ys, xs = np.nonzero(line < 128)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (18, 61, 10, 29)
    assert not (line[:, :18] < 128).any() and not (line[:, 22:58] < 128).any()
    # One digit, or a string box: no line.
    assert orient.comb_line(replace(comb, digits=crops[:1])) is None
    assert orient.comb_line(replace(comb, kind="string")) is None


@pytest.mark.parametrize("quarters", [1, 3])
def test_a_sideways_page_is_valid_json(
    readers: api.Readers, form: tuple[np.ndarray, PageResult], quarters: int
) -> None:
    image, _ = form
    s = json.loads(
        (resources.files("formocr") / "output" / "schema" / "results.schema.json").read_text()
    )
    page = page_dict(read(orient.quarter(image, quarters), readers))
    assert page["turned"] == 360 - 90 * quarters
    validator = jsonschema.Draft202012Validator({"$defs": s["$defs"], "$ref": "#/$defs/page"})
    validator.validate(page)
    for f in page["fields"]:
        x, y, bw, bh = f["bbox"]
        assert x >= 0 and y >= 0 and x + bw <= page["width"] and y + bh <= page["height"]


@pytest.mark.parametrize("quarters", [1, 3])
def test_a_template_page_fed_sideways_is_registered_turned(
    readers: api.Readers, form: tuple[np.ndarray, PageResult], quarters: int
) -> None:
    image, _ = form
    config = ScanConfig(templates=(draft_template(SAMPLES / "form.png", name="form"),))
    up = read(image, readers, config)
    side = read(orient.quarter(image, quarters), readers, config)
    assert side.error is None and side.turned == 360 - 90 * quarters
    assert [(f.name, f.value, f.status) for f in side.fields] == [
        (f.name, f.value, f.status) for f in up.fields
    ]
    shape = orient.quarter(image, quarters).shape
    for a, b in zip(up.fields, side.fields, strict=True):
        assert orient.box_back(a.bbox, -quarters, shape).iou(b.bbox) > 0.95


def sample_cheque(print_too: bool = True) -> np.ndarray:
    """The sample cheque (200 dpi); without ``print_too``, a cheque printed
    with its boxes alone (no bank's name, labels or code line) and only the
    year written in its date: white paper, the sample's boxes on it (its
    paper's tint divided out, so no patch of grey shows round them), the
    day's and the month's cells left blank. Its only lines are the amount
    and the year's four cells: too few to say surely which way up. (With
    every date cell written, three lines read and say it, turned a quarter
    either way or upside down, and the page is read as it stands.)"""
    from formocr.layout.fields import find_fields

    cheque = np.asarray(Image.open(SAMPLES / "cheque.tiff").convert("L"))
    if print_too:
        return cheque
    paper = cv2.morphologyEx(cheque, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    flat = np.clip(cheque.astype(np.float32) / paper * 255.0, 0, 255).astype(np.uint8)
    bare = np.full_like(cheque, 255)
    cells = 0
    for f in find_fields(cheque, 200.0):
        b = f.bbox
        bare[b.y - 8 : b.y + b.h + 8, b.x - 8 : b.x + b.w + 8] = flat[
            b.y - 8 : b.y + b.h + 8, b.x - 8 : b.x + b.w + 8
        ]
        if b.w < 2 * b.h:  # a date cell: the first four (day, month) left blank
            cells += 1
            if cells <= 4:
                inside = flat[b.y + 6 : b.y + b.h - 6, b.x + 6 : b.x + b.w - 6]
                bare[b.y + 6 : b.y + b.h - 6, b.x + 6 : b.x + b.w - 6] = np.median(inside)
    assert cells == 8
    return bare


def read_cheque(
    image: np.ndarray, readers: api.Readers, config: ScanConfig | None = None
) -> PageResult:
    return api.scan_page(PageImage("cheque.tiff", 1, image, 200.0), config or ScanConfig(), readers)


@pytest.mark.parametrize("quarters", [1, 2, 3])
def test_a_cheque_fed_turned_is_read_as_its_print_stands(
    readers: api.Readers, quarters: int
) -> None:
    # One amount line and a date comb cannot say surely which way up; its
    # print, upside down or turned a quarter (and read turned a quarter),
    # stands upright or upside down, and says.
    cheque = sample_cheque()
    up = read_cheque(cheque, readers)
    side = read_cheque(orient.quarter(cheque, quarters), readers)
    assert side.turned == 360 - 90 * quarters
    assert [(f.value, f.status) for f in side.fields] == [(f.value, f.status) for f in up.fields]
    assert any(f.status == "ok" for f in up.fields)


@pytest.mark.parametrize("quarters", [1, 3])
def test_a_cheque_with_no_print_fed_sideways_is_read_the_way_its_line_reads_better_and_reviewed(
    readers: api.Readers, quarters: int
) -> None:
    # With no print to say, one amount line and the year's cells are too few
    # to say surely which way up, but enough to read the likelier way for
    # whoever reviews it.
    cheque = sample_cheque(print_too=False)
    up = read_cheque(cheque, readers)
    side = read_cheque(orient.quarter(cheque, quarters), readers)
    assert side.turned == 360 - 90 * quarters
    assert [f.value for f in side.fields] == [f.value for f in up.fields]
    assert any(f.status == "ok" for f in up.fields)
    assert all(f.status == "review" and api.WHICH_WAY_UP in (f.reason or "") for f in side.fields)


def test_a_page_of_comb_boxes_alone_upside_down_is_read_turned(readers: api.Readers) -> None:
    # The sample form with its two string boxes blanked out: three combs of
    # digits, which the string reader reads as lines, one cell after another.
    from formocr.layout.fields import find_fields

    image = cv2.imread(str(SAMPLES / "form.png"), cv2.IMREAD_GRAYSCALE)
    for f in find_fields(image, 300.0):
        if f.kind == "string":
            b = f.bbox
            image[b.y - 10 : b.y + b.h + 10, b.x - 10 : b.x + b.w + 10] = 255
    up = read(image, readers)
    assert up.turned == 0 and sum(f.status == "ok" and len(f.value) > 1 for f in up.fields) >= 3
    down = read(orient.turned(image), readers)
    assert down.turned == 180
    assert [(f.name, f.value, f.status) for f in down.fields] == [
        (f.name, f.value, f.status) for f in up.fields
    ]
    side = read(orient.quarter(image, 1), readers)
    assert side.turned == 270
    assert [(f.value, f.status) for f in side.fields] == [(f.value, f.status) for f in up.fields]
    # As it lies, the turned combs read as other digits.
    off = read(orient.turned(image), readers, replace(ScanConfig(), turn_upside_down=False))
    assert [f.value for f in off.fields] != [f.value for f in up.fields]


def amount_strip() -> np.ndarray:
    """The sample cheque's amount box cut out with 20 px of margin, as
    cheque datasets keep amounts."""
    from formocr.layout.fields import find_fields

    cheque = sample_cheque()
    box = max(find_fields(cheque, 200.0), key=lambda f: f.bbox.w).bbox
    return np.ascontiguousarray(
        cheque[box.y - 20 : box.y + box.h + 20, box.x - 20 : box.x + box.w + 20]
    )


def read_strip(
    image: np.ndarray, readers: api.Readers, config: ScanConfig | None = None
) -> PageResult:
    """A strip read as a PNG that records no resolution."""
    return api.scan_page(PageImage("amount.png", 1, image, None), config or ScanConfig(), readers)


@pytest.mark.parametrize("quarters", [1, 3])
def test_an_amount_cut_out_and_stood_on_end_is_read_turned_and_reviewed(
    readers: api.Readers, quarters: int
) -> None:
    # A strip is judged by its shape alone: amounts are written along it.
    strip = amount_strip()
    up = read_strip(strip, readers)
    assert up.turned == 0 and [f.status for f in up.fields] == ["ok"]
    side = read_strip(orient.quarter(strip, quarters), readers)
    assert side.turned == 360 - 90 * quarters
    assert [f.value for f in side.fields] == [f.value for f in up.fields]
    assert all(f.status == "review" and api.WHICH_WAY_UP in (f.reason or "") for f in side.fields)


def test_a_cheque_with_no_print_upside_down_is_not_turned_but_every_field_goes_to_review(
    readers: api.Readers,
) -> None:
    # One amount line and the year's cells, and no print to say: too few
    # lines to turn the page surely, but they read better turned, so nothing
    # on it is `ok`.
    cheque = sample_cheque(print_too=False)
    assert orient.print_way(orient.turned(cheque), 200.0) == 0
    up = read_cheque(cheque, readers)
    assert any(f.status == "ok" for f in up.fields)
    assert not any(api.MAY_BE_UPSIDE_DOWN in (f.reason or "") for f in up.fields)
    down = read_cheque(orient.turned(cheque), readers)
    assert down.turned == 0
    assert all(
        f.status == "review" and api.MAY_BE_UPSIDE_DOWN in (f.reason or "") for f in down.fields
    )
    # Without the check, a turned date cell that reads as a digit is `ok`.
    off = read_cheque(orient.turned(cheque), readers, replace(ScanConfig(), turn_upside_down=False))
    assert any(f.status == "ok" for f in off.fields)


def test_boxes_found_on_joined_dots_do_not_vote_which_way_up(
    readers: api.Readers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A box found only with a black-and-white page's dots joined may be
    print framed by the scan's specks (a cheque's payee, "Signature"): read
    better turned, it sent three black-and-white cheques' right date boxes
    to review as "may be upside down" (BENCHMARKS.md, fifty-first session).
    Such boxes (``FieldLayout.dotted``) do not vote: the no-print cheque
    upside down, every box taken as so found, is no longer suspected."""
    import dataclasses

    from formocr.layout import fields as segment
    from formocr.types import FieldLayout

    def dotted(layouts: list[FieldLayout]) -> list[FieldLayout]:
        names = [f.name for f in dataclasses.fields(FieldLayout)]
        plain = [FieldLayout(*(getattr(f, n) for n in names)) for f in layouts]
        return [replace(f, dotted=True) for f in plain]

    find, locate = segment.find_fields, segment.locate
    down = orient.turned(sample_cheque(print_too=False))
    before = read_cheque(down, readers)
    assert all(api.MAY_BE_UPSIDE_DOWN in (f.reason or "") for f in before.fields)
    monkeypatch.setattr(segment, "find_fields", lambda *a, **k: dotted(find(*a, **k)))
    monkeypatch.setattr(
        segment,
        "locate",
        lambda *a, **k: replace(located := locate(*a, **k), layouts=dotted(located.layouts)),
    )
    after = read_cheque(down, readers)
    assert [f.value for f in after.fields] == [f.value for f in before.fields]
    assert not any(api.MAY_BE_UPSIDE_DOWN in (f.reason or "") for f in after.fields)


def test_the_print_tells_which_way_up_a_page_stands() -> None:
    page = printed(
        ["Pay to the order of", "Branch 4376, 128 High Street", "the sum of", "Signature"]
    )
    feet, heads = orient.print_pairs(page, 300.0)
    assert feet >= orient.PRINT_PAIRS and feet >= orient.PRINT_RATIO * heads
    assert orient.print_way(page, 300.0) == 1
    assert orient.print_pairs(orient.turned(page), 300.0) == (heads, feet)
    assert orient.print_way(orient.turned(page), 300.0) == -1
    # Stood on end, its characters have no neighbours side by side.
    assert orient.print_way(orient.quarter(page, 1), 300.0) == 0
    assert orient.print_way(orient.quarter(page, 3), 300.0) == 0


def test_capitals_digits_and_a_blank_page_do_not_tell() -> None:
    # Their feet and heads align alike.
    page = printed(["NORTHBRIDGE BANK 4376", "C137414C A398829A 92930332C", "SECURITY PAPER"])
    assert orient.print_way(page, 300.0) == 0
    assert orient.print_way(orient.turned(page), 300.0) == 0
    assert orient.print_pairs(np.full((900, 1500), 255, np.uint8), 300.0) == (0, 0)


def test_a_page_of_few_lines_is_suspect_only_when_they_read_better_turned() -> None:
    assert orient.may_be_upside_down(1, orient.DOUBT_NATS)
    assert orient.may_be_upside_down(orient.MIN_LINES - 1, 3.0)
    assert not orient.may_be_upside_down(1, orient.DOUBT_NATS - 0.01)
    assert not orient.may_be_upside_down(0, 5.0)  # no lines: nothing to say
    # Three lines or more decide themselves (upside_down).
    assert not orient.may_be_upside_down(orient.MIN_LINES, 5.0)


def _ring(x: int) -> Blob:
    """A digit-sized blob (80 px tall, 40 wide, a 6-px stroke) at x."""
    m = np.zeros((80, 40), np.uint8)
    cv2.rectangle(m, (0, 0), (39, 79), 1, 6)
    return Blob(x, 20, m)


def test_a_point_at_the_top_of_the_digits_is_raised_not_a_mark() -> None:
    # An amount's point, the amount written (or fed) upside down, hangs at
    # the top of its digits.
    from formocr.layout.digits import _find_marks

    digits = [_ring(20 + 60 * k) for k in range(4)]
    low, high = Blob(66, 92, np.ones((8, 8), np.uint8)), Blob(66, 20, np.ones((8, 8), np.uint8))
    raised: list[Blob] = []
    _, marks = _find_marks([*digits, low], [], 80.0, raised=raised)
    assert [ch for _, ch in marks] == ["."] and raised == []
    _, marks = _find_marks([*digits, high], [], 80.0, raised=raised)
    assert marks == [] and raised == [high]


def test_a_tick_at_the_top_before_a_point_below_is_an_apostrophe_not_raised() -> None:
    # "1'250.50", as the Swiss write it: the tick hangs at the top of the
    # digits, the decimal point stands on their baseline after it.
    from formocr.layout.digits import _find_marks

    digits = [_ring(20 + 60 * k) for k in range(6)]
    tick = Blob(66, 18, np.ones((16, 7), np.uint8))
    point = Blob(246, 92, np.ones((8, 8), np.uint8))
    dot = Blob(66, 20, np.ones((8, 8), np.uint8))  # round: a point turned upside down
    raised: list[Blob] = []
    _, marks = _find_marks([*digits, tick, point], [], 80.0, raised=raised)
    assert [ch for _, ch in marks] == ["'", "."] and raised == []
    # No point after it on the baseline: an upside-down string's point.
    _, marks = _find_marks([*digits, tick], [], 80.0, raised=raised)
    assert marks == [] and raised == [tick]
    raised.clear()
    # A round point at the top, even with one on the baseline after it.
    _, marks = _find_marks([*digits, dot, point], [], 80.0, raised=raised)
    assert [ch for _, ch in marks] == ["."] and raised == [dot]
    raised.clear()
    # Before every digit, it stands between none.
    lead = Blob(2, 18, np.ones((16, 7), np.uint8))
    _, marks = _find_marks([*digits, lead, point], [], 80.0, raised=raised)
    assert [ch for _, ch in marks] == ["."] and raised == [lead]


@pytest.mark.parametrize("seed", [0, 3, 18])
def test_a_swiss_amount_cut_out_reads_its_apostrophes_and_upside_down_is_reviewed(
    readers: api.Readers, seed: int
) -> None:
    # A cheque amount grouped by apostrophes, cut out with 20 px of margin
    # and no resolution recorded: no orientation to go by but the strip's.
    from training.synth import make_cheque

    image, truth = make_cheque(np.random.default_rng(seed), 300, amount_format="en", swiss=True)
    (amount,) = [t for t in truth if t.label == "Amount"]
    assert "'" in amount.text
    x, y, w, h = amount.bbox
    strip = np.ascontiguousarray(image[y - 20 : y + h + 20, x - 20 : x + w + 20])
    up = read_strip(strip, readers)
    assert [(f.raw, f.value, f.status) for f in up.fields] == [(amount.text, amount.value, "ok")]
    down = read_strip(orient.turned(strip), readers)
    assert down.fields and all(
        f.status == "review" and api.RAISED in (f.reason or "") for f in down.fields
    )


def test_an_amount_cut_out_upside_down_is_reviewed_for_its_raised_point(
    readers: api.Readers,
) -> None:
    # No print and one line: only its point, hanging at the top, says it.
    strip = amount_strip()
    up = read_strip(strip, readers)
    assert [f.raw for f in up.fields] == ["651,538.11"] and not any(
        api.RAISED in (f.reason or "") for f in up.fields
    )
    down = read_strip(orient.turned(strip), readers)
    assert down.fields and all(
        f.status == "review" and api.RAISED in (f.reason or "") for f in down.fields
    )
    # With the check off, the caller vouches for the way up: no such doubt.
    off = read_strip(orient.turned(strip), readers, replace(ScanConfig(), turn_upside_down=False))
    assert off.fields and not any(api.RAISED in (f.reason or "") for f in off.fields)


def test_lines_tell_a_page_upright_surely_or_by_losing_sure_nats() -> None:
    # Two lines that lose SURE_UPRIGHT nats by turning (the early stop), or
    # three that would turn the page the other way round.
    assert orient.told_upright(orient.FIRST_LINES, -orient.SURE_UPRIGHT)
    assert not orient.told_upright(orient.FIRST_LINES, -orient.SURE_UPRIGHT + 0.01)
    assert orient.told_upright(orient.MIN_LINES, -orient.TURN_NATS)
    assert not orient.told_upright(orient.MIN_LINES, -orient.TURN_NATS + 0.01)
    assert not orient.told_upright(0, -5.0)  # no lines: nothing told
