"""Digit strings read by recognition: the classifier decides the cuts.

A string box's ink is over-segmented into *primitives*, left to right
(``formocr.layout.digits``): whole pen strokes, and pieces of wider ink cut
where it is thin. Every run of one to three consecutive primitives is a
*hypothesis*: a candidate digit, cut out, normalised by the one
``formocr.read.normalize`` function and classified with the rest of the page.
A reading is a path through the primitives: each step reads a hypothesis as
a digit, or skips one primitive as a stray stroke. Its score, in nats:

    sum over digits of  log p(digit | crop)       the classifier (with an 11th
                                                  "not a digit" class, a piece
                                                  or a pair takes mass from
                                                  every digit)
                      - shape cost                a digit about the string's
                                                  height, no wider than that
                                                  digit is written (a 0 is
                                                  often wider than tall)
                      - verifier cost             the verifier's doubt that the
                                                  crop is one digit at all
                                                  (formocr.read.verify)
                      - cut cost                  a cut through ink (free at
                                                  a gap between strokes; half
                                                  the price where the
                                                  verifier judges the pieces)
                      - DIGIT_COST                each digit read
    - skip cost of each primitive left out

``Lattice.best`` finds the best path by dynamic programming;
``Lattice.score`` scores a given text (the best path that spells it), so
another reader's answer can be weighed on the same scale; and
``LatticeReading.posterior`` is the best path's share of all paths, the
lattice's own doubt about its cuts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from formocr.types import BBox, StringInk

__all__ = [
    "DIGIT_COST",
    "Hypothesis",
    "Lattice",
    "LatticeDigit",
    "LatticeReading",
    "candidate",
    "class_log_probs",
    "lattice_of",
    "shape_cost",
    "shape_costs",
]

# Each digit read costs this (nats): between readings equally sure of their
# digits, the one with fewer cuts wins.
DIGIT_COST = 2.0
# A digit is at least this share of the string's digit height (below, a
# piece: a 5's bar, a stroke's end) ...
MIN_HEIGHT = 0.55
# ... and no wider than this share of it (a wide 0 or a 2 with a loop is
# about 0.9; two digits touching 1.1 and up).
MAX_WIDTH = 0.95
# ... nor than WIDE x the string's typical digit width.
WIDE = 1.3
# How much wider than those bounds each digit may be written, 0 to 9: its
# 95th-percentile ink width over height among MNIST's *training* digits
# (0: 1.25, 2: 1.33, 3 and 4: 1.11, 5: 1.43, 6: 1.0, 7 and 8: 1.05; 1 and
# 9 under 0.95), as a share of MAX_WIDTH, never under 1. A round amount's
# zeros are often wider than tall: held to one bound for all digits, the 0 was
# cheaper read as a 6 with its right side left out.
CLASS_WIDE = (1.316, 1.0, 1.4, 1.168, 1.168, 1.505, 1.053, 1.105, 1.105, 1.0)
# ... but only ink with no more loops than the digit has, 0 to 9: two
# touching zeros (two loops side by side) are no wide 0, and a 9 touching a
# 7 is no wide 5.
CLASS_HOLES = (1, 0, 1, 0, 1, 0, 1, 0, 2, 1)
# ... and only ink the classifier reads as that digit at least this sure:
# at 0.9, touching pairs of broad-pen writers were let off as one digit
# ("34" as a 4, "21" as a 2).
WIDE_SURE = 0.99
# A 1 is one stroke: ink whose rows cross two strokes side by side
# (``StringInk``'s ``side_by_side``; two 1s written close) costs, read as a
# 1, ONE_STROKE_SLOPE nats per tenth of its rows beyond ONE_STROKE. On
# MNIST validation writers' strings cut by the runtime (40 pages), 1.0 % of
# 919 1s are over 0.15 (none over 0.3), and 60 % of 133 pairs of 1s taken
# as one candidate (56 % over 0.2).
ONE_STROKE = 0.15
ONE_STROKE_SLOPE = 3.0
# Nats per tenth of the digit height beyond those bounds.
HEIGHT_SLOPE = 2.0
WIDTH_SLOPE = 3.0
# A digit read from a candidate the verifier doubts costs this many times
# -log(1 - p(not one digit)) nats (``verify_cost``).
VERIFY_WEIGHT = 1.0
# With the verifier, a cut through ink costs this share of the layout's
# price (``StringInk.cut_costs``): that price stood in for what the verifier
# now says, whether the pieces a cut leaves are digits.
VERIFIED_CUTS = 0.5
NEG_INF = -math.inf


@dataclass(frozen=True)
class Hypothesis:
    """Primitives ``start`` .. ``end - 1`` read as one digit.

    ``log_probs`` are the classifier's natural-log class probabilities (10
    digits, and optionally an 11th "not a digit" class, which no path
    reads); ``cost`` is its shape cost in nats, one for every digit or one
    per digit 0-9 (``shape_costs``).
    """

    start: int
    end: int
    log_probs: np.ndarray
    cost: float | np.ndarray = 0.0
    bbox: BBox | None = None
    not_digit: float = 0.0  # the verifier's p(not one digit); its cost is in ``cost``
    side_by_side: float = 0.0  # ``Segment.side_by_side`` of its ink

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(
                f"a hypothesis spans primitives start < end, got {self.start, self.end}"
            )
        if self.log_probs.shape not in ((10,), (11,)):
            raise ValueError(f"log_probs must have 10 or 11 classes, got {self.log_probs.shape}")
        if np.ndim(self.cost) and np.shape(self.cost) != (10,):
            raise ValueError(f"cost must be one value or one per digit, got {np.shape(self.cost)}")

    @cached_property
    def _scores(self) -> np.ndarray:
        return np.asarray(self.log_probs[:10], np.float64) - self.cost

    def scores(self) -> np.ndarray:
        """Each digit's log-probability less its shape cost (10 values)."""
        return self._scores


