"""Training package: data loading, a tiny training run, ONNX export and parity.

Runs on generated digits (no MNIST needed); skipped where torch is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mnist_fakes import hershey_digit, write_fake_mnist  # noqa: E402

from formocr.errors import ModelError  # noqa: E402
from formocr.read.classify import DigitClassifier, softmax  # noqa: E402
from formocr.read.normalize import (  # noqa: E402
    isolated_batch,
    isolated_views,
    normalize,
    normalize_batch,
)
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


@pytest.fixture(scope="module")
def fake_mnist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fake_mnist(tmp_path_factory.mktemp("mnist"), train=600)


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
        cv2.imwrite(str(tmp_path / str(d) / "a.png"), 255 - hershey_digit(d, rng))
    ds = load_folder(tmp_path)
    assert sorted(ds.labels.tolist()) == [3, 8]


def test_training_and_runtime_share_one_preprocessing() -> None:
    """The clean training path is formocr.read.normalize itself, bit for bit."""
    assert augment_mod.normalize is normalize
    img = 255 - hershey_digit(5, np.random.default_rng(2))
    np.testing.assert_array_equal(make_input(img, None, AugmentConfig()), normalize(img))


def test_augment_keeps_a_uint8_crop_with_ink() -> None:
    rng = np.random.default_rng(3)
    img = 255 - hershey_digit(2, rng)
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


def _one_filter_convs(path: Path) -> list[str]:
    """The Conv nodes of an ONNX file that make a single map."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    return [
        n.name
        for n in graph.node
        if n.op_type == "Conv" and n.input[1] in init and init[n.input[1]].shape[0] == 1
    ]


def test_export_form_is_the_same_function_in_a_faster_graph(trained: Path, tmp_path: Path) -> None:
    """The decoder's last convolution is exported as the transposed convolution
    equal to it (onnxruntime pads a one-filter convolution to a block of 16):
    the same logits in torch, and no one-filter Conv in the file."""
    model, _ = load_checkpoint(trained)
    twin = model.export_form()
    assert isinstance(twin.decoder[3], torch.nn.ConvTranspose2d)
    assert isinstance(model.decoder[3], torch.nn.Conv2d)  # the trained model is left as it was
    x = torch.from_numpy(
        (np.random.default_rng(3).random((12, 1, 28, 28)) < 0.2).astype(np.float32)
    )
    with torch.no_grad():
        np.testing.assert_allclose(twin(x).numpy(), model(x).numpy(), atol=1e-5)
    path = _single(trained, tmp_path)
    assert _one_filter_convs(path) == []


def test_reexport_rewrites_an_older_graph_from_its_own_weights(
    trained: Path, tmp_path: Path
) -> None:
    """`formocr-train reexport` on an ensemble exported in the older form (a
    one-filter Conv): the new file has no such Conv, reads as the old one did,
    its card and members match it, and a second reexport writes the same bytes."""
    import onnxruntime as ort
    from typer.testing import CliRunner

    from training.cli import app
    from training.data import file_facts
    from training.export import assembled, to_onnx

    path = tmp_path / "digits.onnx"
    ckpts = [trained, _perturbed(trained, tmp_path)]
    export(ckpts, path)
    # The same ensemble as export wrote it before export_form: its card still
    # describes the file, as it did then.
    to_onnx(
        assembled([load_checkpoint(c)[0] for c in ckpts]),
        {"input": torch.zeros(2, 1, 28, 28)},
        path,
    )
    card = json.loads(path.with_suffix(".json").read_text())
    card.update(file_facts(path))
    path.with_suffix(".json").write_text(json.dumps(card))
    assert len(_one_filter_convs(path)) == 2
    x = (np.random.default_rng(4).random((16, 1, 28, 28)) < 0.2).astype(np.float32)
    old = ort.InferenceSession(str(path)).run(None, {"input": x})[0]

    runner = CliRunner()
    done = runner.invoke(app, ["reexport", str(path), "--mnist-dir", str(tmp_path / "none")])
    assert done.exit_code == 0, done.output
    assert _one_filter_convs(path) == []
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["sha256"] == file_facts(path)["sha256"] and card["logits_moved"] <= 1e-4
    clf = DigitClassifier(path)  # the card, the members and their sha256 agree
    assert len(clf.members) == 2
    np.testing.assert_allclose(DigitClassifier(path, first_look=False).logits(x), old, atol=1e-4)
    for member in card["first_look"]["members"]:
        assert _one_filter_convs(tmp_path / member["file"]) == []
    first = path.read_bytes()
    assert runner.invoke(app, ["reexport", str(path)]).exit_code == 0
    assert path.read_bytes() == first

    done = runner.invoke(app, ["reexport", str(tmp_path / "missing.onnx")])
    assert done.exit_code == 1 and "no model card" in done.output
    assert isinstance(done.exception, SystemExit)


