"""The library entry point, with a fake segmenter and a fake classifier."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    FakeClassifier,
    fake_find_fields,
    needs_poppler,
    write_pdf,
    write_png,
    write_tiff,
)

from formocr.api import ScanConfig, scan, scan_document
from formocr.errors import DocumentError, InputError, ModelError


class RecordingProgress:
    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []

    def start(self, total_files: int) -> None:
        self.events.append(("start", total_files))

    def page(self, source: str, page: int) -> None:
        self.events.append(("page", Path(source).name, page))

    def advance(self, source: str, pages: int) -> None:
        self.events.append(("advance", Path(source).name, pages))

    def finish(self) -> None:
        self.events.append(("finish",))


def test_fields_values_statuses(tmp_path: Path, fake_segment: object) -> None:
    clf = FakeClassifier([(0, 0.99), (0, 0.98), (7, 0.95), (1, 0.5), (2, 0.99), (3, 0.99)])
    path = write_png(tmp_path / "a.png")
    config = ScanConfig(min_confidence=0.9)
    (doc,) = scan([str(path), str(path)], config, classifier=clf)  # the duplicate is dropped
    assert doc.status == "ok" and doc.error is None
    (page,) = doc.pages
    assert (page.page, page.width, page.height, page.dpi) == (1, 400, 300, None)
    comb, empty = page.fields
    assert (comb.name, comb.value, comb.status) == ("field_001", "007", "ok")
    assert comb.confidence == pytest.approx(0.95)
    assert comb.digits[2].top3[0] == ("7", 0.95)
    assert all(isinstance(v, str) for d in comb.digits for v, _ in d.top3)
    assert (empty.name, empty.value, empty.status, empty.digits) == ("field_002", "", "empty", ())


def test_low_confidence_digit_sends_field_to_review(tmp_path: Path, fake_segment: object) -> None:
    clf = FakeClassifier([(4, 0.99), (2, 0.6), (4, 0.99)])
    (doc,) = scan([write_png(tmp_path / "a.png")], ScanConfig(), classifier=clf)
    field = doc.pages[0].fields[0]
    assert (field.value, field.status, field.confidence) == ("424", "review", 0.6)


def test_boxes_found_overlapping_go_to_review(
    tmp_path: Path, fake_segment: Callable[..., None]
) -> None:
    """A box found over another (one of them built on a pattern's lines)
    may hold only part of its digits: never `ok`, and the reason says so;
    the page's other fields are untouched."""
    from formocr.api import OVERLAPS
    from formocr.types import BBox, FieldLayout

    def overlapping(page: np.ndarray, dpi: float | None = None) -> list[FieldLayout]:
        comb, _ = fake_find_fields(page, dpi)
        over = FieldLayout(BBox(100, 30, 120, 40), "string", ())  # across the comb's right end
        apart = FieldLayout(BBox(20, 200, 120, 40), comb.kind, comb.digits, cells=3)
        return [comb, over, apart]

    fake_segment(overlapping)
    clf = FakeClassifier([(4, 0.999)])
    (doc,) = scan([write_png(tmp_path / "a.png")], ScanConfig(), classifier=clf)
    comb, over, apart = doc.pages[0].fields
    assert (comb.value, comb.status, comb.reason) == ("444", "review", OVERLAPS)
    assert (over.status, over.reason) == ("review", OVERLAPS)
    assert (apart.value, apart.status, apart.reason) == ("444", "ok", None)


@needs_poppler
def test_one_classifier_batch_per_page(
    tmp_path: Path, fake_segment: object, fake_classifier: FakeClassifier
) -> None:
    path = write_pdf(tmp_path / "f.pdf", pages=3)
    progress = RecordingProgress()
    (doc,) = scan([path], ScanConfig(dpi=72), fake_classifier, progress)
    assert [p.page for p in doc.pages] == [1, 2, 3]
    assert fake_classifier.calls == [3, 3, 3]
    assert progress.events == [
        ("start", 1),
        ("page", "f.pdf", 1),
        ("page", "f.pdf", 2),
        ("page", "f.pdf", 3),
        ("advance", "f.pdf", 3),
        ("finish",),
    ]


def test_bad_documents_fail_and_the_batch_goes_on(
    tmp_path: Path, fake_segment: object, fake_classifier: FakeClassifier
) -> None:
    (tmp_path / "a-empty.png").write_bytes(b"")
    write_png(tmp_path / "b-good.png")
    docs = list(scan([tmp_path, tmp_path / "c-gone.png"], classifier=fake_classifier))
    assert [(Path(d.source).name, d.status) for d in docs] == [
        ("a-empty.png", "failed"),
        ("b-good.png", "ok"),
        ("c-gone.png", "failed"),
    ]
    assert "0 bytes" in (docs[0].error or "") and docs[0].pages == ()
    assert "no such file" in (docs[2].error or "")


def test_unexpected_error_on_one_page_is_contained(
    tmp_path: Path, fake_segment, fake_classifier: FakeClassifier
) -> None:
    """A bug on one page costs that page alone: it carries the error, the
    document's other pages and the next document are read."""
    calls = iter(range(100))

    def explode(page: np.ndarray, dpi: float | None = None) -> list:
        if next(calls) == 1:
            raise RuntimeError("boom")
        return fake_find_fields(page, dpi)

    fake_segment(explode)
    write_tiff(tmp_path / "a.tiff", frames=3)
    write_png(tmp_path / "b.png")
    docs = list(scan([tmp_path], classifier=fake_classifier))
    assert [d.status for d in docs] == ["ok", "ok"]
    first = docs[0].pages
    assert [p.page for p in first] == [1, 2, 3]
    assert [len(p.fields) for p in first] == [2, 0, 2]
    assert first[0].error is None and first[2].error is None
    assert "page 2: unexpected error (RuntimeError: boom)" in (first[1].error or "")
    assert len(docs[1].pages[0].fields) == 2


def test_model_error_stops_the_batch(tmp_path: Path, fake_segment: object) -> None:
    class Broken(FakeClassifier):
        def classify(self, images):  # type: ignore[no-untyped-def]
            raise ModelError("model exploded")

    write_png(tmp_path / "a.png")
    with pytest.raises(ModelError):
        list(scan([tmp_path], classifier=Broken()))


def test_input_error_is_raised_by_the_call(tmp_path: Path, fake_classifier: FakeClassifier) -> None:
    with pytest.raises(InputError):
        scan([tmp_path / "nothing-here.pdf"], classifier=fake_classifier)


def test_scan_document_raises(tmp_path: Path, fake_classifier: FakeClassifier) -> None:
    (tmp_path / "z.png").write_bytes(b"")
    with pytest.raises(DocumentError):
        scan_document(tmp_path / "z.png", classifier=fake_classifier)


def test_config_validates() -> None:
    with pytest.raises(ValueError):
        ScanConfig(min_confidence=1.5)
    with pytest.raises(ValueError):
        ScanConfig(dpi=5)
