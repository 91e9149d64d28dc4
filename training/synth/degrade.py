"""What scanning and photocopying do to a clean page.

Each effect is a range drawn from the caller's generator, so a seed fixes the
page exactly, and every range defaults to "off". The geometric part returns
its affine matrix: the page generator moves its ground-truth boxes with it,
which keeps truth and pixels consistent however far the page is turned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

Range = tuple[float, float]
_OFF: Range = (0.0, 0.0)
_NOISE_TILE = 512  # noise is drawn on one tile and repeated: 10x cheaper, looks the same


def _check_range(name: str, r: Range, lo: float, hi: float) -> None:
    if len(r) != 2 or r[0] > r[1]:
        raise ValueError(f"Degradation.{name} must be a (low, high) pair, got {r!r}")
    if r[0] < lo or r[1] > hi:
        raise ValueError(f"Degradation.{name} must lie within [{lo}, {hi}], got {r!r}")


@dataclass(frozen=True)
class Degradation:
    """Ranges for scan effects; each value is drawn uniformly within its range.

    Pixel quantities (blur, shift) are given at 300 dpi and scaled with the
    page's dpi, so one setting means the same physical effect at any dpi.
    """

    rotation_deg: Range = _OFF  # e.g. (-3, 3); (1.5, 1.5) for an exact angle
    shift_mm: Range = _OFF  # translation, each axis drawn independently
    scale: Range = (1.0, 1.0)  # e.g. (0.98, 1.02)
    blur_sigma: Range = _OFF  # Gaussian sigma in px at 300 dpi
    noise_sigma: Range = _OFF  # Gaussian noise, grey levels
    salt_pepper: Range = _OFF  # fraction of pixels flipped to black or white
    jpeg_quality: tuple[int, int] | None = None  # e.g. (30, 70)
    illumination: Range = _OFF  # depth of smooth uneven lighting, 0..1
    background: Range = _OFF  # how much the paper greys, 0..1 (0.2: paper ~204)
    ink: Range = (1.0, 1.0)  # handwriting darkness: 0.3 faint pencil .. 1 marker

    def __post_init__(self) -> None:
        _check_range("rotation_deg", self.rotation_deg, -45.0, 45.0)
        _check_range("shift_mm", self.shift_mm, -50.0, 50.0)
        _check_range("scale", self.scale, 0.5, 2.0)
        _check_range("blur_sigma", self.blur_sigma, 0.0, 10.0)
        _check_range("noise_sigma", self.noise_sigma, 0.0, 100.0)
        _check_range("salt_pepper", self.salt_pepper, 0.0, 0.2)
        _check_range("illumination", self.illumination, 0.0, 0.9)
        _check_range("background", self.background, 0.0, 0.8)
        _check_range("ink", self.ink, 0.05, 1.0)
        if self.jpeg_quality is not None:
            q = self.jpeg_quality
            if len(q) != 2 or not 5 <= q[0] <= q[1] <= 100:
                raise ValueError(f"Degradation.jpeg_quality must be 5 <= lo <= hi <= 100, got {q}")

    @classmethod
    def scan(cls) -> Degradation:
        """A typical office scan: slight skew, soft focus, mild noise."""
        return cls(
            rotation_deg=(-1.5, 1.5),
            shift_mm=(-2.0, 2.0),
            scale=(0.99, 1.01),
            blur_sigma=(0.3, 0.8),
            noise_sigma=(2.0, 6.0),
            background=(0.0, 0.08),
            illumination=(0.0, 0.08),
            ink=(0.7, 1.0),
        )

    @classmethod
    def harsh(cls) -> Degradation:
        """A bad fax or phone photo: skew, blur, noise, JPEG, pencil to marker."""
        return cls(
            rotation_deg=(-3.0, 3.0),
            shift_mm=(-4.0, 4.0),
            scale=(0.97, 1.03),
            blur_sigma=(0.5, 1.5),
            noise_sigma=(4.0, 14.0),
            salt_pepper=(0.0, 0.004),
            jpeg_quality=(30, 70),
            illumination=(0.05, 0.3),
            background=(0.03, 0.25),
            ink=(0.35, 1.0),
        )


def _draw(rng: np.random.Generator, r: Range) -> float:
    return float(r[0]) if r[0] == r[1] else float(rng.uniform(r[0], r[1]))


def geometry(
    deg: Degradation, shape: tuple[int, int], dpi: float, rng: np.random.Generator
) -> np.ndarray:
    """The 2x3 affine matrix of this page's skew, scale and shift.

    Rotation is about the page centre; positive angles turn the content
    anticlockwise on screen, as cv2.getRotationMatrix2D does.
    """
    h, w = shape
    angle = _draw(rng, deg.rotation_deg)
    scale = _draw(rng, deg.scale)
    px_per_mm = dpi / 25.4
    dx = _draw(rng, deg.shift_mm) * px_per_mm
    dy = _draw(rng, deg.shift_mm) * px_per_mm
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, scale)
    m[:, 2] += np.array([dx, dy])
    return m


def is_identity(m: np.ndarray) -> bool:
    return bool(np.allclose(m, [[1, 0, 0], [0, 1, 0]]))


def warp(page: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Apply the page geometry; uncovered areas become white paper."""
    if is_identity(m):
        return page
    h, w = page.shape[:2]
    return cv2.warpAffine(
        page,
        m,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(255, 255, 255),
    )


