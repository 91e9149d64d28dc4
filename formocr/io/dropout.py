"""Colour forms: the printing's colour told apart from the ink.

Forms made for OCR print their boxes and labels in a colour a scanner can
drop (red, green, light blue). Per page, that colour is found from the
saturated pixels (hue bins; one colour must dominate) and two greyscale
images can be made from the page:

- ``page``, the one formocr reads: the channel in which both the printing
  and the ink on the page are dark, stretched so the printing looks like a
  grey form's. Light blue boxes, nearly invisible in plain greyscale
  (luminance about 190), come out as clear as black ones. The box finder
  locates the boxes on it, and whites each frame out of its digits itself.
- ``dropped``, the classic dropout: the channel (or luminance) in which the
  printing is brightest relative to the ink on the page, stretched so the
  printing becomes paper white: red print vanishes in the red channel while
  black and blue ink stay dark there.

formocr reads ``page``, not ``dropped``: without the printed lines, comb
cells are placed from the template alone, which clipped digits on turned
pages, and on 12 generated colour forms with every stroke crossing its frame
the dropped image read no better (267 against 269 of 354 digits through a
template). ``dropped`` is there for callers and for a box analysis that
could take its geometry from ``page`` and its pixels from ``dropped``.

Finding a colour that is not printed does little harm: black printing and
black or blue ink are dark in every channel. ``--dropout none`` reads plain
luminance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import cv2
import numpy as np

from formocr.config import DropoutMode

__all__ = ["DROPOUT_MODES", "Conversion", "detect", "luminance", "to_grey"]

DROPOUT_MODES: tuple[str, ...] = get_args(DropoutMode)

# OpenCV hue is 0-179 (degrees / 2). Light blue dropout inks are sky blue
# (about 195-215 degrees); blue ballpoint ink is deeper (225-245), and is
# not printing: the blue bin stops at 218 degrees.
_HUE_BINS: dict[str, tuple[tuple[int, int], ...]] = {
    "red": ((0, 10), (165, 180)),
    "green": ((35, 85), (0, 0)),
    "blue": ((85, 109), (0, 0)),
}
# Saturated and not dark: printing, not ink or a grey page's noise.
MIN_SATURATION = 60
MIN_VALUE = 110
# A colour is present when this share of the sampled pixels has it (and
# at least _MIN_PIXELS of them; a few boxes in colour are about 0.1%), and,
# for auto, when it holds MIN_PURITY of the pixels of all three colours:
# printing is one colour, while a grey page scanned with its channels out of
# register has fringes of several (purity 0.5-0.6 at 1-2 px; forms: 1.0).
MIN_SHARE = 1e-4
MIN_PURITY = 0.8
_MIN_PIXELS = 150
# The white point never goes below this share of the paper in the chosen
# channel, whatever was taken for printing: it bounds what a mistaken
# dropout can lighten.
_MIN_WHITE = 0.5
# The page read shows the printing at least this dark (a grey form's print).
_PRINT_GREY = 60
# Pixels sampled per page for the statistics (a stride, so lines keep their colour).
_SAMPLES = 1_000_000
_CHANNELS = ("red", "green", "blue")


@dataclass(frozen=True)
class Conversion:
    """A colour page in greyscale: ``page`` to read, ``dropped`` without its printing.

    ``colour`` names the printing's colour, None when none was found (then
    ``page`` is luminance and ``dropped`` None). ``channel`` is the channel
    ``page`` was made from; ``projection`` the channel or "luminance" that
    ``dropped`` was.
    """

    page: np.ndarray
    dropped: np.ndarray | None = None
    colour: str | None = None
    channel: str = "luminance"
    projection: str = "luminance"


def luminance(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma, as Pillow's convert("L")."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def _sample(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    step = max(1, int(np.ceil(np.sqrt(h * w / _SAMPLES))))
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


def _pick(masks: dict[str, np.ndarray], mode: DropoutMode) -> str | None:
    """The colour to drop: the named one, or the one printed (see MIN_PURITY)."""
    counts = {name: int(m.sum()) for name, m in masks.items()}
    best = max(counts, key=lambda k: counts[k]) if mode == "auto" else str(mode)
    n = counts[best]
    size = next(iter(masks.values())).size
    if n < max(_MIN_PIXELS, MIN_SHARE * size):
        return None
    if mode == "auto" and n < MIN_PURITY * sum(counts.values()):
        return None
    return best


def detect(rgb: np.ndarray, min_saturation: int = MIN_SATURATION) -> str | None:
    """The dropout colour printed on an RGB page ("red", "green", "blue"), or None.

    The colour with the most saturated pixels wins, if it has enough. A low
    ``min_saturation`` suits a low-resolution preview, where thin coloured
    lines are mixed with the paper.
    """
    sample = _sample(rgb)
    return _pick(_bin_masks(cv2.cvtColor(sample, cv2.COLOR_RGB2HSV), min_saturation), "auto")


def to_grey(rgb: np.ndarray, mode: DropoutMode = "auto", *, drop: bool = True) -> Conversion:
    """Greyscale page(s) from an RGB one (h, w, 3 uint8), by the printing's colour.

    ``mode``: "auto" finds the colour; "red", "green" or "blue" name it (used
    only if the page has it); "none" is plain luminance. ``drop=False``
    skips the dropped image (the pipeline reads ``page`` only).
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("to_grey takes an RGB uint8 array of shape (h, w, 3)")
    if mode not in DROPOUT_MODES:
        raise ValueError(f"dropout mode must be one of {DROPOUT_MODES}, got {mode!r}")
    if mode == "none":
        return Conversion(luminance(rgb))
    sample = _sample(rgb)
    masks = _bin_masks(cv2.cvtColor(sample, cv2.COLOR_RGB2HSV), MIN_SATURATION)
    colour = _pick(masks, mode)
    if colour is None:
        return Conversion(luminance(rgb))
    printed = masks[colour]
    rgb = np.ascontiguousarray(rgb)
    planes = {name: sample[..., i] for i, name in enumerate(_CHANNELS)}
    planes["luminance"] = luminance(sample)
    paper = _pct(planes["luminance"], 95)
    ink = (planes["luminance"] < 0.6 * paper) & ~printed

    def lighter(name: str) -> float:
        """The lighter of printing and ink in this channel: both should show dark."""
        plane = planes[name]
        return max(_pct(plane[printed], 50), _pct(plane[ink], 75) if ink.any() else 0.0)

    dark = min(_CHANNELS, key=lighter)
    page = _printed_dark(rgb, planes[dark], printed, dark)
    if not drop:
        return Conversion(page, None, colour, dark)
    dropped, projection = _drop(rgb, planes, printed, ink, paper)
    return Conversion(page, dropped, colour, dark, projection)


