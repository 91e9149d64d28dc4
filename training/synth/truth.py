"""Ground-truth records of synthetic pages, and the reading order that names them.

Truth is what a benchmark scores the OCR against, so it lives apart from the
drawing code: ``FieldTruth`` mirrors the pipeline's ``FieldResult`` (name,
value, bbox) plus what only the generator knows (cells, comb style, per-digit
boxes, the full written text of an amount with its separators). All boxes
are in page pixels after every geometric degradation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from formocr.types import BBox, FieldKind

CombStyle = Literal["lines", "ticks", ""]

TEXT_CHARS = frozenset("0123456789.,-=$€/#*' ")
"""What an amount's written text may hold: digits, separators, spaces."""
MARK_CHARS = frozenset(".,-=$€/#*'")


@dataclass(frozen=True)
class DigitTruth:
    """One written digit: its value and ink box (page pixels, after degradation)."""

    value: str
    bbox: BBox
    cell: int | None = None  # 0-based comb cell; None in a string field

    def __post_init__(self) -> None:
        if len(self.value) != 1 or not self.value.isdigit():
            raise ValueError(f"DigitTruth.value must be one digit, got {self.value!r}")


@dataclass(frozen=True)
class FieldTruth:
    """Ground truth of one printed field, in reading order.

    ``bbox`` is the outer edge of the printed frame after all geometric
    degradation (the axis-aligned hull when the page is turned). Digit boxes
    may stick out of it where a digit crosses the frame. ``value`` skips
    empty comb cells; an empty field has value "".

    ``text`` is set only for an amount written with separators: the whole
    written text ("1,250.00", "1250.-", "12 000="), whose digits are
    ``value``; "" for every other field. ``marks`` are the separators' ink
    boxes (page pixels, after degradation), in writing order.
    """

    name: str
    bbox: BBox
    kind: FieldKind
    cells: int
    value: str
    digits: tuple[DigitTruth, ...] = ()
    comb_style: CombStyle = ""  # comb fields: "lines" (full separators) or "ticks"
    label: str = ""  # the printed label next to the field, for humans
    text: str = ""  # an amount's written text with separators and spaces; else ""
    marks: tuple[tuple[str, BBox], ...] = ()  # (".", box) per written separator

    def __post_init__(self) -> None:
        if self.kind not in ("comb", "string"):
            raise ValueError(f"{self.name}: kind must be 'comb' or 'string', got {self.kind!r}")
        if self.value and not self.value.isdigit():
            raise ValueError(f"{self.name}: value must be digits only, got {self.value!r}")
        if self.kind == "comb" and (self.cells < 1 or len(self.value) > self.cells):
            raise ValueError(f"{self.name}: {len(self.value)} digits in {self.cells} cells")
        if self.kind == "string" and self.cells != 0:
            raise ValueError(f"{self.name}: a string field has cells=0, got {self.cells}")
        if self.digits and "".join(d.value for d in self.digits) != self.value:
            raise ValueError(f"{self.name}: digit boxes do not spell the value {self.value!r}")
        if self.text:
            if self.kind != "string":
                raise ValueError(f"{self.name}: only a string field has a written text")
            if set(self.text) - TEXT_CHARS:
                raise ValueError(f"{self.name}: text may hold digits, .,-=$€/#*' and spaces only")
            if "".join(c for c in self.text if c.isdigit()) != self.value:
                raise ValueError(f"{self.name}: text {self.text!r} does not hold {self.value!r}")
        if self.marks:
            written = iter(c for c in self.text if c in MARK_CHARS)
            # Each boxed mark is a written one, in order (a mark off the page has no box).
            if not all(c in MARK_CHARS and c in written for c, _ in self.marks):
                raise ValueError(f"{self.name}: marks {self.marks} are not marks of {self.text!r}")


def reading_order(boxes: Sequence[BBox]) -> list[int]:
    """Indices of ``boxes`` top-to-bottom, then left-to-right within a row.

    Boxes are taken by their top edge; a box joins the current row when its
    vertical extent overlaps the row's first box by at least half the smaller
    height, otherwise it starts a new row.
    """
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i].y, boxes[i].x))
    rows: list[list[int]] = []
    for i in order:
        b = boxes[i]
        if rows:
            r = boxes[rows[-1][0]]
            overlap = min(b.y + b.h, r.y + r.h) - max(b.y, r.y)
            if overlap >= 0.5 * min(b.h, r.h):
                rows[-1].append(i)
                continue
        rows.append([i])
    return [i for row in rows for i in sorted(row, key=lambda j: boxes[j].x)]
