"""Page-level geometry for segmentation: scale, skew and the printed boxes.

Everything here runs on a reduced, deskewed copy of the page (about
``WORK_DPI``): finding lines needs the page's structure, not its detail, and
whole-page morphology at full resolution would cost several times more.
The digit-level work (``layout_digits``) goes back to full resolution, but
only inside the boxes found here.

Coordinates: *work* = deskewed reduced page; *deskewed* = the same at full
resolution (work / scale); ``Geometry.to_page`` maps deskewed -> page pixels.
"""

from __future__ import annotations

import dataclasses
import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from formocr.layout.ink import components, darkness
from formocr.stats import count_nonzero, int_percentile, labelled, median_int, runs
from formocr.types import BBox

WORK_DPI = 150.0
# A strip cut round one row of boxes (no resolution recorded) is about this
# tall (inches): a box of 8-15 mm and its margins.
STRIP_IN = 0.75
MAX_SKEW_DEG = 15.0
# A page whose line fit finds less than this much line (inches) is looked at
# again turned by each probe (degrees): the fit alone sees about 7 degrees.
MIN_SKEW_SUPPORT_IN = 8.0
SKEW_PROBES = (8.0, -8.0)
# Below this the page is treated as straight (saves a warp of the page).
MIN_SKEW_DEG = 0.05
# A printed line is at most this thick (inches; 1 mm) ...
MAX_LINE_IN = 0.04
# ... and at least this much darker than the paper (grey levels).
LINE_DARK = 24

# A box's corners may be rounded up to this radius (inches; 4 mm): its sides
# stop short of its lines by as much.
ROUND_IN = 0.16
ROUNDED = (-2, -2)  # _walls' mark for such a side

# Shading (a box tinted grey inside): what an opening SOLID_IN (inches)
# square leaves, in areas spanning SHADE_IN or more both ways; or a
# highlighter's stroke (a chisel tip's is 0.16-0.2 in thick, a fine tip's
# about 0.1): an area STROKE_THICK_IN thick or more but under SHADE_IN, at
# least STROKE_LONG_IN long, no darker anywhere than TINT_DARK (grey levels
# under the paper: a stroke 30 % dark measured 43-50 on the samples, 40 %
# dark 60; on the ten headline pages with the most marker ink, digits' blobs
# 0.15 in thick or more measured up to 171, none over 0.51 in long, and
# none of the headline's 120 pages has such a stroke). The tinted paper
# under a stroke: a median over TINT_MEDIAN_IN (a printed line is thinner
# than half of it, a stroke's tint wider).
SOLID_IN, SHADE_IN = 0.1, 0.3
STROKE_THICK_IN, STROKE_LONG_IN, TINT_DARK, TINT_MEDIAN_IN = 0.1, 0.75, 96, 0.06
# A band of shadow (a fold or crease that did not lie flat, a strip of tint):
# darker than the paper on both sides of it within BAND_PAPER_IN, along
# BAND_LONG_IN or more of a row or column (a fold crosses the sheet; a line of print or
# writing has gaps), and thicker across than BAND_THICK_IN (a printed line
# is at most MAX_LINE_IN). Looked for at about BAND_DPI, and lifted where at
# least BAND_DARK darker.
BAND_LONG_IN, BAND_THICK_IN, BAND_PAPER_IN, BAND_DPI, BAND_DARK = 2.5, 0.06, 0.5, 50.0, 12
# A page on a dark ground (photographed on a desk, scanned on a black
# backing or with the lid open): the ground is darker than SURROUND_DARK
# times the paper's level (its SURROUND_PAPER percentile), joins the image's
# edge along SURROUND_EDGE or more of it and covers SURROUND_AREA of the
# image; it is made paper, grown SURROUND_GROW_IN over the paper's edge.
SURROUND_PAPER, SURROUND_DARK, SURROUND_EDGE, SURROUND_AREA = 90.0, 0.6, 0.5, 0.02
SURROUND_GROW_IN = 0.04
# A scanner's streak (dust on the sensor or the glass draws a line down the
# whole scan): every pixel of it STREAK_DARK or more under the paper's
# level, at most STREAK_IN wide. It is lifted before the page is read, and
# every field it crosses goes to review.
STREAK_DARK, STREAK_IN = 24, 0.02
# Along a column, the paper is its lightest mean over STREAK_RUN pixels (of
# the page reduced by four; as many inches at its own resolution): a speck of
# noise counts for little.
STREAK_RUN = 15
# A streak is darker than the columns on both sides of it in STREAK_ALONG of
# its length (what is printed or written across it, the rest).
STREAK_ALONG = 0.8
# A page scanned light (a scanner set too bright, a pale copy): where the
# darkest FADED_TOP of the work page is under FADED_STRONG grey levels darker
# than the paper, its darkness is stretched by FADED_STRONG over that level,
# at most FADED_GAIN times, so that a thin rule stands LINE_DARK clear of the
# paper again. (The headline's 120 pages stand 132 to 241: 14 are stretched,
# by at most 1.21, and their values and statuses are unchanged.) A page
# whose darkest part is under FADED_LEAST has nothing written or printed to go
# by (a blank page's noise) and is left as it is.
FADED_TOP, FADED_LEAST, FADED_STRONG, FADED_GAIN = 0.001, 32, 160, 3.0
# A box this near a band (inches), or under it, goes to review.
BAND_NEAR_IN = 0.1

# A page at least this share marked is printed over a background pattern.
PAGE_BG_COVER = 0.2
# There, a wall is printed at least this share as dark as its box's lines.
WALL_DARK = 0.6

# Pieces of one faint line, broken by the mask, are joined across this much
# (inches; 1.5 mm).
JOIN_GAP_IN = 0.06

# Broken lines: a faint rule thresholded by a bilevel scanner (or a dashed
# rule) is a row of dashes. Dashes at least DASH_IN long (after the smoothing
# along the line) and at most DASH_THIN_IN thick, apart from thicker ink by
# DASH_CLEAR_IN, are joined across gaps up to DASH_GAP_IN into lines at least
# DASH_LINE_IN long, which reach DASH_REACH_IN past their last dash (the
# dash at a corner is often lost) ...
DASH_IN, DASH_GAP_IN, DASH_LINE_IN = 0.08, 0.1, 0.3
DASH_THIN_IN, DASH_CLEAR_IN, DASH_REACH_IN = 0.027, 0.013, 0.08
# ... and dots sparser still (``joined_dots``, for a black-and-white page's
# boxes not found otherwise) are joined across DOT_GAP_IN where they cover
# DOT_COVER of the run they make.
DOT_GAP_IN, DOT_COVER = 0.17, 0.3
# A corner lost whole, its side and line stopping short of each other by up
# to CORNER_IN, is closed when the side runs between two lines
# (``_complete_corners``).
CORNER_IN = 0.2
# ... unless the page has more boxes than this without it (specks or a
# pattern taken for boxes, which a guess would only multiply).
GUESS_MAX_FRAMES = 500
# ... on a page whose lines are broken: the line fit finds less than
# MIN_SKEW_SUPPORT_IN of unbroken line, and at least that much once dashes
# are joined. Pages with whole lines never take this path.

# Plausible interior size of a printed box, in inches.
MIN_BOX_H, MAX_BOX_H = 0.12, 1.0
MIN_BOX_W, MAX_BOX_W = 0.08, 10.0
# The top and bottom lines of the smallest box (5 mm wide) are this long;
# handwritten bars that survive the opening are mostly shorter.
MIN_LINE_IN = 0.17
# A comb cell is at least this share of its height wide; a box, MIN_ASPECT.
MIN_CELL, MIN_ASPECT = 0.3, 0.45
# A box whose top and bottom lines both run along past a side, RUN_ON_CELL
# of its height or more, as darkly as along the box (WALL_DARK of it; rows
# of microtext level with a box's lines ran them on), to no other box
# (``Frame.runs_on``; ``formocr.layout.fields.open_frames``), is a piece of
# a larger one: its side there is a divider, the box's own side and the
# dividers beyond it were lost (printed or scanned faint). A cheque's date
# comb, scanned light on a dot screen, was found from its second cell on as
# one string box, the digit in its first cell beside it, and ``22061997``
# came out ``2061997``, `ok` at 0.9996; a wide box is not looked beside for
# writing (``formocr.layout.fields.broken_boxes``: a printed "$"), and the
# lost cell's side, lines and digit made one mark there, no line alone.
# Comb cells of the development pages stand 0.6-0.8 of their height wide.
RUN_ON_CELL = 0.4
# A printed line with a digit's stroke lying along it runs on alone for at
# least this far (inches) at one end (``_under_stroke``).
LINE_ALONE_IN = 0.02


# An image of unknown resolution with a shorter side under this (pixels) is
# no page: at the least resolution read (100 dpi) it would be under 3 inches
# across. Nearly square or not, it is a box or an amount cut out (a short
# amount cut tight round its writing, "174", is about 80 x 125 px).
SMALL_PX = 300


def page_kind(shape: tuple[int, int]) -> str:
    """What an image of unknown resolution shows, from its shape alone:
    ``"page"`` (A4-ish paper: at most 1.6:1, and at least SMALL_PX across),
    ``"cheque"`` (1.6 to 3 times longer than tall, and at least 150 dpi
    along a 7.5 inch side) or ``"strip"`` (anything else: longer than 1.6:1,
    or too small to be a page or a whole cheque worth reading: a row of
    boxes, or one box, cut out)."""
    h, w = shape
    long_side, short_side = max(h, w), min(h, w)
    aspect = long_side / max(short_side, 1)
    if aspect <= 1.6:
        return "page" if short_side >= SMALL_PX else "strip"
    return "cheque" if aspect <= 3.0 and long_side / 7.5 >= 150.0 else "strip"


def guess_dpi(shape: tuple[int, int]) -> float:
    """Scale of an image of unknown resolution, from its ``page_kind``: a
    page is about 8.27 inches across, a cheque 7.5 inches long, a strip
    STRIP_IN tall (an amount box with its margins, as cheque datasets keep
    them)."""
    kind = page_kind(shape)
    long_side, short_side = max(shape), min(shape)
    inches = {
        "page": (short_side, 8.27),
        "cheque": (long_side, 7.5),
        "strip": (short_side, STRIP_IN),
    }
    px, size = inches[kind]
    return float(np.clip(px / size, 100.0, 600.0))


class Skew(NamedTuple):
    angle: float  # degrees; positive: lines fall to the right
    broken_lines: bool  # the page's lines are dashes (see DASH_IN)
    # The long lines the first fit measured, on the page as it lies.
    lines: tuple[Piece, ...] = ()


class Piece(NamedTuple):
    """A long thin piece of printed line on a work page, fitted straight:
    its angle (degrees, positive falling to the right), its extent's width,
    its first and last columns and its row at its middle column."""

    angle: float
    w: int
    x0: float
    x1: float
    y: float


