"""Tests of formocr.segment on pages drawn here with known truth."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pytest

from formocr.segment import find_fields
from formocr.types import FieldLayout

FONT = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX


@dataclass
class Truth:
    bbox: tuple[int, int, int, int]  # x, y, w, h in page pixels
    kind: str
    cells: int
    digits: int


def _mm(dpi: float, mm: float) -> int:
    return int(round(mm / 25.4 * dpi))


def _write(img, text, x, y, h, dpi, thick=None, spacing=1.0) -> None:
    """Handwriting-ish digits, `h` pixels tall, baseline at y."""
    scale = h / 22.0
    t = thick or max(1, _mm(dpi, 0.45))
    cx = x
    for ch in text:
        if ch == " ":
            cx += int(h * 0.7 * spacing)
            continue
        (tw, _), _ = cv2.getTextSize(ch, FONT, scale, t)
        cv2.putText(img, ch, (cx, y), FONT, scale, 0, t, cv2.LINE_AA)
        cx += int(tw * spacing)


def _box(img, x, y, w, h, t) -> None:
    cv2.rectangle(img, (x, y), (x + w - 1, y + h - 1), 0, t)


@dataclass
class Page:
    image: np.ndarray
    truth: list[Truth]


def draw_page(
    dpi: float = 200,
    angle: float = 0.0,
    noise: float = 0.0,
    blur: bool = False,
    seed: int = 0,
    cross_frame: bool = False,
    touching: bool = False,
) -> Page:
    """A small form: printed text, a divided comb, a tick comb, a date in
    single boxes, a string box, an empty box, and a page border."""
    rng = np.random.default_rng(seed)
    W, H = _mm(dpi, 210), _mm(dpi, 160)
    img = np.full((H, W), 255, np.uint8)
    t = max(1, _mm(dpi, 0.3))
    truth: list[Truth] = []
    # page border and printed text outside boxes
    _box(img, _mm(dpi, 5), _mm(dpi, 5), W - 2 * _mm(dpi, 5), H - 2 * _mm(dpi, 5), t)
    fs = dpi / 250
    cv2.putText(img, "APPLICATION FORM 2024", (_mm(dpi, 20), _mm(dpi, 20)), 0, fs * 1.6, 0, 2)
    cv2.putText(img, "Account number", (_mm(dpi, 20), _mm(dpi, 36)), 0, fs, 0, 1)
    cv2.line(img, (_mm(dpi, 20), _mm(dpi, 140)), (_mm(dpi, 120), _mm(dpi, 140)), 0, t)
    cv2.putText(img, "Signature 12 34", (_mm(dpi, 20), _mm(dpi, 138)), 0, fs, 0, 1)

    # comb with full dividers: 8 cells, 6 filled
    cw, ch = _mm(dpi, 7), _mm(dpi, 9)
    x0, y0 = _mm(dpi, 70), _mm(dpi, 29)
    _box(img, x0, y0, 8 * cw, ch, t)
    for k in range(1, 8):
        cv2.line(img, (x0 + k * cw, y0), (x0 + k * cw, y0 + ch - 1), 0, t)
    filled = 0
    for k in range(8):
        if k in (2, 5):
            continue
        d = str(rng.integers(0, 10))
        _write(img, d, x0 + k * cw + cw // 5, y0 + ch - ch // 6, int(ch * 0.7), dpi)
        filled += 1
    truth.append(Truth((x0, y0, 8 * cw, ch), "comb", 8, filled))

    # comb with ticks rising from the bottom: 10 cells, 10 filled
    cv2.putText(img, "Phone", (_mm(dpi, 20), _mm(dpi, 56)), 0, fs, 0, 1)
    x0, y0 = _mm(dpi, 60), _mm(dpi, 48)
    cw, ch = _mm(dpi, 6.5), _mm(dpi, 10)
    _box(img, x0, y0, 10 * cw, ch, t)
    for k in range(1, 10):
        cv2.line(img, (x0 + k * cw, y0 + ch - 1), (x0 + k * cw, y0 + ch - ch // 3), 0, t)
    for k in range(10):
        d = str(rng.integers(0, 10))
        _write(img, d, x0 + k * cw + cw // 6, y0 + ch - ch // 4, int(ch * 0.55), dpi)
    truth.append(Truth((x0, y0, 10 * cw, ch), "comb", 10, 10))

    # a date in 8 single boxes: DD MM YYYY with gaps between the groups
    cv2.putText(img, "Date", (_mm(dpi, 20), _mm(dpi, 76)), 0, fs, 0, 1)
    x, y0 = _mm(dpi, 60), _mm(dpi, 68)
    bw = _mm(dpi, 7)
    for group in (2, 2, 4):
        gx = x
        for _ in range(group):
            _box(img, x, y0, bw, bw, t)
            _write(img, str(rng.integers(0, 10)), x + bw // 5, y0 + bw - bw // 6, int(bw * 0.7), dpi)
            x += bw + _mm(dpi, 1)
        truth.append(Truth((gx, y0, x - _mm(dpi, 1) - gx, bw), "comb", group, group))
        x += _mm(dpi, 8)

    # a digit string in an undivided box
    cv2.putText(img, "Amount", (_mm(dpi, 20), _mm(dpi, 98)), 0, fs, 0, 1)
    x0, y0, bw, bh = _mm(dpi, 60), _mm(dpi, 88), _mm(dpi, 70), _mm(dpi, 12)
    _box(img, x0, y0, bw, bh, t)
    text = "".join(str(v) for v in rng.integers(0, 10, 6))
    spacing = 0.9 if touching else 1.35
    _write(img, text, x0 + _mm(dpi, 4), y0 + bh - _mm(dpi, 3), int(bh * 0.6), dpi, spacing=spacing)
    truth.append(Truth((x0, y0, bw, bh), "string", 0, 6))
    if cross_frame:
        # a long stroke from inside the box through its bottom line
        sx = x0 + bw - _mm(dpi, 8)
        cv2.line(img, (sx, y0 + _mm(dpi, 3)), (sx - _mm(dpi, 2), y0 + bh + _mm(dpi, 3)), 0, t + 2)
        truth[-1].digits = 7

    # an empty box
    x0, y0 = _mm(dpi, 140), _mm(dpi, 88)
    _box(img, x0, y0, _mm(dpi, 40), _mm(dpi, 12), t)
    truth.append(Truth((x0, y0, _mm(dpi, 40), _mm(dpi, 12)), "string", 0, 0))

    if blur:
        img = cv2.GaussianBlur(img, (0, 0), dpi / 200)
    if angle:
        rot = cv2.getRotationMatrix2D((W / 2, H / 2), angle, 1.0)
        img = cv2.warpAffine(img, rot, (W, H), flags=cv2.INTER_LINEAR, borderValue=255)
        for tr in truth:
            x, y, w, h = tr.bbox
            pts = np.array([[x, y, 1], [x + w, y, 1], [x, y + h, 1], [x + w, y + h, 1]]).T
            p = rot @ pts
            tr.bbox = (
                int(p[0].min()),
                int(p[1].min()),
                int(p[0].max() - p[0].min()),
                int(p[1].max() - p[1].min()),
            )
    if noise:
        salt = rng.random(img.shape) < noise
        pepper = rng.random(img.shape) < noise
        img[salt] = 255
        img[pepper] = 0
        img = np.clip(img + rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8)
    return Page(img, truth)


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / float(aw * ah + bw * bh - inter)


def match(fields: list[FieldLayout], truth: list[Truth]) -> list[FieldLayout | None]:
    out = []
    for tr in truth:
        best = max(fields, key=lambda f: iou(tuple(f.bbox), tr.bbox), default=None)
        out.append(best if best is not None and iou(tuple(best.bbox), tr.bbox) >= 0.5 else None)
    return out


def check(page: Page, fields: list[FieldLayout]) -> None:
    found = match(fields, page.truth)
    for tr, f in zip(page.truth, found, strict=True):
        assert f is not None, f"field {tr} not found"
        assert f.kind == tr.kind, (tr, f.kind, f.cells)
        assert f.cells == tr.cells, (tr, f.cells)
        assert len(f.digits) == tr.digits, (tr, len(f.digits))
    assert len(fields) == len(page.truth), [f.bbox for f in fields]


@pytest.mark.parametrize("dpi", [150, 300])
def test_clean_page(dpi: int) -> None:
    page = draw_page(dpi=dpi)
    check(page, find_fields(page.image, dpi))
