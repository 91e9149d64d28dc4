"""TIFF, PNG and JPEG through Pillow, frame by frame."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import struct
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from formocr.config import DropoutMode
from formocr.errors import DocumentError
from formocr.io.discovery import Kind
from formocr.io.limits import PageTimeout, _too_large, _too_many, page_deadline
from formocr.io.pdf import _grey, failed_page
from formocr.stats import bilevel
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
    page_errors: bool = False,
    page_timeout: float | None = None,
    only: int | None = None,
) -> Iterator[PageImage]:
    """Frames decoded in the caller's thread (``prefetch`` is not used here);
    with ``only``, that page alone (a worker reading one page of a document).

    So the decoders' stderr can be captured without catching another
    thread's output, and the page timeout (a SIGALRM timer) applies.
    """
    img = _open_image(path, kind)
    with img:
        frames = _count_frames(path, img, kind)
        _too_many(path, frames, max_pages)
        for page in _frames(path, img, kind, frames, max_megapixels, dropout, page_timeout, only):
            if page.error is not None and not page_errors:
                raise DocumentError(page.error)
            if page.error is not None:
                log.warning("%s", page.error)
            yield page


def _count_frames(path: Path, img: Image.Image, kind: Kind) -> int:
    """The number of frames (pages); a DocumentError when they cannot be listed."""
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            frames = int(getattr(img, "n_frames", 1))
        for note in _complaints(said, []):
            log.warning("%s: %s", path, note)
    except Exception as e:  # noqa: BLE001 (any decoder failure on the frame list)
        raise DocumentError(
            f"{path}: damaged {kind.upper()} file, its pages cannot be listed ({e}); "
            "re-export or re-scan it"
        ) from None
    return frames


def raster_pages(path: Path, kind: Kind, max_pages: int | None = None) -> int:
    """The page count of a TIFF, PNG or JPEG (its headers), checked against ``max_pages``."""
    with _open_image(path, kind) as img:
        frames = _count_frames(path, img, kind)
    _too_many(path, frames, max_pages)
    return frames


def _open_image(path: Path, kind: Kind) -> Image.Image:
    """Open lazily: Pillow reads the header only, so the size guard runs first."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings(record=True) as said, _decoder_stderr() as printed:
            warnings.simplefilter("always")
            # Our own size guard speaks first and says what to do.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
    except Image.DecompressionBombError as e:
        raise DocumentError(
            f"{path}: image too large ({e}); downscale it (300 dpi is plenty for digits)"
        ) from None
    except UnidentifiedImageError:
        raise DocumentError(
            f"{path}: not a readable {kind.upper()} image (damaged, or another format "
            "despite its extension); re-export or re-scan it"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError,
            KeyError, TypeError, ZeroDivisionError, MemoryError) as e:  # fmt: skip
        # Pillow's header parsers raise many things on hostile bytes.
        raise DocumentError(
            f"{path}: damaged {kind.upper()} header ({type(e).__name__}: {e}); "
            "re-export or re-scan it"
        ) from None
    for note in _complaints(said, printed):
        log.warning("%s: %s", path, note)
    return img


def _frames(
    path: Path,
    img: Image.Image,
    kind: Kind,
    frames: int,
    max_megapixels: float,
    dropout: DropoutMode = "auto",
    page_timeout: float | None = None,
    only: int | None = None,
) -> Iterator[PageImage]:
    """Every frame (or page ``only``): a page, or a failed page with the reason
    (the next frames still read)."""
    for i in range(frames) if only is None else range(only - 1, min(only, frames)):
        dpi: float | None = None
        shape = (1, 1)
        error: str | None = None
        try:
            with (
                page_deadline(page_timeout),
                warnings.catch_warnings(record=True) as said,
                _decoder_stderr() as printed,
            ):
                warnings.simplefilter("always")
                img.seek(i)
                dpi = _image_dpi(img)
                shape = (max(1, img.height), max(1, img.width))
                orient = kind in ("jpeg", "png")
                square = _square_scale(img, orient)
                w, h = round(img.width * square[0]), round(img.height * square[1])
                _too_large(path, i + 1, w, h, dpi, max_megapixels)
                if dropout != "none" and img.mode in _COLOUR_MODES:
                    pixels = _grey(_to_rgb(img, orient), dropout)
                else:
                    pixels = _to_grey(img, orient)
                if square != (1.0, 1.0):
                    pixels, dpi = _squared(pixels, square), _image_dpi(img, square=True)
                    shape = pixels.shape
                if kind == "jpeg":
                    _check_jpeg(path)
            complaints = _complaints(said, printed)
            if complaints:
                error = f"damaged image: {'; '.join(complaints[:2])}"
        except DocumentError:
            raise
        except PageTimeout:
            error = f"decoding took more than {page_timeout:g} s (--page-timeout); stopped"
        except MemoryError:
            raise
        except Exception as e:  # noqa: BLE001 (decoders raise many things on damaged data)
            error = f"damaged or truncated image ({type(e).__name__}: {e})"
        if error is not None:
            msg = f"{path}: page {i + 1}: {error}; re-export or re-scan it"
            yield failed_page(str(path), i + 1, shape, dpi, msg)
            continue
        yield PageImage(source=str(path), page=i + 1, image=pixels, dpi=dpi)


