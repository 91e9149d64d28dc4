"""Handwritten separators for amounts: ".", ",", "-" and "=".

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

MARKS = ".,-="
"""The separators ``render_mark`` draws."""

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


def mark_strokes(
    char: str, digit_height_px: float, rng: np.random.Generator, style: WriterStyle
) -> tuple[list[tuple[np.ndarray, float]], float]:
    """The pen paths of one mark, and the y its placement refers to.

    Returns ([(path (n, 2) px, pen width px), ...], anchor_y): the anchor is
    the row that sits on the digits' baseline for "." and "," (the bottom of
    the dot) or at the chosen mid-height for "-" and "=" (the middle).
    """
    if len(char) != 1 or char not in MARKS:
        raise ValueError(f"mark must be one of {MARKS!r}, got {char!r}")
    h = float(digit_height_px)
    pen = max(1.0, style.stroke_width * h * rng.uniform(0.85, 1.15))
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
    """One handwritten separator among digits ``digit_height_px`` tall.

    ``char`` is ".", ",", "-" or "=". Greyscale uint8, dark ink on white,
    cropped to the ink with a one-pixel margin like ``render_digit``; the pen
    is the writer's (stroke width ``style.stroke_width`` of the digit height).
    A "." is one to two pen widths across; a "," adds a tail of 0.15-0.3
    digit heights running down-left from the dot; a "-" is 0.3-0.6 digit
    heights long and slightly tilted; a "=" is two such dashes with a clear
    gap of 0.12-0.25 digit heights between them.
    """
    return render_mark_anchored(char, digit_height_px, rng, style)[0]
