"""A currency sign or code printed inside an amount box is print, not digits."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from conftest import needs_dejavu

from formocr.api import load_classifier, scan_page
from formocr.config import ScanConfig
from formocr.layout.fields import find_fields
from formocr.layout.printed import _signs, is_printed_sign, print_alone, printed_lead
from formocr.types import BBox, FieldResult, PageImage
from training.synth import make_cheque
from training.synth.degrade import Degradation
from training.synth.signs import FONT_DIR, SIGNS, rendered, vectors
from training.synth.strokes import random_style, render_digit

# A box's inside, and digits 80 px tall written along it from x = 200.
INSIDE = (10, 40, 600, 120)
DIGITS = [(200 + 60 * i, 60 + 2 * i, 45, 80) for i in range(5)]
NO_INK = [np.ones((b[3], b[2]), np.uint8) for b in DIGITS]  # never asked: not a lead


def _ink(img: np.ndarray) -> np.ndarray:
    ink = (img < 128).astype(np.uint8)
    ys, xs = np.nonzero(ink)
    return np.ascontiguousarray(ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])


@needs_dejavu
def test_a_small_sign_at_the_box_left_apart_from_the_digits_is_print() -> None:
    pound = rendered("£", FONT_DIR / "DejaVuSans-Bold.ttf", 50)
    h, w = pound.shape
    assert printed_lead([(30, 80, w, h), *DIGITS], INSIDE, [pound, *NO_INK]) == 1
    # Without its ink a lone piece is not known for a sign.
    assert printed_lead([(30, 80, w, h), *DIGITS], INSIDE) == 0
    # A generated 6 of the same size and place is no sign.
    six = _ink(render_digit(6, h, np.random.default_rng(0)))
    box = (30, 80, six.shape[1], six.shape[0])
    assert printed_lead([box, *DIGITS], INSIDE, [six, *NO_INK]) == 0


def test_a_code_of_level_capitals_is_print_even_beside_small_writing() -> None:
    code = [(30, 78, 27, 60), (62, 78, 30, 60), (97, 78, 28, 61)]  # "EUR": 0.75 of the digits
    assert printed_lead([*code, *DIGITS], INSIDE) == 3
    # Pieces whose tops and feet are not level are no code at that size.
    hand = [(30, 72, 27, 60), (62, 80, 30, 58), (97, 76, 28, 62)]
    assert printed_lead([*hand, *DIGITS], INSIDE) == 0
    # A short word on one baseline ("Rs", "kr"): a tall letter, then one of x-height.
    assert printed_lead([(30, 90, 30, 36), (66, 97, 24, 29), *DIGITS], INSIDE) == 2
    assert printed_lead([(30, 90, 30, 36), (66, 93, 24, 29), *DIGITS], INSIDE) == 0  # not level
    assert printed_lead([(30, 90, 30, 36), (66, 91, 24, 35), *DIGITS], INSIDE) == 0  # as tall


def test_a_code_scanned_black_and_white_at_200_dpi_is_print() -> None:
    # "EUR" on black-and-white cheques scanned at 200 dpi (bench/cheques.py
    # --seed 97200 --bilevel 150 --scan-dpi 200 --printed-sign each, #69 and
    # #9): letters 25-27 px tall whose feet the threshold left 2 px apart, and
    # a bold amount written 0.12 of its height after the code. Both readers
    # read the code as digits ("508299" for 2,99) before.
    inside = (9, 28, 434, 76)
    digits = [(106 + 50 * i, 34, 42, 60) for i in range(4)]
    uneven = [(24, 52, 18, 25), (47, 52, 21, 27), (74, 52, 22, 26)]
    assert printed_lead([*uneven, *digits], inside) == 3
    close = [(24, 53, 19, 26), (47, 53, 23, 26), (74, 54, 23, 25)]  # 9 px before the writing
    assert printed_lead([*close, *digits], inside) == 3
    # Three pieces as close that are not level are not taken for a code.
    hand = [(24, 49, 19, 26), (47, 53, 23, 26), (74, 56, 23, 25)]
    assert printed_lead([*hand, *digits], inside) == 0
    # "EU" joined by the threshold beside its "R" (#59): a piece PAIR times as
    # wide as tall is two capitals; two pieces of one capital's width each
    # are no code.
    joined = [(22, 57, 47, 27), (72, 57, 24, 27)]
    assert printed_lead([*joined, *digits], inside) == 2
    two = [(22, 57, 24, 27), (52, 57, 24, 27)]
    assert printed_lead([*two, *digits], inside) == 0


def test_print_alone_is_a_sign_or_code_at_the_left_and_nothing_else() -> None:
    code = [(30, 78, 27, 40), (62, 78, 30, 40), (97, 78, 28, 41)]

    def ink(boxes: list[tuple[int, int, int, int]]) -> list[np.ndarray]:
        return [np.ones((b[3], b[2]), np.uint8) for b in boxes]

    assert print_alone(code, INSIDE, ink(code))
    # Not with writing after it, not as tall as the box's half, not away from its left.
    assert not print_alone(code + DIGITS[:1], INSIDE, ink(code + DIGITS[:1]))
    tall = [(x, 60, w, 70) for x, _, w, _ in code]
    assert not print_alone(tall, INSIDE, ink(tall))
    far = [(x + 100, y, w, h) for x, y, w, h in code]
    assert not print_alone(far, INSIDE, ink(far))


@pytest.mark.parametrize(
    ("lead", "why"),
    [
        ((30, 60, 40, 80), "as tall as the digits"),
        ((160, 80, 28, 38), "away from the box's left edge"),
        ((170, 80, 25, 38), "no gap before the writing"),
        ((30, 150, 28, 38), "below the digits' band"),
    ],
)
def test_leading_ink_placed_or_sized_unlike_print_stays(
    lead: tuple[int, int, int, int], why: str
) -> None:
    code = [lead, (lead[0] + 34, *lead[1:]), (lead[0] + 68, *lead[1:])]
    if code[-1][0] + code[-1][2] < DIGITS[0][0]:  # room for a level code there
        assert printed_lead([*code, *DIGITS], INSIDE) == 0, why
    pound = np.ones((lead[3], lead[2]), np.uint8)
    assert printed_lead([lead, *DIGITS], INSIDE, [pound, *NO_INK]) == 0, why
    assert printed_lead(DIGITS, INSIDE, NO_INK) == 0  # a string's first digit


@needs_dejavu
def test_printed_signs_are_told_from_generated_digits_and_their_halves() -> None:
    """Each sign and word in faces the templates were not made from matches; no
    generated digit, nor its top, foot, left or right half, does (on MNIST
    test digits: none of 10,000, 5 of 39,742 halves; BENCHMARKS.md,
    thirty-eighth session)."""
    # "Fr." in DejaVu Sans Bold at 30 px matches at 0.909 only (BENCHMARKS.md).
    for sign in (s for s in SIGNS if s != "Fr."):
        for face in ("DejaVuSans-Bold.ttf", "DejaVuSerifCondensed-Bold.ttf"):
            for size in (30, 50):
                assert is_printed_sign(rendered(sign, FONT_DIR / face, size)), (sign, face, size)
    rng = np.random.default_rng(3)
    for k in range(30):
        style = random_style(rng)
        for d in range(10):
            m = _ink(render_digit(d, 60, np.random.default_rng((k, d)), style))
            h, w = m.shape
            for part in (m, m[: h // 2], m[h // 2 :], m[:, : w // 2], m[:, w // 2 :]):
                if part.sum() > 20:
                    assert not is_printed_sign(part), (k, d, part.shape)


@needs_dejavu
def test_the_shipped_signs_are_what_the_generator_makes() -> None:
    made, names = vectors()
    shipped = _signs()
    assert shipped.shape == made.shape == (len(names), 32 * 32)
    # Another FreeType may draw an edge pixel differently: the same shapes.
    cosines = (shipped * made.astype(np.float32)).sum(axis=1)
    assert cosines.min() > 0.99, dict(zip(names, cosines.round(3), strict=True))


def _amount(sign: str, seed: int, **cheque: Any) -> tuple[FieldResult, str]:
    cheque.setdefault("amount_format", "en")
    page, truth = make_cheque(np.random.default_rng(seed), 300, printed_sign=sign, **cheque)
    amount = next(t for t in truth if t.label == "Amount")
    result = scan_page(PageImage("cheque", 1, page, 300.0), ScanConfig(), load_classifier())
    box = BBox(*amount.bbox)
    return max(result.fields, key=lambda f: box.iou(BBox(*f.bbox))), amount.value


@needs_dejavu
@pytest.mark.parametrize(
    ("sign", "seed"),
    [("£", 1), ("£", 2), ("EUR", 1), ("EUR", 5), ("€", 2), ("₹", 4), ("Rs.", 1), ("kr", 5)],
)
def test_a_cheque_amount_after_a_printed_sign_reads_its_digits_only(sign: str, seed: int) -> None:
    """Both readers read the print as digits: "£" as 6 or 8, "EUR" as 508,
    "Rs." as 85 or 88, "kr" as 15. Before, these amounts read '8502',
    '6355', '5018502', '5018473', '88502', '15473' (review) or went to
    review right (BENCHMARKS.md, thirty-eighth session)."""
    field, value = _amount(sign, seed)
    assert field.value == value, (sign, seed, field.value, field.reason)
    assert field.status == "ok", (sign, seed, field.reason)


@needs_dejavu
@pytest.mark.parametrize(
    ("background", "sign", "seed"),
    [("hatch", "EUR", 1), ("microtext", "EUR", 3), ("microtext", "£", 5), ("guilloche", "£", 0)],
)
def test_faint_writing_beside_a_dark_printed_sign_is_not_lifted_with_the_pattern(
    background: str, sign: str, seed: int
) -> None:
    """A security pattern is lifted up to 0.4 of the box's darkest ink; a
    black sign set that cap over writing half as dark, which went with the
    pattern, and the sign alone was read (`EUR` as '608', '808'; `£` as
    '1'). The box is looked at again with the sign's ink left out of the
    cap and of Otsu's split (BENCHMARKS.md, thirty-eighth session)."""
    faint = dataclasses.replace(Degradation.scan(), ink=(0.45, 0.5))
    field, value = _amount(
        sign, seed, degradation=faint, amount_format="point", background=background
    )
    assert field.value == value, (background, sign, seed, field.value, field.reason)
    assert field.status == "ok", (background, sign, seed, field.reason)