def _check_jpeg(path: Path) -> None:
    """Decode the JPEG again with OpenCV's libjpeg, whose warnings reach stderr.

    Pillow silences libjpeg's warnings ("Corrupt JPEG data: premature end of
    data segment") and returns the damaged image as if whole. An eighth-size
    decode still reads every byte of the entropy-coded data, so it warns.
    """
    import cv2

    data = np.fromfile(path, np.uint8)
    if cv2.imdecode(data, cv2.IMREAD_REDUCED_GRAYSCALE_8) is None:
        raise ValueError("libjpeg cannot decode it")


# Lines that libjpeg, libtiff and libpng print on stderr (libtiff: "Module: text").
_DECODER_LINE = re.compile(
    r"(JPEG|jpeg|Corrupt|Premature|Bogus|Warning|[Ee]rror|^[A-Z][A-Za-z0-9]+:\s|libpng|TIFF)"
)
# Warnings that say nothing about the pixels (libtiff's unknown tags, damaged
# EXIF metadata): logged, not a page error.
_HARMLESS = ("Unknown field with tag", "unknown field with tag", "ASCII value for tag")
_stderr_lock = threading.Lock()


@contextlib.contextmanager
def _decoder_stderr() -> Iterator[list[str]]:
    """Capture what C decoders print on file descriptor 2 during the block.

    Lines that look like a decoder's (libjpeg, libtiff, libpng) are returned;
    anything else that landed there meanwhile (a progress bar) is written
    back. Skipped when another thread is capturing.
    """
    lines: list[str] = []
    if not _stderr_lock.acquire(blocking=False):
        yield lines
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        _stderr_lock.release()
        yield lines
        return
    try:
        with tempfile.TemporaryFile() as tmp:
            os.dup2(tmp.fileno(), 2)
            try:
                yield lines
            finally:
                os.dup2(saved, 2)
                tmp.seek(0)
                text = tmp.read().decode("utf-8", "replace")
                others = []
                for line in text.splitlines(keepends=True):
                    if line.strip() and _DECODER_LINE.search(line):
                        lines.append(line.strip())
                    else:
                        others.append(line)
                if others:
                    os.write(2, "".join(others).encode("utf-8", "replace"))
    finally:
        os.close(saved)
        _stderr_lock.release()


def _complaints(said: list[warnings.WarningMessage], printed: list[str]) -> list[str]:
    """Decoder warnings that mean damage; the harmless ones are logged."""
    out = []
    for line in [str(w.message) for w in said] + printed:
        if line.startswith(_HARMLESS) or "EXIF" in line or "DecompressionBomb" in line:
            log.debug("decoder says: %s", line)
        elif line not in out:
            out.append(line)
    return out


MIN_RECORDED_DPI = 100.0


def _image_dpi(img: Image.Image, square: bool = False) -> float | None:
    """The resolution the image records (its x resolution; with ``square``,
    the larger of the two, which ``_squared`` pixels have), or None."""
    dpi = img.info.get("dpi")
    try:
        x = float(max(dpi[0], dpi[1]) if square else dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        return None
    # 0 or 1 means "aspect ratio only"; PNG stores dots per metre (199.9996).
    # 72 and 96 are what software writes when it knows no resolution (screen
    # defaults; cameras write 72): no scan of handwriting is made under
    # MIN_RECORDED_DPI, so such a page is scaled by its size instead.
    x = round(x, 2)
    return x if x >= MIN_RECORDED_DPI else None


# A fax in "normal" mode is 204 x 98 dpi: each pixel twice as tall as wide.
# Pixels whose two resolutions differ by more than UNSQUARE (and at most
# MAX_UNSQUARE times, a plausible scan) are resampled to square ones at the
# larger resolution; read as they are, such a page's boxes and digits are
# squashed (ten fax pages: 26 % of fields exact, 4 of 5 `ok` fields wrong).
UNSQUARE = 1.02
MAX_UNSQUARE = 4.0


def _square_scale(img: Image.Image, orient: bool) -> tuple[float, float]:
    """(x, y) factors that make the frame's pixels square; (1, 1) when they are
    (or when the image records no plausible pair of resolutions)."""
    dpi = img.info.get("dpi")
    try:
        x, y = float(dpi[0]), float(dpi[1])  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        return 1.0, 1.0
    if min(x, y) < 1.0 or not UNSQUARE < max(x, y) / min(x, y) <= MAX_UNSQUARE:
        return 1.0, 1.0
    if orient and img.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # turned a quarter
        x, y = y, x
    top = max(x, y)
    return top / x, top / y


def _squared(pixels: np.ndarray, scale: tuple[float, float]) -> np.ndarray:
    """``pixels`` (greyscale) stretched by ``scale`` (x, y) to square pixels:
    bilinear, or nearest neighbour for black and white (it stays so, and the
    box finder's search for dotted boxes on such pages still runs)."""
    import cv2

    h, w = pixels.shape[:2]
    size = (max(1, round(w * scale[0])), max(1, round(h * scale[1])))
    how = cv2.INTER_NEAREST if bilevel(pixels) else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(pixels, size, interpolation=how))


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
