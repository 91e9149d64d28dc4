"""PDFs: inspected by pdfinfo, rendered page by page by one streaming pdftoppm
(a scan's page read from its own JPEG instead: formocr.io.embedded)."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from io import BytesIO
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from formocr.config import DropoutMode
from formocr.errors import DocumentError
from formocr.io.discovery import _PDF_PAGES_MAX
from formocr.io.embedded import RUN_PAGES, decode_run, jpeg_pages
from formocr.io.limits import _too_large, _too_many
from formocr.io.prefetch import _prefetched
from formocr.types import PageImage

if TYPE_CHECKING:
    pass

log = logging.getLogger("formocr")


# -- PDF -----------------------------------------------------------------------


_BOX = re.compile(
    r"^Page\s+(\d+)\s+(MediaBox|CropBox):\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)"
)
_PAGES = re.compile(r"^Pages:\s+(\d+)", re.MULTILINE)
_ROT = re.compile(r"^Page\s+(\d+)\s+rot:\s+(-?\d+)")
_PDFINFO_TIMEOUT = 60
# What poppler prints on stderr that does not mean damage: a warning is
# logged, the page is read. Every other line (poppler's "Syntax Error",
# "Internal Error", libjpeg's "Corrupt JPEG data", ...) fails its page.
_BENIGN = ("Syntax Warning",)


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


def _complaints(stderr: str) -> tuple[list[str], list[str]]:
    """poppler's stderr split into (damage, warnings), one stripped line each."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    benign = [ln for ln in lines if ln.startswith(_BENIGN)]
    return [ln for ln in lines if not ln.startswith(_BENIGN)], benign


def _summary(lines: list[str], most: int = 2) -> str:
    shown = "; ".join(dict.fromkeys(lines[:most]))
    return shown + (f" (and {len(lines) - most} more)" if len(lines) > most else "")


def _pdf_pages(
    path: Path, timeout: float = _PDFINFO_TIMEOUT
) -> tuple[list[tuple[float, float]], set[int]]:
    """The size in points of what ``pdftoppm -cropbox`` renders, page by page,
    and the pages with a /Rotate.

    One ``pdfinfo -box`` run. The CropBox (clipped to the MediaBox) is what a
    viewer shows and what is rendered, so the pixel limit is checked against
    it. A PDF whose structure poppler had to repair is a DocumentError: its
    pages might not be the ones written.
    """
    cmd = [_poppler("pdfinfo"), "-box", "-f", "1", "-l", str(_PDF_PAGES_MAX)]
    # An absolute path cannot be mistaken for an option ("-scan.pdf").
    cmd.append(str(path.absolute()))
    try:
        done = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise DocumentError(
            f"{path}: pdfinfo gave no answer in {timeout:g} s; the PDF is damaged "
            "or hostile: re-export it"
        ) from None
    out = done.stdout.decode("utf-8", "replace")
    err = done.stderr.decode("utf-8", "replace")
    if "Incorrect password" in err:
        raise DocumentError(
            f"{path}: password-protected PDF; decrypt it first, e.g. "
            "qpdf --decrypt --password=PASSWORD in.pdf out.pdf"
        )
    pages = _PAGES.search(out)
    damage, warnings = _complaints(err)
    if done.returncode != 0 or pages is None:
        raise DocumentError(
            f"{path}: damaged or truncated PDF ({_last_line(err)}); "
            "re-export or re-scan it, or try repairing it with qpdf"
        )
    if damage:
        raise DocumentError(
            f"{path}: damaged PDF, its structure had to be repaired ({_summary(damage)}); "
            "re-export or re-scan it, or repair it (qpdf in.pdf fixed.pdf) and check the pages"
        )
    if warnings:
        log.warning("%s: poppler warns: %s", path, _summary(warnings))
    n = int(pages.group(1))
    if n == 0:
        raise DocumentError(f"{path}: the PDF has no pages")
    boxes: dict[tuple[int, str], tuple[float, float, float, float]] = {}
    turned: set[int] = set()
    rotated: set[int] = set()
    for line in out.splitlines():
        r = _ROT.match(line)
        if r and int(r.group(2)) % 360:
            rotated.add(int(r.group(1)))
        if r and int(r.group(2)) % 180:
            turned.add(int(r.group(1)))
        m = _BOX.match(line)
        if m:
            x0, y0, x1, y1 = (float(m.group(k)) for k in range(3, 7))
            boxes[int(m.group(1)), m.group(2)] = (x0, y0, x1, y1)
    sizes = []
    for i in range(1, n + 1):
        media = boxes.get((i, "MediaBox"))
        crop = boxes.get((i, "CropBox"), media)
        if media is None or crop is None:
            raise DocumentError(f"{path}: pdfinfo gave no size for page {i}; re-export the PDF")
        # poppler clips the CropBox to the MediaBox; so do we.
        w = min(crop[2], media[2]) - max(crop[0], media[0])
        h = min(crop[3], media[3]) - max(crop[1], media[1])
        # a page turned a quarter is rendered turned
        sizes.append((abs(h), abs(w)) if i in turned else (abs(w), abs(h)))
    return sizes, rotated


