"""Handwritten-looking digits drawn from stroke skeletons.

The licensing rule keeps dataset pixels out of the repository, so test
fixtures and sample pages need digits the project draws itself. Each digit has
a few skeleton templates (the common ways people write it: open and closed 4,
7 with and without a bar, 1 with and without a flag...). A ``WriterStyle``
holds what stays constant for one writer across a page (slant, width, stroke
weight, how round the curves are, which variant of each digit they use);
every sample then adds its own jitter, so two 3s by one writer differ a
little, as they do on paper.

Coordinates in templates are in a unit box: x right, y down, both 0..1, the
digit's full height spanning y = 0..1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

# A point is (x, y) or (x, y, 1); the 1 marks a corner, where the pen changes
# direction sharply and the spline must not round the turn off.
Point = tuple[float, float] | tuple[float, float, int]
Stroke = tuple[Point, ...]
Template = tuple[Stroke, ...]

# Width of a template x-unit relative to the digit height, before the
# writer's aspect: handwritten digits are roughly 0.6 as wide as tall.
_BASE_WIDTH = 0.6
_SPLINE_STEPS = 8  # samples per spline segment
_SUBPIXEL_BITS = 4  # cv2 fixed-point shift: 1/16 px positions


def _arc(
    cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int
) -> tuple[Point, ...]:
    """Points along an elliptical arc, angles in degrees (y down)."""
    out = []
    for t in np.linspace(math.radians(a0), math.radians(a1), n):
        out.append((cx + rx * math.cos(t), cy + ry * math.sin(t)))
    return tuple(out)


def _templates() -> dict[int, tuple[Template, ...]]:
    c = 1  # corner marker
    return {
        0: (
            # Anticlockwise oval from just right of the top, closing with overlap.
            (_arc(0.5, 0.5, 0.42, 0.5, -70, -70 - 375, 18),),
            # Egg shape, narrower at the top, small gap at the close.
            (
                (
                    (0.62, 0.02),
                    (0.3, 0.08),
                    (0.1, 0.45),
                    (0.2, 0.88),
                    (0.5, 1.0),
                    (0.82, 0.85),
                    (0.9, 0.45),
                    (0.75, 0.08),
                    (0.55, 0.04),
                ),
            ),
        ),
        1: (
            (((0.5, 0.0), (0.5, 1.0)),),
            (((0.2, 0.25), (0.58, 0.0, c), (0.55, 1.0)),),
            (((0.22, 0.22), (0.55, 0.0, c), (0.55, 1.0)), ((0.22, 1.0), (0.88, 1.0))),
        ),
        2: (
            (
                (
                    (0.1, 0.28),
                    (0.3, 0.05),
                    (0.6, 0.0),
                    (0.88, 0.2),
                    (0.8, 0.45),
                    (0.45, 0.75),
                    (0.05, 1.0, c),
                    (0.95, 0.98),
                ),
            ),
            # Curly 2: a small loop where the neck meets the base.
            (
                (
                    (0.12, 0.25),
                    (0.4, 0.02),
                    (0.75, 0.05),
                    (0.85, 0.3),
                    (0.6, 0.62),
                    (0.18, 0.95),
                    (0.1, 0.86),
                    (0.25, 0.8),
                    (0.4, 0.93),
                    (0.65, 1.0),
                    (0.95, 0.94),
                ),
            ),
        ),
        3: (
            (
                (
                    (0.12, 0.15),
                    (0.45, 0.0),
                    (0.82, 0.1),
                    (0.8, 0.33),
                    (0.42, 0.48, c),
                    (0.82, 0.6),
                    (0.88, 0.85),
                    (0.55, 1.0),
                    (0.1, 0.88),
                ),
            ),
            # Flat-topped 3.
            (
                (
                    (0.1, 0.02),
                    (0.88, 0.02, c),
                    (0.4, 0.42, c),
                    (0.8, 0.55),
                    (0.9, 0.8),
                    (0.55, 1.0),
                    (0.1, 0.9),
                ),
            ),
        ),
        4: (
            # Open 4: the diagonal and bar, then a separate stem.
            (
                ((0.6, 0.0), (0.08, 0.66, c), (0.95, 0.66)),
                ((0.72, 0.3), (0.72, 1.0)),
            ),
            # Closed 4: triangle top, stem from the apex.
            (
                ((0.7, 0.0), (0.05, 0.68, c), (0.95, 0.68)),
                ((0.7, 0.0), (0.7, 1.0)),
            ),
            # Open-top 4: vertical left arm.
            (
                ((0.15, 0.0), (0.1, 0.6, c), (0.95, 0.6)),
                ((0.75, 0.12), (0.75, 1.0)),
            ),
        ),
        5: (
            (
                (
                    (0.25, 0.02),
                    (0.18, 0.45, c),
                    (0.5, 0.38),
                    (0.85, 0.55),
                    (0.85, 0.85),
                    (0.5, 1.0),
                    (0.1, 0.9),
                ),
                ((0.25, 0.02), (0.9, 0.0)),
            ),
            (
                (
                    (0.9, 0.0),
                    (0.25, 0.03, c),
                    (0.18, 0.45, c),
                    (0.5, 0.38),
                    (0.85, 0.55),
                    (0.86, 0.85),
                    (0.5, 1.0),
                    (0.1, 0.9),
                ),
            ),
        ),
        6: (
            (
                (
                    (0.78, 0.03),
                    (0.45, 0.12),
                    (0.2, 0.4),
                    (0.12, 0.7),
                    (0.3, 0.95),
                    (0.6, 0.98),
                    (0.85, 0.8),
                    (0.78, 0.58),
                    (0.5, 0.5),
                    (0.25, 0.58),
                    (0.15, 0.72),
                ),
            ),
            # Straighter back, smaller loop.
            (
                (
                    (0.65, 0.0),
                    (0.35, 0.3),
                    (0.2, 0.65),
                    (0.3, 0.95),
                    (0.6, 0.98),
                    (0.8, 0.78),
                    (0.62, 0.6),
                    (0.35, 0.62),
                    (0.22, 0.75),
                ),
            ),
        ),
        7: (
            (((0.05, 0.02), (0.95, 0.02, c), (0.35, 1.0)),),
            (((0.05, 0.02), (0.95, 0.02, c), (0.4, 1.0)), ((0.3, 0.52), (0.85, 0.5))),
            # Hooked start at the top left.
            (((0.05, 0.18), (0.08, 0.02, c), (0.95, 0.04, c), (0.45, 1.0)),),
        ),
        8: (
            # One stroke: an S down, then back up the other way.
            (
                (
                    (0.8, 0.12),
                    (0.5, 0.0),
                    (0.18, 0.14),
                    (0.25, 0.37),
                    (0.5, 0.5),
                    (0.8, 0.66),
                    (0.82, 0.9),
                    (0.5, 1.0),
                    (0.17, 0.9),
                    (0.2, 0.67),
                    (0.5, 0.5),
                    (0.75, 0.35),
                    (0.8, 0.12),
                    (0.62, 0.02),
                ),
            ),
            # Two stacked loops.
            (
                _arc(0.5, 0.24, 0.3, 0.24, -90, -90 - 360, 14),
                _arc(0.5, 0.73, 0.4, 0.27, -90, -90 + 370, 16),
            ),
        ),
        9: (
            (
                (
                    (0.85, 0.2),
                    (0.6, 0.02),
                    (0.25, 0.08),
                    (0.15, 0.3),
                    (0.35, 0.48),
                    (0.7, 0.42),
                    (0.86, 0.18, c),
                    (0.83, 0.6),
                    (0.78, 1.0),
                ),
            ),
            # Curved tail.
            (
                (
                    (0.85, 0.22),
                    (0.6, 0.02),
                    (0.25, 0.06),
                    (0.15, 0.3),
                    (0.4, 0.47),
                    (0.75, 0.4),
                    (0.86, 0.2, c),
                    (0.86, 0.62),
                    (0.7, 0.92),
                    (0.45, 1.0),
                    (0.22, 0.92),
                ),
            ),
        ),
    }


TEMPLATES: dict[int, tuple[Template, ...]] = _templates()


@dataclass(frozen=True)
class WriterStyle:
    """What stays the same for one writer across a page.

    ``variants`` picks, per digit 0-9, the template the writer habitually uses
    (taken modulo the number of templates); ``loyalty`` is how often they stick
    to it, because people do not write every 7 the same way.
    """

    slant: float = 0.12  # shear: x shift per unit height; > 0 leans right
    aspect: float = 1.0  # width multiplier
    stroke_width: float = 0.09  # pen width as a fraction of digit height
    roundness: float = 0.8  # 0 = angular polylines, 1 = smooth splines
    jitter: float = 0.025  # per-sample control-point noise, unit-box units
    variants: tuple[int, ...] = (0,) * 10
    loyalty: float = 0.85

    def __post_init__(self) -> None:
        if len(self.variants) != 10:
            raise ValueError(f"WriterStyle.variants needs 10 entries, got {len(self.variants)}")
        if not 0.0 < self.stroke_width < 0.5:
            raise ValueError(f"stroke_width must be in (0, 0.5), got {self.stroke_width}")
        if not 0.2 < self.aspect < 3.0:
            raise ValueError(f"aspect must be in (0.2, 3), got {self.aspect}")
        if not 0.0 <= self.roundness <= 1.0:
            raise ValueError(f"roundness must be in [0, 1], got {self.roundness}")
        if not 0.0 <= self.loyalty <= 1.0:
            raise ValueError(f"loyalty must be in [0, 1], got {self.loyalty}")
        if self.jitter < 0:
            raise ValueError(f"jitter must be >= 0, got {self.jitter}")


def random_style(rng: np.random.Generator) -> WriterStyle:
    """A plausible writer: mostly right-leaning, medium pen, own digit habits."""
    return WriterStyle(
        slant=float(np.clip(rng.normal(0.12, 0.12), -0.15, 0.4)),
        aspect=float(rng.uniform(0.75, 1.25)),
        stroke_width=float(rng.uniform(0.055, 0.15)),
        roundness=float(rng.uniform(0.5, 1.0)),
        jitter=float(rng.uniform(0.01, 0.035)),
        variants=tuple(int(v) for v in rng.integers(0, 6, 10)),
        loyalty=float(rng.uniform(0.7, 0.95)),
    )


def catmull_rom(p: np.ndarray) -> np.ndarray:
    """Uniform Catmull-Rom spline through all points of ``p`` (n, 2): smooth, passes every point."""
    if len(p) < 3:
        return p
    ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    t = np.linspace(0.0, 1.0, _SPLINE_STEPS, endpoint=False)[:, None]
    t2, t3 = t * t, t * t * t
    segs = []
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        segs.append(
            0.5
            * (
                2 * p1
                + (-p0 + p2) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                + (-p0 + 3 * p1 - 3 * p2 + p3) * t3
            )
        )
    segs.append(p[-1:])
    return np.vstack(segs)


def _polyline(p: np.ndarray) -> np.ndarray:
    """Straight segments resampled like the spline, so the two can be blended."""
    if len(p) < 3:
        return p
    t = np.linspace(0.0, 1.0, _SPLINE_STEPS, endpoint=False)[:, None]
    segs = [p[i] + (p[i + 1] - p[i]) * t for i in range(len(p) - 1)]
    segs.append(p[-1:])
    return np.vstack(segs)


def _trace(points: np.ndarray, corners: list[int], roundness: float) -> np.ndarray:
    """Dense path through control points, smooth between corners."""
    cuts = [0, *corners, len(points) - 1]
    pieces: list[np.ndarray] = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        if b <= a:
            continue
        p = points[a : b + 1]
        dense = roundness * catmull_rom(p) + (1 - roundness) * _polyline(p)
        pieces.append(dense if not pieces else dense[1:])
    return np.vstack(pieces) if pieces else points


def _pick_template(digit: int, rng: np.random.Generator, style: WriterStyle) -> Template:
    options = TEMPLATES[digit]
    idx = style.variants[digit] % len(options)
    if len(options) > 1 and rng.random() > style.loyalty:
        idx = int(rng.integers(len(options)))
    return options[idx]


def _skeleton(template: Template, rng: np.random.Generator, style: WriterStyle) -> list[np.ndarray]:
    """Perturbed dense paths (unit-height coordinates, y down) for one sample."""
    rot = math.radians(rng.normal(0.0, 3.0))
    slant = style.slant + rng.normal(0.0, 0.04)
    sx = _BASE_WIDTH * style.aspect * rng.uniform(0.92, 1.08)
    cos, sin = math.cos(rot), math.sin(rot)
    paths = []
    for k, stroke in enumerate(template):
        pts = np.array([p[:2] for p in stroke], np.float64)
        corners = [i for i, p in enumerate(stroke) if len(p) == 3]
        pts += rng.normal(0.0, style.jitter, pts.shape)
        if k > 0:
            # Later strokes land a little off where the first one put them.
            pts += rng.normal(0.0, 0.025, 2)
        dense = _trace(pts, corners, style.roundness)
        x = (dense[:, 0] - 0.5) * sx + slant * (1.0 - dense[:, 1])
        y = dense[:, 1]
        paths.append(np.stack([x * cos - y * sin, x * sin + y * cos], axis=1))
    return paths


def render_digit(
    digit: int,
    height_px: int,
    rng: np.random.Generator,
    style: WriterStyle | None = None,
) -> np.ndarray:
    """One handwritten-looking digit: greyscale uint8, dark ink on white.

    The array is exactly ``height_px`` rows tall and the ink spans that height
    less a one-pixel margin, so callers size digits by ink height directly;
    the width follows the digit (a bare 1 is only a stroke wide, plus margin).
    """
    if not 0 <= digit <= 9:
        raise ValueError(f"digit must be 0-9, got {digit}")
    if height_px < 8:
        raise ValueError(f"height_px must be at least 8, got {height_px}")
    if style is None:
        style = random_style(rng)
    paths = _skeleton(_pick_template(digit, rng, style), rng, style)

    thick = max(1, round(style.stroke_width * height_px * rng.uniform(0.85, 1.15)))
    allp = np.vstack(paths)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    # Round caps add half a pen width at each end: fit skeleton + pen in the box.
    usable = max(1.0, height_px - 2 - thick)
    scale = usable / max(hi[1] - lo[1], 1e-6)
    pad = thick + 2
    width = int(math.ceil((hi[0] - lo[0]) * scale)) + 2 * pad
    canvas = np.zeros((height_px + 2 * pad, width), np.uint8)
    fixed = 1 << _SUBPIXEL_BITS
    polys = [
        np.round(((p - lo) * scale + pad) * fixed).astype(np.int32).reshape(-1, 1, 2) for p in paths
    ]
    cv2.polylines(canvas, polys, False, 255, thick, cv2.LINE_AA, _SUBPIXEL_BITS)

    ys, xs = np.nonzero(canvas)
    ink = canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    if ink.shape[0] > height_px - 2:
        new_w = max(1, round(ink.shape[1] * (height_px - 2) / ink.shape[0]))
        ink = np.asarray(cv2.resize(ink, (new_w, height_px - 2), interpolation=cv2.INTER_AREA))
    top = (height_px - ink.shape[0]) // 2
    out = np.zeros((height_px, ink.shape[1] + 2), np.uint8)
    out[top : top + ink.shape[0], 1:-1] = ink
    return 255 - out


def edge_point(ink: np.ndarray, side: str, rng: np.random.Generator) -> tuple[int, int] | None:
    """(x, y) of an ink pixel on the glyph's right (or left) edge, in its lower
    3/4: one of the four outermost rows' edge points, chosen by ``rng``; None
    without ink there. ``ink``: the glyph's ink mask (bool, rows top down)."""
    h = ink.shape[0]
    pts = []
    for r in range(int(h * 0.25), h):
        xs = np.nonzero(ink[r])[0]
        if len(xs):
            pts.append((int(xs.max() if side == "right" else xs.min()), int(r)))
    if not pts:
        return None
    pts.sort(key=lambda p: -p[0] if side == "right" else p[0])
    return pts[int(rng.integers(min(len(pts), 4)))]


