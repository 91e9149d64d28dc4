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

import contextlib
import logging
import math
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from formocr.config import DEFAULT_COMBINE_POWER, DEFAULT_STRING_MAP, ScanConfig
from formocr.errors import FormocrError, ModelError
from formocr.io import discover, iter_pages
from formocr.io.limits import PageTimeout, page_deadline
from formocr.output.spool import PageSpool
from formocr.read import orient
from formocr.read.amount import parse_amount, raw_text
from formocr.read.combine import StringReader, StringReading, doubt_cap
from formocr.read.lattice import Lattice, LatticeDigit, LatticeReading
from formocr.templates.template import TemplateField
from formocr.types import (
    CURRENCY_SIGNS,
    GUARD_MARKS,
    Alternative,
    BBox,
    DigitResult,
    DocumentResult,
    FieldLayout,
    FieldResult,
    FieldStatus,
    Mark,
    PageImage,
    PageResult,
    Prediction,
    page_bbox,
)

if TYPE_CHECKING:
    from formocr.layout.lines import Shadow, Streak
    from formocr.read.verify import DigitVerifier  # its module loads OpenCV

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
    """The ONNX digit classifier (the shipped model when ``model`` is None),
    with the shipped string reader beside it when there is one (``Readers``)."""
    from formocr.read.classify import DigitClassifier
    from formocr.read.ctc import load_string_reader
    from formocr.read.verify import load_verifier

    # One onnxruntime thread each, as in a --jobs N worker (formocr.parallel.tasks
    # loads its models here): one process reads on one core, and more cores are
    # more processes. On 20 dense pages (--jobs 1), 2 threads spent ~1 s more
    # CPU and gained no wall time (the renderer runs beside it).
    # Batches of 16 crops: the same output, the same CPU per crop; the model's
    # activations grow with the batch (one thread, 2,048 crops: +14 MB at 16,
    # +62 MB at 64, +102 MB at 128). Over dense pages a worker peaks ~10 MB
    # lower than at 64, ~115 MB lower than at 512.
    return Readers(
        DigitClassifier(model, batch_size=16, threads=1),
        load_string_reader(threads=1),
        load_verifier(threads=1),
    )


class Readers:
    """What a page is read with: the digit classifier, the optional string
    (CTC) reader and the optional digit verifier, loaded once and passed
    around as one classifier.

    It is the classifier to every caller (``name``, ``sha256``, ``classify``
    and the rest are the digit model's); ``scan_page`` finds the string
    reader on it as ``string_reader``, the lattice the verifier as ``verifier``.
    """

    def __init__(
        self,
        digits: Classifier,
        strings: StringReader | None,
        verifier: DigitVerifier | None = None,
    ) -> None:
        self.digits = digits
        self.string_reader = strings
        self.verifier = verifier
        self.name = digits.name
        self.sha256 = digits.sha256

    def classify(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        return self.digits.classify(images)

    def __getattr__(self, name: str) -> object:
        # Only called for what Readers lacks: the digit model's own attributes.
        return getattr(self.__dict__["digits"], name)


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
            done = PageSpool()  # a long document's pages wait on disk, not in memory
            try:
                for page in _pages(path, config, classifier, progress):
                    done.put(len(done) + 1, page)
                doc = DocumentResult(str(path), "ok", pages=done.pages(len(done)))  # type: ignore[arg-type]
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
        embedded=config.embedded_jpeg,
    ):
        yield read_page(path, page, config, classifier)
        progress.page(str(path), page.page)


def read_page(
    path: Path, page: PageImage, config: ScanConfig, classifier: Classifier
) -> PageResult:
    """One page as a batch reads it, its failures confined to it.

    The unit of work of the serial loop and of a worker process
    (formocr.parallel): a damaged page, one over its time limit or one that
    hits a bug gives a result with ``error`` set; ModelError and MemoryError
    are raised.
    """
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
    return result


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


def scan_page(
    page: PageImage,
    config: ScanConfig,
    classifier: Classifier,
    reader: StringReader | None = None,
) -> PageResult:
    """Segment one page and classify all its digits in one batch.

    ``reader`` is the segmentation-free string reader (formocr.read.ctc), used
    on string boxes when ``config.string_reader`` asks for it; by default the
    classifier's own (``Readers.string_reader``), if it has one. With
    templates, a page that registers to none becomes a page with an error
    and no fields: nothing is guessed. A page fed upside down or sideways is
    read turned (``config.turn_upside_down``; ``formocr.read.orient``):
    without a template, sideways by its printed rules and upside down by its
    string lines, or, where they cannot tell, by its print; with one, by
    registering it turned where it matches no template as it lies.
    ``PageResult.turned`` says so, and its boxes stay in the pixels of the
    page as given. A sideways page that neither its lines nor its print can
    tell has every field in review (``WHICH_WAY_UP``); on a page whose way
    up was not told, a string with a point hanging at the top of its digits
    goes to review (``RAISED``). A page of known resolution from
    MIN_LOW_DPI up to LOW_DPI is read enlarged to READ_DPI, its boxes given
    back in its own pixels.
    """
    given = page
    page, f = _enlarged(page)
    result = _scan_page(page, config, classifier, reader)
    return result if f == 1.0 else _shrunk(result, f, given)


# A page of known resolution from MIN_LOW_DPI up to LOW_DPI (a cheque's
# grey image kept at 100 dpi, as CTS keeps it) is read enlarged to
# READ_DPI: at 100 dpi pen strokes are as wide as the paper level's window,
# and boxes were lost (206 of 240 amount boxes found; 233 enlarged;
# BENCHMARKS.md, thirty-eighth session). Not past ENLARGED_PX pixels. An
# image recording less than MIN_LOW_DPI is taken to record none
# (``formocr.io.images.MIN_RECORDED_DPI``); a PDF rendered under it was
# asked for so (``--dpi``) and is read as rendered.
MIN_LOW_DPI = 100.0
LOW_DPI = 135.0
READ_DPI = 150.0
ENLARGED_PX = 60_000_000


