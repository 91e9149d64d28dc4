"""Augmentation that simulates what forms do to handwriting.

Works on the crop a scan would give (uint8, dark ink on light paper) *before*
``formocr.read.normalize``, so the model sees exactly what the runtime feeds it:
affine and elastic distortion, stroke width, broken strokes, box-line
remains, a loose or tight cell crop, ink/paper levels, blur, noise, JPEG;
and what real pens and people do: the digit re-stroked at another pen width
(skeleton redrawn at 1-4 px at 28x28 scale), slant up to +-20 degrees, the
shapes MNIST's writers rarely use (European 1 and 7, closed 4, hooked 9, a 0
with a lead-in stroke, a 2 with a loop, drawn onto the real digit from its
ink box), faint pens, a pen that skipped (gaps a pen or two long across
the strokes), and a piece of the neighbouring digit at the edge of a loosely
cut crop. Each group has its own probability, 0 switches it off.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import cv2
import numpy as np
from skimage.morphology import skeletonize

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
    # What real pens and people do (issue 8, section 4); 0 switches a group off.
    slant_deg: float = 0.0  # > 0: shear as a slant of up to this many degrees
    p_restroke: float = 0.0  # skeleton redrawn at 1-4 px (28x28 scale)
    p_shapes: float = 0.0  # European 1/7, closed 4, hooked 9, lead-in 0, looped 2
    p_faint: float = 0.0  # ink close to the paper level
    p_neighbour: float = 0.0  # a piece of the next digit at the crop's edge
    p_gaps: float = 0.0  # a pen that skipped: 1-2 gaps across the strokes (``skipped``)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @staticmethod
    def with_overrides(base: AugmentConfig, settings: Sequence[str]) -> AugmentConfig:
        """``base`` with fields set from NAME=VALUE strings (a number; for
        ``scale`` two, comma-separated). ValueError names what is wrong."""
        fields = {f.name: f for f in dataclasses.fields(AugmentConfig)}
        changes: dict[str, object] = {}
        for item in settings:
            name, sep, value = item.partition("=")
            name = name.strip()
            if not sep or name not in fields:
                raise ValueError(
                    f"--augment {item!r}: expected NAME=VALUE with NAME one of {', '.join(fields)}"
                )
            try:
                if name == "scale":
                    lo, hi = (float(v) for v in value.split(","))
                    changes[name] = (lo, hi)
                else:
                    changes[name] = float(value)
            except ValueError:
                raise ValueError(f"--augment {item!r}: {value!r} is not a number") from None
        return dataclasses.replace(base, **changes)  # type: ignore[arg-type]

    @classmethod
    def real_pens(cls) -> AugmentConfig:
        """The base recipe plus every group of what real pens and people do."""
        return cls(slant_deg=20.0, p_restroke=0.3, p_shapes=0.5, p_faint=0.1, p_neighbour=0.15)

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
    if cfg.slant_deg > 0:
        sh = float(np.tan(np.deg2rad(rng.uniform(-cfg.slant_deg, cfg.slant_deg))))
    else:
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
    if rng.random() < cfg.p_faint:
        ink = paper - rng.uniform(50, 100)  # a pencil or a dry pen: still over the cut-off
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


# --- what real pens and people do -------------------------------------------


def ink_box(img: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the dark pixels, exclusive ends; None without ink."""
    ys, xs = np.nonzero(img < 128)
    if len(xs) == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def skeleton(img: np.ndarray) -> np.ndarray:
    """The one-pixel centre lines (bool) of a dark-on-light crop's ink."""
    return np.asarray(skeletonize(img < 128), bool)


def pen_width(img: np.ndarray) -> float:
    """The pen's width in pixels: ink area over centre-line length."""
    ink = int((img < 128).sum())
    length = int(skeleton(img).sum())
    return ink / length if length else 1.0


def draw_skeleton(skel: np.ndarray, width: float, shape: tuple[int, int]) -> np.ndarray:
    """Ink the centre lines with a round pen ``width`` px wide (anti-aliased)."""
    r = max(0.5, width / 2)
    dist = cv2.distanceTransform((~skel).astype(np.uint8), cv2.DIST_L2, 5)
    ink = np.clip(r + 0.5 - dist, 0.0, 1.0)
    return (255 - 255 * ink[: shape[0], : shape[1]]).astype(np.uint8)


