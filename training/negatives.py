"""Crops that are not a digit: the 11th class ("not a digit", index 10).

A string reader that decides its own cuts asks the classifier about pieces of
digits, pairs of digits, separators and background; the classifier must be
able to say "none of 0-9". Every negative here is made from real digits
(the caller passes training writers' digits only) or drawn: pieces of a
digit (a half or a third, one stroke), two digits touching or overlapping,
three quarters of one digit with half of the next, separators (. , - = /),
currency-like marks, background patterns, stray strokes, box-frame
fragments and near-blank noise. All are uint8 crops, dark ink on light
paper, like the runtime's.

Negatives that normalise to a tall thin bar are redrawn: after
``formocr.read.normalize`` such a piece is a 1, and teaching the model that
a 1 is not a digit would cost real 1s. For the same reason frame fragments
are corners, junctions and horizontal bars, never a lone vertical bar.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from training.augment import UP, draw_skeleton, ink_box, pen_width, skeleton

NOT_DIGIT = 10

Maker = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def _big(img: np.ndarray) -> np.ndarray:
    return cv2.resize(img, None, fx=UP, fy=UP, interpolation=cv2.INTER_LINEAR)


def _pick(pool: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return _big(pool[int(rng.integers(len(pool)))])


def _tight(img: np.ndarray, margin: int = 2) -> np.ndarray:
    box = ink_box(img)
    if box is None:
        return img
    x0, y0, x1, y1 = box
    h, w = img.shape
    return img[max(0, y0 - margin) : y1 + margin, max(0, x0 - margin) : x1 + margin]


def piece(pool: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A left, right, top or bottom part (a third to a half) of a digit."""
    img = _pick(pool, rng)
    box = ink_box(img)
    if box is None:
        return img
    x0, y0, x1, y1 = box
    f = rng.uniform(0.3, 0.55)
    side = int(rng.integers(4))
    out = np.full_like(img, 255)
    if side == 0:
        c = int(x0 + f * (x1 - x0))
        out[:, :c] = img[:, :c]
    elif side == 1:
        c = int(x1 - f * (x1 - x0))
        out[:, c:] = img[:, c:]
    elif side == 2:
        c = int(y0 + f * (y1 - y0))
        out[:c] = img[:c]
    else:
        c = int(y1 - f * (y1 - y0))
        out[c:] = img[c:]
    return _tight(out)


