"""Training data: MNIST IDX files, optdigits bitmaps, folders of labelled images.

Every image leaves here as greyscale uint8, dark ink on light paper: the same
kind of crop the runtime cuts from a scan. Turning it into model input is the
job of ``formocr.read.normalize`` (via ``training.augment``), never of this module.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".pgm"}


class DataError(Exception):
    """Training data missing, corrupt or unreachable; the message says what to do."""


@dataclass(frozen=True)
class DigitSet:
    """Labelled digit crops: images are uint8, dark ink on light paper."""

    name: str
    images: np.ndarray  # (N, H, W) uint8, or an object array of 2-D arrays
    labels: np.ndarray  # (N,) int64

    def __post_init__(self) -> None:
        if len(self.images) != len(self.labels):
            raise ValueError(
                f"{self.name}: {len(self.images)} images but {len(self.labels)} labels"
            )

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, idx: np.ndarray, name: str | None = None) -> DigitSet:
        return DigitSet(name or self.name, self.images[idx], self.labels[idx])


def file_facts(path: Path) -> dict[str, object]:
    """What a model card says of the file it describes: its name, sha256,
    size in bytes and when it was written (now, UTC)."""
    import datetime as dt

    return {
        "file": path.name,
        "sha256": sha256_file(path),
        "bytes": path.stat().st_size,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def default_mnist_dirs() -> list[Path]:
    """Where MNIST is looked for, in order: $FORMOCR_MNIST, then the user cache."""
    dirs = []
    if env := os.environ.get("FORMOCR_MNIST"):
        dirs.append(Path(env))
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    dirs.append(cache / "formocr" / "mnist")
    return dirs


def _find(directory: Path, gz_name: str) -> Path | None:
    for name in (gz_name, gz_name[:-3]):
        if (directory / name).is_file():
            return directory / name
    return None


def locate_mnist(mnist_dir: Path | None = None) -> Path:
    """The first folder holding all four MNIST files (gz or raw)."""
    candidates = [mnist_dir] if mnist_dir else default_mnist_dirs()
    for d in candidates:
        if all(_find(d, n) for n in MNIST_FILES):
            return d
    looked = ", ".join(str(d) for d in candidates)
    raise DataError(
        f"MNIST not found: expected {', '.join(MNIST_FILES)} (gzipped or not) in {looked}. "
        "Pass --mnist-dir DIR, set FORMOCR_MNIST, or run with --download."
    )


def download_mnist(target: Path | None = None, mirrors: tuple[str, ...] = MNIST_MIRRORS) -> Path:
    """Fetch the four MNIST files into ``target`` and verify their sha256."""
    target = target or default_mnist_dirs()[-1]
    target.mkdir(parents=True, exist_ok=True)
    for name, digest in MNIST_FILES.items():
        dest = target / name
        if dest.is_file() and sha256_file(dest) == digest:
            continue
        errors = []
        for mirror in mirrors:
            tmp = dest.with_suffix(".part")
            try:
                with urllib.request.urlopen(mirror + name, timeout=30) as r, open(tmp, "wb") as f:
                    f.write(r.read())
            except (urllib.error.URLError, OSError, TimeoutError) as e:
                errors.append(f"{mirror}: {e}")
                continue
            if sha256_file(tmp) != digest:
                tmp.unlink()
                errors.append(f"{mirror}: checksum mismatch")
                continue
            tmp.replace(dest)
            break
        else:
            raise DataError(
                f"could not download {name} ({'; '.join(errors)}). If this machine is offline, "
                f"copy the four MNIST files into {target} or pass --mnist-dir."
            )
    return target


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot read IDX file ({e})") from e
    magic = int.from_bytes(data[:4], "big")
    ndim = magic & 0xFF
    if magic >> 8 != 0x08 or ndim not in (1, 3):
        raise DataError(f"{path}: not an IDX uint8 file (magic {magic:#x})")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    arr = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(shape)):
        raise DataError(f"{path}: truncated IDX file")
    return arr.reshape(shape)


def load_mnist(split: str, mnist_dir: Path | None = None) -> DigitSet:
    """MNIST 'train' or 'test', inverted to dark ink on light paper."""
    prefix = {"train": "train", "test": "t10k"}[split]
    d = locate_mnist(mnist_dir)
    images = _read_idx(_find(d, f"{prefix}-images-idx3-ubyte.gz"))  # type: ignore[arg-type]
    labels = _read_idx(_find(d, f"{prefix}-labels-idx1-ubyte.gz"))  # type: ignore[arg-type]
    return DigitSet(f"mnist-{split}", 255 - images, labels.astype(np.int64))


def mnist_checksums(mnist_dir: Path | None = None) -> dict[str, str]:
    d = locate_mnist(mnist_dir)
    return {n: sha256_file(_find(d, n)) for n in MNIST_FILES}  # type: ignore[arg-type]


def load_optdigits(path: Path) -> DigitSet:
    """UCI optdigits-orig 32x32 bitmaps (1 = ink) -> dark-on-light uint8."""
    lines = path.read_text().splitlines()
    body = [ln.strip() for ln in lines[21:] if ln.strip()]
    images, labels = [], []
    for i in range(0, len(body) - 32, 33):
        bits = np.array([[c == "1" for c in r] for r in body[i : i + 32]], bool)
        images.append(np.where(bits, 0, 255).astype(np.uint8))
        labels.append(int(body[i + 32]))
    if not images:
        raise DataError(f"{path}: no optdigits bitmaps found")
    return DigitSet(path.stem, np.stack(images), np.array(labels, np.int64))


def synthetic_digits(n: int, seed: int, per_writer: int = 50) -> DigitSet:
    """``n`` digits drawn by the project's stroke generator, classes balanced.

    Each run of ``per_writer`` digits shares one random writer style, and the
    ink height varies from 20 to 64 px, as cells do on 150-600 dpi scans.
    """
    from training.synth.strokes import random_style, render_digit

    rng = np.random.default_rng((seed, 0x5EED))
    images = np.empty(n, object)
    labels = np.arange(n, dtype=np.int64) % 10
    style = random_style(rng)
    for i in range(n):
        if i % per_writer == 0:
            style = random_style(rng)
        images[i] = render_digit(int(labels[i]), int(rng.integers(20, 65)), rng, style)
    return DigitSet(f"synthetic-{n}", images, labels)


def load_folder(root: Path) -> DigitSet:
    """Labelled images laid out as ROOT/<digit>/*.png (any common image type)."""
    images, labels = [], []
    for digit in range(10):
        sub = root / str(digit)
        if not sub.is_dir():
            continue
        for p in sorted(sub.iterdir()):
            if p.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            img = cv2.imdecode(np.fromfile(p, np.uint8), cv2.IMREAD_GRAYSCALE)
            if img is None:
                raise DataError(f"{p}: not a readable image")
            images.append(img)
            labels.append(digit)
    if not images:
        raise DataError(f"{root}: no images found in {root}/0 .. {root}/9")
    arr = np.empty(len(images), object)
    arr[:] = images
    return DigitSet(root.name, arr, np.array(labels, np.int64))