def restroke(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The same digit written with another pen: 1-4 px wide at 28x28 scale
    (plus the anti-aliased rim, about one pixel of the image)."""
    box = ink_box(img)
    skel = skeleton(img)
    if box is None or not skel.any():
        return img
    # MNIST's digits are 20 px tall in 28: scale the pen with the ink's height.
    per_px = (box[3] - box[1]) / 20.0
    return draw_skeleton(skel, float(rng.uniform(1.0, 4.0)) * per_px, img.shape)


def skipped(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The same digit written with a pen that skipped: one or two gaps
    across its strokes, each 1-1.5 pen widths long, at points of its centre
    lines. A comb cell's 1 broken in two so was read as an empty cell, and
    a broken 6 as a 1, `ok` (BENCHMARKS.md, forty-first session)."""
    ys, xs = np.nonzero(skeleton(img))
    if len(ys) < 10:
        return img
    width = pen_width(img)
    out = img.copy()
    for i in rng.choice(len(ys), size=int(rng.integers(1, 3)), replace=False):
        r = max(1, round(float(rng.uniform(0.5, 0.75)) * width))
        cv2.circle(out, (int(xs[i]), int(ys[i])), r, 255, -1)
    return out


def _pen(img: np.ndarray) -> int:
    return max(1, round(pen_width(img)))


def _line(img: np.ndarray, pts: list[tuple[float, float]], thick: int) -> np.ndarray:
    out = img.copy()
    poly = np.round(np.array(pts) * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(out, [poly], False, 0, thick, cv2.LINE_AA, 4)
    return out


def _column_at(img: np.ndarray, y: int, x0: int, x1: int) -> float:
    xs = np.nonzero(img[y, x0:x1] < 128)[0]
    return x0 + float(xs.mean()) if len(xs) else (x0 + x1) / 2


def shape_edit(img: np.ndarray, label: int, rng: np.random.Generator) -> np.ndarray:
    """Draw the strokes of a writing habit MNIST rarely shows onto a real digit.

    1: a flag (European, up to half the height long); 7: a crossbar;
    4: closed at the top; 9: a hook at the foot; 0: a lead-in stroke at the
    top; 2: a loop at the foot. Other digits come back unchanged.
    """
    box = ink_box(img)
    if box is None:
        return img
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    t = _pen(img)
    u = rng.uniform
    if label == 1:
        top = (_column_at(img, y0 + 1, x0, x1), y0 + 1.0)
        length, ang = u(0.2, 0.5) * h, np.deg2rad(u(20, 60))
        end = (top[0] - length * np.cos(ang), top[1] + length * np.sin(ang))
        return _line(img, [top, end], t)
    if label == 7:
        y = int(y0 + u(0.45, 0.62) * h)
        cx = _column_at(img, min(y, img.shape[0] - 1), x0, x1)
        half = u(0.2, 0.35) * w
        return _line(img, [(cx - half, y + u(-1, 1)), (cx + half, y + u(-1, 1))], t)
    if label == 4:
        # The left stroke's top to the stem's top: the closed 4.
        left = (x0 + u(0.0, 0.2) * w, y0 + u(0.15, 0.35) * h)
        stem = (_column_at(img, y0 + 1, x0 + w // 2, x1), y0 + 1.0)
        return _line(img, [left, stem], t)
    if label == 9:
        ys, xs = np.nonzero(img < 128)
        i = int(np.argmax(ys))
        foot = (float(xs[i]), float(ys[i]))
        r = u(0.12, 0.25) * w
        return _line(
            img, [foot, (foot[0] - r, foot[1] + r * 0.3), (foot[0] - 1.6 * r, foot[1] - r)], t
        )
    if label == 0:
        top = (_column_at(img, y0 + 1, x0, x1), y0 + 1.0)
        if rng.random() < 0.5:  # a tail inside the loop
            end = (top[0] + u(0.1, 0.3) * w, top[1] + u(0.15, 0.35) * h)
        else:  # a lead-in from above and to the right
            end = (top[0] + u(0.15, 0.35) * w, top[1] - u(0.05, 0.15) * h)
        return _line(img, [top, end], t)
    if label == 2:
        ys, xs = np.nonzero(img[y0 + int(0.6 * h) : y1, x0 : x0 + max(1, w // 2)] < 128)
        if len(xs) == 0:
            return img
        cx, cy = x0 + float(xs.mean()), y0 + int(0.6 * h) + float(ys.min())
        r = u(0.08, 0.14) * h
        ang = np.linspace(0, 2 * np.pi, 16)
        loop = [(cx + r * np.sin(a) * 1.1, cy + r - r * np.cos(a)) for a in ang]
        return _line(img, loop, t)
    return img


def with_neighbour_piece(
    img: np.ndarray,
    neighbour: np.ndarray,
    rng: np.random.Generator,
    share: tuple[float, float] = (0.12, 0.3),
) -> np.ndarray:
    """A digit cut loosely from a string: up to ``share`` of the next digit's
    width shows at the left or right edge."""
    box = ink_box(img)
    nb = cv2.resize(neighbour, None, fx=UP, fy=UP, interpolation=cv2.INTER_LINEAR)
    nbox = ink_box(nb)
    if box is None or nbox is None:
        return img
    nx0, ny0, nx1, ny1 = nbox
    piece_w = max(2, int(rng.uniform(*share) * (nx1 - nx0)))
    right = rng.random() < 0.5
    piece = nb[ny0:ny1, nx0 : nx0 + piece_w] if right else nb[ny0:ny1, nx1 - piece_w : nx1]
    x0, y0, x1, y1 = box
    gap = int(rng.integers(-UP, 3 * UP))
    ph, pw = piece.shape
    top = int(y0 + (y1 - y0 - ph) / 2 + rng.uniform(-0.1, 0.1) * (y1 - y0))
    left = x1 + gap if right else x0 - gap - pw
    # Grow the canvas so the piece fits.
    pad = max(0, -left, -top, left + pw - img.shape[1], top + ph - img.shape[0])
    out = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    region = out[top + pad : top + pad + ph, left + pad : left + pad + pw]
    np.minimum(region, piece, out=region)
    return out


def augment(
    img: np.ndarray,
    rng: np.random.Generator,
    cfg: AugmentConfig,
    label: int | None = None,
    neighbour: np.ndarray | None = None,
) -> np.ndarray:
    """One distorted version of a dark-on-light crop, still a uint8 crop.

    ``label`` enables the shape edits of that digit; ``neighbour`` (another
    crop) lends a piece of itself to the edge when ``p_neighbour`` fires.
    """
    big = cv2.resize(img, None, fx=UP, fy=UP, interpolation=cv2.INTER_LINEAR)
    pad = 8 * UP
    big = cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    if label is not None and rng.random() < cfg.p_shapes:
        big = shape_edit(big, label, rng)
    restroked = rng.random() < cfg.p_restroke
    if restroked:
        big = restroke(big, rng)
    big = _affine(big, rng, cfg)
    if rng.random() < cfg.p_elastic:
        big = _elastic(big, rng, cfg)
    if not restroked and rng.random() < cfg.p_stroke:
        big = _stroke(big, rng)
    if rng.random() < cfg.p_broken:
        big = _broken(big, rng)
    # Drawn only when on: recipes without it keep their random stream.
    if cfg.p_gaps and rng.random() < cfg.p_gaps:
        big = skipped(big, rng)
    if neighbour is not None and rng.random() < cfg.p_neighbour:
        big = with_neighbour_piece(big, neighbour, rng)
    big = _cell_crop(big, rng, frame=rng.random() < cfg.p_frame)
    return _levels_and_noise(big, rng, cfg)


def make_input(
    img: np.ndarray,
    rng: np.random.Generator | None,
    cfg: AugmentConfig,
    label: int | None = None,
    neighbour: np.ndarray | None = None,
) -> np.ndarray:
    """Crop -> model input (28x28 float), augmented when ``rng`` is given."""
    if rng is not None and rng.random() >= cfg.p_clean:
        img = augment(img, rng, cfg, label, neighbour)
    return normalize(img)
