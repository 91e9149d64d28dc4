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

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from formocr.stats import count_nonzero, int_median, int_percentile, label_type, labelled

PREPROCESS_VERSION = "1"
SIZE = 28
BOX = 20

# Below this grey-level range a crop is paper only (or paper and noise).
_MIN_CONTRAST = 40
# Connected components under this share of the ink are specks.
_SPECK_SHARE = 0.04


def as_grey(image: np.ndarray) -> np.ndarray:
    """Any single image a user may hand the classifier, as a 2-D uint8
    greyscale crop of 0-255 (``normalize``'s input):

    - colour (H, W, 3) as RGB to grey, (H, W, 4) as RGBA laid on white paper
      (a digit cut out with its ink in the alpha channel), (H, W, 1) squeezed;
    - booleans and bitmaps of 0 and 1 (any integer type: optdigits'
      and Semeion's are) to 0 and 255, ink where they are 1;
    - floats in 0..1 scaled to 0..255; integers of a wider type over 255
      (a 16-bit scan) scaled by their type's range; other values clipped.

    Polarity is left to ``normalize`` (it inverts light-on-dark crops).
    Raises ValueError for anything that is not an image.
    """
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim == 3 and a.shape[2] in (3, 4):
        if not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
            raise ValueError(f"a digit image has numbers for pixels, got {a.dtype}")
        if a.shape[2] == 4:
            return _over_white(a)
        a = a[:, :, :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])  # RGB's luma
    if a.ndim != 2:
        raise ValueError(f"a digit image is 2-D (or H x W x 1, 3 or 4), got shape {a.shape}")
    if a.dtype == np.uint8:
        return a if a.size == 0 or int(a.max()) > 1 else a * np.uint8(255)
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * np.uint8(255)
    if np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer):
        f = a.astype(np.float64)
        top = float(np.nanmax(f)) if f.size else 0.0
        if top <= 1.0:
            f = f * 255.0
        elif top > 255.0 and np.issubdtype(a.dtype, np.integer):
            f = f * (255.0 / np.iinfo(a.dtype).max)
        return np.clip(np.nan_to_num(f), 0, 255).round().astype(np.uint8)
    raise ValueError(f"a digit image has numbers for pixels, got {a.dtype}")


def _full_scale(a: np.ndarray) -> float:
    """What white (or opaque) is in ``a``'s numbers: 1 for floats and
    booleans within 0..1, 255 for bytes or values within them, else the
    integer type's largest."""
    top = float(np.nanmax(a)) if a.size else 0.0
    if a.dtype == np.bool_ or (np.issubdtype(a.dtype, np.floating) and top <= 1.0):
        return 1.0
    if a.dtype == np.uint8 or top <= 255.0 or not np.issubdtype(a.dtype, np.integer):
        return 255.0
    return float(np.iinfo(a.dtype).max)


def _over_white(rgba: np.ndarray) -> np.ndarray:
    """An RGBA image laid on white paper (as a page with transparency is
    read): a digit cut out with its ink in the alpha channel reads as ink."""
    rgb = rgba[:, :, :3].astype(np.float64)
    luma = (rgb @ np.array([0.299, 0.587, 0.114])) / _full_scale(rgba[:, :, :3])
    alpha = rgba[:, :, 3].astype(np.float64) / _full_scale(rgba[:, :, 3])
    grey = 255.0 * (luma * alpha + (1.0 - alpha))
    return np.clip(np.nan_to_num(grey), 0, 255).round().astype(np.uint8)


def binarize(crop: np.ndarray) -> np.ndarray:
    """Ink mask (uint8 0/1) of a dark-on-light greyscale crop, by Otsu."""
    return _binarize(crop, None)


