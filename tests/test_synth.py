"""training.synth: the project's own digits, pages and ground truth.

Pages are drawn at low dpi so the whole module runs in a few seconds.
"""

from __future__ import annotations

import json
import re

import cv2
import numpy as np
import pytest
from conftest import needs_poppler
from PIL import Image

from formocr.types import BBox
from training.synth import (
    AMOUNT_FORMATS,
    MARKS,
    PAGE_MM,
    TEMPLATES,
    Degradation,
    FieldTruth,
    WriterStyle,
    amount_digits,
    amount_text,
    expected_amount,
    make_cheque,
    make_form_page,
    random_style,
    reading_order,
    render_digit,
    render_mark,
    truth_from_dict,
    truth_to_dict,
    truth_to_json,
    write_jpeg,
    write_pdf,
    write_png,
    write_tiff,
)
from training.synth.amounts import DECIMAL_FORMATS, lakh_grouped, over_100, swiss_grouped
from training.synth.sheet import Sheet

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
        amount_format="plain",
    )
    assert img.shape[1] > img.shape[0]  # a landscape slip
    amount = [f for f in truth if f.label == "Amount"]
    assert len(amount) == 1 and amount[0].kind == "string"
    assert 3 <= len(amount[0].value) <= 7 and amount[0].value[0] != "0"
    # "plain": bare digits as before amount formats, no written text or marks.
    assert all(f.text == "" and f.marks == () for f in truth)
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
    assert pdf.read_bytes().startswith(b"%PDF")
    png = write_png(pages[0], tmp_path / "one.png", 100)
    jpg = write_jpeg(pages[0], tmp_path / "one.jpg", 100)
    with Image.open(png) as im:
        assert np.array_equal(np.asarray(im), pages[0])
    with Image.open(jpg) as im:
        assert im.size == (pages[0].shape[1], pages[0].shape[0])
    assert not list(tmp_path.glob(".*"))  # no temp files left behind


@needs_poppler
def test_written_pdf_renders_page_for_page(tmp_path) -> None:
    from pdf2image import convert_from_path, pdfinfo_from_path

    pages = [make_cheque(_rng(s), 100)[0] for s in (1, 2)]
    pdf = write_pdf(pages, tmp_path / "two.pdf", 100)
    assert pdfinfo_from_path(str(pdf))["Pages"] == 2
    first = convert_from_path(str(pdf), dpi=100, first_page=1, last_page=1)[0]
    assert abs(first.size[0] - pages[0].shape[1]) <= 1
    assert abs(first.size[1] - pages[0].shape[0]) <= 1


def test_truth_json_round_trip() -> None:
    img, truth = make_form_page(_rng(6), DPI)
    doc = json.loads(truth_to_json([(img, truth)], DPI, "x.pdf"))
    assert doc == truth_to_dict([(img.shape, truth)], DPI, "x.pdf")
    page = doc["pages"][0]
    assert (page["width"], page["height"]) == (img.shape[1], img.shape[0])
    assert truth_from_dict(doc) == [truth]


# --- amounts with separators -------------------------------------------------------------


def _components(img: np.ndarray) -> int:
    return cv2.connectedComponents((img < 128).astype(np.uint8), connectivity=8)[0] - 1


def test_marks_render_with_the_writers_pen() -> None:
    heavy = WriterStyle(stroke_width=0.15, jitter=0.035)
    for k, style in enumerate((random_style(_rng(20)), WriterStyle(), heavy)):
        ink = {}
        for char in MARKS:
            img = render_mark(char, 90, _rng(k), style)
            assert img.dtype == np.uint8 and img.ndim == 2
            assert img.min() == 0 and img.max() == 255
            # Cropped to the ink with a one-pixel white margin, like render_digit.
            assert (img[[0, -1]] == 255).all() and (img[:, [0, -1]] == 255).all()
            assert (img[1] < 255).any() and (img[:, 1] < 255).any()
            ink[char] = int((img < 128).sum())
            h, w = img.shape
            if char == ".":  # one to two pen widths across
                pen = style.stroke_width * 90
                assert 0.7 * pen <= max(h, w) <= 2.5 * pen + 3, (style, h, w)
            if char == "-":  # a horizontal dash 0.3-0.6 digit heights long
                assert 0.25 * 90 <= w <= 0.6 * 90 + style.stroke_width * 90 * 1.2 + 4
                assert h < w
        assert ink["."] < ink["-"] and ink["."] < ink[","] and ink["-"] < ink["="]
        # "=" is two strokes; "." "," "-" one each.
        for seed in range(6):
            assert _components(render_mark("=", 90, _rng(seed), style)) == 2, (style, seed)
            assert _components(render_mark("-", 90, _rng(seed), style)) == 1
            assert _components(render_mark(",", 90, _rng(seed), style)) == 1
    assert render_mark(".", 8, _rng(0), WriterStyle(stroke_width=0.06)).min() == 0  # tiny pen
    with pytest.raises(ValueError):
        render_mark("x", 90, _rng(0))
    with pytest.raises(ValueError):
        render_mark(".", 4, _rng(0))


