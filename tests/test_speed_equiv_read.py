"""Speed-ups of the reading preprocessing against frozen copies of the code
they replaced: the same bytes for any input (normalize and normalize_line are
versioned and shared with training)."""

from __future__ import annotations

import cv2
import numpy as np
import preprocess_v1 as v1
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from formocr import stats
from formocr.read import normalize as N

# --- Frozen: the code as it was before the speed-ups -------------------------


def _frozen_plateau(a: np.ndarray, lo: int, hi: int) -> int | None:
    top = a.max()
    if lo >= a.size - np.count_nonzero(a == top):
        return int(top)
    if a.dtype == np.uint8 and a.size < 1 << 24:
        hist = cv2.calcHist([np.ascontiguousarray(a)], [0], None, [256], [0, 256]).ravel()
    else:
        hist = np.bincount(a.ravel())
    v_lo, v_hi = np.searchsorted(np.cumsum(hist), (lo, hi), side="right")
    return int(v_lo) if v_lo == v_hi else None


def _frozen_int_percentile(a: np.ndarray, q: float) -> float:
    if stats._small_ints(a):
        pos = int(q / 100.0 * (a.size - 1))
        v = _frozen_plateau(a, max(0, pos - 1), min(a.size - 1, pos + 2))
        if v is not None:
            return float(v)
    return float(np.percentile(a, q))


def _frozen_int_median(a: np.ndarray) -> float:
    if stats._small_ints(a):
        v = _frozen_plateau(a, (a.size - 1) // 2, a.size // 2)
        if v is not None:
            return float(v)
    return float(np.median(a))


def _frozen_binarize(crop: np.ndarray) -> np.ndarray:
    lo, hi = int(crop.min()), int(crop.max())
    if hi - lo < N._MIN_CONTRAST:
        return np.zeros(crop.shape, np.uint8)
    t, _ = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    paper = _frozen_int_percentile(crop, 90)
    t = min(t, paper - N._MIN_CONTRAST / 2)
    return (crop <= t).astype(np.uint8)


def _frozen_to_dark_on_light(crop: np.ndarray) -> np.ndarray:
    border = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]])
    if float(crop.mean()) < 128 and _frozen_int_median(border) < 100:
        return 255 - crop
    return crop


def _frozen_erase_edge_lines(mask: np.ndarray) -> np.ndarray:
    h, w = mask.shape
    if h < 8 or w < 8:
        return mask
    out = mask
    for axis in (0, 1):
        m = mask if axis == 0 else mask.T
        depth = m.shape[0]
        k = max(2, int(0.12 * depth))
        near = np.r_[0:k, depth - k : depth]
        ends = near[(m[near, 0] > 0) & (m[near, -1] > 0)]
        if ends.size == 0:
            continue
        line = ends[m[ends].mean(axis=1) >= 0.85]
        if line.size == 0:
            continue
        if out is mask:
            out = mask.copy()
        if axis == 0:
            out[line] = 0
        else:
            out[:, line] = 0
    return out


# --- Inputs --------------------------------------------------------------------


def _crop(seed: int, h: int, w: int, kind: int) -> np.ndarray:
    """Paper, strokes, rules along the edges and across, noise; sometimes a
    view (strided, transposed, flipped) rather than a contiguous array."""
    rng = np.random.default_rng(seed)
    paper = int(rng.integers(0, 256))
    img = np.full((h, w), paper, np.int16)
    img += rng.normal(0, rng.uniform(0, 30), (h, w)).astype(np.int16)
    for _ in range(int(rng.integers(0, 8))):
        level = int(rng.integers(0, 256))
        y0, x0 = int(rng.integers(0, h)), int(rng.integers(0, w))
        t = int(rng.integers(1, 6))
        if rng.random() < 0.5:
            img[y0 : y0 + t, x0 if rng.random() < 0.5 else 0 :] = level
        else:
            img[y0 if rng.random() < 0.5 else 0 :, x0 : x0 + t] = level
    for _ in range(int(rng.integers(0, 4))):
        cv2.circle(img, (int(rng.integers(0, w)), int(rng.integers(0, h))),
                   int(rng.integers(1, 12)), int(rng.integers(0, 256)), int(rng.integers(1, 4)))  # fmt: skip
    out = np.clip(img, 0, 255).astype(np.uint8)
    if kind == 1:
        out = np.zeros((h + 6, w + 9), np.uint8)[3 : 3 + h, 4 : 4 + w]  # a strided view
        out[:] = np.clip(img, 0, 255)
    elif kind == 2:
        out = np.ascontiguousarray(out.T).T  # a transposed view
    elif kind == 3:
        out = out[::-1, ::-1]
    elif kind == 4:
        out = (out > rng.integers(0, 256)).astype(np.uint8) * np.uint8(rng.integers(1, 256))
    return out


