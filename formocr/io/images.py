"""TIFF, PNG and JPEG through Pillow, frame by frame."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from formocr.config import DropoutMode
from formocr.errors import DocumentError
from formocr.io.discovery import Kind
from formocr.io.limits import _too_large, _too_many
from formocr.io.pdf import _grey
from formocr.io.prefetch import _prefetched
from formocr.types import PageImage

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger("formocr")


# -- TIFF, PNG, JPEG -----------------------------------------------------------


def _iter_raster(
    path: Path,
    kind: Kind,
    max_pages: int | None,
    max_megapixels: float,
    prefetch: int,
    dropout: DropoutMode = "auto",
) -> Iterator[PageImage]:
    img = _open_image(path, kind)
    with img:
        frames = int(getattr(img, "n_frames", 1))
        _too_many(path, frames, max_pages)
        pages = _frames(path, img, kind, frames, max_megapixels, dropout)
        yield from _prefetched(pages, prefetch, None)


def _open_image(path: Path, kind: Kind) -> Image.Image:
    """Open lazily: Pillow reads the header only, so the size guard runs first."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Our own size guard speaks first and says what to do.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except Image.DecompressionBombError as e:
        raise DocumentError(
            f"{path}: image too large ({e}); downscale it (300 dpi is plenty for digits)"
        ) from None
    except UnidentifiedImageError:
        raise DocumentError(
            f"{path}: not a readable {kind.upper()} image (damaged, or another format "
            "despite its extension); re-export or re-scan it"
        ) from None
    except OSError as e:
        raise DocumentError(f"{path}: cannot open the image ({e})") from e


def _frames(
    path: Path,
    img: Image.Image,
    kind: Kind,
    frames: int,
    max_megapixels: float,
    dropout: DropoutMode = "auto",
) -> Iterator[PageImage]:
    for i in range(frames):
        try:
            img.seek(i)
            dpi = _image_dpi(img)
            _too_large(path, i + 1, img.width, img.height, dpi, max_megapixels)
            orient = kind in ("jpeg", "png")
            if dropout != "none" and img.mode in _COLOUR_MODES:
                pixels = _grey(_to_rgb(img, orient), dropout)
            else:
                pixels = _to_grey(img, orient)
        except DocumentError:
            raise
        except (OSError, SyntaxError, ValueError, EOFError) as e:
            raise DocumentError(
                f"{path}: page {i + 1}: damaged or truncated image ({e}); re-export or re-scan it"
            ) from e
        yield PageImage(source=str(path), page=i + 1, image=pixels, dpi=dpi)


def _image_dpi(img: Image.Image) -> float | None:
    dpi = img.info.get("dpi")
    try:
        x = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        return None
    # 0 or 1 means "aspect ratio only"; PNG stores dots per metre (199.9996).
    return round(x, 2) if x > 1 else None


# Pillow modes that may hold colour (a palette may, too).
_COLOUR_MODES = frozenset({"RGB", "RGBA", "RGBX", "RGBa", "CMYK", "YCbCr", "LAB", "HSV", "P", "PA"})


def _to_rgb(img: Image.Image, orient: bool) -> np.ndarray:
    """A colour Pillow frame -> RGB uint8 (h, w, 3), alpha composited on white."""
    from PIL import ImageOps

    img.load()
    if orient and img.getexif().get(0x0112, 1) != 1:
        img = ImageOps.exif_transpose(img)
    if "A" in img.mode or "a" in img.mode or "transparency" in img.info:
        rgba = np.asarray(img.convert("RGBA"), np.float32)
        alpha = rgba[..., 3:] / 255.0
        rgb = rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)
        return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)
    return np.asarray(img if img.mode == "RGB" else img.convert("RGB"), np.uint8)


def _to_grey(img: Image.Image, orient: bool) -> np.ndarray:
    """Any Pillow frame -> greyscale uint8: alpha on white, 16-bit scaled down."""
    from PIL import ImageOps

    if img.format == "JPEG" and img.mode != "L":
        img.draft("L", img.size)  # libjpeg converts while decoding: much faster
    img.load()
    if orient and img.getexif().get(0x0112, 1) != 1:
        img = ImageOps.exif_transpose(img)
    mode = img.mode
    if mode == "L":
        return np.array(img, np.uint8)
    if mode.startswith("I"):  # I;16, I;16B, I (32-bit holding 16-bit samples)
        a = np.asarray(img).astype(np.float64)
        top = 65535.0 if a.max() > 255 or mode.startswith("I;16") else 255.0
        return np.clip(a * (255.0 / top) + 0.5, 0, 255).astype(np.uint8)
    if mode == "F":
        a = np.asarray(img, np.float64)
        top = 1.0 if a.max() <= 1.0 else 255.0
        return np.clip(a * (255.0 / top) + 0.5, 0, 255).astype(np.uint8)
    if "A" in mode or "a" in mode or "transparency" in img.info:
        la = np.asarray(img.convert("RGBA").convert("LA"), np.float32)
        alpha = la[..., 1] / 255.0
        grey = la[..., 0] * alpha + 255.0 * (1.0 - alpha)
        return np.clip(grey + 0.5, 0, 255).astype(np.uint8)
    return np.array(img.convert("L"), np.uint8)