# Where a cursive writer's pen leaves a digit for the next (its last stroke's
# end) and enters the next (its first stroke's start): "top" (the topmost
# ink), "foot" (the lowest ink in its right half: a 2's base stroke, the foot
# of a 4's or a 9's stem), "left" (the leftmost ink in its upper third). A
# digit not in JOIN_EXIT ends with the pen lifted: a 1 or a 7 joined at its
# foot would read as an L or a 2, and a 3, 5 or 6 ends facing back.
JOIN_EXIT = {0: "top", 2: "foot", 4: "foot", 8: "top", 9: "foot"}
JOIN_ENTRY = {
    **{d: "top" for d in (0, 1, 4, 6, 8, 9)},
    **{d: "left" for d in (2, 3, 5, 7)},
}


def pen_point(ink: np.ndarray, where: str) -> tuple[int, int] | None:
    """(x, y) of the glyph's ink at ``where`` (see JOIN_EXIT); None without ink."""
    ys, xs = np.nonzero(ink)
    if not len(xs):
        return None
    h, w = ink.shape
    if where == "top":
        i = int(np.argmin(ys))
    elif where == "foot":
        right = np.nonzero(xs >= w / 2)[0]
        right = right if len(right) else np.arange(len(xs))
        i = int(right[np.argmax(ys[right])])
    elif where == "left":
        upper = np.nonzero(ys <= h / 3)[0]
        upper = upper if len(upper) else np.arange(len(xs))
        i = int(upper[np.argmin(xs[upper])])
    else:
        raise ValueError(f"where must be top, foot or left, got {where!r}")
    return int(xs[i]), int(ys[i])