def _binarize(crop: np.ndarray, paper: float | None) -> np.ndarray:
    """binarize; ``paper``, when given, is the crop's 90th percentile
    (``int_percentile(crop, 90)``), already known to the caller."""
    if crop.dtype == np.uint8 and crop.ndim == 2 and crop.size:
        # One pass for both (cv2 reports them as floats, exactly).
        lo_f, hi_f, _, _ = cv2.minMaxLoc(crop)
        lo, hi = int(lo_f), int(hi_f)
    else:
        lo, hi = int(crop.min()), int(crop.max())
    if hi - lo < _MIN_CONTRAST:
        return np.zeros(crop.shape, np.uint8)
    t, _ = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Otsu on a mostly-white crop with faint ink sits close to the paper;
    # keep the threshold at least a little under the paper level.
    if paper is None:
        paper = int_percentile(crop, 90)
    t = min(t, paper - _MIN_CONTRAST / 2)
    # cv2 reports the last grey level of the dark class: ink is <= t.
    if crop.dtype == np.uint8 and crop.ndim == 2:
        # The same mask in one pass: on integers, "not over t" is "not over
        # floor(t)", which is what THRESH_BINARY_INV tests (all or nothing
        # for t under 0 or from 255 on, as the comparison gives).
        return np.asarray(cv2.threshold(crop, float(t), 1, cv2.THRESH_BINARY_INV)[1], np.uint8)
    return (crop <= t).astype(np.uint8)


# What the classifier's public input (``DigitClassifier.classify``: one
# isolated digit per image, from any dataset or program) gets before
# ``normalize``, which was made for crops the pipeline cuts with a margin
# of paper. A cell cut with its frame has the frame's remains whited out
# (``_without_frame``: only straight lines along an edge, FRAME_COVER, and
# thin pieces along the edge they run beside); then a margin of paper,
# this share of the longer side (at least 2 px), so that a digit filling
# its image (USPS and Semeion keep theirs so) is not taken for frame (a 1
# standing from top to bottom was erased as a frame's side); and a digit
# smaller than SMALL both ways is enlarged bilinearly, by a whole factor,
# to ENLARGE px or more before the threshold, which at its own size loses
# the strokes' shape. MNIST test digits filling a 16 px square: 97.41 %
# read right before, 99.47 % after (``bench/mnist.py``).
MARGIN = 0.1
SMALL = 28
ENLARGE = 48


def isolated_digit(image: np.ndarray) -> np.ndarray:
    """One digit image as a user hands it over (anything ``as_grey`` takes),
    as the crop ``normalize`` expects: dark on light, enlarged if small,
    with a margin of paper (see MARGIN)."""
    return _with_margin(_isolated(image))