def test_a_currency_sign_written_before_the_amount_is_a_mark_not_a_digit() -> None:
    for seed in range(4):
        _, plain = make_cheque(_rng(seed), DPI, amount_format="en")
        _, truth = make_cheque(_rng(seed), DPI, amount_format="en", currency_sign=True)
        before = next(f for f in plain if f.label == "Amount")
        amount = next(f for f in truth if f.label == "Amount")
        assert amount.text.startswith("$") and amount.value == before.value
        (sign, box), first = amount.marks[0], amount.digits[0].bbox
        assert sign == "$" and box.x + box.w <= first.x + 2  # left of the digits
        assert box.h > box.w and 0.7 * first.h <= box.h <= 2.2 * first.h
        # Inside the amount box.
        assert amount.bbox.x <= box.x and box.x + box.w <= amount.bbox.x + amount.bbox.w
    sign = render_mark("$", 90, _rng(0), WriterStyle())
    assert sign.shape[0] > sign.shape[1] and sign.shape[0] >= 0.75 * 90


def test_raised_cents_are_small_and_at_the_digits_top() -> None:
    for seed in range(4):
        _, truth = make_cheque(_rng(seed), DPI, amount_format="en", raised_cents=True)
        amount = next(f for f in truth if f.label == "Amount")
        assert "." not in amount.text and amount.text.endswith(amount.value[-2:])
        boxes = [d.bbox for d in amount.digits]
        whole, cents = boxes[:-2], boxes[-2:]
        tall = float(np.median([b.h for b in whole]))
        top = float(np.median([b.y for b in whole]))
        assert all(b.h < 0.8 * tall for b in cents), (seed, [b.h for b in cents], tall)
        assert all(abs(b.y - top) < 0.3 * tall for b in cents)  # raised, not on the line


def test_expected_amount() -> None:
    cases = {
        "1,250.00": "1250.00",
        "1250.-": "1250.00",
        "1250,-": "1250.00",
        "1250=": "1250.00",
        "1 250,00": "1250.00",
        "1.250,00": "1250.00",
        "125000": "125000.00",
        "75.50": "75.50",
        "12 000=": "12000.00",
        "1,250": "1250.00",
        "0.5": "0.50",
    }
    assert {t: expected_amount(t) for t in cases} == cases
    for bad in ("", "12a", "=", "1-2", ".50"):
        with pytest.raises(ValueError):
            expected_amount(bad)


def test_amount_text_formats() -> None:
    rng = _rng(0)
    assert amount_text(rng, "125000", "plain") == "125000"
    assert amount_text(rng, "125000", "en") == "1,250.00"
    assert amount_text(rng, "12345678", "en") == "123,456.78"
    assert amount_text(rng, "125000", "point") == "1250.00"
    assert amount_text(rng, "1250", "equals") == "1250="
    assert amount_text(rng, "7550", "en") == "75.50"
    assert {amount_text(_rng(s), "125000", "eu") for s in range(20)} == {"1 250,00", "1.250,00"}
    assert {amount_text(_rng(s), "1250", "dash") for s in range(20)} == {"1250.-", "1250,-"}
    for fmt in AMOUNT_FORMATS:
        for seed in range(30):
            digits = amount_digits(_rng(seed), fmt)
            assert digits.isdigit() and digits[0] != "0"
            whole = len(digits) - (2 if fmt in ("en", "eu", "point") else 0)
            assert (3 <= whole <= 7) if fmt == "plain" else (1 <= whole <= 6)
            text = amount_text(_rng(seed), digits, fmt)
            assert "".join(c for c in text if c.isdigit()) == digits
            cents = digits[-2:] if fmt in ("en", "eu", "point") else "00"
            assert expected_amount(text) == f"{digits[:whole]}.{cents}", (fmt, text)
    with pytest.raises(ValueError):
        amount_text(rng, "12", "en")  # needs a whole part and two decimals
    with pytest.raises(ValueError):
        amount_text(rng, "1250", "roman")