def _iter_pdf(
    path: Path,
    dpi: int,
    max_pages: int | None,
    max_megapixels: float,
    prefetch: int,
    dropout: DropoutMode,
    page_errors: bool = False,
    page_timeout: float | None = None,
    embedded: bool = True,
) -> Iterator[PageImage]:
    shapes, colour, jpeg = pdf_plan(
        path, dpi, max_pages, max_megapixels, dropout, page_timeout, embedded
    )
    renderer = _PdfRenderer(path, dpi, shapes, colour, page_timeout, jpeg=jpeg)
    # The pages are made in the read-ahead thread: the conversion overlaps the caller's work.
    pages = _images(renderer, path, dpi, shapes, dropout, page_errors)
    try:
        yield from _prefetched(pages, prefetch, renderer.kill)
    finally:
        renderer.kill()
        renderer.close()


def pdf_plan(
    path: Path,
    dpi: int,
    max_pages: int | None,
    max_megapixels: float,
    dropout: DropoutMode,
    page_timeout: float | None = None,
    embedded: bool = True,
) -> tuple[list[tuple[int, int]], bool, tuple[bool, ...]]:
    """Each page's (h, w) as rendered, checked against the limits, whether
    the document renders in colour, and which pages are read from the JPEG
    they hold (``embedded``; formocr.io.embedded): what is decided once per
    document."""
    sizes, rotated = _pdf_pages(path)
    _too_many(path, len(sizes), max_pages)
    shapes = []
    for i, (w_pt, h_pt) in enumerate(sizes, 1):
        # pdftoppm rounds up to whole pixels
        w, h = max(1, math.ceil(w_pt * dpi / 72)), max(1, math.ceil(h_pt * dpi / 72))
        _too_large(path, i, w, h, dpi, max_megapixels)
        shapes.append((h, w))
    rows = None
    if embedded:  # one pdfimages run for both questions (a hostile file may use its time)
        limit = min(_PROBE_TIMEOUT, page_timeout or _PROBE_TIMEOUT)
        rows = _image_rows(path, 1, len(shapes), limit)
    colour = _pdf_needs_colour(path, dropout, page_timeout, rows)
    jpeg: tuple[bool, ...] = ()
    if rows is not None and not colour:
        jpeg = jpeg_pages(rows, shapes, dpi, rotated)
    return shapes, colour, jpeg


def pdf_pages(
    path: Path,
    first: int,
    last: int,
    dpi: int,
    shapes: list[tuple[int, int]],
    colour: bool,
    dropout: DropoutMode,
    page_timeout: float | None = None,
    jpeg: tuple[bool, ...] = (),
) -> Generator[PageImage, None, None]:
    """Pages ``first`` to ``last`` (a damaged one as a page with its error, as
    :func:`_iter_pdf` with ``page_errors`` yields it), from one ``pdftoppm``
    streaming them (a run costs ~40 ms of CPU before its first
    page: one run a page costs a quarter more than rendering alone). Close
    the iterator to stop the renderer."""
    renderer = _PdfRenderer(
        path, dpi, shapes, colour, page_timeout, first=first, last=last, jpeg=jpeg
    )
    try:
        yield from _images(renderer, path, dpi, shapes, dropout, page_errors=True)
    finally:
        renderer.close()


def _images(
    renderer: _PdfRenderer,
    path: Path,
    dpi: int,
    shapes: list[tuple[int, int]],
    dropout: DropoutMode,
    page_errors: bool,
) -> Iterator[PageImage]:
    """The renderer's frames as pages: a page it could not render is a page
    with its error (``page_errors``), else a DocumentError."""
    for i, pixels, error in renderer.frames():
        if error is None:
            assert pixels is not None
            yield PageImage(str(path), i, _grey(pixels, dropout), float(dpi))
        elif not page_errors:
            raise DocumentError(error)
        else:
            log.warning("%s", error)
            yield failed_page(str(path), i, shapes[i - 1], float(dpi), error)


def failed_page(
    source: str, page: int, shape: tuple[int, int], dpi: float | None, error: str
) -> PageImage:
    """A page that could not be read: its size, a blank that costs no memory, the error."""
    blank = np.broadcast_to(np.uint8(255), shape)
    return PageImage(source, page, blank, dpi, error=error)