def _enlarged(page: PageImage) -> tuple[PageImage, float]:
    """``page`` enlarged (bilinear) to READ_DPI where it is of MIN_LOW_DPI
    to LOW_DPI, and by how much (1.0: as given)."""
    if page.dpi is None or not MIN_LOW_DPI <= page.dpi < LOW_DPI or page.error is not None:
        return page, 1.0
    f = READ_DPI / page.dpi
    h, w = page.image.shape[:2]
    if h * w * f * f > ENLARGED_PX:
        return page, 1.0
    import cv2

    size = (round(w * f), round(h * f))
    big = cv2.resize(page.image, size, interpolation=cv2.INTER_LINEAR)
    return replace(page, image=big, dpi=READ_DPI), f


def _shrunk(result: PageResult, f: float, given: PageImage) -> PageResult:
    """``result``, read from ``given`` enlarged ``f`` times, in ``given``'s pixels."""
    h, w = given.image.shape[:2]
    shrink = np.array([[1.0 / f, 0.0, 0.0], [0.0, 1.0 / f, 0.0]])

    def back(b: BBox, shape: tuple[int, int]) -> BBox:
        return page_bbox(shrink, (b.x, b.y, b.w, b.h), shape)

    fields = tuple(_boxes_back(result.fields, back, (h, w)))
    return replace(result, width=w, height=h, dpi=given.dpi, fields=fields)


def _scan_page(
    page: PageImage, config: ScanConfig, classifier: Classifier, reader: StringReader | None
) -> PageResult:
    """``scan_page`` at the resolution it reads."""
    if reader is None:
        reader = getattr(classifier, "string_reader", None)
    page, shadow, streaks = _lifted(page)
    if config.templates:
        result = _scan_templated(page, config, classifier, reader)
    else:
        result = _scan_free(page, config, classifier, reader)
    if shadow is None and not streaks:
        return result
    from formocr.layout.lines import BAND_DARK

    cap = doubt_cap(config.combine_power, config.string_map)
    fields = list(result.fields)
    if streaks:
        fields = [
            _doubt(f, cap, UNDER_STREAK) if any(t.crosses(f.bbox) for t in streaks) else f
            for f in fields
        ]
    if shadow is not None:
        shadow = shadow.beyond([f.bbox for f in fields])
        fields = [
            _doubt(f, cap, UNDER_FOLD) if shadow.over(*f.bbox) >= BAND_DARK else f for f in fields
        ]
    return replace(result, fields=tuple(fields))


def _scan_free(
    page: PageImage, config: ScanConfig, classifier: Classifier, reader: StringReader | None
) -> PageResult:
    """``scan_page`` with no template."""
    from formocr.layout import fields as segment  # lazy: OpenCV loads only when a page is read

    located = segment.locate(page.image, dpi=page.dpi)
    if located.straightened is not None:
        # Photographed at a slant: read straightened, the boxes taken back.
        log.info("%s p.%d: read straightened (photographed at a slant)", page.source, page.page)
        inner = _read_free(
            replace(page, image=located.image), located.layouts, config, classifier, reader
        )
        warp = located.straightened
        return replace(
            _read_page(page, 0, _boxes_back(inner.fields, warp.back, page.image.shape)),
            turned=inner.turned,
        )
    return _read_free(page, located.layouts, config, classifier, reader)


def _read_free(
    page: PageImage,
    layouts: list[FieldLayout],
    config: ScanConfig,
    classifier: Classifier,
    reader: StringReader | None,
) -> PageResult:
    """``_scan_free`` over the boxes ``layouts`` found on ``page``."""
    from formocr.layout import fields as segment

    strings = _read_lines(layouts, config, reader)
    # With the check off, the caller vouches that pages lie the right way up.
    way = _Way(page.image, layouts, strings, told=not config.turn_upside_down)
    if config.turn_upside_down and reader is not None and strings is not None:
        way = _right_way_up(page, way, config, reader)
    image, layouts = way.image, way.layouts
    reads = _classify(layouts, classifier, config, reader, way.strings)
    cap = doubt_cap(config.combine_power, config.string_map)
    fields = [
        _field(f"field_{i:03d}", layout, r, config.min_confidence, page=image, cap=cap)
        for i, (layout, r) in enumerate(zip(layouts, reads, strict=True), 1)
    ]
    doubts = segment.box_doubts(image, layouts)
    for i in doubts.broken:
        fields[i] = _doubt(fields[i], cap, BROKEN)
    for i in doubts.overlapping:
        fields[i] = _doubt(fields[i], cap, OVERLAPS)
    for i in doubts.short:
        fields[i] = _doubt(fields[i], cap, SHORT)
    for i, layout in enumerate(layouts):
        if layout.guessed:
            fields[i] = _doubt(fields[i], cap, GUESSED)
        if layout.unframed and fields[i].status == "ok":
            fields[i] = _as_string(image, fields[i], config, classifier, reader, cap)
    if way.unsure:
        fields = [_doubt(f, cap, WHICH_WAY_UP) for f in fields]
    elif way.suspect:
        fields = [_doubt(f, cap, MAY_BE_UPSIDE_DOWN) for f in fields]
    elif way.disputed:
        fields = [_doubt(f, cap, PRINT_DISAGREES) for f in fields]
    if not way.told:
        # Which way up was not told: a point hanging at the top of the
        # digits, as an upside-down amount's does, may say it.
        fields = [
            _doubt(f, cap, RAISED) if lay.raised else f
            for f, lay in zip(fields, layouts, strict=True)
        ]
    return _read_page(page, way.quarters, fields)


def _as_string(
    image: np.ndarray,
    field: FieldResult,
    config: ScanConfig,
    classifier: Classifier,
    reader: StringReader | None,
    cap: float,
) -> FieldResult:
    """``field``, an image cut inside its box read as one digit's box for
    its shape (``FieldLayout.unframed``), in review where the image read as
    one string box gives other digits: an amount whose digits were written
    joined, cut tight round its writing, is shaped like one digit's box,
    and `512` so cut was read `4`, `ok` at 0.9994 (as a string: `52`)."""
    from formocr.layout.fields import strip_as_string

    layouts = strip_as_string(image)
    reads = _classify(layouts, classifier, config, reader, _read_lines(layouts, config, reader))
    text = "".join(d.value for r in reads for d in r.digits)
    if text == "".join(ch for ch in field.value if ch.isdigit()):
        return field
    return _doubt(field, cap, AS_STRING.format(text=text or "nothing"))


