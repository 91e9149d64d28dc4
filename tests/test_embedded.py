"""Scanned PDF pages read from their JPEG (formocr.io.embedded), and what is
rendered instead: a page drawn other than its JPEG, anything over it."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import form_image, needs_poppler, pdf_bytes, pdf_stream, write_pdf
from PIL import Image

from formocr.io import iter_pages
from formocr.io.embedded import decode_jpeg, jpeg_pages, same_page
from formocr.io.pdf import _PdfRenderer, pdf_plan

DPI = 300
W, H = 600, 800  # pixels: 144 x 192 pt at 300 dpi


def _scan(text: str = "042") -> np.ndarray:
    return form_image(W, H, text)


def _as_drawn(page: np.ndarray) -> np.ndarray:
    """A page's pixels each the mean of a 2 x 2 block, as pdftoppm draws an image 1:1."""
    return np.asarray(cv2.blur(page, (2, 2), borderType=cv2.BORDER_REPLICATE))


def _jpeg(page: np.ndarray) -> bytes:
    out = BytesIO()
    Image.fromarray(page).save(out, "JPEG", quality=90)
    return out.getvalue()


def _one_image_pdf(page: np.ndarray, content: bytes) -> bytes:
    """One page of W x H pixels at 300 dpi holding ``page`` as its one JPEG,
    drawn by ``content`` (``/Im Do`` under some transform)."""
    w_pt, h_pt = W * 72 // DPI, H * 72 // DPI
    image = pdf_stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /DCTDecode" % (W, H),
        _jpeg(page),
    )
    return pdf_bytes([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R "
        b"/Resources << /XObject << /Im 5 0 R >> >> >>" % (w_pt, h_pt),
        pdf_stream(b"", content),
        image,
    ])  # fmt: skip


def _refuse_to_render(monkeypatch: pytest.MonkeyPatch) -> None:
    def rendered(self: object, first: int, last: int) -> None:
        raise AssertionError(f"pages {first}-{last} were rendered, not read from their JPEG")

    monkeypatch.setattr(_PdfRenderer, "_rendered", rendered)


@needs_poppler
def test_a_scanned_page_is_read_from_its_jpeg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_pdf(tmp_path / "scan.pdf", pages=3, resolution=DPI)  # one JPEG a page
    shapes, colour, jpeg = pdf_plan(path, DPI, None, 150.0, "auto")
    assert not colour and jpeg == (True, True, True)
    assert pdf_plan(path, 200, None, 150.0, "auto")[2] == (False, False, False)  # not 1:1
    assert pdf_plan(path, DPI, None, 150.0, "auto", embedded=False)[2] == ()
    rendered = list(iter_pages(path, DPI, embedded=False))
    _refuse_to_render(monkeypatch)
    pages = list(iter_pages(path, DPI, page_errors=True))
    assert [p.page for p in pages] == [1, 2, 3] and all(p.error is None for p in pages)
    for i, (page, other) in enumerate(zip(pages, rendered, strict=True), 1):
        assert page.dpi == other.dpi == DPI and page.image.shape == other.image.shape
        truth = form_image(text=f"{i:03d}")
        assert page.image.shape == truth.shape
        # The scan's pixels (JPEG's loss only) averaged as pdftoppm draws them
        # (measured 0.12), close to what it draws (1.0; it differs from the
        # scan's own pixels by 1.4).
        assert np.abs(page.image.astype(int) - _as_drawn(truth)).mean() < 0.5
        assert np.abs(page.image.astype(int) - other.image).mean() < 1.5


