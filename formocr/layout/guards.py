"""Guards written on both sides of an amount, told from digits by their shape.

Many people guard a cheque's amount so that nothing can be written beside
it later: ``#1,250.00#``. The digit models have no class for a ``#``; both
string readers read one as a digit (a 4, an 8, a 1 and a 4), and where they
agreed on the wrong digits the field came back ``ok`` (``bench/cheques.py
--guard '#'``: 1 of 1 `ok` field wrong, 4 of 4 cut out; BENCHMARKS.md,
thirty-seventh session). A ``#`` is two bars, one beside the other, and two
rungs across them, and its rows say so where no digit's do:

- **the bars' stubs**: above its top rung and below its bottom one, rows
  of exactly two runs of ink, GUARD_STUB of its height or more one after
  the other (a 4's, 6's, 7's and 9's foot is one stroke);
- **rungs across its middle**: rows of one run across GUARD_RUNG of its
  width, the first and last of them within GUARD_FIRST and GUARD_LAST of
  its height and GUARD_APART apart, with the bars (or, where a broad pen
  filled the middle in, more rung) between (no 0 or 8 has a stroke right
  across its middle; a 2's loop and foot lie low; a 4 written open, like
  an H, has no stubs below its crossbar);
- at most GUARD_OTHER of its rows anything else (a digit's curves).

Measured on the 10,000 MNIST test digits at 40, 84 and 120 px (none taken
for a guard) and on 500 ``#`` drawn by the project's marks (``training.synth
.marks.hash_paths``; 474 found).

Others write stars, ``*1250*`` (or an x, or a +): ``is_star`` tells one
smaller than the digits, with no paper enclosed and mostly paper between
its strokes, which cross at its middle and run straight out of it, each
with another going the opposite way (four arms or more). The string
reader read a star as a digit (an 8, a 4) where the lattice's verifier
left it out, and a starred amount went to review. MNIST test digits drawn
at half the digits' height (as raised cents are) pass for stars 21-40
times in 10,000 (mostly 4s); 493 of 500 generated stars are found.

The marks measured are the project's own drawings: how often a real
writer's ``#`` or star is found is not measured.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

__all__ = ["is_guard", "is_star"]

# A guard: this share of the digits' height, and no wider than GUARD_WIDE x tall.
GUARD_TALL = (0.45, 1.3)
GUARD_WIDE = (0.35, 1.2)
# A rung: one run of ink across at least this share of the guard's width.
GUARD_RUNG = 0.6
# Above the top rung and below the bottom one, both bars stick out: at least
# this share of its height in rows of exactly two runs, one after the other.
GUARD_STUB = 0.08
# The top rung's first row, and the bottom rung's last, lie within these
# shares of its height, at least GUARD_APART of it apart.
GUARD_FIRST = (0.15, 0.55)
GUARD_LAST = (0.45, 0.85)
GUARD_APART = 0.2
# At most this share of its rows are neither a rung nor the two bars.
GUARD_OTHER = 0.3
# Each row as a letter: "r" a rung, "2" two runs (the bars), "x" anything else.
# From the top: the bars' stubs, a rung, the rows between the rungs (the bars,
# or where a broad pen filled the middle, neither, or rungs all the way: the
# middle filled in), a rung, the bars' stubs.
_SHAPE = "[^r]*2{{{k},}}[^r]*r+(?:[^r]+r+)*[^r]*2{{{k},}}[^r]*"


def _sized(
    mask: np.ndarray, band: float, tall: tuple[float, float], wide: tuple[float, float]
) -> bool:
    """Whether a blob is ``tall`` (shares of the digits' ``band``) and
    ``wide`` (times its own height)."""
    h, w = mask.shape
    band = max(1.0, band)
    return tall[0] * band <= h <= tall[1] * band and wide[0] * h <= w <= wide[1] * h


def _runs(mask: np.ndarray) -> np.ndarray:
    """Runs of ink in each row of a boolean mask."""
    starts = mask[:, 1:] > mask[:, :-1]
    return np.asarray(starts.sum(axis=1) + mask[:, 0])


def is_guard(mask: np.ndarray, top: float, base: float) -> bool:
    """Is this blob (uint8 0/1 ``mask``) a ``#`` written to guard an amount,
    among digits whose band runs from row ``top`` to ``base``?"""
    if not _sized(mask, base - top, GUARD_TALL, GUARD_WIDE):
        return False
    h, w = mask.shape
    ink = mask > 0
    # A pixel's gap in a stroke (a faint pen) does not part it in two.
    ink[:, 1:-1] |= ink[:, :-2] & ink[:, 2:]
    runs = _runs(ink)
    across = w - ink[:, ::-1].argmax(axis=1) - ink.argmax(axis=1)  # first to last ink
    rung = (runs == 1) & (across >= GUARD_RUNG * w)
    if not rung.any():
        return False
    letters = np.where(rung, ord("r"), np.where(runs == 2, ord("2"), ord("x")))
    rows = letters.astype(np.uint8).tobytes().decode()
    if rows.count("x") > GUARD_OTHER * h:
        return False  # a digit's curves and slants
    k = max(2, int(round(GUARD_STUB * h)))
    if re.fullmatch(_SHAPE.format(k=k), rows) is None:
        return False
    # The rungs across its middle, apart (a 2's loop and foot lie low).
    ys = np.flatnonzero(rung)
    first, last = ys[0] / h, ys[-1] / h
    return bool(
        GUARD_FIRST[0] <= first <= GUARD_FIRST[1]
        and GUARD_LAST[0] <= last <= GUARD_LAST[1]
        and last - first >= GUARD_APART
    )


# A star: this share of the digits' height (written smaller than they are),
# and between STAR_WIDE x its height wide.
STAR_TALL = (0.2, 0.8)
STAR_WIDE = (0.5, 2.0)
# First in a string, as tall as LEAD_TALL, and a + (PLUS_CORNER): a + before
# a phone number ("+44 ...") stood 0.80-0.90 of the digits and was read as a
# 4 by both readers, `ok`. Not at the end, and not an x or a star: a European
# 7 crossed and an open 4 written with a broad pen pass the shape test at
# 0.95 of the band (2 right `ok` strings of the headline's 1,211 went to
# review with LEAD_TALL at both ends, and a cheque's amount cut two ways and
# a form's field of 1,013 with it first; BENCHMARKS.md, fortieth session).
LEAD_TALL = (0.2, 1.0)
# A +: no more than PLUS_CORNER of each corner of its box (PLUS_CELL of its
# width and height) is ink, and four arms, each within PLUS_OPPOSITE degrees
# of straight across from another: two straight strokes. The + drawn by
# the generator's writers (30 styles) and a script face's are within 7.5;
# an open 4 written with a broad pen like a + with a slanted top, and a
# crossed 7, 11 and 15 (ad hoc /tmp/s40/arms.py).
PLUS_CELL = 0.3
PLUS_CORNER = 0.05
PLUS_OPPOSITE = 9.0
# Its arms are where a ring round its middle, STAR_RING of the way to its
# edge, crosses ink; each runs straight from the middle (ink, give or take
# a pixel, at STAR_ALONG of the way out) and has another within STAR_OPPOSITE
# degrees of the opposite way.
STAR_RING = 0.85
STAR_ALONG = (0.2, 0.4, 0.6)
STAR_OPPOSITE = 25.0
STAR_ARMS = 4
# Strokes cross at its middle: ink within STAR_MIDDLE of its size of it.
STAR_MIDDLE = 0.12
# Paper it encloses, at least this share of its box, is a loop: no star;
# nor is ink over more than STAR_FILL of its box (strokes, mostly paper
# between them: a small digit's loops filled in by a broad pen are a blob).
STAR_HOLE = 0.02
STAR_FILL = 0.6
_ANGLES = np.linspace(0.0, 2.0 * np.pi, 96, endpoint=False)


def _plus(ink: np.ndarray) -> bool:
    """Whether the corners of a blob's box (0/1 ``ink``) are paper, as a +'s are."""
    h, w = ink.shape
    ch, cw = max(1, int(round(PLUS_CELL * h))), max(1, int(round(PLUS_CELL * w)))
    corners = (ink[:ch, :cw], ink[:ch, w - cw :], ink[h - ch :, :cw], ink[h - ch :, w - cw :])
    return all(c.mean() <= PLUS_CORNER for c in corners)


def is_star(
    mask: np.ndarray, top: float, base: float, tall: tuple[float, float] = STAR_TALL
) -> bool:
    """Is this blob (uint8 0/1 ``mask``) a star (or an x, or a +) written
    to guard an amount, among digits whose band runs from ``top`` to ``base``,
    ``tall`` (shares of that band: STAR_TALL, or LEAD_TALL first in a string)?"""
    if not _sized(mask, base - top, tall, STAR_WIDE):
        return False
    h, w = mask.shape
    ink = np.ascontiguousarray(mask > 0, np.uint8)
    if ink.mean() > STAR_FILL:
        return False
    plus = not _sized(mask, base - top, STAR_TALL, STAR_WIDE)  # taller: only a + may be
    if plus and not _plus(ink):
        return False
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    r = max(1, int(round(STAR_MIDDLE * min(h, w))))
    if not ink[int(cy) - r : int(cy) + r + 1, int(cx) - r : int(cx) + r + 1].any():
        return False
    contours, tree = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if tree is not None and any(
        up[3] >= 0 and cv2.contourArea(c) >= STAR_HOLE * h * w
        for c, up in zip(contours, tree[0], strict=True)
    ):
        return False
    ry, rx = STAR_RING * h / 2.0, STAR_RING * w / 2.0
    ys = np.clip(np.round(cy + ry * np.sin(_ANGLES)).astype(int), 0, h - 1)
    xs = np.clip(np.round(cx + rx * np.cos(_ANGLES)).astype(int), 0, w - 1)
    ring = ink[ys, xs] > 0
    if ring.all() or not ring.any():
        return False
    k = int(np.argmin(ring))  # start on paper
    edges = np.diff(np.concatenate([[0], np.roll(ring, -k).astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if len(starts) < STAR_ARMS or (plus and len(starts) != STAR_ARMS):
        return False
    n = len(_ANGLES)
    arms = [
        float(_ANGLES[int(round((a + b - 1) / 2.0 + k)) % n])
        for a, b in zip(starts, ends, strict=True)
    ]
    near = cv2.dilate(ink, np.ones((3, 3), np.uint8)) > 0
    for t in arms:
        for f in STAR_ALONG:
            y = min(max(int(round(cy + f * ry * np.sin(t))), 0), h - 1)
            x = min(max(int(round(cx + f * rx * np.cos(t))), 0), w - 1)
            if not near[y, x]:
                return False  # a curve (a 3's, a 5's) leaves the ray
    tol = np.deg2rad(PLUS_OPPOSITE if plus else STAR_OPPOSITE)
    return all(
        any(abs((t + np.pi - u + np.pi) % (2 * np.pi) - np.pi) <= tol for u in arms) for t in arms
    )