@pytest.mark.parametrize("fmt", ["en", "eu", "dash", "equals", "point"])
@pytest.mark.parametrize("seed", [30, 41])
def test_cheque_amount_written_with_separators(fmt: str, seed: int) -> None:
    img, truth = make_cheque(_rng(seed), 100, amount_format=fmt, cross_frame_rate=0.0)
    (amount,) = [f for f in truth if f.label == "Amount"]
    assert amount.kind == "string" and amount.text
    assert "".join(c for c in amount.text if c.isdigit()) == amount.value
    assert len(amount.digits) == len(amount.value)
    written = [c for c in amount.text if c in MARKS]
    assert [c for c, _ in amount.marks] == written
    assert all(f.text == "" and f.marks == () for f in truth if f is not amount)
    for c, b in amount.marks:
        assert _inside(b, img.shape)
        assert img[b.y : b.y + b.h, b.x : b.x + b.w].min() < 160, (c, b)
    # Each mark lies between its neighbours, left to right.
    xs = sorted(
        [(d.bbox.x + d.bbox.w / 2, "d") for d in amount.digits]
        + [(b.x + b.w / 2, c) for c, b in amount.marks]
    )
    assert [c for _, c in xs] == ["d" if c.isdigit() else c for c in amount.text if c != " "]


@pytest.mark.parametrize(("fmt", "close"), [("dash", "/-"), ("equals", "/=")])
def test_a_cheque_with_a_slash_before_its_closing_mark(fmt: str, close: str) -> None:
    """``slash`` writes "1250/-" (or "/=") for a whole amount: the same slip,
    amount and digits, the slash one more mark before the closing one."""
    _, plain = make_cheque(_rng(30), 100, amount_format=fmt, cross_frame_rate=0.0)
    img, truth = make_cheque(_rng(30), 100, amount_format=fmt, cross_frame_rate=0.0, slash=True)
    (before,) = [f for f in plain if f.label == "Amount"]
    (amount,) = [f for f in truth if f.label == "Amount"]
    assert amount.value == before.value and amount.text.endswith(close)
    assert amount.text.rstrip("/-=") == before.text.rstrip(".,-=")
    assert [c for c, _ in amount.marks][-2:] == list(close)
    _, same = make_cheque(_rng(30), 100, amount_format="en", cross_frame_rate=0.0, slash=True)
    _, en = make_cheque(_rng(30), 100, amount_format="en", cross_frame_rate=0.0)
    assert [f.text for f in same] == [f.text for f in en]  # amounts with cents: no slash


@pytest.mark.parametrize(
    ("text", "grouped"),
    [
        ("1,250,000.00", "12,50,000.00"),
        ("125000.-", "1,25,000.-"),
        ("1250,-", "1,250,-"),
        ("12 000=", "12,000="),
        ("10000000=", "1,00,00,000="),
        ("500.00", "500.00"),
        ("7=", "7="),
    ],
)
def test_lakh_grouping(text: str, grouped: str) -> None:
    """The Indian grouping keeps the amount: the same digits, the same value."""
    assert lakh_grouped(text) == grouped
    assert expected_amount(grouped) == expected_amount(text)


@pytest.mark.parametrize(
    ("text", "grouped"),
    [
        ("1,250.00", "1'250.00"),
        ("1.250,00", "1'250,00"),
        ("1 250,00", "1'250,00"),
        ("125000.-", "125'000.-"),
        ("12 000=", "12'000="),
        ("1250000", "1'250'000"),
        ("250.-", "250.-"),
        ("5.50", "5.50"),
        ("7=", "7="),
    ],
)
def test_swiss_grouping(text: str, grouped: str) -> None:
    """Apostrophes between the thousands keep the amount: the same digits,
    the same value."""
    assert swiss_grouped(text) == grouped
    assert expected_amount(grouped) == expected_amount(text)


