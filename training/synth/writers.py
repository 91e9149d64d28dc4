"""Files for synthetic pages: PDF, TIFF, PNG, JPEG, and ground-truth JSON.

Writes are atomic (temp file, then rename), like the pipeline's outputs: an
interrupted sample run never leaves a half-written fixture behind. The truth
JSON mirrors the shape of the OCR's own JSON output (document -> pages ->
fields with name, value, bbox), so a benchmark can compare the two directly.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from formocr.types import BBox
from training.synth.truth import DigitTruth, FieldTruth

TRUTH_VERSION = 1


def _check_pages(pages: Sequence[np.ndarray]) -> list[Image.Image]:
    if not pages:
        raise ValueError("no pages to write")
    out = []
    for i, p in enumerate(pages, start=1):
        rgb = p.ndim == 3 and p.shape[2] == 3
        if not (p.ndim == 2 or rgb) or p.dtype != np.uint8:
            raise ValueError(
                f"page {i}: expected a uint8 greyscale (h, w) or RGB (h, w, 3) array, "
                f"got {p.shape} {p.dtype}"
            )
        out.append(Image.fromarray(p, mode="RGB" if rgb else "L"))
    return out


def _atomic_save(path: str | os.PathLike[str], save: Any) -> Path:
    """Call ``save(tmp_path)`` then move the result onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        save(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes files private; samples are shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# PDFs carry a title and dates; fixed ones keep regenerated samples byte-identical.
_PDF_DATE = time.gmtime(946684800)  # 2000-01-01T00:00:00Z


def write_pdf(
    pages: Sequence[np.ndarray], path: str | os.PathLike[str], dpi: float, quality: int = 85
) -> Path:
    """Multi-page PDF, one JPEG image per page (greyscale or RGB), sized by ``dpi``."""
    ims = _check_pages(pages)
    return _atomic_save(
        path,
        lambda tmp: ims[0].save(
            tmp,
            "PDF",
            save_all=True,
            append_images=ims[1:],
            resolution=float(dpi),
            quality=quality,
            title=Path(path).stem,
            creationDate=_PDF_DATE,
            modDate=_PDF_DATE,
        ),
    )


def write_tiff(pages: Sequence[np.ndarray], path: str | os.PathLike[str], dpi: float) -> Path:
    """Multi-page TIFF (greyscale or RGB), lossless (deflate)."""
    ims = _check_pages(pages)
    return _atomic_save(
        path,
        lambda tmp: ims[0].save(
            tmp,
            "TIFF",
            save_all=True,
            append_images=ims[1:],
            dpi=(dpi, dpi),
            compression="tiff_deflate",
        ),
    )


def write_png(page: np.ndarray, path: str | os.PathLike[str], dpi: float) -> Path:
    (im,) = _check_pages([page])
    return _atomic_save(path, lambda tmp: im.save(tmp, "PNG", dpi=(dpi, dpi), optimize=True))


def write_jpeg(
    page: np.ndarray, path: str | os.PathLike[str], dpi: float, quality: int = 85
) -> Path:
    (im,) = _check_pages([page])
    return _atomic_save(path, lambda tmp: im.save(tmp, "JPEG", dpi=(dpi, dpi), quality=quality))


def _field_dict(f: FieldTruth) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": f.name,
        "kind": f.kind,
        "cells": f.cells,
        "value": f.value,
        "bbox": f.bbox.as_list(),
        "comb_style": f.comb_style,
        "label": f.label,
        "digits": [{"value": d.value, "bbox": d.bbox.as_list(), "cell": d.cell} for d in f.digits],
    }
    # Amounts with separators only: truth files of other fields stay as they were.
    if f.text:
        out["text"] = f.text
    if f.marks:
        out["marks"] = [{"char": c, "bbox": b.as_list()} for c, b in f.marks]
    return out


def truth_to_dict(
    pages: Sequence[tuple[np.ndarray | tuple[int, int], Sequence[FieldTruth]]],
    dpi: float,
    source: str = "",
) -> dict[str, Any]:
    """Ground truth of a document: one (page image or its shape, fields) per page."""
    out_pages = []
    for n, (img, fields) in enumerate(pages, start=1):
        h, w = img.shape if isinstance(img, np.ndarray) else img
        out_pages.append(
            {
                "page": n,
                "width": int(w),
                "height": int(h),
                "dpi": float(dpi),
                "fields": [_field_dict(f) for f in fields],
            }
        )
    return {"version": TRUTH_VERSION, "source": source, "pages": out_pages}


def truth_to_json(
    pages: Sequence[tuple[np.ndarray | tuple[int, int], Sequence[FieldTruth]]],
    dpi: float,
    source: str = "",
) -> str:
    """truth_to_dict as stable, reviewable JSON text (golden files are diffed)."""
    return json.dumps(truth_to_dict(pages, dpi, source), indent=2) + "\n"


def truth_from_dict(doc: dict[str, Any]) -> list[list[FieldTruth]]:
    """Fields per page back from truth_to_dict's output."""
    if doc.get("version") != TRUTH_VERSION:
        raise ValueError(f"truth version {doc.get('version')!r}; this code reads {TRUTH_VERSION}")
    out = []
    for page in doc["pages"]:
        fields = []
        for f in page["fields"]:
            digits = tuple(DigitTruth(d["value"], BBox(*d["bbox"]), d["cell"]) for d in f["digits"])
            fields.append(
                FieldTruth(
                    name=f["name"],
                    bbox=BBox(*f["bbox"]),
                    kind=f["kind"],
                    cells=f["cells"],
                    value=f["value"],
                    digits=digits,
                    comb_style=f["comb_style"],
                    label=f["label"],
                    text=f.get("text", ""),
                    marks=tuple((m["char"], BBox(*m["bbox"])) for m in f.get("marks", ())),
                )
            )
        out.append(fields)
    return out


def write_truth(
    pages: Sequence[tuple[np.ndarray | tuple[int, int], Sequence[FieldTruth]]],
    path: str | os.PathLike[str],
    dpi: float,
    source: str = "",
) -> Path:
    text = truth_to_json(pages, dpi, source)
    return _atomic_save(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
