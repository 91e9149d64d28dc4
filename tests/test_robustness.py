"""The greyscale pipeline end to end on hard generated pages, with the shipped model.

Each test changes one thing about the writing or the form (faint pencil,
heavy marker, strokes crossing the frame, combs divided by ticks only,
empty cells and fields) and reads whole pages through ``api.scan_page``:
every field must be found, nothing else, with the right number of digits,
and most digits right. The classifier is not held to 100%: a few digits a
page are hard even for people.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from formocr import api
from formocr.config import ScanConfig
from formocr.read.classify import DigitClassifier
from formocr.types import BBox, FieldResult, PageImage, PageResult
from training.synth import Degradation, FieldTruth, make_form_page

DPI = 200
SEEDS = (22, 23)
# Only the condition under test: no touching digits, no crossing strokes.
PLAIN: dict[str, Any] = {"touching_rate": 0.0, "cross_frame_rate": 0.0}


@pytest.fixture(scope="module")
def clf() -> DigitClassifier:
    return DigitClassifier()


def iou(a: BBox, b: BBox) -> float:
    return BBox(*a).iou(BBox(*b))


def paired(page: PageResult, truth: Sequence[FieldTruth]) -> list[tuple[FieldTruth, FieldResult]]:
    """Each truth field with the field read at its place; all found, none extra."""
    out = []
    for tr in truth:
        best = max(page.fields, key=lambda f: iou(f.bbox, tr.bbox))
        assert iou(best.bbox, tr.bbox) >= 0.5, f"{tr.name} ({tr.kind}, {tr.value!r}) not found"
        out.append((tr, best))
    assert len(page.fields) == len(truth), "spurious fields"
    return out


def read(page: np.ndarray, clf: DigitClassifier, dpi: int = DPI) -> PageResult:
    return api.scan_page(PageImage("generated", 1, page, float(dpi)), ScanConfig(), clf)


def check_pages(
    pages: Sequence[tuple[PageResult, Sequence[FieldTruth]]], share: float = 0.9
) -> None:
    """Fields found, digit counts right in 80% of them, ``share`` of their digits right,
    and at most one field read wrong but marked ``ok`` (the rest go to review).

    Measured with the shipped model (10 fields, 20-68 digits a condition):
    counts right in 9-10 fields (a miss: a digit string split once too
    often), 94-100% of digits right (heavy marker: 98.5% on 2026-12-01),
    and every field read wrong in review.
    """
    fields = right_count = digits = right = wrong_ok = 0
    for page, truth in pages:
        for tr, f in paired(page, truth):
            fields += 1
            wrong_ok += f.value != tr.value and f.status == "ok"
            if len(f.value) == len(tr.value):
                right_count += 1
                digits += len(tr.value)
                right += sum(a == b for a, b in zip(f.value, tr.value, strict=True))
    assert right_count >= 0.8 * fields, f"digit counts right in {right_count}/{fields} fields"
    assert digits and right >= share * digits, f"{right}/{digits} digits right"
    assert wrong_ok <= 1, f"{wrong_ok} fields read wrong and marked ok"


def run(clf: DigitClassifier, **kwargs: Any) -> list[tuple[PageResult, list[FieldTruth]]]:
    out = []
    for seed in SEEDS:
        page, truth = make_form_page(np.random.default_rng(seed), DPI, **{**PLAIN, **kwargs})
        out.append((read(page, clf), truth))
    return out


def test_faint_pencil(clf: DigitClassifier) -> None:
    # Darkness 0.35-0.5 with graphite grain: strokes at 130-170 on white paper.
    deg = Degradation(ink=(0.35, 0.5), blur_sigma=(0.4, 0.4), noise_sigma=(3, 3))
    check_pages(run(clf, degradation=deg))


def test_heavy_marker(clf: DigitClassifier) -> None:
    """Strokes over a fifth of the digit's height: loops nearly closed, digits fat."""
    # 67 of 68 digits right with the shipped model on 2026-12-01 (the 0.9 of
    # every condition leaves room for six misses).
    check_pages(run(clf, stroke_width=0.22))


def test_strokes_crossing_the_frame(clf: DigitClassifier) -> None:
    pages = run(clf, cross_frame_rate=1.0)
    check_pages(pages)


def test_combs_with_ticks_only(clf: DigitClassifier) -> None:
    pages = run(clf, ticks_rate=1.0)
    assert any(tr.comb_style == "ticks" for _, truth in pages for tr in truth)
    check_pages(pages)
    for page, truth in pages:
        for tr, f in paired(page, truth):
            if tr.comb_style == "ticks" and len(f.value) == len(tr.value):
                # One digit per cell, in cell order: the digit boxes march right.
                xs = [d.bbox.x for d in f.digits]
                assert xs == sorted(xs)


