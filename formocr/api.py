"""The library entry point: paths in, one DocumentResult per document out.

    files = discover(paths)                      io
    for each file, for each page:                io.iter_pages
        fields = find_fields(page)               segment (no template)
          or register(page, templates)           register (templates: best fit,
             + cut_fields(page, registration)    cut        or a page error)
        predictions = classify(all crops)        classify, one batch per page
        -> FieldResult / PageResult              here (+ template rules: rules)
    -> DocumentResult (or status "failed")       the batch goes on

Nothing here prints or exits: results are returned, failures of one document
become a failed DocumentResult, and everything else is a FormocrError.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from os import PathLike
from pathlib import Path
from typing import Protocol

import numpy as np

from formocr.config import ScanConfig
from formocr.errors import FormocrError, ModelError
from formocr.io import discover, iter_pages
from formocr.io.limits import PageTimeout, page_deadline
from formocr.read.amount import parse_amount, raw_text
from formocr.templates.template import TemplateField
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

# The reason given for a page without error where no box was found.
NO_BOXES = "no boxes found on the page"


class Classifier(Protocol):
    """What scan needs of a classifier; formocr.read.classify.DigitClassifier is one."""

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
    from formocr.read.classify import DigitClassifier

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
        path,
        config.dpi,
        max_pages=config.max_pages,
        max_megapixels=config.max_megapixels,
        dropout=config.dropout,
        page_errors=True,
        page_timeout=config.page_timeout,
    ):
        h, w = page.image.shape
        try:
            if page.error is not None:
                # Damaged, not rendered, or out of time: an error, never a blank page read.
                result = PageResult(page.page, w, h, page.dpi, error=page.error)
            else:
                with page_deadline(config.page_timeout):
                    result = scan_page(page, config, classifier)
                if not result.fields and result.error is None and result.reason is None:
                    result = replace(result, reason=NO_BOXES)
        except PageTimeout:
            msg = (
                f"{path}: page {page.page}: reading took more than {config.page_timeout:g} s "
                "(--page-timeout); stopped"
            )
            log.error("%s", msg)
            result = PageResult(page=page.page, width=w, height=h, dpi=page.dpi, error=msg)
        except (ModelError, MemoryError):
            raise
        except Exception as e:
            # A bug on one page must not cost the document's other pages.
            log.debug("%s p.%d: unexpected error", path, page.page, exc_info=True)
            msg = (
                f"{path}: page {page.page}: unexpected error ({type(e).__name__}: {e}); "
                "please report it"
            )
            log.error("%s", msg)
            result = PageResult(page=page.page, width=w, height=h, dpi=page.dpi, error=msg)
        yield result
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
    """Segment one page and classify all its digits in one batch.

    With templates, a page that registers to none becomes a page with an
    error and no fields: nothing is guessed.
    """
    h, w = page.image.shape
    if config.templates:
        return _scan_templated(page, config, classifier)
    from formocr.layout import fields as segment  # lazy: OpenCV loads only when a page is read

    layouts: list[FieldLayout] = segment.find_fields(page.image, dpi=page.dpi)
    digits = _classify(layouts, classifier)
    fields = tuple(
        _field(f"field_{i:03d}", layout, d, config.min_confidence)
        for i, (layout, d) in enumerate(zip(layouts, digits, strict=True), 1)
    )
    return PageResult(page=page.page, width=w, height=h, dpi=page.dpi, fields=fields)


def _scan_templated(page: PageImage, config: ScanConfig, classifier: Classifier) -> PageResult:
    from formocr.templates.cut import cut_fields
    from formocr.templates.register import RegistrationError, register

    h, w = page.image.shape
    try:
        reg = register(page.image, config.templates, dpi=page.dpi)
    except RegistrationError as e:
        which = "the template" if len(config.templates) == 1 else "any of the templates"
        msg = f"{page.source}: page {page.page} does not match {which}: {e}"
        log.warning("%s", msg)
        return PageResult(page=page.page, width=w, height=h, dpi=page.dpi, error=msg)
    log.debug(
        "%s p.%d: template %r, %d/%d boxes, turned %+.2f deg, scale %.3f, RMS %.2f mm",
        page.source, page.page, reg.template.name, reg.matched, reg.boxes,
        reg.rotation_deg, reg.scale, reg.residual_mm,
    )  # fmt: skip
    layouts = cut_fields(page.image, reg)
    digits = _classify(layouts, classifier)
    fields = []
    for tf, layout, d in zip(reg.template.fields, layouts, digits, strict=True):
        mc = config.min_confidence if tf.min_confidence is None else tf.min_confidence
        field = _apply_rules(_field(tf.name, layout, d, mc, tf.kind == "amount"), tf)
        if not all(reg.on_page(b, (h, w)) for b in tf.printed):
            # Part of the box was not scanned: what is read may be incomplete.
            why = "the box lies partly outside the scanned page; rescan the whole form"
            field = replace(field, status="review", reason=_join(why, field.reason))
        fields.append(field)
    return PageResult(
        page=page.page,
        width=w,
        height=h,
        dpi=page.dpi,
        fields=tuple(fields),
        template=reg.template.name,
    )


def _classify(
    layouts: Sequence[FieldLayout], classifier: Classifier
) -> list[tuple[DigitResult, ...]]:
    """Every digit of the page in one batch; per field, its DigitResults."""
    crops = [d.image for f in layouts for d in f.digits]
    preds = classifier.classify(crops) if crops else []
    if len(preds) != len(crops):
        raise ModelError(
            f"the classifier returned {len(preds)} predictions for {len(crops)} digits"
        )
    it = iter(preds)
    return [tuple(_digit(d.bbox, next(it)) for d in f.digits) for f in layouts]


def _apply_rules(field: FieldResult, tf: TemplateField) -> FieldResult:
    """A value that breaks its template rule goes to review, with the reason."""
    if field.status == "empty":
        return field
    from formocr.templates.rules import value_reasons

    broken = value_reasons(
        field.value,
        length=tf.length,
        pattern=tf.pattern,
        check=tf.check,
        date_format=tf.date_format,
    )
    if not broken:
        return field
    return replace(field, status="review", reason=_join(*broken, field.reason))


def _join(*reasons: str | None) -> str | None:
    return "; ".join(r for r in reasons if r) or None


def _digit(bbox: BBox, p: Prediction) -> DigitResult:
    return DigitResult(
        value=str(p.digit),
        confidence=float(p.confidence),
        bbox=bbox,
        top3=tuple((str(d), float(c)) for d, c in p.top3),
    )


def _field(
    name: str,
    layout: FieldLayout,
    digits: tuple[DigitResult, ...],
    min_confidence: float,
    amount: bool = False,
) -> FieldResult:
    """A field's value, confidence and status.

    An ``amount`` field's value is the normalised decimal its digits and
    separators spell (``formocr.read.amount``). Separators in any other field
    send it to review: the digits alone might not be the number meant.
    """
    if not digits:
        # Nothing was read, so there is no confidence to speak of.
        return FieldResult(name, "", 0.0, "empty", layout.bbox, ())
    confidence = min(d.confidence for d in digits)
    value = "".join(d.value for d in digits)
    marks = [(m.position, m.char) for m in layout.marks]
    raw = raw_text(value, marks) if marks else None
    reasons: list[str] = []
    if amount:
        reading = parse_amount(value, marks)
        value = reading.value or value
        if reading.reason:
            reasons.append(reading.reason)
    elif raw is not None:
        reasons.append(f"separators in the box ({raw!r}); an amount field reads them")
    if confidence < min_confidence:
        reasons.append(f"confidence {confidence:.4f} below {min_confidence:g}")
    status: FieldStatus = "review" if reasons else "ok"
    return FieldResult(
        name, value, confidence, status, layout.bbox, digits, _join(*reasons), raw=raw
    )
