"""Shared fixtures: synthetic forms, files in every supported format, fakes.

The fakes stand in for the trained model and the segmenter, so the io, api,
output and CLI tests run without ``formocr/models/digits.onnx``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from formocr.types import BBox, DigitCrop, FieldLayout, Prediction

# The CLI's default --jobs is every usable CPU, and worker processes do not
# see the fakes a test monkeypatches in: tests read in-process (here and in
# the subprocesses they start) unless they ask for workers (test_parallel.py).
os.environ.setdefault("FORMOCR_JOBS", "1")

# -- synthetic pages -----------------------------------------------------------


def form_image(width: int = 400, height: int = 300, text: str = "007") -> np.ndarray:
    """A greyscale page with one comb box holding ``text`` and one empty box."""
    page = np.full((height, width), 255, np.uint8)
    cell = 40
    x0, y0 = 20, 20
    cv2.rectangle(page, (x0, y0), (x0 + cell * len(text), y0 + cell), 0, 2)
    for i, ch in enumerate(text):
        x = x0 + i * cell
        cv2.line(page, (x, y0), (x, y0 + cell), 0, 1)
        cv2.putText(page, ch, (x + 10, y0 + 32), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    cv2.rectangle(page, (20, 120), (220, 160), 0, 2)
    return page


def cheque_amount(seed: int, background: str | None = None) -> tuple[np.ndarray, str, BBox]:
    """A generated 300-dpi cheque (office scan, plain digits, ``background``
    or plain paper): the page, its amount's digits and the amount box."""
    from training.synth import Degradation, make_cheque

    page, truth = make_cheque(
        np.random.default_rng(seed),
        300,
        degradation=Degradation.scan(),
        amount_format="plain",
        background=background,
    )
    amount = next(t for t in truth if t.label == "Amount")
    return page, amount.value, BBox(*amount.bbox)


def write_png(path: Path, page: np.ndarray | None = None, dpi: float | None = None) -> Path:
    img = Image.fromarray(form_image() if page is None else page)
    img.save(path, format="PNG", **({"dpi": (dpi, dpi)} if dpi else {}))
    return path


def write_pdf(path: Path, pages: int = 2, resolution: float = 72.0) -> Path:
    """A PDF whose pages are form images; at ``resolution`` dpi it renders 1:1."""
    images = [Image.fromarray(form_image(text=f"{i:03d}")) for i in range(1, pages + 1)]
    images[0].save(path, save_all=True, append_images=images[1:], resolution=resolution)
    return path


def pdf_bytes(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF with a correct cross-reference table from numbered object bodies."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        xref,
    )
    return bytes(out)


def pdf_stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def write_tiff(path: Path, frames: int = 3) -> Path:
    images = [Image.fromarray(form_image(text=str(i) * 3)) for i in range(frames)]
    images[0].save(path, save_all=True, append_images=images[1:], compression="tiff_deflate")
    return path


# Under CI (CI=true, as .ci/run and most CI services set it) a missing tool
# is a failure, not a skip: CI installs poppler-utils and qpdf, so a test
# that skipped there would pass without testing anything.
UNDER_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing_tool(reason: str) -> None:
    """Skip the test for want of a tool; fail it under CI."""
    if UNDER_CI:
        pytest.fail(f"{reason}; CI must install it (CI=true)")
    pytest.skip(reason)


def encrypt_pdf(src: Path, dst: Path) -> Path:
    """A copy of ``src`` that needs a user password (qpdf, else pypdf; see ``missing_tool``)."""
    qpdf = shutil.which("qpdf")
    if qpdf:
        cmd = [qpdf, "--encrypt", "secret", "owner", "256", "--", str(src), str(dst)]
        subprocess.run(cmd, check=True, capture_output=True)
        return dst
    try:
        from pypdf import PdfReader, PdfWriter
    except ImportError:
        missing_tool("needs qpdf or pypdf to make an encrypted PDF")
    writer = PdfWriter(clone_from=PdfReader(src))
    writer.encrypt("secret", "owner")
    with dst.open("wb") as f:
        writer.write(f)
    return dst