def transform_boxes(boxes: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Axis-aligned hulls of (n, 4) [x0, y0, x1, y1] boxes after affine ``m``."""
    if len(boxes) == 0:
        return boxes.reshape(0, 4)
    x0, y0, x1, y1 = boxes.T
    corners = np.stack(
        [
            np.stack([x0, y0], 1),
            np.stack([x1, y0], 1),
            np.stack([x0, y1], 1),
            np.stack([x1, y1], 1),
        ],
        axis=1,
    )  # (n, 4, 2)
    moved = corners @ m[:, :2].T + m[:, 2]
    return np.concatenate([moved.min(axis=1), moved.max(axis=1)], axis=1)


def _tiled_noise(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    h, w = shape
    tile = rng.standard_normal((_NOISE_TILE, _NOISE_TILE), dtype=np.float32)
    oy, ox = (int(v) for v in rng.integers(0, _NOISE_TILE, 2))
    reps = (math.ceil((h + oy) / _NOISE_TILE), math.ceil((w + ox) / _NOISE_TILE))
    return np.tile(tile, reps)[oy : oy + h, ox : ox + w]


def _lighting(shape: tuple[int, int], depth: float, rng: np.random.Generator) -> np.ndarray:
    """Smooth multiplicative field in [1 - depth, 1]: a gradient plus blotches.

    Built at 1/16 scale and enlarged: the field is smooth, so nothing is lost.
    """
    h, w = shape
    sh, sw = max(2, h // 16), max(2, w // 16)
    coarse = rng.random((4, 3)).astype(np.float32)
    field = cv2.resize(coarse, (sw, sh), interpolation=cv2.INTER_CUBIC)
    a = rng.uniform(0, 2 * math.pi)
    yy = np.linspace(-1, 1, sh, dtype=np.float32)[:, None]
    xx = np.linspace(-1, 1, sw, dtype=np.float32)[None, :]
    field = 0.5 * field + 0.25 * (1 + math.cos(a) * xx + math.sin(a) * yy)
    lo, hi = float(field.min()), float(field.max())
    field = 1.0 - depth * (field - lo) / max(hi - lo, 1e-6)
    return cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR)


def photometric(
    page: np.ndarray, deg: Degradation, dpi: float, rng: np.random.Generator
) -> np.ndarray:
    """Blur, lighting, paper tone, noise and JPEG, in the order a scanner adds them.

    ``page`` is greyscale (h, w) or RGB (h, w, 3); lighting and noise are
    the same in every channel (the lamp and the sensor, not the ink).
    """
    blur = _draw(rng, deg.blur_sigma) * dpi / 300.0
    light = _draw(rng, deg.illumination)
    paper = _draw(rng, deg.background)
    noise = _draw(rng, deg.noise_sigma)
    sp = _draw(rng, deg.salt_pepper)
    quality = None
    if deg.jpeg_quality is not None:
        quality = int(rng.integers(deg.jpeg_quality[0], deg.jpeg_quality[1] + 1))

    out = page
    if blur > 0.05:
        out = cv2.GaussianBlur(out, (0, 0), blur)
    shape = out.shape[:2]
    per_pixel = (...,) if out.ndim == 2 else (..., None)  # broadcast over channels
    if light > 0 or paper > 0 or noise > 0:
        f = out.astype(np.float32)
        if light > 0:
            f *= _lighting(shape, light, rng)[per_pixel]
        if paper > 0:
            f *= 1.0 - paper
        if noise > 0:
            f += noise * _tiled_noise(shape, rng)[per_pixel]
        out = np.clip(f, 0, 255).astype(np.uint8)
    if sp > 0:
        pixels = shape[0] * shape[1]
        n = int(sp * pixels)
        flat = out.reshape(pixels, -1).copy()
        idx = rng.integers(0, pixels, n)
        flat[idx] = np.where(rng.random(n) < 0.5, 0, 255).astype(np.uint8)[:, None]
        out = flat.reshape(out.shape)
    if quality is not None:
        # cv2 reads the channels as BGR; encode and decode agree, so RGB survives.
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
        flag = cv2.IMREAD_GRAYSCALE if out.ndim == 2 else cv2.IMREAD_COLOR
        decoded = cv2.imdecode(buf, flag) if ok else None
        if decoded is not None:
            out = decoded
    return out


# Artefacts laid on a page at a place the caller chooses (benchmarks and
# tests sweep them over a page's boxes). Greyscale uint8 in, out.


def fold_band(image: np.ndarray, way: str, at: int, depth: float, sigma_px: float) -> np.ndarray:
    """``image`` under a fold's soft shadow along its rows (``way`` "h") or
    its columns ("v"), centred at pixel ``at``: ``depth`` darker there (a
    share of the grey), falling off as a Gaussian of ``sigma_px``."""
    t = np.arange(image.shape[0 if way == "h" else 1])
    shade = 1.0 - depth * np.exp(-(((t - at) / sigma_px) ** 2))
    across = shade[:, None] if way == "h" else shade[None, :]
    return np.asarray((image * across).clip(0, 255).astype(np.uint8))


def highlight(
    image: np.ndarray,
    box: tuple[int, int, int, int],
    at: str,
    dpi: float,
    depth: float = 0.15,
    tilt: bool = False,
    thick_in: float = 0.2,
) -> np.ndarray:
    """``image`` with a highlighter's stroke ``thick_in`` inches thick (a
    chisel tip's is 0.16-0.2, a fine tip's about 0.1) and ``depth`` dark,
    along the row of ``box`` (x, y, w, h) across its ``at`` ("middle",
    "top" or "foot"), running 0.3 in past either side; ``tilt``: rising
    0.2 in over its length."""
    x, y, w, h = box
    cy = {"middle": y + h // 2, "top": y, "foot": y + h}[at]
    rise = int(0.1 * dpi) if tilt else 0
    reach = int(0.3 * dpi)
    ink = np.zeros(image.shape, np.float32)
    cv2.line(ink, (x - reach, cy + rise), (x + w + reach, cy - rise), 1.0, int(thick_in * dpi))
    ink = cv2.GaussianBlur(ink, (0, 0), 2)
    return np.asarray((image * (1 - depth * ink)).clip(0, 255).astype(np.uint8))


def faded(image: np.ndarray, contrast: float) -> np.ndarray:
    """``image`` scanned light: every pixel's darkness under white kept at
    ``contrast`` of itself (a scanner set too bright, a pale copy)."""
    ink = 255.0 - image.astype(np.float32)
    return np.asarray(np.clip(255.0 - contrast * ink, 0, 255).round().astype(np.uint8))
