"""Colour forms: printing in a dropout colour told apart from the ink.

Colour forms come from ``training.synth`` (``colours=``): boxes and labels in
red, green or light blue, handwriting in black or blue ink, the same layout
and truth as the greyscale page of the seed. The dropped image loses the
printing and keeps the ink; the page formocr reads shows both, its boxes as
clear as a grey form's. Pages go through io in every format, and the
shipped model reads them with and without a template.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from io import BytesIO
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from conftest import needs_poppler
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from typer.testing import CliRunner

from formocr import api
from formocr.cli import app
from formocr.config import ScanConfig
from formocr.io import iter_pages
from formocr.io.dropout import detect, luminance, to_grey
from formocr.io.pdf import _page1_images_grey, _pdf_needs_colour, _read_pnm
from formocr.layout import fields as segment
from formocr.read.classify import DigitClassifier
from formocr.templates.draft import draft_template
from formocr.templates.template import Template
from formocr.types import BBox, PageImage, PageResult
from training.synth import (
    INK_COLOURS,
    Colours,
    Degradation,
    FieldTruth,
    make_form_page,
    write_jpeg,
    write_pdf,
    write_png,
)

DPI = 150
SEED = 31
# No crossing strokes, no touching digits: not on trial here. (These rates
# draw from the layout stream, so a template's blank must use the same.)
SAME_LAYOUT: dict[str, Any] = {"cross_frame_rate": 0.0, "touching_rate": 0.0}
PRINTS = ("red", "green", "blue")
INKS = ("black", "blue")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    logger = logging.getLogger("formocr")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def colour_form(
    printing: str, ink: str = "black", seed: int = SEED, dpi: int = DPI, **kw: Any
) -> tuple[np.ndarray, list[FieldTruth]]:
    kw = {"degradation": Degradation.scan(), **SAME_LAYOUT, **kw}
    return make_form_page(
        np.random.default_rng(seed), dpi, colours=Colours.named(printing, ink), **kw
    )


def png(img: np.ndarray, path: Path, dpi: int) -> Path:
    """A quick PNG (synth's writer optimises, which takes seconds for a colour page)."""
    Image.fromarray(img).save(path, dpi=(dpi, dpi), compress_level=1)
    return path


def frame_ring(img: np.ndarray, b: BBox, k: int = 3) -> np.ndarray:
    """The pixels of a field's printed frame: a band k pixels wide inside its box."""
    sub = img[b.y : b.y + b.h, b.x : b.x + b.w]
    m = np.zeros(sub.shape, bool)
    m[:k], m[-k:], m[:, :k], m[:, -k:] = True, True, True, True
    return sub[m]


def ink_level(img: np.ndarray, b: BBox) -> float:
    """How dark a digit's ink is: the 5th percentile of its box."""
    return float(np.percentile(img[b.y : b.y + b.h, b.x : b.x + b.w], 5))


# -- the generator's colour forms -------------------------------------------------------


def test_colour_forms_and_writers_share_layout_and_truth_with_the_grey_twin(
    tmp_path: Path,
) -> None:
    rgb, truth = make_form_page(
        np.random.default_rng(5), 100, colours=Colours.named("green", "blue")
    )
    grey, grey_truth = make_form_page(np.random.default_rng(5), 100)
    assert rgb.shape == (*grey.shape, 3) and rgb.dtype == np.uint8
    assert truth == grey_truth
    # Frames in the printing's colour, digits in the pen's.
    b = truth[0].bbox
    top = rgb[b.y : b.y + 3, b.x + 2 : b.x + b.w - 2].reshape(-1, 3).astype(int)
    frame = top[np.argmax(top[:, 1] - top[:, 0])]  # the most saturated green
    assert np.abs(frame - Colours.named("green").print_rgb).max() < 30, frame
    d = truth[[bool(t.digits) for t in truth].index(True)].digits[0].bbox
    ink = rgb[d.y : d.y + d.h, d.x : d.x + d.w].reshape(-1, 3)
    darkest = ink[np.argmin(ink.sum(axis=1))]
    assert darkest[2] > darkest[0] + 40  # blue ballpoint
    for write in (write_png, write_jpeg):
        with Image.open(write(rgb, tmp_path / f"p.{write.__name__}", 100)) as im:
            assert im.mode == "RGB" and im.size == (rgb.shape[1], rgb.shape[0])


def test_stroke_width_changes_the_pen_not_the_layout() -> None:
    heavy, truth = make_form_page(np.random.default_rng(5), 100, stroke_width=0.22)
    plain, plain_truth = make_form_page(np.random.default_rng(5), 100)
    assert [(t.bbox, t.value) for t in truth] == [(t.bbox, t.value) for t in plain_truth]
    assert (heavy < 128).sum() > (plain < 128).sum()


# -- the conversion ----------------------------------------------------------------


@pytest.mark.parametrize("ink", INKS)
@pytest.mark.parametrize("printing", PRINTS)
def test_frames_dropped_ink_kept_boxes_on_the_page_read(printing: str, ink: str) -> None:
    rgb, truth = colour_form(printing, ink)
    conv = to_grey(rgb)
    assert conv.colour == printing and conv.dropped is not None
    frames = np.concatenate([frame_ring(conv.dropped, t.bbox) for t in truth])
    printed = np.concatenate([frame_ring(conv.page, t.bbox) for t in truth])
    assert np.mean(frames < 160) < 0.005  # dropped: the frames are paper white
    assert np.mean(printed < 160) > 0.2  # and plain to see on the page read
    # Ink stays dark: black ink near black, blue ballpoint a dark grey.
    for img in (conv.dropped, conv.page):
        levels = [ink_level(img, d.bbox) for t in truth for d in t.digits]
        assert levels and max(levels) < (70 if ink == "black" else 120), levels
    # No box is left to find on the dropped page; all of them on the page read.
    assert segment.find_fields(conv.dropped, DPI) == []
    assert len(segment.find_fields(conv.page, DPI)) == len(truth)


def test_light_blue_frames_are_dark_on_the_page_read() -> None:
    """Light blue print is pale in luminance (about 190); the page read shows it dark."""
    rgb, truth = colour_form("blue")
    conv = to_grey(rgb, drop=False)
    assert conv.dropped is None and conv.channel == "red"
    pale = np.concatenate([frame_ring(luminance(rgb), t.bbox) for t in truth])
    dark = np.concatenate([frame_ring(conv.page, t.bbox) for t in truth])
    assert np.percentile(pale, 10) > 150 and np.percentile(dark, 10) < 100


def test_harsh_colour_scans_are_detected() -> None:
    for printing in PRINTS:
        rgb, _ = colour_form(printing, "blue", degradation=Degradation.harsh())
        assert to_grey(rgb).colour == printing


def test_no_colour_no_dropout() -> None:
    """Black print (with black or blue ink) and grey pages come out as luminance."""
    for ink in INKS:
        rgb, _ = make_form_page(
            np.random.default_rng(SEED), DPI, colours=Colours((20, 20, 24), INK_COLOURS[ink])
        )
        conv = to_grey(rgb)
        assert (conv.colour, conv.dropped) == (None, None)
        np.testing.assert_array_equal(conv.page, luminance(rgb))
    grey, _ = make_form_page(np.random.default_rng(SEED), DPI, degradation=Degradation.scan())
    conv = to_grey(np.repeat(grey[..., None], 3, axis=2))
    assert conv.colour is None
    np.testing.assert_array_equal(conv.page, grey)


@pytest.mark.parametrize("shift", [1, 2])
def test_colour_fringes_of_a_grey_page_are_not_printing(shift: int) -> None:
    """A scanner with its channels out of register fringes black print in colours."""
    rgb, _ = make_form_page(
        np.random.default_rng(SEED),
        DPI,
        colours=Colours((15, 15, 18), INK_COLOURS["blue"]),
        degradation=Degradation(blur_sigma=(0.6, 0.6), noise_sigma=(3, 3)),
    )
    rgb = rgb.copy()
    rgb[..., 0] = np.roll(rgb[..., 0], shift, axis=1)
    rgb[..., 2] = np.roll(rgb[..., 2], -shift, axis=0)
    assert to_grey(rgb).colour is None


def test_modes() -> None:
    rgb, _ = colour_form("red", "blue")
    none = to_grey(rgb, "none")
    assert none.dropped is None
    np.testing.assert_array_equal(none.page, luminance(rgb))
    assert to_grey(rgb, "red").colour == "red"
    assert to_grey(rgb, "green").colour is None  # named, but not on the page
    with pytest.raises(ValueError, match="dropout mode"):
        to_grey(rgb, "purple")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="RGB"):
        to_grey(rgb[..., 0])


