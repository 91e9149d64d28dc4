"""training.synth: the project's own digits, pages and ground truth.

Pages are drawn at low dpi so the whole module runs in a few seconds.
"""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest
from PIL import Image

from formocr.types import BBox
from training.synth import (
    TEMPLATES,
    Degradation,
    FieldTruth,
    WriterStyle,
    make_cheque,
    make_form_page,
    random_style,
    reading_order,
    render_digit,
    truth_from_dict,
    truth_to_dict,
    truth_to_json,
    write_jpeg,
    write_pdf,
    write_png,
    write_tiff,
)

DPI = 150


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _inside(b: BBox, shape: tuple[int, ...]) -> bool:
    h, w = shape[:2]
    return b.x >= 0 and b.y >= 0 and b.w > 0 and b.h > 0 and b.x + b.w <= w and b.y + b.h <= h


# --- strokes -----------------------------------------------------------------------------


@pytest.mark.parametrize("digit", range(10))
def test_every_digit_renders_with_ink_spanning_the_height(digit: int) -> None:
    rng = _rng(digit)
    for height in (16, 40, 90):
        img = render_digit(digit, height, rng)
        assert img.dtype == np.uint8 and img.ndim == 2
        assert img.shape[0] == height
        rows = np.nonzero((img < 128).any(axis=1))[0]
        assert len(rows) > 0, f"digit {digit} at {height}px has no ink"
        assert rows[0] <= 2 and rows[-1] >= height - 3
        assert img.max() == 255


def test_every_template_variant_renders() -> None:
    rng = _rng(1)
    for digit, variants in TEMPLATES.items():
        for v in range(len(variants)):
            style = WriterStyle(variants=(v,) * 10, loyalty=1.0)
            assert (render_digit(digit, 48, rng, style) < 128).sum() > 30


def test_render_digit_is_deterministic_and_validates() -> None:
    style = random_style(_rng(3))
    a = render_digit(7, 50, _rng(9), style)
    b = render_digit(7, 50, _rng(9), style)
    assert np.array_equal(a, b)
    with pytest.raises(ValueError):
        render_digit(10, 50, _rng(0))
    with pytest.raises(ValueError):
        render_digit(3, 4, _rng(0))
    with pytest.raises(ValueError):
        WriterStyle(variants=(0, 1))


# --- pages and truth ---------------------------------------------------------------------


def test_form_page_is_deterministic_from_the_seed() -> None:
    a, ta = make_form_page(_rng(11), DPI, degradation=Degradation.harsh())
    b, tb = make_form_page(_rng(11), DPI, degradation=Degradation.harsh())
    assert np.array_equal(a, b)
    assert ta == tb
    c, _ = make_form_page(_rng(12), DPI, degradation=Degradation.harsh())
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_form_truth_lies_on_the_page_and_covers_ink(seed: int) -> None:
    img, truth = make_form_page(_rng(seed), DPI, degradation=Degradation.scan())
    assert img.dtype == np.uint8 and img.ndim == 2
    assert 1 <= len(truth) <= 8
    assert [f.name for f in truth] == [f"field_{i:03d}" for i in range(1, len(truth) + 1)]
    assert reading_order([f.bbox for f in truth]) == list(range(len(truth)))
    for f in truth:
        assert _inside(f.bbox, img.shape), f
        assert f.value == "" or f.value.isdigit()
        if f.kind == "comb":
            assert f.comb_style in ("lines", "ticks") and len(f.value) <= f.cells
        # The frame itself is ink.
        x, y, w, h = f.bbox
        assert img[y : y + h, x : x + w].min() < 128
        for d in f.digits:
            assert _inside(d.bbox, img.shape)
            dx, dy, dw, dh = d.bbox
            assert img[dy : dy + dh, dx : dx + dw].min() < 160, (f.name, d)
            cx, cy = dx + dw / 2, dy + dh / 2
            assert x <= cx <= x + w and y - 0.2 * h <= cy <= y + 1.2 * h
        if f.kind == "string" and not f.value:
            inner = img[y + h // 4 : y + 3 * h // 4, x + h // 4 : x + w - h // 4]
            assert inner.min() > 128, f"{f.name} should be empty"


def _frame_extent(img: np.ndarray, b: BBox, grow: int) -> tuple[int, int, int, int]:
    """Extent (x0, y0, x1, y1) of the biggest ink component near ``b``: its frame.

    Labels can fall inside a turned box's axis-aligned hull, so loose ink
    is not enough; the frame is the one component spanning the box.
    """
    x0, y0 = max(b.x - grow, 0), max(b.y - grow, 0)
    sub = (img[y0 : b.y + b.h + grow, x0 : b.x + b.w + grow] < 128).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
    i = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_WIDTH] * stats[1:, cv2.CC_STAT_HEIGHT]))
    x, y, w, h = stats[i, :4]
    return x0 + x, y0 + y, x0 + x + w, y0 + y + h


