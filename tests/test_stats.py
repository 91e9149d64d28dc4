"""formocr.stats gives numpy's medians and percentiles to the bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from formocr import stats

numbers = st.one_of(st.integers(0, 5000), st.floats(-5000, 5000, allow_nan=False))


def same(a: float, b: float) -> bool:
    return bool(np.float64(a).tobytes() == np.float64(b).tobytes())


@given(st.lists(numbers, min_size=1, max_size=40))
def test_median_is_numpys(values: list[float]) -> None:
    assert stats.median(values) == float(np.median(values))


@given(st.lists(st.integers(0, 400), min_size=1, max_size=300), st.floats(0, 100))
def test_percentile_is_numpys(values: list[int], q: float) -> None:
    assert same(stats.percentile(values, q), float(np.percentile(values, q)))


@given(st.lists(st.integers(0, 255), min_size=1, max_size=500))
def test_hist_median_is_numpys(values: list[int]) -> None:
    hist = np.bincount(np.array(values, np.int64), minlength=256)
    assert same(stats.hist_median(hist), float(np.median(values)))
    f32 = hist.astype(np.float32)  # as cv2.calcHist counts
    assert same(stats.hist_median(f32), float(np.median(values)))


@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6), st.floats(0, 100))
def test_lerp_is_numpys(a: float, b: float, q: float) -> None:
    """Between two values numpy's percentile is its lerp at the position q / 100."""
    lo, hi = min(a, b), max(a, b)
    pos = q / 100
    got = stats.lerp(lo, hi, pos) if pos < 1 else hi
    assert same(got, float(np.percentile(np.array([lo, hi]), q)))


@given(
    st.integers(1, 300),
    st.integers(1, 300),
    st.floats(0.02, 0.8),
    st.integers(0, 2**32 - 1),
    st.sampled_from([1, 2]),
)
def test_labelled_is_opencvs_32_bit_labelling(
    h: int, w: int, share: float, seed: int, threads: int
) -> None:
    """16-bit labels where they fit: the same count, labels and statistics
    as OpenCV's default 32-bit labelling, on one thread and on two (the
    batch's workers run on one)."""
    import cv2

    mask = (np.random.default_rng(seed).random((h, w)) < share).astype(np.uint8)
    before = cv2.getNumThreads()
    cv2.setNumThreads(threads)
    try:
        n, labels, st_ = stats.labelled(mask)
        n32, labels32, st32, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    finally:
        cv2.setNumThreads(before)
    assert n == n32
    assert np.array_equal(labels, labels32)
    assert np.array_equal(st_, st32)


def test_label_type_fits_the_most_components_a_mask_can_hold() -> None:
    """A checkerboard of lone pixels two apart is the most 8-connected
    components a mask holds; where they pass 16 bits the labels are 32-bit."""
    import cv2

    assert stats.label_type(256, 256) == cv2.CV_16U
    assert stats.label_type(600, 600) == cv2.CV_32S
    mask = np.zeros((511, 511), np.uint8)
    mask[::2, ::2] = 1  # 256 x 256 lone pixels: 65,536 components and the paper
    n, labels, _ = stats.labelled(mask)
    assert n == 256 * 256 + 1
    assert labels.dtype == np.int32
    assert int(labels.max()) == 256 * 256
