"""Inside one printed box, at full resolution: frame lines, cells and digits.

``analyse_box`` gets a deskewed cut-out of the page around a box found by
``layout_lines`` (whose interior is known only to a few pixels), pins the
frame lines down, decides whether the box is a comb (full dividers or ticks
rising from the bottom edge, evenly spaced) or an undivided digit string,
whites the frame out and cuts one crop per digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Grid fit: a divider may sit this share of a cell pitch off its grid place.
GRID_TOL = 0.15
# Cells of a comb are between these multiples of the interior height wide.
MIN_PITCH, MAX_PITCH = 0.3, 1.9
# A tick rises at least this share of the interior height from the bottom.
MIN_TICK = 0.12
# Ink smaller than this share of the interior height (in both directions) is
# a speck, not a digit; so is anything under SPECK_IN inches square.
MIN_INK = 0.2
SPECK_IN = 0.012
# Touching digits: a blob wider than SPLIT x the expected digit width
# (ASPECT x digit height) is cut into round(width / expected) parts.
ASPECT = 0.62
SPLIT = 1.45


@dataclass(frozen=True)
class Digit:
    """One digit in box coordinates: x, y, w, h and a greyscale crop."""

    bbox: tuple[int, int, int, int]
    image: np.ndarray


@dataclass(frozen=True)
class BoxLayout:
    kind: str  # "comb" or "string"
    cells: int
    interior: tuple[int, int, int, int]  # x0, y0, x1, y1 in box coordinates
    digits: tuple[Digit, ...]


def ink_mask(grey: np.ndarray) -> np.ndarray:
    """Ink (uint8 0/1) of a box cut-out: Otsu, kept a little under the paper."""
    t, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    paper = float(np.percentile(grey, 75))
    t = min(t, paper - 25)
    return (grey < t).astype(np.uint8)


def _line_band(profile: np.ndarray, lo: int, hi: int) -> tuple[int, int] | None:
    """Rows (or columns) of the strongest line in profile[lo:hi] (coverage 0..1)."""
    lo, hi = max(0, lo), min(len(profile), hi)
    if hi <= lo:
        return None
    seg = profile[lo:hi]
    peak = int(np.argmax(seg))
    if seg[peak] < 0.45:
        return None
    thr = max(0.3, 0.5 * seg[peak])
    a = b = peak
    while a > 0 and seg[a - 1] >= thr:
        a -= 1
    while b + 1 < len(seg) and seg[b + 1] >= thr:
        b += 1
    return lo + a, lo + b + 1


def _refine_interior(
    ink: np.ndarray, est: tuple[float, float, float, float], search: int
) -> tuple[tuple[int, int, int, int], list[tuple[int, int, int, int]]]:
    """Interior pinned to the frame lines; also the lines' bands (x0,y0,x1,y1)."""
    x0, y0, x1, y1 = (int(round(v)) for v in est)
    H, W = ink.shape
    cx0, cx1 = max(0, x0 + search), min(W, x1 - search)
    cy0, cy1 = max(0, y0 + search), min(H, y1 - search)
    rows = ink[:, cx0:cx1].mean(axis=1) if cx1 > cx0 else np.zeros(H)
    cols = ink[cy0:cy1, :].mean(axis=0) if cy1 > cy0 else np.zeros(W)
    bands = []
    top = _line_band(rows, y0 - search, y0 + search)
    bot = _line_band(rows, y1 - search, y1 + search)
    left = _line_band(cols, x0 - search, x0 + search)
    right = _line_band(cols, x1 - search, x1 + search)
    if top:
        y0 = top[1]
        bands.append((0, top[0], W, top[1]))
    if bot:
        y1 = bot[0]
        bands.append((0, bot[0], W, bot[1]))
    if left:
        x0 = left[1]
        bands.append((left[0], 0, left[1], H))
    if right:
        x1 = right[0]
        bands.append((right[0], 0, right[1], H))
    return (x0, y0, x1, y1), bands


