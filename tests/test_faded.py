"""A page scanned light (a scanner set too bright, a pale copy) keeps its
boxes: the work page's darkness is stretched before lines are looked for
(``formocr.layout.lines.unfaded``)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from formocr.config import ScanConfig
from formocr.layout.lines import FADED_GAIN, LINE_DARK, page_geometry, unfaded
from training.synth.degrade import faded

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def test_an_ordinary_page_and_a_blank_one_are_left_as_they_are() -> None:
    cheque = cv2.imread(str(SAMPLES / "cheque.tiff"), cv2.IMREAD_GRAYSCALE)
    dark = page_geometry(cheque, 200.0).work_dark
    assert unfaded(dark) is dark
    noise = np.random.default_rng(5).integers(0, 10, (600, 800)).astype(np.uint8)
    assert unfaded(noise) is noise


def test_a_faded_page_is_stretched_and_a_faint_rule_stands_clear_again() -> None:
    dark = np.zeros((400, 600), np.uint8)
    dark[100:140, 50:300] = 60  # writing, faded
    dark[300, 20:580] = 18  # a thin rule, under LINE_DARK
    out = unfaded(dark)
    assert out is not dark
    assert out[300, 100] >= LINE_DARK
    assert out[120, 100] <= FADED_GAIN * 60
    assert out[0, 0] == 0


@pytest.mark.parametrize("contrast", [0.33, 0.25])
def test_the_sample_cheque_scanned_light_finds_its_boxes_and_reads_them(contrast: float) -> None:
    """Faded to a third of its contrast, the sample cheque lost every box
    (its page came out with no fields). Now every box is found where it
    was, and no value is ``ok`` that the straight scan does not read."""
    from formocr.api import load_classifier, scan_page
    from formocr.types import PageImage

    image = cv2.imread(str(SAMPLES / "cheque.tiff"), cv2.IMREAD_GRAYSCALE)
    clf = load_classifier()
    straight = scan_page(PageImage("cheque", 1, image, 200.0), ScanConfig(), clf).fields
    light = scan_page(PageImage("cheque", 1, faded(image, contrast), 200.0), ScanConfig(), clf)
    assert len(light.fields) == len(straight) >= 9
    for f, s in zip(light.fields, straight, strict=True):
        assert np.abs(np.subtract(f.bbox, s.bbox)).max() <= 3
        if f.status == "ok":
            assert f.value == s.value
    amount = max(light.fields, key=lambda f: f.bbox.w)
    assert amount.value == max(straight, key=lambda f: f.bbox.w).value