crops = st.builds(
    _crop, st.integers(0, 2**32 - 1), st.integers(1, 120), st.integers(1, 400), st.integers(0, 4)
)


@settings(max_examples=500, deadline=None)
@given(crops)
def test_changed_steps_match_frozen(crop: np.ndarray) -> None:
    assert np.array_equal(N.binarize(crop), _frozen_binarize(crop))
    assert N.binarize(crop).dtype == np.uint8
    a, b = N._to_dark_on_light(crop), _frozen_to_dark_on_light(crop)
    assert a.dtype == b.dtype and np.array_equal(a, b)
    mask = _frozen_binarize(crop)
    assert np.array_equal(N._erase_edge_lines(mask), _frozen_erase_edge_lines(mask))
    for q in (0, 10.0, 37.5, 50, 90, 90.0, 98.0, 100):
        got = np.float64(N.int_percentile(crop, q)).tobytes()
        assert got == np.float64(_frozen_int_percentile(crop, q)).tobytes()
    for v in (crop, crop[0], crop.ravel()[::3]):
        assert np.float64(N.int_median(v)).tobytes() == np.float64(_frozen_int_median(v)).tobytes()


@settings(max_examples=300, deadline=None)
@given(crops)
def test_normalize_matches_frozen_on_views_and_rules(crop: np.ndarray) -> None:
    a, b = N.normalize(crop), v1.normalize(crop)
    assert a.dtype == b.dtype == np.float32 and np.array_equal(a, b) and a.tobytes() == b.tobytes()
    if min(crop.shape) >= 1:
        x, gx = N.normalize_line_geometry(crop)
        y, gy = v1.normalize_line_geometry(crop)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes() and x.shape == y.shape
        assert (gx.x0, gx.sx, gx.crop_width) == (gy.x0, gy.sx, gy.crop_width)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        arrays(np.uint8, st.integers(1, 3000)),
        arrays(np.uint8, st.integers(1, 600), elements=st.sampled_from([0, 1, 2, 128, 254, 255])),
        arrays(np.int16, st.integers(1, 400), elements=st.integers(0, 510)),
        arrays(np.int64, st.integers(1, 300), elements=st.integers(0, 70)),
    ),
    st.one_of(
        st.sampled_from([0, 1, 10, 50, 90, 99, 100, 0.0, 12.5, 37.5, 62.5, 90.0, 98.0, 100.0]),
        st.floats(0, 100),
    ),
)
def test_int_percentile_and_median_are_numpys(a: np.ndarray, q: float) -> None:
    assert np.float64(N.int_percentile(a, q)).tobytes() == np.float64(np.percentile(a, q)).tobytes()
    assert np.float64(N.int_median(a)).tobytes() == np.float64(np.median(a)).tobytes()


# --- The CTC forward algorithm ----------------------------------------------------


