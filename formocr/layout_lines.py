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

from dataclasses import dataclass

import cv2
import numpy as np

WORK_DPI = 150.0
MAX_SKEW_DEG = 5.0
# Below this the page is treated as straight (saves a warp of the page).
MIN_SKEW_DEG = 0.05

# Plausible interior size of a printed box, in inches.
MIN_BOX_H, MAX_BOX_H = 0.12, 1.6
MIN_BOX_W, MAX_BOX_W = 0.08, 10.0
# A hole in the line mask is a box interior only if it is this rectangular.
MIN_FILL = 0.85


def guess_dpi(shape: tuple[int, int]) -> float:
    """Scale of a page of unknown resolution, assuming A4-ish paper."""
    h, w = shape
    long_side, short_side = max(h, w), min(h, w)
    if long_side / max(short_side, 1) > 1.6:
        # Not A4-shaped (a cheque, a strip): its long side is rarely under
        # 6 inches or over 8.5.
        return float(np.clip(long_side / 7.5, 100.0, 600.0))
    return float(np.clip(short_side / 8.27, 100.0, 600.0))


def _odd(n: float) -> int:
    k = max(3, int(round(n)))
    return k if k % 2 else k + 1


def binarize_page(grey: np.ndarray, dpi: float) -> np.ndarray:
    """Ink mask (0/255) by a local mean threshold, robust to uneven paper."""
    block = _odd(0.25 * dpi)
    return cv2.adaptiveThreshold(
        grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15
    )


def estimate_skew(ink: np.ndarray, dpi: float) -> float:
    """Page skew in degrees (positive: lines fall to the right) from long lines.

    Short horizontal opening keeps line pieces even when skewed; each long thin
    piece gets a straight fit through its per-column centres (columns where
    handwriting joins the line are left out), and the answer is the
    length-weighted median.
    """
    k = max(5, int(round(0.06 * dpi)))
    horiz = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(horiz, connectivity=8)
    if n <= 1:
        return 0.0
    min_len = 0.6 * dpi
    widths = stats[1:, cv2.CC_STAT_WIDTH]
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    thin = heights <= 0.1 * widths + 0.05 * dpi
    idx = np.nonzero((widths >= min_len) & thin)[0] + 1
    if idx.size == 0:
        return 0.0
    idx = idx[np.argsort(-stats[idx, cv2.CC_STAT_WIDTH])][:60]
    angles, weights = [], []
    for i in idx:
        x, y, w, h = stats[i, :4]
        m = labels[y : y + h, x : x + w] == i
        count = m.sum(axis=0)
        ok = (count > 0) & (count <= 1.5 * np.median(count[count > 0]))
        if ok.sum() < 0.5 * w:
            continue
        ysum = (m * np.arange(h)[:, None]).sum(axis=0)
        xs = np.nonzero(ok)[0]
        cy = ysum[ok] / count[ok]
        slope = np.polyfit(xs.astype(np.float64), cy, 1)[0]
        angles.append(np.degrees(np.arctan(slope)))
        weights.append(float(w))
    if not angles:
        return 0.0
    order = np.argsort(angles)
    a = np.asarray(angles)[order]
    cw = np.cumsum(np.asarray(weights)[order])
    med = float(a[np.searchsorted(cw, cw[-1] / 2)])
    return med if abs(med) <= MAX_SKEW_DEG else 0.0


@dataclass(frozen=True)
class Geometry:
    """How the work image relates to the page."""

    dpi: float  # of the page (given or guessed)
    scale: float  # work pixels per page pixel
    angle: float  # skew removed, degrees
    to_page: np.ndarray  # 2x3 affine: deskewed full-res -> page
    work_ink: np.ndarray  # deskewed work-resolution ink mask (0/255)

    @property
    def work_dpi(self) -> float:
        return self.dpi * self.scale


def _rotation(shape: tuple[int, int], angle: float) -> tuple[np.ndarray, tuple[int, int]]:
    """3x3 page -> deskewed transform and the deskewed canvas (w, h)."""
    h, w = shape
    rot = np.vstack([cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0), [0, 0, 1]])
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64).T
    moved = rot @ corners
    x0, y0 = np.floor(moved[:2].min(axis=1))
    x1, y1 = np.ceil(moved[:2].max(axis=1))
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
    return shift @ rot, (int(x1 - x0), int(y1 - y0))


