"""The printed frame of one box, at full resolution: sides, dividers, ticks.

``layout_lines`` finds boxes on a reduced page, to a few pixels; here the
frame lines are pinned down in a deskewed full-resolution cut-out of one box,
its divider candidates gathered (full-height lines, ticks rising from the
bottom edge) and an even grid of cells fitted to them, so that stray strokes
and missing dividers do not change the cell count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from formocr.stats import median, runs

# Grid fit: a divider may sit this share of a cell pitch off its grid place.
GRID_TOL = 0.15
# Cells of a comb are between these multiples of the interior height wide.
MIN_PITCH, MAX_PITCH = 0.3, 1.9
# Dividers and ticks are at least this much darker than the paper. Higher
# than the page-level LINE_DARK: at full resolution a line is not averaged
# with its surroundings, and handwriting must not pass for ticks.
MARK_DARK = 32
# Cells of a divided box all at least this many times wider than tall are
# boxes for digit strings printed touching, not a comb: a comb's cell holds
# one digit, and no digit is that wide (``formocr.layout.fields``). Ticks
# alone (no full-height divider) make no such grid: a tick marks a digit's
# cell, and two strokes of handwriting standing on a string box's foot, a
# third of its width apart, made a comb of three cells 1.86 times wider
# than tall, and so three boxes: `6560123` came out `651`, `501` and `23`,
# the last `ok` (``fit_grid``).
WIDE_CELL = 1.6
# A tick rises at least this share of the interior height from the bottom,
# and at most MAX_TICK: a bar rising further is a stroke (a marker 1 that
# stands on the bottom line).
MIN_TICK, MAX_TICK = 0.12, 0.6
# Ticks are printed alike: of a box's ticks only those within TICK_EVEN of
# their median height (and 2 px) count, and where there are only two, each
# within that of the other. Two strokes of a fine pen standing on a string
# box's foot, an 8's loop and a 9's tail 47 and 67 px tall, were each within
# reach of their mean, made a comb of four cells with the 1 over the third
# tick, and `189` was read `180`, `ok` (the 9's loop alone; MNIST writers'
# pages, ``bench/realwriters.py --seed 70000 --pen fine``, fifty-sixth
# session). Two ticks of a printed comb were 0 or 1 px apart on such pages.
# Widths too: only ticks within TICK_EVEN of their median width (and 2 px)
# count. A generator's digits standing on a black-and-white sample form's
# box foot, strokes 8, 15, 1 and 11 px wide and 16-23 px tall, made a comb
# of five cells with a 5 and an 8 in one, and `29589` was read `2989`, `ok`
# (``bench/box28.py --sample-form --seed 128900``, fifty-seventh session).
TICK_EVEN = 0.2

# A wall seen at page level whose line, in the box, is this dark (after the
# background's level) along most of its height is a weak divider mark.
WALL_FAINT = 8
# A printed divider is printed evenly: where it meets the frame's lines it
# is at least WALL_EVEN of its median darkness along the box. A bold digit
# merged with both lines at page level is dark in the middle and only the
# paper's noise at its ends: a date box's 8 (darkness 124 along, 16-25 by
# the lines on a harsh scan) was taken for a divider, whited out, and read
# ``1``, `ok` at 0.9992 (development cheques drawn for the first time,
# ``bench/cheques.py --seed 99975``; BENCHMARKS.md, forty-ninth session).
WALL_EVEN = 0.3

# A box's side is a line where ink covers at least this share of its
# length (frame lines broken by the writing that crosses them still do).
LINE_COVER = 0.45

# A top or bottom side found more than THICK times as thick as the
# thinnest side (and 2 px) is a line with a stroke along it; the line is its
# rows that cover at least LINE_CORE of what its strongest row covers.
THICK = 2
LINE_CORE = 0.85
# A left or right side at least SIDE_RATIO times as thick as the other, and
# SIDE_MORE px more, has a stroke along it (``Pinned.thick``).
SIDE_RATIO, SIDE_MORE = 1.5, 3

Interior = tuple[int, int, int, int]  # x0, y0, x1, y1 (end exclusive)


def _line_band(
    profile: np.ndarray, lo: int, hi: int, least: float = LINE_COVER, expect: float | None = None
) -> tuple[int, int] | None:
    """Rows (or columns) of the strongest line in profile[lo:hi] (coverage 0..1).

    Of lines about as strong (a side, and a stroke along its inside that
    runs from line to line), the one nearest ``expect`` (default: the
    middle of the window).
    """
    mid = (lo + hi - 1) / 2.0 if expect is None else expect
    lo, hi = max(0, lo), min(len(profile), hi)
    if hi <= lo:
        return None
    # A window is a few dozen values: Python floats (the same doubles) cost
    # less than numpy calls on them.
    seg = profile[lo:hi].tolist()
    top = max(seg)
    if top < least:
        return None
    # Of the strong values, the first nearest ``mid``.
    strong = 0.9 * top
    peak, best = 0, math.inf
    for i, v in enumerate(seg):
        if v >= strong:
            d = abs(i + lo - mid)
            if d < best:
                peak, best = i, d
    a, b = _run(seg, peak, max(0.3, 0.5 * seg[peak]))
    return lo + a, lo + b


def _run(seg: list[float], peak: int, floor: float) -> tuple[int, int]:
    """The indices [a, b) of the run of ``seg`` round ``peak`` at ``floor`` or over."""
    a = b = peak
    while a > 0 and seg[a - 1] >= floor:
        a -= 1
    while b + 1 < len(seg) and seg[b + 1] >= floor:
        b += 1
    return a, b + 1


def _any(ink: np.ndarray, band: tuple[int, int] | None, axis: int) -> np.ndarray:
    """Along a band of ``ink``, whether it holds ink: per column of rows
    ``band`` (``axis`` 0), per row of columns ``band`` (``axis`` 1); empty
    without a band."""
    if band is None:
        return np.zeros(0, bool)
    a, b = band
    part = ink[a:b] if axis == 0 else ink[:, a:b]
    return np.asarray(part.any(axis=axis), bool)


def _mean(m: np.ndarray, axis: int) -> np.ndarray:
    """``m.mean(axis=axis)`` of a 2-D array. Of uint8 (or bool), by
    ``cv2.reduce``: numpy sums the integers exactly in float64, so the
    int32 sums divided by the count are the same doubles."""
    if m.size == 0 or m.dtype not in (np.uint8, np.bool_):
        return m.mean(axis=axis)
    # cv2.reduce's dim is numpy's axis: 0 sums down to a row, 1 to a column.
    sums = cv2.reduce(m.view(np.uint8), axis, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
    return sums / m.shape[axis]


def _cored(profile: np.ndarray, band: tuple[int, int] | None, most: int) -> tuple[int, int] | None:
    """``band`` of ``profile`` (a line's rows or columns), or, where it is
    more than ``most`` thick, the run round its strongest value that stays
    within LINE_CORE of it: the line, not the stroke along it, which covers
    less of its length."""
    if band is None or band[1] - band[0] <= most:
        return band
    a, b = band
    seg = profile[a:b].tolist()
    peak = max(range(len(seg)), key=seg.__getitem__)
    lo, hi = _run(seg, peak, LINE_CORE * seg[peak])
    return a + lo, a + hi


class Pinned(NamedTuple):
    """A frame pinned down: interior, outer edge, and the lines' bands."""

    interior: Interior
    outer: Interior
    bands: list[tuple[int, int, int, int]]  # x0, y0, x1, y1 of each side found
    # A left or right side found much thicker than the thinnest side or
    # than its opposite side (``_thick_side``): a stroke along it (a 1
    # written against it) was taken with it, and is whited out with it.
    thick: bool = False


# In an image cut inside its box, what is left of a frame line has ink
# within this share of the image's extent from both of its ends.
EDGE_END = 0.08


def refine_interior(
    ink: np.ndarray,
    est: tuple[float, float, float, float],
    search: int,
    least: float = LINE_COVER,
    to_edges: bool = False,
) -> Pinned:
    """Interior and outer edge pinned to the frame lines found within ``search``
    pixels of the estimated interior ``est``; a side not found stays put.

    A side is a line where ink covers at least ``least`` of its length
    (LINE_COVER; an image cut inside its box asks more, digits.STRIP_LINE),
    the interior's length less ``search`` at each end (the corners). With
    ``to_edges`` (an image cut inside its box), a side must also have ink
    within EDGE_END of the image's edges at both of its ends, or (the top
    and bottom only) lie at the image's edge: what is left of a frame line
    runs from edge to edge, or was cut through along the image's long edge,
    where a slight skew takes it out of the image before the far end; a 1
    written near the edge has paper between it and the edge and stops short
    of the ends, though it may span the middle rows.
    """
    x0, y0, x1, y1 = (int(round(v)) for v in est)
    H, W = ink.shape
    cx0, cx1 = max(0, x0 + search), min(W, x1 - search)
    cy0, cy1 = max(0, y0 + search), min(H, y1 - search)
    rows = _mean(ink[:, cx0:cx1], 1) if cx1 > cx0 else np.zeros(H)
    cols = _mean(ink[cy0:cy1, :], 0) if cy1 > cy0 else np.zeros(W)
    # Each line lies just outside the interior: a stroke inside that runs
    # along it is further in.
    top = _line_band(rows, y0 - search, y0 + search, least, expect=y0 - 2)
    bot = _line_band(rows, y1 - search, y1 + search, least, expect=y1 + 1)
    left = _line_band(cols, x0 - search, x0 + search, least, expect=x0 - 2)
    right = _line_band(cols, x1 - search, x1 + search, least, expect=x1 + 1)
    # A frame's lines are printed alike: a top or bottom found much thicker
    # than the thinnest side is a line with a stroke along it (a 2's foot
    # resting on the bottom line, a 7's bar against the top, joined at the
    # digits' threshold). Only the line's own rows are the side, or the
    # stroke is whited out with it (a 2 read as a 7, a 7 as a 1). A stroke
    # along a left or right side is a 1 or a digit's bowls: whited out with
    # the side, it is told (``Pinned.thick``), and the field asks.
    sides = [b[1] - b[0] for b in (top, bot, left, right) if b]
    most = THICK * min(sides) + 2 if len(sides) >= 2 else None
    if most is not None:
        top, bot = (_cored(rows, b, most) for b in (top, bot))
    # A line lies at or just outside the estimated interior; one that starts
    # half the search or more inside it is a stroke along the inside (a
    # digit written against a side whose line did not show here).
    deep = max(2, search // 2)
    top = top if top is None or top[0] - y0 < deep else None
    bot = bot if bot is None or y1 - bot[1] < deep else None
    left = left if left is None or left[0] - x0 < deep else None
    right = right if right is None or x1 - right[1] < deep else None
    found = [band for band in (top, bot, left, right) if band]
    if len(found) == 1 and not to_edges:
        # One side alone, where the frame's other lines are no ink (printed
        # fainter than the writing): a line runs on into the corners at
        # both ends; a 7's bar against the top, taken for it and whited out
        # (the 7 read as a 1), stops short of one.
        a, b = found[0]
        if top or bot:
            span = _any(ink[:, max(0, x0) : max(0, x1)], (a, b), 0)
        else:
            span = _any(ink[max(0, y0) : max(0, y1)], (a, b), 1)
        e = max(2, search)
        if not (span[:e].mean() >= 0.5 and span[-e:].mean() >= 0.5):
            top = bot = left = right = None
    if to_edges:
        # The image's edges are the estimate's (``ink`` may be padded).
        ey, ex = max(2, int(EDGE_END * (y1 - y0))), max(2, int(EDGE_END * (x1 - x0)))

        def cut_line(
            band: tuple[int, int] | None, at_edge: bool, along: np.ndarray, e: int
        ) -> tuple[int, int] | None:
            # Kept when it lies at the image's edge, or its ink reaches both ends.
            if band is None or at_edge or (along[:e].any() and along[-e:].any()):
                return band
            return None

        top = cut_line(top, top is not None and top[0] <= y0 + 1, _any(ink, top, 0)[x0:x1], ex)
        bot = cut_line(bot, bot is not None and bot[1] >= y1 - 1, _any(ink, bot, 0)[x0:x1], ex)
        # A side at the left or right edge must reach both ends too: over a
        # box's height a skew moves a line cut through by a pixel or two, so
        # it runs from end to end, where a digit written against the edge
        # (an 8's bowls) stops short of one.
        left = cut_line(left, False, _any(ink, left, 1)[y0:y1], ey)
        right = cut_line(right, False, _any(ink, right, 1)[y0:y1], ey)
    bands = []
    if top:
        bands.append((0, top[0], W, top[1]))
    if bot:
        bands.append((0, bot[0], W, bot[1]))
    if left:
        bands.append((left[0], 0, left[1], H))
    if right:
        bands.append((right[0], 0, right[1], H))
    interior = (
        left[1] if left else x0,
        top[1] if top else y0,
        right[0] if right else x1,
        bot[0] if bot else y1,
    )
    outer = (
        left[0] if left else x0 - 1,
        top[0] if top else y0 - 1,
        right[1] if right else x1 + 1,
        bot[1] if bot else y1 + 1,
    )
    return Pinned(interior, outer, bands, _thick_side(left, right, most))


def _thick_side(
    left: tuple[int, int] | None, right: tuple[int, int] | None, most: int | None
) -> bool:
    """Is a left or right side thicker than ``most``, or than its opposite
    side by SIDE_RATIO and SIDE_MORE px? Printed alike, they differ by a
    pixel or so; a 1 written against one (a pen's width off it) joins it."""
    ws = [b[1] - b[0] for b in (left, right) if b is not None]
    if most is not None and any(w > most for w in ws):
        return True
    return len(ws) == 2 and _much_thicker(max(ws), min(ws))


def _much_thicker(wide: float, usual: float) -> bool:
    """Is a line ``wide`` thick much thicker than one ``usual`` thick (by
    SIDE_RATIO and SIDE_MORE px): lines printed alike, one with a stroke along it?"""
    return wide >= SIDE_RATIO * usual and wide - usual >= SIDE_MORE


@dataclass(frozen=True)
class Mark:
    """A printed divider candidate: columns a..b, from row ``top`` down."""

    pos: float
    a: int
    b: int
    top: int
    strong: bool


def _rise(vert: np.ndarray) -> np.ndarray:
    """How far each column's line rises from the bottom of ``vert`` (bool,
    at least 3 rows): the bottom two rows as they are (the bottom line's
    band may leave a row or two of paper under a tick), then the rows above
    up to the first without line."""
    h = vert.shape[0]
    run = vert[h - 1].astype(np.int32) + vert[h - 2]
    # Most columns have no line on the third row up: nothing above counts.
    cols = np.flatnonzero(vert[h - 3])
    if cols.size:
        above = vert[h - 3 :: -1, cols]
        first = above.argmin(axis=0)  # the first row without line, or 0 if none
        unbroken = above[first, np.arange(cols.size)]
        run[cols] += np.where(unbroken, h - 2, first).astype(np.int32)
    return run


def vertical_marks(
    dark: np.ndarray,
    interior: tuple[int, int, int, int],
    walls: list[tuple[float, float]],
    r: int,
) -> tuple[list[Mark], np.ndarray]:
    """Divider candidates: full-height lines (strong) and bottom ticks (weak).

    Vertical lines are found by a grey-level opening, so faint, thin or noisy
    lines survive; a 3-pixel closing first bridges salt noise. Ticks are
    narrow runs rising from the bottom edge; only those of the common height
    count, since handwriting that touches the bottom edge rises to any height.
    ``walls`` (seen at page level) are added as strong marks. Also returns
    the vertical-line mask of the interior, to white the dividers out.
    """
    x0, y0, x1, y1 = interior
    h, w = y1 - y0, x1 - x0
    if h < 4 or w < 4:
        return [], np.zeros((max(h, 0), max(w, 0)), bool)
    rect = cv2.getStructuringElement
    # A thin line resampled off the pixel grid spreads over two faint columns:
    # widen by a pixel each side first. (Widening, then closing up and down,
    # is one 3x3 dilation and a 1x3 erosion: max filters compose, and
    # morphology ignores pixels beyond the border.)
    sub = cv2.dilate(dark[y0:y1, x0:x1], rect(cv2.MORPH_RECT, (3, 3)))
    sub = cv2.erode(sub, rect(cv2.MORPH_RECT, (1, 3)))
    k = max(3, int(MIN_TICK * h))
    vert = cv2.morphologyEx(sub, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, k))) >= MARK_DARK
    # Columns next to the sides are the sides' blurred edges.
    edge = max(3, int(0.06 * h))
    vert[:, :edge] = False
    vert[:, w - edge :] = False
    cover = _mean(vert, 0)
    narrow = max(6, int(0.15 * h))
    # A printed divider runs into both frame lines; a tall handwritten 1
    # stops short of them.
    end = max(2, int(0.12 * h))
    joined = (_mean(vert[:end], 0) >= 0.9) & (_mean(vert[-end:], 0) >= 0.9)
    marks = [
        Mark((a + b - 1) / 2.0 + x0, a + x0, b + x0, y0, True)
        for a, b in runs((cover >= 0.85) & joined)
        if b - a <= narrow
    ]
    for wa, wb in walls:
        if not any(m.a - r <= (wa + wb) / 2.0 <= m.b + r for m in marks):
            a, b = int(wa), int(np.ceil(wb))
            # Seen at page level, where a bar that stops a hair short of the
            # lines (a marker 1) can merge with them: a printed divider, even
            # a faint one, meets both lines without a gap.
            band = sub[:, max(0, a - x0 - 1) : max(0, b - x0 + 1)]
            peak = band.max(axis=1) if band.size else np.zeros(h, np.uint8)
            on = peak >= max(MARK_DARK // 2, WALL_EVEN * float(np.median(peak)))
            if on[:end].all() and on[-end:].all() and on.mean() >= 0.7:
                marks.append(Mark((a + b - 1) / 2.0, a, b, y0, True))
            elif (peak >= WALL_FAINT).mean() >= 0.7:
                # A divider printed thin over a dense pattern, whose level
                # was taken off the box, is left as faint as this: a weak
                # mark, which makes a comb only on its grid with others.
                marks.append(Mark((a + b - 1) / 2.0, a, b, y0, False))

    run = _rise(vert)
    # Columns beside a full line are its blurred edge, not ticks.
    tall = (run >= MIN_TICK * h) & (cover < 0.85)
    for m in marks:
        tall[max(0, m.a - x0 - narrow) : m.b - x0 + narrow] = False
    gap = max(2, int(0.06 * h))

    def clean_top(a: int, b: int, th: int) -> bool:
        # A printed tick ends in paper; a stroke that meets the bottom line
        # bends away into more ink. Noise specks do not fill a column.
        above = sub[max(0, h - th - 1 - gap) : max(0, h - th - 1), max(0, a - 2) : b + 2]
        return above.size > 0 and not (above >= MARK_DARK).all(axis=0).any()

    ticks = [
        (a, b, int(run[a:b].max()))
        for a, b in runs(tall)
        if b - a <= narrow
        and run[a:b].max() <= MAX_TICK * h
        and clean_top(a, b, int(run[a:b].max()))
    ]
    if len(ticks) >= 2:
        heights = [t[2] for t in ticks]
        med = float(np.median(heights))
        tol = TICK_EVEN * med + 2
        # Two are each within half their difference of their median: they
        # must be as tall as each other (see TICK_EVEN).
        # And as wide as each other: strokes of handwriting standing on the
        # foot are of any width.
        wide = float(np.median([b - a for a, b, _ in ticks]))
        wtol = TICK_EVEN * wide + 2
        if len(ticks) > 2 or abs(heights[0] - heights[1]) <= tol:
            marks += [
                Mark((a + b - 1) / 2.0 + x0, a + x0, b + x0, y1 - th - 2, False)
                for a, b, th in ticks
                if abs(th - med) <= tol and abs(b - a - wide) <= wtol
            ]
    return marks, vert


def white_dividers(
    clean: np.ndarray,
    vert: np.ndarray,
    interior: tuple[int, int, int, int],
    dividers: list[tuple[float, Mark | None]],
    r: int,
) -> bool:
    """Erase each divider's line: the vertical-line columns nearest its place.

    Returns whether one of the full-height dividers was much thicker than
    the others (by SIDE_RATIO and SIDE_MORE px than their median): a stroke
    along it (a 1 written against it) was erased with it. (A tick is erased
    from its top down: a stroke along it is left standing above it.)"""
    x0, y0, x1, y1 = interior
    # A divider the grid fit had to place is, in a comb of ticks, a tick the
    # marks missed (a speck on its top, a stroke beside it): look for it as
    # tall as the others, or its stub would be left as a "1".
    tops = [m.top for _, m in dividers if m is not None and not m.strong]
    missing_top = int(np.median(tops)) if tops else y0
    widths = []
    for pos, m in dividers:
        top = missing_top if m is None else m.top if not m.strong else y0
        c = int(round(pos)) - x0
        a, b = max(0, c - r), min(vert.shape[1], c + r + 1)
        if b <= a:
            continue
        cover = vert[top - y0 :, a:b].mean(axis=0)
        band = _line_band(cover, 0, len(cover), 0.3)
        if band is None:
            continue
        clean[max(0, top - 1) : y1 + 1, x0 + a + band[0] - 1 : x0 + a + band[1] + 1] = 0
        if m is not None and m.strong:  # a tick leaves a stroke along it standing
            widths.append(band[1] - band[0])
    return len(widths) >= 2 and _much_thicker(max(widths), median(widths))


def fit_grid(x0: int, x1: int, h: int, marks: list[Mark]) -> list[tuple[float, Mark | None]] | None:
    """Dividers of an evenly divided box, or None if it is not one.

    Each cell count N gives N-1 evenly spaced places; N is accepted when
    nearly all places have a mark and few marks are off the grid. Two cells
    need a strong (full-height) divider: one stray stroke near the middle of
    a string box must not make it a comb.
    """
    if not marks:
        return None
    pos = np.array([m.pos for m in marks])
    strong = np.array([m.strong for m in marks])
    w = x1 - x0
    best: list[tuple[float, Mark | None]] | None = None
    best_score = -1e9
    n_lo = max(2, int(np.ceil(w / (MAX_PITCH * h))))
    n_hi = min(80, int(w / (MIN_PITCH * h)))
    if n_hi < n_lo:
        return None
    # The places of every cell count at once, count after count (the same
    # doubles as one count at a time): the cheap tests for all counts in a
    # few array operations, the rest only for counts that pass them.
    ns = np.arange(n_lo, n_hi + 1)
    pitches = w / ns
    tols = np.maximum(2.0, GRID_TOL * pitches)
    starts = np.concatenate([[0], np.cumsum(ns - 1)[:-1]])
    places = np.arange(int(np.sum(ns - 1))) - np.repeat(starts, ns - 1) + 1
    grids = x0 + np.repeat(pitches, ns - 1) * places
    dists = np.abs(pos[None, :] - grids[:, None])
    nears = dists.min(axis=1) <= np.repeat(tols, ns - 1)
    matches = np.add.reduceat(nears, starts, dtype=np.intp).tolist()
    offs = (np.minimum.reduceat(dists, starts, axis=0) > tols[:, None]).sum(axis=1).tolist()
    for i, n in enumerate(ns.tolist()):
        matched, off = matches[i], offs[i]
        missing = n - 1 - matched
        # A digit written over a tick hides it: one may be missing when the
        # rest sit cleanly on the grid.
        allowed = max(0.25 * (n - 1), 1.0 if off == 0 and matched >= 2 else 0.0)
        if matched == 0 or missing > allowed or off > 0.5 * matched:
            continue
        at = slice(starts[i], starts[i] + n - 1)
        tol, grid, dist, near = tols[i], grids[at], dists[at], nears[at]
        # Within tolerance a strong mark beats a nearer weak one.
        pick = np.where((dist <= tol) & ~strong[None, :], dist + tol, dist).argmin(axis=1)
        # Ticks alone (no full divider) need three to make a comb, or two
        # and nothing off the grid; and cells a digit wide (WIDE_CELL).
        weak_only = not any(marks[int(pick[k])].strong for k in range(n - 1) if near[k])
        if weak_only and (matched < (3 if off else 2) or pitches[i] >= WIDE_CELL * h):
            continue
        score = matched - 2 * off - missing
        if score > best_score:
            best_score = score
            best = [
                (float(marks[int(pick[k])].pos), marks[int(pick[k])])
                if near[k]
                else (float(grid[k]), None)
                for k in range(n - 1)
            ]
    return best
