"""Cell or digit crop -> the model's 28x28 input.

This is the one preprocessing function: training puts every MNIST and
augmented image through it too, so the two sides cannot drift apart.
The format follows the paper (greyscale, binarised, bilinear resampling) and
MNIST's geometry (digit fitted into 20x20 keeping its aspect ratio, then
centred by centre of mass in 28x28).

Bump PREPROCESS_VERSION whenever the output of ``normalize`` changes for any
input; the model card records it and the classifier refuses a mismatch.
"""

from __future__ import annotations

import cv2
import numpy as np

PREPROCESS_VERSION = "1"
SIZE = 28
BOX = 20

# Below this grey-level range a crop is paper only (or paper and noise).
_MIN_CONTRAST = 40
# Connected components under this share of the ink are specks.
_SPECK_SHARE = 0.04


def binarize(crop: np.ndarray) -> np.ndarray:
    """Ink mask (uint8 0/1) of a dark-on-light greyscale crop, by Otsu."""
    lo, hi = int(crop.min()), int(crop.max())
    if hi - lo < _MIN_CONTRAST:
        return np.zeros(crop.shape, np.uint8)
    t, _ = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Otsu on a mostly-white crop with faint ink sits close to the paper;
    # keep the threshold at least a little under the paper level.
    paper = float(np.percentile(crop, 90))
    t = min(t, paper - _MIN_CONTRAST / 2)
    # cv2 reports the last grey level of the dark class: ink is <= t.
    return (crop <= t).astype(np.uint8)


def _to_dark_on_light(crop: np.ndarray) -> np.ndarray:
    """Invert light-on-dark crops (MNIST-style images, negatives)."""
    border = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]])
    if float(np.median(border)) < 100 and float(crop.mean()) < 128:
        return 255 - crop
    return crop


def _erase_edge_lines(mask: np.ndarray) -> np.ndarray:
    """Erase rows/columns near an edge that run from one side to the other.

    Such runs are the cell's frame, cut through by the crop; a digit's own
    bar (a 7's, a 5's) does not touch both sides of a crop with any margin.
    """
    h, w = mask.shape
    if h < 8 or w < 8:
        return mask
    out = mask.copy()
    for m, o in ((mask, out), (mask.T, out.T)):  # rows, then columns (views)
        depth = m.shape[0]
        band = np.zeros(depth, bool)
        k = max(2, int(0.12 * depth))
        band[:k] = band[-k:] = True
        line = band & (m[:, 0] > 0) & (m[:, -1] > 0) & (m.mean(axis=1) >= 0.85)
        o[line] = 0
    return out


def clean_mask(mask: np.ndarray) -> np.ndarray:
    """Drop specks and remains of box lines along the crop's edges."""
    mask = _erase_edge_lines(mask)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return mask
    h, w = mask.shape
    areas = stats[1:, cv2.CC_STAT_AREA]
    total = float(areas.sum())
    keep = np.zeros(n, bool)
    for i in range(1, n):
        x, y, cw, ch, area = stats[i]
        if area < _SPECK_SHARE * total and area < 0.5 * areas.max():
            continue
        touches = x == 0 or y == 0 or x + cw == w or y + ch == h
        # A thin component spanning most of an edge is frame, not ink.
        fill = area / float(cw * ch)
        horizontal = cw >= 0.7 * w and ch <= 0.2 * h
        vertical = ch >= 0.7 * h and cw <= 0.2 * w
        if touches and (horizontal or vertical) and fill > 0.5:
            continue
        keep[i] = True
    if not keep.any():
        return np.zeros_like(mask)
    return keep[labels].astype(np.uint8)


def _fit(mask: np.ndarray) -> np.ndarray:
    """Fit the ink's bounding box into BOX x BOX, bilinear, aspect kept."""
    ys, xs = np.nonzero(mask)
    sub: np.ndarray = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32)
    h, w = sub.shape
    scale = BOX / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    if scale < 0.5:
        # Strong reductions alias thin strokes away: pre-filter by area
        # averaging down to twice the target, then finish bilinearly.
        sub = cv2.resize(sub, (nw * 2, nh * 2), interpolation=cv2.INTER_AREA)
    return cv2.resize(sub, (nw, nh), interpolation=cv2.INTER_LINEAR)


def _centre(fitted: np.ndarray) -> np.ndarray:
    """Paste into SIZE x SIZE so the centre of mass lands at the centre."""
    h, w = fitted.shape
    mass = float(fitted.sum())
    ys, xs = np.indices(fitted.shape)
    cy = float((ys * fitted).sum() / mass)
    cx = float((xs * fitted).sum() / mass)
    # MNIST puts the centre of mass at index (14, 14).
    top = int(round(SIZE / 2 - cy))
    left = int(round(SIZE / 2 - cx))
    top = min(max(top, 0), SIZE - h)
    left = min(max(left, 0), SIZE - w)
    out = np.zeros((SIZE, SIZE), np.float32)
    out[top : top + h, left : left + w] = fitted
    return out


def normalize(crop: np.ndarray) -> np.ndarray:
    """Greyscale uint8 crop, dark ink on light paper, any size -> float32 28x28.

    The result has ink = 1.0 and paper = 0.0 (MNIST's polarity). A crop with
    no ink left after cleaning gives an all-zero image.
    """
    if crop.ndim != 2:
        raise ValueError(f"normalize takes a 2-D greyscale crop, got shape {crop.shape}")
    if crop.dtype != np.uint8:
        raise ValueError(f"normalize takes uint8 pixels, got {crop.dtype}")
    if crop.size == 0:
        return np.zeros((SIZE, SIZE), np.float32)
    mask = clean_mask(binarize(_to_dark_on_light(crop)))
    if not mask.any():
        return np.zeros((SIZE, SIZE), np.float32)
    return _centre(np.clip(_fit(mask), 0.0, 1.0))


def normalize_batch(crops: list[np.ndarray] | tuple[np.ndarray, ...]) -> np.ndarray:
    """normalize() over many crops -> float32 (N, 1, 28, 28), the model's input."""
    out = np.zeros((len(crops), 1, SIZE, SIZE), np.float32)
    for i, c in enumerate(crops):
        out[i, 0] = normalize(c)
    return out
