"""A page scanned crooked is judged as its boxes and print were printed,
not by the hulls of their turned shapes (formocr.layout.fields.box_doubts,
FieldLayout.printed, orient.print_way's skew)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import printed
from PIL import Image

from formocr import api
from formocr.config import ScanConfig
from formocr.layout import fields
from formocr.layout.lines import deskewing
from formocr.read import orient
from formocr.types import PageImage, PageResult

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture(scope="module")
def readers() -> api.Readers:
    return api.load_classifier()  # type: ignore[return-value]


def crooked(image: np.ndarray, degrees: float) -> np.ndarray:
    """``image`` turned ``degrees`` (counter-clockwise), on a canvas that holds it all."""
    full, size = deskewing(image.shape, degrees)
    return cv2.warpAffine(image, full[:2], size, flags=cv2.INTER_LINEAR, borderValue=255)


def cheque() -> np.ndarray:
    return np.asarray(Image.open(SAMPLES / "cheque.tiff").convert("L"))


def read(image: np.ndarray, readers: api.Readers, dpi: float) -> PageResult:
    return api.scan_page(PageImage("crooked.png", 1, image, dpi), ScanConfig(), readers)


@pytest.mark.parametrize("degrees", [4.0, -6.0, 9.0])
def test_a_cheque_scanned_crooked_reads_as_the_straight_one(
    readers: api.Readers, degrees: float
) -> None:
    # Before: at 4 and -6 degrees the date's cells (0.8 mm apart) went to
    # review as pieces of a box, their hulls touching; at 9 degrees the
    # print, measured as it lay, said upside down and every value was read
    # turned.
    straight = read(cheque(), readers, 200.0)
    turned = read(crooked(cheque(), degrees), readers, 200.0)
    assert turned.turned == 0
    assert [(f.value, f.status) for f in turned.fields] == [
        (f.value, f.status) for f in straight.fields
    ]
    assert sum(f.status == "ok" for f in straight.fields) >= 6


def test_boxes_are_doubted_as_printed_not_as_their_hulls() -> None:
    straight = fields.find_fields(cheque(), dpi=200.0)  # the sample is 1.5 degrees off itself
    page = crooked(cheque(), 4.0)
    layouts = fields.find_fields(page, dpi=200.0)
    skew = straight[0].skew - 4.0
    assert all(f.printed is not None and abs(f.skew - skew) < 0.5 for f in layouts)
    # The hulls of the date's neighbouring cells touch: as boxes found in
    # pieces they would all be doubted.
    assert len(fields.broken_boxes(page, [f.bbox for f in layouts])) >= 4
    assert fields.box_doubts(page, layouts) == (set(), set(), set())
    # The boxes as printed are the straighter cheque's, give or take a pixel
    # or two of the resampling; their hulls are not.
    sizes = [(f.printed.w, f.printed.h) for f in layouts if f.printed]
    assert sizes == [
        (pytest.approx(f.printed.w, abs=3), pytest.approx(f.printed.h, abs=3))
        for f in straight
        if f.printed
    ]
    assert layouts[-1].bbox.h > straight[-1].bbox.h + 20  # the amount box's hull


def test_a_long_box_on_a_crooked_page_holds_as_many_digits_as_printed(
    readers: api.Readers,
) -> None:
    # Turned 9 degrees, the 12-digit box's hull is 2.3 times as tall as the
    # box: it would "hold at most 10" and the field go to review.
    form = cv2.imread(str(SAMPLES / "form.png"), cv2.IMREAD_GRAYSCALE)
    page = read(crooked(form, 9.0), readers, 300.0)
    first = page.fields[0]
    assert first.value == "941924856485"
    assert not any("holds at most" in (f.reason or "") for f in page.fields)


@pytest.mark.parametrize("degrees", [9.0, 12.0])
def test_the_print_of_a_crooked_page_is_read_deskewed(degrees: float) -> None:
    page = crooked(
        printed(["Pay to the order of", "Branch 4376, 128 High Street", "the sum of", "Signature"]),
        degrees,
    )
    # As it lies, its letters' feet are out of line as much as their heads.
    assert orient.print_way(page, 300.0) == 0
    # Deskewed by the skew the layout measures (the opposite turn).
    assert orient.print_way(page, 300.0, -degrees) == 1
    assert orient.print_way(orient.turned(page), 300.0, -degrees) == -1
    # Under PRINT_DESKEW_DEG the skew changes nothing.
    small = orient.PRINT_DESKEW_DEG / 2
    assert orient.print_pairs(page, 300.0, small) == orient.print_pairs(page, 300.0)