def page_geometry(page: np.ndarray, dpi: float) -> Geometry:
    """Reduce, binarise, measure skew and deskew the page's ink mask."""
    scale = min(1.0, WORK_DPI / dpi)
    h, w = page.shape
    if scale < 1.0:
        small = cv2.resize(
            page, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
    else:
        small = page
    wdpi = dpi * scale
    ink = binarize_page(small, wdpi)
    angle = estimate_skew(ink, wdpi)
    if abs(angle) < MIN_SKEW_DEG:
        return Geometry(dpi, scale, 0.0, np.eye(2, 3), ink)
    full, _ = _rotation((h, w), angle)
    s = np.diag([scale, scale, 1.0])
    work = s @ full @ np.linalg.inv(s)
    _, (cw, ch) = _rotation((h, w), angle)
    size = (max(1, round(cw * scale)), max(1, round(ch * scale)))
    small_rot = cv2.warpAffine(
        small, work[:2], size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    ink = binarize_page(small_rot, wdpi)
    return Geometry(dpi, scale, angle, np.linalg.inv(full)[:2], ink)


@dataclass(frozen=True)
class Frame:
    """A printed box in work coordinates: its interior and its cells.

    ``cells`` are the holes of the line mask inside the frame (x0, x1 pairs,
    end exclusive); more than one means printed full-height dividers.
    """

    x0: int
    y0: int
    x1: int
    y1: int
    cells: tuple[tuple[int, int], ...]

    @property
    def w(self) -> int:
        return self.x1 - self.x0

    @property
    def h(self) -> int:
        return self.y1 - self.y0


def line_masks(ink: np.ndarray, dpi: float) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical printed-line masks of a deskewed ink mask.

    The opening lengths (0.14 in) are longer than printed text strokes and most
    handwritten strokes, and shorter than the side of the smallest box.
    """
    k = max(7, int(round(0.14 * dpi)))
    gap = max(2, int(round(0.02 * dpi)))
    rect = cv2.getStructuringElement
    horiz = cv2.morphologyEx(ink, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (k, 1)))
    horiz = cv2.morphologyEx(horiz, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (gap, 1)))
    vert = cv2.morphologyEx(ink, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, k)))
    vert = cv2.morphologyEx(vert, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (1, gap)))
    return horiz, vert


def find_frames(ink: np.ndarray, dpi: float) -> list[Frame]:
    """Printed boxes of a deskewed work-resolution ink mask.

    A box interior is an enclosed, nearly rectangular hole of the line mask;
    holes side by side with only a line between them are the cells of one
    comb. Holes of implausible size (the page border, big tables, text
    counters) are left out.
    """
    horiz, vert = line_masks(ink, dpi)
    lines = cv2.dilate(cv2.bitwise_or(horiz, vert), np.ones((3, 3), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(
        cv2.bitwise_not(lines), connectivity=4, ltype=cv2.CV_32S
    )
    H, W = ink.shape
    x, y, w, h, area = (stats[1:, k].astype(np.int64) for k in range(5))
    ok = (x > 0) & (y > 0) & (x + w < W) & (y + h < H)
    ok &= (h >= MIN_BOX_H * dpi) & (h <= MAX_BOX_H * dpi)
    ok &= (w >= MIN_BOX_W * dpi) & (w <= MAX_BOX_W * dpi)
    ok &= area >= MIN_FILL * w * h
    # The dilation above ate one pixel of each side of the interior.
    holes = [
        (int(x[i]) - 1, int(y[i]) - 1, int(x[i] + w[i]) + 1, int(y[i] + h[i]) + 1)
        for i in np.nonzero(ok)[0]
    ]
    return _group_cells(holes, dpi)


def _group_cells(holes: list[tuple[int, int, int, int]], dpi: float) -> list[Frame]:
    """Join holes that share top and bottom lines and are one line apart."""
    holes.sort(key=lambda r: (r[0], r[1]))
    used = [False] * len(holes)
    max_gap = max(4, int(round(0.035 * dpi)))
    frames = []
    for i, first in enumerate(holes):
        if used[i]:
            continue
        used[i] = True
        group = [first]
        while True:
            last = group[-1]
            tol = max(2, int(round(0.1 * (last[3] - last[1]))))
            nxt = None
            for j in range(i + 1, len(holes)):
                if used[j]:
                    continue
                c = holes[j]
                if c[0] - last[2] > max_gap:
                    break
                if (
                    c[0] >= last[2] - 1
                    and abs(c[1] - last[1]) <= tol
                    and abs(c[3] - last[3]) <= tol
                ):
                    nxt = j
                    break
            if nxt is None:
                break
            used[nxt] = True
            group.append(holes[nxt])
        y0 = int(np.median([g[1] for g in group]))
        y1 = int(np.median([g[3] for g in group]))
        cells = tuple((g[0], g[2]) for g in group)
        frames.append(Frame(group[0][0], y0, group[-1][2], y1, cells))
    return frames
