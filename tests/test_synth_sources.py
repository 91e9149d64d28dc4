"""Digit sources by writer (training.synth.sources), on small generated digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training.synth.sources import WriterDigits, smooth_upscale


def _digit(value: int) -> np.ndarray:
    img = np.full((28, 28), 255, np.uint8)
    img[6:22, 10 + value % 3 : 14 + value % 3] = 0  # a bar, offset by the value
    return img


def test_smooth_upscale_keeps_dark_ink_on_light_paper() -> None:
    big = smooth_upscale(_digit(1), 4)
    assert big.shape == (112, 112)
    assert big[0, 0] == 255 and big[56, 48] == 0


def test_a_writer_source_gives_only_that_writers_samples_of_the_digit() -> None:
    labels = np.array([3, 3, 5])
    images = np.stack([_digit(0), _digit(1), _digit(2)])
    w = WriterDigits("w", images, labels)
    assert w.digits == [3, 5]
    draw = w.source()
    rng = np.random.default_rng(0)
    fives = {draw(5, rng).tobytes() for _ in range(5)}
    assert fives == {smooth_upscale(_digit(2)).tobytes()}
    threes = {draw(3, rng).tobytes() for _ in range(20)}
    assert len(threes) == 2
    with pytest.raises(ValueError, match="never wrote a 7"):
        draw(7, rng)


def test_calibration_writers_are_kept_apart_from_the_headline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """MNIST test writers split by hash into calibration (~1/3) and headline;
    every digit lands in exactly one, a writer never in both; the split is
    stable (a writer's side depends on its id alone)."""
    from training import data, splits
    from training.synth import sources

    writers = np.repeat(np.arange(1000, 1090), 4)  # 90 writers of 4 digits
    images = np.stack([_digit(int(i)) for i in range(len(writers))])
    labels = np.arange(len(writers)) % 10
    fake = splits.MnistSplit(
        np.arange(0), np.arange(0), np.zeros(0, np.int64), writers.astype(np.int64)
    )
    monkeypatch.setattr(splits, "mnist_split", lambda *a, **k: fake)
    monkeypatch.setattr(data, "load_mnist", lambda *a, **k: data.DigitSet("fake", images, labels))
    head = sources.mnist_writers("test")
    cal = sources.mnist_writers("cal")
    ids = lambda ws: {int(w.name.rsplit(" ", 1)[1]) for w in ws}  # noqa: E731
    assert ids(head) | ids(cal) == set(range(1000, 1090)) and not ids(head) & ids(cal)
    assert sum(len(w.labels) for w in head + cal) == len(writers)
    assert 15 <= len(cal) <= 45  # about a third of 90
    assert ids(cal) == {w for w in range(1000, 1090) if splits.is_calibration_writer(w)}
    assert [splits.is_calibration_block(b) for b in range(20, 30)].count(True) == 3


def test_training_writers_are_never_validation_or_headline_writers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``mnist_writers("train")`` (training data only: the verifier's pages)
    holds the split's training digits, grouped by writer, and no digit of a
    validation writer; an unknown part is refused."""
    from training import data, splits
    from training.synth import sources

    writers = np.repeat(np.arange(10), 3)
    images = np.stack([_digit(int(i)) for i in range(len(writers))])
    labels = np.arange(len(writers)) % 10
    val = np.nonzero(writers >= 8)[0]
    fake = splits.MnistSplit(
        np.nonzero(writers < 8)[0], val, writers.astype(np.int64), np.zeros(0, np.int64)
    )
    monkeypatch.setattr(splits, "mnist_split", lambda *a, **k: fake)
    monkeypatch.setattr(data, "load_mnist", lambda *a, **k: data.DigitSet("fake", images, labels))
    train = sources.mnist_writers("train")
    assert [w.name for w in train] == [f"mnist-train writer {i}" for i in range(8)]
    assert sum(len(w.labels) for w in train) == 24
    assert {w.name for w in sources.mnist_writers("val")} == {
        "mnist-val writer 8",
        "mnist-val writer 9",
    }
    with pytest.raises(ValueError, match="'train'"):
        sources.mnist_writers("everyone")


def test_optdigits_training_blocks_are_not_the_held_out_ones(tmp_path: Path) -> None:
    """optdigits' training part, one writer a block, ends where the held-out
    third (headline and calibration blocks) begins."""
    from training.splits import optdigits_blocks
    from training.synth import sources

    n = 300
    rng = np.random.default_rng(0)
    path = tmp_path / "optdigits-orig.tra"
    lines = []
    for i in range(n):
        lines += ["".join(rng.choice(["0", "1"], 32)) for _ in range(32)]
        lines.append(f" {i % 10}")
    path.write_text("\n".join(["header"] * 21 + lines) + "\n")
    train = sources.optdigits_writers(path, "train")
    held = sources.optdigits_writers(path, "headline") + sources.optdigits_writers(
        path, "calibration"
    )
    blocks = optdigits_blocks(n)
    train_blocks = {int(w.name.rsplit(" ", 1)[1]) for w in train}
    held_blocks = {int(w.name.rsplit(" ", 1)[1]) for w in held}
    assert train_blocks and held_blocks and not train_blocks & held_blocks
    assert train_blocks <= set(blocks[: int(n * 2 / 3)].tolist())
