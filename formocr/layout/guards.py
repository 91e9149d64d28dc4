"""A guard written on both sides of an amount, told from a digit by its shape.

Many people guard a cheque's amount so that nothing can be written beside
it later: ``#1,250.00#``. The digit models have no class for a ``#``; both
string readers read one as a digit (a 4, an 8, a 1 and a 4), and where they
agreed on the wrong digits the field came back ``ok`` (``bench/cheques.py
--guard '#'``: 1 of 1 `ok` field wrong, 4 of 4 cut out; BENCHMARKS.md,
thirty-seventh session). A ``#`` is two bars, one beside the other, and two
rungs across them, and its rows say so where no digit's do:

- **two bars above and below**: in most rows of its top GUARD_ENDS and of
  its foot, exactly two runs of ink (a 0's and an 8's loops have that at
  their top and foot too; a 4's, 6's, 7's and 9's have one stroke there);
- **two rungs with the bars between them**: further in, a row of one run
  across GUARD_RUNG of its width, then rows of two runs, then another
  such row (no 0 or 8 has a stroke right across its middle; a 4 written
  open, like an H, has one crossbar).

Measured on the 10,000 MNIST test digits at 40, 84 and 120 px (none taken
for a guard) and on 500 ``#`` drawn by the project's marks (``training.synth
.marks.hash_paths``; 467 found). A ``#`` drawn with a pen so broad that its
middle fills in is not found, and is read as before.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["is_guard"]

# A guard: this share of the digits' height, and no wider than GUARD_WIDE x tall.
GUARD_TALL = (0.45, 1.3)
GUARD_WIDE = (0.35, 1.2)
# A rung: one run of ink across at least this share of the guard's width.
GUARD_RUNG = 0.6
# Above the top rung and below the bottom one, both bars stick out: at least
# this share of its height in rows of exactly two runs, one after the other.
GUARD_STUB = 0.08
# Each row as a letter: "r" a rung, "2" two runs (the bars), "x" anything else.
# From the top: the bars' stubs, a rung, the rows between the rungs (the bars,
# or where a broad pen filled the middle, neither), a rung, the bars' stubs.
# The top rung's first row, and the bottom rung's last, lie within these
# shares of its height, at least GUARD_APART of it apart.
GUARD_FIRST = (0.15, 0.55)
GUARD_LAST = (0.45, 0.85)
GUARD_APART = 0.2
# At most this share of its rows are neither a rung nor the two bars.
GUARD_OTHER = 0.3
_SHAPE = "[^r]*2{{{k},}}[^r]*r+(?:[^r]+r+)+[^r]*2{{{k},}}[^r]*"


def _runs(mask: np.ndarray) -> np.ndarray:
    """Runs of ink in each row of a boolean mask."""
    starts = mask[:, 1:] > mask[:, :-1]
    return np.asarray(starts.sum(axis=1) + mask[:, 0])


def is_guard(mask: np.ndarray, top: float, base: float) -> bool:
    """Is this blob (uint8 0/1 ``mask``) a ``#`` written to guard an amount,
    among digits whose band runs from row ``top`` to ``base``?"""
    h, w = mask.shape
    band = max(1.0, base - top)
    if not GUARD_TALL[0] * band <= h <= GUARD_TALL[1] * band:
        return False
    if not GUARD_WIDE[0] * h <= w <= GUARD_WIDE[1] * h:
        return False
    ink = mask > 0
    # A pixel's gap in a stroke (a faint pen) does not part it in two.
    ink[:, 1:-1] |= ink[:, :-2] & ink[:, 2:]
    runs = _runs(ink)
    across = w - ink[:, ::-1].argmax(axis=1) - ink.argmax(axis=1)  # first to last ink
    rung = (runs == 1) & (across >= GUARD_RUNG * w)
    if not rung.any():
        return False
    letters = np.where(rung, ord("r"), np.where(runs == 2, ord("2"), ord("x")))
    rows = letters.astype(np.uint8).tobytes().decode()
    if rows.count("x") > GUARD_OTHER * h:
        return False  # a digit's curves and slants
    k = max(2, int(round(GUARD_STUB * h)))
    if re.fullmatch(_SHAPE.format(k=k), rows) is None:
        return False
    # The rungs across its middle, apart (a 2's loop and foot lie low).
    ys = np.flatnonzero(rung)
    first, last = ys[0] / h, ys[-1] / h
    return bool(
        GUARD_FIRST[0] <= first <= GUARD_FIRST[1]
        and GUARD_LAST[0] <= last <= GUARD_LAST[1]
        and last - first >= GUARD_APART
    )