def test_rotation_moves_boxes_with_the_page() -> None:
    # Empty fields leave only frames, so frame ink must fill each truth box.
    flat, tflat = make_form_page(_rng(5), DPI, empty_field_rate=1.0, n_fields=6)
    angle = 3.0
    turned, tturn = make_form_page(
        _rng(5),
        DPI,
        degradation=Degradation(rotation_deg=(angle, angle)),
        empty_field_rate=1.0,
        n_fields=6,
    )
    assert not np.array_equal(flat, turned)
    # Same layout: the degradation never changes what is drawn.
    assert [(f.kind, f.cells, f.value) for f in tflat] == [
        (f.kind, f.cells, f.value) for f in tturn
    ]
    for f in tturn:
        x0, y0, x1, y1 = _frame_extent(turned, f.bbox, grow=4)
        b = f.bbox
        assert abs(x0 - b.x) <= 2 and abs(y0 - b.y) <= 2, (f.name, b, (x0, y0))
        assert abs(x1 - (b.x + b.w)) <= 2 and abs(y1 - (b.y + b.h)) <= 2, (f.name, b)
    # Each turned box sits where the square one's centre rotates to.
    h, w = flat.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    for square, skew in zip(tflat, tturn, strict=True):
        c = np.array([square.bbox.x + square.bbox.w / 2, square.bbox.y + square.bbox.h / 2])
        expect = m[:, :2] @ c + m[:, 2]
        got = np.array([skew.bbox.x + skew.bbox.w / 2, skew.bbox.y + skew.bbox.h / 2])
        assert np.abs(got - expect).max() <= 1.5, (skew.name, got, expect)


def test_reading_order_groups_rows_by_vertical_overlap() -> None:
    boxes = [
        BBox(500, 108, 100, 40),  # row 1, right (slightly lower)
        BBox(50, 100, 100, 40),  # row 1, left
        BBox(50, 300, 100, 40),  # row 2
        BBox(10, 200, 30, 30),  # between rows: a row of its own
    ]
    assert reading_order(boxes) == [1, 0, 3, 2]


@pytest.mark.parametrize("separate", [True, False])
def test_cheque_has_date_and_amount(separate: bool) -> None:
    img, truth = make_cheque(
        _rng(8),
        DPI,
        separate_date_boxes=separate,
        degradation=Degradation(rotation_deg=(1.5, 1.5), noise_sigma=(5, 5)),
    )
    assert img.shape[1] > img.shape[0]  # a landscape slip
    amount = [f for f in truth if f.label == "Amount"]
    assert len(amount) == 1 and amount[0].kind == "string"
    assert 3 <= len(amount[0].value) <= 7 and amount[0].value[0] != "0"
    date = [f for f in truth if f.label == "Date"]
    if separate:
        assert len(date) == 8 and all(f.cells == 1 and len(f.value) == 1 for f in date)
        names = [f.name for f in date]
        assert names == [f"field_{i:03d}" for i in range(1, 9)]  # one row, top right
    else:
        assert len(date) == 1 and date[0].cells == 8 and len(date[0].value) == 8
    value = "".join(f.value for f in date)
    assert 1 <= int(value[:2]) <= 28 and 1 <= int(value[2:4]) <= 12
    for f in truth:
        assert _inside(f.bbox, img.shape)


