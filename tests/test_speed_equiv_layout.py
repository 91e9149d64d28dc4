"""Speed-ups of the layout code (formocr.layout.frame, .lines, .ink) against
frozen copies of the code they replaced: the same results for any input."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from formocr.layout import frame as F
from formocr.layout import lines as L
from formocr.layout.ink import components
from formocr.stats import runs

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
    assert runs(on) == _frozen_clusters(on)


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


def _frozen_fit_grid(
    x0: int, x1: int, h: int, marks: list[F.Mark]
) -> list[tuple[float, F.Mark | None]] | None:
    if not marks:
        return None
    pos = np.array([m.pos for m in marks])
    strong = np.array([m.strong for m in marks])
    w = x1 - x0
    best: list[tuple[float, F.Mark | None]] | None = None
    best_score = -1e9
    n_lo = max(2, int(np.ceil(w / (F.MAX_PITCH * h))))
    n_hi = min(80, int(w / (F.MIN_PITCH * h)))
    for n in range(n_lo, n_hi + 1):
        pitch = w / n
        tol = max(2.0, F.GRID_TOL * pitch)
        grid = x0 + pitch * np.arange(1, n)
        dist = np.abs(pos[None, :] - grid[:, None])
        near = dist.min(axis=1) <= tol
        matched = int(near.sum())
        off = int((dist.min(axis=0) > tol).sum())
        missing = n - 1 - matched
        allowed = max(0.25 * (n - 1), 1.0 if off == 0 and matched >= 2 else 0.0)
        if matched == 0 or missing > allowed or off > 0.5 * matched:
            continue
        pick = np.where((dist <= tol) & ~strong[None, :], dist + tol, dist).argmin(axis=1)
        weak_only = not any(marks[int(pick[k])].strong for k in range(n - 1) if near[k])
        if weak_only and (matched < (3 if off else 2) or pitch >= F.WIDE_CELL * h):
            continue
        score = matched - 2 * off - missing
        if score > best_score:
            best_score = score
            best = [
                (float(marks[int(pick[k])].pos), marks[int(pick[k])])
                if near[k]
                else (float(grid[k]), None)
                for k in range(n - 1)
            ]
    return best


@st.composite
def _combs(draw: st.DrawFn) -> tuple[int, int, int, list[F.Mark]]:
    """A box and divider marks: an even grid of some cell count, jittered,
    some missing, some strokes off the grid."""
    x0 = draw(st.integers(0, 50))
    h = draw(st.integers(8, 60))
    n = draw(st.integers(2, 40))
    w = max(4, int(n * h * draw(st.floats(0.25, 2.0))))
    jitter = st.floats(-0.2, 0.2, allow_nan=False) | st.floats(-0.05, 0.05, allow_nan=False)
    marks = []
    for k in range(1, n):
        if draw(st.integers(0, 7)):
            p = x0 + w * k / n + draw(jitter) * w / n
            marks.append(F.Mark(p, int(p), int(p) + 1, 0, draw(st.booleans())))
    for p in draw(st.lists(st.floats(x0, x0 + w, allow_nan=False), max_size=4)):
        marks.append(F.Mark(p, int(p), int(p) + 1, 0, draw(st.booleans())))
    return x0, x0 + w, h, marks


@settings(max_examples=500, deadline=None)
@given(_combs())
def test_fit_grid_matches_frozen(box: tuple[int, int, int, list[F.Mark]]) -> None:
    assert F.fit_grid(*box) == _frozen_fit_grid(*box)


# --- lines ----------------------------------------------------------------------


def _frozen_walls(
    vcum: np.ndarray, x0: float, x1: float, y0: float, y1: float, r: int, max_t: int
) -> list[tuple[float, float, tuple[int, int] | None]]:
    H, W = vcum.shape[0] - 1, vcum.shape[1]
    a, b = max(0, int(np.ceil(x0))), min(W, int(x1))
    ya, yb = max(0, int(round(y0 + 1))), min(H, int(round(y1 - 1)))
    if b - a < 3 or yb <= ya:
        return []
    end = max(2, int(0.12 * (yb - ya)))
    top, bottom = vcum[ya, a:b], vcum[yb, a:b]
    full = bottom - top >= 0.85 * (yb - ya)
    if not full.any():
        return []
    full &= vcum[ya + end, a:b] - top == end
    full &= bottom - vcum[yb - end, a:b] == end
    edges = np.diff(np.concatenate([[0], full.astype(np.int8), [0]]))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    walls: list[tuple[float, float, tuple[int, int] | None]] = []
    for s, e in zip(starts, ends, strict=True):
        if e - s > max_t:
            walls.append((float(s + a), float(e + a), (-1, -1)))
            continue
        if walls and walls[-1][2] != (-1, -1) and s + a - walls[-1][1] <= 2 * r:
            walls[-1] = (walls[-1][0], float(e + a), (int(walls[-1][1]), int(s + a)))
        else:
            walls.append((float(s + a), float(e + a), None))
    return walls


def _frozen_h_segments(horiz: np.ndarray, dpi: float) -> list[L._Seg]:
    segs = []
    max_t = L._max_line(dpi)
    for x, y, _, _, own in components(horiz, min_w=int(L.MIN_LINE_IN * dpi)):
        rows = np.count_nonzero(own, axis=1)
        core = np.flatnonzero(rows >= 0.5 * rows.max())
        cuts = np.flatnonzero(np.diff(core) > max_t)
        for run in np.split(core, cuts + 1):
            r0, r1 = int(run[0]), int(run[-1])
            t = r1 - r0 + 1
            if t > 2 * max_t:
                continue
            cols = np.count_nonzero(own[max(0, r0 - max_t) : r1 + max_t + 1], axis=0)
            xs = np.flatnonzero(cols)
            if np.median(cols[xs]) <= max_t:
                segs.append(L._Seg(x + int(xs[0]), x + int(xs[-1]) + 1, y + (r0 + r1) / 2.0, t))
                continue
            # A line with a stroke lying along it (not a speed change: the
            # rule itself, shared).
            alone = max(2, round(L.LINE_ALONE_IN * dpi))
            line = L._under_stroke(rows[r0 : r1 + 1], cols[xs[0] : xs[-1] + 1], alone)
            if line is not None:
                b0, b1 = r0 + line[0], r0 + line[1]
                segs.append(
                    L._Seg(x + int(xs[0]), x + int(xs[-1]) + 1, y + (b0 + b1) / 2.0, b1 - b0 + 1)
                )
    return _frozen_drop_inner_bars(segs, dpi)


def _frozen_drop_inner_bars(segs: list[L._Seg], dpi: float) -> list[L._Seg]:
    slack = 1.5
    ordered = sorted(segs, key=lambda s: s.y)

    def encloses(a: L._Seg, s: L._Seg) -> bool:
        return a.x0 <= s.x0 + slack and a.x1 >= s.x1 - slack and s.t >= 2 * a.t

    out = []
    thinnest = min((s.t for s in ordered), default=0)
    reach = L.MAX_BOX_H * dpi
    for i, s in enumerate(ordered):
        if s.t < 2 * thinnest:
            out.append(s)
            continue
        below = [b for b in ordered[i + 1 :] if b.y - s.y <= reach and encloses(b, s)]
        above = [a for a in ordered[:i] if s.y - a.y <= reach and encloses(a, s)]
        if not any(L.MIN_BOX_H * dpi <= b.y - a.y <= reach for a in above for b in below):
            out.append(s)
    return out


def _bars(h: int, w: int) -> st.SearchStrategy[np.ndarray]:
    """0/255 masks of a few bars (lines, strokes, thick blots) and specks."""
    bar = st.tuples(
        st.integers(0, h - 1), st.integers(0, w - 1), st.integers(1, 14), st.integers(1, w)
    )

    def draw(bars: list[tuple[int, int, int, int]]) -> np.ndarray:
        m = np.zeros((h, w), np.uint8)
        for i, (y, x, t, n) in enumerate(bars):
            if i % 3 == 2:  # an upright stroke
                m[y : y + n, x : x + t] = 255
            else:
                m[y : y + t, x : x + n] = 255
        return m

    return st.lists(bar, max_size=12).map(draw)


@settings(max_examples=300, deadline=None)
@given(_bars(60, 140), st.sampled_from([100.0, 150.0]))
def test_h_segments_match_frozen(horiz: np.ndarray, dpi: float) -> None:
    assert L._h_segments(horiz, dpi) == _frozen_h_segments(horiz, dpi)


def _uprights(h: int, w: int) -> st.SearchStrategy[np.ndarray]:
    """0/255 masks of upright lines a few columns apart, some broken."""
    line = st.tuples(
        st.integers(0, w - 1), st.integers(1, 10), st.integers(0, h), st.integers(0, h)
    )

    def draw(lines: list[tuple[int, int, int, int]]) -> np.ndarray:
        m = np.zeros((h, w), np.uint8)
        for x, t, y0, y1 in lines:
            m[:, x : x + t] = 255
            m[min(y0, y1) : max(y0, y1) // 4 + min(y0, y1), x : x + t] = 0
        return m

    return st.lists(line, max_size=10).map(draw)


@settings(max_examples=600, deadline=None)
@given(
    _uprights(40, 60),
    st.integers(-8, 40),
    st.integers(0, 70),
    st.floats(-3, 20),
    st.floats(0, 45),
    st.integers(2, 4),
    st.integers(3, 8),
)
def test_walls_match_frozen(
    vert: np.ndarray, x0: int, span: int, y0: float, dy: float, r: int, max_t: int
) -> None:
    integral = cv2.integral(vert // 255, sdepth=cv2.CV_32S)
    vcum = cv2.subtract(integral[:, 1:], integral[:, :-1])
    args = (vcum, x0, x0 + span, y0, y0 + dy, r, max_t)
    assert L._walls(*args) == _frozen_walls(*args)


def _frozen_line_masks(dark: np.ndarray, dpi: float) -> tuple[np.ndarray, np.ndarray]:
    k = max(7, int(round(0.14 * dpi)))
    gap = max(2, int(round(0.02 * dpi)))
    rect = cv2.getStructuringElement
    out = []
    for size, close in (((k, 1), (gap, 1)), ((1, k), (1, gap))):
        m = cv2.blur(dark, (5, 1) if size[0] > 1 else (1, 5))
        m = cv2.morphologyEx(m, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, size))
        _, m = cv2.threshold(m, L.LINE_DARK - 1, 255, cv2.THRESH_BINARY)
        out.append(cv2.morphologyEx(m, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, close)))
    return out[0], out[1]


@settings(max_examples=300, deadline=None)
@given(
    arrays(np.uint8, st.tuples(st.integers(1, 90), st.integers(1, 90))),
    st.sampled_from([50.0, 100.0, 150.0]),
)
def test_line_masks_match_frozen(dark: np.ndarray, dpi: float) -> None:
    got, want = L.line_masks(dark, dpi), _frozen_line_masks(dark, dpi)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def _frozen_join_pieces(segs: list[L._Seg], dark: np.ndarray, dpi: float) -> list[L._Seg]:
    out: list[L._Seg] = []
    gap_max = L.JOIN_GAP_IN * dpi
    for s in sorted(segs, key=lambda s: (round(s.y), s.x0)):
        for k, p in enumerate(out):
            gap = s.x0 - p.x1
            if not (0 <= gap <= gap_max and abs(s.y - p.y) <= max(1.5, 0.5 * max(s.t, p.t))):
                continue
            y = int(round((s.y + p.y) / 2))
            t = max(s.t, p.t)
            band = dark[max(0, y - t // 2 - 1) : y + t // 2 + 2, p.x1 : s.x0]
            if band.size == 0 or float(band.max(axis=0).mean()) >= 0.5 * L.LINE_DARK:
                w0, w1 = p.x1 - p.x0, s.x1 - s.x0
                out[k] = L._Seg(p.x0, s.x1, (p.y * w0 + s.y * w1) / (w0 + w1), t)
                break
        else:
            out.append(s)
    return out


_pieces = st.lists(
    st.builds(
        lambda x0, n, y, half, t: L._Seg(x0, x0 + n, y + half / 2, t),
        st.integers(0, 150),
        st.integers(1, 40),
        st.integers(0, 30) | st.integers(10, 14),
        st.integers(0, 1),
        st.integers(1, 8),
    ),
    max_size=40,
)


@settings(max_examples=1000, deadline=None)
@given(
    _pieces,
    arrays(np.uint8, (40, 200), elements=st.sampled_from([0, 5, 11, 12, 13, 30, 200])),
    st.sampled_from([50.0, 100.0, 150.0]),
)
def test_join_pieces_matches_frozen(segs: list[L._Seg], dark: np.ndarray, dpi: float) -> None:
    assert L._join_pieces(segs, dark, dpi) == _frozen_join_pieces(segs, dark, dpi)


def _frozen_along(horiz: np.ndarray, seg: L._Seg, a: float, b: float) -> bool:
    y = int(round(seg.y))
    rows = horiz[max(0, y - 1 - seg.t // 2) : y + 2 + seg.t // 2, int(a) : int(np.ceil(b))]
    return rows.size > 0 and float((rows > 0).any(axis=0).mean()) >= 0.9


@settings(max_examples=400, deadline=None)
@given(
    _bars(30, 80),
    st.floats(-2, 32),
    st.integers(1, 8),
    st.floats(0, 80),
    st.floats(0, 40),
)
def test_along_matches_frozen(horiz: np.ndarray, y: float, t: int, a: float, n: float) -> None:
    seg = L._Seg(0, 80, y, t)
    assert L._along(horiz, seg, a, a + n) == _frozen_along(horiz, seg, a, a + n)
