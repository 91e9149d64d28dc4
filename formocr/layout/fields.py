"""Find the printed boxes of a page and cut the handwritten digits out of them.

No template: boxes are found from the page's own lines (``layout_lines``, at
reduced resolution on a deskewed copy), then each box is analysed at full
resolution (``layout_digits``): comb or digit string, frame whited out,
touching digits split. Boxes and digits are reported in the coordinates of
the page as given, even when it was skewed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, fields, replace
from typing import NamedTuple

import cv2
import numpy as np

from formocr.layout.digits import (
    BoxLayout,
    Digit,
    analyse_box,
    cut_crops,
    split_blobs,
    writer_aspect,
)
from formocr.layout.frame import WIDE_CELL
from formocr.layout.keystone import Straightening, slanted, straightening
from formocr.layout.lines import (
    DASH_REACH_IN,
    MAX_BOX_W,
    Frame,
    Geometry,
    broken_masks,
    deskewing,
    find_frames,
    guess_dpi,
    joined_dots,
    page_geometry,
    page_kind,
    spread_dark,
    swallowed,
)
from formocr.stats import bilevel, labelled, median
from formocr.types import BBox, DigitCrop, FieldKind, FieldLayout, Mark, StringInk, page_bbox

__all__ = ["Located", "box_doubts", "broken_boxes", "find_fields", "locate"]

# A strip of unknown resolution (``page_kind``) whose boxes span less than
# this share of its width is read as one box, the strip itself.
STRIP_SPAN = 0.5
# Only boxes at least this share of the strip's height count towards that
# span: a strip cut out round its box (or a row of them) with margins has
# them 0.5 of its height or more; the "boxes" a background pattern's dots
# make inside an amount cut within its frame are smaller, and a dot
# screen's regular rows line them up.
STRIP_ROW_H = 0.3
# An amount cut inside its box is the box's height: about this many inches
# (boxes of 9.5-12 mm, less what the cut took off).
STRIP_BOX_IN = 0.45
# A box cut out with its margins is about this many inches tall inside
# (the generator's amount boxes: 9.5-12 mm), and a scale that differs from
# the strip's guess by more than RESCALE is used instead.
CUT_BOX_IN = 0.42
RESCALE = 0.15
# Lines of a box found on joined dashes that run on this far (inches) past
# one of its sides: that side is a stroke of the writing, not the box's.
RUN_ON_IN = 0.15
# A box found on joined dashes holds a stroke at least WRITTEN of its height
# tall, darker than INK_LEVEL on the work page.
WRITTEN = 0.5
INK_LEVEL = 100
# A dotted box's top or bottom line with this share of it the feet or tops
# of tall marks inside is print, not a line (``_edge_of_marks``). No true
# box of the development pages measured over 0.38 (box28 bilevel, faxes,
# 60 black-and-white cheques at 200 and 300 dpi); boxes round printed words
# and digits 0.85-1.0 (5 on those cheques, 1 on the fine faxes).
MARK_EDGE = 0.6
# A box with another box's top or bottom line across its whole width (to
# STRADDLE_IN inches), at least STRADDLE_H of its height from its own top
# and bottom, straddles that box: the two were found overlapping, and this
# one is made of pieces of the other and of what lies beside it (the
# prompt printed over a box, its glyphs' tops joined into a "line", on a
# page of broken rules: a "box" over the prompt and the box's first digit
# read ``5``, ``ok``).
STRADDLE_IN = 0.03
STRADDLE_H = 0.15
# ... unless the box straddled stands in a row, its top and bottom lines
# level (to STRADDLE_IN) with those of ROW_BOXES others beside it as wide
# (to ROW_WIDTH), overlapping no box, itself none but the straddler, and
# the straddler, shorter than it, stands in none: then the
# straddler's line across it is a stroke (a 7's bar joined to a
# guilloche's wave made a "box" from the bar down, over the date box's 7
# and the gap to the next box; the date box was dropped, and its 7, its bar
# whited out as that box's top line, read ``1``, ``ok``). One other is
# not enough: a guilloche's waves make pairs of boxes level with each
# other, each the top of a date box down to a wave; and a dense dot
# screen makes a tangle of overlapping "boxes", some of them level.
ROW_WIDTH = 1.25
ROW_BOXES = 2
# A page whose grey pixels (neither 0 nor 255) are at most this share of
# its non-white ones is a black-and-white scan.
BILEVEL_GREY = 0.01
# Boxes printed in one row have tops and bottoms within this share of their
# height of each other.
ROW_TOL = 0.15

# An undivided box at most this much wider than tall is a one-digit box
# (a one-cell comb), not a digit string.
SINGLE_ASPECT = 1.3


# Signs that a box was found in pieces (its thin lines broke: a black-and-
# white fax) or that writing missed its box, either way that what was read
# in it is incomplete (``broken_boxes``): handwriting, a stroke at least
# BETWEEN_INK of the box's height, lying outside every box beside a box no
# wider than BETWEEN_ASPECT in its row (within BETWEEN_REACH box heights,
# between it and its neighbour);
# or a neighbour in its row sharing its side where one of the two is a
# one-digit cell or a box found divided into cells (intact, such boxes make
# one comb: a fax's comb found two cells at a time read `4`, `ok`, for
# `40084 3 1`). Printed labels beside boxes are shorter than BETWEEN_INK.
BETWEEN_INK = 0.45
BETWEEN_REACH = 1.0
# Ink beside a box that touches its side and reaches this share of the box's
# height past it is no stroke of the box's own digit run over the side, but
# a digit beside it, or half of one, that the box's side cuts through: on a
# fine-mode fax a comb's dotted lines broke and a "box" was found from the
# first cell's left side to a side through the second cell's 3, 20 px of it
# (0.26 of the box's height) beyond that side, and its `8` was read `ok`
# where the comb held `83 7` (``bench/fax.py --mode fine --seed 77700``,
# page 18; BENCHMARKS.md, sixtieth session). A digit's stroke run over its
# side reaches a few pixels past it.
OVERRUN_W = 0.25
# Only a box at most this many times wider than tall is looked beside: a
# piece of a comb is a cell or a few; a wide box (a cheque's amount box)
# may have a tall printed sign beside it ("$"). A box found divided into
# cells is looked beside however wide: a comb's piece of five cells, its
# lines broken in black and white, read a date `10091997` as `00919`, `ok`.
BETWEEN_ASPECT = 3.5
# A mark across the whole band beside a box is a printed rule when no wider
# than this share of the box's height.
RULE_W = 0.1
# A box's top or bottom line that runs on past its side across RUN_ON of the
# band beside it (a mark no taller than LINE_H of the box, along the band's
# top or bottom edge) makes the box a piece of a larger one: a comb's cell
# found alone where the comb's lines broke. So does a row of ink there,
# at the band's top or bottom (within two of ``broken_boxes``' edge
# tolerances, where the box's line lies), unbroken from the box's side
# across RUN_ON of the band: the line runs on, joined to a digit written
# against it (a fax's comb found cell by cell, a cell's `5` read `ok`
# beside its neighbour's 9 hanging from the line; BENCHMARKS.md,
# fifty-third session). Rows further in are not looked at: a guilloche's
# line crossing the narrow band between two date boxes low down sent a
# right `ok` box to review. Such a row also counts where it runs RUN_ON_H
# of the box's height from its side, short of RUN_ON of a wide band: a
# fax's comb cell found alone, the empty cell beside it found with no top
# line, had its `6` read `ok` while its bottom line ran on 30 px into a band
# of 54 (``bench/fax.py --mode normal --seed 70500``, page 11; fifty-sixth
# session). A date box's line blurred a few pixels into the narrow gap to
# the next box does not reach that far.
RUN_ON = 0.8
RUN_ON_H = 0.3
LINE_H = 0.3
# Writing that reaches a wide box's side from beside it reaches this share
# of the box's height away from it (``_run_through``). Beside a comb found
# divided into cells, too: a fax's comb found up to its sixth cell, the
# seventh lost with its dotted lines, had that cell's bold 2 written
# against the divider that closed it, touching the band's near side, and
# `854252` was read `85425`, `ok` (``bench/fax.py --mode fine --seed
# 71700``, page 3; fifty-sixth session).
THROUGH_W = 0.25
# A box beside a comb found divided into cells, within its height and under
# LOOP_H of it, is a digit's loop found as a box: it neither ends the band
# looked in nor keeps its ink out of it. On a fax whose comb's dotted lines
# broke, the loop of the 4 in the cell before the three cells found kept the
# rest of the 4 out of the band, and `674` was read `ok` for `974674`
# (``bench/fax.py --mode normal --seed 70500``, page 9; fifty-sixth
# session). Beside a date's one-digit boxes on a guilloche such boxes are
# the pattern's loops: looked through there, 5 right boxes of the 240
# development cheques asked.
LOOP_H = 0.7


class BoxDoubts(NamedTuple):
    """The indices of a page's boxes that ``broken_boxes``,
    ``overlapping_boxes`` and ``short_boxes`` doubt."""

    broken: set[int]
    overlapping: set[int]
    short: set[int]


def box_doubts(page: np.ndarray, layouts: Sequence[FieldLayout]) -> BoxDoubts:
    """The indices of ``layouts`` (found on ``page``) that ``broken_boxes``,
    ``overlapping_boxes`` and ``short_boxes`` doubt, judged as the boxes were printed: on
    the page deskewed, where the layouts say how (``FieldLayout.printed``),
    else on their boxes as found. On a skewed page the hulls are wider and
    closer than the boxes (cells 0.8 mm apart touch at 2 degrees) and take
    in their neighbours' corners. A box whose lines run on past a side
    (``FieldLayout.runs_on``) is a piece as ``broken_boxes``' are."""
    skews = {f.skew for f in layouts}
    combs = {i for i, f in enumerate(layouts) if f.kind == "comb" and f.cells > 1}
    pieces = {i for i, f in enumerate(layouts) if f.runs_on}
    if len(skews) == 1 and all(f.printed is not None for f in layouts):
        full, _ = deskewing(page.shape, skews.pop())
        to_page = np.linalg.inv(full)[:2]
        rects = [f.printed for f in layouts if f.printed is not None]

        def cut(x: int, y: int, w: int, h: int) -> np.ndarray:
            return _warped(page, to_page, x, y, w, h)

        broken = broken_boxes(page, rects, cut, combs)
    else:
        rects = [f.bbox for f in layouts]
        broken = broken_boxes(page, rects, combs=combs)
    return BoxDoubts(pieces | broken, overlapping_boxes(rects), short_boxes(rects))