@needs_dejavu
@pytest.mark.parametrize("sign", ["EUR", "£", "Rs."])
def test_a_written_point_after_a_printed_sign_is_no_point_of_the_print(sign: str) -> None:
    """The print's point ("Rs.") goes with the print; a point written by the
    digits after it, nearer them than the print, is the amount's: an
    amount whose first digit was lost (written light) came out `68` for
    ``.68``, `ok`, the point taken with the print (and after guards too,
    ``EUR **.68**``: BENCHMARKS.md, fifty-seventh session). It now asks; a
    whole ``5.68`` is read `ok`."""
    from training.synth.sheet import Sheet

    def read(text: str) -> FieldResult:
        s = Sheet((100.0, 30.0), 300, np.random.default_rng(0), Degradation.scan(), None)
        x0, y0, w, h = s.px(8), s.px(8), s.px(80), s.px(13)
        cw, ch = s.text_size(sign, 12, bold=True)
        s.text(x0 + s.lw + s.px(1.5), y0 + (h - ch) // 2, sign, 12, bold=True)
        s.amount(x0, y0, w, h, text, lead=cw + s.px(2))
        page = PageImage("p", 1, s.finish()[0], 300.0)
        (field,) = scan_page(page, ScanConfig(), load_classifier()).fields
        return field

    whole = read("5.68")
    assert (whole.value, whole.raw, whole.status) == ("568", "5.68", "ok")
    cut = read(".68")
    assert (cut.value, cut.raw, cut.status) == ("68", ".68", "review")
    assert cut.reason is not None and "does not start with a digit" in cut.reason


@needs_dejavu
def test_a_printed_sign_is_left_out_of_the_string_readers_line() -> None:
    page, truth = make_cheque(np.random.default_rng(1), 300, amount_format="en", printed_sign="£")
    amount = next(t for t in truth if t.label == "Amount")
    box = BBox(*amount.bbox)
    layout = max(find_fields(page, 300.0), key=lambda f: box.iou(BBox(*f.bbox)))
    assert layout.ink is not None and layout.ink.line is not None
    line, at = layout.ink.line, layout.ink.line_box
    assert at is not None
    # The sign stands between the box's left side and the first digit.
    first = min(d.bbox.x for d in amount.digits)
    assert first - at.x > 60
    assert line[:, : first - at.x - 5].min() > 150


@needs_dejavu
def test_the_generator_prints_the_sign_inside_and_writes_the_same_amount() -> None:
    plain, truth = make_cheque(np.random.default_rng(7), 300, amount_format="en")
    signed, truth_s = make_cheque(
        np.random.default_rng(7), 300, amount_format="en", printed_sign="₹"
    )
    a, b = (next(t for t in ts if t.label == "Amount") for ts in (truth, truth_s))
    assert (a.value, a.text, a.bbox) == (b.value, b.text, b.bbox)
    # Ink at the box's left, where the writing now starts later.
    x, y, w, h = b.bbox
    assert signed[y + h // 4 : y + 3 * h // 4, x + 10 : x + 60].min() < 100
    assert min(d.bbox.x for d in b.digits) > x + 60