# A colour preview this coarse costs little next to the document (poppler
# decodes a scan's image at full size whatever the output resolution); its
# lines are mixed with the paper, so a lower saturation counts as colour.
_PROBE_DPI = 30
_PROBE_SATURATION = 25
_PROBE_TIMEOUT = 60


def _pdf_needs_colour(
    path: Path,
    dropout: DropoutMode,
    timeout: float | None = None,
    rows: list[list[str]] | None = None,
) -> bool:
    """Whether to render in colour: a named dropout colour, or one seen on page 1."""
    if dropout == "none":
        return False
    if dropout != "auto":
        return True
    limit = min(_PROBE_TIMEOUT, timeout or _PROBE_TIMEOUT)
    if _page1_images_grey(path, limit, rows):
        return False
    from formocr.io.dropout import detect

    cmd = [_poppler("pdftoppm"), "-r", str(_PROBE_DPI), "-cropbox", "-f", "1", "-l", "1"]
    cmd.append(str(path.absolute()))
    try:
        done = subprocess.run(
            _limited(cmd, 0),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=limit,
            check=True,
            start_new_session=True,
        )
        preview = _read_pnm(BytesIO(done.stdout))
    except (subprocess.SubprocessError, OSError, ValueError):
        return False  # the renderer proper reports what is wrong with the file
    if preview is None or preview.ndim != 3:
        return False
    colour = detect(preview, min_saturation=_PROBE_SATURATION)
    log.debug("%s: page 1 preview: %s", path, f"{colour} printing" if colour else "no colour")
    return colour is not None


def _page1_images_grey(
    path: Path, timeout: float = _PROBE_TIMEOUT, rows: list[list[str]] | None = None
) -> bool:
    """Whether page 1 is a scan in grey: images, all of them greyscale.

    ``pdfimages -list`` reads the image headers only (milliseconds), so a
    grey scan skips the preview. Anything else (colour images, none at
    all, no pdfimages) is left to the preview. ``rows``: the document's
    :func:`_image_rows`, where the plan already has them.
    """
    if rows is None:
        rows = _image_rows(path, 1, 1, timeout)
    spaces = [(r[5], r[6]) for r in rows if len(r) > 6 and r[0] == "1"]
    return bool(spaces) and all(c == "gray" or (c == "icc" and n == "1") for c, n in spaces)


def _image_rows(path: Path, first: int, last: int, timeout: float) -> list[list[str]]:
    """``pdfimages -list`` of pages ``first`` to ``last``, one split line an
    image (page num type width height color comp bpc enc ...); none when
    pdfimages is missing or fails."""
    exe = shutil.which("pdfimages")
    if exe is None:
        return []
    cmd = [exe, "-list", "-f", str(first), "-l", str(last), str(path.absolute())]
    try:
        done = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=True
        )
    except (subprocess.SubprocessError, OSError):
        return []
    # two header lines
    return [line.split() for line in done.stdout.decode("ascii", "replace").splitlines()[2:]]


def _grey(pixels: np.ndarray, dropout: DropoutMode) -> np.ndarray:
    """A rendered page (greyscale, or RGB) to the greyscale page read."""
    if pixels.ndim == 2:
        return pixels
    from formocr.io.dropout import to_grey

    return to_grey(pixels, dropout, drop=False).page


# A page smaller than this (bytes as rendered) could sit whole in the pipe
# while pdftoppm already renders the next, so its complaints could not be
# told from the next page's: such documents are rendered one page a run.
_STREAM_MIN_BYTES = 1 << 20
# Renders that fail (time out, crash) before the rest of a document is given up.
_MAX_RESTARTS = 3
_CHUNK = 1 << 16


def _memory_limit(largest: int) -> int:
    """Address space for one pdftoppm, in KiB: room for the page bitmap, then some."""
    return (2 << 20) + 3 * largest // 1024


def _limited(cmd: list[str], largest: int) -> list[str]:
    """``cmd`` run by sh under ``ulimit -v`` (thread-safe, unlike preexec_fn)."""
    kib = _memory_limit(largest)
    return ["/bin/sh", "-c", f'ulimit -v {kib} 2>/dev/null; exec "$0" "$@"', *cmd]


class _Timeout(Exception):
    pass


