"""Invariants of the one preprocessing function, shared by training and runtime."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from formocr.read.normalize import BOX, SIZE, normalize, normalize_batch


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
