"""Worker-side fakes for the parallel tests: loaders a worker process can import.

A monkeypatched fake does not cross into a worker process, so these loaders
install the fakes in the worker themselves (the segmenter of conftest, a
classifier that answers from the pixels), and some of them misbehave on
purpose: kill their own worker process, or sleep past the page time limit.
A page whose first comb cell is solid black (``TRIGGER``) sets them off.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from conftest import fake_find_fields, located_by

from formocr.config import ScanConfig
from formocr.parallel.tasks import ModelInfo, Models
from formocr.types import Prediction


class PixelClassifier:
    """Answers from the pixels alone: the same page reads the same in every process."""

    name = "fake-digits"
    sha256 = "f" * 64

    def classify(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        out = []
        for im in images:
            d = int(np.asarray(im, np.int64).sum()) % 10
            out.append(Prediction(d, 0.999, ((d, 0.999), ((d + 1) % 10, 0.001))))
        return out


def fake_info(config: ScanConfig) -> ModelInfo:
    """What the client knows of the fake models (Workers.model)."""
    return ModelInfo(PixelClassifier.name, PixelClassifier.sha256)


def worker_env(name: str) -> str | None:
    """A task: ``name`` in the worker process's environment."""
    return os.environ.get(name)


def triggered(images: Sequence[np.ndarray]) -> bool:
    return bool(images) and float(np.mean(images[0])) < 10


def _install_fake_segmenter() -> None:
    import formocr.layout.fields

    formocr.layout.fields.find_fields = fake_find_fields  # type: ignore[assignment]
    formocr.layout.fields.locate = located_by(fake_find_fields)  # type: ignore[assignment]


def fake_models(config: ScanConfig) -> Models:
    _install_fake_segmenter()
    return Models(PixelClassifier())


class Misbehaving(PixelClassifier):
    def __init__(self, how: str, marker: str) -> None:
        self.how = how
        self.marker = marker

    def classify(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        if self.how == "kill-once":
            # The first worker to take the marker dies; the task, run again, reads.
            try:
                os.rename(self.marker, self.marker + ".taken")
            except OSError:
                pass
            else:
                os.kill(os.getpid(), signal.SIGKILL)
        elif self.how == "kill" and triggered(images):
            os.kill(os.getpid(), signal.SIGKILL)
        elif self.how == "sleep" and triggered(images):
            time.sleep(600)  # the page time limit (SIGALRM) ends it
        return super().classify(images)


@dataclass(frozen=True)
class MisbehavingModels:
    """A loader: ``how`` is "kill-once" (the worker holding ``marker`` dies, once),
    "kill" (every page with ``TRIGGER`` kills its worker) or "sleep"."""

    how: str
    marker: str = ""

    def __call__(self, config: ScanConfig) -> Models:
        _install_fake_segmenter()
        return Models(Misbehaving(self.how, self.marker))


def trigger_page(text: str = "000") -> np.ndarray:
    """A form page (conftest.form_image) whose first comb cell is solid black."""
    from conftest import form_image

    page = form_image(text=text)
    page[20:60, 20:60] = 0
    return page