class _Pipe:
    """pdftoppm's stdout, read with a deadline (select on the raw descriptor)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buf = bytearray()

    def _fill(self, deadline: float | None) -> bool:
        """Read one chunk into the buffer; False at end of stream."""
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise _Timeout
        chunk = os.read(self.fd, _CHUNK)
        self.buf += chunk
        return bool(chunk)

    def started(self, deadline: float | None) -> bool:
        """Wait for the next image's first bytes; False at a clean end of stream."""
        while not self.buf:
            if not self._fill(deadline):
                return False
        return True

    def image(self, deadline: float | None) -> np.ndarray:
        """One binary PGM (P5) or PPM (P6) image; ValueError when malformed or cut."""
        while True:
            m = _PNM_HEADER.match(self.buf)
            if m is not None:
                break
            if len(self.buf) > 512 or not _PNM_PREFIX.match(self.buf):
                raise ValueError(f"unexpected image header {bytes(self.buf[:16])!r}")
            if not self._fill(deadline):
                raise ValueError("truncated image header")
        magic, w, h, maxval = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))
        if maxval != 255:
            raise ValueError(f"unexpected image format {magic!r}/{maxval}")
        channels = 3 if magic == b"P6" else 1
        size = w * h * channels
        out = bytearray(size)
        have = min(size, len(self.buf) - m.end())
        out[:have] = self.buf[m.end() : m.end() + have]
        del self.buf[: m.end() + have]
        view = memoryview(out)
        while have < size:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                    raise _Timeout
            n = os.readv(self.fd, [view[have:]])
            if not n:
                raise ValueError(f"truncated image data ({have} of {size} bytes)")
            have += n
        pixels = np.frombuffer(out, np.uint8)
        return pixels.reshape(h, w) if channels == 1 else pixels.reshape(h, w, 3)


_PNM_HEADER = re.compile(rb"(P[56])\s+(\d+)\s+(\d+)\s+(\d+)\s")
_PNM_PREFIX = re.compile(rb"P[56]?(\s+\d*)*$")


