"""How people write cheque amounts, and what a written amount means.

A cheque's amount box holds digits and separators in one of a few national
habits: "1,250.00" (comma thousands, point decimals), "1 250,00" or
"1.250,00" (the other way round), "1250.-" and "1250=" (whole units, the
mark closing the number so nothing can be added), or bare digits. The
generator writes them with ``Sheet.amount``; a benchmark scores the reader
against ``expected_amount`` of the written text.
"""

from __future__ import annotations

import re

import numpy as np

AMOUNT_FORMATS: tuple[str, ...] = ("plain", "en", "eu", "dash", "equals", "point")
"""plain "125000", en "1,250.00", eu "1 250,00" / "1.250,00", dash "1250.-" /
"1250,-", equals "1250=", point "1250.00"."""

DECIMAL_FORMATS = frozenset({"en", "eu", "point"})
"""Formats whose last two digits are the decimals."""

AMOUNT_CHARS = frozenset("0123456789.,-= '/")


def _check_format(fmt: str) -> None:
    if fmt not in AMOUNT_FORMATS:
        raise ValueError(f"amount format must be one of {AMOUNT_FORMATS}, got {fmt!r}")


def amount_digits(rng: np.random.Generator, fmt: str) -> str:
    """The digits of a random amount written in ``fmt``.

    An integer part of 1-6 digits with no leading zero, plus two decimal
    digits for the formats with decimals. "plain" keeps the generator's
    original draw (3-7 digits, no leading zero), so pages drawn with it are
    the pages of earlier versions.
    """
    _check_format(fmt)
    if fmt == "plain":
        digits = [int(d) for d in rng.integers(0, 10, int(rng.integers(3, 8)))]
        if digits[0] == 0:
            digits[0] = int(rng.integers(1, 10))
        return "".join(map(str, digits))
    n = int(rng.integers(1, 7))
    whole = str(int(rng.integers(1, 10))) + "".join(map(str, rng.integers(0, 10, n - 1)))
    if fmt in DECIMAL_FORMATS:
        whole += "".join(map(str, rng.integers(0, 10, 2)))
    return whole


def _group(whole: str, sep: str) -> str:
    """Thousands groups: "1250000" -> "1,250,000" for sep ","."""
    head = len(whole) % 3 or 3
    parts = [whole[:head]] + [whole[i : i + 3] for i in range(head, len(whole), 3)]
    return sep.join(parts)


def lakh_grouped(text: str) -> str:
    """An amount's text with its whole part grouped the Indian way, in
    thousands, lakhs and crores with commas: "1,250,000.00" -> "12,50,000.00",
    "125000.-" -> "1,25,000.-", "12 000=" -> "12,000="."""
    m = re.match(r"(\d[\d, ]*\d|\d)(.*)", text)
    if m is None:
        raise ValueError(f"not a written amount: {text!r}")
    whole = m[1].replace(",", "").replace(" ", "")
    head, parts = whole[:-3], [whole[-3:]]
    while head:
        parts.insert(0, head[-2:])
        head = head[:-2]
    return ",".join(parts) + m[2]


def swiss_grouped(text: str) -> str:
    """An amount's text with its whole part grouped in thousands by
    apostrophes, as the Swiss write them: "1,250.00" -> "1'250.00",
    "12 000=" -> "12'000=", "125000.-" -> "125'000.-"; "250.-" as it is.
    The decimal mark and the closing mark stay as written."""
    m = re.match(r"(\d|\d[\d,. ]*?\d)([.,]\d{1,2}$|[.,]?[-=]$|$)", text)
    if m is None:
        raise ValueError(f"not a written amount: {text!r}")
    whole = re.sub(r"[,. ]", "", m[1])
    return _group(whole, "'") + m[2]


def over_100(text: str) -> str:
    """An amount with cents written as its cents over 100 after the whole
    part, as on US cheques: "1,250.50" -> "1,250 50/100", "1 250,00" ->
    "1 250 00/100". ``text`` must end in a decimal mark and two digits."""
    if not re.search(r"\d[.,]\d\d$", text):
        raise ValueError(f"no cents to write over 100 in {text!r}")
    return f"{text[:-3]} {text[-2:]}/100"


