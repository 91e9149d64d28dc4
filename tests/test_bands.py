"""A band of shadow along the page (a fold that did not lie flat, a crease)
is lifted before the page is read (``formocr.layout.lines.lift_bands``)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from formocr.config import ScanConfig
from formocr.layout.lines import lift_bands

FORM = Path(__file__).resolve().parents[1] / "samples" / "form.png"


def shaded(image: np.ndarray, way: str, at: int, depth: float, sigma_in: float) -> np.ndarray:
    """``image`` (300 dpi) under a soft band along its rows ("h") or its
    columns ("v"), centred at pixel ``at``, ``depth`` darker there, its
    width sigma ``sigma_in`` inches."""
    t = np.arange(image.shape[0 if way == "h" else 1])
    shade = 1 - depth * np.exp(-(((t - at) / (sigma_in * 300)) ** 2))
    return (
        (image * (shade[:, None] if way == "h" else shade[None, :])).clip(0, 255).astype(np.uint8)
    )


def test_a_page_with_no_band_is_the_page_itself() -> None:
    image = cv2.imread(str(FORM), cv2.IMREAD_GRAYSCALE)
    assert lift_bands(image, 300.0) is image


@pytest.mark.parametrize("way", ["h", "v"])
def test_a_band_is_lifted_and_the_lines_on_it_kept(way: str) -> None:
    """The paper under a band comes back near its level; a printed rule
    along the band's middle, and one across it, stay as dark against it."""
    page = np.full((600, 900), 245, np.uint8)
    page[298:301, 100:800] = 40  # a rule along the band (3 px at 300 dpi)
    page[100:500, 449:452] = 40  # one across it
    if way == "v":
        page = np.ascontiguousarray(page.T)
    band = shaded(page, way, 300, 0.3, 0.08)
    lifted = lift_bands(band, 300.0)
    if way == "v":
        band, lifted = band.T, lifted.T
    paper = [(300 + d, x) for d in (-30, -15, -6, 6, 15, 30) for x in (200, 650)]
    assert min(int(band[p]) for p in paper) < 200  # the band, before
    assert all(abs(int(lifted[p]) - 245) <= 20 for p in paper)
    for rule in [(299, 250), (299, 700), (300, 450), (200, 450), (400, 450)]:
        assert int(lifted[rule]) <= int(lifted[rule[0] + 20, rule[1] + 20]) - 100


@pytest.mark.parametrize(
    ("way", "at", "depth", "sigma"),
    [
        ("h", 965, 0.3, 0.08),  # along the second row's foot: its two boxes were lost
        ("h", 618, 0.4, 0.05),  # a deep crease along the first row's foot
        ("v", 531, 0.2, 0.05),  # down an empty comb cell: it was read '1', ok
    ],
)
def test_a_fold_along_the_sample_form_reads_it_as_straight(
    way: str, at: int, depth: float, sigma: float
) -> None:
    from formocr.api import load_classifier, scan_page
    from formocr.types import PageImage

    image = cv2.imread(str(FORM), cv2.IMREAD_GRAYSCALE)
    clf = load_classifier()
    straight = scan_page(PageImage("form.png", 1, image, 300.0), ScanConfig(), clf)
    folded = shaded(image, way, at, depth, sigma)
    read = scan_page(PageImage("form.png", 1, folded, 300.0), ScanConfig(), clf)
    assert [f.value for f in read.fields] == [f.value for f in straight.fields]
    assert [f.status for f in read.fields] == [f.status for f in straight.fields]
