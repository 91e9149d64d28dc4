"""formocr-train's CLI end to end, in-process: train, export, evaluate.

Runs on a small generated MNIST look-alike (no download, no ../shared). The
split by writer is kept, with writer ids made up for the generated digits
(the real ids only fit the real 60,000). One short epoch: the test checks
the commands and what they write, not the accuracy.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

torch = pytest.importorskip("torch")

from mnist_fakes import hershey_digit, write_fake_mnist  # noqa: E402

from formocr.read.classify import DigitClassifier, default_model_path  # noqa: E402
from formocr.read.normalize import normalize_batch  # noqa: E402
from training import splits  # noqa: E402
from training.cli import app  # noqa: E402
from training.data import load_folder, load_mnist  # noqa: E402
from training.evaluate import evaluate  # noqa: E402

WRITER = 20  # generated digits per made-up writer


@pytest.fixture(scope="module")
def fake_mnist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fake_mnist(tmp_path_factory.mktemp("mnist"), train=400)


@pytest.fixture
def small_split(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writers for the generated digits: 20 each; every tenth writer validates.

    The real writer ids (../shared) fit only the real MNIST, so both the
    split and the ids are made up here."""

    def split(directory: Path | None = None, share: float = splits.VAL_SHARE) -> splits.MnistSplit:
        writers = np.arange(400) // WRITER
        val = writers % 10 == 0
        test_writers = 1000 + np.arange(100) // WRITER
        return splits.MnistSplit(np.nonzero(~val)[0], np.nonzero(val)[0], writers, test_writers)

    def writer_ids(directory: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
        return np.arange(400) // WRITER, 1000 + np.arange(100) // WRITER

    monkeypatch.setattr(splits, "mnist_split", split)
    monkeypatch.setattr(splits, "load_writer_ids", writer_ids)


@pytest.fixture(scope="module")
def digit_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Labelled crops as DIR/<digit>/*.png, dark ink on light paper."""
    root = tmp_path_factory.mktemp("mine")
    rng = np.random.default_rng(7)
    for d in range(10):
        (root / str(d)).mkdir()
        for k in range(3):
            cv2.imwrite(str(root / str(d) / f"{k}.png"), 255 - hershey_digit(d, rng))
    return root


runner = CliRunner()


def test_help_names_every_command() -> None:
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0, r.output
    for command in ("download", "train", "export", "evaluate", "quantize", "verifier"):
        assert command in r.stdout
    for command in ("train", "export", "evaluate"):
        r = runner.invoke(app, [command, "--help"])
        assert r.exit_code == 0 and "Usage" in r.stdout, (command, r.output)


def test_train_export_evaluate(
    fake_mnist: Path, digit_folder: Path, small_split: None, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    args = ["train", "-o", str(run), "--mnist-dir", str(fake_mnist), "--epochs", "1"]
    args += ["--batch-size", "40", "--threads", "1", "--workers", "0"]
    args += ["--augment", "p_faint=0.2", "--augment", "scale=0.9,1.1"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    ckpt = Path(r.stdout.strip().splitlines()[-1])
    assert ckpt.is_file() and ckpt.parent == run
    saved = torch.load(ckpt, map_location="cpu", weights_only=False)
    assert saved["train_config"]["epochs"] == 1
    # --augment overrides land in the recipe the checkpoint records.
    recipe = saved["train_config"]["augment"]
    assert recipe["p_faint"] == 0.2 and tuple(recipe["scale"]) == (0.9, 1.1)
    assert recipe["p_shapes"] == 0.0  # the rest is the default recipe's
    assert saved["data"]["split"] == "writers"
    assert "mnist_val" in saved["metrics"]

    onnx = tmp_path / "digits.onnx"
    r = runner.invoke(app, ["export", str(ckpt), "-o", str(onnx), "--mnist-dir", str(fake_mnist)])
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout)
    card = json.loads(onnx.with_suffix(".json").read_text())
    assert shown["sha256"] == card["sha256"] == hashlib.sha256(onnx.read_bytes()).hexdigest()
    assert card["parity_max_abs_err"] <= 1e-4  # torch against onnxruntime, checked at export
    clf = DigitClassifier(onnx)  # the runtime accepts the model and its card
    # The card's test figure is what the runtime reads on the test set.
    test_report, _ = evaluate(clf, load_mnist("test", fake_mnist))
    assert card["metrics"]["mnist_test_accuracy"] == pytest.approx(test_report.accuracy)

    r = runner.invoke(
        app, ["evaluate", "--model", str(onnx), "--folder", str(digit_folder), "--json"]
    )
    assert r.exit_code == 0, r.output
    (rep,) = json.loads(r.stdout)
    want, _ = evaluate(clf, load_folder(digit_folder))
    assert rep == want.to_dict()
    assert rep["n"] == 30 and sum(map(sum, rep["confusion"])) == 30

    r = runner.invoke(app, ["evaluate", "--model", str(onnx), "--folder", str(digit_folder)])
    assert r.exit_code == 0 and f"{digit_folder.name}: 30 digits, accuracy" in r.stdout


def test_verifier_trains_on_the_lattices_candidates_and_exports(
    fake_mnist: Path, small_split: None, tmp_path: Path
) -> None:
    """``formocr-train verifier``: pages written with the (fake) training
    writers' digits, segmented by the runtime, labelled, learnt; the ONNX
    file and its card load in the runtime and read the candidates."""
    from formocr.read.verify import DigitVerifier

    onnx = tmp_path / "verifier.onnx"
    args = ["verifier", "-o", str(onnx), "--mnist-dir", str(fake_mnist), "--pages", "2"]
    args += ["--val-pages", "1", "--epochs", "2", "--workers", "1", "--threads", "1"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout)
    card = json.loads(onnx.with_suffix(".json").read_text())
    assert shown["sha256"] == card["sha256"] == hashlib.sha256(onnx.read_bytes()).hexdigest()
    assert card["parity_max_abs_err"] <= 1e-4
    assert card["train_config"]["pages"] == 2 and len(card["history"]) == 2
    kinds = card["training_data"]["candidates"]["kinds"]
    assert kinds["digit"] > 0 and kinds["piece"] + kinds["pair"] > 0, kinds
    assert set(card["metrics"]["validation_writers"]) >= {"n", "nll", "digit"}
    v = DigitVerifier(onnx)
    p = v.not_digit(np.zeros((3, 1, 28, 28), np.float32), np.ones((3, 5), np.float32))
    assert p.shape == (3,) and np.all((p > 0) & (p < 1))


def test_quantize_writes_an_int8_model_the_runtime_loads(
    fake_mnist: Path, small_split: None, tmp_path: Path
) -> None:
    """formocr-train quantize: an int8 copy of the shipped model, calibrated on
    (fake) MNIST training digits, with a card the runtime checks; it reads
    the test digits as the float model does, nearly always."""
    out = tmp_path / "digits-int8.onnx"
    args = ["quantize", "-o", str(out), "--mnist-dir", str(fake_mnist), "--calibration", "200"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert card["quantized_from"] == hashlib.sha256(default_model_path().read_bytes()).hexdigest()
    assert card["quantization"]["calibration"] == {"source": "mnist-train", "n": 200, "seed": 0}
    onnx = pytest.importorskip("onnx")
    ops = {n.op_type for n in onnx.load(str(out)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    q, f = DigitClassifier(out), DigitClassifier()
    test = load_mnist("test", fake_mnist)
    x = normalize_batch(list(test.images))
    agree = (q.all_probabilities(x).argmax(1) == f.all_probabilities(x).argmax(1)).mean()
    assert agree >= 0.95
    assert card["metrics"]["mnist_test_accuracy"] == pytest.approx(evaluate(q, test)[0].accuracy)


def test_errors_name_what_is_missing(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    r = runner.invoke(app, ["evaluate", "--folder", str(empty)])
    assert r.exit_code == 1
    assert "formocr-train:" in r.stderr and "no images found" in r.stderr
    r = runner.invoke(app, ["train", "-o", str(tmp_path / "r"), "--mnist-dir", str(empty)])
    assert r.exit_code == 1 and "formocr-train:" in r.stderr
    assert not (tmp_path / "r" / "last.pt").exists()
    r = runner.invoke(app, ["train", "-o", str(tmp_path / "r"), "--augment", "p_shape=0.2"])
    assert r.exit_code == 1 and "'p_shape=0.2'" in r.stderr and "p_shapes" in r.stderr
    r = runner.invoke(app, ["train", "-o", str(tmp_path / "r"), "--augment", "p_faint=lots"])
    assert r.exit_code == 1 and "'lots' is not a number" in r.stderr
    assert not (tmp_path / "r" / "last.pt").exists()