def test_empty_cells_and_empty_fields(clf: DigitClassifier) -> None:
    pages = run(clf, empty_field_rate=0.5, empty_cell_rate=0.3)
    empty = gappy = 0
    for page, truth in pages:
        for tr, f in paired(page, truth):
            if not tr.value:
                empty += 1
                assert (f.status, f.value, f.digits) == ("empty", "", ()), tr.name
            elif tr.kind == "comb" and len(tr.value) < tr.cells:
                gappy += 1
                assert len(f.value) == len(tr.value), (tr.name, tr.value, f.value)
    assert empty and gappy, "the pages should hold empty fields and gappy combs"
    check_pages(pages)


def test_a_fax_of_oblong_pixels_is_read_with_square_ones(
    clf: DigitClassifier, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fax in "normal" mode is 204 x 98 dpi: read as it is stored, its boxes
    and digits were squashed to half their height (ten such pages of the
    headline's writers: 26 % of fields exact, 4 of 5 `ok` fields wrong). Its
    pixels are now made square at 204 dpi before the page is read."""
    import cv2
    from PIL import Image

    from formocr.io import images

    pages = []
    for seed in SEEDS:
        page, truth = make_form_page(np.random.default_rng(seed), 204, **PLAIN)
        size = (page.shape[1], round(page.shape[0] * 98 / 204))
        squat = cv2.resize(page, size, interpolation=cv2.INTER_AREA)  # the sensor integrates
        path = tmp_path / f"fax{seed}.tif"
        Image.fromarray(squat).save(path, dpi=(204, 98), compression="tiff_lzw")
        pages.append((path, page.shape, truth))

    read_back = []
    for path, shape, truth in pages:
        (result,) = api.scan_document(path, ScanConfig(), clf).pages
        assert result.dpi == 204 and abs(result.height - shape[0]) <= 1
        read_back.append((result, truth))
    check_pages(read_back)

    total = sum(len(t) for _, _, t in pages)
    square_right = sum(f.value == tr.value for r, t in read_back for tr, f in paired(r, t))

    monkeypatch.setattr(images, "_square_scale", lambda img, orient: (1.0, 1.0))
    as_stored = [api.scan_document(p, ScanConfig(), clf).pages[0] for p, _, _ in pages]
    squat_right = sum(
        f.value == tr.value
        for (page, truth) in zip(as_stored, [t for _, _, t in pages], strict=True)
        for tr in truth
        for f in page.fields
        if iou(f.bbox, BBox(tr.bbox.x, tr.bbox.y * 98 // 204, tr.bbox.w, tr.bbox.h * 98 // 204))
        >= 0.5
    )
    # The fault: squashed, a comb's cells came apart into fields of their own.
    assert sum(len(p.fields) for p in as_stored) > total and squat_right < square_right


def test_a_black_and_white_fax_comb_found_in_pieces_is_never_ok(
    clf: DigitClassifier, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fax's thin comb lines break in black and white; the box finder took
    cells of a comb for boxes of their own, and one such piece was read
    `ok` with the comb's other digits beside it, unread (generated page 26
    as a 204 x 98 dpi G4 fax). Such boxes now go to review."""
    import cv2
    from PIL import Image

    from formocr.layout import fields

    page, truth = make_form_page(np.random.default_rng(26), 300, **PLAIN)
    size = (round(page.shape[1] * 204 / 300), round(page.shape[0] * 98 / 300))
    fax = np.where(cv2.resize(page, size, interpolation=cv2.INTER_AREA) < 150, 0, 255)
    path = tmp_path / "fax.tif"
    Image.fromarray(fax.astype(np.uint8)).convert("1").save(
        path, dpi=(204, 98), compression="group4"
    )

    def wrong_ok() -> list[FieldResult]:
        (result,) = api.scan_document(path, ScanConfig(), clf).pages
        sx, sy = 204 / 300, result.height / fax.shape[0] * 98 / 300
        boxes = [
            (
                BBox(
                    round(t.bbox.x * sx),
                    round(t.bbox.y * sy),
                    round(t.bbox.w * sx),
                    round(t.bbox.h * sy),
                ),
                t.value,
            )
            for t in truth
        ]
        return [
            f
            for f in result.fields
            if f.status == "ok"
            and not any(iou(f.bbox, b) >= 0.5 and f.value == v for b, v in boxes)
        ]

    assert wrong_ok() == []
    # Since 7faf178 the piece is not even found (its dotted top line is the
    # tops of the comb's digits, ``fields._edge_of_marks``); found, the
    # broken-box check alone holds it, and without both it is `ok`. Since
    # the dotted search runs on the dark spread before the reduction
    # (``lines.spread_dark``) the piece is not found there either: the
    # checks are shown on the reduction as it was.
    monkeypatch.setattr(fields, "spread_dark", lambda page, geom: None)
    assert wrong_ok() == []
    monkeypatch.setattr(fields, "_edge_of_marks", lambda dark, f, dpi: False)
    assert wrong_ok() == []
    monkeypatch.setattr(fields, "broken_boxes", lambda page, boxes, cut=None, combs=(): set())
    assert len(wrong_ok()) >= 1  # the fault