def broken_boxes(
    page: np.ndarray,
    boxes: list[BBox],
    cut: Callable[[int, int, int, int], np.ndarray] | None = None,
    combs: Collection[int] = (),
) -> set[int]:
    """The indices of ``boxes`` (found on ``page``) that may have been found
    in pieces, or missed by the writing (see BETWEEN_INK). ``cut(x, y, w,
    h)``: the pixels of a rectangle in the boxes' frame, where that is not
    the page's (the page deskewed). ``combs``: the indices of boxes found
    divided into cells, looked beside however wide."""

    out: set[int] = set()
    for i, a in enumerate(boxes):
        edge = max(2, int(0.05 * a.h))
        row = [
            (j, b)
            for j, b in enumerate(boxes)
            if j != i
            and _in_row(a.y, a.y + a.h, b.y, b.y + b.h, a.h)
            and not _loop(a, b, i in combs, edge)
        ]
        cell = a.w <= SINGLE_ASPECT * a.h
        reach = int(BETWEEN_REACH * a.h)
        right = [b.x for _, b in row if b.x >= a.x + a.w - edge]
        left = [b.x + b.w for _, b in row if b.x + b.w <= a.x + edge]
        for j, b in enumerate(boxes):
            wide = (i in combs and a.w > BETWEEN_ASPECT * a.h) or (
                j in combs and b.w > BETWEEN_ASPECT * b.h
            )
            if j == i or not _level_with(a, b, wide):
                continue
            sharing = abs(b.x - (a.x + a.w)) <= edge or abs(a.x - (b.x + b.w)) <= edge
            if sharing and (cell or b.w <= SINGLE_ASPECT * b.h or i in combs or j in combs):
                out |= {i, j}
        # A wide box is looked beside only for writing run through its side.
        wide_box = a.w > BETWEEN_ASPECT * a.h and i not in combs
        y0, y1 = max(0, a.y), max(0, a.y + a.h)
        bands = (
            (a.x + a.w + edge, min([a.x + a.w + reach, *right]) - edge, 0),  # near side: left
            (max([a.x - reach, *left]) + edge, a.x - edge, 1),  # near side: right
        )
        for x0, x1, near in bands:
            x0 = max(0, x0)
            region = (
                page[y0:y1, x0 : max(x0, x1)]
                if cut is None
                else cut(x0, y0, max(x0, x1) - x0, y1 - y0)
            )
            if region.shape[1] < 2 * edge:
                continue
            dark = (region < 128).astype(np.uint8)
            for b in boxes:  # other boxes' frames and writing are theirs
                if b.x + b.w + edge <= x0 or b.x - edge >= x1 or b.y + b.h + edge <= y0:
                    continue
                if _loop(a, b, i in combs, edge):
                    continue  # a digit's loop found as a box: its ink is writing
                if b.y - edge >= y1:
                    continue
                if wide_box and b.x + edge < a.x + a.w and b.x + b.w > a.x + edge:
                    continue  # across the box's side: no neighbour's, a digit's loop
                bx0, by0 = max(0, b.x - edge - x0), max(0, b.y - edge - y0)
                dark[by0 : max(0, b.y + b.h + edge - y0), bx0 : max(0, b.x + b.w + edge - x0)] = 0
            rh, rw = region.shape
            if wide_box or i in combs:
                # Ink darker than half the paper's level: a security
                # print's hatch stands near 128 and would join into one
                # group across the band. Beside a comb, such writing is a
                # digit against its side: a cell beyond it.
                deep = dark & (region < 0.5 * float(np.median(region)))
                if _run_through(deep.astype(np.uint8), near, a.h):
                    out.add(i)
                    continue
                if wide_box:
                    continue
            if _line_runs_on(dark, near, 2 * edge, min(RUN_ON * rw, RUN_ON_H * a.h)):
                out.add(i)  # its top or bottom line runs on, a digit hanging from it
                continue
            n, _, stats = labelled(dark)
            for k in range(1, n):
                x, y, w, h = stats[k, :4]
                touches = x == 0 if near == 0 else x + w == rw
                if touches and w >= RUN_ON * rw and h <= LINE_H * a.h and (y == 0 or y + h == rh):
                    out.add(i)  # its top or bottom line runs on: a piece of a comb
                    continue
                # Touching the band's near side only, and short of OVERRUN_W
                # of the box's height past it: the box's own writing run
                # over its side. Across the band, from side to side, it is a
                # digit in a cell between two found (a fax's comb found cell
                # by cell, every other one, read `5` and `7`, `ok`); farther
                # past the side, a digit beside the box that its found side
                # cuts through.
                own = touches and not (x == 0 and x + w == rw) and w < OVERRUN_W * a.h
                # A printed line across the row (thin; a digit taller than
                # the box, as a loop taken for a box has beside it, is not).
                rule = y == 0 and y + h == rh and w <= max(2, RULE_W * a.h)
                if h >= BETWEEN_INK * a.h and not own and not rule:
                    out.add(i)
    return out


