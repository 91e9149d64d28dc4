"""A currency sign written before an amount is a mark, not a digit (issue 8)."""

from __future__ import annotations

import numpy as np
import pytest

from formocr.api import load_classifier, scan_page
from formocr.config import ScanConfig
from formocr.layout.currency import is_currency_sign, is_euro_sign
from formocr.read.amount import parse_amount
from formocr.types import BBox, PageImage
from training.synth import make_cheque
from training.synth.marks import render_mark
from training.synth.strokes import WriterStyle, random_style, render_digit

H = 60  # the digits' height, px


def _mask(img: np.ndarray) -> np.ndarray:
    ink = (img < 128).astype(np.uint8)
    ys, xs = np.nonzero(ink)
    return np.ascontiguousarray(ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])


def _styles() -> list[WriterStyle]:
    rng = np.random.default_rng(11)
    return [WriterStyle(), *(random_style(rng) for _ in range(11))]


def test_a_hand_written_dollar_sign_is_told_from_every_digit() -> None:
    signs = digits = 0
    for k, style in enumerate(_styles()):
        rng = np.random.default_rng(k)
        sign = _mask(render_mark("$", H, rng, style))
        # Its S about the digits' middle, as it is written: the bar sticks out.
        y = (H - sign.shape[0]) // 2
        signs += is_currency_sign(sign, y, 0.0, float(H))
        for d in range(10):
            digit = _mask(render_digit(d, H, np.random.default_rng((k, d)), style))
            # A digit written a little taller than its neighbours, reaching
            # above their band, is still a digit.
            assert not is_currency_sign(digit, -6, 0.0, float(H)), (k, d)
            digits += 1
    assert signs >= 6, signs  # of 12 writers' signs (7 when written)
    assert digits == 120


def test_a_sign_inside_the_digits_band_is_not_taken() -> None:
    # Without a bar sticking out of the digits' band there is no telling a
    # sign from a bold 8 by shape alone: the reader leaves it to the digits.
    sign = _mask(render_mark("$", H, np.random.default_rng(0), WriterStyle()))
    band = float(sign.shape[0])
    assert not is_currency_sign(sign, 0, 0.0, band)


def test_a_leading_sign_is_dropped_from_the_amount() -> None:
    assert parse_amount("125000", [(0, "$"), (1, ","), (4, ".")]).value == "1250.00"
    assert parse_amount("1250", [(0, "$"), (4, "-")]).value == "1250.00"
    # A sign anywhere else is not explained.
    assert parse_amount("1250", [(2, "$")]).value is None


def test_a_cheque_amount_with_a_hand_written_sign_reads_its_digits_only() -> None:
    clf = load_classifier(None)
    # Cheques whose sign's bar sticks out of the digits' band (the generator's
    # bars may stop short of it; those are left to the digits, as above).
    for seed in (0, 4):
        page, truth = make_cheque(
            np.random.default_rng(seed), 300, amount_format="en", currency_sign=True
        )
        amount = next(t for t in truth if t.label == "Amount")
        result = scan_page(PageImage("cheque", 1, page, 300.0), ScanConfig(), clf)
        field = max(result.fields, key=lambda f: BBox(*f.bbox).iou(amount.bbox))
        assert field.raw is not None and field.raw.startswith("$"), (seed, field.raw)
        assert not field.value.startswith(("5", "6", "8")) or amount.value[0] == field.value[0]
        # The digits after it read as written (or the field is in review).
        assert field.value == amount.value or field.status == "review", (seed, field.value)


def test_a_hand_written_euro_sign_is_told_from_every_digit() -> None:
    """A euro written before the amount was read as a 6 or an 8 by both
    readers: 60 development cheques with one, 0 exact and 6 of 6 `ok` fields
    wrong. Its shape (a C open to the right, bars reaching left past it,
    arms across its top and foot) sets it apart; no generated digit has it."""
    signs = 0
    for k, style in enumerate(_styles()):
        rng = np.random.default_rng(k)
        signs += is_euro_sign(_mask(render_mark("€", H, rng, style)), 0.0, float(H))
        for d in range(10):
            digit = _mask(render_digit(d, H, np.random.default_rng((k, d)), style))
            assert not is_euro_sign(digit, 0.0, float(H)), (k, d)
    assert signs >= 9, signs  # of 12 writers' signs (11 when written)


def _speckled(mask: np.ndarray) -> np.ndarray:
    """``mask`` with a black-and-white scan's specks grouped with it: two
    pixels a few columns left of it, below its middle."""
    h = mask.shape[0]
    out = np.pad(mask, ((0, 0), (5, 0)))
    out[int(0.78 * h), 0] = out[int(0.8 * h), 1] = 1
    return out