def test_a_cheque_with_its_amount_grouped_the_swiss_way() -> None:
    """``swiss`` regroups the same amount, drawing nothing from the stream,
    and the apostrophes are drawn at the top of the digits."""
    for fmt in ("en", "dash", "eu", "point", "plain"):
        _, plain = make_cheque(_rng(33), 300, amount_format=fmt, cross_frame_rate=0.0)
        _, swiss = make_cheque(_rng(33), 300, amount_format=fmt, cross_frame_rate=0.0, swiss=True)
        (before,) = [f for f in plain if f.label == "Amount"]
        (amount,) = [f for f in swiss if f.label == "Amount"]
        assert amount.value == before.value
        assert amount.text == (swiss_grouped(before.text) if fmt != "plain" else before.text)
        assert ("'" in amount.text) == (fmt != "plain")  # 1473: a thousand and more
        ticks = [box for ch, box in amount.marks if ch == "'"]
        assert len(ticks) == amount.text.count("'")
        tops = [d.bbox.y for d in amount.digits]
        bottoms = [d.bbox.y + d.bbox.h for d in amount.digits]
        for box in ticks:  # hung from the digits' top, no lower than their middle
            assert box.y + box.h <= 0.5 * (np.median(tops) + np.median(bottoms))


def test_cents_written_over_100() -> None:
    """ "1,250 50/100" (US cheques): the same digits, the same value; only
    an amount with cents can be written so."""
    for text, over in [
        ("1,250.50", "1,250 50/100"),
        ("1 250,00", "1 250 00/100"),
        ("3.55", "3 55/100"),
    ]:
        assert over_100(text) == over
        assert expected_amount(over) == expected_amount(text)
    for whole in ("1250.-", "1250=", "125000"):
        with pytest.raises(ValueError):
            over_100(whole)
    for fmt in ("en", "eu", "point", "dash", "plain"):
        _, plain = make_cheque(_rng(35), 300, amount_format=fmt, cross_frame_rate=0.0)
        _, over = make_cheque(
            _rng(35), 300, amount_format=fmt, cross_frame_rate=0.0, cents_over_100=True
        )
        (before,) = [f for f in plain if f.label == "Amount"]
        (amount,) = [f for f in over if f.label == "Amount"]
        # The value is every digit written, the 100 under the cents too.
        over_cents = fmt in DECIMAL_FORMATS
        assert amount.value == before.value + ("100" if over_cents else "")
        assert amount.text == (over_100(before.text) if over_cents else before.text)
        assert [c for c, _ in amount.marks].count("/") == over_cents


def test_a_cheque_with_its_amount_grouped_in_lakhs() -> None:
    """``lakhs`` regroups the same amount, drawing nothing from the stream;
    "plain", "eu" and "point" amounts are left as they were."""
    for fmt in ("en", "dash", "equals", "eu", "point", "plain"):
        _, plain = make_cheque(_rng(31), 100, amount_format=fmt, cross_frame_rate=0.0)
        _, lakh = make_cheque(_rng(31), 100, amount_format=fmt, cross_frame_rate=0.0, lakhs=True)
        (before,) = [f for f in plain if f.label == "Amount"]
        (amount,) = [f for f in lakh if f.label == "Amount"]
        assert amount.value == before.value
        if fmt in ("en", "dash", "equals"):
            assert amount.text == lakh_grouped(before.text)
        else:
            assert amount.text == before.text