# Skips without poppler, except under CI, where the test runs and fails.
needs_poppler = pytest.mark.skipif(
    (shutil.which("pdftoppm") is None or shutil.which("pdfinfo") is None) and not UNDER_CI,
    reason="needs poppler-utils (pdfinfo, pdftoppm)",
)


# Skips without the DejaVu faces (fonts-dejavu-core), except under CI, which
# installs them: printed currency signs are drawn in them.
needs_dejavu = pytest.mark.skipif(
    not Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").is_file() and not UNDER_CI,
    reason="needs fonts-dejavu-core (the DejaVu faces)",
)


# -- fakes ---------------------------------------------------------------------


class FakeClassifier:
    """Same interface as formocr.read.classify.DigitClassifier; answers from a script.

    The answers cycle through ``script`` (digit, confidence) per crop, so a
    three-digit field reads "007" by default. Every call is recorded.
    """

    name = "fake-digits"
    sha256 = "f" * 64

    def __init__(self, script: Sequence[tuple[int, float]] = ((0, 0.99), (0, 0.98), (7, 0.95))):
        self.script = list(script)
        self.calls: list[int] = []
        self._next = 0

    def classify(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        self.calls.append(len(images))
        out = []
        for _ in images:
            d, c = self.script[self._next % len(self.script)]
            self._next += 1
            rest = (1.0 - c) / 2
            out.append(Prediction(d, c, ((d, c), ((d + 1) % 10, rest), ((d + 2) % 10, rest))))
        return out


def located_by(fn: Callable[..., list[FieldLayout]]) -> Callable[..., Any]:
    """A stand-in for ``formocr.layout.fields.locate`` over the stand-in
    ``find_fields`` ``fn``: its fields, on the page as given."""
    from formocr.layout.fields import Located

    def locate(page: np.ndarray, dpi: float | None = None) -> Located:
        return Located(fn(page, dpi), page)

    return locate


def fake_find_fields(page: np.ndarray, dpi: float | None = None) -> list[FieldLayout]:
    """Two fields on every page: a 3-cell comb with three digits, then an empty box."""
    digits = tuple(
        DigitCrop(BBox(20 + 40 * i, 20, 40, 40), page[20:60, 20 + 40 * i : 60 + 40 * i])
        for i in range(3)
    )
    return [
        FieldLayout(BBox(20, 20, 120, 40), "comb", digits, cells=3),
        FieldLayout(BBox(20, 120, 200, 40), "string", ()),
    ]


@pytest.fixture
def fake_segment(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Replace formocr.layout.fields.find_fields (``install(fn)`` swaps in another one)."""

    def install(fn: Callable[..., list[FieldLayout]] = fake_find_fields) -> None:
        import formocr.layout.fields as segment

        monkeypatch.setattr(segment, "find_fields", fn, raising=False)
        monkeypatch.setattr(segment, "locate", located_by(fn), raising=False)

    install()
    return install


@pytest.fixture
def fake_classifier() -> FakeClassifier:
    return FakeClassifier()


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch, fake_classifier: FakeClassifier) -> FakeClassifier:
    """Make api.load_classifier (what the CLI uses) return the fake classifier."""
    import formocr.api

    monkeypatch.setattr(formocr.api, "load_classifier", lambda model=None: fake_classifier)
    return fake_classifier


def printed(lines: list[str], dpi: int = 300) -> np.ndarray:
    """A page of ``lines`` printed in OpenCV's Hershey font, nothing else."""
    page = np.full((4 * dpi, 7 * dpi), 255, np.uint8)
    for i, text in enumerate(lines):
        at = (dpi // 5, dpi // 2 + i * dpi // 2)
        cv2.putText(page, text, at, cv2.FONT_HERSHEY_SIMPLEX, dpi / 190, 0, 3, cv2.LINE_AA)
    return page


SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def sample_page(name: str) -> np.ndarray:
    """A shipped sample (``samples/NAME``, made by the project's code) in grey."""
    return np.asarray(Image.open(SAMPLES / name).convert("L"))


@pytest.fixture(scope="session")
def shipped_readers() -> Any:
    """The shipped models, loaded once for the session (``api.load_classifier``)."""
    from formocr import api

    return api.load_classifier()
