"""The model that ships in the package: its card, and its accuracy.

The synthetic-digit checks need nothing outside the repo; the MNIST check
runs where ../shared/data/mnist or $FORMOCR_MNIST is present, else skips.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from formocr.read.classify import DigitClassifier, default_model_path, load_card, softmax
from formocr.read.normalize import PREPROCESS_VERSION, normalize_batch
from training.synth import random_style, render_digit

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def clf() -> DigitClassifier:
    return DigitClassifier()


def test_model_and_card_ship_in_the_package() -> None:
    model = default_model_path()
    card = load_card(model)
    assert model.is_file() and model.parent == ROOT / "formocr" / "models"
    assert card["sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert card["preprocess_version"] == PREPROCESS_VERSION
    assert card["input"]["shape"] == ["batch", 1, 28, 28]
    assert {"mnist"} <= set(card["training_data"])


def test_card_says_what_the_model_outputs(clf: DigitClassifier) -> None:
    """The card's class count is the graph's, and the classifier follows it."""
    out = clf.session.get_outputs()[0].shape[-1]
    card = load_card(default_model_path())
    assert card.get("classes", 10) == out == clf.classes
    assert card["output"]["shape"] == ["batch", out]
    x = normalize_batch(
        [render_digit(3, 60, np.random.default_rng(1), random_style(np.random.default_rng(2)))]
    )
    assert clf.log_probs(x).shape == (1, out)


def test_idle_model_threads_sleep_instead_of_spinning(clf: DigitClassifier) -> None:
    """The serial path's sessions have a thread per core; spinning between the
    page's few runs only burns CPU the page's layout needs (issue 10)."""
    opts = clf.session.get_session_options()
    assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_the_graph_computes_what_the_training_model_computes() -> None:
    """Parity measured, not read back from the card: the torch model rebuilt
    from the ONNX file's own weights (training.model) against onnxruntime
    running the file, on the project's synthetic handwriting."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    import onnxruntime as ort

    from training.model import members_from_onnx

    model = default_model_path()
    card = load_card(model)
    rng = np.random.default_rng(11)
    crops = [render_digit(d % 10, 60, rng, random_style(rng)) for d in range(40)]
    x = normalize_batch(crops)
    got = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"]).run(
        None, {"input": x}
    )[0]
    members = members_from_onnx(str(model), classes=int(card.get("classes", 10)))
    assert len(members) == card["members"]
    with torch.no_grad():
        ref = torch.stack([m(torch.from_numpy(x)) for m in members]).mean(0).numpy()
    assert np.abs(ref - got).max() <= 1e-4


def test_reads_the_projects_synthetic_handwriting(clf: DigitClassifier) -> None:
    rng = np.random.default_rng(7)
    crops, labels = [], []
    for _ in range(30):
        style = random_style(rng)
        for d in range(10):
            crops.append(render_digit(d, int(rng.integers(40, 90)), rng, style))
            labels.append(d)
    preds = clf.classify(crops)
    acc = np.mean([p.digit == y for p, y in zip(preds, labels, strict=True)])
    assert acc >= 0.95, f"accuracy on synthetic handwriting {acc:.3f}"
    assert all(0.0 <= p.confidence <= 1.0 for p in preds)


def _drawn_digits(seed: int, each: int) -> np.ndarray:
    """``each`` of every digit drawn by the project's stroke generator, normalised."""
    rng = np.random.default_rng(seed)
    crops = [
        render_digit(d, int(rng.integers(30, 90)), rng, random_style(rng))
        for _ in range(each)
        for d in range(10)
    ]
    return normalize_batch(crops)


def test_first_look_reads_as_the_whole_ensemble(clf: DigitClassifier) -> None:
    """The shipped ensemble's members ship beside it (each file checked against
    the card) and the first look reads as the whole ensemble: the same digit
    for every crop, its confidence within what the threshold allows, and
    the very same logits for the crops the first member is unsure of."""
    card = load_card(default_model_path())
    files = [default_model_path().with_name(m["file"]) for m in card["first_look"]["members"]]
    assert len(files) == card["members"] == len(clf.members) == 2
    assert all(f.is_file() for f in files)
    x = _drawn_digits(seed=11, each=20)
    whole = DigitClassifier(first_look=False)
    a, b = clf.all_probabilities(x), whole.all_probabilities(x)
    assert (a.argmax(1) == b.argmax(1)).all()
    first = clf.members[0].run(None, {clf.input_name: x})[0]
    sure = softmax(first / clf.temperature).max(1) >= clf.first_look_min
    assert 0 < sure.sum() < len(x)
    np.testing.assert_allclose(a[~sure], b[~sure], atol=1e-6)
    assert np.abs(a[sure].max(1) - b[sure].max(1)).max() <= 1 - clf.first_look_min + 2e-3


