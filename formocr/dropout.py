"""Colour dropout: a colour page to greyscale with its coloured printing gone.

Forms made for OCR print their boxes and labels in a colour the scanner can
drop (red, green, light blue), so only the handwriting is left to read. Per
page, the printing's colour is found from its saturated pixels (hue bins),
and the page is projected onto the channel (or luminance) in which that
printing is brightest relative to the ink actually on the page: red print
vanishes in the red channel while black and blue ink stay dark there. The
projection is then stretched so the printing becomes paper white.

The printed boxes are still needed to find the fields, so a dropped page
comes with a second greyscale image, ``structure``: the channel in which the
printing is darkest. Boxes are located on it; digits are read from the
dropped image.

Dropping a colour that is not there does no harm: black printing and black
or blue ink are dark in every channel. What auto dropout can remove is
handwriting in a dropout colour (a red pen), or light blue ink on a form in
light blue; ``--dropout none`` keeps everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import cv2
import numpy as np

from formocr.types import DropoutMode

__all__ = ["DROPOUT_MODES", "Conversion", "detect", "luminance", "to_grey"]

DROPOUT_MODES: tuple[str, ...] = get_args(DropoutMode)

# OpenCV hue is 0-179 (degrees / 2). Light blue dropout inks are sky blue
# (about 195-215 degrees); blue ballpoint ink is deeper (225-245), and must
# be kept: the blue bin stops at 218 degrees.
_HUE_BINS: dict[str, tuple[tuple[int, int], ...]] = {
    "red": ((0, 10), (165, 180)),
    "green": ((35, 85), (0, 0)),
    "blue": ((85, 109), (0, 0)),
}
# Saturated and not dark: printing, not ink or a grey page's noise.
MIN_SATURATION = 60
MIN_VALUE = 110
# A colour is present when this share of the sampled pixels has it (and
# at least _MIN_PIXELS of them; a few boxes in colour are about 0.1%), and
# it makes up MIN_PRINT_SHARE of what is not paper: a grey page scanned with
# colour fringes at its edges does not qualify.
MIN_SHARE = 1e-4
MIN_PRINT_SHARE = 0.05
_MIN_PIXELS = 150
# The structure image shows the printing at least this dark (a grey form's print).
_PRINT_GREY = 60
# Pixels sampled per page for the statistics (a stride, so lines keep their colour).
_SAMPLES = 1_000_000
_CHANNELS = ("red", "green", "blue")
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


@dataclass(frozen=True)
class Conversion:
    """A page in greyscale, as read (``image``) and, after dropout, as printed.

    ``structure`` is None when nothing was dropped (``image`` shows the
    printing); ``colour`` names the dropped colour; ``projection`` the
    channel ("red", "green", "blue") or "luminance" that ``image`` is.
    """

    image: np.ndarray
    structure: np.ndarray | None = None
    colour: str | None = None
    projection: str = "luminance"


def luminance(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma, as Pillow's convert("L")."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def _sample(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    step = max(1, int(np.sqrt(h * w / _SAMPLES)))
    return np.ascontiguousarray(rgb[::step, ::step])


def _bin_masks(hsv: np.ndarray, min_saturation: int) -> dict[str, np.ndarray]:
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    colourful = (sat >= min_saturation) & (val >= MIN_VALUE)
    out = {}
    for name, ranges in _HUE_BINS.items():
        in_bin = np.zeros(hue.shape, bool)
        for lo, hi in ranges:
            if hi > lo:
                in_bin |= (hue >= lo) & (hue < hi)
        out[name] = colourful & in_bin
    return out


def _enough(sample: np.ndarray, printed: np.ndarray) -> bool:
    n = int(printed.sum())
    if n < max(_MIN_PIXELS, MIN_SHARE * printed.size):
        return False
    luma = cv2.cvtColor(sample, cv2.COLOR_RGB2GRAY)
    paper = float(np.percentile(luma, 95))
    marked = int((luma < 0.85 * paper).sum()) + int((printed & (luma >= 0.85 * paper)).sum())
    return n >= MIN_PRINT_SHARE * marked


def detect(rgb: np.ndarray, min_saturation: int = MIN_SATURATION) -> str | None:
    """The dropout colour printed on an RGB page ("red", "green", "blue"), or None.

    The colour with the most saturated pixels wins, if it has enough. A low
    ``min_saturation`` suits a low-resolution preview, where thin coloured
    lines are mixed with the paper.
    """
    sample = _sample(rgb)
    masks = _bin_masks(cv2.cvtColor(sample, cv2.COLOR_RGB2HSV), min_saturation)
    best = max(masks, key=lambda k: int(masks[k].sum()))
    return best if _enough(sample, masks[best]) else None


def to_grey(rgb: np.ndarray, mode: DropoutMode = "auto") -> Conversion:
    """Greyscale page from an RGB one (h, w, 3 uint8), dropping the printing's colour.

    ``mode``: "auto" detects the colour; "red", "green" or "blue" name it
    (dropped only if the page has it); "none" is plain luminance.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("to_grey takes an RGB uint8 array of shape (h, w, 3)")
    if mode not in DROPOUT_MODES:
        raise ValueError(f"dropout mode must be one of {DROPOUT_MODES}, got {mode!r}")
    if mode == "none":
        return Conversion(luminance(rgb))
    sample = _sample(rgb)
    masks = _bin_masks(cv2.cvtColor(sample, cv2.COLOR_RGB2HSV), MIN_SATURATION)
    colour = max(masks, key=lambda k: int(masks[k].sum())) if mode == "auto" else mode
    printed = masks[colour]
    if not _enough(sample, printed):
        return Conversion(luminance(rgb))
    return _drop(rgb, sample, printed, colour)