@dataclass(frozen=True)
class _Way:
    """A page as it is read: the image (the page as given, or turned
    ``quarters`` quarter turns clockwise), its boxes and their lines'
    readings; ``unsure``: it lay sideways, and which way up it was could
    not be told."""

    image: np.ndarray
    layouts: list[FieldLayout]
    strings: list[StringReading] | None
    quarters: int = 0
    unsure: bool = False
    # Too few lines to turn it, but they read better turned (orient.may_be_upside_down).
    suspect: bool = False
    # Which way up it lies was told surely, by its lines or by its print.
    told: bool = False
    # Its lines read it better turned, but its print stands as it lies: read
    # as it lies, every field in review (PRINT_DISAGREES).
    disputed: bool = False


def _lifted(page: PageImage) -> tuple[PageImage, Shadow | None, tuple[Streak, ...]]:
    """``page`` with the dark ground round its paper made paper, its
    scanner's streaks and its bands of shadow (a fold's) lifted, and where
    the bands and the streaks lay (``layout.lines.lift``); itself, None and
    none where it has none, and for a strip (a box or a row of boxes cut
    out: its background's print, shorter than a fold, is not lifted). A
    page of unknown resolution on a dark ground (a photograph) is scaled by
    its paper's size, not the image's."""
    from formocr.layout.lines import guess_dpi, lift, page_kind

    if page_kind(page.image.shape) == "strip":
        return page, None, ()
    image, shadow, paper, streaks = lift(page.image, page.dpi or guess_dpi(page.image.shape))
    if image is not page.image:
        page = replace(page, image=image)
    if page.dpi is None and paper is not None and page_kind(paper) != "strip":
        page = replace(page, dpi=guess_dpi(paper))
    return page, shadow, streaks


def _right_way_up(page: PageImage, way: _Way, config: ScanConfig, reader: StringReader) -> _Way:
    """``way``, the page as given; or the page turned a quarter clockwise,
    where its long rules run up it and it finds more wide boxes so; then
    turned half a turn more, where its lines (string boxes', then comb
    fields' as lines) read better so (``formocr.read.orient``) and lose at
    least ``TURN_NATS`` turned back, or its print stands upside down too.
    Where the lines cannot tell (too few, not surely upright, or a
    cheque's), as its print stands (``orient.print_way``). Where the lines
    would turn it and its print stands as it lies, as it lies and
    ``disputed`` (sideways: ``unsure``); where they would turn a whole
    cheque and its print cannot tell, as it lies and ``suspect``.
    Sideways, ``unsure`` unless its lines or its print said which way up;
    ``told`` where they said it."""
    from formocr.layout.fields import find_fields
    from formocr.layout.lines import guess_dpi, page_kind

    def at(quarters: int) -> _Way:
        image = orient.quarter(page.image, quarters)
        layouts = find_fields(image, dpi=page.dpi)
        return _Way(image, layouts, _read_lines(layouts, config, reader) or [], quarters)

    dpi = page.dpi or guess_dpi(page.image.shape)
    cheque = page_kind(page.image.shape) != "page"  # a cheque or a strip, by its shape
    if orient.may_lie_sideways(way.layouts, dpi) and orient.sideways(page.image, dpi):
        side = at(1)
        if orient.wide_boxes(side.layouts, dpi) > orient.wide_boxes(way.layouts, dpi):
            way = replace(side, unsure=True)
    # Sideways (not yet told which way up), it may be either way up: more
    # lines, no early stop.
    sideways = way.unsure
    sure, most = (
        (math.inf, orient.SIDEWAYS_LINES) if sideways else (orient.SURE_UPRIGHT, orient.MAX_LINES)
    )
    mode = _reader_mode(config, reader)

    def gain(w: _Way) -> tuple[int, float, bool]:
        """turn_gain over ``w``'s string lines (the ones ``_read_lines`` read),
        then as many comb lines as ``most`` leaves room for (``orient.comb_line``),
        but those of boxes found only on joined dots; and whether ``w`` has
        fewer than MIN_LINES lines in all."""
        # A box found only on joined dots may be print framed by a scan's
        # specks (FieldLayout.dotted): it does not vote.
        read = zip(_line_fields(w.layouts, mode), w.strings or [], strict=False)
        lines: list[np.ndarray] = []
        readings: list[StringReading] = []
        for f, r in read:
            if not f.dotted:
                lines.append(f.ink.line)  # type: ignore[arg-type, union-attr]
                readings.append(r)
        if len(lines) < most:
            voters = [f for f in w.layouts if not f.dotted]
            combs = [c for c in map(orient.comb_line, voters) if c is not None]
            combs = combs[: most - len(lines)]
            lines, readings = lines + combs, readings + list(reader.read(combs) if combs else [])
        return (
            *orient.turn_gain(lines, readings, reader, sure, most),
            len(lines) < orient.MIN_LINES,
        )

    def by_print(n: int, ahead: float) -> _Way | None:
        """Where the lines cannot say surely which way up: the page as its
        print stands (``orient.print_way``), if the print tells; still in
        review where fewer than MIN_LINES lines then read DOUBT_NATS better
        turned (``orient.may_be_upside_down``)."""
        if not way.layouts:
            return None
        standing = orient.print_way(way.image, dpi, _skew(way.layouts))
        if standing == 0:
            return None
        if standing > 0:
            return replace(
                way, unsure=False, suspect=orient.may_be_upside_down(n, ahead), told=True
            )
        again = at(way.quarters + 2)
        n, ahead, _ = gain(again)
        return replace(again, unsure=False, suspect=orient.may_be_upside_down(n, ahead), told=True)

    n, ahead, few = gain(way)
    if sideways and not (orient.upside_down(n, ahead) or orient.surely_upright(n, ahead)):
        # Sideways, and the lines cannot say which way up: as the print
        # stands, or the way they read better (for whoever reviews it),
        # every field in review.
        if (told := by_print(n, ahead)) is not None:
            return told
        if n == 0:
            return way
        return replace(at(way.quarters + 2), unsure=True) if ahead > 0 else way
    if not orient.upside_down(n, ahead):
        # Lines too few to tell, or not surely upright, or a cheque's (whose
        # few lines are poor, and whose print is cheap to read: on an A4
        # page it costs about 0.18 s): the print may tell.
        upright = not few and not cheque and orient.told_upright(n, ahead, sure)
        if not upright and (told := by_print(n, ahead)) is not None:
            return told
        return replace(way, unsure=False, suspect=orient.may_be_upside_down(n, ahead), told=upright)
    standing = orient.print_way(way.image, dpi, _skew(way.layouts))
    if standing > 0:
        # The lines say upside down, the print says it stands. Lines can
        # mislead (a sample form's handwritten name and city turned 5 of 40
        # upright pages before such lines stopped voting, orient.VOTE_MIN);
        # so can print that aligns at its heads (not Latin). Neither wins:
        # as it lies, every field in review.
        return replace(way, unsure=sideways, disputed=not sideways)
    again = at(way.quarters + 2)
    n, back, _ = gain(again)
    if standing == 0 and (n == 0 or back > -orient.TURN_NATS):
        # Sideways, it reads better turned but not surely so: turned, in review.
        return replace(again, unsure=True) if sideways else way
    if standing == 0 and not sideways and page_kind(page.image.shape) == "cheque":
        # A whole cheque's print tells which way up it stands (118 of 120
        # cheques fed upside down), and here it cannot: its few lines, which
        # said upside down, may be a background's scraps taken for boxes (a
        # black-and-white cheque on guilloche, turned and read `ok` and
        # wrong). As it lies, every field in review.
        return replace(way, suspect=True)
    # Turned: its lines read it surely better so, or its print stands upside
    # down as its lines said. The lines turned need not confirm what both
    # said: the boxes found on the page turned are not all the same, and a
    # writer's strings may read about as well either way (a form fed upside
    # down, lines +4.1 nats turned, print 10 pairs to 72, gained +0.13 turned
    # back and was read as it lay: `5001` came out `1005`, `ok`).
    return replace(again, told=True)