def _isolated(image: np.ndarray) -> np.ndarray:
    """``isolated_digit`` before its margin."""
    a = np.asarray(image)
    grey = as_grey(a)
    if grey.size == 0:
        return grey
    # A bitmap's ink is its 1s (white in as_grey's answer). Otherwise the
    # paper is what most of the image's outer ring is (Otsu's two classes):
    # normalize's guess, a mostly dark image with a dark border is light on
    # dark, fails a light digit that fills most of its image.
    bitmap = (a.ndim == 2 or a.shape[2] != 4) and (  # RGBA is laid on white
        a.dtype == np.bool_
        or (np.issubdtype(a.dtype, np.integer) and int(a.min()) >= 0 and int(a.max()) <= 1)
    )
    crop = _without_frame(255 - grey if bitmap or _dark_paper(grey) else grey)
    h, w = crop.shape
    if max(h, w) < SMALL:
        k = -(-ENLARGE // max(h, w))
        crop = cv2.resize(crop, (w * k, h * k), interpolation=cv2.INTER_LINEAR)
    return crop


def _with_margin(crop: np.ndarray) -> np.ndarray:
    if crop.size == 0:
        return crop
    m = max(2, round(MARGIN * max(crop.shape)))
    paper = int(crop.max())
    return np.asarray(cv2.copyMakeBorder(crop, m, m, m, m, cv2.BORDER_CONSTANT, value=paper))


# A digit image that its ink fills (SPAN of it both ways), about square: a digit
# size-normalised by stretching it to fill a square, as Semeion and (near
# enough) USPS keep theirs. Its aspect ratio is lost, and a 1 stretched so
# is a broad blob. ``DigitClassifier.classify`` also reads it narrowed to
# NARROWED of its width and takes the geometric mean of the two readings.
# MNIST test digits stretched to 16 px and made 0/1: 98.15 % -> 98.67 %
# read right; optdigits held-out 97.36 % -> 98.29 %. The cost: a digit
# about as wide as tall, kept in proportion, that fills its square is
# narrowed too (MNIST test in a 40 px square, 0/1: 99.41 % -> 99.35 %;
# bench/mnist.py, BENCHMARKS.md, sixteenth session).
SQUARE = (0.85, 1.18)
SPAN = 0.82
NARROWED = 0.65


def stretched_square(crop: np.ndarray) -> bool:
    """Whether a dark-on-light crop (``_isolated``'s) is a digit stretched to
    fill a square (see SQUARE)."""
    h, w = crop.shape[:2]
    if not h or not w or not SQUARE[0] <= w / h <= SQUARE[1]:
        return False
    # The ink's box spans nearly all of it: a stretched digit's outermost
    # pixels are often too light to threshold (resampled, anti-aliased).
    x, y, bw, bh = cv2.boundingRect(binarize(crop))
    return bw >= SPAN * w and bh >= SPAN * h


def isolated_views(images: Sequence[np.ndarray]) -> tuple[np.ndarray, list[int], np.ndarray]:
    """``isolated_batch`` of the images, the indices of those that are digits
    stretched to a square (``stretched_square``), and those narrowed to
    NARROWED of their width, normalised: (x, indices, narrowed x)."""
    crops = [_isolated(i) for i in images]
    which = [k for k, c in enumerate(crops) if c.size and stretched_square(c)]
    narrow = []
    for k in which:
        h, w = crops[k].shape
        size = (max(1, round(NARROWED * w)), h)
        narrow.append(_with_margin(cv2.resize(crops[k], size, interpolation=cv2.INTER_AREA)))
    x = normalize_batch([_with_margin(c) for c in crops])
    return x, which, normalize_batch(narrow)


# A frame line cut by the crop, in an image the classifier is handed: rows
# (columns) along an edge with ink over this share of them. normalize's
# 0.85 would take a tight crop's 7 bar for one; a printed line is straight.
FRAME_COVER = 0.97


def _without_frame(crop: np.ndarray) -> np.ndarray:
    """A dark-on-light crop with the remains of a box's frame along its edges
    (a cell cut from a form) whited out, before ``isolated_digit``'s margin
    puts them away from the edges where ``normalize`` looks for them:
    straight lines along an edge (FRAME_COVER), and thin pieces spanning most
    of an edge (``_frame_piece``)."""
    mask = binarize(crop)
    if not mask.any():
        return crop
    kept = _erase_edge_lines(mask, FRAME_COVER)
    n, labels, comps, bx, by = _components(kept, few=True)
    h, w = mask.shape
    frame = [
        k
        for k, (x, y, cw, ch, area) in enumerate(comps, 1)
        if _frame_piece(x, y, cw, ch, area, w, h, along=True)
    ]
    if kept is mask and not frame:
        return crop
    out = crop.copy()
    paper = int(int_percentile(crop, 90))
    out[(mask != 0) & (kept == 0)] = paper
    if frame:
        box = out[by : by + labels.shape[0], bx : bx + labels.shape[1]]
        box[np.isin(labels, frame)] = paper
    return out


def _dark_paper(grey: np.ndarray) -> bool:
    """Whether most of the outer ring of pixels is on the dark side of Otsu's
    threshold, leaving out a side that is a frame line (dark, with the
    inside beyond it mostly light: a cell cut from a form; framed all round,
    the paper is light)."""
    if int(grey.max()) - int(grey.min()) < _MIN_CONTRAST:
        return False
    t, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark = grey <= t
    h, w = dark.shape
    # The inside beyond a side: the band from 12 % to 25 % of the way in.
    y0, y1 = max(1, int(0.12 * h)), max(2, int(0.25 * h))
    x0, x1 = max(1, int(0.12 * w)), max(2, int(0.25 * w))
    sides = [
        (dark[0], dark[y0:y1]),
        (dark[-1], dark[h - y1 : h - y0]),
        (dark[1:-1, 0], dark[1:-1, x0:x1]),
        (dark[1:-1, -1], dark[1:-1, w - x1 : w - x0]),
    ]
    paper = [
        s
        for s, inside in sides
        if not (s.mean() >= FRAME_COVER and inside.size and inside.mean() < 0.5)
    ]
    if not paper:  # framed all round, light inside: a cell on light paper
        return False
    return bool(np.concatenate(paper).mean() > 0.5)


def _to_dark_on_light(crop: np.ndarray) -> np.ndarray:
    """Invert light-on-dark crops (MNIST-style images, negatives)."""
    # The mean first: it is cheaper, and on paper (the usual case) decides.
    # mean < 128 exactly when the sum (exact: integers) is under 128 per pixel.
    if crop.ndim == 2 and crop.dtype == np.uint8:
        dark = cv2.sumElems(crop)[0] < 128 * crop.size
    else:
        dark = float(crop.mean()) < 128
    if not dark:
        return crop
    border = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]])
    if int_median(border) < 100:
        return 255 - crop
    return crop


