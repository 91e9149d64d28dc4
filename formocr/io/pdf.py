"""PDFs: inspected by pdfinfo, rendered page by page by one streaming pdftoppm."""

from __future__ import annotations

import logging
import math
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

import numpy as np

from formocr.config import DropoutMode
from formocr.errors import DocumentError
from formocr.io.discovery import _PDF_PAGES_MAX
from formocr.io.limits import _too_large, _too_many
from formocr.io.prefetch import _prefetched
from formocr.types import PageImage

if TYPE_CHECKING:
    pass

log = logging.getLogger("formocr")


# -- PDF -----------------------------------------------------------------------


_PAGE_KEY = re.compile(r"^Page\s+(\d+)\s+size$")
_SIZE_VALUE = re.compile(r"^([\d.]+) x ([\d.]+) pts")
_PDFINFO_TIMEOUT = 60


def _poppler(tool: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        raise DocumentError(
            f"cannot read PDFs: poppler's {tool} is not installed; install poppler-utils "
            "(apt-get install poppler-utils, brew install poppler)"
        )
    return exe


def _last_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    return lines[-1] if lines else "no message"


def _pdf_pages(path: Path) -> list[tuple[float, float]]:
    """Page sizes in points from one ``pdfinfo`` run; raises for unreadable PDFs."""
    from pdf2image import pdfinfo_from_path
    from pdf2image.exceptions import (
        PDFInfoNotInstalledError,
        PDFPageCountError,
        PDFPopplerTimeoutError,
    )

    try:
        # An absolute path cannot be mistaken for an option ("-scan.pdf").
        info = pdfinfo_from_path(
            str(path.absolute()), first_page=1, last_page=_PDF_PAGES_MAX, timeout=_PDFINFO_TIMEOUT
        )
    except PDFInfoNotInstalledError:
        _poppler("pdfinfo")
        raise
    except PDFPopplerTimeoutError:
        raise DocumentError(
            f"{path}: pdfinfo gave no answer in {_PDFINFO_TIMEOUT} s; the PDF is damaged "
            "or hostile: re-export it"
        ) from None
    except PDFPageCountError as e:
        err = str(e)
        if "Incorrect password" in err:
            raise DocumentError(
                f"{path}: password-protected PDF; decrypt it first, e.g. "
                "qpdf --decrypt --password=PASSWORD in.pdf out.pdf"
            ) from None
        raise DocumentError(
            f"{path}: damaged or truncated PDF ({_last_line(err)}); "
            "re-export or re-scan it, or try repairing it with qpdf"
        ) from None
    n = int(info["Pages"])
    if n == 0:
        raise DocumentError(f"{path}: the PDF has no pages")
    sizes = {}
    for key, value in info.items():
        page, size = _PAGE_KEY.match(key), _SIZE_VALUE.match(str(value))
        if key == "Page size" and size:
            sizes[0] = (float(size.group(1)), float(size.group(2)))
        elif page and size:
            sizes[int(page.group(1))] = (float(size.group(1)), float(size.group(2)))
    # An older pdfinfo gives one size for the whole document.
    fallback = sizes.get(0, (612.0, 792.0))
    return [sizes.get(i, fallback) for i in range(1, n + 1)]


def _iter_pdf(
    path: Path,
    dpi: int,
    max_pages: int | None,
    max_megapixels: float,
    prefetch: int,
    dropout: DropoutMode,
) -> Iterator[PageImage]:
    sizes = _pdf_pages(path)
    _too_many(path, len(sizes), max_pages)
    for i, (w_pt, h_pt) in enumerate(sizes, 1):
        # pdftoppm rounds up to whole pixels
        w, h = math.ceil(w_pt * dpi / 72), math.ceil(h_pt * dpi / 72)
        _too_large(path, i, w, h, dpi, max_megapixels)
    colour = _pdf_needs_colour(path, dropout)
    renderer = _PdfRenderer(path, dpi, len(sizes), colour)

    def pages() -> Iterator[PageImage]:
        # Runs in the read-ahead thread: the conversion overlaps the caller's work.
        for i, pixels in enumerate(renderer.frames(), 1):
            yield PageImage(str(path), i, _grey(pixels, dropout), float(dpi))

    try:
        yield from _prefetched(pages(), prefetch, renderer.kill)
    finally:
        renderer.kill()
        renderer.close()


# A colour preview this coarse costs little next to the document (poppler
# decodes a scan's image at full size whatever the output resolution); its
# lines are mixed with the paper, so a lower saturation counts as colour.
_PROBE_DPI = 30
_PROBE_SATURATION = 25
_PROBE_TIMEOUT = 60


def _pdf_needs_colour(path: Path, dropout: DropoutMode) -> bool:
    """Whether to render in colour: a named dropout colour, or one seen on page 1."""
    if dropout == "none":
        return False
    if dropout != "auto":
        return True
    if _page1_images_grey(path):
        return False
    from formocr.io.dropout import detect

    cmd = [_poppler("pdftoppm"), "-r", str(_PROBE_DPI), "-f", "1", "-l", "1"]
    cmd.append(str(path.absolute()))
    try:
        done = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=_PROBE_TIMEOUT, check=True
        )
        preview = _read_pnm(BytesIO(done.stdout))
    except (subprocess.SubprocessError, OSError, ValueError):
        return False  # the renderer proper reports what is wrong with the file
    if preview is None or preview.ndim != 3:
        return False
    colour = detect(preview, min_saturation=_PROBE_SATURATION)
    log.debug("%s: page 1 preview: %s", path, f"{colour} printing" if colour else "no colour")
    return colour is not None