def _ticks(ink: np.ndarray, interior: tuple[int, int, int, int], line_w: int) -> list[float]:
    """Centres of evenly tall thin ticks rising from the interior's bottom."""
    x0, y0, x1, y1 = interior
    h = y1 - y0
    sub = ink[y0:y1, x0:x1][::-1]
    alive = np.ones(sub.shape[1], bool)
    run = np.zeros(sub.shape[1], np.int32)
    # Allow a pixel or two of paper between the bottom line and the tick.
    for r in range(h):
        row = sub[r].astype(bool)
        if r < 2:
            run += row
            continue
        alive &= row
        run += alive
        if not alive.any():
            break
    tall = run >= MIN_TICK * h
    if not tall.any():
        return []
    # Clusters of tall columns; a tick is narrow.
    edges = np.diff(np.concatenate([[0], tall.astype(np.int8), [0]]))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    ticks = []
    for a, b in zip(starts, ends, strict=True):
        if b - a <= max(3 * line_w, 4):
            ticks.append(((a + b - 1) / 2.0 + x0, float(run[a:b].max())))
    if len(ticks) < 2:
        return []
    heights = np.array([t[1] for t in ticks])
    med = np.median(heights)
    return [x for x, th in ticks if abs(th - med) <= 0.2 * med + 2]


def fit_grid(
    x0: int, x1: int, h: int, strong: list[float], weak: list[float]
) -> list[float] | None:
    """Divider positions of an evenly divided box, or None if it is not one.

    Each cell count N gives N-1 evenly spaced places; N is accepted when
    nearly all places have a candidate and few candidates are off the grid.
    Two cells need a strong (full-height) divider: one stray stroke near the
    middle of a string box must not make it a comb.
    """
    cands = sorted(strong + weak)
    if not cands:
        return None
    w = x1 - x0
    best, best_score = None, -1e9
    n_lo = max(2, int(np.ceil(w / (MAX_PITCH * h))))
    n_hi = min(80, int(w / (MIN_PITCH * h)))
    for n in range(n_lo, n_hi + 1):
        pitch = w / n
        tol = max(2.0, GRID_TOL * pitch)
        grid = x0 + pitch * np.arange(1, n)
        placed: list[float] = []
        matched = 0
        for g in grid:
            near = [c for c in cands if abs(c - g) <= tol]
            if near:
                matched += 1
                placed.append(min(near, key=lambda c, g=g: abs(c - g)))
            else:
                placed.append(float(g))
        off = sum(1 for c in cands if np.min(np.abs(grid - c)) > tol)
        missing = n - 1 - matched
        if matched == 0 or missing > 0.25 * (n - 1) or off > 0.34 * matched:
            continue
        if n == 2 and not any(abs(c - grid[0]) <= tol for c in strong):
            continue
        score = matched - 2 * off - missing
        if score > best_score:
            best, best_score = placed, score
    return best


def _components(ink: np.ndarray, min_area: int, min_size: float):
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = []
    for i in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[i])
        if area >= min_area and max(w, h) >= min_size:
            keep.append([x, y, x + w, y + h, area, [i]])
    return labels, keep


def _merge_overlapping(comps: list, h_ref: float) -> list:
    """Join pieces of one digit: boxes that overlap much in x."""
    comps = sorted(comps, key=lambda c: c[0])
    out: list = []
    for c in comps:
        if out:
            p = out[-1]
            ov = min(p[2], c[2]) - max(p[0], c[0])
            small = min(p[3] - p[1], c[3] - c[1]) < 0.45 * h_ref
            if ov >= 0.5 * min(p[2] - p[0], c[2] - c[0]) or (small and ov > -0.05 * h_ref):
                out[-1] = [
                    min(p[0], c[0]),
                    min(p[1], c[1]),
                    max(p[2], c[2]),
                    max(p[3], c[3]),
                    p[4] + c[4],
                    p[5] + c[5],
                ]
                continue
        out.append(c)
    return out


def _split_columns(mask: np.ndarray, parts: int) -> list[int]:
    """Cut columns between touching digits: ink valleys near even cuts."""
    prof = mask.sum(axis=0).astype(np.float64)
    w = mask.shape[1]
    cuts = [0]
    for k in range(1, parts):
        ideal = k * w / parts
        r = 0.3 * w / parts
        lo, hi = int(max(cuts[-1] + 1, ideal - r)), int(min(w - 1, ideal + r))
        if hi <= lo:
            cuts.append(int(ideal))
            continue
        xs = np.arange(lo, hi + 1)
        cost = prof[lo : hi + 1] + 0.05 * prof.max() * np.abs(xs - ideal) / max(r, 1)
        cuts.append(int(xs[np.argmin(cost)]))
    cuts.append(w)
    return cuts