def _skew(layouts: Sequence[FieldLayout]) -> float:
    """The skew of the page the layouts were found on (degrees; 0 if none)."""
    return layouts[0].skew if layouts else 0.0


def _read_page(
    page: PageImage,
    quarters: int,
    fields: Sequence[FieldResult],
    template: str | None = None,
) -> PageResult:
    """The page's result from the fields read on the page turned
    ``quarters`` quarter turns clockwise (0: as given), their boxes taken
    back to the page's pixels as given."""
    h, w = page.image.shape
    if quarters % 4:
        turn = ("a quarter clockwise", "half a turn", "a quarter anticlockwise")[quarters % 4 - 1]
        log.info("%s p.%d: read turned %s", page.source, page.page, turn)

        def back(b: BBox, shape: tuple[int, int]) -> BBox:
            return orient.box_back(b, quarters, shape)

        fields = _boxes_back(fields, back, (h, w))
    return PageResult(
        page=page.page,
        width=w,
        height=h,
        dpi=page.dpi,
        fields=tuple(fields),
        template=template,
        turned=90 * (quarters % 4),
    )


def _boxes_back(
    fields: Sequence[FieldResult],
    back: Callable[[BBox, tuple[int, int]], BBox],
    shape: tuple[int, int],
) -> list[FieldResult]:
    """``fields`` with their boxes and their digits' taken by ``back`` onto
    the page of ``shape`` (h, w) they were read from."""
    return [
        replace(
            f,
            bbox=back(f.bbox, shape),
            digits=tuple(replace(d, bbox=back(d.bbox, shape)) for d in f.digits),
        )
        for f in fields
    ]


# A fold's shadow lay across the box, lifted before it was read: a crease
# left of it can pass for a box's line or a stroke.
UNDER_FOLD = "a fold's shadow lies across the box (lifted before reading: check the digits)"
# A scanner's streak crossed the box, lifted before it was read: what lay
# under it was guessed from its sides.
UNDER_STREAK = (
    "a scanner's streak crosses the box (lifted before reading: check the digits; "
    "clean the scanner's glass)"
)
# The page lay sideways and its lines did not tell which way up (``_Way.unsure``).
WHICH_WAY_UP = (
    "the page lies sideways and its lines do not tell surely which way up: it was read "
    "the way they read better, and it may be upside down so"
)


# Too few lines to turn the page, but they read better turned (``_Way.suspect``).
MAY_BE_UPSIDE_DOWN = (
    "the page may be upside down: its lines read better turned half a turn, "
    "though not surely enough to turn it"
)

# The lines read the page better turned half a turn, its print stands as it
# lies (``_Way.disputed``).
PRINT_DISAGREES = (
    "the page may be upside down: its lines read better turned half a turn, but its print "
    "stands as it lies; it was read as it lies"
)

# ``FieldLayout.unread``'s reason.
UNREAD = "a comb cell read as empty holds ink that may be a small or broken digit: a digit may be missing"

# ``FieldLayout.skipped``'s reason.
SKIPPED = (
    "a comb cell between written ones was read as empty "
    "(a digit written light, or lost?): a digit may be missing"
)

# ``FieldLayout.scraps``'s reason.
SCRAPS = (
    "a comb cell's narrow digit has specks of ink beside it that were left out "
    "(the rest of a digit the scan broke up, a 9's loop or a 7's bar?): it may be misread"
)

# ``FieldLayout.pieced``'s reason.
PIECED = (
    "a comb cell's digit was read from pieces, none as tall as a digit "
    "(a pen that skipped, or marks that are no digit?)"
)

# ``FieldLayout.faint``'s reason.
FAINT = (
    "a mark like a digit, lighter than the writing, was left out "
    "(a digit written light, an erased one, or writing showing through?): a digit may be missing"
)

# ``FieldLayout.raised``'s reason, on a page that was not told surely which way up.
RAISED = (
    "a point or comma hangs at the top of the digits, where one written upside down "
    "would: the box may be upside down"
)

# ``FieldLayout.crossed``'s reason.
CROSSED = "writing crosses the box's edge and was left out: a digit may be missing"

# ``FieldLayout.along``'s reason.
ALONG = (
    "a stroke along a printed line (a 1 written against the box's side, or a "
    "bold stroke beside a divider?) may have been whited out with it: a digit may be missing"
)

# ``FieldLayout.thinned``'s reason.
THINNED = (
    "a stroke as tall as the writing was taken for a hairline and left out "
    "(a slash? a digit written light or with a finer pen?)"
)