@dataclass(frozen=True)
class LatticeDigit:
    value: str
    confidence: float  # the classifier's probability of this digit for this crop
    start: int
    end: int
    bbox: BBox | None
    top3: tuple[tuple[str, float], ...]
    not_digit: float = 0.0  # the verifier's p(not one digit) for its crop
    side_by_side: float = 0.0  # the share of its ink's rows crossing two strokes


@dataclass(frozen=True)
class LatticeReading:
    """The best path: its digits, its score and the log-sum of all paths' scores."""

    text: str
    digits: tuple[LatticeDigit, ...]
    score: float
    total: float

    @property
    def posterior(self) -> float:
        """The best path's share of all paths (1.0 when nothing else is possible)."""
        if self.score == NEG_INF:
            return 0.0
        return float(min(1.0, math.exp(self.score - self.total)))

    @property
    def confidence(self) -> float:
        """The least sure digit's probability (0.0 for no digit)."""
        return min((d.confidence for d in self.digits), default=0.0)


def shape_cost(
    w: float, h: float, digit_h: float, digit_w: float = 0.0, wide: float = 1.0
) -> float:
    """Cost (nats) of reading ink ``w`` x ``h`` px as one digit of a string
    whose digits are ``digit_h`` px tall and typically ``digit_w`` wide (0:
    unknown): nothing within the bounds, then rising linearly. The widest
    digit is MAX_WIDTH x the height, or WIDE x the typical width if less,
    times ``wide`` (a digit written wide: CLASS_WIDE)."""
    if digit_h <= 0:
        return 0.0
    widest = MAX_WIDTH * digit_h
    if digit_w > 0:
        widest = min(widest, WIDE * digit_w)
    widest *= wide
    rh = h / digit_h
    cost = 0.0
    if rh < MIN_HEIGHT:
        cost += HEIGHT_SLOPE * (MIN_HEIGHT - rh) * 10.0
    if w > widest:
        cost += WIDTH_SLOPE * (w - widest) / digit_h * 10.0
    return cost


def shape_costs(
    w: float,
    h: float,
    digit_h: float,
    digit_w: float = 0.0,
    holes: int = -1,
    log_probs: np.ndarray | None = None,
    side_by_side: float = 0.0,
) -> np.ndarray:
    """``shape_cost`` of the ink read as each digit 0-9. A digit is allowed
    as wide as it is written (CLASS_WIDE) where the ink closes no more
    loops than it has (CLASS_HOLES; ``holes`` -1: not counted) and the
    classifier reads the ink as that digit with at least WIDE_SURE
    (``log_probs``; None: never). Elsewhere every digit has the one bound
    of ``shape_cost``: a pair the classifier is unsure of is not let off as
    one wide digit. Read as a 1, ink with two strokes side by side in
    ``side_by_side`` of its rows pays more (ONE_STROKE)."""
    sure = np.zeros(10, bool) if log_probs is None else np.exp(log_probs[:10]) >= WIDE_SURE
    costs = np.array(
        [
            shape_cost(w, h, digit_h, digit_w, k if ok and 0 <= holes <= most else 1.0)
            for k, most, ok in zip(CLASS_WIDE, CLASS_HOLES, sure, strict=True)
        ]
    )
    costs[1] += ONE_STROKE_SLOPE * max(0.0, side_by_side - ONE_STROKE) * 10.0
    return costs


def _logsumexp(values: Sequence[float]) -> float:
    finite = [v for v in values if v != NEG_INF]
    if not finite:
        return NEG_INF
    m = max(finite)
    return m + math.log(sum(math.exp(v - m) for v in finite))