def _frozen_ctc_log_likelihood(logp: np.ndarray, labels: list[int], blank: int) -> float:
    t_len = logp.shape[0]
    ext = np.full(2 * len(labels) + 1, blank, np.int64)
    ext[1::2] = np.asarray(labels, np.int64)
    s_len = len(ext)
    if t_len == 0:
        return 0.0 if not len(labels) else float("-inf")
    skip = np.zeros(s_len, bool)
    skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])
    alpha = np.full(s_len, -np.inf)
    alpha[0] = logp[0, ext[0]]
    if s_len > 1:
        alpha[1] = logp[0, ext[1]]
    for t in range(1, t_len):
        prev1 = np.concatenate(([-np.inf], alpha[:-1]))
        prev2 = np.concatenate(([-np.inf, -np.inf], alpha))[:s_len]
        prev2 = np.where(skip, prev2, -np.inf)
        alpha = np.logaddexp(np.logaddexp(alpha, prev1), prev2) + logp[t, ext]
    tail = alpha[-2:] if s_len > 1 else alpha[-1:]
    return float(np.logaddexp.reduce(tail))


@settings(max_examples=500, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(0, 40),
    st.lists(st.integers(0, 10), max_size=25),
    st.booleans(),
    st.booleans(),
)
def test_ctc_log_likelihood_matches_frozen(
    seed: int, t_len: int, labels: list[int], float32: bool, peaked: bool
) -> None:
    from formocr.read.ctc import ctc_log_likelihood, log_softmax

    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 8 if peaked else 1, (t_len, 11))
    if peaked and t_len:
        logits[rng.random(t_len) < 0.3] = -np.inf  # frames certain of nothing but one class
        logits[:, 10] = np.maximum(logits[:, 10], 0.0)
    logp = log_softmax(logits)
    if float32:
        logp = logp.astype(np.float32)
    for blank in (10, 0):
        want = np.float64(_frozen_ctc_log_likelihood(logp, labels, blank)).tobytes()
        assert np.float64(ctc_log_likelihood(logp, labels, blank)).tobytes() == want


# --- Line finding ------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    arrays(np.uint8, st.tuples(st.integers(1, 30), st.integers(1, 300)), elements=st.integers(0, 1))
)
def test_nonzero_counts_are_numpys(m: np.ndarray) -> None:
    for axis in (0, 1):
        assert np.array_equal(stats.count_nonzero(m, axis, True), np.count_nonzero(m, axis=axis))
        assert np.array_equal(stats.count_nonzero(m, axis, False), np.count_nonzero(m, axis=axis))


def _frozen_drop_inner_bars(segs: list, dpi: float) -> list:
    from bisect import bisect_left, bisect_right

    from formocr.layout.lines import MAX_BOX_H, MIN_BOX_H

    slack = 1.5
    ordered = sorted(segs, key=lambda s: s.y)

    def encloses(a, s) -> bool:  # type: ignore[no-untyped-def]
        return a.x0 <= s.x0 + slack and a.x1 >= s.x1 - slack and s.t >= 2 * a.t

    out = []
    thinnest = min((s.t for s in ordered), default=0)
    ys = [s.y for s in ordered]
    reach = MAX_BOX_H * dpi
    for i, s in enumerate(ordered):
        if s.t < 2 * thinnest:
            out.append(s)
            continue
        lo = bisect_left(ys, s.y - reach - 1.0, 0, i)
        hi = bisect_right(ys, s.y + reach + 1.0, i + 1)
        above = [a for a in ordered[lo:i] if s.y - a.y <= reach and encloses(a, s)]
        below = [b for b in ordered[i + 1 : hi] if b.y - s.y <= reach and encloses(b, s)]
        if not any(MIN_BOX_H * dpi <= b.y - a.y <= reach for a in above for b in below):
            out.append(s)
    return out


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 300), st.integers(1, 300), st.integers(0, 400), st.integers(1, 8)),
        max_size=60,
    ),
    st.sampled_from([75.0, 150.0]),
)
def test_drop_inner_bars_matches_frozen(raw: list[tuple[int, int, int, int]], dpi: float) -> None:
    from formocr.layout.lines import _drop_inner_bars, _Seg

    segs = [_Seg(x, x + w, y / 2.0, t) for x, w, y, t in raw]
    assert _drop_inner_bars(segs, dpi) == _frozen_drop_inner_bars(segs, dpi)
