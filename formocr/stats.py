"""Medians, percentiles and counts that are numpy's, bit for bit, without its cost.

Layout and normalisation take many medians and percentiles of a few values
or of small integers (grey levels, pixel counts), where ``np.median`` and
``np.percentile`` spend most of their time on overhead. Each function here
returns the same double as numpy's default ('linear') method, so outputs do
not move; tests compare them with numpy under hypothesis. ``bilevel`` says
whether an image is black and white, for the reader of rasters and the box
finder alike.

OpenCV is imported where it is used, not with this module: the batch's main
process imports this module (through the readers' modules) but under
``--jobs`` reads no page, and need not carry OpenCV's memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = [
    "bilevel",
    "count_nonzero",
    "hist_median",
    "int_median",
    "int_percentile",
    "label_type",
    "labelled",
    "lerp",
    "median",
    "median_int",
    "percentile",
]


def lerp(a: float, b: float, t: float) -> float:
    """numpy's ``_lerp`` in float64: ``b - (b - a) * (1 - t)`` from t = 0.5
    on, else ``a + (b - a) * t``."""
    d = b - a
    return b - d * (1.0 - t) if t >= 0.5 else a + d * t


def median(values: Iterable[float]) -> float:
    """``float(np.median(values))`` of a few numbers (not none): the middle
    value, or the mean of the two middle values of an even count."""
    v = sorted(values)
    m = len(v) // 2
    return float(v[m]) if len(v) % 2 else (float(v[m - 1]) + float(v[m])) / 2


def percentile(values: Iterable[float], q: float) -> float:
    """``float(np.percentile(values, q))`` of a few numbers (not none): the
    position ``(n - 1) * q / 100`` in the sorted values, interpolated by ``lerp``."""
    v = sorted(values)
    pos = (len(v) - 1) * (q / 100)
    if pos >= len(v) - 1:
        return float(v[-1])
    i = math.floor(pos)
    return lerp(float(v[i]), float(v[i + 1]), pos - i)


def median_int(v: np.ndarray) -> float:
    """``np.median`` of an integer array (nan if empty), by one partial sort."""
    n = len(v)
    if n == 0:
        return float("nan")
    m = n // 2
    if n % 2:
        return float(np.partition(v, m)[m])
    p = np.partition(v, (m - 1, m))
    return (float(p[m - 1]) + float(p[m])) / 2.0


def hist_ranks(hist: np.ndarray, ranks: Sequence[int]) -> tuple[int, ...]:
    """The values of the 0-based ``ranks`` in the sorted non-negative integers
    whose histogram (whole counts) is ``hist``."""
    cum = np.cumsum(hist, dtype=np.float64)  # exact for any count an image has
    return tuple(int(x) for x in np.searchsorted(cum, ranks, side="right"))


def hist_median(hist: np.ndarray) -> float:
    """``float(np.median(a))`` of the non-negative integers ``a`` whose
    histogram is ``hist``."""
    n = int(np.sum(hist, dtype=np.float64))
    lo, hi = hist_ranks(hist, ((n - 1) // 2, n // 2))
    return (float(lo) + float(hi)) / 2


def _small_ints(a: np.ndarray) -> bool:
    if a.size == 0:
        return False
    if a.dtype == np.uint8:
        return True
    return a.dtype.kind in "iu" and int(a.min()) >= 0 and int(a.max()) < 1 << 16


def _order_stats(a: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
    """The values of ranks lo <= hi (0-based) of the sorted ``a`` (small
    non-negative integers), without a sort: the largest value when both ranks
    fall among its copies (on a crop mostly paper, as often as not), else
    from a histogram."""
    top = a.max()
    if lo >= a.size - np.count_nonzero(a == top):
        return int(top), int(top)
    if a.dtype == np.uint8 and a.size < 1 << 24:  # float32 counts stay exact
        import cv2

        hist = cv2.calcHist([np.ascontiguousarray(a)], [0], None, [256], [0, 256]).ravel()
    else:
        hist = np.bincount(a.ravel())
    v_lo, v_hi = hist_ranks(hist, (lo, hi))
    return v_lo, v_hi


def int_percentile(a: np.ndarray, q: float) -> float:
    """``float(np.percentile(a, q))``, bit for bit, for uint8 (or small
    non-negative integer) arrays: the two values round the position come
    from a histogram instead of a partial sort, and ``lerp`` joins them."""
    if type(q) in (int, float) and 0 <= q <= 100 and _small_ints(a):
        n = a.size
        vi = (n - 1) * (q / 100)
        if vi >= n - 1:
            return float(a.max())
        prev = math.floor(vi)
        va, vb = _order_stats(a, prev, prev + 1)
        return lerp(float(va), float(vb), vi - prev)
    return float(np.percentile(a, q))


def int_median(a: np.ndarray) -> float:
    """``float(np.median(a))``, bit for bit, as ``int_percentile``."""
    if _small_ints(a):
        va, vb = _order_stats(a, (a.size - 1) // 2, a.size // 2)
        return (float(va) + float(vb)) / 2.0
    return float(np.median(a))


def count_nonzero(mask: np.ndarray, axis: int, binary: bool = False) -> np.ndarray:
    """``np.count_nonzero(mask, axis=axis)`` (as int32 for a uint8 mask): OpenCV
    sums a 0/1 uint8 mask's rows or columns several times faster. ``binary``:
    the mask is known to hold only 0 and 1."""
    if mask.dtype != np.uint8 or mask.ndim != 2 or mask.size == 0:
        return np.count_nonzero(mask, axis=axis)
    import cv2

    if not binary and cv2.minMaxLoc(mask)[1] > 1:  # count the nonzero pixels, not their values
        mask = cv2.threshold(mask, 0, 1, cv2.THRESH_BINARY)[1]
    return cv2.reduce(mask, axis, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()


def bilevel(image: np.ndarray, grey_share: float = 0.0, step: int = 1) -> bool:
    """Whether a uint8 greyscale image is black and white: some of its pixels
    (every ``step``-th each way) black, and at most ``grey_share`` of its
    non-white ones neither 0 nor 255."""
    import cv2

    sample = np.ascontiguousarray(image[::step, ::step]) if step > 1 else image
    hist = cv2.calcHist([sample], [0], None, [256], [0, 256]).ravel()
    grey = sample.size - hist[0] - hist[255]
    return bool(hist[0] > 0 and grey <= grey_share * (sample.size - hist[255]))


def runs(on: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True in a 1-D array, as (start, end) with end exclusive."""
    padded = np.zeros(len(on) + 2, bool)
    padded[1:-1] = on
    # Changes of a run padded with False alternate: a start, then its end.
    edges = np.flatnonzero(padded[1:] != padded[:-1]).tolist()
    return list(zip(edges[::2], edges[1::2], strict=True))


def label_type(h: int, w: int) -> int:
    """The label type for an ``h`` x ``w`` mask's 8-connected components:
    OpenCV's 16-bit where every labelling fits (no two components share a
    2x2 block, so there are at most a quarter as many as pixels), else 32-bit.

    The same labels either way (OpenCV's one-thread labelling numbers them
    alike), but on one thread the 16-bit one with statistics costs a third
    as much on a box's cut-out: the batch's workers run on one thread."""
    import cv2

    return cv2.CV_16U if ((h + 1) // 2) * ((w + 1) // 2) < 65535 else cv2.CV_32S


def labelled(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """``cv2.connectedComponentsWithStats(mask, connectivity=8)``'s count,
    labels and statistics (the background first), labels 16-bit where they
    fit (``label_type``). Every labelling with statistics goes through it;
    a page is labelled in 32 bits (too many pixels), a strip cut from a
    cheque in 16."""
    import cv2

    n, labels, stats, _ = cv2.connectedComponentsWithStats(
        mask, connectivity=8, ltype=label_type(*mask.shape[:2])
    )
    return int(n), labels, stats
