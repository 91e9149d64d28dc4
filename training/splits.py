"""Who is trained on, who is validated on, and who is kept for the headline.

One module decides every split, so the digit classifier, the string (CTC)
reader, calibration and the benchmarks can never mix them up:

- **MNIST train writers** (539, NIST hsf_0 and hsf_4) are split *by writer*:
  a fixed ~10 % of them (chosen by a hash of the writer id, so the split is
  stable across runs and machines) are **validation** writers: model
  selection, calibration pages and thresholds. The rest are **training**
  writers.
- **MNIST test writers** (297, disjoint from the train writers) are never
  trained on. A fixed ~1/3 of them (by another hash of the writer id) are
  **calibration** writers: the pages that fit the confidence map and the
  default threshold (bench/calibrate.py), the only honest ones, since no
  model saw them (validation writers' digits were in the shipped digit
  model's random split). The other ~2/3 are a **headline** set, never
  trained or tuned on.
- **optdigits-orig.tra** (30 writers outside MNIST, about 64 digits each, in
  writer order) is cut by position: the first 2/3 (20 writers) may be mixed
  into training; of the last 1/3 (10 writers), blocks 21, 24 and 27
  (``block % 3 == 0``) are **calibration** writers and the rest a
  **headline** set. Writers are not marked in the file, so a writer is taken
  as a block of ``len / 30`` consecutive digits (blocks, not exact writers).

The writer ids come from ``../shared/data/mnist_writers`` (QMNIST), which is
never committed; pass its folder or set ``FORMOCR_MNIST_WRITERS``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

VAL_SHARE = 0.10  # share of MNIST train writers held out for validation
CALIBRATION_SHARE = 1 / 3  # share of MNIST test writers kept for calibration
OPTDIGITS_TRAIN_SHARE = 2 / 3
OPTDIGITS_WRITERS = 30
WRITER_IDS_FILE = "mnist_writer_ids.npz"


class SplitError(RuntimeError):
    """The writer ids are missing or do not match the data."""


def default_writer_dirs() -> list[Path]:
    """Where the writer ids are looked for: $FORMOCR_MNIST_WRITERS, then ../shared/data."""
    dirs = []
    if env := os.environ.get("FORMOCR_MNIST_WRITERS"):
        dirs.append(Path(env))
    dirs.append(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist_writers")
    return dirs


def locate_writer_ids(directory: Path | None = None) -> Path:
    candidates = [directory] if directory else default_writer_dirs()
    for d in candidates:
        if (d / WRITER_IDS_FILE).is_file():
            return d / WRITER_IDS_FILE
    looked = ", ".join(str(d) for d in candidates)
    raise SplitError(
        f"MNIST writer ids not found: expected {WRITER_IDS_FILE} in {looked}; "
        "pass the folder or set FORMOCR_MNIST_WRITERS"
    )


def load_writer_ids(directory: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(train_writer, test_writer): the NIST writer id of every MNIST digit."""
    with np.load(locate_writer_ids(directory)) as z:
        return z["train_writer"].astype(np.int64), z["test_writer"].astype(np.int64)


def _hashed_share(salt: str, writer: int) -> float:
    h = hashlib.sha256(f"{salt}-{int(writer)}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def is_validation_writer(writer: int, share: float = VAL_SHARE) -> bool:
    """A fixed, machine-independent choice: the writer id's hash decides."""
    return _hashed_share("formocr-writer", writer) < share


def is_calibration_writer(writer: int, share: float = CALIBRATION_SHARE) -> bool:
    """Of the MNIST test writers, those kept for calibration (another hash)."""
    return _hashed_share("formocr-calibration-writer", writer) < share


def is_calibration_block(block: int) -> bool:
    """Of optdigits' held-out writer blocks (20-29), those kept for calibration."""
    return block % 3 == 0


@dataclass(frozen=True)
class MnistSplit:
    """Indices into MNIST train (``train``, ``val``) and the writer of each."""

    train: np.ndarray
    val: np.ndarray
    train_writers: np.ndarray  # writer id of each digit of MNIST train
    test_writers: np.ndarray  # writer id of each digit of MNIST test (headline)

    @property
    def val_writers(self) -> np.ndarray:
        return np.unique(self.train_writers[self.val])


def mnist_split(directory: Path | None = None, share: float = VAL_SHARE) -> MnistSplit:
    """MNIST train split by writer: training writers and validation writers."""
    train_w, test_w = load_writer_ids(directory)
    if len(train_w) != 60000 or len(test_w) != 10000:
        raise SplitError(f"writer ids for {len(train_w)}/{len(test_w)} digits, not 60000/10000")
    val_set = {int(w) for w in np.unique(train_w) if is_validation_writer(int(w), share)}
    is_val = np.isin(train_w, np.fromiter(val_set, np.int64, len(val_set)))
    return MnistSplit(np.nonzero(~is_val)[0], np.nonzero(is_val)[0], train_w, test_w)


def optdigits_blocks(n: int, writers: int = OPTDIGITS_WRITERS) -> np.ndarray:
    """Writer block (0..writers-1) of each of ``n`` optdigits digits, by position."""
    return np.minimum(np.arange(n) * writers // max(n, 1), writers - 1)


def optdigits_split(
    n: int, train_share: float = OPTDIGITS_TRAIN_SHARE
) -> tuple[np.ndarray, np.ndarray]:
    """(train, headline) indices: the first 2/3 of the file for training.

    The same cut as the shipped models were trained with (``int(n * 2/3)``).
    """
    cut = int(n * train_share)
    return np.arange(cut), np.arange(cut, n)