def test_specks_beside_a_euro_sign_leave_it_a_euro_sign() -> None:
    """A bold euro scanned black and white at 200 dpi had specks of the
    scan's noise grouped with it, left of its C below its bars; its
    shape's test took them for its leftmost ink and it went as a 6 (`€382
    083,28` read `638208328`, `ok`; bench/cheques.py --seed 98900 --bilevel
    170 --scan-dpi 200 --hand-sign €, cheque 71). Specks are no part of a
    sign's shape, nor of a digit's."""
    kept = 0
    for k, style in enumerate(_styles()):
        sign = _mask(render_mark("€", H, np.random.default_rng(k), style))
        if is_euro_sign(sign, 0.0, float(H)):
            assert is_euro_sign(_speckled(sign), 0.0, float(H)), k
            kept += 1
        for d in (0, 2, 3, 5, 6, 8):
            digit = _mask(render_digit(d, H, np.random.default_rng((k, d)), style))
            assert not is_euro_sign(_speckled(digit), 0.0, float(H)), (k, d)
    assert kept >= 9, kept


def test_a_bold_digit_s_bowl_is_no_euro_s_bar() -> None:
    """Six bold broad-marker digits (5s and 8s, optdigits writers) of the
    headline's 120 pages passed for euros: their bowls' rows ran across 0.4
    of their width, so they were taken for bars and the C's open mouth was
    not looked for there; three still pass. A bar reaches left past the C:
    a row begun in the blob's middle is no bar."""
    from formocr.layout.currency import EURO_BAR_LEFT, _bars

    w = 40
    mask = np.zeros((10, w), np.uint8)
    mask[2, 0:30] = 1  # a bar from the blob's left
    mask[5, int(EURO_BAR_LEFT * w) : 35] = 1  # begun within EURO_BAR_LEFT
    mask[8, 16:40] = 1  # a bowl's row, begun in the middle
    mask[9, 0:10] = 1  # short
    assert _bars(mask).tolist() == [2, 5]


def test_a_bold_euro_whose_bars_run_together_is_a_euro_sign() -> None:
    """A euro written in a bold pen (or filled in by a black-and-white scan)
    has its two bars run together into one band across its middle, deep
    enough to reach into the rows where the C's left side is measured at
    its foot: the band's tips stood left of the C there, and the sign went
    as an 8 (`€65,57` read `86557` and `€2760.79` `8276079`, `ok`, cut out
    of cheques scanned black and white at 200 dpi; BENCHMARKS.md,
    fifty-eighth session). The rows of that band are the bars', not the
    C's, where the C stands well in from the left without them
    (EURO_ARC_BOLD). A digit's tips outside the middle (an 8's lower bowl)
    are not so passed over, and a bold digit's ragged left side is not far
    enough in: no generated digit in a pen as bold is a euro."""
    import dataclasses

    def bold(style: WriterStyle, pen: float) -> WriterStyle:
        return dataclasses.replace(style, stroke_width=pen)

    styles = _styles()
    for k, r in ((5, 2),):
        sign = render_mark("€", H, np.random.default_rng((k, r)), bold(styles[k], 0.16))
        assert is_euro_sign(_mask(sign), 0.0, float(H)), (k, r)
    for pen in (0.12, 0.16):
        for k, style in enumerate(styles):
            for d in range(10):
                digit = render_digit(d, H, np.random.default_rng((k, d)), bold(style, pen))
                assert not is_euro_sign(_mask(digit), 0.0, float(H)), (pen, k, d)


def test_a_leading_euro_sign_is_dropped_from_the_amount() -> None:
    assert parse_amount("125000", [(0, "€"), (1, "."), (4, ",")]).value == "1250.00"
    assert parse_amount("1250", [(2, "€")]).value is None


def test_a_sign_in_raw_output_is_valid_json_schema() -> None:
    """``raw`` kept a sign before the amount ("$6,968.90"), which the shipped
    schema's pattern for ``raw`` did not allow: such JSON failed it."""
    import json
    from importlib import resources

    import jsonschema

    schema = json.loads(
        (resources.files("formocr") / "output" / "schema" / "results.schema.json").read_text()
    )
    raw = schema["$defs"]["field"]["properties"]["raw"]
    for ok in ("$6,968.90", "€1.250,00", "1250.-", None):
        jsonschema.validate(ok, raw)
    for bad in ("6$968", "1,250€", "€€12"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, raw)