def _loop(a: BBox, b: BBox, comb: bool, edge: int) -> bool:
    """Whether box ``b``, beside box ``a``, is a digit's loop found as a box
    (see LOOP_H): ``a`` is a ``comb`` found divided into cells, and ``b``
    stands within its height (and ``edge`` px), under LOOP_H of it."""
    return comb and b.h < LOOP_H * a.h and a.y - edge <= b.y and b.y + b.h <= a.y + a.h + edge


def _level_with(a: BBox, b: BBox, comb: bool) -> bool:
    """Whether boxes ``a`` and ``b`` are printed in one row (``_in_row``),
    or, where one is a ``comb`` found divided into cells and wider than
    BETWEEN_ASPECT times its height, stand level at their tops or at their
    feet (within ROW_TOL of the shorter one's height): the comb's first
    cell found alone and shorter, closed at a digit's stroke, beside the
    rest of the comb (`27012005` read `7012005`, `ok`, on a black-and-white
    cheque; see ``broken_boxes``). Two short boxes so level are not: a date
    box found short, its foot lost and a piece of its neighbour's divider
    taken in (two cells found), made its whole neighbour ask, `ok` and
    right before."""
    tol = ROW_TOL * min(a.h, b.h)
    return _in_row(a.y, a.y + a.h, b.y, b.y + b.h, a.h) or (
        comb and (abs(a.y - b.y) <= tol or abs(a.y + a.h - (b.y + b.h)) <= tol)
    )


def _run_through(dark: np.ndarray, near: int, box_h: int) -> bool:
    """Whether a group of ink in ``dark`` (0/1, the band beside a wide box,
    level with it) reaches the band's ``near`` side (0: its left, 1: its
    right), the box's, and stands BETWEEN_INK of the box's height ``box_h``
    tall and THROUGH_W of it across: writing run through the box's side, or
    a side found at a digit's stroke with the rest of the string outside
    (a fax's dashed box closed at an 8: `1013801` read `01`, `ok`). A
    printed sign beside an amount box stands apart from it; the box's own
    side, skewed into the band, is a line's width across."""
    n, _, stats = labelled(dark)
    rw = dark.shape[1]
    for k in range(1, n):
        x, _, w, h = stats[k, :4]
        touches = x == 0 if near == 0 else x + w == rw
        if touches and h >= BETWEEN_INK * box_h and w >= THROUGH_W * box_h:
            return True
    return False


def _line_runs_on(dark: np.ndarray, near: int, band: int, length: float) -> bool:
    """Whether a row of ``dark`` (0/1, the band beside a box, level with
    it) within ``band`` rows of its top or bottom runs unbroken from its
    ``near`` side (0: its left, 1: its right) for ``length`` pixels or more."""
    rows = np.concatenate([dark[:band], dark[max(band, len(dark) - band) :]])
    if rows.size == 0:
        return False
    if near == 1:
        rows = rows[:, ::-1]
    # Each row's run of ink from the near side: up to its first paper pixel.
    runs = np.where(rows.all(axis=1), rows.shape[1], np.argmin(rows, axis=1))
    return bool(runs.max() >= length)


# Boxes printed alike in a row (a cheque's date in eight boxes) are as tall
# as each other. A box found SHORT_H of the height of two or more boxes as
# wide (within SAME_W) level with it, at its top or at its foot (within
# LEVEL of its height), whose heights agree (within LEVEL; heights as
# shares of the widths), is a piece of one like them: its foot (or top)
# was a digit's stroke or a background's line taken for the box's. A date
# box closed at a 2's foot, as dark as the print and drawn from side to
# side, just above its bottom line, read `7`, `ok` (BENCHMARKS.md,
# fiftieth session). It is found again as tall as they are
# (``as_tall_as_peers``); one still short at the end asks (``short_boxes``).
SHORT_H = 0.92
SAME_W = 0.15
LEVEL = 0.05


