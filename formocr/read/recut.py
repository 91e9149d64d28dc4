"""A string box read again on the string reader's cuts: the lattice's second look.

When the two readers disagree, the lattice may have lacked the one cut the
string reader's reading needs: two digits written touching, joined where no
valley or thin join marks a cut. The string reader's frames say where each of
its digits lies (``StringReading.spans``). Cutting the box's line between
them gives one candidate per digit, two ways: straight down the column of
least ink, and along the seam that crosses the least ink (it bends round a
digit leaning over its neighbour). The lattice scores each path by its own
rules (``formocr.read.lattice``): the digit model's log-probability, the
shape and verifier costs, CUT_NATS for each stroke a cut goes through, and
the skip cost of ink the pieces leave out. When the better path scores
better than the lattice's own best reading, it is the lattice's reading
(``second_look``), and the two readers agree on the lattice's terms; the
field's confidence is then the lesser of the two readers', as for any
agreement.

Two readers that agree can both be wrong the same way, and the one way
measured is a 1 written close to or over its neighbour, left out by both
(``bench/ones.py``). So the second look is not taken where the string
reader read fewer digits than the lattice, or more than one digit more (the
lattice read a cluster of digits as far fewer: the cluster may hold yet
another, and two 1s drawn over each other cut as one piece look like one 1);
where the verifier doubts a piece is one digit (p >= SURE_DIGIT) and the
piece is read as a 1 (it may hold two) or was cut out of paper on both sides
(its own ink doubted: a digit so broken that both readers misread it; a piece
cut through ink may owe the doubt to a scrap of its neighbour, and there the
string reader is mostly right); or where the string reader finds the reading
with one more 1 nearly as likely as its own (ONE_MORE_ONE).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np

from formocr.read.lattice import (
    VERIFIED_CUTS,
    Lattice,
    LatticeReading,
    candidate,
    class_log_probs,
)
from formocr.stats import labelled
from formocr.types import StringInk

if TYPE_CHECKING:
    from formocr.read.combine import StringReader, StringReading

# The first and last pieces reach this many typical digit widths beyond the
# string reader's first and last frames (a frame is where a digit's label
# peaks, about its middle); ink farther out is left out, at the skip cost.
REACH = 0.75
# The re-read is refused where the string reader puts a reading with one
# more 1 at least exp(ONE_MORE_ONE) as likely as its own (nats).
ONE_MORE_ONE = -5.0
# A piece the verifier doubts (p(not one digit) at least this) is refused
# where it is read as a 1 or no cut of its goes through ink.
SURE_DIGIT = 0.5
# The string reader may read at most this many digits more than the lattice.
MAX_MORE = 1
# A piece's crop keeps this share of the digit height as a margin of paper.
MARGIN = 0.1


def cut_columns(mask: np.ndarray, spans: Sequence[tuple[int, int]], reach: float) -> list[int]:
    """Column bounds of one piece per span: [b0, b1, ..., bk] for k spans.

    Between two spans, the column of least ink (the nearest the middle
    among equals); the outer bounds ``reach`` px beyond the first and last
    spans, within the mask."""
    w = mask.shape[1]
    ink = mask.sum(axis=0).astype(np.float64)
    bounds = [max(0, int(math.floor(spans[0][0] - reach)))]
    for (_, end), (start, _) in zip(spans[:-1], spans[1:], strict=True):
        lo, hi = max(0, end), min(w, start + 1)
        mid = (end + start) / 2.0
        if hi <= lo:
            bounds.append(int(round(mid)))
            continue
        # The least ink; between equals, the column nearest the middle.
        cols = np.arange(lo, hi)
        bounds.append(int(cols[np.argmin(ink[lo:hi] + 1e-3 * np.abs(cols - mid))]))
    bounds.append(min(w, int(math.ceil(spans[-1][1] + reach))))
    return bounds


def cut_seams(
    mask: np.ndarray, spans: Sequence[tuple[int, int]], bounds: Sequence[int]
) -> list[np.ndarray]:
    """The cuts between the pieces as seams: for each inner bound of
    ``cut_columns``, the top-to-bottom path through the columns between the
    two spans that crosses the least ink (``formocr.layout.digits.cut_path``:
    it bends round a digit leaning over its neighbour, where a straight cut
    slices both); the outer bounds stay straight. Each is a column per row,
    each at or right of the one before."""
    from formocr.layout.digits import cut_path

    h, w = mask.shape
    seams = [np.full(h, bounds[0], np.int64)]
    for (_, end), (start, _), b in zip(spans[:-1], spans[1:], bounds[1:-1], strict=True):
        lo, hi = max(0, min(end, b)), min(w, max(start, b) + 1)
        _, path = cut_path(mask, lo, hi, float(b))
        seams.append(np.maximum(path, seams[-1]))
    seams.append(np.maximum(np.full(h, bounds[-1], np.int64), seams[-1]))
    return seams


def recut(
    ink: StringInk,
    spans: Sequence[tuple[int, int]],
    text: str,
    classifier: object,
) -> LatticeReading | None:
    """The lattice's reading of ``text`` on the string reader's cuts (see the
    module doc), or None where the line cannot be cut that way (no line, no
    ink in a piece, pieces out of order) or the verifier doubts a piece that
    must be one digit (SURE_DIGIT: read as a 1, or cut out of paper).

    The pieces are cut two ways, straight down at the columns of
    ``cut_columns`` and along ``cut_seams``; where both give a reading, the
    one the lattice scores better is kept (a seam slips between digits that
    lean over each other, and can also run through a loop where the straight
    cut is right)."""
    from formocr.layout.digits import ink_mask

    line = ink.line
    if line is None or not text or len(spans) != len(text) or line.ndim != 2:
        return None
    dh = max(1.0, float(ink.digit_height))
    dw = float(ink.digit_width) if ink.digit_width > 0 else 0.7 * dh
    if ink.line_marks is not None and ink.line_marks.shape == line.shape:
        # Separators and signs are marks, not part of a digit: a comma would
        # make the piece it falls in a digit and a mark to the verifier.
        line = np.where(ink.line_marks, np.uint8(255), line)
    mask = ink_mask(cv2.subtract(np.full_like(line, 255), line))
    bounds = cut_columns(mask, spans, REACH * dw)
    if any(b1 <= b0 for b0, b1 in zip(bounds[:-1], bounds[1:], strict=True)):
        return None
    h = mask.shape[0]
    straight = [np.full(h, b, np.int64) for b in bounds]
    ways = [straight]
    seams = cut_seams(mask, spans, bounds)
    if any(not np.array_equal(a, b) for a, b in zip(seams, straight, strict=True)):
        ways.append(seams)
    readings = [_read_pieces(ink, line, mask, cuts, text, classifier, dh, dw) for cuts in ways]
    found = [r for r in readings if r is not None]
    return max(found, key=lambda r: r.score) if found else None


def _read_pieces(
    ink: StringInk,
    line: np.ndarray,
    mask: np.ndarray,
    seams: Sequence[np.ndarray],
    text: str,
    classifier: object,
    dh: float,
    dw: float,
) -> LatticeReading | None:
    """``text`` spelt by the lattice over the pieces between ``seams`` (a
    column per row each, the first and last straight), or None (see recut);
    ``dh`` and ``dw``: the string's digit height and typical width, px."""
    from formocr.layout.digits import (
        CUT_NATS,
        HOLE_AREA,
        SKIP_NATS,
        count_holes,
        strokes_crossed,
    )
    from formocr.layout.digits import side_by_side as two_strokes
    from formocr.read.normalize import normalize_batch
    from formocr.read.verify import geometry_row

    margin = max(2, int(round(MARGIN * dh)))
    h_line, w_line = line.shape
    cols = np.arange(w_line)[None, :]
    crops, sizes, holes, shares, boxes = [], [], [], [], []
    for a, b in zip(seams[:-1], seams[1:], strict=True):
        # The piece is the ink between its two seams, row by row; the
        # neighbours' ink is whited out.
        own = (cols >= a[:, None]) & (cols < b[:, None])
        piece = np.where(own, mask, np.uint8(0))
        x, y, w, h = cv2.boundingRect(piece)
        if w == 0:
            return None
        y0, y1 = max(0, y - margin), min(h_line, y + h + margin)
        x0, x1 = max(0, x - margin), min(w_line, x + w + margin)
        crop = np.where(own[y0:y1, x0:x1], line[y0:y1, x0:x1], np.uint8(255))
        crops.append(np.ascontiguousarray(crop, np.uint8))
        boxes.append(ink.on_page(x, y, w, h))
        sub = piece[y : y + h, x : x + w]
        sizes.append((float(w), float(h)))
        holes.append(count_holes(sub, HOLE_AREA * dh * dh))
        shares.append(two_strokes(sub))
    x_in = normalize_batch(crops)
    logp = class_log_probs(classifier, crops, second_look=False, normalised=x_in)
    verifier = getattr(classifier, "verifier", None)
    if verifier is not None:
        geo = np.stack(
            [geometry_row(w, h, dh, dw, 1, k) for (w, h), k in zip(sizes, holes, strict=True)]
        )
        doubts = [float(p) for p in verifier.not_digit(x_in, geo)]
    else:
        doubts = [0.0] * len(crops)
    rows, w_mask = np.arange(mask.shape[0]), mask.shape[1]
    # The strokes each seam cuts; none where it runs along the line's edge.
    crossed = [
        strokes_crossed(np.where((c > 0) & (c < w_mask), mask[rows, np.clip(c, 0, w_mask - 1)], 0))
        for c in seams
    ]
    for i, (p, ch) in enumerate(zip(doubts, text, strict=True)):
        # A doubted piece only where it was cut out of ink (the doubt may be
        # a scrap of its neighbour), and never read as a 1.
        if p >= SURE_DIGIT and (ch == "1" or not (crossed[i] or crossed[i + 1])):
            return None
    scale = VERIFIED_CUTS if verifier is not None else 1.0
    cuts = [0.0] + [CUT_NATS * scale * n for n in crossed[1:-1]]
    # Ink the pieces leave out, at the lattice's price of a primitive skipped.
    outside = 0.0
    for part in (mask[:, : int(seams[0][0])], mask[:, int(seams[-1][0]) :]):
        if part.size and part.any():
            n, _, stats = labelled(part)
            outside += sum(SKIP_NATS * min(1.0, stats[i, 3] / dh) for i in range(1, n))
    hyps = [
        candidate(i, i + 1, lp, size, ink, k, s, p, box)
        for i, (lp, size, k, s, p, box) in enumerate(
            zip(logp, sizes, holes, shares, doubts, boxes, strict=True)
        )
    ]
    spelt = Lattice(len(crops), hyps, cuts, [math.inf] * len(crops)).spell(text)
    if spelt is None:
        return None
    return LatticeReading(text, spelt.digits, spelt.score - outside, spelt.total)


def second_look(
    ink: StringInk,
    best: LatticeReading,
    reading: StringReading,
    reader: StringReader,
    classifier: object,
) -> LatticeReading:
    """The lattice's reading ``best``, or, where the string reader's
    ``reading`` differs, the lattice's reading of that text on the string
    reader's cuts (``recut``) when it scores better by the lattice's rules.

    Not taken where the string reader read fewer digits than the lattice or
    more than MAX_MORE more, nor where it puts a reading with one more 1 at
    least exp(ONE_MORE_ONE) as likely as its own (both readers can leave out
    a 1 written close to or over its neighbour: then they should not be made
    to agree).
    """
    text = reading.text
    spans = getattr(reading, "spans", None)  # formocr.read.ctc's readings have them
    more_digits = len(text) - len(best.text)
    if text == best.text or not 0 <= more_digits <= MAX_MORE or spans is None:
        return best
    again = recut(ink, spans, text, classifier)
    if again is None or again.score <= best.score:
        return best
    own = math.log(max(reading.confidence, 1e-300))
    more = max(reader.rescore(reading, text[:i] + "1" + text[i:]) for i in range(len(text) + 1))
    return best if more - own >= ONE_MORE_ONE else again
