"""Speed-ups of normalize's mask cleaning and centring against frozen copies
of the code they replaced: the same bytes for any mask (normalize and
normalize_line are versioned and shared with training)."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_speed_equiv_read import _frozen_erase_edge_lines as _read_frozen_erase_edge_lines

from formocr import stats
from formocr.read import normalize as N

# --- Frozen: the code as it was before the speed-ups -------------------------


def _frozen_component_stats(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    h, w = mask.shape
    small = ((h + 1) // 2) * ((w + 1) // 2) < 65535
    ltype = cv2.CV_16U if small else cv2.CV_32S
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=ltype)
    return n, labels, stats[1:].astype(np.float64)


def _frozen_keep(mask: np.ndarray, labels: np.ndarray, keep: np.ndarray) -> np.ndarray:
    if keep[1:].all():
        return (mask != 0).view(np.uint8)
    return keep[labels].astype(np.uint8)


def _frozen_clean_mask(mask: np.ndarray) -> np.ndarray:
    mask = N._erase_edge_lines(mask)
    n, labels, st_ = _frozen_component_stats(mask)
    if n <= 1:
        return mask
    h, w = mask.shape
    x, y, cw, ch, area = st_.T
    total = float(area.sum())
    speck = (area < N._SPECK_SHARE * total) & (area < 0.5 * area.max())
    touches = (x == 0) | (y == 0) | (x + cw == w) | (y + ch == h)
    fill = area / (cw * ch)
    horizontal = (cw >= 0.7 * w) & (ch <= 0.2 * h)
    vertical = (ch >= 0.7 * h) & (cw <= 0.2 * w)
    frame = touches & (horizontal | vertical) & (fill > 0.5)
    keep = np.zeros(n, bool)
    keep[1:] = ~speck & ~frame
    if not keep.any():
        return np.zeros_like(mask)
    return _frozen_keep(mask, labels, keep)


def _frozen_clean_line_mask(mask: np.ndarray) -> np.ndarray:
    mask = N._erase_edge_lines(mask)
    n, labels, st_ = _frozen_component_stats(mask)
    if n <= 1:
        return mask
    h, w = mask.shape
    x, y, cw, ch, area = st_.T
    speck = area < max(2.0, (0.025 * h) ** 2)
    fill = area / (cw * ch)
    touches_side = (x == 0) | (x + cw == w)
    touches_tb = (y == 0) | (y + ch == h)
    bar = max(3, 0.08 * h)
    side = touches_side & (ch >= 0.6 * h) & (cw <= bar) & (fill > 0.5)
    tb = touches_tb & (cw >= 0.6 * w) & (ch <= bar) & (fill > 0.5)
    keep = np.zeros(n, bool)
    keep[1:] = ~speck & ~side & ~tb
    return _frozen_keep(mask, labels, keep)


def _frozen_centre(fitted: np.ndarray) -> np.ndarray:
    h, w = fitted.shape
    mass = float(fitted.sum())
    ys, xs = np.indices(fitted.shape)
    cy = float((ys * fitted).sum() / mass)
    cx = float((xs * fitted).sum() / mass)
    top = int(round(N.SIZE / 2 - cy))
    left = int(round(N.SIZE / 2 - cx))
    top = min(max(top, 0), N.SIZE - h)
    left = min(max(left, 0), N.SIZE - w)
    out = np.zeros((N.SIZE, N.SIZE), np.float32)
    out[top : top + h, left : left + w] = fitted
    return out


# --- Inputs --------------------------------------------------------------------


def _mask(seed: int, h: int, w: int, kind: int) -> np.ndarray:
    """A 0/1 mask: specks (sometimes hundreds, past the 8-bit look-up), strokes,
    bars along the edges and across, frames; sometimes a strided view."""
    rng = np.random.default_rng(seed)
    m = (rng.random((h, w)) < rng.choice([0.0, 0.01, 0.05, 0.3, 0.6])).astype(np.uint8)
    for _ in range(int(rng.integers(0, 6))):
        y0, x0 = int(rng.integers(0, h)), int(rng.integers(0, w))
        t = int(rng.integers(1, 5))
        if rng.random() < 0.5:
            m[y0 : y0 + t, x0 if rng.random() < 0.5 else 0 : int(rng.integers(x0, w + 1))] = 1
        else:
            m[y0 if rng.random() < 0.5 else 0 : int(rng.integers(y0, h + 1)), x0 : x0 + t] = 1
    for _ in range(int(rng.integers(0, 4))):
        cv2.circle(m, (int(rng.integers(0, w)), int(rng.integers(0, h))),
                   int(rng.integers(1, 15)), 1, int(rng.integers(1, 4)))  # fmt: skip
    if kind == 1:
        m[0] = 1
        m[:, -1] = 1
    elif kind == 2:
        out = np.zeros((h + 5, w + 7), np.uint8)[2 : 2 + h, 3 : 3 + w]  # a strided view
        out[:] = m
        return out
    elif kind == 3:
        m[:] = 0
    return m


masks = st.builds(
    _mask, st.integers(0, 2**32 - 1), st.integers(1, 90), st.integers(1, 300), st.integers(0, 4)
)


@settings(max_examples=400, deadline=None)
@given(masks)
def test_clean_masks_match_frozen(mask: np.ndarray) -> None:
    a, b = N.clean_mask(mask), _frozen_clean_mask(mask)
    assert a.dtype == b.dtype == np.uint8 and a.shape == b.shape and np.array_equal(a, b)
    a, b = N.clean_line_mask(mask), _frozen_clean_line_mask(mask)
    assert a.dtype == b.dtype == np.uint8 and a.shape == b.shape and np.array_equal(a, b)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 20), st.integers(1, 20))
def test_centre_matches_frozen(seed: int, h: int, w: int) -> None:
    rng = np.random.default_rng(seed)
    fitted = rng.random((h, w)).astype(np.float32)
    fitted[rng.random((h, w)) < rng.random()] = 0.0
    fitted.flat[int(rng.integers(0, h * w))] = 1.0
    a, b = N._centre(fitted), _frozen_centre(fitted)
    assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _frozen_erase_rules(grey: np.ndarray) -> np.ndarray:
    h, w = grey.shape
    rough = (grey < min(235, int(N.int_percentile(grey, 90)) - 20)).astype(np.uint8)
    rules = np.zeros_like(rough)
    length = max(int(1.5 * h), 12)
    if w > length:
        rules |= N.open_line(rough, length, 1)
    tall = max(int(0.7 * h), 6)
    band = max(3, int(0.06 * h))
    if h > tall and w > 2 * band:
        sides = np.concatenate([rough[:, :band], rough[:, w - band :]], axis=1)
        side = N.open_line(sides, tall, 0)
        rules[:, :band] |= side[:, :band]
        rules[:, w - band :] |= side[:, band:]
    if not rules.any():
        return grey
    out = grey.copy()
    out[cv2.dilate(rules, np.ones((3, 3), np.uint8)) > 0] = 255
    return out


@settings(max_examples=300, deadline=None)
@given(masks, st.integers(0, 255), st.integers(0, 255))
def test_erase_rules_and_row_counts_match_frozen(mask: np.ndarray, ink: int, paper: int) -> None:
    grey = np.where(mask > 0, ink, paper).astype(np.uint8)
    grey[:: max(1, grey.shape[0] // 3), ::7] //= 2  # some grey levels between
    assert np.array_equal(N._erase_rules(grey), _frozen_erase_rules(grey))
    p = N.int_percentile(grey, 90)
    assert np.array_equal(N._erase_rules(grey, p), _frozen_erase_rules(grey))
    for m in (mask, mask * np.uint8(ink), grey, mask[:, ::2], mask.T):
        for axis in (0, 1):
            got = stats.count_nonzero(m, axis)
            assert np.array_equal(got, np.count_nonzero(m, axis=axis))


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 200),
    st.integers(1, 300),
    st.integers(0, 60),
    st.booleans(),
)
def test_dilate_square_is_opencvs(seed: int, h: int, w: int, half: int, view: bool) -> None:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (h, w), dtype=np.uint8)
    if rng.random() < 0.5:  # mostly paper, a few dark strokes
        img = np.where(rng.random((h, w)) < 0.1, img // 4, 255 - img // 16).astype(np.uint8)
    if view:
        img = np.ascontiguousarray(np.pad(img, 3))[3:-3, 3:-3]
    k = 2 * half + 1
    want = cv2.dilate(img, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    got = N._dilate_square(img, k)
    assert got.dtype == np.uint8 and got.shape == want.shape and np.array_equal(got, want)


# the version before the last speed-up, and the one before it, give the same
# bytes: the frozen original in test_speed_equiv_read serves both comparisons
_frozen_erase_edge_lines = _read_frozen_erase_edge_lines


@settings(max_examples=300, deadline=None)
@given(masks, st.sampled_from([1, 255]))
def test_erase_edge_lines_matches_frozen(mask: np.ndarray, ink: int) -> None:
    for m in (mask * np.uint8(ink), mask.astype(np.int16) * -1, mask.astype(bool)):
        a, b = N._erase_edge_lines(m), _frozen_erase_edge_lines(m)
        assert a.dtype == b.dtype and np.array_equal(a, b)
