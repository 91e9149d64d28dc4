"""Invariants of the one preprocessing function, shared by training and runtime."""

from __future__ import annotations

import cv2
import numpy as np
import preprocess_v1 as v1
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from formocr.read.normalize import (
    BOX,
    SIZE,
    int_median,
    int_percentile,
    normalize,
    normalize_batch,
    normalize_line_geometry,
    open_line,
)


def draw_digit(
    text: str = "7", scale: float = 2.0, thickness: int = 4, pad: int = 20
) -> np.ndarray:
    """A dark-on-light digit drawn with OpenCV's Hershey script font."""
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, thickness)
    img = np.full((h + base + 2 * pad, w + 2 * pad), 255, np.uint8)
    cv2.putText(
        img, text, (pad, pad + h), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, 0, thickness, cv2.LINE_AA
    )
    return img


def centre_of_mass(x: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(x.shape)
    return float((ys * x).sum() / x.sum()), float((xs * x).sum() / x.sum())


def test_output_format() -> None:
    out = normalize(draw_digit("3"))
    assert out.shape == (SIZE, SIZE) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert out.max() == pytest.approx(1.0)


def test_mnist_geometry_fit_20_and_centre_of_mass() -> None:
    out = normalize(draw_digit("5"))
    ys, xs = np.nonzero(out > 0)
    assert max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) in (BOX, BOX + 1)
    cy, cx = centre_of_mass(out)
    assert abs(cy - SIZE / 2) <= 1.0 and abs(cx - SIZE / 2) <= 1.0


def test_aspect_ratio_is_kept() -> None:
    one = normalize(draw_digit("1", thickness=3))
    ys, xs = np.nonzero(one > 0.5)
    assert (ys.max() - ys.min()) > 1.5 * (xs.max() - xs.min())


def test_blank_and_flat_crops_give_zeros() -> None:
    assert not normalize(np.full((40, 30), 255, np.uint8)).any()
    assert not normalize(np.full((40, 30), 90, np.uint8)).any()
    assert not normalize(np.zeros((0, 0), np.uint8)).any()
    noisy = np.clip(np.random.default_rng(0).normal(235, 4, (50, 50)), 0, 255).astype(np.uint8)
    assert not normalize(noisy).any()


def test_translation_and_padding_invariant() -> None:
    a = draw_digit("4", pad=10)
    b = cv2.copyMakeBorder(a, 5, 40, 37, 3, cv2.BORDER_CONSTANT, value=255)
    # More paper moves Otsu's threshold a little on anti-aliased edges.
    assert np.abs(normalize(a) - normalize(b)).mean() < 0.01


def test_scale_invariant_up_to_resampling() -> None:
    small = draw_digit("2", scale=1.5, thickness=3)
    big = cv2.resize(small, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    a, b = normalize(small), normalize(big)
    assert np.abs(a - b).mean() < 0.08
    assert (a > 0.5).sum() > 0 and (b > 0.5).sum() > 0


def test_polarity_light_on_dark_is_inverted() -> None:
    img = draw_digit("8")
    np.testing.assert_allclose(normalize(img), normalize(255 - img), atol=1e-6)


def test_faint_ink_is_binarised_like_dark_ink() -> None:
    dark = draw_digit("6")
    faint = (255 - (255 - dark.astype(np.int32)) * 0.35).astype(np.uint8)  # pencil-grey
    assert np.abs(normalize(dark) - normalize(faint)).mean() < 0.03


def test_frame_remains_and_specks_are_dropped() -> None:
    img = draw_digit("9", pad=25)
    framed = img.copy()
    framed[:3, :] = 0  # remains of the cell's top line
    framed[:, -2:] = 0  # and of its right line
    framed[8, 8] = 0  # a speck
    assert np.abs(normalize(img) - normalize(framed)).mean() < 0.01


def test_a_sevens_bar_is_not_taken_for_frame() -> None:
    img = np.full((60, 50), 255, np.uint8)
    cv2.line(img, (3, 4), (46, 4), 0, 4)  # the bar, near the top, almost edge to edge
    cv2.line(img, (46, 4), (20, 56), 0, 4)
    out = normalize(img)
    assert ((out > 0.5).sum(axis=1) >= 12).any()  # the bar survives, 15+ pixels long


def test_batch_matches_single() -> None:
    crops = [draw_digit(d) for d in "0123"]
    batch = normalize_batch(crops)
    assert batch.shape == (4, 1, SIZE, SIZE)
    for i, c in enumerate(crops):
        np.testing.assert_array_equal(batch[i, 0], normalize(c))


def test_rejects_non_greyscale() -> None:
    with pytest.raises(ValueError):
        normalize(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError):
        normalize(np.zeros((10, 10), np.float32))


@settings(max_examples=60, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 90), st.integers(1, 90))))
def test_any_crop_gives_a_valid_input(crop: np.ndarray) -> None:
    out = normalize(crop)
    assert out.shape == (SIZE, SIZE)
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0