def stroke(pool: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One stroke of a digit: a branch of its skeleton between junctions."""
    img = _pick(pool, rng)
    skel = skeleton(img)
    if not skel.any():
        return img
    k = np.ones((3, 3), np.uint8)
    neighbours = cv2.filter2D(skel.astype(np.uint8), -1, k, borderType=cv2.BORDER_CONSTANT) - 1
    junction = cv2.dilate((skel & (neighbours > 2)).astype(np.uint8), k).astype(bool)
    n, labels, stats, _ = cv2.connectedComponentsWithStats((skel & ~junction).astype(np.uint8))
    if n <= 2:
        return piece(pool, rng)  # one stroke only: the digit itself
    big = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= 0.15 * skel.sum()]
    if not big:
        return piece(pool, rng)
    branch = labels == big[int(rng.integers(len(big)))]
    return _tight(draw_skeleton(branch, pen_width(img), img.shape))


def _pair_canvas(pool: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, int, int]:
    """Two digits side by side, touching or overlapping; (canvas, a_x1, b_x0)."""
    a, b = _tight(_pick(pool, rng), 0), _tight(_pick(pool, rng), 0)
    h = max(a.shape[0], b.shape[0]) + 2 * UP
    overlap = int(rng.uniform(-0.05, 0.45) * min(a.shape[1], b.shape[1]))
    bx = a.shape[1] - overlap
    w = max(bx + b.shape[1], a.shape[1])
    canvas = np.full((h, w), 255, np.uint8)
    ya = (h - a.shape[0]) // 2 + int(rng.integers(-UP, UP + 1))
    yb = (h - b.shape[0]) // 2 + int(rng.integers(-UP, UP + 1))
    ya, yb = min(max(ya, 0), h - a.shape[0]), min(max(yb, 0), h - b.shape[0])
    canvas[ya : ya + a.shape[0], : a.shape[1]] = a
    region = canvas[yb : yb + b.shape[0], bx : bx + b.shape[1]]
    np.minimum(region, b, out=region)
    return canvas, a.shape[1], bx


def pair(pool: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two digits touching or overlapping in one crop."""
    return _tight(_pair_canvas(pool, rng)[0])


def pair_part(pool: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Three quarters of one digit and half of the next (a cut in the wrong place)."""
    canvas, a_x1, bx = _pair_canvas(pool, rng)
    b_w = canvas.shape[1] - bx
    x0 = int(rng.uniform(0.15, 0.4) * a_x1)
    x1 = bx + int(rng.uniform(0.45, 0.65) * b_w)
    return _tight(canvas[:, x0:x1])


def separator(pool: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A handwritten . , - = or / at a digit's scale."""
    from training.synth.marks import render_mark

    h = float(rng.uniform(20, 60))
    char = ".,-=/"[int(rng.integers(5))]
    if char != "/":
        return render_mark(char, h, rng)
    # A slash leans well past any slanted 1 (35-60 degrees off vertical).
    ang = np.deg2rad(rng.uniform(35, 60))
    length = h * rng.uniform(0.7, 1.1)
    dx, dy = length * np.sin(ang), length * np.cos(ang)
    size = (int(dy) + 12, int(dx) + 12)
    img = np.full(size, 255, np.uint8)
    t = max(1, int(h * rng.uniform(0.05, 0.12)))
    cv2.line(img, (6, int(dy) + 6), (int(dx) + 6, 6), 0, t, cv2.LINE_AA)
    return img


CURRENCY = "$#*+%&@"


def currency(pool: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A currency sign or another mark people write beside amounts."""
    img = np.full((80, 80), 255, np.uint8)
    t = int(rng.integers(2, 6))
    if rng.random() < 0.2:  # a euro sign: a C crossed by two bars
        cv2.ellipse(img, (44, 40), (22, 26), 0, 40, 320, 0, t, cv2.LINE_AA)
        for y in (34, 46):
            cv2.line(img, (12, y), (46, y), 0, t, cv2.LINE_AA)
    else:
        font = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX)[int(rng.integers(2))]
        ch = CURRENCY[int(rng.integers(len(CURRENCY)))]
        cv2.putText(img, ch, (14, 62), font, 1.8, 0, t, cv2.LINE_AA)
    return _tight(img)


def background(pool: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A patch of printed background: guilloche waves, hatching or dots."""
    h, w = int(rng.integers(40, 90)), int(rng.integers(30, 90))
    img = np.full((h, w), 255, np.uint8)
    level = int(rng.uniform(60, 180))
    kind = int(rng.integers(3))
    step = int(rng.integers(4, 10))
    if kind == 0:
        xs = np.arange(w)
        amp, per, ph = rng.uniform(2, 8), rng.uniform(10, 40), rng.uniform(0, 6.3)
        for y in range(-10, h + 10, step):
            ys = y + amp * np.sin(xs / per * 2 * np.pi + ph + y * 0.2)
            pts = np.stack([xs, ys], 1).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(img, [pts], False, level, 1, cv2.LINE_AA)
    elif kind == 1:
        for x in range(-h, w + h, step):
            cv2.line(img, (x, 0), (x + h, h), level, 1, cv2.LINE_AA)
    else:
        for y in range(step // 2, h, step):
            for x in range(step // 2, w, step):
                cv2.circle(img, (x, y), 1, level, -1)
    return img


def stray(pool: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A stray stroke: a short curve or tick, not a digit's shape."""
    img = np.full((70, 70), 255, np.uint8)
    p = rng.uniform(10, 60, (3, 2))
    ts = np.linspace(0, 1, 20)[:, None]
    curve = (1 - ts) ** 2 * p[0] + 2 * (1 - ts) * ts * p[1] + ts**2 * p[2]
    cv2.polylines(
        img,
        [curve.astype(np.int32).reshape(-1, 1, 2)],
        False,
        0,
        int(rng.integers(2, 6)),
        cv2.LINE_AA,
    )
    return _tight(img)


def frame(pool: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A fragment of a box's frame: a corner, a junction or a horizontal bar."""
    h, w = int(rng.integers(30, 70)), int(rng.integers(30, 70))
    img = np.full((h, w), 255, np.uint8)
    t = int(rng.integers(2, 6))
    kind = int(rng.integers(3))
    x = int(rng.uniform(0.1, 0.5) * w)
    y = int(rng.uniform(0.5, 0.9) * h)
    if kind == 0:  # an L corner
        cv2.line(img, (x, 0), (x, y), 0, t)
        cv2.line(img, (x, y), (w - 1, y), 0, t)
    elif kind == 1:  # a T: a divider rising from the bottom line
        cv2.line(img, (0, y), (w - 1, y), 0, t)
        cv2.line(img, (w // 2, int(rng.uniform(0.1, 0.6) * y)), (w // 2, y), 0, t)
    else:  # a bar with a bit of the crossing divider
        cv2.line(img, (0, y), (w - 1, y), 0, t)
        cv2.line(img, (x, y - int(rng.uniform(0.1, 0.3) * h)), (x, y), 0, t)
    return img


def noise(pool: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Near-blank paper with specks and grain."""
    h, w = int(rng.integers(24, 80)), int(rng.integers(24, 80))
    img = np.clip(rng.normal(235, rng.uniform(3, 15), (h, w)), 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(1, 8))):
        c = (int(rng.integers(w)), int(rng.integers(h)))
        cv2.circle(img, c, int(rng.integers(1, 4)), int(rng.uniform(0, 120)), -1)
    return img


KINDS: dict[str, tuple[float, Maker]] = {
    "piece": (0.22, piece),
    "stroke": (0.10, stroke),
    "pair": (0.15, pair),
    "pair_part": (0.15, pair_part),
    "separator": (0.10, separator),
    "currency": (0.06, currency),
    "background": (0.06, background),
    "stray": (0.06, stray),
    "frame": (0.06, frame),
    "noise": (0.04, noise),
}


def looks_like_a_one(crop: np.ndarray) -> bool:
    """True when the crop's ink is a tall thin bar: normalised, that is a 1."""
    box = ink_box(crop)
    if box is None:
        return False
    x0, y0, x1, y1 = box
    return (y1 - y0) > 2.5 * (x1 - x0)


def make_negative(
    pool: np.ndarray, rng: np.random.Generator, kind: str | None = None
) -> tuple[np.ndarray, str]:
    """(crop, kind): one "not a digit" crop made from ``pool``'s digits."""
    names = list(KINDS)
    weights = np.array([KINDS[k][0] for k in names])
    for _ in range(10):
        k = kind or names[int(rng.choice(len(names), p=weights / weights.sum()))]
        crop = KINDS[k][1](pool, rng)
        if crop.size and not looks_like_a_one(crop):
            return np.ascontiguousarray(crop), k
    return noise(pool, rng), "noise"


def negative_set(pool: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """``n`` negatives (object array of crops) and their kinds, reproducibly."""
    rng = np.random.default_rng((seed, 0x0D161))
    crops = np.empty(n, object)
    kinds = []
    for i in range(n):
        crops[i], k = make_negative(pool, rng)
        kinds.append(k)
    return crops, kinds
