"""The lattice's own questions, labelled: training data for the digit verifier.

The string reader's lattice (``formocr.read.lattice``) asks about every run
of one to three primitives of a string box: most are a whole digit, a piece
of one, or two digits touching. Negatives drawn by hand (``training.negatives``)
only imitate those. Here the runtime itself cuts them: pages of string and
amount boxes are written with real digits of MNIST's *training* writers
(``training.synth.sources``; one writer a page; every third page one of
optdigits' training blocks), scanned by the project's degradations, and
segmented by ``formocr.layout.fields.find_fields``. Each candidate is
labelled against the page's truth:

- **a digit** (1): its ink box matches one written digit's (IoU >= DIGIT_IOU)
  and covers no other digit;
- **not a digit** (0): it covers most of two digits or more (a pair), or it
  matches no digit (IoU <= PIECE_IOU: a piece of one, a separator, a dash,
  a stray mark, or three quarters of one digit with a piece of the next);
- otherwise it is left out (a digit cut a little short: neither answer is
  safe to teach).

Each candidate is kept as the model's input, ``formocr.read.normalize`` of
its crop, with its geometry (``formocr.read.verify.geometry``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from formocr.types import BBox

DIGIT_IOU = 0.8
PIECE_IOU = 0.6
# A pair: the candidate holds at least this share of two digits' ink boxes.
COVERS = 0.5
A4_MM = (210.0, 297.0)
DPI = 300


@dataclass(frozen=True)
class Candidates:
    """Inputs (N, 28, 28) float32, geometry (N, G), labels (N,) 1 digit / 0 not,
    and the kind of each (``KINDS``)."""

    x: np.ndarray
    geometry: np.ndarray
    y: np.ndarray
    kind: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


KINDS = ("digit", "piece", "pair")


def _area(b: BBox) -> float:
    return float(max(0, b.w) * max(0, b.h))


def _inter(a: BBox, b: BBox) -> float:
    w = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    h = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    return float(max(0, w) * max(0, h))


def label(candidate: BBox, digits: Sequence[BBox]) -> int:
    """1 (a digit), 0 (not a digit: a piece), 2 (not a digit: a pair) or -1
    (left out) for a candidate's ink box among a field's written digits."""
    covered = [_inter(candidate, d) / max(1.0, _area(d)) for d in digits]
    if sum(c >= COVERS for c in covered) >= 2:
        return 2
    best = max((candidate.iou(d) for d in digits), default=0.0)
    if best >= DIGIT_IOU:
        return 1
    return 0 if best <= PIECE_IOU else -1


def _page(
    rng: np.random.Generator, writer: object, deg: object, joined: float = 0.0
) -> tuple[np.ndarray, list]:
    """A page of 16 string boxes: spaced, touching and amounts, as people write
    them; ``joined``: the share of neighbouring digits joined by a pen stroke
    where a cursive writer's pen runs on (``Sheet.joins``; 0: none)."""
    from training.synth.amounts import amount_text
    from training.synth.sheet import Sheet

    sheet = Sheet(A4_MM, DPI, rng, deg, writer.source())  # type: ignore[arg-type, attr-defined]
    sheet.joins = joined
    alphabet = writer.digits  # type: ignore[attr-defined]
    nonzero = [d for d in alphabet if d != 0] or alphabet

    def pick(n: int, lead: bool = False) -> list[int]:
        out = [int(alphabet[int(k)]) for k in rng.integers(0, len(alphabet), n)]
        if lead and out[0] == 0:
            out[0] = int(nonzero[int(rng.integers(len(nonzero)))])
        return out

    for col in range(2):
        x = sheet.px(18 + col * 94)
        for row in range(9):
            y = sheet.px(20 + row * 30)
            kind = str(rng.choice(["string", "touching", "touching", "amount"]))
            if kind == "amount":
                fmt = str(rng.choice(("en", "eu", "dash", "point")))
                n = int(rng.integers(1, 6)) + (2 if fmt in ("en", "eu", "point") else 0)
                text = amount_text(rng, "".join(map(str, pick(n, lead=True))), fmt)
                h = sheet.px(float(rng.uniform(11.0, 15.0)))
                w = sheet.px(min(84.0, 10.0 * len(text) + 12))
                sheet.amount(x, y, w, h, text, bool(rng.random() < 0.4))
            else:
                n = int(rng.integers(3, 9))
                h = sheet.px(float(rng.uniform(10.0, 15.0)))
                w = sheet.px(min(84.0, float(rng.uniform(8.0, 12.0)) * n + 8))
                sheet.string(x, y, w, h, pick(n), touching=kind == "touching")
    return sheet.finish()


