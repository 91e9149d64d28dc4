"""A page photographed at a slant (keystone), straightened before its boxes are read.

A camera held not square to the page draws it as a trapezium: one edge
shorter than the one facing it. Its printed lines no longer share one
skew. Lines of one direction slope more and more across the page, and meet
at a vanishing point. Deskewed by their median, the boxes far from the
middle stay tilted, and they are lost without an error (``bench/keystone.py``).

Looking costs nothing on a page whose boxes were all found. Only where the
boxes found leave a **pair of long lines unboxed** (:func:`unboxed_pairs`:
a top and a foot of about the same extent, one above the other, with no
box found between them), and either the page's long lines drift or that
box's sides lean (:func:`slanted`), is the page measured. Then the
printed lines of both directions are fitted (``lines.line_pieces`` on the
deskewed work page, and on it transposed). Where the angles of one
direction drift across the page by :data:`STRAIGHTEN_DEG` or more, that
direction's lines meet at a point.
The projective warp that sends the two vanishing points to infinity, and
their directions to the page's axes, straightens the page
(:func:`straightening`). The caller finds the boxes again there, and keeps
that reading only where it finds more of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from formocr.layout.lines import Geometry, Piece, line_pieces
from formocr.types import BBox

# A direction's lines whose angles drift by this much (degrees) from one side
# of the page to the other meet at a vanishing point worth straightening. On
# the samples: a straight page drifts 0.0-0.4, a keystone losing boxes 1.2
# or more (the cheque's top 6 % shorter: 3.6; the form's left 4 %: 5.4).
DRIFT_DEG = 1.0
# Once a lost box says the page may be slanted, a direction whose lines
# drift this much is straightened (a straight page's drift 0.0-0.4: the
# boxes found again there are kept only where more are found).
STRAIGHTEN_DEG = 0.5
# An unboxed pair: two lines whose ends lie within END_IN of each other's
# (inches), GAP_IN apart (a box's height), within PAIR_DEG in angle.
END_IN = 0.15
GAP_IN = (0.15, 1.2)
PAIR_DEG = 3.0
# A line within this (inches) of a box found is that box's.
ON_BOX_IN = 0.05
# Sides of boxes are short: the vertical pieces measured are this long or more.
SIDE_IN = 0.25
# A side of an unboxed pair's box (SIDE_SHARE of its height or more) that
# leans this much (degrees) on the deskewed page says the page may be
# photographed at a slant: a box's sides stand square to its lines.
SIDE_DEG = 1.0
SIDE_SHARE = 0.7
# A straightened canvas larger than this share of the page's is a warp gone
# wrong: not used.
MAX_GROWTH = 1.5


@dataclass(frozen=True)
class Straightening:
    """``warp`` (3x3) sends page pixels to those of a ``size`` (w, h) canvas."""

    warp: np.ndarray
    size: tuple[int, int]

    def apply(self, page: np.ndarray) -> np.ndarray:
        return cv2.warpPerspective(
            page, self.warp, self.size, flags=cv2.INTER_LINEAR, borderValue=255
        )

    def back(self, box: BBox, shape: tuple[int, int]) -> BBox:
        """``box`` on the canvas as the extent of its corners on the page (h, w)."""
        x0, y0, x1, y1 = box.x, box.y, box.x + box.w, box.y + box.h
        corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
        on_page = cv2.perspectiveTransform(corners[None], np.linalg.inv(self.warp))[0]
        h, w = shape
        ax0, ay0 = np.clip(np.floor(on_page.min(axis=0)), 0, [w - 1, h - 1])
        ax1, ay1 = np.clip(np.ceil(on_page.max(axis=0)), 1, [w, h])
        return BBox(int(ax0), int(ay0), max(1, int(ax1 - ax0)), max(1, int(ay1 - ay0)))


def slanted(geom: Geometry, boxes: Sequence[BBox]) -> bool:
    """Whether the page of ``geom``, whose boxes found are ``boxes`` (page
    pixels), may have been photographed at a slant: a pair of long lines
    is left unboxed (:func:`unboxed_pairs`), and either the page's long
    lines drift (:data:`DRIFT_DEG`) or that pair's box has a side that
    leans (:data:`SIDE_DEG`) on the deskewed page."""
    pairs = unboxed_pairs(geom, boxes)
    if not pairs:
        return False
    if _drift(geom.lines) >= DRIFT_DEG:
        return True
    return any(_leaning_side(geom, top, foot) for top, foot in pairs)


def unboxed_pairs(geom: Geometry, boxes: Sequence[BBox]) -> list[tuple[Piece, Piece]]:
    """The pairs of the long lines ``geom``'s skew was measured on that make
    the top and the foot of a box (see the module doc) no box of ``boxes``
    (page pixels) covers the middle of."""
    dpi, s = geom.work_dpi, geom.scale
    end, (low, high) = END_IN * dpi, GAP_IN
    margin = ON_BOX_IN * geom.dpi
    # The boxes grown by the margin: x0, y0, x1, y1 (page pixels).
    grown = np.array(
        [(b.x - margin, b.y - margin, b.x + b.w + margin, b.y + b.h + margin) for b in boxes],
        np.float64,
    ).reshape(-1, 4)
    lines = sorted(geom.lines, key=lambda p: p.y)
    out = []
    for i, top in enumerate(lines):
        for foot in lines[i + 1 :]:
            gap = foot.y - top.y
            if gap > high * dpi:
                break
            if (
                gap < low * dpi
                or abs(top.x0 - foot.x0) > end
                or abs(top.x1 - foot.x1) > end
                or abs(top.angle - foot.angle) > PAIR_DEG
            ):
                continue
            # Its middle, and the middles of its lines: a line on a box
            # found is that box's (a row of boxes' foot and the next's top
            # look like a box).
            x = 0.25 * (top.x0 + top.x1 + foot.x0 + foot.x1) / s
            ys = np.array([0.5 * (top.y + foot.y), top.y, foot.y]) / s
            across = (grown[:, 0] <= x) & (x <= grown[:, 2])
            down = (grown[:, 1, None] <= ys) & (ys <= grown[:, 3, None])
            if not (across[:, None] & down).any():
                out.append((top, foot))
    return out


def _leaning_side(geom: Geometry, top: Piece, foot: Piece) -> bool:
    """Whether a side rises at either end of the box ``top`` and ``foot``
    bound (most of the way between them, END_IN about the end) leaning
    SIDE_DEG or more on the deskewed work page."""
    dpi, s = geom.work_dpi, geom.scale
    ends = np.array(
        [[[top.x0, top.y], [foot.x0, foot.y], [top.x1, top.y], [foot.x1, foot.y]]], np.float64
    )
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = cv2.perspectiveTransform(ends / s, _to_work(geom))[0]
    reach = END_IN * dpi
    h, w = geom.work_dark.shape
    for x, y0, y1 in ((0.5 * (ax + bx), ay, by), (0.5 * (cx + dx), cy, dy)):
        x0, x1 = max(0, int(x - reach)), min(w, int(x + reach) + 1)
        r0, r1 = max(0, int(y0) + 1), min(h, int(y1))
        if x1 - x0 < 3 or r1 - r0 < 3:
            continue
        window = np.ascontiguousarray(geom.work_dark[r0:r1, x0:x1].T)
        sides = line_pieces(window, dpi, min_in=SIDE_SHARE * (r1 - r0) / dpi, most=4)
        if any(abs(p.angle) >= SIDE_DEG for p in sides):
            return True
    return False


def straightening(page: np.ndarray, geom: Geometry) -> Straightening | None:
    """The warp that straightens ``page`` (``geom``: its geometry), or None
    where its lines do not drift (see the module doc) or the warp would be
    wild."""
    dark, dpi = geom.work_dark, geom.work_dpi
    across = line_pieces(dark, dpi)
    # Down the page: the transposed page's lines (x and y swapped).
    down = line_pieces(cv2.transpose(dark), dpi, min_in=SIDE_IN, most=80)
    h, w = dark.shape
    centre, unit = (w / 2.0, h / 2.0), max(w, h) / 2.0
    level = _drift(across) >= STRAIGHTEN_DEG
    upright = _drift(down) >= STRAIGHTEN_DEG
    if not (level or upright):
        return None
    vh = _vanishing(across, centre, unit) if level else np.array([1.0, 0.0, 0.0])
    if upright:
        t = _vanishing(down, (centre[1], centre[0]), unit)
        vv = np.array([t[1], t[0], t[2]])  # back from the transposed page
    else:
        vv = np.array([0.0, 1.0, 0.0])
    straight = _sending_to_infinity(vh, vv)
    if straight is None:
        return None
    # Page pixels -> deskewed work pixels -> unit coordinates, straightened,
    # and back to page-sized pixels.
    norm = np.array([[1 / unit, 0, -centre[0] / unit], [0, 1 / unit, -centre[1] / unit], [0, 0, 1]])
    scale = np.diag([geom.scale, geom.scale, 1.0])
    warp = np.linalg.inv(scale) @ np.linalg.inv(norm) @ straight @ norm @ _to_work(geom)
    ph, pw = page.shape[:2]
    corners = np.array([[[0, 0], [pw, 0], [pw, ph], [0, ph]]], np.float64)
    moved = cv2.perspectiveTransform(corners, warp)[0]
    if not np.all(np.isfinite(moved)):
        return None
    x0, y0 = np.floor(moved.min(axis=0))
    x1, y1 = np.ceil(moved.max(axis=0))
    if (x1 - x0) * (y1 - y0) > MAX_GROWTH * pw * ph:
        return None
    shift = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0], [0.0, 0.0, 1.0]])
    return Straightening(shift @ warp, (int(x1 - x0), int(y1 - y0)))


def _to_work(geom: Geometry) -> np.ndarray:
    """The 3x3 map from page pixels to ``geom``'s deskewed work pixels."""
    deskew = np.linalg.inv(np.vstack([geom.to_page, [0.0, 0.0, 1.0]]))
    return np.diag([geom.scale, geom.scale, 1.0]) @ deskew