# --- The faster code against the frozen version 1 (tests/preprocess_v1.py) ---
#
# normalize and normalize_line are versioned: the models were trained on
# their output, so any speed-up must give the same bytes for every input.


def _same_line(crop: np.ndarray) -> bool:
    a, ga = normalize_line_geometry(crop)
    b, gb = v1.normalize_line_geometry(crop)
    return bool(
        a.dtype == b.dtype
        and a.tobytes() == b.tobytes()
        and (ga.x0, ga.sx, ga.crop_width) == (gb.x0, gb.sx, gb.crop_width)
    )


def _box(seed: int, h: int, w: int, text: str, light_on_dark: bool) -> np.ndarray:
    """A box crop as the pages give them: paper with a gradient and noise,
    written digits, maybe frame remains along the edges, an underline, a
    smudge, maybe inverted (MNIST's polarity)."""
    rng = np.random.default_rng(seed)
    paper = rng.integers(150, 256)
    grad = np.linspace(0, rng.integers(0, 60), w)[None, :] * rng.random()
    img = np.clip(paper - grad + rng.normal(0, rng.uniform(0, 12), (h, w)), 0, 255)
    img = img.astype(np.uint8)
    scale = rng.uniform(0.4, max(0.5, 0.04 * h))
    ink = int(rng.integers(0, max(1, paper - 40)))
    cv2.putText(
        img, text, (int(rng.integers(0, max(1, w // 4))), int(h * rng.uniform(0.5, 0.95))),
        cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, ink, int(rng.integers(1, 6)), cv2.LINE_AA,
    )  # fmt: skip
    for _ in range(int(rng.integers(0, 4))):
        t = int(rng.integers(1, 5))
        level = int(rng.integers(0, 120))
        where = rng.integers(0, 6)
        if where == 0:
            img[:t] = level
        elif where == 1:
            img[h - t :] = level
        elif where == 2:
            img[:, :t] = level
        elif where == 3:
            img[:, w - t :] = level
        elif where == 4:  # an underline or a rule across
            y = int(rng.integers(0, h))
            img[y : y + t, int(rng.integers(0, w // 3 + 1)) :] = level
        else:  # a smudge
            y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
            cv2.circle(img, (x, y), int(rng.integers(1, 6)), level, -1)
    return 255 - img if light_on_dark else img


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(6, 140),
    st.integers(6, 600),
    st.text("0123456789.,-", min_size=1, max_size=9),
    st.booleans(),
)
def test_faster_preprocessing_matches_version_1_on_boxes(
    seed: int, h: int, w: int, text: str, light_on_dark: bool
) -> None:
    crop = _box(seed, h, w, text, light_on_dark)
    assert normalize(crop).tobytes() == v1.normalize(crop).tobytes()
    assert _same_line(crop)
    digit = np.ascontiguousarray(crop[:, : max(1, min(w, int(0.7 * h)))])
    assert normalize(digit).tobytes() == v1.normalize(digit).tobytes()


@settings(max_examples=200, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 70), st.integers(1, 160))))
def test_faster_preprocessing_matches_version_1_on_any_pixels(crop: np.ndarray) -> None:
    assert normalize(crop).tobytes() == v1.normalize(crop).tobytes()
    assert _same_line(crop)


def test_faster_preprocessing_matches_version_1_on_drawn_digits() -> None:
    for k, text in enumerate(["7", "0", "38", "1", "2024", "5"]):
        crop = draw_digit(text, scale=1.0 + 0.5 * k, thickness=1 + k)
        framed = crop.copy()
        framed[:3] = framed[-3:] = framed[:, :3] = framed[:, -3:] = 30
        for c in (crop, framed, 255 - crop, (crop // 3 + 170).astype(np.uint8)):
            assert normalize(c).tobytes() == v1.normalize(c).tobytes()
            assert _same_line(c)


@settings(max_examples=300, deadline=None)
@given(
    arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 90)), elements=st.integers(0, 1)),
    st.integers(1, 100),
    st.lists(st.tuples(st.integers(0, 39), st.integers(0, 89), st.integers(0, 90), st.booleans())),
)
def test_open_line_is_opencvs_opening(
    mask: np.ndarray, length: int, runs: list[tuple[int, int, int, bool]]
) -> None:
    mask = mask.copy()
    for r, c, n, across in runs:  # long runs, some to the edges
        if across:
            mask[r % mask.shape[0], c % mask.shape[1] : c % mask.shape[1] + n] = 1
        else:
            mask[r % mask.shape[0] : r % mask.shape[0] + n, c % mask.shape[1]] = 1
    for axis, kernel in ((1, (1, length)), (0, (length, 1))):
        want = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones(kernel, np.uint8))
        assert np.array_equal(open_line(mask, length, axis), want)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        arrays(np.uint8, st.integers(1, 500)),
        arrays(np.uint8, st.integers(1, 500), elements=st.sampled_from([0, 1, 250, 251, 255])),
        arrays(np.int64, st.integers(1, 300), elements=st.integers(0, 70)),
    ),
    st.sampled_from([0.0, 10.0, 37.5, 50.0, 90.0, 98.0, 100.0]),
)
def test_integer_percentile_and_median_are_numpys(a: np.ndarray, q: float) -> None:
    assert np.float64(int_percentile(a, q)).tobytes() == np.float64(np.percentile(a, q)).tobytes()
    assert np.float64(int_median(a)).tobytes() == np.float64(np.median(a)).tobytes()


