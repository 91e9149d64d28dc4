"""Training package: data loading, a tiny training run, ONNX export and parity.

Runs on generated digits (no MNIST needed); skipped where torch is absent.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from formocr.errors import ModelError  # noqa: E402
from formocr.read.classify import DigitClassifier  # noqa: E402
from formocr.read.normalize import normalize, normalize_batch  # noqa: E402
from training import augment as augment_mod  # noqa: E402
from training.augment import AugmentConfig, augment, make_input  # noqa: E402
from training.data import (  # noqa: E402
    MNIST_FILES,
    DataError,
    download_mnist,
    load_folder,
    load_mnist,
    locate_mnist,
)
from training.export import check_parity, export  # noqa: E402
from training.model import ConvAutoencoder  # noqa: E402
from training.train import TrainConfig, load_checkpoint, train  # noqa: E402


def _digit(d: int, rng: np.random.Generator) -> np.ndarray:
    """MNIST-like (white on black, 28x28) digit drawn with a Hershey font."""
    img = np.zeros((28, 28), np.uint8)
    font = [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX][int(rng.integers(2))]
    cv2.putText(img, str(d), (7 + int(rng.integers(-2, 3)), 22), font, 0.8, 255, 2, cv2.LINE_AA)
    return img


def _write_idx(path: Path, arr: np.ndarray) -> None:
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def fake_mnist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("mnist")
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 600), ("t10k", 100)):
        labels = np.arange(n) % 10
        _write_idx(d / f"{prefix}-images-idx3-ubyte.gz", np.stack([_digit(y, rng) for y in labels]))
        _write_idx(d / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return d


def test_mnist_loader_inverts_to_dark_on_light(fake_mnist: Path) -> None:
    ds = load_mnist("test", fake_mnist)
    assert ds.images.shape == (100, 28, 28) and len(ds) == 100
    assert ds.images[0, 0, 0] == 255  # paper is light
    assert list(ds.labels[:3]) == [0, 1, 2]


def test_missing_mnist_names_files_and_places(tmp_path: Path) -> None:
    with pytest.raises(DataError) as e:
        locate_mnist(tmp_path)
    msg = str(e.value)
    assert all(name in msg for name in MNIST_FILES) and str(tmp_path) in msg
    assert "--download" in msg


def test_offline_download_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="could not download"):
        download_mnist(tmp_path, mirrors=("file:///nonexistent/mirror/",))


def test_download_rejects_bad_checksum(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name in MNIST_FILES:
        (mirror / name).write_bytes(b"not mnist")
    with pytest.raises(DataError, match="checksum mismatch"):
        download_mnist(tmp_path / "dest", mirrors=(mirror.as_uri() + "/",))


def test_folder_loader(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    for d in (3, 8):
        (tmp_path / str(d)).mkdir()
        cv2.imwrite(str(tmp_path / str(d) / "a.png"), 255 - _digit(d, rng))
    ds = load_folder(tmp_path)
    assert sorted(ds.labels.tolist()) == [3, 8]


def test_training_and_runtime_share_one_preprocessing() -> None:
    """The clean training path is formocr.read.normalize itself, bit for bit."""
    assert augment_mod.normalize is normalize
    img = 255 - _digit(5, np.random.default_rng(2))
    np.testing.assert_array_equal(make_input(img, None, AugmentConfig()), normalize(img))


def test_augment_keeps_a_uint8_crop_with_ink() -> None:
    rng = np.random.default_rng(3)
    img = 255 - _digit(2, rng)
    for _ in range(20):
        out = augment(img, rng, AugmentConfig())
        assert out.dtype == np.uint8 and out.ndim == 2
        # Ink survives: strokes darker than the paper, and a digit's worth of
        # ink after normalisation (500 draws on 2026-12-01: paper (95th
        # percentile) minus darkest >= 88 grey levels, normalised ink >= 79;
        # a clean 28x28 digit has 100-150).
        assert int(np.percentile(out, 95)) - int(out.min()) >= 50
        assert normalize(out).sum() >= 40
    x = make_input(img, rng, AugmentConfig())
    assert x.shape == (28, 28) and x.sum() >= 40


def test_model_shapes() -> None:
    m = ConvAutoencoder().eval()
    logits, recon = m.forward_both(torch.zeros(3, 1, 28, 28))
    assert logits.shape == (3, 10) and recon.shape == (3, 1, 28, 28)


@pytest.fixture(scope="module")
def trained(fake_mnist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    cfg = TrainConfig(epochs=2, val_size=100, batch_size=50, workers=0, lr=0.05)
    return train(cfg, out, fake_mnist)


def test_checkpoint_rebuilds_its_model(trained: Path) -> None:
    model, ckpt = load_checkpoint(trained)
    assert ckpt["model_config"]["hidden"] == 500
    assert ckpt["train_config"]["epochs"] == 2
    assert "mnist_val" in ckpt["metrics"] and len(ckpt["metrics"]["history"]) == 2
    assert set(ckpt["data"]["mnist"]) == set(MNIST_FILES)


def test_export_parity_card_and_runtime(trained: Path, fake_mnist: Path, tmp_path: Path) -> None:
    onnx_path = tmp_path / "digits.onnx"
    probe = normalize_batch(list(load_mnist("test", fake_mnist).images[:20]))
    card = export([trained, trained], onnx_path, probe=probe)  # a 2-member ensemble
    assert card["members"] == 2 and card["parity_max_abs_err"] <= 1e-4
    assert json.loads(onnx_path.with_suffix(".json").read_text())["sha256"] == card["sha256"]

    model, _ = load_checkpoint(trained)
    assert check_parity(model, _single(trained, tmp_path), probe) <= 1e-4

    clf = DigitClassifier(onnx_path)
    crops = list(load_mnist("test", fake_mnist).images[:10])
    preds = clf.classify(crops)
    assert len(preds) == 10
    with torch.no_grad():
        ref = torch.softmax(model(torch.from_numpy(normalize_batch(crops))), 1).numpy()
    for p, r in zip(preds, ref, strict=True):
        # The three likeliest classes, best first, as torch ranks them.
        assert [d for d, _ in p.top3] == list(np.argsort(-r)[:3])
        assert p.top3[0] == (p.digit, p.confidence)
        np.testing.assert_allclose([c for _, c in p.top3], np.sort(r)[::-1][:3], atol=1e-4)


def _single(ckpt: Path, tmp_path: Path) -> Path:
    path = tmp_path / "single.onnx"
    export([ckpt], path)
    return path


def test_classifier_refuses_a_tampered_model(trained: Path, tmp_path: Path) -> None:
    path = _single(trained, tmp_path)
    blob = bytearray(path.read_bytes())
    blob[-10] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(ModelError, match="does not match its card"):
        DigitClassifier(path)


def test_classifier_refuses_a_model_without_card(trained: Path, tmp_path: Path) -> None:
    path = _single(trained, tmp_path)
    path.with_suffix(".json").unlink()
    with pytest.raises(ModelError, match="no model card"):
        DigitClassifier(path)


def test_classifier_refuses_other_preprocessing(trained: Path, tmp_path: Path) -> None:
    path = _single(trained, tmp_path)
    card = json.loads(path.with_suffix(".json").read_text())
    card["preprocess_version"] = "0"
    path.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="preprocessing version"):
        DigitClassifier(path)


def test_shift_averaged_export_keeps_parity(trained: Path, tmp_path: Path) -> None:
    path = tmp_path / "tta.onnx"
    card = export([trained], path, tta=True)
    assert card["test_time_shifts"] == 5 and card["parity_max_abs_err"] <= 1e-4
    assert len(DigitClassifier(path).classify([np.full((30, 20), 255, np.uint8)])) == 1


def test_runtime_shift_cascade_matches_the_shifted_graph(trained: Path, tmp_path: Path) -> None:
    """``shift_below`` = 1.0 re-reads every digit with the shifts: the same logits
    as the graph exported with ``tta``; 0.0 re-reads none: the plain model."""
    rng = np.random.default_rng(0)
    x = (rng.random((16, 1, 28, 28)) < 0.15).astype(np.float32)
    plain, tta = tmp_path / "plain.onnx", tmp_path / "tta.onnx"
    export([trained], plain, shift_below=1.0)
    export([trained], tta, tta=True)
    every = DigitClassifier(plain)
    assert every.shift_below == 1.0
    np.testing.assert_allclose(every.logits(x), DigitClassifier(tta).logits(x), atol=1e-4)
    export([trained], plain, shift_below=0.0)
    none = DigitClassifier(plain)
    np.testing.assert_allclose(none.logits(x), none._run(x), atol=1e-6)


def test_validation_split_does_not_depend_on_the_training_seed(fake_mnist: Path) -> None:
    """A fine-tune with another seed must not train on its parent's validation digits."""
    from training.train import prepare

    a = prepare(TrainConfig(seed=1, val_size=100), fake_mnist)["evals"]["mnist_val"]
    b = prepare(TrainConfig(seed=2, val_size=100), fake_mnist)["evals"]["mnist_val"]
    np.testing.assert_array_equal(a.images, b.images)


def test_synthetic_digits_join_the_training_set(fake_mnist: Path) -> None:
    """--synthetic N: N stroke digits from the project's generator, classes
    balanced, dark ink on light paper, added to training and never to validation."""
    from training.data import synthetic_digits
    from training.train import prepare

    syn = synthetic_digits(40, seed=3)
    assert len(syn) == 40 and np.bincount(syn.labels).tolist() == [4] * 10
    for img in syn.images:
        assert img.dtype == np.uint8 and 20 <= img.shape[0] <= 64
        assert img[0, 0] == 255 and img.min() < 128  # paper corner, some ink
    base = prepare(TrainConfig(val_size=100), fake_mnist)
    more = prepare(TrainConfig(val_size=100, synthetic=40), fake_mnist)
    assert len(more["train"][1]) == len(base["train"][1]) + 40
    assert more["data"]["synthetic"] == {"count": 40, "seed": 0}
    np.testing.assert_array_equal(
        base["evals"]["mnist_val"].images, more["evals"]["mnist_val"].images
    )