def _painted(scan: np.ndarray) -> np.ndarray:
    shown = scan.copy()
    shown[:, : W // 3] = 0
    return shown


def test_pages_are_copied_under_the_scratch_directory_even_once_it_was_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's pages are copied under its scratch directory; a tmp cleaner
    that removed it from a long-lived pool (``formocr watch``) costs nothing."""
    import formocr.io.embedded as embedded

    path = write_pdf(tmp_path / "scan.pdf", pages=2, resolution=DPI)
    scratch = tmp_path / "scratch"
    copies: list[Path] = []
    real = embedded.decode_jpeg

    def decode(data: bytes, shape: tuple[int, int]) -> np.ndarray | None:
        copies.extend(scratch.glob("formocr-jpeg-*/*.jpg"))
        return real(data, shape)

    monkeypatch.setattr(embedded, "decode_jpeg", decode)
    _refuse_to_render(monkeypatch)
    embedded.use_scratch(str(scratch))  # never made: as if removed
    try:
        pages = list(iter_pages(path, DPI, page_errors=True))
    finally:
        embedded.use_scratch(None)
    assert [p.page for p in pages] == [1, 2] and all(p.error is None for p in pages)
    assert copies  # the JPEGs were there while read
    assert scratch.is_dir() and not list(scratch.iterdir())


def test_pages_whose_jpegs_cannot_be_copied_are_rendered(tmp_path: Path) -> None:
    import formocr.io.embedded as embedded

    path = write_pdf(tmp_path / "scan.pdf", pages=2, resolution=DPI)
    rendered = list(iter_pages(path, DPI, embedded=False))
    (tmp_path / "a_file").write_text("in the way")
    embedded.use_scratch(str(tmp_path / "a_file" / "scratch"))  # cannot be made
    try:
        pages = list(iter_pages(path, DPI, page_errors=True))
    finally:
        embedded.use_scratch(None)
    assert [p.error for p in pages] == [None, None]
    for page, other in zip(pages, rendered, strict=True):
        np.testing.assert_array_equal(page.image, other.image)


@needs_poppler
@pytest.mark.parametrize(
    ("content", "shows"),
    [
        (b"q 144 0 0 -192 0 192 cm /Im Do Q", lambda scan: scan[::-1]),  # upside down
        (b"q 144 0 0 192 0 0 cm /Im Do Q 0 g 0 0 48 192 re f", _painted),  # a third painted
    ],
    ids=["flipped", "painted-over"],
)
def test_a_page_that_is_not_its_jpeg_is_rendered(
    tmp_path: Path, content: bytes, shows: Callable[[np.ndarray], np.ndarray]
) -> None:
    scan = _scan()
    path = tmp_path / "p.pdf"
    path.write_bytes(_one_image_pdf(scan, content))
    assert pdf_plan(path, DPI, None, 150.0, "auto")[2] == (True,)  # by its headers
    (page,) = iter_pages(path, DPI, page_errors=True)
    (rendered,) = iter_pages(path, DPI, embedded=False)
    assert page.error is None
    np.testing.assert_array_equal(page.image, rendered.image)
    # What the page shows, not the JPEG's own pixels.
    off_shown = np.abs(page.image.astype(int) - shows(scan)).mean()
    assert off_shown < 2.0 and np.abs(page.image.astype(int) - scan).mean() > 2 * off_shown


@needs_poppler
def test_the_same_page_drawn_plainly_is_read_from_its_jpeg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The control for the test above: the same file, drawn as a scanner draws it.
    scan = _scan()
    path = tmp_path / "p.pdf"
    path.write_bytes(_one_image_pdf(scan, b"q 144 0 0 192 0 0 cm /Im Do Q"))
    _refuse_to_render(monkeypatch)
    (page,) = iter_pages(path, DPI, page_errors=True)
    assert page.error is None and np.abs(page.image.astype(int) - _as_drawn(scan)).mean() < 0.5


def test_which_pages_qualify_by_their_headers() -> None:
    def row(page: int, enc: str = "jpeg", w: int = W, h: int = H, ppi: int = DPI) -> list[str]:
        line = f"{page} 0 image {w} {h} gray 1 8 {enc} no 9 0 {ppi} {ppi} 1K 1%"
        return line.split()

    shapes = [(H, W)] * 6
    rows = [
        row(1),
        row(2, enc="image"),  # Flate: pdfimages -j would write a PPM
        row(3, ppi=200),
        row(4),
        ["4", "1", "smask", *row(4)[3:]],  # a mask: more than the JPEG is drawn
        row(5, w=W + 1),  # the rendered page's rounding
        # page 6 holds no image
    ]
    assert jpeg_pages(rows, shapes, DPI, turned=set()) == (True, False, False, False, True, False)
    assert jpeg_pages(rows, shapes, DPI, turned={1}) == (False, False, False, False, True, False)


def test_a_jpeg_decodes_to_the_page_or_to_nothing() -> None:
    scan = _scan()
    data = _jpeg(scan)
    page = decode_jpeg(data, (H, W))
    assert page is not None and page.shape == (H, W)
    assert np.abs(page.astype(int) - _as_drawn(scan)).mean() < 0.5
    wider = decode_jpeg(data, (H, W + 1))  # a pixel more, filled from the edge
    assert wider is not None and wider.shape == (H, W + 1)
    np.testing.assert_array_equal(wider[:, W], wider[:, W - 1])
    assert decode_jpeg(data, (H, W + 2)) is None
    assert decode_jpeg(data[: len(data) // 2], (H, W)) is None  # cut short
    assert decode_jpeg(b"not a jpeg", (H, W)) is None


def test_the_check_tells_a_page_from_the_same_page_turned() -> None:
    scan = _scan()
    check = cv2.resize(scan, (W // 10, H // 10), interpolation=cv2.INTER_AREA)
    assert same_page(scan, check)
    assert not same_page(scan[::-1].copy(), check)
    assert not same_page(scan[:, ::-1].copy(), check)
    assert not same_page(255 - scan, check)
    blank = np.full_like(scan, 250)
    assert same_page(blank, check[::-1].copy() * 0 + 250)  # nothing to tell apart
    assert not same_page(blank, check)  # the page shows what the JPEG does not
