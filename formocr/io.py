"""Input discovery and page loading, one page at a time.

PDFs are inspected with pdf2image's ``pdfinfo_from_path`` (page count, page
sizes, passwords) and rendered by one ``pdftoppm`` process per document that
streams its pages as PGM through a pipe; a background thread reads ahead, so
poppler renders page n+1 while the caller works on page n. pdf2image's own
page-by-page conversion would rerun pdfinfo and reparse the PDF for every
page (4.1 s against 3.1 s for 20 pages at 300 dpi here). TIFF, PNG and JPEG go through Pillow, which
reads only the header before the size guard and reports truncated files
instead of returning half an image.

Colour pages become greyscale through ``formocr.dropout``: in the channel
where printing in a dropout colour (red, green, light blue) shows darkest,
so pale boxes are found and the ink stays dark; other pages by luminance.
Greyscale images skip all that. PDFs are rendered in grey unless they need
colour. With ``dropout="auto"`` the first page decides: a scan whose images
are greyscale (``pdfimages -list``, headers only) stays grey, otherwise a
small colour preview (``_PROBE_DPI``) looks for a dropout colour; so a
document whose first page shows none is read in grey throughout. A named
colour always renders in colour.

Every failure to read a document is a :class:`DocumentError` naming the file
and what to do; the batch reports it and goes on.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import math
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from io import BytesIO
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal, NoReturn, TypeVar

import numpy as np

from formocr.config import DEFAULT_DPI, DEFAULT_MAX_MEGAPIXELS, DropoutMode
from formocr.errors import DocumentError, InputError
from formocr.types import PageImage

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger("formocr")

Kind = Literal["pdf", "tiff", "png", "jpeg"]
SUFFIXES: dict[str, Kind] = {
    ".pdf": "pdf",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
}
_SUPPORTED = "PDF, TIFF, PNG or JPEG"
_PDF_PAGES_MAX = 1_000_000  # pdfinfo -l clamps this to the real page count


# -- discovery ---------------------------------------------------------------


def discover(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Expand files, directories (recursively, sorted) and glob patterns.

    Unsupported files are skipped with a warning. A path that does not exist
    is logged and *kept*, so that the batch reports it as a failed document
    (exit code 4) rather than silently leaving it out; only when no path
    exists at all is that an :class:`InputError` (exit code 3).
    """
    out: list[Path] = []
    missing: list[Path] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)

    def lost(p: Path, why: str) -> None:
        log.warning("%s: %s", p, why)
        missing.append(p)
        out.append(p)

    for arg in paths:
        p = Path(arg)
        if p.is_dir():
            files = _walk(p)
            if not files:
                log.warning("%s: no %s files in this directory", p, _SUPPORTED)
            for f in files:
                add(f)
        elif p.is_file():
            if _supported(p):
                add(p)
        elif glob.has_magic(str(arg)):
            matches = sorted(glob.glob(str(arg), recursive=True))
            if not matches:
                lost(p, "no file matches this pattern")
            for m in matches:
                mp = Path(m)
                for f in _walk(mp) if mp.is_dir() else [mp]:
                    if _supported(f):
                        add(f)
        else:
            lost(p, "no such file or directory")

    if len(out) == len(missing):
        if missing:
            names = ", ".join(str(m) for m in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise InputError(f"nothing to scan: not found: {names}{more}")
        raise InputError(
            f"nothing to scan: no {_SUPPORTED} files in {', '.join(map(str, paths)) or '(none)'}"
        )
    return out


def _supported(p: Path) -> bool:
    if p.suffix.lower() in SUFFIXES:
        return True
    log.warning("%s: skipped, not a %s file (by its extension)", p, _SUPPORTED)
    return False


def _walk(top: Path) -> list[Path]:
    """Supported files under ``top``, sorted; hidden files and dirs are left out.

    Hidden entries are mostly junk such as macOS's ``._scan.pdf`` resource
    forks, which carry a supported extension but are not documents.
    """
    out: list[Path] = []
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith("."):
                continue
            f = Path(root) / name
            if _supported(f):
                out.append(f)
    return sorted(out)


# -- page loading --------------------------------------------------------------


def iter_pages(
    path: Path,
    dpi: int = DEFAULT_DPI,
    *,
    max_pages: int | None = None,
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS,
    prefetch: int = 1,
    dropout: DropoutMode = "auto",
) -> Iterator[PageImage]:
    """Yield the pages of one document as greyscale uint8 images.

    ``dpi`` is the render resolution for PDFs; images keep their pixels and
    report the dpi in their metadata (or None). At most ``prefetch`` pages
    are decoded ahead of the one the caller holds. ``dropout`` says how a
    colour page becomes greyscale (formocr.dropout; "none": luminance).
    """
    path = Path(path)
    kind = _check_file(path)
    if kind == "pdf":
        yield from _iter_pdf(path, dpi, max_pages, max_megapixels, prefetch, dropout)
    else:
        yield from _iter_raster(path, kind, max_pages, max_megapixels, prefetch, dropout)


def _check_file(path: Path) -> Kind:
    """Stat and sniff the file; its content, not its extension, picks the reader."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(1024)
    except FileNotFoundError:
        raise DocumentError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise DocumentError(f"{path}: is a directory, not a document") from None
    except OSError as e:
        raise DocumentError(f"{path}: cannot read it ({e.strerror}); check its permissions") from e
    if size == 0:
        raise DocumentError(
            f"{path}: empty file (0 bytes); the scan or the copy failed, scan or copy it again"
        )
    kind = _sniff(head)
    expected = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        what = f"a {expected.upper()} file" if expected else f"a {_SUPPORTED} file"
        raise DocumentError(
            f"{path}: not {what} despite its extension (its content is not "
            f"{_SUPPORTED}); check what produced it"
        )
    if expected is not None and kind != expected:
        log.debug("%s: content is %s, not %s as its extension says", path, kind, expected)
    return kind


def _sniff(head: bytes) -> Kind | None:
    if b"%PDF-" in head:  # some producers put junk before the header
        return "pdf"
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "tiff"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


def _too_large(path: Path, page: int, w: int, h: int, dpi: float | None, limit: float) -> None:
    mp = w * h / 1e6
    if mp <= limit:
        return
    if dpi:
        lower = int(dpi * math.sqrt(limit / mp))
        hint = f"render it at a lower resolution, e.g. --dpi {lower}"
    else:
        hint = "downscale the image (300 dpi is plenty for handwritten digits)"
    raise DocumentError(
        f"{path}: page {page} is {w}x{h} pixels ({mp:.0f} megapixels), over the "
        f"{limit:.0f} megapixel limit; {hint}"
    )


def _too_many(path: Path, pages: int, max_pages: int | None) -> None:
    if max_pages is not None and pages > max_pages:
        raise DocumentError(
            f"{path}: {pages} pages, more than the limit of {max_pages}; "
            "split the document or raise --max-pages"
        )


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
    from formocr.dropout import detect

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
    from formocr.dropout import to_grey

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


# -- read-ahead ----------------------------------------------------------------

T = TypeVar("T")
_END = object()


def _prefetched(items: Iterator[T], depth: int, cancel: Callable[[], None] | None) -> Iterator[T]:
    """Run ``items`` in a background thread, at most ``depth`` items ahead.

    ``cancel`` unblocks the producer when the consumer stops early (for PDFs
    it kills the renderer, whose pipe the producer may be waiting on).
    Exceptions from the producer are raised here, in the consumer.
    """
    if depth < 1:
        yield from items
        return
    q: queue.Queue[tuple[object, BaseException | None]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[object, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                q.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((_END, None))
        except BaseException as e:  # handed to the consumer, raised there
            put((_END, e))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()

    worker = threading.Thread(target=produce, name="formocr-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, err = q.get()
            if item is _END:
                if err is not None:
                    raise err
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        if cancel is not None:
            cancel()
        worker.join()
