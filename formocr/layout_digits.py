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

from formocr.layout_lines import LINE_DARK, darkness

# Ink is at least this much darker than the paper (bounds on Otsu).
INK_DARK = (28, 60)
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
# A comb cell holds a digit only if some ink is this share of its height.
CELL_INK = 0.3


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


def ink_mask(dark: np.ndarray) -> np.ndarray:
    """Ink (uint8 0/1) of a box cut-out's darkness: Otsu, kept within bounds.

    The bounds keep faint pencil (Otsu splits it from the darker print) and
    stop noise on a blank box (Otsu then splits the noise).
    """
    t, _ = cv2.threshold(dark, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    t = min(max(t, INK_DARK[0]), INK_DARK[1])
    return (dark >= t).astype(np.uint8)


def _line_band(
    profile: np.ndarray, lo: int, hi: int, least: float = 0.45
) -> tuple[int, int] | None:
    """Rows (or columns) of the strongest line in profile[lo:hi] (coverage 0..1)."""
    lo, hi = max(0, lo), min(len(profile), hi)
    if hi <= lo:
        return None
    seg = profile[lo:hi]
    peak = int(np.argmax(seg))
    if seg[peak] < least:
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


@dataclass(frozen=True)
class _Mark:
    """A printed divider candidate: columns a..b, from row ``top`` down."""

    pos: float
    a: int
    b: int
    top: int
    strong: bool


def _clusters(on: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True in a 1-D array, as (start, end) with end exclusive."""
    edges = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    return list(zip(np.nonzero(edges == 1)[0].tolist(), np.nonzero(edges == -1)[0].tolist()))


def _vertical_marks(
    dark: np.ndarray,
    interior: tuple[int, int, int, int],
    walls: list[tuple[float, float]],
    r: int,
) -> tuple[list[_Mark], np.ndarray]:
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
    # widen by a pixel each side first.
    sub = cv2.dilate(dark[y0:y1, x0:x1], rect(cv2.MORPH_RECT, (3, 1)))
    sub = cv2.morphologyEx(sub, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (1, 3)))
    k = max(3, int(MIN_TICK * h))
    vert = cv2.morphologyEx(sub, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, k))) >= LINE_DARK
    # Columns next to the sides are the sides' blurred edges.
    edge = max(3, int(0.06 * h))
    vert[:, :edge] = False
    vert[:, w - edge :] = False
    cover = vert.mean(axis=0)
    narrow = max(6, int(0.15 * h))
    # A printed divider runs into both frame lines; a tall handwritten 1
    # stops short of them.
    end = max(2, int(0.12 * h))
    joined = (vert[:end].mean(axis=0) >= 0.9) & (vert[-end:].mean(axis=0) >= 0.9)
    marks = [
        _Mark((a + b - 1) / 2.0 + x0, a + x0, b + x0, y0, True)
        for a, b in _clusters((cover >= 0.85) & joined)
        if b - a <= narrow
    ]
    for wa, wb in walls:
        if not any(m.a - r <= (wa + wb) / 2.0 <= m.b + r for m in marks):
            a, b = int(wa), int(np.ceil(wb))
            marks.append(_Mark((a + b - 1) / 2.0, a, b, y0, True))

    rows = vert[::-1]
    run = np.zeros(w, np.int32)
    alive = np.ones(w, bool)
    for i in range(h):
        # The bottom line's band may leave a row or two of paper under a tick.
        if i < 2:
            run += rows[i]
            continue
        alive &= rows[i]
        if not alive.any():
            break
        run += alive
    # Columns beside a full line are its blurred edge, not ticks.
    tall = (run >= MIN_TICK * h) & (cover < 0.85)
    for m in marks:
        tall[max(0, m.a - x0 - narrow) : m.b - x0 + narrow] = False
    ticks = [(a, b, int(run[a:b].max())) for a, b in _clusters(tall) if b - a <= narrow]
    if len(ticks) >= 2:
        med = float(np.median([t[2] for t in ticks]))
        marks += [
            _Mark((a + b - 1) / 2.0 + x0, a + x0, b + x0, y1 - th - 2, False)
            for a, b, th in ticks
            if abs(th - med) <= 0.2 * med + 2
        ]
    return marks, vert


def _white_dividers(
    clean: np.ndarray,
    vert: np.ndarray,
    interior: tuple[int, int, int, int],
    dividers: list[tuple[float, _Mark | None]],
    r: int,
) -> None:
    """Erase each divider's line: the vertical-line columns nearest its place."""
    x0, y0, x1, y1 = interior
    for pos, m in dividers:
        top = m.top if m is not None and not m.strong else y0
        c = int(round(pos)) - x0
        a, b = max(0, c - r), min(vert.shape[1], c + r + 1)
        if b <= a:
            continue
        cover = vert[top - y0 :, a:b].mean(axis=0)
        band = _line_band(cover, 0, len(cover), 0.3)
        if band is None:
            continue
        clean[max(0, top - 1) : y1 + 1, x0 + a + band[0] - 1 : x0 + a + band[1] + 1] = 0


def fit_grid(x0: int, x1: int, h: int, marks: list[_Mark]) -> list[tuple[float, _Mark | None]] | None:
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
    best, best_score = None, -1e9
    n_lo = max(2, int(np.ceil(w / (MAX_PITCH * h))))
    n_hi = min(80, int(w / (MIN_PITCH * h)))
    for n in range(n_lo, n_hi + 1):
        pitch = w / n
        tol = max(2.0, GRID_TOL * pitch)
        grid = x0 + pitch * np.arange(1, n)
        dist = np.abs(pos[None, :] - grid[:, None])
        near = dist.min(axis=1) <= tol
        matched = int(near.sum())
        off = int((dist.min(axis=0) > tol).sum())
        missing = n - 1 - matched
        if matched == 0 or missing > 0.25 * (n - 1) or off > 0.5 * matched:
            continue
        # Within tolerance a strong mark beats a nearer weak one.
        pick = np.where((dist <= tol) & ~strong[None, :], dist + tol, dist).argmin(axis=1)
        if n == 2 and not marks[int(pick[0])].strong:
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


def _components(ink: np.ndarray, min_area: int, min_size: float) -> tuple[np.ndarray, list]:
    """Labels and [x0, y0, x1, y1, area, [label ids]] of components big enough."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    st = stats[1:]
    ok = (st[:, cv2.CC_STAT_AREA] >= min_area) & (
        np.maximum(st[:, cv2.CC_STAT_WIDTH], st[:, cv2.CC_STAT_HEIGHT]) >= min_size
    )
    keep = []
    for i in np.nonzero(ok)[0]:
        x, y, w, h, area = (int(v) for v in st[i])
        keep.append([x, y, x + w, y + h, area, [int(i) + 1]])
    return labels, keep


def _join(a: list, b: list) -> list:
    return [
        min(a[0], b[0]),
        min(a[1], b[1]),
        max(a[2], b[2]),
        max(a[3], b[3]),
        a[4] + b[4],
        a[5] + b[5],
    ]


def _merge_pieces(comps: list, h_ref: float) -> list:
    """Join the pieces of one digit (a 5's loose bar, a broken 4).

    Pieces overlapping much in x are one digit; a small piece (well under a
    digit's height) goes to the neighbour it overlaps or nearly touches.
    """
    comps = sorted(comps, key=lambda c: c[0])
    out: list = []
    for c in comps:
        if out:
            p = out[-1]
            ov = min(p[2], c[2]) - max(p[0], c[0])
            small = min(p[3] - p[1], c[3] - c[1]) < 0.45 * h_ref
            if ov >= 0.5 * min(p[2] - p[0], c[2] - c[0]) or (small and ov > -0.05 * h_ref):
                out[-1] = _join(p, c)
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
        cost = prof[lo : hi + 1] + 0.05 * prof.max() * np.abs(xs - ideal) / max(r, 1.0)
        cuts.append(int(xs[np.argmin(cost)]))
    cuts.append(w)
    return cuts


def _crop(
    paper: np.ndarray, mask: np.ndarray, ox: int, oy: int, margin: int
) -> Digit | None:
    """Greyscale crop of the ink in ``mask`` (placed at ox, oy), other ink whited."""
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return None
    H, W = paper.shape
    y0, y1 = max(0, oy + ys.min() - margin), min(H, oy + ys.max() + 1 + margin)
    x0, x1 = max(0, ox + xs.min() - margin), min(W, ox + xs.max() + 1 + margin)
    keep = np.zeros((y1 - y0, x1 - x0), np.uint8)
    ya, xa = oy - y0, ox - x0
    my0, mx0 = max(0, -ya), max(0, -xa)
    my1, mx1 = min(mask.shape[0], y1 - y0 - ya), min(mask.shape[1], x1 - x0 - xa)
    keep[ya + my0 : ya + my1, xa + mx0 : xa + mx1] = mask[my0:my1, mx0:mx1]
    # Keep the stroke's soft edge: dilate before masking.
    keep = cv2.dilate(keep, np.ones((3, 3), np.uint8), iterations=2)
    img = np.where(keep > 0, paper[y0:y1, x0:x1], 255).astype(np.uint8)
    return Digit((int(x0), int(y0), int(x1 - x0), int(y1 - y0)), img)


def _group_mask(labels: np.ndarray, g: list) -> np.ndarray:
    return np.isin(labels[g[1] : g[3], g[0] : g[2]], g[5]).astype(np.uint8)


def analyse_box(
    grey: np.ndarray,
    est: tuple[float, float, float, float],
    walls: list[tuple[float, float]],
    dpi: float,
    search: int,
    single: bool = False,
) -> BoxLayout:
    """Kind, cells and digits of the box whose interior is about ``est``.

    ``walls`` are x ranges of full-height printed dividers already seen at
    page level; ``search`` is how far (pixels) the estimates may be off.
    A ``single`` box is a one-cell comb.
    """
    dark = darkness(grey, dpi)
    ink = ink_mask(dark)
    interior, bands = _refine_interior(ink, est, search)
    x0, y0, x1, y1 = interior
    h = max(1, y1 - y0)
    marks, vert = _vertical_marks(dark, interior, walls, search)
    if single:
        dividers: list | None = []
    else:
        dividers = fit_grid(x0, x1, h, marks)
    strong = [m for m in marks if m.strong]
    if dividers is None and len(strong) >= 2:
        # Uneven but clearly printed cells.
        dividers = [(m.pos, m) for m in sorted(strong, key=lambda m: m.pos)]

    clean = ink.copy()
    for bx0, by0, bx1, by1 in bands:
        clean[max(0, by0 - 1) : by1 + 1, max(0, bx0 - 1) : bx1 + 1] = 0
    _white_dividers(clean, vert, interior, dividers or [], search)
    paper = np.where(clean > 0, grey, 255).astype(np.uint8)
    inner = np.zeros_like(clean)
    inner[y0:y1, x0:x1] = clean[y0:y1, x0:x1]

    min_area = max(4, int((SPECK_IN * dpi) ** 2))
    labels, comps = _components(inner, min_area, MIN_INK * h)
    margin = max(2, int(0.06 * h))
    digits: list[Digit] = []
    if dividers is not None:
        edges = [x0, *(p for p, _ in dividers), x1]
        cells = len(edges) - 1
        owner: dict[int, list] = {}
        for c in comps:
            k = int(np.searchsorted(edges, (c[0] + c[2]) / 2.0)) - 1
            owner.setdefault(min(max(k, 0), cells - 1), []).append(c)
        for k in range(cells):
            group = owner.get(k, [])
            # Only a piece of a digit's height is a stroke spilling over
            # from the next cell, or dirt: the cell is empty.
            if not any(c[3] - c[1] >= CELL_INK * h for c in group):
                continue
            g = group[0]
            for c in group[1:]:
                g = _join(g, c)
            d = _crop(paper, _group_mask(labels, g), g[0], g[1], margin)
            if d is not None:
                digits.append(d)
        return BoxLayout("comb", cells, interior, tuple(digits))

    heights = [c[3] - c[1] for c in comps]
    h_ref = float(np.median([v for v in heights if v >= 0.4 * max(heights)])) if heights else h
    for g in _merge_pieces(comps, h_ref):
        sub = _group_mask(labels, g)
        gw = g[2] - g[0]
        expected = ASPECT * max(h_ref, g[3] - g[1])
        parts = max(2, int(round(gw / expected))) if gw > SPLIT * expected else 1
        cuts = _split_columns(sub, parts)
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            d = _crop(paper, sub[:, a:b], g[0] + a, g[1], margin)
            if d is not None:
                digits.append(d)
    return BoxLayout("string", 0, interior, tuple(digits))
