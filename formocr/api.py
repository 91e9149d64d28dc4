"""The library entry point: paths in, one DocumentResult per document out.

    files = discover(paths)                      io
    for each file, for each page:                io.iter_pages
        fields = find_fields(page)               segment
        predictions = classify(all crops)        classify, one batch per page
        -> FieldResult / PageResult              here
    -> DocumentResult (or status "failed")       the batch goes on

Nothing here prints or exits: results are returned, failures of one document
become a failed DocumentResult, and everything else is a FormocrError.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator, Sequence
from os import PathLike
from pathlib import Path
from typing import Protocol

import numpy as np

from formocr.config import ScanConfig
from formocr.errors import FormocrError, ModelError
from formocr.io import discover, iter_pages
from formocr.types import (
    BBox,
    DigitResult,
    DocumentResult,
    FieldLayout,
    FieldResult,
    FieldStatus,
    PageImage,
    PageResult,
    Prediction,
)

__all__ = [
    "Classifier",
    "NullProgress",
    "Progress",
    "ScanBatch",
    "ScanConfig",
    "load_classifier",
    "scan",
    "scan_document",
    "scan_page",
]

log = logging.getLogger("formocr")


class Classifier(Protocol):
    """What scan needs of a classifier; formocr.classify.DigitClassifier is one."""

    name: str
    sha256: str

    def classify(self, images: Sequence[np.ndarray]) -> list[Prediction]: ...


class Progress(Protocol):
    """Receives the batch's progress; the CLI draws a bar with it, tests record it."""

    def start(self, total_files: int) -> None: ...

    def page(self, source: str, page: int) -> None:
        """A page of ``source`` is done (so long PDFs show movement)."""

    def advance(self, source: str, pages: int) -> None:
        """A document is done (or failed), after ``pages`` pages."""

    def finish(self) -> None: ...


class NullProgress:
    """The default: report nothing."""

    def start(self, total_files: int) -> None:
        pass

    def page(self, source: str, page: int) -> None:
        pass

    def advance(self, source: str, pages: int) -> None:
        pass

    def finish(self) -> None:
        pass


def load_classifier(model: Path | None = None) -> Classifier:
    """The ONNX digit classifier (the shipped model when ``model`` is None)."""
    from formocr.classify import DigitClassifier

    return DigitClassifier(model)


class ScanBatch:
    """The documents of a batch, read lazily; an iterator of DocumentResult.

    ``files`` and ``classifier`` are known before the first document is
    read, so an output header (model name, sha256) can be written first.
    """

    def __init__(
        self, files: list[Path], config: ScanConfig, classifier: Classifier, progress: Progress
    ) -> None:
        self.files = files
        self.config = config
        self.classifier = classifier
        self._docs = _scan_files(files, config, classifier, progress)

    def __iter__(self) -> Iterator[DocumentResult]:
        return self

    def __next__(self) -> DocumentResult:
        return next(self._docs)

    def close(self) -> None:
        """Stop early; releases the open document's renderer."""
        self._docs.close()


def scan(
    paths: Sequence[str | PathLike[str]],
    config: ScanConfig | None = None,
    classifier: Classifier | None = None,
    progress: Progress | None = None,
) -> ScanBatch:
    """Read every document under ``paths``; yield one result per document, in order.

    Discovery and model loading happen in this call, so :class:`InputError`
    and :class:`ModelError` are raised before any result; a document that
    cannot be read becomes a result with status "failed" and the batch goes
    on. A ModelError while reading stops the batch.
    """
    config = config or ScanConfig()
    files = discover(paths)
    clf = classifier if classifier is not None else load_classifier(config.model)
    return ScanBatch(files, config, clf, progress or NullProgress())


def _scan_files(
    files: list[Path], config: ScanConfig, classifier: Classifier, progress: Progress
) -> Generator[DocumentResult, None, None]:
    progress.start(len(files))
    try:
        for path in files:
            done: list[PageResult] = []
            try:
                done.extend(_pages(path, config, classifier, progress))
                doc = DocumentResult(source=str(path), status="ok", pages=tuple(done))
            except ModelError:
                raise  # a broken model fails every document: stop the batch
            except FormocrError as e:
                log.warning("%s", e)
                doc = _failed(path, str(e))
            except Exception as e:
                log.debug("%s: unexpected error", path, exc_info=True)
                msg = f"{path}: unexpected error ({type(e).__name__}: {e}); please report it"
                log.error("%s", msg)
                doc = _failed(path, msg)
            progress.advance(str(path), len(done))
            yield doc
    finally:
        progress.finish()


def _pages(
    path: Path, config: ScanConfig, classifier: Classifier, progress: Progress
) -> Iterator[PageResult]:
    for page in iter_pages(
        path, config.dpi, max_pages=config.max_pages, max_megapixels=config.max_megapixels
    ):
        yield scan_page(page, config, classifier)
        progress.page(str(path), page.page)


def _failed(path: Path, message: str) -> DocumentResult:
    return DocumentResult(source=str(path), status="failed", error=message)


def scan_document(
    path: Path, config: ScanConfig | None = None, classifier: Classifier | None = None
) -> DocumentResult:
    """One document, raising DocumentError rather than returning a failed result."""
    config = config or ScanConfig()
    clf = classifier if classifier is not None else load_classifier(config.model)
    pages = tuple(_pages(Path(path), config, clf, NullProgress()))
    return DocumentResult(source=str(path), status="ok", pages=pages)


def scan_page(page: PageImage, config: ScanConfig, classifier: Classifier) -> PageResult:
    """Segment one page and classify all its digits in one batch."""
    from formocr import segment  # lazy: OpenCV loads only when a page is read

    layouts: list[FieldLayout] = segment.find_fields(page.image, dpi=page.dpi)
    crops = [d.image for f in layouts for d in f.digits]
    preds = classifier.classify(crops) if crops else []
    if len(preds) != len(crops):
        raise ModelError(
            f"the classifier returned {len(preds)} predictions for {len(crops)} digits"
        )
    fields: list[FieldResult] = []
    it = iter(preds)
    for i, layout in enumerate(layouts, 1):
        digits = tuple(_digit(d.bbox, next(it)) for d in layout.digits)
        fields.append(_field(f"field_{i:03d}", layout, digits, config.min_confidence))
    h, w = page.image.shape
    return PageResult(page=page.page, width=w, height=h, dpi=page.dpi, fields=tuple(fields))


def _digit(bbox: BBox, p: Prediction) -> DigitResult:
    return DigitResult(
        value=str(p.digit),
        confidence=float(p.confidence),
        bbox=bbox,
        top3=tuple((str(d), float(c)) for d, c in p.top3),
    )


def _field(
    name: str, layout: FieldLayout, digits: tuple[DigitResult, ...], min_confidence: float
) -> FieldResult:
    if not digits:
        # Nothing was read, so there is no confidence to speak of.
        return FieldResult(name, "", 0.0, "empty", layout.bbox, ())
    confidence = min(d.confidence for d in digits)
    status: FieldStatus = "review" if confidence < min_confidence else "ok"
    value = "".join(d.value for d in digits)
    return FieldResult(name, value, confidence, status, layout.bbox, digits)