def test_the_classifier_reads_bitmaps_booleans_floats_and_colour_as_greyscale() -> None:
    """Digit sets come as 0/1 bitmaps (optdigits, Semeion), booleans, floats
    in 0..1 or colour. A 0/1 bitmap passed the uint8 check and, with no
    contrast to threshold, was read as nothing: MNIST test digits as 0/1
    bitmaps were read right 8.8 % of the time; a 16-bit crop was clipped to
    white. Each form now reads as its 0-255 greyscale does; what is no image
    is a clear ValueError."""
    from formocr import DigitClassifier
    from formocr.read.normalize import as_grey

    clf = DigitClassifier()
    grey = [draw_digit(d, 2.0, 4) for d in "0123456789"]
    ink = [g < 128 for g in grey]  # True where the pen went
    forms = {
        "0/1 uint8": [i.astype(np.uint8) for i in ink],
        "0/1 int64": [i.astype(np.int64) for i in ink],
        "bool": ink,
        "float 0..1": [g / 255.0 for g in grey],
        "float 0..255": [g.astype(np.float32) for g in grey],
        "16-bit": [g.astype(np.uint16) * 257 for g in grey],
        "RGB": [np.dstack([g, g, g]) for g in grey],
        "RGBA": [np.dstack([g, g, g, np.full_like(g, 255)]) for g in grey],
        # Cut out: black everywhere, the ink in the alpha channel (read as nothing before).
        "RGBA, ink in alpha": [np.dstack([0 * g, 0 * g, 0 * g, 255 - g]) for g in grey],
        "RGBA, transparent paper": [
            np.dstack([g, g, g, np.where(i, 255, 0)]) for g, i in zip(grey, ink, strict=True)
        ],
        "H x W x 1": [g[:, :, None] for g in grey],
    }
    expected = [p.digit for p in clf.classify(grey)]
    assert expected == list(range(10))
    for name, images in forms.items():
        assert [p.digit for p in clf.classify(images)] == expected, name
    np.testing.assert_array_equal(as_grey(grey[3]), grey[3])  # greyscale passes unchanged
    for bad in (np.zeros(5), np.zeros((4, 4, 2)), np.array([["a"]])):
        with pytest.raises(ValueError, match="digit image"):
            as_grey(bad)


