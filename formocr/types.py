"""Records passed between the pipeline stages.

io -> PageImage -> segment -> FieldLayout (with DigitCrop) -> classify -> Prediction
-> api assembles DigitResult / FieldResult / PageResult / DocumentResult -> output.
All are frozen; images are numpy arrays (greyscale uint8, dark ink on light paper).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal, NamedTuple

import numpy as np


class BBox(NamedTuple):
    """Axis-aligned box in pixels of the page as rendered, origin top-left."""

    x: int
    y: int
    w: int
    h: int

    def as_list(self) -> list[int]:
        return [int(self.x), int(self.y), int(self.w), int(self.h)]

    def iou(self, other: BBox) -> float:
        """Intersection over union with another box (0.0 when both are empty)."""
        ix = max(0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.w * self.h + other.w * other.h - inter
        return inter / union if union else 0.0


def rect_corners(matrix: np.ndarray, rect: tuple[float, float, float, float]) -> np.ndarray:
    """The four corners (4, 2) of rectangle ``(x, y, w, h)`` mapped by a 2x3 affine ``matrix``."""
    x, y, w, h = rect
    m = np.asarray(matrix, np.float64)
    pts = np.array([[x, y], [x + w, y], [x, y + h], [x + w, y + h]], np.float64)
    return np.asarray(pts @ m[:, :2].T + m[:, 2])


def page_bbox(
    matrix: np.ndarray, rect: tuple[float, float, float, float], shape: tuple[int, int]
) -> BBox:
    """The page box of a rectangle mapped by ``matrix`` onto a page of ``shape`` (h, w).

    The one conversion from a working frame (deskewed page, template, crop)
    to the output: the hull of the mapped corners in whole pixels, clamped to
    the page, at least 1 x 1. On a turned page a box near the edge would
    otherwise reach past it, and the output's boxes must lie on the page.
    """
    xs, ys = rect_corners(matrix, rect).T.tolist()
    H, W = shape
    # clip(v, lo, hi) as numpy does it: min(max(v, lo), hi), here on Python ints
    x0 = min(max(math.floor(min(xs)), 0), max(W - 1, 0))
    y0 = min(max(math.floor(min(ys)), 0), max(H - 1, 0))
    x1 = min(max(math.ceil(max(xs)), x0 + 1), max(W, x0 + 1))
    y1 = min(max(math.ceil(max(ys)), y0 + 1), max(H, y0 + 1))
    return BBox(x0, y0, x1 - x0, y1 - y0)


@dataclass(frozen=True)
class PageImage:
    """One rendered page: greyscale uint8, dark ink on light paper."""

    source: str
    page: int  # 1-based
    image: np.ndarray
    dpi: float | None = None
    # Set when the page could not be read whole (renderer or decoder
    # complained, timed out): ``image`` is then a blank, and nothing is read.
    error: str | None = None

    def __post_init__(self) -> None:
        if self.page < 1:
            raise ValueError(f"page numbers are 1-based, got {self.page}")
        if self.image.ndim != 2 or self.image.dtype != np.uint8:
            raise ValueError("PageImage.image must be a 2-D uint8 greyscale array")


@dataclass(frozen=True)
class DigitCrop:
    """One digit cut from a field: its page box and its greyscale pixels."""

    bbox: BBox
    image: np.ndarray


FieldKind = Literal["comb", "string"]
MarkChar = Literal[".", ",", "'", "-", "=", "$", "€", "#", "*"]
# The marks that are currency signs (written before an amount).
CURRENCY_SIGNS = frozenset("$€")
# The marks that guard an amount, written on both sides of it ("#1250#", "*1250*").
GUARD_MARKS = frozenset("#*")


@dataclass(frozen=True)
class Mark:
    """A written mark in a digit string: a separator "." "," "-" or "=", an
    apostrophe grouping thousands ("1'250.50", as the Swiss write them), a
    currency sign "$" or "€" before an amount (``formocr.layout.currency``),
    or a guard "#" or "*".

    ``position`` is how many of the field's digits come before it. Marks are
    found by shape rules, not by the classifier, and carry no confidence of
    their own: a field with marks that do not make sense goes to review.
    """

    bbox: BBox
    char: MarkChar
    position: int


@dataclass(frozen=True)
class Segment:
    """Primitives ``start`` .. ``end - 1`` of a string box cut out as one
    candidate digit; ``size`` is its ink's (w, h) on the deskewed box, and
    ``cost`` (nats) what the layout holds against it being one digit (it
    joins strokes written apart); ``holes`` how many loops its ink closes
    (-1: not counted); ``side_by_side`` the share of its ink's rows that
    cross two strokes or more (two 1s written close; 0: not measured)."""

    start: int
    end: int
    crop: DigitCrop
    size: tuple[int, int]
    cost: float = 0.0
    holes: int = -1
    side_by_side: float = 0.0


@dataclass(frozen=True)
class StringInk:
    """A string box's ink over-segmented for reading by recognition
    (``formocr.read.lattice``): the candidate digits over its primitives,
    the cost of cutting before each primitive, of leaving each out, the
    digits' height and width, and the box's interior (frame whited out)
    for a segmentation-free reader."""

    segments: tuple[Segment, ...]
    cut_costs: tuple[float, ...]
    skip_costs: tuple[float, ...]
    digit_height: float
    line: np.ndarray | None = None
    digit_width: float = 0.0  # a typical digit's width here (0: unknown)
    # Where ``line`` lies: its top-left corner in the box's cut-out, and once
    # ``placed``, its rectangle on the page (None until then).
    line_at: tuple[int, int] = (0, 0)
    line_box: BBox | None = None
    # The pixels of ``line`` that the layout set apart as marks (separators,
    # a currency sign): the string reader reads them as they are, the
    # lattice's second look leaves them out of its pieces (None: none known).
    line_marks: np.ndarray | None = None

    @property
    def primitives(self) -> int:
        return len(self.cut_costs)

    def placed(self, to_page: Callable[[float, float, float, float], BBox]) -> StringInk:
        """The same ink, each candidate's box mapped by ``to_page(x, y, w, h)``
        (from the box's cut-out to page pixels), and the line's rectangle."""
        segments = tuple(
            replace(s, crop=DigitCrop(to_page(*s.crop.bbox), s.crop.image)) for s in self.segments
        )
        box = None
        if self.line is not None:
            h, w = self.line.shape[:2]
            box = to_page(self.line_at[0], self.line_at[1], w, h)
        return replace(self, segments=segments, line_box=box)

    def on_page(self, x: float, y: float, w: float, h: float) -> BBox | None:
        """A rectangle of ``line`` on the page (None where the line was not placed)."""
        if self.line is None or self.line_box is None:
            return None
        lh, lw = self.line.shape[:2]
        b = self.line_box
        sx, sy = b.w / max(1, lw), b.h / max(1, lh)
        return BBox(
            int(round(b.x + x * sx)),
            int(round(b.y + y * sy)),
            max(1, int(round(w * sx))),
            max(1, int(round(h * sy))),
        )


@dataclass(frozen=True)
class FieldLayout:
    """A printed box found on a page, with the digits segmented inside it.

    ``digits`` holds only ink: empty comb cells are left out, so a field with
    no digits is an empty field.
    """

    bbox: BBox
    kind: FieldKind
    digits: tuple[DigitCrop, ...] = ()
    cells: int = 0  # number of comb cells (0 for a string field)
    marks: tuple[Mark, ...] = ()  # separators in a string field, left to right
    ink: StringInk | None = None  # a string field's ink for the lattice (None: cuts only)
    # Writing crossed the frame and was left out (it lay mostly outside).
    crossed: bool = False
    # A comb cell was left empty though it holds ink that may be a small or
    # broken digit (formocr.layout.digits.UNREAD_INK).
    unread: bool = False
    # A comb cell's digit was read from pieces none of which stands like a
    # digit (formocr.layout.digits.CELL_INK): a pen that skipped, or marks?
    pieced: bool = False
    # A comb cell's narrow digit (a 1?) has specks of ink beside it too small
    # to be read (formocr.layout.digits.LEFT_OUT): the rest of a digit the
    # scan broke up (a 9's thin loop), and the digit may be misread.
    scraps: bool = False
    # The box was found only once corners its scan had lost were closed by a
    # guess (a faint form archived black and white): it may be no box.
    guessed: bool = False
    # A point or comma hangs at the top of the string's digits, where one
    # written upside down would: the box may be upside down.
    raised: bool = False
    # A stroke as tall as writing was taken away from the string's box as
    # a hairline or tint (formocr.layout.digits._thinned_away).
    thinned: bool = False
    # A mark like a digit, lighter than the ink threshold, was left out of a
    # comb cell read as empty or beside a string's digits: a digit written
    # light, an erased one, or show-through (formocr.layout.digits.FAINT_DARK).
    faint: bool = False
    # A stroke along a printed line may have been whited out with it (a 1
    # written against a side; formocr.layout.digits.BoxLayout.along).
    along: bool = False
    # Its top and bottom lines run on past a side to no other box: it may be
    # a piece of a box whose side and dividers there were lost
    # (formocr.layout.lines.RUN_ON_CELL).
    runs_on: bool = False
    # A comb cell between two cells read as digits was read as empty, on a
    # printed background: a digit written light, or lost, may be missing
    # (formocr.layout.digits.skips_a_cell).
    skipped: bool = False
    # A string box on a printed background: the paper between two digits'
    # ink as wide as a digit (formocr.layout.digits.GAP_ROOM), page boxes.
    gaps: tuple[BBox, ...] = ()
    # Found only on a black-and-white page's faint rules' dots joined
    # (formocr.layout.lines.joined_dots): it may be print framed by a scan's
    # specks, so it does not vote on which way up the page lies.
    dotted: bool = False
    # An image cut inside its box, no frame in it, read as one digit's box
    # for its shape (formocr.layout.fields.SINGLE_ASPECT): it may be an
    # amount's digits written joined, cut tight (formocr.api._as_string).
    unframed: bool = False
    # The box as printed, in the pixels of the page deskewed by ``skew``
    # degrees (formocr.layout.lines.page_geometry); None: not known, and
    # ``bbox`` stands for it. On a skewed page ``bbox`` is the hull of the
    # turned box: taller and wider than the box (a 9-inch box 3 degrees off
    # level gains 0.47 in of height), and closer to its neighbours.
    printed: BBox | None = None
    skew: float = 0.0


@dataclass(frozen=True)
class Prediction:
    """The classifier's answer for one crop: the best digit, its probability
    (under the softmax over every class the model has, "not a digit" too),
    the three likeliest digits, and the probability that it is not a digit
    at all (0.0 for a 10-class model)."""

    digit: int
    confidence: float
    top3: tuple[tuple[int, float], ...]
    not_digit: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.digit <= 9:
            raise ValueError(f"digit out of range: {self.digit}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence out of [0,1]: {self.confidence}")
        if not 0.0 <= self.not_digit <= 1.0:
            raise ValueError(f"not_digit out of [0,1]: {self.not_digit}")


FieldStatus = Literal["ok", "review", "empty"]


@dataclass(frozen=True)
class DigitResult:
    value: str
    confidence: float
    bbox: BBox
    top3: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class FieldResult:
    name: str
    value: str
    confidence: float
    status: FieldStatus
    bbox: BBox
    digits: tuple[DigitResult, ...] = ()
    reason: str | None = None  # why the status is "review" (a rule failed, low confidence)
    raw: str | None = None  # digits and separators as written, when the box holds marks
    # Each reader's answer when the string readers disagree (the chosen one first).
    alternatives: tuple[Alternative, ...] = ()


@dataclass(frozen=True)
class Alternative:
    """One reader's reading of a field, listed when the readers disagree."""

    value: str
    confidence: float
    reader: str  # "lattice" or "ctc"


@dataclass(frozen=True)
class PageResult:
    """One page's fields; or, when ``error`` is set, none (e.g. it did not register)."""

    page: int
    width: int
    height: int
    dpi: float | None
    fields: tuple[FieldResult, ...] = ()
    error: str | None = None
    template: str | None = None  # the template the page was read with
    # Why a page without an error has no fields ("no boxes found"), so that
    # every page shows up in the output.
    reason: str | None = None
    # Degrees clockwise the page was turned to be read (formocr.read.orient):
    # 180 fed upside down, 90 or 270 fed sideways; 0 read as given. The
    # boxes are still in its pixels as given.
    turned: int = 0

    def __post_init__(self) -> None:
        if self.error is not None and self.fields:
            raise ValueError("a page with an error has no fields: no guessed values")


@dataclass(frozen=True)
class DocumentResult:
    source: str
    status: Literal["ok", "failed"]
    error: str | None = None
    pages: tuple[PageResult, ...] = field(default_factory=tuple)

    @property
    def incomplete(self) -> bool:
        """Did the document, or any of its pages, fail?"""
        return self.status == "failed" or any(p.error is not None for p in self.pages)
