"""formocr.layout.fields on pages with known truth: synthetic forms and cheques from
training.synth, plus a few pages drawn here for layouts it does not make."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any

import cv2
import jsonschema
import numpy as np
import pytest
from conftest import FakeClassifier, cheque_amount
from hypothesis import given, settings
from hypothesis import strategies as st

from formocr import stats
from formocr.api import scan_page
from formocr.config import ScanConfig
from formocr.layout import fields as fields_module
from formocr.layout.digits import BoxLayout
from formocr.layout.fields import find_fields
from formocr.layout.frame import Mark, vertical_marks, white_dividers
from formocr.layout.lines import page_geometry, spread_dark
from formocr.output.writers import document_dict
from formocr.read.normalize import normalize
from formocr.types import BBox, DocumentResult, FieldLayout, PageImage, page_bbox, rect_corners
from training.synth import Degradation, FieldTruth, make_cheque, make_form_page
from training.synth.backgrounds import pattern as training_pattern


def iou(a: BBox, b: BBox) -> float:
    return BBox(*a).iou(BBox(*b))


def pair(fields: Sequence[FieldLayout], truth: Sequence[FieldTruth]) -> list[FieldLayout | None]:
    """For each truth field, the found field with IoU >= 0.5 (one to one)."""
    used: set[int] = set()
    out: list[FieldLayout | None] = []
    for tr in truth:
        scores = [(iou(f.bbox, tr.bbox), k) for k, f in enumerate(fields) if k not in used]
        best, k = max(scores, default=(0.0, -1))
        if best >= 0.5:
            used.add(k)
            out.append(fields[k])
        else:
            out.append(None)
    return out


def assert_layout(fields: Sequence[FieldLayout], truth: Sequence[FieldTruth], counts: float = 1.0):
    """Every field found, no extra ones, kinds and cells right, and at least
    ``counts`` of the fields with the right number of digits."""
    found = pair(fields, truth)
    for tr, f in zip(truth, found, strict=True):
        assert f is not None, f"{tr.name} {tr.kind}/{tr.cells} at {tr.bbox} not found"
        assert (f.kind, f.cells) == (tr.kind, tr.cells), f"{tr.name}: got {f.kind}/{f.cells}"
    assert len(fields) == len(truth), "spurious fields"
    right = sum(len(f.digits) == len(tr.digits) for tr, f in zip(truth, found, strict=True))
    assert right >= counts * len(truth), [
        (tr.value, len(f.digits)) for tr, f in zip(truth, found, strict=True) if f
    ]


# -- synthetic forms and cheques ---------------------------------------------------------


# Fields whose digit count may miss on the clean pages, by (seed, dpi).
# Measured on 2026-12-01: every count right on five of the six pages; seed
# 2 at 150 dpi cuts "54927000", whose digits touch all along, into nine
# (README's known limit: the count then rests on the writer's digit width
# alone). Any other miss fails.
CLEAN_MISSES: dict[tuple[int, int], set[str]] = {(2, 150): {"54927000"}}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("dpi", [150, 300])
def test_clean_forms(seed: int, dpi: int) -> None:
    page, truth = make_form_page(np.random.default_rng(seed), dpi)
    fields = find_fields(page, dpi)
    assert_layout(fields, truth, counts=0.0)  # the layout exact; the counts below
    misses = {
        tr.value
        for tr, f in zip(truth, pair(fields, truth), strict=True)
        if f is not None and len(f.digits) != len(tr.digits)
    }
    assert misses <= CLEAN_MISSES.get((seed, dpi), set()), misses


@pytest.mark.parametrize("angle", [-3.0, 3.0, 9.0, -12.0])
def test_skewed_page_boxes_in_page_coordinates(angle: float) -> None:
    """Skew is measured and undone up to MAX_SKEW_DEG (past about 7 degrees,
    by looking again at the page turned back), and boxes are reported on the
    page as scanned."""
    deg = Degradation(rotation_deg=(angle, angle), blur_sigma=(0.5, 0.5), noise_sigma=(4, 4))
    page, truth = make_form_page(np.random.default_rng(11), 200, degradation=deg)
    fields = find_fields(page, 200)
    assert_layout(fields, truth)
    for tr, f in zip(truth, pair(fields, truth), strict=True):
        assert f is not None and iou(f.bbox, tr.bbox) > 0.8
        # Each digit's box is reported on the turned page too.
        for d in tr.digits:
            assert any(iou(c.bbox, d.bbox) > 0.5 for c in f.digits), (tr.name, d)


@pytest.mark.parametrize("seed", [4, 5])
def test_harsh_scans(seed: int) -> None:
    page, truth = make_form_page(np.random.default_rng(seed), 200, degradation=Degradation.harsh())
    assert_layout(find_fields(page, 200), truth, counts=0.8)


def test_a_page_blurred_past_reading_does_not_crash() -> None:
    """Blur of sigma 5 px at 300 dpi squashes a row of digits into a low band;
    splitting it once asked for pieces under a pixel wide and raised."""
    deg = dataclasses.replace(Degradation.scan(), blur_sigma=(5.0, 5.0))
    page, truth = make_form_page(np.random.default_rng(70009), 300, degradation=deg)
    fields = find_fields(page, 300)
    assert len(fields) <= len(truth)
    assert all(d.image.shape[0] > 0 and d.image.shape[1] > 0 for f in fields for d in f.digits)


def test_600_dpi_salt_and_pepper_makes_no_digits() -> None:
    deg = Degradation(salt_pepper=(0.01, 0.01), noise_sigma=(8, 8))
    page, truth = make_form_page(
        np.random.default_rng(6), 600, degradation=deg, n_fields=4, empty_field_rate=1.0
    )
    fields = find_fields(page, 600)
    assert_layout(fields, truth)
    assert all(not f.digits for f in fields)


def test_empty_boxes_and_cells() -> None:
    page, truth = make_form_page(
        np.random.default_rng(7), 200, empty_field_rate=0.5, empty_cell_rate=0.3
    )
    fields = find_fields(page, 200)
    assert any(not tr.digits for tr in truth) and any(len(tr.value) < tr.cells for tr in truth)
    assert_layout(fields, truth)


def test_tick_combs() -> None:
    page, truth = make_form_page(np.random.default_rng(8), 200, ticks_rate=1.0, n_fields=6)
    assert any(tr.comb_style == "ticks" for tr in truth)
    assert_layout(find_fields(page, 200), truth)


def test_strokes_crossing_the_frame() -> None:
    page, truth = make_form_page(np.random.default_rng(9), 300, cross_frame_rate=1.0, n_fields=6)
    assert_layout(find_fields(page, 300), truth)


def test_touching_digits_are_split() -> None:
    page, truth = make_form_page(np.random.default_rng(3), 200, touching_rate=1.0, n_fields=8)
    strings = [tr for tr in truth if tr.kind == "string" and len(tr.digits) > 1]
    assert strings
    fields = find_fields(page, 200)
    assert_layout(fields, truth)


@pytest.mark.parametrize("separate", [False, True])
def test_cheque_dates(separate: bool) -> None:
    """A date comb, or eight single boxes: each box its own one-cell comb."""
    page, truth = make_cheque(
        np.random.default_rng(12), 300, separate_date_boxes=separate, amount_format="plain"
    )
    fields = find_fields(page, 300)
    assert_layout(fields, truth)
    singles = [f for f in fields if f.kind == "comb" and f.cells == 1]
    assert len(singles) == (8 if separate else 0)


def test_cheque_600_dpi_scan() -> None:
    page, truth = make_cheque(
        np.random.default_rng(13), 600, degradation=Degradation.scan(), amount_format="plain"
    )
    assert_layout(find_fields(page, 600), truth)


@pytest.mark.parametrize("maker", [make_form_page, make_cheque])
def test_unknown_dpi(maker) -> None:
    page, truth = maker(np.random.default_rng(14), 300)
    assert_layout(find_fields(page), truth)


@pytest.mark.parametrize(
    ("shape", "lo", "hi"),
    [
        ((3508, 2480), 299, 301),  # A4 at 300 dpi
        ((945, 2067), 270, 290),  # a cheque slip (175 mm) at 300 dpi
        ((630, 1378), 180, 190),  # the same at 200 dpi
        ((178, 622), 230, 240),  # an amount box cut out with 15 px round it
        ((260, 1400), 340, 350),  # a long strip of boxes, 300 dpi
    ],
)
def test_a_resolution_is_guessed_from_the_page_shape(shape, lo, hi) -> None:
    from formocr.layout.lines import guess_dpi

    assert lo <= guess_dpi(shape) <= hi


def test_an_amount_box_cut_from_its_cheque_is_read_at_a_guessed_scale(tmp_path) -> None:
    """An amount box cut out with its margins and no resolution recorded was
    taken for a whole cheque at 100 dpi: its box seemed 1.4 inches tall and
    was no box. Its scale now comes from its height."""
    from PIL import Image

    from formocr.api import load_classifier, scan

    page, truth = make_cheque(
        np.random.default_rng(0), 300, degradation=Degradation.scan(), amount_format="plain"
    )
    amount = next(t for t in truth if t.label == "Amount")
    x, y, w, h = amount.bbox
    path = tmp_path / "amount.png"
    Image.fromarray(page[y - 20 : y + h + 20, x - 20 : x + w + 20]).save(path)  # no dpi
    (doc,) = scan([path], ScanConfig(), load_classifier())
    ((field,),) = [p.fields for p in doc.pages]
    assert field.value == amount.value


def test_an_amount_cut_inside_its_box_is_read_as_the_box(tmp_path) -> None:
    """Cut inside the frame, with no resolution recorded, the strip has no
    box to find: it is read as one (a page-shaped image never is)."""
    page, truth = make_cheque(
        np.random.default_rng(0), 300, degradation=Degradation.scan(), amount_format="plain"
    )
    amount = next(t for t in truth if t.label == "Amount")
    x, y, w, h = amount.bbox
    inner = np.ascontiguousarray(page[y + 12 : y + h - 12, x + 12 : x + w - 12])
    (field,) = find_fields(inner)
    assert field.kind == "string" and field.bbox == BBox(0, 0, inner.shape[1], inner.shape[0])
    assert len(field.ink.segments) >= len(amount.value)
    blank = np.full((2480, 1754), 255, np.uint8)
    assert find_fields(blank) == [] and find_fields(blank[:200]) != []


@pytest.mark.parametrize("light", [200, 215])
def test_digits_written_light_in_an_amount_cut_inside_its_box_ask(light: int) -> None:
    """An amount cut inside its box, ``581,43`` with its 8 and 1 written
    light (grey ``light`` on paper 240): no ink at the strip's threshold, and
    the faint marks' test looked in a strip on a quiet scan not at all (no
    paper round it), so it was read ``543``, `ok` (a light-pen cheque cut
    tight, BENCHMARKS.md, fifty-seventh session). The room they leave before
    the comma, as wide as a digit, asks; and since the fifty-ninth session
    so do their strokes, in the strip's darkness opened by a disc of the
    writing's pen. Written dark, the amount is read `ok`."""
    from formocr.api import FAINT, load_classifier

    def read(grey: int) -> tuple[str, str, str]:
        img = np.full((110, 520), 240, np.uint8)
        x = 20
        for ch in "581,43":
            if ch == ",":
                cv2.line(img, (x + 8, 80), (x, 100), 40, 9)
                x += 30
                continue
            ink = grey if ch in "81" else 40
            cv2.putText(img, ch, (x, 85), cv2.FONT_HERSHEY_SIMPLEX, 2.4, ink, 8)
            x += 62
        strip = cv2.GaussianBlur(img, (0, 0), 1.0)
        (field,) = scan_page(PageImage("p", 1, strip, None), ScanConfig(), load_classifier()).fields
        return field.value, field.status, field.reason or ""

    assert read(40) == ("58143", "ok", "")
    value, status, reason = read(light)
    assert (value, status) == ("543", "review")
    assert reason.startswith(FAINT)
    assert "; a gap as wide as a digit after digit 1 " in reason


@pytest.mark.parametrize("light", [200, 215])
def test_a_light_first_digit_in_an_amount_cut_inside_its_box_on_plain_paper_asks(
    light: int,
) -> None:
    """An amount cut inside its box on plain paper, scanned quietly,
    ``9000`` with its 9 written light (grey ``light`` on paper 240) against
    the first 0: no ink at the strip's threshold, no room left between
    digits (it is the first), and no faint level looked at in a strip on a
    quiet scan, so it was read ``000``, `ok` (a light-pen cheque cut inside
    its box, BENCHMARKS.md, fifty-ninth session). The strip's darkness
    opened by a disc of the writing's pen, as on a printed background,
    keeps the light 9's strokes: the field asks."""
    from formocr.api import FAINT, load_classifier

    def read(grey: int) -> tuple[str, str, str]:
        img = np.full((110, 420), 240, np.uint8)
        for k, ch in enumerate("9000"):
            ink = grey if k == 0 else 40
            cv2.putText(img, ch, (20 + 58 * k, 85), cv2.FONT_HERSHEY_SIMPLEX, 2.4, ink, 8)
        strip = cv2.GaussianBlur(img, (0, 0), 1.0)
        (field,) = scan_page(PageImage("p", 1, strip, None), ScanConfig(), load_classifier()).fields
        return field.value, field.status, field.reason or ""

    assert read(40) == ("9000", "ok", "")
    assert read(light) == ("000", "review", FAINT)


def test_room_for_a_digit_between_a_string_s_digits_on_a_noisy_scan_asks() -> None:
    """A string box on a scan whose paper's noise sets its faint level (over
    FAINT_DARK): a digit written light goes under the ink threshold with
    the noise, and where the faint marks' levels do not find it either, the
    room it leaves is its only trace (a light-pen cheque whose dot screen
    was taken for the paper's noise, not a printed background: ``501 185.-``
    read ``50118``, `ok`; BENCHMARKS.md, fifty-eighth session). That room,
    as wide as the digits are tall, asks there as on a printed background;
    a gap before a group of three, and the same gap on a quiet scan, do
    not."""
    from formocr.api import load_classifier

    def read(slots: str, noise: float) -> tuple[str, str, str]:
        img = np.full((400, 1000), 235, np.uint8)
        cv2.rectangle(img, (60, 120), (900, 270), 30, 3)
        for k, ch in enumerate(slots):
            if ch != " ":
                cv2.putText(img, ch, (90 + k * 80, 245), cv2.FONT_HERSHEY_SIMPLEX, 3.3, 30, 11)
        noisy = img.astype(np.float32) + np.random.default_rng(0).normal(0.0, noise, img.shape)
        page = np.clip(np.round(noisy), 0, 255).astype(np.uint8)
        (field,) = scan_page(PageImage("p", 1, page, 300.0), ScanConfig(), load_classifier()).fields
        return field.value, field.status, field.reason or ""

    value, status, why = read("48 27", 10.0)
    assert (value, status) == ("4827", "review") and "gap as wide as a digit" in why
    assert read("4827", 10.0) == ("4827", "ok", "")
    assert read("4 827", 10.0) == ("4827", "ok", "")
    assert read("48 27", 0.0) == ("4827", "ok", "")


def test_a_black_and_white_cheque_whose_box_is_dotted_has_its_amount_found() -> None:
    """Scanned black and white at 200 dpi, a cheque's thin amount box breaks
    into dots while its "Pay" rule stays whole, so the page's broken-line
    path was not taken and the box was lost (9987648: no field). A bilevel
    page now looks for boxes on joined dashes too, where no box was found
    whole (generated cheques, 120 fresh: boxes found 100 -> 106, exact 90 ->
    96, 0 `ok` wrong)."""
    _, value, box, best = _black_and_white_amount(28)
    assert BBox(*best.bbox).iou(box) > 0.7
    assert best.value == value


