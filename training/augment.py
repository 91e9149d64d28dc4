"""Augmentation that simulates what forms do to handwriting.

Works on the crop a scan would give (uint8, dark ink on light paper) *before*
``formocr.read.normalize``, so the model sees exactly what the runtime feeds it:
affine and elastic distortion, stroke width, broken strokes, box-line
remains, a loose or tight cell crop, ink/paper levels, blur, noise, JPEG.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from formocr.read.normalize import normalize


@dataclass(frozen=True)
class AugmentConfig:
    p_clean: float = 0.25  # the sample passes through normalize untouched
    rotate_deg: float = 12.0
    shear: float = 0.25
    scale: tuple[float, float] = (0.8, 1.15)
    p_elastic: float = 0.4
    elastic_alpha: float = 2.2  # displacement in pixels at 28-px scale
    elastic_sigma: float = 4.0
    p_stroke: float = 0.5
    p_broken: float = 0.12
    p_frame: float = 0.25
    p_blur: float = 0.3
    p_noise: float = 0.3
    p_jpeg: float = 0.1

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def finetune(cls) -> AugmentConfig:
        """Lighter distortion for a short low-rate pass after the main run."""
        return cls(
            p_clean=0.5,
            rotate_deg=8.0,
            shear=0.15,
            scale=(0.9, 1.1),
            p_elastic=0.2,
            p_broken=0.05,
            p_noise=0.2,
            p_blur=0.2,
        )


UP = 2  # work at twice MNIST resolution so stroke changes can be fine


def _affine(img: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    h, w = img.shape
    a = np.deg2rad(rng.uniform(-cfg.rotate_deg, cfg.rotate_deg))
    sx, sy = rng.uniform(*cfg.scale), rng.uniform(*cfg.scale)
    sh = rng.uniform(-cfg.shear, cfg.shear)
    m = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) @ np.array([[sx, sh], [0, sy]])
    c = np.array([w / 2, h / 2])
    t = c - m @ c
    mat = np.hstack([m, t[:, None]]).astype(np.float32)
    return cv2.warpAffine(
        img, mat, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255
    )


def _elastic(img: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    h, w = img.shape
    sigma = cfg.elastic_sigma * UP
    alpha = cfg.elastic_alpha * UP * rng.uniform(0.5, 1.5)
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma)
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma)
    dx *= alpha / (np.abs(dx).max() + 1e-6)
    dy *= alpha / (np.abs(dy).max() + 1e-6)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, gx + dx, gy + dy, cv2.INTER_LINEAR, borderValue=255)


def _stroke(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    k = int(rng.choice([2, 3, 3, 4, 5]))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    # Ink is dark: eroding the image thickens strokes, dilating thins them.
    if rng.random() < 0.6:
        return cv2.erode(img, kernel)
    return cv2.dilate(img, kernel if k <= 3 else np.ones((2, 2), np.uint8))


def _broken(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    ys, xs = np.nonzero(img < 128)
    if len(xs) == 0:
        return img
    out = img.copy()
    for _ in range(int(rng.integers(1, 3))):
        i = rng.integers(len(xs))
        a = rng.uniform(0, np.pi)
        d = 6 * UP
        p0 = (int(xs[i] - d * np.cos(a)), int(ys[i] - d * np.sin(a)))
        p1 = (int(xs[i] + d * np.cos(a)), int(ys[i] + d * np.sin(a)))
        cv2.line(out, p0, p1, 255, int(rng.integers(1, 3)))
    return out


def _cell_crop(img: np.ndarray, rng: np.random.Generator, frame: bool) -> np.ndarray:
    """Cut a cell around the ink, sometimes tight, sometimes with frame remains."""
    ys, xs = np.nonzero(img < 128)
    if len(xs) == 0:
        return img
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    size = max(x1 - x0, y1 - y0)
    # A frame needs paper between it and the ink, else it is a crossing stroke.
    m = rng.uniform(0.06 if frame else -0.03, 0.35, 4) * size
    h, w = img.shape
    cx0, cy0 = max(0, int(x0 - m[0])), max(0, int(y0 - m[1]))
    cx1, cy1 = min(w, int(x1 + m[2])), min(h, int(y1 + m[3]))
    cell = img[cy0:cy1, cx0:cx1].copy()
    if frame and cell.size:
        ch, cw = cell.shape
        t = int(rng.integers(1, 2 * UP + 1))
        for side in rng.choice(4, int(rng.integers(1, 3)), replace=False):
            if side == 0:
                cell[:t, :] = np.minimum(cell[:t, :], 40)
            elif side == 1:
                cell[ch - t :, :] = np.minimum(cell[ch - t :, :], 40)
            elif side == 2:
                cell[:, :t] = np.minimum(cell[:, :t], 40)
            else:
                cell[:, cw - t :] = np.minimum(cell[:, cw - t :], 40)
    return cell


def _levels_and_noise(img: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    f = img.astype(np.float32) / 255.0
    ink, paper = rng.uniform(0, 110), rng.uniform(190, 255)
    f = ink + f * (paper - ink)
    if rng.random() < cfg.p_blur:
        f = cv2.GaussianBlur(f, (0, 0), rng.uniform(0.4, 1.4) * UP / 2)
    if rng.random() < cfg.p_noise:
        f = f + rng.normal(0, rng.uniform(3, 20), f.shape)
        sp = rng.random(f.shape)
        amount = rng.uniform(0, 0.01)
        f[sp < amount / 2] = 0
        f[sp > 1 - amount / 2] = 255
    out = np.clip(f, 0, 255).astype(np.uint8)
    if rng.random() < cfg.p_jpeg:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 70))])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return out


def augment(img: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """One distorted version of a dark-on-light crop, still a uint8 crop."""
    big = cv2.resize(img, None, fx=UP, fy=UP, interpolation=cv2.INTER_LINEAR)
    pad = 8 * UP
    big = cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    big = _affine(big, rng, cfg)
    if rng.random() < cfg.p_elastic:
        big = _elastic(big, rng, cfg)
    if rng.random() < cfg.p_stroke:
        big = _stroke(big, rng)
    if rng.random() < cfg.p_broken:
        big = _broken(big, rng)
    big = _cell_crop(big, rng, frame=rng.random() < cfg.p_frame)
    return _levels_and_noise(big, rng, cfg)


def make_input(img: np.ndarray, rng: np.random.Generator | None, cfg: AugmentConfig) -> np.ndarray:
    """Crop -> model input (28x28 float), augmented when ``rng`` is given."""
    if rng is not None and rng.random() >= cfg.p_clean:
        img = augment(img, rng, cfg)
    return normalize(img)
