"""A page photographed at a slant (keystone) is straightened before its
boxes are read (formocr.layout.keystone, fields.locate), and the dark ground
round a page photographed on a desk or scanned on a dark backing is made
paper (lines.off_paper); a page scanned straight, crooked or not, is read as
before."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import sample_page

from formocr import api
from formocr.config import ScanConfig
from formocr.layout import fields, keystone, lines
from formocr.layout.lines import Geometry, Piece
from formocr.types import BBox, PageImage, PageResult


def slanted(image: np.ndarray, edge: str, k: float) -> tuple[np.ndarray, np.ndarray]:
    """``image`` as a camera not square to it draws it: its ``edge`` ("top",
    or "side": the left) shorter by 2 x ``k`` of its length; and the warp."""
    h, w = image.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    d = k * (w if edge == "top" else h)
    if edge == "top":
        dst = np.float32([[d, 0], [w - d, 0], [w, h], [0, h]])
    else:
        dst = np.float32([[0, d], [w, 0], [w, h], [0, h - d]])
    warp = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(image, warp, (w, h), borderValue=255), warp


def read(image: np.ndarray, shipped_readers: api.Readers, dpi: float) -> PageResult:
    return api.scan_page(PageImage("photo.png", 1, image, dpi), ScanConfig(), shipped_readers)


@pytest.mark.parametrize("k", [0.03, 0.06])
def test_a_cheque_photographed_at_a_slant_reads_as_the_straight_one(
    shipped_readers: api.Readers, k: float
) -> None:
    # Before: with its top edge 6 % shorter than its foot the sample cheque
    # kept 4 of its 9 fields (the amount and four date cells lost, without an
    # error); 12 % shorter, 2.
    straight = read(sample_page("cheque.tiff"), shipped_readers, 200.0)
    image, warp = slanted(sample_page("cheque.tiff"), "top", k)
    photo = read(image, shipped_readers, 200.0)
    assert [f.value for f in photo.fields] == [f.value for f in straight.fields]
    # Nothing is `ok` that was not `ok` read straight.
    assert all(
        g.status == "ok"
        for f, g in zip(photo.fields, straight.fields, strict=True)
        if f.status == "ok"
    )
    # The boxes are given on the page as it was read, each where its field lies.
    h, w = image.shape
    for f, g in zip(photo.fields, straight.fields, strict=True):
        assert f.bbox.x >= 0 and f.bbox.x + f.bbox.w <= w and f.bbox.y + f.bbox.h <= h
        centre = np.float32([[[g.bbox.x + g.bbox.w / 2, g.bbox.y + g.bbox.h / 2]]])
        cx, cy = cv2.perspectiveTransform(centre, warp)[0, 0]
        assert abs(f.bbox.x + f.bbox.w / 2 - cx) < 10 and abs(f.bbox.y + f.bbox.h / 2 - cy) < 10
    assert (photo.width, photo.height) == (w, h)


@pytest.mark.parametrize(("name", "dpi"), [("cheque.tiff", 200.0), ("form.png", 300.0)])
def test_a_page_scanned_straight_is_not_straightened(name: str, dpi: float) -> None:
    page = sample_page(name)
    found = fields.locate(page, dpi)
    assert found.straightened is None and found.image is page
    assert [f.bbox for f in found.layouts] == [f.bbox for f in fields.find_fields(page, dpi)]


def test_a_form_photographed_at_a_slant_finds_its_boxes_straightened() -> None:
    # Before: its left edge 8 % shorter than its right, the sample form's
    # last box (its lines sloping 2.4 degrees against the page's 3 the
    # other way at its top) was lost.
    image, _ = slanted(sample_page("form.png"), "side", 0.04)
    assert len(fields.find_fields(image, 300.0)) == 6
    found = fields.locate(image, 300.0)
    assert found.straightened is not None
    assert len(found.layouts) == 7
    assert found.image.shape == found.straightened.size[::-1]


def _geometry(lines: list[Piece]) -> Geometry:
    return Geometry(300.0, 0.5, 0.0, np.eye(2, 3), np.zeros((10, 10), np.uint8), lines=tuple(lines))


def test_a_pair_of_lines_is_a_lost_box_only_where_no_box_lies_between_them() -> None:
    # Work pixels at 150 dpi (scale 0.5): a top and a foot 0.4 in apart.
    top, foot = Piece(0.5, 300, 100.0, 400.0, 200.0), Piece(0.6, 300, 102.0, 399.0, 260.0)
    geom = _geometry([top, foot])
    assert keystone.unboxed_pairs(geom, []) == [(top, foot)]
    assert not keystone.unboxed_pairs(geom, [BBox(190, 390, 620, 150)])  # page pixels
    # Lines of different extents (a form's "Pay" and "the sum of" rules) are no box.
    assert not keystone.unboxed_pairs(_geometry([top, Piece(0.5, 200, 170.0, 370.0, 260.0)]), [])
    # A row of boxes' foot and the next row's top are those boxes' lines.
    assert not keystone.unboxed_pairs(geom, [BBox(190, 230, 620, 170)])
    assert not keystone.unboxed_pairs(geom, [BBox(190, 520, 620, 170)])
    # Nor are lines too far apart.
    assert not keystone.unboxed_pairs(_geometry([top, foot._replace(y=400.0)]), [])


def test_a_straightened_box_is_taken_back_onto_the_page() -> None:
    warp = np.array([[1.0, 0.0, 10.0], [0.0, 1.0, -5.0], [0.0, 0.0, 1.0]])
    s = keystone.Straightening(warp, (120, 90))
    assert s.back(BBox(30, 20, 40, 10), (100, 100)) == BBox(20, 25, 40, 10)
    # Clamped to the page.
    assert s.back(BBox(0, 0, 120, 90), (80, 100)) == BBox(0, 5, 100, 75)


def on_ground(image: np.ndarray, ground: int, degrees: float, margin: int = 120) -> np.ndarray:
    """``image`` laid on a ground of grey ``ground`` with ``margin`` px round
    it, the whole turned ``degrees``: a page photographed on a desk, or
    scanned on a dark backing."""
    h, w = image.shape
    canvas = np.full((h + 2 * margin, w + 2 * margin), ground, np.uint8)
    canvas[margin : margin + h, margin : margin + w] = image
    big_h, big_w = canvas.shape
    turn = cv2.getRotationMatrix2D((big_w / 2, big_h / 2), degrees, 1.0)
    return cv2.warpAffine(canvas, turn, (big_w, big_h), borderValue=ground)


@pytest.mark.parametrize(("ground", "degrees"), [(40, -3.0), (100, 2.0)])
def test_a_cheque_on_a_dark_ground_reads_as_on_white(
    shipped_readers: api.Readers, ground: int, degrees: float
) -> None:
    # Before: the paper's edge was a dark rule round everything, the line
    # fit found no line inside it and the skew went unmeasured: turned 2
    # degrees the sample cheque lost 4 of its 9 fields, turned -3 all 9.
    cheque = sample_page("cheque.tiff")
    h, w = cheque.shape
    # The sample's print is turned 1.5 degrees in its image: laid level
    # first, so that the paper's edge runs with its print, as on paper.
    level = cv2.warpAffine(
        cheque, cv2.getRotationMatrix2D((w / 2, h / 2), -1.49, 1.0), (w, h), borderValue=255
    )
    straight = read(level, shipped_readers, 200.0)
    photo = read(on_ground(level, ground, degrees), shipped_readers, 200.0)
    assert len(straight.fields) == 9
    assert [f.value for f in photo.fields] == [f.value for f in straight.fields]


def test_a_page_whose_paper_reaches_its_edges_has_no_ground() -> None:
    for name in ("cheque.tiff", "form.png"):
        page = sample_page(name)
        assert lines.off_paper(page, 200.0) is None
        # A dark bar printed to the top edge (a bleed) is print, not ground.
        barred = page.copy()
        barred[:60] = 30
        assert lines.off_paper(barred, 200.0) is None
    ground = on_ground(sample_page("form.png"), 60, 0.0, margin=40)
    found = lines.off_paper(ground, 300.0)
    assert found is not None
    mask, paper = found
    assert mask[:40].all() and mask[-40:].all() and not mask[200:-200, 200:-200].any()
    assert paper > 200


def test_a_photograph_of_unknown_resolution_is_scaled_by_its_paper(
    shipped_readers: api.Readers,
) -> None:
    # A phone's photograph of the cheque (about 480 dpi) on a desk, its
    # file recording no resolution: scaled by the whole image as a sheet of
    # A4 (366 dpi), its date's eight cells went to review as pieces of a
    # broken box and a tenth field was read; scaled by the paper's size
    # (a cheque 7.5 in long), it reads as the cheque does.
    cheque = sample_page("cheque.tiff")
    big = cv2.resize(cheque, None, fx=2.4, fy=2.4, interpolation=cv2.INTER_CUBIC)
    desk = np.full((3024, 4032), 70, np.uint8)
    y, x = (3024 - big.shape[0]) // 2, (4032 - big.shape[1]) // 2
    desk[y : y + big.shape[0], x : x + big.shape[1]] = big
    photo = api.scan_page(PageImage("photo.jpg", 1, desk, None), ScanConfig(), shipped_readers)
    straight = read(cheque, shipped_readers, 200.0)
    assert photo.dpi is not None and 400 < photo.dpi < 500
    assert [f.value for f in photo.fields] == [f.value for f in straight.fields]
    assert (
        sum(f.status == "ok" for f in photo.fields)
        >= sum(f.status == "ok" for f in straight.fields) - 1
    )
