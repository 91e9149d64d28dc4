"""Speed-ups of the layout code (formocr.layout.frame, .lines, .ink) against
frozen copies of the code they replaced: the same results for any input."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from formocr.layout import frame as F

# --- Frozen: the code as it was before the speed-ups -------------------------


def _frozen_line_band(
    profile: np.ndarray, lo: int, hi: int, least: float = 0.45, expect: float | None = None
) -> tuple[int, int] | None:
    mid = (lo + hi - 1) / 2.0 if expect is None else expect
    lo, hi = max(0, lo), min(len(profile), hi)
    if hi <= lo:
        return None
    seg = profile[lo:hi]
    if seg.max() < least:
        return None
    strong = np.nonzero(seg >= 0.9 * seg.max())[0]
    peak = int(strong[np.argmin(np.abs(strong + lo - mid))])
    thr = max(0.3, 0.5 * seg[peak])
    a = b = peak
    while a > 0 and seg[a - 1] >= thr:
        a -= 1
    while b + 1 < len(seg) and seg[b + 1] >= thr:
        b += 1
    return lo + a, lo + b + 1


def _frozen_clusters(on: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    starts, ends = np.nonzero(edges == 1)[0].tolist(), np.nonzero(edges == -1)[0].tolist()
    return list(zip(starts, ends, strict=True))


def _frozen_rise(vert: np.ndarray) -> np.ndarray:
    h, w = vert.shape
    rows = vert[::-1]
    run = np.zeros(w, np.int32)
    alive = np.ones(w, bool)
    for i in range(h):
        if i < 2:
            run += rows[i]
            continue
        alive &= rows[i]
        if not alive.any():
            break
        run += alive
    return run


def _frozen_widen(sub: np.ndarray) -> np.ndarray:
    rect = cv2.getStructuringElement
    sub = cv2.dilate(sub, rect(cv2.MORPH_RECT, (3, 1)))
    return cv2.morphologyEx(sub, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (1, 3)))


# --- Strategies ---------------------------------------------------------------

# Coverage profiles: means of 0/1 masks (k / n), with ties and plateaus.
_profiles = st.integers(1, 12).flatmap(
    lambda n: arrays(np.int64, st.integers(0, 60), elements=st.integers(0, n)).map(lambda a: a / n)
)
_masks = arrays(
    np.uint8,
    st.tuples(st.integers(1, 40), st.integers(1, 40)),
    elements=st.sampled_from([0, 0, 1, 1, 1, 255]),
)


# --- frame ----------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(
    _profiles,
    st.integers(-20, 70),
    st.integers(-20, 70),
    st.sampled_from([0.3, 0.45]),
    st.one_of(st.none(), st.integers(-20, 70), st.floats(-20, 70)),
)
def test_line_band_matches_frozen(
    profile: np.ndarray, lo: int, hi: int, least: float, expect: float | None
) -> None:
    assert F._line_band(profile, lo, hi, least, expect) == _frozen_line_band(
        profile, lo, hi, least, expect
    )


@settings(max_examples=300, deadline=None)
@given(_masks, st.integers(0, 1), st.booleans())
def test_mean_is_numpys(m: np.ndarray, axis: int, as_bool: bool) -> None:
    a = m > 0 if as_bool else m
    got, want = F._mean(a, axis), a.mean(axis=axis)
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
    # Views with a row stride (a box's cut-out).
    view = a[:, 1:] if a.shape[1] > 1 else a
    assert F._mean(view, axis).tobytes() == view.mean(axis=axis).tobytes()


@settings(max_examples=300, deadline=None)
@given(arrays(np.bool_, st.integers(0, 80)))
def test_clusters_match_frozen(on: np.ndarray) -> None:
    assert F._clusters(on) == _frozen_clusters(on)


@settings(max_examples=300, deadline=None)
@given(
    arrays(
        np.bool_,
        st.tuples(st.integers(3, 30), st.integers(1, 30)),
        elements=st.booleans() | st.just(True),
    )
)
def test_rise_matches_frozen(vert: np.ndarray) -> None:
    got, want = F._rise(vert), _frozen_rise(vert)
    assert got.dtype == want.dtype and np.array_equal(got, want)


@settings(max_examples=300, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 30), st.integers(1, 30))))
def test_widen_is_one_dilation_and_an_erosion(sub: np.ndarray) -> None:
    rect = cv2.getStructuringElement
    got = cv2.erode(cv2.dilate(sub, rect(cv2.MORPH_RECT, (3, 3))), rect(cv2.MORPH_RECT, (1, 3)))
    assert np.array_equal(got, _frozen_widen(sub))