def test_round_amounts_and_points_between_thousands() -> None:
    """``round_amounts``: the amount keeps its first one to three digits and
    its length, the rest of the whole part zeros; "dash" amounts are written
    "15.000.-" or "15.000-" in about half the slips, and mean what their
    digits say. The rest of the slip is the one drawn without."""
    dotted = 0
    for seed in range(40):
        fmt = AMOUNT_FORMATS[seed % len(AMOUNT_FORMATS)]
        _, plain = make_cheque(_rng(seed), 100, amount_format=fmt, cross_frame_rate=0.0)
        _, made = make_cheque(
            _rng(seed), 100, amount_format=fmt, cross_frame_rate=0.0, round_amounts=True
        )
        (before,) = [f for f in plain if f.label == "Amount"]
        (amount,) = [f for f in made if f.label == "Amount"]
        assert [f for f in plain if f.label != "Amount"] == [f for f in made if f.label != "Amount"]
        cents = 2 if fmt in DECIMAL_FORMATS else 0
        whole = amount.value[: len(amount.value) - cents]
        assert len(amount.value) == len(before.value) and whole[0] == before.value[0]
        assert set(whole[3:]) <= {"0"}
        if fmt != "plain":
            assert expected_amount(amount.text).replace(".", "").lstrip("0") == (
                amount.value + ("" if cents else "00")
            ).lstrip("0")
        if fmt == "dash" and "." in amount.text.rstrip(".-"):
            assert re.fullmatch(r"\d{1,3}(\.\d{3})+\.?-", amount.text)
            dotted += 1
    assert dotted >= 1


@pytest.mark.parametrize("text", ["1 250,00", "12 000=", "1,250.00", "1250.-", "1250,-"])
def test_sheet_writes_an_amount_text(text: str) -> None:
    sheet = Sheet(PAGE_MM["cheque"], DPI, _rng(3), Degradation(), None)
    sheet.amount(20, 20, sheet.px(80), sheet.px(11), text, label="Amount")
    sheet.string(20, 200, sheet.px(80), sheet.px(11), [1, 2], label="Plain")
    img, (f, plain) = sheet.finish()
    assert (f.text, f.value, f.label) == (text, "".join(c for c in text if c.isdigit()), "Amount")
    assert len(f.digits) == len(f.value) and (plain.text, plain.marks) == ("", ())
    assert [c for c, _ in f.marks] == [c for c in text if c in MARKS]
    if " " in text:  # the space is the widest blank between two digits
        xs = [(d.bbox.x, d.bbox.x + d.bbox.w) for d in f.digits]
        blanks = [b[0] - a[1] for a, b in zip(xs[:-1], xs[1:], strict=True)]
        assert int(np.argmax(blanks)) == text.index(" ") - 1, blanks
    with pytest.raises(ValueError):
        sheet.amount(20, 20, 300, 60, "12 EUR")


def _written(joins: float, text: str = "1,250.00") -> tuple[np.ndarray, tuple[int, int, int, int]]:
    sheet = Sheet(PAGE_MM["cheque"], DPI, _rng(5), Degradation(), None)
    sheet.joins = joins
    x0, y0, w, h = 20, 20, sheet.px(90), sheet.px(12)
    sheet.amount(x0, y0, w, h, text, label="Amount")
    img, _ = sheet.finish()
    return img, (x0, y0, w, h)


def _pieces(img: np.ndarray, box: tuple[int, int, int, int]) -> int:
    """Connected pieces of ink inside the box's frame."""
    x0, y0, w, h = box
    inside = img[y0 + 6 : y0 + h - 6, x0 + 6 : x0 + w - 6] < 128
    n, _, stats, _ = cv2.connectedComponentsWithStats(inside.astype(np.uint8), connectivity=8)
    return int(np.sum(stats[1:, cv2.CC_STAT_AREA] >= 10))


def test_a_writer_who_joins_digits_draws_one_stroke_through_them() -> None:
    """``Sheet.joins``: neighbouring digits joined by a pen stroke where a
    cursive writer's pen runs on (the separators never); at 0 the page is the
    one drawn before joins existed."""
    plain, box = _written(0.0)
    sheet = Sheet(PAGE_MM["cheque"], DPI, _rng(5), Degradation(), None)
    sheet.amount(box[0], box[1], box[2], box[3], "1,250.00", label="Amount")
    assert np.array_equal(plain, sheet.finish()[0])
    joined, _ = _written(1.0)
    # 1 , 250 . 00: two joins (a 2's base stroke into the 5, the 0s top to
    # top), each making two pieces of ink one; none from the 1 or the 5 (the
    # pen lifted) and none across a separator.
    assert _pieces(plain, box) - _pieces(joined, box) == 2
    # The joins are ink added between digits; the digits themselves are unchanged.
    plain_i, joined_i = plain.astype(int), joined.astype(int)
    assert np.all(joined_i <= plain_i) and np.sum(joined_i < plain_i - 100) > 20


