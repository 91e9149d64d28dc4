"""Synthetic form pages and cheques with exact ground truth.

The pipeline is tested and benchmarked on pages the project draws itself:
printed boxes, comb fields and free boxes filled with handwritten-looking
digits, surrounded by printed text full of digits that the OCR must ignore.
Ground truth is recorded while drawing and moved with the page's geometric
degradation, so it stays exact however the page is skewed.

Everything is drawn from the caller's ``np.random.Generator``: one seed, one
page. Layout draws happen before degradation draws, so the same seed with and
without skew gives the same layout (the tests rely on it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np

from formocr.types import BBox, FieldKind
from training.synth import printed
from training.synth.degrade import Degradation, geometry, photometric, transform_boxes, warp
from training.synth.strokes import WriterStyle, catmull_rom, random_style, render_digit

DigitSource = Callable[[int, np.random.Generator], np.ndarray]
"""(digit, rng) -> uint8 crop, dark ink on light paper, any size."""

CombStyle = Literal["lines", "ticks", ""]

PAGE_MM: dict[str, tuple[float, float]] = {"a4": (210.0, 297.0), "cheque": (175.0, 80.0)}
MIN_DPI, MAX_DPI = 72, 600


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
    """

    name: str
    bbox: BBox
    kind: FieldKind
    cells: int
    value: str
    digits: tuple[DigitTruth, ...] = ()
    comb_style: CombStyle = ""  # comb fields: "lines" (full separators) or "ticks"
    label: str = ""  # the printed label next to the field, for humans

    def __post_init__(self) -> None:
        if self.kind not in ("comb", "string"):
            raise ValueError(f"{self.name}: kind must be 'comb' or 'string', got {self.kind!r}")
        if self.value and not self.value.isdigit():
            raise ValueError(f"{self.name}: value must be digits only, got {self.value!r}")
        if self.kind == "comb" and not 1 <= len(self.value or "x") <= max(self.cells, 1):
            raise ValueError(f"{self.name}: {len(self.value)} digits in {self.cells} cells")
        if self.kind == "string" and self.cells != 0:
            raise ValueError(f"{self.name}: a string field has cells=0, got {self.cells}")
        if self.digits and "".join(d.value for d in self.digits) != self.value:
            raise ValueError(f"{self.name}: digit boxes do not spell the value {self.value!r}")


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


def _draw(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(lo) if lo == hi else float(rng.uniform(lo, hi))


@dataclass
class _Field:
    """A field while the page is being drawn: pre-degradation pixel boxes."""

    kind: FieldKind
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)
    cells: int = 0
    comb_style: CombStyle = ""
    label: str = ""
    digits: list[tuple[str, tuple[int, int, int, int], int | None]] = field(default_factory=list)