def _ink_box(grey: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(grey < 128)
    return grey[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def test_a_one_filling_the_height_of_its_image_is_no_frame_side() -> None:
    """Digit sets such as USPS keep each digit filling a square image.
    ``normalize`` took a 1 standing from the top of such an image to the
    bottom for a side of a frame cut by the crop, and erased it: the image
    read as nothing (MNIST test digits filling a 16 px square: 97.41 % read
    right, 99.47 % now). The classifier's input gets a margin of paper first,
    and only a piece along the edge it runs beside is frame."""
    from formocr import DigitClassifier
    from formocr.read.normalize import isolated_digit

    square = np.full((40, 40), 255, np.uint8)
    cv2.line(square, (21, 0), (18, 39), 0, 4)
    assert normalize(square).max() == 0.0  # the fault
    assert normalize(isolated_digit(square)).max() == 1.0
    assert DigitClassifier().classify([square])[0].digit == 1
    side = np.full((40, 40), 255, np.uint8)
    cv2.line(side, (1, 0), (1, 39), 0, 3)  # a frame's side along the left edge
    cv2.circle(side, (22, 20), 10, 0, 3)
    kept = normalize(isolated_digit(side))
    np.testing.assert_allclose(kept, normalize(side), atol=0.02)  # the side whited out


def test_a_digit_stretched_to_fill_a_square_is_also_read_narrowed() -> None:
    """Semeion (and, near enough, USPS) keep each digit stretched to fill a
    square, its aspect ratio lost: a 1 becomes a broad blob, and stretched
    MNIST 1s were read 4, 8 or 7. Such an image is also read narrowed, and
    the classifier answers the geometric mean of the two readings. A digit
    cut to its ink's box (a 1 is narrow) or given a margin is not."""
    from formocr import DigitClassifier
    from formocr.read.classify import predictions, softmax
    from formocr.read.normalize import (
        NARROWED,
        _isolated,
        isolated_batch,
        isolated_views,
        normalize_batch,
        stretched_square,
    )

    drawn = [_ink_box(draw_digit(d, 2.0, 4)) for d in "0123456789"]
    stretched = [cv2.resize(g, (16, 16), interpolation=cv2.INTER_AREA) for g in drawn]
    assert all(stretched_square(_isolated(g)) for g in stretched)
    assert not stretched_square(_isolated(drawn[1]))  # a 1 cut to its ink: narrow
    assert not stretched_square(_isolated(draw_digit("8", 2.0, 4)))  # paper round it
    x, which, narrow = isolated_views(stretched)
    assert which == list(range(10)) and len(narrow) == 10
    np.testing.assert_array_equal(x, isolated_batch(stretched))
    clf = DigitClassifier()
    a, b = clf.all_probabilities(x), clf.all_probabilities(narrow)
    mean = softmax((np.log(np.maximum(a, 1e-12)) + np.log(np.maximum(b, 1e-12))) / 2)
    got = clf.classify(stretched)
    assert got == predictions(mean)
    # The narrowed view is the crop at NARROWED of its width, with its margin.
    h, w = _isolated(stretched[3]).shape
    thin = cv2.resize(
        _isolated(stretched[3]), (round(NARROWED * w), h), interpolation=cv2.INTER_AREA
    )
    np.testing.assert_allclose(narrow[3], normalize_batch([isolated_digit_of(thin)])[0])
    # What is not stretched reads as before: one view.
    plain = [draw_digit(d, 2.0, 4) for d in "0123456789"]
    assert isolated_views(plain)[1] == []
    assert clf.classify(plain) == predictions(clf.all_probabilities(isolated_batch(plain)))


def isolated_digit_of(crop: np.ndarray) -> np.ndarray:
    """A dark-on-light crop with ``isolated_digit``'s margin."""
    from formocr.read.normalize import _with_margin

    return _with_margin(crop)


def test_a_small_digit_is_enlarged_before_its_threshold() -> None:
    """A digit under 28 px thresholded at its own size loses its strokes'
    shape (drawn digits shrunk to 12 px: a 6 read 5). The classifier
    enlarges such an image bilinearly first; every digit reads."""
    from formocr import DigitClassifier
    from formocr.read.classify import predictions
    from formocr.read.normalize import ENLARGE, as_grey, isolated_digit, normalize_batch

    clf = DigitClassifier()
    small = []
    for d in "0123456789":
        drawn = draw_digit(d, 2.0, 4, pad=4)
        k = 12 / max(drawn.shape)
        size = (max(1, round(drawn.shape[1] * k)), max(1, round(drawn.shape[0] * k)))
        small.append(cv2.resize(drawn, size, interpolation=cv2.INTER_AREA))
    as_they_are = predictions(clf.all_probabilities(normalize_batch([as_grey(s) for s in small])))
    assert [p.digit for p in as_they_are] != list(range(10))  # the fault
    assert all(max(isolated_digit(s).shape) >= ENLARGE for s in small)
    assert [p.digit for p in clf.classify(small)] == list(range(10))
    big = draw_digit("5", 2.0, 4)
    margin = isolated_digit(big).shape[0] - big.shape[0]
    assert margin >= 4 and isolated_digit(big).shape[1] - big.shape[1] == margin  # not enlarged


def test_the_paper_of_a_digit_filling_its_image_is_its_outer_ring() -> None:
    """A light digit on dark that fills most of its image (a bold one cut
    tight, as USPS keeps them) was taken for dark on light: optdigits
    writers' digits cut tight and light on dark were read right 74.6 % of
    the time. The paper is now what most of the outer ring is; a bitmap's
    ink is its 1s."""
    from formocr.read.normalize import _to_dark_on_light, isolated_digit

    bold = np.full((40, 30), 20, np.uint8)
    cv2.circle(bold, (15, 20), 11, 235, 10)  # a light 0 filling most of a dark image
    assert _to_dark_on_light(bold) is bold  # the fault: taken for dark on light
    crop = isolated_digit(bold)  # 4 px of margin
    assert crop[0, 0] > 200 and crop[24, 6] < 60  # paper light, the 0's stroke dark
    bitmap = isolated_digit((bold > 128).astype(np.uint8))  # 1: ink
    assert bitmap[24, 6] < 60 and bitmap[0, 0] > 200


def test_a_cell_cut_with_its_frame_is_read_as_before_the_margin() -> None:
    """A cell cut from a form with its frame's lines along its edges: the
    margin ``isolated_digit`` adds would put them inside, away from the
    edges where ``normalize`` looks for them (MNIST test digits in such cells
    fell from 99.2 % to about 10 %). They are whited out first, and the
    paper is not judged on a side that is a frame line."""
    from formocr import DigitClassifier
    from formocr.read.classify import predictions
    from formocr.read.normalize import as_grey, normalize_batch

    clf = DigitClassifier()
    for sides in ("TB", "LR", "TBLR", "TL", "B"):
        cells = []
        for d in "0123456789":
            drawn = cv2.resize(draw_digit(d, 2.0, 4, pad=4), (44, 52))
            cell = np.full((60, 52), 255, np.uint8)
            cell[4:56, 4:48] = drawn
            for side, where in zip(
                "TBLR", (np.s_[:3, :], np.s_[-3:, :], np.s_[:, :3], np.s_[:, -3:]), strict=True
            ):
                if side in sides:
                    cell[where] = 30
            cells.append(cell)
        as_before = predictions(clf.all_probabilities(normalize_batch([as_grey(c) for c in cells])))
        assert [p.digit for p in as_before] == list(range(10)), sides
        assert [p.digit for p in clf.classify(cells)] == list(range(10)), sides
