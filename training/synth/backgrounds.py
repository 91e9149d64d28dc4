"""Printed security backgrounds, as under a cheque's amount box.

Cheques are printed over a fine pattern that makes erasure show: interlaced
wavy lines (guilloche), a fine diagonal hatch, a dot screen, or rows of
microtext, in a light tint. Scanned in grey they are a texture of thin, faint
strokes behind and through the handwriting; they are the background that
``formocr.layout.digits.clean_string_ink`` must not take for ink.

``pattern(kind, shape, dpi, rng)`` draws one as a greyscale layer (255 is
paper) that the sheet lays under its print and ink with ``np.minimum``. All
sizes are physical: the same kind looks the same at any dpi.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from training.synth import printed

KINDS = ("guilloche", "hatch", "screen", "microtext")


def _mm(dpi: float, mm: float) -> float:
    return mm * dpi / 25.4


def _pen(dpi: float) -> int:
    """A hairline: 1 px at 300 dpi."""
    return max(1, round(dpi / 300.0))


def _guilloche(layer: np.ndarray, dpi: float, rng: np.random.Generator, grey: int) -> None:
    """Two families of interlaced sine waves across the slip."""
    h, w = layer.shape
    xs = np.arange(0, w + 8, 4, dtype=np.float64)
    for _family in range(2):
        spacing = _mm(dpi, rng.uniform(0.9, 1.8))
        amp = _mm(dpi, rng.uniform(1.0, 4.0))
        period = _mm(dpi, rng.uniform(8.0, 25.0))
        phase = rng.uniform(0, 2 * math.pi)
        shift = rng.uniform(0.3, 1.0) * math.pi  # each line's phase runs on: the weave
        n = int((h + 2 * amp) / spacing) + 2
        lines = []
        for k in range(n):
            y = -amp + k * spacing + amp * np.sin(2 * math.pi * xs / period + phase + k * shift)
            lines.append(np.stack([xs, y], axis=1).round().astype(np.int32))
        cv2.polylines(layer, lines, False, int(grey), _pen(dpi), cv2.LINE_AA)


def _hatch(layer: np.ndarray, dpi: float, rng: np.random.Generator, grey: int) -> None:
    """Fine straight lines at an angle, one direction or crossed."""
    h, w = layer.shape
    spacing = _mm(dpi, rng.uniform(0.6, 1.3))
    angles = [rng.uniform(25, 65) * rng.choice([-1, 1])]
    if rng.random() < 0.5:
        angles.append(-angles[0])
    for a in angles:
        t = math.tan(math.radians(a))
        reach = abs(t) * h
        x = -reach
        while x < w + reach:
            cv2.line(layer, (int(x), 0), (int(x - t * h), h), int(grey), _pen(dpi), cv2.LINE_AA)
            x += spacing


def _screen(layer: np.ndarray, dpi: float, rng: np.random.Generator, grey: int) -> None:
    """A dot screen whose dots swell and shrink in broad waves."""
    h, w = layer.shape
    pitch = _mm(dpi, rng.uniform(0.35, 0.7))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    period = _mm(dpi, rng.uniform(10.0, 30.0))
    phase = rng.uniform(0, 2 * math.pi)
    wave = 0.5 + 0.5 * np.sin(2 * math.pi * (xs + 0.6 * ys) / period + phase)
    radius = pitch * (0.18 + 0.22 * wave)
    dx = np.mod(xs, pitch) - pitch / 2
    dy = np.mod(ys, pitch) - pitch / 2
    dot = np.sqrt(dx * dx + dy * dy) < radius
    layer[dot] = np.minimum(layer[dot], grey)


def _microtext(layer: np.ndarray, dpi: float, rng: np.random.Generator, grey: int) -> None:
    """Rows of tiny repeated text, as printed along a cheque's lines and boxes."""
    h, w = layer.shape
    words = ("SECURITY PAPER ", "ORIGINAL DOCUMENT ", "NORTHBRIDGE BANK ")
    word = words[int(rng.integers(len(words)))]
    pt = float(rng.uniform(3.0, 4.5))
    font = printed.font(printed.pt_to_px(pt, dpi))
    tw, th = printed.text_size(word * 4, font)
    row = th + _mm(dpi, rng.uniform(0.3, 0.8))
    y, k = 0.0, 0
    while y < h:
        x = -int(rng.uniform(0, tw / 4)) if k % 2 else 0
        while x < w:
            printed.stamp(layer, x, int(y), word * 4, font, grey)
            x += tw
        y += row
        k += 1


_DRAW = {"guilloche": _guilloche, "hatch": _hatch, "screen": _screen, "microtext": _microtext}


def pattern(
    kind: str,
    shape: tuple[int, int],
    dpi: float,
    rng: np.random.Generator,
    grey: tuple[int, int] = (150, 215),
) -> np.ndarray:
    """A security background of ``kind`` (one of KINDS), 255 = paper.

    ``grey`` bounds the pattern's darkness: pastel tints scan to about
    180-230, darker prints to 150. The writing is darker than any of them.
    """
    if kind not in _DRAW:
        raise ValueError(f"background kind must be one of {KINDS}, got {kind!r}")
    if not 0 <= grey[0] <= grey[1] <= 255:
        raise ValueError(f"grey must be 0 <= lo <= hi <= 255, got {grey}")
    layer = np.full(shape, 255, np.uint8)
    _DRAW[kind](layer, dpi, rng, int(rng.integers(grey[0], grey[1] + 1)))
    return layer
