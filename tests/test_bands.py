"""A band of shadow along the page (a fold that did not lie flat, a crease)
is lifted before the page is read (``formocr.layout.lines.lift``)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from formocr.api import UNDER_FOLD
from formocr.config import ScanConfig
from formocr.layout.lines import BAND_DARK, lift
from training.synth.degrade import fold_band

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
FORM = SAMPLES / "form.png"


def shaded(
    image: np.ndarray, way: str, at: int, depth: float, sigma_in: float, dpi: float = 300.0
) -> np.ndarray:
    """``image`` under a fold's band (``training.synth.degrade.fold_band``),
    its width sigma ``sigma_in`` inches."""
    return fold_band(image, way, at, depth, sigma_in * dpi)


def test_a_page_with_no_band_is_the_page_itself() -> None:
    image = cv2.imread(str(FORM), cv2.IMREAD_GRAYSCALE)
    lifted, shadow = lift(image, 300.0)[:2]
    assert lifted is image
    assert shadow is None


@pytest.mark.parametrize("way", ["h", "v"])
def test_a_band_is_lifted_and_the_lines_on_it_kept(way: str) -> None:
    """The paper under a band comes back near its level; a printed rule
    along the band's middle, and one across it, stay as dark against it.
    Where the band lay is known."""
    page = np.full((600, 900), 245, np.uint8)
    page[298:301, 100:800] = 40  # a rule along the band (3 px at 300 dpi)
    page[100:500, 449:452] = 40  # one across it
    if way == "v":
        page = np.ascontiguousarray(page.T)
    band = shaded(page, way, 300, 0.3, 0.08)
    lifted, shadow = lift(band, 300.0)[:2]
    assert shadow is not None
    if way == "v":
        band, lifted = band.T, lifted.T
    paper = [(300 + d, x) for d in (-30, -15, -6, 6, 15, 30) for x in (200, 650)]
    assert min(int(band[p]) for p in paper) < 200  # the band, before
    assert all(abs(int(lifted[p]) - 245) <= 12 for p in paper)
    for rule in [(299, 250), (299, 700), (300, 450), (200, 450), (400, 450)]:
        assert int(lifted[rule]) <= int(lifted[rule[0] + 20, rule[1] + 20]) - 100
    across = (100, 270, 700, 60) if way == "h" else (270, 100, 60, 700)
    clear = (100, 20, 700, 60) if way == "h" else (20, 100, 60, 700)
    assert shadow.over(*across) >= BAND_DARK > shadow.over(*clear)


@pytest.mark.parametrize(
    ("sample", "dpi", "way", "at", "depth", "sigma"),
    [
        ("form.png", 300, "h", 965, 0.3, 0.08),  # along the second row's foot: its boxes were lost
        ("form.png", 300, "h", 618, 0.4, 0.05),  # a deep crease along the first row's foot
        ("form.png", 300, "v", 531, 0.2, 0.05),  # down an empty comb cell: it was read '1', ok
        ("cheque.tiff", 200, "h", 168, 0.2, 0.03),  # a crease across the date's cells
        ("cheque.tiff", 200, "h", 183, 0.4, 0.12),  # a wide fold across them
    ],
)
def test_a_fold_across_a_sample_finds_its_boxes_and_sends_theirs_to_review(
    sample: str, dpi: int, way: str, at: int, depth: float, sigma: float
) -> None:
    """Every box is found; what the fold crosses goes to review, the rest
    reads as straight, where it was; no value is ``ok`` and wrong.
    Before ``lift`` the form's boxes were lost or its empty cell read
    1, ``ok``; with the band lifted but its boxes not sent to review
    (75c7efc), what was left of the crease cut the cheque's 2 to a 7, ``ok``."""
    from formocr.api import load_classifier, scan_page
    from formocr.types import PageImage

    image = cv2.imread(str(SAMPLES / sample), cv2.IMREAD_GRAYSCALE)
    clf = load_classifier()
    straight = scan_page(PageImage(sample, 1, image, float(dpi)), ScanConfig(), clf).fields
    folded = shaded(image, way, at, depth, sigma, dpi)
    read = scan_page(PageImage(sample, 1, folded, float(dpi)), ScanConfig(), clf).fields
    assert len(read) == len(straight)
    under = [UNDER_FOLD in (f.reason or "") for f in read]
    assert any(under) and not all(under)
    for f, s, crossed in zip(read, straight, under, strict=True):
        if crossed:
            assert f.status == "review"
        else:
            assert (f.value, f.status) == (s.value, s.status)
            assert np.abs(np.subtract(f.bbox, s.bbox)).max() <= 3
    if sample == "form.png":
        assert [f.value for f in read] == [f.value for f in straight]


