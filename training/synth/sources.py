"""Real handwriting by writer: digit sources for pages filled by one person each.

A form is filled by one hand, so a benchmark page should be too. These
sources group real digits by their writer, as ``training.splits`` decides
which writers are which:

- ``mnist_writers("test")``: the MNIST test writers of the headline (never
  trained, tuned or calibrated on);
- ``mnist_writers("cal")``: the MNIST test writers kept for calibration
  (never trained on; the pages that fit the confidence map and threshold);
- ``mnist_writers("val")``: the MNIST train writers held out for validation
  (model selection);
- ``mnist_writers("train")``: the training writers, for making training data
  only (``training.lattice_data``), never for a benchmark;
- ``optdigits_writers(path, "headline" | "calibration")``: optdigits'
  held-out last third, one block of consecutive digits per writer.

Each writer's digits are enlarged once into smooth, pen-like dark-on-light
crops (``Sheet.digit_image`` then scales them to the height it wants).
The datasets are read in place from ``../shared/data``; nothing is copied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

DigitSource = Callable[[int, np.random.Generator], np.ndarray]
UPSCALE = 4  # a 28x28 MNIST digit (ink about 20 px tall) becomes about 80 px


def smooth_upscale(img: np.ndarray, factor: int = UPSCALE) -> np.ndarray:
    """A small grey or binary digit (dark on light) -> a larger one with pen-like edges.

    Cubic enlargement, a light blur, then a contrast ramp around mid-grey:
    edges stay anti-aliased (as a scan of a pen line) without the staircase
    of a bitmap or the haze of a plain enlargement.
    """
    big = cv2.resize(
        img, (img.shape[1] * factor, img.shape[0] * factor), interpolation=cv2.INTER_CUBIC
    )
    big = cv2.GaussianBlur(big, (0, 0), factor / 2)
    ramp = (big.astype(np.float32) - 128.0) * 2.5 + 128.0
    return np.clip(ramp, 0, 255).astype(np.uint8)


@dataclass
class WriterDigits:
    """One writer's digits: 2-D uint8 images, dark ink on light paper, and labels."""

    name: str
    images: np.ndarray
    labels: np.ndarray
    _cache: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if len(self.images) != len(self.labels) or len(self.labels) == 0:
            raise ValueError(f"{self.name}: {len(self.images)} images, {len(self.labels)} labels")

    @property
    def digits(self) -> list[int]:
        """The digits this writer wrote at least once."""
        return sorted({int(v) for v in self.labels})

    def crop(self, k: int) -> np.ndarray:
        if k not in self._cache:
            self._cache[k] = smooth_upscale(self.images[k])
        return self._cache[k]

    def source(self) -> DigitSource:
        """(digit, rng) -> one of this writer's samples of that digit.

        Raises ValueError for a digit the writer never wrote: compose values
        from ``digits`` so every page stays one person's hand.
        """

        def draw(digit: int, rng: np.random.Generator) -> np.ndarray:
            pool = np.nonzero(self.labels == digit)[0]
            if len(pool) == 0:
                raise ValueError(f"{self.name} never wrote a {digit}; compose from .digits")
            return self.crop(int(pool[int(rng.integers(len(pool)))]))

        return draw


def _group(
    images: np.ndarray, labels: np.ndarray, writer: np.ndarray, prefix: str, least: int = 1
) -> list[WriterDigits]:
    out = []
    for w in np.unique(writer):
        idx = np.nonzero(writer == w)[0]
        if len(idx) >= least:
            out.append(WriterDigits(f"{prefix} {int(w)}", images[idx], labels[idx]))
    return out


def mnist_writers(
    which: str, mnist_dir: Path | None = None, writers_dir: Path | None = None
) -> list[WriterDigits]:
    """MNIST digits grouped by NIST writer: ``"test"`` (headline), ``"cal"``
    (calibration test writers), ``"val"`` (validation) or ``"train"`` (the
    training writers: what the models learn from, so for training data only).
    """
    from training.data import load_mnist
    from training.splits import is_calibration_writer, mnist_split

    split = mnist_split(writers_dir)
    if which in ("test", "cal"):
        data = load_mnist("test", mnist_dir)
        cal = np.array([is_calibration_writer(int(w)) for w in split.test_writers])
        keep = cal if which == "cal" else ~cal
        name = "mnist-cal writer" if which == "cal" else "mnist-test writer"
        return _group(data.images[keep], data.labels[keep], split.test_writers[keep], name)
    if which in ("val", "train"):
        data = load_mnist("train", mnist_dir)
        idx = split.val if which == "val" else split.train
        return _group(
            data.images[idx], data.labels[idx], split.train_writers[idx], f"mnist-{which} writer"
        )
    raise ValueError(f"which must be 'test', 'cal', 'val' or 'train', got {which!r}")


def optdigits_writers(path: Path, part: str = "headline") -> list[WriterDigits]:
    """optdigits' held-out last third, one ``WriterDigits`` per writer block:
    the headline blocks, or (``part="calibration"``) the calibration blocks;
    or (``part="train"``) the blocks of its first two thirds, which models
    learn from (for making training data only).

    The cut (``int(n * 2/3)``) falls a digit before block 20 starts, so the
    held-out part opens with one digit of block 19: a page cannot be one
    person's from it, and it is left out (blocks of fewer than 10 digits).
    """
    from training.data import load_optdigits
    from training.splits import is_calibration_block, optdigits_blocks, optdigits_split

    if part not in ("headline", "calibration", "train"):
        raise ValueError(f"part must be 'headline', 'calibration' or 'train', got {part!r}")
    data = load_optdigits(path)
    train, held = optdigits_split(len(data.labels))
    if part == "train":
        blocks = optdigits_blocks(len(data.labels))[train]
        return _group(data.images[train], data.labels[train], blocks, "optdigits block", least=10)
    blocks = optdigits_blocks(len(data.labels))[held]
    cal = np.array([is_calibration_block(int(b)) for b in blocks], bool)
    keep = held[cal if part == "calibration" else ~cal]
    kept = blocks[cal if part == "calibration" else ~cal]
    return _group(data.images[keep], data.labels[keep], kept, "optdigits block", least=10)