def _drop(rgb: np.ndarray, sample: np.ndarray, printed: np.ndarray, colour: str) -> Conversion:
    """Project onto the best channel for this page, and stretch the printing to white."""
    px = sample[printed].astype(np.float32)  # (n, 3) printing
    luma = sample.astype(np.float32) @ _LUMA
    paper = float(np.percentile(luma, 95))
    ink = sample[(luma < 0.6 * paper) & ~printed].astype(np.float32)
    if len(ink) > 20_000:
        ink = ink[:: len(ink) // 20_000]
    # Candidate projections: each channel, and luminance.
    weights = {name: np.eye(3, dtype=np.float32)[i] for i, name in enumerate(_CHANNELS)}
    weights["luminance"] = _LUMA
    best, best_score = "luminance", np.inf
    for name, w in weights.items():
        level = float(np.median(px @ w))
        if level < 0.55 * paper:
            continue  # the printing is dark in this projection: it would stay
        # After the stretch, ink sits at 255 * value / level: the lighter
        # ink (75th percentile) should stay as dark as possible. With no ink
        # on the page, the projection where the printing is brightest.
        score = float(np.percentile(ink @ w, 75)) / level if len(ink) else -level
        if score < best_score:
            best, best_score = name, score
    # White point: nearly all the printing at or above it.
    white = max(1.0, float(np.percentile(px @ weights[best], 15)))
    lut = np.clip(np.arange(256, dtype=np.float32) * (255.0 / white) + 0.5, 0, 255)
    projected = luminance(rgb) if best == "luminance" else rgb[..., _CHANNELS.index(best)]
    image = cv2.LUT(np.ascontiguousarray(projected), lut.astype(np.uint8))
    return Conversion(image, _structure(rgb, sample, px), colour, best)


def _structure(rgb: np.ndarray, sample: np.ndarray, px: np.ndarray) -> np.ndarray:
    """The channel where the printing is darkest, stretched to look printed in black.

    Light blue printing is still light in its darkest channel (red, about
    150 on paper at 240); the stretch makes its lines as dark as a grey
    form's, which the box finder expects.
    """
    c = int(np.argmin(np.median(px, axis=0)))
    level = float(np.median(px[:, c]))
    paper = float(np.percentile(sample[..., c], 95))
    channel = np.ascontiguousarray(rgb[..., c])
    if level <= _PRINT_GREY or paper - level < 10:
        return channel
    v = np.arange(256, dtype=np.float32)
    lut = 255.0 - (paper - v) * ((255.0 - _PRINT_GREY) / (paper - level))
    return cv2.LUT(channel, np.clip(lut + 0.5, 0, 255).astype(np.uint8))