class _Sheet:
    """Page under construction: pixels, fields, one writer and one pen."""

    def __init__(
        self,
        size_mm: tuple[float, float],
        dpi: int,
        rng: np.random.Generator,
        deg: Degradation,
        source: DigitSource | None,
    ) -> None:
        if not MIN_DPI <= dpi <= MAX_DPI:
            raise ValueError(f"dpi must be between {MIN_DPI} and {MAX_DPI}, got {dpi}")
        self.dpi = dpi
        self.k = dpi / 25.4
        self.page = np.full((self.px(size_mm[1]), self.px(size_mm[0])), 255, np.uint8)
        self.rng = rng
        self.deg = deg
        self.source = source
        self.style: WriterStyle = random_style(rng)
        self.ink = _draw(rng, *deg.ink)
        self.print_grey = int(rng.integers(0, 45))
        self.lw = self.line_px(float(rng.choice([1.0, 2.0, 2.0, 3.0])))
        self.fields: list[_Field] = []

    @property
    def h(self) -> int:
        return self.page.shape[0]

    @property
    def w(self) -> int:
        return self.page.shape[1]

    def px(self, mm: float) -> int:
        return int(round(mm * self.k))

    def line_px(self, at_300: float) -> int:
        return max(1, round(at_300 * self.dpi / 300.0))

    # --- printing -------------------------------------------------------------------------

    def text(
        self, x: int, y: int, s: str, pt: float, bold: bool = False, mono: bool = False
    ) -> tuple[int, int]:
        """Print at (x, y) px; returns the text's (width, height) in px."""
        f = printed.font(printed.pt_to_px(pt, self.dpi), bold, mono)
        printed.stamp(self.page, x, y, s, f, self.print_grey)
        return printed.text_size(s, f)

    def text_size(self, s: str, pt: float, bold: bool = False) -> tuple[int, int]:
        return printed.text_size(s, printed.font(printed.pt_to_px(pt, self.dpi), bold))

    def hline(self, x0: int, x1: int, y: int, lw: int) -> None:
        self.page[y : y + lw, x0:x1] = self.print_grey

    def frame(self, x0: int, y0: int, x1: int, y1: int, lw: int) -> None:
        g = self.print_grey
        p = self.page
        p[y0 : y0 + lw, x0:x1] = g
        p[y1 - lw : y1, x0:x1] = g
        p[y0:y1, x0 : x0 + lw] = g
        p[y0:y1, x1 - lw : x1] = g

    # --- handwriting ----------------------------------------------------------------------

    def digit_image(self, d: int, height: int) -> np.ndarray:
        """A digit whose ink is ``height`` px tall, from the stroke writer or the source."""
        height = max(8, int(height))
        if self.source is None:
            return render_digit(d, height, self.rng, self.style)
        img = self.source(d, self.rng)
        if not isinstance(img, np.ndarray) or img.ndim != 2 or img.dtype != np.uint8:
            raise ValueError(f"digit_source must return a 2-D uint8 array (digit {d})")
        border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
        if float(np.median(border)) < 128:  # light-on-dark (MNIST layout): flip it
            img = 255 - img
        lo, hi = int(img.min()), int(img.max())
        if hi - lo < 30:
            raise ValueError(f"digit_source returned a blank image for digit {d}")
        ys, xs = np.nonzero(img < (lo + hi) // 2)
        img = img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        scale = height / img.shape[0]
        size = (max(1, round(img.shape[1] * scale)), height)
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        return cv2.resize(img, size, interpolation=interp)

    def shrink_to(self, img: np.ndarray, max_w: int) -> np.ndarray:
        if img.shape[1] <= max_w:
            return img
        s = max_w / img.shape[1]
        size = (max(1, max_w), max(1, round(img.shape[0] * s)))
        return cv2.resize(img, size, interpolation=cv2.INTER_AREA)

    def paste(self, img: np.ndarray, x: int, y: int) -> tuple[int, int, int, int] | None:
        """Lay ink over the page (multiplicatively, so ink over a line gets darker)."""
        h, w = img.shape
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, self.w), min(y + h, self.h)
        if x1 <= x0 or y1 <= y0:
            return None
        sub = img[y0 - y : y1 - y, x0 - x : x1 - x]
        ink = (255.0 - sub.astype(np.float32)) * (self.ink * self.rng.uniform(0.92, 1.0) / 255.0)
        if self.ink < 0.6:  # pencil: graphite leaves a grainy, broken line
            ink *= self.rng.uniform(0.45, 1.0, ink.shape).astype(np.float32)
        region = self.page[y0:y1, x0:x1]
        region[:] = (region * (1.0 - ink)).astype(np.uint8)
        ys, xs = np.nonzero(sub < 128)
        if len(xs) == 0:
            return None
        return (x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1)

    # --- fields ---------------------------------------------------------------------------

    def comb(
        self,
        x0: int,
        y0: int,
        cell_w: int,
        cell_h: int,
        digits: Sequence[int | None],
        style: CombStyle,
        label: str = "",
        cross: bool = False,
        lw: int | None = None,
    ) -> None:
        """A box of len(digits) cells; None leaves a cell empty."""
        rng = self.rng
        lw = self.lw if lw is None else lw
        slw = max(1, lw - int(rng.integers(0, 2)))
        cells = len(digits)
        x1, y1 = x0 + cells * cell_w, y0 + cell_h
        self.frame(x0, y0, x1, y1, lw)
        tick = int(round(cell_h * rng.uniform(0.2, 0.4)))
        for i in range(1, cells):
            sx = x0 + i * cell_w - slw // 2
            top = y0 if style == "lines" else y1 - tick
            self.page[top:y1, sx : sx + slw] = self.print_grey
        f = _Field("comb", (x0, y0, x1, y1), cells, style, label)
        filled = [i for i, d in enumerate(digits) if d is not None]
        crosser = int(rng.choice(filled)) if cross and filled else -1
        for i, d in enumerate(digits):
            if d is None:
                continue
            img = self.digit_image(d, cell_h * rng.uniform(0.6, 0.8))
            img = self.shrink_to(img, int(cell_w - 2 * lw - 4))
            ih, iw = img.shape
            cx = x0 + (i + 0.5) * cell_w + rng.normal(0, 0.05 * cell_w)
            cy = y0 + 0.5 * cell_h + rng.normal(0, 0.05 * cell_h)
            x = int(round(cx - iw / 2))
            y = int(round(cy - ih / 2))
            x = min(max(x, x0 + i * cell_w + lw + 1), x0 + (i + 1) * cell_w - lw - 1 - iw)
            if i == crosser:
                over = int(round(cell_h * rng.uniform(0.06, 0.15)))
                y = y0 - over if rng.random() < 0.4 else y1 + over - ih
            else:
                y = min(max(y, y0 + lw + 1), y1 - lw - 1 - ih)
            box = self.paste(img, x, y)
            if box is not None:
                f.digits.append((str(d), box, i))
        self.fields.append(f)

    def string(
        self,
        x0: int,
        y0: int,
        w: int,
        h: int,
        digits: Sequence[int],
        touching: bool = False,
        cross: bool = False,
        label: str = "",
    ) -> None:
        """A free box with a digit string written left to right."""
        rng = self.rng
        lw = self.lw
        x1, y1 = x0 + w, y0 + h
        self.frame(x0, y0, x1, y1, lw)
        f = _Field("string", (x0, y0, x1, y1), 0, "", label)
        self.fields.append(f)
        if not digits:
            return
        base = h * rng.uniform(0.6, 0.8)
        imgs = [self.digit_image(d, base * rng.uniform(0.94, 1.04)) for d in digits]
        n = len(imgs)
        if touching:
            gaps = rng.uniform(-0.14, 0.01, n - 1) * base
        else:
            gaps = rng.uniform(0.08, 0.35, n - 1) * base
        pad = max(2, int(0.06 * h)) + lw
        inner = w - 2 * pad
        total = sum(i.shape[1] for i in imgs) + float(gaps.sum())
        if total > inner:
            s = inner / total
            imgs = [
                cv2.resize(i, (max(1, int(i.shape[1] * s)), max(8, int(i.shape[0] * s))),
                           interpolation=cv2.INTER_AREA)
                for i in imgs
            ]
            gaps = gaps * s
            total = sum(i.shape[1] for i in imgs) + float(gaps.sum())
        # People start near the left edge of a box more often than centred.
        x = x0 + pad + max(0.0, inner - total) * rng.uniform(0, 1) ** 2
        mid = y0 + 0.5 * h + rng.normal(0, 0.04 * h)
        drift = rng.uniform(-0.025, 0.025) * h
        crosser = int(rng.integers(n)) if cross else -1
        for j, (d, img) in enumerate(zip(digits, imgs, strict=True)):
            ih, iw = img.shape
            y = int(round(mid + j * drift - ih / 2 + rng.normal(0, 0.02 * h)))
            if j == crosser:
                over = int(round(h * rng.uniform(0.06, 0.15)))
                y = y0 - over if rng.random() < 0.4 else y1 + over - ih
            else:
                y = min(max(y, y0 + lw + 1), y1 - lw - 1 - ih)
            box = self.paste(img, int(round(x)), y)
            if box is not None:
                f.digits.append((str(d), box, None))
            if j < n - 1:
                x += iw + gaps[j]

    def scribble(self, x0: int, y0: int, x1: int, y1: int) -> None:
        """A signature-like squiggle: handwriting that is not digits, outside boxes."""
        rng = self.rng
        n = int(rng.integers(7, 14))
        xs = np.sort(rng.uniform(x0, x1, n))
        ys = rng.uniform(y0, y1, n)
        # Loops: step back a little now and then, as cursive writing does.
        xs[1::3] -= rng.uniform(0, 0.08 * (x1 - x0), len(xs[1::3]))
        dense = catmull_rom(np.stack([xs, ys], 1))
        poly = np.round(dense * 16).astype(np.int32).reshape(-1, 1, 2)
        mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
        cv2.polylines(mask, [poly - np.int32([x0 * 16, y0 * 16])], False, 255,
                      self.line_px(3), cv2.LINE_AA, 4)
        ink = mask.astype(np.float32) * (self.ink / 255.0)
        region = self.page[y0 : y1 + 1, x0 : x1 + 1]
        region[:] = (region * (1.0 - ink)).astype(np.uint8)

    # --- finishing ------------------------------------------------------------------------

    def finish(self) -> tuple[np.ndarray, list[FieldTruth]]:
        """Degrade the page, move the truth with it, name fields in reading order."""
        m = geometry(self.deg, self.page.shape, self.dpi, self.rng)
        image = photometric(warp(self.page, m), self.deg, self.dpi, self.rng)
        boxes = [self._bbox(np.array([f.box], np.float64), m) for f in self.fields]
        order = reading_order(boxes)
        truth = []
        for rank, i in enumerate(order, start=1):
            f = self.fields[i]
            digits = tuple(
                DigitTruth(v, self._bbox(np.array([b], np.float64), m), cell)
                for v, b, cell in f.digits
            )
            truth.append(
                FieldTruth(
                    name=f"field_{rank:03d}",
                    bbox=boxes[i],
                    kind=f.kind,
                    cells=f.cells,
                    value="".join(d.value for d in digits),
                    digits=digits,
                    comb_style=f.comb_style,
                    label=f.label,
                )
            )
        return image, truth

    def _bbox(self, box: np.ndarray, m: np.ndarray) -> BBox:
        hx0, hy0, hx1, hy1 = transform_boxes(box, m)[0]
        x0 = min(max(int(math.floor(hx0)), 0), self.w - 1)
        y0 = min(max(int(math.floor(hy0)), 0), self.h - 1)
        x1 = min(max(int(math.ceil(hx1)), x0 + 1), self.w)
        y1 = min(max(int(math.ceil(hy1)), y0 + 1), self.h)
        return BBox(x0, y0, x1 - x0, y1 - y0)


