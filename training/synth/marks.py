"""Handwritten marks for amounts: the separators ".", ",", "-", "=", a currency sign "$", and the guards "#" and "*".

People write cheque amounts with marks between the digits ("1,250.00",
"1250.-", "1250="); a reader of amounts has to see them and not take them for
digits. The marks here are drawn with the writer's pen (``WriterStyle``
stroke width, the same anti-aliased lines as ``render_digit``), sized
relative to the digits they stand among, with a little jitter per sample.

Coordinates are in pixels, x right and y down.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from training.synth.strokes import WriterStyle, random_style

MARKS = ".,-=$€/#*'"
"""The marks ``render_mark`` draws: separators (the apostrophe the Swiss
group thousands with, "1'250.50", among them), a currency sign written
before an amount, and guards written on both sides of it ("#1250#",
"*1250*") so that nothing can be written beside it later."""

_SUBPIXEL_BITS = 4  # cv2 fixed-point shift, as in strokes


def _dash(
    rng: np.random.Generator, h: float, length: float, angle: float, style: WriterStyle
) -> np.ndarray:
    """A short, slightly bowed horizontal stroke centred on (0, 0)."""
    c, s = math.cos(angle), math.sin(angle)
    t = np.array([-0.5, 0.0, 0.5]) * length
    bow = np.array([0.0, rng.normal(0.0, 0.5 * style.jitter * h), 0.0])
    pts = np.stack([t * c - bow * s, t * s + bow * c], axis=1)
    pts[[0, 2]] += rng.normal(0.0, 0.3 * style.jitter * h, (2, 2))
    return pts


# A handwritten S, as control points (x, y in [0, 1], y down): from the top
# right, over to the left, across the middle and round to the bottom left.
_S_POINTS = np.array(
    [
        [0.9, 0.15],
        [0.6, 0.0],
        [0.2, 0.05],
        [0.05, 0.25],
        [0.3, 0.45],
        [0.7, 0.55],
        [0.95, 0.75],
        [0.8, 0.95],
        [0.4, 1.0],
        [0.05, 0.85],
    ]
)


def _chaikin(pts: np.ndarray, rounds: int = 2) -> np.ndarray:
    """A polyline rounded off by corner cutting."""
    for _ in range(rounds):
        q = 0.75 * pts[:-1] + 0.25 * pts[1:]
        r = 0.25 * pts[:-1] + 0.75 * pts[1:]
        pts = np.concatenate([pts[:1], np.stack([q, r], 1).reshape(-1, 2), pts[-1:]])
    return pts


def currency_paths(h: float, rng: np.random.Generator, slant: float = 0.0) -> list[np.ndarray]:
    """A dollar sign as people write one before an amount, among digits ``h`` tall.

    An S 0.75-1.15 digit heights tall, its top at y = 0, and one bar through
    it (two in three of ten) that sticks out above it, and usually below.
    ``slant`` leans it like the writer's digits (x shift per unit of height).
    Pen paths in pixels, x right and y down.
    """
    sh = h * rng.uniform(0.75, 1.15)
    sw = sh * rng.uniform(0.45, 0.8)
    above = sh * rng.uniform(0.05, 0.35)
    below = sh * rng.uniform(0.0, 0.3) if rng.random() < 0.8 else 0.0
    lean = slant + rng.normal(0.0, 0.12)
    pts = _S_POINTS + rng.normal(0.0, 0.04, _S_POINTS.shape)
    s_path = np.stack([pts[:, 0] * sw + (1 - pts[:, 1]) * sh * lean, pts[:, 1] * sh], axis=1)
    paths = [_chaikin(s_path)]
    bars = 2 if rng.random() < 0.3 else 1
    for b in range(bars):
        bx = sw * (0.5 + (b - (bars - 1) / 2) * 0.22 + rng.normal(0.0, 0.05))
        top, bottom = -above, sh + below
        # x at height y follows the S's lean: (sh - y) * lean from the foot.
        x_at = [bx + (sh - y) * lean for y in (top, (top + bottom) / 2, bottom)]
        x_at[1] += rng.normal(0.0, 0.015) * sh
        paths.append(np.array([[x_at[0], top], [x_at[1], (top + bottom) / 2], [x_at[2], bottom]]))
    return paths


def euro_paths(h: float, rng: np.random.Generator, slant: float = 0.0) -> list[np.ndarray]:
    """A euro sign as people write one before an amount, among digits ``h`` tall.

    A C 0.8-1.05 digit heights tall, open to the right, its top at y = 0,
    and two short bars across its middle (one in four writers: one) that
    reach left past it. ``slant`` leans it like the writer's digits. Pen
    paths in pixels, x right and y down.
    """
    sh = h * rng.uniform(0.8, 1.05)
    sw = sh * rng.uniform(0.55, 0.8)
    lean = slant + rng.normal(0.0, 0.1)
    a = np.deg2rad(np.linspace(rng.uniform(35, 55), rng.uniform(305, 325), 12))
    x = sw / 2 * (1 + np.cos(a)) + rng.normal(0.0, 0.02 * sh, a.size)
    y = sh / 2 * (1 - np.sin(a)) + rng.normal(0.0, 0.02 * sh, a.size)
    paths = [_chaikin(np.stack([x + (sh - y) * lean, y], axis=1))]
    bars = 1 if rng.random() < 0.25 else 2
    for b in range(bars):
        yb = sh * (0.5 + (b - (bars - 1) / 2) * rng.uniform(0.16, 0.26))
        x0, x1 = -sw * rng.uniform(0.1, 0.3), sw * rng.uniform(0.5, 0.8)
        paths.append(np.array([[x0 + (sh - yb) * lean, yb], [x1 + (sh - yb) * lean, yb]]))
    return paths


def hash_paths(h: float, rng: np.random.Generator, slant: float = 0.0) -> list[np.ndarray]:
    """A "#" as people write one to guard an amount, among digits ``h`` tall:
    two bars leaning like the writing, 0.6-0.95 digit heights tall, and two
    rungs across them, a little longer than the bars are apart; its top at
    y = 0. Pen paths in pixels, x right and y down."""
    sh = h * rng.uniform(0.6, 0.95)
    apart = sh * rng.uniform(0.3, 0.5)
    lean = slant + 0.15 + rng.normal(0.0, 0.1)
    paths = []
    for x in (0.0, apart):
        x += rng.normal(0.0, 0.03 * sh)
        paths.append(np.array([[x + sh * lean, 0.0], [x, sh]]))
    reach = apart * rng.uniform(0.2, 0.45)
    for y in (sh * rng.uniform(0.25, 0.4), sh * rng.uniform(0.6, 0.75)):
        x0, x1 = -reach + (sh - y) * lean, apart + reach + (sh - y) * lean
        tilt = rng.normal(0.0, 0.04) * sh
        paths.append(np.array([[x0, y + tilt], [x1, y - tilt]]))
    return paths


def star_paths(h: float, rng: np.random.Generator) -> list[np.ndarray]:
    """A "*" as people write one to guard an amount, among digits ``h`` tall:
    three strokes 0.35-0.6 digit heights long crossing at its middle (one in
    three writers: two, an x); its top at y = 0. Pen paths in pixels."""
    size = h * rng.uniform(0.35, 0.6)
    n = 2 if rng.random() < 1 / 3 else 3
    start = rng.uniform(0.0, np.pi / n)
    paths = []
    for k in range(n):
        a = start + k * np.pi / n + rng.normal(0.0, 0.12)
        dx, dy = 0.5 * size * np.cos(a), 0.5 * size * np.sin(a)
        paths.append(np.array([[-dx, -dy], [dx, dy]]) + 0.5 * size)
    return paths


def filler_path(length: float, h: float, rng: np.random.Generator) -> np.ndarray:
    """A line drawn after an amount to the end of its box, so that nothing
    can be added ("1,250.00 ------"): ``length`` px long, among digits ``h``
    tall, straight with a little bow and drift, or (one in four) wavy. Pen
    path in pixels, starting at (0, 0), x right and y down."""
    t = np.linspace(0.0, 1.0, 24)
    y = rng.normal(0.0, 0.04) * h * t + rng.normal(0.0, 0.03) * h * np.sin(np.pi * t)
    if rng.random() < 0.25:
        waves = length / (h * rng.uniform(0.3, 0.6))
        y = y + h * rng.uniform(0.05, 0.12) * np.sin(2 * np.pi * waves * t)
    return np.stack([t * length, y], axis=1)


def mark_strokes(
    char: str, digit_height_px: float, rng: np.random.Generator, style: WriterStyle
) -> tuple[list[tuple[np.ndarray, float]], float]:
    """The pen paths of one mark, and the y its placement refers to.

    Returns ([(path (n, 2) px, pen width px), ...], anchor_y): the anchor is
    the row that sits on the digits' baseline for "." and "," (the bottom of
    the dot), at the chosen mid-height for "-" and "=" (the middle), at the
    top of an apostrophe (hung from the digits' top), or at
    the digits' middle for "$", "€" and "/" (the sign's or the slash's middle).
    """
    if len(char) != 1 or char not in MARKS:
        raise ValueError(f"mark must be one of {MARKS!r}, got {char!r}")
    h = float(digit_height_px)
    pen = max(1.0, style.stroke_width * h * rng.uniform(0.85, 1.15))
    if char in "$€#":  # anchored at the sign's middle, which sits at the digits' middle
        draw = {"$": currency_paths, "€": euro_paths, "#": hash_paths}[char]
        paths = draw(h, rng, style.slant)
        return [(p, pen) for p in paths], float(paths[0][:, 1].max()) / 2
    if char == "*":
        paths = star_paths(h, rng)
        return [(p, pen) for p in paths], float(np.vstack(paths)[:, 1].max()) / 2
    if char == "/":  # before a closing mark ("1500/-"): a long stroke leaning right
        tall = h * rng.uniform(0.9, 1.15)
        lean = tall * rng.uniform(0.3, 0.6)
        path = np.array([[lean, 0.0], [0.5 * lean, 0.5 * tall], [0.0, tall]])
        path[1] += rng.normal(0.0, 0.3 * style.jitter * h, 2)
        return [(path, pen)], tall / 2
    if char == "'":
        # A tick hanging from the digits' top (anchored there), leaning like
        # the writing: 0.15-0.3 digit heights, some no more than a dab.
        tall = h * rng.uniform(0.15, 0.3)
        lean = tall * (rng.uniform(0.1, 0.45) + 0.5 * style.slant)
        path = np.array([[lean, 0.0], [0.5 * lean, 0.5 * tall], [0.0, tall]])
        path[1] += rng.normal(0.0, 0.2 * style.jitter * h, 2)
        return [(path, pen)], 0.0
    if char in ".,":
        # A dot is a pen touch with a tiny drag: one to two pen widths across.
        dot_pen = pen * rng.uniform(1.0, 1.4)
        drag = pen * rng.uniform(0.1, 0.5)
        a = rng.uniform(0.0, 2 * math.pi)
        dot = np.array([[0.0, 0.0], [drag * math.cos(a), drag * math.sin(a)]])
        strokes = [(dot, dot_pen)]
        anchor = float(dot[:, 1].max()) + dot_pen / 2
        if char == ",":
            # The tail leaves the dot downwards and swings down-left.
            tail = h * rng.uniform(0.15, 0.3)
            lean = rng.uniform(0.45, 0.85) - 0.3 * style.slant
            u = np.array([0.0, 0.4, 0.75, 1.0])
            xs = tail * (0.15 * u - (lean + 0.15) * u**2)
            pts = np.stack([xs, tail * u], axis=1)
            pts[1:] += rng.normal(0.0, 0.3 * style.jitter * h, (3, 2))
            strokes.append((pts, pen))
        return strokes, anchor
    # "-" or "="
    length = h * rng.uniform(0.3, 0.6)
    # Dashes tilt a little, more often rising to the right (y down: < 0).
    angle = math.radians(rng.normal(-2.0, 3.0))
    first = _dash(rng, h, length, angle, style)
    if char == "-":
        return [(first, pen)], 0.0
    # Two dashes; the gap between their inks is 0.12-0.25 digit heights.
    step = h * rng.uniform(0.12, 0.25) + pen
    second = _dash(rng, h, length * rng.uniform(0.85, 1.1), angle + rng.normal(0, 0.02), style)
    second += np.array([rng.normal(0.0, 0.04 * length), step])
    return [(first, pen), (second, pen)], step / 2


def render_mark_anchored(
    char: str,
    digit_height_px: float,
    rng: np.random.Generator,
    style: WriterStyle | None = None,
) -> tuple[np.ndarray, float]:
    """``render_mark`` plus the anchor row in the returned image (see ``mark_strokes``)."""
    if digit_height_px < 8:
        raise ValueError(f"digit_height_px must be at least 8, got {digit_height_px}")
    if style is None:
        style = random_style(rng)
    strokes, anchor = mark_strokes(char, digit_height_px, rng, style)
    allp = np.vstack([p for p, _ in strokes])
    widest = max(w for _, w in strokes)
    lo = allp.min(axis=0)
    pad = int(math.ceil(widest)) + 2
    size = np.ceil(allp.max(axis=0) - lo).astype(int) + 2 * pad
    canvas = np.zeros((int(size[1]), int(size[0])), np.uint8)
    fixed = 1 << _SUBPIXEL_BITS
    for path, width in strokes:
        poly = np.round((path - lo + pad) * fixed).astype(np.int32).reshape(-1, 1, 2)
        thick = max(1, round(width))
        cv2.polylines(canvas, [poly], False, 255, thick, cv2.LINE_AA, _SUBPIXEL_BITS)
    ys, xs = np.nonzero(canvas)
    ink = canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32)
    # A thin pen's dot can come out all grey under anti-aliasing: the pen
    # pressed down, so the darkest pixel is full ink.
    ink *= 255.0 / float(ink.max())
    out = np.zeros((ink.shape[0] + 2, ink.shape[1] + 2), np.uint8)
    out[1:-1, 1:-1] = np.round(ink).astype(np.uint8)
    anchor_row = anchor - lo[1] + pad - ys.min() + 1
    return 255 - out, float(np.clip(anchor_row, 0, out.shape[0]))


def render_mark(
    char: str,
    digit_height_px: float,
    rng: np.random.Generator,
    style: WriterStyle | None = None,
) -> np.ndarray:
    """One handwritten mark among digits ``digit_height_px`` tall.

    ``char`` is ".", ",", "-", "=", "$" (``currency_paths``) or "€" (``euro_paths``). Greyscale uint8, dark ink on white,
    cropped to the ink with a one-pixel margin like ``render_digit``; the pen
    is the writer's (stroke width ``style.stroke_width`` of the digit height).
    A "." is one to two pen widths across; a "," adds a tail of 0.15-0.3
    digit heights running down-left from the dot; a "-" is 0.3-0.6 digit
    heights long and slightly tilted; a "=" is two such dashes with a clear
    gap of 0.12-0.25 digit heights between them.
    """
    return render_mark_anchored(char, digit_height_px, rng, style)[0]
