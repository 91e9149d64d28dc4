"""Amount parsing: digits and separators to a normalised decimal, or review."""

from __future__ import annotations

import pytest

from formocr.amount import parse_amount, raw_text


def marks_of(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Split a written amount into its digits and (position, mark) pairs."""
    digits, marks = "", []
    for ch in text:
        if ch.isdigit():
            digits += ch
        elif ch != " ":
            marks.append((len(digits), ch))
    return digits, marks


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("1,250.00", "1250.00"),
        ("1250.-", "1250.00"),
        ("1250,-", "1250.00"),
        ("1250=", "1250.00"),
        ("=1250=", "1250.00"),
        ("1 250,00", "1250.00"),
        ("1.250,00", "1250.00"),
        ("1250.00", "1250.00"),
        ("73.50", "73.50"),
        ("0,75", "0.75"),
        ("1,250", "1250.00"),
        ("1,234,567.89", "1234567.89"),
        ("12 000=", "12000.00"),
        ("007.10", "7.10"),
    ],
)
def test_amounts_people_write(written: str, value: str) -> None:
    digits, marks = marks_of(written)
    reading = parse_amount(digits, marks)
    assert reading.value == value
    assert reading.reason is None
    assert raw_text(digits, marks) == written.replace(" ", "")


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("1,250,00", "both for thousands and decimals"),
        ("12,50.00", "do not group thousands"),
        ("1.250,000", "mixed thousands separators"),
        ("12,.50", "two separators in a row"),
        ("12-50", "closing mark inside"),
        ("1250.", "ends with a separator"),
        (".50", "does not start with a digit"),
        ("", "no digits"),
    ],
)
def test_amounts_that_make_no_sense_go_to_review(written: str, why: str) -> None:
    digits, marks = marks_of(written)
    reading = parse_amount(digits, marks)
    assert reading.value is None
    assert reading.reason is not None and why in reading.reason


def test_an_amount_without_cents_or_closing_mark_is_read_but_flagged() -> None:
    # A missed decimal point multiplies the sum by 100: a person looks.
    reading = parse_amount("125000", [])
    assert reading.value == "125000.00"
    assert reading.reason is not None and "no decimal separator" in reading.reason
    assert parse_amount("125000", [], require_mark=False).reason is None


def test_one_decimal_digit_is_read_but_flagged() -> None:
    reading = parse_amount("12505", [(4, ".")])
    assert reading.value == "1250.50"
    assert reading.reason is not None and "one digit" in reading.reason


def test_raw_text_puts_trailing_marks_last() -> None:
    assert raw_text("1250", [(4, "."), (4, "-")]) == "1250.-"
    assert raw_text("1250", [(0, "="), (4, "=")]) == "=1250="