class Lattice:
    """The hypotheses over ``n`` primitives, with the costs of cuts and skips.

    ``cut_costs[i]`` is paid when a digit starts at primitive ``i`` after
    another one (0 where the primitives are apart, more where the cut goes
    through ink; index 0 is never paid). ``skip_costs[i]`` is the cost of
    leaving primitive ``i`` out (``inf``: it must be read).
    """

    def __init__(
        self,
        n: int,
        hypotheses: Sequence[Hypothesis],
        cut_costs: Sequence[float] | None = None,
        skip_costs: Sequence[float] | None = None,
        digit_cost: float = DIGIT_COST,
    ) -> None:
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        for h in hypotheses:
            if h.end > n:
                raise ValueError(f"hypothesis {h.start}..{h.end} beyond {n} primitives")
        self.n = n
        self.cut = [0.0] * n if cut_costs is None else [float(c) for c in cut_costs]
        self.skip = [math.inf] * n if skip_costs is None else [float(c) for c in skip_costs]
        if len(self.cut) != n or len(self.skip) != n:
            raise ValueError("cut_costs and skip_costs need one value per primitive")
        self.digit_cost = digit_cost
        self.ending: list[list[Hypothesis]] = [[] for _ in range(n + 1)]
        for h in hypotheses:
            self.ending[h.end].append(h)

    def _step(self, h: Hypothesis, d: int) -> float:
        """Score of reading ``h`` as digit ``d``, cut cost included."""
        cut = self.cut[h.start] if h.start > 0 else 0.0
        return float(h.scores()[d]) - cut - self.digit_cost

    def best(self) -> LatticeReading:
        """The best path by dynamic programming, and the log-sum of all paths."""
        n = self.n
        best = [NEG_INF] * (n + 1)
        back: list[tuple[Hypothesis, int] | None] = [None] * (n + 1)
        total = [NEG_INF] * (n + 1)
        best[0] = total[0] = 0.0
        for j in range(1, n + 1):
            terms = []
            skip = -self.skip[j - 1]
            if best[j - 1] + skip > best[j]:
                best[j], back[j] = best[j - 1] + skip, None
            terms.append(total[j - 1] + skip)
            for h in self.ending[j]:
                lp = h.scores()
                d = int(np.argmax(lp))
                s = best[h.start] + self._step(h, d)
                if s > best[j]:
                    best[j], back[j] = s, (h, d)
                base = self._step(h, 0) - float(lp[0])  # the costs without the class
                terms.append(total[h.start] + base + _logsumexp([float(v) for v in lp]))
            total[j] = _logsumexp(terms)
        digits: list[LatticeDigit] = []
        j = n
        while j > 0 and best[j] != NEG_INF:
            step = back[j]
            if step is None:
                j -= 1
                continue
            h, d = step
            digits.append(_digit(h, d))
            j = h.start
        digits.reverse()
        return LatticeReading("".join(x.value for x in digits), tuple(digits), best[n], total[n])

    def score(self, text: str) -> float:
        """The best path's score among paths that spell ``text`` (-inf if none can)."""
        spelt = self.spell(text)
        return NEG_INF if spelt is None else spelt.score

    def spell(self, text: str) -> LatticeReading | None:
        """The best path that spells ``text``, or None if no path can."""
        if not (text.isdigit() and text.isascii()) and text != "":
            return None
        n, m = self.n, len(text)
        # s[j][k]: best score covering primitives < j having read text[:k].
        s = [[NEG_INF] * (m + 1) for _ in range(n + 1)]
        back: list[list[Hypothesis | None]] = [[None] * (m + 1) for _ in range(n + 1)]
        s[0][0] = 0.0
        for j in range(1, n + 1):
            for k in range(m + 1):
                v = s[j - 1][k] - self.skip[j - 1]
                how: Hypothesis | None = None
                if k:
                    d = int(text[k - 1])
                    for h in self.ending[j]:
                        t = s[h.start][k - 1] + self._step(h, d)
                        if t > v:
                            v, how = t, h
                s[j][k], back[j][k] = v, how
        if s[n][m] == NEG_INF:
            return None
        digits: list[LatticeDigit] = []
        j, k = n, m
        while j > 0:
            step = back[j][k]
            if step is None:
                j -= 1
                continue
            digits.append(_digit(step, int(text[k - 1])))
            j, k = step.start, k - 1
        digits.reverse()
        return LatticeReading(text, tuple(digits), s[n][m], self.best().total)


def _digit(h: Hypothesis, d: int) -> LatticeDigit:
    p = np.exp(h.log_probs[:10])
    order = np.argsort(-p)[:3]
    top3 = tuple((str(int(k)), float(p[k])) for k in order)
    return LatticeDigit(
        str(d), float(min(1.0, p[d])), h.start, h.end, h.bbox, top3, h.not_digit, h.side_by_side
    )


