"""Input discovery and page loading: every format, every way a file can be bad."""

from __future__ import annotations

import io
import logging
import threading
from pathlib import Path

import conftest
import cv2
import numpy as np
import pytest
from conftest import encrypt_pdf, form_image, needs_poppler, write_pdf, write_png, write_tiff
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from formocr.errors import DocumentError, InputError
from formocr.io import discover, iter_pages
from formocr.io.images import _to_grey
from formocr.io.pdf import _read_pnm

# -- discover --------------------------------------------------------------------


def test_discover_directory_recursive_sorted_and_skips(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    for name in ["b/2.PNG", "a/z.jpg", "a/1.tif", "top.pdf", ".hidden.pdf", "b/._junk.png"]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("hello")
    with caplog.at_level(logging.WARNING, logger="formocr"):
        found = discover([str(tmp_path)])
    rel = [p.relative_to(tmp_path).as_posix() for p in found]
    assert rel == ["a/1.tif", "a/z.jpg", "b/2.PNG", "top.pdf"]
    assert "notes.txt" in caplog.text


def test_discover_glob_files_dedup_and_order(tmp_path: Path) -> None:
    for name in ["s1.png", "s2.png", "s3.jpeg"]:
        (tmp_path / name).write_bytes(b"x")
    found = discover(
        [str(tmp_path / "s3.jpeg"), str(tmp_path / "s*.png"), str(tmp_path / "s1.png")]
    )
    assert [p.name for p in found] == ["s3.jpeg", "s1.png", "s2.png"]


def test_discover_keeps_missing_paths_for_the_report(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = write_png(tmp_path / "good.png")
    with caplog.at_level(logging.WARNING, logger="formocr"):
        found = discover([str(tmp_path / "gone.pdf"), str(good), str(tmp_path / "none*.png")])
    assert found == [tmp_path / "gone.pdf", good, tmp_path / "none*.png"]
    assert "no such file" in caplog.text and "no file matches" in caplog.text


def test_discover_nothing_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found: .*gone.pdf"):
        discover([str(tmp_path / "gone.pdf")])
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("x")
    with pytest.raises(InputError, match="nothing to scan"):
        discover([str(tmp_path / "empty")])
    with pytest.raises(InputError):
        discover([])


# -- raster images ---------------------------------------------------------------


def test_png_greyscale_with_dpi(tmp_path: Path) -> None:
    page = form_image()
    (p,) = iter_pages(write_png(tmp_path / "f.png", page, dpi=200))
    assert p.page == 1 and p.source == str(tmp_path / "f.png")
    assert p.dpi == 200.0
    np.testing.assert_array_equal(p.image, page)


@pytest.mark.parametrize("recorded", [72, 96])
def test_a_screen_or_camera_default_resolution_counts_as_none(tmp_path: Path, recorded) -> None:
    """72 and 96 dpi are what software writes when it knows no resolution (a
    cropped cheque amount, a phone photo): the page is scaled by its size."""
    (p,) = iter_pages(write_png(tmp_path / "f.png", form_image(), dpi=recorded))
    assert p.dpi is None
    (p,) = iter_pages(write_png(tmp_path / "g.png", form_image(), dpi=100))
    assert p.dpi == 100.0


def test_png_without_dpi_and_non_ascii_name(tmp_path: Path) -> None:
    (p,) = iter_pages(write_png(tmp_path / "chèque-ñ-数字.png"))
    assert p.dpi is None and p.image.shape == (300, 400)


def test_a_missing_tool_skips_here_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "UNDER_CI", False)
    with pytest.raises(pytest.skip.Exception, match="needs qpdf"):
        conftest.missing_tool("needs qpdf")
    monkeypatch.setattr(conftest, "UNDER_CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI must install it"):
        conftest.missing_tool("needs qpdf")


def test_colour_jpeg_becomes_grey(tmp_path: Path) -> None:
    grey = form_image()
    bgr = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    bgr[:, :, 2] = 255  # tint it: red ink on white paper
    path = tmp_path / "c.jpg"
    cv2.imwrite(str(path), bgr)
    ink = grey < 128
    # Plain greyscale is the luminance, give or take JPEG's artefacts ...
    (p,) = iter_pages(path, dropout="none")
    assert p.image.shape == grey.shape
    lum = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    assert np.abs(p.image.astype(int) - lum).mean() < 3
    assert 60 <= np.median(p.image[ink]) <= 95 and np.median(p.image[~ink]) >= 245
    # ... and by default the red ink reads dark, as black ink would, on light paper.
    (p,) = iter_pages(path)
    assert p.image.shape == grey.shape
    assert np.median(p.image[ink]) <= 40 and np.median(p.image[~ink]) >= 245


def test_alpha_is_composited_on_white(tmp_path: Path) -> None:
    rgba = np.zeros((50, 60, 4), np.uint8)  # black, fully transparent ...
    rgba[10:20, 10:20, 3] = 255  # ... but one opaque black square
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    (p,) = iter_pages(tmp_path / "a.png")
    assert p.image[0, 0] == 255 and p.image[15, 15] == 0


def test_16_bit_png_becomes_8_bit(tmp_path: Path) -> None:
    img = (form_image().astype(np.uint16)) * 257
    cv2.imwrite(str(tmp_path / "d.png"), img)
    (p,) = iter_pages(tmp_path / "d.png")
    np.testing.assert_array_equal(p.image, form_image())


def test_multipage_tiff_one_frame_at_a_time(tmp_path: Path) -> None:
    pages = list(iter_pages(write_tiff(tmp_path / "m.tiff", frames=3)))
    assert [p.page for p in pages] == [1, 2, 3]
    assert all(p.image.shape == (300, 400) for p in pages)


def test_content_not_extension_picks_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "really-a-png.jpg"
    write_png(path)
    (p,) = iter_pages(path)
    assert p.image.shape == (300, 400)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 65535), min_size=1, max_size=64))
