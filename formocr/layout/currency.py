"""A currency sign written before an amount, told from a digit by its shape.

``is_currency_sign`` tells a dollar sign, ``is_euro_sign`` a euro sign (see
its doc; measured in BENCHMARKS.md, ninth session).

People write ``$1,250.00`` inside the amount box. The digit classifier has
no "not a digit" class, so the lattice would read the ``$`` as a 5, 6 or 8.
A dollar sign is an S with a bar through it, and its shape says so where no
digit's does:

- **a bar**: one straight stroke, near vertical (any slant a hand gives it),
  running over at least ``BAR_COVER`` of the sign's height;
- **sticking out**: at its top or at its foot only the bar's tip is ink, and
  the sign reaches above or below the other digits' band by ``BEYOND`` of
  their height;
- **an S round it**: ink on both sides of the bar at the S's top and at its
  foot, the upper bowl on the left of the bar and the lower bowl on its
  right, and the bar in the middle of the S, not at an edge (a 4's, 7's or
  9's stem has its strokes on one side).

Measured on the headline's 2,652 string boxes (no sign written: it takes 3
leading digits for signs, 0.11 %) and on 60 cheques with a hand-written sign
(``bench/cheques.py --hand-sign``): see BENCHMARKS.md. A sign taken for a
digit is the lattice's error to make; a digit taken for a sign would make
the value short by a digit, but the string reader reads the box's line as it
is, sign included, so such a field's two readings disagree and it goes to
review (``api._string`` then drops the sign: the string reader read it as a
digit).
"""

from __future__ import annotations

import cv2
import numpy as np

from formocr.layout.ink import pen_width
from formocr.stats import labelled

__all__ = ["is_currency_sign", "is_euro_sign"]

# The sign: at least this share of the digits' height, and no wider than tall.
MIN_HEIGHT = 0.8
MIN_WIDTH = 0.3
# Its bar covers this share of its height (within a pixel of a straight line).
BAR_COVER = 0.85
# The sign reaches this share of the digits' height beyond their band.
BEYOND = 0.1
# Slants tried for the bar (x shift per unit of height).
SLANTS = np.linspace(-0.4, 0.4, 17)
# The bar lies in this part of the sign's width.
BAR_WHERE = (0.25, 0.75)