def test_paper_on_a_brighter_background_is_no_band() -> None:
    """A cheque scanned on a canvas brighter than its paper (turned, the
    corners filled white) has a step at its edges, not a band: paper on one
    side only. Taken for bands, they sent its amount to review."""
    cheque = cv2.imread(str(SAMPLES / "cheque.tiff"), cv2.IMREAD_GRAYSCALE)
    canvas = np.full((cheque.shape[0] + 200, cheque.shape[1] + 200), 255, np.uint8)
    canvas[100:-100, 100:-100] = cheque
    lifted, shadow = lift(canvas, 200.0)[:2]
    assert shadow is None
    assert lifted is canvas


@pytest.mark.parametrize(
    ("at", "sigma"),
    [
        (870, 0.03),  # down the last cell of a comb: found above and below the box only
        (1327, 0.05),  # beside a box's left side: '431' read '1431', ok
    ],
)
def test_a_crease_found_only_part_of_the_way_down_the_page_still_sends_its_boxes_to_review(
    at: int, sigma: float
) -> None:
    """A crease 20 % dark down the sample form is found above and below a
    box but not beside it (the box's lines hide the paper on one side).
    A fold crosses the sheet, so every box along it goes to review; before,
    the empty comb cell it ran down read ``1``, and ``431`` read ``1431``,
    both ``ok``."""
    from formocr.api import load_classifier, scan_page
    from formocr.types import PageImage

    image = cv2.imread(str(FORM), cv2.IMREAD_GRAYSCALE)
    clf = load_classifier()
    straight = scan_page(PageImage("form", 1, image, 300.0), ScanConfig(), clf).fields
    folded = shaded(image, "v", at, 0.2, sigma)
    read = scan_page(PageImage("form", 1, folded, 300.0), ScanConfig(), clf).fields
    assert len(read) == len(straight)
    crossed = [f for f in read if f.bbox.x <= at <= f.bbox.x + f.bbox.w + 40]
    assert crossed
    assert all(f.status == "review" and UNDER_FOLD in (f.reason or "") for f in crossed)
    for f, s in zip(read, straight, strict=True):
        if f.status == "ok":
            assert f.value == s.value


@pytest.mark.parametrize("fill", [235, 200])
def test_a_long_box_tinted_inside_is_no_fold(fill: int) -> None:
    """A box 3 in wide, tinted grey inside, is a band as long as a fold's,
    and was lifted; but the band lies within the box: print, not a shadow
    across the page. Its field was sent to review for a fold; now it reads
    ``ok``, as the same box 1.7 in wide does."""
    from formocr.api import load_classifier, scan_page
    from formocr.types import PageImage

    clf = load_classifier()
    for wide in (500, 900):
        page = np.full((1200, 2550), 250, np.uint8)
        for row in range(2):
            x0, y0 = 200, 250 + row * 450
            x1, y1 = x0 + wide, y0 + 130
            cv2.rectangle(page, (x0, y0), (x1, y1), fill, -1)
            cv2.rectangle(page, (x0, y0), (x1, y1), 30, 3)
            for k, ch in enumerate("4071"):
                at = (x0 + 60 + k * 90, y1 - 30)
                cv2.putText(page, ch, at, cv2.FONT_HERSHEY_SIMPLEX, 2.6, 20, 8, cv2.LINE_AA)
        assert (lift(page, 300.0).shadow is not None) == (wide == 900)
        read = scan_page(PageImage("tinted", 1, page, 300.0), ScanConfig(), clf).fields
        assert [(f.value, f.status) for f in read] == [("4071", "ok")] * 2