def rounded(digits_str: str, fmt: str, rng: np.random.Generator) -> str:
    """``digits_str`` as a round amount, as most written cheques are: the
    first one to three digits kept and the other digits of the whole part
    zeros ("3600", "20000", "1500"); the cents, for the formats with
    decimals, mostly "00"."""
    _check_format(fmt)
    cents = 2 if fmt in DECIMAL_FORMATS else 0
    whole = digits_str[: len(digits_str) - cents]
    keep = int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25]))
    whole = whole[:keep] + "0" * max(0, len(whole) - keep)
    tail = digits_str[len(digits_str) - cents :]
    if cents and rng.random() < 0.8:
        tail = "00"
    return whole + tail


def dotted_thousands(text: str, rng: np.random.Generator) -> str:
    """A whole amount's text grouped in thousands with points and closed by a
    dash, as in Latin America and much of Europe:
    "15000.-" -> "15.000.-" or "15.000-"."""
    whole = text.rstrip(".,-=").replace(" ", "")
    end = ".-" if rng.random() < 0.5 else "-"
    return (_group(whole, ".") if len(whole) > 3 else whole) + end


def amount_text(rng: np.random.Generator, digits_str: str, fmt: str) -> str:
    """The amount as written in ``fmt``, from all of its digits.

    For the decimal formats ("en", "eu", "point") the last two digits of
    ``digits_str`` are the decimals; for the others every digit belongs to
    the whole part. The text's digits are always ``digits_str``. "plain"
    draws nothing from ``rng``.
    """
    _check_format(fmt)
    if not digits_str.isdigit() or not digits_str.isascii():
        raise ValueError(f"amount digits must be digits, got {digits_str!r}")
    if fmt == "plain":
        return digits_str
    if fmt in DECIMAL_FORMATS:
        if len(digits_str) < 3:
            raise ValueError(f"{fmt}: need a whole part and two decimals, got {digits_str!r}")
        whole, cents = digits_str[:-2], digits_str[-2:]
        if fmt == "en":
            return f"{_group(whole, ',')}.{cents}"
        if fmt == "eu":
            return f"{_group(whole, ' ' if rng.random() < 0.5 else '.')},{cents}"
        return f"{whole}.{cents}"
    # Whole units; long numbers are sometimes spaced in thousands ("12 000=").
    whole = _group(digits_str, " ") if len(digits_str) > 4 and rng.random() < 0.3 else digits_str
    if fmt == "dash":
        return whole + (".-" if rng.random() < 0.5 else ",-")
    return whole + "="


def expected_amount(text: str) -> str:
    """The normalised decimal a written amount means: whole part, ".", two decimals.

    "1,250.00" -> "1250.00", "1 250,00" and "1.250,00" -> "1250.00",
    "1250.-" and "1250=" -> "1250.00", "125000" -> "125000.00",
    "1'250.50" -> "1250.50", "1,250 50/100" -> "1250.50". A "." or ","
    followed by one or two digits at the end is the decimal mark; others
    (and spaces, and apostrophes) group thousands. A trailing "-", ".-",
    ",-" or "=" closes a whole amount; cents may be written over 100 after
    the whole part.
    """
    if not text or set(text) - AMOUNT_CHARS:
        raise ValueError(f"not a written amount: {text!r}")
    over = re.fullmatch(r"(.*\d) (\d\d)/100", text)
    if over is not None:
        return expected_amount(over[1])[:-2] + over[2]
    s = text.replace(" ", "").replace("'", "")
    cents = "00"
    if s.endswith(("=", "-")):
        s = s[:-1]
        if s.endswith((".", ",")):
            s = s[:-1]
    else:
        k = max(s.rfind("."), s.rfind(","))
        if k >= 0 and 1 <= len(s) - k - 1 <= 2:
            s, cents = s[:k], s[k + 1 :].ljust(2, "0")
    whole = s.replace(".", "").replace(",", "")
    if not whole.isdigit() or not cents.isdigit():
        raise ValueError(f"not a written amount: {text!r}")
    return f"{whole.lstrip('0') or '0'}.{cents}"