def estimate_skew(dark: np.ndarray, dpi: float) -> Skew:
    """Page skew from long lines, and whether those lines are broken.

    The line fit (``_fit_skew``) sees lines up to about 7 degrees off level.
    When it finds little, it looks again with dashes joined (a page of
    broken lines), then at the page turned by ``SKEW_PROBES``; the view with
    the most line length wins.
    """
    pieces = line_pieces(dark, dpi)
    angle, support = _fit_skew(pieces)
    broken = False
    enough = MIN_SKEW_SUPPORT_IN * dpi
    if support < enough:
        a, sup = _fit_skew(line_pieces(dark, dpi, join_dashes=True))
        if sup >= enough:
            angle, support, broken = a, sup, True
    if support < enough:
        h, w = dark.shape
        for probe in SKEW_PROBES:
            rot = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), probe, 1.0)
            turned = cv2.warpAffine(dark, rot, (w, h), flags=cv2.INTER_LINEAR)
            a, sup = _fit_skew(line_pieces(turned, dpi))
            if sup > support:
                angle, support = a + probe, sup
    if support > 0 and abs(angle) <= MAX_SKEW_DEG:
        return Skew(angle, broken, tuple(pieces))
    return Skew(0.0, broken, tuple(pieces))


def line_pieces(
    dark: np.ndarray, dpi: float, join_dashes: bool = False, min_in: float = 0.6, most: int = 60
) -> list[Piece]:
    """The ``most`` widest long thin line pieces of ``dark``, each fitted straight.

    Short horizontal opening keeps line pieces even when skewed; each long thin
    piece (``min_in`` or more) gets a straight fit through its per-column
    centres (columns where handwriting joins the line are left out).
    ``join_dashes`` first closes gaps of up to DASH_GAP_IN along the rows (a
    row either way), so that a dashed line is one piece.
    """
    k = max(5, int(round(0.06 * dpi)))
    horiz = cv2.morphologyEx(
        dark, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1))
    )
    _, horiz = cv2.threshold(horiz, LINE_DARK - 1, 255, cv2.THRESH_BINARY)
    if join_dashes:
        gap = max(3, int(round(DASH_GAP_IN * dpi)))
        horiz = cv2.morphologyEx(
            horiz, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 3))
        )
    lines = [
        c for c in components(horiz, min_w=int(min_in * dpi)) if c[3] <= 0.1 * c[2] + 0.05 * dpi
    ]
    lines.sort(key=lambda c: -c[2])
    out = []
    for x, y, w, h, m in lines[:most]:
        count = m.sum(axis=0)
        ok = (count > 0) & (count <= 1.5 * median_int(count[count > 0]))
        if ok.sum() < 0.5 * w:
            continue
        ysum = (m * np.arange(h)[:, None]).sum(axis=0)
        xs = np.nonzero(ok)[0]
        cy = ysum[ok] / count[ok]
        slope, at0 = np.polyfit(xs.astype(np.float64), cy, 1)
        mid = 0.5 * (xs[0] + xs[-1])
        angle = float(np.degrees(np.arctan(slope)))
        out.append(Piece(angle, w, x + float(xs[0]), x + float(xs[-1]), y + at0 + slope * mid))
    return out


def _fit_skew(pieces: Sequence[Piece]) -> tuple[float, float]:
    """Skew (degrees) and the length (pixels) of the lines that measured it:
    the pieces' angles' median, weighted by their widths."""
    if not pieces:
        return 0.0, 0.0
    order = np.argsort([p.angle for p in pieces])
    a = np.asarray([p.angle for p in pieces])[order]
    cw = np.cumsum(np.asarray([float(p.w) for p in pieces])[order])
    return float(a[np.searchsorted(cw, cw[-1] / 2)]), float(cw[-1])


@dataclass(frozen=True)
class Geometry:
    """How the work image relates to the page."""

    dpi: float  # of the page (given or guessed)
    scale: float  # work pixels per page pixel
    angle: float  # skew removed, degrees
    to_page: np.ndarray  # 2x3 affine: deskewed full-res -> page
    work_dark: np.ndarray  # deskewed work-resolution darkness (see ``darkness``)
    broken_lines: bool = False  # its printed lines are dashes (``find_frames``)
    # The long lines the skew was measured on, on the work page before it
    # was deskewed (work pixels / scale: page pixels); none when not measured.
    lines: tuple[Piece, ...] = ()

    @property
    def work_dpi(self) -> float:
        return self.dpi * self.scale


def deskewing(shape: tuple[int, int], angle: float) -> tuple[np.ndarray, tuple[int, int]]:
    """3x3 page -> deskewed transform and the deskewed canvas (w, h)."""
    h, w = shape
    rot = np.vstack([cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0), [0, 0, 1]])
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64).T
    moved = rot @ corners
    x0, y0 = np.floor(moved[:2].min(axis=1))
    x1, y1 = np.ceil(moved[:2].max(axis=1))
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
    return shift @ rot, (int(x1 - x0), int(y1 - y0))


def page_geometry(page: np.ndarray, dpi: float, upright: bool = False) -> Geometry:
    """Reduce, binarise, measure skew and deskew the page's ink mask.

    An ``upright`` image is not turned: one cut inside its box along the
    box's edges is as straight as the box (a skew measured there would be
    the writing's slope or a background's).
    """
    scale = min(1.0, WORK_DPI / dpi)
    small = _reduced(page, scale, _spread(scale))
    wdpi = dpi * scale
    dark = _work_dark(small, page.shape, scale, 0.0, wdpi)
    angle, broken, lines = Skew(0.0, False) if upright else estimate_skew(dark, wdpi)
    if abs(angle) < MIN_SKEW_DEG:
        return Geometry(dpi, scale, 0.0, np.eye(2, 3), dark, broken, lines)
    full, _ = deskewing(page.shape, angle)
    dark = _work_dark(small, page.shape, scale, angle, wdpi)
    return Geometry(dpi, scale, angle, np.linalg.inv(full)[:2], dark, broken, lines)


def spread_dark(page: np.ndarray, geom: Geometry) -> np.ndarray | None:
    """``geom``'s work darkness made again with every dark pixel spread over
    2 x 2 before the reduction, for a page reduced by less than 1.5 (about
    150-225 dpi), whose reduction spreads nothing (``_spread``); None for
    any other page. A black-and-white scan at 200 dpi keeps a thin rule as
    a row of dots one or two pixels apart; averaged down they stay dots, too
    short to join into dashes, and the box is lost (plain black-and-white
    cheques at 200 dpi: 3 of 10 amount boxes). Spread first, they touch."""
    if geom.scale >= 1.0 or _spread(geom.scale) >= 2:
        return None
    small = _reduced(page, geom.scale, 2)
    return _work_dark(small, page.shape, geom.scale, geom.angle, geom.work_dpi)


def _spread(scale: float) -> int:
    """How far (pixels) the dark is spread before a reduction by ``scale``:
    about one reduction step, or a hairline would be averaged to a faint grey."""
    return min(3, int(round(1.0 / scale))) if scale < 1.0 else 1


def _reduced(page: np.ndarray, scale: float, k: int) -> np.ndarray:
    """``page`` reduced by ``scale`` (area averaging), its dark spread over
    k x k first (nothing for k 1)."""
    if scale >= 1.0:
        return page
    h, w = page.shape
    src = cv2.erode(page, np.ones((k, k), np.uint8)) if k >= 2 else page
    return cv2.resize(
        src, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )


def _work_dark(
    small: np.ndarray, shape: tuple[int, int], scale: float, angle: float, wdpi: float
) -> np.ndarray:
    """The darkness of the reduced page ``small`` (of a page ``shape``),
    turned by ``angle`` (0: as it is)."""
    if angle == 0.0:
        return unfaded(without_shading(darkness(small, wdpi, steady=True), small, wdpi))
    full, (cw, ch) = deskewing(shape, angle)
    s = np.diag([scale, scale, 1.0])
    work = s @ full @ np.linalg.inv(s)
    size = (max(1, round(cw * scale)), max(1, round(ch * scale)))
    small_rot = cv2.warpAffine(
        small, work[:2], size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return unfaded(without_shading(darkness(small_rot, wdpi, steady=True), small_rot, wdpi))


def unfaded(dark: np.ndarray) -> np.ndarray:
    """The work page's darkness ``dark``, stretched if the page was scanned
    light (see FADED_STRONG); ``dark`` itself otherwise.

    Faded to a third of its contrast, the sample cheque's 1-px rules stood
    under LINE_DARK at the work resolution and every box was lost; the
    digits, read at full resolution within their boxes, were still legible.
    """
    if _at_least(dark, FADED_STRONG) >= FADED_TOP * dark.size:  # an ordinary page (cheap)
        return dark
    # The level the darkest FADED_TOP of the page reaches.
    level = int_percentile(dark, 100.0 * (1.0 - FADED_TOP))
    if level < FADED_LEAST:
        return dark
    gain = min(FADED_GAIN, FADED_STRONG / level)
    return np.asarray(cv2.convertScaleAbs(dark, alpha=gain), np.uint8)


@dataclass(frozen=True)
class Frame:
    """A printed box in work coordinates: its interior and its inner walls.

    ``walls`` are x ranges of full-height printed lines inside the box: the
    dividers of a comb.
    """

    x0: float
    y0: float
    x1: float
    y1: float
    walls: tuple[tuple[float, float], ...] = ()
    # Found only once lost corners were closed by a guess (``_complete_corners``).
    guessed: bool = False
    # Found only with a faint rule's dots joined (``joined_dots``).
    dotted: bool = False
    # How far its top and bottom lines both run along past its left and its
    # right side: RUN_ON_CELL of its height, or 0 where they do not (a side
    # the lines go on through is a divider of a box whose first or last
    # cells lost their walls, or a neighbour's side).
    runs_on: tuple[float, float] = (0.0, 0.0)

    @property
    def w(self) -> float:
        return self.x1 - self.x0

    def overlaps(self, other: Frame) -> bool:
        """Do the two share any area?"""
        return min(self.x1, other.x1) > max(self.x0, other.x0) and min(self.y1, other.y1) > max(
            self.y0, other.y0
        )

    def within(self, other: Frame, tol: float) -> bool:
        """Does it lie inside ``other``, give or take ``tol``?"""
        return (
            self.x0 >= other.x0 - tol
            and self.x1 <= other.x1 + tol
            and self.y0 >= other.y0 - tol
            and self.y1 <= other.y1 + tol
        )

    @property
    def h(self) -> float:
        return self.y1 - self.y0


def without_shading(dark: np.ndarray, grey: np.ndarray, dpi: float) -> np.ndarray:
    """The work page's darkness ``dark`` (of the work page ``grey``) less
    the shading of boxes tinted grey inside and of highlighters' strokes.

    Shading is what an opening SOLID_IN square leaves (lines, print and
    handwriting are thinner), in areas that span SHADE_IN or more both ways
    (a bold digit's blob is smaller; the tint of a box is the box's size),
    or that are as thick and long as a highlighter's stroke and as light.
    Without it a shaded box is a block with no lines in it. Within a
    stroke, a pixel is also no darker than it is under the tinted paper
    round it (a median of ``grey`` over TINT_MEDIAN_IN): the paper level
    under ``darkness`` is smoothed over more than a stroke's width, so
    along a stroke's edges and round its ends it stands between the
    paper's and the tint's, and the edges of a highlighter's stroke stood
    out as lines (a box was closed there, and a 2 cut at its foot read 7,
    ``ok``). Not within the wider areas: a bold marker digit's blob can span
    SHADE_IN both ways, and the strokes beside it would be dimmed. A page
    with no such area is returned as it is.
    """
    rect = cv2.getStructuringElement
    j = max(3, int(round(SOLID_IN * dpi)) | 1)
    solid = cv2.morphologyEx(dark, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (j, j)))
    # The areas' extents, measured at a quarter of the size (cheap).
    h, w = dark.shape
    size = (max(1, w // 4), max(1, h // 4))
    level = cv2.resize(solid, size, interpolation=cv2.INTER_NEAREST)
    q = cv2.threshold(level, 0, 1, cv2.THRESH_BINARY)[1]
    n, labels, stats = labelled(q)
    across = np.minimum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT])
    along = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT])
    wide = across >= SHADE_IN * dpi / 4
    # A stroke's thickness is its pixels over its length (drawn aslant, its
    # extent is thicker than it is).
    thick = stats[1:, cv2.CC_STAT_AREA] / np.maximum(along, 1)
    stroke = (thick >= STROKE_THICK_IN * dpi / 4) & (thick < SHADE_IN * dpi / 4)
    stroke &= along >= STROKE_LONG_IN * dpi / 4
    if stroke.any():
        for i in np.flatnonzero(stroke):
            stroke[i] = int(level[labels == i + 1].max()) <= TINT_DARK
    if not (wide.any() or stroke.any()):
        return dark
    near = _near(labels, wide | stroke, (w, h))
    shade = cv2.bitwise_and(solid, solid, mask=near)
    out = np.asarray(cv2.subtract(dark, shade), np.uint8)
    if stroke.any():
        # Under the tinted paper, within the strokes' extent (and the median's reach).
        on = _near(labels, stroke, (w, h))
        m = max(3, int(round(TINT_MEDIAN_IN * dpi)) | 1)
        x, y, bw, bh = cv2.boundingRect(on)
        x0, y0, x1, y1 = max(0, x - m), max(0, y - m), min(w, x + bw + m), min(h, y + bh + m)
        window = np.ascontiguousarray(grey[y0:y1, x0:x1])
        paper = cv2.medianBlur(window, m)
        part = out[y0:y1, x0:x1]
        inside = on[y0:y1, x0:x1] > 0
        part[inside] = np.minimum(part, cv2.subtract(paper, window))[inside]
    return out


