"""A document read page by page in separate processes: its plan, then any one page.

The serial reader (:func:`formocr.io.iter_pages`) streams a document's pages
through one renderer. Workers that read pages in parallel
(``formocr.parallel``) instead need what is decided once per document, the
plan (its kind, page count, each PDF page's size as rendered, whether the
PDF renders in colour), and then any page, or a run of pages: ``pdftoppm -f N
-l M`` for a PDF, one frame at a time for a TIFF. A page read here is the page ``iter_pages``
yields with ``page_errors``: same pixels, same errors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from formocr.config import ScanConfig
from formocr.errors import DocumentError
from formocr.io.discovery import Kind, _check_file
from formocr.io.images import _iter_raster, raster_pages
from formocr.io.pdf import pdf_pages, pdf_plan
from formocr.types import PageImage


@dataclass(frozen=True)
class DocumentPlan:
    """What a worker needs, besides the page number, to read one page of a document."""

    kind: Kind
    pages: int
    shapes: tuple[tuple[int, int], ...] = ()  # PDF: each page's (h, w) as rendered
    colour: bool = False  # PDF: rendered in colour (the dropout decision of page 1)
    jpeg: tuple[bool, ...] = ()  # PDF: pages read from their JPEG (formocr.io.embedded)

    def __post_init__(self) -> None:
        if self.pages < 1:
            raise ValueError(f"a document has at least one page, got {self.pages}")

    def shape(self, page: int) -> tuple[int, int]:
        """The page's (h, w) where known (PDF), else (1, 1)."""
        return self.shapes[page - 1] if self.shapes else (1, 1)


def plan_document(path: Path, config: ScanConfig) -> DocumentPlan:
    """The plan, checked against the config's limits; DocumentError when unreadable."""
    kind = _check_file(path)
    if kind == "pdf":
        shapes, colour, jpeg = pdf_plan(
            path,
            config.dpi,
            config.max_pages,
            config.max_megapixels,
            config.dropout,
            config.page_timeout,
            config.embedded_jpeg,
        )
        return DocumentPlan(kind, len(shapes), tuple(shapes), colour, jpeg)
    return DocumentPlan(kind, raster_pages(path, kind, config.max_pages))


def render_page(path: Path, plan: DocumentPlan, page: int, config: ScanConfig) -> PageImage:
    """Page ``page`` (1-based) of the planned document.

    A damaged page is a page with ``error`` set; a DocumentError is raised
    where the serial reader fails the whole document (a TIFF frame over the
    pixel limit, a file that changed since it was planned).
    """
    if plan.kind == "pdf":
        with contextlib.closing(render_pages(path, plan, page, page, config)) as one:
            for image in one:
                return image
        raise ValueError(f"{path}: no page {page}")
    pages = _iter_raster(
        path,
        plan.kind,
        config.max_pages,
        config.max_megapixels,
        0,
        config.dropout,
        page_errors=True,
        page_timeout=config.page_timeout,
        only=page,
    )
    for image in pages:
        return image
    raise DocumentError(f"{path}: has no page {page} any more; it changed while it was read")


def render_pages(
    path: Path, plan: DocumentPlan, first: int, last: int, config: ScanConfig
) -> Generator[PageImage, None, None]:
    """Pages ``first`` to ``last``, each as :func:`render_page` gives it; a PDF's
    from one renderer streaming them. Close the iterator to stop it."""
    if plan.kind != "pdf":
        for page in range(first, last + 1):
            yield render_page(path, plan, page, config)
        return
    with contextlib.closing(
        pdf_pages(
            path,
            first,
            last,
            config.dpi,
            list(plan.shapes),
            plan.colour,
            config.dropout,
            config.page_timeout,
            plan.jpeg,
        )
    ) as pages:
        yield from pages


__all__ = ["DocumentPlan", "plan_document", "render_page", "render_pages"]