def _hsv(h: float, s: float, v: float) -> tuple[int, int, int]:
    px = np.array([[[h / 2, s * 255, v * 255]]], np.float32).round().astype(np.uint8)
    r, g, b = cv2.cvtColor(px, cv2.COLOR_HSV2RGB)[0, 0]
    return int(r), int(g), int(b)


# Dropout inks as printed (hue in degrees, saturation, value), and pens.
PRINT_HSV = {
    "red": (st.floats(-10, 10), st.floats(0.6, 0.85), st.floats(0.85, 1.0)),
    "green": (st.floats(120, 150), st.floats(0.5, 0.7), st.floats(0.65, 0.8)),
    "blue": (st.floats(195, 212), st.floats(0.3, 0.45), st.floats(0.9, 1.0)),
}


@st.composite
def painted(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """A small page: boxes in a dropout colour, strokes in black or blue ink."""
    name = draw(st.sampled_from(PRINTS))
    h, s, v = (draw(x) for x in PRINT_HSV[name])
    print_rgb = _hsv(h % 360, s, v)
    if draw(st.booleans()):
        ink_rgb = _hsv(
            draw(st.floats(225, 240)), draw(st.floats(0.6, 0.85)), draw(st.floats(0.5, 0.65))
        )
    else:
        ink_rgb = _hsv(0, 0, draw(st.floats(0.05, 0.2)))
    page = np.full((120, 160, 3), draw(st.integers(225, 255)), np.uint8)
    print_mask = np.zeros((120, 160), np.uint8)
    for k in range(3):
        cv2.rectangle(print_mask, (8 + 50 * k, 20), (50 + 50 * k, 60), 1, 2)
    ink_mask = np.zeros((120, 160), np.uint8)
    for k in range(3):
        x = draw(st.integers(12, 30)) + 50 * k
        cv2.line(ink_mask, (x, 26), (x + 8, 55), 1, 3)
    page[print_mask > 0] = print_rgb
    page[ink_mask > 0] = ink_rgb
    return page, print_mask > 0, ink_mask > 0, name


@settings(max_examples=40, deadline=None)
@given(painted())
def test_dropout_whitens_printing_and_keeps_ink(case: tuple) -> None:
    page, printed, ink, name = case
    conv = to_grey(page)
    assert conv.colour == name
    only_print = printed & ~ink
    assert conv.dropped is not None
    assert np.median(conv.dropped[only_print]) >= 245
    assert np.median(conv.dropped[ink]) <= 170  # as dark as faint pencil, or darker
    # A monotone stretch of one projection: it lightens and keeps the order.
    if conv.projection == "luminance":
        projected = luminance(page)
    else:
        projected = page[..., ("red", "green", "blue").index(conv.projection)]
    assert (conv.dropped >= projected).all()
    order = np.argsort(projected.ravel(), kind="stable")
    assert (np.diff(conv.dropped.ravel()[order].astype(int)) >= 0).all()
    # The page read: printing as dark as a grey form's, and the ink dark too.
    assert np.median(conv.page[only_print]) <= 70
    assert np.median(conv.page[ink]) <= 110


# -- io: colour files are read by their printing's colour -----------------------------


def test_colour_png_jpeg_and_alpha(tmp_path: Path) -> None:
    rgb, _ = colour_form("red", "blue")
    path = write_png(rgb, tmp_path / "c.png", DPI)
    (page,) = iter_pages(path)
    assert page.dpi == pytest.approx(DPI, abs=0.1)
    np.testing.assert_array_equal(page.image, to_grey(rgb).page)
    (plain,) = iter_pages(path, dropout="none")
    np.testing.assert_array_equal(plain.image, np.asarray(Image.fromarray(rgb).convert("L")))
    assert not np.array_equal(page.image, plain.image)
    jpeg = write_jpeg(rgb, tmp_path / "c.jpg", DPI, quality=80)
    (colour,), (grey,) = iter_pages(jpeg), iter_pages(jpeg, dropout="none")
    assert np.mean(colour.image < 128) > 1.5 * np.mean(grey.image < 128)  # red print dark
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    rgba[:40, :40, 3] = 0  # transparent corner: white paper
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    (alpha,) = iter_pages(tmp_path / "a.png")
    np.testing.assert_array_equal(alpha.image[40:, 40:], page.image[40:, 40:])
    assert (alpha.image[:40, :40] == 255).all()


def test_greyscale_files_take_the_grey_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import formocr.io.dropout

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("a greyscale image went through the colour conversion")

    monkeypatch.setattr(formocr.io.dropout, "to_grey", never)
    grey, _ = make_form_page(np.random.default_rng(SEED), DPI)
    (page,) = iter_pages(write_png(grey, tmp_path / "g.png", DPI))
    np.testing.assert_array_equal(page.image, grey)


def test_ppm_frames_come_out_in_colour() -> None:
    rgb = _read_pnm(BytesIO(b"P6\n2 1\n255\n" + bytes([250, 0, 0, 0, 0, 250])))
    assert rgb is not None and rgb.shape == (1, 2, 3) and rgb[0, 1, 2] == 250


@needs_poppler
def test_pdf_rendered_in_colour_only_when_needed(tmp_path: Path) -> None:
    rgb, _ = colour_form("green", "blue")
    colour = write_pdf([rgb], tmp_path / "c.pdf", DPI)
    grey = write_pdf([luminance(rgb)], tmp_path / "g.pdf", DPI)
    assert _page1_images_grey(grey) and not _page1_images_grey(colour)  # from the headers
    assert _pdf_needs_colour(colour, "auto") and not _pdf_needs_colour(grey, "auto")
    assert not _pdf_needs_colour(colour, "none") and _pdf_needs_colour(grey, "green")
    (page,) = iter_pages(colour, DPI)
    (plain,) = iter_pages(colour, DPI, dropout="none")
    assert page.image.shape == plain.image.shape == rgb.shape[:2]
    # Green print is mid-grey in luminance, dark in the channel read.
    assert np.mean(page.image < 100) > 1.5 * np.mean(plain.image < 100)
    (forced,) = iter_pages(grey, DPI, dropout="green")  # rendered in colour, none found
    (usual,) = iter_pages(grey, DPI, embedded=False)  # rendered in grey (not its JPEG)
    assert np.abs(forced.image.astype(int) - usual.image).max() <= 1  # luminance both


@needs_poppler
def test_pdf_preview_sees_every_dropout_colour(tmp_path: Path) -> None:
    for printing in PRINTS:
        rgb, _ = colour_form(printing, "blue", degradation=Degradation.harsh())
        pdf = write_pdf([rgb], tmp_path / f"{printing}.pdf", DPI)
        assert _pdf_needs_colour(pdf, "auto"), printing
    rgb, _ = make_form_page(
        np.random.default_rng(SEED), DPI, colours=Colours((20, 20, 24), INK_COLOURS["blue"])
    )
    assert not _pdf_needs_colour(write_pdf([rgb], tmp_path / "k.pdf", DPI), "auto")
    assert detect(rgb) is None


# -- end to end with the shipped model -------------------------------------------------


@pytest.fixture(scope="module")
def clf() -> DigitClassifier:
    return DigitClassifier()


def iou(a: BBox, b: BBox) -> float:
    return BBox(*a).iou(BBox(*b))


def digits_right(page: PageResult, truth: Sequence[FieldTruth]) -> tuple[int, int]:
    """(digits right, digits written), pairing fields by place; every field found."""
    right = total = 0
    for tr in truth:
        f = max(page.fields, key=lambda f: iou(f.bbox, tr.bbox))
        assert iou(f.bbox, tr.bbox) >= 0.5, f"{tr.name} not found"
        total += len(tr.value)
        if len(f.value) == len(tr.value):
            right += sum(a == b for a, b in zip(f.value, tr.value, strict=True))
    return right, total


@pytest.mark.parametrize(("printing", "ink"), [("red", "blue"), ("blue", "black")])
def test_colour_png_read_without_template(
    tmp_path: Path, clf: DigitClassifier, printing: str, ink: str
) -> None:
    """The boxes are found in the printing's colour: no template is needed."""
    rgb, truth = colour_form(printing, ink, dpi=200)
    (doc,) = api.scan([png(rgb, tmp_path / "c.png", 200)], ScanConfig(), clf)
    (page,) = doc.pages
    assert len(page.fields) == len(truth)
    right, total = digits_right(page, truth)
    assert right >= 0.9 * total, (right, total)


def test_faint_pencil_on_a_red_form(clf: DigitClassifier) -> None:
    deg = Degradation(ink=(0.35, 0.5), blur_sigma=(0.4, 0.4), noise_sigma=(3, 3))
    rgb, truth = colour_form("red", "black", dpi=200, degradation=deg)
    conv = to_grey(rgb)
    assert conv.colour == "red"
    page = api.scan_page(PageImage("p", 1, conv.page, 200.0), ScanConfig(), clf)
    right, total = digits_right(page, truth)
    assert right >= 0.9 * total, (right, total)


@pytest.fixture(scope="module")
def grey_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """A template drafted from the greyscale rendering of the colour forms' layout."""
    grey, _ = make_form_page(np.random.default_rng(SEED), 200, **SAME_LAYOUT)
    path = png(grey, tmp_path_factory.mktemp("tpl") / "blank.png", 200)
    return draft_template(path, name="colour-claim")


@pytest.mark.parametrize(("printing", "ink"), [("green", "blue"), ("blue", "black")])
def test_template_reads_a_turned_colour_form(
    tmp_path: Path, clf: DigitClassifier, grey_template: Template, printing: str, ink: str
) -> None:
    """Registered on the boxes in the printing's colour, read by the template's names."""
    deg = replace(
        Degradation.scan(), rotation_deg=(2.5, 2.5), shift_mm=(6.0, 6.0), scale=(1.02, 1.02)
    )
    rgb, truth = colour_form(printing, ink, dpi=200, degradation=deg)
    path = png(rgb, tmp_path / "c.png", 200)
    config = ScanConfig(templates=(grey_template,))
    (doc,) = api.scan([path], config, clf)
    (page,) = doc.pages
    assert page.error is None and page.template == "colour-claim"
    assert [f.name for f in page.fields] == [f.name for f in grey_template.fields]
    values = [f.value for f in page.fields]
    assert [len(v) for v in values] == [len(t.value) for t in truth]
    pairs = zip(values, truth, strict=True)
    right = sum(a == b for f, t in pairs for a, b in zip(f, t.value, strict=True))
    total = sum(len(t.value) for t in truth)
    assert right >= 0.9 * total, (values, [t.value for t in truth])


def test_template_init_on_a_colour_blank(tmp_path: Path, grey_template: Template) -> None:
    """The boxes of a light blue form are drafted as those of its greyscale twin."""
    rgb, _ = make_form_page(
        np.random.default_rng(SEED), 200, colours=Colours.named("blue"), **SAME_LAYOUT
    )
    drafted = draft_template(png(rgb, tmp_path / "blank.png", 200), name="x")
    assert [(f.kind, f.cells) for f in drafted.fields] == [
        (f.kind, f.cells) for f in grey_template.fields
    ]
    for a, b in zip(drafted.fields, grey_template.fields, strict=True):
        assert np.allclose(a.box, b.box, atol=3), (a.box, b.box)


# -- the CLI option ----------------------------------------------------------------------


@pytest.mark.usefixtures("fake_segment", "fake_model")
def test_cli_dropout_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = api.iter_pages

    def spy(*args: object, **kwargs: object) -> Iterator[PageImage]:
        seen.append(str(kwargs["dropout"]))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "iter_pages", spy)
    rgb, _ = colour_form("red")
    path = png(rgb, tmp_path / "c.png", DPI)
    runner = CliRunner()
    for args in ([], ["--dropout", "none"], ["--dropout", "RED"]):
        r = runner.invoke(app, ["scan", *args, str(path)])
        assert r.exit_code == 0, r.output
    assert seen == ["auto", "none", "red"]
    r = runner.invoke(app, ["scan", "--dropout", "purple", str(path)])
    assert r.exit_code == 2