def _black_and_white_amount(seed: int, dpi: float = 200.0) -> tuple[np.ndarray, str, BBox, Any]:
    """The tests' generated cheque ``seed`` scanned black and white at ``dpi``
    (threshold 150): the page, the amount's digits, its box, and the field
    read that overlaps the box most."""
    from formocr.api import load_classifier

    page, value, amount_box = cheque_amount(seed)
    s = dpi / 300
    small = cv2.resize(page, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    bilevel = np.where(small < 150, 0, 255).astype(np.uint8)
    box = BBox(*(int(v * s) for v in amount_box))
    result = scan_page(PageImage("cheque", 1, bilevel, dpi), ScanConfig(), load_classifier())
    return bilevel, value, box, max(result.fields, key=lambda f: BBox(*f.bbox).iou(box))


def test_a_200_dpi_black_and_white_box_of_single_dots_is_found() -> None:
    """At 200 dpi a thresholded thin frame is single dots a pixel or two
    apart. Reduced to the work resolution (150 dpi) without spreading the
    dark first, as 300-dpi pages are, they stay dots too short to be dashes,
    and the box was lost: generated cheque 8 gave no field at all. The
    dotted search now runs on the dark spread before the reduction
    (``spread_dark``); the box is found, its amount read, and since a corner
    was closed by a guess it is in review, not ``ok``."""
    bilevel, value, box, best = _black_and_white_amount(8)
    assert BBox(*best.bbox).iou(box) > 0.9
    assert best.value == value
    assert best.status == "review"
    # The spread is only for reductions that spread nothing themselves.
    geom = page_geometry(bilevel, 200.0)
    assert spread_dark(bilevel, geom) is not None
    page, _, _ = cheque_amount(8)
    assert spread_dark(page, page_geometry(page, 300.0)) is None


def test_a_speckled_black_and_white_page_has_no_dotted_boxes() -> None:
    """Specks on a black-and-white page join into dashes too: a page of 2 %
    salt noise gave 38 "boxes" on joined dashes. A box found that way must
    hold a stroke half its height tall."""
    rng = np.random.default_rng(0)
    page = np.where(rng.random((3508, 2480)) < 0.02, 0, 255).astype(np.uint8)
    assert find_fields(page, 300.0) == []


def test_a_dotted_box_closed_by_a_stroke_short_of_where_its_lines_end_is_no_box() -> None:
    """On joined dashes, an 8 written against a box's dotted right side,
    touching both lines, was taken for that side: the box closed through
    the 8, whose left half was read 1 (71548 -> 71541, `ok`). A box whose
    top and bottom lines both run on past a side is not kept."""
    lines = np.zeros((100, 400), np.uint8)
    lines[20:22, 10:300] = 255
    lines[70:72, 10:300] = 255
    short = fields_module.Frame(12.0, 21.0, 200.0, 71.0)
    whole = fields_module.Frame(12.0, 21.0, 297.0, 71.0)
    assert fields_module._runs_on(lines, short, 150.0)
    assert not fields_module._runs_on(lines, whole, 150.0)


def _dotted_rule(page: np.ndarray, x0: int, y0: int, x1: int, y1: int, rng: Any) -> None:
    """A 1-px rule from (x0, y0) to (x1, y1), level or upright, as a black-
    and-white scan keeps one printed light: dots and dashes of 1-8 px, most
    gaps 1-6 px, one in five 20-45 px (about a third of it left)."""
    n = x1 - x0 if y0 == y1 else y1 - y0
    at = 0
    while at < n:
        run = int(rng.integers(1, 9))
        if y0 == y1:
            page[y0, x0 + at : x0 + min(n, at + run)] = 0
        else:
            page[y0 + at : y0 + min(n, at + run), x0] = 0
        gap = int(rng.integers(20, 46)) if rng.random() < 0.2 else int(rng.integers(1, 7))
        at += run + gap


def _dotted_box_page(rng: np.random.Generator, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """A page with one whole rule and a box from (x0, y0) to (x1, y1) whose
    four rules a black-and-white scan kept as sparse dots (``_dotted_rule``)."""
    page = np.full((900, 1400), 255, np.uint8)
    page[80:82, 60:1300] = 0
    for a, b in (
        ((x0, y0), (x1, y0)),
        ((x0, y1), (x1, y1)),
        ((x0, y0), (x0, y1)),
        ((x1, y0), (x1, y1)),
    ):
        _dotted_rule(page, *a, *b, rng)
    return page


@pytest.mark.parametrize("seed", range(4))
def test_a_box_a_black_and_white_scan_kept_as_sparse_dots_is_found(seed: int) -> None:
    """A box printed with light 1-px rules, thresholded, keeps about a third
    of its lines as dots with gaps up to 0.15 in: too sparse to join as
    dashes, and a whole handwriting sample form's boxes were lost (one page
    in 40 of ``bench/box28.py --sample-form --seed 125500``, bilevel). The
    page's other rule is whole, so the page-level broken-line path is not
    taken. Dots joined (``joined_dots``), the box is found and read."""
    from formocr.api import load_classifier

    x0, y0, x1, y1 = 200, 300, 700, 470
    page = _dotted_box_page(np.random.default_rng(seed), x0, y0, x1, y1)
    cv2.putText(page, "355", (250, 430), cv2.FONT_HERSHEY_SIMPLEX, 3.5, 0, 14)
    (field,) = scan_page(PageImage("p", 1, page, 300.0), ScanConfig(), load_classifier()).fields
    assert BBox(*field.bbox).iou(BBox(x0, y0, x1 - x0, y1 - y0)) > 0.95
    assert field.value == "355"


@pytest.mark.parametrize("seed", range(3))
def test_a_digits_loop_found_as_a_box_does_not_keep_out_the_dotted_box_round_it(
    seed: int,
) -> None:
    """A bold 0 written square in a box whose rules a black-and-white scan
    kept as dots: the 0's loop is found as a box on the page's whole lines,
    and the box found on joined dots overlapped it, so it was not kept; the
    loop was read instead, and a 28-box form's ``60030`` was lost
    (``bench/box28.py --seed 126700``, bilevel, page 28). A box found on
    joined dots takes the place of one box found inside it under half as
    wide and shorter (``lines.swallowed``, ONE_LOOP, LOOP_TALL), as a box
    closed at a corner does."""

    x0, y0, x1, y1 = 200, 300, 700, 470
    page = _dotted_box_page(np.random.default_rng(seed), x0, y0, x1, y1)
    cv2.putText(page, "35", (250, 430), cv2.FONT_HERSHEY_SIMPLEX, 3.5, 0, 14)
    cv2.rectangle(page, (520, 335), (590, 435), 0, 12)  # a 0 written square
    layouts = find_fields(page, 300)
    assert [BBox(*f.bbox).iou(BBox(x0, y0, x1 - x0, y1 - y0)) > 0.95 for f in layouts] == [True]


@pytest.mark.parametrize(
    "inner",
    [
        [(220, 340, 480, 440), (560, 340, 880, 440)],  # two boxes, shorter than the frame
        [(220, 300, 520, 470)],  # one box sharing the frame's top and foot
    ],
)
def test_printed_boxes_inside_a_dotted_frame_stay(inner: list[tuple[int, int, int, int]]) -> None:
    """A frame whose rules a black-and-white scan kept as dots round boxes
    printed whole (a cheque's date boxes): the frame takes the place of no
    two boxes, nor of one as tall as it, and the boxes are read. Without
    ONE_LOOP, a whole cheque's eight date boxes were lost to such a frame;
    without LOOP_TALL, a pair of date boxes (BENCHMARKS.md, fifty-third
    session)."""
    page = _dotted_box_page(np.random.default_rng(0), 200, 300, 900, 470)
    for bx0, by0, bx1, by1 in inner:
        cv2.rectangle(page, (bx0, by0), (bx1, by1), 0, 3)
        cv2.putText(page, "35", (bx0 + 40, by1 - 20), cv2.FONT_HERSHEY_SIMPLEX, 2.2, 0, 10)
    boxes = [BBox(*f.bbox) for f in find_fields(page, 300)]
    assert len(boxes) == len(inner)
    for (bx0, by0, bx1, by1), got in zip(inner, sorted(boxes, key=lambda b: b.x), strict=True):
        assert got.iou(BBox(bx0, by0, bx1 - bx0, by1 - by0)) > 0.9


def test_specks_are_no_dotted_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scan's specks lie as sparse as a light rule's dots. Joined as
    freely, they framed a black-and-white cheque's printed "Signature" and
    its serial number as boxes, and the print was read. A run of joined dots
    must be DOT_COVER dots or more (the rule here is about a third; specks
    joined cover about a tenth)."""
    from formocr.layout import lines

    def joined(cover: float) -> tuple[int, int]:
        """Pixels joined on the rule's row, and elsewhere (a work page, 150 dpi)."""
        monkeypatch.setattr(lines, "DOT_COVER", cover)
        rng = np.random.default_rng(0)
        dark = np.zeros((300, 600), np.uint8)
        dark[rng.random(dark.shape) < 0.004] = 255  # specks
        at = 50
        while at < 550:  # a rule of dots and short dashes, gaps up to 0.14 in
            run = int(rng.integers(1, 6))
            dark[150, at : at + run] = 255
            at += run + (
                int(rng.integers(12, 22)) if rng.random() < 0.2 else int(rng.integers(1, 4))
            )
        added = cv2.subtract(lines.joined_dots(dark, 150.0), dark)
        return cv2.countNonZero(added[150]), cv2.countNonZero(np.delete(added, np.s_[146:155], 0))

    on_rule, elsewhere = joined(lines.DOT_COVER)
    assert on_rule > 0.4 * 500 and elsewhere < 100
    assert joined(0.0)[1] > 1000  # every run kept: specks make lines everywhere


@pytest.mark.parametrize("line", [1, 2, 3])
def test_printed_digits_under_a_box_are_no_box_on_a_black_and_white_page(line: int) -> None:
    """On joined dashes, the feet of a line of printed digits just under a
    box made a "line", and with the box's bottom above them a box round the
    print: a handwriting sample form's prompt "2 1 9" came out a field read
    ``219``, ``ok``. A dotted box whose top or bottom line is mostly the
    ends of tall marks inside it is not kept; the box above still is."""
    from training.synth import printed

    k = 300 / 25.4
    page = np.full((600, 900), 255, np.uint8)
    x0, y0, x1, y1 = 60, 60, 460, int(60 + 14 * k)
    page[y0 : y0 + line, x0:x1] = page[y1 - line : y1, x0:x1] = 0
    page[y0:y1, x0 : x0 + line] = page[y0:y1, x1 - line : x1] = 0
    cv2.putText(page, "355", (100, y1 - 30), cv2.FONT_HERSHEY_SIMPLEX, 3.5, 0, 14)
    font = printed.font(printed.pt_to_px(10, 300), False, True)
    printed.stamp(page, x0, y1 + int(0.5 * k), "2 1 9 7 4", font, 0)
    below = y1 + int(4.5 * k)
    page[below : below + line, x0 : x1 + 100] = 0
    bw = np.where(page < 150, 0, 255).astype(np.uint8)
    found = find_fields(bw, 300.0)
    assert [f.bbox for f in found] == [BBox(x0, y0, x1 - x0, y1 - y0)]
    # The same where the whole page's lines are taken as dashes (a page of
    # faint 1-px rules): the prompt "3 2 2 5 8 6" between two boxes of a
    # sample form was read 32258, `ok`, that way.
    geom = dataclasses.replace(fields_module.page_geometry(bw, 300.0), broken_lines=True)
    frames = fields_module._frames(geom)
    assert frames and all(f.y1 <= (y1 + 2) * geom.scale for f in frames), frames


def test_a_box_with_another_box_s_top_line_across_it_is_no_box(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a page of broken rules (dashes joined page-wide) the tops of a
    prompt printed over a box ("5 3 3 2 3 0") joined into a "line"; with
    the box's left side and bottom, and a side made of a printed and a
    written 3 one over the other, it made a tall "box" over the prompt and
    the box's first digit, read ``5``, ``ok`` (sample form page 123,022).
    Such a box has the true box's top line across it from side to side;
    the true box, which the straddler's side crosses, is kept. Boxes side by
    side, nested and in rows are untouched. (Work coordinates at 150 dpi.)"""
    Frame = fields_module.Frame
    true = Frame(654.0, 1183.0, 875.0, 1261.0)
    straddler = Frame(654.0, 1150.0, 709.0, 1261.0)
    beside = Frame(900.0, 1183.0, 1100.0, 1261.0)
    below = Frame(654.0, 1300.0, 875.0, 1380.0)
    inner = Frame(700.0, 1300.0, 800.0, 1340.0)
    found = [straddler, true, beside, below, inner]
    monkeypatch.setattr(fields_module, "find_frames", lambda *a, **k: list(found))
    page = np.full((2000, 1600), 255, np.uint8)
    geom = dataclasses.replace(fields_module.page_geometry(page, 300.0), broken_lines=False)
    assert fields_module._frames(geom) == [true, beside, below, inner]
    # The other way round a box's bottom line: a prompt printed under it.
    under = Frame(654.0, 1183.0, 709.0, 1290.0)
    assert fields_module._straddlers([true, under], 150.0) == [False, True]


def test_a_box_in_a_row_keeps_its_place_against_a_straddler_from_a_stroke() -> None:
    """A 7's bar joined to a guilloche's wave made a "box" from the bar down
    to a date box's bottom line, over the box's 7 and the gap to the next
    box (cheque 156 of ``bench/cheques.py --seed 99800``). Its top line
    crosses the date box, and the date box went as straddled: the 7, its
    bar whited out as the new box's top line, read ``1``, ``ok``. A box
    whose top and bottom lines are level with its neighbours' in a row is
    kept, and the straddler that stands in no row goes. (Work coordinates
    at 150 dpi, as measured on that cheque.)"""
    Frame = fields_module.Frame
    left = Frame(658.0, 112.5, 686.0, 154.5)
    seven = Frame(697.0, 112.5, 724.0, 154.5)
    right = Frame(744.0, 112.5, 772.0, 154.5)
    stroke = Frame(697.0, 124.5, 741.0, 154.5, walls=((724.0, 728.0),))
    assert fields_module._straddlers([left, seven, right, stroke], 150.0) == [
        False,
        False,
        False,
        True,
    ]
    # Alone, the box straddled goes as before: nothing says which is the box.
    assert fields_module._straddlers([seven, stroke], 150.0) == [True, False]
    # So too among "boxes" that overlap others, as a dense dot screen's
    # tangle does: they make no row.
    tangle = Frame(650.0, 150.0, 780.0, 220.0)
    assert fields_module._straddlers([left, seven, right, stroke, tangle], 150.0)[1:4] == [
        True,
        False,
        False,
    ]


def test_the_middle_of_a_stroke_wider_than_the_paper_filter_is_ink() -> None:
    """A 1 written as a solid bar (a broad marker; optdigits' bitmaps scanned)
    is wider than the max filter that finds the paper round each pixel, so
    ``darkness`` took its middle for paper: the bar faded out of the ink and
    the string lost it (62168 read 6268, `ok`) or read its outline 0. Such
    pixels get their darkness against the cut's own paper back; a grey tint
    and a background's fine dots stay as they were."""
    from formocr.layout.digits import _solid
    from formocr.layout.ink import darkness

    grey = np.full((300, 500), 250, np.uint8)
    grey[60:240, 150:200] = 60  # the bar, 50 px wide at 300 dpi
    grey[60:240, 300:400] = 180  # a tint
    grey[60:240:6, 420:480:6] = 100  # a dot screen
    dark = darkness(grey, 300.0)
    # The fault: the bar's middle, 190 levels under the paper, reads as a
    # sixth of that, under an Otsu threshold set by the strokes round it.
    assert dark[150, 175] < 190 / 5
    solid = _solid(dark.copy(), grey, 300.0)
    assert solid[150, 175] >= 150
    assert np.array_equal(solid[:, 290:], dark[:, 290:])


def test_writing_left_out_across_the_frame_sends_the_field_to_review() -> None:
    """A digit written over the box's top line, mostly outside it, is left
    out with the rest of what lies outside (a label's foot, a neighbour's
    strokes): the field read the other digits, `ok` (554741 read 54741 on a
    sample-form page). Writing that crosses the frame and is left out now
    sends the field to review; a label printed just above does not."""
    from formocr.api import CROSSED, load_classifier

    page = np.full((500, 800), 255, np.uint8)
    cv2.rectangle(page, (50, 150), (650, 320), 0, 3)
    for k, ch in enumerate("354"):
        cv2.putText(page, ch, (90 + 110 * k, 290), cv2.FONT_HERSHEY_SIMPLEX, 3.5, 0, 12)
    high = page.copy()
    cv2.putText(high, "7", (420, 210), cv2.FONT_HERSHEY_SIMPLEX, 3.5, 0, 12)  # mostly above
    label = page.copy()
    cv2.putText(label, "Amount payable", (60, 146), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    crossed = [find_fields(p, 300.0)[0].crossed for p in (page, high, label)]
    assert crossed == [False, True, False]
    (field,) = scan_page(PageImage("p", 1, high, 300.0), ScanConfig(), load_classifier()).fields
    assert field.value == "354" and field.status == "review"
    assert field.reason is not None and CROSSED in field.reason


def test_a_box_read_empty_whose_writing_crossed_its_frame_is_not_empty() -> None:
    """A box whose only writing crosses its frame and lies mostly outside
    (a digit written over the line, or a box found cut short at a digit's
    foot on a cheque's patterned date) was read as `empty`, no reason
    given: the digit was lost silently. It goes to review."""
    from formocr.api import CROSSED, load_classifier

    page = np.full((500, 800), 255, np.uint8)
    cv2.rectangle(page, (300, 150), (420, 320), 0, 3)
    cv2.putText(page, "7", (320, 210), cv2.FONT_HERSHEY_SIMPLEX, 3.5, 0, 12)  # mostly above
    (layout,) = find_fields(page, 300.0)
    assert layout.crossed and not layout.digits
    (field,) = scan_page(PageImage("p", 1, page, 300.0), ScanConfig(), load_classifier()).fields
    assert (field.value, field.status) == ("", "review")
    assert field.reason is not None and CROSSED in field.reason


def _two_in_a_box(pen: int, foot: int) -> tuple[np.ndarray, BBox]:
    """A box printed black (80 x 100 px at 300 dpi) and a 2 written in grey
    ``pen`` whose foot runs flat at ``foot`` px under the box's top line,
    from side to side."""
    page = np.full((500, 700), 250, np.uint8)
    x, y0, w, h = 300, 200, 80, 100
    cv2.rectangle(page, (x, y0), (x + w, y0 + h), 0, 3)
    pts = [(x + 20, y0 + 25), (x + 40, y0 + 15), (x + 58, y0 + 28), (x + 16, y0 + foot)]
    cv2.polylines(page, [np.array(pts, np.int32)], False, pen, 5)
    cv2.line(page, (x + 2, y0 + foot), (x + w - 2, y0 + foot), pen, 5)
    return page, BBox(x - 1, y0 - 1, w + 3, h + 3)


@pytest.mark.parametrize("pen", [110, 140])
def test_a_foot_lighter_than_the_print_across_a_box_does_not_close_it(pen: int) -> None:
    """A 2 with a loop at its foot, written in a pen lighter than the box's
    print, drew a flat stroke from side to side of a cheque's date box; as
    the nearest bottom under the box's top line it closed the box there,
    and what the 2 left above it was read `7`, `ok` (BENCHMARKS.md,
    fiftieth session). A bottom line much fainter than the top line and a
    deeper bottom below it is a stroke: the box is found whole, its 2 read."""
    from formocr.api import load_classifier

    page, box = _two_in_a_box(pen, foot=72)
    (layout,) = find_fields(page, 300.0)
    assert layout.bbox.iou(box) > 0.9
    (field,) = scan_page(PageImage("p", 1, page, 300.0), ScanConfig(), load_classifier()).fields
    assert field.value == "2"


def test_a_box_shorter_than_the_boxes_like_it_beside_it_is_doubted() -> None:
    """Boxes printed alike in a row are as tall as each other: one found
    short of two or more level with it (at the top or at the foot) and as
    wide, whose heights agree, is a piece (``short_boxes``)."""
    from formocr.layout.fields import short_boxes

    row = [BBox(100 + 95 * k, 200, 80, 100) for k in range(4)]
    cut = BBox(100 + 95 * 4, 200, 80, 88)  # its foot found 12 px high
    raised = BBox(100 + 95 * 4, 212, 80, 88)  # its top found 12 px low
    assert short_boxes([*row, cut]) == short_boxes([*row, raised]) == {4}
    assert short_boxes(row) == set()
    assert short_boxes([*row[:1], cut]) == set()  # one box beside it says nothing
    wide = [BBox(100 + 160 * k, 200, 150, 100) for k in range(3)]
    assert short_boxes([*wide, cut]) == set()  # boxes of another size
    uneven = [BBox(100 + 95 * k, 200, 80, 100 + 20 * k) for k in range(3)]
    assert short_boxes([*uneven, cut]) == set()  # boxes of many heights
    assert short_boxes([*row, BBox(100 + 95 * 4, 200, 80, 94)]) == set()
    # Found by its lines' inner edges: as much narrower as it is shorter.
    assert short_boxes([*row, BBox(100 + 95 * 4 + 4, 204, 72, 91)]) == set()


def test_a_date_box_closed_at_a_2_s_foot_as_dark_as_its_print_is_found_whole() -> None:
    """A cheque's date in eight boxes, not quite level; a 2's foot written
    as darkly as the print, from side to side, just above one box's bottom
    line: the box was closed at the foot, and the 2 read `7`, `ok`
    (BENCHMARKS.md, fiftieth session). Found shorter than the boxes like it
    beside it, it is found again as tall as they are, and its 2 read."""
    from formocr.api import load_classifier

    page = np.full((600, 1400), 250, np.uint8)
    x, w, h = 200, 80, 100
    boxes = []
    for k, off in enumerate((0, 7, -6, 4, -3, 8, -7, 2)):
        y0 = 250 + off
        cv2.rectangle(page, (x, y0), (x + w, y0 + h), 0, 3)
        boxes.append(BBox(x - 1, y0 - 1, w + 3, h + 3))
        if k == 2:
            foot = y0 + h - 14
            pts = [(x + 20, y0 + 25), (x + 40, y0 + 15), (x + 58, y0 + 28), (x + 16, foot)]
            cv2.polylines(page, [np.array(pts, np.int32)], False, 20, 5)
            cv2.line(page, (x, foot), (x + w, foot), 20, 5)
        x += w + 14
    fields = scan_page(PageImage("p", 1, page, 300.0), ScanConfig(), load_classifier()).fields
    assert len(fields) == 8
    for f, b in zip(fields, boxes, strict=True):
        assert f.bbox.iou(b) > 0.9
    assert (fields[2].value, fields[2].status) == ("2", "ok")


def test_a_frame_shorter_than_its_peers_grows_to_their_height_where_it_overlaps_none() -> None:
    """``as_tall_as_peers``: from the edge it shares with them; not into
    another frame."""
    from formocr.layout.fields import as_tall_as_peers
    from formocr.layout.lines import Frame

    row = [Frame(100.0 + 50 * k, 100.0, 140.0 + 50 * k, 150.0) for k in range(3)]
    foot_high = Frame(250.0, 100.0, 290.0, 138.0)
    top_low = Frame(250.0, 112.0, 290.0, 150.0)
    assert as_tall_as_peers([*row, foot_high])[3] == Frame(250.0, 100.0, 290.0, 150.0)
    assert as_tall_as_peers([*row, top_low])[3] == Frame(250.0, 100.0, 290.0, 150.0)
    assert as_tall_as_peers(row) == row
    below = Frame(240.0, 145.0, 300.0, 180.0)
    assert as_tall_as_peers([*row, foot_high, below])[3] == foot_high
    # Found as two, one above the other: one box again.
    upper, lower = Frame(250.0, 100.0, 290.0, 120.0), Frame(250.0, 124.0, 290.0, 150.0)
    assert as_tall_as_peers([*row, upper, lower]) == [*row, Frame(250.0, 100.0, 290.0, 150.0)]


def test_a_comb_cell_holding_a_small_or_broken_digit_sends_the_field_to_review() -> None:
    """A comb cell whose ink never stands CELL_INK of its height is empty,
    and the field was read without it, `ok`: a small 8 left out of 8484
    (read 484), and a faint 5 and 3 broken into pieces left out of 527831
    (read 2781), on calibration-writer pages. Such ink now sends the field
    to review, its pieces taken together; pieces that together stand
    CELL_INK tall are read as the cell's digit, and the field asks too (a 5
    of three flat strokes left 53514 read 5314, and a 1 broken in two by a
    pen that skipped 10294 read 0294, both `ok`; so did a 1 in three pieces,
    two too small to count alone, 641 read 64). A stroke spilling over
    from the next cell, or dirt, does neither."""
    from formocr.api import PIECED, UNREAD, load_classifier

    def comb(extra: str, digits: str = "484") -> np.ndarray:
        page = np.full((400, 700), 255, np.uint8)
        x0, y0, cw, ch = 60, 120, 120, 150
        cv2.rectangle(page, (x0, y0), (x0 + 4 * cw, y0 + ch), 0, 3)
        for k in range(1, 4):
            cv2.line(page, (x0 + k * cw, y0), (x0 + k * cw, y0 + ch), 0, 3)
        for k, digit in enumerate(digits, 1):
            cv2.putText(
                page, digit, (x0 + k * cw + 22, y0 + 125), cv2.FONT_HERSHEY_SIMPLEX, 3.3, 0, 11
            )
        if extra == "small 8":  # wide and a quarter of the box tall, in the first cell
            for cy in (y0 + 80, y0 + 97):
                cv2.ellipse(page, (x0 + 60, cy), (18, 8), 0, 0, 360, 0, 4)
        elif extra == "broken 5":  # a 5's bar and bowl, apart, each under CELL_INK tall
            cv2.line(page, (x0 + 35, y0 + 40), (x0 + 90, y0 + 40), 0, 6)
            cv2.ellipse(page, (x0 + 60, y0 + 100), (24, 16), 0, -100, 160, 0, 6)
        elif extra == "pieces":  # three flat strokes, none UNREAD_INK tall
            for y, dx in ((y0 + 35, 0), (y0 + 75, 8), (y0 + 115, -4)):
                cv2.line(page, (x0 + 35 + dx, y), (x0 + 85 + dx, y + 12), 0, 6)
        elif extra == "broken 1":  # one piece MIN_INK tall, two under it both ways
            for top, foot in ((22, 52), (68, 78), (94, 104)):
                cv2.line(page, (x0 + 60, y0 + top), (x0 + 58, y0 + foot), 0, 6)
        elif extra == "two dashes":  # together UNREAD_INK both ways, not CELL_INK tall
            for y in (y0 + 70, y0 + 100):
                cv2.line(page, (x0 + 35, y), (x0 + 80, y), 0, 6)
        elif extra == "spill":  # a stroke over the divider, and specks of dirt
            cv2.line(page, (x0 + cw - 30, y0 + 90), (x0 + cw + 30, y0 + 98), 0, 6)
            for x, y in ((x0 + 40, y0 + 40), (x0 + 70, y0 + 120)):
                cv2.circle(page, (x, y), 3, 0, -1)
        return page

    extras = ("", "small 8", "broken 5", "broken 1", "pieces", "two dashes", "spill")
    pages = {extra: comb(extra) for extra in extras}
    found = {extra: find_fields(page, 300.0) for extra, page in pages.items()}
    assert all(len(f) == 1 and f[0].kind == "comb" and f[0].cells == 4 for f in found.values())
    unread = {"small 8", "two dashes"}
    pieced = {"broken 5", "broken 1", "pieces"}
    assert {extra for extra, f in found.items() if f[0].unread} == unread
    assert {extra for extra, f in found.items() if f[0].pieced} == pieced
    clf = load_classifier()
    for extra, page in pages.items():
        (field,) = scan_page(PageImage("p", 1, page, 300.0), ScanConfig(), clf).fields
        why = field.reason or ""
        if extra in pieced:  # read, the pieces as one digit
            assert len(field.value) == 4 and field.value.endswith("484"), (extra, field.value)
            assert field.status == "review" and PIECED in why and UNREAD not in why
            assert extra != "broken 5" or field.value == "5484", field
            assert extra != "broken 1" or field.value == "1484", field
        else:
            assert field.value == "484", (extra, field.value)
            assert PIECED not in why
            assert (field.status == "review" and UNREAD in why) == (extra in unread), field
    # The same with a template that names the comb.
    from formocr.templates.template import Template, TemplateField

    field_ = TemplateField("c", (60, 120, 480, 150), "comb", cells=4)
    templated = ScanConfig(templates=(Template("t", (700.0, 400.0), "px", (field_,), 300.0),))
    for extra, value, why in (("broken 1", "1484", PIECED), ("two dashes", "484", UNREAD)):
        (field,) = scan_page(PageImage("p", 1, pages[extra], 300.0), templated, clf).fields
        assert (field.value, field.status) == (value, "review") and why in (field.reason or "")
    # Every cell read as empty, one holding a small digit: review, not empty.
    for extra, status in (("small 8", "review"), ("spill", "empty")):
        page = PageImage("p", 1, comb(extra, digits=""), 300.0)
        (field,) = scan_page(page, ScanConfig(), clf).fields
        assert (field.value, field.status) == ("", status), extra


@pytest.mark.parametrize("margin", [10, 40, 69])
def test_an_amount_box_cut_out_is_read_at_the_scale_of_its_box(margin: int) -> None:
    """An amount box cut out with margins and no resolution recorded got
    its scale from the strip's height, margins and all: 207 dpi for a
    300-dpi box with 10 px round it, 364 with 69. The box's own height now
    sets it, within 15 % (development cut-outs: 109 -> 112 of 120 exact;
    given the true 300 dpi, 116)."""
    page, _, (x, y, w, h) = cheque_amount(0)
    strip = np.ascontiguousarray(page[y - margin : y + h + margin, x - margin : x + w + margin])
    geom = fields_module.page_geometry(strip, fields_module.guess_dpi(strip.shape))
    frames = fields_module._frames(geom)
    again, found = fields_module._rescaled(strip, geom, frames)
    assert abs(again.dpi / 300.0 - 1.0) <= 0.15, (geom.dpi, again.dpi)
    assert len(found) == 1
    (field,) = find_fields(strip)
    assert BBox(*field.bbox).iou(BBox(margin, margin, w, h)) > 0.9


@pytest.mark.parametrize(
    ("seed", "background"),
    [(0, "screen"), (6, "hatch"), (13, "guilloche"), (36, "screen"), (17, None), (17, "microtext")],
)
def test_an_amount_cut_inside_its_box_on_a_printed_background_is_read_whole(
    seed: int, background: str | None
) -> None:
    """Cut inside its frame, an amount on a security background was read in
    pieces. A dot screen's rows made scattered "boxes" that spanned the
    strip, so it was not read as one box (596890 came out as five fields,
    two of them '1' and '4'); a 6's or an 8's upright stroke near the edge
    was taken for what is left of a frame line and whited out (830464 ->
    33011161, 83991 -> 33991); and at the strip's true scale its digits'
    stems were taken for a comb's walls. The strip is now one string box at
    the scale of a box's height, and only a line along nearly its whole
    edge is a frame. Since 2026-12-03: two of a dot screen's "boxes", far
    apart but lined up by its regular rows, no longer make a row that spans
    the strip (65488 came out as six fields); and a leading 1 written near
    the edge, spanning the middle rows, is no longer taken for what is left
    of the frame (166421 read 66421, `ok`): a frame's remains lie at the
    edge or run from end to end."""
    from formocr.api import load_classifier

    page, value, (x, y, w, h) = cheque_amount(seed, background)
    k = 8 + seed % 8
    inner = np.ascontiguousarray(page[y + k : y + h - k, x + k : x + w - k])
    result = scan_page(PageImage("amount", 1, inner, None), ScanConfig(), load_classifier())
    (field,) = result.fields
    assert field.bbox == BBox(0, 0, inner.shape[1], inner.shape[0])
    assert field.value == value, field.reason


@pytest.mark.parametrize("seed", [17, 18])
def test_an_amount_cut_tight_against_its_first_digit_keeps_that_digit(seed: int) -> None:
    """An amount cut inside its box and tight against its writing, its first
    digit touching the image's left edge: the digit's upright stroke lay at
    the edge and spanned the middle rows, so it was taken for what is left of
    a frame line cut through and whited out, and both readers agreed on the
    rest (166421 read 66421 and 1775723 read 775723, both `ok`; a black-and-
    white 8 read 3, `ok`, on a development cheque at 240 dpi). What is left
    of a frame at the left or right edge now runs from end to end there."""
    from formocr.api import load_classifier

    page, value, (x, y, w, h) = cheque_amount(seed)
    inner = page[y + 12 : y + h - 12, x + 12 : x + w - 12]
    first = int(np.flatnonzero((inner < 100).sum(axis=0) > 2)[0])
    strip = np.ascontiguousarray(inner[:, first:])
    result = scan_page(PageImage("amount", 1, strip, None), ScanConfig(), load_classifier())
    (field,) = result.fields
    assert field.value == value, field.reason


def test_a_1_cut_tight_at_the_edge_taken_for_a_side_asks() -> None:
    """An amount cut tight round its writing (bench/cheques.py --seed 98300
    --round --joined 0.5 --bilevel 160, cheque 12): its leading 1 stood at
    the image's left edge from top to bottom, as what a cut leaves of a
    box's side does, and was whited out as one; both readers read the rest,
    and `1000.-` came out `000`, `ok` at 0.9999. A left or right side found
    alone, with no top or bottom line, makes the field ask (``along``); the
    same zeros without the 1 do not."""
    page = np.full((100, 360), 235, np.uint8)
    for cx in (100, 180, 260):
        cv2.ellipse(page, (cx, 50), (28, 42), 0, 0, 360, 30, 9)
    plain = page.copy()
    cv2.line(page, (4, 0), (6, 99), 30, 11)
    (one,) = find_fields(page)
    (zeros,) = find_fields(plain)
    assert len(one.digits) == len(zeros.digits) == 3  # the 1 went with the "side"
    assert one.along and not zeros.along


def test_a_short_amount_cut_tight_is_read_though_nearly_square() -> None:
    """An amount of one to three digits cut tight round its writing is
    nearly square (``5.-``: 90 x 127 px): it was taken for a page of unknown
    resolution, at 100 dpi a scrap of a page with no box on it, and gave no
    field at all. An image under SMALL_PX across is no page: it is read as a
    strip cut inside its box."""
    from formocr.api import load_classifier
    from formocr.layout.lines import SMALL_PX, page_kind

    page, truth = make_cheque(
        np.random.default_rng(3), 300, degradation=Degradation.scan(), amount_format="plain"
    )
    amount = next(t for t in truth if t.label == "Amount")
    first, second = amount.digits[0], amount.digits[1]
    x0, y0 = first.bbox.x - 3, min(first.bbox.y, second.bbox.y) - 3
    x1 = second.bbox.x + second.bbox.w + 3
    y1 = max(first.bbox.y + first.bbox.h, second.bbox.y + second.bbox.h) + 3
    crop = np.ascontiguousarray(page[y0:y1, x0:x1])
    assert max(crop.shape) <= 1.6 * min(crop.shape) and min(crop.shape) < SMALL_PX
    assert page_kind(crop.shape) == "strip" and page_kind((3508, 2480)) == "page"
    result = scan_page(PageImage("amount", 1, crop, None), ScanConfig(), load_classifier())
    (field,) = result.fields
    assert field.bbox == BBox(0, 0, crop.shape[1], crop.shape[0])
    assert field.value == first.value + second.value, field.reason


def test_two_digits_written_joined_cut_tight_into_a_square_ask() -> None:
    """Digits written joined and cut tight round their writing can be shaped
    like one digit's box (``SINGLE_ASPECT``), read as one digit: a cheque's
    `512` so cut read `4`, `ok` at 0.9994. Such a cut is read again as one
    string box (``strip_as_string``), and where that gives other digits,
    the field asks: a 4 and a 1 touching, 78 x 63 px, read `4`, `ok`,
    before. One digit so cut, which reads the same as a string, stays `ok`."""
    from formocr.api import load_classifier
    from formocr.layout.fields import strip_as_string

    def tight(text: str, gap: int) -> np.ndarray:
        page = np.full((200, 400), 255, np.uint8)
        x = 20
        for ch in text:
            cv2.putText(page, ch, (x, 150), cv2.FONT_HERSHEY_SIMPLEX, 2.2, 0, 10)
            x += cv2.getTextSize(ch, cv2.FONT_HERSHEY_SIMPLEX, 2.2, 10)[0][0] + gap
        ys, xs = np.nonzero(page < 128)
        return np.ascontiguousarray(page[ys.min() - 3 : ys.max() + 4, xs.min() - 3 : xs.max() + 4])

    joined = tight("41", -10)
    (cell,) = find_fields(joined, None)
    assert (cell.kind, cell.cells, cell.unframed) == ("comb", 1, True)
    (string,) = strip_as_string(joined)
    assert string.kind == "string" and not string.unframed
    (field,) = scan_page(
        PageImage("amount", 1, joined, None), ScanConfig(), load_classifier()
    ).fields
    assert (field.value, field.status) == ("4", "review")
    assert "read as a string box it gives 41" in (field.reason or "")
    four = tight("4", 0)
    assert find_fields(four, None)[0].unframed
    (one,) = scan_page(PageImage("amount", 1, four, None), ScanConfig(), load_classifier()).fields
    assert (one.value, one.status) == ("4", "ok"), one.reason


def test_a_stroke_against_a_short_edge_is_no_frame_unless_it_runs_end_to_end() -> None:
    """The rule itself (``frame.refine_interior(to_edges=True)``): an 8's
    bowls against the left edge, their ink from row 10 to the foot, are no
    frame line; a line along the whole edge is."""
    from formocr.layout.digits import STRIP_LINE
    from formocr.layout.frame import refine_interior

    h, w = 85, 450
    eight = np.zeros((h, w), np.uint8)
    cv2.ellipse(eight, (17, 26), (17, 18), 0, 0, 360, 1, 8)
    cv2.ellipse(eight, (19, 64), (19, 21), 0, 0, 360, 1, 8)
    assert refine_interior(eight, (0, 0, w, h), 6, STRIP_LINE, to_edges=True).bands == []
    line = np.zeros((h, w), np.uint8)
    line[:, :3] = 1
    pinned = refine_interior(line, (0, 0, w, h), 6, STRIP_LINE, to_edges=True)
    assert pinned.bands == [(0, 0, 3, h)] and pinned.interior[0] == 3


def test_a_stroke_well_inside_a_side_that_did_not_show_is_not_that_side() -> None:
    """A cheque printed all in light blue, read in the red channel: taking
    the security pattern's level off the box took the frame, as light as
    the pattern, with it, and an 8 written against the left side was the
    strongest line within the search: the side was pinned on it, the 8's
    left half fell outside the box, and 80,831.02 was read 3083102, `ok`.
    A side's line lies at or just outside the estimated interior; a band
    starting half the search or more inside it is a stroke, not the side."""
    from formocr.layout.frame import refine_interior

    h, w, search = 150, 600, 8
    est = (16.0, 16.0, 580.0, 134.0)
    ink = np.zeros((h, w), np.uint8)
    ink[13:16, 13:583] = ink[134:137, 13:583] = 1  # top and bottom lines
    ink[13:137, 580:583] = 1  # the right side; the left one did not show
    ink[40:120, 20:32] = 1  # the 8's left side, from 4 px inside
    pinned = refine_interior(ink, est, search)
    assert pinned.interior[0] == 16 and pinned.interior[2] == 580
    assert (13, 0, 16, h) not in pinned.bands and all(b[0] != 20 for b in pinned.bands)
    ink[13:137, 13:16] = 1  # with its line, the side is the line
    assert refine_interior(ink, est, search).interior[0] == 16
    assert (13, 0, 16, h) in refine_interior(ink, est, search).bands


@pytest.mark.parametrize("side", ["bottom", "top"])
def test_a_stroke_along_a_side_is_not_whited_out_with_it(side: str) -> None:
    """A 2's foot resting on a small box's bottom line, or a 7's bar against
    its top, joins the line in the ink: the side was found as line and
    stroke together, both were whited out, and the cheque's date boxes read
    a 2 as a 7 and a 7 as a 1, `ok`. A frame's lines are printed alike: a
    side much thicker than the thinnest other is the rows that cover its
    length about as fully as its strongest row, not the stroke's."""
    from formocr.layout.frame import refine_interior

    h, w, search = 122, 96, 8
    est = (12.0, 23.0, 80.0, 100.0)
    ink = np.zeros((h, w), np.uint8)
    ink[21:23, 10:83] = ink[100:102, 10:83] = 1  # top and bottom lines, 2 px
    ink[21:102, 10:12] = ink[21:102, 80:83] = 1  # the sides
    if side == "bottom":
        ink[93:100, 16:56] = 1  # the foot, 7 px, touching the line's inside
        line, stroke = (0, 100, w, 102), (0, 93, w, 102)
    else:
        ink[23:30, 34:76] = 1  # the bar
        line, stroke = (0, 21, w, 23), (0, 21, w, 30)
    pinned = refine_interior(ink, est, search)
    assert line in pinned.bands and stroke not in pinned.bands
    assert pinned.interior[3 if side == "bottom" else 1] == (100 if side == "bottom" else 23)


def test_a_bar_alone_where_the_frame_is_no_ink_is_no_side() -> None:
    """A box printed fainter than the writing, its lines no ink at the
    box's threshold, with a bold 7 whose bar lies against the top: the bar
    was the only "line" found, taken for the top and whited out, and the 7
    read `1` at 0.9999 (a cheque's date box). A side found alone runs on
    into the corners at both ends; the bar stops short of one."""
    from formocr.layout.frame import refine_interior

    h, w, search = 136, 94, 8
    est = (16.0, 28.0, 78.0, 108.0)
    ink = np.zeros((h, w), np.uint8)
    ink[26:36, 30:76] = 1  # the bar, from a third of the way in
    ink[36:100, 40:50] = 1  # the stem
    pinned = refine_interior(ink, est, search)
    assert pinned.bands == [] and pinned.interior == (16, 28, 78, 108)
    ink[26:29, 14:80] = 1  # the top line printed dark enough: a side, from its row
    (band,) = refine_interior(ink, est, search).bands
    assert band[1] == 26


def _rounded_boxes(radius_mm: float) -> tuple[np.ndarray, list[BBox]]:
    """A 300-dpi page of 12 boxes with corners rounded to ``radius_mm``, 2-4
    px rules, four script digits written in each."""
    rng = np.random.default_rng(7)
    page = np.full((2000, 2550), 250, np.uint8)
    r = int(round(radius_mm * 300 / 25.4))
    boxes = []
    for row in range(4):
        for col in range(3):
            x0, y0 = 200 + col * 750, 250 + row * 450
            x1, y1 = x0 + int(rng.uniform(400, 650)), y0 + int(rng.uniform(110, 170))
            lw = int(rng.choice([2, 3, 4]))
            for a, b in (((x0 + r, y0), (x1 - r, y0)), ((x0 + r, y1), (x1 - r, y1))):
                cv2.line(page, a, b, 20, lw)
            for a, b in (((x0, y0 + r), (x0, y1 - r)), ((x1, y0 + r), (x1, y1 - r))):
                cv2.line(page, a, b, 20, lw)
            for cx, cy, angle in (
                (x0 + r, y0 + r, 180),
                (x1 - r, y0 + r, 270),
                (x1 - r, y1 - r, 0),
                (x0 + r, y1 - r, 90),
            ):
                cv2.ellipse(page, (cx, cy), (r, r), angle, 0, 90, 20, lw, cv2.LINE_AA)
            _script_digits(page, rng, x0 + 60, y1 - 25, 3.0)
            boxes.append(BBox(x0, y0, x1 - x0, y1 - y0))
    return page, boxes


def _script_digits(page: np.ndarray, rng: np.random.Generator, x: int, y: int, size: float) -> None:
    """Four random script digits, 90 px apart, their baseline at (x, y)."""
    for k in range(4):
        digit = str(int(rng.integers(10)))
        cv2.putText(page, digit, (x + 90 * k, y), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, size, 30, 6)


def _assert_found(page: np.ndarray, boxes: list[BBox], least_iou: float) -> None:
    """Every box is found, and nothing else."""
    fields = find_fields(page, 300.0)
    assert len(fields) == len(boxes)
    for box in boxes:
        assert max(BBox(*f.bbox).iou(box) for f in fields) > least_iou


@pytest.mark.parametrize("radius_mm", [2.0, 3.0])
def test_boxes_with_rounded_corners_are_found(radius_mm: float) -> None:
    """A box's sides stop short of its lines by the corner's radius: they
    were no sides: on this page 9 of 12 boxes were found at 2 mm, none at 3."""
    _assert_found(*_rounded_boxes(radius_mm), least_iou=0.9)


@pytest.mark.parametrize("fill", [215, 200, 180])
def test_boxes_shaded_grey_inside_are_found(fill: int) -> None:
    """A box tinted grey inside (grey 200 or darker on paper of 250) was a
    block with no lines in it at the working resolution: no box found."""
    rng = np.random.default_rng(3)
    page = np.full((1200, 2550), 250, np.uint8)
    boxes = []
    for row in range(2):
        for col in range(3):
            x0, y0 = 200 + col * 750, 250 + row * 450
            x1, y1 = x0 + int(rng.uniform(400, 600)), y0 + int(rng.uniform(110, 150))
            cv2.rectangle(page, (x0, y0), (x1, y1), fill, -1)
            cv2.rectangle(page, (x0, y0), (x1, y1), 30, 3)
            _script_digits(page, rng, x0 + 50, y1 - 25, 2.6)
            boxes.append(BBox(x0, y0, x1 - x0, y1 - y0))
    _assert_found(page, boxes, least_iou=0.8)  # at 180 one box comes out short: IoU 0.84


def test_reading_order_and_crops() -> None:
    page, truth = make_form_page(np.random.default_rng(15), 200, n_fields=8)
    fields = find_fields(page, 200)
    assert [f.bbox for f in fields] == [f.bbox for f in pair(fields, truth)]
    for f in fields:
        xs = [d.bbox.x for d in f.digits]
        assert xs == sorted(xs)
        for d in f.digits:
            assert d.image.ndim == 2 and d.image.dtype == np.uint8
            # Dark ink on light paper, frame whited out: the edges are paper.
            assert np.median(np.concatenate([d.image[0], d.image[-1]])) > 200
            assert normalize(d.image).max() > 0
            x, y, w, h = d.bbox
            assert x >= 0 and y >= 0 and x + w <= page.shape[1] and y + h <= page.shape[0]


# -- pages drawn here ----------------------------------------------------------------------


def _mm(dpi: float, mm: float) -> int:
    return int(round(mm / 25.4 * dpi))


def _digit(page: np.ndarray, ch: str, x: int, y: int, h: int, t: int) -> None:
    """A digit about h pixels tall with its top-left corner near (x, y)."""
    scale = h / 22.0
    cv2.putText(page, ch, (x, y + h), cv2.FONT_HERSHEY_SIMPLEX, scale, 0, t, cv2.LINE_AA)


def test_printed_text_rules_and_border_are_not_fields() -> None:
    dpi = 200
    page = np.full((_mm(dpi, 150), _mm(dpi, 210)), 255, np.uint8)
    t = _mm(dpi, 0.3)
    cv2.rectangle(page, (_mm(dpi, 5), _mm(dpi, 5)), (_mm(dpi, 205), _mm(dpi, 145)), 0, t)
    for i in range(8):
        y = _mm(dpi, 20 + 12 * i)
        cv2.putText(page, f"Line {i}: 0123 4567 89 TOTAL", (_mm(dpi, 15), y), 0, 0.9, 0, 2)
        cv2.line(page, (_mm(dpi, 120), y), (_mm(dpi, 190), y), 0, t)
    assert find_fields(page, dpi) == []


def test_a_label_printed_just_above_a_string_box_stays_out_of_its_line() -> None:
    """The foot of a label printed close above the frame lies within the band
    above the box where strokes crossing the top line are looked for. It is
    not the box's ink: left in the line the string reader reads, it made the
    line twice as tall and its digits half as big (a row of six read as '')."""
    dpi = 300
    page = np.full((_mm(dpi, 40), _mm(dpi, 80)), 255, np.uint8)
    x0, y0, w, h = _mm(dpi, 10), _mm(dpi, 15), _mm(dpi, 40), _mm(dpi, 14)
    cv2.rectangle(page, (x0, y0), (x0 + w, y0 + h), 0, 2)
    # The label's foot 1 mm above the frame: inside the band (0.3 x the box).
    cv2.putText(page, "9 8 0 3 4 0", (x0 + 10, y0 - _mm(dpi, 1)), 0, 1.4, 0, 3, cv2.LINE_AA)
    dh = int(h * 0.6)
    for k, ch in enumerate("4179"):
        _digit(page, ch, x0 + _mm(dpi, 4) + k * _mm(dpi, 8), y0 + h // 5, dh, 5)
    (f,) = find_fields(page, dpi)
    assert f.kind == "string" and f.ink is not None and f.ink.line is not None
    line = f.ink.line
    dark_rows = np.nonzero((line < 128).any(axis=1))[0]
    assert len(dark_rows), "the digits are in the line"
    # Every dark row belongs to the digits, which sit inside the frame.
    top_margin = line.shape[0] - h  # the band above and below, about equal
    assert dark_rows.min() >= top_margin // 2 - 2, (dark_rows.min(), line.shape)


def test_specks_beside_a_comb_cells_narrow_digit_send_the_field_to_review() -> None:
    """A harsh scan on guilloche left a 9's thin loop as a few specks beside
    its stem, too small to be read, and the stem was read `1`, `ok` at
    0.9996. Specks beside a comb cell's narrow digit, level with it and
    within half its height, holding LEFT_OUT of its ink or more, ask
    (``FieldLayout.scraps``). A 1 alone, one speck, specks that lie below
    it, and specks beside a digit as wide as a 4 do not."""
    from formocr.api import SCRAPS, load_classifier

    def comb(first: str, specks: list[tuple[int, int]]) -> np.ndarray:
        page = np.full((400, 700), 255, np.uint8)
        x0, y0, cw, ch = 60, 120, 120, 150
        cv2.rectangle(page, (x0, y0), (x0 + 4 * cw, y0 + ch), 0, 3)
        for k in range(1, 4):
            cv2.line(page, (x0 + k * cw, y0), (x0 + k * cw, y0 + ch), 0, 3)
        for k, digit in enumerate(first + "484"):
            if digit == "1":
                cv2.line(page, (x0 + 70, y0 + 25), (x0 + 66, y0 + 125), 0, 9)
            else:
                cv2.putText(
                    page, digit, (x0 + k * cw + 22, y0 + 125), cv2.FONT_HERSHEY_SIMPLEX, 3.3, 0, 11
                )
        for dx, dy in specks:
            cv2.circle(page, (x0 + dx, y0 + dy), 3, 0, -1)
        return page

    loop = [(38, 40), (44, 58), (52, 30), (36, 72)]  # a 9's loop, left of its stem's top
    cases = {
        "1 alone": ("1", [], False),
        "1 and its loop's specks": ("1", loop, True),
        "specks under the 1's foot": ("1", [(40, 135), (52, 140), (64, 138), (76, 142)], False),
        "one speck": ("1", loop[:1], False),  # 3 % of the 1's ink
        "a 4 and specks": ("4", [(12, 40), (14, 58), (10, 30), (8, 72)], False),
    }
    clf = load_classifier()
    for name, (first, specks, asks) in cases.items():
        page = comb(first, specks)
        (layout,) = find_fields(page, 300.0)
        assert (layout.kind, layout.cells, len(layout.digits)) == ("comb", 4, 4), name
        assert layout.scraps == asks, name
        (field,) = scan_page(PageImage("p", 1, page, 300.0), ScanConfig(), clf).fields
        assert field.value == first + "484", (name, field.value)
        assert (SCRAPS in (field.reason or "")) == asks, (name, field.reason)
        assert asks or field.status == "ok", (name, field.reason)


@pytest.mark.parametrize("pieces", [2, 3])
def test_a_1_broken_into_dots_by_a_faint_pen_is_a_digit_not_separators(pieces: int) -> None:
    """A faint pen breaks a "1" into pieces one above the other. They are not
    a row of points or commas (',,33' was read for '133'): together they are
    one digit. A point on the baseline beside them stays a separator."""
    dpi = 300
    page = np.full((_mm(dpi, 40), _mm(dpi, 90)), 255, np.uint8)
    x0, y0, w, h = _mm(dpi, 10), _mm(dpi, 10), _mm(dpi, 60), _mm(dpi, 14)
    cv2.rectangle(page, (x0, y0), (x0 + w, y0 + h), 0, 2)
    dh = int(h * 0.6)
    top, pen = y0 + h // 5, 5
    x1 = x0 + _mm(dpi, 6)
    step = dh / pieces
    for k in range(pieces):  # the broken 1: short strokes with gaps between
        a = int(top + k * step + 0.2 * step)
        cv2.line(page, (x1 - k, a), (x1 - k, int(a + 0.45 * step)), 0, pen)
    _digit(page, "3", x0 + _mm(dpi, 14), top, dh, pen)
    _digit(page, "3", x0 + _mm(dpi, 24), top, dh, pen)
    cv2.circle(page, (x0 + _mm(dpi, 33), top + dh - 3), 4, 0, -1)  # a point
    _digit(page, "5", x0 + _mm(dpi, 36), top, dh, pen)
    (f,) = find_fields(page, dpi)
    assert f.kind == "string"
    assert [m.char for m in f.marks] == ["."], f.marks
    assert len(f.digits) == 4


@pytest.mark.parametrize("off", [28, 36, 44])
@pytest.mark.parametrize("run_on", [False, True])
def test_a_bold_stroke_inside_a_side_whose_foot_runs_on_stays_in_the_box(
    off: int, run_on: bool
) -> None:
    """A box's side and a bold stroke a little inside it are two walls closer
    than a cell: where the box's lines end at the pair, the box begins at the
    printed side and the stroke is its digit's. One line ending there is
    enough: a cheque's bottom line ran on into the rule under its label,
    the box began after a bold 8's stroke, and `86000000` was read
    `36000000`, `ok`."""
    dpi = 300
    page = np.full((_mm(dpi, 60), _mm(dpi, 160)), 255, np.uint8)
    x0, y0, w, h = _mm(dpi, 40), _mm(dpi, 20), _mm(dpi, 90), _mm(dpi, 12)
    cv2.rectangle(page, (x0, y0), (x0 + w, y0 + h), 0, 3)
    if run_on:
        cv2.line(page, (_mm(dpi, 5), y0 + h), (x0, y0 + h), 0, 3)
    # A bold 1 near the side, nearly the box's height.
    top, foot = y0 + _mm(dpi, 0.8), y0 + h - _mm(dpi, 0.8)
    cv2.rectangle(page, (x0 + off, top), (x0 + off + 12, foot), 0, -1)
    for k, ch in enumerate("600"):
        _digit(page, ch, x0 + _mm(dpi, 14) + k * _mm(dpi, 9), y0 + _mm(dpi, 2), _mm(dpi, 8), 4)
    (f,) = find_fields(page, dpi)
    assert abs(f.bbox.x - x0) <= 5
    assert len(f.digits) == 4 and f.digits[0].bbox.x < x0 + off + 12


def test_ticks_comb_drawn() -> None:
    """Ticks rising a third of the way from the bottom edge, one empty cell."""
    dpi = 300
    page = np.full((_mm(dpi, 40), _mm(dpi, 120)), 255, np.uint8)
    x0, y0, cw, ch, t = _mm(dpi, 10), _mm(dpi, 10), _mm(dpi, 7), _mm(dpi, 9), 2
    cv2.rectangle(page, (x0, y0), (x0 + 10 * cw, y0 + ch), 0, t)
    for k in range(1, 10):
        cv2.line(page, (x0 + k * cw, y0 + ch), (x0 + k * cw, y0 + ch - ch // 3), 0, t)
    for k, ch_ in enumerate("0123 56789"):
        if ch_ != " ":
            _digit(page, ch_, x0 + k * cw + cw // 4, y0 + ch // 5, int(ch * 0.55), 3)
    (f,) = find_fields(page, dpi)
    assert (f.kind, f.cells, len(f.digits)) == ("comb", 10, 9)


def test_a_tick_the_marks_missed_is_whited_out_too() -> None:
    """The grid fit places a divider where a tick was not seen as one (a
    stroke beside its top): its stub must go, or it is read as a 1."""
    h, w, pitch, tick = 60, 300, 50, 15
    ink = np.zeros((h, w), np.uint8)
    dividers: list[tuple[float, Mark | None]] = []
    for k in range(1, 6):
        x = k * pitch
        ink[h - tick :, x - 1 : x + 2] = 255
        dividers.append((float(x), None if k == 2 else Mark(x, x - 1, x + 1, h - tick - 2, False)))
    clean = ink.copy()
    white_dividers(clean, ink > 0, (0, 0, w, h), dividers, 4)
    assert not clean.any()


@pytest.mark.parametrize(("first", "second", "kept"), [(47, 67, 0), (48, 49, 2)])
def test_two_ticks_count_only_as_tall_as_each_other(first: int, second: int, kept: int) -> None:
    """Two bars standing on a box's foot are ticks only when printed alike:
    a fine pen's 8 and 9 on a string box's foot (47 and 67 px), each within
    reach of their mean, made a comb of four cells, and `189` was read
    `180`, `ok`."""
    h, w = 155, 344
    dark = np.zeros((h, w), np.uint8)
    for x, tall in ((172, first), (262, second)):
        dark[h - tall :, x - 2 : x + 2] = 200
    marks, _ = vertical_marks(dark, (0, 0, w, h), [], 4)
    assert len([m for m in marks if not m.strong]) == kept


def test_ticks_count_only_as_wide_as_each_other() -> None:
    """Strokes of handwriting standing on a string box's foot, 8, 15, 1 and
    11 px wide and about as tall as each other, were taken for ticks: a
    generator's `29589` on a black-and-white sample form became a comb of
    five cells, its 5 and 8 in one cell, and was read `2989`, `ok` at 0.9991
    (``bench/box28.py --sample-form --seed 128900``, BENCHMARKS.md,
    fifty-seventh session). Printed ticks are as wide as each other; bars so
    printed all count."""
    h, w = 112, 525

    def ticks(widths: list[int]) -> list[int]:
        dark = np.zeros((h, w), np.uint8)
        for k, width in enumerate(widths):
            x = 110 + 105 * k
            dark[h - 20 :, x : x + width] = 200
        marks, _ = vertical_marks(dark, (0, 0, w, h), [], 4)
        return [round(m.pos) for m in marks if not m.strong]

    assert len(ticks([3, 3, 3, 3])) == 4
    assert len(ticks([3, 4, 3, 3])) == 4
    assert ticks([3, 3, 12]) == [111, 216]  # the 12-px bar is no tick
    assert len(ticks([8, 15, 1, 11])) == 2  # the 1-px one joins neither


def test_touching_pair_drawn_is_split() -> None:
    dpi = 300
    page = np.full((_mm(dpi, 30), _mm(dpi, 90)), 255, np.uint8)
    x0, y0, w, h = _mm(dpi, 10), _mm(dpi, 8), _mm(dpi, 60), _mm(dpi, 12)
    cv2.rectangle(page, (x0, y0), (x0 + w, y0 + h), 0, 2)
    dh = int(h * 0.6)
    # "00" drawn overlapping, then a lone "4".
    _digit(page, "0", x0 + _mm(dpi, 5), y0 + h // 5, dh, 5)
    _digit(page, "0", x0 + _mm(dpi, 5) + int(dh * 0.55), y0 + h // 5, dh, 5)
    _digit(page, "4", x0 + _mm(dpi, 30), y0 + h // 5, dh, 5)
    (f,) = find_fields(page, dpi)
    assert f.kind == "string"
    assert len(f.digits) == 3


def test_rejects_colour_input() -> None:
    with pytest.raises(ValueError, match="greyscale"):
        find_fields(np.zeros((10, 10, 3), np.uint8))


@pytest.mark.parametrize("gap", [0, 4, 6, 8, 12])
def test_bold_stroke_along_a_side_stays_inside_the_box(gap: int) -> None:
    """A marker 1 written against a box's side, touching it or a hair away:
    the box is still found, whole, and the stroke is its digit."""
    page = np.full((700, 1400), 255, np.uint8)
    boxes = []
    for k in range(6):
        x0, y0 = 150 + k * 160, 250
        cv2.rectangle(page, (x0, y0), (x0 + 90, y0 + 120), 0, 3)
        left = k % 2 == 0
        bx = x0 + 3 + gap if left else x0 + 90 - 3 - gap - 22
        page[y0 + 3 : y0 + 118, bx : bx + 22] = 0  # touches the top and bottom lines too
        boxes.append(BBox(x0 - 1, y0 - 1, 93, 123))
    fields = find_fields(page, 300)
    assert len(fields) == 6
    for f, b in zip(fields, boxes, strict=True):
        assert (f.kind, f.cells) == ("comb", 1)
        assert f.bbox.iou(b) > 0.85
        assert len(f.digits) == 1


def _grid_of_boxes(line_mm: float, dpi: int, seed: int = 3) -> tuple[np.ndarray, list[BBox]]:
    """28 separate one-digit boxes, 4 rows of 7 (15 x 18 mm), turned 1.2 degrees."""
    from training.synth.strokes import random_style, render_digit

    rng = np.random.default_rng(seed)
    style = random_style(rng)
    s = dpi / 300
    page = np.full((int(3508 * s), int(2480 * s)), 250, np.uint8)
    lw = max(1, int(round(line_mm / 25.4 * dpi)))
    boxes = []
    for r in range(4):
        for c in range(7):
            x0, y0 = int((300 + c * 260) * s), int((600 + r * 300) * s)
            x1, y1 = x0 + int(180 * s), y0 + int(220 * s)
            cv2.rectangle(page, (x0, y0), (x1, y1), 40, lw)
            boxes.append(BBox(x0, y0, x1 - x0, y1 - y0))
            img = render_digit(int(rng.integers(10)), int(150 * s), rng, style)
            h, w = img.shape
            ox, oy = (x0 + x1) // 2 - w // 2, (y0 + y1) // 2 - h // 2
            page[oy : oy + h, ox : ox + w] = np.minimum(page[oy : oy + h, ox : ox + w], img)
    m = cv2.getRotationMatrix2D((page.shape[1] / 2, page.shape[0] / 2), 1.2, 1.0)
    page = cv2.warpAffine(page, m, page.shape[::-1], borderValue=250)
    page = np.clip(page + rng.normal(0, 6, page.shape), 0, 255).astype(np.uint8)
    return page, boxes


@pytest.mark.parametrize(("line_mm", "dpi"), [(0.15, 300), (0.35, 200), (0.5, 150), (0.7, 300)])
def test_a_grid_of_28_single_boxes_with_thin_or_bold_rules(line_mm: float, dpi: int) -> None:
    """Every box of a 28-box form is its own one-digit field, in reading order,
    however thick its rules (0.15-0.7 mm) and at 150-300 dpi."""
    page, _ = _grid_of_boxes(line_mm, dpi)
    fields = find_fields(page, dpi)
    assert len(fields) == 28
    assert all((f.kind, f.cells, len(f.digits)) == ("comb", 1, 1) for f in fields)
    rows = [fields[i : i + 7] for i in range(0, 28, 7)]
    for row in rows:
        assert [f.bbox.x for f in row] == sorted(f.bbox.x for f in row)
    assert [row[0].bbox.y for row in rows] == sorted(row[0].bbox.y for row in rows)


def test_a_bold_bar_across_a_small_box_does_not_split_it() -> None:
    """A marker stroke from side to side half-way down (a 9's loop, a 4's bar)
    is as long as a rule, but twice as thick as the box's own lines."""
    page = np.full((400, 900), 255, np.uint8)
    for k in range(4):
        x0, y0 = 100 + k * 160, 120
        cv2.rectangle(page, (x0, y0), (x0 + 70, y0 + 100), 0, 2)
        page[y0 + 45 : y0 + 58, x0 + 2 : x0 + 69] = 0  # the bar, touching both sides
        page[y0 + 15 : y0 + 45, x0 + 50 : x0 + 62] = 0  # and a stroke above it
    fields = find_fields(page, 300)
    assert len(fields) == 4
    assert all((f.kind, f.cells) == ("comb", 1) and f.bbox.h > 95 for f in fields)


def test_a_marker_stroke_on_a_faint_comb_does_not_break_its_line() -> None:
    """A wide marker 1 against a divider, touching a faint bottom line: the
    paper level around the blob must not sink so far that the line under it
    fades out and the comb falls apart."""
    rng = np.random.default_rng(0)
    page = np.full((500, 1400), 232.0)
    x0, y0, cw, h = 150, 150, 110, 130
    for k in range(7):
        cv2.line(page, (x0 + k * cw, y0), (x0 + k * cw, y0 + h), 195, 2)
    for y in (y0, y0 + h):
        cv2.line(page, (x0, y), (x0 + 6 * cw, y), 195, 2)
    page[y0 + 20 : y0 + h + 2, x0 + cw + 4 : x0 + cw + 44] = 60
    page = np.clip(page + rng.normal(0, 6, page.shape), 0, 255).astype(np.uint8)
    (f,) = find_fields(page, 300)
    assert (f.kind, f.cells, len(f.digits)) == ("comb", 6, 1)
    assert f.bbox.iou(BBox(x0, y0, 6 * cw, h)) > 0.9


def test_a_faint_line_that_fades_for_a_millimetre_still_closes_its_box() -> None:
    """A light rule whose darkness dips under the line threshold for 1 mm:
    the two pieces are one line, and the box is found."""
    rng = np.random.default_rng(0)
    page = np.full((500, 1200), 235.0)
    x0, y0, w, h = 200, 150, 600, 120
    cv2.rectangle(page, (x0, y0), (x0 + w, y0 + h), 200, 2)
    page[y0 - 1 : y0 + 2, x0 + 300 : x0 + 312] = 216
    page = cv2.GaussianBlur(page, (0, 0), 1.0)
    page = np.clip(page + rng.normal(0, 3, page.shape), 0, 255).astype(np.uint8)
    (f,) = find_fields(page, 300)
    assert f.kind == "string" and f.bbox.iou(BBox(x0, y0, w, h)) > 0.95


def test_boxes_for_digit_strings_printed_touching_are_separate_fields() -> None:
    """A row of boxes sharing their sides, each wide enough for a string, is
    not a comb of four cells: four string fields, every digit found."""
    dpi = 300
    page = np.full((_mm(dpi, 60), _mm(dpi, 200)), 255, np.uint8)
    x, y0, bh = _mm(dpi, 10), _mm(dpi, 20), _mm(dpi, 10)
    boxes = []
    for mm, text in ((30, "407"), (40, "2851"), (25, "96"), (45, "31470")):
        w = _mm(dpi, mm)
        cv2.rectangle(page, (x, y0), (x + w, y0 + bh), 0, 2)
        for k, ch in enumerate(text):
            _digit(page, ch, x + _mm(dpi, 3) + k * _mm(dpi, 7), y0 + bh // 5, int(bh * 0.6), 3)
        boxes.append((BBox(x, y0, w, bh), len(text)))
        x += w
    fields = find_fields(page, dpi)
    assert [(f.kind, len(f.digits)) for f in fields] == [("string", n) for _, n in boxes]
    assert all(f.bbox.iou(b) > 0.9 for f, (b, _) in zip(fields, boxes, strict=True))


@pytest.mark.parametrize("gap", [4, 8, 12])
def test_a_pen_1_against_a_comb_side_is_a_digit_not_the_side(gap: int) -> None:
    """A 1 written down the first and the last cell, a hair inside the side,
    from the top line to the bottom one: the sides stay where they are
    printed and both strokes are digits (they once became the box's sides,
    and the digits were lost)."""
    page = np.full((600, 1400), 255, np.uint8)
    x0, y0, cw, h = 200, 200, 110, 130
    cv2.rectangle(page, (x0, y0), (x0 + 6 * cw, y0 + h), 0, 2)
    for k in range(1, 6):
        cv2.line(page, (x0 + k * cw, y0), (x0 + k * cw, y0 + h), 0, 2)
    page[y0 + 1 : y0 + h, x0 + 1 + gap : x0 + 8 + gap] = 0
    page[y0 + 1 : y0 + h, x0 + 6 * cw - 8 - gap : x0 + 6 * cw - 1 - gap] = 0
    (f,) = find_fields(page, 300)
    assert (f.kind, f.cells, len(f.digits)) == ("comb", 6, 2)
    assert f.bbox.iou(BBox(x0, y0, 6 * cw, h)) > 0.95


@pytest.mark.parametrize("width", [6, 10])
def test_pen_1s_stopping_short_of_the_lines_do_not_make_a_comb(width: int) -> None:
    """Two 1s standing 4 px (0.3 mm) off both lines of a string box merge with
    the lines at page resolution and look like dividers there; at full
    resolution a printed divider meets both lines and these do not."""
    page = np.full((400, 1000), 255, np.uint8)
    x0, y0, w, h = 150, 120, 600, 110
    cv2.rectangle(page, (x0, y0), (x0 + w, y0 + h), 0, 2)
    for x, ch in zip((40, 130, 200, 270, 360), "81178", strict=True):
        if ch == "1":
            page[y0 + 6 : y0 + h - 5, x0 + x : x0 + x + width] = 0
        else:
            _digit(page, ch, x0 + x, y0 + 15, 80, 9)
    (f,) = find_fields(page, 300)
    assert (f.kind, f.cells, len(f.digits)) == ("string", 0, 5)


def test_evenly_spaced_1s_standing_on_the_bottom_line_are_not_ticks() -> None:
    """ "1111" written evenly, each 1 standing on the bottom line and rising
    most of the way up: ticks rise at most MAX_TICK of the height, so these
    stay digits (as ticks, the box became a comb and the 1s were whited out)."""
    page = np.full((400, 1000), 255, np.uint8)
    x0, y0, w, h = 150, 120, 450, 110
    cv2.rectangle(page, (x0, y0), (x0 + w, y0 + h), 0, 2)
    for x in (90, 180, 270, 360):
        page[y0 + 25 : y0 + h, x0 + x : x0 + x + 6] = 0
    (f,) = find_fields(page, 300)
    assert (f.kind, len(f.digits)) == ("string", 4)


def test_two_strokes_on_a_string_boxs_foot_a_third_apart_make_no_comb() -> None:
    """Two short strokes standing on a string box's bottom line, a third and
    two thirds of the way along, fit a grid of three cells, each 1.8 times
    wider than tall: taken for ticks, the box became a comb, then three
    string boxes ("boxes printed touching"), and `6560123` came out `651`,
    `501` and `23`, the last `ok`. Ticks mark digits' cells: a grid of
    ticks alone whose cells are as wide as WIDE_CELL is none."""

    def ticked(aspect: float) -> FieldLayout:
        """A box of three cells ``aspect`` times wider than tall, marked by
        two strokes on its foot, as found."""
        page = np.full((400, 1300), 255, np.uint8)
        x0, y0, h = 100, 120, 110
        w = int(3 * aspect * h)
        cv2.rectangle(page, (x0, y0), (x0 + w, y0 + h), 0, 2)
        for k in (1, 2):
            x = x0 + k * w // 3
            page[y0 + h - 40 : y0 + h, x - 3 : x + 3] = 0
        (f,) = find_fields(page, 300)
        return f

    assert ticked(1.8).kind == "string"
    # Three cells as wide as a digit's are a comb of ticks, as before.
    f = ticked(0.9)
    assert (f.kind, f.cells) == ("comb", 3)


# -- boxes on the page ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rect", "want"),
    [
        ((-19.4, 10.0, 50.0, 20.0), BBox(0, 10, 31, 20)),  # past the left edge
        ((180.0, 90.0, 40.0, 30.0), BBox(180, 90, 20, 10)),  # past the right and bottom
        ((-50.0, -50.0, 10.0, 10.0), BBox(0, 0, 1, 1)),  # off the page altogether
        ((10.2, 20.7, 30.0, 40.0), BBox(10, 20, 31, 41)),  # on the page: the pixel hull
    ],
)
def test_page_bbox_clamps_to_the_page(rect: tuple[float, ...], want: BBox) -> None:
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert page_bbox(identity, rect, (100, 200)) == want  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(
    angle=st.floats(-0.2, 0.2),
    scale=st.floats(0.5, 2.0),
    shift=st.tuples(st.floats(-300, 300), st.floats(-300, 300)),
    rect=st.tuples(
        st.floats(-100, 400), st.floats(-100, 400), st.floats(0, 300), st.floats(0, 300)
    ),
    shape=st.tuples(st.integers(1, 500), st.integers(1, 500)),
)
def test_page_bbox_is_the_numpy_hull_it_replaced(
    angle: float,
    scale: float,
    shift: tuple[float, float],
    rect: tuple[float, float, float, float],
    shape: tuple[int, int],
) -> None:
    """page_bbox clamps in Python ints; numpy's clip of the floored and ceiled
    corners, as first written, gives the same box for any affine map."""
    c, s = scale * np.cos(angle), scale * np.sin(angle)
    m = np.array([[c, -s, shift[0]], [s, c, shift[1]]])
    p = rect_corners(m, rect)
    H, W = shape
    x0 = int(np.clip(np.floor(p[:, 0].min()), 0, max(W - 1, 0)))
    y0 = int(np.clip(np.floor(p[:, 1].min()), 0, max(H - 1, 0)))
    x1 = int(np.clip(np.ceil(p[:, 0].max()), x0 + 1, max(W, x0 + 1)))
    y1 = int(np.clip(np.ceil(p[:, 1].max()), y0 + 1, max(H, y0 + 1)))
    got = page_bbox(m, rect, shape)
    assert got == BBox(x0, y0, x1 - x0, y1 - y0)
    assert all(type(v) is int for v in got)


def test_a_frame_reaching_past_a_turned_page_stays_on_it_and_validates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Near the edge of a turned page the frame fit can reach past the page
    (``x = -19`` was seen); the output's boxes must lie on the page, or the
    JSON fails its own schema. Here every frame fit is pushed 40 px past the
    page's edges on a page turned 8 degrees."""
    deg = Degradation(rotation_deg=(8.0, 8.0))
    page, _ = make_form_page(np.random.default_rng(11), 200, degradation=deg)
    H, W = page.shape
    real = fields_module.analyse_box

    def reaching(grey: np.ndarray, *args: object, **kwargs: object) -> BoxLayout:
        box = real(grey, *args, **kwargs)  # type: ignore[arg-type]
        x0, y0, x1, y1 = box.outer
        return dataclasses.replace(box, outer=(x0 - W - 40, y0 - H - 40, x1 + W + 40, y1 + H + 40))

    monkeypatch.setattr(fields_module, "analyse_box", reaching)
    result = scan_page(PageImage("turned.png", 1, page, 200.0), ScanConfig(), FakeClassifier())
    assert result.fields
    for f in result.fields:
        for x, y, w, h in [f.bbox, *(d.bbox for d in f.digits)]:
            assert x >= 0 and y >= 0 and w >= 1 and h >= 1 and x + w <= W and y + h <= H
    schema = json.loads(
        (resources.files("formocr") / "output/schema/results.schema.json").read_text()
    )
    doc = document_dict(DocumentResult("turned.png", "ok", None, (result,)))
    jsonschema.validate(doc, {"$defs": schema["$defs"], "$ref": "#/$defs/document"})


def test_a_box_wider_than_any_field_is_ignored() -> None:
    """Boxes of implausible size are ignored (README): a frame more than
    MAX_BOX_W (10 in) wide, a rule around a landscape page's header, is no
    field; a field-sized box beside it is read."""
    dpi = 100
    page = np.full((800, 1250), 255, np.uint8)
    cv2.rectangle(page, (40, 60), (40 + 1120, 60 + 40), 0, 2)  # 11.2 in x 0.4 in
    cv2.rectangle(page, (40, 300), (40 + 300, 300 + 40), 0, 2)  # 3 in x 0.4 in
    _digit(page, "7", 60, 305, 30, 3)
    (f,) = find_fields(page, dpi)
    assert f.bbox.iou(BBox(40, 300, 302, 42)) > 0.8 and len(f.digits) == 1
    # Just under the limit, the wide box is a field.
    page = np.full((800, 1250), 255, np.uint8)
    cv2.rectangle(page, (40, 60), (40 + 980, 60 + 40), 0, 2)  # 9.8 in
    assert len(find_fields(page, dpi)) == 1


def _cut_path_v1(mask: np.ndarray, lo: int, hi: int, ideal: float) -> tuple[float, np.ndarray]:
    """layout.digits.cut_path before its loop was trimmed (commit d17c44d): the reference."""
    h = mask.shape[0]
    lo, hi = max(0, lo), min(mask.shape[1], hi)
    if hi <= lo:
        lo = min(max(0, int(round(ideal))), mask.shape[1] - 1)
        hi = lo + 1
    cols = np.arange(lo, hi)
    cost = mask[:, lo:hi].astype(np.float32) + 0.02 * np.abs(cols - ideal) / max(hi - lo, 1)
    n = hi - lo
    acc = cost[0].copy()
    back = np.zeros((h, n), np.int8)
    pad = np.full(n + 2, 1e9, cost.dtype)
    for r in range(1, h):
        pad[1:-1] = acc
        best = pad[:-2] + 0.05
        step = np.full(n, -1, np.int8)
        down = acc < best
        best = np.where(down, acc, best)
        step[down] = 0
        right = pad[2:] + 0.05
        turn = right < best
        best = np.where(turn, right, best)
        step[turn] = 1
        acc = best + cost[r]
        back[r] = step
    path = np.zeros(h, np.int64)
    path[-1] = int(np.argmin(acc))
    for r in range(h - 1, 0, -1):
        path[r - 1] = path[r] + back[r, path[r]]
    crossed = float(mask[np.arange(h), path + lo].sum())
    return crossed, path + lo


@settings(max_examples=400, deadline=None)
@given(
    st.integers(1, 50),
    st.integers(1, 70),
    st.floats(0.0, 1.0),
    st.integers(-5, 75),
    st.integers(-3, 30),
    st.floats(-3.0, 73.0),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_cut_path_is_version_1s(
    h: int, w: int, density: float, lo: int, span: int, ideal: float, whole: bool, seed: int
) -> None:
    """Same path and ink for any mask: ties (blank columns) above all."""
    from formocr.layout.digits import cut_path

    mask = (np.random.default_rng(seed).random((h, w)) < density).astype(np.uint8)
    if whole:
        ideal = float(round(ideal))
    want = _cut_path_v1(mask, lo, lo + span, ideal)
    got = cut_path(mask, lo, lo + span, ideal)
    assert got[0] == want[0]
    assert got[1].dtype == want[1].dtype and np.array_equal(got[1], want[1])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.integers(-5000, 5000), st.floats(-5000, 5000, allow_nan=False)),
        min_size=1,
        max_size=12,
    )
)
def test_reading_order_median_is_numpys(values: list[float]) -> None:
    """The same number (a zero's sign aside, which the caller's int() drops)."""
    want = float(np.median(values))
    got = stats.median(values)
    assert got == want and int(got) == int(want)


def test_string_cuts_are_cropped_when_read_and_the_same() -> None:
    """find_fields crops a string's width-rule cuts only when its ``digits``
    are read (the lattice never reads them): the crops and the marks' places
    are those split_blobs makes at once, and the field pickles as a plain
    FieldLayout."""
    import pickle

    from formocr.layout.digits import cut_crops, split_blobs, writer_aspect

    page, _ = make_form_page(np.random.default_rng(4), 300)
    geom = fields_module.page_geometry(page, 300.0)
    frames = fields_module.find_frames(geom.work_dark, geom.work_dpi)
    boxes = [b for f in frames for b in fields_module._analyse(page, geom, f)]
    aspect = writer_aspect(b[0] for b in boxes)
    strings = [b for b, _, _ in boxes if b.kind == "string" and b.blobs]
    assert strings
    for box in strings:
        now = split_blobs(box, aspect)
        later = split_blobs(box, aspect, crops=False)
        assert later.digits == () and later.parts
        assert now.marks == later.marks
        made = cut_crops(later)
        assert [d.bbox for d in made] == [d.bbox for d in now.digits]
        assert all(np.array_equal(a.image, b.image) for a, b in zip(made, now.digits, strict=True))
    found = [f for f in find_fields(page, 300) if f.kind == "string"]
    assert found and all(f.digits for f in found)
    for f in found:
        copy = pickle.loads(pickle.dumps(f))
        assert type(copy) is FieldLayout
        assert (copy.bbox, copy.marks, [d.bbox for d in copy.digits]) == (
            f.bbox,
            f.marks,
            [d.bbox for d in f.digits],
        )


@given(st.lists(st.integers(0, 40), min_size=0, max_size=60))
def test_line_helpers_match_numpy(values: list[int]) -> None:
    """stats.median_int is np.median of integers, lines._spans is np.split's
    pieces: find_frames' fast paths compute what the plain numpy did."""
    from formocr.layout.lines import _spans
    from formocr.stats import median_int as _median_int

    v = np.array(values, np.int64)
    if not len(v):
        assert np.isnan(_median_int(v))
        return
    assert _median_int(v) == float(np.median(v))
    cuts = np.flatnonzero(np.diff(v) > 10)
    pieces = np.split(np.arange(len(v)), cuts + 1)
    assert [(int(p[0]), int(p[-1]) + 1) for p in pieces] == _spans(cuts, len(v))


def _digit_ink_v1(
    dark: np.ndarray, interior: tuple[int, int, int, int], dpi: float, ring: int
) -> np.ndarray:
    """layout.digits.digit_ink before its medians were taken from a histogram
    (commit d17c44d): the reference."""
    from formocr.layout.digits import INK_DARK

    sigma = max(0.5, 0.003 * dpi)
    smooth = cv2.GaussianBlur(dark, (0, 0), sigma)
    x0, y0, x1, y1 = interior
    inner = np.ascontiguousarray(smooth[y0:y1, x0:x1])
    if inner.size == 0:
        return np.zeros(dark.shape, np.uint8)
    outside = np.ones(smooth.shape, bool)
    outside[max(0, y0 - ring) : y1 + ring, max(0, x0 - ring) : x1 + ring] = False
    sample = smooth[outside] if outside.sum() >= 50 else inner.ravel()
    sample = sample[:: max(1, sample.size // 4000)].astype(np.float32)
    med = float(np.median(sample))
    spread = 1.4826 * float(np.median(np.abs(sample - med)))
    floor = max(INK_DARK[0], med + 4.0 * spread)
    t, _ = cv2.threshold(inner, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    t = min(max(t, floor), max(floor, INK_DARK[1]))
    return (smooth >= t).astype(np.uint8)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(8, 120),
    st.integers(8, 200),
    st.sampled_from([2, 6, 30, 120, 255]),
    st.sampled_from([150.0, 300.0, 600.0]),
    st.integers(0, 12),
)
def test_digit_ink_is_version_1s(
    seed: int, h: int, w: int, level: int, dpi: float, ring: int
) -> None:
    """Same ink for any darkness: noise of any spread, strokes, blank boxes."""
    from formocr.layout.digits import digit_ink

    rng = np.random.default_rng(seed)
    dark = rng.integers(0, level + 1, (h, w)).astype(np.uint8)
    if seed % 3 == 0:
        dark[:] = rng.integers(0, 3)
    cv2.line(dark, (w // 4, 0), (w // 2, h - 1), int(rng.integers(0, 256)), int(rng.integers(1, 5)))
    interior = (ring, ring, max(ring, w - ring), max(ring, h - ring))
    assert np.array_equal(
        digit_ink(dark, interior, dpi, ring), _digit_ink_v1(dark, interior, dpi, ring)
    )


def _dashed_boxes(solid: bool = False, lost_corner: int = 0) -> tuple[np.ndarray, list[BBox]]:
    """Eight string boxes whose rules are rows of dashes (as a bilevel scan
    leaves a faint rule, or a form prints them), handwriting-like digits in
    them, the page turned 0.8 degrees and thresholded to black and white.
    ``lost_corner``: each box has one or two corners whose rules start that
    many pixels from the corner, both ways (a corner whose dashes the
    scanner dropped)."""
    rng = np.random.default_rng(3)
    page = np.full((1500, 2400), 255, np.uint8)

    def dashed(p0: tuple[int, int], p1: tuple[int, int], skip0: int, skip1: int) -> None:
        (x0, y0), (x1, y1) = p0, p1
        n = max(abs(x1 - x0), abs(y1 - y0))
        t = skip0
        while t < n - skip1:
            dash = n if solid else int(rng.integers(25, 48))  # 0.08-0.16 in
            a, b = t / n, min(t + dash, n - skip1) / n
            pa = (round(x0 + a * (x1 - x0)), round(y0 + a * (y1 - y0)))
            pb = (round(x0 + b * (x1 - x0)), round(y0 + b * (y1 - y0)))
            cv2.line(page, pa, pb, 0, 2)
            t += dash + int(rng.integers(9, 21))  # gaps of 0.03-0.07 in

    boxes = []
    lost_rng = np.random.default_rng(4)
    for k in range(8):
        x, y, w, h = 150 + (k % 2) * 1100, 150 + (k // 2) * 330, 950, 180
        corners = [(x, y), (x + w, y), (x, y + h), (x + w, y + h)]
        lost = set()
        if lost_corner:
            lost = {corners[int(i)] for i in lost_rng.choice(4, size=1 + k % 2, replace=False)}

        def skip(p: tuple[int, int]) -> int:
            return lost_corner if p in lost else 0  # noqa: B023 - used at once

        sides = (((x, y), (x + w, y)), ((x, y + h), (x + w, y + h)))
        sides += (((x, y), (x, y + h)), ((x + w, y), (x + w, y + h)))
        for p0, p1 in sides:
            dashed(p0, p1, skip(p0), skip(p1))
        digits = "".join(str(d) for d in rng.integers(0, 10, 5))
        cv2.putText(page, digits, (x + 60, y + 140), cv2.FONT_HERSHEY_SIMPLEX, 3.6, 0, 9)
        boxes.append(BBox(x, y, w, h))
    m = cv2.getRotationMatrix2D((page.shape[1] / 2, page.shape[0] / 2), 0.8, 1.0)
    page = cv2.warpAffine(page, m, page.shape[::-1], borderValue=255)
    turned = []  # each box's hull on the turned page
    for b in boxes:
        corners = np.array([[b.x, b.y, 1], [b.x + b.w, b.y, 1], [b.x, b.y + b.h, 1]], float)
        corners = np.vstack([corners, [b.x + b.w, b.y + b.h, 1]]) @ m.T
        x0, y0 = corners.min(axis=0)
        x1, y1 = corners.max(axis=0)
        turned.append(BBox(round(x0), round(y0), round(x1 - x0), round(y1 - y0)))
    return np.where(page < 150, 0, 255).astype(np.uint8), turned


def test_boxes_whose_rules_are_dashes_are_found() -> None:
    """Rules broken into dashes (a faint form archived black and white) are
    still lines: every box is found, at its place, each one field."""
    page, boxes = _dashed_boxes()
    fields = find_fields(page, 300)
    assert len(fields) == len(boxes)
    assert all(f.kind == "string" and len(f.digits) == 5 for f in fields)
    for f, box in zip(fields, boxes, strict=True):
        assert f.bbox.iou(box) > 0.95


@pytest.mark.parametrize("lost", [36, 48])
def test_boxes_whose_corners_the_scan_lost_are_found(lost: int) -> None:
    """A faint form's corner lost whole by the scanner (the side stops short
    of the line and the line of the side, by 0.12 or 0.16 in: more than a
    joined dash reaches) is closed: every box is found, at its place, and
    those found only so are marked as guessed."""
    page, boxes = _dashed_boxes(lost_corner=lost)
    fields = find_fields(page, 300)
    assert len(fields) == len(boxes)
    for f, box in zip(fields, boxes, strict=True):
        assert f.bbox.iou(box) > 0.9
    # Without closing them, the boxes (and nothing but digits' loops) were
    # lost at 48 px; at 36 px some boxes keep enough of their corners.
    guessed = [f.guessed for f in fields]
    assert all(guessed) if lost == 48 else 0 < sum(guessed) < len(fields)
    assert not any(f.guessed for f in find_fields(_dashed_boxes()[0], 300))


def test_no_corner_is_guessed_on_a_page_of_more_boxes_than_a_form_has(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Specks or a pattern taken for hundreds of boxes are no form: no corner
    is closed there (a guess would only add boxes, at the cost of looking
    for them twice). Shown with the bar lowered under the 12 frames found
    without it (4 boxes, 8 digits' loops)."""
    from formocr.layout import lines

    page, boxes = _dashed_boxes(lost_corner=36)
    assert sum(f.guessed for f in find_fields(page, 300)) > 0
    monkeypatch.setattr(lines, "GUESS_MAX_FRAMES", 3)
    fields = find_fields(page, 300)
    assert not any(f.guessed for f in fields)
    assert sum(any(f.bbox.iou(b) > 0.9 for f in fields) for b in boxes) < len(boxes)


def test_a_box_closed_by_a_guess_is_never_ok() -> None:
    """A box found only by closing its lost corners may be printed text
    between two rows of boxes: its field goes to review, saying why, however
    sure the reading; the boxes found whole are read as usual."""
    from formocr.api import GUESSED

    page, _ = _dashed_boxes(lost_corner=36)
    result = scan_page(
        PageImage("lost.png", 1, page, 300.0), ScanConfig(), FakeClassifier([(3, 1.0)])
    )
    guessed = [f.guessed for f in find_fields(page, 300)]
    assert len(result.fields) == len(guessed)
    for f, g in zip(result.fields, guessed, strict=True):
        assert (f.status == "review" and GUESSED in (f.reason or "")) if g else f.status == "ok"


def test_only_pages_of_broken_lines_take_the_dash_path() -> None:
    """The page turned 0.8 degrees is measured so, dashes or not; only the
    dashed page is marked as one of broken lines (a page of whole lines
    reads exactly as before)."""
    from formocr.layout.lines import page_geometry

    dashed = page_geometry(_dashed_boxes()[0], 300.0)
    solid = page_geometry(_dashed_boxes(solid=True)[0], 300.0)
    assert (dashed.broken_lines, solid.broken_lines) == (True, False)
    assert abs(dashed.angle - solid.angle) < 0.1 and abs(abs(solid.angle) - 0.8) < 0.1


def test_a_template_drafted_from_a_form_of_dashed_rules_registers_it(tmp_path) -> None:
    """`template init` on a black-and-white form whose rules are dashes drafts
    every box, and the page registers to the template box for box."""
    from formocr.templates.cut import page_box
    from formocr.templates.draft import draft_template
    from formocr.templates.register import register
    from training.synth import write_png

    page, boxes = _dashed_boxes()
    template = draft_template(write_png(page, tmp_path / "dashed.png", 300), name="dashed")
    assert len(template.fields) == len(boxes)
    reg = register(page, [template], dpi=300)
    assert reg.matched == len(boxes)
    placed = [page_box(reg, f.box, page.shape) for f in template.fields]
    for box in boxes:
        assert max(p.iou(box) for p in placed) > 0.95


# -- boxes found in pieces ----------------------------------------------------------------


def test_handwriting_beside_a_box_or_a_cell_sharing_its_side_marks_a_box_found_in_pieces() -> None:
    """On a black-and-white fax a comb's thin lines break and its cells are
    found as boxes of their own, each read as a field, some `ok` though the
    comb's other digits lie beside them unread. A box with handwriting
    beside it in its row (outside every box), or sharing a side with a
    one-digit cell (in its row, or level with its top or foot), is marked;
    paper, a short printed label or a printed line across the row beside
    it is not handwriting."""
    from formocr.layout.fields import BETWEEN_INK, broken_boxes
    from formocr.types import BBox

    page = np.full((300, 900), 255, np.uint8)
    left, right = BBox(100, 100, 200, 80), BBox(400, 100, 200, 80)
    for b in (left, right):
        cv2.rectangle(page, (b.x, b.y), (b.x + b.w, b.y + b.h), 0, 2)
    assert broken_boxes(page, [left, right]) == set()
    label = page.copy()
    cv2.putText(label, "kg", (335, 150), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 1)
    assert int(BETWEEN_INK * 80) > 20  # the label stands about 15 px
    rule = page.copy()
    cv2.line(rule, (350, 90), (350, 200), 0, 2)  # a printed rule crossing the row
    assert broken_boxes(label, [left, right]) == broken_boxes(rule, [left, right]) == set()
    digit = page.copy()
    cv2.putText(digit, "7", (330, 165), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 0, 5)  # 7 between them
    assert broken_boxes(digit, [left, right]) == {0, 1}
    cell, comb = BBox(100, 100, 60, 80), BBox(160, 100, 300, 80)  # sharing a side
    assert broken_boxes(page, [cell, comb]) == {0, 1}
    # A comb's first cell found shorter, closed at a digit's stroke, level
    # with the rest of the comb (found divided into cells) at its top: no
    # row with it, and `27012005` read `7012005`, `ok`. A box level with
    # neither its top nor its foot is no piece of it; nor are two one-digit
    # boxes so level (a date box whose foot was lost beside a whole one).
    blank = np.full((300, 900), 255, np.uint8)
    piece, low = BBox(100, 100, 60, 48), BBox(100, 118, 60, 44)
    assert broken_boxes(blank, [piece, comb], combs={1}) == {0, 1}
    assert broken_boxes(blank, [low, comb], combs={1}) == set()
    whole, two = BBox(160, 100, 60, 80), BBox(160, 100, 110, 80)
    assert broken_boxes(blank, [piece, whole]) == set()
    assert broken_boxes(blank, [piece, two], combs={1}) == set()
    # A digit across the whole band between two cells, from side to side,
    # is written in a cell between them that was not found (a fax's comb
    # found every other cell, each read `ok`). A box's own digit run over
    # its side touches the band's near side only: no sign for that box
    # (beside the other box, it is writing in its row).
    a, b = BBox(100, 100, 60, 80), BBox(220, 100, 60, 80)
    across, over = blank.copy(), blank.copy()
    cv2.ellipse(across, (190, 140), (34, 28), 0, 0, 360, 0, -1)  # a bold digit
    assert broken_boxes(across, [a, b]) == {0, 1}
    cv2.ellipse(over, (150, 140), (22, 28), 0, 0, 360, 0, -1)  # a's, over its side
    assert broken_boxes(over, [a, b]) == {1}
    wide, next_to = BBox(100, 100, 200, 80), BBox(300, 100, 200, 80)  # printed so
    printed = np.full((300, 900), 255, np.uint8)
    for b in (wide, next_to):
        cv2.rectangle(printed, (b.x, b.y), (b.x + b.w, b.y + b.h), 0, 2)
    assert broken_boxes(printed, [wide, next_to]) == set()


def test_a_digit_beside_a_box_that_its_found_side_cuts_through_marks_a_piece() -> None:
    """A fine-mode fax broke a comb's dotted lines, and a "box" was found
    from the first cell's left side to a side through the second cell's
    digit. Its own digit was read `ok`, where the comb held more. Ink
    touching the box's side counts as the box's own digit run over it only
    while it reaches less than OVERRUN_W of the box's height past the side;
    farther, it is a digit beside the box, cut through by it."""
    from formocr.layout.fields import OVERRUN_W, broken_boxes
    from formocr.types import BBox

    a = BBox(100, 100, 60, 80)
    band = a.x + a.w + max(2, int(0.05 * a.h))  # where the band beside it starts
    for centre, half, marked in ((150, 22, False), (185, 28, True)):
        page = np.full((300, 900), 255, np.uint8)
        cv2.ellipse(page, (centre, 140), (half, 28), 0, 0, 360, 0, -1)  # a bold digit
        assert centre - half < a.x + a.w  # it crosses the box's right side
        assert (centre + half - band >= OVERRUN_W * a.h) == marked
        assert broken_boxes(page, [a]) == ({0} if marked else set())


def test_a_box_s_line_running_on_in_steps_past_its_side_marks_a_piece() -> None:
    """A box's top line that runs on past its side, stepping down a pixel
    every 10 px (no row of it unbroken for long), is one thin piece of ink
    along the band's top, touching the box's side and running across the
    band: a piece of a larger box. Ink that runs from the side across the
    band, or far past it, is no digit run over the side, but it is still a
    line running on (the tests for those must not hide this one)."""
    from formocr.layout.fields import broken_boxes
    from formocr.types import BBox

    a = BBox(100, 100, 60, 80)
    page = np.full((300, 900), 255, np.uint8)
    cv2.rectangle(page, (a.x, a.y), (a.x + a.w - 1, a.y + a.h - 1), 0, 2)
    assert broken_boxes(page, [a]) == set()
    for k in range(7):
        x = a.x + a.w + 10 * k
        cv2.line(page, (x, a.y + k), (x + 9, a.y + k), 0, 1)
    assert broken_boxes(page, [a]) == {0}


def test_boxes_found_overlapping_are_marked_and_boxes_side_by_side_are_not() -> None:
    """Printed boxes do not overlap; boxes sharing a side overlap by the
    line at most. Two found overlapping by a quarter of the smaller one's
    height, across and down, are both marked (a "box" built on a dot
    screen's rows beside the real one read "656/-" as 56, `ok`)."""
    from formocr.layout.fields import OVERLAP, overlapping_boxes
    from formocr.types import BBox

    a = BBox(100, 100, 200, 80)
    side = BBox(297, 100, 200, 80)  # shares a's right side, a 3-px line
    below = BBox(100, 177, 200, 80)  # shares its bottom line
    assert overlapping_boxes([a, side, below]) == set()
    assert overlapping_boxes([a]) == overlapping_boxes([]) == set()
    over = BBox(250, 60, 150, 70)  # across a's top right corner
    assert overlapping_boxes([a, side, over]) == {0, 1, 2}
    # OVERLAP of the smaller box's height (58 here), both ways: 70 x 30
    # overlaps, 70 x 14 does not.
    assert 14 < OVERLAP * 58 < 30
    assert overlapping_boxes([a, BBox(230, 72, 150, 58)]) == {0, 1}
    assert overlapping_boxes([a, BBox(230, 56, 150, 58)]) == set()


def test_a_digit_taller_than_the_box_beside_it_or_a_line_running_on_marks_a_piece() -> None:
    """Two more signs of a box found in pieces on a normal-mode fax, each
    once read `ok` where no field was: a 0's loop taken for a box, its 2
    beside it taller than the "box" (which the printed-rule test took for a
    line across the row), read 5; and a comb's first cell found alone, its
    top line running on over the next cell, read 5. A mark across the whole
    band beside a box is a rule only when thin; a line along the band's top
    or bottom that starts at the box's side makes the box a piece, a digit
    hanging from it or not."""
    from formocr.layout.fields import broken_boxes
    from formocr.types import BBox

    page = np.full((300, 900), 255, np.uint8)
    loop = BBox(400, 100, 60, 80)
    cv2.rectangle(page, (loop.x, loop.y), (loop.x + loop.w, loop.y + loop.h), 0, 2)
    assert broken_boxes(page, [loop]) == set()
    rule = page.copy()
    cv2.line(rule, (370, 60), (370, 220), 0, 3)  # a printed rule crossing the row
    assert broken_boxes(rule, [loop]) == set()
    tall = page.copy()
    cv2.line(tall, (360, 70), (370, 210), 0, 14)  # a stroke taller than the box
    assert broken_boxes(tall, [loop]) == {0}
    runs_on = page.copy()
    cv2.line(runs_on, (loop.x + loop.w, loop.y), (loop.x + loop.w + 150, loop.y), 0, 2)
    assert broken_boxes(runs_on, [loop]) == {0}
    # The line running on to the next cell, found as a box, with that cell's
    # 9 written hanging from it: one piece of ink, taller than a line, was
    # neither (a fax's comb cell `5` read `ok` beside its neighbour's 9).
    nxt = BBox(525, 100, 65, 80)
    hanging = page.copy()
    cv2.rectangle(hanging, (nxt.x, nxt.y), (nxt.x + nxt.w, nxt.y + nxt.h), 0, 2)
    cv2.line(hanging, (loop.x + loop.w, loop.y), (nxt.x, loop.y), 0, 2)
    cv2.line(hanging, (500, loop.y), (488, loop.y + 62), 0, 8)
    assert broken_boxes(hanging, [loop, nxt]) == {0, 1}
    below = page.copy()  # a line under the row, apart from the box, is no sign
    cv2.line(below, (loop.x + loop.w + 10, loop.y + loop.h + 30), (800, loop.y + loop.h + 30), 0, 2)
    assert broken_boxes(below, [loop]) == set()


def test_a_tall_printed_sign_beside_a_wide_amount_box_is_no_handwriting() -> None:
    """A cheque prints "$" beside its amount box, often most of the box's
    height: an amount box (wider than BETWEEN_ASPECT times its height) is
    not looked beside; a cell or a short run of cells is."""
    from formocr.layout.fields import BETWEEN_ASPECT, broken_boxes
    from formocr.types import BBox

    page = np.full((300, 900), 255, np.uint8)
    amount = BBox(200, 100, 400, 80)
    assert amount.w > BETWEEN_ASPECT * amount.h
    cv2.rectangle(page, (200, 100), (600, 180), 0, 2)
    cv2.putText(page, "$", (150, 165), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 0, 4)
    assert broken_boxes(page, [amount]) == set()
    cell = BBox(200, 100, 70, 80)
    assert broken_boxes(page, [cell]) == {0}


def _comb_with_a_faint_side(paper: np.ndarray, line: int, faint: int | None) -> np.ndarray:
    """An 8-cell date comb printed in grey ``line`` on ``paper``, its left
    side in grey ``faint`` (None: as the rest), ``27061997`` written in it,
    the 2 crossing into the second cell."""
    page = paper.copy()
    x0, y0, cw, h = 100, 150, 60, 90
    xs = [x0 + k * cw for k in range(9)]
    for y in (y0, y0 + h):
        cv2.line(page, (x0, y), (xs[-1], y), line, 3)
    for k, x in enumerate(xs):
        cv2.line(page, (x, y0), (x, y0 + h), line if k or faint is None else faint, 3)
    for k, digit in enumerate("27061997"):
        at = (xs[k] + (22 if k == 0 else 8), y0 + 75)
        cv2.putText(page, digit, at, cv2.FONT_HERSHEY_SIMPLEX, 2.2, 40, 7)
    return page


@pytest.mark.parametrize("background", ["plain", "screen"])
@pytest.mark.parametrize(("line", "faint"), [(40, 240), (150, 232)])
def test_a_box_whose_lines_run_on_past_its_side_is_a_piece_and_asks(
    background: str, line: int, faint: int
) -> None:
    """A cheque's date comb, scanned light on a dot screen, lost its side
    and first divider to the finder: it was found from its second cell on,
    the digit in its first cell beside it, and ``22061997`` came out
    ``2061997``, `ok` at 0.9996. Its top and bottom lines ran on past the
    box's side to the lost cell's; a box whose lines both run on past a
    side, 0.4 of its height or more, to no other box is a piece of one
    (``FieldLayout.runs_on``), and the field asks why. A comb printed whole
    is no piece."""
    from formocr.api import BROKEN, load_classifier

    paper = np.full((400, 700), 245, np.uint8)
    if background == "screen":
        dots = training_pattern("screen", paper.shape, 300.0, np.random.default_rng(1), (180, 180))
        paper = cv2.min(paper, dots)
    page = _comb_with_a_faint_side(paper, line, faint)
    (piece,) = find_fields(page, 300.0)
    assert piece.bbox.x > 150  # found from its second cell on
    assert piece.runs_on
    (field,) = scan_page(PageImage("p", 1, page, 300.0), ScanConfig(), load_classifier()).fields
    assert field.status == "review"
    assert BROKEN in (field.reason or "")
    whole = _comb_with_a_faint_side(paper, line, None)
    (comb,) = find_fields(whole, 300.0)
    assert comb.bbox.x < 110
    assert comb.cells == 8
    assert not comb.runs_on
    (field,) = scan_page(PageImage("p", 1, whole, 300.0), ScanConfig(), load_classifier()).fields
    assert BROKEN not in (field.reason or "")


@pytest.mark.parametrize("seed", [2, 4])
def test_a_pattern_s_rows_level_with_a_box_s_lines_do_not_run_them_on(seed: int) -> None:
    """Rows of microtext level with a box's top and bottom lines are lines
    to the finder's masks, and ran them on past the box's sides: a date comb
    printed whole, and an amount box, on the development cheques' microtext
    went to review. A run-on is as dark as the box's own lines (WALL_DARK of
    them); the microtext, printed in grey 170 beside lines in grey 20, is
    not."""
    paper = np.full((400, 700), 245, np.uint8)
    rng = np.random.default_rng(seed)
    paper = cv2.min(paper, training_pattern("microtext", paper.shape, 300.0, rng, (170, 170)))
    (comb,) = find_fields(_comb_with_a_faint_side(paper, 20, None), 300.0)
    assert comb.cells == 8
    assert not comb.runs_on


def test_a_side_found_as_walls_merged_wide_runs_the_lines_on() -> None:
    """A box's side found as a wall RUN_ON_CELL of the box's height wide or
    more, both lines running along it, is walls merged (a side, a digit
    written beside it, a dot screen's column of dots), and the box was
    found from its inner edge: its lines run on past that side
    (``Frame.runs_on``). On a dot screen `43281060` cut out came out
    `3281060`, `ok`, its 4 inside such a wall. A side as thin as a line,
    or a double wall (two boxes printed side by side), does not."""
    from formocr.layout.lines import RUN_ON_CELL, _runs_on, _Seg, _Wall

    h, reach = 100, RUN_ON_CELL * 100
    horiz = np.zeros((200, 700), np.uint8)
    top, bot = _Seg(0, 650, 50.0, 3), _Seg(0, 650, 50.0 + h, 3)
    for seg in (top, bot):
        horiz[int(seg.y) - 1 : int(seg.y) + 2, 0:650] = 255
    dark = horiz.copy()
    right = _Wall(640.0, 645.0, False, 645.0, 640.0)
    thin = _Wall(0.0, 5.0, False, 5.0, 0.0)
    wide = _Wall(0.0, 60.0, False, 60.0, 0.0)  # the box begins at 60
    double = wide._replace(split=True)
    assert _runs_on(horiz, dark, (top, bot), thin, right, reach) == (0.0, 0.0)
    assert _runs_on(horiz, dark, (top, bot), wide, right, reach) == (reach, 0.0)
    assert _runs_on(horiz, dark, (top, bot), double, right, reach) == (0.0, 0.0)
    broken = horiz.copy()
    broken[45:56, 20:30] = 0  # the top line does not run along the wall
    assert _runs_on(broken, dark, (top, bot), wide, right, reach) == (0.0, 0.0)


def test_open_frames_are_those_whose_lines_run_on_to_no_other_box() -> None:
    """``open_frames`` tells a frame whose top and bottom lines both run
    along past a side (``Frame.runs_on``: RUN_ON_CELL of its height), unless
    a frame beside it in its row is closer than that (boxes printed sharing
    a side, or close on one rule; or one found there lower or higher: something
    was found); one below or above it does not count."""
    from formocr.layout.fields import open_frames
    from formocr.layout.lines import RUN_ON_CELL, Frame

    run = RUN_ON_CELL * 40
    box = Frame(100, 100, 300, 140, runs_on=(run, 0.0))
    right = Frame(100, 100, 300, 140, runs_on=(0.0, run))
    shut = Frame(100, 100, 300, 140)
    assert open_frames([box, right, shut]) == [True, True, False]
    beside = Frame(40, 100, 95, 140)  # 5 px to its left, in its row
    assert open_frames([box, beside]) == [False, False]
    apart = Frame(20, 100, 100 - run - 1, 140)  # further off than the lines run
    assert open_frames([box, apart]) == [True, False]
    below = Frame(40, 160, 95, 200)  # in the next row
    assert open_frames([box, below]) == [True, False]
    lower = Frame(40, 115, 95, 150)  # found there, at another height
    assert open_frames([box, lower]) == [False, False]
    over = Frame(60, 100, 120, 140)  # found over its side
    assert open_frames([box, over]) == [False, False]


def _light_digit_box(
    kind: str,
    extra: str,
    grey: int,
    written: bool = True,
    rule: int = 0,
    pen: int = 20,
    paper: int = 245,
    stroke: int = 9,
    blur: float = 0,
) -> np.ndarray:
    """A comb of 4 cells (``484`` in the last three) or a string box
    (``4841``) in ``pen`` on ``paper``, and in the first cell or after the
    digits ``extra`` in grey ``grey``: a "7", a bare bar ("1"), or an
    "erased" light 3 with a black 7 written over it; blurred by ``blur``."""
    page = np.full((400, 900), paper, np.uint8)
    x0, y0, cw, ch = 60, 120, 120, 150
    font = cv2.FONT_HERSHEY_SIMPLEX
    if kind == "comb":
        cv2.rectangle(page, (x0, y0), (x0 + 4 * cw, y0 + ch), 0, 3)
        for k in range(1, 4):
            cv2.line(page, (x0 + k * cw, y0), (x0 + k * cw, y0 + ch), rule, 3)
        at = [x0 + k * cw + 22 for k in range(4)]
        for x, digit in zip(at[1:], "484" if written else "", strict=False):
            cv2.putText(page, digit, (x, y0 + 125), font, 3.3, pen, stroke)
        spot = at[0]
    else:
        cv2.rectangle(page, (x0, y0), (x0 + 700, y0 + ch), 0, 3)
        at = [x0 + 30 + k * 90 for k in range(5)]
        for x, digit in zip(at, "4841" if written else "", strict=False):
            cv2.putText(page, digit, (x, y0 + 125), font, 3.3, pen, stroke)
        spot = at[4]
    if extra == "7":
        cv2.putText(page, "7", (spot, y0 + 125), font, 3.3, grey, stroke)
    elif extra == "1":  # a bare bar
        cv2.line(page, (spot + 30, y0 + 30), (spot + 28, y0 + 125), grey, stroke)
    elif extra == "erased":  # a light 3 with a black 7 written over it
        cv2.putText(page, "3", (spot, y0 + 125), font, 3.3, grey, stroke)
        cv2.putText(page, "7", (spot, y0 + 125), font, 3.3, 20, stroke)
    return cv2.GaussianBlur(page, (0, 0), blur) if blur else page


def test_a_digit_written_lighter_than_the_ink_sends_the_field_to_review() -> None:
    """A digit lighter than the box's ink threshold (grey 200 on paper 245,
    beside black digits) was never ink: 7484 in a comb came out 484, and
    48417 in a string box 4841, both `ok` at 1.0. Such a mark (no ink in it,
    as tall as a digit) now sends the field to review, in a comb cell read
    as empty or beside a string's digits. The soft edges of black digits and
    of the frame never count, and a faint digit written over (an erasure
    under a digit) is read as written."""
    from formocr.api import FAINT, load_classifier

    box = _light_digit_box

    clf = load_classifier()

    def scan(page: np.ndarray, config: ScanConfig) -> tuple[str, str, str]:
        (field,) = scan_page(PageImage("p", 1, page, 300.0), config, clf).fields
        return field.value, field.status, field.reason or ""

    plain = ScanConfig()
    for kind, digits, seven in (("comb", "484", "7484"), ("string", "4841", "48417")):
        for extra, grey in (("7", 190), ("7", 200), ("7", 210), ("1", 200)):
            assert scan(box(kind, extra, grey), plain) == (digits, "review", FAINT), (kind, grey)
        for extra, grey, value in (("", 0, digits), ("7", 20, seven), ("erased", 200, seven)):
            assert scan(box(kind, extra, grey), plain) == (value, "ok", ""), (kind, extra)
        # Blurred past the frame's and the digits' soft edges (a comb so
        # blurred that its dividers are lost is read as a string).
        for blur in (3.0, 4.5):
            assert scan(box(kind, "7", 20, blur=blur), plain) == (seven, "ok", ""), (kind, blur)
        # Alone, or with all the digits so light: a string box's threshold
        # is its own, and the digits are ink; a comb's is set by its black
        # dividers, and the field asks (it came out `empty`).
        for written, pen in ((False, 20), (True, 200)):
            got = scan(box(kind, "7", 200, written=written, pen=pen), plain)
            want = (
                ("7" if not written else seven, "ok", "")
                if kind == "string"
                else ("", "review", FAINT)
            )
            assert got == want, (kind, written, got)
    # A comb's dividers printed lighter than the ink are no marks, by an
    # empty cell as by a full one.
    assert scan(box("comb", "", 0, blur=1.0, rule=215), plain) == ("484", "ok", "")
    # With a template that names the comb, read cell by cell or whole.
    from formocr.templates.template import Template, TemplateField

    for cells in (4, 5):
        field_ = TemplateField("c", (60, 120, 480, 150), "comb", cells=cells)
        templated = ScanConfig(templates=(Template("t", (900.0, 400.0), "px", (field_,), 300.0),))
        value, status, why = scan(box("comb", "7", 200), templated)
        assert status == "review" and FAINT in why, (cells, value, why)


def _light_digit_on_a_scan_asks(
    kind: str, paper: int, pen: int, stroke: int, noise: float, light: int, grain: float = 0.0
) -> None:
    """``_light_digit_box``'s comb or string on ``paper``, scanned with a
    little blur, ``noise`` grey levels a pixel and specks (or, with
    ``grain``, the noise blurred by so many pixels with the page: a grainy
    scan), three times: read `ok` without the light 7, and with it
    (``light`` grey levels under the paper) in review for a faint mark."""
    from formocr.api import FAINT, load_classifier

    def box(seed: int, light: int | None) -> np.ndarray:
        rng = np.random.default_rng(seed)
        extra, grey = ("7", paper - light) if light is not None else ("", 0)
        page = _light_digit_box(kind, extra, grey, pen=pen, paper=paper, stroke=stroke)
        img = page.astype(np.float32)
        if grain:
            img = cv2.GaussianBlur(img + rng.normal(0, noise, img.shape), (0, 0), grain)
            return np.clip(np.round(img), 0, 255).astype(np.uint8)
        img = cv2.GaussianBlur(img, (0, 0), 0.8) + rng.normal(0, noise, img.shape)
        specks = rng.random(img.shape) < 0.003
        img[specks] = rng.uniform(60, 140, int(specks.sum()))
        return np.clip(np.round(img), 0, 255).astype(np.uint8)

    clf = load_classifier()
    digits = "484" if kind == "comb" else "4841"
    for seed in range(3):
        for grey, want in ((None, (digits, "ok", "")), (light, (digits, "review", FAINT))):
            page = PageImage("p", 1, box(seed, grey), 300.0)
            (field,) = scan_page(page, ScanConfig(), clf).fields
            assert (field.value, field.status, field.reason or "") == want, (seed, grey)


@pytest.mark.parametrize("kind", ["string", "comb"])
def test_a_light_digit_on_a_noisy_scan_sends_the_field_to_review(kind: str) -> None:
    """A digit written light (15 grey levels under the paper) on a noisy
    scan (noise of 10 grey levels a pixel, specks, a little blur): plainly
    seen, but under four sigmas of the paper's noise at the ink's light
    smoothing, so no mark: ``48417`` read ``4841``, and a comb's ``7484``
    ``484``, `ok`. Smoothed over a stroke's width (FAINT_SOFT_IN) the noise
    falls and the digit stands out; the noise alone is no mark."""
    _light_digit_on_a_scan_asks(kind, paper=200, pen=50, stroke=11, noise=10.0, light=15)


@pytest.mark.parametrize("kind", ["comb", "string"])
def test_a_broad_light_digit_under_the_faint_floor_on_a_quiet_scan_asks(kind: str) -> None:
    """A digit written with a broad pen 10 grey levels under the paper of a
    quiet scan (noise of 2 grey levels a pixel, specks): under FAINT_DARK,
    which sets the faint level there, so no mark, and a comb's ``444`` read
    ``44``, `ok` (a light-pen form scanned harsh, BENCHMARKS.md, fiftieth
    session). Smoothed over twice a stroke's width (FAINT_COARSE) it stands
    out of the paper's noise so smoothed; the noise alone is no mark."""
    _light_digit_on_a_scan_asks(kind, paper=190, pen=60, stroke=15, noise=2.0, light=10)


@pytest.mark.parametrize(("noise", "grain", "light"), [(30.0, 1.5, 25), (25.0, 2.0, 18)])
def test_a_light_digit_on_a_grainy_scan_asks(noise: float, grain: float, light: int) -> None:
    """A comb's light 7 on a grainy scan (its noise blurred with the page,
    as a scanner's and a JPEG's are: blotches of a few pixels, no lone
    specks): the paper's noise so smoothed over a stroke's width hid it,
    and ``7484`` was read ``484``, `ok` (a light-pen page of heavy grain,
    ``3928`` read ``98``: BENCHMARKS.md, fifty-ninth session). Smoothed
    over twice that (FAINT_COARSE), as on a quiet scan, it stands out; the
    grain alone is no mark."""
    _light_digit_on_a_scan_asks("comb", 200, 50, 13, noise, light, grain=grain)


def test_a_light_1_thinned_to_a_short_thick_bar_is_a_mark_and_a_shadow_is_not() -> None:
    """At the faint level, thinned, a light 1 can be a short, thick bar
    that fills its bounding box as a shadow does: 14 px wide, 51 tall,
    0.27 as wide as tall, it was taken for a shadow, and `10` cut inside
    its box on a dot screen read `0`, `ok` (BENCHMARKS.md, fifty-ninth
    session). A bar up to FAINT_BAR as wide as tall is a mark; a filled
    blob wider than that is still a shadow."""
    from formocr.layout.digits import FAINT_BAR, FAINT_FILL, _faint_marks

    def marks(w: int) -> int:
        low = np.zeros((119, 300), np.uint8)
        cv2.ellipse(low, (150, 55), (w // 2, 25), 0, 0, 360, 1, -1)
        assert cv2.countNonZero(low) > FAINT_FILL * w * 51
        vert = np.zeros((119, 300), bool)
        return len(_faint_marks(low, (0, 0), (0, 0, 300, 119), 2, 51, vert, False, 5))

    assert marks(14) == 1  # 15 px wide as drawn: 0.29 as wide as tall
    assert marks(24) == 0
    assert 15 <= FAINT_BAR * 51 < 25


@pytest.mark.parametrize("gap", [0, 2])
def test_a_light_digit_against_a_light_frame_s_side_sends_the_field_to_review(gap: int) -> None:
    """A comb printed grey (its lines 50 grey levels under the paper) with a
    0 written light in its first cell, against the frame's left side or 2 px
    from it: at the faint level the mark joined the line's soft edge, which
    reaches outside the box, and was lost with it, so the comb read
    ``464587`` for ``0464587``, `ok` (an MNIST writer's light pen,
    BENCHMARKS.md, fifty-seventh session). Marks are looked for inside the
    frame only; with no light 0 the comb is read `ok`."""
    from formocr.api import FAINT, load_classifier

    def read(light: int | None) -> tuple[str, str, str]:
        page = np.full((400, 900), 195, np.uint8)
        x0, y0, cw, ch = 60, 120, 120, 150
        cv2.rectangle(page, (x0, y0), (x0 + 4 * cw, y0 + ch), 145, 3)
        for k in range(1, 4):
            cv2.line(page, (x0 + k * cw, y0), (x0 + k * cw, y0 + ch), 145, 3)
        for k, digit in enumerate("484"):
            at = (x0 + (k + 1) * cw + 22, y0 + 125)
            cv2.putText(page, digit, at, cv2.FONT_HERSHEY_SIMPLEX, 3.3, 30, 9)
        if light is not None:
            cv2.ellipse(page, (x0 + 45 + gap, y0 + 75), (40, 50), 0, 0, 360, light, 9)
        img = cv2.GaussianBlur(page.astype(np.float32), (0, 0), 1.0)
        img += np.random.default_rng(0).normal(0, 3, img.shape)
        grey = np.clip(np.round(img), 0, 255).astype(np.uint8)
        (field,) = scan_page(PageImage("p", 1, grey, 300.0), ScanConfig(), load_classifier()).fields
        return field.value, field.status, field.reason or ""

    assert read(None) == ("484", "ok", "")
    assert read(165) == ("484", "review", FAINT)


@pytest.mark.parametrize("gap", [1, 4])
def test_a_light_digit_thinned_into_pieces_one_above_the_other_is_one_mark(gap: int) -> None:
    """At a faint level a light digit's strokes are thinned with the rest and
    break at their narrow joins: a 5 barely darker than the paper came out
    in three pieces one above the other, each under FAINT_TALL of the box,
    so no mark, and its comb `637851` `ok` for `6378551` (BENCHMARKS.md,
    fifty-seventh session). Pieces within the thinning's width of each other
    (``gap``), overlapping across, are one mark; pieces side by side, or
    further apart, are not."""
    from formocr.layout.digits import FAINT_TALL, _faint_marks

    interior = (10, 10, 410, 160)  # a box 150 px high
    h = interior[3] - interior[1]
    piece = int(FAINT_TALL * h) - 8
    vert = np.zeros((h, 400), bool)

    def marks(places: list[tuple[int, int]], apart: int = 5) -> list[tuple[int, int]]:
        low = np.zeros((170, 420), np.uint8)
        for x, y in places:  # a stroke down and one across: a piece of a 5
            low[y : y + piece, x : x + 6] = 1
            low[y + piece - 6 : y + piece, x : x + 30] = 1
        found = _faint_marks(low, (0, 0), interior, 2, 60, vert, True, apart)
        return [(b.y, b.h) for b in found]

    top = 30
    stacked = [(100, top + k * (piece + gap)) for k in range(3)]
    assert marks(stacked) == [(top, 3 * piece + 2 * gap)]
    assert marks(stacked, apart=gap - 1) == []
    assert marks([(100, top), (160, top), (220, top)]) == []


@pytest.mark.parametrize("grey", [70, 100])
def test_a_grey_line_between_digits_read_as_a_1_sends_the_field_to_review(grey: int) -> None:
    """A grey line 3 px wide between a string's 8 and 4, too wide to be
    cleaned away as a hairline and dark enough to be ink, was read as a 1,
    ``48141``, `ok` (a real writer's stray hairline beside a 9 so read:
    ``391`` came out ``3911``). Drawn much finer and lighter than the
    digits, it asks; drawn as the digits are, it is a 1 and does not."""
    from formocr.api import load_classifier

    clf = load_classifier()
    at = [60 + 30 + k * 90 for k in range(5)]

    def read(colour: int, width: int) -> tuple[str, str, str]:
        page = _light_digit_box("string", "", 0)
        cv2.line(page, (at[2] - 12, 150), (at[2] - 14, 245), colour, width)
        img = cv2.GaussianBlur(page, (0, 0), 0.8)
        (field,) = scan_page(PageImage("p", 1, img, 300.0), ScanConfig(), clf).fields
        return field.value, field.status, field.reason or ""

    value, status, reason = read(grey, 3)
    assert (value, status) == ("48141", "review")
    assert reason.startswith("digit 3, read 1, is drawn much finer and lighter")
    assert read(20, 9) == ("48141", "ok", "")


@pytest.mark.parametrize("gap", [0, 4, 30])
def test_a_light_1_standing_on_a_string_box_s_line_sends_the_field_to_review(gap: int) -> None:
    """A 1 written light between a black 9 and 0, its foot on the box's
    bottom line or just over it: taken for a tick printed light on the line
    (a comb's), ``910`` was read ``90``, `ok`. A string box has no ticks; a
    light bar there is a printed line only from its top line to its bottom
    one. (A comb's light dividers are still no marks: the test of a digit
    written lighter than the ink.) Its foot 30 px over the line, it always
    asked."""
    from formocr.api import FAINT, load_classifier

    page = np.full((400, 900), 245, np.uint8)
    x0, y0, ch = 60, 120, 150
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.rectangle(page, (x0, y0), (x0 + 700, y0 + ch), 0, 3)
    cv2.putText(page, "9", (x0 + 30, y0 + 125), font, 3.3, 20, 9)
    cv2.putText(page, "0", (x0 + 210, y0 + 125), font, 3.3, 20, 9)
    cv2.line(page, (x0 + 160, y0 + 25), (x0 + 156, y0 + ch - 2 - gap), 200, 9)
    (field,) = scan_page(PageImage("p", 1, page, 300.0), ScanConfig(), load_classifier()).fields
    assert (field.value, field.status, field.reason) == ("90", "review", FAINT)


def test_a_2_s_long_foot_across_small_boxes_does_not_close_them() -> None:
    """2s written large in small boxes side by side (a cheque's date in
    eight boxes): a long foot runs as far as a short rule, and feet at about
    one height join across the gaps into one long line. As the nearest
    bottom under the boxes' top line it closed boxes at the feet, and what
    the digits left above them was read (a 0's sides as a 1, `ok`, on the
    cheques). Each box is found whole, its digit with it."""
    page = np.full((600, 1400), 250, np.uint8)
    boxes = []
    x, y0, w, h = 200, 250, 83, 100
    for dy in (0, 6, -5, 3, -8, 8, -2, 5):  # handwriting's feet are not level
        cv2.rectangle(page, (x, y0), (x + w, y0 + h), 0, 3)
        boxes.append(BBox(x - 1, y0 - 1, w + 3, h + 3))
        foot = y0 + 76 + dy
        cv2.line(page, (x + 20, y0 + 25), (x + 55, y0 + 22), 20, 5)
        cv2.line(page, (x + 55, y0 + 22), (x + 16, foot), 20, 5)
        cv2.line(page, (x + 14, foot), (x + 72, foot), 20, 5)
        x += w + 14
    fields = find_fields(page, 300.0)
    assert len(fields) == 8
    for f, b in zip(fields, boxes, strict=True):
        assert f.bbox.iou(b) > 0.9
        (d,) = f.digits
        assert d.bbox.h > 0.5 * h


@pytest.mark.parametrize(("seed", "scan"), [(7, "scan"), (10, "harsh"), (2, "harsh")])
def test_a_date_comb_s_thin_dividers_on_a_dot_screen_make_its_cells(seed: int, scan: str) -> None:
    """A cheque's date comb printed with thin dividers over a dense dot
    screen: taking the screen's level off the box leaves the dividers about
    as faint as the screen, under the marks' threshold, though the page's
    lines found every one of them. The comb was read as 3 or 4 wide cells,
    or as a string, and its digits merged. Walls the page found that stay
    faintly visible in the box are weak marks, which make a comb on their
    grid."""
    from training.synth.degrade import Degradation

    page, truth = make_cheque(
        np.random.default_rng(seed),
        300,
        background="screen",
        separate_date_boxes=False,
        amount_format="plain",
        degradation=getattr(Degradation, scan)(),
    )
    date = next(t for t in truth if t.label == "Date")
    field = max(find_fields(page, 300.0), key=lambda f: f.bbox.iou(date.bbox))
    assert field.bbox.iou(date.bbox) > 0.8
    assert (field.kind, field.cells, len(field.digits)) == ("comb", 8, 8)


def test_boxes_a_hair_apart_on_a_skewed_page_are_not_doubted_for_the_page_beside_them() -> None:
    """Eight one-digit boxes 10 px apart (a cheque's date) on a page turned
    0.8 degrees: the band beside each box, between it and its neighbour,
    has no width once the edges are left out, and cut from the deskewed
    page at that size it came back as the whole page (OpenCV reads a size
    of 0 as the source's), whose writing made every box "handwriting
    beside the box": all eight went to review."""
    from formocr.layout.fields import box_doubts

    page = np.full((900, 2700), 245, np.uint8)
    x = 1200
    for _ in range(8):
        cv2.rectangle(page, (x, 250), (x + 75, 350), 0, 2)
        cv2.line(page, (x + 38, 270), (x + 36, 330), 30, 6)  # a 1 in each
        x += 75 + 10
    for y in (600, 800):  # lines to write on, page-wide: the skew is measured
        cv2.line(page, (100, y), (2600, y), 0, 3)
    turn = cv2.getRotationMatrix2D((1350, 450), 0.8, 1.0)
    page = cv2.warpAffine(page, turn, (2700, 900), borderValue=245)
    fields = find_fields(page, 300.0)
    assert len(fields) == 8 and all(abs(f.skew + 0.8) < 0.2 for f in fields)
    assert box_doubts(page, fields) == (set(), set(), set())


def _date_pairs(
    mark: Callable[[np.ndarray, int, int, int, int], None], first: bool = False
) -> tuple[np.ndarray, list[BBox]]:
    """Eight one-digit boxes in pairs, 10 px apart within a pair (a cheque's
    date, DD MM YYYY), with ``mark(page, x, y, w, h)`` drawn in one box of
    each pair (the ``first`` or the second) and a short 1 in the other."""
    page = np.full((500, 1300), 248, np.uint8)
    boxes = []
    x, y, w, h = 150, 200, 64, 96
    for k in range(8):
        cv2.rectangle(page, (x, y), (x + w, y + h), 0, 3)
        boxes.append(BBox(x - 1, y - 1, w + 3, h + 3))
        if k % 2 != first:
            mark(page, x, y, w, h)
        else:
            cv2.line(page, (x + 33, y + 22), (x + 31, y + h - 24), 20, 6)
        x += w + (10 if k % 2 == 0 else 40)
    return page, boxes


def _tall_one(page: np.ndarray, x: int, y: int, w: int, h: int) -> None:
    cv2.line(page, (x + 27, y + 2), (x + 27, y + h - 2), 20, 7)


def _two_on_its_line(page: np.ndarray, x: int, y: int, w: int, h: int) -> None:
    cv2.line(page, (x + 18, y + 25), (x + 48, y + 20), 20, 6)
    cv2.line(page, (x + 48, y + 20), (x + 12, y + h - 6), 20, 6)
    cv2.line(page, (x + 8, y + h - 9), (x + w - 14, y + h - 9), 20, 18)  # a bold foot


def _bold_one_by_its_side(page: np.ndarray, x: int, y: int, w: int, h: int) -> None:
    cv2.line(page, (x + w - 12, y + 12), (x + w - 12, y + h - 10), 20, 12)


@pytest.mark.parametrize(
    ("mark", "first"),
    [(_tall_one, False), (_two_on_its_line, False), (_bold_one_by_its_side, True)],
    ids=["tall 1", "2 on its line", "bold 1 by the pair's wall"],
)
def test_a_digit_against_a_small_box_s_lines_does_not_lose_the_box(
    mark: Callable[[np.ndarray, int, int, int, int], None], first: bool
) -> None:
    """A cheque's date in pairs of boxes a hair apart. A tall 1 whose ends
    meet the lines, a little left of the middle, was a wall at page level:
    it left a piece narrower than a box beside the pair's double wall and
    a piece too narrow to be a box on its other side, and the box and its
    digit were lost without a word. A 2's bold foot lying on the bottom
    line made a run too thick to be a line, and both boxes of the pair
    were lost. A bold 1 a hair from the pair's double wall was taken for
    the wall's side, and its box ended where the 1 began: too narrow to be
    a box, or a box that lost its 1. Every box is found, with its digit."""
    page, boxes = _date_pairs(mark, first)
    fields = find_fields(page, 300.0)
    assert len(fields) == 8
    for f, b in zip(fields, boxes, strict=True):
        assert f.bbox.iou(b) > 0.9
        assert len(f.digits) == 1


def test_a_marker_1_along_a_pair_s_double_wall_is_not_read_away_with_it() -> None:
    """A marker 1 written against the right side of a date box, whose
    neighbour is printed a hair away: the stroke, the side and the
    neighbour's side make one band too thick for a line, so the pair was
    found as one box, and its clearly printed lines (unevenly spaced, two
    closer than any cell) made its cells. The 1 was whited out with them,
    and the pair read `1`, `ok`, for `11`. Such a box asks."""
    from formocr.api import ALONG, load_classifier

    def marker_one(page: np.ndarray, x: int, y: int, w: int, h: int) -> None:
        cv2.line(page, (x + w - 10, y + 12), (x + w - 10, y + h - 10), 20, 16)

    page, _ = _date_pairs(marker_one, first=True)
    fields = scan_page(PageImage("p", 1, page, 300.0), ScanConfig(), load_classifier()).fields
    assert fields and all(f.status != "ok" for f in fields)
    assert any(f.reason is not None and ALONG in f.reason for f in fields)


@pytest.mark.parametrize("pen", [6, 10])
def test_a_1_written_against_a_box_s_side_is_not_whited_out_unseen(pen: int) -> None:
    """A 1 written against the side of its box joins the side's line, and
    the side, found that thick, was whited out with it: an amount `1250`
    whose 1 hugs the box's left side read `250`, `ok` at 1.0, a one-digit
    box holding such a 1 read `empty`, and so did a comb's cell whose 1
    hugs a divider (`1250` read `250`, `ok`). A left or right side much
    thicker than the thinnest side, or than the opposite one, or a divider
    much thicker than the comb's others, sends the field to review."""
    from formocr.api import ALONG, load_classifier

    def read(page: np.ndarray) -> list[Any]:
        return scan_page(PageImage("p", 1, page, 300.0), ScanConfig(), load_classifier()).fields

    comb = np.full((400, 700), 248, np.uint8)
    cv2.rectangle(comb, (60, 120), (510, 220), 0, 3)
    for k in range(1, 6):
        cv2.line(comb, (60 + 75 * k, 120), (60 + 75 * k, 220), 0, 3)
    for k, digit in enumerate("250", 2):
        cv2.putText(comb, digit, (74 + 75 * k, 198), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 20, 7)
    cv2.line(comb, (210 - 2 - pen // 2, 134), (210 - 2 - pen // 2, 206), 20, pen)  # a divider's
    amount = np.full((500, 900), 248, np.uint8)
    x, y, w, h = 200, 200, 420, 110
    cv2.rectangle(amount, (x, y), (x + w, y + h), 0, 3)
    cv2.line(amount, (x + 2 + pen // 2, y + 14), (x + 2 + pen // 2, y + h - 14), 20, pen)
    cv2.putText(amount, "250", (x + 60, y + 85), cv2.FONT_HERSHEY_SIMPLEX, 2.6, 20, 9)
    one = np.full((400, 500), 248, np.uint8)
    cv2.rectangle(one, (200, 150), (270, 246), 0, 3)
    cv2.line(one, (270 - 2 - pen // 2, 162), (270 - 2 - pen // 2, 236), 20, pen)
    for page in (amount, one, comb):
        (field,) = read(page)
        assert field.status == "review"
        assert field.reason is not None and ALONG in field.reason


def test_handwriting_beside_a_wide_comb_s_piece_is_a_sign_of_pieces() -> None:
    """A black-and-white cheque's 8-cell date comb whose side and bottom
    line broke into dots was found as a piece of five cells, wider than
    BETWEEN_ASPECT times its height, so nothing beside it was looked at: the
    date `10091997` read `00919`, `ok`. A box found divided into cells is
    looked beside however wide; an undivided one (an amount box, a tall
    printed "$" beside it) still is not."""
    from formocr.layout.fields import BETWEEN_ASPECT, broken_boxes
    from formocr.types import BBox

    page = np.full((300, 900), 255, np.uint8)
    piece = BBox(300, 100, 220, 61)
    assert piece.w > BETWEEN_ASPECT * piece.h
    cv2.rectangle(page, (300, 100), (520, 161), 0, 2)
    cv2.line(page, (275, 110), (265, 155), 0, 4)  # a 1 where the lost cell was
    assert broken_boxes(page, [piece]) == set()
    assert broken_boxes(page, [piece], combs={0}) == {0}


def test_writing_run_through_a_wide_box_s_side_is_a_sign_of_pieces() -> None:
    """A fax's dashed box was closed at an 8's stroke, the string's first
    four digits outside it, and ``1013801`` read ``01``, `ok`: an amount box
    is looked beside for writing that reaches its side from outside (a
    printed sign stands apart), even where a digit's loop, found as a small
    box across that side, covers part of it."""
    from formocr.layout.fields import BETWEEN_ASPECT, broken_boxes
    from formocr.types import BBox

    page = np.full((300, 900), 255, np.uint8)
    amount = BBox(200, 100, 400, 80)
    assert amount.w > BETWEEN_ASPECT * amount.h
    cv2.rectangle(page, (200, 100), (600, 180), 0, 2)
    apart = page.copy()
    cv2.ellipse(apart, (165, 140), (20, 32), 0, 0, 360, 0, 5)  # a 0 apart from the box
    assert broken_boxes(apart, [amount]) == set()
    through = page.copy()
    cv2.ellipse(through, (195, 140), (22, 32), 0, 0, 360, 0, 5)  # an 0 run through its side
    cv2.ellipse(through, (140, 140), (20, 32), 0, 0, 360, 0, 5)
    assert broken_boxes(through, [amount]) == {0}
    loop = BBox(174, 110, 32, 60)  # the 0 found as a box across the side
    assert 0 in broken_boxes(through, [amount, loop])
    side = page.copy()  # the box's side drawn bold and skewed is no writing
    cv2.line(side, (197, 100), (192, 180), 0, 6)
    assert broken_boxes(side, [amount]) == set()
    # A security print's hatch about as dark as 128, a printed code beside.
    hatch = np.random.default_rng(0).normal(126, 12, page.shape).clip(0, 255).astype(np.uint8)
    hatch = np.minimum(hatch, page)
    cv2.putText(hatch, "USD", (110, 155), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 10, 3)
    assert broken_boxes(hatch, [amount]) == set()


def test_a_comb_s_pieces_found_against_each_other_ask() -> None:
    """A fax's comb whose lines broke was found two cells at a time, each
    piece wider than a one-digit cell, and a piece read `4`, `ok`, for
    `40084 3 1`. Boxes that share a side where one was found divided into
    cells are pieces of one comb; two undivided boxes side by side are
    not looked at so."""
    from formocr.layout.fields import broken_boxes
    from formocr.types import BBox

    page = np.full((300, 900), 255, np.uint8)
    a, b = BBox(200, 100, 128, 86), BBox(327, 100, 128, 86)
    for box in (a, b):
        cv2.rectangle(page, (box.x, box.y), (box.x + box.w, box.y + box.h), 0, 2)
        cv2.line(page, (box.x + 64, box.y), (box.x + 64, box.y + box.h), 0, 2)
    assert broken_boxes(page, [a, b]) == set()
    assert broken_boxes(page, [a, b], combs={1}) == {0, 1}


def test_a_digit_s_loop_found_as_a_box_beside_a_comb_keeps_no_writing_out() -> None:
    """A fax's comb whose dotted lines broke: three cells found as one box,
    and the 4 written in the cell before them found as a box at its loop.
    The loop, a box much shorter than the comb beside it, kept the rest of
    the 4 out of the band looked in, and `674` was read `ok` for `974674`.
    Such a box is writing; a box as tall, beside it, still bounds the band."""
    from formocr.layout.fields import broken_boxes
    from formocr.types import BBox

    page = np.full((300, 900), 255, np.uint8)
    comb = BBox(400, 100, 210, 84)
    cv2.rectangle(page, (comb.x, comb.y), (comb.x + comb.w, comb.y + comb.h), 0, 2)
    for k in (1, 2):
        cv2.line(page, (comb.x + 70 * k, comb.y), (comb.x + 70 * k, comb.y + comb.h), 0, 2)
    # The 4 of the cell before: its loop (a closed triangle) and its stem.
    cv2.polylines(page, [np.array([[360, 112], [335, 150], [380, 150]])], True, 0, 4)
    cv2.line(page, (372, 105), (372, 178), 0, 4)
    loop = BBox(335, 112, 46, 40)
    assert 1 in broken_boxes(page, [loop, comb], combs={1})
    # Beside boxes not divided into cells (a date's boxes on a guilloche,
    # whose loops are found as boxes), such a box is still a box.
    assert 1 not in broken_boxes(page, [loop, comb])
    # A box as tall as the comb round that writing: the writing is its own.
    cell = BBox(326, 100, 64, 84)
    assert 1 not in broken_boxes(page, [cell, comb], combs={1})
    # Without the loop found, the 4 is writing beside the comb, as before.
    assert broken_boxes(page, [comb], combs={0}) == {0}


@pytest.mark.parametrize(("run", "piece"), [(30, True), (6, False)])
def test_a_cell_whose_line_runs_on_into_a_wide_band_asks(run: int, piece: bool) -> None:
    """A fax's comb found cell by cell: its last cell alone, the empty cell
    before it lost with its top line, its bottom line running on 30 px into
    the 54 px band to the next cell found; the cell's `6` was read `ok`. A
    line running on RUN_ON_H of the box's height counts, short of RUN_ON of
    the band; a line's blur a few pixels past its side does not."""
    from formocr.layout.fields import broken_boxes
    from formocr.types import BBox

    page = np.full((300, 900), 255, np.uint8)
    cells = [BBox(526, 100, 64, 75), BBox(652, 100, 64, 75)]
    for c in cells:
        cv2.rectangle(page, (c.x, c.y), (c.x + c.w, c.y + c.h), 0, 2)
    foot = cells[1].y + cells[1].h
    cv2.line(page, (cells[1].x - run, foot), (cells[1].x, foot), 0, 2)
    assert (1 in broken_boxes(page, cells)) == piece


def test_a_digit_against_a_comb_s_side_from_beyond_it_asks() -> None:
    """A fax's comb found up to its sixth cell: the seventh, its lines
    broken into dots, was lost, and its bold 2, written against the divider
    that closed the comb found, touched the band looked in at its side; it
    was left out as the side's own, and `854252` was read `85425`, `ok`.
    Beside a comb, writing that reaches its side from beyond counts, as
    beside a wide box (``_run_through``)."""
    from formocr.layout.fields import broken_boxes
    from formocr.types import BBox

    page = np.full((300, 900), 255, np.uint8)
    comb = BBox(300, 100, 195, 91)
    cv2.rectangle(page, (comb.x, comb.y), (comb.x + comb.w, comb.y + comb.h), 0, 2)
    for k in (1, 2):
        cv2.line(page, (comb.x + 65 * k, comb.y), (comb.x + 65 * k, comb.y + comb.h), 0, 2)
    right = comb.x + comb.w
    # A bold 2 against the side, beyond it.
    cv2.polylines(
        page, [np.array([[right + 8, 125], [right + 30, 112], [right + 45, 130]])], False, 0, 9
    )
    cv2.line(page, (right + 45, 130), (right + 2, 175), 0, 9)
    cv2.line(page, (right + 2, 175), (right + 50, 175), 0, 9)
    assert broken_boxes(page, [comb], combs={0}) == {0}
    # A box not divided: the 2 reaches more than OVERRUN_W of the box's
    # height past its side, so it is no stroke of the box's own run over.
    assert broken_boxes(page, [comb]) == {0}


def test_a_bold_digit_merged_with_a_box_s_lines_is_no_page_level_divider() -> None:
    """A wall the page-level finder saw (``walls``) is a strong divider only
    where it meets both lines evenly: a printed divider, faint or not, is
    as dark by the lines as along the box; a bold 8 that merged with the
    lines at page level is dark in the middle and only the paper's noise
    by them (a date box's 8, split there, whited out and read ``1``, `ok`).
    """
    from formocr.layout.frame import vertical_marks

    h, w = 80, 80
    divider = np.zeros((h, w), np.uint8)
    divider[:, 39:42] = 40  # printed faint, evenly, top to bottom
    digit = np.full((h, w), 20, np.uint8)  # a harsh scan's paper noise
    digit[12:-10, 34:50] = 130  # a bold stroke's darkness, short of both lines
    for dark, strong in ((divider, True), (digit, False)):
        marks, _ = vertical_marks(dark, (0, 0, w, h), [(39.0, 42.0)], 3)
        assert any(m.strong for m in marks) == strong, strong