def _pct(values: np.ndarray, q: float) -> float:
    """Percentile of uint8 values, from their histogram (a sort costs 20x more)."""
    counts = np.cumsum(np.bincount(values.ravel(), minlength=256))
    return float(np.searchsorted(counts, q / 100.0 * counts[-1]))


def _drop(
    rgb: np.ndarray,
    planes: dict[str, np.ndarray],
    printed: np.ndarray,
    ink: np.ndarray,
    paper: float,
) -> tuple[np.ndarray, str]:
    """The printing stretched to paper white in the projection that keeps the ink darkest."""
    best, best_score = "luminance", np.inf
    for name, plane in planes.items():
        level = _pct(plane[printed], 50)
        if level < 0.55 * paper:
            continue  # the printing is dark in this projection: it would stay
        # After the stretch, ink sits at 255 * value / level: the lighter
        # ink (75th percentile) should stay as dark as possible. With no ink
        # on the page, the projection where the printing is brightest.
        score = _pct(plane[ink], 75) / level if ink.any() else -level
        if score < best_score:
            best, best_score = name, score
    # White point: nearly all the printing at or above it, but never far
    # below the paper (which bounds what a mistaken colour can lighten).
    plane = planes[best]
    white = max(1.0, _pct(plane[printed], 15), _MIN_WHITE * _pct(plane, 95))
    lut = np.clip(np.arange(256, dtype=np.float32) * (255.0 / white) + 0.5, 0, 255)
    projected = luminance(rgb) if best == "luminance" else _channel(rgb, best)
    return cv2.LUT(projected, lut.astype(np.uint8)), best


def _channel(rgb: np.ndarray, name: str) -> np.ndarray:
    return cv2.extractChannel(rgb, _CHANNELS.index(name))


def _printed_dark(rgb: np.ndarray, plane: np.ndarray, printed: np.ndarray, name: str) -> np.ndarray:
    """Channel ``name``, stretched so the printing is as dark as a grey form's.

    Light blue printing is still light in its darkest channel (red, about
    150 on paper at 240); the stretch puts it at _PRINT_GREY and the paper
    at white, and ink darker than the printing darker still.
    """
    level, paper = _pct(plane[printed], 50), _pct(plane, 95)
    channel = _channel(rgb, name)
    if level <= _PRINT_GREY or paper - level < 10:
        return channel
    v = np.arange(256, dtype=np.float32)
    lut = 255.0 - (paper - v) * ((255.0 - _PRINT_GREY) / (paper - level))
    return cv2.LUT(channel, np.clip(lut + 0.5, 0, 255).astype(np.uint8))