def _erase_edge_lines(mask: np.ndarray, cover: float = 0.85) -> np.ndarray:
    """Erase rows/columns near an edge that run from one side to the other
    (ink over ``cover`` of them).

    Such runs are the cell's frame, cut through by the crop; a digit's own
    bar (a 7's, a 5's) does not touch both sides of a crop with any margin.
    """
    h, w = mask.shape
    if h < 8 or w < 8:
        return mask
    out = mask
    u8 = mask.dtype == np.uint8
    for axis in (0, 1):  # rows, then columns (a row erased first still counts for the columns)
        m = mask if axis == 0 else mask.T
        depth = m.shape[0]
        k = max(2, int(0.12 * depth))
        # Only rows in the bands along the edges, with ink at both ends: one
        # byte per row, not 0 for those (on uint8, the lesser end is ink
        # when both are), looked at in Python (a few dozen of them).
        if u8:
            both = np.minimum(m[:, 0], m[:, -1]).tobytes()
        else:
            both = ((m[:, 0] > 0) & (m[:, -1] > 0)).tobytes()
        head, tail = both[:k], both[depth - k :]
        if head.count(0) == k and tail.count(0) == k:
            continue
        ends = np.array(
            [i for i in range(k) if head[i]] + [depth - k + i for i in range(k) if tail[i]],
            np.intp,
        )
        line = ends[m[ends].mean(axis=1) >= cover]
        if line.size == 0:
            continue
        if out is mask:
            out = mask.copy()
        if axis == 0:
            out[line] = 0
        else:
            out[:, line] = 0
    return out


# Up to this many components, measuring each one on its own is cheaper than
# OpenCV's statistics (which cost about two labellings, whatever the count).
_FEW = 6


def _components(
    mask: np.ndarray, few: bool = False
) -> tuple[int, np.ndarray, list[list[int]], int, int]:
    """8-connected components of the ink, labelled inside its bounding box
    only (OpenCV's statistics cost per pixel, the paper round the ink
    included): count (the background included), the box's labels, the
    components' [x, y, w, h, area] in the mask's coordinates (not the
    background), and the box's corner x, y. Which label a component gets
    does not matter to the callers, only what each component is.

    ``few``: the mask usually holds only a few components (a digit); they
    are labelled without statistics and measured one by one, a single one
    by the box itself."""
    bx, by, bw, bh = cv2.boundingRect(mask)  # the ink's extent (nonzero pixels)
    if bw == 0:
        return 1, mask[:0, :0], [], 0, 0
    box = mask[by : by + bh, bx : bx + bw]
    if few:
        n, labels = cv2.connectedComponents(box, connectivity=8, ltype=label_type(bh, bw))
        if n == 2:  # one component: the box is its bounding box
            return n, labels, [[bx, by, bw, bh, cv2.countNonZero(box)]], bx, by
        if n - 1 <= _FEW:
            comps = []
            for k in range(1, n):
                one = cv2.compare(labels, k, cv2.CMP_EQ)  # type: ignore[call-overload]
                x, y, w, h = cv2.boundingRect(one)
                comps.append([bx + x, by + y, w, h, cv2.countNonZero(one)])
            return n, labels, comps, bx, by
    n, labels, stats = labelled(box)
    comps = stats[1:].tolist()
    for c in comps:
        c[0] += bx
        c[1] += by
    return n, labels, comps, bx, by