def _near(labels: np.ndarray, chosen: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The areas ``chosen`` (a flag for each label but the background's) of
    the quarter-size ``labels``, a quarter pixel round them, at ``size``
    (w, h): 1 there, 0 elsewhere (uint8)."""
    keep = np.concatenate(([0], chosen)).astype(np.uint8)[labels]
    return cv2.resize(
        cv2.dilate(keep, np.ones((3, 3), np.uint8)), size, interpolation=cv2.INTER_NEAREST
    )


@dataclass(frozen=True)
class Shadow:
    """The bands ``lift`` lifted: their darkness (grey levels under
    the paper) in images ``scale`` times the page's size, those along its
    rows and those down its columns."""

    along: np.ndarray
    down: np.ndarray
    scale: float
    near: int  # page pixels: BAND_NEAR_IN

    def _window(self, x: int, y: int, w: int, h: int) -> tuple[int, int, int, int]:
        """A box of the page (its pixels) and BAND_NEAR_IN round it, in the
        bands' pixels: x0, y0, x1, y1 (at least one pixel each way)."""
        s, m = self.scale, self.near
        x0, y0 = max(0, int((x - m) * s)), max(0, int((y - m) * s))
        x1, y1 = int(math.ceil((x + w + m) * s)), int(math.ceil((y + h + m) * s))
        return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)

    def over(self, x: int, y: int, w: int, h: int) -> int:
        """The darkest of the bands over a box of the page (its pixels) or
        within BAND_NEAR_IN of it: what is left of a crease beside a box can
        be taken for its line, and the box found short. A band counts along
        the whole of its row or column: a fold crosses the sheet, but beside
        a box's lines the paper on one side of it is hard to see, and the
        band is found only part of the way (down an empty comb cell, a crease
        found above and below the box was not found beside it, and the cell
        read 1, ``ok``). (The rows and columns through the box hold all
        that lies over it.)"""
        x0, y0, x1, y1 = self._window(x, y, w, h)
        parts = (self.along[y0:y1], self.down[:, x0:x1])
        return max((int(p.max()) for p in parts if p.size), default=0)

    def beyond(self, boxes: Sequence[tuple[int, int, int, int]]) -> Shadow:
        """These bands less those lying within ``boxes`` (page pixels, x, y,
        w, h) and BAND_NEAR_IN round them: a box tinted inside, or a panel
        of tint printed round a row of boxes, is print, not a fold's shadow
        (a fold runs past the boxes it crosses). A box 3 in wide tinted grey
        inside was sent to review for a fold."""
        inside = np.zeros(self.along.shape, np.uint8)
        for box in boxes:
            x0, y0, x1, y1 = self._window(*box)
            inside[y0:y1, x0:x1] = 1
        bands = cv2.max(self.along, self.down)
        on = cv2.threshold(bands, BAND_DARK - 1, 1, cv2.THRESH_BINARY)[1]
        _, labels = cv2.connectedComponents(on, connectivity=8)
        past = np.unique(labels[(on > 0) & (inside == 0)])
        kept = np.isin(labels, past[past > 0])
        along, down = (np.where(kept, a, 0).astype(np.uint8) for a in (self.along, self.down))
        return dataclasses.replace(self, along=along, down=down)


class Lifted(NamedTuple):
    """A page as ``lift`` leaves it: its ``image``, its bands of shadow
    (None: none), the size (h, w) of its paper where a dark ground round it
    was made paper (None: none), and the scanner's streaks lifted from it
    (``streaks``)."""

    image: np.ndarray
    shadow: Shadow | None
    paper: tuple[int, int] | None = None
    streaks: tuple[Streak, ...] = ()


class Streak(NamedTuple):
    """A scanner's streak: columns (``down``) or rows ``a`` to ``b`` - 1 of
    the page, dark from one edge of the image to the other."""

    down: bool
    a: int
    b: int

    def crosses(self, box: BBox) -> bool:
        lo, hi = (box.x, box.x + box.w) if self.down else (box.y, box.y + box.h)
        return self.a < hi and lo < self.b


def lift(page: np.ndarray, dpi: float) -> Lifted:
    """``page`` with its bands of shadow lifted to the paper's level, and
    where they lay; the page itself and None where it has none (most pages).
    A dark ground round the paper (``off_paper``) is made paper first, and
    the paper's size given.

    A fold's shadow lies along the page, a few millimetres to an inch wide,
    as dark as faint print. Where it runs along a box's line, line and band
    make one stroke too thick for a printed line, and the box is lost; down
    an empty comb cell it is a 1. A band is darkness (under the paper on
    both sides of it within BAND_PAPER_IN) that an opening across BAND_THICK_IN keeps
    (a printed line is gone from it) along BAND_LONG_IN or more of a row or
    a column (an opening along: print and writing have gaps), at least
    BAND_DARK. It is measured at about BAND_DPI, smooth at that scale, and
    added back to the page at its own resolution: a line or a digit on it
    keeps what it is darker than the band. (Divided out instead, as a shadow
    darkens ink and paper alike, what is left of a narrow crease is
    darkened with the rest, and a box along it is lost more often: on the
    sample cheque under creases 40 % dark, 241 fields against 141.)
    """
    n = max(1, int(round(dpi / BAND_DPI)))
    h, w = page.shape
    look = half = page
    if n >= 2 and h >= 2 * n and w >= 2 * n:
        # Halved by area averaging (OpenCV's fast path), then sampled.
        look = half = cv2.resize(
            page[: h - h % 2, : w - w % 2], (w // 2, h // 2), interpolation=cv2.INTER_AREA
        )
        if n > 2:
            look = cv2.resize(look, (w // n, h // n), interpolation=cv2.INTER_LINEAR)
    surround = off_paper(look, dpi * look.shape[1] / w)
    size = None
    if surround is not None:
        mask, paper = surround
        rows, cols = np.nonzero(mask.min(axis=1) == 0)[0], np.nonzero(mask.min(axis=0) == 0)[0]
        if len(rows) and len(cols):
            up_h, up_w = h / mask.shape[0], w / mask.shape[1]
            size = (
                int(round((rows[-1] + 1 - rows[0]) * up_h)),
                int(round((cols[-1] + 1 - cols[0]) * up_w)),
            )
        look = look.copy()
        look[mask > 0] = paper
        full = (
            cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
            if look.shape != page.shape
            else mask
        )
        page = page.copy()
        page[full > 0] = paper
    found = streaks(page, half, dpi)
    if found:
        lifted = without_streaks(page, found)
        if look is not page:
            look = without_streaks(look, [_scaled(t, look.shape, page.shape) for t in found])
        else:
            look = lifted
        page = lifted
    along, down = _bands(look, dpi * look.shape[1] / w)
    bands = np.asarray(cv2.max(along, down), np.uint8)
    if bands.max() < BAND_DARK:
        return Lifted(page, None, size, tuple(found))
    up = cv2.resize(bands, (w, h), interpolation=cv2.INTER_LINEAR) if look is not page else bands
    shadow = Shadow(along, down, look.shape[1] / w, int(round(BAND_NEAR_IN * dpi)))
    return Lifted(np.asarray(cv2.add(page, up), np.uint8), shadow, size, tuple(found))


def streaks(page: np.ndarray, half: np.ndarray, dpi: float) -> list[Streak]:
    """The scanner's streaks on ``page`` (``half``: it halved, or itself):
    a line a dirty sensor or glass draws the whole length of the scan, at
    most STREAK_IN wide, every stretch of it STREAK_DARK or more darker than
    the lightest of the columns (rows) beside it. Printed rules stop at the
    paper's margins, and every column of a page's print has paper in it
    somewhere: a column (or row) no stretch of which is as light as the
    paper beside it is none of them. Looked for on ``half`` halved again
    (cheap), then at ``page``'s own resolution."""
    out = []
    widest = max(1, int(round(STREAK_IN * dpi)))
    hh, hw = half.shape
    quarter = half
    if hh >= 4 and hw >= 4:
        # Even sides: OpenCV's fast path for halving.
        even = half[: hh - hh % 2, : hw - hw % 2]
        quarter = cv2.resize(even, (hw // 2, hh // 2), interpolation=cv2.INTER_AREA)
    for down in (True, False):
        axis = 1 if down else 0
        scale = page.shape[axis] / quarter.shape[axis]
        top = _lightest(quarter, STREAK_RUN, down)
        reach = max(2, int(math.ceil(widest / scale)) + 1)
        beside = _lightest_beside(top, reach)
        for s, e in runs(top <= beside - max(2, int(STREAK_DARK / scale))):
            lo = max(0, int(s * scale) - widest - 3)
            hi = min(page.shape[axis], int(math.ceil(e * scale)) + widest + 3)
            strip = page[:, lo:hi] if down else page[lo:hi]
            cols = _lightest(np.ascontiguousarray(strip), int(STREAK_RUN * scale), down)
            near = _lightest_beside(cols, widest + 2)
            for a, b in runs(cols <= near - STREAK_DARK):
                t = Streak(down, lo + a, lo + b)
                inside = t.a > 1 and t.b + 1 < page.shape[axis]
                if b - a <= widest and inside and t not in out and _all_along(page, t):
                    out.append(t)
    return out


def _all_along(page: np.ndarray, t: Streak) -> bool:
    """Whether streak ``t`` is darker than both the columns (rows) beside
    it in STREAK_ALONG of its length: a streak runs the whole length; a
    column of a dot screen passes through dots now and then."""
    view = page if t.down else page.T
    beside = np.minimum(view[:, t.a - 2], view[:, t.b + 1]).astype(np.int32)
    lightest = view[:, t.a : t.b].max(axis=1).astype(np.int32)
    return float(np.mean(beside - lightest >= STREAK_DARK // 2)) >= STREAK_ALONG


def _lightest(image: np.ndarray, run: int, down: bool) -> np.ndarray:
    """Each column's (``down``; else each row's) lightest mean over ``run``
    pixels along it: a speck of noise lighter than the rest counts for a
    ``run``-th."""
    size = (1, run) if down else (run, 1)
    smooth = cv2.blur(image, size) if image.shape[0 if down else 1] >= run else image
    return np.asarray(cv2.reduce(smooth, 0 if down else 1, cv2.REDUCE_MAX).ravel(), np.int32)


def _lightest_beside(top: np.ndarray, reach: int) -> np.ndarray:
    """For each place of ``top``, the lightest value ``reach`` places or
    more away, but within ``reach`` + 2, on the lighter side of it."""
    n = len(top)
    padded = np.concatenate([np.full(reach + 2, -1), top, np.full(reach + 2, -1)])
    left = np.max([padded[reach + 2 - d : reach + 2 - d + n] for d in range(reach, reach + 3)], 0)
    right = np.max([padded[reach + 2 + d : reach + 2 + d + n] for d in range(reach, reach + 3)], 0)
    return np.asarray(np.maximum(left, right))


def without_streaks(image: np.ndarray, found: Sequence[Streak]) -> np.ndarray:
    """``image`` with each streak's columns (rows) made the mean of the
    columns beside it, so that a stroke crossing it stays whole; where
    something under the streak is STREAK_DARK darker than the streak itself
    (its median: a box's side it runs along, under a lighter streak), that
    is kept."""
    out = image.copy()
    for t in found:
        view = out if t.down else out.T
        left = view[:, t.a - 1].astype(np.uint16)
        right = view[:, min(view.shape[1] - 1, t.b)].astype(np.uint16)
        k = t.b - t.a + 1
        for i, c in enumerate(range(t.a, t.b), 1):
            under = view[:, c].copy()
            level = int(np.median(under))
            view[:, c] = ((left * (k - i) + right * i + k // 2) // k).astype(np.uint8)
            keep = under.astype(np.int32) < level - STREAK_DARK
            view[keep, c] = under[keep]
    return out


def _scaled(t: Streak, small: tuple[int, int], big: tuple[int, int]) -> Streak:
    """Streak ``t`` of an image of shape ``big`` on one of shape ``small``."""
    f = small[1] / big[1] if t.down else small[0] / big[0]
    n = small[1] if t.down else small[0]
    a = min(n - 2, max(1, int(t.a * f)))
    return Streak(t.down, a, min(n - 1, max(a + 1, int(math.ceil(t.b * f)))))


def off_paper(grey: np.ndarray, dpi: float) -> tuple[np.ndarray, int] | None:
    """Where a page photographed or scanned on a dark ground shows that
    ground round the paper, in a reduced greyscale image of it (``grey``
    at ``dpi``), and the paper's level; None where it shows none (most pages).

    The ground is what is darker than SURROUND_DARK of the paper's level
    (its SURROUND_PAPER percentile) and joins the image's edge, where it
    lies along SURROUND_EDGE or more of that edge and covers SURROUND_AREA
    or more of the image; grown by SURROUND_GROW_IN over the paper's own
    edge and its shadow. Left in, the paper's edge is a dark rule round
    every box: the line fit finds no line inside it, the page's skew is not
    measured, and a cheque turned 3 degrees on a dark ground lost every box.
    """
    h, w = grey.shape
    if h < 3 or w < 3:
        return None
    paper = int(int_percentile(grey[::4, ::4], SURROUND_PAPER))  # a sample is enough
    dark = np.asarray(grey < SURROUND_DARK * paper, np.uint8)
    edge = np.concatenate([dark[0], dark[-1], dark[1:-1, 0], dark[1:-1, -1]])
    if edge.mean() < SURROUND_EDGE:  # most pages: the paper reaches the edge (cheap)
        return None
    count, labels = cv2.connectedComponents(dark, connectivity=8)
    if count < 2:
        return None
    rim = np.concatenate([labels[0], labels[-1], labels[1:-1, 0], labels[1:-1, -1]])
    touching = np.unique(rim[edge > 0])
    ground = np.isin(labels, touching)
    if ground.mean() < SURROUND_AREA:
        return None
    grow = max(1, int(round(SURROUND_GROW_IN * dpi)))
    mask = np.asarray(
        cv2.dilate(ground.astype(np.uint8), np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)),
        np.uint8,
    )
    return mask, paper


def _bands(grey: np.ndarray, dpi: float) -> tuple[np.ndarray, np.ndarray]:
    """The bands of ``lift`` in a greyscale image, those along its
    rows and those down its columns, as darkness: under
    the paper on both sides across it (the lesser of the brightest within
    BAND_PAPER_IN before and after: a paper's edge against a brighter
    background is a step, not a band), what an opening across BAND_THICK_IN
    keeps, along BAND_LONG_IN or more of a row or a column."""
    rect = cv2.getStructuringElement
    r = max(3, int(round(BAND_PAPER_IN * dpi)) | 1)
    t = max(3, int(round(BAND_THICK_IN * dpi)) | 1)
    n = max(t, int(round(BAND_LONG_IN * dpi)))
    smooth = cv2.blur(grey, (3, 3))
    out = []
    for side, across, along in (((1, r), (1, t), (n, 1)), ((r, 1), (t, 1), (1, n))):
        k = np.ones((side[1], side[0]), np.uint8)
        before = cv2.dilate(smooth, k, anchor=(side[0] - 1, side[1] - 1))
        after = cv2.dilate(smooth, k, anchor=(0, 0))
        dark = cv2.subtract(cv2.min(before, after), grey)
        band = cv2.morphologyEx(dark, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, across))
        out.append(np.asarray(cv2.morphologyEx(band, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, along))))
    return out[0], out[1]


def patterned(dark: np.ndarray) -> bool:
    """Is the work page printed over a background pattern?

    A cheque's security print (guilloche, hatch, a dot screen, microtext) is
    resolved at the work resolution into a net of faint lines. A page is
    patterned when at least PAGE_BG_COVER of it is marked (LINE_DARK or
    darker); forms, however dense, mark about a tenth.
    """
    return _at_least(dark, LINE_DARK) >= PAGE_BG_COVER * dark.size


def _at_least(dark: np.ndarray, level: int) -> int:
    """How many pixels of ``dark`` are ``level`` (1-255) or more: a
    threshold and a count, several times cheaper than OpenCV's histogram
    of a whole page."""
    return int(cv2.countNonZero(cv2.threshold(dark, level - 1, 255, cv2.THRESH_BINARY)[1]))


def line_masks(dark: np.ndarray, dpi: float) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical printed-line masks (0/255) of a deskewed page.

    A grey-level opening (0.14 in: longer than printed text strokes and most
    handwritten strokes, shorter than the side of the smallest box) keeps a
    pixel as dark as the faintest stretch of line through it, so thin, faint
    or noisy lines survive and noise does not; a short closing then bridges
    breaks.
    """
    k = max(7, int(round(0.14 * dpi)))
    gap = max(2, int(round(0.02 * dpi)))
    rect = cv2.getStructuringElement
    out = []
    for size, close in (((k, 1), (gap, 1)), ((1, k), (1, gap))):
        # Averaging along the line first keeps noise from biting holes in it.
        # (Down the columns, as along the rows of the transposed page: the
        # same sums and rounding, at about half the cost.)
        if size[0] > 1:
            m = cv2.blur(dark, (5, 1))
        else:
            m = cv2.transpose(cv2.blur(cv2.transpose(dark), (5, 1)))
        m = cv2.morphologyEx(m, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, size))
        _, m = cv2.threshold(m, LINE_DARK - 1, 255, cv2.THRESH_BINARY)
        out.append(cv2.morphologyEx(m, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, close)))
    return out[0], out[1]


def dashed_lines(
    dark: np.ndarray, dpi: float, horiz: np.ndarray, vert: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical lines (0/255) made of dashes, gaps bridged.

    For pages of broken lines (``Skew.broken_lines``), beside ``line_masks``
    (``horiz``, ``vert``), which keeps only unbroken stretches. Thin dashes
    are joined along their line, a pixel up or down allowed, across gaps up
    to DASH_GAP_IN, and to a crossing line that close; a joined line at least
    DASH_LINE_IN long, thin along most of its length, made of two or more
    pieces with a gap between them, is kept and reaches DASH_REACH_IN past
    its ends so that corners whose last dash was lost still meet. Thicker
    ink (handwriting, bold print) and what touches it are no dashes.
    """
    along = [cv2.blur(dark, (5, 1)), cv2.blur(cv2.transpose(dark), (5, 1))]
    dashes = [_dashes(a, dpi) for a in along]  # the vertical ones transposed
    h = _join_dashes(dashes[0], cv2.max(vert, cv2.transpose(dashes[1])), dpi)
    v = _join_dashes(dashes[1], cv2.transpose(cv2.max(horiz, dashes[0])), dpi)
    return h, cv2.transpose(v)


def _dashes(along: np.ndarray, dpi: float) -> np.ndarray:
    """Thin runs along the rows at least DASH_IN long (0/255), of a darkness
    image smoothed along its rows."""
    rect = cv2.getStructuringElement
    k = max(5, int(round(DASH_IN * dpi)))
    m = cv2.morphologyEx(along, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (k, 1)))
    _, m = cv2.threshold(m, LINE_DARK - 1, 255, cv2.THRESH_BINARY)
    return _thin_along(m, dpi)


def _thin_along(image: np.ndarray, dpi: float) -> np.ndarray:
    """``image`` (ink along its rows) but for ink thicker across the rows
    than DASH_THIN_IN, and DASH_CLEAR_IN round it (handwriting, bold print)."""
    rect = cv2.getStructuringElement
    t = max(2, int(round(DASH_THIN_IN * dpi)))
    c = max(1, int(round(DASH_CLEAR_IN * dpi)))
    thick = cv2.morphologyEx(image, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, t + 1)))
    return cv2.subtract(image, cv2.dilate(thick, rect(cv2.MORPH_RECT, (2 * c + 1, 3))))


def _join_dashes(dashes: np.ndarray, crossing: np.ndarray, dpi: float) -> np.ndarray:
    """The lines along the rows that ``dashes`` make (0/255); ``crossing``: the
    lines across them, in the same orientation."""
    rect = cv2.getStructuringElement
    gap = max(3, int(round(DASH_GAP_IN * dpi)))
    max_t = _max_line(dpi)
    tall = cv2.dilate(dashes, np.ones((3, 1), np.uint8))  # a pixel up or down
    near = cv2.dilate(tall, rect(cv2.MORPH_RECT, (2 * gap + 1, 1)))
    src = cv2.max(tall, cv2.bitwise_and(crossing, near))
    joined = cv2.morphologyEx(src, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (gap, 1)))
    joined = cv2.bitwise_and(joined, near)
    out = np.zeros_like(joined)
    for x, y, w, h, own in components(joined, min_w=math.ceil(DASH_LINE_IN * dpi)):
        counts = count_nonzero(own, 0, binary=True)
        if median_int(counts[counts > 0]) > max_t + 2:
            continue  # a blob, not a line
        inked = ((src[y : y + h, x : x + w] > 0) & (own > 0)).any(axis=0)
        # Pieces and gaps along it: a line with no gap is line_masks' already.
        if (np.diff(inked.astype(np.int8)) == 1).any():
            out[y : y + h, x : x + w][own > 0] = 255
    reach = int(round(DASH_REACH_IN * dpi))
    return cv2.dilate(out, rect(cv2.MORPH_RECT, (2 * reach + 1, 1))) if reach else out


def joined_dots(dark: np.ndarray, dpi: float) -> np.ndarray | None:
    """``dark`` with the dots of a rule a black-and-white scan broke up
    joined along its rows and its columns (see DOT_GAP_IN); None where no
    run so joined is DASH_LINE_IN long (no box's side to find).

    A thin rule printed light and thresholded is kept as dots and short
    dashes, 1-8 px each with gaps of up to 0.16 in between (a box of a
    handwriting sample form: 41 % of its top line left), too sparse for
    ``dashed_lines`` (dashes of DASH_IN or more, DASH_GAP_IN apart). Thin
    ink alone (as ``_dashes`` has it: away from thicker ink) and flat (no
    piece taller across the rule than a thin line), a row up or down
    allowed, is closed across DOT_GAP_IN; a run so joined is kept where its
    dots cover DOT_COVER of its length (a scan's specks joined round a
    printed word cover a tenth, and made boxes of "Signature" and a
    cheque's serial number)."""
    rect = cv2.getStructuringElement
    g = max(3, int(round(DOT_GAP_IN * dpi)))
    t = max(2, int(round(DASH_THIN_IN * dpi)))
    out = dark.copy()
    joined_any = False
    for across in (False, True):
        d = cv2.transpose(dark) if across else dark
        thin = _thin_along(d, dpi)
        _, ink = cv2.threshold(thin, LINE_DARK - 1, 1, cv2.THRESH_BINARY)
        _, labels, stats = labelled(ink)
        flat = stats[:, cv2.CC_STAT_HEIGHT] <= t + 1
        flat[0] = False
        dots = cv2.dilate(
            np.where(flat[labels], thin, 0).astype(np.uint8), np.ones((3, 1), np.uint8)
        )
        joined = cv2.morphologyEx(dots, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (g, 1)))
        _, along = cv2.threshold(joined, LINE_DARK - 1, 1, cv2.THRESH_BINARY)
        n, labels, stats = labelled(along)
        # Each run's columns that hold a dot, counted once: (label, column) pairs.
        ys, xs = np.nonzero((dots >= LINE_DARK) & (labels > 0))
        pairs = np.unique(labels[ys, xs].astype(np.int64) * d.shape[1] + xs)
        covered = np.bincount(pairs // d.shape[1], minlength=n)
        keep = covered >= DOT_COVER * stats[:, cv2.CC_STAT_WIDTH]
        keep[0] = False
        if not (keep & (stats[:, cv2.CC_STAT_WIDTH] >= DASH_LINE_IN * dpi)).any():
            continue
        joined_any = True
        joined = cv2.erode(
            np.where(keep[labels], joined, 0).astype(np.uint8), np.ones((3, 1), np.uint8)
        )
        out = cv2.max(out, cv2.transpose(joined) if across else joined)
    return out if joined_any else None


def _complete_corners(horiz: np.ndarray, vert: np.ndarray, dpi: float) -> bool:
    """Close corners whose dashes were all lost, in place (page of broken lines);
    whether any was.

    A bilevel scan of a faint rule can lose a box's corner: its side stops
    short of the top or bottom line, or the line short of the side, by more
    than DASH_REACH_IN. A thin vertical's end within CORNER_IN of a
    horizontal line (one passing or ending within CORNER_IN of it) is drawn
    on to that line, and the line on to it, when the vertical runs along
    most of the way from that line to the next one it meets, a box's height
    away. A handwritten stroke standing between two lines rarely does all of
    that; one that does is a wall, as a printed one would be.
    """
    reach = CORNER_IN * dpi
    max_t = _max_line(dpi)
    hs = sorted(_h_segments(horiz, dpi), key=lambda h: h.y)
    if len(hs) < 2:
        return False
    ys = [h.y for h in hs]

    def between(y0: float, y1: float) -> list[_Seg]:
        """The lines from height y0 to y1 (a bisection: a speckled page has
        thousands)."""
        return hs[bisect_left(ys, y0) : bisect_right(ys, y1)]

    drew = False
    # Verticals as seen down the columns (x0..x1 its rows, y its column),
    # all found before any is drawn on.
    for v in _h_segments(cv2.transpose(vert), dpi):
        if v.t > max_t:
            continue
        x, top, bottom = v.y, float(v.x0), float(v.x1)
        lines = [
            h for h in between(top - reach, bottom + reach) if h.x0 - reach <= x <= h.x1 + reach
        ]
        above = [h for h in lines if h.y < top - 1]
        below = [h for h in lines if h.y > bottom + 1]
        met = [h for h in lines if top - 1 <= h.y <= bottom + 1]
        # The nearest beyond each end (all at its height: a neighbour's line
        # may end there too).
        met += [h for h in above if h.y >= above[-1].y - max_t]
        met += [h for h in below if h.y <= below[0].y + max_t]
        xi, t = int(round(x)), max(1, v.t)
        for h in met:
            # The next lines above and below it that the vertical meets, of
            # about its length (a box's other line; strokes inside are short).
            like = [
                o
                for o in met
                if o is not h
                and min(o.x1, h.x1) - max(o.x0, h.x0) >= 0.75 * max(o.x1 - o.x0, h.x1 - h.x0)
            ]
            pair = [max((o for o in like if o.y < h.y), key=lambda o: o.y, default=None)]
            pair += [min((o for o in like if o.y > h.y), key=lambda o: o.y, default=None)]
            # The vertical runs along most of the way to one of them, a box's
            # height away, and one of the two lines ends near it: a corner
            # (over a box, a stroke inside it, both lines run on).
            if not any(
                MIN_BOX_H * dpi <= abs(o.y - h.y) <= MAX_BOX_H * dpi
                and min(bottom, max(o.y, h.y)) - max(top, min(o.y, h.y)) >= 0.6 * abs(o.y - h.y)
                and min(abs(e - x) for e in (h.x0, h.x1, o.x0, o.x1)) <= reach
                for o in pair
                if o is not None
            ):
                continue
            yi = int(round(h.y))
            if h.y < top - 1 or h.y > bottom + 1:
                cv2.line(vert, (xi, yi), (xi, int(round(top if h.y < top else bottom))), 255, t)
                drew = True
            # A line ending short of it, unless another at its height (the
            # next box's) comes nearer: boxes side by side have a gap.
            off = max(h.x0 - x, x - h.x1)
            if off > 0 and not any(
                o is not h and max(o.x0 - x, x - o.x1) < off
                for o in between(h.y - max_t, h.y + max_t)
            ):
                cv2.line(horiz, (xi, yi), (h.x0 if x < h.x0 else h.x1 - 1, yi), 255, max(1, h.t))
                drew = True
    return drew


@dataclass(frozen=True)
class _Seg:
    x0: int
    x1: int
    y: float  # centre of the line's core rows
    t: int  # thickness


def _max_line(dpi: float) -> int:
    """Thickest printed line, in work pixels: MAX_LINE_IN, plus the two pixels
    the reduction (dark spread before resizing) and anti-aliasing add to any
    line, so a 0.5 mm rule is not taken for a marker stroke."""
    return max(4, int(round(MAX_LINE_IN * dpi))) + 2


def _h_segments(horiz: np.ndarray, dpi: float) -> list[_Seg]:
    """Long horizontal lines: components of the mask, with their core rows."""
    segs = []
    max_t = _max_line(dpi)
    alone = max(2, round(LINE_ALONE_IN * dpi))
    for x, y, w, h, own in components(horiz, min_w=int(MIN_LINE_IN * dpi)):
        # A component's pixels are 0/1: its counts are its sums (cv2.reduce:
        # a fraction of numpy's cost).
        rows = count_nonzero(own, 1, binary=True)
        # Handwriting merged into a line thickens it locally; the core rows
        # are those the line runs along. A bold stroke down a box's side can
        # join its top and bottom lines into one component: rows of core
        # further apart than a line is thick are separate lines.
        if h <= max_t:
            # No thicker than a line (most components): one run, thin in
            # every column, and the rows around it are the whole component,
            # which has ink in each column of its extent. (A few counts: a
            # Python list.)
            counts = rows.tolist()
            half = 0.5 * max(counts)
            r0 = next(i for i, n in enumerate(counts) if n >= half)
            r1 = next(i for i in range(h - 1, -1, -1) if counts[i] >= half)
            segs.append(_Seg(x, x + w, y + (r0 + r1) / 2.0, r1 - r0 + 1))
            continue
        core = np.flatnonzero(rows >= 0.5 * rows.max())
        if core[-1] - core[0] <= max_t:
            runs = [(int(core[0]), int(core[-1]))]  # one run: no gap can exceed max_t
        else:
            cuts = np.flatnonzero(np.diff(core) > max_t)
            runs = [(int(core[a]), int(core[b - 1])) for a, b in _spans(cuts, len(core))]
        for r0, r1 in runs:
            t = r1 - r0 + 1
            if t > 2 * max_t:
                continue
            # Printed rules are thin along their length; a thick run is a
            # marker stroke. Two rules meeting end to end a pixel or two
            # apart in height (a box's bottom line running into a line to
            # write on) are thin everywhere but span both heights.
            cols = count_nonzero(own[max(0, r0 - max_t) : r1 + max_t + 1], 0, binary=True)
            xs = np.flatnonzero(cols)
            if median_int(cols[xs]) <= max_t:
                segs.append(_Seg(x + int(xs[0]), x + int(xs[-1]) + 1, y + (r0 + r1) / 2.0, t))
                continue
            line = _under_stroke(rows[r0 : r1 + 1], cols[xs[0] : xs[-1] + 1], alone)
            if line is not None:
                b0, b1 = r0 + line[0], r0 + line[1]
                segs.append(
                    _Seg(x + int(xs[0]), x + int(xs[-1]) + 1, y + (b0 + b1) / 2.0, b1 - b0 + 1)
                )
    return _drop_inner_bars(segs, dpi)


def _under_stroke(rows: np.ndarray, cols: np.ndarray, alone: int) -> tuple[int, int] | None:
    """The rows (first, last) of a printed line with a stroke lying along it,
    in a run of mask ``rows`` (counts per row) over ``cols`` (counts per
    column): the rows that span the run's whole length (a line runs from
    side to side, a digit's stroke along it stops short) make a band at
    most a line thick at the run's top or bottom edge, and the line runs
    on alone, as thin as that band, for ``alone`` columns or more at one
    end. A 2's long foot written on a box's bottom line, or a bold bar under
    its top, made a run too thick to be a line, and the box was lost with
    its digit. A marker's stroke has no such band: its rows spanning its
    length lie inside it, or are all of it.
    """
    full = 0.9 * len(cols)
    band = np.flatnonzero(rows >= full)
    if band.size == 0 or band[-1] - band[0] + 1 != band.size:
        return None
    b0, b1 = int(band[0]), int(band[-1])
    # The line's blurred edge, a row under the full length, is the line's.
    if b0 == 1 and rows[0] >= 0.5 * len(cols):
        b0 = 0
    if b1 == len(rows) - 2 and rows[-1] >= 0.5 * len(cols):
        b1 = len(rows) - 1
    t = b1 - b0 + 1
    if t >= len(rows) - 1 or (b0 != 0 and b1 != len(rows) - 1):
        return None
    # The runs of columns as thin as the band, at either end of the run.
    ends = [b - a for a, b in runs(cols <= t + 1) if a == 0 or b == len(cols)]
    return (b0, b1) if max(ends, default=0) >= alone else None


def _spans(cuts: np.ndarray, n: int) -> list[tuple[int, int]]:
    """Index ranges [a, b) of the pieces ``np.split(range(n), cuts + 1)`` makes."""
    bounds = [0, *(int(c) + 1 for c in cuts), n]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _join_pieces(segs: list[_Seg], dark: np.ndarray, dpi: float) -> list[_Seg]:
    """Join pieces of one line broken where it is faint: collinear, at most
    JOIN_GAP_IN apart, and the gap between them at least half a line dark.

    A faint rule blurred by the scan hovers about LINE_DARK; where it dips
    under, the mask breaks it, and a box whose top line stops short of its
    side is no box. Two boxes side by side have paper between their lines,
    and stay apart.
    """
    out: list[_Seg] = []
    gap_max = JOIN_GAP_IN * dpi
    # The pieces in ``out`` by where they end: a piece joins the first (in
    # ``out``) of those ending at most gap_max (whole columns) before it.
    ends: dict[int, list[int]] = {}
    reach = math.floor(gap_max)
    for s in sorted(segs, key=lambda s: (round(s.y), s.x0)):
        near = [k for x1 in range(s.x0 - reach, s.x0 + 1) for k in ends.get(x1, ())]
        for k in sorted(near):
            p = out[k]
            if abs(s.y - p.y) > max(1.5, 0.5 * max(s.t, p.t)):
                continue
            y = int(round((s.y + p.y) / 2))
            t = max(s.t, p.t)
            band = dark[max(0, y - t // 2 - 1) : y + t // 2 + 2, p.x1 : s.x0]
            if band.size == 0 or float(band.max(axis=0).mean()) >= 0.5 * LINE_DARK:
                w0, w1 = p.x1 - p.x0, s.x1 - s.x0
                out[k] = _Seg(p.x0, s.x1, (p.y * w0 + s.y * w1) / (w0 + w1), t)
                ends[p.x1].remove(k)
                ends.setdefault(s.x1, []).append(k)
                break
        else:
            ends.setdefault(s.x1, []).append(len(out))
            out.append(s)
    return out


def _drop_inner_bars(segs: list[_Seg], dpi: float) -> list[_Seg]:
    """Leave out runs inside a box that are much thicker than its lines: a
    bold digit's bar from side to side (a marker 9's loop in a small box).

    The box is a line above and one below, a plausible box apart, both
    running along the whole run; printed rules of one box are alike, so a
    run twice as thick as both is ink, not a rule. A line shared by two
    stacked rows of boxes is as thin as theirs, and stays.
    """
    slack = 1.5  # work pixels
    ordered = sorted(segs, key=lambda s: s.y)

    out = []
    # Only a run at least twice as thick as the thinnest can be a bar.
    thinnest = min((s.t for s in ordered), default=0)
    ys = [s.y for s in ordered]
    reach = MAX_BOX_H * dpi
    for i, s in enumerate(ordered):
        if s.t < 2 * thinnest:
            out.append(s)
            continue
        # Only lines within a box's height (and a pixel) can be its box's.
        lo = bisect_left(ys, s.y - reach - 1.0, 0, i)
        hi = bisect_right(ys, s.y + reach + 1.0, i + 1)
        # Lines that enclose the run: along all of it, and at most half as
        # thick (written out: this is the page's innermost loop).
        x0, x1, half = s.x0 + slack, s.x1 - slack, s.t / 2
        below = [
            b
            for b in ordered[i + 1 : hi]
            if b.t <= half and b.x0 <= x0 and b.x1 >= x1 and b.y - s.y <= reach
        ]
        if not below:  # no line below it: no box round it
            out.append(s)
            continue
        above = [
            a
            for a in ordered[lo:i]
            if a.t <= half and a.x0 <= x0 and a.x1 >= x1 and s.y - a.y <= reach
        ]
        if not any(MIN_BOX_H * dpi <= b.y - a.y <= reach for a in above for b in below):
            out.append(s)
    return out


def broken_masks(dark: np.ndarray, dpi: float) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical line masks (0/255) of a page of broken lines:
    ``line_masks``' whole stretches and ``dashed_lines``' joined dashes."""
    horiz, vert = line_masks(dark, dpi)
    dh, dv = dashed_lines(dark, dpi, horiz, vert)
    return cv2.max(horiz, dh), cv2.max(vert, dv)


def find_frames(
    dark: np.ndarray,
    dpi: float,
    broken_lines: bool = False,
    masks: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[Frame]:
    """Printed boxes of a deskewed work-resolution darkness image.

    Two horizontal lines, one above the other at a plausible distance, and
    the vertical lines running from one to the other (joined to both) cut
    the stretch the two lines share into boxes: a stretch between two
    verticals with both lines along it is inside a box. Verticals between
    such stretches are the walls of a comb; two verticals a hair apart with
    the lines broken between them are the sides of two boxes printed side by
    side. Handwriting inside (or across) a box does not matter. Each part of
    a top line goes to one box: one whose lines end at its sides, else the
    one with the nearest bottom line. Boxes inside boxes and boxes of
    implausible size are left out.
    """
    if not broken_lines:
        return _find_frames(dark, dpi, *line_masks(dark, dpi))
    horiz, vert = broken_masks(dark, dpi) if masks is None else masks
    plain = _find_frames(dark, dpi, horiz, vert)
    if len(plain) > GUESS_MAX_FRAMES:
        return plain  # specks taken for boxes: no form; guessing would only add more
    closed_h, closed_v = horiz.copy(), vert.copy()
    if not _complete_corners(closed_h, closed_v, dpi):
        return plain
    # Boxes found without the guess stay as found; those it adds where none
    # was found are ``guessed``, and what was found inside one of them,
    # under half as wide (a digit's loop taken for a box while the box was
    # open), goes, as ``_drop_nested`` would have it.
    inside: set[int] = set()
    added = []
    for f in _find_frames(dark, dpi, closed_h, closed_v):
        hit = swallowed(f, plain, dpi)
        if hit is not None:
            added.append(dataclasses.replace(f, guessed=True))
            inside.update(hit)
    return [g for k, g in enumerate(plain) if k not in inside] + added


def swallowed(f: Frame, frames: Sequence[Frame], dpi: float) -> list[int] | None:
    """The boxes of ``frames`` that ``f``, a box found with its lines
    closed or joined, takes the place of (their indices): every one it
    overlaps, where each lies inside it and is under half as wide (a
    digit's loop taken for a box while the box's own lines were open or
    broken); None where it overlaps any other box."""
    tol = 2 * _reach(dpi)
    hit = [k for k, g in enumerate(frames) if f.overlaps(g)]
    if all(frames[k].within(f, tol) and frames[k].w < 0.5 * f.w for k in hit):
        return hit
    return None


def _find_frames(dark: np.ndarray, dpi: float, horiz: np.ndarray, vert: np.ndarray) -> list[Frame]:
    """``find_frames`` on the line masks ``horiz`` and ``vert``."""
    # Column sums down to each row: the x difference of the integral image.
    # (cv2.subtract: the same integers as np.diff along x, at a third of its cost.)
    integral = cv2.integral(vert // 255, sdepth=cv2.CV_32S)
    vcum = cv2.subtract(integral[:, 1:], integral[:, :-1])
    segs = sorted(_join_pieces(_h_segments(horiz, dpi), dark, dpi), key=lambda s: s.y)
    r = _reach(dpi)
    max_t = _max_line(dpi)
    frames = []
    min_dy, max_dy, min_w = MIN_BOX_H * dpi, MAX_BOX_H * dpi, MIN_BOX_W * dpi
    # On a patterned page, columns of the pattern's dots or waves can run
    # from a box's top line to its bottom one: a wall must be printed as
    # darkly as the box's lines (WALL_DARK of their darkness).
    on_pattern = patterned(dark)
    ys = [s.y for s in segs]
    for i, top in enumerate(segs):
        cands: list[tuple[bool, int, Frame, _Seg]] = []
        # Lines closer below than a box is tall come first (segs are in y
        # order, and so are their distances below ``top``).
        first, ty = i + 1, top.y
        while first < len(ys) and ys[first] - ty < min_dy:
            first += 1
        for j in range(first, len(segs)):
            bot = segs[j]
            dy = bot.y - top.y
            if dy > max_dy:
                break
            ox0, ox1 = max(top.x0, bot.x0), min(top.x1, bot.x1)
            if ox1 - ox0 < min_w:
                continue
            rank = j - i - 1
            ya, yb = top.y + top.t / 2.0, bot.y - bot.t / 2.0
            walls: list[_Wall] = []
            # Look a little past the shared stretch: a neighbour's side there tells
            # a line merged with the neighbour's from one running on.
            lw = float(max(2, top.t, bot.t))
            span = (vcum, ox0 - 3 * r, ox1 + 3 * r, ya, yb, r, max_t)
            faint = WALL_DARK * _lines_level(dark, (top, bot), ox0, ox1) if on_pattern else 0.0
            for a, b, gap in _with_rounded(_walls(*span), *span, dpi):
                if faint and _wall_level(dark, a, b, ya, yb) < faint:
                    continue
                # Where both lines end at a vertical, it is the box's side,
                # printed at its outer edge; one thicker than the lines is the
                # side with a stroke along its inside (a 1 written against
                # it, or a hair away at this resolution).
                starts = abs(top.x0 - a) <= r and abs(bot.x0 - a) <= r
                stops = abs(top.x1 - b) <= r and abs(bot.x1 - b) <= r
                if gap == ROUNDED:
                    # A side whose corners are rounded: both lines stop short
                    # of it alike, by at most the corner, and are at least
                    # two corners long (strokes of handwriting, and rules
                    # broken into dots, make short "lines" and "sides" too).
                    c = ROUND_IN * dpi
                    long = min(top.x1 - top.x0, bot.x1 - bot.x0) >= 2 * c
                    begins = all(a - r <= seg.x0 <= b + c + r for seg in (top, bot))
                    begins &= abs(top.x0 - bot.x0) <= r
                    ends = all(a - c - r <= seg.x1 <= b + r for seg in (top, bot))
                    ends &= abs(top.x1 - bot.x1) <= r
                    reach = (1.0 - math.sqrt(0.5)) * c * (1.0 if begins else -1.0)
                    if long and (begins or ends) and _arcs(dark, a, b, top, bot, reach):
                        walls.append(_Wall(a, b, False, b, a, c))
                    continue
                if gap == (-1, -1):
                    # A bold stroke filling a side: elsewhere it is handwriting.
                    if starts:
                        walls.append(_Wall(a, b, False, a + lw, a))
                    elif stops:
                        walls.append(_Wall(a, b, False, b, b - lw))
                    continue
                if gap and _broken(dark, top, ox0, ox1, gap) and _broken(dark, bot, ox0, ox1, gap):
                    g0, g1 = float(gap[0]), float(gap[1])
                    # Each side's printed line is the one next to the gap; a
                    # side wider than a line has a stroke along it, in its
                    # box (a bold 1 against it), which ends (begins) at the line.
                    end = a if g0 - a <= lw + 1 else g0 - lw
                    begin = b if b - g1 <= lw + 1 else g1 + lw
                    walls += [_Wall(a, g0, True, g0, end), _Wall(g1, b, True, begin, g1)]
                elif gap:
                    # A side with a stroke along it (a bold digit touching
                    # it): the stroke is inside the box, on whichever side.
                    walls.append(_Wall(a, b, False, float(gap[0]), float(gap[1])))
                elif b - a > lw + 1 and (starts or stops):
                    walls.append(
                        _Wall(a, b, False, a + lw if starts else b, b - lw if stops else a)
                    )
                else:
                    walls.append(_Wall(a, b, False, b, a))
            if len(walls) >= 2:  # a box lies between two walls
                boxes = _boxes(walls, ya, yb, top, bot, horiz, dark, r, dpi)
                cands += [(not ok, rank, f, bot) for f, ok in boxes]
        if not cands:
            continue
        # Boxes whose lines end at their sides first, then the nearest bottom;
        # each part of the top line goes to one box. A bottom "line" that is
        # a digit's stroke inside a deeper box comes after that box.
        free = np.ones(top.x1 - top.x0, bool)
        stroke = _stroke_bottoms(top, cands, r, dark)
        for _, _, f, _ in sorted(cands, key=lambda c: (c[1] in stroke, *c[:2])):
            a, b = int(f.x0) - top.x0, int(f.x1) - top.x0
            if free[max(0, a) : max(0, b)].mean() > 0.5:
                frames.append(f)
                free[max(0, a - r) : max(0, b + r)] = False
    return _drop_nested(frames, 2 * r)


def _stroke_bottoms(
    top: _Seg, cands: Sequence[tuple[bool, int, Frame, _Seg]], r: int, dark: np.ndarray
) -> set[int]:
    """The bottom lines (by rank: how many lines lie between it and ``top``)
    of candidate boxes below ``top`` that are strokes of a digit, not
    printed lines, where a deeper candidate spans the same columns: a line
    that stops short of ``top`` and of that candidate's bottom line, by more
    than ``r`` at an end of each; or one fainter than WALL_DARK of ``top``
    and of that candidate's bottom, both along the box's columns. A
    flat-bottomed 0, a 6's loop or a 2's foot written across a small box
    makes a horizontal run as long as a short rule (and runs on through a
    side it touches); as the nearest bottom, it closed a box at the stroke,
    and the box was read as what the digit left in it (a 0's sides read as
    a 1; a 2 whose loop at its foot, in a pen lighter than the print, closed
    a date box read `7`, `ok`). A printed line between two rows of boxes
    runs as far as the row above it or the row below it does, and as darkly.
    """
    out: set[int] = set()
    for _, rank, a, sa in cands:
        if rank in out:
            continue
        across = sa.x0 <= top.x0 + r and sa.x1 >= top.x1 - r
        for _, _, b, sb in cands:
            if not (sb.y > sa.y and b.x0 <= a.x0 + r and b.x1 >= a.x1 - r):
                continue
            if not across and (sa.x0 > sb.x0 + r or sa.x1 < sb.x1 - r):
                out.add(rank)
                break
            x0, x1 = int(a.x0), math.ceil(a.x1)
            printed = _lines_level(dark, (top, sb), x0, x1)
            if _lines_level(dark, (sa,), x0, x1) < WALL_DARK * printed:
                out.add(rank)
                break
    return out


class _Wall(NamedTuple):
    """A full-height vertical between two lines: columns a..b; ``split`` when it
    is the sides of two boxes printed side by side. ``left`` is where a box
    to its right begins, ``right`` where a box to its left ends: the wall's
    edges, or, for a side with a stroke along it, the inner edge of the
    printed line on that side."""

    a: float
    b: float
    split: bool
    left: float
    right: float
    corner: float = 0.0  # a side with rounded corners: how far the lines stop short of it


def _along(horiz: np.ndarray, seg: _Seg, a: float, b: float) -> bool:
    """Does the line ``seg`` run all along columns a..b?"""
    y = int(round(seg.y))
    rows = horiz[max(0, y - 1 - seg.t // 2) : y + 2 + seg.t // 2, int(a) : math.ceil(b)]
    if rows.size == 0:
        return False
    # The share of columns with line (a mask's columns' maximum, counted:
    # the same double as numpy's mean of their any()).
    if rows.dtype == np.uint8:
        hit = cv2.countNonZero(cv2.reduce(rows, 0, cv2.REDUCE_MAX))
    else:
        hit = int(np.count_nonzero((rows > 0).any(axis=0)))
    return hit / rows.shape[1] >= 0.9


def _runs_on(
    horiz: np.ndarray,
    dark: np.ndarray,
    lines: tuple[_Seg, _Seg],
    left: _Wall,
    right: _Wall,
    reach: float,
) -> tuple[float, float]:
    """``Frame.runs_on`` of the box between walls ``left`` and ``right``
    with top and bottom ``lines``: ``reach`` past a side where both lines
    run all along that far (within the page), at least WALL_DARK as dark
    as along the box (a microtext's rows, or a guilloche's waves, level
    with a box's lines are lighter than they are), else 0."""
    # A side found as a wall ``reach`` wide or wider, both lines running
    # along it, is walls merged (``_boxes``: a side with strokes beside it
    # closer than a cell), and the box found from its inner edge: its lines
    # run on past its side as far. On a dot screen an amount box's side, its
    # first digit and a column of the screen's dots made one wall, and
    # `43281060` cut out came out `3281060`, `ok`.
    merged = [
        not w.split and b - a >= reach and all(_along(horiz, s, a, b) for s in lines)
        for w, (a, b) in ((left, (left.a, left.left)), (right, (right.right, right.b)))
    ]
    sides = ((left.a - reach, left.a), (right.b, right.b + reach))
    along = [
        0 <= a < b <= horiz.shape[1] and all(_along(horiz, s, a, b) for s in lines)
        for a, b in sides
    ]
    if not any(along):
        return reach if merged[0] else 0.0, reach if merged[1] else 0.0
    own = _lines_level(dark, lines, int(left.b), int(right.a))
    on = [
        m or (ok and _lines_level(dark, lines, int(a), math.ceil(b)) >= WALL_DARK * own)
        for m, ok, (a, b) in zip(merged, along, sides, strict=True)
    ]
    return reach if on[0] else 0.0, reach if on[1] else 0.0


def _boxes(
    walls: list[_Wall],
    y0: float,
    y1: float,
    top: _Seg,
    bot: _Seg,
    horiz: np.ndarray,
    dark: np.ndarray,
    r: int,
    dpi: float,
) -> list[tuple[Frame, bool]]:
    """Boxes between consecutive verticals where both lines run along.

    Each box comes with whether its top and bottom lines both end at its
    sides (or it was split from a neighbour at a double wall), as printed
    boxes do. One closed off by a stroke that joins a side, say a digit's
    bar, has a top line running on past it.
    """
    min_w = max(MIN_BOX_W * dpi, MIN_CELL * (y1 - y0))
    # Walls closer than a cell with both lines running between them are one
    # wall: a divider with a tall stroke beside it.
    merged: list[_Wall] = []
    for w in walls:
        if merged:
            p = merged[-1]
            # A lone thin vertical closer than a cell to the double wall of
            # two boxes printed side by side, where neither line ends, is a
            # stroke in the box beside it (a tall 1 near its side): no box
            # is that narrow. Left as a wall, it cut the box into pieces too
            # narrow to be boxes, and the box and its digit were lost
            # without a word.
            lone = w if p.split else p
            if (
                w.a - p.b < min_w
                and p.split != w.split
                and (lone.left, lone.right) == (lone.b, lone.a)
                and min(top.x0, bot.x0) < lone.a - r
                and max(top.x1, bot.x1) > lone.b + r
                and _along(horiz, top, p.b, w.a)
                and _along(horiz, bot, p.b, w.a)
            ):
                if lone is p:
                    merged[-1] = w
                continue
            if (
                w.a - p.b < min_w
                and not (p.split or w.split)
                and _along(horiz, top, p.b, w.a)
                and _along(horiz, bot, p.b, w.a)
            ):
                # Where the lines end at the pair, it is the box's side with a
                # stroke just inside: the box begins (ends) at the printed
                # line, and the stroke is its digit's. One line ending there
                # is enough: a cheque's bottom line ran on into the rule
                # under its label, the box began after a bold 8's stroke,
                # and `86000000` cut out was read `36000000`, `ok`
                # (``bench/cheques.py --seed 100400 --round --pen fine``,
                # cheque 111; fifty-sixth session).
                inner_left = p.b if any(abs(s.x0 - p.a) <= r for s in (top, bot)) else w.b
                inner_right = w.a if any(abs(s.x1 - w.b) <= r for s in (top, bot)) else p.a
                merged[-1] = _Wall(p.a, w.b, False, inner_left, inner_right)
                continue
        merged.append(w)
    walls = merged
    inside = [
        b - a >= min_w and _along(horiz, top, a + ca, b - cb) and _along(horiz, bot, a + ca, b - cb)
        for a, b, ca, cb in (
            (w1.left, w2.right, w1.corner, w2.corner)
            for w1, w2 in zip(walls[:-1], walls[1:], strict=True)
        )
    ]
    reach = RUN_ON_CELL * (y1 - y0)
    frames, k = [], 0
    while k < len(inside):
        if not inside[k]:
            k += 1
            continue
        j = k
        while j + 1 < len(inside) and inside[j + 1]:
            j += 1
        left, right = walls[k], walls[j + 1]
        f = Frame(
            left.left,
            y0,
            right.right,
            y1,
            tuple((w.a, w.b) for w in walls[k + 1 : j + 1]),
            runs_on=_runs_on(horiz, dark, (top, bot), left, right, reach),
        )
        ends = (left.split or min(top.x0, bot.x0) >= left.a - r) and (
            right.split or max(top.x1, bot.x1) <= right.b + r
        )
        # No digit box is much narrower than half its height.
        if f.w >= MIN_ASPECT * f.h:
            frames.append((f, ends))
        k = j + 1
    return frames


def _walls(
    vcum: np.ndarray, x0: float, x1: float, y0: float, y1: float, r: int, max_t: int
) -> list[tuple[float, float, tuple[int, int] | None]]:
    """Full-height vertical lines strictly between the sides: (a, b, gap).

    Lines a hair apart are one wall, with ``gap`` the columns between them:
    the sides of two boxes printed side by side, or a divider with a stroke
    along it. ``vcum`` is the vertical-line mask summed down each column
    (one row longer than the mask), so a column's cover costs two lookups.
    """
    H, W = vcum.shape[0] - 1, vcum.shape[1]
    a, b = max(0, math.ceil(x0)), min(W, int(x1))
    ya, yb = max(0, int(round(y0 + 1))), min(H, int(round(y1 - 1)))
    if b - a < 3 or yb <= ya:
        return []
    # A printed line runs into the top and bottom lines; a tall handwritten
    # 1 stops short of them.
    end = max(2, int(0.12 * (yb - ya)))
    top, bottom = vcum[ya, a:b], vcum[yb, a:b]
    full = np.zeros(b - a + 2, bool)  # padded with a column short of full each side
    inner = full[1:-1]
    np.greater_equal(bottom - top, 0.85 * (yb - ya), out=inner)
    if not inner.any():  # most pairs of lines: no box between them
        return []
    inner &= vcum[ya + end, a:b] - top == end
    inner &= bottom - vcum[yb - end, a:b] == end
    # Changes alternate: a run's start, then its end.
    edges = np.flatnonzero(full[1:] != full[:-1]).tolist()
    walls: list[tuple[float, float, tuple[int, int] | None]] = []
    for s, e in zip(edges[::2], edges[1::2], strict=True):
        if e - s > max_t:
            # Too thick for a printed line: a bold stroke, perhaps merged
            # with a side. Returned with gap (-1, -1); the caller decides.
            walls.append((float(s + a), float(e + a), (-1, -1)))
            continue
        if walls and walls[-1][2] != (-1, -1) and s + a - walls[-1][1] <= 2 * r:
            walls[-1] = (walls[-1][0], float(e + a), (int(walls[-1][1]), int(s + a)))
        else:
            walls.append((float(s + a), float(e + a), None))
    return walls


def _with_rounded(
    walls: list[tuple[float, float, tuple[int, int] | None]],
    vcum: np.ndarray,
    x0: float,
    x1: float,
    y0: float,
    y1: float,
    r: int,
    max_t: int,
    dpi: float,
) -> list[tuple[float, float, tuple[int, int] | None]]:
    """``walls`` (``_walls``' answer for the same arguments) and, marked
    ROUNDED, the sides of a box with rounded corners within ROUND_IN of
    columns x0..x1: verticals from one corner to the other, which stop short
    of both lines by the corner (the caller checks the lines and the arcs),
    where no full-height line stands near (a square box's soft edge, or a
    stroke beside it, is no rounded side)."""
    H, W = vcum.shape[0] - 1, vcum.shape[1]
    ya, yb = max(0, int(round(y0 + 1))), min(H, int(round(y1 - 1)))
    end = max(2, int(0.12 * (yb - ya)))
    c = min(int(round(ROUND_IN * dpi)), int(0.4 * (yb - ya)))
    a, b = max(0, math.ceil(x0) - c), min(W, int(x1) + c)
    if c <= end or b - a < 3:
        return walls
    curved = np.zeros(b - a + 2, bool)
    np.greater_equal(vcum[yb - c, a:b] - vcum[ya + c, a:b], yb - ya - 2 * c, out=curved[1:-1])
    if not curved.any():  # most pairs of lines
        return walls
    cut = np.flatnonzero(curved[1:] != curved[:-1]).tolist()
    rounded: list[tuple[float, float, tuple[int, int] | None]] = [
        (float(s + a), float(e + a), ROUNDED)
        for s, e in zip(cut[::2], cut[1::2], strict=True)
        if e - s <= max_t
        and not any(v[0] - c - r <= e + a and s + a <= v[1] + c + r for v in walls)
    ]
    return sorted(walls + rounded) if rounded else walls


def _arcs(dark: np.ndarray, a: float, b: float, top: _Seg, bot: _Seg, reach: float) -> bool:
    """Do rounded corners join the side at columns a..b to ``top`` and
    ``bot``, on the side's right where ``reach`` > 0, its left where < 0?
    Going from the corner that the side and a line would make along the
    diagonal into the box, a rounded corner is paper at first, then its arc
    crosses (within about 0.3 of the radius, at most ``reach``); a square
    corner, even of a rule broken into dots, is ink there or never crossed."""
    x_side = (a + b) / 2.0
    sign, steps = (1.0 if reach > 0 else -1.0), int(abs(reach)) + 3
    h, w = dark.shape
    for seg, down in ((top, 1.0), (bot, -1.0)):
        along = [
            int(
                dark[
                    min(h - 1, max(0, int(round(seg.y + down * d)))),
                    min(w - 1, max(0, int(round(x_side + sign * d)))),
                ]
            )
            for d in range(steps)
        ]
        if along[0] >= LINE_DARK or max(along[2:]) < LINE_DARK:
            return False
    return True


def _profile(dark: np.ndarray, seg: _Seg) -> np.ndarray:
    """The horizontal line ``seg``'s darkness along it (each column's darkest
    pixel across the line's thickness and a pixel either side)."""
    y = int(round(seg.y))
    rows = dark[max(0, y - 1 - seg.t // 2) : y + 2 + seg.t // 2]
    return np.asarray(rows.max(axis=0)) if rows.shape[0] else np.zeros(dark.shape[1], dark.dtype)


def _lines_level(dark: np.ndarray, lines: tuple[_Seg, ...], x0: int, x1: int) -> float:
    """The faintest of lines' median darkness along columns x0..x1."""
    levels = [_profile(dark, seg)[max(0, x0) : max(0, x1)] for seg in lines]
    return min((float(np.median(v)) for v in levels if v.size), default=0.0)


def _wall_level(dark: np.ndarray, a: float, b: float, y0: float, y1: float) -> float:
    """The vertical at columns a..b's median darkness from row y0 to y1 (a
    wall far fainter than its box's lines is a background pattern's)."""
    col = dark[max(0, int(y0)) : max(0, int(y1)), max(0, int(a)) : int(b) + 1]
    return float(np.median(col.max(axis=1))) if col.size else float("inf")


def _broken(dark: np.ndarray, seg: _Seg, x0: int, x1: int, gap: tuple[int, int]) -> bool:
    """Does the horizontal line ``seg`` fade to paper between gap[0] and gap[1]?"""
    if gap[1] <= gap[0]:
        return False
    prof = _profile(dark, seg)  # all paper off the page: never broken
    level = float(np.median(prof[x0:x1]))
    return float(prof[gap[0] : gap[1]].min()) < 0.5 * level


def _reach(dpi: float) -> int:
    """How far (work pixels) a line may end from a side and still meet it."""
    return max(2, int(round(0.025 * dpi)))


def _drop_nested(frames: list[Frame], tol: float) -> list[Frame]:
    """Keep the outermost of frames inside frames.

    Digit boxes are not printed inside one another (panels and tables that
    hold boxes are taller than MAX_BOX_H); a frame inside another is a stray
    stroke taken for a line, or a squarish digit.
    """
    drop = set()
    for i, f in enumerate(frames):
        for j, g in enumerate(frames):
            if i != j and g.within(f, tol):
                # Of two equal frames keep the first.
                drop.add(j if (g.w * g.h, -j) < (f.w * f.h, -i) else i)
    return [f for k, f in enumerate(frames) if k not in drop]