def test_16_bit_scaling_is_monotonic_and_full_range(values: list[int]) -> None:
    a = np.array(values + [0, 65535], np.uint16).reshape(1, -1)
    img = Image.fromarray(a)  # mode I;16
    out = _to_grey(img, orient=False)[0].astype(int)
    assert out[-2] == 0 and out[-1] == 255
    order = np.argsort(a[0], kind="stable")
    assert np.all(np.diff(out[order]) >= 0)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 255), st.integers(0, 255))
def test_alpha_composite_stays_between_ink_and_paper(grey: int, alpha: int) -> None:
    img = Image.fromarray(np.array([[[grey, alpha]]], np.uint8), "LA")
    out = int(_to_grey(img, orient=False)[0, 0])
    assert grey - 1 <= out <= 255
    if alpha == 255:
        assert out == grey
    if alpha == 0:
        assert out == 255


# -- PDF -------------------------------------------------------------------------


@needs_poppler
def test_pdf_pages_rendered_at_dpi(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "f.pdf", pages=3)
    pages = list(iter_pages(path, dpi=72))
    assert [p.page for p in pages] == [1, 2, 3]
    assert all(p.dpi == 72.0 for p in pages)
    assert pages[0].image.shape == (300, 400)
    assert pages[0].image.flags.writeable
    (half,) = [p.image.shape for p in iter_pages(write_pdf(tmp_path / "g.pdf", 1), dpi=36)]
    assert half == (150, 200)


@needs_poppler
def test_pdf_stopping_early_releases_renderer_and_thread(tmp_path: Path) -> None:
    before = threading.active_count()
    pages = iter_pages(write_pdf(tmp_path / "f.pdf", pages=5), dpi=72)
    first = next(pages)
    assert first.page == 1
    pages.close()  # type: ignore[attr-defined]
    assert threading.active_count() == before


def test_read_pnm_header_with_comment_and_truncation() -> None:
    data = b"P5\n# made by hand\n3 2\n255\n" + bytes(range(6))
    img = _read_pnm(io.BytesIO(data))
    assert img is not None and img.shape == (2, 3) and img[1, 2] == 5
    assert _read_pnm(io.BytesIO(b"")) is None
    with pytest.raises(ValueError, match="truncated"):
        _read_pnm(io.BytesIO(data[:-2]))


# -- bad files -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["empty.pdf", "empty.png", "empty.tif"])
def test_zero_bytes(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(DocumentError, match=r"empty file \(0 bytes\)"):
        list(iter_pages(tmp_path / name))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="no such file"):
        list(iter_pages(tmp_path / "gone.png"))


@needs_poppler
def test_truncated_pdf(tmp_path: Path) -> None:
    good = write_pdf(tmp_path / "good.pdf", pages=2).read_bytes()
    (tmp_path / "cut.pdf").write_bytes(good[: len(good) // 3])
    with pytest.raises(DocumentError, match=r"cut\.pdf: damaged or truncated PDF"):
        list(iter_pages(tmp_path / "cut.pdf", dpi=72))


@needs_poppler
def test_encrypted_pdf(tmp_path: Path) -> None:
    enc = encrypt_pdf(write_pdf(tmp_path / "plain.pdf", 1), tmp_path / "locked.pdf")
    with pytest.raises(DocumentError, match="password-protected PDF; decrypt it first.*qpdf"):
        list(iter_pages(enc, dpi=72))


def test_text_file_named_png(tmp_path: Path) -> None:
    (tmp_path / "fake.png").write_text("this is not an image\n")
    with pytest.raises(DocumentError, match=r"fake\.png: not a PNG file despite its extension"):
        list(iter_pages(tmp_path / "fake.png"))


def test_truncated_png(tmp_path: Path) -> None:
    data = write_png(tmp_path / "ok.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(DocumentError, match="damaged or truncated image"):
        list(iter_pages(tmp_path / "cut.png"))


def test_png_header_but_garbage(tmp_path: Path) -> None:
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(DocumentError, match="bad.png"):
        list(iter_pages(tmp_path / "bad.png"))


@needs_poppler
def test_pdf_page_too_large_suggests_lower_dpi(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "f.pdf", pages=1)  # 400 x 300 pt
    with pytest.raises(DocumentError, match=r"over the 1 megapixel limit.*--dpi (\d+)") as e:
        list(iter_pages(path, dpi=300, max_megapixels=1.0))
    suggested = int(str(e.value).rsplit("--dpi ", 1)[1])
    assert len(list(iter_pages(path, dpi=suggested, max_megapixels=1.0))) == 1


def test_image_too_large(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="megapixel limit; downscale"):
        list(iter_pages(write_png(tmp_path / "f.png"), max_megapixels=0.1))


@needs_poppler
def test_too_many_pages_pdf(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="3 pages, more than the limit of 2"):
        list(iter_pages(write_pdf(tmp_path / "f.pdf", pages=3), dpi=36, max_pages=2))


def test_too_many_pages_tiff(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="3 pages, more than the limit of 1"):
        list(iter_pages(write_tiff(tmp_path / "m.tif", frames=3), max_pages=1))