# ``formocr.layout.fields.overlapping_boxes``'s reason.
OVERLAPS = (
    "the box overlaps another box found on the page: its lines may be a background "
    "pattern's or a digit's, and a digit may be missing"
)

# ``FieldLayout.guessed``'s reason.
GUESSED = (
    "the box's lines were broken and a corner was missing; it was closed by a guess, "
    "so it may be printed text or a piece of another box"
)

# ``formocr.layout.fields.broken_boxes``'s reason.
BROKEN = (
    "handwriting beside the box, a one-digit cell or a box of cells against it, or its "
    "lines running on past its side: the box may be a piece of one whose lines broke (a "
    "black-and-white fax) or were printed faint, or writing missed it"
)

# ``formocr.layout.fields.short_boxes``' reason.
SHORT = (
    "the box is shorter than the boxes like it level with it: its foot or top may be "
    "a digit's stroke or a background's line, and the digit cut"
)

AS_STRING = (
    "read as one digit's box for its shape (no frame in the image), but read as a string "
    "box it gives {text}: digits written joined?"
)


def _scan_templated(
    page: PageImage, config: ScanConfig, classifier: Classifier, reader: StringReader | None
) -> PageResult:
    from formocr.templates.cut import cut_fields
    from formocr.templates.register import Registration, RegistrationError, register

    image, quarters = page.image, 0
    reg: Registration | None = None
    failure: RegistrationError | None = None
    try:
        reg = register(image, config.templates, dpi=page.dpi)
    except RegistrationError as e:
        failure = e
        # A sheet fed upside down or sideways matches turned half a turn or a quarter.
        for q in (2, 1, 3) if config.turn_upside_down else ():
            with contextlib.suppress(RegistrationError):
                image = orient.quarter(page.image, q)
                reg, quarters = register(image, config.templates, dpi=page.dpi), q
                break
    if reg is None:
        h, w = page.image.shape
        which = "the template" if len(config.templates) == 1 else "any of the templates"
        msg = f"{page.source}: page {page.page} does not match {which}: {failure}"
        log.warning("%s", msg)
        return PageResult(page=page.page, width=w, height=h, dpi=page.dpi, error=msg)
    log.debug(
        "%s p.%d: template %r, %d/%d boxes, turned %+.2f deg, scale %.3f, RMS %.2f mm",
        page.source, page.page, reg.template.name, reg.matched, reg.boxes,
        reg.rotation_deg, reg.scale, reg.residual_mm,
    )  # fmt: skip
    layouts = cut_fields(image, reg)
    reads = _classify(layouts, classifier, config, reader)
    cap = doubt_cap(config.combine_power, config.string_map)
    fields = []
    for tf, layout, r in zip(reg.template.fields, layouts, reads, strict=True):
        mc = config.min_confidence if tf.min_confidence is None else tf.min_confidence
        field = _field(tf.name, layout, r, mc, tf.kind == "amount", image, cap)
        field = _apply_rules(field, tf, cap, image)
        if not all(reg.on_page(b, image.shape[:2]) for b in tf.printed):
            # Part of the box was not scanned: what is read may be incomplete.
            why = "the box lies partly outside the scanned page; rescan the whole form"
            field = _doubt(field, cap, why)
        fields.append(field)
    return _read_page(page, quarters, fields, reg.template.name)


