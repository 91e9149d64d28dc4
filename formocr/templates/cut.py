"""Cut a registered template's fields out of the page, one FieldLayout each.

Each field box is mapped through the registration, cut out deskewed at the
page's own resolution, and handed to the segmenter's box analysis
(``layout_digits.analyse_box``), which pins the frame lines, whites them out
and cuts the digits. The template says what the box is:

- ``comb``: its cell count. The printed dividers are used when the analysis
  finds that many; else dividers placed evenly in template coordinates are
  given to it as printed walls; should it still see another count, each
  cell is analysed on its own, so the template's count always holds.
- ``single``: one cell; a comb given as separate ``boxes``: one cell each.
- ``digits`` / ``amount``: a digit string, segmented as the template-free
  pipeline does, and read the same way: its over-segmented ink goes to the
  lattice and the string reader (formocr.read.combine).

Boxes come back in page pixels, as everywhere in the output.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from formocr.layout.digits import (
    BoxLayout,
    Digit,
    analyse_box,
    split_blobs,
    writer_aspect,
)
from formocr.templates.register import Registration
from formocr.templates.template import MM_PER_INCH, TemplateField
from formocr.types import BBox, DigitCrop, FieldLayout, Mark, StringInk, page_bbox

__all__ = ["cut_fields", "page_box"]

# How far (mm) a frame line may lie from where the template puts it:
# registration error plus a hand-measured template's slop.
SEARCH_MM = 1.2
LINE_MM = 0.3  # printed frame line, for the interior estimate


def cut_fields(page: np.ndarray, reg: Registration) -> list[FieldLayout]:
    """Every field of the registered template, in the template's order.

    As in the template-free pipeline, digit strings are split only once the
    whole page is analysed: the writer's digit width, measured over all the
    page's boxes, decides where touching digits are cut.
    """
    parts = [_analyse(page, reg, f) for f in reg.template.fields]
    aspect = writer_aspect(box for field in parts for _, box in field)
    shape = (page.shape[0], page.shape[1])
    return [
        _layout(reg, f, shape, [(crop, split_blobs(box, aspect)) for crop, box in field])
        for field, f in zip(parts, reg.template.fields, strict=True)
    ]


class _Crop:
    """A deskewed cut-out around one field, and its map back to the page."""

    def __init__(self, page: np.ndarray, reg: Registration, box: tuple[float, ...], margin: int):
        m = reg.matrix
        s = math.hypot(m[0, 0], m[1, 0])  # page px per template unit
        c, sn = m[0, 0] / s, m[1, 0] / s
        x, y, w, h = box
        origin = reg.to_page(np.array([[x, y]]))[0]
        rot = np.array([[c, -sn], [sn, c]])
        # crop (u, v) -> page: rot @ (u - margin, v - margin) + origin
        self.matrix = np.hstack([rot, (origin - rot @ [margin, margin])[:, None]])
        self.page_shape = (page.shape[0], page.shape[1])
        self.size = (int(math.ceil(w * s)) + 2 * margin, int(math.ceil(h * s)) + 2 * margin)
        self.outer = (float(margin), float(margin), margin + w * s, margin + h * s)
        self.image = cv2.warpAffine(
            page,
            self.matrix,
            self.size,
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=255,
        )

    def to_page(self, x: float, y: float, w: float, h: float) -> BBox:
        """Page bounding box of a crop rectangle, clamped to the page."""
        return page_bbox(self.matrix, (x, y, w, h), self.page_shape)


def page_box(
    reg: Registration, box: tuple[float, float, float, float], shape: tuple[int, int]
) -> BBox:
    """Page bounding box of a template box on a page of ``shape`` (h, w), clamped to it."""
    return page_bbox(reg.matrix, box, shape)


def _analyse(
    page: np.ndarray, reg: Registration, f: TemplateField
) -> list[tuple[_Crop, BoxLayout]]:
    """The field's printed boxes cut out and analysed: one, or one per digit box."""
    dpi = reg.page_dpi
    search = max(3, int(round(SEARCH_MM / MM_PER_INCH * dpi)))
    lw = LINE_MM / MM_PER_INCH * dpi
    out = []
    for box in f.printed:
        crop = _Crop(page, reg, box, 2 * search)
        ox0, oy0, ox1, oy1 = crop.outer
        est = (ox0 + lw, oy0 + lw, ox1 - lw, oy1 - lw)
        if f.boxes:  # separate boxes, one digit each
            out.append((crop, analyse_box(crop.image, est, [], dpi, search, single=True)))
        elif f.kind in ("comb", "single"):
            out.append((crop, _comb(crop.image, est, f.cells, dpi, search)))
        else:
            # A digit string; should the analysis see evenly spaced dividers
            # in it (printed, or strokes taken for them), its cells are read
            # in order.
            out.append((crop, analyse_box(crop.image, est, [], dpi, search)))
    return out


