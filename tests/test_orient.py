"""A page fed into the scanner upside down is read turned half a turn
(formocr.read.orient), its boxes still in the page's pixels as given."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import cv2
import jsonschema
import numpy as np
import pytest

from formocr import api
from formocr.config import ScanConfig
from formocr.output.writers import page_dict
from formocr.read import orient
from formocr.templates.draft import draft_template
from formocr.types import BBox, PageImage, PageResult

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture(scope="module")
def readers() -> api.Readers:
    return api.load_classifier()  # type: ignore[return-value]


def read(image: np.ndarray, readers: api.Readers, config: ScanConfig | None = None) -> PageResult:
    return api.scan_page(PageImage("form.png", 1, image, 300.0), config or ScanConfig(), readers)


@pytest.fixture(scope="module")
def form(readers: api.Readers) -> tuple[np.ndarray, PageResult]:
    image = cv2.imread(str(SAMPLES / "form.png"), cv2.IMREAD_GRAYSCALE)
    return image, read(image, readers)


def turned_box(b: BBox, w: int, h: int) -> BBox:
    return BBox(w - b.x - b.w, h - b.y - b.h, b.w, b.h)


def test_an_upside_down_page_reads_as_the_upright_one(
    readers: api.Readers, form: tuple[np.ndarray, PageResult]
) -> None:
    image, up = form
    h, w = image.shape
    down = read(orient.turned(image), readers)
    assert not up.turned
    assert down.turned
    assert [(f.name, f.value, f.status) for f in down.fields] == [
        (f.name, f.value, f.status) for f in up.fields
    ]
    assert sum(f.status == "ok" for f in down.fields) >= 4
    for a, b in zip(up.fields, down.fields, strict=True):
        # The same box, in the pixels of the page as it was given.
        assert turned_box(a.bbox, w, h).iou(b.bbox) > 0.95
        for da, db in zip(a.digits, b.digits, strict=True):
            assert turned_box(da.bbox, w, h).iou(db.bbox) > 0.5


def test_read_as_it_lies_an_upside_down_page_gives_other_values(
    readers: api.Readers, form: tuple[np.ndarray, PageResult]
) -> None:
    # What the check is for: without it the turned digits are read as digits.
    image, up = form
    down = read(orient.turned(image), readers, replace(ScanConfig(), turn_upside_down=False))
    assert not down.turned
    assert sorted(f.value for f in down.fields) != sorted(f.value for f in up.fields)


def test_a_turned_page_is_valid_json(
    readers: api.Readers, form: tuple[np.ndarray, PageResult]
) -> None:
    image, _ = form
    s = json.loads(
        (resources.files("formocr") / "output" / "schema" / "results.schema.json").read_text()
    )
    page = page_dict(read(orient.turned(image), readers))
    assert page["turned"] is True
    validator = jsonschema.Draft202012Validator({"$defs": s["$defs"], "$ref": "#/$defs/page"})
    validator.validate(page)


def test_a_page_is_read_turned_only_on_a_clear_gain() -> None:
    assert orient.upside_down(6, 6 * 0.12)  # the least an upside-down page gained
    assert not orient.upside_down(6, 6 * -0.20)  # the most an upright page gained
    assert not orient.upside_down(0, 0.0)  # no string lines: not checked
    assert not orient.upside_down(orient.MIN_LINES, orient.TURN_NATS - 0.01)
    # one or two lines never turn a page, however much they gain (a cut-out amount)
    assert not orient.upside_down(orient.MIN_LINES - 1, 10.0)
    assert orient.upside_down(orient.MIN_LINES, 10.0)
    assert not orient.upside_down(20, 0.9)  # 0.045 a line: under TURN_MEAN


@dataclass(frozen=True)
class _Reading:
    text: str
    confidence: float


class _Reader:
    """Reads a line surely when its mark (a dark pixel) is at the bottom right."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    def read(self, images: list[np.ndarray]) -> list[_Reading]:
        self.asked.append(len(images))
        return [_Reading("1", 0.9 if im[-1, -1] == 0 else 0.1) for im in images]

    def rescore(self, reading: object, text: str) -> float:
        return 0.0


def test_turn_gain_reads_more_lines_where_the_first_are_not_surely_upright() -> None:
    line = np.full((8, 20), 255, np.uint8)
    line[0, 0] = 0  # the mark at the top left: it reads surely turned
    reader = _Reader()
    as_they_lie = reader.read([line] * 9)
    n, gain = orient.turn_gain([line] * 9, as_they_lie, reader)  # type: ignore[arg-type]
    assert n == orient.MAX_LINES
    first = orient.FIRST_LINES
    assert reader.asked == [9, first, orient.MAX_LINES - first]
    assert gain == pytest.approx(orient.MAX_LINES * np.log(0.9 / 0.1))
    assert orient.upside_down(n, gain)


def test_turn_gain_stops_at_lines_surely_upright() -> None:
    line = np.full((8, 20), 255, np.uint8)
    line[-1, -1] = 0  # read surely as it lies, badly turned
    reader = _Reader()
    n, gain = orient.turn_gain([line] * 9, reader.read([line] * 9), reader)  # type: ignore[arg-type]
    assert n == orient.FIRST_LINES
    assert reader.asked == [9, orient.FIRST_LINES]
    assert gain <= -orient.SURE_UPRIGHT
    assert not orient.upside_down(n, gain)


def test_a_template_page_upside_down_is_registered_turned(
    readers: api.Readers, form: tuple[np.ndarray, PageResult]
) -> None:
    image, _ = form
    h, w = image.shape
    config = ScanConfig(templates=(draft_template(SAMPLES / "form.png", name="form"),))
    up = read(image, readers, config)
    down = read(orient.turned(image), readers, config)
    assert up.error is None and not up.turned
    assert down.error is None and down.turned
    assert down.template == "form"
    assert [(f.name, f.value, f.status) for f in down.fields] == [
        (f.name, f.value, f.status) for f in up.fields
    ]
    for a, b in zip(up.fields, down.fields, strict=True):
        assert turned_box(a.bbox, w, h).iou(b.bbox) > 0.95
    # Without the check it matches the template no way up: a page error, as before.
    off = read(orient.turned(image), readers, replace(config, turn_upside_down=False))
    assert off.error is not None and "does not match" in off.error
