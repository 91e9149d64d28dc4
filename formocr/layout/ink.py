"""Pixel-level helpers shared by the page stage (``layout_lines``) and the
box stage (``layout_frame``, ``layout_digits``)."""

from __future__ import annotations

import cv2
import numpy as np

# How far the paper level may dip (grey levels) below its brightest within
# PAPER_REACH_IN (inches), see ``darkness``.
PAPER_DIP = 8
PAPER_REACH_IN = 0.15

Component = tuple[int, int, int, int, np.ndarray]  # x, y, w, h, own pixels (0/1)


def _odd(n: float) -> int:
    k = max(3, int(round(n)))
    return k if k % 2 else k + 1


def darkness(grey: np.ndarray, dpi: float, steady: bool = False) -> np.ndarray:
    """How much darker than the local paper each pixel is (uint8, 0 = paper).

    The paper level is a max filter wide enough to step over lines and pen
    strokes, smoothed: uneven lighting and tinted paper cancel out. A marker
    blob wider than the filter pulls the smoothed level down around it, and
    a faint box line under it can fade out of the line mask. ``steady``
    (for finding lines) lets the level fall at most ``PAPER_DIP`` below the
    brightest level within ``PAPER_REACH_IN``: lighting changes far more
    slowly than that.
    """
    k = _odd(0.04 * dpi)
    # Smooth before the max filter, or the paper level sits on top of the noise.
    paper = cv2.blur(grey, (3, 3))
    paper = cv2.dilate(paper, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    b = _odd(0.15 * dpi)
    paper = cv2.blur(paper, (b, b))
    if not steady:
        return cv2.subtract(paper, grey)
    r = _odd(PAPER_REACH_IN * dpi)
    floor = cv2.dilate(paper, cv2.getStructuringElement(cv2.MORPH_RECT, (r, r)))
    # Saturating at 0 changes nothing: the level is never under 0 anyway.
    # (A scalar subtrahend, which OpenCV's stubs leave out.)
    less = cv2.subtract(floor, PAPER_DIP)  # type: ignore[call-overload]
    paper = cv2.max(paper, less)
    return cv2.subtract(paper, grey)


def components(mask: np.ndarray, min_w: int = 1, min_h: int = 1) -> list[Component]:
    """8-connected components of a 0/nonzero mask: (x, y, w, h, own pixels).

    Outer contours and a fill are several times cheaper than
    ``connectedComponentsWithStats``, whose cost here grows with the image
    and not with the ink. A component's pixel mask is its filled outline
    within the mask, so ink inside its holes comes with it.
    """
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    # On uint8, the 0/1 fill's minimum with the mask is the fill and the mask.
    as_u8 = mask.dtype == np.uint8
    for c in contours:
        x, y, w, h = cv2.boundingRect(c)
        if w < min_w or h < min_h:
            continue
        own = np.zeros((h, w), np.uint8)
        cv2.drawContours(own, [c], -1, 1, thickness=-1, offset=(-x, -y))
        if as_u8:
            cv2.min(own, mask[y : y + h, x : x + w], dst=own)
        else:
            own &= mask[y : y + h, x : x + w] > 0
        out.append((x, y, w, h, own))
    return out


def pen_width(mask: np.ndarray) -> float | None:
    """A stroke's pen width: twice the ink area over the outline's length
    (None where the mask has no outline)."""
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return 2.0 * float(cv2.countNonZero(mask)) / perimeter if perimeter > 0 else None