def cursive_join(
    first: tuple[int, np.ndarray, float, float],
    second: tuple[int, np.ndarray, float, float],
    height: float,
    rng: np.random.Generator,
) -> np.ndarray | None:
    """The pen's path (3 points) from a digit into the next, each given as
    (digit, ink mask, x, y of the mask's corner): from where the first's last
    stroke ends (JOIN_EXIT) into where the next's first starts (JOIN_ENTRY).
    Top to top it arcs up over the gap; from a foot it runs up into the next,
    sagging a little. None where the pen lifts after the first digit, a mask
    has no ink, or the path would run backwards."""
    (d1, ink1, x1, y1), (d2, ink2, x2, y2) = first, second
    leave = JOIN_EXIT.get(d1)
    if leave is None:
        return None
    a, b = pen_point(ink1, leave), pen_point(ink2, JOIN_ENTRY[d2])
    if a is None or b is None or x2 + b[0] <= x1 + a[0]:
        return None
    p1 = np.array([x1 + a[0], y1 + a[1]], np.float32)
    p2 = np.array([x2 + b[0], y2 + b[1]], np.float32)
    bend = -rng.uniform(0.03, 0.1) if leave == "top" else rng.uniform(0.0, 0.08)
    mid = (p1 + p2) / 2 + np.array([0, bend * height], np.float32)
    return np.stack([p1, mid, p2])