def class_log_probs(
    classifier: object,
    images: Sequence[np.ndarray],
    second_look: bool = True,
    normalised: np.ndarray | None = None,
) -> np.ndarray:
    """(N, 10) or (N, 11) natural-log class probabilities of the crops.

    ``second_look=False`` skips the digit model's shifted re-reading of the
    crops it is unsure of: a lattice's candidates are mostly pieces and pairs
    that it is rightly unsure of, and reading them five times cost a fifth
    of a dense page's CPU without changing what was read.

    Uses the classifier's calibrated probabilities of the normalised crops
    over all its classes (``all_probabilities``: the digit model with its
    "not a digit" class; else ``probabilities``), else a ``log_probs`` of
    the crops themselves, else spreads each prediction's left-over probability
    over the classes outside its top three (a classifier that only
    ``classify``-s, as the tests' fakes do). ``normalised``: the crops'
    ``normalize_batch``, where the caller has it already.
    """
    if len(images) == 0:
        return np.zeros((0, 10), np.float64)
    from formocr.read.normalize import normalize_batch

    # DigitClassifier: every class the model has, on the one normalisation.
    def x() -> np.ndarray:
        return normalize_batch(list(images)) if normalised is None else normalised

    all_fn = getattr(classifier, "all_probabilities", None)
    if callable(all_fn):
        probs = np.asarray(all_fn(x(), second_look), np.float64)
        return np.log(np.clip(probs, 1e-12, 1.0))
    probs_fn = getattr(classifier, "probabilities", None)
    if callable(probs_fn):
        probs = np.asarray(probs_fn(x()), np.float64)
        return np.log(np.clip(probs, 1e-12, 1.0))
    fn = getattr(classifier, "log_probs", None)
    if callable(fn):
        return np.asarray(fn(list(images)), np.float64)
    preds = classifier.classify(list(images))  # type: ignore[attr-defined]
    out = np.zeros((len(preds), 10), np.float64)
    for i, p in enumerate(preds):
        row = np.zeros(10)
        for d, c in p.top3:
            row[int(d)] = c
        rest = max(0.0, 1.0 - row.sum())
        free = row == 0
        if free.any():
            row[free] = rest / free.sum()
        out[i] = np.log(np.clip(row, 1e-12, 1.0))
    return out


def verify_cost(not_digit: float) -> float:
    """Nats charged to a digit read from a candidate the verifier
    (``formocr.read.verify``) doubts is one digit at all."""
    return VERIFY_WEIGHT * -math.log(max(1e-9, 1.0 - float(not_digit)))


def lattice_of(
    ink: StringInk,
    log_probs: np.ndarray,
    digit_cost: float = DIGIT_COST,
    not_digit: np.ndarray | None = None,
) -> Lattice:
    """The lattice of a string box's ink, given the log-probabilities of its
    segments' crops (one row per segment, in order) and, optionally, the
    verifier's probability that each is not one digit."""
    if len(log_probs) != len(ink.segments):
        raise ValueError(
            f"{len(log_probs)} rows of log-probabilities for {len(ink.segments)} segments"
        )
    if not_digit is not None and len(not_digit) != len(ink.segments):
        raise ValueError(f"{len(not_digit)} verifier values for {len(ink.segments)} segments")
    doubts = [0.0] * len(ink.segments) if not_digit is None else [float(p) for p in not_digit]
    scale = 1.0 if not_digit is None else VERIFIED_CUTS
    cuts = [c * scale for c in ink.cut_costs]
    hyps = [
        candidate(s.start, s.end, lp, s.size, ink, s.holes, s.side_by_side, p, s.crop.bbox, s.cost)
        for s, lp, p in zip(ink.segments, log_probs, doubts, strict=True)
    ]
    return Lattice(ink.primitives, hyps, cuts, ink.skip_costs, digit_cost)


def candidate(
    start: int,
    end: int,
    log_probs: np.ndarray,
    size: tuple[float, float],
    ink: StringInk,
    holes: int,
    side_by_side: float,
    not_digit: float,
    bbox: BBox | None,
    cost: float = 0.0,
) -> Hypothesis:
    """Primitives ``start`` .. ``end - 1`` of ``ink`` as one digit, priced by
    the lattice's rules: its shape (``shape_costs`` of its ``size``, loops
    and strokes side by side on the string), ``cost`` (joins), and the
    verifier's doubt ``not_digit``."""
    lp = np.asarray(log_probs)
    shape = shape_costs(*size, ink.digit_height, ink.digit_width, holes, lp, side_by_side)
    return Hypothesis(
        start, end, lp, shape + cost + verify_cost(not_digit), bbox, not_digit, side_by_side
    )
