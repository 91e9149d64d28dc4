"""Checks on a field's value: check digits, dates, length and pattern.

A value that fails its template rule is not dropped: it goes to ``review``
with the reason, because a person can often see at once which digit the
check caught. Pure functions on strings of digits; no image code here.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re
from typing import Literal

CheckName = Literal["luhn", "mod10", "date"]
CHECKS: tuple[CheckName, ...] = ("luhn", "mod10", "date")

_DATE_TOKEN = re.compile(r"YYYY|YY|MM|DD")


def luhn_ok(value: str) -> bool:
    """Luhn (ISO/IEC 7812, "mod 10 double-add-double"): cards, many account numbers.

    The last digit is the check digit; needs at least two digits.
    """
    if len(value) < 2 or not value.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(value)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def mod10_ok(value: str) -> bool:
    """Weights 3 and 1 from the right, mod 10 (EAN/GTIN/UPC, many references).

    The last digit is the check digit; needs at least two digits.
    """
    if len(value) < 2 or not value.isdigit():
        return False
    body, check = value[:-1], int(value[-1])
    total = sum(int(ch) * (3 if i % 2 == 0 else 1) for i, ch in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def date_format_error(fmt: str) -> str | None:
    """Why ``fmt`` is not a usable date format (None when it is).

    A format is DD, MM and YYYY or YY in any order, nothing else: the field
    holds digits only, so there are no separators to describe.
    """
    tokens = _DATE_TOKEN.findall(fmt)
    if "".join(tokens) != fmt:
        return (
            f"date format {fmt!r} may hold only DD, MM and YYYY (or YY), "
            "without separators, e.g. DDMMYYYY"
        )
    kinds = sorted(t[0] for t in tokens)
    if kinds != ["D", "M", "Y"]:
        return f"date format {fmt!r} needs each of DD, MM and YYYY (or YY) exactly once"
    return None


def parse_date(value: str, fmt: str) -> _dt.date | None:
    """The date ``value`` spells in ``fmt`` (e.g. "DDMMYYYY"), or None if it is no date.

    Two-digit years are read as 2000-2099 when that is not in the future
    by more than a year, else 1900-1999 (a birth date "65" is 1965).
    """
    err = date_format_error(fmt)
    if err is not None:
        raise ValueError(err)
    if len(value) != len(fmt) or not value.isdigit():
        return None
    parts: dict[str, int] = {}
    pos = 0
    for tok in _DATE_TOKEN.findall(fmt):
        parts[tok] = int(value[pos : pos + len(tok)])
        pos += len(tok)
    if "YYYY" in parts:
        year = parts["YYYY"]
    else:
        yy = parts["YY"]
        year = 2000 + yy if 2000 + yy <= _dt.date.today().year + 1 else 1900 + yy
    try:
        return _dt.date(year, parts["MM"], parts["DD"])
    except ValueError:
        return None


def slashed_dates(value: str, fmt: str) -> dict[str, tuple[int, int]]:
    """Every reading of ``value`` as a date in ``fmt``'s order written with
    separators that were read as 1s: the date's digits in ``fmt`` (day and
    month given two digits), each with the positions in ``value`` of the
    two 1s taken for separators.

    People write a date in a free box with slashes, "12/04/2029" or
    "7/4/29", and both string readers read a slash as a 1 (1210412029,
    714129). Each part of the date is one or two digits (a YYYY year four,
    a YY year two), and a 1 stands between each two parts. "2112160" reads
    2/12/60 and 21/2/60 alike.
    """
    tokens = _DATE_TOKEN.findall(fmt)
    sizes = [(len(t),) if t.startswith("Y") else (1, 2) for t in tokens]
    found: dict[str, tuple[int, int]] = {}
    for a, b, c in itertools.product(*sizes):
        if a + b + c + 2 != len(value) or value[a] != "1" or value[a + 1 + b] != "1":
            continue
        parts = (value[:a], value[a + 1 : a + 1 + b], value[a + b + 2 :])
        digits = "".join(p.zfill(len(t)) for p, t in zip(parts, tokens, strict=True))
        if parse_date(digits, fmt) is not None:
            found.setdefault(digits, (a, a + 1 + b))
    return found


def check_reason(check: CheckName, value: str, date_format: str | None = None) -> str | None:
    """Why ``value`` fails ``check``, or None when it passes."""
    if check == "luhn":
        return None if luhn_ok(value) else "Luhn check digit does not match"
    if check == "mod10":
        return None if mod10_ok(value) else "mod-10 (weights 3-1) check digit does not match"
    if check == "date":
        fmt = date_format or "DDMMYYYY"
        if parse_date(value, fmt) is None:
            return f"{value!r} is not a valid date in format {fmt}"
        return None
    raise ValueError(f"unknown check {check!r}; choose one of {', '.join(CHECKS)}")


def value_reasons(
    value: str,
    *,
    length: int | None = None,
    pattern: str | None = None,
    check: CheckName | None = None,
    date_format: str | None = None,
) -> list[str]:
    """Every rule ``value`` breaks, in a fixed order: length, pattern, check."""
    reasons: list[str] = []
    if length is not None and len(value) != length:
        reasons.append(f"expected {length} digits, read {len(value)}")
    if pattern is not None and re.fullmatch(pattern, value) is None:
        reasons.append(f"does not match pattern {pattern!r}")
    if check is not None:
        why = check_reason(check, value, date_format)
        if why:
            reasons.append(why)
    return reasons