class _PdfRenderer:
    """pdftoppm, streaming a document's pages as PGM (or PPM, in colour).

    Every complaint on pdftoppm's stderr is charged to the page it was
    printed for: a page's bitmap is written only once it is rendered, and a
    page too large to fit in the pipe cannot be followed by the next one's
    rendering before its first bytes are read, so what stderr holds when a
    page's first bytes arrive, past what it held at the last page's, is this
    page's. Documents with smaller pages are rendered one page a run.

    Each run is its own process group under a memory limit; a page that
    takes longer than ``timeout`` has its group killed and is an error, and
    the rest of the document is rendered by a new run.
    """

    def __init__(
        self,
        path: Path,
        dpi: int,
        shapes: list[tuple[int, int]],
        colour: bool = False,
        timeout: float | None = None,
        first: int = 1,
        last: int | None = None,
        jpeg: Sequence[bool] = (),
    ) -> None:
        self.path = path
        self.shapes = shapes
        self.jpeg = jpeg  # pages read from their JPEG (formocr.io.embedded)
        self.failures = 0  # renders that failed, over the document
        self.dpi = dpi
        self.first = first  # the pages rendered: first .. last (default all)
        self.pages = len(shapes) if last is None else last
        self.colour = colour
        self.timeout = timeout
        channels = 3 if colour else 1
        mine = shapes[first - 1 : self.pages]
        self.largest = max(h * w for h, w in mine) * channels
        self.stream = all(h * w * channels >= _STREAM_MIN_BYTES for h, w in mine)
        self.proc: subprocess.Popen[bytes] | None = None
        # stderr goes to a file: a chatty damaged PDF must not fill a pipe
        # that nobody reads and stall the renderer. Read with pread only: the
        # child shares its offset.
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self._lock = threading.Lock()

    def _start(self, first: int, last: int) -> _Pipe:
        self.kill()
        self._close_pipe()
        self.errors.truncate(0)
        self.errors.seek(0)
        cmd = [_poppler("pdftoppm"), "-r", str(self.dpi), "-cropbox"]
        cmd += [] if self.colour else ["-gray"]
        cmd += ["-f", str(first), "-l", str(last), str(self.path.absolute())]
        proc = self._spawn(cmd, self.errors)
        assert proc.stdout is not None
        return _Pipe(proc.stdout.fileno())

    def _spawn(self, cmd: list[str], stderr: IO[bytes] | int) -> subprocess.Popen[bytes]:
        """``cmd`` as the renderer's process (its own group, under the memory
        limit, killed by :meth:`kill`), stdout to a pipe."""
        with self._lock:
            self.proc = subprocess.Popen(
                _limited(cmd, self.largest),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                bufsize=0,
                start_new_session=True,
            )
            return self.proc

    def _stderr(self, start: int = 0, end: int | None = None) -> str:
        fd = self.errors.fileno()
        end = os.fstat(fd).st_size if end is None else end
        return os.pread(fd, max(0, end - start), start).decode("utf-8", "replace")

    def _err_size(self) -> int:
        return os.fstat(self.errors.fileno()).st_size

    def frames(self) -> Iterator[tuple[int, np.ndarray | None, str | None]]:
        """(page, pixels, None) for each page read, (page, None, error) for each failed.

        Runs of pages that hold one scan's JPEG each are read from it
        (formocr.io.embedded), the rest, and any such page that fails its
        check, rendered.
        """
        page = self.first
        while page <= self.pages:
            want = self._jpeg(page)
            last = page
            while last < self.pages and self._jpeg(last + 1) == want:
                if want and last - page + 1 >= RUN_PAGES:
                    break
                last += 1
            if not want:
                yield from self._rendered(page, last)
            else:
                run = decode_run(
                    self._run, _poppler("pdftoppm"), _poppler("pdfimages"), self.path,
                    page, last, self.shapes, self.timeout or _PDFINFO_TIMEOUT,
                )  # fmt: skip
                with contextlib.closing(run):
                    for p, pixels in run:
                        if pixels is not None:
                            yield p, pixels, None
                        else:
                            yield from self._rendered(p, p)
            page = last + 1

    def _jpeg(self, page: int) -> bool:
        return page <= len(self.jpeg) and self.jpeg[page - 1]

    def _run(self, cmd: list[str], timeout: float) -> tuple[int, bytes, str] | None:
        """Run a poppler tool on a few pages as the renderer (killable, under
        the memory limit): (returncode, stdout, stderr), None on a failure."""
        self.kill()
        try:
            proc = self._spawn(cmd, subprocess.PIPE)
            out, err = proc.communicate(timeout=timeout)
        except (subprocess.SubprocessError, OSError):
            self.kill()
            return None
        return proc.returncode, out, err.decode("utf-8", "replace")

    def _rendered(
        self, first: int, last: int
    ) -> Iterator[tuple[int, np.ndarray | None, str | None]]:
        """Pages ``first`` to ``last`` rendered, as :meth:`frames` gives them."""
        page = first
        while page <= last:
            if self.failures > _MAX_RESTARTS:
                why = (
                    f"not rendered: {self.failures} pages of this document failed to render "
                    "before it"
                )
                yield page, None, self._message(page, why)
                page += 1
                continue
            end = last if self.stream else page
            pipe = self._start(page, end)
            mark = 0
            while page <= end:
                deadline = None if self.timeout is None else time.monotonic() + self.timeout
                try:
                    if not pipe.started(deadline):
                        raise ValueError("no image")
                    # The page is rendered: what stderr holds now is its share.
                    now = self._err_size()
                    said, mark = self._stderr(mark, now), now
                    pixels = pipe.image(deadline)
                except _Timeout:
                    self.kill()
                    self.failures += 1
                    why = f"rendering took more than {self.timeout:g} s (--page-timeout); stopped"
                    yield page, None, self._message(page, why)
                    page += 1
                    break
                except ValueError as e:
                    self.kill()
                    self.failures += 1
                    said = self._stderr(mark)
                    yield page, None, self._message(page, f"{e}; {_last_line(said)}")
                    page += 1
                    break
                damage, warnings = _complaints(said)
                if warnings:
                    log.warning(
                        "%s: page %d: poppler warns: %s", self.path, page, _summary(warnings)
                    )
                if damage:
                    yield page, None, self._message(page, f"damaged: {_summary(damage)}")
                else:
                    yield page, pixels, None
                page += 1
            else:
                self._finish(mark)

    def _finish(self, mark: int) -> None:
        """Reap a run that delivered all its pages; what it says last is logged."""
        assert self.proc is not None
        try:
            self.proc.wait(timeout=self.timeout or _PDFINFO_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
        tail = self._stderr(mark).strip()
        if self.proc.returncode != 0 or tail:
            log.warning(
                "%s: pdftoppm ended with %s after the last page: %s",
                self.path, self.proc.returncode, tail or "no message",
            )  # fmt: skip

    def _message(self, page: int, what: str) -> str:
        return (
            f"{self.path}: page {page}: cannot render it ({what}); re-export or re-scan "
            "the PDF, or try repairing it with qpdf"
        )

    def kill(self) -> None:
        """Stop the renderer's process group (which unblocks a reader); safe from any thread."""
        with self._lock:
            proc = self.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def close(self) -> None:
        """Release the pipe and the stderr file, once no thread reads them."""
        self.kill()
        self._close_pipe()
        self.errors.close()

    def _close_pipe(self) -> None:
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()


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
