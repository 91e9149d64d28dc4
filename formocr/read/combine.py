"""Two readers, one answer: the lattice and the string (CTC) reader per field.

Pure functions over the two readings; nothing here runs a model.

* The readers agree: the value is theirs, and its confidence the lesser of
  the two readers' string probabilities (``calibrate``-d). The field may be
  ``ok`` if that clears the threshold.
* They disagree: each reader scores the other's text too (the lattice's
  best path constrained to spell it; the CTC's likelihood of it), and the
  text with the higher joint score (the sum of both readers' log scores) is
  the value, unless the lattice read fewer digits than the string reader:
  then it skipped ink, and the string reader's text is the value. The field
  goes to ``review`` with both readings as ``alternatives``; its confidence
  is DISAGREE x the value's share of the two joint scores (never more than
  DISAGREE x its reader's own), so a disagreement ranks below any agreement
  as sure.

``evidence_reasons`` says what else a value must not break: a comb's cell
count, and the number of digits the box could hold; ``solid_zero_reasons``
adds a 0 that is one solid blob of ink (no paper inside it: a thick 1 or a
filled 8 as likely). A value that breaks it is never ``ok``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from formocr.stats import median, runs
from formocr.templates.rules import slashed_dates
from formocr.types import Alternative, BBox, DigitResult, StringInk

__all__ = [
    "Alternative",
    "Combined",
    "Reading",
    "StringReader",
    "StringReading",
    "calibrate",
    "capacity",
    "combine",
    "confused_reasons",
    "doubt_cap",
    "evidence_reasons",
    "fine_reasons",
    "guard_read",
    "sign_read",
    "left_out_edge_reasons",
    "runs_on_reasons",
    "short_reasons",
    "wide_cell_reasons",
    "through_reasons",
]

# When the readers disagree, the field's confidence is at most this: it
# ranks below fields whose readers agree, whatever the joint score says.
DISAGREE = 0.5
# The narrowest pitch of written digits, as a share of the box's height: a
# box holds at most width / (MIN_PITCH x height) digits.
MIN_PITCH = 0.35


class StringReading(Protocol):
    """What combine needs of a string reader's answer (formocr.read.ctc)."""

    @property
    def text(self) -> str: ...

    @property
    def confidence(self) -> float: ...


class StringReader(Protocol):
    """A segmentation-free reader of a string box's interior crop."""

    def read(self, images: Sequence[np.ndarray]) -> Sequence[StringReading]: ...

    def rescore(self, reading: Any, text: str) -> float:
        """log p(text | the crop ``reading`` came from), for a reading ``read`` gave."""


@dataclass(frozen=True)
class Reading:
    """One reader's answer for a field, and its log scores of both texts.

    ``own`` is the reader's log score of its own text; ``other`` of the
    other reader's text (-inf where it cannot spell it). Scores of the two
    readers are on their own scales; only sums across them are compared.
    """

    reader: str
    text: str
    confidence: float
    own: float = 0.0
    other: float = -math.inf


@dataclass(frozen=True)
class Combined:
    value: str
    confidence: float
    agree: bool
    alternatives: tuple[Alternative, ...] = ()
    reason: str | None = None


Knots = tuple[tuple[float, float], ...]


