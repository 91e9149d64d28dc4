"""Run configuration: one frozen record that the CLI builds and the API reads."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from formocr.templates.template import Template

# A field whose confidence is below this goes to human review.
# Fitted by bench/calibrate.py (150 pages, 2,832 fields, seeds 91,000-91,149) on
# the calibration writers (training.splits: a third of the MNIST test writers
# and three optdigits blocks, which no model trained on and the headline
# leaves out): per field kind, the lowest threshold that kept the error among
# the fields it decides at or under 0.5 %, half the 1 % promised, as a margin
# for pages unlike those. First fitted as the comb fields' (0.9962: 514 of 724
# accepted, 2 wrong), rounded up. The code since fits the comb fields at
# 0.9895 (572 of 727, 2 wrong; BENCHMARKS.md, twenty-fifth session), whose 95 %
# upper bound of the error is 1.10 %: over the 1 % promised, so 0.997 stays.
# DEFAULT_COMBINE_POWER maps the strings' own threshold onto it (0.9966 as read with power 0.0302: 1,487 of
# 1,680, 7 wrong; digit model d81f01896e3b, string model d07fc51d09cc,
# BENCHMARKS.md, twenty-second session). A first fit on 60 pages pooled both
# kinds (0.928) and let 1.8 % wrong fields through on these 150.
DEFAULT_MIN_CONFIDENCE = 0.997
DEFAULT_DPI = 300
# About an A0 sheet at 300 dpi; more than that is almost surely a wrong --dpi.
DEFAULT_MAX_MEGAPIXELS = 150.0
# Seconds one page may take to render and to read before it fails alone
# (a render bomb, a pathological page); generous for a 600-dpi A3 scan.
DEFAULT_PAGE_TIMEOUT = 120.0
# How a colour page becomes greyscale (formocr.io.dropout): detect the printing's
# colour, drop a named one, or none (plain luminance).
DropoutMode = Literal["auto", "none", "red", "green", "blue"]
# How a string box (not a comb) is read: "cuts" (the width rule cuts the ink,
# each cut classified alone: the old path), "lattice" (recognition picks the
# cuts, formocr.read.lattice), "ctc" (the segmentation-free reader alone) or
# "combined" (lattice and CTC, formocr.read.combine). Without a shipped
# string model, "ctc" and "combined" read as "lattice". The environment
# variable FORMOCR_STRING_READER sets the default (for ablations).
StringReaderMode = Literal["cuts", "lattice", "ctc", "combined"]
DEFAULT_STRING_READER: StringReaderMode = "combined"
# The combined confidence's calibration map p -> p ** power (formocr.read.combine.calibrate),
# fitted by bench/calibrate.py on the same pages so that a string's confidence
# at its own threshold (above) equals the comb fields' threshold: one
# --min-confidence, each kind held to the same error. Strings whose two readers
# agree are rarely wrong, so the power is small (the models above).
DEFAULT_COMBINE_POWER = 0.0265
# Under the threshold, the power map says more than a string's chance of being
# right (on the headline pages, strings at 0.9-0.97 were right half the time).
# These knots (confidence as mapped above -> share of such strings read right,
# isotonic, on the same calibration pages; bench/calibrate.py) map it on to
# that chance, rising strictly so that no two fields the readers rank apart
# tie; from the last knot (the threshold) up, nothing changes, so no status
# changes at the default --min-confidence (formocr.read.combine.calibrate).
DEFAULT_STRING_MAP: tuple[tuple[float, float], ...] = (
    (0.0, 0.0),
    (0.538864, 0.603896),
    (0.977435, 0.792208),
    (0.98062, 0.896104),
    (0.981549, 0.934426),
    (0.997, 0.997),
)
# A comb cell (or a string's digit) whose crop the classifier's "not a digit"
# class takes at least this probability goes to review.
NOT_DIGIT_REVIEW = 0.5
# A string's digit the verifier (formocr.read.verify) doubts as much, which
# the digit model reads at under this, goes to review too: two doubts at
# once. (Letters written in a digit box, read as digits by both readers.)
NOT_DIGIT_UNSURE = 0.95
# ... and so does a 1 it doubts as much whose ink crosses two strokes side
# by side in at least this share of its rows: two 1s written close, read as
# one by both readers (``formocr.layout.digits.side_by_side``; 1 in 919 of
# MNIST validation writers' 1s reaches it, 44 % of pairs of 1s cut as one;
# at 0.2, 7 of the 120 headline pages' `ok` fields went to review, all right).
TWO_ONES = 0.25


def one_blas_thread() -> None:
    """Ask numpy's OpenBLAS for one thread, unless the user set a number.

    On import, numpy's OpenBLAS starts a thread per core, and they spin: 0.13 s
    of CPU in each process that imports numpy (the CLI and every ``--jobs``
    worker), for matrix work formocr never does (its models run in
    onnxruntime; its numpy products are 3 x 3). It takes effect only in a
    process that has not imported numpy yet, and in the children it starts.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def one_opencv_thread() -> None:
    """Run OpenCV on one thread in this process: a process that reads one page
    at a time on one core (a ``--jobs`` worker, or the command with
    ``--jobs 1``). OpenCV's own threads spent ~2 s more CPU over 20 dense pages
    there and gained no wall time."""
    import cv2

    cv2.setNumThreads(1)


