"""Training strings for the CTC reader, composed on the fly from real digits.

A string is written by ONE writer: its digits are real MNIST digits of one
MNIST writer (training writers for training, validation writers for
validation, test writers only for the headline figure at export), or one
optdigits writer block of the training part, or, for a minority, digits of
one random writer style of the project's stroke generator. What people and
cheques add around the digits is drawn here: size and baseline jitter, wide
to overlapping spacing, joining strokes, broken strokes, pen widths, slant,
separators, trailing dashes and leading marks (hand-written currency signs
among them), cents written small and raised, rules, frame remains, printed
backgrounds, noise, blur and JPEG. Only the digits are the target. (The
shipped string model was trained before the raised cents were added.)

Everything is deterministic by seed: ``make_string(rng, ...)`` draws all its
randomness from ``rng``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from formocr.read.normalize import normalize_line
from training.synth.marks import currency_paths
from training.synth.strokes import JOIN_EXIT, cursive_join, edge_point

LENGTHS = np.arange(0, 11)
# 0 digits (marks or background only) now and then; 3-7 as on cheques and forms.
LENGTH_WEIGHTS = np.array([0.02, 0.04, 0.07, 0.11, 0.14, 0.15, 0.14, 0.11, 0.09, 0.07, 0.06])
LENGTH_WEIGHTS = LENGTH_WEIGHTS / LENGTH_WEIGHTS.sum()


@dataclass
class DigitPool:
    """Real digits (uint8, dark ink on light paper) and who wrote each."""

    name: str
    images: Sequence[np.ndarray]
    labels: np.ndarray
    writers: np.ndarray
    _by: dict[int, list[np.ndarray]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not (len(self.images) == len(self.labels) == len(self.writers)):
            raise ValueError(f"{self.name}: images, labels and writers differ in length")
        order = np.argsort(self.writers, kind="stable")
        ws, starts = np.unique(self.writers[order], return_index=True)
        ends = list(starts[1:]) + [len(order)]
        for w, a, b in zip(ws, starts, ends, strict=True):
            idx = order[a:b]
            self._by[int(w)] = [idx[self.labels[idx] == d] for d in range(10)]
        self.writer_ids = np.array(sorted(self._by), np.int64)
        self._label_idx = [np.nonzero(self.labels == d)[0] for d in range(10)]

    def __len__(self) -> int:
        return len(self.labels)

    def pick(self, rng: np.random.Generator, writer: int, digit: int) -> np.ndarray:
        """A ``digit`` by ``writer``; if they never wrote one, any writer's of this pool."""
        idx = self._by[writer][digit]
        if not len(idx):
            idx = self._label_idx[digit]
        return np.asarray(self.images[int(idx[rng.integers(len(idx))])])


# A cursive writer joins this share of the pairs their pen can run on.
CURSIVE_JOIN = 0.6


@dataclass(frozen=True)
class Sources:
    """Where a string's digits come from, and how often each source is used."""

    mnist: DigitPool | None = None
    optdigits: DigitPool | None = None
    optdigits_share: float = 0.1
    synthetic_share: float = 0.15
    # The share of strings written by a cursive writer, who joins digits where
    # the pen runs on (training.synth.strokes.JOIN_EXIT: zeros top to top, a
    # 2's base stroke into the next), CURSIVE_JOIN of such pairs.
    cursive: float = 0.0

    def choose(self, rng: np.random.Generator) -> str:
        u = rng.random()
        if self.mnist is None and self.optdigits is None:
            return "synthetic"
        if u < self.synthetic_share:
            return "synthetic"
        if self.optdigits is not None and u < self.synthetic_share + self.optdigits_share:
            return "optdigits"
        return "mnist" if self.mnist is not None else "optdigits"


# --- digits -------------------------------------------------------------------