def _digits(rng: np.random.Generator, n: int) -> list[int]:
    return [int(d) for d in rng.integers(0, 10, n)]


def _comb_fill(
    rng: np.random.Generator, cells: int, empty_field: bool, empty_cell_rate: float
) -> list[int | None]:
    """Which cells get a digit: full, left- or right-aligned short, or gappy."""
    if empty_field:
        return [None] * cells
    vals: list[int | None] = list(_digits(rng, cells))
    r = rng.random()
    if r < 0.2 and cells > 2:  # right-aligned number: leading cells empty
        k = int(rng.integers(1, cells // 2 + 1))
        vals[:k] = [None] * k
    elif r < 0.4 and cells > 2:  # left-aligned: trailing cells empty
        k = int(rng.integers(1, cells // 2 + 1))
        vals[cells - k :] = [None] * k
    else:
        for i in range(cells):
            if rng.random() < empty_cell_rate:
                vals[i] = None
    if all(v is None for v in vals):
        vals[int(rng.integers(cells))] = int(rng.integers(10))
    return vals


def _label(rng: np.random.Generator) -> str:
    n, m = int(rng.integers(1, 40)), int(rng.integers(1, 10))
    year = int(rng.integers(2015, 2026))
    options = (
        f"Account no. {n}",
        "Customer number",
        f"Line {n}a",
        f"Box {n}: quantity",
        "Postcode",
        f"Phone (area 0{n + 10})",
        "Date of birth",
        f"Item {n}.{m}",
        "Policy number",
        f"Tax year {year}",
        f"Invoice {n}/{year}",
        "Member no.",
        f"Units, schedule {m}",
        f"{n}. Amount",
    )
    return str(options[int(rng.integers(len(options)))])


@dataclass
class _Spec:
    """One planned form field, in page pixels, before it is placed."""

    kind: FieldKind
    box_w: int
    box_h: int
    label: str
    label_w: int
    label_h: int
    label_left: bool
    gap: int
    cell_w: int = 0
    fill: list[int | None] = field(default_factory=list)
    comb_style: CombStyle = ""
    touching: bool = False
    cross: bool = False

    @property
    def box_dy(self) -> int:
        return 0 if self.label_left else self.label_h + self.gap

    @property
    def width(self) -> int:
        if self.label_left:
            return self.label_w + self.gap + self.box_w
        return max(self.label_w, self.box_w)


def _plan_field(
    s: _Sheet,
    label_pt: float,
    touching_rate: float,
    cross_frame_rate: float,
    empty_field_rate: float,
    empty_cell_rate: float,
    ticks_rate: float,
) -> _Spec:
    rng = s.rng
    label = _label(rng)
    lw_, lh_ = s.text_size(label, label_pt)
    empty = rng.random() < empty_field_rate
    cross = rng.random() < cross_frame_rate
    left = rng.random() < 0.5
    gap = s.px(rng.uniform(3, 6) if left else rng.uniform(1.5, 3))
    if rng.random() < 0.55:
        cells = int(rng.integers(4, 13))
        cell_w = s.px(rng.uniform(5, 8))
        cell_h = s.px(rng.uniform(7, 10))
        style: CombStyle = "ticks" if rng.random() < ticks_rate else "lines"
        fill = _comb_fill(rng, cells, empty, empty_cell_rate)
        return _Spec("comb", cells * cell_w, cell_h, label, lw_, lh_, left, gap, cell_w,
                     fill, style, cross=cross)
    n = int(rng.integers(2, 9))
    box_h = s.px(rng.uniform(8, 12))
    # Room for n digits at ~0.55 of their height each, plus spacing.
    need = n * 0.8 * 0.7 * box_h / s.k + 6
    box_w = s.px(float(np.clip(need * rng.uniform(1.1, 1.8), 30, 90)))
    fill = [] if empty else _digits(rng, n)
    touching = rng.random() < touching_rate
    return _Spec("string", box_w, box_h, label, lw_, lh_, left, gap, fill=list(fill),
                 touching=touching, cross=cross)


def _place(s: _Sheet, spec: _Spec, x: int, box_y: int) -> None:
    if spec.label_left:
        s.text(x, box_y + (spec.box_h - spec.label_h) // 2, spec.label, 10)
        bx = x + spec.label_w + spec.gap
    else:
        s.text(x, box_y - spec.gap - spec.label_h, spec.label, 10)
        bx = x
    if spec.kind == "comb":
        s.comb(bx, box_y, spec.cell_w, spec.box_h, spec.fill, spec.comb_style, spec.label,
               spec.cross)
    else:
        digits = [d for d in spec.fill if d is not None]
        s.string(bx, box_y, spec.box_w, spec.box_h, digits, spec.touching, spec.cross,
                 spec.label)


def _form_header_footer(s: _Sheet, margin: int) -> int:
    """Title, reference numbers, rules and footer; returns where fields may start."""
    rng = s.rng
    code = f"{int(rng.integers(100, 9999))}-{'ABCDEFGH'[int(rng.integers(8))]}"
    year = int(rng.integers(2015, 2026))
    kinds = ("FORM", "Application form", "Claim form", "Order form", "Return")
    title = f"{kinds[int(rng.integers(len(kinds)))]} {code}"
    s.text(margin, s.px(12), title, 15, bold=True)
    ref = f"Ref. {year}/{int(rng.integers(1, 999)):03d}"
    rw, _ = s.text_size(ref, 9)
    s.text(s.w - margin - rw, s.px(13), ref, 9)
    s.text(margin, s.px(21), f"Tax year {year} - write one digit per box, 2 pages", 9)
    s.hline(margin, s.w - margin, s.px(27), s.line_px(3))
    s.hline(margin, s.w - margin, s.h - s.px(22), s.line_px(2))
    s.text(margin, s.h - s.px(19), f"Form {code} (rev. {int(rng.integers(1, 13)):02d}/{year})", 8)
    pg = f"Page 1 of {int(rng.integers(2, 5))}"
    pw, _ = s.text_size(pg, 8)
    s.text((s.w - pw) // 2, s.h - s.px(13), pg, 8)
    return s.px(38)


def make_form_page(
    rng: np.random.Generator,
    dpi: int = 300,
    *,
    degradation: Degradation | None = None,
    digit_source: DigitSource | None = None,
    n_fields: int | None = None,
    touching_rate: float = 0.15,
    cross_frame_rate: float = 0.1,
    empty_field_rate: float = 0.1,
    empty_cell_rate: float = 0.08,
    ticks_rate: float = 0.4,
) -> tuple[np.ndarray, list[FieldTruth]]:
    """A generic A4 form: 3-8 comb fields and free boxes among printed text.

    Returns the page (greyscale uint8) and its fields in reading order. With
    no ``degradation`` the page is clean and square; with no ``digit_source``
    the digits come from one synthetic writer per page.
    """
    s = _Sheet(PAGE_MM["a4"], dpi, rng, degradation or Degradation(), digit_source)
    margin = s.px(18)
    y = _form_header_footer(s, margin)
    bottom = s.h - s.px(28)
    n = n_fields if n_fields is not None else int(rng.integers(3, 9))
    specs = [
        _plan_field(s, 10, touching_rate, cross_frame_rate, empty_field_rate, empty_cell_rate,
                    ticks_rate)
        for _ in range(n)
    ]
    room = s.w - 2 * margin
    i = 0
    section = 1
    while i < len(specs):
        if rng.random() < 0.25:
            head = f"Section {section}: details {int(rng.integers(1, 99))}"
            _, th = s.text_size(head, 11, bold=True)
            if y + th + s.px(20) > bottom:
                break
            s.text(margin, y, head, 11, bold=True)
            y += th + s.px(rng.uniform(5, 8))
            section += 1
        row = [specs[i]]
        gaps = [0]
        if i + 1 < len(specs) and rng.random() < 0.45:
            g = s.px(rng.uniform(8, 20))
            if specs[i].width + g + specs[i + 1].width <= room:
                row.append(specs[i + 1])
                gaps.append(g)
        dy = max(sp.box_dy for sp in row)
        height = dy + max(sp.box_h for sp in row)
        if y + height > bottom:
            break
        x = margin + s.px(rng.uniform(0, 8))
        for sp, g in zip(row, gaps, strict=True):
            x += g
            _place(s, sp, x, y + dy)
            x += sp.width
        i += len(row)
        y += height + s.px(rng.uniform(8, 15))
    return s.finish()


_PAYEES = ("ACME SUPPLIES LTD", "J. Smith", "Northfield Council", "Harbour Cafe 24", "")
_CURRENCY = ("EUR", "GBP", "$", "USD", "CHF")


def make_cheque(
    rng: np.random.Generator,
    dpi: int = 300,
    *,
    degradation: Degradation | None = None,
    digit_source: DigitSource | None = None,
    separate_date_boxes: bool | None = None,
    touching_rate: float = 0.15,
    cross_frame_rate: float = 0.1,
) -> tuple[np.ndarray, list[FieldTruth]]:
    """A cheque-like slip (175 x 80 mm): date, payee line, amount box, MICR line.

    The date is DD MM YYYY either in one 8-cell comb or in 8 separate
    single-digit boxes grouped 2-2-4; separate boxes are 8 fields of kind
    "comb" with one cell each. Pass a ``degradation`` for the usual slight
    skew and noise of a cheque scan.
    """
    s = _Sheet(PAGE_MM["cheque"], dpi, rng, degradation or Degradation(), digit_source)
    px = s.px
    bank = ("NORTHBRIDGE BANK", "First Mutual Bank", "Cooperative Savings 1852")
    s.text(px(8), px(6), bank[int(rng.integers(len(bank)))], 12, bold=True)
    s.text(px(8), px(13), f"Branch {int(rng.integers(100, 9999)):04d}, "
           f"{int(rng.integers(1, 200))} High Street", 7)
    number = f"No. {int(rng.integers(1, 999999)):06d}"
    nw, _ = s.text_size(number, 9)
    s.text(s.w - px(8) - nw, px(6), number, 9)

    # Date, top right: DD MM YYYY with printed hints above the cells.
    day, month = int(rng.integers(1, 29)), int(rng.integers(1, 13))
    date = f"{day:02d}{month:02d}{int(rng.integers(1990, 2031))}"
    cell_w, cell_h = px(rng.uniform(5, 6.5)), px(rng.uniform(7, 8.5))
    separate = rng.random() < 0.5 if separate_date_boxes is None else separate_date_boxes
    group_gap = px(2.5) if separate else 0
    box_gap = px(rng.uniform(0.8, 1.5)) if separate else 0
    date_w = 8 * cell_w + (6 * box_gap + 2 * group_gap if separate else 0)
    dx0, dy0 = s.w - px(8) - date_w, px(17)
    dw, dh = s.text_size("Date", 9)
    s.text(dx0 - dw - px(3), dy0 + (cell_h - dh) // 2, "Date", 9)
    digits = [int(c) for c in date]
    if separate:
        x = dx0
        for i, d in enumerate(digits):
            s.comb(x, dy0, cell_w, cell_h, [d], "lines", "Date")
            x += cell_w + (group_gap if i in (1, 3) else box_gap)
    else:
        s.comb(dx0, dy0, cell_w, cell_h, digits, "lines", "Date")
    hints = "DDMMYYYY"
    x = dx0
    for i, ch in enumerate(hints):
        cw, chh = s.text_size(ch, 5)
        s.text(x + (cell_w - cw) // 2, dy0 - chh - px(1), ch, 5)
        x += cell_w + ((group_gap if i in (1, 3) else box_gap) if separate else 0)

    # Payee and amount-in-words lines.
    pay_y = px(34)
    pw, ph = s.text_size("Pay", 10)
    s.text(px(8), pay_y - ph, "Pay", 10)
    s.hline(px(8) + pw + px(3), px(118), pay_y, s.line_px(2))
    payee = _PAYEES[int(rng.integers(len(_PAYEES)))]
    if payee:
        s.text(px(24), pay_y - px(6), payee, 11, mono=True)
    words_y = px(46)
    ww, wh = s.text_size("the sum of", 9)
    s.text(px(8), words_y - wh, "the sum of", 9)
    s.hline(px(8) + ww + px(3), px(112), words_y, s.line_px(2))

    # Amount box, right.
    box_h = px(rng.uniform(9.5, 12))
    box_w = px(rng.uniform(42, 55))
    ax0, ay0 = s.w - px(8) - box_w, px(36)
    cur = _CURRENCY[int(rng.integers(len(_CURRENCY)))]
    cw, chh = s.text_size(cur, 11, bold=True)
    s.text(ax0 - cw - px(2.5), ay0 + (box_h - chh) // 2, cur, 11, bold=True)
    amount = _digits(rng, int(rng.integers(3, 8)))
    if amount[0] == 0:
        amount[0] = int(rng.integers(1, 10))
    s.string(ax0, ay0, box_w, box_h, amount, rng.random() < touching_rate,
             rng.random() < cross_frame_rate, "Amount")

    # Signature and the printed code line.
    sx0, sy = s.w - px(62), px(64)
    s.hline(sx0, s.w - px(8), sy, s.line_px(2))
    s.text(sx0, sy + px(1.5), "Signature", 6)
    s.scribble(sx0 + px(4), sy - px(10), s.w - px(14), sy - px(1))
    micr = (
        f"C{int(rng.integers(0, 999999)):06d}C  A{int(rng.integers(0, 999999)):06d}A  "
        f"{int(rng.integers(0, 99999999)):08d}C"
    )
    s.text(px(20), px(72), micr, 11, mono=True)
    return s.finish()
