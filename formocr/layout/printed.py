"""A currency sign or code printed inside an amount box, before the writing.

UK cheques print "£" inside the amount box at its left, Indian cheques "₹",
others "$", "€", "EUR" or "Rs.": the writer writes the amount after it. The
print is neither handwriting nor a digit, yet both readers read it as
digits (a "£" as a 6, "EUR" as 508): such amounts went to review, or worse.

Print of this kind has a place and a size that handwriting seldom has
together, and a shape it does not have (``printed_lead``):

- **at the box's left**: the print begins within ``NEAR`` of the box's
  height from its inner left edge;
- **small**: up to four pieces (a sign, or the letters of a code) whose ink
  together is at most ``SMALL`` of the written digits' height (a sign
  printed at 10-14 pt in a box written with digits of 6-9 mm); or, where
  the writing is small, a code of at least ``CODE`` capitals ("EUR",
  "GBP") at most ``CODE_TALL`` of it, their tops and feet level to within
  ``EVEN`` of their height (or ``EVEN_PX``), as type sets them and no hand
  writes (a piece ``PAIR`` times as wide as tall is two capitals joined);
- **apart**: the writing begins at least ``APART`` of the digits' height to
  the right of it (``APART_CODE`` after a code), and ``APART_OVER`` times
  as far as any gap between its own pieces;
- **level**: within the band of the first digits after it, give or take
  ``LEVEL`` of their height.

and the shape:

- **one sign** (one or two pieces): its ink, scaled to a square and
  blurred, matches a sign printed in one of several typefaces
  (``signs.npz``, made by ``training.synth.signs`` from the DejaVu faces)
  by a cosine of at least ``MATCH``;
- **a code** of ``CODE`` or more capitals: their tops and feet level as
  type sets them (``_typeset``).

Such ink is left out of both readers, as a printed label outside the box
is. A leading digit taken for print would be lost with it: placement and
size alone took pieces of broken digits for print, the shape test does
not (no MNIST test digit matches a sign; the rule never fired on the
headline's string boxes nor on the cheques without print; BENCHMARKS.md,
thirty-eighth session).

A box on a security background holding such print and nothing else
(``print_alone``) is analysed again without the print's ink setting the
levels of the pattern and of the writing (``layout.digits.analyse_box``):
a black sign beside faint writing had the writing lifted with the pattern.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import cv2
import numpy as np

from formocr.stats import median

__all__ = ["is_printed_sign", "print_alone", "printed_lead", "sign_vector"]

# The print begins within this share of the box's inner height from its left.
NEAR = 0.4
# All of it at most this share of the digits' height tall.
SMALL = 0.7
# The writing begins at least this share of the digits' height after it,
# and APART_OVER times as far as any gap between its pieces; after a code
# (CODE capitals set in type, a shape no hand writes) APART_CODE of it will
# do: a bold amount written close to a black-and-white scan's "EUR", 0.118
# of its height after it, had the code read as digits.
APART = 0.12
APART_CODE = 0.06
APART_OVER = 1.5
# Level with the digits' band, give or take this share of their height.
LEVEL = 0.25
# A sign, or a code of up to three letters and a point ("Rs.", "EUR").
PIECES = 4
# Print alone in a box: at most this share of the box's inner height tall.
ALONE = 0.5
# A code of at least CODE capitals, level to EVEN of their height (and
# EVEN_PX pixels: a black-and-white scan at 200 dpi moves a 25-px letter's
# edges a pixel either way, and an "EUR" came out with feet 2 px apart),
# may be up to CODE_TALL of the digits' height.
CODE = 3
CODE_TALL = 0.9
EVEN = 0.06
EVEN_PX = 2.0
# A piece at least PAIR times as wide as tall is two capitals joined (no
# capital of a currency code is as wide): a black-and-white scan at 200 dpi
# joined an "EU" beside its "R".
PAIR = 1.4
# A short word in type: its later letters LOWER of its first's height (of
# x-height); a piece under POINT of it is a point.
LOWER = (0.45, 0.85)
POINT = 0.3
# The writing's tall ink: at least this share of its tallest piece; the
# print is level with the first NEAREST of it.
TALL = 0.6
NEAREST = 3

# One sign's ink matches a printed sign's by a cosine of at least MATCH
# (``sign_vector``: SIGN_SIZE px square, blurred by SIGN_BLUR px).
MATCH = 0.92
SIGN_SIZE = 32
SIGN_BLUR = 1.5

Box = tuple[int, int, int, int]  # x, y, w, h


def sign_vector(mask: np.ndarray) -> np.ndarray:
    """A sign's ink (uint8 0/1, or a bool mask) as a unit vector: cut to its
    ink, scaled to fit SIGN_SIZE - 6 px, centred in a SIGN_SIZE square,
    blurred, less its mean. Zeros where there is no ink."""
    ys, xs = np.nonzero(mask)
    if not len(ys):
        return np.zeros(SIGN_SIZE * SIGN_SIZE, np.float32)
    ink = np.asarray(mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], np.float32)
    h, w = ink.shape
    f = (SIGN_SIZE - 6) / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    small = cv2.resize(ink, size, interpolation=cv2.INTER_AREA)
    square = np.zeros((SIGN_SIZE, SIGN_SIZE), np.float32)
    y, x = (SIGN_SIZE - small.shape[0]) // 2, (SIGN_SIZE - small.shape[1]) // 2
    square[y : y + small.shape[0], x : x + small.shape[1]] = small
    out = np.asarray(cv2.GaussianBlur(square, (0, 0), SIGN_BLUR), np.float32).ravel()
    out -= out.mean()
    norm = float(np.linalg.norm(out))
    return out / norm if norm > 0 else out


@lru_cache(maxsize=1)
def _signs() -> np.ndarray:
    """The printed signs' vectors, one row each (``signs.npz``)."""
    with resources.files("formocr.layout").joinpath("signs.npz").open("rb") as f:
        return np.asarray(np.load(f)["vectors"], np.float32)