def _crop(grey: np.ndarray, mask: np.ndarray, margin: int) -> Digit | None:
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return None
    H, W = grey.shape
    y0, y1 = max(0, ys.min() - margin), min(H, ys.max() + 1 + margin)
    x0, x1 = max(0, xs.min() - margin), min(W, xs.max() + 1 + margin)
    keep = cv2.dilate(mask[y0:y1, x0:x1], np.ones((3, 3), np.uint8), iterations=2)
    img = np.where(keep > 0, grey[y0:y1, x0:x1], 255).astype(np.uint8)
    return Digit((int(x0), int(y0), int(x1 - x0), int(y1 - y0)), img)


def analyse_box(
    grey: np.ndarray,
    est: tuple[float, float, float, float],
    separators: list[float],
    dpi: float,
    search: int,
) -> BoxLayout:
    """Kind, cells and digits of the box whose interior is about ``est``.

    ``separators`` are x positions of full-height printed dividers already
    seen at page level; ``search`` is how far (pixels) the estimate may be off.
    """
    ink = ink_mask(grey)
    interior, bands = _refine_interior(ink, est, search)
    x0, y0, x1, y1 = interior
    h = max(1, y1 - y0)
    line_w = max(1, int(np.median([b[3] - b[1] for b in bands[:2]] or [2])))
    ticks = _ticks(ink, interior, line_w)
    dividers = fit_grid(x0, x1, h, separators, ticks)
    if dividers is None and len(separators) >= 2:
        dividers = sorted(separators)

    clean = ink.copy()
    paper = grey.copy()
    for bx0, by0, bx1, by1 in bands:
        clean[max(0, by0 - 1) : by1 + 1, max(0, bx0 - 1) : bx1 + 1] = 0
    for d in dividers or []:
        c = int(round(d))
        r = search
        prof = ink[y0:y1, max(0, c - r) : c + r + 1].mean(axis=0)
        band = _line_band(prof, 0, len(prof))
        a, b = (band[0] + c - r, band[1] + c - r) if band else (c - line_w, c + line_w)
        clean[:, max(0, a - 1) : b + 1] = 0
    paper[clean == 0] = 255
    inner = np.zeros_like(clean)
    inner[y0:y1, x0:x1] = clean[y0:y1, x0:x1]

    min_area = max(4, int((SPECK_IN * dpi) ** 2))
    labels, comps = _components(inner, min_area, MIN_INK * h)
    margin = max(2, int(0.06 * h))
    digits: list[Digit] = []
    if dividers is not None:
        edges = [x0, *dividers, x1]
        cells = len(edges) - 1
        owner: dict[int, list] = {}
        for c in comps:
            cx = (c[0] + c[2]) / 2.0
            k = int(np.searchsorted(edges, cx)) - 1
            owner.setdefault(min(max(k, 0), cells - 1), []).append(c)
        for k in range(cells):
            group = owner.get(k)
            if not group:
                continue
            mask = np.isin(labels, [i for c in group for i in c[5]]).astype(np.uint8)
            d = _crop(paper, mask, margin)
            if d is not None:
                digits.append(d)
        return BoxLayout("comb", cells, interior, tuple(digits))

    heights = [c[3] - c[1] for c in comps]
    h_ref = float(np.median([v for v in heights if v >= 0.4 * max(heights)])) if heights else h
    for g in _merge_overlapping(comps, h_ref):
        gx0, gy0, gx1, gy1 = g[:4]
        sub = np.isin(labels[gy0:gy1, gx0:gx1], g[5]).astype(np.uint8)
        gw = gx1 - gx0
        expected = ASPECT * max(h_ref, gy1 - gy0)
        parts = max(2, int(round(gw / expected))) if gw > SPLIT * expected else 1
        cuts = _split_columns(sub, parts)
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            mask = np.zeros_like(inner)
            mask[gy0:gy1, gx0 + a : gx0 + b] = sub[:, a:b]
            d = _crop(paper, mask, margin)
            if d is not None:
                digits.append(d)
    return BoxLayout("string", 0, interior, tuple(digits))
