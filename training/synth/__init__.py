"""The project's own handwriting and form generator.

Licensing keeps dataset pixels out of the repository, so samples, fixtures
and benchmarks are drawn here: stroke-skeleton digits (``strokes``), pages
with boxes, comb fields and printed text (``forms`` lays them out, ``sheet``
draws them, ``printed`` sets the type), ground truth (``truth``), scan
degradations (``degrade``), colour forms (``colour``), separators and
written amounts (``marks``, ``amounts``) and file writers (``writers``).
No torch.
"""

from training.synth.amounts import AMOUNT_FORMATS, amount_digits, amount_text, expected_amount
from training.synth.colour import INK_COLOURS, PRINT_COLOURS, Colours
from training.synth.degrade import Degradation
from training.synth.forms import PAGE_MM, make_cheque, make_form_page
from training.synth.marks import MARKS, render_mark
from training.synth.sheet import DigitSource
from training.synth.strokes import TEMPLATES, WriterStyle, random_style, render_digit
from training.synth.truth import CombStyle, DigitTruth, FieldTruth, reading_order
from training.synth.writers import (
    truth_from_dict,
    truth_to_dict,
    truth_to_json,
    write_jpeg,
    write_pdf,
    write_png,
    write_tiff,
    write_truth,
)

__all__ = [
    "AMOUNT_FORMATS",
    "INK_COLOURS",
    "MARKS",
    "PAGE_MM",
    "PRINT_COLOURS",
    "TEMPLATES",
    "Colours",
    "CombStyle",
    "Degradation",
    "DigitSource",
    "DigitTruth",
    "FieldTruth",
    "WriterStyle",
    "amount_digits",
    "amount_text",
    "expected_amount",
    "make_cheque",
    "make_form_page",
    "random_style",
    "reading_order",
    "render_digit",
    "render_mark",
    "truth_from_dict",
    "truth_to_dict",
    "truth_to_json",
    "write_jpeg",
    "write_pdf",
    "write_png",
    "write_tiff",
    "write_truth",
]