def test_digit_source_replaces_the_stroke_writer() -> None:
    calls: list[int] = []

    def bars(digit: int, rng: np.random.Generator) -> np.ndarray:
        # MNIST layout (light ink on black) on purpose: the page flips it.
        calls.append(digit)
        img = np.zeros((28, 28), np.uint8)
        img[4:24, 10 : 12 + digit] = 255
        return img

    img, truth = make_cheque(_rng(2), DPI, digit_source=bars)
    values = "".join(f.value for f in truth)
    assert sorted(calls) == sorted(int(c) for c in values)
    for f in truth:
        for d in f.digits:
            x, y, w, h = d.bbox
            assert img[y : y + h, x : x + w].min() < 100

    with pytest.raises(ValueError, match="blank"):
        make_cheque(_rng(2), DPI, digit_source=lambda d, r: np.full((28, 28), 255, np.uint8))


def test_degradations_are_off_by_default_and_validated() -> None:
    clean, _ = make_form_page(_rng(4), DPI)
    assert set(np.unique(clean[:5, :5])) == {255}  # untouched paper in the corner
    dirty, _ = make_form_page(_rng(4), DPI, degradation=Degradation.harsh())
    assert clean.shape == dirty.shape and not np.array_equal(clean, dirty)
    with pytest.raises(ValueError):
        Degradation(rotation_deg=(3.0, -3.0))
    with pytest.raises(ValueError):
        Degradation(jpeg_quality=(30, 200))
    with pytest.raises(ValueError):
        make_form_page(_rng(0), 20)


def test_field_truth_validates() -> None:
    with pytest.raises(ValueError):
        FieldTruth("f", BBox(0, 0, 5, 5), "string", 0, "12a")
    with pytest.raises(ValueError):
        FieldTruth("f", BBox(0, 0, 5, 5), "comb", 2, "123")


# --- writers -----------------------------------------------------------------------------


def test_writers_round_trip(tmp_path) -> None:
    pages = [make_cheque(_rng(s), 100)[0] for s in (1, 2)]
    tif = write_tiff(pages, tmp_path / "two.tiff", 100)
    with Image.open(tif) as im:
        assert getattr(im, "n_frames", 1) == 2 and im.mode == "L"
        assert np.array_equal(np.asarray(im), pages[0])  # lossless
    pdf = write_pdf(pages, tmp_path / "two.pdf", 100)
    if shutil.which("pdfinfo"):
        from pdf2image import convert_from_path, pdfinfo_from_path

        assert pdfinfo_from_path(str(pdf))["Pages"] == 2
        first = convert_from_path(str(pdf), dpi=100, first_page=1, last_page=1)[0]
        assert abs(first.size[0] - pages[0].shape[1]) <= 1
        assert abs(first.size[1] - pages[0].shape[0]) <= 1
    assert pdf.read_bytes().startswith(b"%PDF")
    png = write_png(pages[0], tmp_path / "one.png", 100)
    jpg = write_jpeg(pages[0], tmp_path / "one.jpg", 100)
    with Image.open(png) as im:
        assert np.array_equal(np.asarray(im), pages[0])
    with Image.open(jpg) as im:
        assert im.size == (pages[0].shape[1], pages[0].shape[0])
    assert not list(tmp_path.glob(".*"))  # no temp files left behind


def test_truth_json_round_trip() -> None:
    img, truth = make_form_page(_rng(6), DPI)
    doc = json.loads(truth_to_json([(img, truth)], DPI, "x.pdf"))
    assert doc == truth_to_dict([(img.shape, truth)], DPI, "x.pdf")
    page = doc["pages"][0]
    assert (page["width"], page["height"]) == (img.shape[1], img.shape[0])
    assert truth_from_dict(doc) == [truth]
