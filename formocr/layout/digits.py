"""Inside one printed box, at full resolution: the ink and one crop per digit.

``analyse_box`` gets a deskewed cut-out of the page around a box found by
``layout_lines``, lets ``layout_frame`` pin the frame down and decide comb or
string, whites the frame out and cuts a crop per comb cell. Digit strings
are finished in a second pass (``split_blobs``): how wide a digit is depends
on the writer, so touching digits are split against a width measured over the
whole page (``writer_aspect``), not a fixed guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from formocr.layout.currency import is_currency_sign, is_euro_sign
from formocr.layout.frame import (
    LINE_COVER,
    MARK_DARK,
    MIN_PITCH,
    fit_grid,
    refine_interior,
    vertical_marks,
    white_dividers,
)
from formocr.layout.guards import LEAD_TALL, STAR_TALL, is_guard, is_star
from formocr.layout.ink import Component, components, darkness, pen_width
from formocr.layout.printed import print_alone, printed_lead
from formocr.read.normalize import open_line
from formocr.stats import hist_median, labelled, median, median_int, percentile
from formocr.types import GUARD_MARKS, BBox, DigitCrop, MarkChar, Segment, StringInk

# Ink is at least this much darker than the paper (bounds on Otsu).
INK_DARK = (20, 60)
# ``_solid``: a pixel this much darker than the paper (grey levels) is ink
# however wide its stroke; the paper is the cut's PAPER_SHARE-th percentile.
SOLID_DARK = 110
PAPER_SHARE = 0.75
SOLID_IN = 0.025
# ``_crosses_in``: the part inside of writing left out across the frame
# must stand this share of the box's height.
CROSS_IN = 0.1
# Ink smaller than this share of the interior height (in both directions) is
# a speck, not a digit; so is anything under SPECK_IN inches square.
MIN_INK = 0.2
SPECK_IN = 0.012
# The thinnest pen stroke, inches (0.2 mm).
STROKE_IN = 0.008
# A comb cell holds a digit only if its ink, its pieces together, stands
# this share of its height (``BoxLayout.pieced`` where no piece does alone).
CELL_INK = 0.3
# A comb cell's digit under NARROW of its height wide (a 1, or what is left
# of a digit whose loop or bar broke up) with pieces of ink beside it too
# small to be read, level with it and within half its height of it, that
# hold LEFT_OUT of its own ink or more: the rest of a digit the scan broke
# into specks (``BoxLayout.scraps``). A harsh scan on guilloche left a 9's
# thin loop as three specks, and its stem was read `1`, `ok` at 0.9996
# (BENCHMARKS.md, fifty-third session); it measured 0.097. A harsh scan's
# hatch left specks beside right 1s of 0.063 and 0.070 (`ok`).
NARROW = 0.45
LEFT_OUT = 0.08
# A cell with no such ink is empty; but ink there that spreads at least
# UNREAD_INK of the height both ways is more than a stroke spilling
# over from the next cell or dirt: a digit written small, or broken into
# pieces by a faint pen. It is not read, and the field asks
# (``BoxLayout.unread``): read without it, ``8484`` came out ``484`` and
# ``527831`` ``2781``, both `ok`. The pieces count together, for both
# tests: a 5 of three flat strokes, none a fifth of the cell tall, left
# ``53514`` read ``5314``, and a 1 broken in two by a pen that skipped,
# ``10294`` read ``0294``, both `ok` (BENCHMARKS.md, forty-first session).
UNREAD_INK = 0.2
# A mark FAINT_DARK or more darker than the paper, and over the noise of
# the paper round the box, but lighter than the ink threshold: what of it
# lies FAINT_CLEAR_IN (inches) or more from the ink and is left once thinned
# by FAINT_RIM_IN each side (the soft rims of lines and strokes on a blurred
# scan go), within the box's interior, at least FAINT_TALL and at most
# FAINT_OVER x the box's height tall, no wider than FAINT_WIDE x that
# height and, unless a bar under FAINT_BAR as wide as tall (a 1), covering
# at most FAINT_FILL of its bounding box (strokes, not a shadow), and not
# such a bar rising from the box's top or foot with FAINT_LINE or more of
# it on the box's vertical lines (a light printed divider or tick). In a comb cell
# read as empty or beside a string's digits, it is a digit written light,
# an erased one, or writing showing through from the back. It is not
# read, and the field asks (``BoxLayout.faint``): a 7 at grey 190 on paper
# 245 beside black digits left ``7484`` read ``484``, `ok` at 1.0. A light
# 1 thinned to a short thick bar, 0.27 as wide as tall, was taken for a
# shadow at 0.25: `10` cut inside its box on a dot screen read `0`, `ok`
# (BENCHMARKS.md, fifty-ninth session).
FAINT_DARK = 12
FAINT_TALL = 0.3
FAINT_OVER = 1.3
FAINT_WIDE = 2.0
FAINT_FILL = 0.6
FAINT_BAR = 0.3
FAINT_CLEAR_IN = 0.005
FAINT_RIM_IN = 0.007
FAINT_LINE = 0.8
# A light digit on a noisy scan or a printed background is looked for again
# in the darkness smoothed by FAINT_SOFT_IN (inches, a stroke's width): the
# noise falls further than a stroke's darkness (``_faint``), FAINT_HALO
# sigmas of that smoothing further from the ink.
FAINT_SOFT_IN = 0.007
FAINT_HALO = 1.5
# On a printed background or a noisy scan, a light digit is looked for too
# in the darkness opened (eroded, then dilated) by a disc FAINT_OPEN of the
# writing's pen wide: a pen's strokes stay, a security print's lines and
# dots and the scan's specks go. A digit as light as a guilloche's lines
# (grey 195 beside digits at 40: ``9765`` read ``765``) drowned in the
# smoothed levels, the pattern smoothed in with it, and 8 of 51 light-pen
# cheques read `ok` were wrong so (BENCHMARKS.md, fifty-eighth session).
# In a strip (an amount cut inside its box), on plain paper scanned quietly
# too, where no other level is looked at: a light first 9 against the next
# digit left `9000` read `000`, `ok` (fifty-ninth session).
FAINT_OPEN = 0.6
# On a quiet scan (the paper's noise under FAINT_DARK, which then sets the
# faint level) a light digit can be lighter than FAINT_DARK: it is looked
# for again smoothed by FAINT_COARSE x FAINT_SOFT_IN, against the paper's
# noise so smoothed round the box and in it, FAINT_COARSE_DARK at least (at
# 6, blotches of a colour form's paper noise, 7 levels so smoothed, were
# marks). A broad light digit 8 grey levels under the paper of a form
# scanned harsh (its noise 10-11 levels, specks and all) was lost, and its
# comb `ok`: `444` read `44` (BENCHMARKS.md, fiftieth session). On a noisy
# scan off any printed background the darkness is so smoothed too, beside
# its smoothing over a stroke's width: a grainy scan's noise, blotches of a
# few pixels, falls little over a stroke's width, and light digits under it
# left `3928` read `98` and `53059` `359`, `ok` (BENCHMARKS.md, fifty-ninth
# session).
FAINT_COARSE = 2.0
FAINT_COARSE_DARK = 8
# ... there, FAINT_COARSE_RISE at least over the paper's median so smoothed:
# a hatch taken for a scan's noise is one even grey so smoothed, whose
# spread is nothing, and its pixels a level over its median made marks (2
# right amounts of 240 development cheques sent to review).
FAINT_COARSE_RISE = 6
# A faint mark is under a digit written over it where that ink is at least
# UNDER_TALL x the mark's height.
UNDER_TALL = 0.8
# Ink this share of the interior height above or below a box still counts,
# for digits that cross the frame.
OUTSIDE = 0.3
# In an image cut inside its box, what is left of a frame line covers at
# least this share of its edge; a digit's stroke near the edge covers less.
STRIP_LINE = 0.85
# Pieces of one digit less than this far apart (inches) are grouped.
BRIDGE_IN = 0.005
# Touching digits: a blob wider than SPLIT x the writer's digit width is
# cut in round(width / (PITCH x digit width)) parts. On the synthetic writers
# single digits stay under 1.35x their writer's median width (99 %). Touching
# digits sit 0.9 digit widths apart when they overlap as most do, 1.0 when
# they merely touch; with 0.95 neither miscounts a run of up to nine digits.
SPLIT = 1.5
PITCH = 0.95
# Width / height of a digit (not a 1) when the page gives no measure.
ASPECT = 0.62
# A separator is under this share of the digits' height (a comma with its tail).
MARK_H = 0.6
# A point or comma at the top of a string's digits (``_find_marks``'s
# ``raised``) is dot-shaped (``_dot``).
RAISED_FLAT = 1.3
# An apostrophe grouping thousands ("1'250.50") is a tick: at least TICK
# times taller than wide. A point turned upside down is round.
TICK = 1.4
# Cleaning a string box: strokes thinner than THIN x the writing's pen, or
# fainter than FAINT x its darkness, are printing (backgrounds, baselines),
# not ink; so is a horizontal run longer than RULE x the box's height.
THIN = 0.45
FAINT = 0.45
RULE = 1.5
# A printed background: at least BG_COVER of the paper round a box is marked
# (MARK_DARK or darker); its level is the BG_LEVEL percentile of the marks.
BG_COVER = 0.05
BG_LEVEL = 95
BG_INK = 0.4
# In an image cut inside its box, the paper this far (inches) from the
# writing is where a background pattern is measured, and its level is this
# percentile of the marks there (lower than BG_LEVEL: the paper beside the
# writing holds the writing's faint edges too, and a hatch's or a
# microtext's level at the 95th took strokes of the digits with it).
STRIP_CLEAR_IN = 0.02
STRIP_BG_LEVEL = 85
# Over-segmentation (primitives for formocr.read.lattice): ink wider than
# CUT_FROM x the digit height (and CUT_WIDE x the string's typical digit
# width) is cut at candidate places, never closer than CUT_APART x the
# height (and CUT_APART_W x the typical width: a wide 0 in no more than
# RUN pieces) to each other or to its ends; a cut crossing more
# than CUT_MAX pen widths of ink is no cut. A candidate digit is a run of at
# most RUN primitives, no wider than RUN_W x the digit height, with no gap
# wider than RUN_GAP x the height inside it (pieces of one digit apart are
# merged before: a 5's lifted bar).
CUT_FROM = 0.55
CUT_WIDE = 1.15  # ... and than CUT_WIDE x the string's typical digit width
CUT_APART = 0.18
CUT_APART_W = 0.4  # ... and CUT_APART_W x the string's typical digit width
CUT_MAX = 4.0
RUN = 3
RUN_W = 1.3
RUN_GAP = 0.08
# A digit written light on a printed background, as grey as the pattern's
# lines, is taken off with the pattern's level, and the faint marks' test
# cannot tell what is left of it from the pattern (``_faint``): in a string
# box its only trace is the room it leaves; so in a strip cut inside its
# box, where that test does not look (``analyse_box``). Paper between two
# digits' ink GAP_ROOM of the digits' height wide or more (no separator,
# guard or sign in it) is such a gap (``BoxLayout.gaps``); the field asks
# unless a group of three digits follows it ("1 250":
# ``read.combine.gap_reasons``).
# Light-pen cheques (``bench/cheques.py --pen light``, development): 6 of
# 13 `ok` whole amounts wrong so (6 of 14 cut out); no right field moved on
# the development, fresh, light-scan and black-and-white cheques (a gap
# measured between the digits' boxes as read, narrower than their ink on
# a light scan, sent right ones to review: BENCHMARKS.md, forty-ninth
# session).
GAP_ROOM = 1.0
# A gap may lie between a digit and a point, a comma, an apostrophe or a
# guard found at both ends of the amount too (writers put them close to the
# digits: `581,43` with its 8 and 1 written light read `5,43`, and
# `**9159**` with its first 9 light read `159`), not beside a closing dash
# or "=", a sign, a line drawn after the amount, which writers set apart,
# nor a guard at one end only (a printed "$" so taken was set apart).
GAP_SEPARATORS = ".,'"
# A comb cell read as empty between written ones, on a printed background,
# is looked at CELL_PAD of its width in from its sides: where CELL_MARKED or
# more of it is as dark as a mark (MARK_DARK), the pattern, or a light digit
# on it, is there (``skips_a_cell``). Measured (development): such cells on
# the light-pen cheques' patterns 0.019-0.61; blank cells of combs whose
# background level came from a fax's bold lines, or on plain paper, 0.007
# at most.
CELL_PAD = 0.15
CELL_MARKED = 0.01
# ... nor wider than RUN_WIDE x the string's typical digit width (the
# lattice lets a 0 be 1.3 x its width bound, itself up to 1.3 x the typical
# width: at 1.8, a round amount's widest zeros were no candidate at all).
RUN_WIDE = 2.4
# Nats: a cut, for each stroke it crosses (a join between two digits is
# one, a 0 cut in half two), and for each pen width it runs along ink past
# CROSS pen widths a stroke; leaving out a primitive as tall as the digits
# (shorter ones cost less); one digit made of two strokes written apart,
# each over JOIN_TALL x the digits' height (a 1 beside a 3).
CUT_NATS = 4.0
CUT_ALONG = 2.0
CROSS = 1.5
SKIP_NATS = 8.0
JOIN_NATS = 3.0
JOIN_TALL = 0.6
# Ink narrower than a cut is made for, no wider than TWO_ONES_WIDE of its
# height, is cut once between two strokes standing side by side in at least
# SIDE_CUT of its rows (``side_by_side``; pairs of 1s cut apart on pages of
# MNIST validation writers: 0.44 and up), where the cut crosses one stroke
# at most and leaves ink in TWO_ONES_TALL of the rows on each side (two 1s;
# not a 2's arc, a 4's arm or a 9's loop).
SIDE_CUT = 0.4
TWO_ONES_TALL = 0.8
TWO_ONES_WIDE = 0.75
# A loop counts when the paper it encloses is at least this share of the
# digits' height squared.
HOLE_AREA = 0.01


@dataclass(frozen=True)
class Digit:
    """One digit: its ink box (x, y, w, h in box coordinates) and a
    greyscale crop of it with a small margin."""

    bbox: tuple[int, int, int, int]
    image: np.ndarray


@dataclass(frozen=True)
class Blob:
    """The ink of one digit or of touching digits, before splitting."""

    x: int
    y: int
    mask: np.ndarray  # uint8 0/1

    @property
    def w(self) -> int:
        return int(self.mask.shape[1])

    @property
    def h(self) -> int:
        return int(self.mask.shape[0])


@dataclass(frozen=True)
class MarkInk:
    """A separator written in a string box: box coordinates, its character,
    and how many of the box's digits come before it."""

    bbox: tuple[int, int, int, int]
    char: MarkChar
    position: int


