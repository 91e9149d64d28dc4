"""Is the page upside down? A sheet fed into the scanner the wrong way round.

Boxes look the same either way up, so the layout finds them on an upside-down
page, and both readers then read its digits turned: a 6 as a 9, a 3 as an 8,
a 1 as a 1. Such a reading can be sure of itself (the sample form turned half
a turn read `8038651` as `1598808` at 0.9989, `ok`). Both readers learnt
upright digits only, so a string box's line is read better the right way up:
the string reader's probability of its own reading, as the line lies and
turned half a turn, says which way up the page is.

``turn_gain`` reads the first lines of the page's string boxes turned (two,
or six where the two do not say the page is surely upright); with their
readings as they lie (which the page's reading needs anyway), it sums the
log-probabilities gained by turning. On 120 development pages (the
calibration writers' forms and dense pages, each read as drawn and turned
round), six lines gained at most -0.20 nats a line upright and at least +0.12
upside down. A line that reads as no digits either way (under ``VOTE_MIN``:
the handwritten name and city of a sample form's header) does not vote, and
the next lines are read in its place. Where the lines would turn a page whose
print stands as it lies, the two disagree: the page is read as it lies, every
field in review (``formocr.api``).

Where a page has fewer string lines than are read, its comb fields fill in,
each read as a line (``comb_line``: its digits where they were written, the
cells' walls left out). One digit's probability from the digit model barely
tells a turned 6 from an upright 9 (on the development pages the comb cells
overlapped), but the string reader on a comb's digits does: on 150
development pages, comb lines gained at most -0.12 nats a line upright (-0.61
in all) and mostly over +0.3 upside down (ad hoc, /tmp/s27/combgain.py). So a
page of comb boxes alone is checked too. Pages with fewer than MIN_LINES
lines are not turned: a cut-out amount, one line, can read a little better
turned when it reads poorly either way. But where those few lines read
DOUBT_NATS better turned (a cheque fed upside down shows one or two), the
page may be upside down, and every field goes to review
(``may_be_upside_down``). An amount that reads as surely upside down as
upright (`105` as `591`) is not caught so.

Where the lines cannot say surely (fewer than MIN_LINES in all, or more
that neither turn the page nor say it lies right, ``told_upright``; a
sideways page whose lines do not tell), the page's print may
(``print_way``): Latin print
stands on its baseline, so neighbouring printed characters end level at
their feet far more often than at their heads (x-height letters, capitals
and ascenders end at two or three heights), and upside down the reverse. A
cheque's bank name, labels and address say so; a page of capitals and
digits alone, or with no print (an amount cut out), cannot. The page is
then read as its print stands, in review still where its lines read
DOUBT_NATS better turned.

Where neither lines nor print tell which way up (an amount cut out of its
cheque: one line, no print), a string whose point or comma hangs at the top
of its digits, where an upside-down amount's separator lies
(``formocr.layout.digits``: a dot-shaped blob apart from the digits that
would be a separator were the string turned), goes to review. Where the
way up was told, such a blob is dirt or a piece of a digit, and counts for
nothing here.

A page fed sideways (a landscape form through a portrait feeder, a cheque
scanned standing up) loses most of its boxes: a string box stood on end is
taller than any box the layout takes. Its printed rules show it: on an
upright form or cheque the long rules run across the page, on a sideways
one up it (``sideways``). Such a page is read turned a quarter clockwise,
and its lines then say, as above (up to SIDEWAYS_LINES, no early stop),
whether it must be turned half a turn more. A page whose lines cannot say
(fewer than MIN_LINES, or too little gained either way) is read as its
print stands, or, with no print to say, the way its lines read better,
with every field in review: which way up it is was not told surely.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from formocr.read.combine import StringReader, StringReading
from formocr.stats import labelled
from formocr.types import BBox, FieldLayout

__all__ = [
    "FIRST_LINES",
    "LONG_RULE_IN",
    "MIN_RULES_IN",
    "SIDEWAYS_LINES",
    "SIDEWAYS_RATIO",
    "STANDING",
    "WIDE",
    "WIDE_IN",
    "MAX_LINES",
    "MIN_LINES",
    "DOUBT_NATS",
    "box_back",
    "comb_line",
    "may_be_upside_down",
    "may_lie_sideways",
    "quarter",
    "sideways",
    "SURE_UPRIGHT",
    "TURN_MEAN",
    "TURN_NATS",
    "VOTE_MIN",
    "surely_upright",
    "told_upright",
    "print_pairs",
    "print_way",
    "turn_gain",
    "turned",
    "upside_down",
    "wide_boxes",
]

# How many string lines are read turned (the first ones, in reading order):
# FIRST_LINES, then, unless they lost at least SURE_UPRIGHT nats by turning
# (most upright pages: 0.5 to 1.9 a line), up to MAX_LINES.
FIRST_LINES = 2
SURE_UPRIGHT = 1.0
MAX_LINES = 6
# A page lying sideways may be either way up (no prior for as it lies): up to
# SIDEWAYS_LINES are read, with no early stop. A development page of 28 short
# strings by a writer read poorly either way gained -0.18 nats over 6 lines
# upright, -4.2 over 12 (+3.65 upside down over 6).
SIDEWAYS_LINES = 12
# A page is read turned when turning gains at least TURN_NATS in all and
# TURN_MEAN a line: upright pages lost 0.20 a line or more, upside-down ones
# gained 0.12 or more (module doc). A page read turned must then lose at least
# TURN_NATS by turning back.
TURN_NATS = 0.5
TURN_MEAN = 0.05
# ... from at least MIN_LINES lines: an amount cut out of its cheque, one
# line, read poorly either way (separators, digits cut at the edge), was read
# turned and wrong (240 fresh cheques: 11 of 480 strips cut inside the box or
# tight round the writing, among them `4601` as `7094` at 0.991).
MIN_LINES = 3
# A page of fewer lines (a whole cheque: its amount, perhaps a date comb; an
# amount cut out: one) is never turned, but where they read DOUBT_NATS or
# more better turned, it may be upside down: every field goes to review. On
# the 120 development cheques (seed 99,000; /tmp/s27/chqgain.py), 0.25 nats
# caught 90 of the 120 whole cheques upside down and 87-95 of their cut-out
# amounts, at the cost of 2 upright whole cheques and 2-7 cut-outs; 0 nats,
# 100 and 108-115 at the cost of 5 and 5-14. A cheque whose amount reads the
# same either way (0, 1, 8) is not caught.
DOUBT_NATS = 0.25
# A probability floor, so that one unreadable line cannot decide alone.
FLOOR = 1e-12
# A line votes only where it reads as digits at VOTE_MIN or better one way or
# the other. The lines of 40 development pages read at 0.11 or better one way
# (720 lines, upright and upside down); the name and city boxes of a
# handwriting sample form's header, letters, at 0.0011 or worse either way,
# and they outvoted its digits (/tmp/s29/votes.py: +53 nats upright, -182
# upside down over 40 pages; 5 upright pages read as turned, 35 upside-down
# ones read as they lay).
VOTE_MIN = 0.01

# The page's print (``print_way``), at PRINT_DPI at most: characters
# PRINT_MIN_IN to PRINT_MAX_IN tall and at most PRINT_MAX_W_IN wide, as dark
# as PRINT_DARK of the page's darkest ink and PRINT_MIN_DARK grey levels (a security background's grey is
# not); a pair of neighbours sits side by side (overlapping at least
# PRINT_OVERLAP of the shorter's height, at most PRINT_GAP heights apart, at
# most PRINT_TALLER times taller one than the other); its feet or heads align
# within PRINT_TOL of the taller's height. The print tells when one way
# outnumbers the other PRINT_RATIO to 1 and at least PRINT_PAIRS pairs. On
# the first 24 development cheques (seed 99,000; every background, office and
# harsh scans) upright pages had 15 to 30 pairs aligned at the feet and 2 to
# 8 at the heads (ratio 2.5 or more), and turned half a turn the reverse; on
# 12 development forms, 18 to 89 against 6 to 16 (ad hoc,
# /tmp/s28/probe_*.py).
PRINT_DPI = 300.0
PRINT_MIN_IN = 0.05
PRINT_MAX_IN = 0.35
PRINT_MAX_W_IN = 0.45
PRINT_DARK = 0.45
PRINT_MIN_DARK = 40.0
PRINT_OVERLAP = 0.4
PRINT_GAP = 0.5
PRINT_TALLER = 2.5
PRINT_TOL = 0.1
PRINT_PAIRS = 8
PRINT_RATIO = 2.0
# On a page skewed this much or more (degrees, as the layout measured it)
# the print is deskewed first. Neighbours a height apart end a height x
# tan(skew) apart: under a third of PRINT_TOL below 2 degrees, but past it
# by 6 (the sample cheque turned 9 degrees was read upside down, its feet
# and heads alike out of line).
PRINT_DESKEW_DEG = 2.0


# A page may lie sideways when fewer than MIN_LINES of its boxes (strings or
# combs) are at least WIDE times wider than tall and WIDE_IN across (an
# upright form's boxes are; stood on end they are not found, and what is
# found instead is small: loops of digits, single cells, pieces of boxes). It
# does when its printed rules at least LONG_RULE_IN long run up the page
# SIDEWAYS_RATIO times more than across it, and at least MIN_RULES_IN inches
# of them. On 65 development pages, 3 dense pages and 14 whole cheques, and
# both samples, upright pages had at least 16 inches of such rules across and
# at most 4.9 up, and the same turned a quarter the reverse (ad hoc,
# /tmp/s27/side3.py).
WIDE = 2.0
WIDE_IN = 0.6
LONG_RULE_IN = 0.6
SIDEWAYS_RATIO = 3.0
MIN_RULES_IN = 4.0
# A strip (an amount cut out) standing at least this many times taller than
# wide lies sideways: amounts are written along the strip.
STANDING = 2.0


def turned(image: np.ndarray) -> np.ndarray:
    """``image`` turned half a turn."""
    return quarter(image, 2)


def quarter(image: np.ndarray, quarters: int) -> np.ndarray:
    """``image`` turned ``quarters`` quarter turns clockwise."""
    return np.ascontiguousarray(np.rot90(image, -(quarters % 4)))


def box_back(b: BBox, quarters: int, shape: tuple[int, int]) -> BBox:
    """A box of an image that is the image of ``shape`` (h, w) turned
    ``quarters`` quarter turns clockwise, in the pixels of that image."""
    h, w = shape[:2]
    q = quarters % 4
    if q == 1:
        return BBox(b.y, h - b.x - b.w, b.h, b.w)
    if q == 2:
        return BBox(w - b.x - b.w, h - b.y - b.h, b.w, b.h)
    if q == 3:
        return BBox(w - b.y - b.h, b.x, b.h, b.w)
    return b


def comb_line(f: FieldLayout) -> np.ndarray | None:
    """A comb field's digits where they were written, on paper the size of
    its box (its cells' walls left out): a line for the string reader, which
    tells a turned line better than the digit model tells a turned digit.
    None for a string field or a comb of fewer than two digits."""
    if f.kind != "comb" or len(f.digits) < 2:
        return None
    x0, y0, (h, w) = f.bbox.x, f.bbox.y, (f.bbox.h, f.bbox.w)
    line = np.full((h, w), 255, np.uint8)
    for d in f.digits:
        ch, cw = d.image.shape[:2]
        # The crop (the digit and a margin, from the deskewed page) centred on its box.
        top = d.bbox.y - y0 + (d.bbox.h - ch) // 2
        left = d.bbox.x - x0 + (d.bbox.w - cw) // 2
        ya, yb, xa, xb = max(0, top), min(h, top + ch), max(0, left), min(w, left + cw)
        if ya < yb and xa < xb:
            piece = d.image[ya - top : yb - top, xa - left : xb - left]
            np.minimum(line[ya:yb, xa:xb], piece, out=line[ya:yb, xa:xb])
    return line


def wide_boxes(layouts: Sequence[FieldLayout], dpi: float) -> int:
    """The boxes of ``layouts`` (on a page of ``dpi``), strings or combs, at
    least WIDE times wider than tall and WIDE_IN across."""
    return sum(f.bbox.w >= max(WIDE * f.bbox.h, WIDE_IN * dpi) for f in layouts)


def may_lie_sideways(layouts: Sequence[FieldLayout], dpi: float) -> bool:
    """Too few wide boxes for an upright page of boxes to write in: worth
    looking at the rules (``sideways``)."""
    return wide_boxes(layouts, dpi) < MIN_LINES


def sideways(image: np.ndarray, dpi: float | None) -> bool:
    """Do the page's long printed rules run up it rather than across?
    ``dpi`` None or 0: guessed from its size (``guess_dpi``). A strip
    (``page_kind``: an amount cut out of its cheque, whose rules may be a
    background's hatching) is judged by its shape alone: sideways when it
    stands STANDING times taller than wide, as no amount is written."""
    import cv2  # lazy, as the layout's: OpenCV loads only when a page is read

    from formocr.layout.lines import guess_dpi, line_masks, page_geometry, page_kind

    if page_kind(image.shape[:2]) == "strip":
        h, w = image.shape[:2]
        return h >= STANDING * w  # an amount cut out, stood on end
    geom = page_geometry(image, dpi or guess_dpi(image.shape[:2]), upright=True)
    wdpi = geom.work_dpi
    inches = []
    masks = line_masks(geom.work_dark, wdpi)
    for mask, along in zip(masks, (cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT), strict=True):
        # Each rule's extent along its way: a skewed rule is a staircase of
        # short runs, but one piece.
        extent = labelled(mask)[2][1:, along]
        inches.append(float(extent[extent >= LONG_RULE_IN * wdpi].sum()) / wdpi)
    across, up = inches
    return up >= MIN_RULES_IN and up >= SIDEWAYS_RATIO * across


def print_pairs(image: np.ndarray, dpi: float | None, skew: float = 0.0) -> tuple[int, int]:
    """(pairs of neighbouring characters of the page's print whose feet
    align and heads do not, pairs whose heads align and feet do not).

    Latin print stands on its baseline: letters of x-height, capitals and
    ascenders end level at their feet (only g, j, p, q, y and commas hang
    below), while their heads end at two or three heights. Upside down, the
    heads align. Handwriting in boxes, capitals alone and digits align both
    ways or neither and count for nothing. ``dpi`` None or 0: guessed from
    the image's size (``guess_dpi``); ``skew``: the page's, as the layout
    measured it (``FieldLayout.skew``; see PRINT_DESKEW_DEG)."""
    import cv2  # lazy, as the layout's

    from formocr.layout.ink import darkness
    from formocr.layout.lines import deskewing, guess_dpi

    dpi = dpi or guess_dpi(image.shape[:2])
    s = min(1.0, PRINT_DPI / dpi)
    if s < 1.0:
        image = cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    if abs(skew) >= PRINT_DESKEW_DEG:
        full, size = deskewing(image.shape[:2], skew)
        image = cv2.warpAffine(image, full[:2], size, flags=cv2.INTER_LINEAR, borderValue=255)
    d = dpi * s
    dark = darkness(image, d)
    level = max(PRINT_MIN_DARK, PRINT_DARK * float(np.percentile(dark, 99.7)))
    ink = (dark >= level).astype(np.uint8)
    stats = labelled(ink)[2][1:]
    x, y, w, h, area = (stats[:, k].astype(np.float64) for k in range(5))
    char = (h >= PRINT_MIN_IN * d) & (h <= PRINT_MAX_IN * d) & (w <= PRINT_MAX_W_IN * d)
    char &= area >= 0.12 * w * h  # not a thin arc of a background's pattern
    order = np.argsort(x[char], kind="stable")
    x, y, w, h = (v[char][order] for v in (x, y, w, h))
    right, foot = x + w, y + h
    feet = heads = 0
    for a in range(len(x)):
        # The nearest character to its right, side by side with it.
        lo, hi = np.searchsorted(x, (right[a] - 0.2 * h[a], right[a] + PRINT_GAP * h[a]))
        near = np.arange(lo, hi)
        near = near[near != a]
        if not len(near):
            continue
        shorter = np.minimum(h[near], h[a])
        side = (
            np.minimum(foot[near], foot[a]) - np.maximum(y[near], y[a]) >= PRINT_OVERLAP * shorter
        )
        if not side.any():
            continue
        b = near[side][np.argmin(x[near[side]])]
        tall = max(h[a], h[b])
        if tall > PRINT_TALLER * min(h[a], h[b]):
            continue
        tol = max(1.0, PRINT_TOL * tall)
        at_feet, at_heads = abs(foot[a] - foot[b]) <= tol, abs(y[a] - y[b]) <= tol
        feet += int(at_feet and not at_heads)
        heads += int(at_heads and not at_feet)
    return feet, heads


def print_way(image: np.ndarray, dpi: float | None, skew: float = 0.0) -> int:
    """Which way up the page's print stands (``print_pairs``): 1 upright,
    -1 upside down, 0 where it cannot tell (too little print, or none)."""
    feet, heads = print_pairs(image, dpi, skew)
    if feet >= PRINT_PAIRS and feet >= PRINT_RATIO * heads:
        return 1
    if heads >= PRINT_PAIRS and heads >= PRINT_RATIO * feet:
        return -1
    return 0


def turn_gain(
    lines: Sequence[np.ndarray],
    readings: Sequence[StringReading],
    reader: StringReader,
    sure: float = SURE_UPRIGHT,
    most: int = MAX_LINES,
) -> tuple[int, float]:
    """(lines that voted, nats gained by turning them): lines of ``lines``
    read turned, in order, against ``readings``, their readings as they lie,
    until FIRST_LINES have voted, then, where those did not lose ``sure``
    nats (surely upright), until ``most`` have. A line that reads as no
    digits either way (under VOTE_MIN as it lies and turned: a box of
    handwritten letters, a name) does not vote."""
    total = min(len(lines), len(readings))
    floor = math.log(VOTE_MIN)
    n, at, gain = 0, 0, 0.0
    for want in (min(FIRST_LINES, most), most):
        if gain <= -sure:
            break
        while n < want and at < total:
            upto = min(total, at + want - n)
            back = reader.read([turned(line) for line in lines[at:upto]])
            for a, b in zip(readings[at:upto], back, strict=True):
                la = math.log(max(float(a.confidence), FLOOR))
                lb = math.log(max(float(b.confidence), FLOOR))
                if max(la, lb) >= floor:
                    n, gain = n + 1, gain + lb - la
            at = upto
    return n, float(gain)


def upside_down(n: int, gain: float) -> bool:
    """Does turning ``n`` lines gain enough to read the page turned?"""
    return n >= MIN_LINES and gain >= TURN_NATS and gain / n >= TURN_MEAN


def may_be_upside_down(n: int, gain: float) -> bool:
    """Too few lines to turn the page (``upside_down``), but they read at
    least DOUBT_NATS better turned: a cheque, or an amount cut out, may have
    been fed upside down, so its fields go to review."""
    return 0 < n < MIN_LINES and gain >= DOUBT_NATS


def told_upright(n: int, gain: float, sure: float = SURE_UPRIGHT) -> bool:
    """Do ``n`` lines say the page lies right: surely (``surely_upright``),
    or losing ``sure`` nats by turning, however few?"""
    return (n > 0 and gain <= -sure) or surely_upright(n, gain)


def surely_upright(n: int, gain: float) -> bool:
    """Does turning ``n`` lines lose enough to say the page lies right?
    (``upside_down``'s rule the other way: a page lying sideways may be
    either way up.)"""
    return upside_down(n, -gain)
