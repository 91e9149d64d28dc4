"""The segmentation-free string reader: a CRNN with a CTC head, onnxruntime only.

It reads the interior of a free string or amount box as one line, without
cutting it into digits, so it is blind to the over-segmentation that joined
zeros, lifted bars, trailing dashes and printed backgrounds cause. The
combination step can ask it how likely another reader's answer is
(``log_likelihood``).

Decoding is greedy (best path): the most likely class per frame, repeats
collapsed, blanks dropped. The confidences are:

- ``StringReading.confidence``: p(text | image), the CTC probability of the
  decoded text summed over all its alignments (the forward algorithm), not
  just the best path's probability. Two readings of one box thus compete on
  the same scale, and a string whose frames hesitate between readings is
  unsure even when the best path is clear.
- ``char_confidences``: per character, the highest posterior of its label
  among the frames that emit it.
- ``spans``: per character, the crop columns [x0, x1) of the frames that
  emit it (each frame covers 4 columns of the normalised line), mapped back
  through ``normalize_line``'s scaling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from formocr.errors import ModelError
from formocr.read.normalize import (
    LINE_HEIGHT,
    LINE_PREPROCESS_VERSION,
    LineGeometry,
    normalize_line_geometry,
)
from formocr.read.onnx_model import load_onnx

MODEL_FILE = "strings.onnx"


def default_model_path() -> Path:
    return Path(str(resources.files("formocr") / "models" / MODEL_FILE))


@dataclass(frozen=True)
class StringReading:
    """What the string reader read in one box.

    ``text`` holds digits only (separators and marks are never emitted);
    ``confidence`` is p(text | image) under the model; ``char_confidences``
    and ``spans`` (crop columns [x0, x1)) have one entry per character.
    ``log_probs`` keeps the frames' (T, C) log-probabilities, so another
    text can be scored on them without reading the crop again
    (``StringReader.rescore``).
    """

    text: str
    confidence: float
    char_confidences: tuple[float, ...]
    spans: tuple[tuple[int, int], ...]
    log_probs: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (len(self.text) == len(self.char_confidences) == len(self.spans)):
            raise ValueError(
                f"StringReading: {len(self.text)} characters, {len(self.char_confidences)} "
                f"confidences, {len(self.spans)} spans"
            )
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"StringReading.confidence {self.confidence} is not in [0, 1]")


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def best_path(logp: np.ndarray, blank: int) -> list[tuple[int, int, int, float]]:
    """Greedy decode of (T, C) log-probabilities: (label, first frame, last
    frame + 1, highest posterior of the label over its frames) per character."""
    best = logp.argmax(axis=1)
    out: list[tuple[int, int, int, float]] = []
    t, n = 0, len(best)
    while t < n:
        k = int(best[t])
        e = t + 1
        while e < n and best[e] == k:
            e += 1
        if k != blank:
            out.append((k, t, e, float(np.exp(logp[t:e, k].max()))))
        t = e
    return out


def ctc_log_likelihood(logp: np.ndarray, labels: Sequence[int], blank: int) -> float:
    """log p(labels | frames): the CTC forward algorithm over (T, C) log-probs.

    Matches ``torch.nn.CTCLoss(reduction='sum')`` negated. A label sequence
    that cannot fit in T frames has likelihood 0 (-inf).
    """
    t_len = logp.shape[0]
    ext = np.full(2 * len(labels) + 1, blank, np.int64)
    ext[1::2] = np.asarray(labels, np.int64)
    s_len = len(ext)
    if t_len == 0:
        return 0.0 if not len(labels) else float("-inf")
    # Skipping a blank (s-2 -> s) is allowed onto a label unlike the one two back.
    skip = np.zeros(s_len, bool)
    skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])
    alpha = np.full(s_len, -np.inf)
    alpha[0] = logp[0, ext[0]]
    if s_len > 1:
        alpha[1] = logp[0, ext[1]]
    # The frames' log-probabilities of the extended labels, gathered once;
    # the shifted alphas reuse two buffers whose -inf entries never change.
    lp = logp[:, ext] if t_len > 1 else logp[:0, :0]
    src = np.flatnonzero(skip) - 2  # alpha[s - 2] feeds s where skipping is allowed
    dst = src + 2
    prev1 = np.full(s_len, -np.inf)
    prev2 = np.full(s_len, -np.inf)
    for t in range(1, t_len):
        prev1[1:] = alpha[:-1]
        prev2[dst] = alpha[src]
        alpha = np.logaddexp(np.logaddexp(alpha, prev1), prev2) + lp[t]
    tail = alpha[-2:] if s_len > 1 else alpha[-1:]
    return float(np.logaddexp.reduce(tail))


class StringReader:
    """Reads digit strings from string-box interiors (uint8, dark ink on light paper).

    Loads ``strings.onnx`` (or ``model``) and checks its card: sha256, the
    line preprocessing version, the alphabet and the input height. Holds one
    onnxruntime session; pass it in, do not make it global.
    """

    def __init__(self, model: Path | str | None = None, threads: int = 0, batch: int = 64) -> None:
        self.path = Path(model) if model else default_model_path()
        if not self.path.is_file():
            raise ModelError(
                f"{self.path}: string model not found; export one with "
                "'formocr-train export-ctc CHECKPOINT -o PATH'"
            )
        self.card, self.sha256, self.session = load_onnx(
            self.path,
            "line_preprocess_version",
            LINE_PREPROCESS_VERSION,
            "line preprocessing",
            threads,
        )
        self.alphabet = str(self.card.get("alphabet", ""))
        if not self.alphabet or not self.alphabet.isdigit():
            raise ModelError(f"{self.path}: the card's alphabet {self.alphabet!r} is not digits")
        self.blank = int(self.card.get("blank", len(self.alphabet)))
        self.stride = int(self.card.get("stride", 4))
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        if len(inp.shape) != 4 or inp.shape[1:3] != [1, LINE_HEIGHT]:
            raise ModelError(
                f"{self.path}: expects input {inp.shape}, not (N, 1, {LINE_HEIGHT}, W)"
            )
        self.name = str(self.card.get("name", self.path.stem))
        self.batch = batch

    def log_probs(self, lines: Sequence[np.ndarray]) -> list[np.ndarray]:
        """(T_i, C) log-probabilities for normalised lines (1, 32, W_i), T_i = W_i / 4.

        Lines of the same width run together, one session call per width (the
        BiGRU reads a line both ways, so padding one line to another's width
        would change its reading): a line reads the same alone or in a batch.
        """
        out: list[np.ndarray] = [np.zeros((0, self.blank + 1))] * len(lines)
        by_width: dict[int, list[int]] = {}
        for i, line in enumerate(lines):
            by_width.setdefault(int(line.shape[-1]), []).append(i)
        for idx_all in by_width.values():
            for start in range(0, len(idx_all), self.batch):
                idx = idx_all[start : start + self.batch]
                x = np.ascontiguousarray(np.stack([lines[i] for i in idx]), dtype=np.float32)
                logits = self.session.run(None, {self.input_name: x})[0]
                lp = log_softmax(logits.astype(np.float64))
                for k, i in enumerate(idx):
                    out[i] = lp[k]
        return out

    def _reading(self, logp: np.ndarray, geo: LineGeometry) -> StringReading:
        chars = best_path(logp, self.blank)
        labels = [c[0] for c in chars]
        ll = ctc_log_likelihood(logp, labels, self.blank)
        spans = tuple(
            (
                int(np.floor(geo.to_crop(a * self.stride))),
                int(np.ceil(geo.to_crop(b * self.stride))),
            )
            for _, a, b, _ in chars
        )
        return StringReading(
            text="".join(self.alphabet[k] for k in labels),
            confidence=float(min(1.0, np.exp(ll))),
            char_confidences=tuple(min(1.0, c[3]) for c in chars),
            spans=spans,
            log_probs=logp,
        )

    def read(self, images: Sequence[np.ndarray]) -> list[StringReading]:
        """One reading per crop (uint8, dark ink on light paper, any size)."""
        if len(images) == 0:
            return []
        norm = [normalize_line_geometry(im) for im in images]
        lps = self.log_probs([n[0] for n in norm])
        return [self._reading(lp, n[1]) for lp, n in zip(lps, norm, strict=True)]

    def log_likelihood(self, image: np.ndarray, text: str) -> float:
        """log p(text | image) under the model; -inf for a text it cannot emit
        (a character outside the alphabet, or too long for the box)."""
        return self.log_likelihoods(image, [text])[0]

    def log_likelihoods(self, image: np.ndarray, texts: Sequence[str]) -> list[float]:
        """log p(text | image) for several candidate texts of one crop, one model run."""
        logp = self.log_probs([normalize_line_geometry(image)[0]])[0]
        return [self._text_log_likelihood(logp, t) for t in texts]

    def rescore(self, reading: StringReading, text: str) -> float:
        """log p(text | the crop ``reading`` was read from), on the frames
        ``read`` already computed: no second normalisation or model run."""
        if reading.log_probs is None:
            raise ValueError("rescore needs a reading made by StringReader.read")
        return self._text_log_likelihood(reading.log_probs, text)

    def _text_log_likelihood(self, logp: np.ndarray, text: str) -> float:
        if any(c not in self.alphabet for c in text):
            return float("-inf")
        return ctc_log_likelihood(logp, [self.alphabet.index(c) for c in text], self.blank)


def load_string_reader(path: Path | str | None = None, threads: int = 0) -> StringReader | None:
    """The string reader, or None when no path is given and no strings.onnx is
    shipped (the reader is optional). A given path that is missing, or a
    shipped model that fails its card, raises ModelError. ``threads``: onnxruntime's
    intra-op threads (0: its default, one per core)."""
    if path is None and not default_model_path().is_file():
        return None
    return StringReader(path, threads=threads)
