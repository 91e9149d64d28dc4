"""A small MNIST look-alike for the training tests, so they need no download.

Hershey-font digits, white on black like MNIST, written as MNIST's own
gzipped idx files (``train-*`` and ``t10k-*``), which ``training.data`` reads.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import cv2
import numpy as np


def hershey_digit(d: int, rng: np.random.Generator) -> np.ndarray:
    """MNIST-like (white on black, 28x28) digit drawn with a Hershey font."""
    img = np.zeros((28, 28), np.uint8)
    font = [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX][int(rng.integers(2))]
    cv2.putText(img, str(d), (7 + int(rng.integers(-2, 3)), 22), font, 0.8, 255, 2, cv2.LINE_AA)
    return img


def write_idx(path: Path, arr: np.ndarray) -> None:
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


def write_fake_mnist(directory: Path, train: int, test: int = 100) -> Path:
    """``train`` and ``test`` digits (labels 0-9 in turn) in MNIST's files under ``directory``."""
    rng = np.random.default_rng(0)
    for prefix, n in (("train", train), ("t10k", test)):
        labels = np.arange(n) % 10
        images = np.stack([hershey_digit(y, rng) for y in labels])
        write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return directory
