"""The shipped samples read with the shipped model, against samples/expected/.

``samples/make_samples.py`` draws the samples with the project's own
synthetic handwriting and writes their truth (every field's box, kind and
value) to ``samples/expected/*.truth.json``. README's quick start scans
these files, so what a new user sees first is checked here: every field
found where the truth puts it, nothing else found, no wrong value marked
``ok``, and most fields read exactly.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import needs_poppler

from formocr import DigitClassifier, api
from formocr.config import ScanConfig
from formocr.templates.template import load_templates
from formocr.types import BBox, FieldResult, PageResult

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
DOCUMENTS = [
    pytest.param("form.pdf", "form", marks=needs_poppler),
    pytest.param("form.png", "form"),
    pytest.param("cheque.pdf", "cheque", marks=needs_poppler),
    pytest.param("cheque.tiff", "cheque"),
]
# Fields read exactly over the four documents (32 fields). Measured on
# 2026-12-01 with the shipped model (commit 6bcb55a): 30 of 32 (form.png's
# "54927000" read "54927060", cheque.tiff's amount "65153811" read
# "65153871", both in review at confidence under 0.7). One field of margin
# for the retrained classifier and string readers due the same day; a
# second lost field fails.
MIN_EXACT = 29


@pytest.fixture(scope="module")
def clf() -> DigitClassifier:
    return DigitClassifier()


def truth(name: str) -> dict[str, Any]:
    doc = json.loads((SAMPLES / "expected" / f"{name}.truth.json").read_text())
    (page,) = doc["pages"]
    return page  # type: ignore[no-any-return]


def read(path: Path, clf: DigitClassifier, config: ScanConfig | None = None) -> PageResult:
    (doc,) = api.scan([path], config or ScanConfig(), classifier=clf)
    assert doc.status == "ok", doc.error
    (page,) = doc.pages
    assert page.error is None, page.error
    return page


def paired(page: PageResult, expected: dict[str, Any]) -> list[tuple[dict[str, Any], FieldResult]]:
    """Each truth field with the field read at its place (IoU >= 0.5); none missing or extra.

    The truth is in pixels of the page as drawn; a PDF renders at the scan's
    dpi, so its boxes are scaled to the page as read.
    """
    k = page.width / expected["width"]
    out = []
    for t in expected["fields"]:
        box = BBox(*(round(v * k) for v in t["bbox"]))
        best = max(page.fields, key=lambda f: f.bbox.iou(box))
        assert best.bbox.iou(box) >= 0.5, f"{t['name']} ({t['kind']}, {t['value']!r}) not found"
        out.append((t, best))
    assert len(page.fields) == len(expected["fields"]), "fields found that the truth lacks"
    return out


@pytest.mark.parametrize(("source", "name"), DOCUMENTS)
def test_every_field_found_and_no_wrong_value_ok(
    source: str, name: str, clf: DigitClassifier
) -> None:
    for t, f in paired(read(SAMPLES / source, clf), truth(name)):
        if t["value"] == "":
            assert f.status == "empty", (t["name"], f.value)
        if f.status == "ok":
            assert f.value == t["value"], (t["name"], f.value, f.confidence)
        if f.value == t["value"] and t.get("text"):
            # Separators found in their places: the amount as written.
            assert f.raw == t["text"].replace(" ", "")
            assert f.status == "review"  # no template: an amount is not read as one


@needs_poppler
def test_most_fields_read_exactly(clf: DigitClassifier) -> None:
    exact = total = 0
    misses = []
    for source, name in (p.values for p in DOCUMENTS):
        for t, f in paired(read(SAMPLES / str(source), clf), truth(str(name))):
            total += 1
            exact += f.value == t["value"]
            if f.value != t["value"]:
                misses.append((source, t["value"], f.value))
    assert total == 32
    assert exact >= MIN_EXACT, misses


@pytest.mark.parametrize(
    "source", [pytest.param("cheque.pdf", marks=needs_poppler), pytest.param("cheque.tiff")]
)
def test_cheque_with_its_template(source: str, clf: DigitClassifier) -> None:
    """README's example: the cheque read by samples/cheque.toml gives its date
    and its amount as a decimal; a wrong amount is never ``ok``."""
    config = ScanConfig(templates=tuple(load_templates([SAMPLES / "cheque.toml"])))
    page = read(SAMPLES / source, clf, config)
    assert page.template == "cheque"
    fields = {f.name: f for f in page.fields}
    assert set(fields) == {"date", "amount"}
    dates = [t["value"] for t in truth("cheque")["fields"] if t.get("label") == "Date"]
    amount = next(t for t in truth("cheque")["fields"] if t.get("label") == "Amount")
    assert amount["text"] == "651,538.11"
    assert fields["date"].value == "".join(dates) or fields["date"].status == "review"
    assert fields["amount"].value == "651538.11" or fields["amount"].status == "review"
    # The marks in their places, whatever the digits were read as.
    assert re.sub(r"[0-9]", "d", fields["amount"].raw or "") == "ddd,ddd.dd"
