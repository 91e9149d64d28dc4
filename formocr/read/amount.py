"""Amounts: the digits and separators written in a box, as a normalised decimal.

People write ``1,250.00``, ``1250.-``, ``1250=``, ``1 250,00``,
``1.250,00`` or ``1'250.00`` for the same sum. The segmenter reads the
digits with the classifier and the separators by their shape (``Mark``);
this module turns the two into ``1250.00``, or says why it cannot. Pure
functions on strings: no image code here.

The rules, in order:

- ``-`` and ``=`` (with a ``.`` or ``,`` just before them) close the amount:
  whole units, no cents (``1250.-``, ``1250=``). Many write a slash before
  them (``1500/-``, ``1500/=``), which reads as a 1: a 1 just before the
  closing mark sends the amount to review. A leading one is a guard
  stroke and is dropped (``=1250=``), as is a currency sign (``$1250.00``,
  ``€1.250,00``).
- A ``#`` or ``*`` on either side of the amount guards it (``#1,250.00#``,
  ``**1250**``) and is dropped. A guard closes nothing: ``#1250#`` has
  neither cents nor a closing mark (``#12.50#`` with its point missed reads
  the same).
- Of the ``.`` and ``,`` left, the last is the decimal separator when two
  digits follow it (one digit is read, and sent to review). Every other one
  must be a thousands separator, all the same mark and not the decimal
  one, with exactly three digits after it and one to three before the
  first (``1.250,00``, ``1,250.00``); or grouped the Indian way, in
  thousands, lakhs and crores: three digits after the last, two between
  the others, one or two before the first (``1,50,000``, ``12,50,000.00``).
- A separator followed by three digits is a thousands separator (``1,250``:
  no one writes a sum of money to three decimals).
- An apostrophe groups thousands and nothing else (``1'250.50``,
  ``12'000.-``, as the Swiss write them): one with two digits after it
  (``12'50``) goes to review, as do apostrophes grouped the Indian way.
- A space is not a mark: ``1 250,00`` reads as ``1250,00``.

Where money is at stake a wrong amount is far worse than one sent for
review, so the reader asks rather than guesses. These go to review, with
the reason:

- one mark used both ways, ``1,250,00`` or ``1.250.00``: a comma misread
  for a point, or ``125000`` grouped oddly? No value is guessed;
- by default an amount with neither cents nor a closing mark, ``1250``,
  ``1,250`` or ``12,500``: a missed or unseen decimal separator would
  multiply it by 100. It is read (``1250.00``) but flagged;
- anything else the rules above do not explain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from formocr.types import CURRENCY_SIGNS, GUARD_MARKS

__all__ = ["AmountReading", "parse_amount", "raw_text", "split_text"]

_CLOSE = frozenset("-=")
_LEAD = _CLOSE | CURRENCY_SIGNS | GUARD_MARKS  # guard strokes and a currency sign before it
_SEP = frozenset(".,")
_THOUSANDS = "'"  # groups thousands only, never the decimals


@dataclass(frozen=True)
class AmountReading:
    """``value`` is the normalised decimal ("1250.00"), or None with a ``reason``.

    ``reason`` may also be set with a value: the value is what the marks
    say, but something about them deserves a look.
    """

    value: str | None
    reason: str | None = None
    # A 1 just before the closing mark, which may be a slash ("1500/-").
    slash: bool = False


def raw_text(digits: str, marks: Sequence[tuple[int, str]]) -> str:
    """Digits and marks interleaved as written: ``("125000", [(1, ","), (4, ".")])`` -> "1,250.00"."""
    out = []
    ordered = sorted(marks, key=lambda m: m[0])
    k = 0
    for i, ch in enumerate(digits):
        while k < len(ordered) and ordered[k][0] <= i:
            out.append(ordered[k][1])
            k += 1
        out.append(ch)
    out.extend(m[1] for m in ordered[k:])
    return "".join(out)


def split_text(text: str) -> tuple[str, list[tuple[int, str]]]:
    """The inverse of ``raw_text``: "1 250,00" -> ("125000", [(4, ",")]); spaces are no marks."""
    digits, marks = "", []
    for ch in text:
        if ch.isdigit():
            digits += ch
        elif not ch.isspace():
            marks.append((len(digits), ch))
    return digits, marks


def _tokens(text: str) -> list[str]:
    """Runs of digits and single marks: "1,250.00" -> ["1", ",", "250", ".", "00"]."""
    toks: list[str] = []
    for ch in text:
        if ch.isdigit() and toks and toks[-1].isdigit():
            toks[-1] += ch
        else:
            toks.append(ch)
    return toks


def _decimal(units: str, cents: str) -> str:
    return f"{int(units)}.{cents.ljust(2, '0')}"


def _thousands(groups: Sequence[str]) -> bool:
    """``1,250,000``: one to three digits, then groups of three."""
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def _lakhs(groups: Sequence[str]) -> bool:
    """``12,50,000``: one or two digits, groups of two, then three (the
    Indian grouping; with one separator it is ``_thousands``)."""
    return (
        len(groups) >= 3
        and 1 <= len(groups[0]) <= 2
        and all(len(g) == 2 for g in groups[1:-1])
        and len(groups[-1]) == 3
    )


def parse_amount(
    digits: str, marks: Sequence[tuple[int, str]], require_mark: bool = True
) -> AmountReading:
    """The amount ``digits`` and ``marks`` (position, char) spell; see the module doc.

    ``require_mark``: an amount with neither cents nor a closing mark is
    read, but goes to review (a missed decimal point is a 100x error).
    """
    if not digits:
        return AmountReading(None, "no digits read")
    text = raw_text(digits, marks)
    toks = _tokens(text)
    while toks and toks[0] in _LEAD:  # a guard stroke or currency sign before the amount
        toks.pop(0)
    while toks and toks[-1] in GUARD_MARKS:  # a guard after it
        toks.pop()
    closed = slash = False
    if toks and toks[-1] in _CLOSE:
        closed = True
        while toks and toks[-1] in _CLOSE:
            toks.pop()
        # "1500/-", "1500/=": the slash before the closing mark reads as a 1.
        slash = bool(toks) and toks[-1].endswith("1")
        if toks and toks[-1] in _SEP:  # "1250.-"
            toks.pop()
    seps_all = _SEP | {_THOUSANDS}

    def ask(reason: str) -> AmountReading:
        # No value; ``slash`` still says whether a 1 stands before the
        # closing mark (the caller may find it a slash, and read again).
        return AmountReading(None, reason, slash)

    if not toks or not toks[0].isdigit():
        return ask(f"amount {text!r} does not start with a digit")
    if any(t in CURRENCY_SIGNS for t in toks):
        return ask(f"a currency sign inside the amount {text!r}")
    if any(t in _CLOSE for t in toks):
        return ask(f"a closing mark inside the amount {text!r}")
    if any(t in GUARD_MARKS for t in toks):
        return ask(f"a guard ('#', '*') inside the amount {text!r}")
    if any(a in seps_all and b in seps_all for a, b in zip(toks, toks[1:], strict=False)):
        return ask(f"two separators in a row in {text!r}")
    if toks[-1] in seps_all:
        return ask(f"amount {text!r} ends with a separator")

    groups = toks[0::2]
    seps = toks[1::2]
    cents = ""
    decimal = ""
    if seps and len(groups[-1]) <= 2 and not closed:
        # Two digits after the last separator are cents, whichever mark it is.
        cents = groups.pop()
        decimal = seps.pop()
    if decimal == _THOUSANDS:
        return ask(f"an apostrophe groups thousands, not decimals, in {text!r}")
    if decimal and decimal in seps:
        # "1,250,00": a comma misread for the point, or "125000" grouped
        # oddly? Ask, do not guess.
        return ask(f"{decimal!r} is used both for thousands and decimals in {text!r}")
    if seps:
        if len(set(seps)) > 1:
            return ask(f"mixed thousands separators in {text!r}")
        if not (_thousands(groups) or (_lakhs(groups) and _THOUSANDS not in seps)):
            return ask(f"separators in {text!r} do not group thousands")
    units = "".join(groups)
    value = _decimal(units, cents)
    if len(cents) == 1:
        return AmountReading(value, f"one digit after the decimal separator in {text!r}")
    if require_mark and not cents and not closed:
        return AmountReading(
            value, f"no decimal separator or closing mark read in {text!r}; check the amount"
        )
    if slash:
        return AmountReading(
            value,
            f"the 1 just before the closing mark in {text!r} may be a slash ('1500/-')",
            slash=True,
        )
    return AmountReading(value)