@dataclass(frozen=True)
class BoxLayout:
    """What one box holds. A string box's ``blobs`` still await splitting."""

    kind: str  # "comb" or "string"
    cells: int
    interior: tuple[int, int, int, int]  # x0, y0, x1, y1 in box coordinates
    outer: tuple[int, int, int, int]  # the frame's outer edge, likewise
    digits: tuple[Digit, ...] = ()
    blobs: tuple[Blob, ...] = ()
    paper: np.ndarray | None = None  # the cut-out with the frame whited out
    margin: int = 2
    # (w, h) of ink that is surely one digit: comb cells.
    singles: tuple[tuple[int, int], ...] = ()
    # A string box's ink too small for a digit: separators, or dirt.
    specks: tuple[Blob, ...] = ()
    marks: tuple[MarkInk, ...] = ()
    # A comb's cell edges: the interior's sides and the dividers between.
    edges: tuple[float, ...] = ()
    # A string box's ink over-segmented for the lattice (box coordinates).
    ink: StringInk | None = None
    # A string box's digits as the width rule cuts them, before their crops
    # are made (split_blobs(..., crops=False); ``cut_crops`` makes them).
    parts: tuple[Blob, ...] = ()
    # Writing that crosses the frame and was left out as lying mostly
    # outside (``_crosses_in``): what was read may lack a digit.
    crossed: bool = False
    # A comb cell left empty holds ink that may be a digit (UNREAD_INK).
    unread: bool = False
    # A comb cell's digit was read from pieces, none CELL_INK of its height.
    pieced: bool = False
    # A comb cell's narrow digit has specks of ink beside it (LEFT_OUT).
    scraps: bool = False
    # A point or comma hangs at the top of a string's digits (``_find_marks``).
    raised: bool = False
    # A stroke half the box tall or more was taken away from a string's
    # box as a hairline or tint by ``clean_string_ink`` (``_thinned_away``):
    # a slash, or a digit written light or with a finer pen?
    thinned: bool = False
    # A mark like a digit, lighter than the ink threshold, in a comb cell
    # read as empty or beside a string's digits (FAINT_DARK, ``_faint``).
    faint: bool = False
    # A stroke along a printed line may have been whited out with it: a
    # left or right side found much thicker than the thinnest
    # (``Pinned.thick``: a 1 written against it), or a comb's cells made of
    # its clearly printed lines, unevenly spaced, two of them closer than
    # any cell (MIN_PITCH of its height: a double wall, or a bold stroke
    # beside a line).
    along: bool = False
    # The box is printed on a background (a security print, a tint) whose
    # level was taken off its darkness before the ink was found.
    patterned: bool = False
    # The paper's noise round the box sets its faint level (over FAINT_DARK):
    # a digit written light can go under the ink threshold with the noise.
    noisy: bool = False
    # A comb on a printed background has a cell read as empty between two
    # read as digits (``skips_a_cell``): a digit may be missing.
    skipped: bool = False
    # An image cut inside its box (``analyse_box``'s ``strip``): the faint
    # marks' test looks in it for the pen's strokes only.
    strip: bool = False
    # A string box on a printed background, a noisy one, or a strip:
    # rectangles (x, y, w, h, box coordinates, the interior's height) of
    # paper GAP_ROOM of the digits' height wide or more between two digits'
    # ink, or a digit's and a point's, comma's or guard's (``_wide_gaps``).
    gaps: tuple[tuple[int, int, int, int], ...] = ()


def skips_a_cell(filled: Iterable[int], marked: Iterable[int]) -> bool:
    """Does a cell read as empty whose paper is marked (``marked``: their
    indices) lie between two cells read as digits (``filled``)?

    On a printed background a digit written light, as grey as the
    pattern's lines, is taken off with the pattern's level, and the faint
    marks' test (``_faint``) cannot tell it from the pattern: the cell it
    leaves empty is its only trace (light-pen cheques: 13 of 19 `ok` date
    combs were wrong so, BENCHMARKS.md, forty-ninth session). On plain paper
    a comb's cell may be left empty as written (the forms of the headline
    leave 15 % of them so), and the faint marks' test looks at it; so may a
    cell of a comb whose background level came from something else round
    it (a fax's bold lines and labels), and there it is blank.
    """
    cells = sorted(set(filled))
    return bool(cells) and any(cells[0] < k < cells[-1] for k in marked)


def _marked_cells(
    raw: np.ndarray,
    interior: tuple[int, int, int, int],
    edges: Sequence[float],
    empty: Iterable[int],
) -> list[int]:
    """The ``empty`` cells (indices between ``edges``) whose paper, CELL_PAD of
    the cell in from its sides, is CELL_MARKED or more covered by darkness
    MARK_DARK or more in ``raw`` (before a background's level is taken off):
    a pattern, or a light digit on it; a blank cell is not."""
    _, y0, _, y1 = interior
    out = []
    for k in empty:
        a, b = edges[k], edges[k + 1]
        pad = CELL_PAD * (b - a)
        cell = raw[y0 + int(pad) : y1 - int(pad), int(a + pad) : int(math.ceil(b - pad))]
        if cell.size and cv2.countNonZero(_at_least(cell, MARK_DARK)) >= CELL_MARKED * cell.size:
            out.append(k)
    return out


