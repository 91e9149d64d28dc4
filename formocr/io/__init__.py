"""Input discovery and page loading, one page at a time.

PDFs are inspected with one ``pdfinfo -box`` (page count, the CropBox that
is rendered, passwords, a structure poppler had to repair) and rendered by
``pdftoppm -cropbox``, which streams the pages as PGM through a pipe; a
background thread reads ahead, so poppler renders page n+1 while the caller
works on page n. Rerunning pdftoppm for every page would reparse the PDF
each time (4.1 s against 3.1 s for 20 pages at 300 dpi here), so that is
done only for documents of small pages, where the pipe could hold a whole
page and what poppler prints on stderr could not be charged to one page
(``formocr.io.pdf._PdfRenderer``). A scanner's page, one JPEG at the
reading resolution, is decoded from that JPEG instead, after a check
against a 30-dpi render (``formocr.io.embedded``). Any complaint but a "Syntax Warning"
makes its page an error; so does a page over the page timeout, whose
renderer's process group is killed. TIFF, PNG and JPEG go through Pillow,
which reads only the header before the size guard and reports truncated
files instead of returning half an image; the decoders' warnings (Python
warnings, and what libtiff and libjpeg print on stderr) make the frame a
page error, the next frames are still read.

Colour pages become greyscale through ``formocr.io.dropout``: in the channel
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

from collections.abc import Iterator
from pathlib import Path

from formocr.config import DEFAULT_DPI, DEFAULT_MAX_MEGAPIXELS, DropoutMode
from formocr.io.discovery import SUFFIXES, Kind, _check_file, discover
from formocr.io.images import _iter_raster
from formocr.io.pdf import _iter_pdf
from formocr.types import PageImage

__all__ = ["SUFFIXES", "Kind", "discover", "iter_pages"]


def iter_pages(
    path: Path,
    dpi: int = DEFAULT_DPI,
    *,
    max_pages: int | None = None,
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS,
    prefetch: int = 1,
    dropout: DropoutMode = "auto",
    page_errors: bool = False,
    page_timeout: float | None = None,
    embedded: bool = True,
) -> Iterator[PageImage]:
    """Yield the pages of one document as greyscale uint8 images.

    ``dpi`` is the render resolution for PDFs; images keep their pixels and
    report the dpi in their metadata (or None). At most ``prefetch`` pages
    are decoded ahead of the one the caller holds. ``dropout`` says how a
    colour page becomes greyscale (formocr.io.dropout; "none": luminance).

    A page that cannot be read whole (the renderer or decoder complained,
    it crashed, or it took longer than ``page_timeout`` seconds) raises a
    DocumentError, unless ``page_errors``: then it is yielded as a blank
    page with ``error`` set, and the document's other pages follow.
    ``embedded``: a PDF page that is one scan's JPEG at ``dpi`` is read from
    it rather than rendered (formocr.io.embedded).
    """
    path = Path(path)
    kind = _check_file(path)
    if kind == "pdf":
        yield from _iter_pdf(
            path,
            dpi,
            max_pages,
            max_megapixels,
            prefetch,
            dropout,
            page_errors,
            page_timeout,
            embedded,
        )
    else:
        yield from _iter_raster(
            path, kind, max_pages, max_megapixels, prefetch, dropout, page_errors, page_timeout
        )
