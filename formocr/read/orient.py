"""Is the page upside down? A sheet fed into the scanner the wrong way round.

Boxes look the same either way up, so the layout finds them on an upside-down
page, and both readers then read its digits turned: a 6 as a 9, a 3 as an 8,
a 1 as a 1. Such a reading can be sure of itself (the sample form turned half
a turn read `8038651` as `1598808` at 0.9989, `ok`). Both readers learnt
upright digits only, so a string box's line is read better the right way up:
the string reader's probability of its own reading, as the line lies and
turned half a turn, says which way up the page is.

``turn_gain`` reads the first lines of the page's string boxes turned (two,
or six where the two do not say the page is surely upright); with their
readings as they lie (which the page's reading needs anyway), it sums the
log-probabilities gained by turning. On 120 development pages (the
calibration writers' forms and dense pages, each read as drawn and turned
round), six lines gained at most -0.20 nats a line upright and at least +0.12
upside down.

Pages with fewer than MIN_LINES string boxes are not turned: a cut-out
amount, one line, can read a little better turned when it reads poorly
either way. Pages without string boxes (combs only) are not checked: one digit's
probability barely tells a turned 6 from an upright 9 (on the same pages the
comb cells overlapped).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from formocr.read.combine import StringReader, StringReading

__all__ = [
    "FIRST_LINES",
    "MAX_LINES",
    "MIN_LINES",
    "SURE_UPRIGHT",
    "TURN_MEAN",
    "TURN_NATS",
    "turn_gain",
    "turned",
    "upside_down",
]

# How many string lines are read turned (the first ones, in reading order):
# FIRST_LINES, then, unless they lost at least SURE_UPRIGHT nats by turning
# (most upright pages: 0.5 to 1.9 a line), up to MAX_LINES.
FIRST_LINES = 2
SURE_UPRIGHT = 1.0
MAX_LINES = 6
# A page is read turned when turning gains at least TURN_NATS in all and
# TURN_MEAN a line: upright pages lost 0.20 a line or more, upside-down ones
# gained 0.12 or more (module doc). A page read turned must then lose at least
# TURN_NATS by turning back.
TURN_NATS = 0.5
TURN_MEAN = 0.05
# ... from at least MIN_LINES lines: an amount cut out of its cheque, one
# line, read poorly either way (separators, digits cut at the edge), was read
# turned and wrong (240 fresh cheques: 11 of 480 strips cut inside the box or
# tight round the writing, among them `4601` as `7094` at 0.991).
MIN_LINES = 3
# A probability floor, so that one unreadable line cannot decide alone.
FLOOR = 1e-12


def turned(image: np.ndarray) -> np.ndarray:
    """``image`` turned half a turn."""
    return np.ascontiguousarray(image[::-1, ::-1])


def turn_gain(
    lines: Sequence[np.ndarray], readings: Sequence[StringReading], reader: StringReader
) -> tuple[int, float]:
    """(lines used, nats gained by turning them): the first lines of
    ``lines`` read turned, against ``readings``, their readings as they lie;
    FIRST_LINES of them, or MAX_LINES where the first were not surely upright."""
    most = min(MAX_LINES, len(lines), len(readings))
    n, gain = 0, 0.0
    for upto in (min(FIRST_LINES, most), most):
        if upto <= n or gain <= -SURE_UPRIGHT:
            continue
        back = reader.read([turned(line) for line in lines[n:upto]])
        gain += sum(
            math.log(max(float(b.confidence), FLOOR)) - math.log(max(float(a.confidence), FLOOR))
            for a, b in zip(readings[n:upto], back, strict=True)
        )
        n = upto
    return n, float(gain)


def upside_down(n: int, gain: float) -> bool:
    """Does turning ``n`` lines gain enough to read the page turned?"""
    return n >= MIN_LINES and gain >= TURN_NATS and gain / n >= TURN_MEAN