def test_marks_sit_on_the_baseline_or_mid_height() -> None:
    for seed in range(4):
        img, truth = make_cheque(_rng(40 + seed), DPI, amount_format="en")
        (f,) = [f for f in truth if f.label == "Amount"]
        tops = [d.bbox.y for d in f.digits]
        bottoms = [d.bbox.y + d.bbox.h for d in f.digits]
        top, bottom = float(np.median(tops)), float(np.median(bottoms))
        height = bottom - top
        for c, b in f.marks:
            if c == ".":
                assert abs(b.y + b.h - bottom) <= 0.15 * height, (seed, c, b, bottom)
            if c == ",":  # the tail hangs a little below the baseline
                assert b.y < bottom < b.y + b.h + 0.1 * height, (seed, c, b, bottom)
    for seed in range(4):
        img, truth = make_cheque(_rng(50 + seed), DPI, amount_format="equals")
        (f,) = [f for f in truth if f.label == "Amount"]
        top = float(np.median([d.bbox.y for d in f.digits]))
        height = float(np.median([d.bbox.h for d in f.digits]))
        ((c, b),) = f.marks
        centre = (b.y + b.h / 2 - top) / height
        assert c == "=" and 0.3 <= centre <= 0.75, (seed, centre)


def test_amount_truth_validates_and_round_trips() -> None:
    box = BBox(0, 0, 5, 5)
    FieldTruth("f", box, "string", 0, "125000", text="1,250.00", marks=((",", box), (".", box)))
    with pytest.raises(ValueError):  # the text's digits are the value
        FieldTruth("f", box, "string", 0, "125000", text="1,250.0")
    with pytest.raises(ValueError):
        FieldTruth("f", box, "string", 0, "1250", text="1250 EUR")
    with pytest.raises(ValueError):
        FieldTruth("f", box, "comb", 4, "1250", text="1250=")
    with pytest.raises(ValueError):  # marks in the text's order
        FieldTruth("f", box, "string", 0, "125000", text="1,250.00", marks=((".", box), (",", box)))

    img, truth = make_cheque(_rng(31), 100, amount_format="en")
    doc = json.loads(truth_to_json([(img, truth)], 100))
    (amount,) = [f for f in doc["pages"][0]["fields"] if f["label"] == "Amount"]
    assert amount["text"] and len(amount["marks"]) == sum(c in MARKS for c in amount["text"])
    assert all("text" not in f and "marks" not in f for f in doc["pages"][0]["fields"][:-1])
    assert truth_from_dict(doc) == [truth]
    img, truth = make_cheque(_rng(31), 100, amount_format="plain")
    doc = truth_to_dict([(img, truth)], 100)
    assert all("text" not in f and "marks" not in f for f in doc["pages"][0]["fields"])
    assert truth_from_dict(doc) == [truth]
    with pytest.raises(ValueError):
        make_cheque(_rng(31), 100, amount_format="roman")


def test_a_pen_leaves_a_digit_where_its_last_stroke_ends() -> None:
    from training.synth.strokes import JOIN_ENTRY, JOIN_EXIT, pen_point

    ink = np.zeros((30, 20), bool)
    ink[5:25, 3] = True  # a stem on the left
    ink[24, 3:18] = True  # a base stroke to the right, as a 2's
    ink[4, 8] = True  # the topmost ink
    assert pen_point(ink, "top") == (8, 4)
    assert pen_point(ink, "foot") == (10, 24)  # the lowest ink of the right half
    assert pen_point(ink, "left") == (3, 5)  # the leftmost of the upper third
    assert pen_point(np.zeros((5, 5), bool), "top") is None
    with pytest.raises(ValueError):
        pen_point(ink, "middle")
    assert set(JOIN_ENTRY) == set(range(10)) and set(JOIN_EXIT) <= set(range(10))
    assert 1 not in JOIN_EXIT and 7 not in JOIN_EXIT  # joined at the foot: an L, a 2