def test_model_shapes() -> None:
    m = ConvAutoencoder().eval()
    logits, recon = m.forward_both(torch.zeros(3, 1, 28, 28))
    assert logits.shape == (3, 10) and recon.shape == (3, 1, 28, 28)


@pytest.fixture(scope="module")
def trained(fake_mnist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    cfg = TrainConfig(epochs=2, split="random", val_size=100, batch_size=50, workers=0, lr=0.05)
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
    # The reference reads what classify reads: each crop as an isolated digit
    # (isolated_batch: a margin of paper, which moves a stroke along the edge
    # by a pixel in some), none of them stretched to a square (read twice).
    views = isolated_batch(crops)
    assert not isolated_views(crops)[1]
    with torch.no_grad():
        ref = torch.softmax(model(torch.from_numpy(views)), 1).numpy()
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


def _perturbed(ckpt: Path, tmp_path: Path) -> Path:
    """A second member unlike the first: the checkpoint's weights with noise."""
    data = torch.load(ckpt, map_location="cpu", weights_only=False)
    gen = torch.Generator().manual_seed(0)
    data["model"] = {
        k: v + 0.05 * v.abs().mean() * torch.randn(v.shape, generator=gen)
        if v.is_floating_point()
        else v
        for k, v in data["model"].items()
    }
    path = tmp_path / "other.pt"
    torch.save(data, path)
    return path


def test_ensemble_first_look_reads_as_the_ensemble(
    trained: Path, fake_mnist: Path, tmp_path: Path
) -> None:
    """An ensemble's members are written beside it and named in its card; the
    runtime reads every crop with the first, and the crops it is unsure of
    with both, averaged: the ensemble's own logits there, the first member's
    elsewhere. A member file that is not the card's is refused."""
    path = tmp_path / "digits.onnx"
    other = _perturbed(trained, tmp_path)
    x = normalize_batch(list(load_mnist("test", fake_mnist).images[:40]))
    export([trained, other], path)
    clf = DigitClassifier(path)
    first = clf._run(x, clf.members[0])
    # A threshold half the crops pass: this small model is rarely sure.
    middle = float(np.median(softmax(first / clf.temperature).max(1)))
    card = export([trained, other], path, first_look_min=middle)
    look = card["first_look"]
    assert [m["file"] for m in look["members"]] == ["digits.member0.onnx", "digits.member1.onnx"]
    assert look["min_confidence"] == middle and look["parity_max_abs_err"] <= 1e-4
    whole = DigitClassifier(path, first_look=False)
    assert whole.members == []
    clf = DigitClassifier(path)
    unsure = softmax(first / clf.temperature).max(1) < middle
    assert 0 < unsure.sum() < len(x)  # both paths are taken
    got = clf.logits(x, second_look=False)
    np.testing.assert_allclose(got[unsure], whole._run(x)[unsure], atol=1e-5)
    np.testing.assert_allclose(got[~unsure], first[~unsure], atol=1e-6)
    # A single checkpoint, or no first look asked for: no member files.
    assert "first_look" not in export([trained], tmp_path / "one.onnx")
    assert "first_look" not in export([trained, other], tmp_path / "e.onnx", first_look_min=None)
    member = tmp_path / "digits.member1.onnx"
    member.write_bytes(member.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelError, match="does not match the card's"):
        DigitClassifier(path)
    member.unlink()
    with pytest.raises(ModelError, match="copy the member files with the model"):
        DigitClassifier(path)
    assert DigitClassifier(path, first_look=False).members == []  # the ensemble alone still loads


def test_split_members_cli(trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`formocr-train split-members` writes an ensemble exported without its
    members' files beside it and names them in its card; what it cannot
    split is a clear error (exit 1), never a traceback."""
    from typer.testing import CliRunner

    from training import export as export_mod
    from training.cli import app

    path = tmp_path / "digits.onnx"
    export([trained, _perturbed(trained, tmp_path)], path, first_look_min=None)
    runner = CliRunner()
    done = runner.invoke(app, ["split-members", str(path), "--first-look-min", "0.99"])
    assert done.exit_code == 0, done.output
    look = json.loads(path.with_suffix(".json").read_text())["first_look"]
    assert look["min_confidence"] == 0.99 and len(look["members"]) == 2
    assert len(DigitClassifier(path).members) == 2

    one = tmp_path / "one.onnx"
    export([trained], one)
    done = runner.invoke(app, ["split-members", str(one)])
    assert done.exit_code == 1 and "not an ensemble" in done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)

    def far(*args: object) -> object:
        raise export_mod.ParityError("the members' mean differs from the ensemble by 1.00e+00")

    monkeypatch.setattr(export_mod, "split_members", far)
    done = runner.invoke(app, ["split-members", str(path)])
    assert done.exit_code == 1 and "differs from the ensemble" in done.output
    assert isinstance(done.exception, SystemExit)
    # `export`, which splits an ensemble's members too, says the same.
    other = _perturbed(trained, tmp_path)
    done = runner.invoke(app, ["export", str(trained), str(other), "-o", str(tmp_path / "e.onnx")])
    assert done.exit_code == 1 and "differs from the ensemble" in done.output
    assert isinstance(done.exception, SystemExit)


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

    a = prepare(TrainConfig(seed=1, split="random", val_size=100), fake_mnist)["evals"]["mnist_val"]
    b = prepare(TrainConfig(seed=2, split="random", val_size=100), fake_mnist)["evals"]["mnist_val"]
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
    base = prepare(TrainConfig(split="random", val_size=100), fake_mnist)
    more = prepare(TrainConfig(split="random", val_size=100, synthetic=40), fake_mnist)
    assert len(more["train"][1]) == len(base["train"][1]) + 40
    assert more["data"]["synthetic"] == {"count": 40, "seed": 0}
    np.testing.assert_array_equal(
        base["evals"]["mnist_val"].images, more["evals"]["mnist_val"].images
    )


# --- issue 8: writers, real pens, "not a digit" ---------------------------------


def test_shape_edits_draw_where_the_habit_puts_them() -> None:
    """A 7's crossbar lands across the middle of its ink; a 1's flag to the
    left of its top; other digits come back unchanged."""
    from training.augment import ink_box, shape_edit

    rng = np.random.default_rng(4)
    seven = np.full((80, 60), 255, np.uint8)
    cv2.line(seven, (10, 10), (50, 10), 0, 4)
    cv2.line(seven, (50, 10), (25, 70), 0, 4)
    barred = shape_edit(seven, 7, rng)
    added = (barred < 128) & ~(seven < 128)
    ys, xs = np.nonzero(added)
    assert len(ys) > 20 and 0.4 * 80 < ys.mean() < 0.75 * 80

    one = np.full((80, 40), 255, np.uint8)
    cv2.line(one, (25, 5), (25, 75), 0, 4)
    flagged = shape_edit(one, 1, rng)
    ys, xs = np.nonzero((flagged < 128) & ~(one < 128))
    assert len(xs) > 10 and xs.mean() < 25 and ys.mean() < 40
    assert ink_box(flagged)[0] < ink_box(one)[0]  # type: ignore[index]

    np.testing.assert_array_equal(shape_edit(one, 5, rng), one)


def test_restroke_changes_the_pen_not_the_digit() -> None:
    """The skeleton redrawn 1-4 px wide at 28-px scale (a digit 20 px tall
    there), the ink box about the same."""
    from training.augment import ink_box, pen_width, restroke

    img = np.full((60, 50), 255, np.uint8)
    cv2.ellipse(img, (25, 30), (12, 20), 0, 0, 360, 0, 9)
    box = ink_box(img)
    assert box is not None
    rng = np.random.default_rng(5)
    widths = []
    for _ in range(12):
        out = restroke(img, rng)
        widths.append(pen_width(out))
        b = ink_box(out)
        assert b is not None and all(abs(p - q) <= 6 for p, q in zip(b, box, strict=True))
    per_px = (box[3] - box[1]) / 20  # image pixels per 28-px pixel
    # The anti-aliased rim adds about one image pixel to the pen.
    assert min(widths) >= 0.7 * per_px and max(widths) <= 4 * per_px + 2
    assert max(widths) - min(widths) > per_px  # pens of several widths, not one


def test_a_skipped_pen_breaks_the_strokes_and_keeps_the_digit() -> None:
    """One or two gaps across the strokes: the ring of a 0 falls into one or
    two pieces, most of its ink stays, and nothing is drawn."""
    from training.augment import skipped

    img = np.full((60, 50), 255, np.uint8)
    cv2.ellipse(img, (25, 30), (12, 20), 0, 0, 360, 0, 5)
    ink = img < 128
    rng = np.random.default_rng(7)
    pieces = set()
    for _ in range(12):
        out = skipped(img, rng)
        kept = out < 128
        assert not (kept & ~ink).any()
        assert 0.6 * ink.sum() < kept.sum() < ink.sum()
        n, _ = cv2.connectedComponents(kept.astype(np.uint8), connectivity=8)
        pieces.add(n - 1)  # one gap opens the ring, two cut it in two
    assert pieces == {1, 2}


def test_every_kind_of_negative_is_a_crop_with_ink_and_not_a_one() -> None:
    from training.negatives import KINDS, looks_like_a_one, make_negative

    rng = np.random.default_rng(6)
    pool = np.stack([255 - hershey_digit(d % 10, rng) for d in range(30)])
    for kind in KINDS:
        for _ in range(5):
            crop, got = make_negative(pool, rng, kind)
            assert crop.dtype == np.uint8 and crop.ndim == 2
            assert int(np.percentile(crop, 95)) - int(crop.min()) >= 40, kind
            assert normalize(crop).sum() > 0, kind
            assert not looks_like_a_one(crop), kind


def test_temperature_fit_recovers_a_known_temperature() -> None:
    from training.export import fit_temperature

    rng = np.random.default_rng(8)
    z = rng.normal(0, 4, (4000, 11))
    p = np.exp(z / 2.0)
    p /= p.sum(1, keepdims=True)
    labels = np.array([rng.choice(11, p=row) for row in p])
    assert fit_temperature(z, labels) == pytest.approx(2.0, abs=0.15)


def test_writer_split_keeps_validation_writers_out_of_training(
    fake_mnist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Training uses training.splits: no digit of a validation writer is
    trained on, and validation is reported per writer, worst first."""
    from training import splits
    from training.train import per_writer, prepare

    writers = np.arange(600) // 20  # 30 writers of 20 digits
    val = np.isin(writers, [3, 17, 25])
    fake = splits.MnistSplit(
        np.nonzero(~val)[0], np.nonzero(val)[0], writers, np.zeros(100, np.int64)
    )
    monkeypatch.setattr(splits, "mnist_split", lambda *a, **k: fake)
    prep = prepare(TrainConfig(), fake_mnist)
    images, _ = prep["train"]  # type: ignore[misc]
    assert len(images) == 540 and sorted(set(prep["val_writers"])) == [3, 17, 25]
    truth = np.array([1, 1, 2, 2])
    rows = per_writer(truth, np.array([1, 0, 2, 2]), np.array([7, 7, 9, 9]))
    assert [(r["writer"], r["accuracy"]) for r in rows] == [(7, 0.5), (9, 1.0)]


@pytest.fixture(scope="module")
def trained11(fake_mnist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run11")
    cfg = TrainConfig(
        epochs=1,
        split="random",
        val_size=100,
        batch_size=50,
        workers=0,
        classes=11,
        negative_pool=60,
        augment=AugmentConfig.real_pens(),
    )
    return train(cfg, out, fake_mnist)


def test_eleven_classes_through_export_and_runtime(trained11: Path, tmp_path: Path) -> None:
    """An 11-class model: the card says so, ``log_probs`` has 11 columns,
    a digit's confidence and ``not_digit`` split one softmax, and a blank
    crop is "not a digit"."""
    _, ckpt = load_checkpoint(trained11)
    metrics = ckpt["metrics"]
    assert {"val_not_digit_recall", "val_digits_called_not_digit"} <= set(metrics)  # type: ignore[operator]
    path = tmp_path / "d11.onnx"
    card = export([trained11], path, shift_below=0.9)
    assert card["classes"] == 11 and card["not_digit_index"] == 10
    assert card["output"]["shape"] == ["batch", 11]
    clf = DigitClassifier(path)
    rng = np.random.default_rng(9)
    crops = [255 - hershey_digit(d, rng) for d in range(10)] + [np.full((30, 20), 255, np.uint8)]
    x = isolated_batch(crops)  # as classify reads them
    lp = clf.log_probs(x)
    assert lp.shape == (11, 11)
    np.testing.assert_allclose(np.exp(lp).sum(1), 1.0, atol=1e-5)
    probs = clf.probabilities(x)
    assert probs.shape == (11, 10)
    preds = clf.classify(crops)
    for p, row, logp in zip(preds, probs, lp, strict=True):
        assert p.confidence == pytest.approx(row.max(), abs=1e-6)
        assert p.not_digit == pytest.approx(np.exp(logp[10]), abs=1e-6)
        assert p.confidence + p.not_digit <= 1.0 + 1e-6
    assert preds[-1].not_digit == 1.0 and preds[-1].confidence == 0.0


def test_warm_start_rebuilds_an_exported_ensemble(trained: Path, tmp_path: Path) -> None:
    """The members read back from an ONNX file (batch norm folded) compute
    what onnxruntime computes; an added 11th class starts small."""
    from training.model import members_from_onnx

    path = tmp_path / "ens.onnx"
    export([trained, trained], path)
    x = (np.random.default_rng(10).random((8, 1, 28, 28)) < 0.2).astype(np.float32)
    import onnxruntime as ort

    ref = ort.InferenceSession(str(path)).run(None, {"input": x})[0]
    members = members_from_onnx(str(path), classes=11)
    assert len(members) == 2
    with torch.no_grad():
        got = torch.stack([m(torch.from_numpy(x)) for m in members]).mean(0).numpy()
    np.testing.assert_allclose(got[:, :10], ref, atol=1e-4)
    assert (got[:, 10] < got[:, :10].max(1)).all()