def _keep_box(
    mask: np.ndarray, labels: np.ndarray, keep: list[bool], bx: int, by: int
) -> np.ndarray:
    """The components ``keep`` marks (by label, the background first) as a 0/1
    mask of the box ``labels`` cover, from (bx, by): the ink's bounding box."""
    bh, bw = labels.shape
    if all(keep[1:]):
        return (mask[by : by + bh, bx : bx + bw] != 0).view(np.uint8)
    if len(keep) <= 256:  # a table look-up on 8-bit labels, many times faster
        table = np.zeros(256, np.uint8)
        table[: len(keep)] = keep
        return np.asarray(cv2.LUT(labels.astype(np.uint8), table), np.uint8)
    return np.asarray(keep, bool)[labels].view(np.uint8)


def _keep(mask: np.ndarray, labels: np.ndarray, keep: list[bool], bx: int, by: int) -> np.ndarray:
    """_keep_box over the whole mask (paper outside the box)."""
    if all(keep[1:]):
        return (mask != 0).view(np.uint8)
    out = np.zeros(mask.shape, np.uint8)
    bh, bw = labels.shape
    out[by : by + bh, bx : bx + bw] = _keep_box(mask, labels, keep, bx, by)
    return out


def clean_mask(mask: np.ndarray) -> np.ndarray:
    """Drop specks and remains of box lines along the crop's edges."""
    mask, labels, keep, bx, by = _digit_components(mask)
    if labels is None:
        return mask
    if not any(keep):
        return np.zeros_like(mask)
    return _keep(mask, labels, keep, bx, by)


def _digit_components(
    mask: np.ndarray,
) -> tuple[np.ndarray, np.ndarray | None, list[bool], int, int]:
    """clean_mask's verdict: the mask without its edge lines, its components'
    labels inside the ink's box from (bx, by) (None: no ink) and which to
    keep (by label, the background first)."""
    mask = _erase_edge_lines(mask)
    n, labels, comps, bx, by = _components(mask, few=True)
    if n <= 1:
        return mask, None, [], 0, 0
    h, w = mask.shape
    # Per component, in Python: a crop has a few (float64 arithmetic, as numpy's).
    total = float(sum(c[4] for c in comps))
    big = 0.5 * max(c[4] for c in comps)
    keep = [False]
    for x, y, cw, ch, area in comps:
        speck = area < _SPECK_SHARE * total and area < big
        keep.append(not speck and not _frame_piece(x, y, cw, ch, area, w, h))
    return mask, labels, keep, bx, by


def _frame_piece(
    x: int, y: int, cw: int, ch: int, area: int, w: int, h: int, along: bool = False
) -> bool:
    """Whether a component (box x, y, cw, ch; ``area`` pixels) of a w x h crop
    is frame, not ink: thin, spanning most of the edge it touches; with
    ``along``, touching the edge it runs along (a 1 standing in the middle of
    a crop it fills from top to bottom is no side)."""
    fill = area / (cw * ch)
    horizontal = cw >= 0.7 * w and ch <= 0.2 * h
    vertical = ch >= 0.7 * h and cw <= 0.2 * w
    if along:
        horizontal = horizontal and (y == 0 or y + ch == h)
        vertical = vertical and (x == 0 or x + cw == w)
    touches = x == 0 or y == 0 or x + cw == w or y + ch == h
    return touches and (horizontal or vertical) and fill > 0.5


def _fit(mask: np.ndarray) -> np.ndarray:
    """Fit the ink's bounding box into BOX x BOX, bilinear, aspect kept."""
    x, y, bw, bh = cv2.boundingRect(mask)  # the ink's extent (nonzero pixels)
    sub: np.ndarray = mask[y : y + bh, x : x + bw].astype(np.float32)
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
    # The row and column indices as float64 (what int64 indices times
    # float32 pixels promote to), broadcast: the same products and sums.
    cy = float((np.arange(h, dtype=np.float64)[:, None] * fitted).sum() / mass)
    cx = float((np.arange(w, dtype=np.float64) * fitted).sum() / mass)
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
    # The clean mask's ink (clean_mask), only inside the box where all of it lies.
    mask, labels, keep, bx, by = _digit_components(binarize(_to_dark_on_light(crop)))
    if labels is None or not any(keep):  # each component has ink
        return np.zeros((SIZE, SIZE), np.float32)
    fitted = _fit(_keep_box(mask, labels, keep, bx, by))
    return _centre(np.clip(fitted, 0.0, 1.0, out=fitted))