@pytest.mark.parametrize(
    ("box", "at", "depth", "thick"),
    [
        ((1149, 120, 48, 68), "middle", 0.15, 0.2),  # closed at its foot: a 2 read 7, ok
        ((1203, 119, 48, 68), "foot", 0.15, 0.2),  # the same 2, from the next cell's stroke
        ((974, 125, 48, 68), "top", 0.3, 0.2),  # two cells closed as one: 1 read 12, ok
        ((1149, 120, 48, 68), "top", 0.3, 0.2),  # three cells: 2 read 202, ok
        ((974, 125, 48, 68), "top", 0.15, 0.12),  # a fine tip: two cells as one, 1 read 12
        ((907, 127, 48, 68), "top", 0.3, 0.12),  # the same, closed by the stroke's end
    ],
)
def test_a_highlighters_stroke_across_the_cheques_date_reads_as_straight(
    box: tuple[int, int, int, int], at: str, depth: float, thick: float
) -> None:
    """A highlighter's stroke 0.2 in thick (a chisel tip) or 0.12 (a fine
    one) along the sample cheque's date (``training.synth.degrade.highlight``):
    the edges and ends of the tint stood out in the work page's darkness
    as lines, a box was closed on them, and a cell cut at its foot, or two
    or three cells taken for one, read ``ok`` and wrong. Measured against
    the tinted paper itself, they are no lines: every cell is found where
    it was and reads as straight (``layout.lines.without_shading``)."""
    from formocr.api import load_classifier, scan_page
    from formocr.types import PageImage
    from training.synth.degrade import highlight

    image = cv2.imread(str(SAMPLES / "cheque.tiff"), cv2.IMREAD_GRAYSCALE)
    clf = load_classifier()
    straight = scan_page(PageImage("cheque", 1, image, 200.0), ScanConfig(), clf).fields
    marked = highlight(image, box, at, 200.0, depth, thick_in=thick)
    read = scan_page(PageImage("cheque", 1, marked, 200.0), ScanConfig(), clf).fields
    assert [(f.value, f.status) for f in read] == [(f.value, f.status) for f in straight]
    for f, s in zip(read, straight, strict=True):
        assert np.abs(np.subtract(f.bbox, s.bbox)).max() <= 3


def test_a_highlighters_edges_are_no_lines_and_the_boxes_under_it_are_kept() -> None:
    """A row of boxes under a highlighter's stroke 0.2 in thick and 30 %
    dark, looked at as the line finder does (150 dpi): the darkness along
    the stroke's edges stays under LINE_DARK, where it stood out as lines
    before; the boxes' own lines under the stroke stay as dark as a line."""
    from formocr.layout.ink import darkness
    from formocr.layout.lines import LINE_DARK, without_shading
    from training.synth.degrade import highlight

    dpi = 150.0
    page = np.full((300, 900), 235, np.uint8)
    for k in range(8):  # cells 0.4 x 0.5 in, 2 px lines
        x = 100 + k * 70
        cv2.rectangle(page, (x, 100), (x + 60, 175), 70, 2)
    marked = highlight(page, (100, 100, 550, 75), "middle", dpi, 0.3)
    dark = without_shading(darkness(marked, dpi, steady=True), marked, dpi)
    # Rows along the stroke's edges (it spans rows 123-152), between the
    # cells' sides: paper under the tint, or under its edge.
    for y in (118, 121, 124, 127, 148, 151, 154, 157):
        inside = [dark[y, x0 + 5 : x0 + 55] for x0 in range(100, 590, 70)]
        assert max(int(v.max()) for v in inside) < LINE_DARK, y
    # The cells' sides under the stroke, and their tops and feet.
    assert int(dark[138, 100:103].max()) >= 2 * LINE_DARK
    assert int(dark[100:103, 300].max()) >= 2 * LINE_DARK
    assert int(dark[174:177, 300].max()) >= 2 * LINE_DARK