def _ink(img: np.ndarray) -> np.ndarray:
    """Dark-on-light uint8 -> darkness float32 in [0, 1], cropped to the ink."""
    d = (255.0 - img.astype(np.float32)) / 255.0
    ys, xs = np.nonzero(d > 0.15)
    if not len(ys):
        return np.zeros((2, 2), np.float32)
    return np.ascontiguousarray(d[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])


def _scale_to(d: np.ndarray, height: int, aspect: float) -> np.ndarray:
    h, w = d.shape
    nw = max(1, round(w * height / h * aspect))
    interp = cv2.INTER_AREA if height < h else cv2.INTER_LINEAR
    return np.clip(cv2.resize(d, (nw, height), interpolation=interp), 0.0, 1.0)


def _pen(d: np.ndarray, rng: np.random.Generator, mode: str, size: float) -> np.ndarray:
    """Change the pen: thicker, thinner, or the skeleton redrawn at a new width."""
    if mode == "dilate":
        k = max(2, round(size))
        return cv2.dilate(d, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    if mode == "erode":
        out = cv2.erode(d, np.ones((2, 2), np.uint8))
        return out if (out > 0.5).sum() > 0.4 * (d > 0.5).sum() else d
    if mode == "restroke":
        from skimage.morphology import skeletonize

        sk = skeletonize(d > 0.5).astype(np.float32)
        if sk.sum() < 3:
            return d
        k = max(1, round(size))
        if k > 1:
            sk = cv2.dilate(sk, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
        return cv2.GaussianBlur(sk, (3, 3), 0.6)
    return d


def _break(d: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Small erasures across a stroke: a pen skipping, a light touch."""
    h, w = d.shape
    out = d.copy()
    for _ in range(int(rng.integers(1, 3))):
        ys, xs = np.nonzero(out > 0.5)
        if not len(ys):
            break
        i = int(rng.integers(len(ys)))
        a = rng.uniform(0, math.pi)
        r = rng.uniform(0.06, 0.14) * h
        p1 = (int(xs[i] - r * math.cos(a)), int(ys[i] - r * math.sin(a)))
        p2 = (int(xs[i] + r * math.cos(a)), int(ys[i] + r * math.sin(a)))
        cv2.line(out, p1, p2, 0.0, int(rng.integers(1, 3)))
    return out


def _glyphs(
    rng: np.random.Generator, text: str, sources: Sources, height: int
) -> tuple[list[np.ndarray], str]:
    """One writer's digits for ``text``, as darkness images ``height`` tall (±15 %)."""
    source = sources.choose(rng)
    raw: list[np.ndarray] = []
    if source == "synthetic":
        from training.synth.strokes import random_style, render_digit

        style = random_style(rng)
        raw = [_ink(render_digit(int(c), max(16, height), rng, style)) for c in text]
    else:
        pool = sources.mnist if source == "mnist" else sources.optdigits
        assert pool is not None
        writer = int(pool.writer_ids[rng.integers(len(pool.writer_ids))])
        raw = [_ink(pool.pick(rng, writer, int(c))) for c in text]
        if source == "optdigits":  # 32x32 bitmaps: soften the staircase edges
            raw = [cv2.GaussianBlur(g, (3, 3), 0.7) for g in raw]
    aspect = rng.uniform(0.8, 1.2)
    out = []
    for g in raw:
        h = max(8, round(height * rng.uniform(0.85, 1.15)))
        out.append(_scale_to(g, h, aspect * rng.uniform(0.93, 1.07)))
    return out, source


# --- marks ---------------------------------------------------------------------


def _stroke_line(
    canvas: np.ndarray, pts: np.ndarray, thick: int, value: float = 1.0, shift: int = 4
) -> None:
    p = np.round(pts * (1 << shift)).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(canvas, [p], False, value, max(1, thick), cv2.LINE_AA, shift)


def _wobbly(rng: np.random.Generator, x0: float, y0: float, x1: float, y1: float, n: int = 6):
    t = np.linspace(0, 1, n)
    x = x0 + (x1 - x0) * t
    y = y0 + (y1 - y0) * t + rng.normal(0, 0.8, n) * np.sin(np.pi * t)
    return np.stack([x, y], 1)


def _handwritten_currency(rng: np.random.Generator, height: int, pen: int) -> np.ndarray:
    """A currency sign as people write it before an amount, in the writing's
    pen (``training.synth.marks.currency_paths``), as a darkness image."""
    paths = currency_paths(height, rng)
    allp = np.vstack(paths)
    lo = allp.min(0) - (pen + 2)
    w, h = np.ceil(allp.max(0) - lo).astype(int) + pen + 3
    c = np.zeros((h, w), np.float32)
    for p in paths:
        _stroke_line(c, p - lo, pen)
    ys, xs = np.nonzero(c > 0.2)
    return c[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] if len(ys) else c


def _mark(rng: np.random.Generator, kind: str, height: int, pen: int) -> np.ndarray:
    """A non-digit mark (darkness image ``height`` tall): dashes, '=', '/-', '$', '#', '*';
    'S$' is a currency sign written by hand."""
    if kind == "S$":
        return _handwritten_currency(rng, height, pen)
    w = max(4, round(height * rng.uniform(0.5, 1.1)))
    c = np.zeros((height, w + 2 * pen), np.float32)
    mid = height * rng.uniform(0.4, 0.65)
    x0, x1 = pen, pen + w - 1
    if kind in ("-", "--"):
        _stroke_line(c, _wobbly(rng, x0, mid, x1, mid + rng.normal(0, 1)), pen)
    elif kind == "=":
        gap = height * rng.uniform(0.12, 0.22)
        for dy in (-gap / 2, gap / 2):
            _stroke_line(c, _wobbly(rng, x0, mid + dy, x1, mid + dy + rng.normal(0, 1)), pen)
    elif kind in ("/-", "/="):
        sx = w * 0.4
        _stroke_line(c, np.array([[x0 + sx, height * 0.1], [x0, height * 0.9]]), pen)
        ys = [mid] if kind == "/-" else [mid - height * 0.08, mid + height * 0.08]
        for y in ys:
            _stroke_line(c, _wobbly(rng, x0 + sx * 0.9, y, x1, y), pen)
    elif kind == ".":
        r = max(1, round(pen * rng.uniform(0.6, 1.0)))
        c = np.zeros((height, 2 * r + 4), np.float32)
        cv2.circle(c, (r + 2, height - r - 2), r, 1.0, -1, cv2.LINE_AA)
    elif kind == ",":
        r = max(1, round(pen * rng.uniform(0.6, 1.0)))
        c = np.zeros((height, 2 * r + 6), np.float32)
        cy = height - round(height * 0.12) - r
        cv2.circle(c, (r + 3, cy), r, 1.0, -1, cv2.LINE_AA)
        _stroke_line(c, np.array([[r + 3 + r, cy], [r + 1, height - 1]]), max(1, pen // 2 + 1))
    elif kind == "'":
        c = np.zeros((height, pen + 6), np.float32)
        _stroke_line(c, np.array([[pen + 3, 1], [pen + 1, height * 0.3]]), pen)
    else:  # '$', '#', '*', '~', '(' and the like: Hershey script glyphs
        font = (cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SIMPLEX)[int(rng.integers(2))]
        scale = height / 30.0
        (tw, th), base = cv2.getTextSize(kind, font, scale, max(1, pen))
        # Drawn 8-bit (OpenCV 5 refuses text on a float image) and without
        # anti-aliasing: OpenCV 4 drew it so on the float image it was given,
        # so the strings stay those every shipped string model trained on.
        c8 = np.zeros((th + base + 2 * pen + 4, tw + 2 * pen + 4), np.uint8)
        cv2.putText(c8, kind, (pen + 2, th + pen + 2), font, scale, 255, max(1, pen), cv2.LINE_8)
        c = c8.astype(np.float32) / 255.0
        ys, xs = np.nonzero(c > 0.2)
        if len(ys):
            c = c[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        c = _scale_to(c, max(4, round(height * rng.uniform(0.6, 1.0))), 1.0)
    return c


# Strings with their last two digits written as raised cents.
RAISED_CENTS = 0.08
LEADING = ("$", "$", "#", "*", "-", "=", "~", "(", "$", "--", "S$", "S$", "S$", "S$")
TRAILING = ("-", "-", "=", "/-", "/=", "--", "-", ")", "*", ".-")
SEPARATORS = (".", ",", ",", ".", "'", " ")


def _digit_text(rng: np.random.Generator, n: int) -> str:
    if n == 0:
        return ""
    u = rng.random()
    if u < 0.35:  # amounts: leading non-zero digit, many zeros (1500, 20000, 3600)
        first = str(rng.integers(1, 10))
        rest = ["0" if rng.random() < 0.55 else str(rng.integers(0, 10)) for _ in range(n - 1)]
        if n > 2 and rng.random() < 0.5:  # a run of trailing zeros
            k = int(rng.integers(1, n))
            rest = rest[: n - 1 - k] + ["0"] * k
        return first + "".join(rest)
    if u < 0.45:  # repeated digits: 1111, 7777 (joined or touching runs)
        d = str(rng.integers(0, 10))
        return "".join(d if rng.random() < 0.7 else str(rng.integers(0, 10)) for _ in range(n))
    return "".join(str(d) for d in rng.integers(0, 10, n))


def _separators(rng: np.random.Generator, n: int) -> dict[int, str]:
    """Separator drawn after digit i (thousands groups, decimals)."""
    seps: dict[int, str] = {}
    if n < 3 or rng.random() > 0.35:
        return seps
    thousand = SEPARATORS[int(rng.integers(len(SEPARATORS)))]
    decimal = "," if thousand in (".", "'", " ") else "."
    whole = n
    if rng.random() < 0.45 and n >= 3:
        whole = n - 2
        seps[whole - 1] = decimal
    if rng.random() < 0.7:
        for i in range(whole - 4, -1, -3):
            seps[i] = thousand
    return seps


# --- backgrounds -------------------------------------------------------------


def _background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Darkness of the printed paper: cheque guilloche, textures, gradients."""
    bg = np.zeros((h, w), np.float32)
    u = rng.random()
    if u < 0.35:
        return bg
    if u < 0.6:  # guilloche: families of fine wavy lines
        for _ in range(int(rng.integers(1, 4))):
            amp = rng.uniform(2, 0.3 * h)
            period = rng.uniform(0.3, 2.0) * h
            step = rng.uniform(3, 10)
            dark = rng.uniform(0.05, 0.25)
            phase0 = rng.uniform(0, 2 * math.pi)
            dphase = rng.uniform(-0.6, 0.6)
            xs = np.arange(0, w + 1, 2, dtype=np.float32)
            for k, y in enumerate(np.arange(-amp, h + amp, step)):
                ys = y + amp * np.sin(2 * math.pi * xs / period + phase0 + k * dphase)
                _stroke_line(bg, np.stack([xs, ys], 1), 1, dark)
    elif u < 0.8:  # texture: blurred noise, sometimes a printed tint
        n = rng.normal(0, 1, (h, w)).astype(np.float32)
        n = cv2.GaussianBlur(n, (0, 0), rng.uniform(0.8, 4))
        n = (n - n.min()) / max(1e-6, float(n.max() - n.min()))
        bg = n * rng.uniform(0.05, 0.2) + rng.uniform(0, 0.1)
    else:  # gradient
        gx, gy = rng.uniform(-1, 1, 2)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        g = gx * xx / max(w, 1) + gy * yy / max(h, 1)
        g = (g - g.min()) / max(1e-6, float(g.max() - g.min()))
        bg = g * rng.uniform(0.05, 0.35)
    return np.clip(bg, 0.0, 1.0)


# --- composing a string ---------------------------------------------------------


def _paste(canvas: np.ndarray, g: np.ndarray, x: int, y: int) -> None:
    h, w = g.shape
    y0, x0 = max(0, y), max(0, x)
    y1, x1 = min(canvas.shape[0], y + h), min(canvas.shape[1], x + w)
    if y1 <= y0 or x1 <= x0:
        return
    sub = g[y0 - y : y1 - y, x0 - x : x1 - x]
    np.maximum(canvas[y0:y1, x0:x1], sub, out=canvas[y0:y1, x0:x1])


def make_string(rng: np.random.Generator, sources: Sources) -> tuple[np.ndarray, str]:
    """One string box's interior: (greyscale uint8 crop, the digits written)."""
    n = int(rng.choice(LENGTHS, p=LENGTH_WEIGHTS))
    text = _digit_text(rng, n)
    height = int(rng.integers(22, 60))
    glyphs, _ = _glyphs(rng, text, sources, height)

    # The pen: the same change for the whole string, as one pen writes it.
    pen_px = max(1.0, height * rng.uniform(0.06, 0.13))
    mode = str(rng.choice(["none", "dilate", "erode", "restroke"], p=[0.5, 0.2, 0.1, 0.2]))
    size = rng.uniform(1.5, 4.0) if mode == "dilate" else rng.uniform(1, 4) * height / 28
    glyphs = [_pen(g, rng, mode, size) for g in glyphs]
    glyphs = [_break(g, rng) if rng.random() < 0.12 else g for g in glyphs]
    pen = max(1, round(pen_px if mode != "restroke" else size))

    # Spacing: the writer's habit, then jitter per pair.
    style = rng.choice(["wide", "normal", "touching", "overlapping"], p=[0.15, 0.45, 0.22, 0.18])
    base_gap = {
        "wide": rng.uniform(0.2, 0.9),
        "normal": rng.uniform(0.03, 0.25),
        "touching": rng.uniform(-0.06, 0.02),
        "overlapping": rng.uniform(-0.2, -0.05),
    }[str(style)] * height
    seps = _separators(rng, len(text))
    join_p = rng.choice([0.0, 0.1, 0.4], p=[0.6, 0.25, 0.15])
    # A cursive writer (``Sources.cursive``; no draw when it is 0, so the
    # strings of earlier recipes stay the same) joins where the pen runs on.
    cursive = sources.cursive > 0 and rng.random() < sources.cursive
    cursive_at: dict[int, tuple[int, int]] = {}  # piece index -> (digit, next digit)
    # Cents written small and raised, with no decimal mark before them.
    raised = len(glyphs) >= 3 and rng.random() < RAISED_CENTS
    if raised:
        seps.pop(len(glyphs) - 3, None)
        f = rng.uniform(0.5, 0.7)
        for k in (len(glyphs) - 2, len(glyphs) - 1):
            glyphs[k] = _scale_to(glyphs[k], max(4, round(glyphs[k].shape[0] * f)), 1.0)

    pieces: list[tuple[np.ndarray, int, float]] = []  # (image, x, y of top)
    pad = height
    x = float(pad)
    slope = rng.normal(0, 0.03)
    if text and rng.random() < 0.2:  # a leading mark: currency sign, dash
        kind = LEADING[int(rng.integers(len(LEADING)))]
        m = _mark(rng, kind, height, pen)
        drop = m.shape[0] - height if kind == "S$" else 0  # its bars reach below the line
        top_y = (
            pad + height - m.shape[0] * rng.uniform(0.9, 1.1) + max(0, drop) * rng.uniform(0, 0.7)
        )
        pieces.append((m, round(x), top_y))
        x += m.shape[1] + rng.uniform(0.05, 0.5) * height
    joins = []
    for i, g in enumerate(glyphs):
        y = pad + (height - g.shape[0]) + slope * (x - pad) + rng.normal(0, 0.05) * height
        if raised and i >= len(glyphs) - 2:  # its top at the other digits' top
            y -= height - g.shape[0]
        pieces.append((g, round(x), y))
        if i + 1 == len(glyphs):
            x += g.shape[1]
            break
        gap = base_gap + rng.normal(0, 0.04) * height
        nxt = glyphs[i + 1]
        gap = max(gap, -0.3 * min(g.shape[1], nxt.shape[1]))
        if i in seps:
            if seps[i] == " ":
                gap = max(gap, 0.15 * height) + rng.uniform(0.2, 0.5) * height
            else:
                s = _mark(rng, seps[i], height, pen)
                sx = x + g.shape[1] + max(1.0, rng.uniform(0.0, 0.15) * height)
                pieces.append((s, round(sx), pad + height - s.shape[0] + rng.normal(0, 1.5)))
                gap = max(gap, 0.0) + s.shape[1] + rng.uniform(0.05, 0.2) * height
        elif cursive:
            if int(text[i]) in JOIN_EXIT and rng.random() < CURSIVE_JOIN:
                cursive_at[len(pieces) - 1] = (int(text[i]), int(text[i + 1]))
                joins.append(len(pieces) - 1)
        elif rng.random() < join_p or (text[i] == text[i + 1] == "0" and rng.random() < 0.25):
            joins.append(len(pieces) - 1)
        x += g.shape[1] + gap
    if text and rng.random() < 0.3:  # a trailing dash, '=', '/-'
        x += rng.uniform(0.05, 0.6) * height
        m = _mark(rng, TRAILING[int(rng.integers(len(TRAILING)))], height, pen)
        pieces.append((m, round(x), pad + height - m.shape[0]))
        x += m.shape[1]
    if not pieces:  # nothing written: a stray mark or pure background
        if rng.random() < 0.5:
            m = _mark(rng, TRAILING[int(rng.integers(len(TRAILING)))], height, pen)
            pieces.append((m, round(x), pad + height - m.shape[0]))
            x += m.shape[1]
        else:
            x += height
    width = int(x) + pad + 2
    canvas = np.zeros((height * 3 + 4, width), np.float32)
    for g, gx, gy in pieces:
        _paste(canvas, g, gx, round(gy))
    for j in joins:  # a pen stroke from one digit into the next
        (g1, x1, y1), (g2, x2, y2) = pieces[j], pieces[j + 1]
        if j in cursive_at:  # Sheet._join's pen, in this string's pen width
            d1, d2 = cursive_at[j]
            path = cursive_join(
                (d1, g1 > 0.5, x1, round(y1)), (d2, g2 > 0.5, x2, round(y2)), height, rng
            )
            if path is not None:
                _stroke_line(canvas, path, pen)
            continue
        a = edge_point(g1 > 0.5, "right", rng)
        b = edge_point(g2 > 0.5, "left", rng)
        if a is None or b is None:
            continue
        p1 = np.array([x1 + a[0], round(y1) + a[1]], np.float32)
        p2 = np.array([x2 + b[0], round(y2) + b[1]], np.float32)
        sag = np.array([0, rng.uniform(0, 0.2) * height], np.float32)
        _stroke_line(canvas, np.stack([p1, (p1 + p2) / 2 + sag, p2]), pen)

    # Slant: shear about the baseline.
    shear = math.tan(math.radians(rng.uniform(-20, 20))) if rng.random() < 0.6 else 0.0
    if shear:
        base_y = pad + height
        m = np.array([[1, -shear, shear * base_y + abs(shear) * height], [0, 1, 0]], np.float32)
        canvas = cv2.warpAffine(
            canvas, m, (canvas.shape[1] + int(abs(shear) * height * 2) + 2, canvas.shape[0])
        )

    # The box interior around the ink.
    ys, xs = np.nonzero(canvas > 0.3)
    if len(ys):
        iy0, iy1, ix0, ix1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    else:
        iy0, iy1, ix0, ix1 = pad, pad + height, pad, pad + height
    ink_h = iy1 - iy0
    top = round(rng.uniform(0.08, 0.6) * height)
    bottom = round(rng.uniform(0.08, 0.6) * height)
    left = round(rng.uniform(0.03, 1.0) * height * (1 if rng.random() < 0.8 else 3))
    right = round(rng.uniform(0.03, 1.5) * height * (1 if rng.random() < 0.7 else 3))
    big = np.zeros((ink_h + top + bottom, ix1 - ix0 + left + right), np.float32)
    _paste(big, canvas[iy0:iy1, ix0:ix1], left, top)
    h, w = big.shape

    ink_level = rng.uniform(0.45, 1.0) if rng.random() < 0.8 else rng.uniform(0.25, 0.45)
    dark = big * ink_level
    bg = _background(rng, h, w)
    rules = np.zeros_like(bg)
    if rng.random() < 0.3:  # a printed rule or dotted line under the writing
        y = min(h - 1, top + ink_h + round(rng.uniform(-0.15, 0.3) * height))
        t = int(rng.integers(1, 3))
        if rng.random() < 0.7:
            cv2.line(rules, (0, y), (w - 1, y), rng.uniform(0.3, 0.9), t)
        else:
            step = int(rng.integers(3, 8))
            for xx in range(0, w, step):
                cv2.line(rules, (xx, y), (xx + step // 2, y), rng.uniform(0.3, 0.9), t)
    if rng.random() < 0.08:  # the writer's own underline
        y = top + ink_h + rng.uniform(0.0, 0.25) * height
        _stroke_line(rules, _wobbly(rng, left * 0.5, y, w - right * 0.5, y + rng.normal(0, 2)), pen)
    if rng.random() < 0.4:  # remains of the box frame along the edges
        for edge in range(4):
            if rng.random() < 0.5:
                continue
            t = int(rng.integers(1, 4))
            o = int(rng.integers(0, 3))
            v = rng.uniform(0.5, 1.0)
            if edge == 0:
                rules[o : o + t, :] = v
            elif edge == 1:
                rules[h - o - t : h - o, :] = v
            elif edge == 2:
                rules[:, o : o + t] = v
            else:
                rules[:, w - o - t : w - o] = v
    reflect = (1.0 - bg) * (1.0 - dark) * (1.0 - rules)
    paper = rng.uniform(200, 255)
    img = paper * reflect + rng.normal(0, rng.uniform(0, 10), reflect.shape)

    # Scanning: resolution, blur, speckle, contrast, JPEG.
    if rng.random() < 0.4:
        f = rng.uniform(0.5, 0.9)
        img = cv2.resize(
            img, (max(4, round(w * f)), max(4, round(h * f))), interpolation=cv2.INTER_AREA
        )
    if rng.random() < 0.35:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.3))
    if rng.random() < 0.2:
        k = int(rng.integers(1, max(2, img.size // 800)))
        img[rng.integers(0, img.shape[0], k), rng.integers(0, img.shape[1], k)] = rng.uniform(
            0, 120
        )
    if rng.random() < 0.3:
        img = 255.0 * (np.clip(img, 0, 255) / 255.0) ** rng.uniform(0.6, 1.6)
    out = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        q = int(rng.integers(30, 90))
        ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, q])
        if ok:
            out = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
    return out, text


# --- pools and batches ------------------------------------------------------------


@dataclass(frozen=True)
class Pools:
    """MNIST split by writer, and optdigits' training part; digit hashes for the card."""

    train: DigitPool | None
    val: DigitPool | None
    test: DigitPool | None  # MNIST test writers: headline only, never trained or tuned on
    optdigits: DigitPool | None
    info: dict[str, object]


def load_pools(mnist_dir: Path | None, writers_dir: Path | None, optdigits: Path | None) -> Pools:
    from training.data import load_mnist, load_optdigits, mnist_checksums
    from training.splits import mnist_split, optdigits_blocks, optdigits_split

    train = load_mnist("train", mnist_dir)
    test = load_mnist("test", mnist_dir)
    split = mnist_split(writers_dir)
    tr = DigitPool(
        "mnist-train-writers",
        train.images[split.train],
        train.labels[split.train],
        split.train_writers[split.train],
    )
    va = DigitPool(
        "mnist-val-writers",
        train.images[split.val],
        train.labels[split.val],
        split.train_writers[split.val],
    )
    te = DigitPool("mnist-test-writers", test.images, test.labels, split.test_writers)
    info: dict[str, object] = {
        "mnist_sha256": mnist_checksums(mnist_dir),
        "train_writers": len(tr.writer_ids),
        "val_writers": len(va.writer_ids),
        "test_writers": len(te.writer_ids),
    }
    od = None
    if optdigits is not None:
        from training.data import sha256_file

        o = load_optdigits(optdigits)
        idx, _ = optdigits_split(len(o))
        od = DigitPool(
            "optdigits-train", o.images[idx], o.labels[idx], optdigits_blocks(len(o))[idx]
        )
        info["optdigits_sha256"] = sha256_file(optdigits)
        info["optdigits_train_digits"] = len(idx)
    return Pools(tr, va, te, od, info)


def encode(text: str) -> list[int]:
    return [int(c) for c in text]


def fixed_set(sources: Sources, n: int, seed: int) -> list[tuple[np.ndarray, str]]:
    """``n`` normalised strings, the same for the same seed (validation, headline)."""
    rng = np.random.default_rng((seed, 0xC7C))
    out = []
    for _ in range(n):
        crop, text = make_string(rng, sources)
        out.append((normalize_line(crop), text))
    return out


def batches(
    items: Sequence[tuple[np.ndarray, str]], batch_size: int, rng: np.random.Generator | None
) -> Iterator[tuple[np.ndarray, list[str], np.ndarray]]:
    """Width-bucketed batches: (x (N,1,32,Wmax) zero-padded, texts, widths)."""
    order = sorted(range(len(items)), key=lambda i: items[i][0].shape[-1])
    groups = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(groups)  # type: ignore[arg-type]
    for g in groups:
        widths = np.array([items[i][0].shape[-1] for i in g], np.int64)
        x = np.zeros((len(g), 1, items[g[0]][0].shape[1], int(widths.max())), np.float32)
        for k, i in enumerate(g):
            x[k, :, :, : widths[k]] = items[i][0]
        yield x, [items[i][1] for i in g], widths


def stream(
    sources: Sources,
    seed: int,
    epoch: int,
    samples: int,
    batch_size: int,
    chunk: int = 16,
    shard: tuple[int, int] = (0, 1),
) -> Iterator[tuple[np.ndarray, list[str], np.ndarray]]:
    """An epoch of fresh strings, generated ``chunk`` batches at a time and
    bucketed by width inside each chunk; deterministic by (seed, epoch).

    ``shard`` (index, count) splits the epoch between data-loader workers:
    each draws its own strings (a random stream of its own), ``samples``
    split between them. One shard draws exactly the strings it always drew."""
    index, count = shard
    key = (seed, epoch, 0x57A) if count == 1 else (seed, epoch, 0x57A, index)
    rng = np.random.default_rng(key)
    samples = samples // count + (index < samples % count)
    done = 0
    while done < samples:
        k = min(samples - done, batch_size * chunk)
        items = [make_string(rng, sources) for _ in range(k)]
        yield from batches([(normalize_line(c), t) for c, t in items], batch_size, rng)
        done += k