def isolated_batch(images: Sequence[np.ndarray]) -> np.ndarray:
    """Digit images as ``DigitClassifier.classify`` reads them (each an
    ``isolated_digit``), normalised: (N, 1, 28, 28) float32."""
    return normalize_batch([isolated_digit(i) for i in images])


def normalize_batch(crops: list[np.ndarray] | tuple[np.ndarray, ...]) -> np.ndarray:
    """normalize() over many crops -> float32 (N, 1, 28, 28), the model's input."""
    out = np.zeros((len(crops), 1, SIZE, SIZE), np.float32)
    for i, c in enumerate(crops):
        out[i, 0] = normalize(c)
    return out


# --- Lines: a whole string box for the segmentation-free (CTC) reader --------
#
# Bump LINE_PREPROCESS_VERSION whenever normalize_line's output changes for
# any input; the string model's card records it and the reader refuses a
# mismatch.

LINE_PREPROCESS_VERSION = "1"
LINE_HEIGHT = 32
LINE_MARGIN = 2  # paper kept round the ink, in output pixels
LINE_STRIDE = 4  # the width is padded to a multiple of this (the model's frame)
LINE_MIN_WIDTH = 32
LINE_MAX_WIDTH = 512


@dataclass(frozen=True)
class LineGeometry:
    """How normalize_line mapped the crop: output x = (crop x - x0) * sx + LINE_MARGIN."""

    x0: float
    sx: float
    crop_width: int

    def to_crop(self, x: float) -> float:
        """An output column back to a crop column, clamped to the crop."""
        return float(min(max(self.x0 + (x - LINE_MARGIN) / self.sx, 0.0), self.crop_width))


def _running_max(padded: np.ndarray, k: int, axis: int) -> np.ndarray:
    """The max of each ``k`` consecutive pixels along ``axis`` (columns: 1,
    rows: 0) of a uint8 image: the output is k - 1 shorter along it. By
    doubling, a few whole-image maxima instead of k per pixel: the max of
    2s pixels from i is the max of s from i and s from i + s, and the max of
    k (s <= k < 2s) is that of s from i and s from i + k - s."""
    cur = padded
    span = 1
    m = padded.shape[axis] - k + 1
    while span * 2 <= k:
        if axis == 1:
            cur = cv2.max(cur[:, : cur.shape[1] - span], cur[:, span:])
        else:
            cur = cv2.max(cur[: cur.shape[0] - span], cur[span:])
        span *= 2
    if axis == 1:
        return np.asarray(cv2.max(cur[:, :m], cur[:, k - span : k - span + m]), np.uint8)
    return np.asarray(cv2.max(cur[:m], cur[k - span : k - span + m]), np.uint8)


def _dilate_square(img: np.ndarray, k: int) -> np.ndarray:
    """``cv2.dilate(img, np.ones((k, k)))`` of a uint8 image, k odd, the same
    pixels: the max over the k x k window centred on each pixel, clipped to
    the image (OpenCV's dilation ignores the outside; padding with 0, the
    least uint8, does the same), rows then columns."""
    r = k // 2
    rows = _running_max(cv2.copyMakeBorder(img, 0, 0, r, r, cv2.BORDER_CONSTANT, value=0), k, 1)
    return _running_max(cv2.copyMakeBorder(rows, r, r, 0, 0, cv2.BORDER_CONSTANT, value=0), k, 0)


