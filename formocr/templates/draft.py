"""Draft a template from one page of a form (``formocr template init``).

The template-free box finder runs on the first page; every box it finds
becomes a field ``field_001``, ``field_002``… in reading order, with the kind
and cell count it saw and its box in pixels at the page's resolution. The
user then only renames the fields (and adds rules). A skewed page is
straightened first, so the template's boxes are square with its axes (the
cut-outs made through them are straight).

One-digit boxes printed side by side, close together (a date in eight
boxes grouped 2-2-4), make one value: they become one comb field with
``boxes``, so a date check can see the whole date.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from formocr.config import DEFAULT_DPI, DEFAULT_MAX_MEGAPIXELS
from formocr.errors import DocumentError, InputError, TemplateError
from formocr.templates.template import Template, TemplateField, TemplateKind, hull
from formocr.types import FieldLayout

__all__ = ["draft_template"]

log = logging.getLogger("formocr")


def draft_template(
    path: str | Path,
    dpi: int = DEFAULT_DPI,
    name: str | None = None,
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS,
) -> Template:
    """A template of every printed box on the first page of ``path``.

    A blank form is best; a filled one works too (the boxes, not the
    handwriting, make the template). ``dpi`` renders a PDF; an image keeps
    its pixels and its own dpi (guessed from the page size when it has none).
    Raises InputError when the file cannot be read, TemplateError when no
    box is found.
    """
    from formocr.io import iter_pages
    from formocr.layout import fields as segment
    from formocr.layout.lines import guess_dpi

    path = Path(path)
    pages = iter_pages(path, dpi, max_pages=None, max_megapixels=max_megapixels)
    try:
        page = next(pages)
    except DocumentError as e:
        raise InputError(str(e)) from None
    except StopIteration:
        raise InputError(f"{path}: no pages") from None
    finally:
        close = getattr(pages, "close", None)  # a generator: stop the renderer
        if close is not None:
            close()
    h, w = page.image.shape
    page_dpi = page.dpi
    if not page_dpi:
        page_dpi = round(guess_dpi((h, w)))
        log.warning(
            "%s: the image records no resolution; assuming %g dpi from its size "
            "(pages are also matched by size, so this rarely matters)",
            path,
            page_dpi,
        )
    image, angle = _deskew(page.image, float(page_dpi))
    if angle:
        log.info("%s: page straightened by %.2f degrees for the template", path, angle)
    layouts = segment.find_fields(image, dpi=page_dpi)
    if not layouts:
        raise TemplateError(
            f"{path}: no printed boxes found on page 1; use a straight scan of the form "
            "at 150-600 dpi, or write the template by hand (README, 'Templates')"
        )
    fields = []
    for i, group in enumerate(_group_singles(layouts), start=1):
        fname = f"field_{i:03d}"
        boxes = tuple(_box(lay) for lay in group)
        lay = group[0]
        kind: TemplateKind
        if len(group) > 1:
            fields.append(TemplateField(fname, hull(boxes), "comb", len(boxes), boxes=boxes))
            continue
        if lay.kind == "comb":
            kind, cells = ("comb", lay.cells) if lay.cells > 1 else ("single", 1)
        else:
            kind, cells = "digits", 0
        fields.append(TemplateField(fname, boxes[0], kind, cells=cells))
    return Template(
        name=name or path.stem,
        size=(float(w), float(h)),
        unit="px",
        fields=tuple(fields),
        dpi=float(page_dpi),
        source=str(path),
    )


def _box(lay: FieldLayout) -> tuple[float, float, float, float]:
    return (float(lay.bbox.x), float(lay.bbox.y), float(lay.bbox.w), float(lay.bbox.h))


def _is_single(lay: FieldLayout) -> bool:
    return lay.kind == "comb" and lay.cells == 1


def _group_singles(layouts: list[FieldLayout]) -> list[list[FieldLayout]]:
    """Runs of one-digit boxes in a row, alike and at most a box width apart."""
    groups: list[list[FieldLayout]] = []
    for lay in layouts:
        if groups and _is_single(lay) and _is_single(groups[-1][-1]):
            a, b = groups[-1][-1].bbox, lay.bbox
            overlap = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
            gap = b.x - (a.x + a.w)
            alike = abs(a.h - b.h) <= 0.15 * max(a.h, b.h) and abs(a.w - b.w) <= 0.25 * max(
                a.w, b.w
            )
            if alike and overlap >= 0.7 * min(a.h, b.h) and -0.1 * a.w <= gap <= a.w:
                groups[-1].append(lay)
                continue
        groups.append([lay])
    return groups


def _deskew(page: np.ndarray, dpi: float) -> tuple[np.ndarray, float]:
    """The page turned straight (same canvas), and the angle removed."""
    from formocr.layout.lines import MIN_SKEW_DEG, WORK_DPI, page_geometry

    f = min(1.0, WORK_DPI / dpi)
    h, w = page.shape
    small = cv2.resize(
        page, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA
    )
    angle = page_geometry(small, dpi * f).angle
    if abs(angle) < MIN_SKEW_DEG:
        return page, 0.0
    rot = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    out = cv2.warpAffine(page, rot, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out, float(angle)
