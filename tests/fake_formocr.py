"""``formocr`` with a fake segmenter and classifier, for subprocess tests.

    python tests/fake_formocr.py scan DIR -o out.csv

The fakes answer from the pixels alone (the same page gives the same digits
in every process), so an interrupted and resumed run can be compared with an
uninterrupted one. While the file ``FAKE_GATE`` exists, every page after the
first ``FAKE_GATE_AFTER`` (default 1) waits: a test holds the batch in the
middle, does what it means to (kill it, start a second run), then removes
the gate. Nothing depends on timing. With ``--jobs N`` the worker processes
load the same fakes (``parallel_fakes``), so the output does not depend on N.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence

import numpy as np
from conftest import fake_find_fields, located_by
from parallel_fakes import fake_info, fake_models

import formocr.api
import formocr.cli
import formocr.layout.fields
from formocr.cli import main
from formocr.parallel import Workers
from formocr.types import Prediction


class PixelClassifier:
    name = "fake-digits"
    sha256 = "f" * 64

    def __init__(self) -> None:
        self.pages = 0

    def classify(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        self.pages += 1
        gate = os.environ.get("FAKE_GATE")
        if gate and self.pages > int(os.environ.get("FAKE_GATE_AFTER", "1")):
            while os.path.exists(gate):
                time.sleep(0.02)
        out = []
        for im in images:
            d = int(np.asarray(im, np.int64).sum()) % 10
            out.append(Prediction(d, 0.999, ((d, 0.999), ((d + 1) % 10, 0.001))))
        return out


formocr.layout.fields.find_fields = fake_find_fields  # type: ignore[assignment]
formocr.layout.fields.locate = located_by(fake_find_fields)  # type: ignore[assignment]
_CLASSIFIER = PixelClassifier()
formocr.api.load_classifier = lambda model=None: _CLASSIFIER  # type: ignore[assignment]


def _fake_workers(jobs: int | None, scheduler: str | None) -> Workers:
    """--jobs N: worker processes with the same fakes (tests/parallel_fakes.py)."""
    return Workers(jobs=jobs or 1, loader=fake_models, model=fake_info)


formocr.cli._workers = _fake_workers  # type: ignore[assignment]

if __name__ == "__main__":
    sys.argv[0] = "formocr"
    main()