@dataclass(frozen=True)
class _Read:
    """What the readers made of one field, before rules and thresholds."""

    digits: tuple[DigitResult, ...]
    confidence: float | None = None  # None: the least sure digit's
    reasons: tuple[str, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    marks: tuple[Mark, ...] | None = None  # None: the layout's


def _reader_mode(config: ScanConfig, reader: StringReader | None) -> str:
    """How string boxes are read (``config.string_reader``), "lattice" where
    the string reader is asked for but there is none."""
    mode = config.string_reader
    return "lattice" if mode in ("ctc", "combined") and reader is None else mode


def _by_lattice(layouts: Sequence[FieldLayout], mode: str) -> list[bool]:
    """Which fields are read as strings, by the lattice (and the string reader)."""
    return [f.kind == "string" and f.ink is not None and mode != "cuts" for f in layouts]


def _line_fields(layouts: Sequence[FieldLayout], mode: str = "combined") -> list[FieldLayout]:
    """The string boxes whose lines the string reader reads, in order."""
    return [f for f, lat in zip(layouts, _by_lattice(layouts, mode), strict=True) if lat and f.ink]


def _ctc_lines(layouts: Sequence[FieldLayout], mode: str = "combined") -> list[np.ndarray]:
    """The lines of the string boxes, in order: what the string reader reads."""
    return [f.ink.line for f in _line_fields(layouts, mode)]  # type: ignore[misc, union-attr]


def _read_lines(
    layouts: Sequence[FieldLayout], config: ScanConfig, reader: StringReader | None
) -> list[StringReading] | None:
    """The string reader's readings of the page's string lines (``_ctc_lines``),
    or None where it reads none (``config.string_reader``, no reader)."""
    mode = _reader_mode(config, reader)
    if mode not in ("ctc", "combined") or reader is None:
        return None
    lines = _ctc_lines(layouts, mode)
    return list(reader.read(lines)) if lines else []


def _classify(
    layouts: Sequence[FieldLayout],
    classifier: Classifier,
    config: ScanConfig,
    reader: StringReader | None = None,
    strings: Sequence[StringReading] | None = None,
) -> list[_Read]:
    """Every crop of the page in two classifier batches: the crops read as
    digits (comb cells, a string's cuts) with the model's second look at the
    unsure, and the lattices' candidate digits without it (most are pieces it
    is rightly unsure of); then per field what its readers say.

    A string box is read as ``config.string_reader`` says: by its cuts, by
    the lattice over its candidate digits (formocr.read.lattice), by the
    string reader alone, or by both, combined (formocr.read.combine).
    ``strings``: the string reader's readings of the page's lines
    (``_read_lines``), where the caller has them already.
    """
    from formocr.read.lattice import class_log_probs, lattice_of
    from formocr.read.recut import second_look

    mode = _reader_mode(config, reader)
    by_lattice = _by_lattice(layouts, mode)
    digit_crops: list[np.ndarray] = []
    candidates: list[np.ndarray] = []
    for f, lat in zip(layouts, by_lattice, strict=True):
        if lat:
            assert f.ink is not None
            candidates.extend(s.crop.image for s in f.ink.segments)
        else:
            digit_crops.extend(d.image for d in f.digits)
    logp_digits = class_log_probs(classifier, digit_crops)
    logp_candidates, not_digit = _candidate_probs(layouts, by_lattice, classifier, candidates)
    if len(logp_digits) != len(digit_crops) or len(logp_candidates) != len(candidates):
        raise ModelError(
            f"the classifier returned {len(logp_digits) + len(logp_candidates)} predictions "
            f"for {len(digit_crops) + len(candidates)} digits"
        )
    use_ctc = mode in ("ctc", "combined") and reader is not None
    if strings is None:
        strings = _read_lines(layouts, config, reader) or []
    out: list[_Read] = []
    at_digit = at_candidate = 0
    k = 0
    for f, lat in zip(layouts, by_lattice, strict=True):
        if not lat:
            rows = logp_digits[at_digit : at_digit + len(f.digits)]
            at_digit += len(f.digits)
            out.append(_cells(f, rows))
            continue
        assert f.ink is not None
        rows = logp_candidates[at_candidate : at_candidate + len(f.ink.segments)]
        at_candidate += len(f.ink.segments)
        nd = None if not_digit is None else not_digit[at_candidate - len(rows) : at_candidate]
        lattice = lattice_of(f.ink, rows, not_digit=nd)
        best = lattice.best()
        ctc = strings[k] if use_ctc and f.ink.line is not None else None
        if use_ctc and f.ink.line is not None:
            k += 1
        if config.second_look and ctc is not None and reader is not None:
            best = second_look(f.ink, best, ctc, reader, classifier)
        out.append(_string(f, lattice, best, ctc, reader, mode, config))
    return out


def _candidate_probs(
    layouts: Sequence[FieldLayout],
    by_lattice: Sequence[bool],
    classifier: Classifier,
    candidates: list[np.ndarray],
) -> tuple[np.ndarray, np.ndarray | None]:
    """The lattices' candidates, normalised once: the digit model's
    log-probabilities (without its second look) and, where the classifier
    has a verifier (``Readers``), each one's probability of not being one
    digit (else None)."""
    from formocr.read.lattice import class_log_probs
    from formocr.read.normalize import normalize_batch

    verifier = getattr(classifier, "verifier", None)
    if verifier is None or not candidates:
        return class_log_probs(classifier, candidates, second_look=False), None
    from formocr.read.verify import geometry

    x = normalize_batch(candidates)
    geo = np.concatenate(
        [geometry(f.ink) for f, lat in zip(layouts, by_lattice, strict=True) if lat and f.ink]
    )
    logp = class_log_probs(classifier, candidates, second_look=False, normalised=x)
    return logp, verifier.not_digit(x, geo)


def _probs_row(row: np.ndarray) -> tuple[int, float, float, tuple[tuple[str, float], ...]]:
    """(digit, its probability, "not a digit" probability, top3) of a log-prob row."""
    p = np.exp(row)
    digits = p[:10]
    order = np.argsort(-digits)[:3]
    not_digit = float(p[10]) if len(p) > 10 else 0.0
    d = int(order[0])
    return (
        d,
        float(min(1.0, digits[d])),
        not_digit,
        tuple((str(int(k)), float(digits[k])) for k in order),
    )


def _cells(f: FieldLayout, rows: np.ndarray) -> _Read:
    """A comb's digits (or a string's cuts), one crop each."""
    from formocr.config import NOT_DIGIT_REVIEW

    digits = []
    reasons = []
    for i, (crop, row) in enumerate(zip(f.digits, rows, strict=True), 1):
        d, conf, not_digit, top3 = _probs_row(row)
        digits.append(DigitResult(str(d), conf, crop.bbox, top3))
        if not_digit >= NOT_DIGIT_REVIEW:
            where = "cell" if f.kind == "comb" else "digit"
            reasons.append(f"{where} {i} may not be a digit (p = {not_digit:.2f})")
    return _Read(tuple(digits), reasons=tuple(reasons))


def _string(
    f: FieldLayout,
    lattice: Lattice,
    best: LatticeReading,
    ctc: StringReading | None,
    reader: StringReader | None,
    mode: str,
    config: ScanConfig,
) -> _Read:
    """A string box read by the lattice, the string reader, or both combined."""
    from formocr.read.combine import Reading, combine, guard_read, sign_read

    assert f.ink is not None
    digits = tuple(
        DigitResult(d.value, d.confidence, d.bbox or f.bbox, d.top3) for d in best.digits
    )
    marks = _place_marks(f.marks, digits)
    # Ink the lattice would not read as any digit: a person should look.
    none = ("ink in the box, but no digit read",) if f.ink.primitives and not digits else ()
    if ctc is None or reader is None or f.ink.line is None:
        return _Read(digits, reasons=none + _doubted(best.digits), marks=marks)
    # The reading's confidence is p(text | image) (formocr.read.ctc).
    own = Reading("ctc", ctc.text, float(ctc.confidence), math.log(max(ctc.confidence, 1e-300)))
    if mode == "ctc":
        result = combine(own, None, config.combine_power, config.string_map)
        spread = _unplaced(result.value, result.confidence, f.bbox)
        return _Read(spread, confidence=result.confidence, marks=_place_marks(f.marks, ()))
    if ctc.text == best.text:
        lat = Reading("lattice", best.text, best.confidence)
        result = combine(lat, own, config.combine_power, config.string_map)
    else:
        lat = Reading("lattice", best.text, best.confidence, best.score, lattice.score(ctc.text))
        own = replace(own, other=reader.rescore(ctc, best.text))
        guards = [m.position for m in marks if m.char in GUARD_MARKS]
        signs = [(m.position, m.char) for m in marks if m.char in CURRENCY_SIGNS]
        guarded = guard_read(guards, best.text, ctc.text) or sign_read(signs, best.text, ctc.text)
        result = combine(lat, own, config.combine_power, config.string_map, guarded)
    path = best.digits
    if result.value != best.text:
        # The string reader's text won: the lattice's best path spelling it
        # gives its digits their boxes, where it can spell it at all.
        spelt = lattice.spell(result.value)
        path = spelt.digits if spelt is not None else ()
        if spelt is not None:
            digits = tuple(
                DigitResult(d.value, d.confidence, d.bbox or f.bbox, d.top3) for d in spelt.digits
            )
        else:
            digits = _unplaced(result.value, result.confidence, f.bbox)
        kept = f.marks
        if len(result.value) > len(best.text):
            # It read ink the lattice did not: a blob set apart as a currency
            # sign was most likely a digit (the lattice read without it).
            kept = tuple(m for m in f.marks if m.char not in CURRENCY_SIGNS)
        marks = _place_marks(kept, digits)
    reasons = ((result.reason,) if result.reason else ()) + _doubted(path)
    return _Read(
        digits,
        confidence=result.confidence,
        reasons=reasons,
        alternatives=result.alternatives,
        marks=marks,
    )


def _doubted(digits: Sequence[LatticeDigit]) -> tuple[str, ...]:
    """A reason for each digit of a lattice path that the verifier doubts is
    one digit at all, where the digit model is not sure of it either or it
    is a 1 of two strokes side by side (two 1s read as one)."""
    from formocr.config import NOT_DIGIT_REVIEW, NOT_DIGIT_UNSURE, TWO_ONES

    reasons = []
    for i, d in enumerate(digits, 1):
        if d.not_digit < NOT_DIGIT_REVIEW:
            continue
        if d.confidence < NOT_DIGIT_UNSURE:
            reasons.append(
                f"digit {i} may not be a digit (verifier p = {d.not_digit:.2f}; "
                f"read {d.value} at {d.confidence:.3f})"
            )
        elif d.value == "1" and d.side_by_side >= TWO_ONES:
            reasons.append(
                f"digit {i} may be two 1s written together (verifier p = {d.not_digit:.2f}; "
                f"two strokes side by side in {d.side_by_side:.0%} of its rows)"
            )
    return tuple(reasons)


def _unplaced(text: str, confidence: float, box: BBox) -> tuple[DigitResult, ...]:
    """Digits the string reader read but no cut places: each the whole box's."""
    return tuple(DigitResult(ch, confidence, box, ((ch, confidence),)) for ch in text)


def _place_marks(marks: tuple[Mark, ...], digits: Sequence[DigitResult]) -> tuple[Mark, ...]:
    """The marks, each placed after the digits whose centres lie left of its centre."""
    centres = sorted(d.bbox.x + d.bbox.w / 2 for d in digits)
    return tuple(
        replace(m, position=int(np.searchsorted(centres, m.bbox.x + m.bbox.w / 2))) for m in marks
    )


# Of two dates a string's 1s read as slashes could make ("2112160": 2/12/60
# or 21/2/60), the one whose slashes lean more than its digits by at least
# this more than the other's (x per y; ``combine.leans_more``) is the value.
SLASH_TIE = 0.1


def _apply_rules(
    field: FieldResult, tf: TemplateField, cap: float, page: np.ndarray | None = None
) -> FieldResult:
    """A value that breaks its template rule goes to review, with the reason.
    A date field's value read with its slashes as 1s is given as the date
    (``_slashed``; the ``page`` breaks a tie between two dates)."""
    if field.status == "empty":
        return field
    from formocr.templates.rules import value_reasons

    def broken(value: str) -> list[str]:
        return value_reasons(
            value, length=tf.length, pattern=tf.pattern, check=tf.check, date_format=tf.date_format
        )

    why = broken(field.value)
    if not why:
        return field
    date = None
    if tf.check == "date" and tf.kind == "digits":  # a free box: a comb's cells hold no slash
        date = _slashed(field, tf.date_format or "DDMMYYYY", page)
    if date is not None and not broken(date):
        # "12/04/2029" read 1210412029: the date, its slashes taken out. A
        # person should still look: the 1s were read as digits.
        why = [f"read as the date {date} ({field.value!r} with its separators read as 1s)"]
        field = replace(field, value=date)
    return _doubt(field, cap, *why)


def _slashed(field: FieldResult, fmt: str, page: np.ndarray | None) -> str | None:
    """The date ``field``'s value makes in ``fmt`` with its slashes read as
    1s (``rules.slashed_dates``): the only one, or of two, the one whose
    separators lean more than the other's by SLASH_TIE (a slash leans more
    than a writer's 1 as a rule, not always: ``combine.SLASH_LEAN``);
    None otherwise."""
    from formocr.read.combine import leans_more
    from formocr.templates.rules import slashed_dates

    found = slashed_dates(field.value, fmt)
    if len(found) == 1:
        return next(iter(found))
    if len(found) != 2 or page is None or len(field.digits) != len(field.value):
        return None
    (one, at_one), (two, at_two) = found.items()
    lean_one, lean_two = (leans_more(page, field.digits, at) for at in (at_one, at_two))
    if lean_one is None or lean_two is None or abs(lean_one - lean_two) < SLASH_TIE:
        return None
    return one if lean_one > lean_two else two


def _doubt(field: FieldResult, cap: float, *why: str) -> FieldResult:
    """``field`` sent to review for ``why``: something other than its
    confidence (a rule it breaks, a box in question). Its confidence is then
    at most ``cap`` (``combine.doubt_cap``: where the readers' disagreements
    rank), so fields ranked by confidence put every field that may be wrong
    for another reason below those its confidence alone decides."""
    return replace(
        field,
        status="review",
        reason=_join(*why, field.reason),
        confidence=min(field.confidence, cap),
    )


def _join(*reasons: str | None) -> str | None:
    return "; ".join(r for r in reasons if r) or None


def _field(
    name: str,
    layout: FieldLayout,
    read: _Read,
    min_confidence: float,
    amount: bool = False,
    page: np.ndarray | None = None,
    cap: float | None = None,
) -> FieldResult:
    """A field's value, confidence and status.

    An ``amount`` field's value is the normalised decimal its digits and
    separators spell (``formocr.read.amount``). In any other field the value
    is the digits, and separators the amount grammar cannot explain send it
    to review: a mark or a digit was misread, or the digits alone are not
    the number meant. So does anything the readers flagged, and a value the
    box cannot hold (``formocr.read.combine.evidence_reasons``) and, given
    the ``page``, a 0 that is a solid blob (``solid_zero_reasons``), a
    digit drawn much finer and lighter than the others (``fine_reasons``) or
    a digit that reaches the edge of the image (``edge_reasons``), and a digit
    whose ink runs through its box from above to below (``through_reasons``):
    those are
    never ``ok``, and their confidence is at most ``cap`` (see ``_doubt``;
    None: the cap at the default combination map).
    """
    from formocr.read.combine import (
        SLASH_END,
        SLASH_LEAN,
        SLASH_PEERS,
        SLASH_SURE,
        confused_reasons,
        edge_reasons,
        evidence_reasons,
        fine_reasons,
        gap_reasons,
        left_out_edge_reasons,
        open_loop_reasons,
        runs_on_reasons,
        short_reasons,
        slash_lean,
        slash_reasons,
        solid_zero_reasons,
        through_reasons,
        wide_cell_reasons,
    )

    digits = read.digits
    if not digits:
        # What was left out of a box read as empty may be its digit: writing
        # across its edge (a box found cut short at a digit's foot), a
        # stroke taken for a hairline, ink too small or too faint to read.
        left_out = (
            (CROSSED, layout.crossed),
            (THINNED, layout.thinned),
            (UNREAD, layout.unread),
            (FAINT, layout.faint),
            (ALONG, layout.along),
        )
        unread = [why for why, on in left_out if on]
        if read.reasons or unread:
            why = _join(*read.reasons, *unread)
            return FieldResult(name, "", 0.0, "review", layout.bbox, (), why)
        # Nothing was read, so there is no confidence to speak of.
        return FieldResult(name, "", 0.0, "empty", layout.bbox, ())
    least = min(d.confidence for d in digits)
    confidence = least if read.confidence is None else min(read.confidence, 1.0)
    value = "".join(d.value for d in digits)
    marks = [(m.position, m.char) for m in (layout.marks if read.marks is None else read.marks)]
    raw = raw_text(value, marks) if marks else None
    reasons: list[str] = list(read.reasons)
    size = layout.printed or layout.bbox  # a skewed box's hull is taller than the box
    reasons += evidence_reasons(value, cells=layout.cells, width=size.w, height=size.h)
    if layout.crossed:
        reasons.append(CROSSED)
    if layout.thinned:
        reasons.append(THINNED)
    if layout.unread:
        reasons.append(UNREAD)
    if layout.pieced:
        reasons.append(PIECED)
    if layout.scraps:
        reasons.append(SCRAPS)
    if layout.skipped:
        reasons.append(SKIPPED)
    if layout.faint:
        reasons.append(FAINT)
    if layout.along:
        reasons.append(ALONG)
    reasons += through_reasons(digits, layout.bbox)
    if page is not None:
        reasons += solid_zero_reasons(page, digits, layout.bbox)
        reasons += fine_reasons(page, digits, layout.bbox)
        if layout.kind == "comb":
            # A string box's digits may cross its edge into a background's
            # pattern (2 of 153 right `ok` amounts cut out of cheques went
            # to review); a comb cell's stub of a stamp's side reads as a 1.
            reasons += runs_on_reasons(page, digits, layout.bbox)
        reasons += edge_reasons(page.shape, digits, page)
    if layout.kind == "comb":
        reasons += short_reasons(digits, layout.bbox)
        reasons += wide_cell_reasons(digits, layout.cells, size.w)
    if layout.kind == "string":
        reasons += slash_reasons(digits, [p for p, _ in marks])
        # The reading's marks are the layout's, placed among its digits:
        # where they lie is the layout's.
        mark_boxes = [m.bbox for m in layout.marks]
        reasons += gap_reasons(digits, layout.gaps, mark_boxes)
        if page is not None:
            reasons += open_loop_reasons(page, digits, layout.bbox)
            reasons += left_out_edge_reasons(page.shape, layout.ink, digits, mark_boxes)
    reasons += confused_reasons(digits)
    reading = parse_amount(value, marks, require_mark=amount) if amount or marks else None
    slash = reading is not None and reading.slash  # a 1 just before the closing mark
    excess = None
    if page is not None and layout.kind == "string" and value.endswith("1"):
        excess = slash_lean(page, digits)  # how much more the last 1 leans
    if excess is not None and not slash and excess >= SLASH_END:
        # A slash whose closing dash joined it ("6/-" read 61, `ok`).
        reasons.append("the last 1 leans like a slash ('1500/-'?)")
    if reading is not None and slash and excess is not None and excess >= SLASH_LEAN:
        # "1500/-": the last 1 is the slash. Left out; unless it leans beyond
        # any real 1 (SLASH_SURE) than SLASH_PEERS other digits or more, the
        # field asks.
        if excess < SLASH_SURE or len(digits) - 1 < SLASH_PEERS:
            reasons.append(f"the last 1 in {raw!r} leans like a slash ('1500/-'): left out")
        digits = digits[:-1]
        value = "".join(d.value for d in digits)
        marks = [(min(p, len(value)), c) for p, c in marks]
        raw = raw_text(value, marks)
        reading = parse_amount(value, marks, require_mark=amount)
    if amount and reading is not None:
        value = reading.value or value
        if reading.reason:
            reasons.append(reading.reason)
    elif reading is not None and reading.reason and raw is not None:
        # Without a template the value is the digits as written, and ``raw``
        # keeps the marks. Marks the amount grammar explains ("1,250.00",
        # "1250.-") agree with the digits read; any others mean a mark or a
        # digit was misread, or the digits alone are not the number meant.
        reasons.append(f"separators in the box ({raw!r}): {reading.reason}")
    doubted = bool(reasons)
    if confidence < min_confidence:
        reasons.append(f"confidence {confidence:.4f} below {min_confidence:g}")
    if doubted:
        cap = doubt_cap(DEFAULT_COMBINE_POWER, DEFAULT_STRING_MAP) if cap is None else cap
        confidence = min(confidence, cap)
    status: FieldStatus = "review" if reasons else "ok"
    return FieldResult(
        name,
        value,
        confidence,
        status,
        layout.bbox,
        digits,
        _join(*reasons),
        raw=raw,
        alternatives=read.alternatives,
    )