def _default_string_reader() -> StringReaderMode:
    mode = os.environ.get("FORMOCR_STRING_READER", DEFAULT_STRING_READER)
    if mode not in get_args(StringReaderMode):
        raise ValueError(
            f"FORMOCR_STRING_READER must be one of {', '.join(get_args(StringReaderMode))}, "
            f"got {mode!r}"
        )
    return mode  # type: ignore[return-value]


@dataclass(frozen=True)
class ScanConfig:
    """How to read a batch.

    ``max_pages`` bounds one document's page count (None: no bound);
    ``max_megapixels`` bounds one page as rendered, before it is decoded.
    With ``templates``, each page is registered to the best fitting one and
    only its fields are read, by name; without, boxes are found on each page.
    ``dropout`` says how colour pages become greyscale (formocr.io.dropout).
    ``page_timeout`` bounds the seconds one page may take to render and to
    read (None: no bound); a page over it fails alone. ``second_look``: where
    the two string readers disagree, the lattice reads the box again on the
    string reader's cuts (formocr.read.recut); False reads as before it (for
    ablations). ``embedded_jpeg``: a PDF page that is one scan's JPEG at
    ``dpi`` is decoded from it instead of rendered (formocr.io.embedded);
    False renders every page. ``turn_upside_down``: a page whose string boxes
    read better turned half a turn is read turned, and one whose printed rules
    run up it is read turned a quarter (formocr.read.orient); False reads every
    page as it lies.
    """

    dpi: int = DEFAULT_DPI
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    model: Path | None = None
    max_pages: int | None = None
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS
    templates: tuple[Template, ...] = ()
    dropout: DropoutMode = "auto"
    page_timeout: float | None = DEFAULT_PAGE_TIMEOUT
    string_reader: StringReaderMode = field(default_factory=_default_string_reader)
    combine_power: float = DEFAULT_COMBINE_POWER
    string_map: tuple[tuple[float, float], ...] = DEFAULT_STRING_MAP
    second_look: bool = True
    embedded_jpeg: bool = True
    turn_upside_down: bool = True

    def __post_init__(self) -> None:
        if not 36 <= self.dpi <= 2400:
            raise ValueError(f"dpi must be in [36, 2400], got {self.dpi}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in [0, 1], got {self.min_confidence}")
        if self.max_pages is not None and self.max_pages < 1:
            raise ValueError(f"max_pages must be at least 1, got {self.max_pages}")
        if self.max_megapixels <= 0:
            raise ValueError(f"max_megapixels must be positive, got {self.max_megapixels}")
        if self.page_timeout is not None and not 0 < self.page_timeout <= 86400:
            raise ValueError(f"page_timeout must be in (0, 86400] s, got {self.page_timeout}")
        if self.dropout not in get_args(DropoutMode):
            raise ValueError(
                f"dropout must be one of {', '.join(get_args(DropoutMode))}, got {self.dropout!r}"
            )
        if self.string_reader not in get_args(StringReaderMode):
            raise ValueError(
                f"string_reader must be one of {', '.join(get_args(StringReaderMode))}, "
                f"got {self.string_reader!r}"
            )
        if self.combine_power <= 0:
            raise ValueError(f"combine_power must be positive, got {self.combine_power}")
        xs = [x for x, _ in self.string_map]
        ys = [y for _, y in self.string_map]
        if self.string_map and not (
            xs == sorted(xs) and ys == sorted(ys) and all(0 <= v <= 1 for v in xs + ys)
        ):
            raise ValueError(f"string_map must be rising knots in [0, 1], got {self.string_map}")
        names = [t.name for t in self.templates]
        if len(set(names)) != len(names):
            raise ValueError(f"templates need distinct names, got {names}")
