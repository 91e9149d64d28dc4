"""Guards on what a document may cost: pages and pixels."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING

from formocr.errors import DocumentError

if TYPE_CHECKING:
    pass

log = logging.getLogger("formocr")


def _too_large(path: Path, page: int, w: int, h: int, dpi: float | None, limit: float) -> None:
    mp = w * h / 1e6
    if mp <= limit:
        return
    if dpi:
        lower = int(dpi * math.sqrt(limit / mp))
        hint = f"render it at a lower resolution, e.g. --dpi {lower}"
    else:
        hint = "downscale the image (300 dpi is plenty for handwritten digits)"
    raise DocumentError(
        f"{path}: page {page} is {w}x{h} pixels ({mp:.0f} megapixels), over the "
        f"{limit:.0f} megapixel limit; {hint}"
    )


def _too_many(path: Path, pages: int, max_pages: int | None) -> None:
    if max_pages is not None and pages > max_pages:
        raise DocumentError(
            f"{path}: {pages} pages, more than the limit of {max_pages}; "
            "split the document or raise --max-pages"
        )