def _drift(pieces: Sequence[Piece]) -> float:
    """How far (degrees) the pieces' angles, fitted as a straight function
    of their row, move from the first row to the last; 0 for under three."""
    if len(pieces) < 3:
        return 0.0
    rows = np.array([p.y for p in pieces])
    if np.ptp(rows) == 0:
        return 0.0
    angles = np.array([p.angle for p in pieces])
    weights = np.sqrt(np.array([float(p.w) for p in pieces]))
    slope = np.polyfit(rows, angles, 1, w=weights)[0]
    return float(abs(slope) * np.ptp(rows))


def _vanishing(pieces: Sequence[Piece], centre: tuple[float, float], unit: float) -> np.ndarray:
    """The point (homogeneous, unit coordinates about ``centre``) the pieces'
    lines pass nearest, each weighted by its width: the least singular
    vector of their stacked lines."""
    rows = []
    for p in pieces:
        slope = math.tan(math.radians(p.angle))
        x = (0.5 * (p.x0 + p.x1) - centre[0]) / unit
        y = (p.y - centre[1]) / unit
        line = np.array([slope, -1.0, y - slope * x])
        rows.append(line / np.linalg.norm(line[:2]) * math.sqrt(p.w))
    return np.linalg.svd(np.array(rows))[2][-1]


def _sending_to_infinity(vh: np.ndarray, vv: np.ndarray) -> np.ndarray | None:
    """The projective map (unit coordinates) sending the line through the
    vanishing points ``vh`` (of the lines across) and ``vv`` (down) to
    infinity, then their directions to the x and y axes; the middle of the
    page keeps its place and about its scale."""
    horizon = np.cross(vh, vv)
    if abs(horizon[2]) < 1e-9:
        return None
    horizon = horizon / horizon[2]
    affine = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], horizon])
    across, down = (affine @ v for v in (vh, vv))
    d1 = across[:2] / np.linalg.norm(across[:2])
    d2 = down[:2] / np.linalg.norm(down[:2])
    d1 = d1 if d1[0] >= 0 else -d1
    d2 = d2 if d2[1] >= 0 else -d2
    axes = np.column_stack([d1, d2])
    if abs(np.linalg.det(axes)) < 0.5:  # the two directions nearly one
        return None
    turn = np.eye(3)
    turn[:2, :2] = np.linalg.inv(axes)
    return turn @ affine