def _flatten_paper(crop: np.ndarray) -> np.ndarray:
    """Subtract a smooth paper estimate, so a gradient or a shadow across a
    wide box does not pass for ink: the paper is what a max filter wider than
    any stroke leaves, smoothed."""
    h, w = crop.shape
    k = max(7, (min(h, w) // 3) | 1)
    paper = _dilate_square(crop, k)
    paper = cv2.blur(paper, (k, k))
    # How much darker than the paper, saturating at 0 (never over 255).
    darker = np.asarray(cv2.subtract(paper, crop), np.uint8)
    return np.subtract(255, darker, out=darker)


def _line_rows(mask: np.ndarray, length: int, axis: int, binary: bool = False) -> np.ndarray:
    """The rows (``axis`` 1) or columns (``axis`` 0) that open_line opens
    (``binary``: as stats.count_nonzero)."""
    counts = count_nonzero(mask, axis, binary)
    m = mask if axis == 1 else mask.T
    at_edge = (m[:, 0] != 0) | (m[:, -1] != 0)
    could = (counts >= length) | (at_edge & (counts >= length // 2))
    return np.flatnonzero(could | (counts == mask.shape[axis]))


def open_line(mask: np.ndarray, length: int, axis: int) -> np.ndarray:
    """``cv2.morphologyEx(mask, MORPH_OPEN, np.ones(...))`` of a 0/1 uint8
    mask by a straight line ``length`` long, along rows (``axis`` 1, a
    (1, length) kernel) or columns (``axis`` 0, (length, 1)), the same pixels.

    Each row (column) opens on its own, and only a run of ink as long as
    the line survives an opening, or one at least half as long at the
    image's edge (where OpenCV's erosion counts the outside as ink), or ink
    across the whole row (column): only rows (columns) that could hold one
    are opened, the others are empty.
    """
    return _open_rows(mask, length, axis, _line_rows(mask, length, axis))


def _open_rows(mask: np.ndarray, length: int, axis: int, rows: np.ndarray) -> np.ndarray:
    """open_line, given its ``_line_rows``."""
    out = np.zeros_like(mask)
    if rows.size == 0:
        return out
    if axis == 1:
        out[rows] = cv2.morphologyEx(
            np.ascontiguousarray(mask[rows]), cv2.MORPH_OPEN, np.ones((1, length), np.uint8)
        )
    else:
        out[:, rows] = cv2.morphologyEx(
            np.ascontiguousarray(mask[:, rows]), cv2.MORPH_OPEN, np.ones((length, 1), np.uint8)
        )
    return out


def _erase_rules(grey: np.ndarray, paper: float | None = None) -> np.ndarray:
    """Paper over straight rules before choosing the ink threshold: long
    horizontal runs anywhere (underlines, baselines, the frame's top and
    bottom) and tall vertical runs hugging the sides (the frame's sides).
    No digit has a bar 1.5x as long as the box is tall. Done first, because a
    dark frame beside faint ink would otherwise set the threshold. ``paper``,
    when given, is ``int_percentile(grey, 90)``. Returns ``grey`` itself when
    there is no rule."""
    h, w = grey.shape
    if paper is None:
        paper = int_percentile(grey, 90)
    level = min(235, int(paper) - 20)
    if grey.dtype == np.uint8:
        # grey < level: on integers, "not over level - 1" (all or nothing
        # for a level under 1, as the comparison gives).
        rough = np.asarray(cv2.threshold(grey, level - 1, 1, cv2.THRESH_BINARY_INV)[1], np.uint8)
    else:
        rough = (grey < level).astype(np.uint8)
    rules = None
    length = max(int(1.5 * h), 12)
    if w > length:
        rows = _line_rows(rough, length, 1, binary=True)
        if rows.size:
            rules = _open_rows(rough, length, 1, rows)
    tall = max(int(0.7 * h), 6)
    band = max(3, int(0.06 * h))
    if h > tall and w > 2 * band:
        # Only the bands along the sides count; columns open on their own.
        sides = np.concatenate([rough[:, :band], rough[:, w - band :]], axis=1)
        cols = _line_rows(sides, tall, 0, binary=True)
        if cols.size:
            side = _open_rows(sides, tall, 0, cols)
            if rules is None:
                rules = np.zeros_like(rough)
            rules[:, :band] |= side[:, :band]
            rules[:, w - band :] |= side[:, band:]
    if rules is None or not rules.any():
        return grey
    out = grey.copy()
    out[cv2.dilate(rules, np.ones((3, 3), np.uint8)) > 0] = 255
    return out


def _line_components(
    mask: np.ndarray,
) -> tuple[np.ndarray, np.ndarray | None, list[bool], int, int]:
    """clean_line_mask's verdict: the mask without its edge lines, its
    components' labels inside the ink's box from (bx, by) (None: no ink) and
    which to keep (by label, the background first)."""
    mask = _erase_edge_lines(mask)
    n, labels, comps, bx, by = _components(mask)
    if n <= 1:
        return mask, None, [], 0, 0
    h, w = mask.shape
    speck_area = max(2.0, (0.025 * h) ** 2)
    # A thin bar along an edge, most of the crop long, is frame.
    bar = max(3, 0.08 * h)
    tall, wide = 0.6 * h, 0.6 * w
    keep = [False]
    for x, y, cw, ch, area in comps:
        speck = area < speck_area
        fill = area / (cw * ch)
        touches_side = x == 0 or x + cw == w
        touches_tb = y == 0 or y + ch == h
        side = touches_side and ch >= tall and cw <= bar and fill > 0.5
        tb = touches_tb and cw >= wide and ch <= bar and fill > 0.5
        keep.append(not speck and not side and not tb)
    return mask, labels, keep, bx, by


def clean_line_mask(mask: np.ndarray) -> np.ndarray:
    """Drop specks, frame remains along the edges and long rules from a line."""
    mask, labels, keep, bx, by = _line_components(mask)
    if labels is None:
        return mask
    return _keep(mask, labels, keep, bx, by)


def normalize_line_geometry(crop: np.ndarray) -> tuple[np.ndarray, LineGeometry]:
    """normalize_line, and the mapping back to the crop's columns."""
    if crop.ndim != 2:
        raise ValueError(f"normalize_line takes a 2-D greyscale crop, got shape {crop.shape}")
    if crop.dtype != np.uint8:
        raise ValueError(f"normalize_line takes uint8 pixels, got {crop.dtype}")
    empty = np.zeros((1, LINE_HEIGHT, LINE_MIN_WIDTH), np.float32)
    if crop.shape[0] < 2 or crop.shape[1] < 2:
        return empty, LineGeometry(0.0, 1.0, crop.shape[1])
    flat = _flatten_paper(_to_dark_on_light(crop))
    paper = int_percentile(flat, 90)
    grey = _erase_rules(flat, paper)
    # The clean mask's ink (clean_line_mask), only inside the box where
    # all of it lies; the same percentile serves binarize while no rule changed grey.
    mask, labels, keep, ix, iy = _line_components(_binarize(grey, paper if grey is flat else None))
    if labels is None or not any(keep):  # each component has ink
        return empty, LineGeometry(0.0, 1.0, crop.shape[1])
    ink = _keep_box(mask, labels, keep, ix, iy)
    bx, by, bw, bh = cv2.boundingRect(ink)  # the ink's extent (nonzero pixels)
    sub = ink[by : by + bh, bx : bx + bw].astype(np.float32)
    x0, x1 = ix + bx, ix + bx + bw
    inner = LINE_HEIGHT - 2 * LINE_MARGIN
    s = inner / sub.shape[0]
    nh = inner
    nw = max(1, round(sub.shape[1] * s))
    nw = min(nw, LINE_MAX_WIDTH - 2 * LINE_MARGIN)
    if s < 0.5:
        sub = np.asarray(
            cv2.resize(sub, (nw * 2, nh * 2), interpolation=cv2.INTER_AREA), np.float32
        )
    fitted = np.clip(cv2.resize(sub, (nw, nh), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)
    width = max(LINE_MIN_WIDTH, -(-(nw + 2 * LINE_MARGIN) // LINE_STRIDE) * LINE_STRIDE)
    out = np.zeros((1, LINE_HEIGHT, width), np.float32)
    out[0, LINE_MARGIN : LINE_MARGIN + nh, LINE_MARGIN : LINE_MARGIN + nw] = fitted
    return out, LineGeometry(float(x0), nw / float(x1 - x0), crop.shape[1])


def normalize_line(crop: np.ndarray) -> np.ndarray:
    """The interior of a string box (greyscale uint8, dark ink on light paper)
    -> float32 (1, 32, W), the string model's input.

    Ink = 1.0, paper = 0.0, as ``normalize``. The ink (after binarising
    against a flattened paper level and dropping specks, frame remains and
    long rules) is trimmed, scaled to 28 px tall keeping its aspect, and
    framed by 2 px of paper; W is a multiple of 4, at least 32; ink wider
    than 512 px is squeezed to fit. No ink gives a blank (1, 32, 32).
    """
    return normalize_line_geometry(crop)[0]
