"""A scanner's streak (a line that dust on the sensor or the glass draws
down the whole scan) is lifted before the page is read, and every field it
crosses goes to review (formocr.layout.lines.streaks, ``UNDER_STREAK``)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import sample_page

from formocr import api
from formocr.config import ScanConfig
from formocr.layout import lines
from formocr.types import PageImage


def streaked(image: np.ndarray, at: int, width: int, level: int, down: bool = True) -> np.ndarray:
    out = image.copy()
    view = out if down else out.T
    view[:, at : at + width] = np.minimum(view[:, at : at + width], level)
    return out


def halved(image: np.ndarray) -> np.ndarray:
    import cv2

    h, w = image.shape
    return cv2.resize(
        image[: h - h % 2, : w - w % 2], (w // 2, h // 2), interpolation=cv2.INTER_AREA
    )


def test_a_streak_through_a_date_cell_is_no_wall_and_sends_the_cell_to_review(
    shipped_readers: api.Readers,
) -> None:
    # Before: a streak down the middle of the cheque's date cell holding a 2
    # was taken for a comb's wall, and the cell's right half read 1, `ok`
    # at 0.9999.
    cheque = sample_page("cheque.tiff")
    straight = api.scan_page(PageImage("c", 1, cheque, 200.0), ScanConfig(), shipped_readers)
    page = streaked(cheque, 1119, 2, 60)
    read = api.scan_page(PageImage("c", 1, page, 200.0), ScanConfig(), shipped_readers)
    assert [f.value for f in read.fields] == [f.value for f in straight.fields]
    # It crosses the date's cell and the amount's box, down the page.
    crossed = [f for f in read.fields if f.bbox.x <= 1120 <= f.bbox.x + f.bbox.w]
    assert [f.value for f in crossed] == ["2", "65153811"]
    assert all(f.status == "review" and api.UNDER_STREAK in (f.reason or "") for f in crossed)
    # The fields it does not cross read as before.
    assert [f.status for f in read.fields if f not in crossed] == [
        f.status for f in straight.fields if not f.bbox.x <= 1120 <= f.bbox.x + f.bbox.w
    ]


@pytest.mark.parametrize("name", ["cheque.tiff", "form.png"])
def test_streaks_down_and_across_are_found_and_print_is_not(name: str) -> None:
    page = sample_page(name)
    dpi = 200.0 if name == "cheque.tiff" else 300.0
    assert lines.streaks(page, halved(page), dpi) == []
    h, w = page.shape
    down = streaked(page, w // 3, 2, 100)
    assert lines.streaks(down, halved(down), dpi) == [lines.Streak(True, w // 3, w // 3 + 2)]
    across = streaked(page, h // 2 + 1, 1, 140, down=False)
    assert lines.streaks(across, halved(across), dpi) == [
        lines.Streak(False, h // 2 + 1, h // 2 + 2)
    ]
    # A rule printed down the page stops at its margins: no streak.
    ruled = page.copy()
    ruled[40 : h - 40, w // 3 : w // 3 + 2] = 40
    assert lines.streaks(ruled, halved(ruled), dpi) == []


def test_a_lifted_streak_keeps_a_darker_line_under_it_and_a_stroke_across_it() -> None:
    page = np.full((1000, 100), 230, np.uint8)
    page[420:580, 50:52] = 30  # a box's side, under the streak
    page[700:704, 10:90] = 40  # a stroke across it
    page[:, 49:53] = np.minimum(page[:, 49:53], 150)  # the streak
    out = lines.without_streaks(page, [lines.Streak(True, 49, 53)])
    assert (out[:400, 49:53] >= 225).all()  # paper again above the side
    assert (out[420:580, 50:52] == 30).all()  # the side kept
    assert (out[700:704, 49:53] <= 50).all()  # the stroke whole