def _page1_images_grey(path: Path) -> bool:
    """Whether page 1 is a scan in grey: images, all of them greyscale.

    ``pdfimages -list`` reads the image headers only (milliseconds), so a
    grey scan skips the preview. Anything else (colour images, none at
    all, no pdfimages) is left to the preview.
    """
    exe = shutil.which("pdfimages")
    if exe is None:
        return False
    cmd = [exe, "-list", "-f", "1", "-l", "1", str(path.absolute())]
    try:
        done = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=_PROBE_TIMEOUT, check=True
        )
    except (subprocess.SubprocessError, OSError):
        return False
    # page num type width height color comp bpc ...; two header lines
    rows = [line.split() for line in done.stdout.decode("ascii", "replace").splitlines()[2:]]
    spaces = [(r[5], r[6]) for r in rows if len(r) > 6]
    return bool(spaces) and all(c == "gray" or (c == "icc" and n == "1") for c, n in spaces)


def _grey(pixels: np.ndarray, dropout: DropoutMode) -> np.ndarray:
    """A rendered page (greyscale, or RGB) to the greyscale page read."""
    if pixels.ndim == 2:
        return pixels
    from formocr.io.dropout import to_grey

    return to_grey(pixels, dropout, drop=False).page


class _PdfRenderer:
    """One ``pdftoppm`` process streaming a document's pages as PGM (or PPM, in colour)."""

    def __init__(self, path: Path, dpi: int, pages: int, colour: bool = False) -> None:
        self.path = path
        self.pages = pages
        # stderr goes to a file: a chatty damaged PDF must not fill a pipe
        # that nobody reads and stall the renderer.
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        cmd = [_poppler("pdftoppm"), "-r", str(dpi)]
        cmd += [] if colour else ["-gray"]
        cmd += ["-f", "1", "-l", str(pages), str(path.absolute())]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.errors
        )

    def frames(self) -> Iterator[np.ndarray]:
        assert self.proc.stdout is not None
        for i in range(1, self.pages + 1):
            try:
                image = _read_pnm(self.proc.stdout)
            except ValueError as e:
                self._fail(i, str(e))
            if image is None:
                self._fail(i, "no image")
            yield image
        self.proc.wait()
        if self.proc.returncode != 0:
            self._fail(self.pages, f"pdftoppm exited with {self.proc.returncode}")
        stderr = self._stderr()
        if stderr.strip():
            log.debug("%s: pdftoppm says: %s", self.path, stderr.strip())

    def _stderr(self) -> str:
        self.errors.seek(0)
        return self.errors.read().decode("utf-8", "replace")

    def _fail(self, page: int, what: str) -> NoReturn:
        self.proc.wait()
        err = _last_line(self._stderr())
        raise DocumentError(
            f"{self.path}: cannot render page {page} ({what}; {err}); "
            "re-export or re-scan the PDF, or try repairing it with qpdf"
        )

    def kill(self) -> None:
        """Stop the renderer (which unblocks a reader); safe from any thread, and twice."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self) -> None:
        """Release the pipe and the stderr file, once no thread reads them."""
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.errors.close()


def _read_pnm(stream: IO[bytes]) -> np.ndarray | None:
    """Read one binary PGM (P5, to (h, w)) or PPM (P6, to (h, w, 3)) image.

    None at a clean end of stream.
    """
    tokens: list[bytes] = []
    tok = b""
    while len(tokens) < 4:
        c = stream.read(1)
        if not c:
            if not tokens and not tok:
                return None
            raise ValueError("truncated image header")
        if c == b"#":
            while c not in (b"\n", b""):
                c = stream.read(1)
            continue
        if c.isspace():
            if tok:
                tokens.append(tok)
                tok = b""
        else:
            tok += c
    magic, w, h, maxval = tokens[0], int(tokens[1]), int(tokens[2]), int(tokens[3])
    if magic not in (b"P5", b"P6") or maxval != 255:
        raise ValueError(f"unexpected image format {magic!r}/{maxval}")
    channels = 3 if magic == b"P6" else 1
    buf = bytearray(w * h * channels)
    view = memoryview(buf)
    got = 0
    while got < len(buf):
        n = stream.readinto(view[got:])  # type: ignore[attr-defined]
        if not n:
            raise ValueError(f"truncated image data ({got} of {len(buf)} bytes)")
        got += n
    pixels = np.frombuffer(buf, np.uint8)
    return pixels.reshape(h, w) if channels == 1 else pixels.reshape(h, w, 3)
