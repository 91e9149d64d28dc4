"""Drawing primitives for synthetic pages: frames, combs, free boxes, ink.

A ``Sheet`` is one page under construction. It owns the page's writer (one
hand per page, as on a real form), pen darkness and printing grey, records
every field's pixel boxes as it draws them, and on ``finish`` degrades the
page and moves the recorded boxes with it, so truth stays exact.

The layout stream (the caller's generator) decides what is drawn; the pen and
the scan draw from their own streams seeded from it, so changing degradation
settings never changes the layout drawn from one seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from formocr.types import BBox, FieldKind
from training.synth import printed
from training.synth.colour import Colours, compose
from training.synth.degrade import Degradation, geometry, photometric, transform_boxes, warp
from training.synth.marks import filler_path, render_mark_anchored
from training.synth.strokes import WriterStyle, cursive_join, random_style, render_digit
from training.synth.truth import TEXT_CHARS, CombStyle, DigitTruth, FieldTruth, reading_order

DigitSource = Callable[[int, np.random.Generator], np.ndarray]
"""(digit, rng) -> uint8 crop, dark ink on light paper, any size."""

MIN_DPI, MAX_DPI = 72, 600


def draw_range(rng: np.random.Generator, lo: float, hi: float) -> float:
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
    text: str = ""  # an amount's written text, separators included
    marks: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)


# Raised cents are this share of the digits' height.
RAISED = 0.6


class Sheet:
    """Page under construction: pixels, fields, one writer and one pen."""

    def __init__(
        self,
        size_mm: tuple[float, float],
        dpi: int,
        rng: np.random.Generator,
        deg: Degradation,
        source: DigitSource | None,
        colours: Colours | None = None,
        stroke_width: float | None = None,
    ) -> None:
        if not MIN_DPI <= dpi <= MAX_DPI:
            raise ValueError(f"dpi must be between {MIN_DPI} and {MAX_DPI}, got {dpi}")
        self.dpi = dpi
        self.k = dpi / 25.4
        self.page = np.full((self.px(size_mm[1]), self.px(size_mm[0])), 255, np.uint8)
        # A colour form keeps handwriting on a layer of its own until finish().
        self.colours = colours
        self.ink_page = self.page if colours is None else np.full_like(self.page, 255)
        # Separate streams for layout, pen and scan: changing a degradation
        # setting then never changes the layout drawn from the same seed.
        ink_seed, scan_seed = (int(v) for v in rng.integers(0, 2**63, 2))
        self.rng = rng
        self.ink_rng = np.random.default_rng(ink_seed)
        self.scan_rng = np.random.default_rng(scan_seed)
        self.deg = deg
        self.source = source
        self.style: WriterStyle = random_style(rng)
        if stroke_width is not None:  # the same writer with another pen
            self.style = replace(self.style, stroke_width=stroke_width)
        self.ink = draw_range(self.ink_rng, *deg.ink)
        self.print_grey = int(rng.integers(0, 45))
        self.lw = self.line_px(float(rng.choice([1.0, 2.0, 2.0, 3.0])))
        self.fields: list[_Field] = []
        # The share of neighbouring digits of a free box that the writer joins
        # with a pen stroke, as cursive writers do ("zeros written joined in one
        # stroke"). Set it after construction; 0 draws the page as before. The
        # joins draw from a stream of their own, so the layout stays the same.
        self.joins = 0.0
        self._join_rng = np.random.default_rng((ink_seed, 1))
        # A line drawn after a written amount to the end of its box, from a
        # stream of its own (``filler_path``).
        self.fill = False
        self._fill_rng = np.random.default_rng((ink_seed, 2))

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

    def digit_image(self, d: int, height: float) -> np.ndarray:
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
        pen = self.ink_rng
        ink = (255.0 - sub.astype(np.float32)) * (self.ink * pen.uniform(0.92, 1.0) / 255.0)
        if self.ink < 0.6:  # pencil: graphite leaves a grainy, broken line
            ink *= pen.uniform(0.45, 1.0, ink.shape).astype(np.float32)
        region = self.ink_page[y0:y1, x0:x1]
        region[:] = (region * (1.0 - ink)).astype(np.uint8)
        # A digit written light (no pixel under mid-grey) is still a digit:
        # its box is where it is darker than halfway to the paper.
        lo = int(sub.min())
        ys, xs = np.nonzero(sub < (128 if lo < 128 else (lo + 256) // 2))
        if len(xs) == 0:
            return None
        return (
            x0 + int(xs.min()),
            y0 + int(ys.min()),
            x0 + int(xs.max()) + 1,
            y0 + int(ys.max()) + 1,
        )

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
        lead: int = 0,
    ) -> None:
        """A free box with a digit string written left to right (``lead``: as
        for ``amount``)."""
        if any(not 0 <= d <= 9 for d in digits):
            raise ValueError(f"digits must be 0-9, got {list(digits)}")
        glyphs = [str(d) for d in digits]
        spaced = [False] * len(glyphs)
        self._write(x0, y0, w, h, glyphs, spaced, touching, cross, label, lead=lead)

    def amount(
        self,
        x0: int,
        y0: int,
        w: int,
        h: int,
        text: str,
        touching: bool = False,
        cross: bool = False,
        label: str = "",
        raised: int = 0,
        lead: int = 0,
    ) -> None:
        """A free box with an amount written as people write one: "1,250.00", "1250.-".

        ``raised``: the last that many digits are written small and raised
        to the top of the others, as cents are on many cheques ("1,250" and
        a superscript "00"). ``lead``: px at the box's left that the writer
        leaves alone (a currency sign printed there).

        ``text`` holds digits, the marks ".", ",", "'", "-", "=", "$", "€",
        "/", "#", "*" and spaces (a wider gap, no ink). "." and "," sit on
        the digits' baseline, "'" hangs from their top, "-", "=" and "$"
        about mid-height. The field's value is the digits; ``text`` and the
        marks' boxes are kept in its truth.
        """
        if set(text) - TEXT_CHARS:
            raise ValueError(
                f"amount text may hold digits, .,-=$€/#*' and spaces only, got {text!r}"
            )
        text = " ".join(text.split())
        glyphs: list[str] = []
        spaced: list[bool] = []
        for word in text.split(" "):
            for k, ch in enumerate(word):
                glyphs.append(ch)
                spaced.append(k == 0 and bool(spaced))
        digit_at = [j for j, g in enumerate(glyphs) if g.isdigit()]
        small = frozenset(digit_at[len(digit_at) - raised :]) if raised else frozenset()
        field = self._write(x0, y0, w, h, glyphs, spaced, touching, cross, label, small, lead)
        field.text = text

    def _write(
        self,
        x0: int,
        y0: int,
        w: int,
        h: int,
        glyphs: Sequence[str],
        spaced: Sequence[bool],
        touching: bool,
        cross: bool,
        label: str,
        raised: frozenset[int] = frozenset(),
        lead: int = 0,
    ) -> _Field:
        """Frame a free box and write ``glyphs`` (digits and marks) in it, left to right.

        ``spaced[j]`` puts a space before glyph j. A digits-only string draws
        from the layout stream exactly as the digit strings of earlier
        versions did, so their pages stay the same.
        """
        rng = self.rng
        lw = self.lw
        x1, y1 = x0 + w, y0 + h
        self.frame(x0, y0, x1, y1, lw)
        f = _Field("string", (x0, y0, x1, y1), 0, "", label)
        self.fields.append(f)
        if not glyphs:
            return f
        base = h * rng.uniform(0.6, 0.8)
        imgs: list[np.ndarray] = []
        anchors: list[float] = []  # per mark: the image row on its baseline or mid-line
        for g in glyphs:
            if g.isdigit():
                size = base * rng.uniform(0.94, 1.04) * (RAISED if len(imgs) in raised else 1.0)
                imgs.append(self.digit_image(int(g), size))
                anchors.append(0.0)
            else:
                img, anchor = render_mark_anchored(g, base, rng, self.style)
                imgs.append(img)
                anchors.append(anchor)
        is_mark = [not g.isdigit() for g in glyphs]
        n = len(imgs)
        if touching:
            gaps = rng.uniform(-0.14, 0.01, n - 1) * base
        else:
            gaps = rng.uniform(0.08, 0.35, n - 1) * base
        if any(is_mark) or any(spaced):
            # Marks sit close to their neighbours; a space adds blank to the
            # writer's usual gap, so it reads as wider than the gaps around it.
            widths = [i.shape[1] for i, m in zip(imgs, is_mark, strict=True) if not m]
            digit_w = float(np.mean(widths)) if widths else 0.6 * base
            for j in range(n - 1):
                if spaced[j + 1]:
                    gaps[j] = max(float(gaps[j]), 0.0) + rng.uniform(0.5, 0.9) * digit_w
                elif is_mark[j] or is_mark[j + 1]:
                    gaps[j] = rng.uniform(0.05, 0.25) * digit_w
        pad = max(2, int(0.06 * h)) + lw
        inner = w - 2 * pad - lead
        total = sum(i.shape[1] for i in imgs) + float(gaps.sum())
        if total > inner:
            s = inner / total
            imgs = [
                cv2.resize(
                    i,
                    (max(1, int(i.shape[1] * s)), max(1 if m else 8, int(i.shape[0] * s))),
                    interpolation=cv2.INTER_AREA,
                )
                for i, m in zip(imgs, is_mark, strict=True)
            ]
            anchors = [a * s for a in anchors]
            base *= s
            gaps = gaps * s
            total = sum(i.shape[1] for i in imgs) + float(gaps.sum())
        # People start near the left edge of a box more often than centred.
        x = x0 + pad + lead + max(0.0, inner - total) * rng.uniform(0, 1) ** 2
        mid = y0 + 0.5 * h + rng.normal(0, 0.04 * h)
        drift = rng.uniform(-0.025, 0.025) * h
        digit_at = [j for j, m in enumerate(is_mark) if not m]
        crosser = digit_at[int(rng.integers(len(digit_at)))] if cross and digit_at else -1
        placed: list[tuple[int, np.ndarray, int, int]] = []  # digits: (j, image, x, y)
        for j, (g, img) in enumerate(zip(glyphs, imgs, strict=True)):
            ih, iw = img.shape
            line = mid + j * drift  # where this glyph's digits would be centred
            if is_mark[j]:
                if g in ".,":  # on the baseline, the bottom of the digits
                    at = line + 0.5 * base
                elif g in "$€/#*":  # the sign (a slash, a guard) about the digits' middle
                    at = line
                elif g == "'":  # hung from about the digits' top
                    at = line - 0.5 * base + rng.uniform(-0.08, 0.05) * base
                else:  # "-", "=": 0.4-0.65 of the digit height from the top
                    at = line - 0.5 * base + rng.uniform(0.4, 0.65) * base
                y = int(round(at - anchors[j] + rng.normal(0, 0.02 * base)))
            elif j in raised:  # its top at the other digits' top
                y = int(round(line - 0.5 * base + rng.normal(0, 0.02 * h)))
            else:
                y = int(round(line - ih / 2 + rng.normal(0, 0.02 * h)))
            if j == crosser:
                over = int(round(h * rng.uniform(0.06, 0.15)))
                y = y0 - over if rng.random() < 0.4 else y1 + over - ih
            else:
                y = min(max(y, y0 + lw + 1), y1 - lw - 1 - ih)
            box = self.paste(img, int(round(x)), y)
            if box is not None:
                if is_mark[j]:
                    f.marks.append((g, box))
                else:
                    f.digits.append((g, box, None))
                    placed.append((j, img, int(round(x)), y))
            if j < n - 1:
                x += iw + gaps[j]
        if self.joins > 0:
            self._join(placed, glyphs, spaced)
        if self.fill:
            self._fill(x + imgs[-1].shape[1], x1 - pad, mid + (n - 1) * drift, base)
        return f

    def _fill(self, x_end: float, x_box: float, y: float, base: float) -> None:
        """A line from a little after ``x_end`` (the amount's right edge) to
        near ``x_box`` (its box's inner edge), about the digits' middle ``y``."""
        rng = self._fill_rng
        x0 = x_end + rng.uniform(0.15, 0.5) * base
        x1 = x_box - rng.uniform(0.0, 0.3) * base
        if x1 - x0 < 0.5 * base:
            return
        path = filler_path(x1 - x0, base, rng)
        path += np.array([x0, y + rng.uniform(-0.1, 0.1) * base])
        pen = max(1.0, self.style.stroke_width * base * rng.uniform(0.85, 1.15))
        lo = np.floor(path.min(axis=0) - pen).astype(int)
        hi = np.ceil(path.max(axis=0) + pen).astype(int)
        canvas = np.zeros((hi[1] - lo[1] + 1, hi[0] - lo[0] + 1), np.uint8)
        poly = np.round((path - lo) * 16).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(canvas, [poly], False, 255, max(1, round(pen)), cv2.LINE_AA, 4)
        self.paste(255 - canvas, int(lo[0]), int(lo[1]))

    def _join(
        self,
        placed: Sequence[tuple[int, np.ndarray, int, int]],
        glyphs: Sequence[str],
        spaced: Sequence[bool],
    ) -> None:
        """Join neighbouring digits (no mark or space between), with probability
        ``joins`` each, where a cursive writer's pen runs on: from where the
        first digit's last stroke ends into where the next one's first starts
        (``strokes.JOIN_EXIT``, ``JOIN_ENTRY``: zeros joined top to top, a 2
        from its base stroke), in the first's pen width; a digit that ends
        with the pen lifted (1, 3, 5, 6, 7) is never joined to the next."""
        rng = self._join_rng
        for (j, a_img, ax, ay), (k, b_img, bx, by) in zip(placed, placed[1:], strict=False):
            if k != j + 1 or spaced[k] or rng.random() >= self.joins:
                continue
            ink = a_img < 128
            first = (int(glyphs[j]), ink, ax, ay)
            pts = cursive_join(first, (int(glyphs[k]), b_img < 128, bx, by), a_img.shape[0], rng)
            if pts is None:
                continue
            depth = cv2.distanceTransform(ink.astype(np.uint8), cv2.DIST_L2, 3)[ink]
            pen = max(1, int(round(2 * float(np.percentile(depth, 90)))))
            lo = np.floor(pts.min(0)).astype(int) - pen - 2
            hi = np.ceil(pts.max(0)).astype(int) + pen + 3
            canvas = np.full((hi[1] - lo[1], hi[0] - lo[0]), 255, np.uint8)
            path = np.round((pts - lo) * 16).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(canvas, [path], False, 0, pen, cv2.LINE_AA, 4)
            self.paste(canvas, int(lo[0]), int(lo[1]))

    def scribble(self, x0: int, y0: int, x1: int, y1: int) -> None:
        """A signature-like flourish: handwriting that is not digits, outside boxes."""
        rng = self.rng
        t = np.linspace(0.0, 1.0, 400)
        loops = rng.uniform(3, 7)
        r = 0.5 * (y1 - y0) * (0.5 + 0.5 * np.sin(2 * math.pi * rng.uniform(0.5, 1.5) * t))
        phase = rng.uniform(0, 2 * math.pi)
        # A trochoid: loops appear where the backward swing beats the advance.
        swing = (x1 - x0) / (2 * math.pi * loops) * rng.uniform(1.3, 2.2)
        xs = x0 + 0.1 * (x1 - x0) + 0.8 * (x1 - x0) * t
        xs = xs + swing * np.cos(2 * math.pi * loops * t + phase)
        ys = 0.5 * (y0 + y1) + r * np.sin(2 * math.pi * loops * t + phase) * rng.uniform(0.6, 1)
        poly = np.round(np.stack([xs - x0, ys - y0], 1) * 16).astype(np.int32).reshape(-1, 1, 2)
        mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
        cv2.polylines(mask, [poly], False, 255, self.line_px(3), cv2.LINE_AA, 4)
        ink = mask.astype(np.float32) * (self.ink / 255.0)
        region = self.ink_page[y0 : y1 + 1, x0 : x1 + 1]
        region[:] = (region * (1.0 - ink)).astype(np.uint8)

    # --- finishing ------------------------------------------------------------------------

    def finish(self) -> tuple[np.ndarray, list[FieldTruth]]:
        """Degrade the page, move the truth with it, name fields in reading order.

        A colour form comes back as RGB (h, w, 3), a greyscale one as (h, w).
        """
        m = geometry(self.deg, self.page.shape, self.dpi, self.scan_rng)
        page = (
            self.page if self.colours is None else compose(self.page, self.ink_page, self.colours)
        )
        image = photometric(warp(page, m), self.deg, self.dpi, self.scan_rng)
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
                    text=f.text,
                    marks=tuple((c, self._bbox(np.array([b], np.float64), m)) for c, b in f.marks),
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
