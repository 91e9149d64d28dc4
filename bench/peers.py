"""The peers, handed the true boxes: Tesseract 5 and RapidOCR (PP-OCRv6).

Shared by the benchmark scripts, so every peer figure is measured one way:

* each true field box is deskewed (the page's skew from its printed frames)
  and cut inside its frame onto a white margin (``inner_crop``);
* **Tesseract 5**: ``tesseract crop.png - --psm 7`` with a digit whitelist,
  ``OMP_THREAD_LIMIT=1``, one process per crop; digits kept from its text;
* **RapidOCR 3.10** (the PP-OCRv6 models its wheel ships, offline), in its
  own venv ``bench/.venv-rapidocr`` (never the project's): recognition only
  on the crop, one process for all the crops (``bench/rapidocr_read.py``,
  the engine loaded once); digits kept from its text, its score kept as the
  field's confidence, so it gets a read-rate curve too.

CPU time is measured for both (user + sys of the peer's processes), so a
page's cost can stand beside formocr's.

Set up RapidOCR once:

    python3 -m venv bench/.venv-rapidocr
    bench/.venv-rapidocr/bin/pip install rapidocr==3.10.0 onnxruntime
"""

from __future__ import annotations

import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from formocr.types import BBox
from training.synth import FieldTruth

DPI = 300
BENCH = Path(__file__).resolve().parent
RAPIDOCR_PYTHON = BENCH / ".venv-rapidocr" / "bin" / "python"
RAPIDOCR_SCRIPT = BENCH / "rapidocr_read.py"
DIGITS = "0123456789"


@dataclass(frozen=True)
class PeerReading:
    """What a peer read in one crop: the digits it gave, its confidence, its CPU time."""

    value: str
    text: str  # its raw text, before keeping the digits
    confidence: float  # 0 where the peer gives none
    cpu_s: float
    failed: str = ""  # why the run failed (counted as an empty read)


