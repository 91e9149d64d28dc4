"""Speed-ups of layout.digits against frozen copies of the code they
replaced: the same output, to the bit, for any input."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from formocr.layout import digits as D
from formocr.layout.ink import components
from formocr.read.normalize import open_line
from formocr.stats import hist_median, percentile

# --- Frozen: the code as it was before the speed-ups -------------------------


def _frozen_clean_string_ink(ink: np.ndarray, dark: np.ndarray, h: int) -> np.ndarray:
    if not cv2.countNonZero(ink):
        return ink
    out = ink.copy()
    length = max(12, int(D.RULE * h))
    if out.shape[1] > length:
        runs = open_line(out, length, 1)
        if cv2.countNonZero(runs):
            rest = out & (runs == 0)
            crossing = cv2.morphologyEx(rest, cv2.MORPH_CLOSE, np.ones((7, 1), np.uint8))
            out = (out & ((runs == 0) | (crossing > 0))).astype(np.uint8)
    dist = cv2.distanceTransform(out, cv2.DIST_L2, 3)
    pen = 0.0
    if cv2.countNonZero(out):
        bx, by, bw, bh = cv2.boundingRect(out)
        on = out[by : by + bh, bx : bx + bw] > 0
        pen = 2.0 * float(np.percentile(dist[by : by + bh, bx : bx + bw][on], 90))
    cc = None
    if pen >= 3.0:
        k = max(2, int(round(D.THIN * pen)))
        core = cv2.morphologyEx(out, cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
        near = cv2.dilate(core, np.ones((2 * k + 1, 2 * k + 1), np.uint8))
        thinned = np.asarray(cv2.bitwise_and(out, near), np.uint8)
        cc = components(out)
        for x, y, cw, ch, own in cc:
            size = max(cw, ch)
            if size <= 2.5 * pen or (
                size < 0.5 * h
                and cv2.minMaxLoc(dist[y : y + ch, x : x + cw], own)[1] >= max(1.5, 0.25 * pen)
            ):
                thinned[y : y + ch, x : x + cw] |= own
        if cv2.countNonZero(thinned) != cv2.countNonZero(out):
            cc = None
        out = thinned
    comps = components(out) if cc is None else cc
    tall = [c for c in comps if c[3] >= 0.5 * h]
    if tall:
        hists = {
            i: cv2.calcHist([dark[y : y + ch, x : x + cw]], [0], own, [256], [0, 256]).ravel()
            for i, (x, y, cw, ch, own) in enumerate(comps)
            if max(cw, ch) >= 0.5 * h
        }
        together = np.zeros(256, np.float32)
        for i, c in enumerate(comps):
            if c[3] >= 0.5 * h:
                together += hists[i]
        level = hist_median(together)
        for i, (x, y, cw, ch, own) in enumerate(comps):
            if max(cw, ch) < 0.5 * h:
                continue
            if hist_median(hists[i]) < D.FAINT * level:
                out[y : y + ch, x : x + cw][own > 0] = 0
    return out


def _frozen_local_minima(profile: np.ndarray, lo: int, hi: int, reach: int) -> list[int]:
    out = []
    x = lo
    while x < hi:
        a, b = max(0, x - reach), min(len(profile), x + reach + 1)
        if profile[x] <= profile[a:b].min():
            end = x
            while end + 1 < hi and profile[end + 1] == profile[x]:
                end += 1
            out.append((x + end) // 2)
            x = end + reach
        x += 1
    return out


def _frozen_digit_height(blob: D.Blob) -> float:
    m = blob.mask
    cols = m.any(axis=0)
    if not cols.any():
        return float(blob.h)
    top = np.argmax(m, axis=0)
    bottom = blob.h - np.argmax(m[::-1], axis=0)
    return percentile((bottom - top)[cols].tolist(), 90)


def _frozen_crop(paper: np.ndarray, blob: D.Blob, margin: int) -> D.Digit | None:
    bx, by, bw, bh = cv2.boundingRect(blob.mask)
    if bw == 0:
        return None
    H, W = paper.shape
    y0, y1 = max(0, blob.y + by - margin), min(H, blob.y + by + bh + margin)
    x0, x1 = max(0, blob.x + bx - margin), min(W, blob.x + bx + bw + margin)
    keep = np.zeros((y1 - y0, x1 - x0), np.uint8)
    ya, xa = blob.y - y0, blob.x - x0
    my0, mx0 = max(0, -ya), max(0, -xa)
    my1, mx1 = min(blob.h, y1 - y0 - ya), min(blob.w, x1 - x0 - xa)
    keep[ya + my0 : ya + my1, xa + mx0 : xa + mx1] = blob.mask[my0:my1, mx0:mx1]
    keep = cv2.dilate(keep, np.ones((3, 3), np.uint8), iterations=2)
    _, white = cv2.threshold(keep, 0, 255, cv2.THRESH_BINARY_INV)
    return D.Digit(
        (blob.x + bx, blob.y + by, bw, bh), np.asarray(cv2.bitwise_or(paper[y0:y1, x0:x1], white))
    )


def _frozen_digit_ink(
    dark: np.ndarray, interior: tuple[int, int, int, int], dpi: float, ring: int
) -> np.ndarray:
    sigma = max(0.5, 0.003 * dpi)
    smooth = cv2.GaussianBlur(dark, (0, 0), sigma)
    x0, y0, x1, y1 = interior
    inner = np.ascontiguousarray(smooth[y0:y1, x0:x1])
    if inner.size == 0:
        return np.zeros(dark.shape, np.uint8)
    H, W = smooth.shape
    ry0, ry1 = max(0, y0 - ring), max(0, min(H, y1 + ring))
    rx0, rx1 = max(0, x0 - ring), max(0, min(W, x1 + ring))
    if min(x0, y0, ring) < 0:
        mask = np.ones(smooth.shape, bool)
        mask[max(0, y0 - ring) : y1 + ring, max(0, x0 - ring) : x1 + ring] = False
        outside = smooth[mask]
    elif ry1 <= ry0 or rx1 <= rx0:
        outside = smooth.ravel()
    else:
        sides = np.concatenate((smooth[ry0:ry1, :rx0], smooth[ry0:ry1, rx1:]), axis=1)
        outside = np.concatenate((smooth[:ry0].ravel(), sides.ravel(), smooth[ry1:].ravel()))
    sample = outside if outside.size >= 50 else inner.ravel()
    sample = sample[:: max(1, sample.size // 4000)]
    med = hist_median(np.bincount(sample, minlength=256))
    dev = np.abs(2 * sample.astype(np.int16) - int(2 * med))
    spread = 1.4826 * (hist_median(np.bincount(dev)) / 2)
    floor = max(D.INK_DARK[0], med + 4.0 * spread)
    t, _ = cv2.threshold(inner, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    t = min(max(t, floor), max(floor, D.INK_DARK[1]))
    return D._at_least(smooth, t)


# --- Inputs ------------------------------------------------------------------


@st.composite
def _string_box(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    """A box's ink (uint8 0/1) of strokes, rules and specks, anywhere up to
    its edges, with its darkness and the box height."""
    H = draw(st.integers(4, 70))
    W = draw(st.integers(4, 140))
    ink = np.zeros((H, W), np.uint8)
    for _ in range(draw(st.integers(0, 8))):
        x, y = draw(st.integers(-3, W)), draw(st.integers(-3, H))
        w, h = draw(st.integers(1, W)), draw(st.integers(1, H))
        ink[max(0, y) : max(0, y + h), max(0, x) : max(0, x + w)] = 1
        if draw(st.booleans()):  # a ring: a hole, thin sides
            t = draw(st.integers(1, 4))
            ink[max(0, y + t) : max(0, y + h - t), max(0, x + t) : max(0, x + w - t)] = 0
    noise = draw(arrays(np.uint8, (H, W), elements=st.integers(0, 1)))
    ink |= noise & draw(arrays(np.uint8, (H, W), elements=st.integers(0, 1)))
    ink[draw(st.integers(0, H - 1)), draw(st.integers(0, W - 1))] = 0  # some paper (a box has)
    dark = draw(arrays(np.uint8, (H, W), elements=st.integers(0, 255)))
    return ink, dark, draw(st.integers(3, 60))


# --- Tests -------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(_string_box())
def test_clean_string_ink_is_the_frozen(box: tuple[np.ndarray, np.ndarray, int]) -> None:
    ink, dark, h = box
    want = _frozen_clean_string_ink(ink.copy(), dark, h)
    got = D.clean_string_ink(ink.copy(), dark, h)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got, want)


def test_clean_string_ink_thick_strokes() -> None:
    """Thick writing over a thin net and a rule: every branch taken."""
    rng = np.random.default_rng(7)
    for _ in range(60):
        H, W = int(rng.integers(30, 90)), int(rng.integers(60, 240))
        ink = np.zeros((H, W), np.uint8)
        dark = rng.integers(0, 256, (H, W), dtype=np.uint8)
        for _ in range(int(rng.integers(1, 6))):  # digits: thick strokes, some faint
            x, y = int(rng.integers(-5, W)), int(rng.integers(-5, H))
            r, t = int(rng.integers(4, 20)), int(rng.integers(3, 9))
            cv2.circle(ink, (x, y), r, 1, t)
            cv2.circle(dark, (x, y), r, int(rng.integers(10, 250)), t)
        for _ in range(int(rng.integers(0, 4))):  # hairlines, a rule
            y = int(rng.integers(0, H))
            cv2.line(ink, (0, y), (W - 1, y + int(rng.integers(-3, 4))), 1, int(rng.integers(1, 3)))
        h = int(rng.integers(8, 60))
        want = _frozen_clean_string_ink(ink.copy(), dark, h)
        assert np.array_equal(D.clean_string_ink(ink.copy(), dark, h), want)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        arrays(np.float32, st.integers(1, 300), elements=st.floats(0, 60, width=32)),
        # Distances come in few values, many alike.
        st.lists(
            st.sampled_from([0.955, 1.3693, 1.91, 2.3243, 3.6936, 3.6936002, 7.5]), min_size=1
        ).map(lambda v: np.array(v, np.float32)),
    )
)
def test_percentile90_is_numpys(values: np.ndarray) -> None:
    want = float(np.percentile(values, 90))
    assert D._percentile90(values.copy()) == want


@settings(max_examples=300, deadline=None)
@given(
    arrays(
        np.float32,
        st.tuples(st.integers(1, 6), st.just(256)),
        elements=st.integers(0, 400).map(float),
    )
)
def test_hist_medians_are_hist_medians(hists: np.ndarray) -> None:
    assert D._hist_medians(hists) == [hist_median(r) for r in hists]


@settings(max_examples=400, deadline=None)
@given(
    arrays(np.float32, st.integers(1, 120), elements=st.integers(0, 12).map(float)),
    st.integers(0, 130),
    st.integers(0, 130),
    st.integers(1, 12),
)
def test_local_minima_are_the_frozen(profile: np.ndarray, lo: int, hi: int, reach: int) -> None:
    lo = min(lo, profile.size)
    hi = min(hi, profile.size)
    assert D._local_minima(profile, lo, hi, reach) == _frozen_local_minima(profile, lo, hi, reach)


_masks = arrays(
    np.uint8, st.tuples(st.integers(0, 40), st.integers(0, 40)), elements=st.integers(0, 1)
)


@settings(max_examples=400, deadline=None)
@given(_masks, st.integers(-5, 50), st.integers(-5, 50))
def test_digit_height_is_the_frozen(mask: np.ndarray, x: int, y: int) -> None:
    blob = D.Blob(x, y, mask)
    got, want = D._digit_height(blob), _frozen_digit_height(blob)
    assert type(got) is type(want) and got == want


@settings(max_examples=400, deadline=None)
@given(_masks, st.data())
def test_crop_is_the_frozen(mask: np.ndarray, data: st.DataObject) -> None:
    """A blob on the cut-out (anywhere on it, up to its edges)."""
    mh, mw = mask.shape
    x, y = data.draw(st.integers(0, 12)), data.draw(st.integers(0, 12))
    H, W = y + mh + data.draw(st.integers(0, 12)), x + mw + data.draw(st.integers(0, 12))
    paper = data.draw(arrays(np.uint8, (max(H, 1), max(W, 1)), elements=st.integers(0, 255)))
    margin = data.draw(st.integers(0, 6))
    blob = D.Blob(x, y, mask)
    got, want = D._crop(paper, blob, margin), _frozen_crop(paper, blob, margin)
    if want is None:
        assert got is None
        return
    assert got is not None and got.bbox == want.bbox
    assert got.image.dtype == want.image.dtype and np.array_equal(got.image, want.image)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_digit_ink_is_the_frozen(data: st.DataObject) -> None:
    H, W = data.draw(st.integers(2, 60)), data.draw(st.integers(2, 60))
    lo, hi = data.draw(st.integers(0, 80)), data.draw(st.integers(0, 255))
    dark = data.draw(arrays(np.uint8, (H, W), elements=st.integers(min(lo, hi), hi)))
    x0, y0 = data.draw(st.integers(-3, W)), data.draw(st.integers(-3, H))
    interior = (x0, y0, data.draw(st.integers(x0, W + 3)), data.draw(st.integers(y0, H + 3)))
    dpi, ring = data.draw(st.sampled_from([150.0, 200.0, 300.0])), data.draw(st.integers(-2, 30))
    want = _frozen_digit_ink(dark, interior, dpi, ring)
    got = D.digit_ink(dark, interior, dpi, ring)
    assert got.dtype == want.dtype and np.array_equal(got, want)
