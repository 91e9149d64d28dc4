"""Printed text for synthetic pages: labels, headers, footers, cheque lines.

Printed words and numbers sit outside the boxes on real forms ("Line 7a",
"Form 1040-B", page numbers) and the OCR must ignore them, so the generator
prints plenty of digits. Fonts are DejaVu when installed; otherwise Pillow's
built-in font, so tests never depend on the machine's fonts.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

_FACES = {
    (False, False): "DejaVuSans.ttf",
    (True, False): "DejaVuSans-Bold.ttf",
    (False, True): "DejaVuSansMono.ttf",
    (True, True): "DejaVuSansMono-Bold.ttf",
}
_DIRS = ("", "/usr/share/fonts/truetype/dejavu/", "/usr/share/fonts/dejavu/")


@lru_cache(maxsize=64)
def font(size_px: int, bold: bool = False, mono: bool = False) -> Font:
    """A font of ``size_px`` pixels (cached: fonts are immutable and slow to load)."""
    size_px = max(6, int(size_px))
    name = _FACES[(bold, mono)]
    for d in _DIRS:
        try:
            return ImageFont.truetype(d + name, size_px)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size_px)
    except TypeError:  # Pillow without FreeType: fixed-size bitmap font
        return ImageFont.load_default()


def pt_to_px(points: float, dpi: float) -> int:
    return max(6, round(points * dpi / 72.0))


def text_size(text: str, f: Font) -> tuple[int, int]:
    """Ink width and height of ``text`` in pixels."""
    x0, y0, x1, y1 = f.getbbox(text)
    return int(x1 - x0), int(y1 - y0)


def stamp(page: np.ndarray, x: int, y: int, text: str, f: Font, grey: int = 20) -> None:
    """Print ``text`` with its ink's top-left corner at (x, y), clipped to the page.

    Drawn on a small image and merged with ``np.minimum`` so the page never
    round-trips through PIL (a full-page conversion costs more than the text).
    """
    x0, y0, x1, y1 = f.getbbox(text)
    w, h = int(x1 - x0) + 2, int(y1 - y0) + 2
    if w <= 2 or h <= 2:
        return
    im = Image.new("L", (w, h), 255)
    ImageDraw.Draw(im).text((-x0 + 1, -y0 + 1), text, font=f, fill=grey)
    tile = np.asarray(im)
    ph, pw = page.shape
    ax, ay = x - 1, y - 1
    cx0, cy0 = max(ax, 0), max(ay, 0)
    cx1, cy1 = min(ax + w, pw), min(ay + h, ph)
    if cx1 <= cx0 or cy1 <= cy0:
        return
    sub = tile[cy0 - ay : cy1 - ay, cx0 - ax : cx1 - ax]
    np.minimum(page[cy0:cy1, cx0:cx1], sub, out=page[cy0:cy1, cx0:cx1])
