"""The digit classifier: one onnxruntime session over the shipped model.

The model card beside the ONNX file is checked on load (sha256, input shape,
preprocessing version), so a swapped, corrupt or stale model fails loudly
instead of reading digits wrongly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from formocr.errors import ModelError
from formocr.read.normalize import PREPROCESS_VERSION, SIZE, isolated_views

# card_path and load_card live in onnx_model; imported here as before.
from formocr.read.onnx_model import card_path as card_path
from formocr.read.onnx_model import load_card as load_card
from formocr.read.onnx_model import load_onnx, load_part
from formocr.types import Prediction


def default_model_path() -> Path:
    return Path(str(resources.files("formocr") / "models" / "digits.onnx"))


# Written into an ensemble's card at export (``first_look``): a crop the
# first member reads at this calibrated confidence or more is not read by
# the others. Chosen on the pipeline's own crops (dense forms, headline
# pages, cheques: BENCHMARKS.md): at 0.9999 no crop's best digit changes, and
# the whole ensemble is at least 0.998 sure of every crop it skips.
FIRST_LOOK_MIN = 0.9999


# Test-time shifts: the input moved one pixel each way, padded with paper.
SHIFTS = ((0, 0), (0, 1), (0, -1), (1, 0), (-1, 0))


def shifted(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """(N, 1, 28, 28) input moved by (dy, dx) pixels; paper (0) comes in at the edges."""
    h, w = x.shape[-2:]
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    return padded[..., 1 - dy : 1 - dy + h, 1 - dx : 1 - dx + w]


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class DigitClassifier:
    """Classify dark-on-light digit crops of any size.

    A model has 10 classes (the digits) or 11: class ``not_digit_index``
    (10) is "not a digit" (a piece of a digit, two digits together, a
    separator, background, a stray stroke), for readers that cut strings by
    recognition. The card says which (``classes``, ``not_digit_index``).

    ``confidence`` is the calibrated softmax probability of the best digit
    under the full softmax over all the model's classes (the card's
    temperature divides the logits), so mass on "not a digit" lowers it.
    When the card sets ``shift_below``, a crop whose top class (any class)
    falls under it is read again moved one pixel each way (``SHIFTS``) and
    its logits averaged: the ensemble's second look, spent only where it is
    unsure.

    When the card names its ensemble's members as files of their own
    (``first_look``), every crop is read by the first member alone, and
    only a crop it is less sure of than ``first_look.min_confidence`` (its
    calibrated top probability) is read by the others and their logits
    averaged, as the ensemble does. The members cost half the ensemble each,
    and most crops are clear. ``first_look=False`` reads every crop with the
    whole ensemble.

    ``batch_size`` crops go through onnxruntime at a time. Small batches
    keep a call's activations in cache and its memory small: 300 crops read
    in batches of 512 peaked 108 MB higher than in batches of 16, for the
    same CPU time (BENCHMARKS.md, seventeenth session).
    """

    def __init__(
        self,
        model: Path | str | None = None,
        batch_size: int = 16,
        threads: int = 0,
        first_look: bool = True,
    ) -> None:
        self.path = Path(model) if model else default_model_path()
        self._threads = threads
        self.card, self.sha256, self._session = self._load(session=False)
        look = self.card.get("first_look") if first_look else None
        self.first_look_min = float(look["min_confidence"]) if look else None
        # With the members at hand the whole ensemble's session is never
        # needed (``session`` opens it on demand): one copy of the weights.
        try:
            self.members = [
                load_part(self.path.with_name(str(m["file"])), str(m["sha256"]), threads)
                for m in (look["members"] if look else ())
            ]
        except ModelError as e:
            raise ModelError(
                f"{e}. The card's first_look names this file beside {self.path.name}: copy the "
                "member files with the model, or run 'formocr-train split-members' on it"
            ) from e
        graph = self.members[0] if self.members else self.session
        inp = graph.get_inputs()[0]
        self.input_name = inp.name
        if list(inp.shape[1:]) != [1, SIZE, SIZE]:
            raise ModelError(f"{self.path}: expects input {inp.shape}, not (N, 1, {SIZE}, {SIZE})")
        self.name = str(self.card.get("name", self.path.stem))
        self.temperature = float(self.card.get("temperature", 1.0))
        out_shape = graph.get_outputs()[0].shape
        card_classes = self.card.get("classes")
        if card_classes is None and isinstance(out_shape[-1], int):
            card_classes = out_shape[-1]
        self.classes = int(card_classes or 10)
        if self.classes not in (10, 11):
            raise ModelError(f"{self.path}: {self.classes} classes; formocr reads 10 or 11")
        if isinstance(out_shape[-1], int) and out_shape[-1] != self.classes:
            raise ModelError(
                f"{self.path}: the card says {self.classes} classes, the model gives {out_shape[-1]}"
            )
        nd = self.card.get("not_digit_index", 10 if self.classes == 11 else None)
        self.not_digit_index: int | None = None if nd is None else int(nd)
        below = self.card.get("shift_below")
        self.shift_below = None if below is None else float(below)
        self.batch_size = batch_size

    def _load(self, session: bool) -> tuple[dict[str, Any], str, Any]:
        return load_onnx(
            self.path,
            "preprocess_version",
            PREPROCESS_VERSION,
            "preprocessing",
            self._threads,
            session=session,
        )

    @property
    def session(self) -> Any:
        """The whole ensemble's onnxruntime session (opened when first asked for)."""
        if self._session is None:
            self._session = self._load(session=True)[2]
        return self._session

    def _run(self, x: np.ndarray, session: Any = None) -> np.ndarray:
        run = (session or self.session).run
        out = [
            run(None, {self.input_name: x[i : i + self.batch_size]})[0]
            for i in range(0, len(x), self.batch_size)
        ]
        return np.concatenate(out) if out else np.zeros((0, self.classes), np.float32)

    def _ensemble(self, x: np.ndarray, least: float | None = None) -> np.ndarray:
        """The ensemble's logits: where the card names its members, the first
        member's, and for a crop it is under ``least`` sure of (default the
        card's first look; ``math.inf``: every crop) the members' mean."""
        if not self.members or not len(x):
            return self._run(x)
        least = self.first_look_min if least is None else least
        assert least is not None
        logits = self._run(x, self.members[0])
        unsure = np.nonzero(softmax(logits / self.temperature).max(1) < least)[0]
        if len(unsure):
            sub = x[unsure]
            total = logits[unsure] + sum(self._run(sub, m) for m in self.members[1:])
            logits[unsure] = total / len(self.members)
        return logits

    def logits(self, x: np.ndarray, second_look: bool = True) -> np.ndarray:
        """Logits (before the temperature) for normalised input (N, 1, 28, 28)
        float32: one pass, and the shifted passes for the unsure (see class
        doc) unless ``second_look`` is False."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        logits = self._ensemble(x)
        if not second_look or self.shift_below is None or not len(x):
            return logits
        unsure = np.nonzero(softmax(logits / self.temperature).max(1) < self.shift_below)[0]
        if len(unsure):
            sub = x[unsure]
            moved = np.concatenate([shifted(sub, dy, dx) for dy, dx in SHIFTS[1:]])
            more = self._ensemble(moved, math.inf).reshape(len(SHIFTS) - 1, len(unsure), -1)
            logits[unsure] = (logits[unsure] + more.sum(0)) / len(SHIFTS)
        return logits

    def all_probabilities(self, x: np.ndarray, second_look: bool = True) -> np.ndarray:
        """Calibrated probabilities over all the model's classes, (N, 10) or
        (N, 11). A crop with no ink is "not a digit" where the model has that
        class, else a uniform row. ``second_look``: see ``logits``."""
        probs = softmax(self.logits(x, second_look) / self.temperature)
        blank = x.reshape(len(x), -1).max(axis=1) <= 0 if len(x) else np.zeros(0, bool)
        if self.not_digit_index is None:
            probs[blank] = 1.0 / probs.shape[1]
        else:
            probs[blank] = 0.0
            probs[blank, self.not_digit_index] = 1.0
        return probs

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Calibrated digit probabilities (N, 10): columns 0-9 of
        ``all_probabilities``, so with an 11-class model a row sums to one
        minus its "not a digit" probability."""
        return self.all_probabilities(x)[:, :10]

    def log_probs(self, x: np.ndarray) -> np.ndarray:
        """Natural-log calibrated probabilities over all classes for normalised
        input (N, 1, 28, 28): (N, 11) with column 10 "not a digit", or (N, 10)
        for a 10-class model. Floored at 1e-12 so no entry is -inf."""
        return np.log(np.maximum(self.all_probabilities(x), 1e-12))

    def classify(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        """One prediction per image of one digit, any size: a greyscale crop
        (uint8, dark ink on light paper or light on dark), or anything
        ``normalize.as_grey`` turns into one (colour, booleans, 0/1 bitmaps,
        floats in 0..1). The digit may fill its image: each is given a
        margin of paper, and enlarged if small (``normalize.isolated_digit``).
        A digit stretched to fill a square (``normalize.stretched_square``) is
        also read narrowed, and the geometric mean of the two readings taken."""
        if len(images) == 0:
            return []
        x, which, narrow = isolated_views(images)
        probs = self.all_probabilities(x)
        if which:
            both = np.log(np.maximum(probs[which], 1e-12))
            both += np.log(np.maximum(self.all_probabilities(narrow), 1e-12))
            probs[which] = softmax(both / 2)
        return predictions(probs)


def predictions(probs: np.ndarray) -> list[Prediction]:
    """Predictions from (N, 10) or (N, 11) probabilities: the best digit, its
    probability, the top three digits, and column 10 as ``not_digit``."""
    digits = probs[:, :10]
    order = np.argsort(-digits, axis=1)[:, :3]
    out = []
    for p, o, row in zip(digits, order, probs, strict=True):
        top3 = tuple((int(d), min(1.0, float(p[d]))) for d in o)
        nd = min(1.0, float(row[10])) if len(row) > 10 else 0.0
        out.append(Prediction(digit=top3[0][0], confidence=top3[0][1], top3=top3, not_digit=nd))
    return out