def is_printed_sign(mask: np.ndarray) -> bool:
    """Whether ``mask`` has the shape of a printed currency sign (£, €, $, ₹)
    or short word ("Rs.", "kr", "Fr.")."""
    return float((_signs() @ sign_vector(mask)).max()) >= MATCH


def printed_lead(
    boxes: Sequence[Box], interior: Box, masks: Sequence[np.ndarray] | None = None
) -> int:
    """How many of ``boxes`` (ink in a string box, sorted left to right) are
    print before the writing, by the rules of this module; 0 if none.
    ``interior``: the box's inside, (x, y, w, h) in the same coordinates;
    ``masks``: each box's ink (uint8 0/1), for a sign's shape (without
    them, only a code is found)."""
    if len(boxes) < 2:
        return 0
    ix, _, _, ih = interior
    if boxes[0][0] - ix > NEAR * ih:
        return 0
    for k in range(1, min(PIECES, len(boxes) - 1) + 1):
        lead, rest = boxes[:k], boxes[k:]
        tallest = max(b[3] for b in rest)
        tall = [b for b in rest if b[3] >= TALL * tallest]
        height = median([b[3] for b in tall])
        # Level with the digits nearest it: a line of writing drifts.
        top = median([b[1] for b in tall[:NEAREST]])
        base = median([b[1] + b[3] for b in tall[:NEAREST]])
        if height <= 0:
            return 0
        x1 = max(b[0] + b[2] for b in lead)
        y0 = min(b[1] for b in lead)
        y1 = max(b[1] + b[3] for b in lead)
        if y1 - y0 > max(SMALL, CODE_TALL) * height:
            return 0  # taller with every piece added
        if y1 - y0 > SMALL * height and not _typeset(lead):
            continue
        gap = min(b[0] for b in rest) - x1
        inner = max((b[0] - a[0] - a[2] for a, b in zip(lead, lead[1:], strict=False)), default=0)
        apart = APART_CODE if _typeset(lead) else APART
        if (
            gap >= apart * height
            and gap >= APART_OVER * inner
            and y0 >= top - LEVEL * height
            and y1 <= base + LEVEL * height
            and _shaped(lead, None if masks is None else masks[:k])
        ):
            return k
    return 0


def print_alone(boxes: Sequence[Box], interior: Box, masks: Sequence[np.ndarray]) -> bool:
    """Whether ``boxes`` (all the ink in a string box, left to right) are a
    printed sign or code with nothing after it: beginning within NEAR of
    the box's height from its left, at most ALONE of that height tall, and
    shaped as print (``_shaped``). Faint writing lifted with a security
    pattern leaves a box so (``layout.digits.analyse_box`` looks again)."""
    if not boxes or len(boxes) > PIECES:
        return False
    ix, _, _, ih = interior
    y0 = min(b[1] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return boxes[0][0] - ix <= NEAR * ih and y1 - y0 <= ALONE * ih and _shaped(boxes, masks)


def _shaped(lead: Sequence[Box], masks: Sequence[np.ndarray] | None) -> bool:
    """A code (``_typeset``), or one sign in one or two pieces whose ink has
    a printed sign's shape."""
    if _typeset(lead):
        return True
    if _lettered(lead):
        return True
    if len(lead) >= CODE or masks is None:
        return False
    x0, y0 = min(b[0] for b in lead), min(b[1] for b in lead)
    x1 = max(b[0] + b[2] for b in lead)
    y1 = max(b[1] + b[3] for b in lead)
    ink = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for (x, y, w, h), m in zip(lead, masks, strict=True):
        np.maximum(
            ink[y - y0 : y - y0 + h, x - x0 : x - x0 + w],
            m,
            out=ink[y - y0 : y - y0 + h, x - x0 : x - x0 + w],
        )
    return is_printed_sign(ink)


def _lettered(lead: Sequence[Box]) -> bool:
    """A short word set in type ("Rs.", "kr", "Fr."): two or three pieces on
    one baseline (their feet level to EVEN of the tallest), the first the
    tallest (a capital or an ascender), the next LOWER of it (a letter of
    x-height), a point allowed last."""
    if not 2 <= len(lead) <= 3:
        return False
    first = lead[0][3]
    if any(b[3] > first for b in lead[1:]):
        return False
    letters = [b for b in lead if b[3] >= POINT * first]
    if len(letters) < 2 or letters[0] is not lead[0]:
        return False
    if not all(LOWER[0] * first <= b[3] <= LOWER[1] * first for b in letters[1:]):
        return False
    feet = [b[1] + b[3] for b in lead]
    return max(feet) - min(feet) <= max(EVEN_PX, EVEN * first)


def _typeset(lead: Sequence[Box]) -> bool:
    """At least CODE capitals (a piece PAIR times as wide as tall is two)
    whose tops and feet are level, as type sets them."""
    if sum(1 + (b[2] >= PAIR * b[3]) for b in lead) < CODE:
        return False
    tops = [b[1] for b in lead]
    feet = [b[1] + b[3] for b in lead]
    even = max(EVEN_PX, EVEN * (max(feet) - min(tops)))
    return max(tops) - min(tops) <= even and max(feet) - min(feet) <= even