def ink_mask(dark: np.ndarray) -> np.ndarray:
    """Ink (uint8 0/1) of a box cut-out's darkness: Otsu, kept within bounds.

    The bounds keep faint pencil (Otsu splits it from the darker print) and
    stop noise on a blank box (Otsu then splits the noise).
    """
    t, _ = cv2.threshold(dark, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    t = min(max(t, INK_DARK[0]), INK_DARK[1])
    return _at_least(dark, t)


def _at_least(img: np.ndarray, t: float) -> np.ndarray:
    """``(img >= t).astype(np.uint8)`` of a uint8 image, by ``cv2.threshold``:
    a grey level is at least ``t`` when it is over ``ceil(t) - 1``."""
    k = math.ceil(t) - 1
    if k < 0:
        return np.ones(img.shape, np.uint8)
    if k >= 255:
        return np.zeros(img.shape, np.uint8)
    return np.asarray(cv2.threshold(img, k, 1, cv2.THRESH_BINARY)[1], np.uint8)


def outside_ring(img: np.ndarray, interior: tuple[int, int, int, int], ring: int) -> np.ndarray:
    """The pixels of a cut-out ``ring`` px and more outside ``interior``, in
    row order: rows above, the sides of the rows beside, rows below (what
    ``img[outside]`` of a boolean mask gives). The paper round the box."""
    x0, y0, x1, y1 = interior
    H, W = img.shape
    ry0, ry1 = max(0, y0 - ring), max(0, min(H, y1 + ring))
    rx0, rx1 = max(0, x0 - ring), max(0, min(W, x1 + ring))
    if min(x0, y0, ring) < 0:  # (slices counted from the end): the mask itself
        mask = np.ones(img.shape, bool)
        mask[max(0, y0 - ring) : y1 + ring, max(0, x0 - ring) : x1 + ring] = False
        return np.asarray(img[mask])
    if ry1 <= ry0 or rx1 <= rx0:  # no ring on the cut-out: all of it
        return img.ravel()
    sides = np.concatenate((img[ry0:ry1, :rx0], img[ry0:ry1, rx1:]), axis=1)
    return np.concatenate((img[:ry0].ravel(), sides.ravel(), img[ry1:].ravel()))


def background_level(
    dark: np.ndarray,
    interior: tuple[int, int, int, int],
    ring: int,
    ignore: np.ndarray | None = None,
) -> int:
    """How dark a printed background pattern round the box is (0: plain paper).

    A cheque's security print (guilloche, hatch, a dot screen, microtext)
    covers the paper round its amount box; plain paper, even with labels
    printed near the box or heavy scan noise, leaves nearly all of it blank.
    Where at least BG_COVER of the paper round the box is visibly marked
    (MARK_DARK), the pattern's level is the BG_LEVEL percentile (the lower
    value) of those marks: most of it, not the few darker pixels of a printed label.
    Where ``ignore`` (a mask the size of ``dark``) is set, the box's ink is
    not the writing's (print in the box) and sets no cap (``_pattern_level``).
    """
    x0, y0, x1, y1 = interior
    # The marks round the box, counted as all the cut-out's less those within
    # the ring (one pass each, no copy): most boxes stop here.
    H, W = dark.shape
    ry0, ry1 = min(H, max(0, y0 - ring)), min(H, max(0, y1 + ring))
    rx0, rx1 = min(W, max(0, x0 - ring)), min(W, max(0, x1 + ring))
    around = dark.size - (ry1 - ry0) * (rx1 - rx0)
    if around < 50:
        return 0
    marks = _at_least(dark, MARK_DARK)
    n = cv2.countNonZero(marks) - cv2.countNonZero(marks[ry0:ry1, rx0:rx1])
    if n < BG_COVER * around:
        return 0
    sample = outside_ring(dark, interior, ring)
    inner = dark[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
    if ignore is not None:
        inner = inner[ignore[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] == 0]
    return _pattern_level(sample[sample >= MARK_DARK], inner, BG_LEVEL)


def _pattern_level(marked: np.ndarray, inner: np.ndarray, q: float) -> int:
    """A pattern's level: the ``q`` percentile of its ``marked`` pixels
    (MARK_DARK or darker), never over BG_INK of the darkest ink of the
    box's ``inner`` darkness (0 for an empty box)."""
    if not inner.size:
        return 0
    return min(_hist_percentile(marked, q), int(BG_INK * _hist_percentile(inner.ravel(), 99.5)))


def strip_background_level(
    dark: np.ndarray, interior: tuple[int, int, int, int], dpi: float
) -> int:
    """``background_level`` of an image cut inside its box, which has no
    paper round the box: the pattern is measured on the interior's paper
    away from the writing (the ink over Otsu's split and STRIP_CLEAR_IN
    round it).
    Plain paper leaves nearly none of that marked; a security print marks
    it all over. 0 where the writing cannot be told from the pattern."""
    x0, y0, x1, y1 = interior
    inner = np.ascontiguousarray(dark[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)])
    if inner.size < 100:
        return 0
    # The writing is over Otsu's split. Where Otsu splits the pattern from
    # the paper instead (a pattern dense beside little writing), the
    # pattern counts as writing, no paper is left, and nothing is lifted:
    # as before, rather than risk lifting faint writing with it.
    t, _ = cv2.threshold(inner, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    writing = _at_least(inner, max(int(t), MARK_DARK + 1))
    r = max(1, int(round(STRIP_CLEAR_IN * dpi)))
    near = cv2.dilate(writing, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    paper = inner[near == 0]
    if paper.size < 0.2 * inner.size:
        return 0
    marked = paper[paper >= MARK_DARK]
    if marked.size < BG_COVER * paper.size:
        return 0
    return _pattern_level(marked, inner, STRIP_BG_LEVEL)


def _hist_percentile(values: np.ndarray, q: float) -> int:
    """The lower ``q`` percentile of uint8 values (not none), from their counts."""
    cum = np.cumsum(np.bincount(values, minlength=256))
    return int(np.searchsorted(cum, q / 100.0 * values.size))


def digit_ink(
    dark: np.ndarray,
    interior: tuple[int, int, int, int],
    dpi: float,
    ring: int,
    ignore: np.ndarray | None = None,
) -> np.ndarray:
    """Ink (uint8 0/1) for the digits, thresholded on the box's own terms
    (``ink_levels``)."""
    smooth, _, t = ink_levels(dark, interior, dpi, ring, ignore)
    return _at_least(smooth, t)


def paper_noise(smooth: np.ndarray, interior: tuple[int, int, int, int], ring: int) -> float:
    """The noise level of the paper round ``interior`` in ``smooth``: the
    median and four robust sigmas of its darkness ``ring`` px and more
    outside (of the interior itself where too little paper is left)."""
    x0, y0, x1, y1 = interior
    outside = outside_ring(smooth, interior, ring)
    return noise_level(outside if outside.size >= 50 else smooth[y0:y1, x0:x1].ravel())


def noise_level(sample: np.ndarray) -> float:
    """The median and four robust sigmas of a sample of darkness (uint8)."""
    sample = sample[:: max(1, sample.size // 4000)]
    # The medians of these small integers (grey levels, and twice their
    # distance to a median that is whole or a half) are exact in float32.
    # The distances' counts come from the grey levels' (whole counts, exact).
    hist = np.bincount(sample, minlength=256)
    med = hist_median(hist)
    dev = np.bincount(np.abs(2 * np.arange(hist.size) - int(2 * med)), weights=hist)
    spread = 1.4826 * (hist_median(dev) / 2)
    return float(med + 4.0 * spread)


def ink_levels(
    dark: np.ndarray,
    interior: tuple[int, int, int, int],
    dpi: float,
    ring: int,
    ignore: np.ndarray | None = None,
) -> tuple[np.ndarray, float, float]:
    """The box's darkness smoothed, the paper's noise level round it, and
    the digits' ink threshold (ink is at least that dark; over 255 where
    there is no interior).

    The frame would pull Otsu up past faint pencil, so the threshold is Otsu
    on the interior, but not under a noise floor nor over the top of
    INK_DARK. The floor (the noise level, median plus four robust sigmas, or
    INK_DARK's bottom, whichever is higher) is measured on the
    paper around the box, ``ring`` pixels and more outside the interior: a
    big digit can fill most of a small box. Smoothing first lets the floor
    sit low under heavy noise. Where ``ignore`` is set (print in the box,
    see ``background_level``), the ink takes no part in Otsu's split.
    """
    sigma = max(0.5, 0.003 * dpi)
    smooth = cv2.GaussianBlur(dark, (0, 0), sigma)
    x0, y0, x1, y1 = interior
    inner = np.ascontiguousarray(smooth[y0:y1, x0:x1])
    if inner.size == 0:
        return smooth, 256.0, 256.0
    noise = paper_noise(smooth, interior, ring)
    floor = max(INK_DARK[0], noise)
    if ignore is not None:
        inner = np.ascontiguousarray(inner[ignore[y0:y1, x0:x1] == 0]).reshape(1, -1)
    t, _ = cv2.threshold(inner, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    t = min(max(t, floor), max(floor, INK_DARK[1]))
    return smooth, float(noise), float(t)


def _faint(
    dark: np.ndarray,
    raw: np.ndarray,
    bg: int,
    smooth: np.ndarray,
    noise: float,
    t: float,
    ink: np.ndarray,
    interior: tuple[int, int, int, int],
    ring: int,
    min_area: int,
    dpi: float,
    vert: np.ndarray,
    walls: Sequence[float] | None = None,
    pen: Callable[[], float] | None = None,
    strip: Callable[[], np.ndarray] | None = None,
) -> list[Blob]:
    """Marks like a digit lighter than the ink threshold ``t`` (FAINT_DARK).

    The darkness at the faint level, less the ink and FAINT_CLEAR_IN round
    it (the soft edges of the writing and of the frame's lines, at a lower
    level), thinned by FAINT_RIM_IN each side (what is left of those edges
    on a blurred scan goes): its components within the ``interior``, off
    its rim (cut from the frame's soft edges, which reach outside it: a
    light 0 against a grey comb's side joined them and was lost), but for
    printed lines lighter than the ink: a bar (FAINT_BAR) with
    FAINT_LINE or more of it on ``vert``, the interior's vertical lines as
    ``vertical_marks`` finds them, from the box's top to its foot (a
    divider), or in a comb (``walls`` given, its dividers' places) from
    either (a tick; a light 1 standing upright on a cell's line is taken for
    one too). Truly connected components: ``components`` fills outlines.

    More levels see what the noise hides, each judged apart: where the
    paper's noise, not FAINT_DARK, sets the level, ``dark`` smoothed over a
    stroke's width (FAINT_SOFT_IN) and, off a printed background,
    FAINT_COARSE times that, each against the paper's noise so smoothed
    (FAINT_COARSE_DARK at least for the wider); where FAINT_DARK sets it,
    on plain paper, smoothed FAINT_COARSE times wider only, against that
    noise, FAINT_COARSE_DARK at least, and against the paper in the box
    away from the writing; and on a printed background (``bg``, its level
    taken off ``dark``), the ``raw`` darkness smoothed over a stroke's
    width, pattern and all, against the smoothed pattern's level in the box
    away from the writing. Each keeps FAINT_HALO sigmas of its smoothing
    clearer of the ink (but of specks under ``min_area``: the noise lifts
    pieces of a light digit past the ink threshold) and of a comb's
    ``walls`` (its dividers' places: thin printed lines come out wider).

    With ``pen`` given (the writing's pen width, measured when needed), on
    a printed background, a noisy scan or a strip, one more: ``raw``
    opened by a disc of FAINT_OPEN of the pen, against its level in the box
    away from the writing. A strip (cut inside its box, no paper round it;
    ``strip`` gives its darkness, made when needed, in place of ``raw``) is
    looked at through that level alone, on plain paper scanned quietly
    too."""
    # (darkness, faint level, ink level, halo, whether the level is also
    # measured on the paper in the box away from the writing)
    levels: list[tuple[np.ndarray | None, float, float, int, bool]] = []
    sigma = FAINT_SOFT_IN * dpi
    halo = int(np.ceil(FAINT_HALO * sigma))
    wide = int(np.ceil(FAINT_HALO * FAINT_COARSE * sigma))  # the coarser smoothing's
    if strip is None:
        levels.append((smooth, float(max(noise, FAINT_DARK)), t, 0, False))
        if noise > FAINT_DARK:
            # The paper's noise sets the faint level: smoothed over a stroke's
            # width, the noise falls further than a stroke's darkness.
            soft = cv2.GaussianBlur(dark, (0, 0), sigma)
            level = max(paper_noise(soft, interior, ring), FAINT_DARK)
            levels.append((soft, level, t, halo, False))
            if not bg:
                # A grainy scan's noise (blotches of a few pixels) falls
                # little over a stroke's width: smoothed over twice that too,
                # FAINT_COARSE_RISE at least over the paper's median.
                soft = cv2.GaussianBlur(dark, (0, 0), FAINT_COARSE * sigma)
                round_box = outside_ring(soft, interior, ring)
                rise = float(np.median(round_box)) + FAINT_COARSE_RISE if round_box.size else 0.0
                level = max(paper_noise(soft, interior, ring), FAINT_COARSE_DARK, rise)
                levels.append((soft, level, t, wide, False))
        elif not bg:
            # A quiet scan: a light digit lighter than FAINT_DARK stands out
            # of the paper's noise smoothed over twice a stroke's width. The
            # level is made below, only where the paper away from the ink
            # holds a digit's area as dark as its floor at the ink's own
            # smoothing (a clean scan's boxes, most of them, do not).
            levels.append((None, 0.0, t, wide, True))
        if bg:
            # On a printed background, the pattern smoothed with the paper:
            # its level is measured in the box, away from the writing (below).
            soft = cv2.GaussianBlur(raw, (0, 0), sigma)
            levels.append((soft, float(FAINT_DARK), t + bg, halo, True))
    opens = bg or noise > FAINT_DARK or strip is not None
    width = pen() if pen is not None and opens else 0.0
    if width:
        # A pen's strokes, not a pattern's thin lines or a noisy scan's
        # specks: the darkness, pattern and all, opened by a disc of
        # FAINT_OPEN of the writing's pen, against its level in the box away
        # from the writing.
        k = max(3, int(round(FAINT_OPEN * width)) | 1)
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
        opened = cv2.morphologyEx(raw if strip is None else strip(), cv2.MORPH_OPEN, disc)
        levels.append((opened, float(FAINT_DARK), t + bg, 0, True))
    if not levels or all(lo >= top for _, lo, top, _, _ in levels):
        return []
    x0, y0, x1, y1 = interior
    r = max(1, int(round(FAINT_CLEAR_IN * dpi)))
    # The interior and the ink just round it, all a mark within it can touch.
    H, W = smooth.shape
    cx0, cy0 = max(0, x0 - r - 1), max(0, y0 - r - 1)
    cx1, cy1 = min(W, x1 + r + 1), min(H, y1 + r + 1)
    if cx1 <= cx0 or cy1 <= cy0:
        return []
    e = max(3, 2 * int(round(FAINT_RIM_IN * dpi)) + 1)
    edge = 2 * r + 2
    out: list[Blob] = []
    held = ink[cy0:cy1, cx0:cx1]
    digits: np.ndarray | None = None
    near0: np.ndarray | None = None  # the ink and FAINT_CLEAR_IN round it
    for img, lo, top, grow, inside in levels:
        if img is None:
            if near0 is None:
                continue
            marked = cv2.subtract(_at_least(smooth[cy0:cy1, cx0:cx1], FAINT_COARSE_DARK), near0)
            if cv2.countNonZero(marked) < min_area:
                continue
            img = cv2.GaussianBlur(dark, (0, 0), FAINT_COARSE * sigma)
            # Against the paper round the box and in it (below): a box cut
            # out with a margin of white, or printed on a tint too light to
            # be taken off as a background, is darker inside than round it.
            lo = max(paper_noise(img, interior, ring), FAINT_COARSE_DARK)
        if lo >= top:
            continue
        if grow and digits is None:
            # Specks of ink on a light digit's strokes (the noise lifts some
            # of it past the ink threshold) are part of the mark.
            _, labels, stats = labelled(held)
            big = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= min_area)
            digits = np.isin(labels, big[big > 0]).astype(np.uint8)
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * (r + grow) + 1,) * 2)
        near = cv2.dilate(digits if grow and digits is not None else held, disc)
        # A mark is looked for inside the frame, off its rim (``edge``): a
        # light digit against the frame's side joins the line's soft edge
        # (at the faint level a line is wider than at the ink's), which
        # reaches outside the box, and was lost with it.
        near[: y0 - cy0 + edge] = near[y1 - cy0 - edge :] = 1
        near[:, : x0 - cx0 + edge] = near[:, x1 - cx0 - edge :] = 1
        if not grow:
            near0 = near
        # A comb's dividers and ticks printed thin or light; the soft level
        # widens them past the thinning.
        for p in walls or ():
            a = int(round(p)) - cx0
            near[:, max(0, a - r - grow) : max(0, a + r + grow + 1)] = 1
        cut = img[cy0:cy1, cx0:cx1]
        if inside:
            paper = cut[near == 0]
            if paper.size < 50:
                continue
            lo = max(noise_level(paper), lo)
            if lo >= top:
                continue
        low = cv2.subtract(_at_least(cut, lo), near)
        low = cv2.erode(low, np.ones((e, e), np.uint8))
        if cv2.countNonZero(low):
            out += _faint_marks(low, (cx0, cy0), interior, r, min_area, vert, walls is not None, e)
    return out


def strip_darkness(
    grey: np.ndarray, est: tuple[float, float, float, float], dpi: float
) -> np.ndarray:
    """``darkness`` of a strip's cut-out ``grey`` (the strip at ``est``, in
    a margin of white), its edge pixels carried outward over the margin
    first: against the white, the paper level round the strip's ends stood
    over its own paper, and on a printed background the pattern came out
    darker towards the ends, a haze as wide as a digit (6 right amounts of
    120 cut inside their boxes sent to review as a faint mark)."""
    ex0, ey0, ex1, ey1 = (int(round(v)) for v in est)
    H, W = grey.shape
    ex0, ey0, ex1, ey1 = max(0, ex0), max(0, ey0), min(W, ex1), min(H, ey1)
    inner = np.ascontiguousarray(grey[ey0:ey1, ex0:ex1])
    padded = cv2.copyMakeBorder(inner, ey0, H - ey1, ex0, W - ex1, cv2.BORDER_REPLICATE)
    return darkness(padded, dpi)


def _faint_marks(
    low: np.ndarray,
    at: tuple[int, int],
    interior: tuple[int, int, int, int],
    r: int,
    min_area: int,
    vert: np.ndarray,
    comb: bool,
    gap: int,
) -> list[Blob]:
    """``_faint``'s marks among the components of ``low`` (a cut-out at
    ``at`` of the box's darkness at one faint level, thinned), pieces one
    above the other within ``gap`` px taken together (``_stacked_pieces``)."""
    x0, y0, x1, y1 = interior
    h = max(1, y1 - y0)
    cx0, cy0 = at
    n, labels, stats = _stacked_pieces(low, gap)
    lines: np.ndarray | None = None
    out = []
    for k in range(1, n):
        x, y, w, bh, area = (int(v) for v in stats[k])
        if bh < FAINT_TALL * h or bh > FAINT_OVER * h or w > FAINT_WIDE * h:
            continue
        # Strokes, not a shadow nor the rim of a line blurred past the ink
        # threshold (under two pixels wide a row, once thinned).
        if area < max(min_area / 2, 2 * bh) or (area > FAINT_FILL * w * bh and w > FAINT_BAR * bh):
            continue
        own = (labels[y : y + bh, x : x + w] == k).astype(np.uint8)
        x, y = x + cx0, y + cy0
        # A bar on the box's vertical lines from its top to its foot (a
        # divider printed light), or in a comb from either (a tick). In a
        # string box a bar standing on the foot alone is a light 1 written
        # on the line (`910` read `90`, `ok`).
        ends = (y - y0 <= 2 * r + 2) + (y1 - y - bh <= 2 * r + 2)
        if w <= FAINT_BAR * bh and (ends == 2 or (comb and ends == 1)):
            if lines is None:
                lines = np.zeros((y1 - y0 + 2, x1 - x0 + 2), np.uint8)
                lines[1:-1, 1:-1][vert] = 1
                lines = cv2.dilate(lines, np.ones((3, 3), np.uint8))
            on = cv2.countNonZero(
                cv2.min(own, lines[y - y0 + 1 : y - y0 + 1 + bh, x - x0 + 1 : x - x0 + 1 + w])
            )
            if on >= FAINT_LINE * area:
                continue
        out.append(Blob(x, y, own))
    return out


def _stacked_pieces(low: np.ndarray, gap: int) -> tuple[int, np.ndarray, np.ndarray]:
    """``labelled(low)``, but components one above the other, under ``gap``
    px apart and overlapping by half the narrower's width, one: a light
    digit's strokes, thinned with the rest, break at their narrow joins
    (a 5 barely darker than the paper came out in three pieces, none
    FAINT_TALL, and its comb `637851` `ok` for `6378551`)."""
    n, labels, stats = labelled(low)
    if n <= 2:
        return n, labels, stats
    root = list(range(n))

    def find(k: int) -> int:
        while root[k] != k:
            k = root[k]
        return k

    x, y, w, h = (stats[1:, i].astype(np.int64) for i in range(4))
    apart = np.maximum(y[None, :] - (y + h)[:, None], y[:, None] - (y + h)[None, :])
    overlap = np.minimum((x + w)[:, None], (x + w)[None, :]) - np.maximum(x[:, None], x[None, :])
    near = (apart >= 0) & (apart <= gap) & (overlap >= 0.5 * np.minimum(w[:, None], w[None, :]))
    for a, b in zip(*np.nonzero(np.triu(near, 1)), strict=True):
        root[find(int(b) + 1)] = find(int(a) + 1)
    group = np.zeros(n, np.int32)  # each component's group, 1 on (0: the paper)
    group[1:] = np.unique([find(k) for k in range(1, n)], return_inverse=True)[1] + 1
    m = int(group.max())
    if m == n - 1:
        return n, labels, stats
    merged = np.zeros((m + 1, 5), np.int32)
    merged[0] = stats[0]
    for g in range(1, m + 1):
        of = group[1:] == g
        gx, gy = int(x[of].min()), int(y[of].min())
        gw, gh = int((x + w)[of].max()) - gx, int((y + h)[of].max()) - gy
        merged[g] = (gx, gy, gw, gh, int(stats[1:, 4][of].sum()))
    return m + 1, group[labels], merged


def _solid(dark: np.ndarray, grey: np.ndarray, dpi: float) -> np.ndarray:
    """``dark`` with the insides of wide strokes put back.

    ``darkness`` measures each pixel against the paper a max filter of
    about a millimetre finds round it: inside a stroke wider than that (a
    broad marker, a 1 written as a solid bar) the "paper" is the stroke,
    and the middle of the bar fades to nothing (a marker 1 read 0, or
    lost). Where a pixel is SOLID_DARK or more darker than the cut's own
    paper (its PAPER_SHARE-th percentile grey), in an area of such pixels
    at least SOLID_IN across, its darkness is that. A tint inside a box
    (grey 180 on 250) is lighter; a printed background's dots and lines
    are thinner.
    """
    hist = cv2.calcHist([grey], [0], None, [256], [0, 256]).ravel()
    paper = int(np.searchsorted(np.cumsum(hist), PAPER_SHARE * grey.size))
    if paper < SOLID_DARK:
        return dark
    # Pixels SOLID_DARK or more under the paper, in areas SOLID_IN across:
    # an erosion finds whether there are any (most boxes: none), a dilation
    # then gives the areas back (an opening).
    _, strong = cv2.threshold(grey, paper - SOLID_DARK, 1, cv2.THRESH_BINARY_INV)
    j = np.ones((max(3, int(round(SOLID_IN * dpi))),) * 2, np.uint8)
    core = cv2.erode(strong, j)
    if not cv2.countNonZero(core):
        return dark
    core = cv2.dilate(core, j)
    below = cv2.subtract(np.full_like(grey, paper), grey)
    np.maximum(dark, below, out=dark, where=core.astype(bool))
    return dark


def clean_string_ink(
    ink: np.ndarray, dark: np.ndarray, h: int, hairlines: bool = True
) -> np.ndarray:
    """A string box's ink without what is not writing (uint8 0/1).

    Horizontal runs longer than RULE x the box height ``h`` (underlines,
    baselines) go, except where a stroke crosses them; strokes thinner than
    THIN x the writing's pen (hairline backgrounds) go, the writing keeping
    its soft edges and small marks (points, commas) kept whole, and, unless
    ``hairlines`` (a strip cut inside its box), those as dark as the
    writing kept too (``_keep_dark``: a finer pen's strokes); and whole
    strokes at least half the box tall or wide but fainter than FAINT x the
    writing (a tinted background pattern) go. The writing is the ink at
    least half the box tall.
    """
    if not cv2.countNonZero(ink):
        return ink
    # The work is done within the ink's extent and _PAD px of paper round it
    # (or the cut-out's edge), the same pixels: no step reaches further from
    # the ink than that (the closing against rules, 3 rows), and a filter at
    # the window's edge meets paper there as it does on the whole cut-out.
    H, W = ink.shape
    bx, by, bw, bh = cv2.boundingRect(ink)
    x0, y0 = max(0, bx - _PAD), max(0, by - _PAD)
    x1, y1 = min(W, bx + bw + _PAD), min(H, by + bh + _PAD)
    out = np.zeros_like(ink)
    out[y0:y1, x0:x1] = _clean_window(ink[y0:y1, x0:x1], dark[y0:y1, x0:x1], h, W, hairlines)
    return out


# How far (px) ``clean_string_ink``'s window reaches past the ink.
_PAD = 3


def _percentile90(values: np.ndarray) -> float:
    """``float(np.percentile(values, 90))`` of float32 values (not none), bit
    for bit: a sort (far cheaper than its partition) and numpy's float32 lerp."""
    v = np.sort(values)
    n = v.size
    pos = (n - 1) * 0.9
    if pos >= n - 1:
        return float(v[-1])
    i = math.floor(pos)
    t = pos - i
    a, b = v[i], v[i + 1]
    d = b - a
    if t >= 0.5:
        return float(b - d * np.float32(1.0 - t))
    return float(a + d * np.float32(t))


def _clean_window(
    ink: np.ndarray, dark: np.ndarray, h: int, width: int, hairlines: bool = True
) -> np.ndarray:
    """``clean_string_ink`` within a window round the ink of a cut-out
    ``width`` px wide."""
    out = ink.copy()
    length = max(12, int(RULE * h))
    if width > length:
        runs = open_line(out, length, 1)
        if cv2.countNonZero(runs):
            rest = out & (runs == 0)
            crossing = cv2.morphologyEx(rest, cv2.MORPH_CLOSE, np.ones((7, 1), np.uint8))
            out = (out & ((runs == 0) | (crossing > 0))).astype(np.uint8)
    # The writing's pen: its thick strokes (a hairline net joined to the
    # digits would pull an average down), twice the distance to the paper.
    # The 90th percentile, not the 98th: crossings and blots are thicker than
    # the pen, and at the 98th a thin 9's tail was opened away ('976' read
    # '9076' on a turned colour form, tests/test_dropout.py).
    dist = cv2.distanceTransform(out, cv2.DIST_L2, 3)
    pen = 0.0
    if cv2.countNonZero(out):
        # Within the ink's extent: the same values, fewer pixels to pass over.
        bx, by, bw, bh = cv2.boundingRect(out)
        on = out[by : by + bh, bx : bx + bw] > 0
        pen = 2.0 * _percentile90(dist[by : by + bh, bx : bx + bw][on])
    cc: list[Component] | None = None
    if pen >= 3.0:
        k = max(2, int(round(THIN * pen)))
        core = cv2.morphologyEx(out, cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
        near = cv2.dilate(core, np.ones((2 * k + 1, 2 * k + 1), np.uint8))
        thinned = np.asarray(cv2.bitwise_and(out, near), np.uint8)  # both 0/1
        # Small ink stays whole, a point or a comma is often finer than the
        # pen: ink within a few pen widths, or under half the box and not a
        # hairline's stub.
        cc = components(out)
        for x, y, cw, ch, own in cc:
            size = max(cw, ch)
            if (
                size <= 2.5 * pen
                or (
                    size < 0.5 * h
                    # The deepest distance under ``own`` (never empty), as a float.
                    and cv2.minMaxLoc(dist[y : y + ch, x : x + cw], own)[1] >= max(1.5, 0.25 * pen)
                )
            ):
                thinned[y : y + ch, x : x + cw] |= own
        if not hairlines:
            _keep_dark(out, thinned, dark)
        # Thinning only takes ink away: the same count is the same ink, and
        # the same components.
        if cv2.countNonZero(thinned) != cv2.countNonZero(out):
            cc = None
        out = thinned
    comps = components(out) if cc is None else cc
    # Strokes of some length (a point or a comma is small and, blurred,
    # paler than the pen's lines), and among them the tall ones.
    long = [c for c in comps if max(c[2], c[3]) >= 0.5 * h]
    tall = [c[3] >= 0.5 * h for c in long]
    if any(tall):
        # Each long stroke's grey levels (a row of counts each) and the tall
        # strokes' together (their counts add up).
        hists = np.stack(
            [
                cv2.calcHist([dark[y : y + ch, x : x + cw]], [0], own, [256], [0, 256]).ravel()
                for x, y, cw, ch, own in long
            ]
        )
        level, *levels = _hist_medians(np.vstack((hists[np.array(tall)].sum(axis=0), hists)))
        for (x, y, cw, ch, own), m in zip(long, levels, strict=True):
            if m < FAINT * level:
                out[y : y + ch, x : x + cw][own > 0] = 0
    return out


def _keep_dark(ink: np.ndarray, thinned: np.ndarray, dark: np.ndarray) -> None:
    """Put back into ``thinned`` (in place) the strokes of ``ink`` that the
    thinning took and that are as dark as the writing (median darkness at
    least FINE_DARK of the ink it kept): a stroke finer than the pen is
    writing, a 1 or a 7 in a finer pen beside bold digits, where a printed
    background's level has been taken off ``dark`` or there is none; a
    lighter one (a pencil's slash, a tint, what is left of a pattern) is
    not, and stays out."""
    gone = cv2.subtract(ink, thinned)
    if not cv2.countNonZero(gone) or not cv2.countNonZero(thinned):
        return
    level = hist_median(cv2.calcHist([dark], [0], thinned, [256], [0, 256]).ravel())
    for x, y, cw, ch, own in components(gone):
        hist = cv2.calcHist([dark[y : y + ch, x : x + cw]], [0], own, [256], [0, 256]).ravel()
        if hist_median(hist) >= FINE_DARK * level:
            thinned[y : y + ch, x : x + cw] |= own


# ``_keep_dark``: a stroke taken as finer than the pen is writing where its
# median darkness is this share of the writing's or more.
# Most strokes it looked at on bench/realwriters.py --pen fine's pages stand
# at 0.7 and over; a slash drawn in grey 160 beside digits in grey 40 at
# 0.34-0.48.
FINE_DARK = 0.6


# ``_thinned_away``: a stroke this share of the box's height or more (the
# cleaning's own measure of writing) of which the cleaning took THINNED_GONE
# or more, or a piece it took that stands so tall itself ...
THINNED_TALL = 0.5
THINNED_GONE = 0.5
# ... or, in a box tall for its writing, this share of the writing's height
# (the median height of the ink kept) and at least THINNED_FLOOR of the box's.
THINNED_REL = 0.4
THINNED_FLOOR = 0.25
# ... and no taller than the box (a frame's side left at a cut-out's edge
# is, 1.3 of it).
THINNED_HIGH = 1.0
# Ink ending this close (px) above a box's bottom line stands on it.
TICK_PAD = 2


def _thinned_away(
    before: np.ndarray,
    after: np.ndarray,
    blobs: Sequence[Blob],
    h: int,
    bottom: int | None = None,
) -> bool:
    """Whether ``clean_string_ink`` (``before`` to ``after``, 0/1 masks of
    the box's cut-out) took away, from a box where it kept ink (``blobs``),
    THINNED_GONE or more of a stroke THINNED_TALL to THINNED_HIGH of the
    box's height ``h``, or a piece of ink that tall. In a box tall for its
    writing, a stroke THINNED_REL of the writing's height (the median of
    ``blobs``' heights) counts as tall, down to THINNED_FLOOR of ``h``:
    digits standing low in a tall box are under half its height, and a 1
    and a 7 written with a finer pen went unseen (``376013`` read ``3603``,
    ``ok``; BENCHMARKS.md, forty-sixth session). Ink standing on the
    box's bottom line (row ``bottom``) counts only at THINNED_TALL of the
    box: a comb's ticks rise from it about a third of the box, and a bold
    hand's comb lost them to the cleaning.

    A date's slash drawn finer than its digits went so, while the other
    slash, kept, was read as a 1 by both readers (``22/5/51`` read 225151,
    `ok`: ``bench/slashes.py``). Digits written finer or lighter than the
    rest go the same way, wherever they stand: ``771405`` read ``405``, its
    7, 7 and 1 drawn with a finer pen; ``601`` read ``61``, the 0 taken but
    its foot (27 % of it, read as a mark); ``674347`` read ``67434``, the
    last 7 taken from the thick 4 it touched; all `ok` (BENCHMARKS.md,
    forty-first session). Where nothing was wrong, the strokes of 40
    headline pages that the cleaning thinned kept 80 % or more, and no
    piece it took stood so tall; in the 320 amounts read from 80 cheques
    (four cuts each), 60 % or more but two, and 3 pieces.
    """
    if not blobs or cv2.countNonZero(before) == cv2.countNonZero(after):
        return False
    gone = cv2.subtract(before, after)  # what the cleaning took away
    gx, gy, gw, gh = cv2.boundingRect(gone)  # its pieces lie in its extent
    _, _, pieces = labelled(gone[gy : gy + gh, gx : gx + gw])
    writing = float(np.median([b.h for b in blobs]))
    rel = max(THINNED_FLOOR * h, min(THINNED_TALL * h, THINNED_REL * writing))

    def tall(stats: np.ndarray, y0: int) -> np.ndarray:
        """Which components (rows of ``stats``, their tops ``y0`` down) count."""
        top, high = stats[:, cv2.CC_STAT_TOP] + y0, stats[:, cv2.CC_STAT_HEIGHT]
        low = np.full(len(stats), rel)
        if bottom is not None:
            low[top + high >= bottom - TICK_PAD] = THINNED_TALL * h
        return (high >= low) & (high <= THINNED_HIGH * h)

    if tall(pieces[1:], gy).any():
        return True
    _, labels, stats = labelled(before)
    near = tall(stats, 0)
    near[0] = False  # the background
    for i in np.flatnonzero(near):
        x, y, w, hh, area = (int(v) for v in stats[i])
        box = labels[y : y + hh, x : x + w] == i
        if int(gone[y : y + hh, x : x + w][box].sum()) >= THINNED_GONE * area:
            return True
    return False


def _hist_medians(hists: np.ndarray) -> list[float]:
    """``hist_median`` of each row of whole counts, at once (float32 counts
    under 2**24 are exact, as are their sums)."""
    cum = np.cumsum(hists, axis=1)
    n = cum[:, -1:]
    lo = np.count_nonzero(cum <= (n - 1) // 2, axis=1)
    hi = np.count_nonzero(cum <= n // 2, axis=1)
    return ((lo + hi) / 2).tolist()


def _count(mask: np.ndarray) -> int:
    """Pixels set in a 0/1 uint8 mask (its sum), none in an empty one."""
    return cv2.countNonZero(mask) if mask.size else 0


def _mostly_inside(mask: np.ndarray, top: int, y0: int, y1: int, n: int | None = None) -> bool:
    """At least half of ``mask``'s ``n`` pixels (all of them by default), its
    first row at ``top``, lie in rows ``y0:y1``: the rule by which ink near a
    box counts as the box's."""
    total = _count(mask) if n is None else n
    return _count(mask[max(0, y0 - top) : max(0, y1 - top)]) >= 0.5 * total


def _whiten(grey: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``grey`` where ``keep`` is set, white elsewhere (uint8)."""
    _, white = cv2.threshold(keep, 0, 255, cv2.THRESH_BINARY_INV)  # 255 where keep is 0
    # (OpenCV's or is several times slower on a cut-out of a wider image.)
    return np.asarray(cv2.bitwise_or(np.ascontiguousarray(grey), white), np.uint8)


def _bridge_line(clean: np.ndarray, ink: np.ndarray, a: int, b: int, x0: int, x1: int) -> None:
    """Restore a whited-out horizontal line (rows a..b) where a stroke crosses
    it: columns with ink just above and just below the line."""
    if a < 1 or b >= ink.shape[0]:
        return
    cross = (ink[a - 1, x0:x1] > 0) & (ink[b, x0:x1] > 0)
    clean[a:b, x0:x1][:, cross] = 1


def _groups(ink: np.ndarray, bridge: int, min_area: int, min_size: float) -> list[tuple[Blob, int]]:
    """Ink grouped into blobs, each with its pixel count; pieces closer than
    ``bridge`` px go together."""
    if bridge > 0:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * bridge + 1, 2 * bridge + 1))
        near = cv2.dilate(ink, k)
    else:
        near = ink
    blobs = []
    for x, y, w, h, own in components(near):
        mask = own & ink[y : y + h, x : x + w]
        count = cv2.countNonZero(mask)
        if count < min_area:
            continue
        bx, by, bw, bh = cv2.boundingRect(mask)  # the ink's extent
        if max(bw, bh) < min_size:
            continue
        blobs.append((Blob(x + bx, y + by, mask[by : by + bh, bx : bx + bw]), count))
    return blobs


def _crosses_in(mask: np.ndarray, top: int, y0: int, y1: int, least: int, h: int) -> bool:
    """Whether a group of ink left out as lying mostly outside rows
    ``y0:y1`` (``mask``, its first row at ``top``) is writing across the
    box's top or bottom line: at least MIN_INK of the box's height ``h``,
    with ``least`` or more pixels inside standing CROSS_IN of it tall. A
    digit written over the top line lost its upper part and the rest went
    with it (``554741`` read ``54741``, `ok`); a printed label above the box
    has no ink inside it."""
    if max(mask.shape) < MIN_INK * h:
        return False
    inside = mask[max(0, y0 - top) : max(0, y1 - top)]
    rows = np.flatnonzero(inside.any(axis=1)) if inside.size else inside
    return bool(rows.size) and rows[-1] - rows[0] + 1 >= CROSS_IN * h and _count(inside) >= least


def _drop_outside(ink: np.ndarray, y0: int, y1: int, bridge: int, least: int, box_h: int) -> bool:
    """Clear, in place, the ink of groups (as ``_groups`` makes them) with
    less than half their pixels in rows ``y0:y1``: the rule by which a blob
    counts as the box's, applied to every group, specks too. Returns whether
    one of them was writing across the box's line (``_crosses_in``)."""
    H = ink.shape[0]
    crossed = False
    if not (ink[: max(0, y0)].any() or ink[min(H, y1) :].any()):
        return crossed  # nothing outside: every group is inside
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * bridge + 1, 2 * bridge + 1))
    contours, _ = cv2.findContours(cv2.dilate(ink, k), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    for c in contours:
        x, y, w, h = cv2.boundingRect(c)
        if y >= y0 and y + h <= y1:
            continue  # within the rows: all of it inside
        own = np.zeros((h, w), np.uint8)
        cv2.drawContours(own, [c], -1, 1, thickness=-1, offset=(-x, -y))
        mask = cv2.min(own, ink[y : y + h, x : x + w])
        if not _mostly_inside(mask, y, y0, y1):
            crossed = crossed or _crosses_in(mask, y, y0, y1, least, box_h)
            ink[y : y + h, x : x + w][mask > 0] = 0
    return crossed


def _union(blobs: list[Blob]) -> Blob:
    x0 = min(b.x for b in blobs)
    y0 = min(b.y for b in blobs)
    x1 = max(b.x + b.w for b in blobs)
    y1 = max(b.y + b.h for b in blobs)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for b in blobs:
        mask[b.y - y0 : b.y - y0 + b.h, b.x - x0 : b.x - x0 + b.w] |= b.mask
    return Blob(x0, y0, mask)


def _merge_pieces(blobs: list[Blob], h_ref: float) -> list[Blob]:
    """Join the pieces of one digit (a 5's loose bar, a broken 4).

    Blobs overlapping much in x are one digit (neighbouring digits overlap
    by a fifth of a width at most); a small piece, well under a digit's
    height, goes with the neighbour it overlaps or nearly touches.
    """
    out: list[Blob] = []
    for b in sorted(blobs, key=lambda b: b.x):
        if out:
            p = out[-1]
            ov = _x_overlap(p, b)
            small = min(p.h, b.h) < 0.45 * h_ref
            if ov >= 0.5 * min(p.w, b.w) or (small and ov > -0.05 * h_ref):
                out[-1] = _union([p, b])
                continue
        out.append(b)
    return out


def cut_path(mask: np.ndarray, lo: int, hi: int, ideal: float) -> tuple[float, np.ndarray]:
    """Top-to-bottom path through columns lo..hi crossing the least ink.

    Moves one column at most per row, so it can slip between overlapping
    digits where a straight cut would slice one. Returns the ink crossed
    and the path's column in each row.
    """
    h = mask.shape[0]
    lo, hi = max(0, lo), min(mask.shape[1], hi)
    if hi <= lo:  # no room to search: a straight cut
        lo = min(max(0, int(round(ideal))), mask.shape[1] - 1)
        hi = lo + 1
    cols = np.arange(lo, hi)
    # Ink costs 1 a pixel; straying from the ideal cut and slanting, a little.
    cost = mask[:, lo:hi].astype(np.float32) + 0.02 * np.abs(cols - ideal) / max(hi - lo, 1)
    n = hi - lo
    # acc[r, 1 + c]: the cheapest path down to row r ending in column c;
    # the two columns outside cost too much to use.
    acc = np.full((h, n + 2), 1e9, cost.dtype)
    acc[0, 1:-1] = cost[0]
    side = np.empty(n, cost.dtype)
    # Row by row (the previous row's left, right and middle neighbours, this
    # row's cost, where it goes), from the left or the right (a slant costs
    # 0.05), or straight down.
    steps = zip(acc[:-1, :-2], acc[:-1, 2:], acc[:-1, 1:-1], cost[1:], acc[1:, 1:-1], strict=True)
    for left, right, mid, here, dst in steps:
        np.minimum(left, right, out=side)
        side += 0.05
        np.minimum(side, mid, out=side)
        np.add(side, here, out=dst)
    # Back up the cheapest path: ties go to the left, then straight (the
    # first of the three), as on the way down.
    rows = acc.tolist()
    path = np.zeros(h, np.int64)
    c = int(np.argmin(acc[-1, 1:-1]))
    path[-1] = c
    for r in range(h - 1, 0, -1):
        prev = rows[r - 1]
        best, step = prev[c] + 0.05, -1
        if prev[c + 1] < best:
            best, step = prev[c + 1], 0
        if prev[c + 2] + 0.05 < best:
            step = 1
        c += step
        path[r - 1] = c
    crossed = float(mask[np.arange(h), path + lo].sum())
    return crossed, path + lo


def _split(blob: Blob, paths: list[np.ndarray]) -> list[Blob]:
    """The blob cut along paths (each a column per row), left to right."""
    h, w = blob.mask.shape
    if not paths:  # one part, all of the blob (its own copy, as cut below)
        masks = [blob.mask.copy()]
    else:
        cols = np.arange(w)[None, :]
        bounds = [np.zeros(h, np.int64), *paths, np.full(h, w, np.int64)]
        masks = [
            blob.mask * ((cols >= a[:, None]) & (cols < b[:, None]))  # uint8
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
    parts = []
    for mask in masks:
        x0, _, mw, _ = cv2.boundingRect(mask)  # the columns with ink
        if mw:
            parts.append(Blob(blob.x + x0, blob.y, mask[:, x0 : x0 + mw]))
    return parts


_GROW = np.ones((5, 5), np.uint8)


def _crop(paper: np.ndarray, blob: Blob, margin: int) -> Digit | None:
    """Greyscale crop of the blob's ink, everything else whited out."""
    bx, by, bw, bh = cv2.boundingRect(blob.mask)  # the ink's extent (nonzero pixels)
    if bw == 0:
        return None
    H, W = paper.shape
    y0, y1 = max(0, blob.y + by - margin), min(H, blob.y + by + bh + margin)
    x0, x1 = max(0, blob.x + bx - margin), min(W, blob.x + bx + bw + margin)
    keep = np.zeros((y1 - y0, x1 - x0), np.uint8)
    ya, xa = blob.y - y0, blob.x - x0
    my0, mx0 = max(0, -ya), max(0, -xa)
    my1, mx1 = min(blob.h, y1 - y0 - ya), min(blob.w, x1 - x0 - xa)
    keep[ya + my0 : ya + my1, xa + mx0 : xa + mx1] = blob.mask[my0:my1, mx0:mx1]
    # Keep the stroke's soft edge: grow the mask before masking (twice by
    # 3 x 3 is once by 5 x 5, as OpenCV does it).
    keep = cv2.dilate(keep, _GROW)
    img = _whiten(paper[y0:y1, x0:x1], keep)
    return Digit((blob.x + bx, blob.y + by, bw, bh), img)


def _scraps(
    digit: Blob,
    group: Sequence[Blob],
    counted: Sequence[tuple[Blob, int]],
    blobs: Sequence[Blob],
    cell: int,
    cell_of: Callable[[Blob], int],
) -> bool:
    """Whether comb cell ``cell``'s ``digit`` (the union of its pieces
    ``group``) is narrow and has pieces of ink (of ``counted``, none of the
    ``blobs`` read) beside it, level with it and within half its height,
    holding LEFT_OUT of its ink or more (see NARROW)."""
    if digit.w >= NARROW * digit.h:
        return False
    own = sum(n for b, n in counted if any(b is g for g in group))
    near = sum(
        n
        for b, n in counted
        if cell_of(b) == cell
        and not any(b is g for g in blobs)
        and digit.y <= b.y + b.h / 2 <= digit.y + digit.h
        and max(digit.x - (b.x + b.w), b.x - (digit.x + digit.w)) <= 0.5 * digit.h
    )
    return near >= LEFT_OUT * max(1, own)


def analyse_box(
    grey: np.ndarray,
    est: tuple[float, float, float, float],
    walls: list[tuple[float, float]],
    dpi: float,
    search: int,
    single: bool = False,
    strip: bool = False,
    ignore: np.ndarray | None = None,
) -> BoxLayout:
    """Kind, cells and ink of the box whose interior is about ``est``.

    ``walls`` are x ranges of full-height printed dividers already seen at
    page level; ``search`` is how far (pixels) the estimates may be off.
    A ``single`` box is a one-cell comb. A ``strip`` is an image cut inside
    its box, read as one string box (never a comb): its edges are the box's
    (what is left of a frame line there runs nearly its whole length; a
    digit's stroke near the edge does not, and must not be taken for one),
    and its background is measured on its own paper.

    A string box on a printed background whose ink is a printed sign or
    code alone (``layout.printed.print_alone``) is looked at again with
    that ink left out of the background's cap (``ignore``): a sign darker
    than the writing raised the cap, and writing fainter than it was
    lifted with the pattern.
    """
    dark = _solid(darkness(grey, dpi), grey, dpi)
    # On a printed background the pattern is not ink: what is left of each
    # pixel's darkness over the pattern's is (the writing and the print are
    # darker than any security tint).
    ex0, ey0, ex1, ey1 = (int(round(v)) for v in est)
    bg = (
        strip_background_level(dark, (ex0, ey0, ex1, ey1), dpi)
        if strip
        else background_level(dark, (ex0, ey0, ex1, ey1), search, ignore)
    )
    raw = dark
    if bg:
        dark = np.asarray(cv2.subtract(dark, np.full_like(dark, bg)), np.uint8)
    least = STRIP_LINE if strip else LINE_COVER
    frame = refine_interior(ink_mask(dark), est, search, least, to_edges=strip)
    # Frame lines look thicker at the digits' lower threshold: find their
    # bands again on that mask so their soft edges are whited out too.
    smooth, noise, t = ink_levels(dark, frame.interior, dpi, search, ignore)
    ink = _at_least(smooth, t)
    pinned = refine_interior(ink, frame.interior, search, least, to_edges=strip)
    interior, bands = pinned.interior, pinned.bands
    x0, y0, x1, y1 = interior
    h = max(1, y1 - y0)
    marks, vert = vertical_marks(dark, interior, walls, search)
    dividers = [] if single else None if strip else fit_grid(x0, x1, h, marks)
    strong = sorted((m for m in marks if m.strong), key=lambda m: m.pos)
    along = frame.thick or pinned.thick or (strip and _lone_side(pinned.bands, ink.shape))
    if dividers is None and len(strong) >= 2 and not strip:
        # Uneven but clearly printed cells. Lines closer than any cell are a
        # double wall (two boxes found as one) or a bold stroke along a line
        # (a marker 1 against a box's side), whited out with it: the field
        # asks (a pair of boxes so found read `1`, `ok`, for `11`).
        dividers = [(m.pos, m) for m in strong]
        at = [x0, *(m.pos for m in strong), x1]
        along = along or any(b - a < MIN_PITCH * h for a, b in zip(at[:-1], at[1:], strict=True))

    clean = ink.copy()
    H, W = clean.shape
    for bx0, by0, bx1, by1 in bands:
        clean[max(0, by0 - 1) : by1 + 1, max(0, bx0 - 1) : bx1 + 1] = 0
        if bx1 - bx0 == W:
            _bridge_line(clean, ink, max(0, by0 - 1), min(H, by1 + 1), x0, x1)
    along = white_dividers(clean, vert, interior, dividers or [], search) or along
    # Digits are looked for in the interior and a little above and below it,
    # for strokes that cross the top or bottom line; a blob must lie mostly
    # inside, which leaves out labels and a neighbour's strokes.
    ext = int(OUTSIDE * h)
    ya, yb = max(0, y0 - ext), min(H, y1 + ext)
    bridge = max(1, int(round(BRIDGE_IN * dpi)))
    inner = np.zeros_like(clean)
    inner[ya:yb, x0:x1] = clean[ya:yb, x0:x1]
    # A digit is a pen stroke at least a fifth of the box tall; specks and
    # noise, however spread, hold far less ink.
    stroke = max(1.5, STROKE_IN * dpi)
    min_area = max(4, int((SPECK_IN * dpi) ** 2), int(MIN_INK * h * stroke))
    speck = max(4, int((SPECK_IN * dpi) ** 2))
    if dividers is None:
        # A string box: printed backgrounds, baselines and rules are not ink,
        # and neither is what lies mostly outside it (the foot of a printed
        # label above, a neighbour's strokes), which would stay in the line
        # the string reader reads.
        # A stroke finer than the pen, as dark as the writing, is writing
        # (a 1 or a 7 in a finer pen beside bold digits): on plain paper,
        # and on a printed background once its level is taken off (``bg``
        # above: what stays as dark as the writing is no pattern's).
        # Taken away, it was lost: `376013` read `3603` (in review since
        # THINNED_REL); strings in a fine pen were 82 % exact where they
        # are 94 %, and amounts on cheques 58 % where they are 91 %
        # (BENCHMARKS.md, forty-sixth session). A strip cut inside its
        # box has no paper round it to measure a pattern by: there every
        # hairline goes.
        before = inner
        inner = clean_string_ink(inner, dark, h, hairlines=strip)
        band = inner[ya:yb, x0:x1]
        crossed = _drop_outside(band, y0 - ya, y1 - ya, bridge, min_area, h)
        paper = _whiten(grey, inner)
    else:
        paper = _whiten(grey, clean)

    groups = _groups(inner, bridge, speck, 0.5 * stroke)
    counted = [(b, n) for b, n in groups if _mostly_inside(b.mask, b.y, y0, y1, n)]
    if dividers is not None:  # a comb: what lies mostly outside is left out here
        crossed = any(
            _crosses_in(b.mask, b.y, y0, y1, min_area, h)
            for b, n in groups
            if n >= min_area and not _mostly_inside(b.mask, b.y, y0, y1, n)
        )
    found = [b for b, _ in counted]
    big = [n >= min_area and max(b.w, b.h) >= MIN_INK * h for b, n in counted]
    blobs = [b for b, keep in zip(found, big, strict=True) if keep]

    def faint_marks(dividers_at: Sequence[float] | None = None, cut: bool = False) -> list[Blob]:
        """The box's faint marks (``_faint``), a comb's with its dividers'
        places. In a string box ``cut`` inside its box (a strip) only the
        pen's strokes are looked for, on its own darkness made again with
        its edges carried outward (``strip_darkness``)."""
        return _faint(
            dark,
            raw,
            bg,
            smooth,
            noise,
            t,
            ink,
            interior,
            search,
            min_area,
            dpi,
            vert,
            dividers_at,
            pen=lambda: _stroke_width(blobs) if blobs else 0.0,
            strip=(lambda: strip_darkness(grey, est, dpi)) if cut else None,
        )

    margin = max(2, int(0.06 * h))
    if dividers is None:
        if bg and not strip and ignore is None and _print_alone(blobs, interior):
            alone = np.zeros(grey.shape, np.uint8)
            for b in blobs:
                alone[b.y : b.y + b.h, b.x : b.x + b.w] |= b.mask
            again = analyse_box(grey, est, walls, dpi, search, single, strip, alone)
            if len(again.blobs) > len(blobs):
                return again
        specks = tuple(b for b, keep in zip(found, big, strict=True) if not keep)
        thinned = _thinned_away(before, inner, blobs, h, y1)
        # A faint mark beside the digits, not under one (an erased digit
        # written over is read as written; a piece of ink much shorter than
        # the mark over it is no digit written over it, but the part of a
        # light digit that passed the ink threshold).
        faint = any(
            not any(_x_overlap(f, b) > f.w / 2 and b.h >= UNDER_TALL * f.h for b in blobs)
            for f in faint_marks(cut=strip)
        )
        return BoxLayout(
            "string",
            0,
            interior,
            frame.outer,
            (),
            tuple(blobs),
            paper,
            margin,
            specks=specks,
            crossed=crossed,
            thinned=thinned,
            faint=faint,
            along=along,
            patterned=bool(bg),
            noisy=noise > FAINT_DARK,
            strip=strip,
        )

    edges = [x0, *(p for p, _ in dividers), x1]
    cells = len(edges) - 1

    def cell_of(b: Blob) -> int:
        k = int(np.searchsorted(edges, b.x + b.w / 2.0)) - 1
        return min(max(k, 0), cells - 1)

    owner: dict[int, list[Blob]] = {}
    for b in blobs:
        owner.setdefault(cell_of(b), []).append(b)
    # Every piece with a stroke's ink, under MIN_INK both ways or not: the
    # pieces of a thin 1 broken by a pen that skipped are.
    inked: dict[int, list[Blob]] = {}
    for b, n in counted:
        if n >= min_area:
            inked.setdefault(cell_of(b), []).append(b)
    digits, singles = [], []
    unread = pieced = scraps = False
    read: set[int] = set()
    for k in range(cells):
        group = owner.get(k, [])
        if not group:
            continue
        blob = _union(group)
        # Only a piece of a digit's height is a stroke spilling over from the
        # next cell, or dirt: the cell is empty, unless its pieces together
        # (the smaller ones too) stand so tall (a digit broken by a pen that
        # skipped: it is read) or spread both ways like a small digit (then
        # the field asks).
        if blob.h < CELL_INK * h:
            blob = _union(inked.get(k, group))
        if blob.h < CELL_INK * h:
            unread = unread or min(blob.w, blob.h) >= UNREAD_INK * h
            continue
        d = _crop(paper, blob, margin)
        if d is not None:
            digits.append(d)
            singles.append((blob.w, blob.h))
            pieced = pieced or all(b.h < CELL_INK * h for b in group)
            scraps = scraps or _scraps(blob, group, counted, blobs, k, cell_of)
            read.add(k)
    # Only a cell read as empty can hold a faint digit that was missed.
    faint = len(read) < cells and any(cell_of(f) not in read for f in faint_marks(edges[1:-1]))
    return BoxLayout(
        "comb",
        cells,
        interior,
        frame.outer,
        tuple(digits),
        singles=tuple(singles),
        edges=tuple(float(e) for e in edges),
        crossed=crossed,
        unread=unread,
        pieced=pieced,
        scraps=scraps,
        faint=faint,
        along=along,
        patterned=bool(bg),
        skipped=bool(bg)
        and skips_a_cell(read, _marked_cells(raw, interior, edges, set(range(cells)) - read)),
    )


def _lone_side(bands: Sequence[tuple[int, int, int, int]], shape: tuple[int, ...]) -> bool:
    """In an image cut inside its box, is the one frame line found a left or
    right side, with no top or bottom line beside it? An amount cut tight
    round its writing has no frame, and its first or last digit, a 1
    spanning the image's height, passes for what the cut left of a side:
    whited out, `1000.-` read `000`, `ok` (BENCHMARKS.md, fifty-fourth
    session)."""
    return len(bands) == 1 and bands[0][1] == 0 and bands[0][3] == shape[0]


def _x_overlap(a: Blob, b: Blob) -> int:
    """How many columns two blobs share (less than 0: the gap between them)."""
    return min(a.x + a.w, b.x + b.w) - max(a.x, b.x)


def writer_aspect(layouts: Iterable[BoxLayout]) -> float:
    """Median width / height of this page's digits (1s left out).

    Comb cells hold one digit each, so they are the measure; on a page
    without combs, string blobs about a digit tall stand in (a pair of
    touching digits among them pulls the median up a little). With fewer
    than three, the synthetic writers' median.
    """
    layouts = list(layouts)

    def plausible(ratios: list[float]) -> list[float]:
        return [r for r in ratios if 0.3 <= r <= 1.0]

    ratios = plausible([w / h for lay in layouts for w, h in lay.singles if h > 0])
    if len(ratios) < 3:
        for lay in layouts:
            hs = [b.h for b in lay.blobs]
            ratios += plausible([b.w / b.h for b in lay.blobs if b.h >= 0.6 * max(hs)])
    if len(ratios) < 3:
        return ASPECT
    return min(max(median(ratios), 0.4), 0.9)


def _digit_height(blob: Blob) -> float:
    """Height of the digits in a blob: a row of touching digits that drifts
    up or down is taller than any of them, but its columns are not."""
    m = blob.mask  # 0/1: argmax finds the first 1 as it would the first True
    if not m.shape[0]:
        return float(blob.h)
    top = m.argmax(axis=0)
    # A column is empty where its first maximum is a 0.
    cols = m[top, np.arange(m.shape[1])] > 0
    if not cols.any():
        return float(blob.h)
    bottom = blob.h - m[::-1].argmax(axis=0)
    return percentile((bottom - top)[cols].tolist(), 90)


# Each blob's pen width (None: no outline) by id, with the blob itself so
# that its id cannot pass to another while the record lives.
_Widths = dict[int, tuple[Blob, float | None]]


def _stroke_width(blobs: Iterable[Blob], known: _Widths | None = None) -> float:
    """Median pen width of the blobs: twice the ink area over the outline length.

    ``known`` keeps each blob's width for another call on the same blobs.
    """
    widths = []
    for b in blobs:
        seen = None if known is None else known.get(id(b))
        if seen is not None and seen[0] is b:
            width = seen[1]
        else:
            width = pen_width(b.mask)
            if known is not None:
                known[id(b)] = (b, width)
        if width is not None:
            widths.append(width)
    return median(widths) if widths else 1.0


def _near(blob: Blob, others: Sequence[Blob], gap: int) -> bool:
    """Does any of ``others`` have ink within ``gap`` px of the blob's ink?"""
    grown = cv2.dilate(np.pad(blob.mask, gap), np.ones((2 * gap + 1, 2 * gap + 1), np.uint8))
    gx, gy = blob.x - gap, blob.y - gap
    gh, gw = grown.shape
    for o in others:
        x0, y0 = max(gx, o.x), max(gy, o.y)
        x1, y1 = min(gx + gw, o.x + o.w), min(gy + gh, o.y + o.h)
        if x1 <= x0 or y1 <= y0:
            continue
        a = grown[y0 - gy : y1 - gy, x0 - gx : x1 - gx]
        b = o.mask[y0 - o.y : y1 - o.y, x0 - o.x : x1 - o.x]
        if np.any(a & b):
            return True
    return False


def _is_dirt(c: Blob, stroke: float) -> bool:
    """Ink under half a pen width across, or with less ink than a fifth of a
    pen's square: dirt, neither a mark nor a piece of a stroke."""
    return max(c.w, c.h) < 0.5 * stroke or cv2.countNonZero(c.mask) < 0.2 * stroke * stroke


def _mark_char(c: Blob, top: float, base: float, stroke: float) -> MarkChar | None:
    """The separator a small blob's shape and place make it, or None.

    ``top`` and ``base`` are the digits' top and baseline. A point or comma
    sits on the baseline (a comma's tail hangs below it); a dash lies flat
    about half-way up. Ink under half a pen width across is dirt.
    """
    H = max(1.0, base - top)
    if _is_dirt(c, stroke):
        return None
    rel = (c.y + c.h / 2 - top) / H
    if c.w <= 0.4 * H and c.h <= MARK_H * H and (c.y - top) >= 0.5 * H:
        tail = c.h >= 1.5 * c.w or c.y + c.h > base + 0.12 * H
        return "," if tail else "."
    if c.w >= 1.3 * c.h and c.h <= 0.3 * H and 0.15 * H <= c.w <= H and 0.2 <= rel <= 0.85:
        return "-"
    return None


def _dot(c: Blob) -> bool:
    """Shaped like a point or a comma: less than RAISED_FLAT times wider than
    tall (a 5's top bar lifted off, at the top of the digits as an
    upside-down point is, lies flat)."""
    return c.w < RAISED_FLAT * c.h


def _broken_strokes(small: Sequence[Blob], height: float, stroke: float) -> set[int]:
    """The ids of small pieces that are one stroke broken by a faint pen: two
    or more, one above the other (no further apart across than a pen width),
    together at least half the digits' ``height`` tall and no wider than a
    third of it. A separator sits alone on the baseline or lies flat half-way
    up; a "1" whose ink broke into dots is not a row of them."""
    out: set[int] = set()
    pieces = sorted((b for b in small if not _is_dirt(b, stroke)), key=lambda b: b.x)
    reach = max(1.0, stroke)
    group: list[Blob] = []

    def close(group: list[Blob]) -> None:
        if len(group) < 2:
            return
        y0 = min(b.y for b in group)
        y1 = max(b.y + b.h for b in group)
        x0 = min(b.x for b in group)
        x1 = max(b.x + b.w for b in group)
        flat = any(b.w >= 1.3 * b.h for b in group)  # a dash among them: "=" or "-"
        if not flat and y1 - y0 >= 0.5 * height and x1 - x0 <= height / 3.0:
            out.update(id(b) for b in group)

    right = 0  # the group's right edge
    for b in pieces:
        if group and b.x > right + reach:
            close(group)
            group = []
        right = max(right, b.x + b.w) if group else b.x + b.w
        group.append(b)
    close(group)
    return out


def _find_marks(
    blobs: list[Blob],
    specks: Sequence[Blob],
    h_ref: float,
    known: _Widths | None = None,
    raised: list[Blob] | None = None,
    lines: list[Blob] | None = None,
    interior: tuple[int, int, int, int] | None = None,
) -> tuple[list[Blob], list[tuple[Blob, MarkChar]]]:
    """Separators among a string's small ink, and the blobs left for the digits.

    A small blob near a digit's ink is a piece of it (a 5's loose bar): it
    stays with the blobs, to be merged. Writers put points close to the
    digits, so "near" is tight: a third of a pen width (or of the blob). Two dashes one above the other
    are an "=", and so are a dash and a point or comma under or over it.

    Into ``raised`` go the small blobs, apart from the digits, that would be
    a point or comma were the string turned half a turn: hanging at the top
    of the digits, as a separator of an amount written upside down does.
    Into ``lines`` goes the ink the string reader must not read: a line
    drawn after the amount to the end of its box (``_filler``: no mark and
    no digit), guards standing on both sides of it (``_guards``), and a
    currency sign or code printed in the box before it (``layout.printed``;
    ``interior``: the box's inside, x0, y0, x1, y1), which leaves the
    digits' blobs too. One guard alone stays in its line: a digit taken
    for one then still reads there, the two readers disagree, and the
    field goes to review.
    """
    big = [b for b in blobs if b.h >= MARK_H * h_ref]
    if not big:
        return blobs, []
    found: list[tuple[Blob, MarkChar]] = []
    if len(big) >= 2:
        # A currency sign before the amount: the first blob, told by its shape.
        first = min(big, key=lambda b: b.x)
        others = [b for b in big if b is not first]
        top = median([b.y for b in others])
        base = median([b.y + b.h for b in others])
        sign: MarkChar | None = (
            "$"
            if is_currency_sign(first.mask, first.y, top, base)
            else "€"
            if is_euro_sign(first.mask, top, base)
            else None
        )
        if sign is not None:
            found.append((first, sign))
            big = others
    filler = _filler(blobs, big, specks)
    if filler:
        blobs = [b for b in blobs if not any(b is p for p in filler)]
        big = [b for b in big if not any(b is p for p in filler)]
        specks = [c for c in specks if not any(c is p for p in filler)]
        if lines is not None:
            lines.extend(filler)
    guards, both = _guards([b for b in blobs if not any(b is m for m, _ in found)], big)
    if guards:
        found += guards
        big = [b for b in big if not any(b is g for g, _ in guards)]
        blobs = [b for b in blobs if not any(b is g for g, _ in guards)]
        if both and lines is not None:
            lines += [g for g, _ in guards]
    lead = _printed(blobs, interior) if interior is not None and lines is not None else []
    if lead and lines is not None:
        blobs = [b for b in blobs if not any(b is p for p in lead)]
        big = [b for b in big if not any(b is p for p in lead)]
        # The print's point ("Rs."), between it and the writing and nearer
        # the print, goes with it. A point nearer the writing is written
        # (`EUR .68`, a digit before it lost, read `68`, `ok`), and so is one
        # after a guard ("EUR **.68**").
        writing = [*blobs, *(m for m, _ in found if not any(m is p for p in lead))]
        start, stop = min(p.x for p in lead), max(p.x + p.w for p in lead)
        end = min((b.x for b in writing if b.x > start), default=start)
        point = [
            c for c in specks if c.x >= start and c.x + c.w <= end and c.x - stop < end - c.x - c.w
        ]
        specks = [c for c in specks if not any(c is p for p in point)]
        lines += lead + point
    stroke = _stroke_width(big, known)
    top = median([b.y for b in big])
    base = median([b.y + b.h for b in big])
    rest: list[Blob] = []
    hung: list[Blob] = []  # at the top of the digits (_apostrophes)
    small = [*(b for b in blobs if b.h < MARK_H * h_ref), *specks]
    broken = _broken_strokes(small, base - top, stroke)
    for c in small:
        if id(c) in broken:
            rest.append(c)  # a piece of a stroke broken by a faint pen
            continue
        # Near: closer than a third of a pen width, or of the mark's own size.
        gap = max(1, int(round(0.3 * min(stroke, max(c.w, c.h)))))
        near = _near(c, big, gap)
        ch = None if near else _mark_char(c, top, base, stroke)
        if ch is not None:
            found.append((c, ch))
        elif any(c is b for b in blobs):
            rest.append(c)
        if ch is None and not near and _dot(c):
            # Its place and shape, the string turned half a turn.
            upside = Blob(c.x, -(c.y + c.h), c.mask[::-1, ::-1])
            if _mark_char(upside, -base, -top, stroke) in (".", ","):
                hung.append(c)
    if _apostrophes(hung, found, big):
        found += [(c, "'") for c in hung]
        rest = [b for b in rest if not any(b is c for c in hung)]
    elif raised is not None:
        raised += hung
    marks: list[tuple[Blob, MarkChar]] = []
    for c, ch in sorted(found, key=lambda m: m[0].x):
        pair = {ch, marks[-1][1]} if marks else set()
        # Two dashes one above the other, or a dash over a short stroke
        # taken for a point ("2540/=" read "25401.-"), are an "=".
        if pair == {"-"} or (pair in ({"-", "."}, {"-", ","}) and _stacked(marks[-1][0], c)):
            p = marks[-1][0]
            ov = _x_overlap(p, c)
            if ov >= 0.5 * min(p.w, c.w):
                marks[-1] = (_union([p, c]), "=")
                continue
        marks.append((c, ch))
    return big + rest, marks


def _apostrophes(
    hung: Sequence[Blob], found: Sequence[tuple[Blob, MarkChar]], big: Sequence[Blob]
) -> bool:
    """Whether the small blobs hanging at the top of a string's digits
    (``hung``) are apostrophes grouping thousands, as the Swiss write
    ``1'250.50``, and not the points or commas of a string written upside
    down (``_find_marks``'s ``raised``). They are when each is a tick
    (TICK), not a round point, standing between digits, and a point or
    comma stands on the digits' baseline after every one of them (the
    decimal separator, or ``.-``): an upside-down string has all of its
    points at the top. (Turned, an apostrophe stands on the baseline as a
    comma would; the decimal point it then has at the top is round.)
    Whether they group thousands is the amount grammar's to say
    (``formocr.read.amount``): a string they do not group goes to review."""
    if not hung:
        return False
    last = max(c.x for c in hung)
    if not any(ch in ".," and m.x > last for m, ch in found):
        return False
    return all(
        c.h >= TICK * c.w
        and any(b.x + b.w <= c.x + c.w for b in big)
        and any(b.x >= c.x for b in big)
        for c in hung
    )


def _print_alone(blobs: Sequence[Blob], interior: tuple[int, int, int, int]) -> bool:
    """Whether a string box's ink is a printed sign or code and nothing
    else (``layout.printed.print_alone``)."""
    return print_alone(*_as_print(blobs, interior)[1:])


def _printed(blobs: list[Blob], interior: tuple[int, int, int, int]) -> list[Blob]:
    """A currency sign or code printed in a string box before the writing
    (``layout.printed.printed_lead``); ``interior``: the box's inside."""
    order, boxes, inside, masks = _as_print(blobs, interior)
    return order[: printed_lead(boxes, inside, masks)]


def _as_print(
    blobs: Sequence[Blob], interior: tuple[int, int, int, int]
) -> tuple[
    list[Blob], list[tuple[int, int, int, int]], tuple[int, int, int, int], list[np.ndarray]
]:
    """``blobs`` left to right, as ``layout.printed`` takes them: their
    boxes, the box's inside (x, y, w, h) and their masks."""
    order = sorted(blobs, key=lambda b: b.x)
    x0, y0, x1, y1 = interior
    boxes = [(b.x, b.y, b.w, b.h) for b in order]
    return order, boxes, (x0, y0, x1 - x0, y1 - y0), [b.mask for b in order]


def _guards(blobs: list[Blob], big: list[Blob]) -> tuple[list[tuple[Blob, MarkChar]], bool]:
    """Guards written on both sides of an amount ("#1,250.00#", "**1250**"):
    the blobs at either end, told by their shape (``layout.guards``) among
    the digits (``big``) between them; a second guard within one at an end
    too ("**"). None unless a digit is left between. And whether they
    stand at both ends: where they do not, the caller leaves them out of
    one reader only (a digit may have been taken for one)."""
    order = sorted(blobs, key=lambda b: b.x)
    found: list[tuple[Blob, MarkChar]] = []
    lo, hi = 0, len(order) - 1
    for _ in range(GUARDS_EACH_SIDE):
        inner = [b for b in big if any(b is o for o in order[lo + 1 : hi])]
        if not inner:
            break
        top = median([b.y for b in inner])
        base = median([b.y + b.h for b in inner])
        more = False
        for end in (lo, hi):
            b = order[end]
            # A star first: a "#" whose middle filled in can pass for a star's
            # three strokes less often than a star for such a "#". First in
            # the string, it may be as tall as the digits (a "+44").
            tall = LEAD_TALL if end == 0 else STAR_TALL
            ch: MarkChar | None = (
                "*"
                if is_star(b.mask, top, base, tall)
                else "#"
                if is_guard(b.mask, top, base)
                else None
            )
            if ch is not None and not any(b is g for g, _ in found):
                found.append((b, ch))
                lo, hi = (lo + 1, hi) if end == lo else (lo, hi - 1)
                more = True
        if not more:
            break
    if lo == 0 or hi == len(order) - 1:
        # Guards at one end only: a "#", or a star, an x or a + (a phone
        # number's "+44": the readers read it as a 4). Not sure enough to
        # read without: the caller leaves it out of one reader only.
        return found, False
    return found, True


def _filler(blobs: list[Blob], big: list[Blob], specks: Sequence[Blob] = ()) -> list[Blob]:
    """A line drawn after an amount to the end of its box, so that nothing
    can be added ("1,250.00 ----", or wavy), in its pieces: the rightmost
    blob, and flat blobs overlapping it and each other along the row (a
    light line on a security print broke into a stroke and a hairline under
    it, the first taken for a closing dash), right of every other, at least
    FILL_LONG of the tallest digit's height long together, FILL_FLAT times
    as long as they are tall and at most FILL_THIN of that height tall,
    across the digits' middle, and the ``specks`` within its extent (pieces
    too small to be blobs). A closing dash ("1250.-") is shorter; no digit
    is a flat stroke that long standing alone."""
    if len(blobs) < 2:
        return []
    by_end = sorted(blobs, key=lambda b: b.x + b.w, reverse=True)
    pieces = [by_end[0]]
    for b in by_end[1:]:
        start = min(p.x for p in pieces)
        if b.x + b.w < start - 1 or b.w < FILL_FLAT * b.h:
            break  # apart from the line, or no flat piece of it
        pieces.append(b)
    line = _union(pieces)
    rest = [b for b in big if not any(b is p for p in pieces)]
    others = [b for b in blobs if not any(b is p for p in pieces)]
    if not rest or line.x < max(b.x + b.w for b in others) - 1:
        return []
    top = median([b.y for b in rest])
    base = median([b.y + b.h for b in rest])
    band = max(1.0, base - top)
    tallest = max(b.h for b in rest)  # a comma among few digits lowers the band
    middle = line.y + line.h / 2.0
    if not (
        line.w >= FILL_LONG * tallest
        and line.w >= FILL_FLAT * line.h
        and line.h <= FILL_THIN * tallest
        and top + 0.2 * band <= middle <= base - 0.1 * band
    ):
        return []
    pad = line.h
    return pieces + [
        c
        for c in specks
        if c.x >= line.x
        and c.x + c.w <= line.x + line.w + pad
        and c.y >= line.y - pad
        and c.y + c.h <= line.y + line.h + pad
    ]


# A line after an amount: at least FILL_LONG of the digits' height long (a
# closing dash is 0.3-0.6), FILL_FLAT times as long as tall, at most
# FILL_THIN of their height tall (a wavy one too).
FILL_LONG = 0.8
FILL_FLAT = 3.0
FILL_THIN = 0.5

# At most this many guards are looked for at each end of an amount ("**").
GUARDS_EACH_SIDE = 2


def _stacked(a: Blob, b: Blob) -> bool:
    """Whether ``a`` and ``b`` lie one above the other, apart."""
    return a.y + a.h <= b.y or b.y + b.h <= a.y


def _local_minima(profile: np.ndarray, lo: int, hi: int, reach: int) -> list[int]:
    """Columns lo..hi-1 where the profile is lowest within ``reach`` each way
    (the middle of a flat valley)."""
    # The lowest within reach of each column (the window cut at the ends).
    low = cv2.erode(profile[None, :], np.ones((1, 2 * reach + 1), np.uint8))[0].tolist()
    p = profile.tolist()
    out = []
    x = lo
    while x < hi:
        if p[x] <= low[x]:
            end = x
            while end + 1 < hi and p[end + 1] == p[x]:
                end += 1
            out.append((x + end) // 2)
            x = end + reach
        x += 1
    return out


def _over_segment(
    blob: Blob, digit_h: float, digit_w: float, pen: float, aspect: float, cut_from: float
) -> list[tuple[Blob, float]]:
    """The blob cut at every plausible place: its pieces, left to right, each
    with the cost (nats) of the cut on its left (0 for the first).

    Candidate places are the valleys of the column profile (where the ink
    is thinnest: joins, the gap between overlapping digits) and the width
    rule's even spacing; each is refined into the top-to-bottom path that
    crosses the least ink near it (a drop-fall path).
    """
    w = blob.w
    if w < cut_from:
        return _two_ones(blob, digit_h, pen)
    fat = cv2.dilate(blob.mask, np.ones((3, 3), np.uint8))
    profile = cv2.blur(fat.sum(axis=0).astype(np.float32)[None, :], (max(3, int(pen)) | 1, 1))[0]
    apart = max(CUT_APART * digit_h, CUT_APART_W * digit_w)
    edge = max(2, int(apart))
    reach = max(2, int(0.1 * digit_h))
    ideals = [float(x) for x in _local_minima(profile, edge, w - edge, reach)]
    n = int(round(w / max(PITCH * aspect * digit_h, 1.0)))
    for parts in {n, n + 1}:
        if parts >= 2:
            ideals += [k * w / parts for k in range(1, parts)]
    # Places closer than half the cuts' spacing give the same path: one each.
    near = 0.5 * apart
    places: list[float] = []
    for x in ideals:
        if all(abs(x - q) >= near for q in places):
            places.append(x)
    r = max(2, int(0.12 * digit_h))
    found = []
    for x in places:
        _, path = cut_path(fat, int(x) - r, int(x) + r + 1, x)
        priced = _priced(blob.mask, path, pen)
        centre = float(path.mean())
        if priced is not None and edge <= centre <= w - edge:
            found.append((priced[0], centre, path, priced[1]))
    kept: list[tuple[float, float, np.ndarray, float]] = []
    for cut in sorted(found, key=lambda c: c[0]):
        if all(abs(cut[1] - c[1]) >= apart for c in kept):
            kept.append(cut)
    kept.sort(key=lambda c: c[1])
    return _pieces(blob, [(path, cost) for _, _, path, cost in kept], pen)


def _priced(mask: np.ndarray, path: np.ndarray, pen: float) -> tuple[float, float, int] | None:
    """(ink crossed, cost in nats, strokes cut) of cutting ``mask`` along
    ``path``; None where it crosses more than CUT_MAX pen widths of ink."""
    on = mask[np.arange(mask.shape[0]), path] > 0
    ink = float(on.sum())
    if ink > CUT_MAX * max(pen, 1.0):
        return None
    # The strokes it cuts (runs of ink along it), and the ink it runs along
    # beyond crossing them (a stroke cut lengthwise).
    strokes = strokes_crossed(on)
    along = max(0.0, ink - CROSS * max(pen, 1.0) * strokes) / max(pen, 1.0)
    return ink, CUT_NATS * strokes + CUT_ALONG * along, strokes


def strokes_crossed(on: np.ndarray) -> int:
    """How many strokes (runs of ink) a cut crosses, given the pixels along
    it (ink nonzero), in order."""
    on = np.asarray(on) > 0
    return int(on[0]) + int(np.count_nonzero(on[1:] & ~on[:-1])) if on.size else 0


def _pieces(
    blob: Blob, cuts: Sequence[tuple[np.ndarray, float]], pen: float
) -> list[tuple[Blob, float]]:
    """The blob cut along ``cuts`` (path, cost), left to right: its pieces,
    each with the cost of the cut on its left (0 for the first)."""
    paths: list[np.ndarray] = []
    for path, _ in cuts:
        paths.append(np.maximum(path, paths[-1]) if paths else path)
    h, w = blob.mask.shape
    cols = np.arange(w)[None, :]
    bounds = [np.zeros(h, np.int64), *paths, np.full(h, w, np.int64)]
    costs = [0.0] + [c for _, c in cuts]
    pieces: list[tuple[Blob, float]] = []
    for a, b, cost in zip(bounds[:-1], bounds[1:], costs, strict=True):
        keep = (cols >= a[:, None]) & (cols < b[:, None])
        mask = blob.mask * keep  # uint8
        mx, my, mw, mh = cv2.boundingRect(mask)  # the ink's extent
        if mw == 0:
            continue
        part = Blob(blob.x + mx, blob.y + my, mask[my : my + mh, mx : mx + mw])
        if pieces and cv2.countNonZero(part.mask) < pen * pen:
            # A sliver left by a cut goes with its left neighbour.
            prev, c = pieces[-1]
            pieces[-1] = (_union([prev, part]), c)
            continue
        pieces.append((part, cost if pieces else 0.0))
    return pieces


def _two_ones(blob: Blob, digit_h: float, pen: float) -> list[tuple[Blob, float]]:
    """Ink narrower than a cut is made for: cut once between two strokes
    that stand side by side, each nearly its height (two 1s written close
    enough to touch, slanted or not), else whole."""
    whole = [(blob, 0.0)]
    # Two strokes side by side are two pen widths across at least, and two
    # 1s narrower than most digits (9 in 10 pairs of 1s under 0.6 of their
    # height). The ink's own rows first: paper it encloses only lowers them.
    if not 2.0 * pen <= blob.w <= TWO_ONES_WIDE * blob.h or blob.h < JOIN_TALL * digit_h:
        return whole
    if _two_stroke_share(blob.mask) < SIDE_CUT:
        return whole
    solid = _filled(blob.mask, *_outline(blob.mask))
    if _two_stroke_share(solid) < SIDE_CUT:
        return whole
    mid = float(np.median(_gaps(solid)))
    # Ink on both sides of the paper between them, nearly all the way down
    # (not a 4's arm beside its stem), before any path is sought.
    ink = blob.mask > 0
    tall = TWO_ONES_TALL * blob.h
    left = np.count_nonzero(ink[:, : int(mid)].any(axis=1))
    right = np.count_nonzero(ink[:, int(mid) + 1 :].any(axis=1))
    if min(left, right) < tall:
        return whole
    edge = max(2, int(pen))
    # On the ink as found, not thickened: the paper between two 1s is thin.
    _, path = cut_path(blob.mask, edge, blob.w - edge, mid)
    priced = _priced(blob.mask, path, pen)
    # Two 1s touch once at most (touching twice, they enclose paper).
    if priced is None or priced[2] > 1:
        return whole
    pieces = _pieces(blob, [(path, priced[1])], pen)
    # Each piece a stroke down nearly all of it (not a 2's arc and foot).
    if len(pieces) != 2 or any(np.count_nonzero(p.mask.any(axis=1)) < tall for p, _ in pieces):
        return whole
    return pieces


def _outline(mask: np.ndarray) -> tuple[Sequence[np.ndarray], np.ndarray]:
    """The ink's outlines, two levels (``cv2.RETR_CCOMP``): each contour and
    its parent (-1: the outside of a piece of ink; else a hole in one)."""
    contours, hierarchy = cv2.findContours(
        np.ascontiguousarray(mask, np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
    )
    parents = np.zeros(0, np.int64) if hierarchy is None else hierarchy[0][:, 3]
    return contours, parents


def _filled(mask: np.ndarray, contours: Sequence[np.ndarray], parents: np.ndarray) -> np.ndarray:
    """The ink (uint8 0/1) with the paper it encloses filled in."""
    solid = np.zeros(np.shape(mask), np.uint8)
    outer = [c for c, parent in zip(contours, parents, strict=True) if parent < 0]
    cv2.drawContours(solid, outer, -1, 1, thickness=-1)
    return solid


def _two_stroke_share(ink: np.ndarray) -> float:
    """The share of the ink's rows (uint8 0/1 mask) that cross two strokes
    or more."""
    if ink.shape[0] == 0 or ink.shape[1] < 3:  # no room for two strokes apart
        return 0.0
    starts = cv2.compare(ink[:, 1:], ink[:, :-1], cv2.CMP_GT)  # 255 where a stroke starts
    per_row = cv2.reduce(starts, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S)[:, 0] // 255 + ink[:, 0]
    rows = np.count_nonzero(cv2.reduce(ink, 1, cv2.REDUCE_MAX))
    return float(np.count_nonzero(per_row >= 2)) / rows if rows else 0.0


def _gaps(ink: np.ndarray) -> np.ndarray:
    """In each row of the ink (0/1 mask) that crosses two strokes, the
    middle of the paper after the first."""
    ink = ink > 0
    end = ink[:, :-1] & ~ink[:, 1:]  # a stroke's last column
    first = end.argmax(axis=1)
    after = ink & (np.arange(ink.shape[1])[None, :] > first[:, None])
    two = end.any(axis=1) & after.any(axis=1)
    return (0.5 * (first + after.argmax(axis=1) + 1))[two]


def count_holes(mask: np.ndarray, least: float) -> int:
    """How many loops the ink of ``mask`` closes: paper it encloses, each
    at least ``least`` px (a speck of paper in a thick stroke is none)."""
    return _holes(*_outline(mask), least)


def _holes(contours: Sequence[np.ndarray], parents: np.ndarray, least: float) -> int:
    return sum(
        1
        for c, parent in zip(contours, parents, strict=True)
        if parent >= 0 and cv2.contourArea(c) >= least
    )


def side_by_side(mask: np.ndarray) -> float:
    """The share of the ink's rows that cross two strokes or more: near 0
    for a 1 (its flag and foot are a few rows), a third and up for two 1s
    written close enough to touch. Paper the ink encloses does not part
    strokes (specks in a broad marker's 1; a 0's loop)."""
    if np.size(mask) == 0:
        return 0.0
    return _two_stroke_share(_filled(mask, *_outline(mask)))


def string_ink(
    paper: np.ndarray,
    blobs: Sequence[Blob],
    digit_h: float,
    aspect: float,
    margin: int,
    line: np.ndarray | None = None,
    known: _Widths | None = None,
) -> StringInk:
    """Primitives of a string box's digit ink, and its candidate digits.

    ``blobs`` are the ink left for digits once marks are set apart (pieces
    of one digit merged); ``digit_h`` the digits' height. Cuts between
    separate strokes are free; cuts through ink cost CUT_NATS a stroke.
    ``known``: pen widths already measured (see ``_stroke_width``).
    """
    pen = _stroke_width(blobs, known) if blobs else 1.0
    # A typical digit's width: strokes standing alone, about a digit tall
    # and not as narrow as a 1; else the page's writer.
    alone = [b.w for b in blobs if b.h >= 0.7 * digit_h and 0.35 * digit_h <= b.w <= 0.95 * digit_h]
    digit_w = median(alone) if len(alone) >= 2 else aspect * digit_h
    cut_from = max(CUT_FROM * digit_h, CUT_WIDE * digit_w)
    prims: list[Blob] = []
    cut_costs: list[float] = []
    for blob in sorted(blobs, key=lambda b: b.x):
        for part, cost in _over_segment(blob, digit_h, digit_w, pen, aspect, cut_from):
            prims.append(part)
            cut_costs.append(cost)
    skip = [SKIP_NATS * min(1.0, p.h / max(digit_h, 1.0)) for p in prims]
    widest = min(RUN_W * digit_h, RUN_WIDE * digit_w)
    segments = []
    n = len(prims)
    tall = [p.h >= JOIN_TALL * digit_h for p in prims]
    for i in range(n):
        right = prims[i].x + prims[i].w
        joins = 0
        for j in range(i + 1, min(n, i + RUN) + 1):
            if j > i + 1:
                nxt = prims[j - 1]
                if nxt.x - right > RUN_GAP * digit_h:
                    break
                # Two tall strokes apart (no cut between them) made one digit.
                joins += cut_costs[j - 1] == 0.0 and tall[j - 1] and tall[j - 2]
                right = max(right, nxt.x + nxt.w)
                if right - prims[i].x > widest:
                    break
            u = prims[i] if j == i + 1 else _union(prims[i:j])
            d = _crop(paper, u, margin)
            if d is None:
                continue
            crop = DigitCrop(BBox(*d.bbox), d.image)
            contours, parents = _outline(u.mask)
            holes = _holes(contours, parents, HOLE_AREA * digit_h * digit_h)
            strokes = _two_stroke_share(_filled(u.mask, contours, parents))
            segments.append(Segment(i, j, crop, (u.w, u.h), JOIN_NATS * joins, holes, strokes))
    return StringInk(tuple(segments), tuple(cut_costs), tuple(skip), float(digit_h), line, digit_w)


def split_blobs(layout: BoxLayout, aspect: float, crops: bool = True) -> BoxLayout:
    """Digits of a string box: separators set apart, pieces merged, touching
    digits split.

    Without ``crops`` the digits' crops are not made: the layout keeps the
    pieces (``parts``) and the cut-out for ``cut_crops`` to make them when
    asked (reading a string by its lattice never asks).
    """
    if layout.kind != "string" or layout.paper is None:
        return layout
    blobs = list(layout.blobs)
    if not blobs:
        return layout
    heights = [b.h for b in blobs]
    h_ref = median([v for v in heights if v >= 0.4 * max(heights)])
    known: _Widths = {}  # pen widths, measured once for marks and for the lattice
    raised: list[Blob] = []
    unread: list[Blob] = []  # ink the string reader leaves out (see _find_marks)
    blobs, marks = _find_marks(blobs, layout.specks, h_ref, known, raised, unread, layout.interior)
    merged = _merge_pieces(blobs, h_ref)
    # A row of touching digits drifting up or down is taller than its digits.
    tall = [b for b in merged if b.h >= 0.6 * max(b.h for b in merged)]
    heights_of = {id(b): _digit_height(b) for b in tall}
    digit_h = median(heights_of.values())
    x0, y0, x1, y1 = layout.interior
    ext = int(OUTSIDE * (y1 - y0))
    line = layout.paper[max(0, y0 - ext) : y1 + ext, x0:x1]
    at = (x0, max(0, y0 - ext))
    if unread:
        # The string reader reads the digits between guards and before a
        # line drawn after them (it would read each as digits).
        line = _without(line, unread, at, known)
    ink = string_ink(layout.paper, merged, digit_h, aspect, layout.margin, line, known)
    # Guards at both ends are in ``unread`` (the string reader skips them).
    guarded = [m for m, ch in marks if ch in GUARD_MARKS and any(m is u for u in unread)]
    seps = [m for m, ch in marks if ch in GAP_SEPARATORS] + guarded
    others = [m for m, ch in marks if not any(m is g for g in seps)] + [
        u for u in unread if not any(u is g for g in seps)
    ]
    wide = (
        _wide_gaps(merged, seps, others, GAP_ROOM * digit_h, ink.digit_width)
        if layout.patterned or layout.strip or layout.noisy
        else ()
    )
    gaps = tuple((a, y0, b - a, y1 - y0) for a, b in wide)
    ink = replace(ink, line_at=at, line_marks=_painted(line.shape, [m for m, _ in marks], at))
    parts: list[Blob] = []
    for blob in merged:
        height = float(blob.h)
        if blob.w > 2.5 * aspect * blob.h:
            # Several digits: the row may drift up or down.
            dh = heights_of.get(id(blob))
            height = min(height, _digit_height(blob) if dh is None else dh)
        expected = aspect * height
        paths: list[np.ndarray] = []
        if blob.w > SPLIT * expected:
            # Blur can squash a row of digits into a band of little height:
            # no piece narrower than a third of the blob's height.
            n = max(2, int(round(blob.w / max(PITCH * expected, blob.h / 3.0, 1.0))))
            pitch = blob.w / n
            # Paths avoid ink on a slightly fattened mask, so they cannot slip
            # diagonally through a thin stroke.
            fat = cv2.dilate(blob.mask, np.ones((3, 3), np.uint8))
            paths = [
                cut_path(fat, int((k - 0.35) * pitch), int((k + 0.35) * pitch), k * pitch)[1]
                for k in range(1, n)
            ]
        parts.extend(_split(blob, paths))
    # Each part's ink box, as its crop will have it (parts are never blank).
    boxes = [cv2.boundingRect(p.mask) for p in parts]
    centres = sorted(p.x + x + w / 2 for p, (x, _, w, _) in zip(parts, boxes, strict=True))
    found = tuple(
        MarkInk((m.x, m.y, m.w, m.h), ch, int(np.searchsorted(centres, m.x + m.w / 2)))
        for m, ch in marks
    )
    split = replace(
        layout,
        blobs=(),
        specks=(),
        marks=found,
        ink=ink,
        parts=tuple(parts),
        raised=bool(raised),
        gaps=gaps,
    )
    if not crops:
        return split
    return replace(split, digits=cut_crops(split), paper=None, parts=())


def _wide_gaps(
    digits: Sequence[Blob],
    seps: Sequence[Blob],
    others: Sequence[Blob],
    least: float,
    width: float,
) -> tuple[tuple[int, int], ...]:
    """The x ranges of paper at least ``least`` wide between two of the
    ``digits``' ink, or a digit's and a separator's (``seps``: writers put
    a point or comma close to the digits; `581,43` with its 8 and 1 written
    light read `5,43`), no ink of ``others`` (guards, a sign, a line drawn
    after the amount) in them. A digit narrower than ``width`` (a typical
    digit's) counts as that wide about its centre: writers space a 1 as any
    digit, and the paper beside it is wider by what it lacks (a right
    ``651.92`` asked so)."""

    def span(b: Blob) -> tuple[int, int, int]:
        half = max(b.w, width) / 2
        return int(round(b.x + b.w / 2 - half)), int(round(b.x + b.w / 2 + half)), 2

    spans = sorted(
        [span(b) for b in digits]
        + [(b.x, b.x + b.w, 1) for b in seps]
        + [(b.x, b.x + b.w, 0) for b in others]
    )
    out = []
    reach, kind = None, 0  # the rightmost ink so far, and whose: 2 a digit's, 1 a separator's
    for x0, x1, this in spans:
        if reach is not None and kind and this and kind + this >= 3 and x0 - reach >= least:
            out.append((reach, x0))
        if reach is None or x1 > reach:
            reach, kind = x1, this
    return tuple(out)


def _without(
    line: np.ndarray, blobs: Sequence[Blob], at: tuple[int, int], known: _Widths
) -> np.ndarray:
    """A copy of ``line`` (its top-left corner at ``at``) with the blobs' ink,
    and the pen's grey edge round it, painted the line's paper."""
    ink = _painted(line.shape, blobs, at)
    if ink is None:
        return line
    edge = 2 * max(1, int(round(_stroke_width(list(blobs), known) / 2))) + 1
    ink = cv2.dilate(ink.astype(np.uint8), np.ones((edge, edge), np.uint8)) > 0
    paper = line[~ink]
    out = line.copy()
    out[ink] = np.uint8(round(median_int(paper))) if paper.size else 255
    return out


def _painted(
    shape: tuple[int, ...], blobs: Sequence[Blob], at: tuple[int, int]
) -> np.ndarray | None:
    """The blobs' ink on an image of ``shape`` whose top-left corner is ``at``
    (boolean; None where there are no blobs)."""
    if not blobs:
        return None
    out = np.zeros(shape[:2], bool)
    h, w = out.shape
    for b in blobs:
        x, y = b.x - at[0], b.y - at[1]
        x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + b.w), min(h, y + b.h)
        if x1 > x0 and y1 > y0:
            out[y0:y1, x0:x1] |= b.mask[y0 - y : y1 - y, x0 - x : x1 - x] > 0
    return out


def cut_crops(layout: BoxLayout) -> tuple[Digit, ...]:
    """The crops of the digits ``split_blobs`` cut a string box into."""
    if layout.paper is None:
        return layout.digits
    digits = (_crop(layout.paper, p, layout.margin) for p in layout.parts)
    return tuple(d for d in digits if d is not None)