def short_boxes(boxes: list[BBox]) -> set[int]:
    """The indices of ``boxes`` shorter than boxes like them beside them
    (see SHORT_H)."""
    return set(_short_of_peers([(b.x, b.y, b.w, b.h) for b in boxes]))


def _short_of_peers(
    rects: Sequence[tuple[float, float, float, float]],
) -> dict[int, tuple[bool, float]]:
    """For each of ``rects`` (x, y, w, h) shorter than rects like it beside
    it (see SHORT_H): whether those stand level with its top (else with its
    foot), and their height."""
    out: dict[int, tuple[bool, float]] = {}
    for i, (_, ay, aw, ah) in enumerate(rects):
        tol = max(2.0, LEVEL * ah)
        for top in (True, False):
            edge = ay if top else ay + ah
            # Heights as shares of the widths: a box found by its lines'
            # inner edges is as much narrower as it is shorter.
            peers = sorted(
                h / w
                for j, (_, y, w, h) in enumerate(rects)
                if j != i
                and abs(w - aw) <= SAME_W * aw
                and abs((y if top else y + h) - edge) <= tol
            )
            if len(peers) < 2:
                continue
            median = peers[len(peers) // 2]
            alike = sum(abs(r - median) <= LEVEL * median for r in peers)
            if ah <= SHORT_H * median * aw and alike >= 2:
                out[i] = (top, median * aw)
                break
    return out


def as_tall_as_peers(frames: list[Frame]) -> list[Frame]:
    """``frames`` with each one shorter than frames like it beside it (see
    SHORT_H) made as tall as they are, from the edge it shares with them:
    the line it was closed at was a digit's stroke or a background's, and
    its own lies further on. Where that overlaps other frames, only if they
    are short too and lie within it (a box found as two, one above the
    other, split at a stroke across it), which it takes the place of."""
    short = _short_of_peers([(f.x0, f.y0, f.w, f.h) for f in frames])
    out: list[Frame | None] = list(frames)
    for i, (top, height) in short.items():
        f = out[i]
        if f is None:  # taken in by a box grown before it
            continue
        grown = replace(f, y1=f.y0 + height) if top else replace(f, y0=f.y1 - height)
        hit = [j for j, g in enumerate(out) if j != i and g is not None and g.overlaps(grown)]
        tol = LEVEL * height
        if all(j in short and frames[j].within(grown, tol) for j in hit):
            out[i] = grown
            for j in hit:
                out[j] = None
    return [f for f in out if f is not None]


# Printed boxes do not overlap. Two found overlapping by OVERLAP of the
# smaller one's height, across and down, were built (one of them at least)
# on lines no box has: a background pattern's rows and columns taken for
# lines, a digit's strokes. What either holds may be short of its digits
# (a cheque amount cut out on a dot screen: "656/-" read 56 from a "box"
# that began at the 5, beside a "box" over the top of the first 6).
# Boxes side by side share a line at most: a few pixels.
OVERLAP = 0.25


def overlapping_boxes(boxes: list[BBox]) -> set[int]:
    """The indices of ``boxes`` that overlap another (see OVERLAP)."""
    if len(boxes) < 2:
        return set()
    x0, y0, w, h = np.array([(b.x, b.y, b.w, b.h) for b in boxes], np.int64).T
    across = np.minimum.outer(x0 + w, x0 + w) - np.maximum.outer(x0, x0)
    down = np.minimum.outer(y0 + h, y0 + h) - np.maximum.outer(y0, y0)
    least = OVERLAP * np.minimum.outer(h, h)
    hit = (across >= least) & (down >= least)
    np.fill_diagonal(hit, False)
    return {int(i) for i in np.flatnonzero(hit.any(axis=1))}


@dataclass(frozen=True)
class Located:
    """The fields ``locate`` found, and the image they lie on: the page, or
    it straightened by ``straightened`` (``layout.keystone``), where it was
    photographed at a slant and more boxes were found so."""

    layouts: list[FieldLayout]
    image: np.ndarray
    straightened: Straightening | None = None


def locate(page: np.ndarray, dpi: float | None = None) -> Located:
    """``find_fields``, and where the boxes found leave a box's top and foot
    unboxed and the page's lines meet as a camera's slant draws them
    (``layout.keystone``), the page straightened and its boxes found again
    there, kept where more are found."""
    return _find(page, dpi, straighten=True)


def find_fields(page: np.ndarray, dpi: float | None = None) -> list[FieldLayout]:
    """Printed boxes of a greyscale page, with their digits, in reading order.

    ``page`` is greyscale uint8, dark ink on light paper, any skew up to about
    12 degrees. ``dpi`` sets the physical scale of every threshold; when
    unknown it is guessed from the page size (A4-ish paper, or a cheque-sized
    strip when the page is more than 1.6 times longer than wide).

    A box divided into evenly spaced cells, by full-height lines or by ticks
    rising from its bottom edge, is a ``"comb"`` field with one digit per
    cell (empty cells left out). Separate boxes are separate fields, however
    close, and so are boxes printed sharing their sides when each is at
    least ``WIDE_CELL`` times wider than tall. An undivided box at most
    ``SINGLE_ASPECT`` times wider than tall is a one-cell comb, so a date
    written in eight single boxes comes out as eight one-cell combs. This
    keeps the layout what was printed; the caller (or a template) decides
    which boxes make one value. Any other box is a ``"string"`` field,
    segmented into digits left to right, touching digits split.

    Fields come top to bottom in rows (boxes whose heights overlap by half
    are a row, judged on the deskewed page), left to right within a row.
    Boxes are the frames' outer edges and digit boxes the ink's extent, both
    in pixels of ``page`` as given (on a skewed page, the axis-aligned hull).
    Each digit's image is its crop from the deskewed page with a small
    margin, frame lines and any other ink whited out.

    Raises ``ValueError`` for anything but a 2-D uint8 image.
    """
    return _find(page, dpi, straighten=False).layouts


def _find(page: np.ndarray, dpi: float | None, straighten: bool) -> Located:
    if page.ndim != 2 or page.dtype != np.uint8:
        raise ValueError("find_fields takes a 2-D uint8 greyscale page")
    unknown = dpi is None or dpi <= 0
    if dpi is None or dpi <= 0:
        dpi = guess_dpi(page.shape)
    geom = page_geometry(page, float(dpi))
    frames = _frames(geom)
    if not geom.broken_lines and _bilevel(page):
        frames = _dotted(page, geom, frames)
    if unknown and page_kind(page.shape) == "strip":
        H, W = geom.work_dark.shape
        if _row_span([f for f in frames if f.h >= STRIP_ROW_H * H]) < STRIP_SPAN * W:
            # Boxes (if any) spanning less than half of it: it was cut inside
            # its box (an amount cut from a cheque within the frame; a "box"
            # found there is a loop of a digit, or a background's pattern).
            return Located(_inside_strip(page), page)
        # A box cut out with its margins: its scale came from the strip's
        # height, margins and all; the box's own height (CUT_BOX_IN) says
        # it better.
        geom, frames = _rescaled(page, geom, frames)
    ordered = _reading_order(as_tall_as_peers(frames))
    found = [
        (b, f, o)
        for f, o in zip(ordered, open_frames(ordered), strict=True)
        for b in _analyse(page, geom, f)
    ]
    layouts = _layouts(page, geom, [b for b, _, _ in found], [(f, o) for _, f, o in found])
    if straighten and slanted(geom, [f.bbox for f in layouts]):
        warp = straightening(page, geom)
        if warp is not None:
            image = warp.apply(page)
            again = _find(image, float(dpi), straighten=False).layouts
            if len(again) > len(layouts):
                return Located(again, image, warp)
    return Located(layouts, page)


def _layouts(
    page: np.ndarray,
    geom: Geometry,
    boxes: list[tuple[BoxLayout, int, int]],
    frames: Sequence[tuple[Frame, bool]] = (),
) -> list[FieldLayout]:
    """The fields of the analysed ``boxes`` (in reading order) of ``page``;
    ``frames``: for each, the frame it was found in and whether that frame
    is open (``Frame.guessed``; ``open_frames``)."""
    aspect = writer_aspect(b[0] for b in boxes)
    found: list[tuple[Frame | None, bool]] = [*frames] or [(None, False)] * len(boxes)
    return [
        _field(geom, page.shape, split_blobs(box, aspect, crops=False), x, y, f, o)
        for (box, x, y), (f, o) in zip(boxes, found, strict=True)
    ]


def open_frames(frames: list[Frame]) -> list[bool]:
    """For each of ``frames``, is it open: its top and bottom lines run
    along past a side (``Frame.runs_on``) with no other frame beside them
    reaching that close to it or over it (boxes printed sharing a side, or
    close on one rule; or one found there at another height, or overlapping
    it: something was found there). Beside: level with half the lower one's
    height or more."""
    out: list[bool] = []
    for f in frames:
        row = [g for g in frames if g is not f and _level(f, g)]
        left, right = f.runs_on
        out.append(
            bool(left and not any(g.x0 < f.x0 and g.x1 > f.x0 - left for g in row))
            or bool(right and not any(g.x1 > f.x1 and g.x0 < f.x1 + right for g in row))
        )
    return out


def _inside_strip(page: np.ndarray, cell: bool = True) -> list[FieldLayout]:
    """A strip cut inside its box, read as that box: the whole image, one
    string field, its height the box's (STRIP_BOX_IN), not turned; one
    digit's box where it is shaped like one (``SINGLE_ASPECT``; ``unframed``)
    and ``cell``."""
    dpi = float(np.clip(min(page.shape) / STRIP_BOX_IN, 100.0, 600.0))
    geom = page_geometry(page, dpi, upright=True)
    # Its interior: all but a pixel round the edge, in work coordinates.
    s, (H, W) = geom.scale, page.shape
    inside = Frame(s, s, (W - 1) * s, (H - 1) * s)
    # No printed line divides it: what stands upright in it is the writing
    # (a 1, a 4's stem) or the background, never a comb's walls.
    layouts = _layouts(page, geom, _analyse(page, geom, inside, strip=True, cell=cell))
    return [replace(f, unframed=True) if f.kind == "comb" else f for f in layouts]


def strip_as_string(page: np.ndarray) -> list[FieldLayout]:
    """A strip cut inside its box read as one string box, however nearly
    square: ``find_fields`` reads it as one digit's box where it is shaped
    like one (``FieldLayout.unframed``), but an amount's digits written
    joined and cut tight round the writing are shaped so too."""
    return _inside_strip(page, cell=False)


def _frames(
    geom: Geometry,
    broken: bool | None = None,
    masks: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[Frame]:
    """The printed boxes of ``geom``'s work page, its lines taken as broken
    (dashes joined) as the page says or as ``broken`` says (their masks
    ``masks`` where already made: ``broken_masks``); one wider than
    MAX_BOX_W (a rule round a header, a page border) is no field."""
    joined = geom.broken_lines if broken is None else broken
    found = find_frames(geom.work_dark, geom.work_dpi, joined, masks)
    found = [f for f in found if f.w <= MAX_BOX_W * geom.work_dpi]
    if joined and broken is None:
        # Dashes joined page-wide: print joins too (see _edge_of_marks).
        found = [f for f in found if not _edge_of_marks(geom.work_dark, f, geom.work_dpi)]
    return [f for f, out in zip(found, _straddlers(found, geom.work_dpi), strict=True) if not out]


def _straddlers(frames: list[Frame], dpi: float) -> list[bool]:
    """For each of ``frames``, whether it is a box made of pieces of another
    (see STRADDLE_IN): where one has its top or bottom line across
    another's interior from side to side, the box straddled goes, unless
    it stands in a row of boxes as wide and the straddler, shorter, does
    not (then the straddler goes; see ROW_BOXES). Only horizontal lines
    count: the box straddled has the straddler's side across it too. One
    pass per frame over all of them as arrays, not a Python loop over every
    pair: a page of many small boxes stays cheap."""
    if len(frames) < 2:
        return [False] * len(frames)
    x0, y0, x1, y1 = np.array([(g.x0, g.y0, g.x1, g.y1) for g in frames]).T
    tol = STRADDLE_IN * dpi
    out = np.zeros(len(frames), bool)
    rows: list[bool] = []
    w = x1 - x0
    # How many others each overlaps: a row stands clear of other boxes.
    crossed = np.array(
        [int(((x0 < f.x1) & (x1 > f.x0) & (y0 < f.y1) & (y1 > f.y0)).sum()) - 1 for f in frames]
    )
    for i, f in enumerate(frames):
        level = (np.abs(y0 - f.y0) <= tol) & (np.abs(y1 - f.y1) <= tol)
        level &= (x0 >= f.x1) | (x1 <= f.x0)  # beside it, not over it
        level &= (w <= ROW_WIDTH * f.w) & (f.w <= ROW_WIDTH * w)
        level &= crossed == 0
        rows.append(bool(crossed[i] <= 1) and int(level.sum()) >= ROW_BOXES)
    for i, f in enumerate(frames):
        lo, hi = f.y0 + STRADDLE_H * f.h, f.y1 - STRADDLE_H * f.h
        edge_in = ((y0 > lo) & (y0 < hi)) | ((y1 > lo) & (y1 < hi))
        hit = edge_in & (x0 <= f.x0 + tol) & (x1 >= f.x1 - tol)
        hit[i] = False
        for k in np.flatnonzero(hit):
            if rows[i] and not rows[k] and frames[k].h < f.h:
                out[k] = True  # its line across a box in a row is a stroke
            else:
                out[i] = True
    return out.tolist()


def _bilevel(page: np.ndarray) -> bool:
    """A black-and-white scan: (a sample of) its pixels are 0 or 255, with
    hardly any grey even at the edges of the ink (a page drawn or rendered
    in grey has anti-aliased edges: its greys are a good share of its
    non-white pixels)."""
    return bilevel(page, BILEVEL_GREY, step=7)


# A box found on joined dots takes the place of at most ONE_LOOP box found
# before inside it, under half as wide and under LOOP_TALL of its height: a
# digit's loop, taken for a box while the box's own lines were dots, kept
# the box out (``60030`` on a 28-box page, ``bench/box28.py --seed
# 126700``, bilevel, page 28; BENCHMARKS.md, fifty-third session). Two or more, or
# one as tall as the box (sharing its lines), are printed boxes inside a
# frame (a cheque's date boxes, found whole), which stay: two of them were
# lost to a frame round a pair of date boxes.
ONE_LOOP = 1
LOOP_TALL = 0.8


def _dotted(page: np.ndarray, geom: Geometry, frames: list[Frame]) -> list[Frame]:
    """Boxes of a black-and-white page whose frame lines the threshold broke
    into dots, where the page's other rules are whole (so the page-level
    broken-line path is not taken), with ``frames``: found with dashes
    joined, then with dots joined too (``joined_dots``; a sample form's
    boxes printed with light rules were lost, a whole page of them in 40;
    BENCHMARKS.md, fifty-first session), each kept where it overlaps no box
    found so far but one inside it under half as wide and shorter, which it
    replaces (``swallowed``, ONE_LOOP, LOOP_TALL). At about 150-225 dpi
    they are looked for on the page's dark spread before its reduction
    (``spread_dark``): its dots too small to join otherwise."""
    spread = spread_dark(page, geom)
    if spread is not None:
        geom = replace(geom, work_dark=spread)
    dark, dpi = geom.work_dark, geom.work_dpi
    found: list[Frame] = []
    inside: set[int] = set()
    for lined in (dark, joined_dots(dark, dpi)):
        if lined is None:
            continue
        masks = broken_masks(lined, dpi)
        lines = masks[0]
        before = list(found)
        for f in _frames(replace(geom, work_dark=lined), broken=True, masks=masks):
            hit = swallowed(f, frames, dpi)
            if (
                hit is None
                or len(hit) > ONE_LOOP
                or any(frames[k].h >= LOOP_TALL * f.h for k in hit)
                or any(f.overlaps(g) for g in before)
                or not _written(dark, f)
                or _runs_on(lines, f, dpi)
                or _edge_of_marks(dark, f, dpi)
            ):
                continue
            found.append(replace(f, dotted=lined is not dark))
            inside.update(hit)
    return [g for k, g in enumerate(frames) if k not in inside] + found


def _edge_of_marks(dark: np.ndarray, f: Frame, dpi: float) -> bool:
    """Whether ``f``'s top or bottom line, found on joined dashes, is made
    of the ends of marks standing inside it: of the line's dark columns (its
    corners left out), MARK_EDGE or more belong to marks at least half the
    box's height tall and no wider than tall (a glyph, not a piece of a
    broken line hanging on a comb's walls). A line of printed digits just
    under a box joins its glyphs' feet into a "line", and with the box's
    bottom above it makes a box round the print (the prompt "2 1 9" of a
    handwriting sample form read ``219``, ``ok``). A dotted line's own
    dashes are flat; writing touches a few of them."""
    t = max(2, int(round(0.02 * dpi)))
    H, W = dark.shape
    x0, x1 = max(0, int(round(f.x0))), min(W, int(round(f.x1)))
    y0, y1 = max(0, int(round(f.y0)) - t), min(H, int(round(f.y1)) + t + 1)
    region = np.ascontiguousarray(dark[y0:y1, x0:x1])
    if region.size == 0:
        return False
    _, ink = cv2.threshold(region, INK_LEVEL, 1, cv2.THRESH_BINARY)
    _, labels, stats = labelled(ink)
    h, w = stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_WIDTH]
    tall = (h >= 0.5 * f.h) & (w <= h)
    tall[0] = False  # the paper
    inner = slice(t + 1, max(t + 1, region.shape[1] - t - 1))
    top, bottom = int(round(f.y0)) - y0, int(round(f.y1)) - y0
    for band in (labels[: top + 2, inner], labels[bottom - 1 :, inner]):
        dark_cols = int((band > 0).any(axis=0).sum())
        if dark_cols and tall[band].any(axis=0).sum() >= MARK_EDGE * dark_cols:
            return True
    return False


def _written(dark: np.ndarray, f: Frame) -> bool:
    """Whether the work page ``dark`` holds, inside ``f``, a stroke at least
    WRITTEN of its height tall: a box found on joined dashes must hold
    writing (a speckled black-and-white page joins its specks into "boxes"
    too; an empty dotted box goes unreported)."""
    x0, y0, x1, y1 = (int(round(v)) for v in (f.x0, f.y0, f.x1, f.y1))
    inside = np.ascontiguousarray(
        dark[max(0, y0 + 1) : max(0, y1 - 1), max(0, x0 + 1) : max(0, x1 - 1)]
    )
    if inside.size == 0:
        return False
    _, ink = cv2.threshold(inside, INK_LEVEL, 1, cv2.THRESH_BINARY)
    n, _, stats = labelled(ink)
    return bool(n > 1 and stats[1:, cv2.CC_STAT_HEIGHT].max() >= WRITTEN * inside.shape[0])


def _runs_on(lines: np.ndarray, f: Frame, dpi: float) -> bool:
    """Whether ``f``'s top and bottom lines both run on past one of its sides
    (RUN_ON_IN beyond the DASH_REACH_IN that joined dashes reach past their
    last one, and a line's width): the side found is a stroke
    of the writing joined to both lines (an 8 against a box's dotted side),
    not the box's, and a box closed there would cut the digit in two."""
    H, W = lines.shape
    gap = max(2, int(round((DASH_REACH_IN + 0.02) * dpi)))
    reach = max(3, int(round(RUN_ON_IN * dpi)))
    for a, b in (
        (int(f.x1) + gap, int(f.x1) + gap + reach),
        (int(f.x0) - gap - reach, int(f.x0) - gap),
    ):
        a, b = max(0, a), min(W, b)
        if b - a < reach:
            continue
        both = True
        for y in (f.y0, f.y1):
            rows = lines[max(0, int(y) - 2) : min(H, int(y) + 3), a:b]
            if not rows.size or (rows.max(axis=0) > 0).mean() < 0.5:
                both = False
        if both:
            return True
    return False


def _rescaled(
    page: np.ndarray, geom: Geometry, frames: list[Frame]
) -> tuple[Geometry, list[Frame]]:
    """A strip's geometry and boxes again at the scale its widest undivided
    box gives (its interior CUT_BOX_IN tall), when that box spans STRIP_SPAN
    of the strip and the scale differs by more than RESCALE; else as given."""
    wide = [f for f in frames if not f.walls and f.w >= STRIP_SPAN * geom.work_dark.shape[1]]
    if not wide:
        return geom, frames
    box = max(wide, key=lambda f: f.w)
    dpi = float(np.clip(box.h / geom.scale / CUT_BOX_IN, 100.0, 600.0))
    if abs(dpi / geom.dpi - 1.0) <= RESCALE:
        return geom, frames
    again = page_geometry(page, dpi)
    found = _frames(again)
    if not any(not f.walls and f.w >= STRIP_SPAN * again.work_dark.shape[1] for f in found):
        return geom, frames
    return again, found


def _level(f: Frame, g: Frame) -> bool:
    """Do the two frames stand level with half the lower one's height or more?"""
    return min(f.y1, g.y1) - max(f.y0, g.y0) >= 0.5 * min(f.h, g.h)


def _in_row(top: float, bottom: float, other_top: float, other_bottom: float, h: float) -> bool:
    """Whether a box (``top`` to ``bottom``, ``h`` tall) and another are
    printed in one row: tops and bottoms within ROW_TOL of ``h``."""
    tol = ROW_TOL * h
    return abs(top - other_top) <= tol and abs(bottom - other_bottom) <= tol


def _row_span(frames: list[Frame]) -> float:
    """The most width that boxes printed in one row cover: each box with
    those ``_in_row`` with it, the gaps between them left out. Boxes found
    scattered up and down (loops of digits, a dot screen's rows) are no
    row, and two such "boxes" far apart that happen to line up cover
    little of what lies between them."""
    best = 0.0
    for f in frames:
        row = sorted((g.x0, g.x1) for g in frames if _in_row(f.y0, f.y1, g.y0, g.y1, f.h))
        covered, reach = 0.0, -math.inf
        for x0, x1 in row:
            covered += max(0.0, x1 - max(x0, reach))
            reach = max(reach, x1)
        best = max(best, covered)
    return best


def _reading_order(frames: list[Frame]) -> list[Frame]:
    """Rows top to bottom (boxes overlapping by half in y), left to right."""
    rows: list[list[Frame]] = []
    for f in sorted(frames, key=lambda f: (f.y0 + f.y1) / 2):
        if rows:
            r = rows[-1]
            top = int(median([g.y0 for g in r]))
            bot = int(median([g.y1 for g in r]))
            if min(bot, f.y1) - max(top, f.y0) >= 0.5 * min(bot - top, f.h):
                r.append(f)
                continue
        rows.append([f])
    return [f for r in rows for f in sorted(r, key=lambda f: f.x0)]


def _cut(page: np.ndarray, geom: Geometry, x0: int, y0: int, w: int, h: int) -> np.ndarray:
    """Deskewed full-resolution cut-out at (x0, y0) of size w x h."""
    if geom.angle == 0.0:
        H, W = page.shape
        out = np.full((h, w), 255, np.uint8)
        sx0, sy0 = max(0, x0), max(0, y0)
        sx1, sy1 = min(W, x0 + w), min(H, y0 + h)
        if sx1 > sx0 and sy1 > sy0:
            out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = page[sy0:sy1, sx0:sx1]
        return out
    return _warped(page, geom.to_page, x0, y0, w, h)


def _warped(page: np.ndarray, to_page: np.ndarray, x0: int, y0: int, w: int, h: int) -> np.ndarray:
    """The w x h rectangle at (x0, y0) of the frame that ``to_page`` maps onto
    ``page``; empty where w or h is 0 (OpenCV takes a size of 0 for the
    source's: a band of no width beside a box, between boxes printed a hair
    apart on a skewed page, came back as the whole page, and its writing
    sent every box of the row to review as "handwriting beside the box")."""
    if w <= 0 or h <= 0:
        return np.full((max(0, h), max(0, w)), 255, page.dtype)
    m = to_page.copy()
    m[:, 2] += m[:, :2] @ np.array([x0, y0], np.float64)
    return cv2.warpAffine(
        page,
        m,
        (w, h),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=255,
    )


def _to_page(
    geom: Geometry, shape: tuple[int, int], x: float, y: float, w: float, h: float
) -> BBox:
    """Bounding box in page pixels of a deskewed rectangle, clamped to the page."""
    return page_bbox(geom.to_page, (x, y, w, h), shape)


def _analyse(
    page: np.ndarray, geom: Geometry, f: Frame, strip: bool = False, cell: bool = True
) -> list[tuple[BoxLayout, int, int]]:
    """Cut the box out of the page at full resolution and analyse it.

    Returns the layout and the cut-out's origin in deskewed coordinates; for
    boxes printed touching, each wide enough for a digit string (see
    ``WIDE_CELL``), one layout per box. A ``strip``: see ``analyse_box``.
    An undivided box shaped like one digit's (``SINGLE_ASPECT``) is a
    one-cell comb where ``cell``, else a string box.
    """
    s = geom.scale
    # How far the work-resolution estimate may be off, in full-res pixels.
    search = int(np.ceil(2.0 / s)) + max(2, int(round(0.012 * geom.dpi)))
    margin = 2 * search
    # Room above and below for digits that cross the frame.
    my = max(margin, int(0.35 * f.h / s))
    X0, Y0 = int(np.floor(f.x0 / s)) - margin, int(np.floor(f.y0 / s)) - my
    X1, Y1 = int(np.ceil(f.x1 / s)) + margin, int(np.ceil(f.y1 / s)) + my
    grey = _cut(page, geom, X0, Y0, X1 - X0, Y1 - Y0)
    est = (f.x0 / s - X0, f.y0 / s - Y0, f.x1 / s - X0, f.y1 / s - Y0)
    walls = [(a / s - X0, b / s - X0) for a, b in f.walls]
    single = cell and not walls and f.w <= SINGLE_ASPECT * f.h
    box = analyse_box(grey, est, walls, geom.dpi, search, single, strip)
    ix0, iy0, ix1, iy1 = box.interior
    if ix1 - ix0 < 2 or iy1 - iy0 < 2:
        return []
    e = box.edges
    if box.kind == "comb" and len(e) > 2 and min(np.diff(e)) >= WIDE_CELL * (iy1 - iy0):
        # No digit is that wide: boxes for strings, printed sharing sides.
        return [
            (analyse_box(grey, (a, iy0, b, iy1), [], geom.dpi, search), X0, Y0)
            for a, b in zip(e[:-1], e[1:], strict=True)
        ]
    return [(box, X0, Y0)]


class _StringField(FieldLayout):
    """A string field whose ``digits`` (the width rule's cuts) are cropped
    the first time they are read: a string read by its lattice never reads
    them. Otherwise a FieldLayout like any other; it pickles as one."""

    _cuts: Callable[[], tuple[DigitCrop, ...]]

    def __init__(
        self,
        bbox: BBox,
        kind: FieldKind,
        cuts: Callable[[], tuple[DigitCrop, ...]],
        cells: int = 0,
        marks: tuple[Mark, ...] = (),
        ink: StringInk | None = None,
        crossed: bool = False,
        guessed: bool = False,
        raised: bool = False,
        printed: BBox | None = None,
        skew: float = 0.0,
        thinned: bool = False,
        faint: bool = False,
        along: bool = False,
        runs_on: bool = False,
        gaps: tuple[BBox, ...] = (),
        dotted: bool = False,
    ) -> None:
        for name, value in (("bbox", bbox), ("kind", kind), ("cells", cells), ("marks", marks)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "ink", ink)
        object.__setattr__(self, "crossed", crossed)
        object.__setattr__(self, "guessed", guessed)
        object.__setattr__(self, "raised", raised)
        object.__setattr__(self, "printed", printed)
        object.__setattr__(self, "skew", skew)
        object.__setattr__(self, "thinned", thinned)
        object.__setattr__(self, "faint", faint)
        object.__setattr__(self, "along", along)
        object.__setattr__(self, "runs_on", runs_on)
        object.__setattr__(self, "gaps", gaps)
        object.__setattr__(self, "dotted", dotted)
        object.__setattr__(self, "_cuts", cuts)

    @property  # type: ignore[override]
    def digits(self) -> tuple[DigitCrop, ...]:
        made = self.__dict__.get("_digits")
        if made is None:
            made = self._cuts()
            object.__setattr__(self, "_digits", made)
        return made

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return FieldLayout, tuple(getattr(self, f.name) for f in fields(FieldLayout))


def _field(
    geom: Geometry,
    shape: tuple[int, int],
    box: BoxLayout,
    X0: int,
    Y0: int,
    frame: Frame | None = None,
    runs_on: bool = False,
) -> FieldLayout:
    guessed = frame is not None and frame.guessed
    dotted = frame is not None and frame.dotted

    def to_page(x: float, y: float, w: float, h: float) -> BBox:
        """A rectangle of the cut-out on the page."""
        return _to_page(geom, shape, X0 + x, Y0 + y, w, h)

    ox0, oy0, ox1, oy1 = box.outer
    bbox = to_page(ox0, oy0, ox1 - ox0, oy1 - oy0)
    # The box as printed, where the hull is not it (see FieldLayout.printed).
    printed = None
    if geom.angle != 0.0:
        x0, y0 = math.floor(X0 + ox0), math.floor(Y0 + oy0)
        printed = BBox(x0, y0, max(1, math.ceil(X0 + ox1) - x0), max(1, math.ceil(Y0 + oy1) - y0))

    def on_page(found: tuple[Digit, ...]) -> tuple[DigitCrop, ...]:
        return tuple(DigitCrop(to_page(*d.bbox), d.image) for d in found)

    digits = on_page(box.digits)
    marks = tuple(Mark(to_page(*m.bbox), m.char, m.position) for m in box.marks)
    gaps = tuple(to_page(*g) for g in box.gaps)
    kind: FieldKind = "comb" if box.kind == "comb" else "string"
    ink = None if box.ink is None else box.ink.placed(to_page)
    if box.parts:
        return _StringField(
            bbox,
            kind,
            lambda: on_page(cut_crops(box)),
            box.cells,
            marks,
            ink,
            box.crossed,
            guessed,
            box.raised,
            printed,
            geom.angle,
            box.thinned,
            box.faint,
            box.along,
            runs_on,
            gaps,
            dotted,
        )
    return FieldLayout(
        bbox=bbox,
        kind=kind,
        digits=digits,
        cells=box.cells,
        marks=marks,
        ink=ink,
        crossed=box.crossed,
        unread=box.unread,
        pieced=box.pieced,
        scraps=box.scraps,
        skipped=box.skipped,
        gaps=gaps,
        guessed=guessed,
        raised=box.raised,
        thinned=box.thinned,
        faint=box.faint,
        along=box.along,
        runs_on=runs_on,
        dotted=dotted,
        printed=printed,
        skew=geom.angle,
    )