def children_cpu() -> float:
    """User + sys CPU seconds of this process's finished children."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def true_box_crops(page: np.ndarray, truth: Sequence[FieldTruth]) -> list[np.ndarray]:
    """Every true field of a page, deskewed and cut inside its frame."""
    angle = page_skew(page, truth)
    return [inner_crop(page, t.bbox, angle) for t in truth]


def edge_angle(points: np.ndarray) -> float | None:
    """Angle in degrees (image axes, y down) of the near-horizontal side of a min-area rect."""
    box = cv2.boxPoints(cv2.minAreaRect(points.astype(np.float32)))
    for a, b in ((box[0], box[1]), (box[1], box[2])):
        ang = math.degrees(math.atan2(float(b[1] - a[1]), float(b[0] - a[0])))
        ang = (ang + 90.0) % 180.0 - 90.0
        if abs(ang) < 45.0:
            return ang
    return None


def page_skew(page: np.ndarray, truth: Sequence[FieldTruth]) -> float:
    """The page's skew, as the median angle of the printed frames of its true fields.

    A frame is the connected ink spanning its true box; a digit that crosses
    the frame bends one field's estimate, and the median ignores it.
    """
    angles = []
    for t in truth:
        x, y, w, h = t.bbox
        sub = page[y : y + h, x : x + w]
        if sub.size == 0:
            continue
        _, ink = cv2.threshold(sub, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
        frames = [
            i
            for i in range(1, n)
            if stats[i, cv2.CC_STAT_WIDTH] >= 0.9 * w and stats[i, cv2.CC_STAT_HEIGHT] >= 0.9 * h
        ]
        if not frames:
            continue
        k = max(frames, key=lambda i: stats[i, cv2.CC_STAT_AREA])
        ys, xs = np.nonzero(labels == k)
        ang = edge_angle(np.stack([xs, ys], 1))
        if ang is not None:
            angles.append(ang)
    return float(np.median(angles)) if angles else 0.0


def inner_crop(page: np.ndarray, bbox: BBox, angle: float, dpi: float = DPI) -> np.ndarray:
    """The inside of a printed frame, deskewed, on a white margin (what Tesseract likes).

    ``bbox`` is the axis-aligned hull of the frame turned by ``angle``; the
    frame's own size follows from the hull and the angle.
    """
    x, y, hw, hh = bbox
    cx, cy = x + hw / 2.0, y + hh / 2.0
    t = math.radians(abs(angle))
    c, s = math.cos(t), math.sin(t)
    det = c * c - s * s
    w0, h0 = (c * hw - s * hh) / det, (c * hh - s * hw) / det
    inset = max(3, round(5 * dpi / 300))  # frame line (1-3 px at 300 dpi) and its blur
    ow, oh = max(4, int(w0) - 2 * inset), max(4, int(h0) - 2 * inset)
    m = cv2.getRotationMatrix2D((cx, cy), angle, 1.0)
    m[:, 2] += (ow / 2.0 - cx, oh / 2.0 - cy)
    crop = cv2.warpAffine(
        page, m, (ow, oh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    pad = max(10, oh // 4)
    return cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)


def tesseract_read(
    exe: str, crop: np.ndarray, tmp: Path, chars: str = "0123456789"
) -> tuple[str, float, int]:
    """Tesseract's reading of one crop (only ``chars`` allowed, and kept), the
    wall time of its process, its exit status.

    A failed run reads as "" (Tesseract 5.3 dies of SIGFPE on some crops).
    """
    path = tmp / "crop.png"
    cv2.imwrite(str(path), crop)
    cmd = [exe, str(path), "-", "--psm", "7", "-c", f"tessedit_char_whitelist={chars}"]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        return "", elapsed, proc.returncode
    return "".join(ch for ch in proc.stdout if ch in chars), elapsed, 0


def tesseract_version() -> str | None:
    exe = shutil.which("tesseract")
    if exe is None:
        return None
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else "tesseract"


def read_tesseract(crops: Sequence[np.ndarray], chars: str = DIGITS) -> list[PeerReading]:
    """Tesseract on each crop, one process each (its whole cost: start-up, model load)."""
    exe = shutil.which("tesseract")
    if exe is None:
        raise RuntimeError("tesseract not found: apt-get install tesseract-ocr")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for crop in crops:
            c0 = children_cpu()
            value, _, rc = tesseract_read(exe, crop, Path(tmp), chars)
            cpu = children_cpu() - c0
            out.append(PeerReading(value, value, 0.0, cpu, f"exit status {rc}" if rc else ""))
    return out


def rapidocr_available() -> bool:
    return RAPIDOCR_PYTHON.exists()


def read_rapidocr(
    crops: Sequence[np.ndarray], chars: str = DIGITS
) -> tuple[list[PeerReading], dict[str, float]]:
    """RapidOCR on every crop in one process: readings, and the process's costs.

    Costs: ``load_cpu_s`` (engine start), ``cpu_s`` (user + sys of the whole
    process, all its threads), ``wall_s``.
    """
    if not rapidocr_available():
        raise RuntimeError(
            f"{RAPIDOCR_PYTHON} not found: python3 -m venv bench/.venv-rapidocr && "
            "bench/.venv-rapidocr/bin/pip install rapidocr==3.10.0 onnxruntime"
        )
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, crop in enumerate(crops):
            p = Path(tmp) / f"{i:06d}.png"
            cv2.imwrite(str(p), crop)
            paths.append(str(p))
        c0, t0 = children_cpu(), time.perf_counter()
        proc = subprocess.run(
            [str(RAPIDOCR_PYTHON), str(RAPIDOCR_SCRIPT)],
            input="\n".join(paths) + "\n",
            capture_output=True,
            text=True,
            check=False,
        )
        wall, cpu = time.perf_counter() - t0, children_cpu() - c0
    if proc.returncode != 0:
        raise RuntimeError(f"rapidocr_read.py exited with {proc.returncode}: {proc.stderr[-2000:]}")
    lines = [json.loads(s) for s in proc.stdout.splitlines() if s.strip()]
    load = float(lines[0]["load_cpu_s"])
    by_path = {d["path"]: d for d in lines[1:]}
    out = []
    for p in paths:
        d = by_path.get(p)
        if d is None:
            out.append(PeerReading("", "", 0.0, 0.0, "no reading returned"))
            continue
        text = d["text"]
        value = "".join(ch for ch in text if ch in chars)
        out.append(PeerReading(value, text, float(d["score"]) if value else 0.0, d["cpu_s"]))
    if len(by_path) < len(paths):
        print(f"rapidocr: {len(paths) - len(by_path)} crops unread", file=sys.stderr)
    return out, {"load_cpu_s": load, "cpu_s": cpu, "wall_s": wall}