def _straightened(mask: np.ndarray) -> tuple[np.ndarray, int, float]:
    """The mask sheared so that its straightest near-vertical stroke stands
    upright, that stroke's column, and the rows it covers."""
    h = mask.shape[0]
    pad = int(0.45 * h) + 1
    wide = cv2.copyMakeBorder(mask, 0, 0, pad, pad, cv2.BORDER_CONSTANT, value=0)
    width = wide.shape[1]
    one_px = np.ones((1, 3), np.uint8)
    best: tuple[float, int, np.ndarray] | None = None
    for s in SLANTS:
        shear = np.array([[1.0, s, -s * h / 2], [0.0, 1.0, 0.0]], np.float32)
        st = np.asarray(cv2.warpAffine(wide, shear, (width, h), flags=cv2.INTER_NEAREST))
        cover = cv2.dilate(st, one_px).sum(0)
        x = int(np.argmax(cover))
        end = x
        while end + 1 < width and cover[end + 1] == cover[x]:
            end += 1
        if best is None or cover[x] > best[0]:
            best = (float(cover[x]), (x + end) // 2, st)
    assert best is not None
    return best[2], best[1], best[0]


def is_currency_sign(mask: np.ndarray, y: int, top: float, base: float) -> bool:
    """Is this blob (uint8 0/1 ``mask``, its top row at ``y``) a dollar sign,
    among digits whose band runs from row ``top`` to ``base``?"""
    h, w = mask.shape
    band = max(1.0, base - top)
    if h < MIN_HEIGHT * band or not MIN_WIDTH * h <= w <= h:
        return False
    if not (y <= top - BEYOND * band or y + h >= base + BEYOND * band):
        return False
    st, bar, cover = _straightened(mask)
    if cover < BAR_COVER * h:
        return False
    reach = int(pen_width(mask) or 1.0) // 2 + 2
    left: np.ndarray = np.asarray(st[:, : max(0, bar - reach)].any(1))
    right: np.ndarray = np.asarray(st[:, bar + reach + 1 :].any(1))
    side = left | right
    tip = max(2, int(0.05 * h))
    if side[:tip].any() and side[-tip:].any():
        return False  # no bare tip of a bar at either end
    rows = np.flatnonzero(side)
    cols = np.flatnonzero(st.any(0))
    if (
        len(rows) < 4
        or not BAR_WHERE[0] <= (bar - cols[0]) / max(1, cols[-1] - cols[0]) <= BAR_WHERE[1]
    ):
        return False
    s0, s1 = int(rows[0]), int(rows[-1]) + 1
    span = s1 - s0
    third = max(1, span // 3)
    both = left & right
    if not (both[s0 : s0 + third].any() and both[s1 - third : s1].any()):
        return False
    left_only, right_only = left & ~right, right & ~left
    upper = slice(s0 + int(0.2 * span), s0 + int(0.45 * span) + 1)
    lower = slice(s0 + int(0.55 * span), s0 + int(0.8 * span) + 1)
    upper_left = int(left_only[upper].sum()) > max(1, int(right_only[upper].sum()))
    lower_right = int(right_only[lower].sum()) > max(1, int(left_only[lower].sum()))
    return upper_left and lower_right


# A euro sign: about as tall as the digits, no wider than EURO_WIDE x tall.
EURO_TALL = (0.6, 1.4)
EURO_WIDE = 1.2
# Its bars' tips alone reach into the leftmost EURO_TIPS of its width...
EURO_TIPS = 0.12
# ... within the middle of its height (EURO_MIDDLE), over at most EURO_BARS
# of its rows; the C's left side lies within EURO_ARC of its width at its
# top and foot.
EURO_MIDDLE = (0.2, 0.8)
EURO_BARS = 0.35
EURO_ARC = (0.1, 0.4)
# Bold bars run together into one band across the middle (two bars and the
# rows between) that can reach into the rows where the C's left side is
# looked for: a bold euro went as an 8 (`€65,57` read `86557`, `ok`; a
# black-and-white cheque at 200 dpi). Those rows are the bars', not the
# C's; without them the C stands at least EURO_ARC_BOLD of the width in
# (0.21-0.25 on such euros; bold broad-marker 0s and 1s of the headline's
# pages, whose ragged left sides make such a band, 0.10-0.15). A digit's
# tips away from its middle (an 8's lower bowl) still count.
EURO_ARC_BOLD = 0.18
# Its top and its foot each span at least this share of its width, and
# between them, away from its bars, its ink keeps left of EURO_OPEN of it.
EURO_ARMS = 0.4
EURO_OPEN = 0.6
# Its bars are rows across EURO_BARS_LONG of its width that begin within
# EURO_BAR_LEFT of its left: a bar reaches left past the C. A bold digit's
# rows run as long across its bowl, from its middle (six bold broad-marker
# 5s and 8s of the headline's 120 pages passed for euros so, three still do).
EURO_BARS_LONG = 0.4
EURO_BAR_LEFT = 0.25


# Pieces of a blob under this share of its ink are specks (a black-and-
# white scan's noise, grouped with the sign it lies beside), not its shape.
SPECK_SHARE = 0.02


def _without_specks(mask: np.ndarray) -> np.ndarray:
    """``mask`` (0/1) without its pieces under SPECK_SHARE of its ink, cut
    to what is left: specks beside a bold euro scanned black and white at
    200 dpi reached its left edge below its bars and it went as a 6 (`€382
    083,28` read `638208328`, `ok`)."""
    n, labels, stats = labelled(mask.astype(np.uint8))
    if n <= 2:
        return mask
    least = SPECK_SHARE * float(stats[1:, cv2.CC_STAT_AREA].sum())
    keep = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= least)
    kept = np.isin(labels, keep[keep > 0]).astype(mask.dtype)
    x, y, w, h = cv2.boundingRect(kept)
    return kept[y : y + h, x : x + w] if w and h else mask


def _bars(mask: np.ndarray) -> np.ndarray:
    """The rows of a euro-like blob (``mask``, 0/1) that may be its bars:
    across EURO_BARS_LONG of its width, beginning within EURO_BAR_LEFT of
    its left."""
    w = mask.shape[1]
    long_rows = mask.sum(1) >= EURO_BARS_LONG * w
    starts = np.where(mask.any(1), np.argmax(mask, axis=1), w)
    return np.flatnonzero(long_rows & (starts <= EURO_BAR_LEFT * w))


def is_euro_sign(mask: np.ndarray, top: float, base: float) -> bool:
    """Is this blob (uint8 0/1 ``mask``) a euro sign, among digits whose band
    runs from row ``top`` to ``base``?

    A hand-written euro is a C with one or two bars across its middle that
    reach left past it. No digit has its leftmost ink in short horizontal
    tips in the middle of its height with a curve above and below standing
    further right, and arms across its top and its foot: a 6's, 8's or 0's
    left side runs down most of its height, a 2's, 3's and 5's ends reach
    the left at top or foot, a flagged 1's or 7's flag is at its top, a 4's
    and a 9's foot is a stem's end.
    """
    mask = _without_specks(mask)
    h, w = mask.shape
    band = max(1.0, base - top)
    if not EURO_TALL[0] * band <= h <= EURO_TALL[1] * band or not 0.35 * h <= w <= EURO_WIDE * h:
        return False
    tips = np.flatnonzero(mask[:, : max(1, int(EURO_TIPS * w))].any(1))
    if not tips.size or tips[0] < EURO_MIDDLE[0] * h or tips[-1] > EURO_MIDDLE[1] * h:
        return False
    if tips.size > EURO_BARS * h:
        return False
    # The bar crosses the C: from the tips to past the middle of the width.
    if not any(mask[r, : int(0.45 * w) + 1].sum() >= 0.35 * w for r in tips):
        return False
    cols = np.arange(w)
    # The C opens to the right: between its arms, away from the bars, its
    # ink keeps to the left (a 3's waist, a 5's bowl and a 4's stem reach
    # right there).
    near = max(2, int(0.08 * h))
    bars = _bars(mask)
    if not bars.size:
        return False
    for r in range(int(0.3 * h), int(0.7 * h) + 1):
        if np.abs(bars - r).min() > near:
            ink = np.flatnonzero(mask[r])
            if ink.size and ink[-1] > EURO_OPEN * w:
                return False
    # The C's arms: its top and its foot each run across much of its width
    # (a 4's or a 9's foot is a stem's end).
    for a, b in ((0.0, 0.15), (0.85, 1.0)):
        span = cols[mask[int(a * h) : max(int(a * h) + 1, int(b * h))].any(0)]
        if not span.size or span[-1] - span[0] < EURO_ARMS * w:
            return False
    # The C's left side at its top and foot; where it is not found there,
    # again without the rows of the tips' run across its middle, and then
    # EURO_ARC_BOLD of the width in at least.
    run = np.split(tips, np.flatnonzero(np.diff(tips) > near) + 1)
    merged = next((r for r in run if r[0] <= h // 2 <= r[-1]), tips[:0])
    for a, b in ((0.1, 0.3), (0.7, 0.9)):
        rows = np.arange(int(a * h), int(b * h) + 1)
        span = cols[mask[rows].any(0)]
        if span.size and EURO_ARC[0] * w <= span[0] <= EURO_ARC[1] * w:
            continue
        span = cols[mask[np.setdiff1d(rows, merged)].any(0)]
        if not span.size or not EURO_ARC_BOLD * w <= span[0] <= EURO_ARC[1] * w:
            return False
    return True