def test_a_crop_reads_the_same_in_any_batch(clf: DigitClassifier) -> None:
    """The batch size is a matter of memory and speed only: 300 crops read
    in batches of 16 (the default) and of 512 give the same probabilities."""
    x = _drawn_digits(seed=12, each=30)
    assert clf.batch_size == 16 == DigitClassifier().batch_size
    big = DigitClassifier(batch_size=512)
    np.testing.assert_allclose(clf.all_probabilities(x), big.all_probabilities(x), atol=1e-6)


def test_blank_crops_are_not_confident_digits(clf: DigitClassifier) -> None:
    """A crop with no ink must not come back as a sure digit: with an
    11-class model it is "not a digit", with a 10-class one uniform."""
    p = clf.classify([np.full((60, 40), 255, np.uint8)])[0]
    if clf.classes == 11:
        assert p.not_digit == 1.0 and p.confidence == 0.0
    else:
        assert p.confidence == pytest.approx(0.1) and p.not_digit == 0.0


def _mnist_dir() -> Path | None:
    for d in (os.environ.get("FORMOCR_MNIST"), ROOT.parent / "shared" / "data" / "mnist"):
        if d and (Path(d) / "t10k-images-idx3-ubyte.gz").is_file():
            return Path(d)
    return None


needs_mnist = pytest.mark.skipif(
    _mnist_dir() is None, reason="MNIST not found (../shared/data/mnist, $FORMOCR_MNIST)"
)


@pytest.fixture(scope="module")
def mnist_test_accuracy(clf: DigitClassifier) -> float:
    from training.data import load_mnist

    test = load_mnist("test", _mnist_dir())
    probs = clf.probabilities(normalize_batch(list(test.images)))
    return float((probs.argmax(1) == test.labels).mean())


@pytest.mark.mnist
@needs_mnist
def test_mnist_test_accuracy_is_what_the_card_says(mnist_test_accuracy: float) -> None:
    card = load_card(default_model_path())
    assert mnist_test_accuracy == pytest.approx(card["metrics"]["mnist_test_accuracy"], abs=1e-4)
    assert mnist_test_accuracy > 0.9937  # the paper's figure, which the model must beat


@pytest.mark.mnist
@needs_mnist
def test_mnist_test_accuracy_meets_the_target(mnist_test_accuracy: float) -> None:
    assert mnist_test_accuracy >= 0.996


@pytest.mark.mnist
@needs_mnist
def test_writing_habits_mnist_rarely_shows_are_read(clf: DigitClassifier) -> None:
    """Issue 8's real cheques: "a 1 with a long flag read as 7", "an open 4
    as 6". MNIST test writers' own 1s, 4s and 9s with the habit drawn on
    (``training.augment.shape_edit``: a European flag, a closed top, a hooked
    foot; our drawing, so a check of the habit, not a headline). The model
    shipped before 2026-12-02 read 43 %, 30 % and 92 % of them (400 each);
    the fine-tune with the shapes (BENCHMARKS.md) 84 %, 86 % and 95 %."""
    import cv2

    from training.augment import UP, shape_edit
    from training.data import load_mnist

    test = load_mnist("test", _mnist_dir())
    rng = np.random.default_rng(7)
    pad = 8 * UP
    for digit, bar in ((1, 0.8), (4, 0.8), (9, 0.9)):
        crops = []
        for img in test.images[test.labels == digit][:400]:
            big = cv2.resize(img, None, fx=UP, fy=UP, interpolation=cv2.INTER_LINEAR)
            big = cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
            crops.append(shape_edit(big, digit, rng))
        read = clf.all_probabilities(normalize_batch(crops))[:, :10].argmax(1)
        assert (read == digit).mean() >= bar, (digit, (read == digit).mean())


@pytest.mark.mnist
@needs_mnist
def test_digits_stretched_to_fill_a_square_read_better_narrowed_too(clf: DigitClassifier) -> None:
    """MNIST test digits as Semeion keeps its digits: cut to their ink,
    stretched to fill 16 x 16, made 0/1. Read once, 97.4 % of the first
    1,000 were right (stretched 1s read 4, 8 or 7); read narrowed too
    (``normalize.stretched_square``), 97.9 %."""
    import cv2

    from formocr.read.classify import predictions
    from formocr.read.normalize import isolated_batch
    from training.data import load_mnist

    test = load_mnist("test", _mnist_dir())
    images = []
    for img in test.images[:1000]:
        ys, xs = np.nonzero(img < 215)
        ink = img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        images.append(
            (cv2.resize(ink, (16, 16), interpolation=cv2.INTER_AREA) < 128).astype(np.uint8)
        )
    labels = test.labels[:1000]
    both = np.mean([p.digit == y for p, y in zip(clf.classify(images), labels, strict=True)])
    once = predictions(clf.all_probabilities(isolated_batch(images)))
    one = np.mean([p.digit == y for p, y in zip(once, labels, strict=True)])
    assert both >= 0.978 and both > one, (both, one)