def _layout(
    reg: Registration,
    f: TemplateField,
    shape: tuple[int, int],
    parts: list[tuple[_Crop, BoxLayout]],
) -> FieldLayout:
    digits = tuple(
        DigitCrop(crop.to_page(*d.bbox), d.image) for crop, box in parts for d in box.digits
    )
    bbox = page_box(reg, f.box, shape)
    # Writing across a printed box's edge, left out, as without a template.
    crossed = any(box.crossed for _, box in parts)
    if f.kind in ("comb", "single"):
        # A cell left empty that holds ink like a small digit, as without a template.
        unread = any(box.unread for _, box in parts)
        return FieldLayout(
            bbox=bbox,
            kind="comb",
            digits=digits,
            cells=f.cells,
            crossed=crossed,
            unread=unread,
            pieced=any(box.pieced for _, box in parts),
            scraps=any(box.scraps for _, box in parts),
            faint=any(box.faint for _, box in parts),
            along=any(box.along for _, box in parts),
            # A comb's cell read as empty between written ones on a printed
            # background, as without a template. (Separate boxes are not
            # looked at so: one box's background level, measured with its
            # neighbours' frames in its ring, is no sign of a pattern.)
            skipped=any(box.skipped for _, box in parts),
        )
    # A string is one printed box: its marks count digits from the start.
    marks = tuple(
        Mark(crop.to_page(*m.bbox), m.char, m.position) for crop, box in parts for m in box.marks
    )
    return FieldLayout(
        bbox=bbox,
        kind="string",
        digits=digits,
        cells=0,
        marks=marks,
        ink=_ink(parts),
        crossed=crossed,
        raised=any(box.raised for _, box in parts),
        thinned=any(box.thinned for _, box in parts),
        faint=any(box.faint for _, box in parts),
        along=any(box.along for _, box in parts),
        gaps=tuple(crop.to_page(*g) for crop, box in parts for g in box.gaps),
    )


def _ink(parts: list[tuple[_Crop, BoxLayout]]) -> StringInk | None:
    """A string box's ink for the readers by recognition (the lattice and the
    string reader), its candidates placed on the page, as without a template;
    None for a field of separate boxes, which is read a digit a box."""
    if len(parts) != 1:
        return None
    crop, box = parts[0]
    return None if box.ink is None else box.ink.placed(crop.to_page)


def _comb(
    grey: np.ndarray, est: tuple[float, float, float, float], cells: int, dpi: float, search: int
) -> BoxLayout:
    """A comb of ``cells`` cells: digits in cell order, empty cells left out."""
    if cells == 1:
        return analyse_box(grey, est, [], dpi, search, single=True)
    box = analyse_box(grey, est, [], dpi, search)
    if box.kind == "comb" and box.cells == cells:
        return box  # the printed dividers agree with the template
    # Dividers the analysis missed (faint, or ticks it could not fit): give
    # it the template's, evenly spaced, as printed walls.
    x0, _, x1, _ = est
    pitch = (x1 - x0) / cells
    half = max(1.0, LINE_MM / MM_PER_INCH * dpi / 2)
    walls = [(x0 + k * pitch - half, x0 + k * pitch + half) for k in range(1, cells)]
    box = analyse_box(grey, est, walls, dpi, search)
    if box.kind == "comb" and box.cells == cells:
        return box
    return _cell_by_cell(grey, est, cells, dpi, search, box)


def _cell_by_cell(
    grey: np.ndarray,
    est: tuple[float, float, float, float],
    cells: int,
    dpi: float,
    search: int,
    whole: BoxLayout,
) -> BoxLayout:
    """Each cell as a one-cell box of its own: the template's count, whatever is printed."""
    x0, y0, x1, y1 = est
    pitch = (x1 - x0) / cells
    W = grey.shape[1]
    digits = []
    pieced, along, scraps = whole.pieced, whole.along, whole.scraps
    for k in range(cells):
        a, b = x0 + k * pitch, x0 + (k + 1) * pitch
        sx0, sx1 = max(0, int(a) - 2 * search), min(W, int(math.ceil(b)) + 2 * search)
        box = analyse_box(grey[:, sx0:sx1], (a - sx0, y0, b - sx0, y1), [], dpi, search, True)
        pieced = pieced or box.pieced  # a digit read from pieces, as the cell's own
        scraps = scraps or box.scraps  # specks beside a narrow digit, as the cell's own
        along = along or box.along  # a stroke along a divider, whited out with it
        for d in box.digits:
            bx, by, bw, bh = d.bbox
            digits.append(Digit((bx + sx0, by, bw, bh), d.image))
    # Each cell's crop reaches into its neighbours, whose digits lie outside
    # it: only the whole box's analysis says whether writing crossed the frame
    # or a cell it left empty holds ink (or a faint mark, or a pattern
    # between written cells).
    return BoxLayout(
        "comb",
        cells,
        whole.interior,
        whole.outer,
        tuple(digits),
        crossed=whole.crossed,
        unread=whole.unread,
        pieced=pieced,
        scraps=scraps,
        faint=whole.faint,
        along=along,
        patterned=whole.patterned,
        skipped=whole.skipped,
    )
