"""The digit verifier: is a lattice candidate one digit at all?

The digit model (``formocr.read.classify``) has ten classes: it must call
anything a digit, and it reads two touching digits as one at 0.5-0.9, a
doubt the lattice (``formocr.read.lattice``) cannot tell from a badly written
single digit. The verifier is a small network beside it, trained by
``formocr-train verifier`` on the lattice's own candidates from pages
written by MNIST's training writers (``training.lattice_data``): whole
digits against pieces of digits and touching pairs. It sees what the digit
model sees (``formocr.read.normalize``'s 28x28 input) and the candidate's
geometry on the string (``geometry``), and gives the probability that the
candidate is *not* one digit. The lattice charges a digit read from it
``-log(1 - p)`` nats, times ``VERIFY_WEIGHT``.

A digit's confidence stays the digit model's own, so the calibrated field
confidence keeps its meaning. The verifier chooses cuts, and a digit it
doubts that the digit model is unsure of too sends its field to review
(``formocr.api._doubted``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from formocr.errors import ModelError
from formocr.read.normalize import PREPROCESS_VERSION, SIZE
from formocr.read.onnx_model import load_onnx
from formocr.types import StringInk

GEOMETRY_VERSION = "1"
GEOMETRY = ("width/height", "height/digit height", "width/digit width", "primitives", "holes")
MODEL = Path(__file__).resolve().parent.parent / "models" / "verifier.onnx"


def geometry(ink: StringInk) -> np.ndarray:
    """(N, 5) float32: each candidate's shape on its string, the verifier's
    second input. Its ink's width over its height; its height over the
    string's digit height; its width over the string's typical digit width
    (over 0.7 x the height where that is unknown); how many primitives it
    joins; how many loops its ink closes (-1: not counted)."""
    rows = np.zeros((len(ink.segments), len(GEOMETRY)), np.float32)
    dh = max(1.0, float(ink.digit_height))
    dw = float(ink.digit_width) if ink.digit_width > 0 else 0.7 * dh
    for i, s in enumerate(ink.segments):
        rows[i] = geometry_row(*s.size, dh, dw, s.end - s.start, s.holes)
    return rows


def geometry_row(
    w: float, h: float, digit_h: float, digit_w: float, primitives: int, holes: int
) -> np.ndarray:
    """One candidate's ``geometry`` row: ink ``w`` x ``h`` on a string whose
    digits are ``digit_h`` tall and ``digit_w`` wide (both over 0)."""
    row = (w / max(1, h), h / digit_h, w / digit_w, primitives, holes)
    return np.clip(np.array(row, np.float32), -1.0, 6.0)


class DigitVerifier:
    """The verifier's ONNX model and card: ``not_digit(x, geometry)``."""

    def __init__(self, path: Path | None = None, threads: int = 0) -> None:
        self.path = Path(path) if path is not None else MODEL
        loaded = load_onnx(
            self.path, "preprocess_version", PREPROCESS_VERSION, "preprocessing", threads
        )
        self.card: dict[str, Any] = loaded.card
        self.sha256 = loaded.sha256
        self.session = loaded.session
        version = str(self.card.get("geometry_version"))
        if version != GEOMETRY_VERSION:
            raise ModelError(
                f"{self.path}: trained with candidate geometry version {version}, this formocr "
                f"uses {GEOMETRY_VERSION}; retrain it with 'formocr-train verifier'"
            )
        inputs = {i.name: i for i in self.session.get_inputs()}
        if set(inputs) != {"input", "geometry"} or list(inputs["input"].shape[1:]) != [
            1,
            SIZE,
            SIZE,
        ]:
            raise ModelError(
                f"{self.path}: expects inputs {sorted(inputs)}, not input (N, 1, {SIZE}, {SIZE}) "
                "and geometry (N, 5)"
            )
        self.name = str(self.card.get("name", self.path.stem))

    def not_digit(self, x: np.ndarray, geo: np.ndarray) -> np.ndarray:
        """(N,) probability that each candidate is not one digit; ``x`` is
        ``normalize_batch`` of the crops, ``geo`` their ``geometry`` rows."""
        if not len(x):
            return np.zeros(0, np.float64)
        if len(geo) != len(x):
            raise ValueError(f"{len(x)} crops but {len(geo)} geometry rows")
        (logit,) = self.session.run(
            None, {"input": np.asarray(x, np.float32), "geometry": np.asarray(geo, np.float32)}
        )
        z = np.asarray(logit, np.float64).reshape(-1)
        return np.exp(-np.logaddexp(0.0, -z))  # the logistic, without overflow


def load_verifier(path: Path | str | None = None, threads: int = 0) -> DigitVerifier | None:
    """The digit verifier, or None when no path is given and no verifier.onnx
    is shipped (the lattice then reads without it). A given path that is
    missing, or a shipped model that fails its card, raises ModelError."""
    if path is None and not MODEL.is_file():
        return None
    return DigitVerifier(None if path is None else Path(path), threads=threads)
