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
