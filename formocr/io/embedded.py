"""Scanned PDF pages read from the JPEG they hold, instead of rendered.

A scanner's PDF page is one JPEG image drawn over the whole page. Rendering
it with ``pdftoppm`` at the scan's own resolution decodes the JPEG and then
draws it onto the page, pixel for pixel: about 140 ms a 300-dpi letter page
here (35 ms at 30 dpi, mostly the decoding). Where a page provably is such a scan,
its JPEG is copied out with ``pdfimages -j`` (no decoding) and decoded by
Pillow's libjpeg into the greyscale page, averaged as pdftoppm draws it
(``AS_DRAWN`` below).

Which pages qualify is decided from the image headers (``pdfimages
-list``, one run a document, read with the plan): exactly one image on the
page, an 8-bit grey or RGB JPEG, at the render resolution in both
directions, the size of the page as rendered (within a pixel), the page not
turned, the document read in grey. Even then the page is rendered too, at
:data:`CHECK_DPI`: that render decodes the same JPEG with poppler, so
poppler's complaints about damaged data still fail the page, and the JPEG
must look like it (:func:`same_page`): a flip in the page's transform, a
decode array, a mask, or anything drawn over the JPEG that changes the
page's ink shows there. Such a page, any complaint, any failure: the page
is rendered as before, in full. A run
of pages is checked by one low-resolution render and copied by one
``pdfimages``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Generator, Sequence
from io import BytesIO
from pathlib import Path

import numpy as np

log = logging.getLogger("formocr")

# The check render's resolution: a tenth of 300 dpi, so a 300-dpi page
# shrinks by whole pixels (area averaging lines up with poppler's).
CHECK_DPI = 30
# How far the check render may be from the JPEG shrunk to its size. Both are
# blurred a little (sigma CHECK_SIGMA, in check pixels), their ink taken as
# the darkness under each one's median (the paper); the part of all that ink
# on which they differ may be at most CHECK_INK. Dense 300-dpi pages measure
# 0.10-0.12; the same JPEGs upside down 0.66-0.91, mirrored 0.45-0.56, and a
# page of thin lines turned, 1.0.
CHECK_SIGMA = 1.5
CHECK_INK = 0.3
# Less ink than this on both (mean grey levels under the paper): a blank page,
# the same whichever way it is drawn.
BLANK_INK = 0.5
# AS_DRAWN: pdftoppm draws a page's image at 1:1 half a pixel off, each pixel
# the mean of a 2 x 2 block of the JPEG's (fitted by least squares on a dense
# page: weights 0.24-0.27 on that block, under 0.03 elsewhere). The decoded
# JPEG is averaged the same way, so that the page read is the one the
# thresholds were calibrated on. The JPEG's own pixels, unaveraged, were
# tried: on the 120 headline, 40 fresh and 150 calibration pages, 15 wrong
# `ok` fields against 11 rendered, 10 averaged (BENCHMARKS.md).
# Pages a run copies and checks at once (a run is a few MB of JPEG on disk).
RUN_PAGES = 8
# Where a run's JPEGs are copied to (None: the system's temporary
# directory). A batch's is a scratch directory removed however its readers
# end (``formocr.io.scratch``: the pool's, or the batch's own); a Dask
# worker's is its own local directory (``use_scratch``).
_scratch: str | None = None
# Pillow warns about images over this (its decompression-bomb guard): such
# pages are rendered, whose size limit is the batch's own.
_PIL_PIXELS = 89_000_000
# pdfimages -list: page num type width height color comp bpc enc interp object ID x-ppi y-ppi ...
_COLOURS = {("gray", "1"), ("rgb", "3"), ("icc", "1"), ("icc", "3")}


def use_scratch(directory: str | None) -> str | None:
    """Copy runs' JPEGs under ``directory`` from now on (None: the system's
    temporary directory); returns where they went before."""
    global _scratch
    before, _scratch = _scratch, directory
    return before


def jpeg_pages(
    rows: Sequence[Sequence[str]],
    shapes: Sequence[tuple[int, int]],
    dpi: int,
    turned: set[int],
) -> tuple[bool, ...]:
    """For each page, whether its headers say it is one scan's JPEG at ``dpi``.

    ``rows``: the split lines of ``pdfimages -list`` for the document;
    ``shapes``: each page's (h, w) as rendered; ``turned``: pages with any
    /Rotate.
    """
    by_page: dict[int, list[Sequence[str]]] = {}
    for row in rows:
        if len(row) >= 14 and row[0].isdigit():
            by_page.setdefault(int(row[0]), []).append(row)
    out = []
    for page, (h, w) in enumerate(shapes, 1):
        found = by_page.get(page, [])
        out.append(len(found) == 1 and page not in turned and _a_scan(found[0], h, w, dpi))
    return tuple(out)


def _a_scan(row: Sequence[str], h: int, w: int, dpi: int) -> bool:
    kind, width, height, colour, comp, bpc, enc = (
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
    )
    try:
        iw, ih, xppi, yppi = int(width), int(height), float(row[12]), float(row[13])
    except ValueError:
        return False
    return (
        kind == "image"
        and enc == "jpeg"
        and bpc == "8"
        and (colour, comp) in _COLOURS
        and abs(iw - w) <= 1
        and abs(ih - h) <= 1
        and abs(xppi - dpi) <= 1
        and abs(yppi - dpi) <= 1
        and iw * ih <= _PIL_PIXELS
    )


# Runs a command to its end: (returncode, stdout, stderr), or None when it
# failed to run or ran out of time. Given by the renderer, which can kill it.
Runner = Callable[[list[str], float], "tuple[int, bytes, str] | None"]


def decode_run(
    run: Runner,
    pdftoppm: str,
    pdfimages: str,
    path: Path,
    first: int,
    last: int,
    shapes: Sequence[tuple[int, int]],
    timeout: float,
) -> Generator[tuple[int, np.ndarray | None], None, None]:
    """(page, pixels) for pages ``first`` to ``last`` in order, decoded from
    their JPEGs one at a time; pixels None for a page to be rendered (it
    failed its check, or the run could not be checked)."""
    pages = range(first, last + 1)
    checks = _checks(run, pdftoppm, path, first, last, timeout)
    if checks is None:
        yield from ((page, None) for page in pages)
        return
    try:
        if _scratch is not None:  # a long run's (watch): a tmp cleaner may have removed it
            os.makedirs(_scratch, exist_ok=True)
        copies = tempfile.TemporaryDirectory(prefix="formocr-jpeg-", dir=_scratch)
    except OSError as e:  # no room or no right to copy them: render the pages
        log.debug(
            "%s: pages %d-%d rendered, their JPEGs cannot be copied (%s)", path, first, last, e
        )
        yield from ((page, None) for page in pages)
        return
    with copies as tmp:
        span = ["-f", str(first), "-l", str(last)]
        done = run([pdfimages, "-j", *span, str(path.absolute()), str(Path(tmp) / "p")], timeout)
        files = sorted(Path(tmp).iterdir())
        if (
            done is None
            or done[0] != 0
            or done[2].strip()
            or len(files) != len(checks)
            or any(f.suffix != ".jpg" for f in files)
        ):
            yield from ((page, None) for page in pages)
            return
        for page, file, check in zip(pages, files, checks, strict=True):
            pixels = decode_jpeg(file.read_bytes(), shapes[page - 1])
            file.unlink()
            if pixels is not None and not same_page(pixels, check):
                log.debug("%s: page %d: rendered, its JPEG is not the page", path, page)
                pixels = None
            yield page, pixels


def _checks(
    run: Runner, pdftoppm: str, path: Path, first: int, last: int, timeout: float
) -> list[np.ndarray] | None:
    """The pages rendered at :data:`CHECK_DPI`; None if poppler complained
    about any (each page's own render then says which, and what) or failed."""
    from formocr.io.pdf import _complaints, _read_pnm

    span = ["-f", str(first), "-l", str(last)]
    done = run(
        [pdftoppm, "-r", str(CHECK_DPI), "-cropbox", "-gray", *span, str(path.absolute())], timeout
    )
    if done is None or done[0] != 0:
        return None
    damage, warnings = _complaints(done[2])
    if damage or warnings:
        return None
    stream = BytesIO(done[1])
    checks = []
    for _ in range(first, last + 1):
        try:
            preview = _read_pnm(stream)
        except ValueError:
            return None
        if preview is None or preview.ndim != 2:
            return None
        checks.append(preview)
    return checks


def decode_jpeg(data: bytes, shape: tuple[int, int]) -> np.ndarray | None:
    """The JPEG as the greyscale page of ``shape`` (h, w), or None when it is
    not a whole, plain JPEG of that size (give or take the rendered page's
    rounding, a pixel filled from its edge)."""
    from PIL import Image

    from formocr.io.images import _to_grey

    try:
        with Image.open(BytesIO(data)) as img:
            if img.format != "JPEG" or img.mode not in ("L", "RGB"):
                return None
            pixels = _to_grey(img, orient=False)  # a PDF ignores EXIF orientation
    except Exception:  # noqa: BLE001 (damaged data: the renderer says what is wrong)
        return None
    h, w = shape
    ph, pw = pixels.shape
    if abs(ph - h) > 1 or abs(pw - w) > 1:
        return None
    import cv2

    if (ph, pw) != (h, w):
        pixels = pixels[:h, :w]
        pad = (0, h - pixels.shape[0], 0, w - pixels.shape[1])
        pixels = cv2.copyMakeBorder(pixels, *pad, cv2.BORDER_REPLICATE)
    # As pdftoppm draws it (see AS_DRAWN).
    return np.asarray(cv2.blur(pixels, (2, 2), borderType=cv2.BORDER_REPLICATE), np.uint8)


def same_page(pixels: np.ndarray, check: np.ndarray) -> bool:
    """Whether the page ``pixels`` looks like ``check``, poppler's render of it
    at :data:`CHECK_DPI` (see :data:`CHECK_INK`)."""
    import cv2

    ch, cw = check.shape
    small = cv2.resize(pixels, (cw, ch), interpolation=cv2.INTER_AREA).astype(np.float32)
    inks = []
    for image in (small, check.astype(np.float32)):
        blurred = np.asarray(cv2.GaussianBlur(image, (0, 0), CHECK_SIGMA), np.float32)
        inks.append(np.maximum(np.median(blurred) - blurred, 0.0))
    total = float(inks[0].sum() + inks[1].sum())
    if total <= 2 * BLANK_INK * inks[0].size:
        return True
    return float(np.abs(inks[0] - inks[1]).sum()) <= CHECK_INK * total