def page_candidates(
    seed: int, writer: object, harsh: bool, joined: float = 0.0
) -> tuple[list[np.ndarray], list[np.ndarray], list[int]]:
    """One page's labelled candidates: (crops, geometry rows, labels)."""
    from formocr.layout.fields import find_fields
    from formocr.read.verify import geometry
    from training.synth import Degradation

    rng = np.random.default_rng(seed)
    image, truth = _page(rng, writer, Degradation.harsh() if harsh else Degradation.scan(), joined)
    crops, geo, labels = [], [], []
    for f in find_fields(image, dpi=DPI):
        if f.kind != "string" or f.ink is None:
            continue
        match = max(truth, key=lambda t: f.bbox.iou(t.bbox))
        if f.bbox.iou(match.bbox) < 0.5 or not match.digits:
            continue
        boxes = [d.bbox for d in match.digits]
        g = geometry(f.ink)
        for s, row in zip(f.ink.segments, g, strict=True):
            k = label(s.crop.bbox, boxes)
            if k < 0:
                continue
            crops.append(s.crop.image)
            geo.append(row)
            labels.append(k)
    return crops, geo, labels


Job = tuple[list[int], str, int, Path | None, Path | None, float]


def _pages_job(args: Job) -> tuple[list, list, list]:
    seeds, which, offset, mnist_dir, optdigits, joined = args
    from training.synth.sources import mnist_writers, optdigits_writers

    writers = [w for w in mnist_writers(which, mnist_dir) if len(w.labels) >= 20]
    # optdigits' training blocks write every third page (another hand and scanner).
    blocks = optdigits_writers(optdigits, "train") if optdigits and which == "train" else []
    crops, geo, labels = [], [], []
    for i, seed in enumerate(seeds):
        pick = (seed * 7919 + offset) // 3
        pool = blocks if blocks and seed % 3 == 0 else writers
        w = pool[pick % len(pool)]
        c, g, y = page_candidates(seed, w, harsh=(i % 2 == 1), joined=joined)
        crops += c
        geo += g
        labels += y
    return crops, geo, labels


def candidates(
    pages: int,
    seed: int,
    which: str = "train",
    workers: int = 1,
    mnist_dir: Path | None = None,
    optdigits: Path | None = None,
    joined: float = 0.0,
) -> Candidates:
    """Labelled candidates of ``pages`` pages of ``which`` writers ("train":
    MNIST's training writers, and optdigits' training blocks on every third
    page where ``optdigits`` is given; "val": MNIST's validation writers),
    normalised; pages in ``workers`` processes."""
    from formocr.read.normalize import normalize_batch

    seeds = [seed + i for i in range(pages)]
    chunks: list[Job] = [
        (seeds[k::workers], which, seed, mnist_dir, optdigits, joined) for k in range(workers)
    ]
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_pages_job, chunks))
    else:
        parts = [_pages_job(c) for c in chunks]
    crops = [c for p in parts for c in p[0]]
    geo = [g for p in parts for g in p[1]]
    raw = np.array([y for p in parts for y in p[2]], np.int64)
    x = normalize_batch(crops)[:, 0] if crops else np.zeros((0, 28, 28), np.float32)
    return Candidates(
        x.astype(np.float32),
        np.array(geo, np.float32).reshape(len(raw), -1),
        (raw == 1).astype(np.int64),
        np.array([KINDS[{1: 0, 0: 1, 2: 2}[int(k)]] for k in raw]),
    )