def calibrate(p: float, power: float = 1.0, below: Knots = ()) -> float:
    """The confidence map fitted on calibration pages: ``p ** power``
    (monotone; 1.0, the default, leaves ``p`` as it is), then, under the
    last of the ``below`` knots (x, y), the piecewise-linear map through them
    (``config.DEFAULT_STRING_MAP``: what share of strings at that confidence
    were right), so that a confidence under the threshold says how often
    such a reading is right; at and above the last knot, unchanged."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"probability out of [0,1]: {p}")
    c = float(p**power)
    if below and c < below[-1][0]:
        c = float(np.interp(c, [x for x, _ in below], [y for _, y in below]))
    return c


def doubt_cap(power: float = 1.0, below: Knots = ()) -> float:
    """The most confidence a field may keep when something other than its
    confidence sends it to review (a rule it breaks, a digit cut at the
    image's edge, a box in question): a disagreement's ceiling, so it ranks
    with the disagreements, below any agreement as sure."""
    return calibrate(DISAGREE, power, below)


def combine(
    first: Reading,
    second: Reading | None,
    power: float = 1.0,
    below: Knots = (),
    guarded: bool = False,
) -> Combined:
    """One value and one confidence from one or two readers (see module doc);
    ``power`` and ``below``: ``calibrate``'s map. ``guarded``: the lattice's
    missing digit is explained, a guard set apart at one end that only the
    string reader reads (``guard_read``): the joint score alone decides."""
    if second is None:
        return Combined(first.text, calibrate(first.confidence, power, below), agree=True)
    if first.text == second.text:
        conf = calibrate(min(first.confidence, second.confidence), power, below)
        return Combined(first.text, conf, agree=True)
    joint_first = first.own + second.other
    joint_second = second.own + first.other
    if joint_first == joint_second == -math.inf:
        # Neither can spell the other's text: the surer reader wins, evenly.
        win, lose = (first, second) if first.confidence >= second.confidence else (second, first)
        share = 0.5
    else:
        win, lose = (first, second) if joint_first >= joint_second else (second, first)
        gap = abs(joint_first - joint_second)
        share = 1.0 / (1.0 + math.exp(-gap)) if gap != math.inf else 1.0
    shorter = None if guarded else _skipped_ink(first, second)
    if shorter is not None and win is shorter:
        # The lattice read fewer digits than the string reader: it left ink it
        # could not place unread (a joined pair, a faint digit). On 150
        # calibration pages the string reader was then right 151 times and the
        # lattice 3 (of 242 such disagreements); the joint score had picked the
        # lattice 77 times (bench/disagreements.py, not the headline's pages).
        win, lose, share = lose, win, 1.0 - share
    conf = calibrate(DISAGREE * min(share, win.confidence), power, below)
    alts = (
        Alternative(win.text, calibrate(win.confidence, power, below), win.reader),
        Alternative(lose.text, calibrate(lose.confidence, power, below), lose.reader),
    )
    reason = f"the readers disagree: {first.reader} {first.text!r}, {second.reader} {second.text!r}"
    return Combined(win.text, conf, agree=False, alternatives=alts, reason=reason)


def guard_read(guards: Sequence[int], lattice: str, other: str) -> bool:
    """Whether ``other`` is the ``lattice``'s text and one more digit at an
    end where a guard stands (``guards``: the guards' positions, digits of
    the lattice's text before each): the string reader read the guard. A
    star, an x, a + or a "#" at one end only is left out of the lattice but
    kept in the string reader's line, in case it was a digit; a phone
    number's "+44" read as 44, and as 444 by the string reader, was handed
    to the string reader as ink the lattice skipped (31 of 40 such strips
    in review with the + read as a 4; BENCHMARKS.md, fortieth session)."""
    if len(other) != len(lattice) + 1:
        return False
    return (0 in guards and other[1:] == lattice) or (
        len(lattice) in guards and other[:-1] == lattice
    )


# What the string reader reads a hand-written euro as, the sign set apart
# by its shape (``formocr.layout.currency``) and left out of the lattice but
# kept in the string reader's line. On cheques with a hand-written euro
# (bench/cheques.py --hand-sign €, three sets, BENCHMARKS.md fifty-fifth
# session) 180 of 295 disagreements were the lattice's text with a 5, a 6
# or an 8 before it, the lattice right in 175.
SIGN_READS = {"€": frozenset("568")}


def sign_read(signs: Sequence[tuple[int, str]], lattice: str, other: str) -> bool:
    """Whether ``other`` is the ``lattice``'s text with one more digit
    before it, a digit a currency sign set apart first (``signs``: the
    marks' positions and characters) is read as (SIGN_READS): the string
    reader read the sign, as ``guard_read`` a guard."""
    if len(other) != len(lattice) + 1 or other[1:] != lattice:
        return False
    return any(p == 0 and other[0] in SIGN_READS.get(c, ()) for p, c in signs)


def _skipped_ink(first: Reading, second: Reading) -> Reading | None:
    """The lattice's reading when it has fewer digits than the other reader's."""
    for lat, other in ((first, second), (second, first)):
        if lat.reader == "lattice" and len(lat.text) < len(other.text):
            return lat
    return None


def capacity(width: float, height: float) -> int:
    """The most digits a box ``width`` x ``height`` px can hold (MIN_PITCH)."""
    if width <= 0 or height <= 0:
        return 0
    return max(1, int(width / (MIN_PITCH * height)))


# An open 4 reads as a 6, and a 6 as a 4 (the real cheques; one
# held-out optdigits writer of the 28-box stand-ins wrote many 4s so): the
# digit model read those 4s as 6 at only 0.91-0.97, the 4 its runner-up at
# 0.03-0.09, and the two string readers agreeing lifted the field to `ok`
# (6 `ok` fields wrong over 70 pages). A 4 or a 6 whose runner-up is the
# other at CONFUSED_RUNNER_UP or more goes to review. A floor on every
# digit's confidence (0.98) caught these too but cost the headline's
# strings 7.6 points of read rate; this pair alone, 0.3. At 0.02, two open
# 4s read 6 with the 4 at 0.010 and 0.016 left `2942` read `2962` and
# `0422` read `0622`, `ok` (28-box stand-ins drawn for the first time,
# ``bench/box28.py --seed 126100``); at 0.01 they ask, and of the
# development sets' right `ok` fields four more do (BENCHMARKS.md,
# fifty-first session), none of the headline's.
CONFUSED = {"4": "6", "6": "4"}
CONFUSED_RUNNER_UP = 0.01


def confused_reasons(digits: Sequence[DigitResult]) -> list[str]:
    """A reason for each digit read as one of a pair the model confuses
    (CONFUSED) whose runner-up is the other at CONFUSED_RUNNER_UP or more."""
    out = []
    for i, d in enumerate(digits, 1):
        other = CONFUSED.get(d.value)
        runner = d.top3[1] if len(d.top3) > 1 else None
        if runner is not None and runner[0] == other and runner[1] >= CONFUSED_RUNNER_UP:
            out.append(f"digit {i}, read {d.value} at {d.confidence:.2f}, may be a {other}")
    return out


def through_reasons(digits: Sequence[DigitResult], field_box: BBox) -> list[str]:
    """Each digit whose ink runs through its box: from above the box to
    below it (``field_box``, the box's hull on the page; digits in page
    pixels). A digit written in a box may cross its top or its foot, not
    both; a band of shadow does, where a folded form did not lie flat on
    the scanner: a soft band 2 mm wide and 30 % darker than the paper was
    read as a 1 in an empty comb cell, `ok` at 1.0 (the sample form, ad hoc
    /tmp/s30/fold.py), and over a written 4 as a 1."""
    top, foot = field_box.y, field_box.y + field_box.h
    return [
        f"digit {i}'s ink runs through the box from above it to below it "
        "(a fold or shadow across the page, or a stroke not written in the box)"
        for i, d in enumerate(digits, 1)
        if d.bbox != field_box and d.bbox.y < top and d.bbox.y + d.bbox.h > foot
    ]


def gap_reasons(
    digits: Sequence[DigitResult], gaps: Sequence[BBox], marks: Sequence[BBox] = ()
) -> list[str]:
    """A reason for the first of a string box's ``gaps`` (paper as wide as
    a digit between two digits' ink, or a digit's and a point's or a
    guard's, on a printed background or in a strip cut inside its box:
    ``formocr.layout.digits.GAP_ROOM``) that does not come, after a digit,
    before a group of three of the ``digits`` read (their centres, up to
    the next gap, the next of the ``marks`` or the end: "1 250 000" is
    grouped, a date's "0 042002" is not, nor "** 159 **"). Where the
    digits have no cuts of their own (each the field's box) the group
    cannot be counted, and any gap asks. Boxes in page pixels."""
    centres = [d.bbox.x + d.bbox.w / 2 for d in digits]
    counted = len({d.bbox for d in digits}) == len(digits)
    for g in gaps:
        right = g.x + g.w
        end = min([b.x for b in (*gaps, *marks) if b.x >= right], default=math.inf)
        k = sum(c < g.x for c in centres)
        if counted and k and sum(right <= c < end for c in centres) == 3:
            continue
        where = f"after digit {k}" if k else "before the first digit"
        return [
            f"a gap as wide as a digit {where} "
            "(a digit written light, or as light as the print behind it?): "
            "a digit may be missing"
        ]
    return []


# How far beside a digit's columns ``runs_on_reasons`` looks (pixels).
RUN_ON_SIDE = 2


def runs_on_reasons(page: np.ndarray, digits: Sequence[DigitResult], field_box: BBox) -> list[str]:
    """Each digit that crosses its box's top (or foot) and whose stroke runs
    on past the ink that was read there: the page is inked in the two rows
    just beyond the digit's box, over its columns (``field_box``, the box's
    hull; everything in page pixels). The layout reads a digit crossing the
    frame whole, so the rows beyond a written digit are paper; a line that
    was cut off there is something else's. A rubber stamp's frame corner
    reaching into an empty comb cell was read 1, `ok`, its side running on
    up to the stamp's corner (ad hoc /tmp/s30/stamp.py)."""
    H, W = page.shape[:2]
    top, foot = field_box.y, field_box.y + field_box.h
    reasons = []
    for i, d in enumerate(digits, 1):
        b = d.bbox
        if b == field_box or min(b.w, b.h) < 4:
            continue
        # A slanted line enters the digit's box from beside its columns.
        x0, x1 = max(0, b.x - RUN_ON_SIDE), min(W, b.x + b.w + RUN_ON_SIDE)
        beyond = []
        if b.y < top < b.y + b.h and b.y >= 2:
            beyond.append(page[b.y - 2 : b.y, x0:x1])
        if b.y < foot < b.y + b.h and b.y + b.h + 2 <= H:
            beyond.append(page[b.y + b.h : b.y + b.h + 2, x0:x1])
        if not beyond:
            continue
        own = page[b.y : b.y + b.h, b.x : b.x + b.w]
        ink, paper = float(np.percentile(own, 5)), float(np.percentile(own, 95))
        if paper - ink < 32:
            continue
        level = (ink + paper) / 2
        if any(int((rows < level).any(axis=0).sum()) >= 2 for rows in beyond):
            reasons.append(
                f"digit {i}'s stroke runs on past the box's edge beyond what was read "
                "(a stamp's or a signature's line, not a digit?)"
            )
    return reasons


# A digit read 0 whose ink covers at least this share of its box, with no
# paper enclosed (a hole of at least SOLID_HOLE of the box), is a blob.
SOLID_FILL, SOLID_HOLE = 0.6, 0.02


def solid_zero_reasons(
    page: np.ndarray, digits: Sequence[DigitResult], field_box: BBox
) -> list[str]:
    """Each digit read ``0`` that is one solid blob of ink on ``page``.

    ``digits``: the field's DigitResults, boxes in page pixels; a digit
    whose box is the field's own (a reading with no cuts) is not looked at.
    """
    reasons = []
    for i, d in enumerate(digits, 1):
        ink = None if d.value != "0" else _digit_ink(page, d.bbox, field_box)
        if ink is not None and ink.mean() >= SOLID_FILL and not _holes(ink):
            reasons.append(f"digit {i}, read 0, is a solid blob with no opening (a 1? an 8?)")
    return reasons


# A digit drawn with a much finer and lighter stroke than the field's other
# digits is no digit the writer wrote with that pen: a stray hairline, an
# erased digit or writing showing through from the back. Its pen width
# (twice its ink over its outline, ``formocr.layout.ink.pen_width``) under
# FINE_PEN of theirs (the median), and the contrast of its ink to the paper
# in its box (its 1st and 95th percentiles) under FINE_DARK of theirs, with
# FINE_PEERS other digits or more to measure against, asks. A faint
# hairline beside a 9, kept by the cleaning, was read as a 1: ``391``
# came out ``3911``, `ok` at 0.9988 (pen 0.30 of the others', contrast
# 0.67; BENCHMARKS.md, fifty-first session). A pen narrower than
# FINE_MEASURED px is too coarse to compare (a small cut-out's strokes, 2 px
# and anti-aliased, measured 0.2-0.45 of their neighbours' and as light,
# in right amounts). Over the 78,000 digits of the development sets the
# finest and lightest so measured otherwise was 0.47 at contrast 0.72.
FINE_PEN = 0.45
FINE_DARK = 0.8
FINE_PEERS = 2
FINE_MEASURED = 3.0


def fine_reasons(page: np.ndarray, digits: Sequence[DigitResult], field_box: BBox) -> list[str]:
    """Each of ``digits`` drawn much finer and lighter than the others on
    ``page`` (see FINE_PEN; boxes as ``solid_zero_reasons``)."""
    if len(digits) <= FINE_PEERS:
        return []
    pens = {i: p for i, d in enumerate(digits) if (p := _pen(page, d.bbox, field_box)) is not None}
    reasons = []
    for i, own in pens.items():
        others = [j for j in pens if j != i]
        if len(others) < FINE_PEERS:
            continue
        if not FINE_MEASURED <= own < FINE_PEN * median([pens[j] for j in others]):
            continue
        dark = median([_contrast(page, digits[j].bbox) for j in others])
        if _contrast(page, digits[i].bbox) < FINE_DARK * dark:
            reasons.append(
                f"digit {i + 1}, read {digits[i].value}, is drawn much finer and lighter than "
                "the others (a stray line, an erased digit or writing from the back?)"
            )
    return reasons


def _pen(page: np.ndarray, b: BBox, field_box: BBox) -> float | None:
    """A digit's pen width on ``page`` (px; ``formocr.layout.ink.pen_width``
    of its ``_digit_ink``); None where there is none to measure."""
    from formocr.layout.ink import pen_width

    ink = _digit_ink(page, b, field_box)
    return None if ink is None else pen_width(ink)


def _contrast(page: np.ndarray, b: BBox) -> float:
    """The contrast of the ink in the box ``b`` of ``page`` to its paper:
    its 1st and 95th percentiles' difference (grey levels)."""
    low, high = np.percentile(page[max(0, b.y) : b.y + b.h, max(0, b.x) : b.x + b.w], (1, 95))
    return float(high - low)


# A comb cell's digit under SHORT_DIGIT of the height of the field's other
# digits (their median, SHORT_PEERS of them or more) is no digit written
# there: a piece of a divider the whiting out left, a stroke or a speck.
# A fax's divider left a 3-px sliver 0.4 of the digits' height at the
# side of an empty cell, read as a 1: ``506`` came out ``5061``, `ok` at
# 0.9997 (BENCHMARKS.md, fifty-third session). Of the development sets'
# `ok` comb fields, the shortest digit otherwise stood 0.50 of its
# neighbours (a small 2).
SHORT_DIGIT = 0.45
SHORT_PEERS = 2


# A comb cell's digit at most SLIVER_W px wide is no pen's stroke: a sliver
# of a dashed divider that the whiting out left (a fax's comb of empty
# cells, read `113` for its fourth cell's `3`, `ok`; BENCHMARKS.md,
# fifty-fifth session).
SLIVER_W = 1


# A comb digit no wider than SIDE_W of the box's height whose ink reaches
# within SIDE_TOL px of the box's outer left or right edge is a bar on the
# frame's side line: a piece of that line where a black-and-white scan
# broke it and it was not whited out (a date comb whose fine-pen digits the
# threshold lost read `1`, `ok` at 0.9999, from a 2-px piece of its right
# side; BENCHMARKS.md, fifty-seventh session). Digits written across the
# side are wider (without SIDE_W, three right `ok` combs of the headline's
# pages and a date box asked, a 0 or a 4 crossing the side).
SIDE_TOL = 1
SIDE_W = 0.1


# A comb digit read from more than WIDE_CELL cells' width (the box's width
# over its cells) may be two digits read as one: a writer who wrote across
# a tick comb's cells had two 4s merged into one crop two cells wide, read
# `4`, and `634469540` came out `63469540`, `ok` (BENCHMARKS.md,
# fifty-fifth session).
WIDE_CELL = 1.5


def wide_cell_reasons(digits: Sequence[DigitResult], cells: int, width: int) -> list[str]:
    """Each of a comb's ``digits`` wider than WIDE_CELL of its ``cells``
    (the box ``width`` px wide)."""
    if cells < 2 or width <= 0:
        return []
    pitch = width / cells
    return [
        f"digit {i + 1}, read {d.value}, spans {d.bbox.w / pitch:.1f} cells (two digits "
        "read as one?)"
        for i, d in enumerate(digits)
        if d.bbox.w > WIDE_CELL * pitch
    ]


def short_reasons(digits: Sequence[DigitResult], box: BBox | None = None) -> list[str]:
    """Each of a comb's ``digits`` much shorter than the others (SHORT_DIGIT),
    a sliver (SLIVER_W), or a bar on the side line of its ``box`` (SIDE_TOL,
    SIDE_W)."""
    slivers = [
        f"digit {i + 1}, read {d.value}, is a sliver {d.bbox.w} px wide (a piece of a divider?)"
        for i, d in enumerate(digits)
        if d.bbox.w <= SLIVER_W
    ]
    if box is not None:
        slivers += [
            f"digit {i + 1}, read {d.value}, is a bar on the box's side (a piece of its line?)"
            for i, d in enumerate(digits)
            if SLIVER_W < d.bbox.w <= SIDE_W * box.h
            and (d.bbox.x <= box.x + SIDE_TOL or d.bbox.x + d.bbox.w >= box.x + box.w - SIDE_TOL)
        ]
    if len(digits) <= SHORT_PEERS:
        return slivers
    heights = [d.bbox.h for d in digits]
    return slivers + [
        f"digit {i + 1}, read {d.value}, is much shorter than the others (a piece of a "
        "divider, a stroke or a speck?)"
        for i, d in enumerate(digits)
        if d.bbox.h < SHORT_DIGIT * median(heights[:i] + heights[i + 1 :])
    ]


# A euro sign written before an amount, a C with a bar across it, is read
# as a 6 or an 8 by both readers where its shape does not tell it
# (``formocr.layout.currency.is_euro_sign``: a bar that barely reaches past
# the C; ``€30,-`` read ``630`` and ``€2.97`` ``6297``, `ok`, on cheques
# drawn with a hand-written euro, ``bench/cheques.py --hand-sign €``). A 6
# and an 8 close a loop, the C does not: a string's first digit read so
# whose ink encloses no paper (a hole SOLID_HOLE of its box at least),
# covers at most OPEN_FILL of its box and holds a bar (``_barred``) asks.
# Without the last two, 49 right `ok` strings of the headline's 120 pages
# went to review (6s whose small loop the ink filled); with them, one
# (``65``), one of the validation writers' pages and one amount of the
# development cheques.
LOOPED = frozenset("68")
OPEN_FILL = 0.4


def open_loop_reasons(
    page: np.ndarray, digits: Sequence[DigitResult], field_box: BBox
) -> list[str]:
    """The first of a string's ``digits``, read 6 or 8, if its ink on
    ``page`` closes no loop, is light and barred (see LOOPED; boxes as
    ``solid_zero_reasons``)."""
    if not digits or digits[0].value not in LOOPED:
        return []
    ink = _digit_ink(page, digits[0].bbox, field_box)
    if ink is None or ink.mean() > OPEN_FILL or _holes(ink) or not _barred(ink):
        return []
    return [
        f"digit 1, read {digits[0].value}, closes no loop (a euro sign written before the amount?)"
    ]


def _barred(ink: np.ndarray) -> bool:
    """Does a row in the middle of a digit's ``ink`` (0/1) hold a run from
    its left fifth across half its width (a euro's bar)?"""
    h, w = ink.shape
    for row in ink[int(0.3 * h) : int(0.7 * h) + 1]:
        xs = np.flatnonzero(row)
        if xs.size and xs[0] <= 0.2 * w:
            gap = np.flatnonzero(row[xs[0] :] == 0)
            if (gap[0] if gap.size else w - xs[0]) >= 0.5 * w:
                return True
    return False


def _digit_ink(page: np.ndarray, b: BBox, field_box: BBox) -> np.ndarray | None:
    """The ink (uint8 0/1, Otsu's split) of the digit box ``b`` of
    ``page``; None for a box that is the field's own (a reading with no
    cuts) or too small."""
    import cv2

    if b == field_box or min(b.w, b.h) < 4:
        return None
    crop = page[max(0, b.y) : b.y + b.h, max(0, b.x) : b.x + b.w]
    if crop.size == 0:
        return None
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return np.asarray(ink)


def _holes(ink: np.ndarray) -> int:
    """How many holes of SOLID_HOLE of its box a digit's ``ink`` encloses."""
    from formocr.layout.digits import count_holes

    return count_holes(ink, SOLID_HOLE * ink.size)


# A 1 read just before an amount's closing mark that leans this much more
# (x per y, to the right going up) than the field's other digits is a slash
# ("1500/-"). Generated slashes lean 0.27 (10th percentile) to 0.56 (90th)
# more than their digits; real 1s in amounts -0.08 to 0.09, at most 0.34
# (``/tmp/s11/lean.py``, 106 slashes and 200 ones, half of them optdigits
# writers).
SLASH_LEAN = 0.25
# A string's last 1 leaning this much more than its other digits goes to
# review even with no closing mark read after it: a slash whose dash joined
# it ("6/-" read 61, `ok`, on a generated cheque). Above every real 1 of
# the sample above; it costs 8 of 1,072 right `ok` strings of the 120
# headline pages and 1 of 147 development cheques.
SLASH_END = 0.35
# A 1 before the closing mark that leans this much more than the other
# digits is a slash beyond doubt: above every real 1 of the sample above
# (at most 0.34), it is left out and the field may be `ok` ("1500/-", usual
# on cheques in India and East Africa, then reads 1500 with no one asked).
# Leaning from SLASH_LEAN up to this, the 1 is still left out but the
# field asks. Set by that sample, not by the cheques it was then tried on:
# the 240 development cheques with ``--slash`` went from 115 `ok` amounts
# to 131, none of them wrong (``bench/cheques.py``, BENCHMARKS.md).
SLASH_SURE = 0.4
# ... measured against at least SLASH_PEERS other digits: against one, the
# lean is that digit's slant as much as the 1's. A slanted 1 after an
# upright 2 leaned 0.42 more, was left out as a slash, and ``21.-`` (its
# point lost) came out ``2``, `ok` (a cheque on microtext drawn for the
# first time in the forty-ninth session, ``bench/cheques.py --seed 99985
# --cents-over-100 --fade 0.8``; MNIST test writers' 1s lean up to 0.8 more
# than their other digits, see below).
SLASH_PEERS = 2


def lean(page: np.ndarray, b: BBox) -> float | None:
    """How much the ink in ``b`` on ``page`` leans (x per y, to the right
    going up); None with too little to measure."""
    import cv2

    crop = page[b.y : b.y + b.h, b.x : b.x + b.w]
    if crop.size == 0 or min(b.w, b.h) < 4:
        return None
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    m = cv2.moments(ink, binaryImage=True)
    return -m["mu11"] / m["mu02"] if m["mu02"] else None


def leans_more(
    page: np.ndarray, digits: Sequence[DigitResult], some: Sequence[int]
) -> float | None:
    """How much more the digits at positions ``some`` lean, on the mean,
    than the median of the others (``lean``); None where either cannot be
    measured."""
    leans = [lean(page, d.bbox) for d in digits]
    chosen = [v for i, v in enumerate(leans) if i in some and v is not None]
    others = [v for i, v in enumerate(leans) if i not in some and v is not None]
    if not chosen or not others:
        return None
    return sum(chosen) / len(chosen) - median(others)


def slash_lean(page: np.ndarray, digits: Sequence[DigitResult]) -> float | None:
    """How much more the last of ``digits`` leans (x per y, to the right
    going up) than the median of the others on ``page``; None with no other
    digit to compare with, or no ink to measure."""
    return leans_more(page, digits, [len(digits) - 1]) if len(digits) >= 2 else None


# A string that reads as a date whose two slashes were read as 1s
# ("12/04/2029" read 1210412029, both readers agreeing: 132 of 138 `ok`
# dates wrong, ``bench/slashes.py``), or as cents written over 100 after
# the whole part with the slash read as a 1 ("1250 50/100", as on US
# cheques, read 1250501100: 54 of 120 `ok` amounts wrong, ``bench/cheques.py
# --cents-over-100``), goes to review. By the digits read alone, not by
# the slash's lean: a slash leans, but so do many writers' 1s (they lean from
# -0.2 to 0.8 more than the median of the writer's other digits, half of
# them over 0.12; two 1s of one writer differ by 0.2 or more in 11 % of
# pairs: MNIST test writers), and the generated slashes that were read
# `ok` leaned no more than the digits round them. Random digit strings of
# 6, 7 and 8 digits take a date's shape 0.84, 0.35 and 0.07 % of the time,
# and one of 7 digits or more ends 1100 0.01 % of the time (an amount
# whose whole part ends 11 and whose cents are 00, 12,511.00, goes to
# review with them).


# The orders a date in a free box is looked for in (``_as_date``).
DATE_ORDERS = ("DDMMYYYY", "DDMMYY", "YYYYMMDD")


def _as_date(v: str) -> str | None:
    """``v`` read as a date whose two slashes were read as 1s
    (``templates.rules.slashed_dates``), as written, or None: day, month and
    year (``12/4/2029``, ``1/5/24``) or year, month and day
    (``2029/04/12``), a year of four digits in 19xx or 20xx."""
    for fmt in DATE_ORDERS:
        for date, (p, q) in slashed_dates(v, fmt).items():
            year = date[:4] if fmt.startswith("YYYY") else date[4:]
            if len(year) == 4 and year[:2] not in ("19", "20"):
                continue
            return f"{v[:p]}/{v[p + 1 : q]}/{v[q + 1 :]}"
    return None


def slash_reasons(digits: Sequence[DigitResult], marks: Sequence[int] = ()) -> list[str]:
    """Why a string box's digits may hold slashes read as 1s: it reads as a
    date (``_as_date``; no separator found among them), or it ends in cents
    over 100 (seven digits or more ending 1100; a point found before the
    last two does not clear it: a speck of a cheque's background before
    the 00 of "86/100" made it "3088611.00"). ``marks``: the positions
    (digits before them) of the separators found. The digits of such a
    field are the date's or the amount's and more: it is never `ok`."""
    v = "".join(d.value for d in digits)
    if len(v) < 6 or "1" not in v:
        return []
    date = _as_date(v) if not marks else None
    if date is not None:
        return [f"it reads as the date {date}, its slashes read as 1s"]
    n = len(v)
    if n >= 7 and v.endswith("1100"):
        return [f"it may end in cents over 100 ({v[n - 6 : n - 4]}/100), the slash read as a 1"]
    return []


# A digit that reaches the top or bottom edge of the image but stands at
# least this share of the median height of the field's digits that reach
# neither has lost a sliver at most. On the development cheques cut inside
# their box, the fields sent to review by this rule alone were 30 of 32
# right; the two wrong (a 4 read 7, a 9 read 7: their tops cut off) stood
# 0.66 and 0.78 of their neighbours. With this share: 17 more fields `ok`,
# none wrong (fresh cheques: 21 more, none wrong).
EDGE_WHOLE = 0.9


# A digit at the top or bottom edge whose ink runs along that edge row for
# at least this share of the field's median digit height was cut through a
# stroke that ran on past the edge (a 7's bar, a 4's arm, a 2's foot), when
# it reads as what such a cut leaves (EDGE_CUT_READS: a 7 without its bar
# reads 1, a 2 without its foot 7).
EDGE_RUN = 0.35
EDGE_CUT_READS = ("1", "7")


def edge_reasons(
    shape: tuple[int, int], digits: Sequence[DigitResult], page: np.ndarray | None = None
) -> list[str]:
    """Each digit whose ink reaches the edge of the image (``shape``: its
    height and width) and may have been cut off there (an amount cut out
    inside its box, the top bar of a 7 left outside), so that what is left
    may read as another digit (a 1).

    A digit at the left or right edge always counts (how much of the string
    lies beyond is unknown), as does one that spans the image's height. One
    at the top or bottom edge counts unless it is as tall as the field's
    uncut digits (``EDGE_WHOLE`` of their median; at least two of them
    measured): a cut that took a 7's bar, a 4's arm or a 2's foot leaves a
    digit shorter than its neighbours. With the ``page``'s pixels, a 1 or a
    7 at the top or bottom edge also counts where its ink runs along the
    edge row for ``EDGE_RUN`` of the digits' median height or more: the cut
    went through a stroke lying along it (a 7 written high, cut through its
    bar, leaves its stem nearly as tall as the other digits, read 1). A
    digit's own top or foot touches the edge over little more than a pen's
    width; other digits keep what tells them apart when a bar is cut."""
    H, W = shape

    def top(d: DigitResult) -> bool:
        return d.bbox.y <= 0

    def bottom(d: DigitResult) -> bool:
        return d.bbox.y + d.bbox.h >= H

    uncut = [d.bbox.h for d in digits if not (top(d) or bottom(d))]
    whole = EDGE_WHOLE * float(np.median(uncut)) if len(uncut) >= 2 else math.inf
    run = EDGE_RUN * float(np.median([d.bbox.h for d in digits])) if digits else math.inf

    def along(d: DigitResult) -> bool:
        if page is None or d.value not in EDGE_CUT_READS:
            return False
        rows = ([0] if top(d) else []) + ([H - 1] if bottom(d) else [])
        return any(_longest_dark_run(page, y, d.bbox.x, d.bbox.x + d.bbox.w) >= run for y in rows)

    return [
        f"digit {i} reaches the edge of the image (it may be cut off)"
        for i, d in enumerate(digits, 1)
        if d.bbox.x <= 0
        or d.bbox.x + d.bbox.w >= W
        or (top(d) and bottom(d))
        or ((top(d) or bottom(d)) and (d.bbox.h < whole or along(d)))
    ]


# Ink left out of a string's reading that reaches the edge of the image and
# stands at least this share of the digits' height (either way) may be what
# the cut left of a digit: too short to be read as one, it was skipped as a
# stray stroke. Ink lying along the edge, EDGE_ALONG times as long as it
# is deep, is what the cut left of the box's line.
EDGE_LEFT_OUT = 0.25
EDGE_ALONG = 3.0
# Ink within this share of the digits' height of a digit read is part of it
# (the cut left a 3's top beside the rest of it). Ink between the first and
# the last digit read is left alone: there it is most often a separator the
# layout did not take for a mark, cut by the edge (7 such commas and points
# in the cut-out amounts of BENCHMARKS.md's fifty-fourth session, every one
# of them in a field read right).
EDGE_BESIDE = 0.03


def left_out_edge_reasons(
    shape: tuple[int, int],
    ink: StringInk | None,
    digits: Sequence[DigitResult],
    marks: Sequence[BBox] = (),
) -> list[str]:
    """A primitive of a string's ink (``ink``, placed on the page) that
    reaches the edge of the image (``shape``), not lying along it
    (``EDGE_ALONG``), is no part of a digit read (nor beside one, within
    ``EDGE_BESIDE``) nor a mark, lies before the first digit read or after
    the last, and stands ``EDGE_LEFT_OUT`` of the digits' height: an amount
    cut out inside its box, a cents digit written low and cut through by
    the box's bottom line, had its stub skipped, and `475` read `47`,
    `ok`."""
    if ink is None or not digits:
        return []
    H, W = shape
    g = max(1, int(round(EDGE_BESIDE * ink.digit_height)))
    taken = [BBox(b.x - g, b.y - g, b.w + 2 * g, b.h + 2 * g) for b in (d.bbox for d in digits)]
    taken.extend(marks)
    first = min(d.bbox.x + d.bbox.w / 2 for d in digits)
    last = max(d.bbox.x + d.bbox.w / 2 for d in digits)
    least = EDGE_LEFT_OUT * ink.digit_height
    for s in ink.segments:
        b = s.crop.bbox
        if s.end != s.start + 1 or max(b.w, b.h) < least:
            continue
        if first <= b.x + b.w / 2 <= last:
            continue
        level = b.y <= 0 or b.y + b.h >= H  # at the top or bottom edge
        side = b.x <= 0 or b.x + b.w >= W
        if not ((level and b.w < EDGE_ALONG * b.h) or (side and b.h < EDGE_ALONG * b.w)):
            continue
        if not any(b.iou(t) > 0 for t in taken):
            return ["ink at the edge of the image was left out (a digit cut off there?)"]
    return []


def _longest_dark_run(page: np.ndarray, y: int, x0: int, x1: int) -> int:
    """The longest run of ink on row ``y`` of ``page`` between x0 and x1: pixels
    darker than the row's Otsu threshold taken over the whole row, where the
    row holds both ink and paper (a darkness spread of at least 64 levels)."""
    import cv2

    row = np.ascontiguousarray(page[y : y + 1, :])
    if row.size == 0 or int(row.max()) - int(row.min()) < 64:
        return 0
    _, ink = cv2.threshold(row, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return max((b - a for a, b in runs(ink[0, max(0, x0) : max(0, x1)] > 0)), default=0)


def evidence_reasons(
    value: str, *, cells: int = 0, width: float = 0, height: float = 0
) -> list[str]:
    """What ``value`` breaks of its box's other evidence; empty when nothing.

    ``cells``: a comb's cell count (0 for a string box); ``width`` and
    ``height``: the box's size in pixels (0: unknown).
    """
    n = len(value)
    reasons = []
    if cells and n > cells:
        reasons.append(f"{n} digits read in a comb of {cells} cells")
    if width > 0 and height > 0 and n > capacity(width, height):
        reasons.append(f"{n} digits read in a box that holds at most {capacity(width, height)}")
    return reasons
